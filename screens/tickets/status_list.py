"""A screen of one record list that `w` filters by status, in a fixed cycle of statuses."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.widgets import Static

from specialops.listing import ListSpec, PageSource
from specialops.screens.shell.base import AreaScreen
from specialops.widgets.record_list import RecordList


class StatusListScreen(AreaScreen):
    """Subclasses name the list, its statuses and how to build its spec."""

    LIST_ID = ""
    STATUS_CYCLE: tuple[str | None, ...] = (None,)
    HINT = ""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.status: str | None = self.STATUS_CYCLE[0]

    def list_spec(self) -> ListSpec:
        """The list, unfiltered by status."""
        raise NotImplementedError

    def status_labels(self) -> Mapping[str, str]:
        raise NotImplementedError

    def compose_body(self) -> ComposeResult:
        self.source = PageSource(self.context.store, self.list_spec())
        self._filter()
        yield Static("", id=f"{self.LIST_ID}-title", classes="area-title", markup=False)
        yield RecordList(self.source, id=self.LIST_ID)

    def on_mount(self) -> None:
        self._describe(None)

    def _filter(self) -> None:
        self.source.set_fixed(**({"status": self.status} if self.status else {}))

    def _describe(self, count: int | None) -> None:
        label = self.status_labels().get(self.status or "", "all 全部")
        shown = "" if count is None else f"  {count} shown"
        self.query_one(f"#{self.LIST_ID}-title", Static).update(
            f"{self.AREA_TITLE} [{label}]{shown}   {self.HINT}"
        )

    def on_record_list_loaded(self, event: RecordList.Loaded) -> None:
        self._describe(event.count)

    def refresh_data(self) -> None:
        self.query_one(RecordList).rows.refresh_rows()

    def action_cycle_status(self) -> None:
        cycle = self.STATUS_CYCLE
        self.status = cycle[(cycle.index(self.status) + 1) % len(cycle)]
        self._filter()
        self.refresh_data()
        self._describe(None)

    def action_back(self) -> None:
        self.app.pop_screen()
