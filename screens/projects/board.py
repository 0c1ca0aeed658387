"""The project board: one column per active stage, a card per project (PRJ-1…5)."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Static

from specialops.permissions import can
from specialops.screens.projects.detail import (
    ProjectDetailScreen,
    label_step_keys,
    proposal_form,
    take_step,
)
from specialops.screens.shell.base import AreaScreen
from specialops.widgets.kanban import Kanban, KanbanColumn
from specialops.widgets.safe import SafeStatic

FOOTER_DELAY = 0.2  # seconds the cursor rests before the footer shows the keys of its card
STEP_KEYS = {"projects.advance": "forward", "projects.back": "back"}


class ProjectBoardScreen(AreaScreen):
    """Every active project at once; arrows move, Enter opens, a/b move the project."""

    AREA_TITLE = "Projects 項目看板"
    BINDINGS = [
        Binding("n", "propose", "Propose 立項", id="projects.propose"),
        Binding("a", "step('forward')", "Advance 推進", id="projects.advance"),
        Binding("b", "step('back')", "Send back 退回", id="projects.back"),
        Binding("m", "toggle('mine')", "Mine 我的", id="projects.mine"),
        Binding("d", "toggle('department')", "Dept 本部門", id="projects.department"),
        Binding("r", "toggle('red_only')", "Red 紅燈", id="projects.red"),
        Binding("f5", "reload", "Reload", show=False, id="projects.reload"),
    ]

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        from specialops.areas.projects.queries import BoardFilter

        self.filter = BoardFilter()
        self.steps: dict[str, list[Any]] = {"forward": [], "back": []}
        self.keep: str | None = None
        self._footer_timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("Projects 項目看板", id="board-title", classes="area-title", markup=False)
        yield Kanban(id="board")
        yield SafeStatic("", id="board-reasons")

    def on_mount(self) -> None:
        self.query_one(Kanban).focus()
        self.refresh_data()

    def refresh_data(self) -> None:
        self._load(self.filter)

    @work(thread=True, exclusive=True, group="board", exit_on_error=False)
    def _load(self, flt: Any) -> None:
        from specialops.areas.projects.queries import board, stage_label

        columns = board(self.context.store, self.context.actor, flt)
        shown = [
            KanbanColumn(stage, f"{stage_label(stage)} {stage}", cards)
            for stage, cards in columns.items()
        ]
        self.app.call_from_thread(self._show, shown)

    def _show(self, columns: list[KanbanColumn]) -> None:
        total = sum(len(c.cards) for c in columns)
        red = sum(1 for c in columns for card in c.cards if card.health == "red")
        self.query_one("#board-title", Static).update(
            f"{total} active 進行中, {red} red 紅燈 | filter 篩選 m/d/r:"
            f" {self.filter.describe()} | <- -> stages 階段"
        )
        self.query_one(Kanban).set_columns(columns, keep=self.keep)

    @on(Kanban.Highlighted, "#board")
    def _highlighted(self, event: Kanban.Highlighted) -> None:
        card = event.card
        reasons = self.query_one("#board-reasons", Static)
        if card is None:
            column = event.kanban.current_column
            where = column.title if column else ""
            reasons.update(
                f"{where}: no project 無項目 ({self.filter.describe()}); <- -> other stages",
                layout=False,
            )
            self._set_steps(None, [])
            return
        self.keep = card.code
        why = "; ".join(card.reasons) if card.reasons else "on plan 正常"
        reasons.update(
            f"{card.code} {card.name} | health 健康: {card.health} - {why}", layout=False
        )
        self._load_steps(card.code)

    @work(thread=True, exclusive=True, group="steps", exit_on_error=False)
    def _load_steps(self, code: str) -> None:
        from specialops.areas.projects.queries import available_steps

        steps = available_steps(self.context.store, self.context.actor, code)
        self.app.call_from_thread(self._set_steps, code, steps)

    def _set_steps(self, code: str | None, steps: list[Any]) -> None:
        if code is not None and self.keep != code:
            return
        before = {name: bool(found) for name, found in self.steps.items()}
        self.steps = {
            "forward": [s for s in steps if s.direction == "forward"],
            "back": [s for s in steps if s.direction == "back"],
        }
        relabelled = label_step_keys(self, STEP_KEYS, steps)
        # Textual rebuilds the whole footer on every refresh of the bindings (~80 ms here):
        # do it only when keys come, go or change their names, and once the cursor rests,
        # not on every arrow key. The keys themselves follow ``self.steps`` at once.
        if relabelled or before != {name: bool(found) for name, found in self.steps.items()}:
            if self._footer_timer is not None:
                self._footer_timer.stop()
            self._footer_timer = self.set_timer(FOOTER_DELAY, self._cursor_rested)

    def _cursor_rested(self) -> None:
        self._footer_timer = None
        self.refresh_bindings()

    @property
    def footer_pending(self) -> bool:
        """Whether the footer still waits for the cursor to rest before naming its keys."""
        return self._footer_timer is not None

    @on(Kanban.Selected, "#board")
    def _open(self, event: Kanban.Selected) -> None:
        if event.card is None:
            column = event.kanban.current_column
            self.notify(
                f"No project in {column.title if column else 'this stage'} to open."
                " 此階段沒有項目。",
                severity="warning",
            )
            return
        self.app.push_screen(ProjectDetailScreen(self.context, event.card.code))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "propose":
            return can(self.context.actor, "project.propose")
        if action == "step":
            return bool(self.steps.get(str(parameters[0])))
        return True

    def action_toggle(self, name: str) -> None:
        from dataclasses import replace

        self.filter = replace(self.filter, **{name: not getattr(self.filter, name)})
        self.refresh_data()

    def action_reload(self) -> None:
        self.refresh_data()

    def action_propose(self) -> None:
        def done(project: Any) -> None:
            if project is not None:
                self.keep = project.code
                self.notify(f"Proposal {project.code} filed 已提交立項申請")
                self.refresh_data()

        self.app.push_screen(proposal_form(self.context, None), done)

    def action_step(self, direction: str) -> None:
        card = self.query_one(Kanban).current
        steps = self.steps.get(direction, [])
        if card is None or not steps:
            self.notify("No project here to move. 沒有可推進的項目。", severity="warning")
            return
        take_step(self, self.context, card.id, card.version, card.code, steps, self.refresh_data)
