"""The service-level clock: business hours, weekends, holidays, pauses, time zones (CS-2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specialops.areas.tickets import sla
from specialops.errors import ValidationError

TPE = ZoneInfo("Asia/Taipei")
HOUR = 3600


def at(text: str, zone: ZoneInfo = TPE) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


CAL = sla.Calendar()  # Mon-Fri 09:00-12:00 and 13:00-18:00, Asia/Taipei


# --- hand-checked cases ---------------------------------------------------------------------


def test_friday_1750_with_a_4_hour_target_is_due_monday_1350() -> None:
    # 10 minutes on Friday, then Monday 09:00-12:00 (3 h) and 13:00-13:50.
    due = CAL.add(at("2026-11-27T17:50"), 4 * HOUR)
    assert due == at("2026-11-30T13:50")
    assert CAL.between(at("2026-11-27T17:50"), due) == 4 * HOUR


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2026-11-30T09:00", 1, "2026-11-30T10:00"),  # plain morning
        ("2026-11-30T11:30", 1, "2026-11-30T13:30"),  # across lunch
        ("2026-11-30T12:15", 1, "2026-11-30T14:00"),  # opened at lunch: counts from 13:00
        ("2026-11-30T07:00", 2, "2026-11-30T11:00"),  # before opening hours
        ("2026-11-30T20:00", 2, "2026-12-01T11:00"),  # after closing: next morning
        ("2026-11-28T10:00", 1, "2026-11-30T10:00"),  # Saturday: Monday
        ("2026-11-30T09:00", 8, "2026-11-30T18:00"),  # exactly one working day
        ("2026-11-30T09:00", 8.5, "2026-12-01T09:30"),
        ("2026-11-27T17:00", 24, "2026-12-02T17:00"),  # three working days over a weekend
    ],
)
def test_add(start: str, hours: float, due: str) -> None:
    assert CAL.add(at(start), hours * HOUR) == at(due)


def test_a_holiday_is_skipped_and_a_make_up_saturday_is_worked() -> None:
    calendar = sla.Calendar(
        holidays=frozenset({date(2026, 11, 30)}), workdays_extra=frozenset({date(2026, 11, 28)})
    )
    assert calendar.add(at("2026-11-27T17:50"), 4 * HOUR) == at("2026-11-28T13:50")
    assert calendar.add(at("2026-11-28T17:00"), 2 * HOUR) == at("2026-12-01T10:00")
    assert not calendar.is_working_day(date(2026, 11, 30))
    assert calendar.is_working_day(date(2026, 11, 28))


def test_between_counts_only_working_time() -> None:
    assert CAL.between(at("2026-11-27T17:00"), at("2026-11-30T10:00")) == 2 * HOUR
    assert CAL.between(at("2026-11-28T08:00"), at("2026-11-29T20:00")) == 0
    assert CAL.between(at("2026-11-30T10:00"), at("2026-11-27T17:00")) == -2 * HOUR


def test_time_zones_give_the_same_moment() -> None:
    start = at("2026-11-27T17:50")
    in_utc = start.astimezone(UTC)
    in_new_york = start.astimezone(ZoneInfo("America/New_York"))
    assert CAL.add(in_utc, 4 * HOUR) == CAL.add(in_new_york, 4 * HOUR) == at("2026-11-30T13:50")
    assert CAL.add(in_utc, 4 * HOUR).tzinfo == UTC


def test_a_desk_in_another_zone_works_its_own_hours() -> None:
    london = sla.Calendar(zone="Europe/London", hours=((time(9), time(17)),))
    # Monday 09:00 Taipei is 01:00 in London: the clock starts at 09:00 London time.
    due = london.add(at("2026-11-30T09:00"), 1 * HOUR)
    assert due == datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Europe/London"))


def test_daylight_saving_changes_do_not_change_working_hours() -> None:
    berlin = sla.Calendar(zone="Europe/Berlin", hours=((time(9), time(17)),))
    friday = datetime(2026, 3, 27, 16, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    # Clocks go forward on Sunday 29 March; Monday still opens at 09:00 local time.
    assert berlin.add(friday, 2 * HOUR) == datetime(
        2026, 3, 30, 10, 0, tzinfo=ZoneInfo("Europe/Berlin")
    )


def test_pauses_stop_the_clock() -> None:
    start = at("2026-11-30T09:00")
    now = at("2026-11-30T15:00")  # 5 working hours later (lunch excluded)
    assert CAL.elapsed(start, now) == 5 * HOUR
    pauses = [(at("2026-11-30T10:00"), at("2026-11-30T11:00"))]
    assert CAL.elapsed(start, now, pauses) == 4 * HOUR
    # an open pause lasts until now; overlapping pauses count once
    pauses += [(at("2026-11-30T10:30"), at("2026-11-30T11:30")), (at("2026-11-30T14:00"), None)]
    assert CAL.elapsed(start, now, pauses) == 5 * HOUR - 1.5 * HOUR - 1 * HOUR


def test_deadlines_follow_priority_and_pauses() -> None:
    policy = sla.Policy()
    opened = at("2026-11-27T17:50")
    found = sla.deadlines(CAL, policy, priority="urgent", opened_at=opened)
    assert found.response_due == at("2026-11-30T09:50")  # 1 h first response
    assert found.resolve_due == at("2026-11-30T13:50")  # 4 h resolution
    assert found.due_at == found.response_due
    assert found.warn_at == at("2026-11-30T09:38")  # 80 % of 1 h
    responded = sla.deadlines(
        CAL, policy, priority="urgent", opened_at=opened, responded=True, paused_seconds=HOUR
    )
    assert responded.due_at == responded.resolve_due == at("2026-11-30T14:50")
    stopped = sla.deadlines(CAL, policy, priority="urgent", opened_at=opened, running=False)
    assert stopped.due_at == sla.NO_DEADLINE


@pytest.mark.parametrize(
    ("now", "state"),
    [("2026-11-30T09:00", "ok"), ("2026-11-30T09:40", "nearing"), ("2026-11-30T09:50", "breached")],
)
def test_urgency(now: str, state: str) -> None:
    assert sla.urgency(at(now), at("2026-11-30T09:50"), at("2026-11-30T09:38")) == state
    assert sla.urgency(at(now), sla.NO_DEADLINE, sla.NO_DEADLINE) == "paused"


@pytest.mark.parametrize(
    ("seconds", "text"), [(3 * HOUR + 300, "3h05m"), (-4800, "-1h20m"), (52 * HOUR, "2d4h")]
)
def test_format_left(seconds: float, text: str) -> None:
    assert sla.format_left(seconds) == text


def test_bad_calendars_are_refused() -> None:
    with pytest.raises(ValidationError, match="in order"):
        sla.Calendar(hours=((time(13), time(12)),))
    with pytest.raises(ValidationError, match="time zone"):
        sla.Calendar(zone="Mars/Olympus")
    with pytest.raises(ValidationError):
        sla.Policy(warn_ratio=1.5)
    with pytest.raises(ValueError, match="aware"):
        CAL.add(datetime(2026, 11, 30, 9), HOUR)


def test_settings_round_trip_through_json() -> None:
    calendar = sla.Calendar(
        zone="Asia/Shanghai",
        hours=((time(8, 30), time(12)), (time(13, 30), time.max)),
        workdays=frozenset({1, 2, 3, 4, 5, 6}),
        holidays=frozenset({date(2026, 10, 1)}),
    )
    assert sla.Calendar.from_json(calendar.to_json()) == calendar
    assert calendar.day_seconds == 3.5 * HOUR + 10.5 * HOUR
    policy = sla.Policy({"high": sla.Target(1, 6)}, warn_ratio=0.75)
    assert sla.Policy.from_json(policy.to_json()) == policy


# --- properties -----------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
durations = st.floats(min_value=1, max_value=200 * HOUR, allow_nan=False)
holiday_sets = st.frozensets(st.dates(date(2026, 1, 1), date(2028, 6, 30)), max_size=30)


@settings(max_examples=150, deadline=None)
@given(start=moments, seconds=durations, holidays=holiday_sets)
def test_adding_then_counting_gives_the_target_back(start, seconds, holidays) -> None:
    calendar = sla.Calendar(holidays=holidays)
    due = calendar.add(start, seconds)
    assert due > start
    assert calendar.between(start, due) == pytest.approx(seconds, abs=1e-3)


@settings(max_examples=150, deadline=None)
@given(start=moments, seconds=durations)
def test_a_deadline_always_falls_in_working_time(start, seconds) -> None:
    due = CAL.add(start, seconds).astimezone(TPE)
    assert CAL.is_working_day(due.date())
    clock_time = due.time()
    assert any(a < clock_time <= b for a, b in CAL.hours)


@settings(max_examples=150, deadline=None)
@given(a=moments, b=moments, c=moments)
def test_business_time_adds_up_and_never_exceeds_wall_time(a, b, c) -> None:
    a, b, c = sorted((a, b, c))
    assert CAL.between(a, c) == pytest.approx(CAL.between(a, b) + CAL.between(b, c), abs=1e-6)
    assert 0 <= CAL.between(a, c) <= (c - a).total_seconds()


@settings(max_examples=100, deadline=None)
@given(
    start=moments,
    now_after=st.floats(min_value=0, max_value=30 * 24 * HOUR),
    pauses=st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=30 * 24 * HOUR),
            st.floats(min_value=0, max_value=5 * 24 * HOUR),
        ),
        max_size=4,
    ),
)
def test_pauses_never_add_time(start, now_after, pauses) -> None:
    now = start + timedelta(seconds=now_after)
    spans = [
        (start + timedelta(seconds=a), start + timedelta(seconds=a + length))
        for a, length in pauses
    ]
    paused = CAL.elapsed(start, now, spans)
    assert 0 <= paused <= CAL.elapsed(start, now) + 1e-6
