"""Customers (CS-1): the list, and one customer's record with tickets, follow-ups,
purchases, needs and satisfaction trend. Personal fields stay masked until revealed
with ``v`` (for roles allowed to; every reveal is audited)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from specialops.permissions import can
from specialops.screens.shell.base import AreaScreen
from specialops.screens.tickets.detail import push_form
from specialops.terminal_text import visible
from specialops.widgets.form import FormField, FormModal
from specialops.widgets.record_list import RecordList
from specialops.widgets.safe import SafeStatic

SPARK = "▁▂▃▄▅"


def trend_text(scores: tuple[tuple[Any, int], ...]) -> str:
    """Satisfaction scores (1–5) as a small bar line, oldest first."""
    return "".join(SPARK[max(1, min(5, s)) - 1] for _, s in scores)


class CustomersScreen(AreaScreen):
    """Every customer; Enter opens one."""

    AREA_TITLE = "Customers 客戶"
    AUTO_FOCUS = "#customers RecordRows"

    def compose_body(self) -> ComposeResult:
        from specialops.areas.customers.queries import customers_source

        source = customers_source(self.context.store, self.context.actor)
        yield Static(
            "Customers 客戶   / search 搜尋   s sort   Enter open 開啟",
            id="customers-title",
            classes="area-title",
            markup=False,
        )
        yield RecordList(source, id="customers")

    def refresh_data(self) -> None:
        self.query_one(RecordList).rows.refresh_rows()

    @on(RecordList.Loaded, "#customers")
    def _counted(self, event: RecordList.Loaded) -> None:
        self.query_one("#customers-title", Static).update(
            f"Customers 客戶  {event.count} shown   / search 搜尋   s sort   Enter open 開啟"
        )

    @on(RecordList.Selected, "#customers")
    def _open(self, event: RecordList.Selected) -> None:
        self.app.push_screen(CustomerScreen(self.context, event.row["code"]))


class CustomerScreen(AreaScreen):
    """One customer's record and history."""

    AREA_TITLE = "Customer 客戶"
    BINDINGS = [
        Binding("escape", "back", "Back 返回", id="customer.back"),
        Binding("v", "reveal", "Reveal 顯示個資", id="customer.reveal"),
        Binding("o", "followup", "Book follow-up 預約回訪", id="customer.followup"),
    ]

    def __init__(self, context, code: str) -> None:
        super().__init__(context)
        self.code = code
        self.revealed: dict[str, str | None] = {}
        self.history: Any = None

    def compose_body(self) -> ComposeResult:
        yield SafeStatic(f"Customer 客戶 {self.code}", id="customer-title", classes="area-title")
        with Horizontal(id="customer-body"):
            with VerticalScroll(id="customer-card"):
                yield SafeStatic("loading 載入中", id="customer-info")
            with VerticalScroll(id="customer-history"):
                yield SafeStatic("", id="customer-history-text")

    def on_mount(self) -> None:
        self._load()

    def on_resize(self) -> None:
        self.query_one("#customer-body").set_class(self.size.width < 100, "-narrow")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reveal":
            return can(self.context.actor, "customer.reveal_pii")
        if action == "followup":
            return can(self.context.actor, "ticket.work")
        return True

    def refresh_data(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="customer", exit_on_error=False)
    def _load(self) -> None:
        from specialops.areas.tickets import history as service

        history = service.history(
            self.context.store, self.context.actor, self.code, dict(self.revealed)
        )
        self.app.call_from_thread(self._show, history)

    def _show(self, history) -> None:
        from specialops.areas.tickets.actions import STATUS_LABELS
        from specialops.areas.tickets.queries import FOLLOWUP_STATUS
        from specialops.screens.tickets.detail import _when, customer_text

        self.history = history
        view = history.view
        self.query_one("#customer-title", Static).update(
            f"Customer 客戶 {view.code} {view.name}   v reveal 顯示個資  o follow-up 回訪  Esc back"
        )
        info = customer_text(view)
        sat = history.satisfaction
        info.append("\nSatisfaction 滿意度\n", style="bold")
        if sat.average is None:
            info.append("no answers yet 尚無\n", style="dim")
        else:
            info.append(f"{sat.average:.1f} / 5 ({sat.count})  {trend_text(sat.trend)}\n")
        info.append("\nNeeds 服務需求\n", style="bold")
        for need in history.needs:
            info.append(visible(f"- {need.need} ({need.status})\n"))
        info.append("\nPurchases 購買紀錄\n", style="bold")
        for purchase in history.purchases:
            info.append(
                visible(
                    f"{purchase.purchased_on} {purchase.product} {purchase.amount / 100:,.0f}\n"
                )
            )
        self.query_one("#customer-info", Static).update(info)
        out = Text()
        out.append(f"Tickets 工單 ({history.ticket_count})\n", style="bold")
        for t in history.tickets:
            out.append(
                visible(f"{t.code} {_when(t.opened_at)} {STATUS_LABELS.get(t.status, t.status)} ")
            )
            out.append(visible(f"{t.subject}\n"))
        out.append("\nFollow-ups 回訪\n", style="bold")
        for f in history.followups:
            score = f" {f.satisfaction}/5" if f.satisfaction else ""
            out.append(
                visible(f"{f.code} {f.due_date} {FOLLOWUP_STATUS.get(f.status, f.status)}{score}")
            )
            out.append(visible(f" {f.comments or ''}\n"))
        self.query_one("#customer-history-text", Static).update(out)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reveal(self) -> None:
        from specialops.areas.customers import actions as customers
        from specialops.areas.customers.choices import PII_FIELDS, PII_LABELS

        if self.history is None:
            return
        view = self.history.view
        store, actor = self.context.store, self.context.actor
        choices = [(f"{PII_LABELS[n]} {n}", n) for n in PII_FIELDS if n not in view.revealed]
        if not choices:
            return

        def save(values: dict) -> Any:
            name = values["field"]
            return name, customers.reveal(store, actor, view.id, name, values["reason"])

        def done(result: Any) -> None:
            if result is not None:
                name, value = result
                self.revealed[name] = value
                self._load()

        push_form(
            self.app,
            FormModal(
                f"Reveal personal data 顯示個資 {view.code} (logged 將記錄)",
                [
                    FormField(
                        "field", "Field 欄位", value=choices[0][1], required=True, choices=choices
                    ),
                    FormField("reason", "Why 原因"),
                ],
                save,
            ),
            done,
        )

    def action_followup(self) -> None:
        from specialops.areas.tickets import followups
        from specialops.widgets.form import iso_date, read_date

        store, actor = self.context.store, self.context.actor

        def save(values: dict) -> Any:
            return followups.add_followup(
                store,
                actor,
                customer=self.code,
                due_date=read_date(values["due_date"]),
                kind=values["kind"] or "manual",
            )

        push_form(
            self.app,
            FormModal(
                f"Book a follow-up 預約回訪 {self.code}",
                [
                    FormField(
                        "due_date", "Date 日期 (2026-12-01)", required=True, check=iso_date()
                    ),
                    FormField(
                        "kind",
                        "Kind 類型",
                        value="manual",
                        choices=[("手動回訪 manual", "manual"), ("定期回訪 periodic", "periodic")],
                    ),
                ],
                save,
            ),
            lambda result: self._load() if result is not None else None,
        )
