"""Writers of the export file formats: CSV, JSON, JSONL and XLSX, and formula safety.

Writers stream: rows go to the target as they come, except a workbook, which
openpyxl's write-only mode keeps on disk until it is saved at ``close()``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from specialops.errors import UsageError, ValidationError
from specialops.io.formats import FORMATS

# Text that a spreadsheet would run as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")
# A cell that may need neutralising (or is a negative number) in NUL-prefixed cells.
# It starts with a literal, so the regex engine skips ahead to each NUL at C speed.
_FORMULA_CELL = re.compile(r"\x00'*[=+\-@\t\r]")
# Values the csv module writes exactly as _plain_text does.
_CSV_PLAIN = frozenset({str, int, type(None)})

XLSX_MAX_CELL = 32_767
XLSX_MAX_ROWS = 1_048_576
_WRITE_BLOCK = 1000


class Writer(Protocol):
    def write(self, values: Mapping[str, object]) -> None: ...

    def write_rows(self, rows: Iterable[Sequence[object]]) -> None: ...

    def close(self) -> None: ...


# --- neutralising spreadsheet formulas --------------------------------------


def neutralise(text: str) -> str:
    """``text`` made safe to open in a spreadsheet: a leading ``'`` if it could start a formula.

    Text that already starts with quotes followed by a formula character gets
    one more quote, so that :func:`unneutralise` gives back exactly the original.
    """
    return "'" + text if _NEEDS_QUOTE.match(text) else text


def unneutralise(text: str) -> str:
    """Undo :func:`neutralise`: strip one leading ``'`` when the rest starts like a formula."""
    return text[1:] if _QUOTED.match(text) else text


def _plain_text(value: object, column: str) -> str:
    """Text of a value for CSV; dates ISO 8601, booleans true/false, None empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    raise TypeError(f"column '{column}': cannot write a {type(value).__name__} value")


def _json_value(value: object, column: str) -> str:
    """``value`` as JSON text; Decimals are written as exact JSON numbers."""
    if value is None or isinstance(value, (str, bool, int)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        try:
            return json.dumps(value, allow_nan=False)
        except ValueError:
            raise ValidationError(f"column '{column}': {value} cannot be written to JSON") from None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValidationError(f"column '{column}': {value} cannot be written to JSON")
        return format(value, "f")
    return json.dumps(_plain_text(value, column), ensure_ascii=False)


class _TargetWriter:
    """Common handling of the output stream and of the column set."""

    def __init__(self, target: Path | BinaryIO, columns: list[str]) -> None:
        if len(set(columns)) != len(columns):
            raise ValueError("duplicate column names")
        self.columns = list(columns)
        self._known = set(columns)
        if isinstance(target, (str, Path)):
            try:
                self._stream: BinaryIO = open(target, "wb")  # noqa: SIM115 - closed by close()
            except OSError as exc:
                raise UsageError(f"cannot write '{target}': {exc.strerror}") from None
            self._owned = True
        else:
            self._stream = target
            self._owned = False
        self.closed = False

    def _ordered(self, values: Mapping[str, object]) -> list[object]:
        unknown = [key for key in values if key not in self._known]
        if unknown:
            raise ValueError(f"unknown columns: {', '.join(map(str, unknown))}")
        return [values.get(name) for name in self.columns]

    def write(self, values: Mapping[str, object]) -> None:
        """Write one row given as column → value."""
        self._write_values(self._ordered(values))

    def write_rows(self, rows: Iterable[Sequence[object]]) -> None:
        """Write rows given as values in the order of the columns (what an export streams)."""
        width = len(self.columns)
        for row in rows:
            if len(row) != width:
                raise ValueError(f"a row of {len(row)} values for {width} columns")
            self._write_values(row)

    def _write_values(self, values: Sequence[object]) -> None:
        raise NotImplementedError

    def __enter__(self) -> _TargetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError


class _TextWriter(_TargetWriter):
    def __init__(self, target: Path | BinaryIO, columns: list[str]) -> None:
        super().__init__(target, columns)
        self._text = io.TextIOWrapper(self._stream, encoding="utf-8", newline="")

    def close(self) -> None:
        """Finish the file; a stream passed in (standard output) is flushed, not closed."""
        if self.closed:
            return
        self.closed = True
        self._finish()
        if self._owned:
            self._text.close()
        else:
            self._text.flush()
            self._text.detach()
            self._stream.flush()

    def _finish(self) -> None:
        pass


class CsvWriter(_TextWriter):
    """UTF-8 with a byte-order mark (Excel opens it right), CRLF line ends, minimal quoting."""

    def __init__(self, target: Path | BinaryIO, columns: list[str], *, neutralise: bool) -> None:
        super().__init__(target, columns)
        self._neutralise = neutralise
        self._text.write("\ufeff")
        self._csv = csv.writer(self._text, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        self._csv.writerow(self.columns)

    def _write_values(self, values: Sequence[object]) -> None:
        """Write one row; text that could start a formula is neutralised (numbers are not text)."""
        cells = []
        for name, value in zip(self.columns, values, strict=True):
            text = _plain_text(value, name)
            if self._neutralise and isinstance(value, str):
                text = neutralise(text)
            cells.append(text)
        self._csv.writerow(cells)

    def write_rows(self, rows: Iterable[Sequence[object]]) -> None:
        """Write rows of values in column order, exactly as :meth:`write` would.

        Rows are handled a block at a time: when every value of the block is
        text, an int or None and no cell could start a formula (one regular
        expression over the block's joined text), the csv module writes the
        block as it is; otherwise each row takes the careful path.
        """
        block: list[Sequence[object]] = []
        for row in rows:
            block.append(row)
            if len(block) >= _WRITE_BLOCK:
                self._write_block(block)
                block = []
        if block:
            self._write_block(block)

    def _write_block(self, block: list[Sequence[object]]) -> None:
        width = len(self.columns)
        cells = chain.from_iterable
        plain = (
            set(map(len, block)) == {width}
            and set(map(type, cells(block))) <= _CSV_PLAIN
            and not (
                self._neutralise
                and _FORMULA_CELL.search("\x00" + "\x00".join(map(str, cells(block))))
            )
        )
        if plain:
            self._csv.writerows(block)
        else:
            super().write_rows(block)


class JsonWriter(_TextWriter):
    """A JSON array written object by object (never held whole), UTF-8."""

    def __init__(self, target: Path | BinaryIO, columns: list[str]) -> None:
        super().__init__(target, columns)
        self._keys = [json.dumps(name, ensure_ascii=False) for name in self.columns]
        self._count = 0
        self._text.write("[")

    def _object(self, values: Sequence[object]) -> str:
        parts = (
            f"{key}: {_json_value(value, name)}"
            for key, name, value in zip(self._keys, self.columns, values, strict=True)
        )
        return "{" + ", ".join(parts) + "}"

    def _write_values(self, values: Sequence[object]) -> None:
        """Write one object."""
        self._text.write(("\n  " if self._count == 0 else ",\n  ") + self._object(values))
        self._count += 1

    def _finish(self) -> None:
        self._text.write("\n]\n")


class JsonlWriter(JsonWriter):
    """One JSON object per line, UTF-8."""

    def __init__(self, target: Path | BinaryIO, columns: list[str]) -> None:
        _TextWriter.__init__(self, target, columns)
        self._keys = [json.dumps(name, ensure_ascii=False) for name in self.columns]
        self._count = 0

    def _write_values(self, values: Sequence[object]) -> None:
        """Write one line."""
        self._text.write(self._object(values) + "\n")
        self._count += 1

    def _finish(self) -> None:
        pass


class XlsxWriter(_TargetWriter):
    """An Excel workbook with one sheet, streamed to disk by openpyxl's write-only mode.

    Text is always stored as text (never as a formula, even unneutralised).
    XML turns a carriage return into a line feed, so "\\r\\n" in a text reads
    back as "\\n", as in a cell typed in Excel.
    Dates and naive date-times become Excel dates; aware date-times are
    written as ISO 8601 text, since Excel has no time zones.
    """

    def __init__(
        self,
        target: Path | BinaryIO,
        columns: list[str],
        *,
        neutralise: bool,
        title: str | None = None,
    ) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        super().__init__(target, columns)
        self._neutralise = neutralise
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet(title=(title or "Sheet1")[:31])
        self._cell = WriteOnlyCell
        bold = Font(bold=True)
        header = []
        for name in self.columns:
            cell = WriteOnlyCell(self._sheet, value=name)
            cell.data_type = "s"
            cell.font = bold
            header.append(cell)
        self._sheet.append(header)
        self._rows = 1

    def _text_cell(self, text: str, column: str) -> Any:
        from openpyxl.utils.exceptions import IllegalCharacterError

        if len(text) > XLSX_MAX_CELL:
            raise ValidationError(
                f"column '{column}': a text of {len(text)} characters is longer than an "
                f"Excel cell holds ({XLSX_MAX_CELL}); export as csv or json"
            )
        try:
            cell = self._cell(self._sheet, value=text)
        except IllegalCharacterError:
            raise ValidationError(
                f"column '{column}': the text holds a control character that XLSX cannot "
                "store; export as csv or json"
            ) from None
        cell.data_type = "s"  # never a formula
        return cell

    def _write_values(self, values: Sequence[object]) -> None:
        """Write one row."""
        if self._rows >= XLSX_MAX_ROWS:
            raise ValidationError(f"an Excel sheet holds at most {XLSX_MAX_ROWS} rows")
        row: list[object] = []
        for name, value in zip(self.columns, values, strict=True):
            row.append(self._value(value, name))
        self._sheet.append(row)
        self._rows += 1

    def _value(self, value: object, column: str) -> object:
        if value is None or isinstance(value, (bool, int, float, Decimal)):
            return value
        if isinstance(value, str):
            return self._text_cell(neutralise(value) if self._neutralise else value, column)
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                return self._text_cell(value.isoformat(), column)
            cell = self._cell(self._sheet, value=value)
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
            return cell
        if isinstance(value, date):
            cell = self._cell(self._sheet, value=value)
            cell.number_format = "yyyy-mm-dd"
            return cell
        return self._text_cell(_plain_text(value, column), column)

    def close(self) -> None:
        """Save the workbook; a stream passed in (standard output) is flushed, not closed."""
        if self.closed:
            return
        self.closed = True
        try:
            self._workbook.save(self._stream)
        finally:
            if self._owned:
                self._stream.close()
            else:
                self._stream.flush()


def open_writer(
    target: Path | BinaryIO,
    fmt: str,
    columns: list[str],
    *,
    neutralise: bool = True,
    title: str | None = None,
) -> Writer:
    """A writer of ``fmt`` to ``target`` (a path, or a binary stream such as ``sys.stdout.buffer``).

    ``neutralise`` (CSV and XLSX only) prefixes text that a spreadsheet would
    run as a formula with ``'`` (see :func:`neutralise`); only ``str`` values are
    text, so pass numbers as int, float or Decimal. ``title`` names the XLSX
    sheet. Call ``close()`` to finish the file.
    """
    if fmt == "csv":
        return CsvWriter(target, columns, neutralise=neutralise)
    if fmt == "json":
        return JsonWriter(target, columns)
    if fmt == "jsonl":
        return JsonlWriter(target, columns)
    if fmt == "xlsx":
        return XlsxWriter(target, columns, neutralise=neutralise, title=title)
    raise UsageError(f"unknown format '{fmt}'; use one of: {', '.join(FORMATS)}")


def write_all(writer: Writer, rows: Iterable[Mapping[str, object]]) -> int:
    """Write every row and close the writer; the number of rows written."""
    count = 0
    try:
        for row in rows:
            writer.write(row)
            count += 1
    finally:
        writer.close()
    return count
