"""Data on the screen: control characters shown as stand-ins, markup never obeyed.

Text from the database reaches the terminal through Rich and Textual, and
neither stops an ESC: a name could set the clipboard or the window title. And
a plain string is read as markup where Textual or Rich parse it (``[red]``,
``[@click=app.quit]``). Screens show data through :class:`SafeStatic`
(or :func:`safe` for a renderable), which applies
:func:`specialops.terminal_text.visible` and keeps strings out of any markup
parser; :class:`SafeOutput` on the app does the same for notifications and,
as a last guard, drops any control character left in a rendered line.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.segment import Segment
from rich.table import Table
from rich.text import Span, Text
from textual.color import Color
from textual.filter import LineFilter
from textual.widgets import Static

from specialops.terminal_text import has_controls, positions, strip_controls, visible


def safe_text(text: Text, *, single_line: bool = False) -> Text:
    """``text`` with its control characters shown as stand-ins, its styles kept."""
    found = positions(text.plain, single_line=single_line)
    if not found:
        return text
    out = text.blank_copy()
    for piece in text.divide(sorted({cut for at in found for cut in (at, at + 1)})):
        shown = visible(piece.plain, single_line=single_line)
        if shown != piece.plain:  # one character: its stand-in takes over its styles
            piece = Text(shown, spans=[Span(0, len(shown), span.style) for span in piece.spans])
        piece.style = ""  # the whole text's style is kept by the copy
        out.append_text(piece)
    return out


def safe(content: Any, *, single_line: bool = False) -> Any:
    """A renderable with data in it, made safe to show.

    A string stays a string (for a widget that does not parse markup); a
    :class:`~rich.text.Text` keeps its styles; a table's cells and a group's parts
    are made safe in turn, a string cell becoming ``Text`` so Rich reads no markup
    in it. Other renderables are returned as they are.
    """
    if isinstance(content, str):
        return visible(content, single_line=single_line)
    if isinstance(content, Text):
        return safe_text(content, single_line=single_line)
    if isinstance(content, Table):
        return _safe_table(content)
    if isinstance(content, Group):
        return Group(*(safe(part) for part in content.renderables), fit=content.fit)
    return content


def _cell(content: Any) -> Any:
    return Text(visible(content)) if isinstance(content, str) else safe(content)


def _safe_table(table: Table) -> Table:
    cells = [list(column.cells) for column in table.columns]
    if not any(_needs_care(cell) for column in cells for cell in column):
        return table
    rows = list(table.rows)
    table.columns = [column.copy() for column in table.columns]
    table.rows = []
    for index, row in enumerate(rows):
        table.add_row(
            *(_cell(column[index]) for column in cells),
            style=row.style,
            end_section=row.end_section,
        )
    return table


def _needs_care(cell: Any) -> bool:
    """Whether a cell would be read as markup or holds control characters."""
    if isinstance(cell, str):
        return True  # Rich reads markup in a string cell: make it Text
    if isinstance(cell, Text):
        return has_controls(cell.plain)
    return isinstance(cell, Table | Group)


class SafeStatic(Static):
    """A :class:`~textual.widgets.Static` for data: no markup, controls shown (:func:`safe`)."""

    def __init__(self, content: Any = "", **options: Any) -> None:
        options["markup"] = False
        super().__init__(safe(content), **options)

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        super().update(safe(content), layout=layout)


class _DropControls(LineFilter):
    """Removes any control or bidi character left in a rendered line.

    Every such character is zero cells wide, so the line keeps its layout.
    """

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not any(has_controls(segment.text) for segment in segments):
            return segments
        return [
            Segment(strip_controls(s.text), s.style, s.control) if s.control is None else s
            for s in segments
        ]


DROP_CONTROLS = _DropControls()


class SafeOutput:
    """For the app class: notifications show data literally, and no control character
    reaches the terminal from any widget's lines."""

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A notification, never read as markup (``markup`` is ignored): messages quote data.

        ``Widget.notify`` passes ``markup=True`` by default, so it cannot be honoured.
        """
        super().notify(  # type: ignore[misc]
            visible(message),
            title=visible(title, single_line=True),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def get_line_filters(self) -> Any:
        return [*super().get_line_filters(), DROP_CONTROLS]  # type: ignore[misc]
