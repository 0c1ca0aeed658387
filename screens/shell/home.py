"""The home dashboard: a card per area, my alerts, my pending approvals."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from specialops.screens.shell import registry
from specialops.screens.shell.base import AreaScreen
from specialops.widgets.safe import SafeStatic

NOT_SET_UP = "not set up yet 尚未設定"
SEVERITY_STYLE = {"critical": "red", "warning": "yellow"}


@dataclass(frozen=True)
class HomeData:
    """What the dashboard shows, read in one worker."""

    headlines: dict[str, str]
    alerts: list[tuple[str, str, str, str]]
    approvals_total: int
    approvals: list[str]


class AreaCard(SafeStatic):
    """One area: its number key, name and headline figure."""

    def __init__(self, entry: registry.ScreenEntry, number: str) -> None:
        super().__init__(id=f"card-{entry.key}", classes="area-card")
        self.entry = entry
        self.number = number
        self.show(None)

    def show(self, headline: str | None) -> None:
        self.update(f"[{self.number}] {self.entry.title}\n{headline or NOT_SET_UP}")
        self.set_class(headline is None, "-empty")


class HomeScreen(AreaScreen):
    """What needs the user now, and how each area stands."""

    AREA_TITLE = "Home 首頁"

    class Loaded(Message):
        def __init__(self, data: HomeData) -> None:
            super().__init__()
            self.data = data

    def compose_body(self) -> ComposeResult:
        numbers = registry.number_keys()
        areas = [e for e in self.app.areas if e.key != "home"]  # type: ignore[attr-defined]
        with Vertical(id="home"):
            with Grid(id="area-cards"):
                for entry in areas:
                    yield AreaCard(entry, numbers.get(entry.key, ""))
            with Horizontal(id="home-panels"):
                with Vertical(classes="home-panel", id="alerts-panel"):
                    yield Static("Alerts 警示", classes="panel-title")
                    # Tab reaches it and the arrows scroll it when alerts outgrow the panel.
                    with VerticalScroll(classes="panel-body"):
                        yield SafeStatic("loading", id="alerts")
                with Vertical(classes="home-panel", id="approvals-panel"):
                    yield Static("My approvals 待我審批", classes="panel-title")
                    with VerticalScroll(classes="panel-body"):
                        yield SafeStatic("loading", id="approvals")

    def on_mount(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="home", exit_on_error=False)
    def _load(self) -> None:
        from specialops import alerts, workflow

        store, actor = self.context.store, self.context.actor
        headlines: dict[str, str] = {}
        for entry in registry.visible(actor):
            figure = entry.read_headline(store, actor)
            if figure is not None:
                headlines[entry.key] = figure
        found = [(a.severity, a.area, a.code, a.message) for a in alerts.current(store, actor)]
        total, pending = workflow.pending_for(store, actor, limit=20)
        lines = [f"{p.code}  {p.step}  by {p.requested_by}" for p in pending]
        self.post_message(self.Loaded(HomeData(headlines, found, total, lines)))

    def on_home_screen_loaded(self, message: Loaded) -> None:
        data = message.data
        for card in self.query(AreaCard):
            card.show(data.headlines.get(card.entry.key))
        alerts_view = self.query_one("#alerts", Static)
        if data.alerts:
            table = Table.grid(padding=(0, 1), expand=True)
            table.add_column(no_wrap=True, min_width=9)
            table.add_column(no_wrap=True, min_width=max(len(a[2]) for a in data.alerts))
            table.add_column(overflow="fold", ratio=1)
            for severity, _area, code, text in data.alerts:
                table.add_row(
                    Text(severity.upper(), style=f"bold {SEVERITY_STYLE[severity]}"), code, text
                )
            alerts_view.update(table)
        else:
            alerts_view.update("No alerts for you. 目前沒有警示。")
        if data.approvals_total:
            head = f"{data.approvals_total} waiting for you 件待審批"
            text = "\n".join([head, *data.approvals])
        else:
            text = "Nothing waits for your approval. 沒有待審批事項。"
        self.query_one("#approvals", Static).update(text)
