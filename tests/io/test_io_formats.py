"""File formats and encodings of headless import/export (SPEC §9): real files, real bytes."""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specialops.errors import UsageError, ValidationError
from specialops.io import encoding as enc
from specialops.io.formats import (
    FIELD_LIMIT,
    FORMATS,
    Row,
    detect_format,
    open_reader,
)
from specialops.io.writers import neutralise, open_writer, unneutralise
from tests.io.streams import CountingStream

TRADITIONAL = (
    "專項業務管理制度規定，各部門應依照公司策略推動項目管理、市場推廣與客戶服務。"
    "項目經理負責擬定計劃、追蹤進度並於驗收前提交報告。風險登記冊須定期檢討，"
    "重大問題應立即向上級呈報並提出解決方案。"
)
SIMPLIFIED = (
    "专项业务管理制度规定，各部门应按照公司战略推动项目管理、市场推广与客户服务。"
    "项目经理负责拟定计划、跟踪进度并在验收前提交报告。风险登记册须定期检查，"
    "重大问题应立即向上级报告并提出解决方案。"
)


def read(path: Path, fmt: str = "csv", encoding: str = "auto") -> tuple[object, list[Row]]:
    reader = open_reader(path, fmt, encoding)
    return reader, list(reader)


def write_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- format detection ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tickets.csv", "csv"),
        ("TICKETS.CSV", "csv"),
        ("export.tsv", "csv"),
        ("unicode-text.txt", "csv"),
        ("a.json", "json"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("客戶.xlsx", "xlsx"),
        ("-", "csv"),
        (None, "csv"),
    ],
)
def test_detect_format_from_extension(name: str | None, expected: str) -> None:
    assert detect_format(name, None) == expected
    assert detect_format(name, "auto") == expected


def test_detect_format_override_wins() -> None:
    assert detect_format("data.csv", "jsonl") == "jsonl"
    assert detect_format("-", "XLSX") == "xlsx"


@pytest.mark.parametrize("name", ["data.dat", "noext", "old.wk1"])
def test_detect_format_unknown_extension_is_a_usage_error(name: str) -> None:
    with pytest.raises(UsageError, match=r"--format|xlsx"):
        detect_format(name, None)


def test_detect_format_unknown_override() -> None:
    with pytest.raises(UsageError, match="unknown format 'xml'"):
        detect_format("a.csv", "xml")


def test_open_reader_unknown_format(tmp_path: Path) -> None:
    path = write_file(tmp_path / "a.csv", b"a\n1\n")
    with pytest.raises(UsageError):
        open_reader(path, "xml")


# --- encodings -------------------------------------------------------------------------


def test_traditional_chinese_in_big5(tmp_path: Path) -> None:
    text = f"名稱,說明\r\n專案甲,{TRADITIONAL}\r\n客戶乙,臺北市信義區\r\n"
    path = write_file(tmp_path / "big5.csv", text.encode("cp950"))
    reader, rows = read(path)
    assert reader.encoding == "big5"
    assert reader.columns == ["名稱", "說明"]
    assert rows[0].values == {"名稱": "專案甲", "說明": TRADITIONAL}
    assert rows[1].values["說明"] == "臺北市信義區"


def test_simplified_chinese_in_gbk(tmp_path: Path) -> None:
    text = f"名称,说明\r\n项目甲,{SIMPLIFIED}\r\n"
    path = write_file(tmp_path / "gbk.csv", text.encode("gbk"))
    reader, rows = read(path)
    assert reader.encoding == "gb18030"
    assert rows[0].values == {"名称": "项目甲", "说明": SIMPLIFIED}


def test_gb18030_four_byte_characters(tmp_path: Path) -> None:
    # 𠀀 and € need GB18030 proper (four-byte sequences), not GBK.
    text = f"名称,说明\n𠀀,{SIMPLIFIED}€\n"
    path = write_file(tmp_path / "gb18030.csv", text.encode("gb18030"))
    reader, rows = read(path)
    assert reader.encoding == "gb18030"
    assert rows[0].values["名称"] == "𠀀"
    assert rows[0].values["说明"].endswith("€")


def test_utf16_tab_separated_as_excel_unicode_text(tmp_path: Path) -> None:
    # Excel's "Unicode Text": UTF-16 LE with BOM, TAB-separated, CRLF.
    text = '名稱\t備註\r\n王小明\t"多行\r\n備註, 含逗號"\r\n陳大文\t😀\r\n'
    path = write_file(tmp_path / "unicode.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    reader, rows = read(path)
    assert reader.encoding == "utf-16-le"
    assert reader.delimiter == "\t"
    assert reader.columns == ["名稱", "備註"]
    assert [r.values for r in rows] == [
        {"名稱": "王小明", "備註": "多行\r\n備註, 含逗號"},
        {"名稱": "陳大文", "備註": "😀"},
    ]
    assert [r.line for r in rows] == [2, 3]


def test_utf16_big_endian_with_bom(tmp_path: Path) -> None:
    path = write_file(
        tmp_path / "be.csv", codecs.BOM_UTF16_BE + "名稱,數量\n甲,1\n".encode("utf-16-be")
    )
    reader, rows = read(path)
    assert reader.encoding == "utf-16-be"
    assert rows[0].values == {"名稱": "甲", "數量": "1"}


@pytest.mark.parametrize(("bom", "label"), [(b"", "utf-8"), (codecs.BOM_UTF8, "utf-8-sig")])
def test_utf8_with_and_without_bom(tmp_path: Path, bom: bytes, label: str) -> None:
    path = write_file(tmp_path / "u.csv", bom + "代碼,名稱\nC-1,客戶甲 😀\n".encode())
    reader, rows = read(path)
    assert reader.encoding == label
    assert reader.columns == ["代碼", "名稱"]  # the BOM is not part of the first name
    assert rows[0].values == {"代碼": "C-1", "名稱": "客戶甲 😀"}


def test_utf8_sample_cut_inside_a_character_is_still_utf8(tmp_path: Path) -> None:
    # The detection sample ends in the middle of a three-byte character.
    prefix = "名稱\n" + "a" * (enc.SAMPLE_SIZE - 10)
    data = prefix.encode() + b"\n"
    filler = enc.SAMPLE_SIZE - len(data) - 1
    data += b"b" * filler + "中\n".encode()
    assert len(data) > enc.SAMPLE_SIZE and data[enc.SAMPLE_SIZE - 1] >= 0x80
    reader, rows = read(write_file(tmp_path / "cut.csv", data))
    assert reader.encoding == "utf-8"
    assert rows[-1].values["名稱"].endswith("中")


def test_big5_sample_cut_inside_a_character(tmp_path: Path) -> None:
    line = f"甲,{TRADITIONAL}\r\n".encode("cp950")
    data = "名稱,說明\r\n".encode("cp950") + b"x,1\r\n" + line * (enc.SAMPLE_SIZE // len(line) + 5)
    reader, rows = read(write_file(tmp_path / "big.csv", data))
    assert reader.encoding == "big5"
    assert rows[-1].values["說明"] == TRADITIONAL


@pytest.mark.parametrize(
    ("text", "codec"),
    [("姓名\n王\n", "cp950"), ("名\n甲\n", "gbk"), ("代碼\nA陳\n", "cp950")],
)
def test_very_short_gbk_or_big5_file_is_refused(tmp_path: Path, text: str, codec: str) -> None:
    path = write_file(tmp_path / "short.csv", text.encode(codec))
    with pytest.raises(ValidationError, match=r"GBK or Big5\?.*--encoding gbk\|big5"):
        open_reader(path, "csv")


def test_short_file_reads_with_the_encoding_given(tmp_path: Path) -> None:
    path = write_file(tmp_path / "short.csv", "姓名\n王明\n".encode("cp950"))
    reader, rows = read(path, encoding="big5")
    assert reader.encoding == "big5"
    assert rows[0].values == {"姓名": "王明"}
    reader, rows = read(write_file(tmp_path / "g.csv", "名\n甲\n".encode("gbk")), encoding="gbk")
    assert reader.encoding == "gb18030"  # gbk is read as its superset
    assert rows[0].values == {"名": "甲"}


def test_gbk_file_read_as_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = write_file(tmp_path / "gbk.csv", f"名称\n{SIMPLIFIED}\n".encode("gbk"))
    with pytest.raises(ValidationError) as caught:
        list(open_reader(path, "csv", "utf-8"))
    message = str(caught.value)
    assert "not valid utf-8" in message and "--encoding" in message
    assert "\ufffd" not in message and "名称" not in message


def test_big5_file_read_as_gbk_is_refused_not_garbled(tmp_path: Path) -> None:
    path = write_file(tmp_path / "b.csv", f"名稱\n{TRADITIONAL}\n".encode("cp950"))
    with pytest.raises(ValidationError, match="try --encoding big5"):
        open_reader(path, "csv", "gbk")


def test_undecodable_byte_later_in_the_file_names_its_row(tmp_path: Path) -> None:
    rows = ["代碼,名稱"] + [f"C{i},客戶{i}" for i in range(30_000)]
    data = "\n".join(rows).encode() + b"\nC-bad,\xff\xfe\n"
    assert len(data) > enc.SAMPLE_SIZE
    reader = open_reader(write_file(tmp_path / "late.csv", data), "csv")
    seen = []
    with pytest.raises(ValidationError, match=r"^line 30002: bytes ff .*not valid utf-8"):
        for row in reader:
            seen.append(row)
    assert len(seen) == 30_000  # every good row before it came out, none invented


def test_unknown_encoding_name_is_a_usage_error(tmp_path: Path) -> None:
    path = write_file(tmp_path / "a.csv", b"a\n1\n")
    with pytest.raises(UsageError, match="unknown encoding 'klingon'"):
        open_reader(path, "csv", "klingon")
    with pytest.raises(UsageError, match="not a text encoding"):
        open_reader(path, "csv", "base64")


def test_bom_contradicting_the_given_encoding(tmp_path: Path) -> None:
    path = write_file(tmp_path / "a.csv", codecs.BOM_UTF8 + "名\n甲\n".encode())
    with pytest.raises(ValidationError, match="byte-order mark"):
        open_reader(path, "csv", "big5")
    reader, _ = read(path, encoding="utf-8")
    assert reader.columns == ["名"]


def test_reported_encoding_reads_the_file_again(tmp_path: Path) -> None:
    # The engine passes reader.encoding back in to re-read a file for its rejects.
    files = {
        "big5": f"名稱\n{TRADITIONAL}\n".encode("cp950"),
        "gb18030": f"名称\n{SIMPLIFIED}\n".encode("gbk"),
        "utf-16-le": codecs.BOM_UTF16_LE + "名稱\n甲\n".encode("utf-16-le"),
        "utf-8-sig": codecs.BOM_UTF8 + "名稱\n甲\n".encode(),
    }
    for label, data in files.items():
        path = write_file(tmp_path / f"{label}.csv", data)
        first, rows = read(path)
        assert first.encoding == label
        again, rows_again = read(path, encoding=label)
        assert again.encoding == label
        assert [r.values for r in rows_again] == [r.values for r in rows]


def test_utf16_without_bom_is_explained(tmp_path: Path) -> None:
    path = write_file(tmp_path / "nobom.csv", "code,name\nA,B\n".encode("utf-16-le"))
    with pytest.raises(ValidationError, match="--encoding utf-16-le"):
        open_reader(path, "csv")
    _, rows = read(path, encoding="utf-16-le")
    assert rows[0].values == {"code": "A", "name": "B"}


def test_text_that_is_no_known_encoding(tmp_path: Path) -> None:
    path = write_file(tmp_path / "bin.csv", b"a,b\n\x80\x00\xff\x01,\xfe\n")
    with pytest.raises(ValidationError, match="--encoding"):
        open_reader(path, "csv")


# --- CSV -------------------------------------------------------------------------------


def test_delimiters_are_sniffed(tmp_path: Path) -> None:
    for delimiter in (",", ";", "|", "\t"):
        text = f'"a,x"{delimiter}b{delimiter}c\n1{delimiter}"2,5"{delimiter}3\n'
        reader, rows = read(write_file(tmp_path / "d.csv", text.encode()))
        assert reader.delimiter == delimiter
        assert rows[0].values == {"a,x": "1", "b": "2,5", "c": "3"}


def test_ragged_rows(tmp_path: Path) -> None:
    text = "a,b,c\n1,2\n1,2,3,4\n1,2,3,,\n"
    _, rows = read(write_file(tmp_path / "r.csv", text.encode()))
    assert rows[0] == Row(2, {"a": "1", "b": "2", "c": None})
    assert rows[1].line == 3 and "4 cells" in (rows[1].problem or "")
    assert rows[1].values == {"a": "1", "b": "2", "c": "3"}  # kept for the rejects file
    assert rows[2] == Row(4, {"a": "1", "b": "2", "c": "3"})  # empty extra cells are harmless


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    text = "\na,b\n\n1,2\n,\n  \n3,4\n"
    _, rows = read(write_file(tmp_path / "b.csv", text.encode()))
    assert [(r.line, r.values["a"]) for r in rows] == [(4, "1"), (7, "3")]


def test_line_numbers_count_records_not_physical_lines(tmp_path: Path) -> None:
    text = 'a,b\r\n1,"two\r\nlines"\r\n2,x\r\n'
    _, rows = read(write_file(tmp_path / "m.csv", text.encode()))
    assert [(r.line, r.values["b"]) for r in rows] == [(2, "two\r\nlines"), (3, "x")]


def test_old_mac_line_ends(tmp_path: Path) -> None:
    _, rows = read(write_file(tmp_path / "cr.csv", b"a,b\r1,2\r3,4\r"))
    assert [r.values for r in rows] == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]


def test_nul_byte_is_a_row_problem(tmp_path: Path) -> None:
    data = b"a,b\n1,x\x00y\n2,z\n"
    _, rows = read(write_file(tmp_path / "n.csv", data))
    assert rows[0].line == 2 and "NUL" in (rows[0].problem or "")
    assert rows[1] == Row(3, {"a": "2", "b": "z"})


@pytest.mark.parametrize("quoted", [False, True])
def test_huge_field_is_a_row_problem(tmp_path: Path, quoted: bool) -> None:
    huge = "x" * (FIELD_LIMIT + 10)
    if quoted:
        huge = '"' + "\n".join([huge[:100], huge[100:]]) + '"'
    data = f"a,b\n1,{huge}\n2,ok\n".encode()
    _, rows = read(write_file(tmp_path / "h.csv", data))
    assert len(rows) == 2
    assert rows[0].line == 2 and "longer than 10 MB" in (rows[0].problem or "")
    assert rows[1] == Row(3, {"a": "2", "b": "ok"})


def test_empty_file(tmp_path: Path) -> None:
    for fmt in ("csv", "json", "xlsx"):
        with pytest.raises(ValidationError, match="empty"):
            open_reader(write_file(tmp_path / f"e.{fmt}", b""), fmt)
    with pytest.raises(ValidationError, match="empty"):
        open_reader(write_file(tmp_path / "bom.csv", codecs.BOM_UTF8), "csv")


def test_blank_file_has_no_header(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"empty|no header"):
        open_reader(write_file(tmp_path / "blank.csv", b"\r\n\r\n   \r\n"), "csv")
    with pytest.raises(ValidationError, match="no header"):
        open_reader(write_file(tmp_path / "commas.csv", b",,,\n,,\n"), "csv")


def test_header_only_means_no_rows(tmp_path: Path) -> None:
    reader, rows = read(write_file(tmp_path / "h.csv", "代碼,名稱\r\n".encode()))
    assert reader.columns == ["代碼", "名稱"]
    assert rows == []


@pytest.mark.parametrize(
    ("header", "message"),
    [("a,,b", "column 2 of the header has no name"), ("a, a ,b", "column a: appears twice")],
)
def test_bad_column_names(tmp_path: Path, header: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        open_reader(write_file(tmp_path / "h.csv", f"{header}\n1,2,3\n".encode()), "csv")


def test_header_names_are_stripped_and_trailing_empty_columns_dropped(tmp_path: Path) -> None:
    reader, rows = read(write_file(tmp_path / "h.csv", " 代碼 ,名稱 ,,\n1,2,,\n".encode()))
    assert reader.columns == ["代碼", "名稱"]
    assert rows[0].values == {"代碼": "1", "名稱": "2"}


# --- JSON and JSONL --------------------------------------------------------------------


def test_json_array_of_objects(tmp_path: Path) -> None:
    data = '[{"代碼": "C-1", "數量": 3, "金額": 12.50, "有效": true, "備註": null}]'
    reader, rows = read(write_file(tmp_path / "a.json", data.encode()), "json")
    assert reader.columns == ["代碼", "數量", "金額", "有效", "備註"]
    assert rows == [
        Row(1, {"代碼": "C-1", "數量": "3", "金額": "12.50", "有效": "true", "備註": None})
    ]


@pytest.mark.parametrize("data", ['{"a": 1}', '"text"', "42", "null"])
def test_json_that_is_not_an_array(tmp_path: Path, data: str) -> None:
    with pytest.raises(ValidationError, match="array of objects"):
        open_reader(write_file(tmp_path / "a.json", data.encode()), "json")


def test_json_array_elements_that_are_not_plain_objects(tmp_path: Path) -> None:
    data = '[1, [2], {"a": {"b": 1}}, {"a": [1]}, {"a": 1, "a": 2}, {"a": "ok"}]'
    _, rows = read(write_file(tmp_path / "a.json", data.encode()), "json")
    assert [r.line for r in rows] == [1, 2, 3, 4, 5, 6]
    assert "found a plain value" in (rows[0].problem or "")
    assert "found an array" in (rows[1].problem or "")
    assert "nested object" in (rows[2].problem or "")
    assert "nested array" in (rows[3].problem or "")
    assert "'a' appears twice" in (rows[4].problem or "")
    assert rows[5] == Row(6, {"a": "ok"})


def test_broken_json_is_a_file_error(tmp_path: Path) -> None:
    reader = open_reader(write_file(tmp_path / "a.json", b'[{"a": 1}, {"a": '), "json")
    with pytest.raises(ValidationError, match="not valid JSON"):
        list(reader)
    with pytest.raises(ValidationError, match="not valid JSON"):
        list(open_reader(write_file(tmp_path / "b.json", b'[{"a": 1}] trailing'), "json"))


def test_empty_json_array(tmp_path: Path) -> None:
    reader, rows = read(write_file(tmp_path / "a.json", b" [ ] \n"), "json")
    assert reader.columns == [] and rows == []


def test_json_in_gbk_is_decoded(tmp_path: Path) -> None:
    data = json.dumps([{"名称": SIMPLIFIED}], ensure_ascii=False).encode("gbk")
    reader, rows = read(write_file(tmp_path / "a.json", data), "json")
    assert reader.encoding == "gb18030"
    assert rows[0].values == {"名称": SIMPLIFIED}


def test_jsonl_lines_blank_and_bad(tmp_path: Path) -> None:
    data = '{"a": "甲", "n": 10}\n\n{"a": \nnot json\n[1]\n{"a": NaN}\n{"a": "乙"}\n'
    reader, rows = read(write_file(tmp_path / "a.jsonl", data.encode()), "jsonl")
    assert reader.columns == ["a", "n"]
    assert [r.line for r in rows] == [1, 3, 4, 5, 6, 7]
    assert rows[0] == Row(1, {"a": "甲", "n": "10"})
    assert all("JSON" in (r.problem or "") or "object" in (r.problem or "") for r in rows[1:5])
    assert rows[5] == Row(7, {"a": "乙"})


def test_jsonl_keeps_numbers_as_written(tmp_path: Path) -> None:
    data = '{"big": 123456789012345678901234567890, "money": 1.10, "e": 1e3}\n'
    _, rows = read(write_file(tmp_path / "n.jsonl", data.encode()), "jsonl")
    assert rows[0].values == {"big": "123456789012345678901234567890", "money": "1.10", "e": "1e3"}


def test_empty_jsonl_is_zero_rows(tmp_path: Path) -> None:
    # A JSONL export of nothing is an empty file; reading it back must work.
    reader, rows = read(write_file(tmp_path / "e.jsonl", b""), "jsonl")
    assert reader.columns == [] and rows == []


# --- XLSX ------------------------------------------------------------------------------


def test_xlsx_that_is_really_text(tmp_path: Path) -> None:
    path = write_file(tmp_path / "fake.xlsx", "代碼,名稱\n1,2\n".encode())
    with pytest.raises(ValidationError, match="not an XLSX workbook"):
        open_reader(path, "xlsx")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(ValidationError, match="workbook"):
        open_reader(path, "xlsx")


def test_xlsx_cells_become_text_the_engine_parses(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["代碼", "日期", "時間", "數量", "金額", "有效", "空"])
    sheet.append([])  # a blank row: skipped, still counted
    sheet.append(["P-1", date(2026, 11, 28), datetime(2026, 11, 28, 9, 30), 3.0, 12.5, True, None])
    sheet.append(["P-2", datetime(2026, 1, 2), None, 7, -0.25, False, ""])
    path = tmp_path / "cells.xlsx"
    workbook.save(path)
    reader, rows = read(path, "xlsx")
    assert reader.encoding is None
    assert reader.columns == ["代碼", "日期", "時間", "數量", "金額", "有效", "空"]
    assert rows[0] == Row(
        3,
        {
            "代碼": "P-1",
            "日期": "2026-11-28",
            "時間": "2026-11-28T09:30:00",
            "數量": "3",
            "金額": "12.5",
            "有效": "true",
            "空": None,
        },
    )
    assert rows[1].line == 4
    assert rows[1].values["日期"] == "2026-01-02" and rows[1].values["數量"] == "7"


def test_xlsx_values_beyond_the_header(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["a", "b"])
    workbook.active.append([1, 2, "extra"])
    workbook.active.append([1])
    path = tmp_path / "w.xlsx"
    workbook.save(path)
    _, rows = read(path, "xlsx")
    assert "beyond the header" in (rows[0].problem or "")
    assert rows[1] == Row(3, {"a": "1", "b": None})


# --- writers and round trips -------------------------------------------------------------

COLUMNS = ["code", "name", "note", "amount", "count", "due", "at", "flag", "empty"]
TRICKY = [
    {
        "code": '=HYPERLINK("http://x")',
        "name": '客戶 "甲", 有限公司',
        "note": "第一行\r\n第二行\n第三行 😀 𠀀",
        "amount": Decimal("-12.50"),
        "count": -5,
        "due": date(2026, 11, 28),
        "at": datetime(2026, 11, 28, 1, 30, tzinfo=UTC),
        "flag": True,
        "empty": None,
    },
    {
        "code": "+886-2-1234",
        "name": "-負號開頭",
        "note": "@mention\ttab",
        "amount": Decimal("0"),
        "count": 0,
        "due": None,
        "at": None,
        "flag": False,
        "empty": "",
    },
    {
        "code": "'=already quoted",
        "name": "'plain quote",
        "note": "\t=tab first",
        "amount": 1.5,
        "count": 10**12,
        "due": date(1999, 12, 31),
        "at": datetime(2026, 11, 28, 9, 30, 15),
        "flag": None,
        "empty": "臺灣 ｜ 全形",
    },
]


def expected_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def normalise(value: str | None, fmt: str) -> str | None:
    """CSV cannot tell an empty text from no value; XLSX stores no empty text."""
    if fmt in ("csv", "xlsx") and value == "":
        return None
    return value


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"out.{fmt}"
    writer = open_writer(path, fmt, COLUMNS)
    for row in TRICKY:
        writer.write(row)
    writer.close()
    reader, rows = read(path, fmt)
    assert reader.columns == COLUMNS
    assert all(r.problem is None for r in rows)
    undo = unneutralise if fmt in ("csv", "xlsx") else (lambda text: text)
    got = [
        {k: normalise(undo(v) if v is not None else None, fmt) for k, v in r.values.items()}
        for r in rows
    ]
    want = [{k: normalise(expected_text(v), fmt) for k, v in row.items()} for row in TRICKY]
    if fmt == "xlsx":
        # Numbers come back as Excel stores them (-12.5, not -12.50), and XML
        # reads a carriage return as a line feed.
        want[0]["amount"] = "-12.5"
        want[0]["note"] = want[0]["note"].replace("\r\n", "\n")
    assert got == want


def test_csv_is_utf8_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    writer = open_writer(path, "csv", ["代碼", "說明"])
    writer.write({"代碼": "A", "說明": "有,逗號"})
    writer.write({"代碼": "B"})
    writer.close()
    assert path.read_bytes() == codecs.BOM_UTF8 + '代碼,說明\r\nA,"有,逗號"\r\nB,\r\n'.encode()


def test_csv_neutralises_text_not_numbers(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    writer = open_writer(path, "csv", ["t", "n"])
    writer.write({"t": "=1+2", "n": -3})
    writer.write({"t": "-3", "n": Decimal("-3.5")})
    writer.close()
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    assert lines[1:3] == ["'=1+2,-3", "-3,-3.5"]


def test_neutralise_off_writes_text_as_is(tmp_path: Path) -> None:
    path = tmp_path / "raw.csv"
    writer = open_writer(path, "csv", ["t"], neutralise=False)
    writer.write({"t": "=1+2"})
    writer.close()
    assert path.read_bytes().decode("utf-8-sig").split("\r\n")[1] == "=1+2"


@pytest.mark.parametrize("neutralised", [True, False])
def test_xlsx_text_is_never_a_formula(tmp_path: Path, neutralised: bool) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "f.xlsx"
    writer = open_writer(path, "xlsx", ["t", "n"], neutralise=neutralised)
    writer.write({"t": "=SUM(A1:A9)", "n": -4})
    writer.close()
    sheet = load_workbook(path).active
    cell = sheet["A2"]
    assert cell.data_type == "s"
    assert cell.value == ("'=SUM(A1:A9)" if neutralised else "=SUM(A1:A9)")
    assert sheet["B2"].value == -4 and sheet["B2"].data_type == "n"


def test_xlsx_rejects_what_excel_cannot_hold(tmp_path: Path) -> None:
    writer = open_writer(tmp_path / "x.xlsx", "xlsx", ["t"])
    with pytest.raises(ValidationError, match="control character"):
        writer.write({"t": "bell\x07"})
    with pytest.raises(ValidationError, match="longer than an Excel cell"):
        writer.write({"t": "長" * 40_000})
    writer.close()


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "+1"),
        ("-1", "-1"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=1", "''=1"),
        ("'plain", "'plain"),
        ("plain", "plain"),
        ("", ""),
        ("'", "'"),
        ("中=1", "中=1"),
    ],
)
def test_neutralise_examples(text: str, safe: str) -> None:
    assert neutralise(text) == safe
    assert unneutralise(safe) == text


@given(st.text())
def test_neutralise_round_trips_and_is_safe(text: str) -> None:
    safe = neutralise(text)
    assert unneutralise(safe) == text
    assert not safe.startswith(("=", "@", "\t", "\r"))
    if safe.startswith(("+", "-")):  # a number or a telephone number: digits, no formula
        assert set(safe[1:]) <= set("0123456789 .,-()") and any(c.isdigit() for c in safe)


def test_json_writer_streams_a_valid_array(tmp_path: Path) -> None:
    path = tmp_path / "o.json"
    writer = open_writer(path, "json", ["a", "b"])
    writer.close()
    assert json.loads(path.read_text("utf-8")) == []
    writer = open_writer(path, "json", ["a", "b"])
    writer.write({"a": "中", "b": Decimal("1.10")})
    writer.write({"a": None, "b": 2})
    writer.close()
    text = path.read_text("utf-8")
    assert "1.10" in text and "中" in text  # exact decimals, no \\u escapes
    assert json.loads(text) == [{"a": "中", "b": 1.1}, {"a": None, "b": 2}]


def test_json_writer_refuses_nan(tmp_path: Path) -> None:
    writer = open_writer(tmp_path / "o.json", "json", ["a"])
    with pytest.raises(ValidationError, match="cannot be written to JSON"):
        writer.write({"a": float("nan")})
    writer.close()


def test_writer_refuses_unknown_columns(tmp_path: Path) -> None:
    writer = open_writer(tmp_path / "o.csv", "csv", ["a"])
    with pytest.raises(ValueError, match="unknown columns: b"):
        writer.write({"a": 1, "b": 2})
    writer.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_streams_passed_in_are_not_closed(fmt: str) -> None:
    target = io.BytesIO()
    writer = open_writer(target, fmt, ["名稱"])
    writer.write({"名稱": "甲乙丙丁"})
    writer.close()
    assert not target.closed
    source = io.BytesIO(target.getvalue())
    reader = open_reader(source, fmt)
    assert [r.values for r in reader] == [{"名稱": "甲乙丙丁"}]
    assert not source.closed


def test_xlsx_from_a_pipe(tmp_path: Path) -> None:
    target = io.BytesIO()
    writer = open_writer(target, "xlsx", ["a"])
    writer.write({"a": "甲"})
    writer.close()

    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            return self._data.readinto(buffer)

    reader = open_reader(io.BufferedReader(Pipe(target.getvalue())), "xlsx")
    assert [r.values for r in reader] == [{"a": "甲"}]


def test_csv_reader_streams(tmp_path: Path) -> None:
    stream = CountingStream(rows=2_000_000)  # about 300 MB if it were read whole
    reader = open_reader(io.BufferedReader(stream), "csv")
    rows = iter(reader)
    for _ in range(100):
        next(rows)
    assert stream.taken < 2 * enc.SAMPLE_SIZE


def test_reader_closes_the_file_it_opened(tmp_path: Path) -> None:
    path = write_file(tmp_path / "a.csv", b"a\n1\n")
    reader = open_reader(path, "csv")
    list(reader)
    assert reader._source.stream.closed
    with pytest.raises(RuntimeError):
        list(reader)


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot open"):
        open_reader(tmp_path / "nope.csv", "csv")


def test_timedelta_is_not_written_silently(tmp_path: Path) -> None:
    writer = open_writer(tmp_path / "o.csv", "csv", ["a"])
    with pytest.raises(TypeError, match="timedelta"):
        writer.write({"a": timedelta(days=1)})
    writer.close()


# --- rows as value lists (what bulk import and export use) ---------------------------------

PLAIN_VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from(["", "a", "-1", "=1+2", "'=x", "''@y", "\tz", "\rw", "a,b", '"q"', "中\x00文"]),
    st.text(max_size=6),
    st.booleans(),
    st.sampled_from([1.5, -0.25, Decimal("-12.50"), date(2026, 11, 28)]),
)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.lists(PLAIN_VALUES, min_size=3, max_size=3), max_size=30))
def test_write_rows_writes_what_write_writes(fmt: str, rows: list[list[object]]) -> None:
    columns = ["a", "b", "c"]
    written = []
    for bulk in (False, True):
        target = io.BytesIO()
        writer = open_writer(target, fmt, columns)
        try:
            if bulk:
                writer.write_rows(tuple(row) for row in rows)
            else:
                for row in rows:
                    writer.write(dict(zip(columns, row, strict=True)))
        except ValidationError:
            written.append("refused")  # XLSX refuses control characters either way
            with contextlib.suppress(Exception):
                writer.close()
            continue
        writer.close()
        written.append(target.getvalue() if fmt != "xlsx" else read_xlsx_values(target))
    assert written[0] == written[1]


def read_xlsx_values(target: io.BytesIO) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    target.seek(0)
    return list(load_workbook(target, read_only=True).worksheets[0].iter_rows(values_only=True))


def test_csv_write_rows_neutralises_and_checks_width(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    writer = open_writer(path, "csv", ["t", "n"])
    writer.write_rows([("=1+2", -3), ("ok", 4), (None, None)])
    with pytest.raises(ValueError, match="3 values for 2 columns"):
        writer.write_rows([("a", 1, 2)])
    writer.close()
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    assert lines[1:4] == ["'=1+2,-3", "ok,4", ","]


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("csv", b'a,b\n1,2\n\n3\n"x",4,5\n,,\n \t, \n6,7,\n8,\x00\n'),
        ("jsonl", b'{"a": "1", "b": 2}\n{"b": null}\n[1]\nnot json\n{"c": 3}\n'),
        ("json", b'[{"a": "1", "b": 2}, {"b": null, "a": "x"}, 5, {"c": 3}]'),
    ],
)
def test_cells_are_the_rows_in_column_order(tmp_path: Path, fmt: str, data: bytes) -> None:
    path = write_file(tmp_path / f"in.{fmt}", data)
    expected = [
        (row.line, [row.values.get(c) for c in reader.columns], row.problem)
        for reader in [open_reader(path, fmt)]
        for row in reader
    ]
    reader = open_reader(path, fmt)
    assert list(reader.cells()) == expected
    with pytest.raises(RuntimeError, match="only once"):
        list(reader.cells())
