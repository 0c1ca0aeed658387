"""Follow-ups due (回訪, CS-3): scheduled visits by date; Enter records the customer's
satisfaction (1–5) and comments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual import on, work
from textual.binding import Binding

from specialops.listing import ListSpec
from specialops.permissions import can
from specialops.screens.tickets.detail import push_form
from specialops.screens.tickets.status_list import StatusListScreen
from specialops.widgets.form import FormField, FormModal, integer_between, read_integer
from specialops.widgets.record_list import RecordList


class FollowUpsScreen(StatusListScreen):
    """The follow-up visits to make, the oldest first."""

    AREA_TITLE = "Follow-ups 回訪"
    AUTO_FOCUS = "#followups RecordRows"
    BINDINGS = [
        Binding("escape", "back", "Back 返回", id="followups.back"),
        Binding("w", "cycle_status", "Status 狀態", id="followups.status"),
        Binding("k", "customer", "Customer 客戶", id="followups.customer"),
    ]

    LIST_ID = "followups"
    STATUS_CYCLE = ("scheduled", "done", "cancelled", None)
    HINT = "Enter record result 記錄結果  w status  k customer  Esc back"

    def list_spec(self) -> ListSpec:
        from specialops.areas.tickets.queries import followups_spec

        return followups_spec(None)

    def status_labels(self) -> Mapping[str, str]:
        from specialops.areas.tickets.queries import FOLLOWUP_STATUS

        return FOLLOWUP_STATUS

    def action_customer(self) -> None:
        row = self.query_one(RecordList).current
        if row is not None:
            self._open_customer(row["code"])

    @work(thread=True, exclusive=True, group="followup-row", exit_on_error=False)
    def _open_customer(self, code: str) -> None:
        from specialops.areas.tickets.screen_queries import followup_customer_code
        from specialops.screens.customers.browser import CustomerScreen

        customer_code = followup_customer_code(self.context.store, code)
        if customer_code is not None:
            self.app.call_from_thread(
                self.app.push_screen, CustomerScreen(self.context, customer_code)
            )

    @on(RecordList.Selected, "#followups")
    def _record(self, event: RecordList.Selected) -> None:
        if not can(self.context.actor, "ticket.work") or event.row["status"] != "scheduled":
            return
        title = f"Follow-up result 回訪結果 {event.row['code']} {event.row['customer']}"
        self._load_followup(event.row.key, title)

    @work(thread=True, exclusive=True, group="followup-row", exit_on_error=False)
    def _load_followup(self, followup_id: int, title: str) -> None:
        """Read the version the form will save against, off the UI thread."""
        from specialops.areas.tickets.screen_queries import followup_form

        found = followup_form(self.context.store, followup_id)
        self.app.call_from_thread(self._ask_result, found.id, found.version, title)

    def _ask_result(self, followup_id: int, version: int, title: str) -> None:
        from specialops.areas.tickets import followups

        store, actor = self.context.store, self.context.actor

        def save(values: dict) -> Any:
            return followups.record_result(
                store,
                actor,
                followup_id,
                version,
                satisfaction=read_integer(values["satisfaction"]),
                comments=values["comments"],
            )

        push_form(
            self.app,
            FormModal(
                title,
                [
                    FormField(
                        "satisfaction",
                        "Satisfaction 滿意度 (1-5)",
                        required=True,
                        check=integer_between(1, 5),
                    ),
                    FormField("comments", "Comments 意見"),
                ],
                save,
            ),
            lambda result: self.refresh_data() if result is not None else None,
        )
