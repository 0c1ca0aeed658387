"""A keyboard-driven kanban board: columns of cards, drawn in one widget.

Only the columns that fit the width and the cards that fit the height are
rendered, so a board of hundreds of cards costs the same as a small one.
Cards are any objects with ``code``, ``name``, ``manager``, ``health``,
``next_milestone`` and ``days_in_stage``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

CARD_HEIGHT = 4
MIN_COLUMN = 26
HEALTH_STYLE = {
    "red": Style(color="white", bgcolor="red", bold=True),
    "amber": Style(color="black", bgcolor="yellow", bold=True),
    "green": Style(color="black", bgcolor="green", bold=True),
}
HEALTH_LETTER = {"red": "R", "amber": "A", "green": "G"}


@dataclass
class KanbanColumn:
    """One column: its key, title and cards."""

    key: str
    title: str
    cards: Sequence[Any]


class Kanban(Widget, can_focus=True):
    """Columns of cards; arrows move, Enter opens."""

    DEFAULT_CSS = """
    Kanban { height: 1fr; padding: 0 1; }
    """
    BINDINGS = [
        Binding("left", "move(-1, 0)", "Left", show=False, id="kanban.left"),
        Binding("right", "move(1, 0)", "Right", show=False, id="kanban.right"),
        Binding("up", "move(0, -1)", "Up", show=False, id="kanban.up"),
        Binding("down", "move(0, 1)", "Down", show=False, id="kanban.down"),
        Binding("home", "edge(0)", "First", show=False, id="kanban.first"),
        Binding("end", "edge(1)", "Last", show=False, id="kanban.last"),
        Binding("enter", "select", "Open 開啟", id="kanban.open"),
    ]

    column: reactive[int] = reactive(0)
    row: reactive[int] = reactive(0)

    class Highlighted(Message):
        """The cursor rests on ``card`` (``None``: an empty column)."""

        def __init__(self, kanban: Kanban, card: Any) -> None:
            super().__init__()
            self.kanban = kanban
            self.card = card

        @property
        def control(self) -> Kanban:
            return self.kanban

    class Selected(Message):
        """Enter on ``card``."""

        def __init__(self, kanban: Kanban, card: Any) -> None:
            super().__init__()
            self.kanban = kanban
            self.card = card

        @property
        def control(self) -> Kanban:
            return self.kanban

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: list[KanbanColumn] = []
        self._rows: dict[int, int] = {}
        self._tops: dict[int, int] = {}
        self._first_column = 0

    # ------------------------------------------------------------------ data

    def set_columns(self, columns: list[KanbanColumn], keep: str | None = None) -> None:
        """Show new columns; keep the cursor on the card with code ``keep`` if it is there."""
        self.columns = columns
        self._rows = {i: 0 for i in range(len(columns))}
        self._tops = {i: 0 for i in range(len(columns))}
        target = (min(self.column, max(len(columns) - 1, 0)), 0)
        if columns and not columns[target[0]].cards:
            filled = [i for i, c in enumerate(columns) if c.cards]
            target = (filled[0], 0) if filled else target
        if keep:
            for c, column in enumerate(columns):
                for r, card in enumerate(column.cards):
                    if getattr(card, "code", None) == keep:
                        target = (c, r)
        self._rows[target[0]] = target[1]
        self.column, self.row = target
        self.refresh()
        self._announce()

    @property
    def current(self) -> Any:
        if not self.columns:
            return None
        cards = self.columns[self.column].cards
        return cards[self.row] if 0 <= self.row < len(cards) else None

    def _announce(self) -> None:
        self.post_message(self.Highlighted(self, self.current))

    # --------------------------------------------------------------- actions

    def action_move(self, dx: int, dy: int) -> None:
        if not self.columns:
            return
        if dx:
            self._rows[self.column] = self.row
            self.column = max(0, min(len(self.columns) - 1, self.column + dx))
            cards = self.columns[self.column].cards
            self.row = min(self._rows.get(self.column, 0), max(len(cards) - 1, 0))
        if dy:
            cards = self.columns[self.column].cards
            self.row = max(0, min(len(cards) - 1, self.row + dy))
        self.refresh()
        self._announce()

    def action_edge(self, end: int) -> None:
        cards = self.columns[self.column].cards if self.columns else []
        self.row = max(len(cards) - 1, 0) if end else 0
        self.refresh()
        self._announce()

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self, self.current))

    # --------------------------------------------------------------- drawing

    def visible_columns(self) -> tuple[int, int]:
        """The first shown column and how many fit."""
        width = max(self.content_region.width, MIN_COLUMN)
        fit = max(1, min(len(self.columns), width // MIN_COLUMN))
        first = self._first_column
        if self.column < first:
            first = self.column
        elif self.column >= first + fit:
            first = self.column - fit + 1
        first = max(0, min(first, max(len(self.columns) - fit, 0)))
        self._first_column = first
        return first, fit

    def _card(self, card: Any, width: int, focused: bool) -> Text:
        health = getattr(card, "health", "green")
        text = Text(no_wrap=True, overflow="crop")
        text.append(f" {HEALTH_LETTER.get(health, '?')} ", HEALTH_STYLE.get(health, Style()))
        text.append(f" {card.code}", Style(bold=True))
        text.append(f"  {card.days_in_stage}d\n", Style(dim=True))
        name = Text(card.name, no_wrap=True, overflow="crop")
        name.truncate(width, overflow="crop")
        text.append_text(name)
        text.append("\n")
        meta = f"PM {card.manager or '-'}"
        if card.next_milestone:
            meta += f"  MS {card.next_milestone}"
        line = Text(meta, style=Style(dim=not focused))
        line.truncate(width, overflow="crop")
        text.append_text(line)
        if focused:
            text.stylize(Style(reverse=self.has_focus, underline=not self.has_focus))
        return text

    def render(self) -> Any:
        if not self.columns:
            return Text("No projects here. 沒有項目。", style="dim")
        first, fit = self.visible_columns()
        width = max(self.content_region.width // fit - 1, 10)
        per_column = max((self.content_region.height - 1) // CARD_HEIGHT, 1)
        table = Table.grid(padding=(0, 1), expand=True)
        for _ in range(fit):
            table.add_column(width=width, no_wrap=True)
        heads = []
        bodies = []
        for index in range(first, first + fit):
            column = self.columns[index]
            here = index == self.column
            head = Text(f"{column.title} ({len(column.cards)})", no_wrap=True)
            head.truncate(width, overflow="crop")
            head.stylize(Style(bold=True, reverse=here and self.has_focus, underline=here))
            heads.append(head)
            row = self.row if here else self._rows.get(index, 0)
            top = self._tops.get(index, 0)
            if row < top:
                top = row
            elif row >= top + per_column:
                top = row - per_column + 1
            self._tops[index] = top
            shown = column.cards[top : top + per_column]
            parts: list[Text] = []
            if top:
                parts.append(Text(f"  ^ {top} more", style="dim"))
            for offset, card in enumerate(shown):
                parts.append(self._card(card, width, here and top + offset == self.row))
                parts.append(Text(""))
            rest = len(column.cards) - top - len(shown)
            if rest > 0:
                parts.append(Text(f"  v {rest} more", style="dim"))
            if not column.cards:
                parts.append(Text("  (none 無)", style="dim"))
            bodies.append(Group(*parts))
        table.add_row(*heads)
        table.add_row(*bodies)
        return table

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_resize(self) -> None:
        self.refresh()
