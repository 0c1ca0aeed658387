"""Follow-up visits (回訪, CS-3): scheduled after resolution or by hand, with satisfaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, func, select

from specialops import alerts, clock
from specialops.areas.customers.models import Customer
from specialops.areas.tickets import config
from specialops.areas.tickets.models import FollowUp, Ticket
from specialops.errors import NotFound, ValidationError
from specialops.identity import Actor
from specialops.models.core import UserAccount
from specialops.permissions import require
from specialops.store.records import get_by_code, update_record
from specialops.store.store import Store

STATUSES = ("scheduled", "done", "cancelled")


def schedule_after_resolution_in(session: Session, ticket: Ticket) -> FollowUp | None:
    """Book the follow-up of a resolved ticket, ``tickets.followup_days`` later (working days
    do not matter: people call back on the day asked), inside the resolving transaction."""
    if ticket.customer_id is None:
        return None
    existing = session.exec(
        select(FollowUp).where(
            FollowUp.ticket_id == ticket.id,
            FollowUp.kind == "after_resolution",
            FollowUp.status == "scheduled",
        )
    ).first()
    if existing is not None:
        return existing
    followup = FollowUp(
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        kind="after_resolution",
        due_date=clock.today() + timedelta(days=config.followup_days(session)),
        assignee_id=ticket.assignee_id,
    )
    session.add(followup)
    session.flush()
    return followup


def cancel_for_ticket_in(session: Session, ticket: Ticket) -> int:
    """A reopened ticket's pending follow-up waits for the next resolution (inside the
    reopening transaction)."""
    found = session.exec(
        select(FollowUp).where(FollowUp.ticket_id == ticket.id, FollowUp.status == "scheduled")
    ).all()
    for followup in found:
        followup.status = "cancelled"
    session.flush()
    return len(found)


def add_followup(
    store: Store,
    actor: Actor,
    *,
    customer: str,
    due_date: date,
    ticket: str | None = None,
    assignee: str | None = None,
    kind: str = "manual",
) -> FollowUp:
    """Book a follow-up by hand (or a periodic one)."""
    require(actor, "ticket.work")
    if kind not in ("manual", "periodic"):
        raise ValidationError("a follow-up booked by hand is manual or periodic", field="kind")
    with store.write(actor) as session:
        found = get_by_code(session, Customer, customer)
        ticket_id = get_by_code(session, Ticket, ticket).id if ticket else None
        user_id = actor.user_id
        if assignee:
            user = session.exec(select(UserAccount).where(UserAccount.username == assignee)).first()
            if user is None:
                raise ValidationError(f"unknown user {assignee}", field="assignee")
            user_id = user.id
        followup = FollowUp(
            ticket_id=ticket_id,
            customer_id=found.id or 0,
            kind=kind,
            due_date=due_date,
            assignee_id=user_id,
        )
        session.add(followup)
        session.flush()
        return followup


def record_result(
    store: Store,
    actor: Actor,
    followup_id: int,
    seen_version: int,
    *,
    satisfaction: int,
    comments: str = "",
) -> FollowUp:
    """The customer was reached: keep the satisfaction (1–5) and their words."""
    require(actor, "ticket.work")
    if isinstance(satisfaction, bool) or satisfaction not in (1, 2, 3, 4, 5):
        raise ValidationError("satisfaction is 1 to 5", field="satisfaction")
    with store.write(actor) as session:
        followup = update_record(session, FollowUp, followup_id, seen_version, {})
        if followup.status != "scheduled":
            raise ValidationError(f"{followup.code} is already {followup.status}")
        followup.status = "done"
        followup.satisfaction = satisfaction
        followup.comments = comments.strip() or None
        followup.done_at = clock.now()
        session.flush()
        return followup


def cancel(store: Store, actor: Actor, followup_id: int, seen_version: int) -> FollowUp:
    require(actor, "ticket.work")
    with store.write(actor) as session:
        followup = update_record(session, FollowUp, followup_id, seen_version, {})
        if followup.status != "scheduled":
            raise ValidationError(f"{followup.code} is already {followup.status}")
        followup.status = "cancelled"
        session.flush()
        return followup


@dataclass(frozen=True)
class Satisfaction:
    """Average satisfaction over ``count`` answered follow-ups, and the scores in date order."""

    average: float | None
    count: int
    trend: tuple[tuple[datetime, int], ...] = ()


def customer_satisfaction(session: Session, customer_id: int, last: int = 12) -> Satisfaction:
    rows = session.exec(
        select(FollowUp.done_at, FollowUp.satisfaction)
        .where(
            FollowUp.customer_id == customer_id,
            FollowUp.status == "done",
            col(FollowUp.satisfaction).is_not(None),
        )
        .order_by(col(FollowUp.done_at))
    ).all()
    scores = [(at, int(s)) for at, s in rows if at is not None and s is not None]
    if not scores:
        return Satisfaction(None, 0)
    average = sum(s for _, s in scores) / len(scores)
    return Satisfaction(round(average, 2), len(scores), tuple(scores[-last:]))


def agent_satisfaction(session: Session) -> dict[str, Satisfaction]:
    """Average satisfaction per agent (the follow-up's ticket's assignee)."""
    rows = session.exec(
        select(UserAccount.username, func.avg(FollowUp.satisfaction), func.count())
        .join(Ticket, col(Ticket.id) == FollowUp.ticket_id)
        .join(UserAccount, col(UserAccount.id) == Ticket.assignee_id)
        .where(FollowUp.status == "done", col(FollowUp.satisfaction).is_not(None))
        .group_by(UserAccount.username)
        .order_by(UserAccount.username)
    ).all()
    return {name: Satisfaction(round(float(avg), 2), int(n)) for name, avg, n in rows}


def get_followup(session: Session, code: str) -> FollowUp:
    found = session.exec(select(FollowUp).where(FollowUp.code == code)).first()
    if found is None:
        raise NotFound(f"no follow-up {code}")
    return found


@alerts.source("followups")
def followup_alerts(session: Session, now: datetime) -> Iterator[alerts.Alert]:
    """Follow-ups past their day."""
    today = now.astimezone(clock.local_zone()).date()
    rows = session.exec(
        select(FollowUp, Customer.name, UserAccount.username)
        .join(Customer, col(Customer.id) == FollowUp.customer_id)
        .outerjoin(UserAccount, col(UserAccount.id) == FollowUp.assignee_id)
        .where(FollowUp.status == "scheduled", col(FollowUp.due_date) < today)
        .order_by(col(FollowUp.due_date), col(FollowUp.id))
        .limit(200)
    ).all()
    for followup, customer_name, username in rows:
        days = (today - followup.due_date).days
        yield alerts.Alert(
            "warning",
            "tickets",
            followup.code or "",
            f"follow-up overdue by {days} days: {customer_name}",
            users=(username,) if username else (),
        )
