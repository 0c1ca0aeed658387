"""Fuzzing the readers: whatever the bytes, only our own errors, and well-formed rows."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specialops.errors import SpecialopsError
from specialops.io.formats import FORMATS, open_reader
from specialops.io.writers import open_writer

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ENCODINGS = st.sampled_from(["auto", "auto", "utf-8", "gbk", "big5", "utf-16", "utf-16-le"])


def read_all(data: bytes, fmt: str, encoding: str = "auto") -> None:
    """Read every row; fail on any exception that is not a SpecialopsError."""
    try:
        reader = open_reader(io.BytesIO(data), fmt, encoding)
        assert isinstance(reader.columns, list)
        assert all(isinstance(name, str) and name for name in reader.columns)
        assert reader.encoding is None or isinstance(reader.encoding, str)
        for row in reader:
            assert isinstance(row.line, int) and row.line >= 1
            assert isinstance(row.values, dict)
            for key, value in row.values.items():
                assert isinstance(key, str)
                assert value is None or isinstance(value, str)
            assert row.problem is None or (isinstance(row.problem, str) and row.problem)
    except SpecialopsError as error:
        assert str(error)


# --- random bytes ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@FUZZ
@given(data=st.binary(max_size=2048), encoding=ENCODINGS)
def test_random_bytes(fmt: str, data: bytes, encoding: str) -> None:
    read_all(data, fmt, encoding)


# --- structured but broken ---------------------------------------------------------------

CSV_PIECES = st.sampled_from(
    [
        ",",
        ";",
        "\t",
        "|",
        '"',
        '""',
        "\n",
        "\r",
        "\r\n",
        " ",
        "a",
        "代碼",
        "名稱",
        "中",
        "😀",
        "\x00",
        "\ufeff",
        "=1+1",
        "'",
        "\\",
        "0",
        "-",
    ]
)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    text = "".join(draw(st.lists(CSV_PIECES, max_size=60)))
    codec = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "cp950"]))
    return text.encode(codec, "replace")


@FUZZ
@given(data=csv_bytes(), encoding=ENCODINGS)
def test_broken_csv(data: bytes, encoding: str) -> None:
    read_all(data, "csv", encoding)


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=10),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@st.composite
def mangled(draw: st.DrawFn, text: str) -> bytes:
    """``text`` encoded, then cut, spliced or sprinkled with stray bytes."""
    data = bytearray(text.encode(draw(st.sampled_from(["utf-8", "utf-16", "gb18030"]))))
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["cut", "insert", "flip", "delete"]))
        at = draw(st.integers(0, len(data)))
        if action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(
                st.sampled_from([b"[", b"]", b"{", b"}", b",", b'"', b"\n", b"\xff", b":", b"\x00"])
            )
        elif action == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif action == "delete" and at < len(data):
            del data[at]
    return bytes(data)


@FUZZ
@given(st.data())
def test_broken_json(data: st.DataObject) -> None:
    document = data.draw(st.lists(JSON_VALUES, max_size=4) | JSON_VALUES)
    read_all(
        data.draw(mangled(json.dumps(document, ensure_ascii=data.draw(st.booleans())))), "json"
    )


@FUZZ
@given(st.data())
def test_broken_jsonl(data: st.DataObject) -> None:
    items = data.draw(st.lists(JSON_VALUES, max_size=5))
    text = "\n".join(json.dumps(item, ensure_ascii=False) for item in items)
    read_all(data.draw(mangled(text)), "jsonl")


def _workbook(rows: list[list[object]]) -> bytes:
    target = io.BytesIO()
    writer = open_writer(target, "xlsx", ["代碼", "名稱", "數量"])
    for row in rows:
        writer.write(dict(zip(["代碼", "名稱", "數量"], row, strict=False)))
    writer.close()
    return target.getvalue()


VALID_XLSX = _workbook([["P-1", "項目甲", 3], ["P-2", "=1+1", -4.5], ["P-3", None, None]])


@FUZZ
@given(st.data())
def test_broken_xlsx(data: st.DataObject) -> None:
    workbook = bytearray(VALID_XLSX)
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["cut", "flip", "splice"]))
        at = data.draw(st.integers(0, len(workbook) - 1))
        if action == "cut":
            del workbook[max(at, 4) :]
        elif action == "flip":
            workbook[at] ^= data.draw(st.integers(1, 255))
        else:
            workbook[at:at] = data.draw(st.binary(min_size=1, max_size=16))
    read_all(bytes(workbook), "xlsx")


def test_valid_workbook_reads() -> None:
    # The seed of the XLSX fuzzing is itself a readable workbook.
    rows = list(open_reader(io.BytesIO(VALID_XLSX), "xlsx"))
    assert [row.values["代碼"] for row in rows] == ["P-1", "P-2", "P-3"]
