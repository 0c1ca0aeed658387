"""A 5×5 risk heat map: counts per likelihood × impact cell, coloured by level.

Arrow keys move between cells; moving onto a cell (or Enter on it) posts
:class:`HeatMap.CellChosen` (the screen filters its list), Escape posts
:class:`HeatMap.Cleared`. Each cell shows its level letter as well as its
colour, so it reads the same in 16 colours and with ``NO_COLOR``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

LEVEL_STYLE = {
    "low": "black on green",
    "medium": "black on yellow",
    "high": "white on dark_orange3",
    "critical": "bold white on red",
}
LEVEL_LETTER = {"low": "L", "medium": "M", "high": "H", "critical": "C"}
CELL = 5


class HeatMap(Widget, can_focus=True):
    """Where the risks sit: likelihood up, impact across."""

    DEFAULT_CSS = """
    HeatMap { width: 32; height: 9; }
    HeatMap:focus { background: $boost; }
    """
    BINDINGS = [
        Binding("up", "move(1, 0)", "Likelier", show=False, id="heat.up"),
        Binding("down", "move(-1, 0)", "Less likely", show=False, id="heat.down"),
        Binding("right", "move(0, 1)", "More impact", show=False, id="heat.right"),
        Binding("left", "move(0, -1)", "Less impact", show=False, id="heat.left"),
        Binding("enter,space", "choose", "This cell", id="heat.choose"),
        Binding("escape", "clear", "All cells", id="heat.clear"),
    ]

    counts: reactive[dict[tuple[int, int], int]] = reactive(dict, always_update=True)
    cursor: reactive[tuple[int, int]] = reactive((3, 3))
    chosen: reactive[bool] = reactive(False)

    class CellChosen(Message):
        def __init__(self, likelihood: int, impact: int) -> None:
            super().__init__()
            self.likelihood = likelihood
            self.impact = impact

    class Cleared(Message):
        pass

    def __init__(self, level_of: Callable[[int, int], str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.level_of = level_of

    def show(self, counts: Mapping[tuple[int, int], int]) -> None:
        self.counts = dict(counts)

    def render(self) -> Text:
        text = Text()
        text.append("Likelihood 可能性 ↑\n", style="bold")
        for likelihood in range(5, 0, -1):
            text.append(f" {likelihood} ")
            for impact in range(1, 6):
                level = self.level_of(likelihood, impact)
                count = self.counts.get((likelihood, impact), 0)
                here = self.cursor == (likelihood, impact) and (self.has_focus or self.chosen)
                body = f"{count or '':>2}{LEVEL_LETTER[level]}"
                cell = f"[{body}]" if here else f" {body} "
                style = LEVEL_STYLE[level] + (" reverse" if here and self.has_focus else "")
                text.append(cell.ljust(CELL), style=style)
            text.append("\n")
        text.append("   " + "".join(f"{n:^{CELL}}" for n in range(1, 6)) + "\n")
        text.append("   Impact 影響 →", style="bold")
        return text

    def action_move(self, d_likelihood: int, d_impact: int) -> None:
        likelihood, impact = self.cursor
        likelihood = min(5, max(1, likelihood + d_likelihood))
        impact = min(5, max(1, impact + d_impact))
        self.cursor = (likelihood, impact)
        self.chosen = True
        self.post_message(self.CellChosen(likelihood, impact))

    def action_clear(self) -> None:
        if self.chosen:
            self.chosen = False
            self.post_message(self.Cleared())
        else:
            self.screen.focus_next()

    def action_choose(self) -> None:
        self.chosen = True
        self.post_message(self.CellChosen(*self.cursor))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
