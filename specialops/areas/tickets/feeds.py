"""Figures of the service desk that risk indicators can be fed from."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, func, select

from specialops import clock
from specialops.areas.tickets import rules
from specialops.areas.tickets.models import Ticket
from specialops.feeds import department_id, feed


@feed("ticket_breach_share", "share of a department's open tickets past their deadline (%)")
def ticket_breach_share(session: Session, arg: str | None, today: date) -> float | None:
    now = clock.now()
    late = func.count(Ticket.id).filter(rules.breached_sql(col(Ticket.due_at), now))
    query = select(func.count(), late).where(col(Ticket.status).in_(rules.RUNNING))
    department = department_id(session, arg)
    if department is not None:
        query = query.where(Ticket.department_id == department)
    total, late_count = session.exec(query).one()
    return round(100.0 * late_count / total, 1) if total else 0.0
