"""Writers of the export file formats: CSV, JSON, JSONL and XLSX, and formula safety.

Writers stream: rows go to the target as they come, except a workbook, which
openpyxl's write-only mode keeps on disk until it is saved at ``close()``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from specialops.errors import UsageError, ValidationError
from specialops.io.formats import FORMATS
from specialops.text_rules import describe

# A number as an export writes it, or with thousands separators: -12.5, -1,234.50, .5.
_NUMBER = r"(?:[0-9]{1,3}(?:,[0-9]{3})++(?:\.[0-9]++)?|[0-9]++(?:\.[0-9]++)?|\.[0-9]++)"
# A telephone number's digit groups: 86 (21) 6123-4567, 138.0013.8000.
_GROUP = r"(?:[0-9]++|\([0-9]++\))"
_PHONE = rf"{_GROUP}(?:[ .\-]?{_GROUP})*+"
# What a spreadsheet reads as a number or an arithmetic of digits, never a call or a reference.
_SIGNED = rf"(?:[+-]{_NUMBER}|\+{_PHONE})"


def _formula_start(end: str) -> str:
    """The start of text that a spreadsheet would run as a formula (OWASP "CSV injection"),
    after any quotes already there; ``end`` ends the text. Possessive quantifiers keep
    it linear on any text."""
    return rf"(?:[=@\t\r]|(?!{_SIGNED}{end})[+-])"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what may start one (not all of it does)
_STARTS_FORMULA = _formula_start(r"\Z")
_NEEDS_QUOTE = re.compile(rf"'*+{_STARTS_FORMULA}")
_QUOTED = re.compile(rf"'++{_STARTS_FORMULA}")
# The same rule over NUL-prefixed cells, each ending at the next NUL: valid only when no
# cell holds a NUL itself. It starts with a literal, so the regex engine skips ahead to
# each NUL at C speed.
_CELL_STARTS_FORMULA = _formula_start(r"(?:\x00|\Z)")
_FORMULA_CELL = re.compile(rf"\x00'*+{_CELL_STARTS_FORMULA}")
# Values the csv module writes exactly as _plain_text does.
_CSV_PLAIN = frozenset({str, int, type(None)})

XLSX_MAX_CELL = 32_767
XLSX_MAX_ROWS = 1_048_576
_WRITE_BLOCK = 1000


class Writer(Protocol):
    written: int

    def write(self, values: Mapping[str, object]) -> None: ...

    def write_rows(self, rows: Iterable[Sequence[object]]) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...


class CellRefused(ValidationError):
    """A value the format cannot hold, in ``column`` of the row after the ``row`` written.

    ``record`` is for the caller to name the row by (an export sets its key).
    """

    def __init__(self, column: str, reason: str, row: int) -> None:
        super().__init__(f"column {column}: {reason}", field=column)
        self.column = column
        self.reason = reason
        self.row = row
        self.record: object = None


# --- neutralising spreadsheet formulas --------------------------------------


def neutralise(text: str) -> str:
    """``text`` made safe to open in a spreadsheet: a leading ``'`` if it could start a formula.

    Text could start a formula when, after any quotes it starts with, it starts
    with ``=``, ``@``, a tab or a carriage return, or with ``+`` or ``-`` unless
    the whole rest is

    - a number: ``-12.5``, ``+3``, ``-.5``, ``-1,234.50`` (thousands in groups of three), or
    - after ``+``, a telephone number: groups of ASCII digits, each group bare
      or in parentheses, with at most one space, dot or dash between groups
      (``+86 138 0013 8000``, ``+86 (21) 6123-4567``, ``+886-2-1234``).

    Those a spreadsheet takes as a number or an arithmetic of digits at most: no
    function, cell reference or DDE call is made of digits alone. Anything else
    after a sign is neutralised: ``-1+cmd|' /C calc'!A0``, ``+A1``, ``- 備註``,
    ``-`` and ``--``, ``-1-1`` (a phone number never starts with ``-``).

    Text that already starts with quotes followed by such a start gets one more
    quote, so that :func:`unneutralise` gives back exactly the original.
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


def _json_value(value: object, column: str, row: int) -> str:
    """``value`` as JSON text; Decimals are written as exact JSON numbers, dates as ISO text."""
    if value is None or isinstance(value, (str, bool, int)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellRefused(column, f"{value} cannot be written to JSON", row)
        return json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CellRefused(column, f"{value} cannot be written to JSON", row)
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
        self.written = 0  # rows written so far

    def _ordered(self, values: Mapping[str, object]) -> list[object]:
        unknown = [key for key in values if key not in self._known]
        if unknown:
            raise ValueError(f"unknown columns: {', '.join(map(str, unknown))}")
        return [values.get(name) for name in self.columns]

    def write(self, values: Mapping[str, object]) -> None:
        """Write one row given as column → value."""
        self._write_values(self._ordered(values))
        self.written += 1

    def write_rows(self, rows: Iterable[Sequence[object]]) -> None:
        """Write rows given as values in the order of the columns (what an export streams)."""
        width = len(self.columns)
        for row in rows:
            if len(row) != width:
                raise ValueError(f"a row of {len(row)} values for {width} columns")
            self._write_values(row)
            self.written += 1

    def _write_values(self, values: Sequence[object]) -> None:
        raise NotImplementedError

    def __enter__(self) -> _TargetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        """Stop without finishing the file, which the caller throws away; close() does nothing."""
        self.closed = True


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
        expression over the block's joined text, when no cell holds a NUL),
        the csv module writes the block as it is; otherwise each row takes the
        careful path.
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
        plain = set(map(len, block)) == {width} and set(map(type, cells(block))) <= _CSV_PLAIN
        if plain and self._neutralise:
            joined = "\x00" + "\x00".join(map(str, cells(block)))
            plain = joined.count("\x00") == width * len(block) and not _FORMULA_CELL.search(joined)
        if plain:
            self._csv.writerows(block)
            self.written += len(block)
        else:
            super().write_rows(block)


class JsonWriter(_TextWriter):
    """A JSON array written object by object (never held whole), UTF-8."""

    def __init__(self, target: Path | BinaryIO, columns: list[str]) -> None:
        super().__init__(target, columns)
        self._keys = [json.dumps(name, ensure_ascii=False) for name in self.columns]
        self._text.write("[")

    def _object(self, values: Sequence[object]) -> str:
        parts = (
            f"{key}: {_json_value(value, name, self.written)}"
            for key, name, value in zip(self._keys, self.columns, values, strict=True)
        )
        return "{" + ", ".join(parts) + "}"

    def _write_values(self, values: Sequence[object]) -> None:
        """Write one object."""
        self._text.write(("\n  " if self.written == 0 else ",\n  ") + self._object(values))

    def _finish(self) -> None:
        self._text.write("\n]\n")


class JsonlWriter(JsonWriter):
    """One JSON object per line, UTF-8."""

    def __init__(self, target: Path | BinaryIO, columns: list[str]) -> None:
        _TextWriter.__init__(self, target, columns)
        self._keys = [json.dumps(name, ensure_ascii=False) for name in self.columns]

    def _write_values(self, values: Sequence[object]) -> None:
        """Write one line."""
        self._text.write(self._object(values) + "\n")

    def _finish(self) -> None:
        pass


class XlsxWriter(_TargetWriter):
    """An Excel workbook with one sheet, streamed to disk by openpyxl's write-only mode.

    Text is always stored as text (never as a formula, even unneutralised).
    XML turns a carriage return into a line feed, so "\\r\\n" in a text reads
    back as "\\n", as in a cell typed in Excel.
    Numbers are numbers as long as Excel keeps them exactly (15 significant
    digits), else their text; ``number_formats`` gives a column's format
    (``#,##0.00``). Dates and naive date-times become Excel dates; aware
    date-times are written as ISO 8601 text, since Excel has no time zones.
    The header row is bold on a fill and stays in view (frozen); ``widths``
    gives columns their width. ``scratch`` names a private file to hold the
    sheet while it is written (else openpyxl makes one in the temporary folder).
    """

    def __init__(
        self,
        target: Path | BinaryIO,
        columns: list[str],
        *,
        neutralise: bool,
        title: str | None = None,
        number_formats: Mapping[str, str] | None = None,
        widths: Mapping[str, float] | None = None,
        scratch: Path | None = None,
    ) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        super().__init__(target, columns)
        self._neutralise = neutralise
        self._illegal = ILLEGAL_CHARACTERS_RE
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet(title=(title or "Sheet1")[:31])
        self._cell = WriteOnlyCell
        formats = number_formats or {}
        self._formats = [formats.get(name) for name in self.columns]
        self._lay_out(widths or {})
        if scratch is not None:
            self._write_sheet_to(scratch)
        self._sheet.append(self._header())

    def _lay_out(self, widths: Mapping[str, float]) -> None:
        """Column widths and the frozen header: set before the first row, as write-only needs."""
        from openpyxl.utils import get_column_letter

        for index, name in enumerate(self.columns, 1):
            if name in widths:
                self._sheet.column_dimensions[get_column_letter(index)].width = widths[name]
        self._sheet.freeze_panes = "A2"

    def _write_sheet_to(self, path: Path) -> None:
        """Have openpyxl write the sheet's XML to ``path`` (removed once the workbook is saved)."""
        from openpyxl.worksheet import _writer

        writer = _writer.WorksheetWriter(self._sheet, out=str(path))
        _writer.ALL_TEMP_FILES.append(str(path))  # its cleanup() takes the name off this list
        self._sheet._writer = writer
        writer.write_top()

    def _header(self) -> list[Any]:
        from openpyxl.styles import Font, PatternFill

        bold = Font(bold=True)
        fill = PatternFill(fill_type="solid", fgColor="DDEBF7")
        header = []
        for name in self.columns:
            cell = self._cell(self._sheet, value=name)
            cell.data_type = "s"
            cell.font = bold
            cell.fill = fill
            header.append(cell)
        return header

    def _text_cell(self, text: str, column: str) -> Any:
        from openpyxl.utils.exceptions import IllegalCharacterError

        if len(text) > XLSX_MAX_CELL:
            raise CellRefused(
                column,
                f"a text of {len(text):,} characters is longer than an Excel cell holds "
                f"({XLSX_MAX_CELL:,}); export as csv or json",
                self.written,
            )
        try:
            cell = self._cell(self._sheet, value=text)
        except IllegalCharacterError:
            found = self._illegal.search(text)
            assert found is not None
            raise CellRefused(
                column,
                f"the text holds the control character {describe(found.group())} at character "
                f"{found.start() + 1}, which XLSX cannot store; export as csv or json",
                self.written,
            ) from None
        cell.data_type = "s"  # never a formula
        return cell

    def _write_values(self, values: Sequence[object]) -> None:
        """Write one row."""
        if self._rows_in_sheet() >= XLSX_MAX_ROWS:
            raise ValidationError(f"an Excel sheet holds at most {XLSX_MAX_ROWS:,} rows")
        row = [
            self._value(value, name, number_format)
            for name, value, number_format in zip(self.columns, values, self._formats, strict=True)
        ]
        self._sheet.append(row)

    def _rows_in_sheet(self) -> int:
        return self.written + 1  # the header

    def _value(self, value: object, column: str, number_format: str | None) -> object:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, (int, float, Decimal)):
            return self._number(value, column, number_format)
        if isinstance(value, str):
            return self._text_cell(neutralise(value) if self._neutralise else value, column)
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                return self._text_cell(value.isoformat(), column)
            return self._formatted(value, number_format or "yyyy-mm-dd hh:mm:ss")
        if isinstance(value, date):
            return self._formatted(value, number_format or "yyyy-mm-dd")
        return self._text_cell(_plain_text(value, column), column)

    def _number(
        self, value: int | float | Decimal, column: str, number_format: str | None
    ) -> object:
        """A number cell, or the number's text when Excel would not keep it exactly."""
        if not _finite(value):
            raise CellRefused(column, f"{value} is not a number a workbook can hold", self.written)
        if not excel_keeps(value):
            return self._text_cell(neutralise(_plain_text(value, column)), column)
        return value if number_format is None else self._formatted(value, number_format)

    def _formatted(self, value: object, number_format: str) -> Any:
        cell = self._cell(self._sheet, value=value)
        cell.number_format = number_format
        return cell

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


EXCEL_DIGITS = 15  # significant digits Excel keeps of a number


def _finite(value: int | float | Decimal) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    return not isinstance(value, float) or math.isfinite(value)


def excel_keeps(value: int | float | Decimal) -> bool:
    """Whether a workbook holds ``value`` exactly as a number: at most 15 significant digits.

    (openpyxl writes 16 and Excel shows 15; a longer number is written as its text.)
    """
    if isinstance(value, int):
        return -(10**EXCEL_DIGITS) < value < 10**EXCEL_DIGITS
    if not _finite(value):
        return False
    number = Decimal(repr(value)) if isinstance(value, float) else value
    if not number:
        return True
    digits = "".join(map(str, number.as_tuple().digits)).strip("0")
    return len(digits) <= EXCEL_DIGITS and -300 <= number.adjusted() <= 300


def open_writer(
    target: Path | BinaryIO,
    fmt: str,
    columns: list[str],
    *,
    neutralise: bool = True,
    title: str | None = None,
    number_formats: Mapping[str, str] | None = None,
    widths: Mapping[str, float] | None = None,
    scratch: Path | None = None,
) -> Writer:
    """A writer of ``fmt`` to ``target`` (a path, or a binary stream such as ``sys.stdout.buffer``).

    ``neutralise`` (CSV and XLSX only) prefixes text that a spreadsheet would
    run as a formula with ``'`` (see :func:`neutralise`); only ``str`` values are
    text, so pass numbers as int, float or Decimal. ``title``, ``number_formats``,
    ``widths`` and ``scratch`` are for XLSX (see :class:`XlsxWriter`). Call
    ``close()`` to finish the file, or ``abort()`` to give it up.
    """
    if fmt == "csv":
        return CsvWriter(target, columns, neutralise=neutralise)
    if fmt == "json":
        return JsonWriter(target, columns)
    if fmt == "jsonl":
        return JsonlWriter(target, columns)
    if fmt == "xlsx":
        return XlsxWriter(
            target,
            columns,
            neutralise=neutralise,
            title=title,
            number_formats=number_formats,
            widths=widths,
            scratch=scratch,
        )
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
