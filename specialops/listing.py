"""Paged reading of big lists straight from SQL, for the record list widget.

A :class:`ListSpec` says what a list shows (a table or a select of columns,
the columns, which ones sort and which ones the text filter searches); a
:class:`PageSource` answers "how many rows" and "the rows at positions
``start .. start+size``" in the current sort and filter without ever
loading the whole list.

How a page is read:

* the first page, or one right after / right before a page already read,
  by **keyset pagination**: ``WHERE (sort, id) > (:last_sort, :last_id)
  ORDER BY sort, id LIMIT n`` (the key of each page boundary is cached);
* the last page (``tail``) by reversing the sort and reading its first rows,
  so "jump to the end" costs the same as the first page;
* any other far jump by ``OFFSET`` counted from whichever end is nearer.

The sort always ends with the primary key, so keys are unique and paging
never skips or repeats a row. **Every sortable column needs an index on
``(column, id)``** (and the text filter a full-text index once lists get
big): the source itself never scans, but SQLite does when the index is
missing. ``NULL`` sorts as the smallest value (SQLite's own order); on other
databases the order says so explicitly.

Queries run in short read sessions of :meth:`Store.read`; rows come back as
small :class:`Row` objects, never ORM instances. A source may be used from
worker threads: its state is guarded by a lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column as TableColumn
from sqlalchemy import ColumnElement, FromClause, Join, Select, func, or_, select, tuple_

from specialops.store.store import Store

Formatter = Callable[[Any], str]


def plain(value: Any) -> str:
    """The default cell text: ``str(value)``, empty for ``None``."""
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column:
    """One shown column: ``name`` in the selectable, its header and a width hint in cells."""

    name: str
    label: str
    width: int = 12
    format: Formatter = plain
    sortable: bool = True
    searchable: bool = False
    align: str = "left"
    style: Callable[[Row], str | None] | None = None
    """A Rich style for this cell, from its whole row (e.g. a deadline's urgency)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a list: its primary key, raw values and display texts."""

    key: Any
    values: tuple[Any, ...]
    cells: tuple[str, ...]
    names: tuple[str, ...] = field(repr=False, compare=False)

    def __getitem__(self, name: str) -> Any:
        return self.values[self.names.index(name)]


@dataclass(frozen=True)
class ListSpec:
    """What a list shows.

    ``source`` is a table or a ``select()`` of columns (joins allowed); it
    must expose ``key`` (the primary key) and every column named in
    ``columns``. ``fixed`` filters are ``column == value`` (``None`` means
    ``IS NULL``). ``extra`` columns are read with each row but not shown
    (a column's ``style`` may use them). ``count_source``, when given, is a
    cheaper selectable with the same rows, key and filter columns (no
    display joins) that :meth:`PageSource.count` counts instead.
    ``search``, when given, builds the text filter's condition instead of
    ``LIKE`` on the searchable columns (e.g. through a full-text index):
    ``search(text, source) -> condition``.
    """

    source: FromClause | Select
    columns: Sequence[Column]
    key: str = "id"
    default_sort: str | None = None
    descending: bool = False
    fixed: Mapping[str, Any] = field(default_factory=dict)
    extra: tuple[str, ...] = ()
    count_source: FromClause | Select | None = None
    search: Callable[[str, Any], ColumnElement[bool]] | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def read(self) -> tuple[str, ...]:
        """Every column read per row: the shown ones, then the ``extra`` ones."""
        return self.names + tuple(n for n in self.extra if n not in self.names)

    @property
    def sortable(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.sortable)

    @property
    def searchable(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.searchable)


# A cached boundary: (sort value, primary key) of the row at one position.
Key = tuple[Any, Any]


def _first_table(source: FromClause | Select) -> FromClause | None:
    """The table a list is read from: the left end of its joins (none if a full join
    could leave its columns empty)."""
    froms = source.get_final_froms() if isinstance(source, Select) else [source]
    if len(froms) != 1:
        return None
    found = froms[0]
    while isinstance(found, Join):
        if found.full:
            return None
        found = found.left
    return found


def never_null(source: FromClause | Select, listed: FromClause) -> frozenset[str]:
    """The columns of ``listed`` that are NOT NULL columns of the list's own table.

    Their order needs no ``NULLS FIRST``, which would keep PostgreSQL off their
    ``(col, id)`` index (a sort of every row per page). A column an outer join
    brings may be NULL whatever its table says, so only the first table counts.
    """
    first = _first_table(source)
    solid = set()
    for name, column in listed.c.items():
        bases = list(column.base_columns)
        if len(bases) == 1 and isinstance(bases[0], TableColumn):
            base = bases[0]
            if base.table is first and not base.nullable:
                solid.add(name)
    return frozenset(solid)


class PageSource:
    """Counts and pages of one :class:`ListSpec` over one store."""

    BOUNDARY_CACHE = 512
    NEAR = 4  # a cached boundary this many pages away is still worth walking from

    def __init__(self, store: Store, spec: ListSpec) -> None:
        self.store = store
        self.spec = spec
        source = spec.source
        self._from = source.subquery("listed") if isinstance(source, Select) else source
        self._key_col = self._from.c[spec.key]
        counted = spec.count_source
        if counted is None:
            self._count_from = self._from
        else:
            self._count_from = (
                counted.subquery("counted") if isinstance(counted, Select) else counted
            )
        for name in spec.read:
            if name not in self._from.c:
                raise ValueError(f"list column {name!r} is not in the list's source")
        self._explicit_nulls = store.engine.dialect.name != "sqlite"
        self._never_null = never_null(source, self._from)
        self._lock = threading.RLock()
        self._sort = spec.default_sort or spec.key
        self._descending = spec.descending
        self._text = ""
        self._fixed: dict[str, Any] = dict(spec.fixed)
        self._count: int | None = None
        self._generation = 0
        self._keys: OrderedDict[int, Key] = OrderedDict()

    # ----------------------------------------------------------------- state

    @property
    def sort(self) -> tuple[str, bool]:
        """The sort column and whether it is descending."""
        return self._sort, self._descending

    @property
    def text(self) -> str:
        return self._text

    @property
    def generation(self) -> int:
        """Grows whenever sort or filters change; results of older generations are stale."""
        return self._generation

    def set_sort(self, column: str, descending: bool = False) -> None:
        """Sort by ``column`` (which must be sortable, or the key)."""
        if column != self.spec.key and column not in self.spec.sortable:
            raise ValueError(f"{column!r} is not a sortable column")
        with self._lock:
            if (column, descending) != (self._sort, self._descending):
                self._sort, self._descending = column, descending
                self._reset(keep_count=True)

    def set_filter(self, text: str) -> None:
        """Show only rows where a searchable column contains ``text`` (empty: all)."""
        text = text.strip()
        with self._lock:
            if text != self._text:
                self._text = text
                self._reset()

    def set_fixed(self, **filters: Any) -> None:
        """Replace the fixed ``column == value`` filters."""
        with self._lock:
            self._fixed = {**self.spec.fixed, **filters}
            self._reset()

    def _reset(self, keep_count: bool = False) -> None:
        self._generation += 1
        self._keys.clear()
        if not keep_count:
            self._count = None

    # ---------------------------------------------------------------- queries

    def _where(self, source: Any = None) -> list[ColumnElement[bool]]:
        source = self._from if source is None else source
        clauses: list[ColumnElement[bool]] = []
        for name, value in self._fixed.items():
            column = source.c[name]
            clauses.append(column.is_(None) if value is None else column == value)
        if self._text and self.spec.search is not None:
            clauses.append(self.spec.search(self._text, source))
        elif self._text and self.spec.searchable:
            pattern = "%" + _escape_like(self._text) + "%"
            searched = (self._contains(source.c[n], pattern) for n in self.spec.searchable)
            clauses.append(or_(*searched))
        return clauses

    def _contains(self, column: Any, pattern: str) -> ColumnElement[bool]:
        """``column LIKE pattern`` ignoring case, as SQLite's ``LIKE`` does (ASCII letters):
        elsewhere both sides lowered, what ``ILIKE`` does with the pattern lowered once."""
        if self.store.is_sqlite:
            return column.like(pattern, escape="\\")
        return func.lower(column).like(func.lower(pattern), escape="\\")

    def _order(self, reverse: bool) -> list[Any]:
        descending = self._descending != reverse
        columns = [self._key_col]
        if self._sort != self.spec.key:
            columns.insert(0, self._from.c[self._sort])
        order = []
        for column in columns:
            term = column.desc() if descending else column.asc()
            if (
                self._explicit_nulls
                and column is not self._key_col
                and self._sort not in self._never_null
            ):
                term = term.nulls_last() if descending else term.nulls_first()
            order.append(term)
        return order

    def _select(self) -> Select:
        columns = [
            self._key_col.label("_key"),
            *(self._from.c[n].label(f"_c{i}") for i, n in enumerate(self.spec.read)),
        ]
        if self._sort != self.spec.key and self._sort not in self.spec.read:
            columns.append(self._from.c[self._sort].label("_sort"))
        return select(*columns).select_from(self._from).where(*self._where())

    def _rows(
        self, statements: Sequence[Select], skip: int = 0, limit: int | None = None
    ) -> list[Row]:
        """Run ``statements`` in turn as one sequence; keep rows ``skip`` to ``skip + limit``.

        A later statement runs only when the earlier ones gave too few rows.
        """
        names = self.spec.read
        shown = len(self.spec.names)
        formats = [column.format for column in self.spec.columns]
        sort_index = None if self._sort == self.spec.key else self._sort_position()
        rows: list[Row] = []
        keys: list[Key] = []
        with self.store.read() as session:
            seen = 0
            for statement in statements:
                if limit is not None and seen >= skip + limit:
                    break
                for record in session.execute(statement):
                    seen += 1
                    if seen <= skip:
                        continue
                    if limit is not None and seen > skip + limit:
                        break
                    values = tuple(record[1 : 1 + len(names)])
                    cells = tuple(fmt(v) for fmt, v in zip(formats, values[:shown], strict=True))
                    rows.append(Row(record[0], values, cells, names))
                    sort_value = None if sort_index is None else record[sort_index]
                    keys.append((sort_value, record[0]))
        self._last_keys = keys
        return rows

    def _sort_position(self) -> int:
        names = self.spec.read
        if self._sort in names:
            return 1 + names.index(self._sort)
        return 1 + len(names)

    def _after(self, key: Key, reverse: bool, limit: int, offset: int = 0) -> list[Select]:
        """Statements reading the rows that follow ``key`` in the (possibly reversed) sort.

        Rows with a ``NULL`` sort value form their own segment (first in
        ascending order), so the row-value comparison never meets a ``NULL``.
        """
        descending = self._descending != reverse
        base = self._select()
        order = self._order(reverse)
        key_col = self._key_col
        value, pk = key
        if self._sort == self.spec.key:
            cond = key_col < pk if descending else key_col > pk
            return [base.where(cond).order_by(*order).limit(limit + offset)]
        column = self._from.c[self._sort]
        if value is None:
            cond = key_col < pk if descending else key_col > pk
            nulls = base.where(column.is_(None), cond).order_by(*order)
            if descending:  # NULLs come last: nothing after them
                return [nulls.limit(limit + offset)]
            rest = base.where(column.is_not(None)).order_by(*order)
            return [nulls.limit(limit + offset), rest.limit(limit + offset)]
        pair = tuple_(column, key_col)
        cond = pair < tuple_(value, pk) if descending else pair > tuple_(value, pk)
        values = base.where(cond).order_by(*order)
        if not descending:  # NULLs come first: none after a value
            return [values.limit(limit + offset)]
        nulls = base.where(column.is_(None)).order_by(*order)
        return [values.limit(limit + offset), nulls.limit(limit + offset)]

    # ---------------------------------------------------------------- answers

    def count(self) -> int:
        """How many rows match the current filters (cached until they change)."""
        with self._lock:
            if self._count is None:
                counted = self._count_from
                statement = select(func.count()).select_from(counted).where(*self._where(counted))
                with self.store.read() as session:
                    self._count = int(session.execute(statement).scalar_one())
            return self._count

    def page(self, start: int, size: int) -> list[Row]:
        """The rows at positions ``start`` to ``start + size - 1`` of the current sort."""
        if size <= 0 or start < 0:
            return []
        with self._lock:
            statements, skip, reverse = self._plan(start, size)
            rows = self._rows(statements, skip, size)
            if reverse:
                rows.reverse()
                self._last_keys.reverse()
            self._remember(start, rows)
            return rows

    def tail(self, size: int) -> list[Row]:
        """The last ``size`` rows, read by reversing the sort (cost of a first page)."""
        with self._lock:
            rows = self._rows([self._select().order_by(*self._order(True)).limit(size)])
            rows.reverse()
            self._last_keys.reverse()
            if self._count is not None:
                self._remember(self._count - len(rows), rows)
            return rows

    def _plan(self, start: int, size: int) -> tuple[list[Select], int, bool]:
        """Choose how to read a page: keyset from a known boundary, or OFFSET.

        Returns the statements, how many of their rows to skip, and whether
        they read in reverse order.
        """
        if start == 0:
            return [self._select().order_by(*self._order(False)).limit(size)], 0, False
        near = self.NEAR * size
        before = [p for p in self._keys if start - near <= p < start]
        if before:
            p = max(before)
            return self._after(self._keys[p], False, size, start - p - 1), start - p - 1, False
        end = start + size
        after = [p for p in self._keys if end <= p <= end + near]
        if after:
            p = min(after)
            return self._after(self._keys[p], True, size, p - end), p - end, True
        total = self._count
        if total is not None and total - end < start:
            statement = self._select().order_by(*self._order(True))
            if end > total:  # a page running past the end: the tail, read backwards
                return [statement.limit(max(total - start, 0))], 0, True
            return [statement.limit(size).offset(total - end)], 0, True
        return [self._select().order_by(*self._order(False)).limit(size).offset(start)], 0, False

    def _remember(self, start: int, rows: list[Row]) -> None:
        if not rows:
            return
        keys = self._last_keys
        for position, key in ((start, keys[0]), (start + len(rows) - 1, keys[-1])):
            self._keys[position] = key
            self._keys.move_to_end(position)
        while len(self._keys) > self.BOUNDARY_CACHE:
            self._keys.popitem(last=False)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
