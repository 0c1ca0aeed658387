"""A virtual list of records read page by page from SQL.

``RecordList`` holds a :class:`RecordRows` scroll view, whose virtual
height is the row count and whose ``render_line`` draws rows from a small
cache around the visible window, and a filter input shown by ``/``.
Rows come from a :class:`specialops.listing.PageSource` in thread workers;
every request carries the whole wanted view (filter, sort, rows), so a newer
request may cancel an older one and results of an older view are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Input
from textual.worker import Worker, get_current_worker

from specialops.listing import Column, PageSource, Row
from specialops.terminal_text import visible
from specialops.widgets.messages import forward_failure

PAGE = 100
FILTER_DELAY = 0.2
GAP = 1  # cells between columns


@dataclass(frozen=True)
class _View:
    """Everything that decides which rows a list shows."""

    text: str
    sort: str
    descending: bool
    generation: int


class RecordRows(ScrollView, can_focus=True):
    """The scrolling rows of a :class:`RecordList`, with a header line that stays on top."""

    COMPONENT_CLASSES = {
        "record-rows--header",
        "record-rows--cursor",
        "record-rows--cursor-blurred",
        "record-rows--placeholder",
    }

    DEFAULT_CSS = """
    RecordRows {
        height: 1fr;
        background: $surface;
        scrollbar-gutter: stable;
    }
    RecordRows > .record-rows--header {
        text-style: bold;
        background: $panel;
        color: $foreground;
    }
    RecordRows > .record-rows--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    RecordRows > .record-rows--cursor-blurred {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    RecordRows > .record-rows--placeholder {
        color: $foreground-muted;
    }
    """

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False, id="list.up"),
        Binding("down", "cursor(1)", "Down", show=False, id="list.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list.page_down"),
        Binding("home", "first", "First", show=False, id="list.first"),
        Binding("end", "last", "Last", show=False, id="list.last"),
        Binding("enter", "select", "Open", id="list.select"),
        Binding("slash", "filter", "Filter", id="list.filter"),
        Binding("s", "sort_next", "Sort", id="list.sort"),
        Binding("S", "sort_reverse", "Reverse", show=False, id="list.sort_reverse"),
    ]

    cursor: reactive[int] = reactive(0, repaint=False)

    def __init__(self, source: PageSource, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self.columns: tuple[Column, ...] = tuple(source.spec.columns)
        sort, descending = source.sort
        self.view = _View("", sort, descending, 0)
        self.count = 0
        self.loaded = False
        self.counted = False
        self._end_wanted = False
        self._rows: dict[int, Row] = {}
        self._replacing = False  # the next rows read replace all those held (refresh_rows)
        self._pending: set[int] = set()
        self._widths = [max(c.width, cell_len(c.label) + 2) for c in self.columns]
        self._last_highlighted: object = None

    # ------------------------------------------------------------ geometry

    @property
    def body_height(self) -> int:
        """How many rows fit under the header."""
        return max(self.scrollable_content_region.height - 1, 1)

    def _layout_widths(self) -> list[int]:
        """Column widths; the last column takes any room left over."""
        widths = list(self._widths)
        room = self.scrollable_content_region.width - sum(widths) - GAP * (len(widths) - 1)
        if room > 0 and widths:
            widths[-1] += room
        return widths

    def _update_virtual_size(self) -> None:
        width = sum(self._widths) + GAP * (len(self._widths) - 1)
        self.virtual_size = Size(width, self.count + 1)

    def on_resize(self) -> None:
        self._update_virtual_size()
        self._ensure_loaded()

    # ------------------------------------------------------------- drawing

    def _line(
        self, cells: list[str], widths: list[int], marker: dict[int, str], row: Row | None = None
    ) -> Text:
        line = Text(no_wrap=True, end="")
        for index, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            column = self.columns[index]
            # One line per row; other controls shown as stand-ins, never sent to the terminal.
            text = Text(visible(cell.replace("\n", " "), single_line=True), no_wrap=True, end="")
            suffix = marker.get(index, "")
            text.truncate(width - cell_len(suffix), overflow="crop")
            text.append(suffix)
            if column.align == "right":
                text.pad_left(width - text.cell_len)
            text.truncate(width, overflow="crop", pad=True)
            if row is not None and column.style is not None:
                cell_style = column.style(row)
                if cell_style:
                    text.stylize(cell_style)
            if index:
                line.append(" " * GAP)
            # A style per column keeps cells as separate segments (exact x in screenshots).
            text.stylize(Style(meta={"column": index}))
            line.append_text(text)
        return line

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        widths = self._layout_widths()
        base = self.rich_style
        if y == 0:
            sort, descending = self.view.sort, self.view.descending
            marks = {
                i: (" v" if descending else " ^")
                for i, c in enumerate(self.columns)
                if c.name == sort
            }
            text = self._line([c.label for c in self.columns], widths, marks)
            style = base + self.get_component_rich_style("record-rows--header")
        else:
            index = scroll_y + y - 1
            if index >= self.count:
                return Strip.blank(width, base)
            row = self._rows.get(index)
            if row is None:
                text = Text("")
                style = base + self.get_component_rich_style("record-rows--placeholder")
            else:
                text = self._line(list(row.cells), widths, {}, row)
                style = base
            if index == self.cursor:
                name = "record-rows--cursor" if self.has_focus else "record-rows--cursor-blurred"
                style = style + self.get_component_rich_style(name)
        segments = [
            Segment(seg.text, style + seg.style if seg.style else style)
            for seg in text.render(self.app.console)
        ]
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, style)

    # ------------------------------------------------------------- loading

    def reload(
        self, *, text: str | None = None, sort: str | None = None, descending: bool | None = None
    ) -> None:
        """Show the list anew with a changed filter or sort (all optional)."""
        view = self.view
        self.view = _View(
            view.text if text is None else text,
            view.sort if sort is None else sort,
            view.descending if descending is None else descending,
            view.generation + 1,
        )
        self._rows.clear()
        self._pending.clear()
        self._replacing = False
        self.loaded = False
        self.counted = False
        self._end_wanted = False
        self.cursor = 0
        self.scroll_to(0, 0, animate=False, immediate=True)
        self._load(self.view, [(0, PAGE)], None)
        self.refresh()

    def refresh_rows(self) -> None:
        """Read the rows again (others changed them), keeping the filter, sort, cursor
        and scroll; the rows shown stay until their new values arrive."""
        view = self.view
        self.view = _View(view.text, view.sort, view.descending, view.generation + 1)
        self._pending.clear()
        self._replacing = True
        low, high = self._wanted()
        blocks = sorted({i // PAGE for i in range(low, max(high, low + 1))})
        requests = [(0, PAGE), *((b * PAGE, PAGE) for b in blocks if b)]
        self._load(self.view, requests, None, first_at_once=False)

    def _wanted(self) -> tuple[int, int]:
        top = int(self.scroll_y)
        margin = PAGE // 2
        low = max(min(top, self.cursor) - margin, 0)
        high = min(max(top + self.body_height, self.cursor + 1) + margin, self.count)
        return low, high

    def _ensure_loaded(self) -> None:
        if not self.counted:
            return
        low, high = self._wanted()
        missing = {i for i in range(low, high) if i not in self._rows}
        if not missing or missing <= self._pending:
            return  # all there, or already being read
        # A new request cancels the one in flight, so it asks for everything missing.
        blocks = sorted({i // PAGE for i in missing})
        self._pending = {i for b in blocks for i in range(b * PAGE, (b + 1) * PAGE)}
        self._load(self.view, [(b * PAGE, PAGE) for b in blocks], self.count)

    @work(thread=True, exclusive=True, group="record-list", exit_on_error=False)
    def _load(
        self,
        view: _View,
        requests: list[tuple[int, int]],
        total: int | None,
        first_at_once: bool = True,
    ) -> None:
        """Read rows (and the count when ``total`` is unknown) for ``view``; post them back.

        ``first_at_once`` posts the first page before counting (a new list); a list read
        again waits for the count, so that its cursor keeps its place.
        """
        source = self.source
        source.set_filter(view.text)
        source.set_sort(view.sort, view.descending)
        worker = get_current_worker()
        rows: dict[int, Row] = {}
        if total is None:
            # Show the first rows at once: counting a big list takes longer.
            rows = dict(enumerate(source.page(0, PAGE)))
            requests = [r for r in requests if r != (0, PAGE)]
            if worker.is_cancelled:
                return
            if len(rows) < PAGE:
                total = len(rows)  # they are all there is
            elif not first_at_once:
                total = source.count()
            else:
                self.post_message(self.Loaded(view.generation, PAGE, dict(rows), False))
                total = source.count()
        for start, size in requests:
            if worker.is_cancelled:
                return
            if start + size >= total and total > size:
                found = source.tail(size)
                first = total - len(found)
            else:
                found = source.page(start, size)
                first = start
            rows.update((first + i, row) for i, row in enumerate(found))
        if not worker.is_cancelled:
            self.post_message(self.Loaded(view.generation, total, rows, True))

    class Loaded(Message):
        """Rows read by a worker (internal)."""

        def __init__(
            self, generation: int, count: int, rows: dict[int, Row], counted: bool
        ) -> None:
            super().__init__()
            self.generation = generation
            self.count = count
            self.rows = rows
            self.counted = counted

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        message.stop()
        if message.generation != self.view.generation:
            return  # a result for a filter or sort no longer shown
        self.loaded = True
        self.counted = message.counted
        if message.count != self.count:
            self.count = message.count
            self._update_virtual_size()
        if self._replacing:
            self._replacing = False
            self._rows = {}
        self._rows.update(message.rows)
        self._pending.difference_update(message.rows)
        self._prune()
        self.cursor = min(self.cursor, max(self.count - 1, 0))
        self.refresh()
        if message.counted:
            self.post_message(RecordList.Loaded(self.owner, self.count))
        self._announce()
        if message.counted and self._end_wanted:
            self._end_wanted = False
            self.action_last()
        elif message.counted:
            self._ensure_loaded()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        forward_failure(self, event)

    def _prune(self) -> None:
        """Keep only rows near the window, so the cache stays small."""
        low, high = self._wanted()
        keep_low, keep_high = low - 2 * PAGE, high + 2 * PAGE
        for index in [i for i in self._rows if not keep_low <= i < keep_high]:
            del self._rows[index]
        self._pending = {i for i in self._pending if keep_low <= i < keep_high}

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._ensure_loaded()

    # ------------------------------------------------------------- cursor

    @property
    def owner(self) -> RecordList:
        """The record list these rows belong to."""
        parent = self.parent
        assert isinstance(parent, RecordList)
        return parent

    @property
    def current(self) -> Row | None:
        """The row under the cursor, when it is loaded."""
        return self._rows.get(self.cursor) if self.count else None

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh_line(old - int(self.scroll_y) + 1)
        self.refresh_line(new - int(self.scroll_y) + 1)
        self._announce()

    def _announce(self) -> None:
        row = self.current
        if row is not None and row.key != self._last_highlighted:
            self._last_highlighted = row.key
            self.post_message(RecordList.Highlighted(self.owner, row))

    def move_to(self, index: int) -> None:
        """Put the cursor on row ``index`` and scroll it into view."""
        if not self.count:
            return
        index = max(0, min(index, self.count - 1))
        self.cursor = index
        top = int(self.scroll_y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + self.body_height:
            self.scroll_to(y=index - self.body_height + 1, animate=False, immediate=True)
        self._ensure_loaded()
        self.refresh()

    def action_cursor(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_page(self, step: int) -> None:
        self.move_to(self.cursor + step * self.body_height)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        if not self.counted:
            self._end_wanted = True  # once the rows are counted
            return
        self.move_to(self.count - 1)

    def action_select(self) -> None:
        row = self.current
        if row is not None:
            self.post_message(RecordList.Selected(self.owner, row))

    def action_filter(self) -> None:
        self.post_message(RecordList.FilterRequested())

    def action_sort_next(self) -> None:
        names = [c.name for c in self.columns if c.sortable]
        if not names:
            return
        position = names.index(self.view.sort) + 1 if self.view.sort in names else 0
        self.reload(sort=names[position % len(names)], descending=False)

    def action_sort_reverse(self) -> None:
        self.reload(descending=not self.view.descending)

    def on_click(self, event: Click) -> None:
        if event.y >= 1 and self.count:
            self.move_to(int(self.scroll_y) + event.y - 1)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()


class _RowMessage(Message):
    """A message of a record list about one of its rows."""

    def __init__(self, record_list: RecordList, row: Row) -> None:
        super().__init__()
        self.record_list = record_list
        self.row = row

    @property
    def control(self) -> RecordList:
        return self.record_list


class RecordList(Vertical):
    """A list of records of any size: scrolls, sorts and filters in the database.

    Messages: :class:`RecordList.Highlighted` when the cursor rests on a
    row, :class:`RecordList.Selected` on Enter, :class:`RecordList.Loaded`
    once the first rows are shown.
    """

    DEFAULT_CSS = """
    RecordList {
        height: 1fr;
    }
    RecordList > Input {
        dock: bottom;
        display: none;
        height: 3;
    }
    RecordList.-filtering > Input {
        display: block;
    }
    """

    class Highlighted(_RowMessage):
        """The cursor moved to ``row``."""

    class Selected(_RowMessage):
        """Enter was pressed on ``row``."""

    class Loaded(Message):
        """The list shows its first rows; ``count`` rows match."""

        def __init__(self, record_list: RecordList, count: int) -> None:
            super().__init__()
            self.record_list = record_list
            self.count = count

        @property
        def control(self) -> RecordList:
            return self.record_list

    class FilterRequested(Message):
        """Internal: ``/`` was pressed in the rows."""

    def __init__(self, source: PageSource, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield RecordRows(self.source)
        yield Input(placeholder="filter 篩選 (Esc to close)", id="record-filter")

    @property
    def rows(self) -> RecordRows:
        return self.query_one(RecordRows)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#record-filter", Input)

    @property
    def count(self) -> int:
        return self.rows.count

    @property
    def current(self) -> Row | None:
        return self.rows.current

    def on_mount(self) -> None:
        self.rows.reload()

    def focus(self, scroll_visible: bool = True) -> RecordList:
        self.rows.focus(scroll_visible)
        return self

    @on(FilterRequested)
    def _open_filter(self, event: FilterRequested) -> None:
        event.stop()
        self.add_class("-filtering")
        self.filter_input.focus()

    @on(Input.Changed, "#record-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(FILTER_DELAY, self._apply_filter)

    def _apply_filter(self) -> None:
        self._timer = None
        text = self.filter_input.value.strip()
        if text != self.rows.view.text:
            self.rows.reload(text=text)

    @on(Input.Submitted, "#record-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._apply_filter()
        self.rows.focus()

    def key_escape(self) -> None:
        if self.filter_input.has_focus:
            if not self.filter_input.value:
                self.remove_class("-filtering")
            self.rows.focus()
