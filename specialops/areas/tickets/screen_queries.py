"""The small reads behind the service desk's keys, as frozen views in one short session each."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from specialops import workflow as wf
from specialops.areas.customers.models import Customer
from specialops.areas.tickets import config, followups
from specialops.areas.tickets.actions import TICKETS, open_load
from specialops.areas.tickets.models import FollowUp, QualityReview, Ticket
from specialops.identity import Actor
from specialops.models.core import UserAccount
from specialops.permissions import can
from specialops.store.store import Store


@dataclass(frozen=True)
class TicketRef:
    """What a ticket key acts on: the ticket, the version a change is made against, its code."""

    id: int
    version: int
    code: str


def ticket_ref(store: Store, ticket_id: int) -> TicketRef | None:
    """The ticket's id, version and code (``None`` once it is gone)."""
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None or ticket.id is None:
            return None
        return TicketRef(ticket.id, ticket.version, ticket.code or "")


def ticket_customer_code(store: Store, ticket_id: int) -> str | None:
    """The code of the ticket's customer (``None`` when it has none)."""
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        customer = session.get(Customer, ticket.customer_id) if ticket else None
        return customer.code if customer is not None else None


@dataclass(frozen=True)
class AgentLoad:
    """An agent who may take the ticket, with their open tickets."""

    username: str
    name: str
    open_tickets: int


def agents_for(store: Store, ticket_id: int) -> tuple[AgentLoad, ...]:
    """The active agents of the ticket's department, by login, with their open tickets."""
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        people = session.exec(
            select(UserAccount)
            .where(UserAccount.department_id == (ticket.department_id if ticket else None))
            .order_by(UserAccount.username)
        ).all()
        people = [u for u in people if u.active and can(u.role, "ticket.work")]
        load = open_load(session, [u.id for u in people if u.id is not None])
        return tuple(AgentLoad(u.username, u.name, load.get(u.id or 0, 0)) for u in people)


@dataclass(frozen=True)
class StepChoice:
    """A status change open to the user: its label and its name."""

    label: str
    name: str


def status_steps(store: Store, actor: Actor, ticket_id: int) -> tuple[StepChoice, ...]:
    """The status changes ``actor`` may make on the ticket now, in declared order."""
    with store.read() as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            return ()
        return tuple(
            StepChoice(t.label, t.name) for t in wf.available(session, ticket, actor, TICKETS)
        )


def followup_customer_code(store: Store, followup_code: str) -> str | None:
    """The code of the customer a follow-up visits."""
    with store.read() as session:
        found = followups.get_followup(session, followup_code)
        customer = session.get(Customer, found.customer_id)
        return customer.code if customer is not None else None


@dataclass(frozen=True)
class FollowUpForm:
    """What the follow-up result form saves against."""

    id: int
    version: int


def followup_form(store: Store, followup_id: int) -> FollowUpForm:
    """The follow-up's version (0 once it is gone: the save then says so)."""
    with store.read() as session:
        found = session.get(FollowUp, followup_id)
        return FollowUpForm(followup_id, found.version if found else 0)


@dataclass(frozen=True)
class ReviewForm:
    """What the quality review form asks and saves against: the checklist's (key, label) items."""

    id: int
    version: int
    checklist: tuple[tuple[str, str], ...]


def review_form(store: Store, review_id: int) -> ReviewForm:
    """The review's version (0 once it is gone) and the checklist it is scored on."""
    with store.read() as session:
        found = session.get(QualityReview, review_id)
        items = tuple((key, label) for key, label in config.checklist(session))
        return ReviewForm(review_id, found.version if found else 0, items)
