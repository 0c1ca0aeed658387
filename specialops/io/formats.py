"""Readers and writers of the import/export file formats: CSV, JSON, JSONL and XLSX.

Readers stream: they hold one row (and one decoding chunk) at a time, never the
whole file. JSON arrays are parsed incrementally by ijson; an XLSX read from a
pipe is spooled to a temporary file first, because a workbook is a zip archive
read from its end.

Every value a reader yields is raw text (or ``None`` for an empty XLSX cell, a
missing CSV cell or a JSON ``null``); parsing it is the import engine's job.
Problems with a single row are reported on the row (``Row.problem``); problems
with the whole file raise :class:`~specialops.errors.ValidationError`, and a
wrong format or encoding name raises :class:`~specialops.errors.UsageError`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
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

FORMATS = ("csv", "json", "jsonl", "xlsx")

EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
}

# A CSV field longer than this is a row problem, not a reason to hold gigabytes.
FIELD_LIMIT = 10 * 1024 * 1024
DELIMITERS = (",", "\t", ";", "|")

_SPOOL_LIMIT = 16 * 1024 * 1024


@dataclass
class Row:
    """One record read from a file.

    ``line`` is where a person finds the record:
    - CSV: the row number a spreadsheet shows when it opens the file — the
      header is 1, the first data row 2; blank lines count (a spreadsheet shows
      them as empty rows), a quoted value spanning several lines counts once;
    - XLSX: the sheet's row number;
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
    notes: list[str]  # what the summary tells the person, such as other sheets with data

    def __iter__(self) -> Iterator[Row]: ...

    def cells(self) -> Iterator[tuple[int, list[str | None], str | None]]: ...


def detect_format(name: str | None, override: str | None) -> str:
    """The format to use: ``override`` unless it is ``auto``/None, else from ``name``'s extension.

    ``-`` (standard input or output) and no name at all mean CSV unless a
    format is given.
    """
    if override is not None and override.strip().lower() != "auto":
        chosen = override.strip().lower()
        if chosen not in FORMATS:
            raise UsageError(f"unknown format '{override}'; use one of: {', '.join(FORMATS)}")
        return chosen
    if name is None or name == "-":
        return "csv"
    suffix = Path(name).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if suffix == ".xls":
        raise UsageError(f"'{name}' is an old Excel .xls file; save it as .xlsx or CSV UTF-8")
    raise UsageError(
        f"cannot tell the format of '{name}' from its extension; give --format {'|'.join(FORMATS)}"
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


def open_reader(
    source: Path | BinaryIO,
    fmt: str,
    encoding: str | None = "auto",
    *,
    sheet: str | None = None,
    header_row: int | None = None,
    is_header: Callable[[list[str]], bool] | None = None,
) -> Reader:
    """A streaming reader of ``source`` (a path, or a binary stream such as ``sys.stdin.buffer``).

    Reads and checks the header (or first object) at once: an empty, undecodable
    or header-less file, duplicate or empty column names, or an XLSX that is not
    a workbook raise ValidationError; an unknown format or encoding name raises
    UsageError. ``encoding`` (``auto`` or a name; ``gbk`` reads as GB18030) is
    ignored for XLSX, whose text is always Unicode. A stream passed in is never
    closed; a file opened here is closed when the rows run out or by ``close()``.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format '{fmt}'; use one of: {', '.join(FORMATS)}")
    encoding = (encoding or "auto").strip()
    opened = _Source(source)
    try:
        if fmt == "xlsx":
            return XlsxReader(opened)
        head, at_eof = read_sample(opened.stream)
        chosen = (choose_json_lines if fmt == "jsonl" else choose)(head, at_eof, encoding)
        if encoding.lower() != "auto":
            check_requested(head, at_eof, chosen)
        if not head[len(chosen.bom) :].strip() and fmt != "jsonl":
            raise ValidationError("the file is empty")
        if fmt == "csv":
            return CsvReader(opened, head, chosen)
        if fmt == "json":
            return JsonReader(opened, head, chosen)
        return JsonlReader(opened, head, chosen)
    except BaseException:
        opened.close()
        raise


class _BaseReader:
    format: str
    encoding: str | None
    columns: list[str]

    def __init__(self, source: _Source) -> None:
        self._source = source
        self._started = False
        self.notes: list[str] = []

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


def sniff_delimiter(line: str) -> str:
    """The delimiter of a CSV header line: the most frequent of , TAB ; | outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvReader(_BaseReader):
    """Comma-, tab-, semicolon- or bar-separated text; the first non-blank record is the header."""

    format = "csv"

    def __init__(self, source: _Source, head: bytes, encoding: Encoding) -> None:
        super().__init__(source)
        self.encoding = encoding.name
        csv.field_size_limit(FIELD_LIMIT)
        lines = decoded_lines(source.stream, head, encoding)
        peeked: list[str] = []
        first = ""
        try:
            for line in lines:
                peeked.append(line)
                if line.strip():
                    first = line
                    break
        except DecodeFailure as exc:
            raise ValidationError(f"row {len(peeked) + 1}: {exc}") from None
        if not first:
            raise ValidationError("the file has no header row (it holds only blank lines)")
        if "\x00" in first:
            raise ValidationError(
                "the header contains NUL characters: this is not a text file in "
                f"{encoding.name}; if it is UTF-16 without byte-order mark, give "
                "--encoding utf-16-le"
            )
        self.delimiter = sniff_delimiter(first)
        self._lines = _CountingLines(chain(peeked, lines))
        self._csv = csv.reader(self._lines, delimiter=self.delimiter)
        self._row = 0
        header = None
        while header is None:
            cells = self._next_record()
            if cells is None:
                raise ValidationError("the file has no header row (it holds only blank lines)")
            if isinstance(cells, str):
                raise ValidationError(f"row {self._row}: the header {cells}")
            if any(cell.strip() for cell in cells):
                header = cells
        self.columns = _header_names(header, f"row {self._row}")

    def _next_record(self) -> list[str] | str | None:
        """The next record's cells; a string saying what is wrong; None at the end."""
        self._lines.quotes = 0
        try:
            cells = next(self._csv)
        except StopIteration:
            return None
        except (csv.Error, DecodeFailure) as exc:
            return self._record_error(exc)
        self._row += 1
        return cells

    def _record_error(self, exc: Exception) -> str:
        """What is wrong with a record the parser failed on (counting it, skipping its rest)."""
        if isinstance(exc, DecodeFailure):
            raise ValidationError(f"row {self._row + 1}: {exc}") from None
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
            raise ValidationError(f"row {self._row}: {exc}") from None

    def _rows(self) -> Iterator[Row]:
        columns = self.columns
        for line, cells, problem in self._cells():
            yield Row(line, dict(zip(columns, cells, strict=False)), problem)

    def _cells(self) -> Iterator[tuple[int, list[str | None], str | None]]:
        # Runs once per record: the common case (a well-formed row) is checked
        # with one join instead of a pass per cell.
        width = len(self.columns)
        padding: list[str | None] = [None] * width
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
                yield self._row, [], f"the row {message}"
                continue
            self._row += 1
            joined = "".join(cells)
            if not joined.strip():
                continue
            problem = None
            count = len(cells)
            if count != width:
                if count < width:
                    cells += padding[count:]
                else:
                    if "".join(cells[width:]).strip():
                        problem = f"the row has {count} cells but the header has {width} columns"
                    del cells[width:]
            if problem is None and "\x00" in joined:
                problem = "the row contains a NUL character (is the file really text?)"
            yield self._row, cells, problem


def _chain(first: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from first
    yield from rest


def _header_names(cells: list[str], where: str) -> list[str]:
    names = [cell.strip().lstrip("\ufeff").strip() for cell in cells]
    # Spreadsheets often save empty columns after the last one in use.
    while names and not names[-1]:
        names.pop()
    seen: set[str] = set()
    for index, name in enumerate(names, start=1):
        if not name:
            raise ValidationError(f"{where}: column {index} of the header has no name")
        if name in seen:
            raise ValidationError(f"{where}: column '{name}' appears twice in the header")
        seen.add(name)
    return names


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
            for text in _chain(self._peeked, self._lines):
                number += 1
                if isinstance(text, DecodeFailure) or text.strip():
                    yield self._parse(number, text)
        except DecodeFailure as exc:
            raise ValidationError(str(exc)) from None


# --- XLSX --------------------------------------------------------------------


# What a spreadsheet shows in a cell whose formula failed.
EXCEL_ERRORS = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#SPILL!", "#CALC!"}
)


def _cell_text(value: object) -> str | None:
    """The text the import engine parses, for one cell value as openpyxl gives it."""
    if value is None:
        return None
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


class XlsxReader(_BaseReader):
    """The first worksheet of an Excel workbook, read row by row (openpyxl read-only mode)."""

    format = "xlsx"
    encoding = None

    def __init__(self, source: _Source) -> None:
        super().__init__(source)
        self._row = 0
        stream: IO[bytes] = source.stream
        if not _seekable(stream):
            spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_LIMIT)  # noqa: SIM115
            while chunk := stream.read(1024 * 1024):
                spool.write(chunk)
            spool.seek(0)
            stream = spool
        self._file = stream
        start = stream.read(4)
        stream.seek(0)
        if not start:
            raise ValidationError("the file is empty")
        if start != b"PK\x03\x04":
            raise ValidationError(
                "the file is not an XLSX workbook (it looks like text or another format; "
                "give --format csv if it is CSV)"
            )
        self._workbook = self._guard(lambda: _load_workbook(stream))
        sheets = self._workbook.worksheets
        if not sheets:
            raise ValidationError("the workbook has no worksheet")
        self._iter = self._guard(lambda: iter(sheets[0].iter_rows(values_only=True)))
        header: tuple[object, ...] | None = None
        while header is None:
            cells = self._guard(lambda: next(self._iter, None))
            if cells is None:
                raise ValidationError("the workbook's first sheet has no header row")
            self._row += 1
            if any(_cell_text(c) not in (None, "") for c in cells):
                header = cells
        names = ["" if c is None else (_cell_text(c) or "") for c in header]
        self.columns = _header_names(names, f"row {self._row}")

    def _guard(self, step: Any) -> Any:
        try:
            return step()
        except ValidationError:
            raise
        except Exception as exc:  # openpyxl and its XML/zip layers raise many kinds
            raise ValidationError(
                f"the workbook cannot be read (row {self._row + 1}): {exc or type(exc).__name__}"
            ) from None

    def close(self) -> None:
        workbook = getattr(self, "_workbook", None)
        if workbook is not None:
            workbook.close()
        file = getattr(self, "_file", None)
        if file is not None and file is not self._source.stream:
            file.close()
        super().close()

    def _rows(self) -> Iterator[Row]:
        width = len(self.columns)
        while True:
            cells = self._guard(lambda: next(self._iter, None))
            if cells is None:
                return
            self._row += 1
            texts = [_cell_text(c) for c in cells]
            if all(t is None or not t.strip() for t in texts):
                continue
            values: dict[str, str | None] = dict(zip(self.columns, texts, strict=False))
            for name in self.columns[len(texts) :]:
                values[name] = None
            problem = None
            extra = [t for t in texts[width:] if t is not None and t.strip()]
            if extra:
                problem = f"the row has values beyond the header's {width} columns"
            failed = next((i for i, t in enumerate(texts[:width]) if t in EXCEL_ERRORS), None)
            if failed is not None and problem is None:
                problem = (
                    f"column {self.columns[failed]} holds Excel's error {texts[failed]} "
                    "(a formula that failed); correct it in the workbook"
                )
            yield Row(self._row, values, problem)


def _seekable(stream: IO[bytes]) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def _load_workbook(stream: IO[bytes]) -> Any:
    import warnings

    from openpyxl import load_workbook

    with warnings.catch_warnings():
        # openpyxl warns about styles and extensions it does not keep; reading is unaffected.
        warnings.simplefilter("ignore")
        return load_workbook(stream, read_only=True, data_only=True)
