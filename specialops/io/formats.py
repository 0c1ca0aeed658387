"""Readers of the import file formats: CSV, JSON, JSONL and workbooks (XLSX, XLS, ODS).

Readers stream: they hold one row (and one decoding chunk) at a time, never the
whole file. JSON arrays are parsed incrementally by ijson. Workbooks are read by
python-calamine, which holds the sheet being read (a sheet too large for that is
streamed by openpyxl); a workbook read from a pipe is spooled to a temporary file
first, because a workbook is an archive read from its end.

Every value a reader yields is raw text (or ``None`` for an empty cell, a missing
CSV cell or a JSON ``null``); parsing it is the import engine's job. Problems with
a single row are reported on the row (``Row.problem``); problems with the whole
file raise :class:`~specialops.errors.ValidationError` (:class:`FileRefusal` when
they are in one row or column of it), and a wrong format or encoding name, or an
option that does not apply to the format, raises
:class:`~specialops.errors.UsageError`.

CSV and workbooks are tables as people make them: the header may sit below title
rows (found with the ``is_header`` test, or given as ``header_row``), and a totals
row closing the data is left out; both are told in the reader's ``notes``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import struct
import sys
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import IO, Any, BinaryIO, Protocol

from specialops.errors import UsageError, ValidationError
from specialops.io.encoding import (
    LINE_SAFE_CODECS,
    DecodeFailure,
    Encoding,
    check_requested,
    choose,
    choose_json_lines,
    decoded_byte_lines,
    decoded_chunks,
    decoded_lines,
    read_sample,
)
from specialops.text_rules import describe

# The formats read and written.
FORMATS = ("csv", "json", "jsonl", "xlsx")
# The formats read: old Excel and OpenDocument workbooks are read, never written.
READ_FORMATS = (*FORMATS, "xls", "ods")
WORKBOOKS = frozenset({"xlsx", "xls", "ods"})

EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".xls": "xls",
    ".ods": "ods",
}

# A CSV field longer than this is a row problem, not a reason to hold gigabytes.
FIELD_LIMIT = 10 * 1024 * 1024
DELIMITERS = (",", "\t", ";", "|")

_SPOOL_LIMIT = 16 * 1024 * 1024

# How far below the first non-blank row the header is looked for.
HEADER_LOOK_AHEAD = 20

Cells = list[str | None]
Record = tuple[int, Cells, str | None]  # line, cells as read, what is wrong with them


@dataclass
class Row:
    """One record read from a file.

    ``line`` is where a person finds the record:
    - CSV: the row number a spreadsheet shows when it opens the file — the
      header is 1, the first data row 2; blank lines count (a spreadsheet shows
      them as empty rows), a quoted value spanning several lines counts once;
    - workbooks: the sheet's row number;
    - JSON: the position of the object in the array, the first being 1;
    - JSONL: the physical line number.

    ``values`` maps column to raw text; ``None`` is a missing or null value.
    In JSON and JSONL each object brings its own keys (they need not match
    ``Reader.columns``, which are the first object's). On a row with a
    ``problem`` the values hold what could be read, possibly nothing.
    """

    line: int
    values: dict[str, str | None]
    problem: str | None = None


class Reader(Protocol):
    format: str
    encoding: str | None
    columns: list[str]
    header_line: int  # where the header is (1 for JSON and JSONL)
    notes: list[str]  # what the summary tells the person, such as other sheets with data

    def __iter__(self) -> Iterator[Row]: ...

    def cells(self) -> Iterator[tuple[int, list[str | None], str | None]]: ...


class FileRefusal(ValidationError):
    """A file refused as a whole for what one of its rows (or columns) holds.

    Its text has the form of an import problem: ``line 1, column name: appears
    twice in the header``, or ``line 5: …`` when no one column is at fault.
    """

    def __init__(self, reason: str, line: int | None = None, column: str | None = None) -> None:
        where = [f"line {line}"] if line is not None else []
        where += [f"column {column}"] if column else []
        super().__init__(f"{', '.join(where)}: {reason}" if where else reason, field=column)
        self.reason = reason
        self.line = line
        self.column = column


def detect_format(name: str | None, override: str | None) -> str:
    """The format to use: ``override`` unless it is ``auto``/None, else from ``name``'s extension.

    ``-`` (standard input or output) and no name at all mean CSV unless a
    format is given.
    """
    if override is not None and override.strip().lower() != "auto":
        chosen = override.strip().lower()
        if chosen not in READ_FORMATS:
            raise UsageError(f"unknown format '{override}'; use one of: {', '.join(READ_FORMATS)}")
        return chosen
    if name is None or name == "-":
        return "csv"
    suffix = Path(name).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise UsageError(
        f"cannot tell the format of '{name}' from its extension; "
        f"give --format {'|'.join(READ_FORMATS)}"
    )


# --- opening sources ---------------------------------------------------------


class _Source:
    """A binary stream to read, closed at the end only if it was opened here."""

    def __init__(self, source: Path | BinaryIO) -> None:
        if isinstance(source, (str, Path)):
            path = Path(source)
            try:
                self.stream: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed by close()
            except IsADirectoryError:
                raise UsageError(f"'{path}' is a folder, not a file") from None
            except OSError as exc:
                raise UsageError(f"cannot open '{path}': {exc.strerror}") from None
            self.owned = True
            self.name = str(path)
        else:
            self.stream = source
            self.owned = False
            self.name = getattr(source, "name", "-")

    def close(self) -> None:
        if self.owned:
            self.stream.close()


@dataclass(frozen=True)
class TableOptions:
    """Where a table's header is: a given row (1-based), else found by ``is_header``.

    ``is_header`` tells from a row's cell texts whether it names the fields; without
    it the first non-blank row is the header.
    """

    header_row: int | None = None
    is_header: Callable[[list[str]], bool] | None = None


def open_reader(
    source: Path | BinaryIO,
    fmt: str,
    encoding: str | None = "auto",
    *,
    sheet: str | int | None = None,
    header_row: int | None = None,
    is_header: Callable[[list[str]], bool] | None = None,
) -> Reader:
    """A streaming reader of ``source`` (a path, or a binary stream such as ``sys.stdin.buffer``).

    Reads and checks the header (or first object) at once: an empty, undecodable
    or header-less file, duplicate or empty column names, or a workbook that is
    not one raise ValidationError; an unknown format or encoding name raises
    UsageError. ``encoding`` (``auto`` or a name; ``gbk`` reads as GB18030) is
    ignored for workbooks, whose text is always Unicode. ``sheet`` (a name or a
    1-based number) chooses a workbook's sheet; ``header_row`` and ``is_header``
    find the header of CSV and workbooks (:class:`TableOptions`). A stream
    passed in is never closed; a file opened here is closed when the rows run
    out or by ``close()``.
    """
    if fmt not in READ_FORMATS:
        raise UsageError(f"unknown format '{fmt}'; use one of: {', '.join(READ_FORMATS)}")
    _check_options(fmt, sheet, header_row)
    options = TableOptions(header_row, is_header)
    encoding = (encoding or "auto").strip()
    opened = _Source(source)
    try:
        if fmt in WORKBOOKS:
            return WorkbookReader(opened, fmt, sheet, options)
        head, at_eof = read_sample(opened.stream)
        chosen = (choose_json_lines if fmt == "jsonl" else choose)(head, at_eof, encoding)
        if encoding.lower() != "auto":
            check_requested(head, at_eof, chosen)
        if not head[len(chosen.bom) :].strip() and fmt != "jsonl":
            raise ValidationError("the file is empty")
        if fmt == "csv":
            return CsvReader(opened, head, chosen, options)
        if fmt == "json":
            return JsonReader(opened, head, chosen)
        return JsonlReader(opened, head, chosen)
    except BaseException:
        opened.close()
        raise


def _check_options(fmt: str, sheet: str | int | None, header_row: int | None) -> None:
    """Refuse options that do not apply to ``fmt``."""
    if sheet is not None and fmt not in WORKBOOKS:
        raise UsageError(f"--sheet is for workbooks (xlsx, xls, ods), not {fmt.upper()} files")
    if header_row is not None:
        if fmt in ("json", "jsonl"):
            raise UsageError(
                f"--header-row is for CSV and workbooks; {fmt.upper()} names its fields "
                "in each object"
            )
        if header_row < 1:
            raise UsageError("--header-row takes a row number, 1 for the first row")


class _BaseReader:
    format: str
    encoding: str | None
    columns: list[str]

    def __init__(self, source: _Source) -> None:
        self._source = source
        self._started = False
        self.notes: list[str] = []
        self.header_line = 1

    def close(self) -> None:
        """Close the file if it was opened by ``open_reader``."""
        self._source.close()

    def __enter__(self) -> _BaseReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Row]:
        return self._once(self._rows())

    def cells(self) -> Iterator[tuple[int, list[str | None], str | None]]:
        """The rows as ``(line, values in the order of columns, problem)``.

        The same rows as iterating the reader, without a dict per row: what
        a bulk import reads. Like iterating, this can be done only once.
        """
        return self._once(self._cells())

    def _once(self, rows: Iterator[Any]) -> Iterator[Any]:
        if self._started:
            raise RuntimeError("a reader can be iterated only once")
        self._started = True
        try:
            yield from rows
        finally:
            self.close()

    def _rows(self) -> Iterator[Row]:
        raise NotImplementedError

    def _cells(self) -> Iterator[tuple[int, list[str | None], str | None]]:
        columns = self.columns
        for row in self._rows():
            get = row.values.get
            yield row.line, [get(name) for name in columns], row.problem


class _TableReader(_BaseReader):
    """A reader of rows and columns (CSV, workbooks): header search and totals footer."""

    def _rows(self) -> Iterator[Row]:
        columns = self.columns
        for line, cells, problem in self._cells():
            yield Row(line, dict(zip(columns, cells, strict=False)), problem)

    def _without_totals(self, rows: Iterator[Record]) -> Iterator[Record]:
        """``rows`` less a totals row that ends them (see :meth:`_is_totals`). Each row is
        passed on when the next is read; a file that stops short still gives the one held."""
        held: Record | None = None
        try:
            for row in rows:
                if held is not None:
                    yield held
                held = row
        except ValidationError:
            if held is not None:
                yield held
            raise
        if held is not None and not self._is_totals(held):
            yield held

    def _is_totals(self, last: Record) -> bool:
        """Whether ``last``, the last row of the data, is its totals row (noted if it is)."""
        label = totals_label(last[1])
        if label is not None:
            self.notes.append(f"row {last[0]} ({label}) is a totals row and was not imported")
        return label is not None


# --- finding the header ------------------------------------------------------


def _texts(cells: Cells) -> list[str]:
    return ["" if cell is None else cell for cell in cells]


def is_blank(cells: Cells) -> bool:
    """Whether no cell holds anything but blanks."""
    return all(cell is None or not cell.strip() for cell in cells)


@dataclass
class _Header:
    """The header found in a table's records, and the records read past it."""

    line: int
    cells: Cells
    later: list[Record]
    note: str | None = None


def find_header(records: Iterator[Record], options: TableOptions, what: str) -> _Header:
    """The header among ``records`` (non-blank ones, in order), as ``options`` say.

    Given ``header_row``, that row; else the first record, unless ``is_header``
    refuses it and accepts one of the next :data:`HEADER_LOOK_AHEAD` rows: the rows
    above that one are titles, passed over with a note. A record with a problem
    ends the search. ``what`` names the table in refusals ("the file", "sheet …").
    """
    if options.header_row is not None:
        return _header_at(records, options.header_row, what)
    first = next(records, None)
    if first is None:
        raise ValidationError(f"{what} has no header row (it holds only blank rows)")
    if first[2] is not None:
        raise FileRefusal(f"the header {first[2]}", first[0])
    test = options.is_header
    if test is None or test(_texts(first[1])):
        return _Header(first[0], first[1], [])
    later: list[Record] = []
    for record in records:
        later.append(record)
        line, cells, problem = record
        if problem is not None or line - first[0] > HEADER_LOOK_AHEAD:
            break
        if test(_texts(cells)):
            return _Header(line, cells, [], _titles_note(first[0], line))
    return _Header(first[0], first[1], later)


def _header_at(records: Iterator[Record], row: int, what: str) -> _Header:
    for line, cells, problem in records:
        if line == row:
            if problem is not None:
                raise FileRefusal(f"the header {problem}", line)
            return _Header(line, cells, [])
        if line > row:
            raise FileRefusal(
                "the row is blank; --header-row must name the row holding the column names", row
            )
    raise FileRefusal(f"{what} ends before this row (--header-row {row})", row)


def _titles_note(first: int, header: int) -> str:
    if header - first == 1:
        return f"row {first} above the header was passed over as a title"
    return f"rows {first}–{header - 1} above the header were passed over as titles"


def header_names(cells: Cells, line: int, label: Callable[[int], str] = str) -> list[str]:
    """The column names of a header row; FileRefusal for an empty or repeated one.

    ``label`` names a column by its position (1 first): a number, or a letter.
    """
    names = [(cell or "").strip().lstrip("\ufeff").strip() for cell in cells]
    # Spreadsheets often save empty columns after the last one in use.
    while names and not names[-1]:
        names.pop()
    seen: set[str] = set()
    for index, name in enumerate(names, start=1):
        if not name:
            raise FileRefusal(f"column {label(index)} of the header has no name", line)
        if name in seen:
            raise FileRefusal("appears twice in the header", line, name)
        seen.add(name)
    return names


# --- totals rows -------------------------------------------------------------

# The first cell of a row that sums up the rows above it, compared without blanks,
# in lower case, at half width, without a closing colon.
TOTALS_WORDS = frozenset(
    {"合計", "合计", "總計", "总计", "小計", "小计", "共計", "共计"}
    | {"total", "totals", "sum", "grandtotal"}
)


def totals_label(cells: Cells) -> str | None:
    """The first non-empty cell of ``cells`` when it is a totals word, as written."""
    first = next((cell.strip() for cell in cells if cell is not None and cell.strip()), None)
    if first is None or len(first) > 20:
        return None
    key = "".join(unicodedata.normalize("NFKC", first).casefold().split()).rstrip(":")
    return first if key in TOTALS_WORDS else None


# --- CSV ---------------------------------------------------------------------


class _CountingLines:
    """The lines fed to the csv parser, counting their quote characters.

    After an over-long field the count tells whether the parser stopped inside
    a quoted value, so the rest of that value can be skipped instead of being
    read as new rows. (A generator rather than ``__next__``: it runs per line.)
    """

    def __init__(self, lines: Iterator[str]) -> None:
        self.quotes = 0
        self._iter = self._count(lines)

    def _count(self, lines: Iterator[str]) -> Iterator[str]:
        for line in lines:
            self.quotes += line.count('"')
            yield line

    def __iter__(self) -> Iterator[str]:
        return self._iter

    def __next__(self) -> str:
        return next(self._iter)


def _delimiter_counts(text: str) -> Iterator[dict[str, int]]:
    """How often each delimiter appears outside quotes in each non-blank record of ``text``."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted, blank = False, True
    for char in text:
        if char == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif char in counts:
            counts[char] += 1
        elif char in "\r\n":
            if not blank:
                yield counts
            counts, blank = dict.fromkeys(DELIMITERS, 0), True
            continue
        if not char.isspace():
            blank = False
    if not blank:
        yield counts


def sniff_delimiter(text: str) -> str:
    """The delimiter of CSV text (its first lines): of , TAB ; | the one that splits the
    most records into one same number of fields, outside quotes.

    Title lines above a header hold fewer fields than it, or none: they are outvoted
    by the header and the rows below it.
    """
    records = list(_delimiter_counts(text))
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        tally: dict[int, int] = {}
        for counts in records:
            if counts[delimiter]:
                tally[counts[delimiter]] = tally.get(counts[delimiter], 0) + 1
        if tally:
            score = max((times, fields) for fields, times in tally.items())
            if score > best_score:
                best, best_score = delimiter, score
    return best


# How much of a CSV file is looked at for its delimiter (and header).
_PEEK_LINES = HEADER_LOOK_AHEAD + 2
_PEEK_TEXT = 1024 * 1024

_NUL_PROBLEM = "contains a NUL character (is the file really text?)"


def _failing(failure: DecodeFailure) -> Iterator[str]:
    raise failure
    yield ""  # a generator: raises when the lines before it are read


class CsvReader(_TableReader):
    """Comma-, tab-, semicolon- or bar-separated text; the header is the first non-blank
    record, or the one :class:`TableOptions` find."""

    format = "csv"

    def __init__(
        self, source: _Source, head: bytes, encoding: Encoding, options: TableOptions | None = None
    ) -> None:
        super().__init__(source)
        options = options or TableOptions()
        self.encoding = encoding.name
        csv.field_size_limit(FIELD_LIMIT)
        peeked, rest = self._peek(decoded_lines(source.stream, head, encoding), options)
        at, first = next(((n, line) for n, line in enumerate(peeked, 1) if line.strip()), (0, ""))
        if not first:
            raise ValidationError("the file has no header row (it holds only blank lines)")
        if "\x00" in first:
            raise FileRefusal(
                "the header contains NUL characters: this is not a text file in "
                f"{encoding.name}; if it is UTF-16 without byte-order mark, give "
                "--encoding utf-16-le",
                at,
            )
        self.delimiter = sniff_delimiter("".join(peeked[(options.header_row or 1) - 1 :]) or first)
        self._lines = _CountingLines(chain(peeked, rest))
        self._csv = csv.reader(self._lines, delimiter=self.delimiter)
        self._row = 0
        header = find_header(self._records(), options, "the file")
        self.header_line = header.line
        self.columns = header_names(header.cells, header.line)
        self._later = header.later
        if header.note:
            self.notes.append(header.note)

    @staticmethod
    def _peek(lines: Iterator[str], options: TableOptions) -> tuple[list[str], Iterator[str]]:
        """The first lines (enough to find the delimiter and header), and the rest.

        Bytes that do not decode there are refused at once if no line came before
        them, else when the parser reaches them.
        """
        wanted = max(_PEEK_LINES, (options.header_row or 0) + 2)
        peeked: list[str] = []
        chars = filled = 0
        try:
            for line in lines:
                peeked.append(line)
                chars += len(line)
                filled += bool(line.strip())
                if filled >= wanted or chars >= _PEEK_TEXT:
                    break
        except DecodeFailure as failure:
            if not any(line.strip() for line in peeked):
                raise FileRefusal(failure.reason, failure.line) from None
            return peeked, _failing(failure)
        return peeked, lines

    def _records(self) -> Iterator[Record]:
        """The non-blank records; a problem says what is wrong with the record."""
        lines = self._lines
        parse = self._csv.__next__
        while True:
            lines.quotes = 0
            try:
                cells: list[Any] = parse()
            except StopIteration:
                return
            except (csv.Error, DecodeFailure) as exc:
                message = self._record_error(exc)
                yield self._row, [], message
                continue
            self._row += 1
            joined = "".join(cells)
            if joined.strip():
                yield self._row, cells, _NUL_PROBLEM if "\x00" in joined else None

    def _record_error(self, exc: Exception) -> str:
        """What is wrong with a record the parser failed on (counting it, skipping its rest)."""
        if isinstance(exc, DecodeFailure):
            raise FileRefusal(exc.reason, self._row + 1) from None
        self._row += 1
        if "field limit" not in str(exc):
            return f"cannot be read: {exc}"
        if self._lines.quotes % 2:
            self._skip_quoted_rest()
        return f"has a value longer than {FIELD_LIMIT // (1024 * 1024)} MB"

    def _skip_quoted_rest(self) -> None:
        # Read on until the quote that closes the over-long value.
        try:
            while self._lines.quotes % 2:
                next(self._lines)
        except StopIteration:
            return
        except DecodeFailure as exc:
            raise FileRefusal(exc.reason, self._row) from None

    def _cells(self) -> Iterator[tuple[int, list[str | None], str | None]]:
        # The records read ahead looking for the header, then the rest, each made as wide
        # as the header; a totals row ending them is left out.
        width = len(self.columns)
        shaped = self._shaped
        records = chain(self._later, self._records())
        return self._without_totals(shaped(record, width) for record in records)

    @staticmethod
    def _shaped(record: Record, width: int) -> Record:
        """A record padded or cut to ``width``, its problem said of the row."""
        line, cells, problem = record
        if problem is None and len(cells) == width:  # the common case, as it is
            return record
        if problem is not None and not cells:  # the parser failed on it: nothing was read
            return line, cells, f"the row {problem}"
        count = len(cells)
        shaped = (cells + [None] * (width - count))[:width]
        if count > width and "".join(c or "" for c in cells[width:]).strip():
            return line, shaped, f"the row has {count} cells but the header has {width} columns"
        return line, shaped, f"the row {problem}" if problem else None


# --- JSON and JSONL ----------------------------------------------------------


class _Utf8Stream(io.RawIOBase):
    """Decoded text chunks re-encoded as UTF-8 bytes, for the JSON parser."""

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buffer = chunk.encode("utf-8", "surrogatepass")
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


class _StrictObject(dict):  # type: ignore[type-arg]
    """A JSON object that notes keys given twice (plain dicts keep the last silently)."""

    duplicate: str | None = None

    def __setitem__(self, key: str, value: object) -> None:
        if key in self and self.duplicate is None:
            self.duplicate = key
        super().__setitem__(key, value)


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise TypeError(type(value).__name__)


# JSON's \ud800 escapes can spell lone surrogates, which are not characters: no
# encoding stores them, so they never leave the reader.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _escaped_surrogates(text: str) -> str:
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _object_row(line: int, item: object) -> Row:
    """A row from one decoded JSON value, which must be an object of plain values.

    A key or text holding a lone surrogate is the row's problem; the value is
    kept with the surrogate written as its ``\\uXXXX`` escape.
    """
    if not isinstance(item, dict):
        kind = "an array" if isinstance(item, list) else "a plain value"
        return Row(line, {}, f"expected an object {{...}}, found {kind}")
    values: dict[str, str | None] = {}
    problems: list[str] = []
    duplicate = getattr(item, "duplicate", None)
    if duplicate is not None:
        problems.append(f"key '{_escaped_surrogates(duplicate)}' appears twice")
    for key, value in item.items():
        name = key.strip()
        if not name:
            problems.append("an empty key")
            continue
        if (bad := _SURROGATE.search(name)) is not None:
            shown = _escaped_surrogates(name)
            problems.append(f"key '{shown}' holds {describe(bad.group())} (half of a UTF-16 pair)")
            continue
        if isinstance(value, (dict, list)):
            nested = "object" if isinstance(value, dict) else "array"
            problems.append(f"'{name}' holds a nested {nested}; give a plain value")
            continue
        text = _json_text(value)
        if text is not None and (bad := _SURROGATE.search(text)) is not None:
            problems.append(
                f"'{name}' holds {describe(bad.group())} at character {bad.start() + 1} "
                "(half of a UTF-16 pair)"
            )
            text = _escaped_surrogates(text)
        values[name] = text
    return Row(line, values, "; ".join(problems) or None)


class JsonReader(_BaseReader):
    """A JSON array of objects, parsed incrementally (ijson) so only one object is in memory."""

    format = "json"

    def __init__(self, source: _Source, head: bytes, encoding: Encoding) -> None:
        import ijson

        super().__init__(source)
        self.encoding = encoding.name
        raw = io.BufferedReader(_Utf8Stream(decoded_chunks(source.stream, head, encoding)))
        # Basic events carry no path (a path per event costs time and memory that
        # grow with the square of the nesting depth of a hostile file).
        self._events = ijson.basic_parse(raw)
        self._item = 0
        first = self._guard(lambda: next(self._events, None))
        if first is None or first[0] != "start_array":
            raise ValidationError(
                'a JSON import must be an array of objects: [{"code": ...}, ...]; '
                "for one object per line use --format jsonl"
            )
        self._items = _elements(self._events)
        self._first = self._guard(lambda: next(self._items, _END))
        self.columns = []
        if isinstance(self._first, dict):
            self.columns = [key.strip() for key in self._first if key.strip()]

    def _guard(self, step: Any) -> Any:
        import ijson

        try:
            return step()
        except DecodeFailure:
            raise
        except (ijson.JSONError, ValueError, RecursionError) as exc:
            where = f"after object {self._item}" if self._item else "at the start"
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ValidationError(f"the file is not valid JSON ({where}): {message}") from None

    def _rows(self) -> Iterator[Row]:
        item = self._first
        while item is not _END:
            self._item += 1
            yield _object_row(self._item, item)
            item = self._guard(lambda: next(self._items, _END))


_END = object()
_OPENS = frozenset({"start_map", "start_array"})
_CLOSES = frozenset({"end_map", "end_array"})


def _elements(events: Iterator[tuple[str, Any]]) -> Iterator[object]:
    """The elements of the top-level array, from ijson's basic events after its ``start_array``.

    Objects are built as :class:`_StrictObject`; a value nested in one is kept
    only as an empty dict or list (the row refuses it), and is read past at
    any depth without being built.
    """
    for event, value in events:
        if event == "end_array":
            for _after in events:  # the parser raises on text after the array, if not here
                raise ValueError("text after the array")
            return
        if event == "start_map":
            item = _StrictObject()
            for event_, key in events:
                if event_ == "end_map":
                    break
                kind, found = next(events, (None, None))
                if kind is None:
                    raise ValueError("the file ends inside an object")
                if kind in _OPENS:
                    _skip_nested(events)
                    found = {} if kind == "start_map" else []
                item[key] = found
            yield item
        elif event == "start_array":
            _skip_nested(events)
            yield []
        else:
            yield value


def _skip_nested(events: Iterator[tuple[str, Any]]) -> None:
    depth = 1
    for event, _ in events:
        if event in _OPENS:
            depth += 1
        elif event in _CLOSES:
            depth -= 1
            if not depth:
                return


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def _strict_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = _StrictObject()
    for key, value in pairs:
        result[key] = value
    return result


def _loads(text: str) -> object:
    # Numbers stay as written (no float rounding, no limit on digits).
    return json.loads(
        text,
        parse_int=str,
        parse_float=str,
        parse_constant=_no_constant,
        object_pairs_hook=_strict_object,
    )


# How far a JSON Lines reader looks for its first good object.
_PEEK_ROWS = 100
_PEEK_CHARS = 16 * 1024 * 1024


class JsonlReader(_BaseReader):
    """One JSON object per line (JSON Lines); blank lines are skipped, a bad line is a row problem.

    An empty file is zero rows: a JSONL export of nothing is an empty file.
    """

    format = "jsonl"

    def __init__(self, source: _Source, head: bytes, encoding: Encoding) -> None:
        super().__init__(source)
        self.encoding = encoding.name
        # Where lines can be cut as bytes, each is decoded by itself: a line whose
        # bytes do not decode is that row's problem, not the whole file's.
        self._lines: Iterator[str | DecodeFailure] = (
            decoded_byte_lines(source.stream, head, encoding)
            if encoding.codec in LINE_SAFE_CODECS
            else decoded_lines(source.stream, head, encoding, newline="\n")
        )
        self._peeked: list[str | DecodeFailure] = []
        self.columns = []
        # The columns are the first good object's keys: a bad first line is only
        # that row's problem. Failing one within a few rows, the first keys read.
        fallback: list[str] = []
        rows = chars = 0
        try:
            for line in self._lines:
                self._peeked.append(line)
                if isinstance(line, str) and not line.strip():
                    continue
                row = self._parse(len(self._peeked), line)
                if row.problem is None:
                    self.columns = list(row.values)
                    break
                fallback = fallback or list(row.values)
                rows += 1
                chars += len(line) if isinstance(line, str) else 0
                if rows >= _PEEK_ROWS or chars >= _PEEK_CHARS:
                    break
        except DecodeFailure as exc:
            raise ValidationError(str(exc)) from None
        self.columns = self.columns or fallback

    @staticmethod
    def _parse(line: int, text: str | DecodeFailure) -> Row:
        if isinstance(text, DecodeFailure):
            return Row(line, {}, text.reason)
        try:
            item = _loads(text)
        except (ValueError, RecursionError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return Row(line, {}, f"not valid JSON: {_escaped_surrogates(message)}")
        return _object_row(line, item)

    def _rows(self) -> Iterator[Row]:
        number = 0
        try:
            for text in chain(self._peeked, self._lines):
                number += 1
                if isinstance(text, DecodeFailure) or text.strip():
                    yield self._parse(number, text)
        except DecodeFailure as exc:
            raise ValidationError(str(exc)) from None


# --- workbooks ---------------------------------------------------------------


# What a spreadsheet shows in a cell whose formula failed.
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#SPILL!", "#CALC!"}
)

PASSWORD_MESSAGE = "the workbook is protected by a password; save a copy without one"
NO_SAVED_VALUE = "holds a formula with no saved value; open the workbook in Excel and save it"

_ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# An .xlsx sheet whose cells take more XML than this is streamed by openpyxl: python-calamine
# holds a whole sheet, some ten times the memory of its XML.
CALAMINE_XML_LIMIT = 64 * 1024 * 1024


def _cell_text(value: object) -> str | None:
    """The text the import engine parses, for one cell value as a workbook library gives it."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def column_letter(index: int) -> str:
    """The spreadsheet name of column ``index`` (1 is A, 27 is AA)."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters:
        number = number * 26 + byte - 64
    return number


# Marks: row number → {0-based column: what is wrong}; "" is a formula without a value,
# any other text the error the cell shows.
Marks = dict[int, dict[int, str]]


class WorkbookReader(_TableReader):
    """A worksheet of an Excel (.xlsx, .xls) or OpenDocument (.ods) workbook.

    The sheet is the one named (or numbered) by ``sheet``, else the first that holds
    data; its header row is found as :class:`TableOptions` say. Cells that show an
    error, and formulas saved without their value, are their row's problem.
    """

    encoding = None

    def __init__(
        self,
        source: _Source,
        fmt: str = "xlsx",
        sheet: str | int | None = None,
        options: TableOptions | None = None,
    ) -> None:
        super().__init__(source)
        options = options or TableOptions()
        self._file = _seekable_copy(source.stream)
        self._workbook: Any = None
        self.format = _workbook_kind(self._file, fmt)
        self._file.seek(0)
        self._book = _quietly(lambda: _calamine().CalamineWorkbook.from_filelike(self._file))
        self._parts = _xlsx_parts(self._file) if self.format == "xlsx" else {}
        names: list[str] = list(self._book.sheet_names)
        index = _named_sheet(names, sheet) if sheet is not None else self._first_with_data(names)
        self.sheet = names[index]
        self._offset, rows = self._sheet_rows(index)
        self._marks = _guarded(lambda: self._scan_marks(index))
        self._rest = self._records(rows)
        header = find_header(self._rest, options, f'sheet "{self.sheet}"')
        self.header_line = header.line
        # A table may start right of a title in column A: its columns are the header's.
        self._lead = next((i for i, c in enumerate(header.cells) if c and c.strip()), 0)
        self._offset += self._lead
        self.columns = header_names(header.cells[self._lead :], header.line, self._letter)
        self._later = header.later
        if header.note:
            self.notes.append(header.note)

    # --- choosing the sheet

    def _first_with_data(self, names: list[str]) -> int:
        """The first worksheet that holds data (visible ones first); a note tells of the others."""
        calamine = _calamine()
        kinds = self._book.sheets_metadata
        sheets = [i for i, m in enumerate(kinds) if m.typ == calamine.SheetTypeEnum.WorkSheet]
        visible = [i for i in sheets if kinds[i].visible == calamine.SheetVisibleEnum.Visible]
        ordered = visible + [i for i in sheets if i not in visible]
        full = [i for i in ordered if _quietly(lambda i=i: self._holds_data(i))]
        if not full:
            raise ValidationError("the workbook holds no data: its sheets are empty")
        chosen, others = full[0], [names[i] for i in full[1:]]
        if others:
            kind = "sheets hold" if len(others) > 1 else "sheet holds"
            self.notes.append(
                f"the workbook's other {kind} data too ({', '.join(others)}): only "
                f'"{names[chosen]}" was read; choose with --sheet'
            )
        elif ordered and chosen != ordered[0]:
            self.notes.append(f'"{names[chosen]}" was read: the sheets before it are empty')
        return chosen

    def _holds_data(self, index: int) -> bool:
        part = self._parts.get(self._book.sheet_names[index])
        if part is not None:
            return _xlsx_part_has_values(self._file, part)
        return self._book.get_sheet_by_index(index).start is not None

    # --- reading the sheet

    def _sheet_rows(self, index: int) -> tuple[int, Iterator[tuple[int, Cells]]]:
        """The offset of the sheet's first column, and its rows as (line, cell texts)."""
        part = self._parts.get(self._book.sheet_names[index])
        if part is not None and _part_size(self._file, part) > CALAMINE_XML_LIMIT:
            self._workbook = _guarded(lambda: _load_workbook(self._file))
            sheet = _guarded(lambda: self._workbook[self._book.sheet_names[index]])
            offset = max((sheet.min_column or 1) - 1, 0)
            return offset, _openpyxl_rows(sheet, offset)
        loaded = _quietly(lambda: self._book.get_sheet_by_index(index))
        start = loaded.start
        return (start[1] if start else 0), _calamine_rows(loaded)

    def _scan_marks(self, index: int) -> Marks:
        name = self._book.sheet_names[index]
        if self.format == "xlsx":
            part = self._parts.get(name)
            return _xlsx_marks(self._file, part) if part else {}
        if self.format == "ods":
            return _ods_marks(self._file, name)
        return _xls_marks(self._file, name, index)

    def _letter(self, index: int) -> str:
        return column_letter(self._offset + index)

    def _records(self, rows: Iterator[tuple[int, Cells]]) -> Iterator[Record]:
        """The rows that hold something, or a mark; then marked rows past the last one."""
        marks = self._marks
        last = 0
        for line, texts in _guarded_rows(rows):
            last = line
            if line in marks or not is_blank(texts):
                yield line, texts, None
        for line in sorted(line for line in marks if line > last):
            yield line, [], None

    def _cells(self) -> Iterator[tuple[int, list[str | None], str | None]]:
        return self._without_totals(self._data())

    def _data(self) -> Iterator[Record]:
        width = len(self.columns)
        padding: Cells = [None] * width
        marks = self._marks
        lead = self._lead
        for line, texts, _ in chain(self._later, self._rest):
            problem = None
            if lead:
                if not is_blank(texts[:lead]):
                    problem = "the row has values left of the header's columns"
                texts = texts[lead:]
            count = len(texts)
            if count > width:
                if problem is None and not is_blank(texts[width:]):
                    problem = f"the row has values beyond the header's {width} columns"
                cells = texts[:width]
            else:
                cells = texts + padding[count:] if count < width else texts
            if line in marks or not EXCEL_ERRORS.isdisjoint(cells):
                problem = problem or self._cell_problem(cells, marks.get(line, {}))
            yield line, cells, problem

    def _cell_problem(self, cells: Cells, marked: dict[int, str]) -> str | None:
        """What the first cell showing an error, or a formula without value, says.

        A cell showing an error is given its text, as the sheet shows it (the library
        may read it as empty).
        """
        found = {column - self._offset: mark for column, mark in marked.items()}
        found.update((i, t) for i, t in enumerate(cells) if t in EXCEL_ERRORS and i not in found)
        inside = sorted(i for i in found if 0 <= i < len(cells))
        for i in inside:
            cells[i] = found[i] or cells[i]
        if not inside:
            return None
        at = inside[0]
        name = self.columns[at]
        if not found[at]:
            return f"column {name} {NO_SAVED_VALUE}"
        whose = "the spreadsheet's" if self.format == "ods" else "Excel's"
        return (
            f"column {name} holds {whose} error {found[at]} (a formula that failed); "
            "correct it in the workbook"
        )

    def close(self) -> None:
        workbook, self._workbook = getattr(self, "_workbook", None), None
        if workbook is not None:
            workbook.close()
        book = getattr(self, "_book", None)
        if book is not None:
            self._book = None
            book.close()
        file = getattr(self, "_file", None)
        if file is not None and file is not self._source.stream:
            file.close()
        super().close()


XlsxReader = WorkbookReader


def _calamine() -> Any:
    import python_calamine

    return python_calamine


def _guarded(step: Callable[[], Any]) -> Any:
    """``step()``, with a workbook library's failure as a ValidationError."""
    try:
        return step()
    except ValidationError:
        raise
    except Exception as exc:  # the libraries and their XML/zip layers raise many kinds
        raise _unreadable(exc) from None
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":  # a Rust panic in python-calamine
            raise
        raise _unreadable(exc) from None


def _quietly(step: Callable[[], Any]) -> Any:
    """A call into python-calamine, :func:`_guarded`, with standard error silenced.

    A Rust panic prints its message and a backtrace on the process's standard error
    before it comes back as the exception that is reported; that text is not ours.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        return _guarded(step)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            return _guarded(step)
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _unreadable(exc: BaseException) -> ValidationError:
    if type(exc).__name__ == "PasswordError":
        return ValidationError(PASSWORD_MESSAGE)
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ValidationError(f"the workbook cannot be read: {detail}")


def _guarded_rows(rows: Iterator[tuple[int, Cells]]) -> Iterator[tuple[int, Cells]]:
    while True:
        row = _guarded(lambda: next(rows, None))
        if row is None:
            return
        yield row


def _calamine_rows(sheet: Any) -> Iterator[tuple[int, Cells]]:
    # Rows come from the sheet's first row (blank ones too), cells from its first column.
    text = _cell_text
    for line, values in enumerate(sheet.iter_rows(), start=1):
        yield line, [value if value.__class__ is str and value else text(value) for value in values]


def _openpyxl_rows(sheet: Any, offset: int) -> Iterator[tuple[int, Cells]]:
    text = _cell_text
    for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield line, [text(value) for value in values[offset:]]


def _load_workbook(stream: IO[bytes]) -> Any:
    import warnings

    from openpyxl import load_workbook

    with warnings.catch_warnings():
        # openpyxl warns about styles and extensions it does not keep; reading is unaffected.
        warnings.simplefilter("ignore")
        stream.seek(0)
        return load_workbook(stream, read_only=True, data_only=True)


def _named_sheet(names: list[str], wanted: str | int) -> int:
    """The index of the sheet ``wanted`` names: exactly, then in any case and width, else
    by its number (1 first); ValidationError listing the sheets otherwise."""
    text = str(wanted).strip()
    if text in names:
        return names.index(text)
    key = _sheet_key(text)
    for index, name in enumerate(names):
        if _sheet_key(name) == key:
            return index
    if key.isascii() and key.isdigit() and 1 <= int(key) <= len(names):
        return int(key) - 1
    raise ValidationError(
        f'the workbook has no sheet "{text}"; its sheets: {", ".join(names)} '
        f"(give --sheet a name, or a number from 1 to {len(names)})"
    )


def _sheet_key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold().strip()


def _seekable_copy(stream: IO[bytes]) -> IO[bytes]:
    """``stream`` itself when it can seek, else a temporary copy of it (a pipe)."""
    if _seekable(stream):
        return stream
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_LIMIT)  # noqa: SIM115
    while chunk := stream.read(1024 * 1024):
        spool.write(chunk)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def _seekable(stream: IO[bytes]) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def _workbook_kind(stream: IO[bytes], fmt: str) -> str:
    """What the workbook's bytes say it is (xlsx, xls or ods), whatever its name says.

    An empty file, one that is no workbook and a workbook locked by a password are refused.
    """
    start = stream.read(8)
    stream.seek(0)
    if not start:
        raise ValidationError("the file is empty")
    if start.startswith(_ZIP_MAGIC):
        return _zip_kind(stream)
    if start == OLE_MAGIC:
        try:
            names = _Compound(stream).names()
        except (ValueError, OSError, struct.error):
            names = set()  # python-calamine says what is wrong with it
        stream.seek(0)
        if {"encryptioninfo", "encryptedpackage"} & names:
            raise ValidationError(PASSWORD_MESSAGE)
        return "xls"
    raise ValidationError(
        f"the file is not an {fmt.upper()} workbook (it looks like text or another format; "
        "give --format csv if it is CSV)"
    )


def _zip_kind(stream: IO[bytes]) -> str:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            if "content.xml" not in names and "mimetype" not in names:
                return "xlsx"
            manifest = (
                archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
            )
    except Exception:  # a broken archive (zip, zlib, … errors): python-calamine says what
        return "xlsx"
    finally:
        stream.seek(0)
    if b"encryption-data" in manifest:
        raise ValidationError(PASSWORD_MESSAGE)
    return "ods"


# --- the cells of an .xlsx sheet, from its XML ---------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xlsx_parts(stream: IO[bytes]) -> dict[str, str]:
    """Sheet name → the archive member holding its cells ({} if that cannot be told)."""
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(stream) as archive:
            book = _related(archive, "_rels/.rels", "", "/officeDocument")
            if book is None:
                return {}
            folder, file = book.rsplit("/", 1) if "/" in book else ("", book)
            rels = f"{folder}/_rels/{file}.rels" if folder else f"_rels/{file}.rels"
            targets = _relationships(archive, rels, folder)
            parts = {}
            for element in ElementTree.fromstring(archive.read(book)).iter():
                if _local(element.tag) == "sheet":
                    key = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
                    if key in targets and element.get("name") is not None:
                        parts[element.get("name", "")] = targets[key]
            return parts
    except Exception:  # a broken archive: the sheets are read without their XML
        return {}
    finally:
        stream.seek(0)


def _related(archive: zipfile.ZipFile, rels: str, folder: str, kind: str) -> str | None:
    from xml.etree import ElementTree

    for element in ElementTree.fromstring(archive.read(rels)):
        if element.get("Type", "").endswith(kind):
            return _member(folder, element.get("Target", ""))
    return None


def _relationships(archive: zipfile.ZipFile, rels: str, folder: str) -> dict[str, str]:
    from xml.etree import ElementTree

    return {
        element.get("Id", ""): _member(folder, element.get("Target", ""))
        for element in ElementTree.fromstring(archive.read(rels))
    }


def _member(folder: str, target: str) -> str:
    """The archive member a relationship's target names, relative to ``folder``."""
    import posixpath

    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target)) if folder else target


def _part_size(stream: IO[bytes], part: str) -> int:
    try:
        with zipfile.ZipFile(stream) as archive:
            return archive.getinfo(part).file_size
    except Exception:  # a broken archive: python-calamine says what is wrong
        return 0
    finally:
        stream.seek(0)


_XML_CHUNK = 1024 * 1024
# A cell with content: a value <v>1</v> or text <t>x</t> (an inline string).
_A_VALUE = re.compile(rb"<(?:\w+:)?[vt](?:\s[^>]*)?>[^<]")
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>|<(?:\w+:)?sheetData\s*/>")
# What a formula or an error cell holds (literal searches: much faster than one pattern).
_MARK_HINTS = (b"<f>", b"<f ", b":f>", b":f ", b't="e"', b"t='e'")
_CELL = re.compile(rb"<(?:\w+:)?c\s([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_CELL_REF = re.compile(rb"\br=[\"']([A-Z]{1,3})([0-9]{1,7})[\"']")
_CELL_TYPE = re.compile(rb"\bt=[\"'](\w+)[\"']")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>(.*?)</(?:\w+:)?v>", re.S)


def _xml_chunks(stream: IO[bytes], part: str) -> Iterator[bytes]:
    """The decompressed bytes of an archive member, a chunk at a time."""
    try:
        with zipfile.ZipFile(stream) as archive, archive.open(part) as member:
            while chunk := member.read(_XML_CHUNK):
                yield chunk
    finally:
        stream.seek(0)


def _xlsx_part_has_values(stream: IO[bytes], part: str) -> bool:
    """Whether a sheet's XML holds a cell with a value (read only until the first one)."""
    tail = b""
    for chunk in _xml_chunks(stream, part):
        text = tail + chunk
        if _A_VALUE.search(text):
            return True
        if _SHEET_DATA_END.search(text):
            return False
        tail = text[-64:]
    return False


def _xlsx_marks(stream: IO[bytes], part: str) -> Marks:
    """The cells of a sheet that show an error or hold a formula saved without its value.

    A sheet without formulas or errors is told by one quick pass over its XML; only
    one that has some is read cell by cell (with regular expressions, not a parser).
    """
    tail = b""
    for chunk in _xml_chunks(stream, part):
        text = tail + chunk
        if any(hint in text for hint in _MARK_HINTS):
            break
        tail = chunk[-16:]
    else:
        return {}
    marks: Marks = {}
    rest = b""
    for chunk in _xml_chunks(stream, part):
        text = rest + chunk
        end = 0
        for cell in _CELL.finditer(text):
            end = cell.end()
            _mark_cell(marks, cell.group(1), cell.group(2))
        # Keep what may be the start of a cell cut by the chunk's end.
        rest = text[end:] if len(text) - end < _XML_CHUNK else text[-_XML_CHUNK:]
    return marks


def _mark_cell(marks: Marks, attributes: bytes, body: bytes | None) -> None:
    kind = _CELL_TYPE.search(attributes)
    error = kind is not None and kind.group(1) == b"e"
    if not body or not (error or _FORMULA.search(body)):
        return
    ref = _CELL_REF.search(attributes)
    if ref is None:
        return  # a cell without its reference cannot be placed; writers always give one
    value = _VALUE.search(body)
    saved = value.group(1).strip() if value is not None else b""
    if error:
        mark = saved.decode("utf-8", "replace") or "#VALUE!"
    elif value is None or (not saved and (kind is None or kind.group(1) != b"str")):
        mark = ""
    else:
        return
    marks.setdefault(int(ref.group(2)), {})[_column_number(ref.group(1)) - 1] = mark


# --- the cells of an .ods sheet ----------------------------------------------

_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"
_ODS_CELLS = {f"{{{_ODS_TABLE}}}table-cell", f"{{{_ODS_TABLE}}}covered-table-cell"}
# Repeated rows and columns are how a sheet says "and so on to the end".
_MAX_REPEAT = 1 << 20


def _ods_marks(stream: IO[bytes], sheet: str) -> Marks:
    """The cells of sheet ``sheet`` that show an error or hold a formula without a value."""
    tail = b""
    for chunk in _xml_chunks(stream, "content.xml"):
        text = tail + chunk
        if b'value-type="error"' in text or b"formula=" in text:
            break
        tail = text[-32:]
    else:
        return {}
    from xml.etree import ElementTree

    marks: Marks = {}
    with zipfile.ZipFile(stream) as archive, archive.open("content.xml") as content:
        _walk_ods(ElementTree.iterparse(content, events=("start", "end")), sheet, marks)
    stream.seek(0)
    return marks


def _walk_ods(events: Iterator[tuple[str, Any]], sheet: str, marks: Marks) -> None:
    table = f"{{{_ODS_TABLE}}}"
    row = column = depth = 0
    for event, element in events:
        tag = element.tag
        if tag == f"{table}table":
            if event == "start" and (depth or element.get(f"{table}name") == sheet):
                depth += 1  # a table inside a cell of the sheet is passed over
            elif event == "end" and depth:
                depth -= 1
                if not depth:
                    return
            continue
        if depth != 1 or event != "end":
            continue
        if tag in _ODS_CELLS:
            columns = _repeat(element, f"{table}number-columns-repeated")
            mark = _ods_mark(element)
            if mark is not None:
                for at in range(column, column + min(columns, 1024)):
                    marks.setdefault(row + 1, {})[at] = mark
            column += columns
        elif tag == f"{table}table-row":
            repeated = _repeat(element, f"{table}number-rows-repeated")
            if row + 1 in marks:
                for extra in range(1, min(repeated, 1024)):
                    marks[row + 1 + extra] = dict(marks[row + 1])
            row += repeated
            column = 0
            element.clear()


def _repeat(element: Any, attribute: str) -> int:
    try:
        return min(max(int(element.get(attribute, "1")), 1), _MAX_REPEAT)
    except ValueError:
        return 1


def _ods_mark(cell: Any) -> str | None:
    if cell.get(f"{{{_ODS_CALCEXT}}}value-type") == "error":
        shown = "".join(cell.itertext()).strip()
        return shown or "#VALUE!"
    if cell.get(f"{{{_ODS_TABLE}}}formula") and cell.get(f"{{{_ODS_OFFICE}}}value-type") is None:
        return ""
    return None


# --- old Excel (.xls): an OLE compound file holding BIFF records ---------------


class _Compound:
    """The streams of an OLE compound file (CFB): the container of an .xls workbook,
    and of an .xlsx encrypted with a password."""

    _END = 0xFFFFFFFE

    def __init__(self, stream: IO[bytes]) -> None:
        stream.seek(0)
        header = stream.read(512)
        stream.seek(0)
        if len(header) < 512 or not header.startswith(OLE_MAGIC):
            raise ValueError("not an OLE compound file")
        self._stream = stream
        self._size = 1 << min(struct.unpack_from("<H", header, 0x1E)[0], 16)
        self._sectors = stream.seek(0, 2) // self._size  # no chain is longer (a loop ends)
        stream.seek(0)
        self._mini_size = 1 << min(struct.unpack_from("<H", header, 0x20)[0], 16)
        fat_count, directory = struct.unpack_from("<II", header, 0x2C)
        self._cutoff, mini_fat, _, difat, difat_count = struct.unpack_from("<5I", header, 0x38)
        fat_sectors = [s for s in struct.unpack_from("<109I", header, 0x4C) if s < self._END]
        for sector in self._difat_chain(difat, difat_count):
            entries = struct.unpack(f"<{self._size // 4}I", self._sector(sector))
            fat_sectors += [s for s in entries[:-1] if s < self._END]
        self._fat = [n for s in fat_sectors[:fat_count] for n in self._entries(self._sector(s))]
        self._root = (self._END, 0)  # where the small streams are kept
        self._directory = self._read_directory(directory)
        self._mini_fat = [n for s in self._chain(mini_fat) for n in self._entries(self._sector(s))]

    def names(self) -> set[str]:
        """The names of the streams and storages, in lower case."""
        return {name.lower() for name in self._directory}

    def read(self, name: str) -> bytes | None:
        """The bytes of stream ``name`` (any case), or None if there is none."""
        found = next((k for k in self._directory if k.lower() == name.lower()), None)
        if found is None:
            return None
        start, size = self._directory[found]
        if size < self._cutoff:
            root_start, _ = self._root
            mini = b"".join(self._sector(s) for s in self._chain(root_start))
            sectors = self._follow(start, self._mini_fat)
            data = b"".join(mini[s * self._mini_size : (s + 1) * self._mini_size] for s in sectors)
        else:
            data = b"".join(self._sector(s) for s in self._chain(start))
        return data[:size]

    def _read_directory(self, start: int) -> dict[str, tuple[int, int]]:
        raw = b"".join(self._sector(s) for s in self._chain(start))
        entries: dict[str, tuple[int, int]] = {}
        for at in range(0, len(raw) - 127, 128):
            length, kind = struct.unpack_from("<HB", raw, at + 64)
            start_sector, size = struct.unpack_from("<II", raw, at + 116)
            name = raw[at : at + max(min(length, 64) - 2, 0)].decode("utf-16-le", "replace")
            if kind == 5:
                self._root = (start_sector, size)
            elif kind in (1, 2):
                entries[name] = (start_sector, size)
        return entries

    def _sector(self, number: int) -> bytes:
        self._stream.seek((number + 1) * self._size)
        return self._stream.read(self._size)

    @staticmethod
    def _entries(sector: bytes) -> tuple[int, ...]:
        return struct.unpack(f"<{len(sector) // 4}I", sector[: len(sector) // 4 * 4])

    def _chain(self, start: int) -> list[int]:
        return self._follow(start, self._fat)

    def _difat_chain(self, start: int, count: int) -> list[int]:
        # The DIFAT sectors are chained by their own last entry, not by the FAT.
        chain_: list[int] = []
        while start < self._END and len(chain_) < min(count, self._sectors):
            chain_.append(start)
            start = struct.unpack_from("<I", self._sector(start), self._size - 4)[0]
        return chain_

    @staticmethod
    def _follow(start: int, table: list[int]) -> list[int]:
        sectors: list[int] = []
        while 0 <= start < len(table) and len(sectors) <= len(table):
            sectors.append(start)
            start = table[start]
        return sectors


_BIFF_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
}


def _xls_marks(stream: IO[bytes], sheet: str, index: int) -> Marks:
    """The cells of an .xls sheet that show an error (from its FORMULA and BOOLERR records)."""
    compound = _Compound(stream)
    book = compound.read("Workbook") or compound.read("Book")
    stream.seek(0)
    if not book:
        return {}
    offsets = _biff_sheets(book)
    if offsets is None:
        return {}
    names = [name for name, _ in offsets]
    at = dict(offsets).get(sheet) if sheet in names else None
    if at is None and index < len(offsets):
        at = offsets[index][1]
    return _biff_errors(book, at) if at is not None else {}


def _biff_records(book: bytes, at: int) -> Iterator[tuple[int, bytes]]:
    while at + 4 <= len(book):
        kind, size = struct.unpack_from("<HH", book, at)
        yield kind, book[at + 4 : at + 4 + size]
        at += 4 + size


def _biff_sheets(book: bytes) -> list[tuple[str, int]] | None:
    """Each sheet's name and where its records start; None for an encrypted workbook."""
    sheets: list[tuple[str, int]] = []
    biff8 = True
    for kind, data in _biff_records(book, 0):
        if kind == 0x0809 and len(data) >= 2:  # BOF: the version of the records
            biff8 = struct.unpack_from("<H", data)[0] >= 0x0600
        elif kind == 0x002F:  # FILEPASS: the rest is encrypted
            return None
        elif kind == 0x0085 and len(data) >= 7:  # BOUNDSHEET
            sheets.append((_biff_sheet_name(data, biff8), struct.unpack_from("<I", data)[0]))
        elif kind == 0x000A:  # EOF of the workbook globals
            break
    return sheets


def _biff_sheet_name(data: bytes, biff8: bool) -> str:
    length = data[6]
    if not biff8:
        return data[7 : 7 + length].decode("latin-1")
    if len(data) > 7 and data[7] & 1:
        return data[8 : 8 + 2 * length].decode("utf-16-le", "replace")
    return data[8 : 8 + length].decode("latin-1")


def _biff_errors(book: bytes, at: int) -> Marks:
    marks: Marks = {}
    depth = 0
    for kind, data in _biff_records(book, at):
        if kind == 0x0809:  # BOF (a chart inside the sheet has its own)
            depth += 1
        elif kind == 0x000A:  # EOF
            depth -= 1
            if depth <= 0:
                break
        elif (error := _biff_error(kind, data)) is not None:
            row, column = struct.unpack_from("<HH", data)
            marks.setdefault(row + 1, {})[column] = error
    return marks


def _biff_error(kind: int, data: bytes) -> str | None:
    """The error a FORMULA or BOOLERR record shows, if it shows one."""
    if kind == 0x0006 and len(data) >= 14 and data[12:14] == b"\xff\xff" and data[6] == 2:
        return _BIFF_ERRORS.get(data[8], "#VALUE!")
    if kind == 0x0205 and len(data) >= 8 and data[7] == 1:
        return _BIFF_ERRORS.get(data[6], "#VALUE!")
    return None
