"""The ticket queue (CS-2): every ticket by its next deadline, time left coloured by urgency.

Filters by key (scope, status, priority, channel), ``/`` searches code,
subject and customer, Enter opens the ticket, and the ticket keys (assign,
reply, note, status, escalate) work on the highlighted row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from specialops.screens.shell.base import AreaScreen
from specialops.screens.tickets.detail import ACTION_BINDINGS, TicketActions, TicketDetailScreen
from specialops.widgets.record_list import RecordList

if TYPE_CHECKING:
    from specialops.areas.tickets.screen_queries import TicketRef

STATUS_CYCLE = (None, "new", "assigned", "in_progress", "waiting", "resolved", "closed")
PRIORITY_CYCLE = (None, "urgent", "high", "normal", "low")
CHANNEL_CYCLE = (None, "hotline", "chat", "email", "walk_in", "campaign")


def _next(cycle: tuple, current: Any) -> Any:
    return cycle[(cycle.index(current) + 1) % len(cycle)] if current in cycle else cycle[0]


class TicketQueueScreen(TicketActions, AreaScreen):
    """The service desk's queue; managers watch its deadlines, agents live in it."""

    AREA_TITLE = "Tickets 工單"
    AUTO_FOCUS = "#tickets RecordRows"
    BINDINGS = [
        *ACTION_BINDINGS,
        Binding("f", "scope", "Scope 範圍", id="tickets.scope"),
        Binding("w", "cycle_status", "Status filter", show=False, id="tickets.filter_status"),
        Binding("p", "cycle_priority", "Priority filter", show=False, id="tickets.priority"),
        Binding("c", "cycle_channel", "Channel filter", show=False, id="tickets.channel"),
        Binding("x", "clear", "Clear filters", show=False, id="tickets.clear"),
        Binding("k", "customer", "Customer 客戶", show=False, id="tickets.customer"),
        Binding("o", "followups", "Follow-ups 回訪", id="tickets.followups"),
        Binding("q", "quality", "Quality 質檢", id="tickets.quality"),
    ]

    def __init__(self, context) -> None:
        from specialops.areas.tickets.queries import QueueFilter

        super().__init__(context)
        self.filter = QueueFilter()

    def compose_body(self) -> ComposeResult:
        from specialops.areas.tickets.queries import queue_source

        self.source = queue_source(self.context.store, self.context.actor, self.filter)
        yield Static("", id="tickets-title", classes="area-title", markup=False)
        yield RecordList(self.source, id="tickets")

    def on_mount(self) -> None:
        self._describe(None)
        from specialops.permissions import can

        if can(self.context.actor, "ticket.assign"):
            self._escalate_breaches()

    @work(thread=True, exclusive=True, group="ticket-escalation", exit_on_error=False)
    def _escalate_breaches(self) -> None:
        """Breaches nobody escalated yet go to their department heads now."""
        from specialops.areas.tickets import actions as tickets

        if tickets.escalate_breaches(self.context.store, self.context.actor):
            self.app.call_from_thread(self.refresh_data)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.ticket_allowed(action)

    # ---------------------------------------------------------------- filters

    def _describe(self, count: int | None) -> None:
        shown = "" if count is None else f"  {count} shown"
        self.query_one("#tickets-title", Static).update(
            f"Tickets 工單 [{self.filter.label()}]{shown}   f scope  w status  p priority  "
            "c channel  / search  Enter open"
        )

    def _apply(self, **changes: Any) -> None:
        from specialops.areas.tickets.queries import queue_spec
        from specialops.listing import PageSource

        self.filter = self.filter.with_(**changes) if changes else type(self.filter)()
        spec = queue_spec(self.context.store, self.context.actor, self.filter)
        record_list = self.query_one(RecordList)
        self.source = PageSource(self.context.store, spec)
        record_list.source = self.source
        record_list.rows.source = self.source
        record_list.rows.reload()
        self._describe(None)

    def action_scope(self) -> None:
        from specialops.areas.tickets.queries import SCOPES

        self._apply(scope=_next(SCOPES, self.filter.scope))

    def action_cycle_status(self) -> None:
        self._apply(status=_next(STATUS_CYCLE, self.filter.status))

    def action_cycle_priority(self) -> None:
        self._apply(priority=_next(PRIORITY_CYCLE, self.filter.priority))

    def action_cycle_channel(self) -> None:
        self._apply(channel=_next(CHANNEL_CYCLE, self.filter.channel))

    def action_clear(self) -> None:
        self._apply()

    @on(RecordList.Loaded, "#tickets")
    def _counted(self, event: RecordList.Loaded) -> None:
        self._describe(event.count)

    # ---------------------------------------------------------------- rows

    def ticket_key(self) -> int | None:
        row = self.query_one(RecordList).current
        return None if row is None else row.key

    def ticket_ref(self, key: int) -> TicketRef | None:
        from specialops.areas.tickets.screen_queries import ticket_ref

        return ticket_ref(self.context.store, key)

    def changed(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        self.query_one(RecordList).rows.refresh_rows()

    @on(RecordList.Selected, "#tickets")
    def _open(self, event: RecordList.Selected) -> None:
        self.app.push_screen(TicketDetailScreen(self.context, event.row["code"]))

    def action_customer(self) -> None:
        row = self.query_one(RecordList).current
        if row is not None:
            self._open_customer(row.key)

    @work(thread=True, exclusive=True, group="ticket-row", exit_on_error=False)
    def _open_customer(self, ticket_id: int) -> None:
        """The customer of the ticket under the cursor (read off the UI thread)."""
        from specialops.areas.tickets.screen_queries import ticket_customer_code
        from specialops.screens.customers.browser import CustomerScreen

        code = ticket_customer_code(self.context.store, ticket_id)
        if code is None:
            self.app.call_from_thread(self.notify, "no customer on this ticket 此工單無客戶")
        else:
            self.app.call_from_thread(self.app.push_screen, CustomerScreen(self.context, code))

    def action_followups(self) -> None:
        from specialops.screens.tickets.followups import FollowUpsScreen

        self.app.push_screen(FollowUpsScreen(self.context))

    def action_quality(self) -> None:
        from specialops.screens.tickets.quality import QualityScreen

        self.app.push_screen(QualityScreen(self.context))
