"""Changing the service desk's settings by name: ``specialops tickets config KEY VALUE``.

Every setting in :mod:`tickets_config` gets a dotted key, a reader that
shows its current value as plain JSON data and a parser that takes either
JSON or a simple text form (``09:00-12:00,13:00-18:00``, ``1-5``, ``80%``,
``帳務=FIN,*=CS``). A bad value is refused with the key named. Holidays are
also kept with their names, so ``holiday add 2027-01-01 --name 元旦`` reads
back as 元旦.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlmodel import Session, select

from specialops import settings
from specialops.areas.tickets import config, sla
from specialops.errors import UsageError, ValidationError
from specialops.identity import Actor
from specialops.io.convert import CellError
from specialops.io.convert import parse_date as read_date
from specialops.models.core import Department
from specialops.permissions import require
from specialops.store.store import Store

HOLIDAY_NAMES_KEY = "sla.holiday_names"
HOLIDAY_NAMES: settings.Key[dict[str, str]] = settings.Key(HOLIDAY_NAMES_KEY, dict)


# --- parsing simple text forms ------------------------------------------------------------------


def _json_or(text: str) -> Any:
    """The value as JSON when it parses, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _items(text: str, sep: str = ",") -> list[str]:
    return [part.strip() for part in re.split(f"[{sep}\n]", text) if part.strip()]


def _number(value: Any, what: str) -> float:
    """A number, or a percent such as ``80%`` as a share (0.8)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} is a number")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        if text.endswith("%"):
            return float(text[:-1]) / 100
        return float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not {what}") from None


def _whole(value: Any, what: str) -> int:
    number = _number(value, what)
    if number != int(number):
        raise ValueError(f"{what} is a whole number")
    return int(number)


def _dates(value: Any) -> frozenset[date]:
    items = value if isinstance(value, list) else _items(str(value))
    out = set()
    for item in items:
        try:
            out.add(read_date(str(item).strip()))
        except CellError as error:
            raise ValueError(str(error)) from None
    return frozenset(out)


def _hours(value: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(value, list):
        pairs = value
    else:
        pairs = [part.split("-", 1) for part in _items(str(value))]
    out = []
    for pair in pairs:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError("working periods are written 09:00-12:00,13:00-18:00")
        out.append((str(pair[0]).strip(), str(pair[1]).strip()))
    return tuple(out)


def _workdays(value: Any) -> frozenset[int]:
    items = value if isinstance(value, list) else _items(str(value))
    days: set[int] = set()
    for item in items:
        text = str(item)
        low, _, high = text.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise ValueError(f"'{text}' is not an ISO weekday (1 = Monday … 7 = Sunday)") from None
        days.update(range(first, last + 1))
    if not days <= set(range(1, 8)):
        raise ValueError("workdays are ISO weekdays 1 (Monday) to 7 (Sunday)")
    return frozenset(days)


def _target(value: Any) -> sla.Target:
    if isinstance(value, dict):
        pair = [value.get("first_response"), value.get("resolution")]
    elif isinstance(value, list):
        pair = value
    else:
        pair = _items(str(value).replace("h", ""), sep=",/")
    if len(pair) != 2:
        raise ValueError("a target is first-response/resolution hours, e.g. 4/24")
    first, final = (_number(v, "a number of hours") for v in pair)
    if first > final:
        raise ValueError("the first response cannot be due after the resolution")
    return sla.Target(first, final)


def _routing(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        rules = {str(k).strip(): str(v).strip() for k, v in value.items()}
    else:
        rules = {}
        for item in _items(str(value)):
            category, sep, department = item.partition("=")
            if not sep:
                raise ValueError("routing is written 帳務=FIN,技術支援=RD,*=CS")
            rules[category.strip()] = department.strip()
    if "*" not in rules:
        raise ValueError("routing needs a '*' rule for every other category")
    return rules


def _checklist(value: Any) -> list[list[str]]:
    if isinstance(value, list):
        pairs = [list(item) if isinstance(item, list | tuple) else [] for item in value]
    else:
        pairs = [list(item.partition("=")[::2]) for item in _items(str(value), sep=";")]
    out: list[list[str]] = []
    for pair in pairs:
        if len(pair) != 2 or not str(pair[0]).strip() or not str(pair[1]).strip():
            raise ValueError("checklist items are written key=label;key=label")
        out.append([str(pair[0]).strip(), str(pair[1]).strip()])
    if not out:
        raise ValueError("the checklist needs at least one item")
    keys = [k for k, _ in out]
    if len(set(keys)) != len(keys):
        raise ValueError("checklist keys must differ")
    return out


# --- the settings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One changeable setting: what it is, how to read it, how to apply a new value."""

    key: str
    help: str
    show: Callable[[Session], Any]
    apply: Callable[[Session, Any], None]


def _save(session: Session, key: settings.Key[Any], value: Any) -> None:
    settings.put_in(session, key, value)


def _calendar_entry(key: str, help: str, field: str, parse: Callable[[Any], Any]) -> Entry:
    def show(session: Session) -> Any:
        return json.loads(config.load_calendar(session).to_json())[field]

    def apply(session: Session, value: Any) -> None:
        calendar = replace(config.load_calendar(session), **{field: parse(value)})
        _save(session, config.CALENDAR, calendar)

    return Entry(key, help, show, apply)


def _target_entry(priority: str) -> Entry:
    def show(session: Session) -> Any:
        target = config.load_policy(session).target(priority)
        return [target.first_response, target.resolution]

    def apply(session: Session, value: Any) -> None:
        policy = config.load_policy(session)
        targets = {**policy.targets, priority: _target(value)}
        _save(session, config.POLICY, sla.Policy(targets, policy.warn_ratio))

    return Entry(
        f"sla.target.{priority}",
        f"{priority} tickets: first-response/resolution business hours, e.g. 4/24",
        show,
        apply,
    )


def _set_nearing(session: Session, value: Any) -> None:
    policy = config.load_policy(session)
    share = _number(value, "a share such as 0.8 or 80%")
    _save(session, config.POLICY, sla.Policy(dict(policy.targets), share))


def _set_routing(session: Session, value: Any) -> None:
    rules = _routing(value)
    known = set(session.exec(select(Department.code)).all())
    unknown = sorted(set(rules.values()) - known)
    if unknown:
        raise ValueError(f"unknown department {', '.join(unknown)}")
    _save(session, config.ROUTING, rules)


def _set_followup(session: Session, value: Any) -> None:
    days = _whole(value, "a number of days")
    if not 0 <= days <= 365:
        raise ValueError("follow-up days run from 0 to 365")
    _save(session, config.FOLLOWUP_DAYS, days)


def _set_share(session: Session, value: Any) -> None:
    share = _number(value, "a share such as 0.1 or 10%")
    if not 0 < share <= 1:
        raise ValueError("the sampled share is above 0 and at most 1 (100%)")
    _save(session, config.SAMPLE_SHARE, share)


def _set_pass(session: Session, value: Any) -> None:
    score = _whole(value, "a whole percent")
    if not 0 <= score <= 100:
        raise ValueError("the pass score is a percent from 0 to 100")
    _save(session, config.PASS_SCORE, score)


ENTRIES: dict[str, Entry] = {
    e.key: e
    for e in (
        _calendar_entry("sla.zone", "time zone of the working calendar", "zone", str),
        _calendar_entry(
            "sla.hours",
            "working periods of a working day, e.g. 09:00-12:00,13:00-18:00",
            "hours",
            _hours,
        ),
        _calendar_entry(
            "sla.workdays", "working weekdays, 1 = Monday, e.g. 1-5", "workdays", _workdays
        ),
        _calendar_entry(
            "sla.holidays", "days off (YYYY-MM-DD, comma separated)", "holidays", _dates
        ),
        _calendar_entry(
            "sla.makeup_days", "weekend days worked (補班), YYYY-MM-DD", "workdays_extra", _dates
        ),
        *(_target_entry(p) for p in sla.PRIORITIES),
        Entry(
            "sla.nearing",
            "share of a target after which a ticket is nearing, e.g. 0.8 or 80%",
            lambda s: config.load_policy(s).warn_ratio,
            _set_nearing,
        ),
        Entry(
            "tickets.routing",
            "category → department code, e.g. 帳務=FIN,*=CS",
            config.load_routing,
            _set_routing,
        ),
        Entry(
            "tickets.followup_days",
            "days after resolution when the follow-up call is due",
            config.followup_days,
            _set_followup,
        ),
        Entry(
            "quality.sample_share",
            "share of each agent's resolved tickets sampled weekly, e.g. 10%",
            config.sample_share,
            _set_share,
        ),
        Entry(
            "quality.checklist",
            "review items scored 1-5, e.g. greeting=問候;solution=解決方案",
            lambda s: [list(item) for item in config.checklist(s)],
            lambda s, v: _save(s, config.CHECKLIST, _checklist(v)),
        ),
        Entry(
            "quality.pass_score",
            "percent of the checklist a review needs to pass",
            config.pass_score,
            _set_pass,
        ),
    )
}


def _entry(key: str) -> Entry:
    found = ENTRIES.get(key)
    if found is None:
        raise UsageError(f"unknown setting {key}; the settings are: {', '.join(ENTRIES)}")
    return found


def show_all(store: Store) -> dict[str, Any]:
    """Every setting's current value (defaults where none was set)."""
    with store.read() as session:
        return {key: entry.show(session) for key, entry in ENTRIES.items()}


def show(store: Store, key: str) -> Any:
    """One setting's current value."""
    entry = _entry(key)
    with store.read() as session:
        return entry.show(session)


def set_value(store: Store, actor: Actor, key: str, text: str) -> Any:
    """Set ``key`` from ``text`` (JSON or the simple form); returns the value now in force.

    Read and write happen in one writing transaction, so two admins changing
    different parts of the calendar at once both keep their change.
    """
    require(actor, "ticket.configure")
    entry = _entry(key)
    with store.write(actor, comment=f"{key} = {text}") as session:
        try:
            entry.apply(session, _json_or(text))
        except ValidationError as error:
            raise ValidationError(f"{key}: {error}", field=key) from None
        except (ValueError, TypeError) as error:
            raise ValidationError(f"{key}: {error}", field=key) from None
        session.flush()
        return entry.show(session)


# --- holidays -------------------------------------------------------------------------------


def _day(text: str) -> date:
    try:
        return read_date(text.strip())
    except CellError as error:
        raise ValidationError(str(error), field="date") from None


def _names(session: Session) -> dict[str, str]:
    return dict(settings.get(session, HOLIDAY_NAMES))


def holidays(store: Store) -> list[tuple[str, str]]:
    """The calendar's holidays in order, with their names ('' when unnamed)."""
    with store.read() as session:
        names = _names(session)
        days = config.load_calendar(session).holidays
    return [(d.isoformat(), names.get(d.isoformat(), "")) for d in sorted(days)]


def add_holiday(store: Store, actor: Actor, day: str, name: str = "") -> None:
    """Make ``day`` a day off (open tickets keep their deadlines until their clock moves)."""
    require(actor, "ticket.configure")
    when = _day(day)
    with store.write(actor, comment=f"holiday {when} {name}".strip()) as session:
        calendar = config.load_calendar(session)
        if when in calendar.workdays_extra:
            raise ValidationError(
                f"{when} is a make-up working day; remove it from sla.makeup_days first",
                field="date",
            )
        calendar = replace(calendar, holidays=calendar.holidays | {when})
        _save(session, config.CALENDAR, calendar)
        names = _names(session)
        if name.strip():
            names[when.isoformat()] = name.strip()
        else:
            names.pop(when.isoformat(), None)
        _save(session, HOLIDAY_NAMES, names)


def remove_holiday(store: Store, actor: Actor, day: str) -> None:
    """Make ``day`` an ordinary day again."""
    require(actor, "ticket.configure")
    when = _day(day)
    with store.write(actor, comment=f"holiday {when} removed") as session:
        calendar = config.load_calendar(session)
        if when not in calendar.holidays:
            raise ValidationError(f"{when} is not a holiday", field="date")
        calendar = replace(calendar, holidays=calendar.holidays - {when})
        _save(session, config.CALENDAR, calendar)
        names = _names(session)
        if names.pop(when.isoformat(), None) is not None:
            _save(session, HOLIDAY_NAMES, names)
