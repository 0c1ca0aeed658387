"""Project arithmetic: KPI RAG levels, earned value and health (pure functions, PRJ-4).

KPI levels come from :mod:`specialops.measures`, named green/amber/red
through :data:`KPI`.

Earned value works on planned effort: each task's planned hours are its
budget share. Planned value (PV) at a day is the effort that should be
done by then (a task's hours spread evenly from its start to its due date);
earned value (EV) is planned hours × percent complete. SPI = EV / PV.
EV in money is the budget × EV / total planned hours; CPI = EV money /
actual spend.

CPI is judged only once a meaningful share of the work has been earned
(:data:`CPI_MEANINGFUL_SHARE`); before that, cost is judged by the spend
against the budget and against the planned value (see :func:`cost_health`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from specialops import measures
from specialops.errors import ValidationError

RAG = ("green", "amber", "red")
RAG_LABELS = {"green": "正常", "amber": "注意", "red": "警示"}
# KPIs are measures (specialops.measures) named in the project's words.
KPI = measures.Vocabulary(
    directions={
        "higher_better": measures.Direction.HIGHER_BETTER,
        "lower_better": measures.Direction.LOWER_BETTER,
    },
    levels=RAG,
    order_errors={
        "higher_better": "when higher is better: critical ≤ warning ≤ target",
        "lower_better": "when lower is better: critical ≥ warning ≥ target",
    },
    order_field="warning",
)
DIRECTIONS = tuple(KPI.directions)
DONE_STATUSES = ("done", "cancelled")

# Health thresholds (documented here, the one place they live).
SPI_AMBER, SPI_RED = 0.95, 0.8
CPI_AMBER, CPI_RED = 0.95, 0.8
SPEND_AMBER = 0.9  # share of the budget spent
# CPI = EV / AC says little while almost nothing is earned: a deposit paid in
# week one against 1 % of the work earned gives a CPI near 0 although nothing
# is wrong. Project controllers wait until a meaningful share of the budget at
# completion has been earned (commonly 10-20 %, when the CPI has been found to
# settle); before that, cost is judged by spend against plan and budget.
CPI_MEANINGFUL_SHARE = 0.10  # share of the work (budget at completion) earned
# Before CPI is meaningful: spending this many times the planned value (and at
# least CPI_MEANINGFUL_SHARE of the budget) is "far ahead of plan": amber.
SPEND_AHEAD_OF_PLAN = 1.5
MILESTONE_RED_DAYS = 14  # a milestone this many days late turns the schedule red


# Stages in which a project's budget is still a proposal; past them it was approved.
PROPOSAL_STAGES = ("proposed", "returned", "rejected")


def budget_approved(stage: str) -> bool:
    """Whether the budget of a project in ``stage`` was approved (it is past its proposal).

    Changing an approved budget takes the right that approved it (``project.approve``).
    """
    return stage not in PROPOSAL_STAGES


def worst(levels: Iterable[str | None]) -> str:
    """The worst of some RAG levels (green when there are none)."""
    return KPI.name(measures.worst(KPI.level_of(level) for level in levels)) or "green"


def check_kpi(direction: str, target: float, warning: float, critical: float) -> None:
    """Thresholds must lie between the target and worse, critical beyond warning."""
    measures.check(KPI, direction, warning=warning, critical=critical, target=target)


def kpi_level(value: float, direction: str, warning: float, critical: float) -> str:
    """green, amber or red; a value exactly on a threshold has reached it."""
    return KPI.level(value, direction, warning, critical)


@dataclass(frozen=True)
class TaskLine:
    """What earned value and health need of one task."""

    planned_hours: int
    percent_complete: int
    start_date: date | None
    due_date: date | None
    status: str = "todo"
    title: str = ""


@dataclass(frozen=True)
class MilestoneLine:
    name: str
    due_date: date
    achieved_date: date | None = None


def planned_fraction(start: date | None, due: date | None, today: date) -> float:
    """How much of a task should be done on ``today`` (0…1), linear from start to due."""
    if due is None:
        return 0.0
    start = start or due
    if today >= due:
        return 1.0
    if today <= start:
        return 0.0
    return (today - start).days / (due - start).days


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class EarnedValue:
    """Earned-value figures of a project on one day (hours and minor units)."""

    total_hours: int
    planned_hours: float
    earned_hours: float
    budget: int
    earned_money: int | None
    actual: int
    spi: float | None
    cpi: float | None

    @property
    def earned_share(self) -> float | None:
        """The share of the planned work earned so far (0…1); None without a plan."""
        return self.earned_hours / self.total_hours if self.total_hours else None

    @property
    def planned_money(self) -> int | None:
        """Planned value in minor units: the budget's share that should be spent by now."""
        if not self.total_hours:
            return None
        share = Decimal(str(self.planned_hours)) / Decimal(self.total_hours)
        return _half_up(Decimal(self.budget) * share)

    @property
    def cpi_meaningful(self) -> bool:
        """Whether enough work is earned for the CPI to be judged (CPI_MEANINGFUL_SHARE)."""
        share = self.earned_share
        return self.cpi is not None and share is not None and share >= CPI_MEANINGFUL_SHARE


def earned_value(tasks: Sequence[TaskLine], today: date, budget: int, spent: int) -> EarnedValue:
    """PV, EV, SPI and CPI from the plan's tasks, the budget and the spend so far."""
    counted = [t for t in tasks if t.status != "cancelled"]
    total = sum(t.planned_hours for t in counted)
    pv = sum(t.planned_hours * planned_fraction(t.start_date, t.due_date, today) for t in counted)
    ev = sum(t.planned_hours * min(max(t.percent_complete, 0), 100) / 100 for t in counted)
    earned_money = _half_up(Decimal(budget) * Decimal(str(ev)) / Decimal(total)) if total else None
    spi = round(ev / pv, 3) if pv > 0 else None
    cpi = round(earned_money / spent, 3) if earned_money is not None and spent > 0 else None
    return EarnedValue(total, round(pv, 2), round(ev, 2), budget, earned_money, spent, spi, cpi)


@dataclass(frozen=True)
class Health:
    """One colour per project and the reasons for it, per dimension."""

    colour: str
    schedule: str
    cost: str
    kpi: str | None  # None: no KPI has a reading yet (not measured, not green)
    reasons: list[str] = field(default_factory=list)
    ev: EarnedValue | None = None
    unmeasured: tuple[str, ...] = ()  # the KPIs with no reading yet

    @property
    def kpi_measured(self) -> bool:
        """Whether any KPI of the project has a reading."""
        return self.kpi is not None


def schedule_health(
    tasks: Sequence[TaskLine], milestones: Sequence[MilestoneLine], ev: EarnedValue, today: date
) -> tuple[str, list[str]]:
    """Late milestones, overdue tasks and the SPI."""
    levels: list[str] = []
    reasons: list[str] = []
    for m in milestones:
        if m.achieved_date is None and m.due_date < today:
            late = (today - m.due_date).days
            levels.append("red" if late > MILESTONE_RED_DAYS else "amber")
            reasons.append(f"milestone {m.name} late by {late} days")
    overdue = [
        t for t in tasks if t.status not in DONE_STATUSES and t.due_date and t.due_date < today
    ]
    if overdue:
        levels.append("amber")
        reasons.append(f"{len(overdue)} overdue tasks")
    if ev.spi is not None and ev.spi < SPI_AMBER:
        levels.append("red" if ev.spi < SPI_RED else "amber")
        reasons.append(f"SPI {ev.spi:.2f} (behind plan)")
    return worst(levels), reasons


def cost_health(ev: EarnedValue) -> tuple[str, list[str]]:
    """Spend against the budget at once; the CPI once enough work is earned.

    Spending more than the budget is red and 90 % of it amber, whatever was
    earned. The CPI is judged only when at least ``CPI_MEANINGFUL_SHARE`` of
    the work has been earned; before that, spending ``SPEND_AHEAD_OF_PLAN``
    times the planned value (and at least that share of the budget) is amber.
    """
    levels: list[str] = []
    reasons: list[str] = []
    share = ev.actual / ev.budget if ev.budget > 0 else 0.0
    if ev.budget > 0 and ev.actual > 0:
        if share > 1:
            levels.append("red")
            reasons.append(f"over budget: spent {share:.0%} of the budget")
        elif share >= SPEND_AMBER:
            levels.append("amber")
            reasons.append(f"spent {share:.0%} of the budget")
    elif ev.budget == 0 and ev.actual > 0:
        levels.append("red")
        reasons.append("spending without a budget")
    cpi = ev.cpi if ev.cpi_meaningful else None
    if cpi is not None:
        if cpi < CPI_AMBER:
            levels.append("red" if cpi < CPI_RED else "amber")
            reasons.append(f"CPI {cpi:.2f} (costs above earned value)")
        return worst(levels), reasons
    planned = ev.planned_money
    earned = ev.earned_share
    if levels or planned is None or earned is None or ev.actual <= 0:
        return worst(levels), reasons
    if ev.actual > SPEND_AHEAD_OF_PLAN * planned and share >= CPI_MEANINGFUL_SHARE:
        levels.append("amber")
        reasons.append(
            f"spent {share:.0%} of the budget, {planned / ev.budget:.0%} planned by now"
            f" (CPI not yet meaningful: {earned:.0%} of work earned)"
        )
    return worst(levels), reasons


def kpi_health(kpis: Sequence[tuple[str, str | None]]) -> tuple[str | None, list[str]]:
    """The worst level of the KPIs read so far; ``kpis`` are (name, level) pairs.

    A KPI without a reading (level ``None``) counts neither way; with no reading
    at all the KPI level is ``None``, not yet measured.
    """
    levels = [KPI.level_of(level) for _, level in kpis]
    found = measures.worst(levels)
    warn = KPI.names_from(measures.Level.WARNING)
    reasons = [f"KPI {name} {level}" for name, level in kpis if level in warn]
    return KPI.name(found), reasons


def health(
    tasks: Sequence[TaskLine],
    milestones: Sequence[MilestoneLine],
    kpis: Sequence[tuple[str, str | None]],
    budget: int,
    spent: int,
    today: date,
) -> Health:
    """The project's health: the worst of schedule, cost and KPIs, with every reason."""
    ev = earned_value(tasks, today, budget, spent)
    schedule, s_reasons = schedule_health(tasks, milestones, ev, today)
    cost, c_reasons = cost_health(ev)
    kpi, k_reasons = kpi_health(kpis)
    return Health(
        worst((schedule, cost, kpi)),
        schedule,
        cost,
        kpi,
        s_reasons + c_reasons + k_reasons,
        ev,
        tuple(name for name, level in kpis if level is None),
    )


def format_money(minor: int | None) -> str:
    """Minor units as ``1,234,567`` (whole) or ``1,234.50``."""
    if minor is None:
        return ""
    whole, cents = divmod(abs(minor), 100)
    sign = "-" if minor < 0 else ""
    return f"{sign}{whole:,}" if cents == 0 else f"{sign}{whole:,}.{cents:02d}"


def parse_money(text: str, field_name: str = "budget") -> int:
    """``1,234.5`` → 123450 minor units (the shared number reader); at most two decimals.

    An amount whose minor units an SQLite INTEGER cannot hold is refused, naming
    ``field_name`` and the accepted range.
    """
    from specialops.io.convert import (
        AmbiguousNumber,
        CellError,
        OutOfRange,
        minor_units,
        parse_number,
    )

    try:
        value = parse_number(text.strip())
    except AmbiguousNumber as error:
        raise ValidationError(str(error), field=field_name) from None
    except OutOfRange as error:
        raise ValidationError(f"{field_name}: {error}", field=field_name) from None
    except CellError:
        raise ValidationError(
            f"'{text}' is not an amount (such as 1,234.50)", field=field_name
        ) from None
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError(
            f"'{text}' is not an amount with at most 2 decimals", field=field_name
        )
    try:
        return minor_units(value, 2, text.strip())
    except CellError as error:
        raise ValidationError(f"{field_name}: {error}", field=field_name) from None


def sparkline(values: Sequence[float]) -> str:
    """A small trend in ASCII (CJK terminals draw block characters two cells wide)."""
    bars = "_.-=+*#@"
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return "?" * len(values)
    low, high = min(finite), max(finite)
    span = high - low or 1
    # A value that is not finite (stored before readings had to be) shows as "?".
    return "".join(
        bars[int((v - low) / span * (len(bars) - 1))] if math.isfinite(v) else "?" for v in values
    )
