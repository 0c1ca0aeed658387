"""The service-level clock: business time on a working calendar (CS-2).

Pure functions, no database. A :class:`Calendar` says when the desk works
(working periods on working days in one time zone, weekends, holidays and
make-up working days); :meth:`Calendar.add` finds the moment a number of
business seconds after a start, :meth:`Calendar.between` counts the business
seconds between two moments. A :class:`Policy` gives the first-response and
resolution targets per priority and the share of a target after which a
ticket counts as nearing its deadline. Every moment in and out is an aware
datetime; results are UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from specialops.areas.tickets import rules
from specialops.errors import ValidationError

HOUR = 3600.0
MAX_DAYS = 3660  # no target runs longer than ten years of calendar days
NO_DEADLINE = rules.NO_DEADLINE

PRIORITIES = ("urgent", "high", "normal", "low")


def _as_time(text: str | time) -> time:
    if isinstance(text, time):
        return text
    try:
        hour, minute = text.split(":")
        if hour == "24" and minute == "00":
            return time.max
        return time(int(hour), int(minute))
    except ValueError:
        raise ValidationError(f"'{text}' is not a time of day (HH:MM)", field="hours") from None


def _seconds_of(moment: time) -> int:
    return 86400 if moment == time.max else moment.hour * 3600 + moment.minute * 60


def _time_text(moment: time) -> str:
    return "24:00" if moment == time.max else moment.strftime("%H:%M")


@dataclass(frozen=True)
class Calendar:
    """When the service desk works.

    ``hours`` are the working periods of a working day (local wall time, in
    order, not overlapping); ``workdays`` are ISO weekdays (1 = Monday);
    ``holidays`` are days off even on a working weekday and ``workdays_extra``
    are weekend days worked (make-up days).
    """

    zone: str = "Asia/Taipei"
    hours: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13), time(18)))
    workdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[date] = frozenset()
    workdays_extra: frozenset[date] = frozenset()
    tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "tz", ZoneInfo(self.zone))
        except (KeyError, ValueError):
            raise ValidationError(f"unknown time zone {self.zone}", field="zone") from None
        hours = tuple((_as_time(a), _as_time(b)) for a, b in self.hours)
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays_extra", frozenset(self.workdays_extra))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        if not hours:
            raise ValidationError("a calendar needs working hours", field="hours")
        previous = time.min
        for start, end in hours:
            if not start < end or start < previous:
                raise ValidationError(
                    "working periods must be in order and not overlap", field="hours"
                )
            previous = end
        if not self.workdays <= {1, 2, 3, 4, 5, 6, 7}:
            raise ValidationError("workdays are ISO weekdays 1 to 7", field="workdays")
        if not self.workdays and not self.workdays_extra:
            raise ValidationError("a calendar needs working days", field="workdays")

    # ------------------------------------------------------------------ days

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays_extra:
            return True
        return day.isoweekday() in self.workdays and day not in self.holidays

    def periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working periods of ``day`` as UTC moments (none on a day off)."""
        if not self.is_working_day(day):
            return []
        out = []
        for start, end in self.hours:
            begin = datetime.combine(day, start, self.tz)
            finish = (
                datetime.combine(day + timedelta(days=1), time(0), self.tz)
                if end == time.max
                else datetime.combine(day, end, self.tz)
            )
            out.append((begin.astimezone(UTC), finish.astimezone(UTC)))
        return out

    def _days_from(self, moment: datetime) -> Iterator[date]:
        day = moment.astimezone(self.tz).date()
        for offset in range(MAX_DAYS):
            yield day + timedelta(days=offset)

    @property
    def day_seconds(self) -> float:
        """Business seconds in one working day."""
        return float(sum(_seconds_of(b) - _seconds_of(a) for a, b in self.hours))

    # ---------------------------------------------------------------- clock

    def add(self, start: datetime, seconds: float) -> datetime:
        """The moment ``seconds`` business seconds after ``start`` (UTC).

        A start outside working hours counts from the next working period;
        ``add(start, 0)`` is ``start`` itself.
        """
        _aware(start)
        moment = start.astimezone(UTC)
        if seconds <= 0:
            return moment
        left = float(seconds)
        for day in self._days_from(moment):
            for begin, end in self.periods(day):
                if end <= moment:
                    continue
                begin = max(begin, moment)
                room = (end - begin).total_seconds()
                if left <= room:
                    return begin + timedelta(seconds=left)
                left -= room
        raise ValidationError("the target is longer than the calendar can count", field="target")

    def between(self, start: datetime, end: datetime) -> float:
        """Business seconds from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        _aware(start)
        _aware(end)
        a, b = start.astimezone(UTC), end.astimezone(UTC)
        if b < a:
            return -self.between(b, a)
        total = 0.0
        last = b.astimezone(self.tz).date()
        for day in self._days_from(a):
            if day > last:
                break
            for begin, finish in self.periods(day):
                lo, hi = max(begin, a), min(finish, b)
                if hi > lo:
                    total += (hi - lo).total_seconds()
        return total

    def elapsed(
        self,
        start: datetime,
        now: datetime,
        pauses: Iterable[tuple[datetime, datetime | None]] = (),
    ) -> float:
        """Business seconds from ``start`` to ``now`` with the clock stopped in ``pauses``.

        A pause still open (``None`` end) lasts until ``now``; overlapping
        pauses count once.
        """
        running = self.between(start, now)
        stopped = 0.0
        for begin, end in merge_pauses(pauses, now):
            lo, hi = max(begin, start), min(end, now)
            if hi > lo:
                stopped += self.between(lo, hi)
        return max(running - stopped, 0.0)

    # ----------------------------------------------------------- settings

    def to_json(self) -> str:
        return json.dumps(
            {
                "zone": self.zone,
                "hours": [[_time_text(a), _time_text(b)] for a, b in self.hours],
                "workdays": sorted(self.workdays),
                "holidays": sorted(d.isoformat() for d in self.holidays),
                "workdays_extra": sorted(d.isoformat() for d in self.workdays_extra),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Calendar:
        data: dict[str, Any] = json.loads(text)
        return cls(
            zone=data.get("zone", "Asia/Taipei"),
            hours=tuple((_as_time(a), _as_time(b)) for a, b in data.get("hours", [])),
            workdays=frozenset(data.get("workdays", (1, 2, 3, 4, 5))),
            holidays=frozenset(date.fromisoformat(d) for d in data.get("holidays", [])),
            workdays_extra=frozenset(date.fromisoformat(d) for d in data.get("workdays_extra", [])),
        )


def _aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("the SLA clock takes aware datetimes only")


def merge_pauses(
    pauses: Iterable[tuple[datetime, datetime | None]], now: datetime
) -> list[tuple[datetime, datetime]]:
    """Pauses as sorted, non-overlapping UTC intervals (an open one ends at ``now``)."""
    spans = sorted(
        (a.astimezone(UTC), (b or now).astimezone(UTC)) for a, b in pauses if (b or now) > a
    )
    merged: list[tuple[datetime, datetime]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


@dataclass(frozen=True)
class Target:
    """First-response and resolution targets of one priority, in business hours."""

    first_response: float
    resolution: float


DEFAULT_TARGETS: Mapping[str, Target] = {
    "urgent": Target(1, 4),
    "high": Target(2, 8),
    "normal": Target(4, 24),
    "low": Target(8, 40),
}


@dataclass(frozen=True)
class Policy:
    """The service-level policy: targets per priority and when a ticket is nearing."""

    targets: Mapping[str, Target] = field(default_factory=lambda: dict(DEFAULT_TARGETS))
    warn_ratio: float = 0.8

    def __post_init__(self) -> None:
        if not 0 < self.warn_ratio < 1:
            raise ValidationError("the nearing share is between 0 and 1", field="warn_ratio")
        for name, target in self.targets.items():
            if target.first_response <= 0 or target.resolution <= 0:
                raise ValidationError(f"targets of {name} must be positive", field="targets")

    def target(self, priority: str) -> Target:
        return self.targets.get(priority) or self.targets.get("normal") or DEFAULT_TARGETS["normal"]

    def to_json(self) -> str:
        return json.dumps(
            {
                "targets": {k: [t.first_response, t.resolution] for k, t in self.targets.items()},
                "warn_ratio": self.warn_ratio,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Policy:
        data = json.loads(text)
        targets = {k: Target(float(a), float(b)) for k, (a, b) in data["targets"].items()}
        return cls(targets, float(data.get("warn_ratio", 0.8)))


@dataclass(frozen=True)
class Deadlines:
    """What the clock says about one ticket now."""

    response_due: datetime
    resolve_due: datetime
    due_at: datetime
    warn_at: datetime


def deadlines(
    calendar: Calendar,
    policy: Policy,
    *,
    priority: str,
    opened_at: datetime,
    paused_seconds: float = 0.0,
    responded: bool = False,
    running: bool = True,
) -> Deadlines:
    """The deadlines of a ticket opened at ``opened_at`` whose clock stopped
    ``paused_seconds`` business seconds so far.

    ``due_at`` is the next deadline that matters (first response until
    there is one, then resolution), or :data:`NO_DEADLINE` while the clock
    is not ``running``; ``warn_at`` is when the ticket starts nearing it.
    """
    target = policy.target(priority)
    first = target.first_response * HOUR + paused_seconds
    final = target.resolution * HOUR + paused_seconds
    response_due = calendar.add(opened_at, first)
    resolve_due = calendar.add(opened_at, final)
    if not running:
        return Deadlines(response_due, resolve_due, NO_DEADLINE, NO_DEADLINE)
    hours = target.resolution if responded else target.first_response
    due_at = resolve_due if responded else response_due
    warn_at = calendar.add(opened_at, hours * HOUR * policy.warn_ratio + paused_seconds)
    return Deadlines(response_due, resolve_due, due_at, warn_at)


@dataclass(frozen=True)
class ClockState:
    """A ticket's clock after a change of state: whether and since when it is stopped,
    the business seconds stopped so far, and the deadlines that follow."""

    paused_at: datetime | None
    paused_seconds: int
    deadlines: Deadlines


def clock_state(
    calendar: Calendar,
    policy: Policy,
    *,
    priority: str,
    opened_at: datetime,
    now: datetime,
    running: bool,
    paused_at: datetime | None = None,
    paused_seconds: int = 0,
    responded: bool = False,
) -> ClockState:
    """Stop the clock at ``now`` when it no longer ``running`` (it keeps an earlier stop),
    or restart it, adding the business time it stood still to ``paused_seconds``;
    then the deadlines for that clock.

    A new ticket is ``paused_seconds=0`` and not ``responded``.
    """
    if not running and paused_at is None:
        paused_at = now
    elif running and paused_at is not None:
        paused_seconds += int(calendar.between(paused_at, now))
        paused_at = None
    found = deadlines(
        calendar,
        policy,
        priority=priority,
        opened_at=opened_at,
        paused_seconds=paused_seconds,
        responded=responded,
        running=running,
    )
    return ClockState(paused_at, paused_seconds, found)


URGENCIES = ("ok", "nearing", "breached", "paused", "done")


def urgency(now: datetime, due_at: datetime | None, warn_at: datetime | None) -> str:
    """``breached`` from the deadline on, ``nearing`` past the warning, else ``ok``."""
    if not rules.has_deadline(due_at):
        return "paused"
    if rules.is_breached(now, due_at):
        return "breached"
    if rules.is_nearing(now, due_at, warn_at):
        return "nearing"
    return "ok"


def format_left(seconds: float) -> str:
    """Business time left as ``3h05m``, ``-1h20m`` past the deadline, ``2d4h`` far ahead."""
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds) // 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return f"{sign}{hours // 24}d{hours % 24}h"
    return f"{sign}{hours}h{minutes:02d}m"


def parse_holidays(values: Sequence[str]) -> frozenset[date]:
    """Typed dates (as imports read them) to a set of holidays."""
    from specialops.io.convert import CellError, parse_date

    try:
        return frozenset(parse_date(v.strip()) for v in values)
    except CellError as error:
        raise ValidationError(str(error), field="holidays") from None
