"""One measure with thresholds: project KPIs, risk indicators and every scorecard to come.

A measure has a :class:`Direction` (higher or lower is better), an optional
target, and warning and critical thresholds lying from the target towards
worse. A reading gets a :class:`Level`; a reading exactly on a threshold has
crossed it. A measure with no reading has no level (``None``): it is not yet
measured, and counts as neither good nor bad.

Each area keeps its own words for directions and levels (projects say
``higher_better`` and green/amber/red, risks ``higher_worse`` and
ok/warning/critical) through a :class:`Vocabulary`; what the database stores
and what imports and forms accept stay the area's words.

    KPI = Vocabulary({"higher_better": Direction.HIGHER_BETTER, ...}, ("green", "amber", "red"),
                     order_errors={...}, order_field="warning")
    thresholds = check(KPI, "higher_better", warning=80, critical=70, target=85)
    KPI.name(level_of(65, thresholds))  # "red"
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, IntEnum
from typing import Any, TypeVar, overload

from sqlalchemy import func
from sqlmodel import Session, col, select

from specialops.errors import ValidationError
from specialops.io.convert import NUMBER_LIMIT, NUMBER_LIMIT_TEXT

R = TypeVar("R")
_LIMIT = float(NUMBER_LIMIT)


class Direction(Enum):
    """Which way a measure gets better."""

    HIGHER_BETTER = "higher_better"
    LOWER_BETTER = "lower_better"


class Level(IntEnum):
    """How far a reading has gone towards worse; a larger level is worse."""

    OK = 1
    WARNING = 2
    CRITICAL = 3


@dataclass(frozen=True)
class Thresholds:
    """A measure's direction, warning and critical thresholds and optional target."""

    direction: Direction
    warning: float
    critical: float
    target: float | None = None


@dataclass(frozen=True)
class Vocabulary:
    """An area's words for directions and levels, and how it words out-of-order thresholds.

    ``directions`` maps each stored direction word onto a :class:`Direction`;
    ``levels`` names OK, WARNING and CRITICAL in that order; ``order_errors``
    gives, per direction word, the message for thresholds out of order, reported
    on ``order_field``.
    """

    directions: Mapping[str, Direction]
    levels: tuple[str, str, str]
    order_errors: Mapping[str, str]
    order_field: str

    def direction(self, word: str) -> Direction:
        """The direction a stored word means; an unknown word names the field."""
        found = self.directions.get(word)
        if found is None:
            raise ValidationError(f"direction is {' or '.join(self.directions)}", field="direction")
        return found

    def word(self, direction: Direction) -> str:
        """The area's word for ``direction``."""
        return next(w for w, d in self.directions.items() if d is direction)

    @overload
    def name(self, level: Level) -> str: ...
    @overload
    def name(self, level: None) -> None: ...
    def name(self, level: Level | None) -> str | None:
        """The area's name of a level (``None``, not yet measured, stays ``None``)."""
        return None if level is None else self.levels[level - Level.OK]

    def level_of(self, name: str | None) -> Level | None:
        """The level an area's name stands for (``None`` for no name or an unknown one)."""
        if name not in self.levels:
            return None
        return Level(self.levels.index(name) + Level.OK)

    def names_from(self, level: Level) -> tuple[str, ...]:
        """The area's names of ``level`` and every worse level."""
        return self.levels[level - Level.OK :]

    def thresholds(
        self, direction: str, warning: float, critical: float, target: float | None = None
    ) -> Thresholds:
        """Stored thresholds in the area's words, taken as they are (see :func:`check`)."""
        return Thresholds(self.direction(direction), warning, critical, target)

    def reading(self, previous: str | None, value: float, thresholds: Thresholds) -> Crossing:
        """What a new reading does to a measure last at the level named ``previous``.

        A reading that is not a finite number in range raises ValidationError
        (see :func:`finite`).
        """
        finite(value, "value")
        return crossing(self.level_of(previous), level_of(value, thresholds))

    def level(self, value: float, direction: str, warning: float, critical: float) -> str:
        """The area's name of the level a reading gives against stored thresholds."""
        return self.name(level_of(value, self.thresholds(direction, warning, critical)))


def finite(value: Any, field: str) -> float:
    """``value`` as a float when it is a finite number within the numbers' range.

    Readings, targets and thresholds all pass here, however they were typed
    (a form, the command line, an import, a feed): ``nan``, ``inf`` and
    ``1e400`` would make every comparison with them meaningless. Raises
    :class:`ValidationError` naming ``field`` and the accepted range.
    """
    number = math.nan
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an int beyond any float
            number = math.inf
    if not math.isfinite(number) or abs(number) > _LIMIT:
        shown = str(value)
        shown = shown if len(shown) <= 24 else shown[:20] + "…"
        raise ValidationError(
            f"{field}: {shown} is not accepted: a number here is finite, "
            f"from -{NUMBER_LIMIT_TEXT} to {NUMBER_LIMIT_TEXT}",
            field=field,
        )
    return number


def out_of_order(thresholds: Thresholds) -> bool:
    """Whether the thresholds fail to run from the target through warning to critical."""
    t = thresholds
    points = [t.critical, t.warning] + ([] if t.target is None else [t.target])
    if t.direction is Direction.LOWER_BETTER:
        points.reverse()
    return points != sorted(points)


def check(
    vocabulary: Vocabulary,
    direction: str,
    *,
    warning: float,
    critical: float,
    target: float | None = None,
) -> Thresholds:
    """Validated thresholds from an area's direction word.

    Raises :class:`ValidationError` for an unknown direction (field
    ``direction``) or thresholds out of order (the area's message and field):
    when higher is better, critical ≤ warning ≤ target; when lower is better,
    the other way round.
    """
    finite(warning, "warning")
    finite(critical, "critical")
    if target is not None:
        finite(target, "target")
    found = vocabulary.thresholds(direction, warning, critical, target)
    if out_of_order(found):
        raise ValidationError(vocabulary.order_errors[direction], field=vocabulary.order_field)
    return found


def has_reached(value: float, threshold: float, direction: Direction) -> bool:
    """Whether ``value`` is on ``threshold`` or beyond it towards worse."""
    if direction is Direction.HIGHER_BETTER:
        return value <= threshold
    return value >= threshold


@overload
def level_of(value: float, thresholds: Thresholds) -> Level: ...
@overload
def level_of(value: None, thresholds: Thresholds) -> None: ...
def level_of(value: float | None, thresholds: Thresholds) -> Level | None:
    """The level of a reading; ``None`` when there is no reading."""
    if value is None:
        return None
    if has_reached(value, thresholds.critical, thresholds.direction):
        return Level.CRITICAL
    if has_reached(value, thresholds.warning, thresholds.direction):
        return Level.WARNING
    return Level.OK


def worst(levels: Iterable[Level | None]) -> Level | None:
    """The worst of some levels; ``None`` when none of them was measured."""
    return max((level for level in levels if level is not None), default=None)


@dataclass(frozen=True)
class Crossing:
    """What a new reading did to a measure's level.

    A measure without an earlier reading is taken to have been OK, so a first
    reading crosses only when it is not OK.
    """

    previous: Level | None
    current: Level

    @property
    def crossed(self) -> bool:
        """Whether the level changed (either way)."""
        return self.current != self._before

    @property
    def entered(self) -> Level | None:
        """The level the measure moved into, or ``None`` when it stayed."""
        return self.current if self.crossed else None

    @property
    def worse(self) -> bool:
        """Whether the measure moved towards worse."""
        return self.current > self._before

    @property
    def _before(self) -> Level:
        return Level.OK if self.previous is None else self.previous


def crossing(previous: Level | None, current: Level) -> Crossing:
    """Compare the level before a reading with the level it gave."""
    return Crossing(previous, current)


def latest(
    session: Session,
    reading: type[R],
    measure: Any,
    order: Sequence[Any],
    measure_ids: Sequence[int] | None = None,
) -> dict[int, R]:
    """The newest row of ``reading`` per measure (newest first by ``order``), by measure id.

    ``measure`` is the reading's column naming its measure; ``order`` the
    columns that rank readings, newest first (give each with ``.desc()``).
    """
    rank = func.row_number().over(partition_by=measure, order_by=tuple(order)).label("rank")
    key = col(reading.id)  # type: ignore[attr-defined]
    ranked = select(key, rank)
    if measure_ids is not None:
        ranked = ranked.where(col(measure).in_(measure_ids))
    newest = ranked.subquery()
    rows = session.exec(
        select(reading).join(newest, key == newest.c.id).where(newest.c.rank == 1)
    ).all()
    return {getattr(row, measure.key): row for row in rows}


@dataclass(frozen=True)
class ReadingResult:
    """What recording one reading of a measure did, in the area's own level names."""

    measure: str
    value: float
    level: str
    previous: str | None
    crossed: bool
