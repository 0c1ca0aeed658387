"""Indicators fed by specialops' own data: a reading each day, no typing needed.

Each area registers the figures it can offer with
:func:`specialops.feeds.feed`; an indicator names one (and an argument such
as a department code). Readings are taken once a day by :func:`take_readings` (cron runs
``specialops risks read-indicators``; the app calls it at start) or on demand.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, func, select

from specialops import clock
from specialops.areas.risks.models import IndicatorReading, Risk, RiskAction, RiskIndicator
from specialops.areas.risks.rules import OPEN_ACTION_STATUSES
from specialops.feeds import FEEDS, department_id, feed
from specialops.identity import SYSTEM, Actor
from specialops.store.store import Store

__all__ = ["FEEDS", "department_id", "feed", "take_readings"]


@feed("overdue_risk_actions", "overdue risk actions (of a department, or all)")
def overdue_risk_actions(session: Session, arg: str | None, today: date) -> float:
    query = (
        select(func.count())
        .select_from(RiskAction)
        .where(col(RiskAction.status).in_(OPEN_ACTION_STATUSES), col(RiskAction.due_date) < today)
    )
    department = department_id(session, arg)
    if department is not None:
        query = query.where(RiskAction.department_id == department)
    return float(session.exec(query).one())


@feed("open_high_risks", "open high or critical risks (of a department, or all)")
def open_high_risks(session: Session, arg: str | None, today: date) -> float:
    query = (
        select(func.count())
        .select_from(Risk)
        .where(Risk.status != "closed", col(Risk.level).in_(("high", "critical")))
    )
    department = department_id(session, arg)
    if department is not None:
        query = query.where(Risk.department_id == department)
    return float(session.exec(query).one())


def _read_on(reading: IndicatorReading | None, day: date) -> bool:
    if reading is None:
        return False
    return reading.at.astimezone(clock.local_zone()).date() >= day


def take_readings(store: Store, actor: Actor = SYSTEM, *, force: bool = False) -> int:
    """Read every fed indicator not yet read today (all of them with ``force``)."""
    from specialops import areas
    from specialops.areas.risks.actions import latest_readings, record_reading_in

    areas.load()
    today = clock.today()
    taken = 0
    with store.write(actor, comment="automatic indicator readings") as session:
        indicators = session.exec(
            select(RiskIndicator).where(col(RiskIndicator.feed).is_not(None))
        ).all()
        latest = latest_readings(session, [i.id for i in indicators])  # type: ignore[misc]
        for indicator in indicators:
            if not force and _read_on(latest.get(indicator.id), today):  # type: ignore[arg-type]
                continue
            source = FEEDS.get(indicator.feed or "")
            if source is None:
                continue
            value = source.fn(session, indicator.feed_arg, today)
            if value is None:
                continue
            record_reading_in(session, actor, indicator, value, source="auto")
            taken += 1
    return taken
