"""Workbooks as offices send them: .xlsx, old .xls and OpenDocument .ods, several sheets,
cells that show an error, formulas saved without their value, and passwords.

The fixtures in files/ are real files: customers.xls and customers.ods were saved by
LibreOffice Calc from a workbook of three sheets — 一月 (two title rows, a header, three
customers, a blank row and a 合計 row with a formula), 二月 (a header and three rows, the
last two ending in =1/0 and =NA()) and Summary (one note in B2); protected.xlsx is that
workbook encrypted with the password "secret" (msoffcrypto-tool).
"""

from __future__ import annotations

import io
import json
import random
import re
import sqlite3
import time
import warnings
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from specialops.errors import SpecialopsError, UsageError, ValidationError
from specialops.io import formats
from specialops.io.formats import FileRefusal, detect_format, open_reader
from tests.conftest import run_cli

FILES = Path(__file__).parent / "files"
FIELDS = {"名稱", "類型", "電話", "地址", "備註", "name", "type", "notes"}
PASSWORD = "the workbook is protected by a password; save a copy without one"
NO_VALUE = "holds a formula with no saved value; open the workbook in Excel and save it"


def is_header(cells: list[str]) -> bool:
    """As the import's test does: most non-empty cells name a field."""
    named = [c for c in cells if c.strip()]
    return bool(named) and sum(c in FIELDS for c in named) * 2 >= len(named)


def book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook written by openpyxl (formulas are saved without their values)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def with_saved_values(path: Path, values: dict[str, str]) -> Path:
    """``path`` with the formula cells named by ``values`` given those saved values,
    as a spreadsheet program saves them."""
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    xml = parts[member].decode()
    for ref, value in values.items():
        xml, count = re.subn(
            rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*/>', rf"\1<v>{value}</v>", xml
        )
        assert count == 1, ref
    parts[member] = xml.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def rows_of(path: Path, fmt: str = "xlsx", **options: object) -> tuple[object, list]:
    reader = open_reader(path, fmt, **options)  # type: ignore[arg-type]
    return reader, list(reader)


def customers(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM customers ORDER BY id")]


# --- three formats, one reading ----------------------------------------------------------


@pytest.mark.parametrize("name", ["customers.xls", "customers.ods"])
def test_xls_and_ods_import_like_xlsx(name, db_path, ctx, tmp_path) -> None:
    ctx.close()
    result = run_cli("import", "customers", str(FILES / name), "--json", db=db_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["format"], summary["rows"], summary["inserted"]) == (name[-3:], 3, 3)
    assert summary["notes"][:2] == [
        'the workbook\'s other sheets hold data too (二月, Summary): only "一月" was read; '
        "choose with --sheet",
        "rows 1–2 above the header were passed over as titles",
    ]
    assert customers(db_path) == ["陳美華", "林志豪", "黃淑芬"]


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_the_fixtures_read_as_the_sheet_shows_them(fmt) -> None:
    reader, rows = rows_of(FILES / f"customers.{fmt}", fmt, is_header=is_header)
    assert reader.format == fmt and reader.encoding is None and reader.sheet == "一月"
    assert reader.columns == ["名稱", "類型", "電話", "地址", "備註"]
    assert reader.header_line == 3
    assert [(row.line, row.values["名稱"], row.problem) for row in rows] == [
        (4, "陳美華", None),
        (5, "林志豪", None),
        (6, "黃淑芬", None),
    ]
    assert rows[0].values["地址"] == "臺北市信義區松仁路100號"
    assert rows[1].values["備註"] is None
    assert reader.notes[-1] == "row 8 (合計) is a totals row and was not imported"


def test_formats_by_extension() -> None:
    assert [detect_format(n, None) for n in ("a.xls", "B.XLS", "c.ods", "d.xlsx")] == [
        "xls",
        "xls",
        "ods",
        "xlsx",
    ]
    assert detect_format("a.csv", "ods") == "ods"


def test_the_bytes_say_which_workbook_it_is(tmp_path) -> None:
    # An old .xls renamed .xlsx (an OLE file without encryption) is read as .xls.
    renamed = tmp_path / "old.xlsx"
    renamed.write_bytes((FILES / "customers.xls").read_bytes())
    reader, rows = rows_of(renamed, "xlsx", sheet="二月")
    assert reader.format == "xls"
    assert [row.values["名稱"] for row in rows] == ["張家銘", "劉佳穎", "吳宗憲"]
    ods = tmp_path / "really-ods.xlsx"
    ods.write_bytes((FILES / "customers.ods").read_bytes())
    assert open_reader(ods, "xlsx").format == "ods"


def test_text_named_as_a_workbook_is_refused(tmp_path) -> None:
    for fmt in ("xls", "ods"):
        path = tmp_path / f"text.{fmt}"
        path.write_text("名稱,類型\n王,individual\n", encoding="utf-8")
        with pytest.raises(ValidationError, match=f"not an {fmt.upper()} workbook"):
            open_reader(path, fmt)


def test_cells_become_the_texts_the_engine_parses(tmp_path) -> None:
    path = book(
        tmp_path / "cells.xlsx",
        {
            "S": [
                ["n", "d", "t", "f", "b", "big"],
                [3, date(2026, 1, 2), datetime(2026, 1, 2, 9, 30), 2.5, True, 1e17],
            ]
        },
    )
    _, rows = rows_of(path)
    assert rows[0].values == {
        "n": "3",
        "d": "2026-01-02",
        "t": "2026-01-02T09:30:00",
        "f": "2.5",
        "b": "true",
        "big": "1e+17",
    }


def test_a_sheet_starting_right_of_column_a_names_its_columns_by_letter(tmp_path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["E3"] = "name", "type"
    sheet["C4"], sheet["D4"], sheet["E4"] = "王", "x", "individual"
    path = tmp_path / "gap.xlsx"
    workbook.save(path)
    with pytest.raises(FileRefusal) as refused:
        open_reader(path, "xlsx")
    assert str(refused.value) == "line 3: column D of the header has no name"
    sheet["D3"] = "notes"
    workbook.save(path)
    reader, rows = rows_of(path)
    assert reader.columns == ["name", "notes", "type"]
    assert rows[0].line == 4 and rows[0].values == {
        "name": "王",
        "notes": "x",
        "type": "individual",
    }


# --- error cells and formulas without values --------------------------------------------


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_error_cells_of_old_and_open_workbooks_are_refused_for_their_row(fmt) -> None:
    _, rows = rows_of(FILES / f"customers.{fmt}", fmt, sheet="二月")
    assert [(row.line, row.problem is None) for row in rows] == [(2, True), (3, False), (4, False)]
    assert (
        "column 備註 holds" in rows[1].problem
        and "error #DIV/0! (a formula that failed)" in rows[1].problem
    )
    assert "error #N/A" in rows[2].problem
    # The rejects file shows the cell as the sheet does.
    assert (rows[1].values["備註"], rows[2].values["備註"]) == ("#DIV/0!", "#N/A")


def test_an_error_cell_is_named_by_its_column_wherever_the_sheet_starts(tmp_path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for ref, value in {"B2": "name", "C2": "notes", "B3": "甲", "C3": "#REF!", "B4": "乙"}.items():
        sheet[ref] = value  # openpyxl saves "#REF!" as an error cell
    path = tmp_path / "errors.xlsx"
    workbook.save(path)
    _, rows = rows_of(path)
    assert rows[0].line == 3 and rows[0].problem == (
        "column notes holds Excel's error #REF! (a formula that failed); correct it in the workbook"
    )
    assert rows[1].problem is None


def test_a_formula_saved_without_its_value_is_refused(tmp_path) -> None:
    path = book(tmp_path / "f.xlsx", {"S": [["a", "b"], [1, "=A2*2"], [2, "x"]]})
    _, rows = rows_of(path)
    assert rows[0].line == 2 and rows[0].problem == f"column b {NO_VALUE}"
    assert rows[1].problem is None
    with_saved_values(path, {"B2": "2"})
    _, rows = rows_of(path)
    assert rows[0].values == {"a": "1", "b": "2"} and rows[0].problem is None


def test_a_row_of_formulas_without_values_is_not_passed_over_as_blank(tmp_path) -> None:
    path = book(tmp_path / "f.xlsx", {"S": [["a", "b"], ["x", "y"], [None, "=A2"], [None, "=A3"]]})
    _, rows = rows_of(path)
    assert [(row.line, row.problem) for row in rows] == [
        (2, None),
        (3, f"column b {NO_VALUE}"),
        (4, f"column b {NO_VALUE}"),
    ]


def test_a_formula_without_value_fails_the_import_naming_line_and_column(db_path, ctx, tmp_path):
    ctx.close()
    path = book(tmp_path / "c.xlsx", {"S": [["name", "notes"], ["王大同", '="備註"&"一"']]})
    result = run_cli("import", "customers", str(path), db=db_path)
    assert result.returncode == 1
    assert f"line 2: column notes {NO_VALUE}" in result.stderr
    assert customers(db_path) == []


# --- choosing the sheet -------------------------------------------------------------------


def three_sheets(tmp_path: Path) -> Path:
    return book(
        tmp_path / "months.xlsx",
        {
            "封面": [],
            "一月": [["name"], ["甲"]],
            "Summary": [["name"], ["乙"], ["丙"]],
        },
    )


@pytest.mark.parametrize(
    ("wanted", "first"),
    [
        ("Summary", "乙"),
        ("summary", "乙"),
        ("ＳＵＭＭＡＲＹ", "乙"),
        ("3", "乙"),
        (2, "甲"),
        ("一月", "甲"),
    ],
)
def test_a_sheet_is_chosen_by_name_in_any_case_and_width_or_by_number(tmp_path, wanted, first):
    reader, rows = rows_of(three_sheets(tmp_path), sheet=wanted)
    assert rows[0].values["name"] == first
    assert reader.notes == []


def test_an_unknown_sheet_is_refused_with_the_sheets_listed(tmp_path) -> None:
    with pytest.raises(ValidationError) as refused:
        open_reader(three_sheets(tmp_path), "xlsx", sheet="二月")
    assert str(refused.value) == (
        'the workbook has no sheet "二月"; its sheets: 封面, 一月, Summary '
        "(give --sheet a name, or a number from 1 to 3)"
    )
    with pytest.raises(ValidationError, match="no sheet"):
        open_reader(three_sheets(tmp_path), "xlsx", sheet="4")


def test_without_a_sheet_the_first_with_data_is_read_and_the_others_noted(tmp_path) -> None:
    reader, rows = rows_of(three_sheets(tmp_path))
    assert reader.sheet == "一月" and [row.values["name"] for row in rows] == ["甲"]
    assert reader.notes == [
        'the workbook\'s other sheet holds data too (Summary): only "一月" was read; '
        "choose with --sheet"
    ]


def test_an_empty_first_sheet_is_passed_over_and_said_so(tmp_path) -> None:
    path = book(tmp_path / "b.xlsx", {"說明": [], "資料": [["name"], ["甲"]]})
    reader, _ = rows_of(path)
    assert reader.sheet == "資料"
    assert reader.notes == ['"資料" was read: the sheets before it are empty']


def test_a_hidden_sheet_is_read_only_when_asked_for(tmp_path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    lists = workbook.active
    lists.title = "選項"
    lists.append(["name"])
    lists.append(["隱藏"])
    lists.sheet_state = "hidden"
    data = workbook.create_sheet("客戶")
    data.append(["name"])
    data.append(["看得見"])
    path = tmp_path / "h.xlsx"
    workbook.save(path)
    reader, rows = rows_of(path)
    assert rows[0].values["name"] == "看得見"
    assert "(選項)" in reader.notes[0]
    _, rows = rows_of(path, sheet="選項")
    assert rows[0].values["name"] == "隱藏"


def test_a_workbook_without_data_is_refused(tmp_path) -> None:
    path = book(tmp_path / "empty.xlsx", {"一": [], "二": []})
    with pytest.raises(ValidationError, match="the workbook holds no data: its sheets are empty"):
        open_reader(path, "xlsx")


def test_sheet_is_for_workbooks_only(db_path, ctx, tmp_path) -> None:
    ctx.close()
    source = tmp_path / "c.csv"
    source.write_text("name\n王\n", encoding="utf-8")
    with pytest.raises(UsageError, match="--sheet is for workbooks"):
        open_reader(source, "csv", sheet="1")
    result = run_cli("import", "customers", str(source), "--sheet", "1", db=db_path)
    assert result.returncode == 2 and "--sheet is for workbooks" in result.stderr


# --- passwords ------------------------------------------------------------------------------


def test_a_password_protected_workbook_is_refused_clearly(db_path, ctx) -> None:
    ctx.close()
    with pytest.raises(ValidationError, match=PASSWORD):
        open_reader(FILES / "protected.xlsx", "xlsx")
    result = run_cli("import", "customers", str(FILES / "protected.xlsx"), "--json", db=db_path)
    assert result.returncode == 1
    assert json.loads(result.stdout)["errors"][0]["message"] == PASSWORD
    assert result.stderr.strip() == f"specialops: {PASSWORD}"


def test_a_protected_workbook_named_xls_is_refused_the_same_way(tmp_path) -> None:
    path = tmp_path / "p.xls"
    path.write_bytes((FILES / "protected.xlsx").read_bytes())
    with pytest.raises(ValidationError, match=PASSWORD):
        open_reader(path, "xls")


# --- nothing but our own words on stderr ---------------------------------------------------


@pytest.mark.parametrize("name", ["customers.xls", "customers.ods", "protected.xlsx"])
def test_reading_raises_no_library_warning(name, tmp_path) -> None:
    path = FILES / name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            for sheet in (None, "二月"):
                list(open_reader(path, name.rsplit(".", 1)[1], sheet=sheet, is_header=is_header))
        except ValidationError as refused:
            assert str(refused) == PASSWORD


def test_a_broken_xls_is_one_line_of_ours_not_a_library_backtrace(db_path, ctx, tmp_path) -> None:
    ctx.close()
    broken = tmp_path / "broken.xls"
    broken.write_bytes((FILES / "customers.xls").read_bytes()[:637])  # python-calamine panics
    result = run_cli("import", "customers", str(broken), db=db_path, env={"RUST_BACKTRACE": "1"})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("specialops: the workbook cannot be read")


def mangled(data: bytes, rng: random.Random) -> bytes:
    """``data`` cut short, with bytes flipped, or with bytes put in."""
    broken = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(broken))
        action = rng.choice(["cut", "flip", "splice"])
        if action == "cut":
            del broken[max(at, 8) :]
        elif action == "flip":
            broken[at] ^= rng.randint(1, 255)
        else:
            broken[at:at] = rng.randbytes(rng.randint(1, 16))
    return bytes(broken)


@pytest.mark.parametrize("name", ["customers.xls", "customers.ods"])
def test_broken_workbooks_end_in_our_own_error_and_print_nothing(name, capfd) -> None:
    seed = (FILES / name).read_bytes()
    rng = random.Random(name)
    fmt = name.rsplit(".", 1)[1]
    for data in [seed[:637], *(mangled(seed, rng) for _ in range(150))]:
        try:
            for row in open_reader(io.BytesIO(data), fmt, is_header=is_header):
                assert all(v is None or isinstance(v, str) for v in row.values.values())
        except SpecialopsError as error:
            assert str(error)
    assert capfd.readouterr().err == ""


# --- a sheet too large to hold is streamed -------------------------------------------------


def test_a_large_sheet_read_by_openpyxl_reads_the_same(tmp_path, monkeypatch) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    rows = [
        ["客戶名單"],
        [],
        [None, "name", "type", "notes"],
        [None, "王", "individual", date(2026, 1, 2)],
        [None, "李", "company", "#N/A"],
        [None, "陳", "company", "=B5"],
        [None, "合計", None, "=COUNTA(B4:B6)"],
    ]
    for row in rows:
        sheet.append(row)
    path = tmp_path / "big.xlsx"
    workbook.save(path)
    read = []
    for limit in (formats.CALAMINE_XML_LIMIT, 0):
        monkeypatch.setattr(formats, "CALAMINE_XML_LIMIT", limit)
        reader = open_reader(path, "xlsx", is_header=is_header)
        read.append((reader.columns, [(r.line, r.values, r.problem) for r in reader], reader.notes))
    assert read[0] == read[1]
    assert read[0][1][0] == (4, {"name": "王", "type": "individual", "notes": "2026-01-02"}, None)
    assert [problem is None for _, _, problem in read[0][1]] == [True, False, False]
    assert read[0][2][-1] == "row 7 (合計) is a totals row and was not imported"


def test_a_workbook_from_a_pipe_is_spooled(tmp_path) -> None:
    data = (FILES / "customers.ods").read_bytes()

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            return self._data.readinto(buffer)

    reader = open_reader(io.BufferedReader(Pipe()), "ods", sheet="二月")
    assert [row.values["名稱"] for row in reader] == ["張家銘", "劉佳穎", "吳宗憲"]


def test_the_calamine_path_is_much_faster_than_openpyxl(tmp_path, monkeypatch) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["code", "name", "address", "amount"])
    for n in range(20_000):
        sheet.append([f"C-{n}", f"客戶{n}", f"臺北市信義區松仁路{n}號", n * 1.5])
    path = tmp_path / "many.xlsx"
    workbook.save(path)
    seconds = []
    for limit in (formats.CALAMINE_XML_LIMIT, 0):
        monkeypatch.setattr(formats, "CALAMINE_XML_LIMIT", limit)
        started = time.perf_counter()
        assert sum(1 for _ in open_reader(path, "xlsx").cells()) == 20_000
        seconds.append(time.perf_counter() - started)
    assert seconds[0] * 2 < seconds[1], seconds
