"""The risk register as a paged list, with the filters the register screen offers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select

from specialops import clock
from specialops.areas.risks.actions import STATUS_LABELS
from specialops.areas.risks.models import Risk
from specialops.areas.risks.rules import LEVEL_LABELS
from specialops.identity import Actor
from specialops.listing import Column, ListSpec, PageSource
from specialops.models.core import Department
from specialops.permissions import require
from specialops.store.store import Store

LETTER = {"low": "L", "medium": "M", "high": "H", "critical": "C"}


def _level(value: object) -> str:
    if not value:
        return "-"
    return f"{LETTER.get(str(value), '?')} {LEVEL_LABELS.get(str(value), '')}"


def _status(value: object) -> str:
    return STATUS_LABELS.get(str(value), str(value or ""))


def _review(value: object) -> str:
    if not isinstance(value, date):
        return ""
    late = value < clock.today()
    return f"{value.isoformat()}{'!' if late else ''}"


def risks_spec() -> ListSpec:
    """Code, level, title, owner, status and next review of every risk."""
    risks = Risk.__table__
    departments = Department.__table__
    source = select(
        risks.c.id,
        risks.c.code,
        risks.c.level,
        risks.c.residual_level,
        risks.c.title,
        risks.c.owner,
        risks.c.status,
        risks.c.next_review,
        risks.c.category,
        risks.c.likelihood,
        risks.c.impact,
        risks.c.residual_likelihood,
        risks.c.residual_impact,
        risks.c.linked,
        (risks.c.status != "closed").label("open"),
        departments.c.code.label("department"),
    ).select_from(risks.outerjoin(departments, risks.c.department_id == departments.c.id))
    return ListSpec(
        source=source,
        columns=(
            Column("code", "Code 編號", 8, searchable=True),
            Column("level", "Level", 6, format=_level),
            Column("residual_level", "Resid.", 6, format=_level),
            Column("title", "Title 風險", 26, searchable=True),
            Column("owner", "Owner 負責人", 13, searchable=True),
            Column("status", "Status", 6, format=_status),
            Column("next_review", "Review 覆核", 11, format=_review),
        ),
        default_sort="code",
    )


def risks_source(store: Store, actor: Actor) -> PageSource:
    require(actor, "records.read")
    return PageSource(store, risks_spec())


def headline(store: Store, actor: Actor) -> str | None:
    """The register's home card: open risks and how many are high or critical."""
    risks = Risk.__table__
    with store.read() as session:
        open_count, severe = session.execute(
            select(
                func.count(),
                func.coalesce(
                    func.sum(case((risks.c.level.in_(("high", "critical")), 1), else_=0)), 0
                ),
            ).where(risks.c.status != "closed")
        ).one()
    if not open_count:
        return None
    return f"{open_count} open risks, {severe} high or critical"
