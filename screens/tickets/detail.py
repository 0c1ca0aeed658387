"""One ticket: the conversation beside the customer, and the keys that work on it.

:class:`TicketActions` holds the one-key actions (assign, reply, note,
status, escalate) shared by the queue and this screen: each asks in a
:class:`FormModal` and calls a service in its thread worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from specialops.permissions import can
from specialops.screens.shell.base import AreaScreen
from specialops.terminal_text import visible
from specialops.widgets.form import FormField, FormModal
from specialops.widgets.safe import SafeStatic

if TYPE_CHECKING:
    from specialops.areas.tickets.screen_queries import AgentLoad, TicketRef

ACTION_BINDINGS = [
    Binding("a", "assign", "Assign 指派", id="tickets.assign"),
    Binding("r", "reply", "Reply 回覆", id="tickets.reply"),
    Binding("n", "note", "Note 備註", id="tickets.note"),
    Binding("t", "status", "Status 狀態", id="tickets.status"),
    Binding("e", "escalate", "Escalate 升級", id="tickets.escalate"),
]
URGENCY_TEXT = {
    "breached": ("OVERDUE 已逾期", "bold red"),
    "nearing": ("nearing 將到期", "bold yellow"),
    "ok": ("on time 正常", "green"),
    "paused": ("paused 暫停計時", "dim"),
    "done": ("done 已完成", "dim"),
}


def push_form(app: Any, modal: FormModal, done: Any = None) -> None:
    """Show a form with its first field focused, so typing goes straight in."""

    def focus_first() -> None:
        fields = list(modal.query("Input, Select"))
        if fields:
            fields[0].focus()

    app.push_screen(modal, done)
    modal.call_after_refresh(focus_first)


class TicketActions:
    """The ticket keys; the class using it gives ``context``, ``ticket_key()``,
    ``ticket_ref()`` and ``changed()``."""

    context: Any

    def ticket_key(self) -> int | None:
        """The id of the ticket the keys act on (on the UI thread: no database work)."""
        raise NotImplementedError

    def ticket_ref(self, key: int) -> TicketRef | None:
        """The ticket ``key`` with the version a change is made against (in a worker)."""
        raise NotImplementedError

    def changed(self) -> None:
        """Read the data again after a change."""

    def ticket_allowed(self, action: str) -> bool:
        actor = self.context.actor
        if action == "assign":
            return can(actor, "ticket.assign")
        if action in ("reply", "note", "status", "escalate"):
            return can(actor, "ticket.work")
        return True

    def _ask(self, title: str, fields: list[FormField], save) -> None:
        def done(result: Any) -> None:
            if result is not None:
                self.changed()

        push_form(self.app, FormModal(title, fields, save), done)  # type: ignore[attr-defined]

    def _on_ticket(self, then: Callable[[TicketRef], None]) -> None:
        """Find the ticket the keys act on off the UI thread, then ``then(ref)``."""
        key = self.ticket_key()
        if key is not None:
            self._resolve(key, then)

    @work(thread=True, exclusive=True, group="ticket-key", exit_on_error=False)
    def _resolve(self, key: int, then: Callable[[TicketRef], None]) -> None:
        ref = self.ticket_ref(key)
        if ref is not None:
            self.app.call_from_thread(then, ref)  # type: ignore[attr-defined]

    def action_reply(self) -> None:
        self._on_ticket(lambda ref: self._message(ref, "reply", "Reply to the customer 回覆客戶"))

    def action_note(self) -> None:
        self._on_ticket(lambda ref: self._message(ref, "note", "Internal note 內部備註"))

    def _message(self, ref: TicketRef, kind: str, title: str) -> None:
        from specialops.areas.tickets import actions as tickets

        store, actor = self.context.store, self.context.actor

        def save(values: dict) -> Any:
            return tickets.add_message(store, actor, ref.id, kind, values["body"])

        self._ask(f"{title}  {ref.code}", [FormField("body", "Text 內容", required=True)], save)

    def action_assign(self) -> None:
        key = self.ticket_key()
        if key is not None:
            self._load_agents(key)

    @work(thread=True, exclusive=True, group="ticket-agents", exit_on_error=False)
    def _load_agents(self, key: int) -> None:
        from specialops.areas.tickets.screen_queries import agents_for

        ref = self.ticket_ref(key)
        if ref is None:
            return
        agents = agents_for(self.context.store, ref.id)
        self.app.call_from_thread(self._ask_assign, ref, agents)  # type: ignore[attr-defined]

    def _ask_assign(self, ref: TicketRef, agents: Sequence[AgentLoad]) -> None:
        from specialops.areas.tickets import actions as tickets

        store, actor = self.context.store, self.context.actor
        choices = [("least loaded agent 負載最少者", "")] + [
            (f"{a.name} {a.username} ({a.open_tickets})", a.username) for a in agents
        ]

        def save(values: dict) -> Any:
            return tickets.assign(store, actor, ref.id, ref.version, values["assignee"] or None)

        self._ask(
            f"Assign 指派 {ref.code}",
            [FormField("assignee", "Agent 客服 (open tickets)", choices=choices)],
            save,
        )

    def action_status(self) -> None:
        key = self.ticket_key()
        if key is not None:
            self._load_transitions(key)

    @work(thread=True, exclusive=True, group="ticket-transitions", exit_on_error=False)
    def _load_transitions(self, key: int) -> None:
        from specialops.areas.tickets.screen_queries import status_steps

        ref = self.ticket_ref(key)
        if ref is None:
            return
        found = status_steps(self.context.store, self.context.actor, ref.id)
        choices = [(step.label, step.name) for step in found]
        self.app.call_from_thread(self._ask_transition, ref, choices)  # type: ignore[attr-defined]

    def _ask_transition(self, ref: TicketRef, choices: list[tuple[str, str]]) -> None:
        from specialops.areas.tickets import actions as tickets

        if not choices:
            self.app.notify("No status change is open to you here 目前無可用的狀態變更")  # type: ignore[attr-defined]
            return
        store, actor = self.context.store, self.context.actor

        def save(values: dict) -> Any:
            return tickets.transition(
                store, actor, ref.id, ref.version, values["transition"], values["comment"] or None
            )

        self._ask(
            f"Change status 變更狀態 {ref.code}",
            [
                FormField(
                    "transition", "Step 步驟", value=choices[0][1], required=True, choices=choices
                ),
                FormField("comment", "Comment 說明 (resolve and reopen need one)"),
            ],
            save,
        )

    def action_escalate(self) -> None:
        self._on_ticket(self._ask_escalate)

    def _ask_escalate(self, ref: TicketRef) -> None:
        from specialops.areas.tickets import actions as tickets

        store, actor = self.context.store, self.context.actor

        def save(values: dict) -> Any:
            return tickets.escalate(store, actor, ref.id, ref.version, values["reason"])

        self._ask(
            f"Escalate to the department head 升級至部門主管 {ref.code}",
            [FormField("reason", "Why 原因", required=True)],
            save,
        )


def _when(moment) -> str:
    from datetime import UTC

    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    from specialops import clock

    return aware.astimezone(clock.local_zone()).strftime("%m-%d %H:%M")


def ticket_text(detail) -> Table:
    """The ticket's fields and its SLA state."""
    from specialops.areas.tickets import actions as tickets
    from specialops.areas.tickets import sla

    t = detail.ticket
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    label, style = URGENCY_TEXT[detail.urgency]
    left = "" if detail.left is None else sla.format_left(detail.left)
    which = "resolution 解決" if t.first_response_at else "first response 首次回覆"
    grid.add_row("Subject 主旨", Text(visible(t.subject), style="bold"))
    grid.add_row(
        "Status 狀態",
        f"{tickets.STATUS_LABELS.get(t.status, t.status)}  "
        f"{tickets.PRIORITY_LABELS.get(t.priority, t.priority)}優先  "
        f"{tickets.TYPE_LABELS.get(t.type, t.type)}  "
        f"{tickets.CHANNEL_LABELS.get(t.channel, t.channel)}",
    )
    grid.add_row("SLA", Text.assemble((f"{label} {left}", style), f"  {which}"))
    grid.add_row(
        "Due 期限",
        f"response {_when(t.response_due)}  resolve {_when(t.resolve_due)}",
    )
    grid.add_row("Opened 開單", f"{_when(t.opened_at)}  {t.category}")
    grid.add_row(
        "Owner 負責", f"{detail.department or '-'} / {detail.assignee or 'unassigned 未指派'}"
    )
    if t.escalated_at:
        grid.add_row("Escalated 升級", f"{_when(t.escalated_at)} to {t.escalated_to or '-'}")
    return grid


KIND_LABELS = {
    "reply": ("回覆 reply", "green"),
    "note": ("備註 note", "yellow"),
    "customer": ("客戶 customer", "cyan"),
}


def conversation_text(detail) -> Text:
    out = Text()
    said = {m.body for m in detail.messages if m.kind == "customer"}
    if detail.ticket.description and detail.ticket.description not in said:
        out.append(visible(detail.ticket.description) + "\n\n")
    for message in detail.messages:
        label, style = KIND_LABELS.get(message.kind, (message.kind, ""))
        head = visible(f"{_when(message.at)} {label} {message.author}", single_line=True)
        out.append(head + "\n", style=f"bold {style}")
        out.append(visible(message.body) + "\n")
    if not detail.messages:
        out.append("No messages yet 尚無對話", style="dim")
    return out


def customer_text(view) -> Text:
    from specialops.areas.customers.choices import PII_LABELS

    out = Text()
    if view is None:
        out.append("No customer record 無客戶資料", style="dim")
        return out
    out.append(visible(f"{view.name}\n"), style="bold")
    out.append(visible(f"{view.code}  {view.type}  {view.tier or ''}\n"))
    for name, value in view.pii.items():
        mark = "" if name in view.revealed else " (masked)"
        out.append(visible(f"{PII_LABELS[name]} {value or '-'}{mark}\n"))
    if view.notes:
        out.append(visible(f"{view.notes}\n"), style="italic")
    return out


class TicketDetailScreen(TicketActions, AreaScreen):
    """A ticket's conversation with its customer beside it."""

    AREA_TITLE = "Ticket 工單"
    BINDINGS = [
        Binding("escape", "back", "Back 返回", id="ticket.back"),
        *ACTION_BINDINGS,
        Binding("k", "customer", "Customer 客戶", id="ticket.customer"),
    ]

    def __init__(self, context, code: str) -> None:
        super().__init__(context)
        self.code = code
        self.detail: Any = None

    def compose_body(self) -> ComposeResult:
        yield SafeStatic(f"Ticket 工單 {self.code}", id="ticket-title", classes="area-title")
        yield SafeStatic("", id="ticket-fields")
        with Horizontal(id="ticket-body"):
            with VerticalScroll(id="ticket-conversation"):
                yield SafeStatic("loading 載入中", id="ticket-messages")
            with VerticalScroll(id="ticket-customer"):
                yield SafeStatic("", id="ticket-customer-text")

    def on_mount(self) -> None:
        self.changed()

    def on_resize(self) -> None:
        self.query_one("#ticket-body").set_class(self.size.width < 100, "-narrow")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.ticket_allowed(action)

    def ticket_key(self) -> int | None:
        return None if self.detail is None else self.detail.ticket.id

    def ticket_ref(self, key: int) -> TicketRef | None:
        from specialops.areas.tickets.screen_queries import TicketRef

        if self.detail is None:
            return None
        t = self.detail.ticket
        return TicketRef(t.id, t.version, t.code)

    def changed(self) -> None:
        self._load()

    def refresh_data(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="ticket-detail", exit_on_error=False)
    def _load(self) -> None:
        from specialops.areas.tickets import actions as tickets

        detail = tickets.detail(self.context.store, self.context.actor, self.code)
        self.app.call_from_thread(self._show, detail)

    def _show(self, detail) -> None:
        self.detail = detail
        t = detail.ticket
        keys = "a assign  " if self.ticket_allowed("assign") else ""
        self.query_one("#ticket-title", Static).update(
            f"Ticket 工單 {t.code}   {keys}r reply  n note  t status  e escalate  k customer"
        )
        self.query_one("#ticket-fields", Static).update(ticket_text(detail))
        self.query_one("#ticket-messages", Static).update(conversation_text(detail))
        # The newest message matters most: show the end of a long conversation.
        conversation = self.query_one("#ticket-conversation", VerticalScroll)
        conversation.call_after_refresh(conversation.scroll_end, animate=False)
        self.query_one("#ticket-customer-text", Static).update(customer_text(detail.customer))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_customer(self) -> None:
        from specialops.screens.customers.browser import CustomerScreen

        if self.detail is not None and self.detail.customer is not None:
            self.app.push_screen(CustomerScreen(self.context, self.detail.customer.code))
