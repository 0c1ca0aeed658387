"""Users: who may use this database, on the record list (admins only)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Static

from specialops.screens.shell.base import AreaScreen
from specialops.widgets.modals import FieldsModal
from specialops.widgets.record_list import RecordList


class UsersScreen(AreaScreen):
    """Every user with role and department; Enter shows one."""

    AREA_TITLE = "Users 使用者"

    def compose_body(self) -> ComposeResult:
        from specialops.areas.people.queries import users_source

        source = users_source(self.context.store, self.context.actor)
        yield Static(
            "Users 使用者   / filter 篩選   s sort 排序   Enter open 開啟",
            id="users-title",
            classes="area-title",
            markup=False,
        )
        yield RecordList(source, id="users")

    def on_mount(self) -> None:
        self.query_one(RecordList).focus()

    def refresh_data(self) -> None:
        self.query_one(RecordList).rows.refresh_rows()

    @on(RecordList.Loaded, "#users")
    def _counted(self, event: RecordList.Loaded) -> None:
        self.query_one("#users-title", Static).update(
            f"Users 使用者  {event.count} shown   / filter 篩選   s sort 排序   Enter open 開啟"
        )

    @on(RecordList.Selected, "#users")
    def _open(self, event: RecordList.Selected) -> None:
        row = event.row
        labels = [c.label for c in event.record_list.source.spec.columns]
        self.app.push_screen(
            FieldsModal(f"User 使用者 {row['username']}", zip(labels, row.cells, strict=True))
        )
