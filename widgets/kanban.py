"""A keyboard-driven kanban board: columns of cards, drawn line by line in one widget.

Only the columns that fit the width and the cards that fit the height are
drawn, so a board of hundreds of cards costs the same as a small one. The
board uses Textual's line API: each card is rendered once into strips (kept
until the data, the width or its focus state changes), and moving the cursor
repaints only the lines of the card it leaves, the card it reaches and the
column titles. Cards are any objects with ``code``, ``name``, ``manager``,
``health``, ``next_milestone`` and ``days_in_stage``.

The focused column is always marked: its title is highlighted, and an empty
column shows a placeholder that takes the cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.reactive import var
from textual.strip import Strip
from textual.widget import Widget

from specialops.terminal_text import visible

CARD_HEIGHT = 4  # three lines of text and a blank line
MIN_COLUMN = 26
HEALTH_STYLE = {
    "red": Style(color="white", bgcolor="red", bold=True),
    "amber": Style(color="black", bgcolor="yellow", bold=True),
    "green": Style(color="black", bgcolor="green", bold=True),
}
HEALTH_LETTER = {"red": "R", "amber": "A", "green": "G"}
EMPTY_TEXT = "(none 無)"


@dataclass
class KanbanColumn:
    """One column: its key, title and cards."""

    key: str
    title: str
    cards: Sequence[Any]


class Geometry(NamedTuple):
    """Which columns are shown, how wide, and how many cards fit in a column."""

    first: int
    fit: int
    width: int
    per_column: int


class _CardMessage(Message):
    """A message of a board about one of its cards."""

    def __init__(self, kanban: Kanban, card: Any) -> None:
        super().__init__()
        self.kanban = kanban
        self.card = card

    @property
    def control(self) -> Kanban:
        return self.kanban


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

    # View state that the widget repaints itself (only the lines that change).
    column: var[int] = var(0)
    row: var[int] = var(0)

    class Highlighted(_CardMessage):
        """The cursor rests on ``card`` (``None``: an empty column)."""

    class Selected(_CardMessage):
        """Enter on ``card`` (``None``: Enter on an empty column)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns: list[KanbanColumn] = []
        self._rows: dict[int, int] = {}
        self._tops: dict[int, int] = {}
        self._first_column = 0
        # Rendered cards and titles by position, focus state, width and base style.
        self._card_strips: dict[tuple[Any, ...], list[Strip]] = {}

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
        self._card_strips.clear()
        self._scroll_to_cursor()
        self.refresh()
        self._announce()

    @property
    def current(self) -> Any:
        """The card under the cursor; ``None`` on an empty column."""
        if not self.columns:
            return None
        cards = self.columns[self.column].cards
        return cards[self.row] if 0 <= self.row < len(cards) else None

    @property
    def current_column(self) -> KanbanColumn | None:
        """The column under the cursor."""
        return self.columns[self.column] if self.columns else None

    def _announce(self) -> None:
        self.post_message(self.Highlighted(self, self.current))

    # --------------------------------------------------------------- actions

    def action_move(self, dx: int, dy: int) -> None:
        if not self.columns:
            return
        before = (self.column, self.row)
        if dx:
            self._rows[self.column] = self.row
            self.column = max(0, min(len(self.columns) - 1, self.column + dx))
            cards = self.columns[self.column].cards
            self.row = min(self._rows.get(self.column, 0), max(len(cards) - 1, 0))
        if dy:
            cards = self.columns[self.column].cards
            self.row = max(0, min(len(cards) - 1, self.row + dy))
        self._moved(before)

    def action_edge(self, end: int) -> None:
        if not self.columns:
            return
        before = (self.column, self.row)
        cards = self.columns[self.column].cards
        self.row = max(len(cards) - 1, 0) if end else 0
        self._moved(before)

    def action_select(self) -> None:
        if self.columns:
            self.post_message(self.Selected(self, self.current))

    def _moved(self, before: tuple[int, int]) -> None:
        """Repaint what the move changed: the two cards and the titles, or all if it scrolled."""
        if (self.column, self.row) == before:
            return
        self._rows[self.column] = self.row
        if self._scroll_to_cursor():
            self.refresh()
        else:
            width = self.content_region.width
            self.refresh(
                Region(0, 0, width, 1),
                self._card_region(*before, width),
                self._card_region(self.column, self.row, width),
            )
        self._announce()

    # --------------------------------------------------------------- geometry

    def geometry(self) -> Geometry:
        """The first shown column, how many fit, their width and the cards per column."""
        region = self.content_region
        fit = max(1, min(len(self.columns), max(region.width, MIN_COLUMN) // MIN_COLUMN))
        width = max(region.width // fit - 1, 10)
        # One line of titles, one for the "more" marks; the last card's blank line can go.
        per_column = max((region.height - 2) // CARD_HEIGHT, 1)
        return Geometry(self._first_column, fit, width, per_column)

    def visible_columns(self) -> tuple[int, int]:
        """The first shown column and how many fit."""
        geometry = self.geometry()
        return geometry.first, geometry.fit

    def _scroll_to_cursor(self) -> bool:
        """Bring the cursor's column and card into view; True if anything scrolled."""
        first, fit, _width, per_column = self.geometry()
        was = (first, self._tops.get(self.column, 0))
        if self.column < first:
            first = self.column
        elif self.column >= first + fit:
            first = self.column - fit + 1
        first = max(0, min(first, max(len(self.columns) - fit, 0)))
        top = self._tops.get(self.column, 0)
        if self.row < top:
            top = self.row
        elif self.row >= top + per_column:
            top = self.row - per_column + 1
        self._first_column = first
        self._tops[self.column] = top
        return (first, top) != was

    def _card_region(self, column: int, row: int, width: int) -> Region:
        """The content lines of one card (or of an empty column's placeholder)."""
        top = self._tops.get(column, 0)
        y = 1 + (1 if top else 0) + (row - top) * CARD_HEIGHT
        return Region(0, y, width, CARD_HEIGHT - 1)

    # --------------------------------------------------------------- drawing

    def _strips(self, text: Text, width: int, height: int, base: Style) -> list[Strip]:
        console = self.app.console
        options = console.options.update(width=width, height=height, no_wrap=True)
        lines = console.render_lines(text, options, style=base, pad=True)
        return [Strip(line, width) for line in lines[:height]]

    def _card_text(self, card: Any, width: int, focused: bool) -> Text:
        health = getattr(card, "health", "green")
        text = Text(no_wrap=True, overflow="crop")
        text.append(f" {HEALTH_LETTER.get(health, '?')} ", HEALTH_STYLE.get(health, Style()))
        text.append(visible(f" {card.code}", single_line=True), Style(bold=True))
        text.append(f"  {card.days_in_stage}d\n", Style(dim=True))
        name = Text(visible(card.name, single_line=True), no_wrap=True, overflow="crop")
        name.truncate(width, overflow="crop")
        text.append_text(name)
        text.append("\n")
        meta = f"PM {card.manager or '-'}"
        if card.next_milestone:
            meta += f"  MS {card.next_milestone}"
        line = Text(visible(meta, single_line=True), style=Style(dim=not focused))
        line.truncate(width, overflow="crop")
        text.append_text(line)
        if focused:
            text.stylize(self._cursor_style())
        return text

    def _cursor_style(self) -> Style:
        return Style(reverse=self.has_focus, underline=not self.has_focus, bold=True)

    def _card(self, column: int, row: int, width: int, base: Style) -> list[Strip]:
        """The three lines of one card, rendered once per focus state, width and style."""
        focused = column == self.column and row == self.row
        key = (column, row, focused, focused and self.has_focus, width, base)
        strips = self._card_strips.get(key)
        if strips is None:
            card = self.columns[column].cards[row]
            text = self._card_text(card, width, focused)
            strips = self._strips(text, width, CARD_HEIGHT - 1, base)
            self._card_strips[key] = strips
        return strips

    def _title(self, column: int, width: int, base: Style) -> Strip:
        here = column == self.column
        key = ("title", column, here, here and self.has_focus, width, base)
        strips = self._card_strips.get(key)
        if strips is None:
            kanban_column = self.columns[column]
            title = visible(kanban_column.title, single_line=True)
            head = Text(f"{title} ({len(kanban_column.cards)})", no_wrap=True)
            head.truncate(width, overflow="crop")
            head.stylize(Style(bold=True, reverse=here and self.has_focus, underline=here))
            strips = self._card_strips[key] = self._strips(head, width, 1, base)
        return strips[0]

    def _mark(self, text: str, width: int, style: Style, base: Style) -> Strip:
        return self._strips(Text(text, style=style, no_wrap=True), width, 1, base)[0]

    def _column_line(self, column: int, y: int, geometry: Geometry, base: Style) -> Strip:
        """Line ``y`` of the board's content, within one column."""
        width = geometry.width
        if y == 0:
            return self._title(column, width, base)
        cards = self.columns[column].cards
        line = y - 1
        if not cards:
            if line != 0:
                return Strip.blank(width, base)
            here = column == self.column
            style = self._cursor_style() if here else Style(dim=True)
            text = f"> {EMPTY_TEXT}" if here else f"  {EMPTY_TEXT}"
            return self._mark(text, width, style, base)
        top = self._tops.get(column, 0)
        if top:
            if line == 0:
                return self._mark(f"  ^ {top} more", width, Style(dim=True), base)
            line -= 1
        shown = min(geometry.per_column, len(cards) - top)
        index, offset = divmod(line, CARD_HEIGHT)
        if index < shown:
            if offset == CARD_HEIGHT - 1:
                return Strip.blank(width, base)
            return self._card(column, top + index, width, base)[offset]
        rest = len(cards) - top - shown
        if rest > 0 and line == shown * CARD_HEIGHT:
            return self._mark(f"  v {rest} more", width, Style(dim=True), base)
        return Strip.blank(width, base)

    def render_line(self, y: int) -> Strip:
        """One line across the shown columns (the line API: only dirty lines are asked for)."""
        full = self.content_region.width
        base = self.rich_style
        if not self.columns:
            if y == 0:
                text = Text("No projects here. 沒有項目。", style="dim")
                return self._strips(text, full, 1, base)[0]
            return Strip.blank(full, base)
        geometry = self.geometry()
        gap = Strip.blank(1, base)
        parts: list[Strip] = []
        for column in range(geometry.first, min(geometry.first + geometry.fit, len(self.columns))):
            parts.append(self._column_line(column, y, geometry, base))
            parts.append(gap)
        return Strip.join(parts).adjust_cell_length(full, base)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def on_resize(self) -> None:
        self._card_strips.clear()
        if self.columns:
            self._scroll_to_cursor()
        self.refresh()
