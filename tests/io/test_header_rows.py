"""Tables as people lay them out: title rows above the header, a header row given by
number, a totals row closing the data; and refusals of a file that name line and column."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from specialops.errors import UsageError, ValidationError
from specialops.io import encoding as enc
from specialops.io.formats import FileRefusal, open_reader, totals_label
from tests.conftest import run_cli
from tests.io.streams import CountingStream

FIELDS = {"name", "type", "phone", "notes", "名稱", "類型", "電話", "備註"}


def is_header(cells: list[str]) -> bool:
    """As the import's test does: most non-empty cells name a field."""
    named = [c for c in cells if c.strip()]
    return bool(named) and sum(c in FIELDS for c in named) * 2 >= len(named)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def read(path: Path, fmt: str = "csv", **options: object) -> tuple[object, list]:
    reader = open_reader(path, fmt, is_header=is_header, **options)  # type: ignore[arg-type]
    return reader, list(reader)


def names(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM customers ORDER BY id")]


def sheet(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


TITLED = (
    "客戶名單 2026年1月,,,\n"
    "製表人：業務部 王小明,,,\n"
    "名稱,類型,電話,備註\n"
    "陳美華,individual,02-2345-6789,長期客戶\n"
    "林志豪,company,04-2251-3344,\n"
)


# --- title rows above the header ----------------------------------------------------------


def test_title_rows_are_passed_over_with_a_note_and_lines_stay_the_sheets(tmp_path) -> None:
    reader, rows = read(write(tmp_path / "c.csv", TITLED))
    assert reader.columns == ["名稱", "類型", "電話", "備註"]
    assert reader.header_line == 3
    assert reader.notes == ["rows 1–2 above the header were passed over as titles"]
    assert [(row.line, row.values["名稱"]) for row in rows] == [(4, "陳美華"), (5, "林志豪")]


def test_the_import_reads_under_titles_and_says_so(db_path, ctx, tmp_path) -> None:
    ctx.close()
    source = write(tmp_path / "c.csv", TITLED + "黃淑芬,nope,07-331-2288,\n")
    result = run_cli("import", "customers", str(source), "--json", db=db_path)
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["notes"] == ["rows 1–2 above the header were passed over as titles"]
    assert [(e["line"], e["column"]) for e in summary["errors"]] == [(6, "type")]
    fixed = write(tmp_path / "c.csv", TITLED)
    result = run_cli("import", "customers", str(fixed), db=db_path)
    assert result.returncode == 0, result.stderr
    assert "note: rows 1–2 above the header were passed over as titles" in result.stderr
    assert names(db_path) == ["陳美華", "林志豪"]


@pytest.mark.parametrize(
    ("title", "delimiter"),
    [
        ("客戶名單, 2026年1月\n", ";"),  # a comma in the title of a semicolon file
        ("客戶名單\n", "\t"),  # a title with no delimiter at all
        ('"客戶名單; 一月|二月"\n', ","),  # delimiters inside quotes do not count
    ],
)
def test_the_delimiter_is_found_under_a_title(tmp_path, title, delimiter) -> None:
    body = "名稱;類型;電話\n陳美華;individual;02-2345-6789\n林志豪;company;04-2251-3344\n"
    text = title + body.replace(";", delimiter)
    reader, rows = read(write(tmp_path / "c.csv", text))
    assert reader.delimiter == delimiter
    assert reader.columns == ["名稱", "類型", "電話"]
    assert rows[1].values == {"名稱": "林志豪", "類型": "company", "電話": "04-2251-3344"}


def test_one_title_row_is_said_in_the_singular(tmp_path) -> None:
    reader, _ = read(write(tmp_path / "c.csv", "\n\n客戶名單\nname,type\n甲,individual\n"))
    assert reader.header_line == 4
    assert reader.notes == ["row 3 above the header was passed over as a title"]


def test_without_a_header_anywhere_the_first_row_is_the_header(db_path, ctx, tmp_path) -> None:
    ctx.close()
    source = write(tmp_path / "c.csv", "客戶名單\nnmae,tpye\n甲,individual\n")
    reader, rows = read(source)
    assert reader.columns == ["客戶名單"] and reader.notes == []
    assert rows[0].line == 2
    result = run_cli("import", "customers", str(source), db=db_path)
    assert result.returncode == 1
    assert "line 1, column 客戶名單: unknown column" in result.stderr


def test_the_header_is_looked_for_at_most_twenty_rows_down(tmp_path) -> None:
    titles = "".join(f"說明第{n}行\n" for n in range(1, 21))
    reader, _ = read(write(tmp_path / "near.csv", titles + "name,type\n甲,individual\n"))
    assert reader.header_line == 21
    reader, rows = read(write(tmp_path / "far.csv", "x\n" + titles + "name,type\n甲,individual\n"))
    assert reader.header_line == 1 and reader.columns == ["x"]
    assert rows[0].line == 2 and len(rows) == 22  # nothing read ahead is lost


def test_a_header_row_test_is_only_a_help(tmp_path) -> None:
    # Without the test (as for other callers), the first non-blank row is the header.
    reader = open_reader(write(tmp_path / "c.csv", TITLED), "csv")
    assert reader.columns == ["客戶名單 2026年1月"] and reader.header_line == 1


def test_titles_in_a_workbook_and_a_table_starting_in_column_b(tmp_path) -> None:
    path = sheet(
        tmp_path / "t.xlsx",
        [
            ["客戶名單"],
            [],
            [None, "name", "type"],
            [None, "甲", "individual"],
            ["旁註", "乙", "company"],
        ],
    )
    reader, rows = read(path, "xlsx")
    assert reader.header_line == 3 and reader.columns == ["name", "type"]
    assert reader.notes == ["rows 1–2 above the header were passed over as titles"]
    assert rows[0].line == 4 and rows[0].problem is None
    assert rows[1].problem == "the row has values left of the header's columns"


# --- the header row given -----------------------------------------------------------------


def test_a_header_row_given_is_taken_and_the_rows_above_skipped(tmp_path) -> None:
    text = "name,type\n舊,individual\n名稱,類型\n新,company\n"
    reader, rows = read(write(tmp_path / "c.csv", text), header_row=3)
    assert reader.header_line == 3 and reader.columns == ["名稱", "類型"] and reader.notes == []
    assert [(row.line, row.values) for row in rows] == [(4, {"名稱": "新", "類型": "company"})]
    reader, rows = read(sheet(tmp_path / "c.xlsx", [["x"], ["name"], ["甲"]]), "xlsx", header_row=2)
    assert reader.columns == ["name"] and [row.line for row in rows] == [3]


def test_a_header_row_given_on_the_command_line(db_path, ctx, tmp_path) -> None:
    ctx.close()
    source = write(tmp_path / "c.csv", "匯出自 CRM\n\nname,type\n甲,individual\n")
    result = run_cli("import", "customers", str(source), "--header-row", "3", db=db_path)
    assert result.returncode == 0, result.stderr
    assert names(db_path) == ["甲"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (2, "line 2: the row is blank; --header-row must name the row holding the column names"),
        (9, "line 9: the file ends before this row (--header-row 9)"),
    ],
)
def test_a_header_row_given_that_holds_no_header_is_refused(tmp_path, row, message) -> None:
    with pytest.raises(FileRefusal) as refused:
        open_reader(write(tmp_path / "c.csv", "name\n\n甲\n"), "csv", header_row=row)
    assert str(refused.value) == message


def test_a_header_row_is_for_tables_only(db_path, ctx, tmp_path) -> None:
    ctx.close()
    source = write(tmp_path / "c.jsonl", '{"name": "甲"}\n')
    with pytest.raises(UsageError, match="--header-row is for CSV and workbooks"):
        open_reader(source, "jsonl", header_row=1)
    result = run_cli("import", "customers", str(source), "--header-row", "1", db=db_path)
    assert result.returncode == 2 and "--header-row is for CSV and workbooks" in result.stderr


# --- a totals row closing the data --------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    ["合計", "合计", "總計", "总计", "小計", "共計", "Total", "TOTALS", "Sum", "Grand Total:"],
)
def test_a_totals_row_ending_the_data_is_left_out_with_a_note(tmp_path, label) -> None:
    text = f"name,type,phone\n甲,individual,1\n乙,company,2\n{label},,2\n"
    reader, rows = read(write(tmp_path / "c.csv", text))
    assert [row.values["name"] for row in rows] == ["甲", "乙"]
    assert reader.notes == [f"row 4 ({label}) is a totals row and was not imported"]


@pytest.mark.parametrize("label", ["合　計：", "ＴＯＴＡＬ", "  total : ", "小计:"])
def test_totals_words_are_matched_in_any_width_case_and_spacing(label) -> None:
    assert totals_label([None, label, "3"]) == label.strip()


@pytest.mark.parametrize("label", ["合計金額", "total cost", "總計劃", "", "王大同"])
def test_other_first_cells_are_not_totals(label) -> None:
    assert totals_label([label, "3"]) is None


def test_blank_rows_may_follow_a_totals_row_but_data_may_not(tmp_path) -> None:
    reader, rows = read(write(tmp_path / "a.csv", "name,n\n甲,1\n合計,1\n,\n\n  ,  \n"))
    assert [row.line for row in rows] == [2] and reader.notes[0].startswith("row 3 (合計)")
    reader, rows = read(write(tmp_path / "b.csv", "name,n\n甲,1\n合計,1\n乙,2\n"))
    assert [(row.line, row.values["name"]) for row in rows] == [(2, "甲"), (3, "合計"), (4, "乙")]
    assert reader.notes == []


def test_a_workbook_totals_row_of_unsaved_formulas_is_left_out_not_refused(tmp_path) -> None:
    path = sheet(
        tmp_path / "t.xlsx",
        [["name", "phone"], ["甲", 1], ["乙", 2], [], ["小計", "=SUM(B2:B3)"]],
    )
    reader, rows = read(path, "xlsx")
    assert [(row.line, row.problem) for row in rows] == [(2, None), (3, None)]
    assert reader.notes == ["row 5 (小計) is a totals row and was not imported"]


def test_the_import_leaves_the_totals_row_out(db_path, ctx, tmp_path) -> None:
    ctx.close()
    source = write(tmp_path / "c.csv", "name,type\n甲,individual\n乙,company\n合計：,2\n")
    result = run_cli("import", "customers", str(source), "--json", db=db_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 2
    assert names(db_path) == ["甲", "乙"]


def test_the_totals_look_ahead_keeps_the_reader_streaming() -> None:
    # Two title lines, a header, then rows made up on the fly (hundreds of MB).
    stream = CountingStream(
        2_000_000,
        head="客戶名單\n\n名稱,類型,備註\n",
        line=lambda n: f"客戶{n},company,{'說明' * 20}\n",
    )
    reader = open_reader(io.BufferedReader(stream), "csv", is_header=is_header)
    rows = iter(reader)
    first = next(rows)
    for _ in range(100):
        next(rows)
    assert first.line == 4 and reader.notes
    assert stream.taken < 2 * enc.SAMPLE_SIZE


# --- refusals of the file name its line and column -----------------------------------------


def test_a_refusal_names_line_and_column_as_import_problems_do(tmp_path) -> None:
    with pytest.raises(FileRefusal) as refused:
        open_reader(write(tmp_path / "c.csv", "name, name \n甲,乙\n"), "csv")
    assert str(refused.value) == "line 1, column name: appears twice in the header"
    assert (refused.value.line, refused.value.column) == (1, "name")
    assert refused.value.reason == "appears twice in the header"
    assert isinstance(refused.value, ValidationError)
    with pytest.raises(FileRefusal) as refused:
        read(write(tmp_path / "t.csv", "客戶名單\nname,,type\n甲,,individual\n"))
    assert str(refused.value) == "line 2: column 2 of the header has no name"
    assert refused.value.column is None


def test_an_undecodable_byte_is_refused_at_its_line(tmp_path) -> None:
    data = b"name\n" + "".join(f"客戶{n}\n" for n in range(30)).encode() + b"\xff\xfe\n"
    with pytest.raises(FileRefusal) as refused:
        list(open_reader(write_bytes(tmp_path / "c.csv", data), "csv", "utf-8"))
    assert refused.value.line == 32
    assert str(refused.value).startswith(
        "line 32: bytes ff (at byte 265 of the file) are not valid utf-8"
    )


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_the_json_summary_of_a_refused_file_names_line_and_column(db_path, ctx, tmp_path) -> None:
    ctx.close()
    source = write(tmp_path / "c.csv", "客戶名單\nname,type,name\n甲,individual,乙\n")
    result = run_cli("import", "customers", str(source), "--json", db=db_path)
    assert result.returncode == 1
    error = json.loads(result.stdout)["errors"][0]
    assert error == {"line": 2, "column": "name", "message": "appears twice in the header"}
    assert "line 2, column name: appears twice in the header" in result.stderr
