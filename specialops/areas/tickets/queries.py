"""The service desk's lists as paged sources: the ticket queue, follow-ups due, the review queue.

The queue sorts by the next deadline (``due_at``, indexed as ``(due_at,
id)`` and per filter column), so the most urgent ticket is on top; tickets
whose clock is stopped carry :data:`sla.NO_DEADLINE` and sort last. Typing
searches code, subject and the customer's name and code, each term anywhere
and ignoring case: through the trigram full-text index on SQLite and pg_trgm
indexes on PostgreSQL (any substring of three or more characters, CJK too;
shorter text scans the searched text on both).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, or_, select, table, union

from specialops import clock
from specialops.areas.customers.models import Customer
from specialops.areas.tickets import config, rules, sla
from specialops.areas.tickets.actions import CHANNEL_LABELS, PRIORITY_LABELS, STATUS_LABELS, counts
from specialops.areas.tickets.models import FollowUp, QualityReview, Ticket
from specialops.identity import Actor
from specialops.listing import Column, ListSpec, PageSource, Row
from specialops.models.core import UserAccount
from specialops.permissions import require
from specialops.store.store import Store

SCOPES = ("all", "mine", "department", "breaching")
SCOPE_LABELS = {
    "all": "all 全部",
    "mine": "mine 我的",
    "department": "my department 本部門",
    "breaching": "breaching 逾期",
}
URGENCY_STYLES = {
    "breached": "bold red",
    "nearing": "bold yellow",
    "ok": "green",
    "paused": "dim",
}


@dataclass(frozen=True)
class QueueFilter:
    """Which tickets the queue shows: a scope plus optional status, priority, channel."""

    scope: str = "all"
    status: str | None = None
    priority: str | None = None
    channel: str | None = None

    def label(self) -> str:
        parts = [SCOPE_LABELS.get(self.scope, self.scope)]
        if self.status:
            parts.append(STATUS_LABELS.get(self.status, self.status))
        if self.priority:
            parts.append(f"{PRIORITY_LABELS.get(self.priority, self.priority)}優先")
        if self.channel:
            parts.append(CHANNEL_LABELS.get(self.channel, self.channel))
        return " · ".join(parts)

    def with_(self, **changes: Any) -> QueueFilter:
        return replace(self, **changes)


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def left_formatter(store: Store) -> Any:
    """Business time left to a deadline, from the clock's now.

    The working calendar is read with the first row, where the page is read (a
    worker, in the app), not when the list is described.
    """
    found: list[sla.Calendar] = []

    def fmt(value: Any) -> str:
        due = _utc(value)
        if due is None or not rules.has_deadline(due):
            return "-"
        if not found:
            with store.read() as session:
                found.append(config.load_calendar(session))
        calendar = found[0]
        now = clock.now()
        if rules.is_breached(now, due):  # even when the business time since is nil (a weekend)
            return "-" + sla.format_left(calendar.between(due, now))
        return sla.format_left(calendar.between(now, due))

    return fmt


def urgency_style(row: Row) -> str | None:
    """The colour of a row's time left: red past the deadline, yellow nearing it."""
    state = sla.urgency(clock.now(), _utc(row["due_at"]), _utc(row["warn_at"]))
    return URGENCY_STYLES.get(state)


def _label(labels: dict[str, str]) -> Any:
    return lambda value: labels.get(str(value), str(value or ""))


def _like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def server_search(text: str, source: Any) -> ColumnElement[bool]:
    """The queue's text filter on PostgreSQL, finding what the FTS5 index finds on SQLite:
    every term, ignoring case, in the code, subject or customer's name or code.

    Terms of three characters or more go through the pg_trgm indexes (migration 0011) on
    those columns. Shorter ones read the rows, as SQLite does: a trigram index asked for
    less reads all of itself, slower than the table, and a condition on the queue's own
    columns lets its first page stop at the hundredth match in deadline order.
    ``lower() LIKE lower()`` is what ``ILIKE`` does, with the pattern lowered once.
    """
    t = Ticket.__table__  # type: ignore[attr-defined]
    c = Customer.__table__  # type: ignore[attr-defined]
    conditions = []
    for term in text.split():
        pattern = _like_pattern(term)  # backslash is PostgreSQL's LIKE escape by default
        if len(term) >= 3:
            matches = union(
                select(t.c.id).where(or_(t.c.code.ilike(pattern), t.c.subject.ilike(pattern))),
                select(t.c.id)
                .join(c, c.c.id == t.c.customer_id)
                .where(or_(c.c.name.ilike(pattern), c.c.code.ilike(pattern))),
            )
            conditions.append(source.c.id.in_(matches))
            continue
        lowered = func.lower(pattern)
        by_code = select(c.c.id).where(func.lower(c.c.code).like(lowered))
        conditions.append(
            or_(
                *(func.lower(source.c[n]).like(lowered) for n in ("code", "subject", "customer")),
                source.c.customer_id.in_(by_code),
            )
        )
    return and_(*conditions)


def fts_search(store: Store) -> Any:
    """The queue's text filter: the full-text index on SQLite, :func:`server_search` elsewhere."""
    if not store.is_sqlite:
        return server_search

    fts = table("tickets_fts", literal_column("rowid"), literal_column("body"))

    def search(text: str, source: Any) -> ColumnElement[bool]:
        terms = [t for t in text.split() if t]
        if all(len(t) >= 3 for t in terms):
            query = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
            condition: Any = literal_column("tickets_fts").op("MATCH")(query)
        else:  # the trigram index needs three characters: shorter text scans its rows
            condition = and_(
                *(literal_column("body").like(_like_pattern(t), escape="\\") for t in terms)
            )
        matches = select(literal_column("rowid")).select_from(fts).where(condition)
        return source.c.id.in_(matches)

    return search


def queue_spec(
    store: Store, actor: Actor, flt: QueueFilter, now: datetime | None = None
) -> ListSpec:
    """The ticket queue for ``actor`` under ``flt``, sorted by the next deadline."""
    t = Ticket.__table__  # type: ignore[attr-defined]
    c = Customer.__table__  # type: ignore[attr-defined]
    u = UserAccount.__table__  # type: ignore[attr-defined]
    source = select(
        t.c.id,
        t.c.code,
        t.c.due_at,
        t.c.warn_at,
        t.c.priority,
        t.c.status,
        c.c.name.label("customer"),
        u.c.username.label("agent"),
        t.c.subject,
        t.c.channel,
        t.c.assignee_id,
        t.c.department_id,
        t.c.customer_id,
    ).select_from(t.outerjoin(c, c.c.id == t.c.customer_id).outerjoin(u, u.c.id == t.c.assignee_id))
    # Counting needs no display joins: a count of 1M rows through them takes seconds.
    counted = select(
        t.c.id, t.c.status, t.c.priority, t.c.channel, t.c.assignee_id, t.c.department_id
    )
    if flt.scope == "breaching":
        breached = rules.breached_sql(t.c.due_at, now or clock.now())
        source = source.where(breached)
        counted = counted.where(breached)
    fixed: dict[str, Any] = {}
    if flt.scope == "mine":
        fixed["assignee_id"] = actor.user_id or -1
    if flt.scope == "department":
        fixed["department_id"] = actor.department_id or -1
    for name in ("status", "priority", "channel"):
        value = getattr(flt, name)
        if value:
            fixed[name] = value
    return ListSpec(
        source=source,
        columns=(
            Column("code", "Code", 10),
            Column("due_at", "Left", 7, format=left_formatter(store), style=urgency_style),
            Column("priority", "Pri", 4, format=_label(PRIORITY_LABELS), sortable=False),
            Column("status", "Status", 10, format=_label(STATUS_LABELS), sortable=False),
            Column("customer", "Customer", 10, sortable=False),
            Column("agent", "Agent", 11, sortable=False),
            Column("subject", "Subject 主旨", 16, sortable=False),
        ),
        default_sort="due_at",
        fixed=fixed,
        extra=("warn_at",),
        count_source=counted if store.is_sqlite else None,
        search=fts_search(store),
    )


def queue_source(
    store: Store, actor: Actor, flt: QueueFilter | None = None, now: datetime | None = None
) -> PageSource:
    require(actor, "ticket.read")
    return PageSource(store, queue_spec(store, actor, flt or QueueFilter(), now))


FOLLOWUP_STATUS = {"scheduled": "待回訪", "done": "已回訪", "cancelled": "已取消"}
FOLLOWUP_KIND = {"after_resolution": "結案回訪", "periodic": "定期回訪", "manual": "手動回訪"}


def followups_spec(status: str | None = "scheduled") -> ListSpec:
    """Follow-ups by due date (the due ones first), with customer and who calls."""
    f = FollowUp.__table__  # type: ignore[attr-defined]
    c = Customer.__table__  # type: ignore[attr-defined]
    u = UserAccount.__table__  # type: ignore[attr-defined]
    t = Ticket.__table__  # type: ignore[attr-defined]
    source = select(
        f.c.id,
        f.c.code,
        f.c.due_date,
        f.c.status,
        f.c.kind,
        c.c.name.label("customer"),
        u.c.username.label("agent"),
        t.c.code.label("ticket"),
        f.c.satisfaction,
    ).select_from(
        f.join(c, c.c.id == f.c.customer_id)
        .outerjoin(u, u.c.id == f.c.assignee_id)
        .outerjoin(t, t.c.id == f.c.ticket_id)
    )
    return ListSpec(
        source=source,
        columns=(
            Column("code", "Code 編號", 11),
            Column("due_date", "Due 日期", 10),
            Column("status", "Status", 8, format=_label(FOLLOWUP_STATUS), sortable=False),
            Column("kind", "Kind 類型", 9, format=_label(FOLLOWUP_KIND), sortable=False),
            Column("ticket", "Ticket 工單", 11, sortable=False),
            Column("agent", "Agent 客服", 11, sortable=False),
            Column("satisfaction", "Sat 滿意", 8, sortable=False),
            Column("customer", "Customer 客戶", 12, searchable=True, sortable=False),
        ),
        default_sort="due_date",
        fixed={"status": status} if status else {},
    )


REVIEW_STATUS = {"queued": "待審", "reviewed": "已審"}


def _passed(value: Any) -> str:
    return "" if value is None else ("pass 合格" if value else "FAIL 不合格")


def reviews_spec(status: str | None = "queued") -> ListSpec:
    """The quality review queue: sampled tickets waiting for a reviewer."""
    r = QualityReview.__table__  # type: ignore[attr-defined]
    t = Ticket.__table__  # type: ignore[attr-defined]
    u = UserAccount.__table__  # type: ignore[attr-defined]
    source = select(
        r.c.id,
        r.c.code,
        r.c.week,
        r.c.status,
        t.c.code.label("ticket"),
        u.c.username.label("agent"),
        r.c.score,
        r.c.passed,
        t.c.subject,
    ).select_from(r.join(t, t.c.id == r.c.ticket_id).outerjoin(u, u.c.id == r.c.agent_id))
    return ListSpec(
        source=source,
        columns=(
            Column("code", "Code 編號", 11),
            Column("week", "Week 週", 10, sortable=False),
            Column("status", "Status", 6, format=_label(REVIEW_STATUS), sortable=False),
            Column("ticket", "Ticket 工單", 11, sortable=False),
            Column("agent", "Agent 客服", 11, sortable=False),
            Column("score", "Score", 5, sortable=False, align="right"),
            Column("passed", "Result 結果", 11, format=_passed, sortable=False),
            Column("subject", "Subject 主旨", 14, searchable=True, sortable=False),
        ),
        default_sort="code",
        fixed={"status": status} if status else {},
    )


def headline(store: Store, actor: Actor) -> str | None:
    """The figure on the home card: open tickets, nearing and past their deadline."""
    open_count, nearing, breached = counts(store, actor)
    if not open_count and not breached:
        return None
    return f"{open_count} open, {nearing} nearing, {breached} overdue"
