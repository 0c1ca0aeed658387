"""One measure with thresholds: levels, validation, crossings, worst-of, no reading."""

from __future__ import annotations

import pytest
from sqlmodel import col

from specialops import measures
from specialops.areas.projects.rules import KPI
from specialops.areas.risks.rules import INDICATOR
from specialops.errors import ValidationError
from specialops.measures import Direction, Level, Thresholds

OK, WARNING, CRITICAL = Level.OK, Level.WARNING, Level.CRITICAL
UP = Thresholds(Direction.HIGHER_BETTER, warning=80, critical=70, target=90)
DOWN = Thresholds(Direction.LOWER_BETTER, warning=5, critical=7, target=3)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (95, OK),
        (80.01, OK),
        (80, WARNING),  # exactly on the warning threshold: crossed
        (79.99, WARNING),
        (70.01, WARNING),
        (70, CRITICAL),  # exactly on the critical threshold: crossed
        (69.99, CRITICAL),
        (-5, CRITICAL),
    ],
)
def test_levels_when_higher_is_better(value: float, level: Level) -> None:
    assert measures.level_of(value, UP) is level


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (0, OK),
        (4.99, OK),
        (5, WARNING),  # exactly on the warning threshold: crossed
        (5.01, WARNING),
        (6.99, WARNING),
        (7, CRITICAL),  # exactly on the critical threshold: crossed
        (7.01, CRITICAL),
    ],
)
def test_levels_when_lower_is_better(value: float, level: Level) -> None:
    assert measures.level_of(value, DOWN) is level


def test_the_target_does_not_change_the_level() -> None:
    without = Thresholds(Direction.HIGHER_BETTER, warning=80, critical=70)
    for value in (60, 70, 75, 80, 85, 90, 100):
        assert measures.level_of(value, without) is measures.level_of(value, UP)


def test_a_measure_with_no_reading_has_no_level() -> None:
    assert measures.level_of(None, UP) is None
    assert KPI.name(None) is None and INDICATOR.name(None) is None


def test_warning_and_critical_on_one_value_go_straight_to_critical() -> None:
    same = Thresholds(Direction.LOWER_BETTER, warning=10, critical=10)
    assert [measures.level_of(v, same) for v in (9, 10, 11)] == [OK, CRITICAL, CRITICAL]


@pytest.mark.parametrize(
    ("direction", "warning", "critical", "target"),
    [
        ("higher_better", 80, 70, 90),
        ("higher_better", 80, 80, 80),  # thresholds may coincide
        ("lower_better", 5, 7, 3),
        ("lower_better", 5, 5, 5),
    ],
)
def test_thresholds_in_order_are_accepted(
    direction: str, warning: float, critical: float, target: float
) -> None:
    found = measures.check(KPI, direction, warning=warning, critical=critical, target=target)
    assert found == Thresholds(KPI.direction(direction), warning, critical, target)


@pytest.mark.parametrize(
    ("direction", "warning", "critical", "target", "message"),
    [
        ("higher_better", 70, 80, 90, "when higher is better: critical ≤ warning ≤ target"),
        ("higher_better", 95, 70, 90, "when higher is better: critical ≤ warning ≤ target"),
        ("lower_better", 7, 5, 3, "when lower is better: critical ≥ warning ≥ target"),
        ("lower_better", 2, 7, 3, "when lower is better: critical ≥ warning ≥ target"),
    ],
)
def test_kpi_thresholds_out_of_order_name_the_warning_field(
    direction: str, warning: float, critical: float, target: float, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        measures.check(KPI, direction, warning=warning, critical=critical, target=target)
    assert (str(error.value), error.value.field) == (message, "warning")


@pytest.mark.parametrize(
    ("direction", "warning", "critical", "message"),
    [
        (
            "higher_worse",
            20,
            10,
            "when higher is worse, the critical threshold must be at or above the warning one",
        ),
        (
            "lower_worse",
            80,
            90,
            "when lower is worse, the critical threshold must be at or below the warning one",
        ),
    ],
)
def test_indicator_thresholds_out_of_order_name_the_critical_field(
    direction: str, warning: float, critical: float, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        measures.check(INDICATOR, direction, warning=warning, critical=critical)
    assert (str(error.value), error.value.field) == (message, "critical")
    measures.check(INDICATOR, direction, warning=critical, critical=warning)


@pytest.mark.parametrize(
    ("vocabulary", "message"),
    [
        (KPI, "direction is higher_better or lower_better"),
        (INDICATOR, "direction is higher_worse or lower_worse"),
    ],
)
def test_an_unknown_direction_names_the_direction_field(
    vocabulary: measures.Vocabulary, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        measures.check(vocabulary, "sideways", warning=1, critical=2)
    assert (str(error.value), error.value.field) == (message, "direction")


def test_the_areas_words_map_onto_one_direction_each() -> None:
    assert KPI.direction("higher_better") is INDICATOR.direction("lower_worse")
    assert KPI.direction("lower_better") is INDICATOR.direction("higher_worse")
    assert INDICATOR.word(Direction.LOWER_BETTER) == "higher_worse"
    assert KPI.word(Direction.LOWER_BETTER) == "lower_better"


def test_the_areas_name_the_levels_in_their_own_words() -> None:
    assert [KPI.name(level) for level in Level] == ["green", "amber", "red"]
    assert [INDICATOR.name(level) for level in Level] == ["ok", "warning", "critical"]
    assert [KPI.level_of(name) for name in ("green", "amber", "red")] == list(Level)
    assert KPI.level_of("warning") is None and KPI.level_of(None) is None
    assert KPI.names_from(WARNING) == ("amber", "red")
    assert INDICATOR.names_from(CRITICAL) == ("critical",)


def test_both_areas_agree_on_a_reading_exactly_on_a_threshold() -> None:
    # A KPI where higher is better and an indicator where lower is worse are one measure.
    assert KPI.level(70, "higher_better", 80, 70) == "red"
    assert INDICATOR.level(70, "lower_worse", 80, 70) == "critical"
    assert KPI.level(5, "lower_better", 5, 7) == "amber"
    assert INDICATOR.level(5, "higher_worse", 5, 7) == "warning"


@pytest.mark.parametrize(
    ("previous", "current", "crossed", "entered", "worse"),
    [
        (None, OK, False, None, False),  # a first reading that is OK changes nothing
        (None, WARNING, True, WARNING, True),
        (None, CRITICAL, True, CRITICAL, True),
        (OK, OK, False, None, False),
        (OK, WARNING, True, WARNING, True),
        (WARNING, WARNING, False, None, False),
        (WARNING, CRITICAL, True, CRITICAL, True),
        (OK, CRITICAL, True, CRITICAL, True),
        (CRITICAL, WARNING, True, WARNING, False),
        (CRITICAL, OK, True, OK, False),
        (WARNING, OK, True, OK, False),
    ],
)
def test_crossings(
    previous: Level | None, current: Level, crossed: bool, entered: Level | None, worse: bool
) -> None:
    found = measures.crossing(previous, current)
    assert (found.crossed, found.entered, found.worse) == (crossed, entered, worse)


def test_a_reading_against_a_level_named_in_the_areas_words() -> None:
    thresholds = INDICATOR.thresholds("higher_worse", warning=10, critical=20)
    change = INDICATOR.reading("warning", 20, thresholds)
    assert (change.previous, change.current, change.crossed) == (WARNING, CRITICAL, True)
    assert not INDICATOR.reading(None, 9.99, thresholds).crossed


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([], None),
        ([None, None], None),
        ([OK], OK),
        ([OK, None], OK),  # an unread measure counts neither way
        ([OK, WARNING, None], WARNING),
        ([CRITICAL, OK, WARNING], CRITICAL),
    ],
)
def test_worst_of_levels(levels: list[Level | None], expected: Level | None) -> None:
    assert measures.worst(levels) is expected


def test_latest_takes_the_newest_reading_of_each_measure(ctx) -> None:
    from datetime import datetime, timedelta

    from specialops.areas.risks import actions as risks
    from specialops.areas.risks.models import IndicatorReading, Risk, RiskIndicator

    with ctx.store.write(ctx.actor) as session:
        risk = Risk(title="t", category="market", owner="x")
        session.add(risk)
        session.flush()
        one, two = (
            RiskIndicator(risk_id=risk.id, name=n, warning=1, critical=2) for n in ("a", "b")
        )
        session.add_all([one, two])
        session.flush()
        at = datetime(2026, 11, 1, 9, 0).astimezone()
        for indicator, value, later in ((one, 1, 2), (one, 3, 1), (two, 5, 0), (one, 4, 2)):
            session.add(
                IndicatorReading(
                    indicator_id=indicator.id,
                    at=at + timedelta(hours=later),
                    value=value,
                    level="ok",
                    recorded_by="x",
                )
            )
        ids = (one.id, two.id)
    with ctx.store.read() as session:
        order = (col(IndicatorReading.at).desc(), col(IndicatorReading.id).desc())
        found = measures.latest(session, IndicatorReading, IndicatorReading.indicator_id, order)
        only = measures.latest(
            session, IndicatorReading, IndicatorReading.indicator_id, order, [ids[1]]
        )
        via_area = risks.latest_readings(session)
    # one: two readings two hours later (values 1 and 4): the later row wins the tie
    assert {k: r.value for k, r in found.items()} == {ids[0]: 4, ids[1]: 5}
    assert list(only) == [ids[1]]
    assert {k: r.id for k, r in via_area.items()} == {k: r.id for k, r in found.items()}
