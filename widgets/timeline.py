"""A text timeline (Gantt) of phases, tasks and milestones with today marked.

ASCII only (CJK terminals draw box and block characters two cells wide):
``=`` the current plan, ``-`` the baseline where it differs, ``*`` a
milestone due, ``v`` one achieved, ``|`` today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from specialops.terminal_text import visible

LABEL = 18


@dataclass(frozen=True)
class Bar:
    """One line of the timeline: a span (phase or task) or a milestone (start only)."""

    label: str
    start: date | None
    end: date | None
    baseline_start: date | None = None
    baseline_end: date | None = None
    milestone: bool = False
    achieved: date | None = None


def _fit(label: str, width: int) -> str:
    out = ""
    for char in label:
        if cell_len(out + char) > width:
            break
        out += char
    return out + " " * (width - cell_len(out))


def render_timeline(bars: Sequence[Bar], today: date, width: int) -> Text:
    """The chart as text, ``width`` cells wide."""
    dates = [d for b in bars for d in (b.start, b.end, b.baseline_start, b.baseline_end) if d]
    if not dates:
        return Text("No plan yet. 尚無計劃。", style="dim")
    first, last = min([*dates, today]), max([*dates, today])
    span = max((last - first).days, 1)
    chart = max(width - LABEL - 1, 10)

    def x(day: date) -> int:
        return min(chart - 1, round((day - first).days / span * (chart - 1)))

    now = x(today)
    text = Text(no_wrap=True)
    ruler = [" "] * chart
    ruler[now] = "|"
    head = f"{first:%m-%d}"
    tail = f"{last:%m-%d}"
    ruler[: len(head)] = head
    ruler[chart - len(tail) :] = tail
    text.append(_fit("today 今天 " + f"{today:%m-%d}", LABEL) + " ", style="dim")
    text.append("".join(ruler) + "\n", style="dim")
    for bar in bars:
        cells = [" "] * chart
        base = [" "] * chart
        if bar.milestone and bar.start:
            if bar.baseline_start and bar.baseline_start != bar.start:
                base[x(bar.baseline_start)] = "o"
            cells[x(bar.start)] = "v" if bar.achieved else "*"
        elif bar.start or bar.end:
            start, end = bar.start or bar.end, bar.end or bar.start
            assert start and end
            for i in range(x(start), x(end) + 1):
                cells[i] = "="
            if bar.baseline_start and bar.baseline_end and (
                bar.baseline_start, bar.baseline_end) != (start, end):  # fmt: skip
                for i in range(x(bar.baseline_start), x(bar.baseline_end) + 1):
                    base[i] = "-"
        if cells[now] == " ":
            cells[now] = "|"
        late = bar.milestone and not bar.achieved and bar.start and bar.start < today
        text.append(_fit(visible(bar.label, single_line=True), LABEL) + " ")
        text.append("".join(cells) + "\n", style="bold red" if late else "")
        if any(c != " " for c in base):
            if base[now] == " ":
                base[now] = "|"
            text.append(_fit("  baseline 基準", LABEL) + " ", style="dim")
            text.append("".join(base) + "\n", style="dim")
    text.rstrip()
    return text


class Timeline(Static):
    """Shows :func:`render_timeline` at the widget's width."""

    DEFAULT_CSS = """
    Timeline { height: auto; max-height: 12; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.bars: list[Bar] = []
        self.today = date.today()

    def show(self, bars: Sequence[Bar], today: date) -> None:
        self.bars = list(bars)
        self.today = today
        self._draw()

    def _draw(self) -> None:
        width = self.content_region.width or 78
        self.update(render_timeline(self.bars, self.today, width))

    def on_resize(self) -> None:
        self._draw()
