"""What every area screen shares: the header line, the footer, worker failures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker

from specialops.permissions import ROLES
from specialops.terminal_text import visible
from specialops.widgets.messages import forward_failure

if TYPE_CHECKING:
    from specialops.context import Context


class AppHeader(Static):
    """One line: the app, who is working (name, login, role) and which database.

    No clock and no host name, so the screen reads the same every time.
    """

    def __init__(self, context: Context, area: str) -> None:
        actor = context.actor
        role = ROLES.get(actor.role, actor.role).split(" ")[0]
        who = actor.name if actor.name and actor.name != actor.username else ""
        person = f"{who} {actor.username}".strip()
        acting = f" (as, by {actor.real_username})" if actor.login != actor.username else ""
        text = (
            f" specialops | {area} | {person} {actor.role} {role}{acting} | "
            f"{context.settings.db_label}"
        )
        super().__init__(visible(text, single_line=True), markup=False, id="app-header")


class AreaScreen(Screen):
    """A top-level screen of one area: header, body, footer."""

    AREA_TITLE = ""

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context

    def compose(self) -> ComposeResult:
        yield AppHeader(self.context, self.AREA_TITLE)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def refresh_data(self) -> None:
        """Read the screen's data again (after an import, the sample data, ...)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        forward_failure(self, event)
