"""The quality review queue (CS-4): sampled tickets; Enter scores the checklist. A review
below the standard opens a corrective action for the agent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.binding import Binding

from specialops.listing import ListSpec
from specialops.permissions import can
from specialops.screens.tickets.detail import push_form
from specialops.screens.tickets.status_list import StatusListScreen
from specialops.widgets.form import FormField, FormModal, integer_between, read_integer
from specialops.widgets.record_list import RecordList

if TYPE_CHECKING:
    from specialops.areas.tickets.screen_queries import ReviewForm


class QualityScreen(StatusListScreen):
    """Sampled tickets waiting for review, and the reviews done."""

    AREA_TITLE = "Quality 質檢"
    AUTO_FOCUS = "#reviews RecordRows"
    BINDINGS = [
        Binding("escape", "back", "Back 返回", id="quality.back"),
        Binding("w", "cycle_status", "Status 狀態", id="quality.status"),
        Binding("m", "sample", "Sample last week 抽樣", id="quality.sample"),
    ]

    LIST_ID = "reviews"
    STATUS_CYCLE = ("queued", "reviewed", None)
    HINT = "Enter review 評分  w status  m sample  Esc back"

    def list_spec(self) -> ListSpec:
        from specialops.areas.tickets.queries import reviews_spec

        return reviews_spec(None)

    def status_labels(self) -> Mapping[str, str]:
        from specialops.areas.tickets.queries import REVIEW_STATUS

        return REVIEW_STATUS

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sample":
            return can(self.context.actor, "ticket.review")
        return True

    def action_sample(self) -> None:
        self._sample()

    @work(thread=True, exclusive=True, group="quality-sample", exit_on_error=False)
    def _sample(self) -> None:
        from specialops.areas.tickets import quality

        added = quality.sample_week(self.context.store, self.context.actor)
        self.app.call_from_thread(self.notify, f"{added} tickets sampled 已抽樣")
        self.app.call_from_thread(self.refresh_data)

    @on(RecordList.Selected, "#reviews")
    def _review(self, event: RecordList.Selected) -> None:
        if not can(self.context.actor, "ticket.review") or event.row["status"] != "queued":
            return
        self._load_review(event.row.key, f"Review 質檢 {event.row['code']} {event.row['ticket']}")

    @work(thread=True, exclusive=True, group="quality-row", exit_on_error=False)
    def _load_review(self, review_id: int, title: str) -> None:
        """Read the review's version and the checklist off the UI thread."""
        from specialops.areas.tickets.screen_queries import review_form

        found = review_form(self.context.store, review_id)
        self.app.call_from_thread(self._ask_review, found, title)

    def _ask_review(self, form: ReviewForm, title: str) -> None:
        from specialops.areas.tickets import quality

        store, actor = self.context.store, self.context.actor
        items = form.checklist

        def save(values: dict) -> Any:
            scores = {key: read_integer(values[key]) for key, _ in items}
            return quality.review(store, actor, form.id, form.version, scores, values["comments"])

        def done(result: Any) -> None:
            if result is None:
                return
            item, action = result
            verdict = "pass 合格" if item.passed else f"below standard 不合格: {action.code} opened"
            self.notify(f"{item.code} {item.score}% {verdict}")
            self.refresh_data()

        fields = [
            FormField(key, f"{label} (1-5)", required=True, check=integer_between(1, 5))
            for key, label in items
        ]
        fields.append(FormField("comments", "Comments 評語"))
        push_form(self.app, FormModal(title, fields, save), done)
