"""Per-field converters between file text and stored values, compiled once per field.

An import converter turns a cell (text, or ``None`` for an empty cell) into
the Python value stored in the column, or raises :class:`CellError` with a
reason a person can act on. An export converter does the reverse, writing
exactly what the import converter reads back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation, localcontext
from itertools import repeat
from typing import Any

from specialops import clock
from specialops.entities import FieldSpec, choice_table, code_key, header_key
from specialops.errors import ValidationError
from specialops.text_rules import text_problem

Importer = Callable[[Any], Any]
Exporter = Callable[[Any], str | None]

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "是", "真", "啟用", "启用", "on"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "否", "假", "停用", "off"})
_DATE = re.compile(
    r"^(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*(?:-|/|\.|月)\s*(\d{1,2})\s*日?"
    r"(?:[ T]0{1,2}:0{1,2}(?::0{1,2}(?:\.0+)?)?)?$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A plain ASCII number (the fast path: no separators, no full-width forms).
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z", re.ASCII)
# Full-width digits, signs, point, comma and space (Chinese input methods) as ASCII.
_WIDE_NUMBER = str.maketrans("０１２３４５６７８９＋－．，\u3000\u00a0\u202f", "0123456789+-.,   ")
# Thousands separators well placed: 1-3 digits, then groups of exactly three, one kind of
# separator (comma, space or underscore) throughout, before any decimal point.
_GROUPED_NUMBER = re.compile(
    r"([+-]?)(\d{1,3}(?:(?P<sep>[, _])\d{3})(?:(?P=sep)\d{3})*)(\.\d*)?\Z", re.ASCII
)
# Only digits, separators and a point: a number with its separators misplaced.
_SEPARATED_DIGITS = re.compile(r"(?=.*[, _])[+-]?[\d,. _]*\d[\d,. _]*\Z", re.ASCII)
# Kinds whose exported text may start like a formula (and so be neutralised).
_NEUTRALISED_KINDS = frozenset({"text", "email", "int", "percent", "decimal", "money"})

# Every number read is finite and at most this large: a float keeps it, and the
# difference of two of them (a chart's span) is finite too.
NUMBER_LIMIT = Decimal("1e300")
NUMBER_LIMIT_TEXT = "1e300"
# What float() reads but no person's number is.
_NOT_FINITE = re.compile(r"\s*[+-]?\s*(?:inf(?:inity)?|nan)\s*\Z", re.IGNORECASE)
# Longer text is no number a person means (and would cost Decimal and int conversions).
MAX_NUMBER_CHARS = 400
# What an SQLite INTEGER holds: whole numbers, and money in minor units.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Enough digits that scaling a number of MAX_NUMBER_CHARS to minor units is exact.
_EXACT = 2 * MAX_NUMBER_CHARS


class CellError(ValidationError, ValueError):
    """A cell that breaks its field's rule; the message says why.

    A :class:`~specialops.errors.ValidationError` (exit code 1) wherever it ends
    up, and a ``ValueError`` for the readers that catch those.
    """


class OutOfRange(CellError):
    """A number beyond what its field (or any number) may be; the message gives the range."""


class AmbiguousNumber(CellError):
    """Digits with misplaced separators (``1,23``): a decimal comma, or a typo?"""


# What every masked personal value holds (:func:`specialops.entities.mask`) and no phone
# number, ID number or address does.
MASK_MARK = "***"


def clean(raw: Any) -> str | None:
    """Cell text without surrounding blanks; an empty cell is ``None``."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raw = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
    text = raw.strip()
    return text or None


_ROC_DATE = re.compile(
    r"^(?:民[國国]|中華民國|中华民国)?\s*(\d{1,3})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*(?:-|/|\.|月)"
    r"\s*(\d{1,2})\s*日?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")
# Excel's day 0 (its 1900 system, which counts a 29 February 1900 that never was).
_EXCEL_EPOCH = date(1899, 12, 30)
ROC_OFFSET = 1911  # 民國 year 1 is 1912
DATE_FORMS = "2026-11-28, 2026/11/28, 2026年11月28日, 20261128, 民國115年11月28日 or 115/11/28"


def parse_date(text: str) -> date:
    """A date as Chinese offices write it: ISO ``2026-11-28``, ``2026/11/28``,
    ``2026年11月28日``, ``20261128``, the ROC calendar (``115/11/28``,
    ``民國115年11月28日``) and Excel's day numbers (``46354``); full-width digits too."""
    text = unicodedata.normalize("NFKC", text).strip()
    match = _DATE.match(text)
    year_offset = 0
    if not match:
        match = _COMPACT_DATE.match(text)
    if not match:
        match = _ROC_DATE.match(text)
        year_offset = ROC_OFFSET
    if not match:
        if _EXCEL_SERIAL.match(text):
            return _EXCEL_EPOCH + timedelta(days=int(float(text)))
        raise CellError(f"'{text}' is not a date (use {DATE_FORMS})")
    try:
        return date(int(match[1]) + year_offset, int(match[2]), int(match[3]))
    except ValueError:
        raise CellError(f"'{text}' is not a real date") from None


_CLOCK_TIME = re.compile(
    r"^(?P<pre>上午|下午|早上|中午|晚上|AM|PM)?\s*(?P<h>\d{1,2})\s*[:時时]\s*(?P<m>\d{2})"
    r"\s*分?(?:\s*:?\s*(?P<s>\d{2})(?:\.\d+)?\s*秒?)?\s*(?P<post>AM|PM)?$",
    re.IGNORECASE,
)
_AFTERNOON = {"下午", "晚上", "PM"}


def _clock_time(text: str) -> tuple[int, int, int] | None:
    """``14:30``, ``下午 02:30:00``, ``2:30 PM`` as (hour, minute, second) on a 24-hour clock."""
    found = _CLOCK_TIME.match(text.strip())
    if not found:
        return None
    hour, minute, second = int(found["h"]), int(found["m"]), int(found["s"] or 0)
    half = (found["pre"] or found["post"] or "").upper()
    if half in _AFTERNOON and hour < 12:
        hour += 12
    elif half in {"AM", "上午", "早上"} and hour == 12:
        hour = 0
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def parse_datetime(text: str) -> datetime:
    """ISO 8601, or a date as :func:`parse_date` reads it with a time as Excel shows
    it in Chinese (``2026/1/5 14:30``, ``2026/1/5 下午 02:30:00``); a time without a
    zone is taken as local time."""
    normal = unicodedata.normalize("NFKC", text).strip()
    try:
        moment = datetime.fromisoformat(normal.replace("/", "-"))
    except ValueError:
        moment = _date_and_time(normal)
        if moment is None:
            raise CellError(
                f"'{text}' is not a timestamp (2026-11-28T09:30:00+08:00, "
                "2026/11/28 14:30 or 2026/11/28 下午 02:30:00)"
            ) from None
    if moment.tzinfo is None:
        reading = _READING.get()
        if reading is None:
            moment = moment.replace(tzinfo=clock.local_zone())
        else:
            reading.naive += 1
            moment = moment.replace(tzinfo=reading.zone)
    return moment.astimezone(UTC)


@dataclass
class ZoneReading:
    """Times without a zone read in ``zone`` (see :func:`reading_in`), and how many."""

    zone: tzinfo
    naive: int = 0


_READING: ContextVar[ZoneReading | None] = ContextVar("specialops_reading_zone", default=None)


@contextmanager
def reading_in(zone: tzinfo) -> Iterator[ZoneReading]:
    """While inside, a timestamp without a zone is read in ``zone`` and counted."""
    reading = ZoneReading(zone)
    token = _READING.set(reading)
    try:
        yield reading
    finally:
        _READING.reset(token)


def _date_and_time(text: str) -> datetime | None:
    day_part, _, time_part = text.partition(" ")
    if not time_part:
        try:
            return datetime.combine(parse_date(text), datetime.min.time())
        except CellError:
            return None
    try:
        day = parse_date(day_part)
    except CellError:
        return None
    clock_time = _clock_time(time_part)
    if clock_time is None:
        return None
    return datetime(day.year, day.month, day.day, *clock_time)


def parse_number(text: str) -> Decimal:
    """A typed or imported number as a Decimal: the one number reader of forms and imports.

    Accepts ``1234.5``, ``-3``, ``1e3``, thousands separators when they are well
    placed (``1,234,567.5``, ``12 000``, ``1_000``) and full-width forms from
    Chinese input methods (``１２，０００``). A separator elsewhere (``1,23``) is
    ambiguous (a decimal comma?) and refused, as is anything else. The result is
    always finite and within ±:data:`NUMBER_LIMIT`: ``nan``, ``inf``,
    ``Infinity`` and ``1e400`` are refused.
    """
    if len(text) > MAX_NUMBER_CHARS:
        raise CellError(
            f"'{text[:20]}…' is not a number (longer than {MAX_NUMBER_CHARS} characters)"
        )
    if _PLAIN_NUMBER.match(text):
        return _in_range(text, text)
    normal = text.translate(_WIDE_NUMBER).strip()
    if not _PLAIN_NUMBER.match(normal):
        grouped = _GROUPED_NUMBER.match(normal)
        if grouped:
            normal = grouped[1] + grouped[2].replace(grouped["sep"], "") + (grouped[4] or "")
        elif _SEPARATED_DIGITS.match(normal):
            raise AmbiguousNumber(
                f"'{text}' is ambiguous: thousands separators go between groups of three"
                " digits (1,234,567.5), and decimals take a point"
            )
        elif _NOT_FINITE.match(normal):
            raise CellError(f"'{text}' is not a number: only finite numbers are accepted")
        else:
            raise CellError(f"'{text}' is not a number")
    return _in_range(normal, text)


_CURRENCY = re.compile(
    r"^(?:NT\$|NTD|TWD|RMB|CNY|US\$|HK\$|[$¥￥])\s*|\s*(?:元|圓|块|塊|NTD|TWD|RMB|CNY)$"
)


def money_text(text: str) -> tuple[str, int]:
    """An amount as written (``NT$1,200``, ``￥3,000元``, ``12萬``, ``(1,234)``) as the number
    text :func:`parse_number` reads and what to multiply it by."""
    normal = unicodedata.normalize("NFKC", text).strip()
    sign = ""
    if normal.startswith("(") and normal.endswith(")"):  # accountants' negative
        normal, sign = normal[1:-1].strip(), "-"
    for _ in range(2):  # a mark before and one after
        normal = _CURRENCY.sub("", normal).strip()
    times = 1
    if normal.endswith(("萬", "万")):
        normal, times = normal[:-1].strip(), 10_000
    elif normal.endswith(("億", "亿")):
        normal, times = normal[:-1].strip(), 100_000_000
    return sign + normal, times


def _in_range(digits: str, text: str) -> Decimal:
    """The Decimal of well-formed ``digits``; CellError when it is not finite or too large."""
    try:
        value = Decimal(digits)
    except InvalidOperation:  # an exponent beyond what Decimal holds
        value = Decimal("NaN")
    # copy_abs, not abs(): no context, so no Overflow signal for a huge exponent.
    if not value.is_finite() or value.copy_abs() > NUMBER_LIMIT:
        limit = NUMBER_LIMIT_TEXT
        raise OutOfRange(f"'{text}' is out of range: numbers run from -{limit} to {limit}")
    return value


def _accepted(spec: FieldSpec) -> str:
    """`` (accepted: from 0 to 100)`` for a field with both bounds, else nothing."""
    if spec.min is None or spec.max is None:
        return ""
    return f" (accepted: from {spec.min:g} to {spec.max:g})"


def _number(text: str, spec: FieldSpec) -> Decimal:
    value = parse_number(text)
    if spec.min is not None and value < Decimal(str(spec.min)):
        raise OutOfRange(f"{text} is below the minimum {spec.min:g}{_accepted(spec)}")
    if spec.max is not None and value > Decimal(str(spec.max)):
        raise OutOfRange(f"{text} is above the maximum {spec.max:g}{_accepted(spec)}")
    return value


def whole_number(value: Decimal, text: str) -> int:
    """``value`` as an int an SQLite INTEGER holds; CellError naming the range otherwise."""
    if not INT64_MIN <= value <= INT64_MAX:
        raise OutOfRange(
            f"'{text}' is out of range: whole numbers run from {INT64_MIN} to {INT64_MAX}"
        )
    if value != value.to_integral_value():
        raise CellError(f"'{text}' is not a whole number")
    return int(value)


def minor_units(value: Decimal, scale: int, text: str, low: float | None = None) -> int:
    """An amount in minor units (``scale`` decimals) that an SQLite INTEGER holds.

    CellError when it has more decimals, or when its minor units leave the
    64-bit range (the message gives the accepted amounts, from ``low`` if given).
    """
    with localcontext(prec=_EXACT):
        minor = value.scaleb(scale)
    if not INT64_MIN <= minor <= INT64_MAX:
        lowest = Decimal(INT64_MIN).scaleb(-scale)
        if low is not None:
            lowest = max(lowest, Decimal(str(low)))
        raise OutOfRange(
            f"'{text}' is out of range: amounts run from {lowest:f} to "
            f"{Decimal(INT64_MAX).scaleb(-scale):f}"
        )
    if minor != minor.to_integral_value():
        raise CellError(f"'{text}' has more than {scale} decimals")
    return int(minor)


def _convert(spec: FieldSpec, refs: Mapping[str, int] | None) -> Callable[[str], Any]:
    """The conversion of non-empty text for one field kind."""
    kind = spec.kind
    limit = spec.max_length
    if kind in ("text", "email"):
        is_email = kind == "email"
        personal = spec.pii

        def text(value: str) -> str:
            if "\r" in value:
                # One line-end form, whatever the file's: XLSX cannot keep a lone CR.
                value = value.replace("\r\n", "\n").replace("\r", "\n")
            problem = text_problem(value)
            if problem is not None:
                raise CellError(problem)
            if personal and MASK_MARK in value:
                raise CellError(
                    f"'{value}' is masked, as an export shows personal data to roles that "
                    "may not see it; an import never writes a mask over personal data: "
                    "give the full value or leave the column out"
                )
            if limit is not None and len(value) > limit:
                raise CellError(f"longer than {limit} characters ({len(value)})")
            if is_email and not _EMAIL.match(value):
                raise CellError(f"'{value}' is not an e-mail address")
            return value

        return text
    if kind == "choice":
        table = choice_table(spec.choices)
        allowed = ", ".join(c.shown for c in spec.choices)

        def pick(value: str) -> str:
            found = table.get(header_key(value))
            if found is None:
                raise CellError(f"'{value}' is not one of: {allowed}")
            return found

        return pick
    if kind == "ref":
        known = refs or {}
        target = spec.ref or "records"

        def resolve(value: str) -> int:
            # A code as people type it (cus-000002, ＣＵＳ－000002) finds its record too.
            found = known.get(value)
            if found is None:
                found = known.get(code_key(value))
            if found is None:
                raise CellError(f"unknown {target.rstrip('s')} '{value}'")
            return found

        return resolve
    if kind == "bool":

        def boolean(value: str) -> bool:
            word = value.lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise CellError(f"'{value}' is not true or false")

        return boolean
    if kind in ("int", "percent"):
        is_percent = kind == "percent"

        def integer(value: str) -> int:
            if not is_percent:
                return whole_number(_number(value, spec), value)
            if value.endswith(("%", "％")):
                return whole_number(_number(value[:-1].strip(), spec), value)
            number = parse_number(value)
            if number != number.to_integral_value() and -1 < number < 1:
                number *= 100  # a fraction, as a spreadsheet keeps 35 %: 0.35
                return whole_number(_number(format(number, "f"), spec), value)
            return whole_number(_number(value, spec), value)

        return integer
    if kind == "decimal":
        return lambda value: _number(value, spec)
    if kind == "money":
        scale, low = spec.scale, spec.min

        def money(value: str) -> int:
            amount, times = money_text(value)
            with localcontext(prec=_EXACT):
                number = _number(amount, spec) * times
            return minor_units(number, scale, value, low)

        return money
    if kind == "date":
        return parse_date
    if kind == "datetime":
        return parse_datetime
    raise ValueError(f"no converter for kind {kind}")


def _quoted_sign(text: str) -> str:
    """A number with a sign that a spreadsheet export quoted (``'-12.50``), unquoted."""
    return text[1:] if text[:2] in ("'-", "'+") else text


def importer(
    spec: FieldSpec,
    *,
    refs: Mapping[str, int] | None = None,
    unneutralise: Callable[[str], str] | None = None,
    required: bool | None = None,
    default: Any = None,
) -> Importer:
    """Compile the converter of one field: cell → stored value (or :class:`CellError`)."""
    convert = _convert(spec, refs)
    must = spec.required if required is None else required
    # Text the writer neutralised gets its quote taken off again; a number column of an
    # older export may hold a negative number written as "'-12.50" the same way.
    undo = None
    if unneutralise is not None and spec.kind in _NEUTRALISED_KINDS:
        undo = unneutralise if spec.kind in ("text", "email") else _quoted_sign
    keep = spec.kind == "text"  # free text keeps its blanks (a 　 indent, a leading tab)

    def run(raw: Any) -> Any:
        # The common case (a str cell) is inlined: this runs once per cell.
        if raw.__class__ is str:
            text = raw if keep and not raw.isspace() else raw.strip()
        else:
            text = clean(raw)
        if not text:
            if must:
                raise CellError("required")
            return default
        if undo is not None and text[0] == "'":
            text = undo(text) if keep else undo(text).strip()
            if not text:
                if must:
                    raise CellError("required")
                return default
        try:
            return convert(text)
        except CellError:
            # A control character is the reason to give, whatever else is wrong.
            problem = text_problem(text)
            if problem is not None:
                raise CellError(problem) from None
            raise

    return run


def _money_text(scale: int) -> Exporter:
    unit = 10**scale

    def text(value: Any) -> str | None:
        if value is None:
            return None
        number = int(value)
        sign = "-" if number < 0 else ""
        whole, cents = divmod(abs(number), unit)
        return f"{sign}{whole}.{cents:0{scale}d}" if scale else f"{sign}{whole}"

    return text


def exporter(spec: FieldSpec) -> Exporter:
    """Compile the writer of one field: stored value → the text import reads back."""
    kind = spec.kind
    if kind in ("text", "email", "choice", "ref"):
        return lambda value: value if value is None else str(value)
    if kind == "bool":
        return lambda value: None if value is None else ("true" if value else "false")
    if kind in ("int", "percent"):
        return lambda value: None if value is None else str(int(value))
    if kind == "decimal":
        return lambda value: None if value is None else format(Decimal(str(value)), "f")
    if kind == "money":
        return _money_text(spec.scale)
    if kind == "date":
        return lambda value: None if value is None else value.isoformat()
    if kind == "datetime":

        def moment(value: Any) -> str | None:
            if value is None:
                return None
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)
            return aware.astimezone(clock.local_zone()).isoformat()

        return moment
    raise ValueError(f"no exporter for kind {kind}")


# ----------------------------------------------------------------------------- blocks

ColumnImporter = Callable[[Sequence[Any]], tuple[list[Any], dict[int, str]]]
_NOT_FOUND = object()


def column_importer(
    spec: FieldSpec,
    *,
    refs: Mapping[str, int] | None = None,
    unneutralise: Callable[[str], str] | None = None,
    required: bool | None = None,
    default: Any = None,
    then: Callable[[Any], Any] | None = None,
) -> ColumnImporter:
    """Compile the converter of one field for a block of cells (one column of many rows).

    Returns the converted values and ``{index: reason}`` for the cells that
    break the field's rule (their value is ``None``). The result is exactly
    :func:`importer`'s, cell by cell: a few checks over the whole block (in
    C, through ``map``, ``join`` and ``in``) prove that no cell needs more than
    the common case, and when one might, the block is converted cell by cell.
    ``then`` (a bind processor) is applied to every value.
    """
    one = importer(spec, refs=refs, unneutralise=unneutralise, required=required, default=default)
    must = spec.required if required is None else required
    fast = _fast_column(spec, refs, unneutralise, must, default)

    def careful(cells: Sequence[Any]) -> tuple[list[Any], dict[int, str]]:
        values: list[Any] = []
        errors: dict[int, str] = {}
        for index, cell in enumerate(cells):
            try:
                values.append(one(cell))
            except CellError as error:
                errors[index] = str(error)
                values.append(None)
        return values, errors

    def run(cells: Sequence[Any]) -> tuple[list[Any], dict[int, str]]:
        values = fast(cells)
        errors: dict[int, str] = {}
        if values is None:
            values, errors = careful(cells)
        if then is not None:
            values = list(map(then, values))
        return values, errors

    return run


def _kept(cells: Sequence[Any]) -> list[str] | None:
    """Every cell as given, a wholly blank one as empty; None if one is not text."""
    try:
        return [c if c and not c.isspace() else "" for c in cells]
    except AttributeError:
        return None


def _stripped(cells: Sequence[Any]) -> list[str] | None:
    """Every cell without surrounding blanks (a missing cell is empty); None if one is not text."""
    try:
        return list(map(str.strip, cells))
    except TypeError:
        pass
    try:
        return list(map(str.strip, ["" if c is None else c for c in cells]))
    except TypeError:
        return None


def _fast_column(
    spec: FieldSpec,
    refs: Mapping[str, int] | None,
    unneutralise: Callable[[str], str] | None,
    must: bool,
    default: Any,
) -> Callable[[Sequence[Any]], list[Any] | None]:
    """The common case of a block of one field: its values, or None when a cell needs more."""
    kind = spec.kind
    if kind in ("text", "email"):
        limit = spec.max_length
        email = _EMAIL.match if kind == "email" else None
        undo = unneutralise is not None
        personal = spec.pii
        keep = kind == "text"

        def text(cells: Sequence[Any]) -> list[Any] | None:
            stripped = _kept(cells) if keep else _stripped(cells)
            if stripped is None:
                return None
            empty = "" in stripped
            if empty and must:
                return None
            # Joined by newlines, which the text rule allows: one search covers the block.
            joined = "\n".join(stripped)
            if "\r" in joined or text_problem(joined) is not None:
                return None
            if personal and MASK_MARK in joined:
                return None
            if undo and (joined.startswith("'") or "\n'" in joined):
                return None
            if limit is not None and stripped and max(map(len, stripped)) > limit:
                return None
            if email is not None and not all(map(email, filter(None, stripped))):
                return None
            return [s or default for s in stripped] if empty else stripped  # type: ignore[misc]

        return text
    table: dict[str, Any] | None = None
    if kind == "choice":
        table = {}
        for choice in spec.choices:
            table[choice.value.lower()] = choice.value
            table[choice.zh_hant] = choice.value
            table[choice.zh_hans] = choice.value
    elif kind == "ref":
        table = dict(refs or {})
    elif kind == "bool":
        table = dict.fromkeys(TRUE_WORDS, True) | dict.fromkeys(FALSE_WORDS, False)
    if table is not None:
        if not must:
            table[""] = default
        lower = kind == "bool"
        get = table.get

        def look_up(cells: Sequence[Any]) -> list[Any] | None:
            stripped = _stripped(cells)
            if stripped is None:
                return None
            keys = map(str.lower, stripped) if lower else stripped
            found = list(map(get, keys, repeat(_NOT_FOUND)))
            return None if _NOT_FOUND in found else found

        return look_up
    one = importer(spec, refs=refs, unneutralise=unneutralise, required=must, default=default)

    def each(cells: Sequence[Any]) -> list[Any] | None:
        try:
            return [one(cell) for cell in cells]
        except CellError:
            return None

    return each
