"""The ticket queue (CS-2): open, route, assign, converse, move through the workflow,
keep the service-level clock, escalate breaches.

The screens and the command line only call these functions; the verdicts
they share with the lists (breached, nearing, routing, which states run
the clock) come from :mod:`rules`. States move only through the
``tickets`` workflow; each move also moves the SLA clock
(:func:`sync_clock`): it stops while the ticket waits on the customer or
is resolved, and runs again when work resumes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, func, or_, select

from specialops import alerts, audit, clock
from specialops import workflow as wf
from specialops.areas.customers.models import Customer
from specialops.areas.people import lookup
from specialops.areas.tickets import config, rules, sla
from specialops.areas.tickets.choices import (
    TICKET_CHANNELS,
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    TICKET_TYPES,
)
from specialops.areas.tickets.models import Ticket, TicketMessage
from specialops.errors import NotFound, PermissionDenied, ValidationError
from specialops.identity import Actor
from specialops.models.core import Department, UserAccount
from specialops.permissions import can, require
from specialops.store.records import get_by_code, update_record
from specialops.store.session import log
from specialops.store.store import Store

STATUSES = tuple(c.value for c in TICKET_STATUSES)
STATUS_LABELS = {c.value: c.zh_hant for c in TICKET_STATUSES}
CHANNELS = tuple(c.value for c in TICKET_CHANNELS)
TYPES = tuple(c.value for c in TICKET_TYPES)
PRIORITIES = tuple(c.value for c in TICKET_PRIORITIES)
PRIORITY_LABELS = {c.value: c.zh_hant for c in TICKET_PRIORITIES}
CHANNEL_LABELS = {c.value: c.zh_hant for c in TICKET_CHANNELS}
TYPE_LABELS = {c.value: c.zh_hant for c in TICKET_TYPES}
OPEN = rules.OPEN
RUNNING = rules.RUNNING
MESSAGE_KINDS = ("reply", "note", "customer")


# --- the clock ------------------------------------------------------------------------------


def sync_clock(ticket: Ticket, now: datetime, calendar: sla.Calendar, policy: sla.Policy) -> None:
    """Stop or restart the ticket's clock for its state and recompute its deadlines."""
    state = sla.clock_state(
        calendar,
        policy,
        priority=ticket.priority,
        opened_at=_aware(ticket.opened_at),
        now=now,
        running=ticket.status in RUNNING,
        paused_at=_aware(ticket.paused_at) if ticket.paused_at else None,
        paused_seconds=ticket.paused_seconds,
        responded=ticket.first_response_at is not None,
    )
    if (ticket.paused_at is None) != (state.paused_at is None):
        ticket.paused_at = state.paused_at  # a clock already stopped keeps its moment as read
    ticket.paused_seconds = state.paused_seconds
    found = state.deadlines
    ticket.response_due, ticket.resolve_due = found.response_due, found.resolve_due
    ticket.due_at, ticket.warn_at = found.due_at, found.warn_at


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def time_left(ticket: Ticket, now: datetime, calendar: sla.Calendar) -> float | None:
    """Business seconds to the next deadline (negative past it); frozen while paused."""
    if ticket.status in ("resolved", "closed"):
        return None
    due = ticket.resolve_due if ticket.first_response_at else ticket.response_due
    if due is None:
        return None
    until = _aware(ticket.paused_at) if ticket.paused_at else now
    return calendar.between(until, _aware(due))


def _clock_effect(session: Session, ticket: Ticket, _actor: Actor, _payload: Any) -> None:
    sync_clock(ticket, clock.now(), config.load_calendar(session), config.load_policy(session))


def _assign_effect(session: Session, ticket: Ticket, actor: Actor, payload: Any) -> None:
    username = (payload or {}).get("assignee")
    user = (
        agent_named(session, username) if username else least_loaded(session, ticket.department_id)
    )
    if user is None:
        raise ValidationError("nobody in the department can take tickets", field="assignee")
    ticket.assignee_id = user.id
    _clock_effect(session, ticket, actor, payload)


def _take_effect(session: Session, ticket: Ticket, actor: Actor, payload: Any) -> None:
    if actor.user_id is not None:
        ticket.assignee_id = actor.user_id
    _clock_effect(session, ticket, actor, payload)


def _resolve_effect(session: Session, ticket: Ticket, actor: Actor, payload: Any) -> None:
    from specialops.areas.tickets import followups

    now = clock.now()
    ticket.resolved_at = now
    ticket.resolve_breached = rules.is_breached(now, ticket.resolve_due)
    _clock_effect(session, ticket, actor, payload)
    followups.schedule_after_resolution_in(session, ticket)


def _close_effect(session: Session, ticket: Ticket, actor: Actor, payload: Any) -> None:
    ticket.closed_at = clock.now()
    _clock_effect(session, ticket, actor, payload)


def _reopen_effect(session: Session, ticket: Ticket, actor: Actor, payload: Any) -> None:
    from specialops.areas.tickets import followups

    ticket.resolved_at = ticket.closed_at = None
    _clock_effect(session, ticket, actor, payload)
    followups.cancel_for_ticket_in(session, ticket)


def _has_assignee(_s: Session, ticket: Ticket, _a: Actor, _p: Any) -> str | None:
    return None if ticket.assignee_id else "assign the ticket to someone first"


def _mine_or_lead(_s: Session, ticket: Ticket, actor: Actor, _p: Any) -> str | None:
    if ticket.assignee_id in (None, actor.user_id) or can(actor, "ticket.assign"):
        return None
    return "the ticket is someone else's; a manager may reassign it"


TICKETS = wf.register(
    wf.Workflow(
        name="tickets",
        model=Ticket,
        state_field="status",
        states=STATUSES,
        labels=STATUS_LABELS,
        transitions=[
            wf.Transition(
                "assign",
                ["new"],
                "assigned",
                "assign 指派",
                permission="ticket.assign",
                effect=_assign_effect,
            ),
            wf.Transition(
                "take",
                ["new", "assigned"],
                "in_progress",
                "take 接手處理",
                permission="ticket.work",
                guards=[_mine_or_lead],
                effect=_take_effect,
            ),
            wf.Transition(
                "wait",
                ["in_progress"],
                "waiting",
                "wait on the customer 待客戶回覆",
                permission="ticket.work",
                guards=[_mine_or_lead],
                effect=_clock_effect,
            ),
            wf.Transition(
                "resume",
                ["waiting"],
                "in_progress",
                "resume 繼續處理",
                permission="ticket.work",
                guards=[_mine_or_lead],
                effect=_clock_effect,
            ),
            wf.Transition(
                "resolve",
                ["assigned", "in_progress", "waiting"],
                "resolved",
                "resolve 解決",
                permission="ticket.work",
                guards=[_has_assignee, _mine_or_lead],
                needs_comment=True,
                effect=_resolve_effect,
            ),
            wf.Transition(
                "close",
                ["resolved"],
                "closed",
                "close 結案",
                permission="ticket.work",
                effect=_close_effect,
            ),
            wf.Transition(
                "reopen",
                ["resolved", "closed"],
                "in_progress",
                "reopen 重開",
                permission="ticket.work",
                needs_comment=True,
                effect=_reopen_effect,
            ),
        ],
    )
)


# --- people ---------------------------------------------------------------------------------


def _user(session: Session, username: str, field: str = "assignee") -> UserAccount:
    return lookup.user_named(session, username, field)


def agent_named(session: Session, username: str) -> UserAccount:
    """The user ``username``, who must be one who works tickets."""
    user = _user(session, username)
    if not can(user.role, "ticket.work"):
        raise ValidationError(f"{username} ({user.role}) does not work tickets", field="assignee")
    return user


def open_load(session: Session, user_ids: list[int]) -> dict[int, int]:
    """Open tickets per user."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(Ticket.assignee_id, func.count())
        .where(col(Ticket.assignee_id).in_(user_ids), col(Ticket.status).in_(OPEN))
        .group_by(Ticket.assignee_id)
    ).all()
    return {int(uid): int(n) for uid, n in rows if uid is not None}


def least_loaded(session: Session, department_id: int | None) -> UserAccount | None:
    """The active agent of the department with the fewest open tickets (then by login)."""
    if department_id is None:
        return None
    people = [
        u
        for u in session.exec(
            select(UserAccount)
            .where(UserAccount.department_id == department_id, col(UserAccount.active).is_(True))
            .order_by(UserAccount.username)
        ).all()
        if u.role == "agent"
    ]
    if not people:
        return None
    load = open_load(session, [u.id for u in people if u.id is not None])
    return min(people, key=lambda u: (load.get(u.id or 0, 0), u.username))


def _department_id(session: Session, code: str | None) -> int | None:
    return lookup.department_id(session, code)


def department_head(session: Session, department_id: int | None) -> str | None:
    if department_id is None:
        return None
    department = session.get(Department, department_id)
    return department.head_username if department else None


# --- opening and changing tickets -----------------------------------------------------------


def _choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise ValidationError(f"{field} is one of: {', '.join(allowed)}", field=field)
    return value


def open_ticket(
    store: Store,
    actor: Actor,
    *,
    subject: str,
    customer: str | None = None,
    channel: str = "hotline",
    type: str = "consultation",
    priority: str = "normal",
    category: str = "",
    description: str = "",
    department: str | None = None,
    opened_at: datetime | None = None,
) -> Ticket:
    """Open a ticket: routed to a department by its category, deadlines set by its priority."""
    require(actor, "ticket.work")
    if not subject.strip():
        raise ValidationError("a ticket needs a subject", field="subject")
    _choice(channel, CHANNELS, "channel")
    _choice(type, TYPES, "type")
    _choice(priority, PRIORITIES, "priority")
    with store.write(actor) as session:
        return open_in(
            session,
            actor,
            subject=subject,
            customer=customer,
            channel=channel,
            type=type,
            priority=priority,
            category=category,
            description=description,
            department=department,
            opened_at=opened_at,
        )


def open_in(session: Session, actor: Actor, **values: Any) -> Ticket:
    """:func:`open_ticket` inside a writing session (demo data, other services)."""
    customer_id = None
    if values.get("customer"):
        customer_id = get_by_code(session, Customer, values["customer"]).id
    category = (values.get("category") or "").strip()
    department_id = _department_id(session, values.get("department")) or config.route(
        session, category
    )
    ticket = Ticket(
        subject=values["subject"].strip(),
        customer_id=customer_id,
        channel=values.get("channel", "hotline"),
        type=values.get("type", "consultation"),
        priority=values.get("priority", "normal"),
        category=category,
        description=values.get("description", ""),
        department_id=department_id,
        opened_at=values.get("opened_at") or clock.now(),
        status="new",
    )
    sync_clock(ticket, clock.now(), config.load_calendar(session), config.load_policy(session))
    wf.enter_initial(session, TICKETS, ticket, actor)
    return ticket


def transition(
    store: Store,
    actor: Actor,
    ticket_id: int,
    seen_version: int,
    name: str,
    comment: str | None = None,
    payload: dict[str, Any] | None = None,
) -> wf.TransitionResult:
    """Take a workflow step on a ticket (take, wait, resume, resolve, close, reopen)."""
    with store.write(actor, comment=comment) as session:
        result = wf.apply(session, TICKETS, ticket_id, seen_version, name, actor, comment, payload)
        if comment and name in ("resolve", "reopen", "wait"):
            _message(session, actor, ticket_id, "note", f"[{name}] {comment}")
        return result


def not_open(code: str, status: str) -> str | None:
    """Why a ticket in ``status`` cannot change hands: it is no longer open."""
    if status in OPEN:
        return None
    return f"{code} is {STATUS_LABELS[status]}: reopen it first"


def assign(
    store: Store, actor: Actor, ticket_id: int, seen_version: int, username: str | None = None
) -> Ticket:
    """Give the ticket to ``username``, or to the department's least-loaded agent.

    A new ticket moves to assigned; an open one changes hands and says so in the log.
    """
    require(actor, "ticket.assign")
    with store.write(actor) as session:
        ticket = update_record(session, Ticket, ticket_id, seen_version, {})
        if ticket.status == "new":
            payload = {"assignee": username} if username else {}
            wf.apply(session, TICKETS, ticket_id, seen_version, "assign", actor, None, payload)
            return ticket
        if reason := not_open(ticket.code, ticket.status):
            raise ValidationError(reason)
        user = (
            agent_named(session, username)
            if username
            else least_loaded(session, ticket.department_id)
        )
        if user is None:
            raise ValidationError("nobody in the department can take tickets", field="assignee")
        ticket.assignee_id = user.id
        session.flush()
        return ticket


def add_message(store: Store, actor: Actor, ticket_id: int, kind: str, body: str) -> TicketMessage:
    """Add a reply to the customer, an internal note, or the customer's words.

    The first reply is the ticket's first response: it stops the
    first-response clock (flagging a late one) and the resolution deadline
    becomes the one that counts.
    """
    require(actor, "ticket.work")
    _choice(kind, MESSAGE_KINDS, "kind")
    if not body.strip():
        raise ValidationError("the message is empty", field="body")
    with store.write(actor) as session:
        return _message(session, actor, ticket_id, kind, body.strip())


def _message(session: Session, actor: Actor, ticket_id: int, kind: str, body: str) -> TicketMessage:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("the ticket no longer exists")
    if ticket.status == "closed" and kind != "note":
        raise ValidationError(f"{ticket.code} is closed: reopen it to reply")
    now = clock.now()
    message = TicketMessage(
        ticket_id=ticket_id, kind=kind, author=actor.username, body=body, at=now
    )
    session.add(message)
    if kind == "reply" and ticket.first_response_at is None:
        ticket.first_response_at = now
        ticket.response_breached = rules.is_breached(now, ticket.response_due)
        _clock_effect(session, ticket, actor, None)
    session.flush()
    return message


def escalate_in(
    session: Session, actor: Actor, ticket: Ticket, reason: str, *, automatic: bool = False
) -> str | None:
    """Escalate to the department head: recorded on the ticket and in the audit log."""
    head = department_head(session, ticket.department_id)
    ticket.escalated_at = clock.now()
    ticket.escalated_to = head
    session.flush()
    log(
        session,
        audit.Event(
            action="escalate",
            entity="tickets",
            code=ticket.code,
            record_id=ticket.id,
            after={"to": head, "automatic": automatic},
            comment=reason,
        ),
    )
    return head


def escalate(
    store: Store, actor: Actor, ticket_id: int, seen_version: int, reason: str
) -> str | None:
    """Escalate a ticket by hand (with a reason) to its department's head."""
    require(actor, "ticket.work")
    if not reason.strip():
        raise ValidationError("say why the ticket is escalated", field="reason")
    with store.write(actor, comment=reason) as session:
        ticket = update_record(session, Ticket, ticket_id, seen_version, {})
        if ticket.status not in OPEN:
            raise ValidationError(f"{ticket.code} is no longer open")
        return escalate_in(session, actor, ticket, reason.strip())


def escalate_breaches(store: Store, actor: Actor, limit: int = 500) -> list[str]:
    """Escalate every running ticket past its deadline that is not escalated yet (for cron
    and the queue screen of those who assign tickets); returns their codes."""
    require(actor, "ticket.assign")
    now = clock.now()
    with store.write(actor, comment="SLA breach") as session:
        found = session.exec(
            select(Ticket)
            .where(
                rules.breached_sql(col(Ticket.due_at), now),
                col(Ticket.status).in_(RUNNING),
                col(Ticket.escalated_at).is_(None),
            )
            .order_by(col(Ticket.due_at), col(Ticket.id))
            .limit(limit)
        ).all()
        for ticket in found:
            escalate_in(session, actor, ticket, "deadline passed 已逾期", automatic=True)
        return [t.code or "" for t in found]


# --- reading --------------------------------------------------------------------------------


@dataclass
class TicketDetail:
    """Everything the ticket detail screen shows, in one read."""

    ticket: Ticket
    customer: Any  # customers.CustomerView | None
    department: str | None
    assignee: str | None
    messages: list[TicketMessage]
    transitions: list[wf.Transition]
    left: float | None
    urgency: str
    stays: list[wf.Stay]


def get_ticket(session: Session, code: str) -> Ticket:
    ticket = session.exec(select(Ticket).where(Ticket.code == code)).first()
    if ticket is None:
        raise NotFound(f"no ticket {code}")
    return ticket


def detail(store: Store, actor: Actor, code: str) -> TicketDetail:
    from specialops.areas.customers import queries as customers

    require(actor, "ticket.read")
    now = clock.now()
    with store.read() as session:
        ticket = get_ticket(session, code)
        calendar = config.load_calendar(session)
        department = session.get(Department, ticket.department_id) if ticket.department_id else None
        assignee = session.get(UserAccount, ticket.assignee_id) if ticket.assignee_id else None
        messages = session.exec(
            select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket.id)
            .order_by(col(TicketMessage.at), col(TicketMessage.id))
        ).all()
        customer = (
            customers.view_in(session, actor, ticket.customer_id) if ticket.customer_id else None
        )
        return TicketDetail(
            ticket,
            customer,
            department.name if department else None,
            f"{assignee.name} {assignee.username}" if assignee else None,
            list(messages),
            wf.available(session, ticket, actor, TICKETS),
            time_left(ticket, now, calendar),
            urgency_of(ticket, now),
            wf.history(session, TICKETS, ticket.id or 0),
        )


def urgency_of(ticket: Ticket, now: datetime) -> str:
    if ticket.status in ("resolved", "closed"):
        return "done"
    due = _aware(ticket.due_at) if ticket.due_at else None
    warn = _aware(ticket.warn_at) if ticket.warn_at else None
    return sla.urgency(now, due, warn)


def counts(store: Store, actor: Actor) -> tuple[int, int, int]:
    """Open tickets, and how many of them are nearing and past their deadline."""
    now = clock.now()
    with store.read() as session:
        open_count = session.exec(
            select(func.count()).select_from(Ticket).where(col(Ticket.status).in_(OPEN))
        ).one()
        breached = session.exec(
            select(func.count())
            .select_from(Ticket)
            .where(rules.breached_sql(col(Ticket.due_at), now))
        ).one()
        nearing = session.exec(
            select(func.count())
            .select_from(Ticket)
            .where(rules.nearing_sql(col(Ticket.due_at), col(Ticket.warn_at), now))
        ).one()
    return int(open_count), int(nearing), int(breached)


def require_worker(actor: Actor) -> None:
    if not can(actor, "ticket.work"):
        raise PermissionDenied(f"{actor.username} ({actor.role}) may not work tickets")


# --- alerts ---------------------------------------------------------------------------------

ALERT_LIMIT = 200


@alerts.source("tickets")
def ticket_alerts(session: Session, now: datetime) -> Iterator[alerts.Alert]:
    """Tickets past (critical) and nearing (warning) their deadline, most urgent first."""
    heads = {d.id: d.head_username for d in session.exec(select(Department)).all()}
    people = dict(session.exec(select(UserAccount.id, UserAccount.username)).all())
    calendar = None
    rows = session.exec(
        select(Ticket)
        .where(
            or_(
                rules.breached_sql(col(Ticket.due_at), now),
                rules.nearing_sql(col(Ticket.due_at), col(Ticket.warn_at), now),
            ),
            col(Ticket.status).in_(RUNNING),
        )
        .order_by(col(Ticket.due_at), col(Ticket.id))
        .limit(ALERT_LIMIT)
    ).all()
    for ticket in rows:
        calendar = calendar or config.load_calendar(session)
        left = time_left(ticket, now, calendar) or 0.0
        breached = rules.is_breached(now, ticket.due_at)
        which = "resolution" if ticket.first_response_at else "first response"
        users = tuple(
            u for u in (people.get(ticket.assignee_id or 0), heads.get(ticket.department_id)) if u
        )
        due = _aware(ticket.due_at).astimezone(calendar.tz) if ticket.due_at else None
        when = due.strftime("%m-%d %H:%M") if due else "?"
        text = (
            f"{which} overdue since {when}: {ticket.subject}"
            if breached
            else f"{which} due {when} ({sla.format_left(left)} left): {ticket.subject}"
        )
        yield alerts.Alert(
            "critical" if breached else "warning",
            "tickets",
            ticket.code or "",
            text,
            users=users,
            departments=(ticket.department_id,) if ticket.department_id else (),
        )
