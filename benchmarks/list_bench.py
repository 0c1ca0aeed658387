"""Big lists: the record list's page source and widget on 10k, 100k and 1M users.

Builds real specialops databases (the real schema; rows added with raw
``sqlite3.executemany`` on SQLite, one set-based ``INSERT … SELECT
generate_series`` on PostgreSQL), then times with the real ``PageSource`` and a
headless app holding a ``RecordList``: opening (count plus first page),
jumping to the end, the next page, a far jump and a text filter, with the
peak memory of each, on both backends side by side.

Run: ``python -m benchmarks list``; ``python -m benchmarks.list_bench
[--backend sqlite|postgresql|both] [--sizes 10000,1000000] [--pg URL]``. The
server is ``--pg``, else ``SPECIALOPS_BENCH_PG``, else a throwaway cluster
(:mod:`benchmarks.pg_cluster`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from benchmarks import pg_cluster

SIZES = (10_000, 100_000, 1_000_000)
BACKENDS = ("sqlite", "postgresql")
PAGE = 100
CHUNK = 50_000
DEPARTMENTS = ["總經理室", "專案管理部", "市場推廣部", "客戶服務部", "研發部 R&D", "財務部"]
SURNAMES = "王李張劉陳楊黃趙吳周"


def build(path: Path, rows: int) -> None:
    """A specialops database holding ``rows`` users (plus the admin)."""
    os.environ.setdefault("SPECIALOPS_USER", "bench.admin")
    from specialops.context import open_context

    context = open_context(str(path), create=True)
    context.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO departments (version, created_at, updated_at, code, name)"
            " VALUES (1, '2026-01-01', '2026-01-01', ?, ?)",
            [(f"D{i}", name) for i, name in enumerate(DEPARTMENTS)],
        )
        for start in range(0, rows, CHUNK):
            conn.executemany(
                "INSERT INTO users (version, created_at, updated_at, username, name,"
                " department_id, role, active)"
                " VALUES (1, '2026-01-01', '2026-01-01', ?, ?, ?, ?, 1)",
                (
                    (
                        f"u{i:07d}",
                        f"{SURNAMES[i % 10]}{SURNAMES[(i // 10) % 10]}明 {i}",
                        i % len(DEPARTMENTS) + 1,
                        ("staff", "agent", "manager")[i % 3],
                    )
                    for i in range(start, min(start + CHUNK, rows))
                ),
            )
        # Every sortable column is indexed as (col, id); username's unique index already is.
        conn.execute("CREATE INDEX ix_bench_users_name_id ON users (name, id)")
        conn.execute("ANALYZE")
    conn.close()


_FILL_PG = """
WITH d AS (SELECT array_agg(id ORDER BY id) AS ids FROM departments)
INSERT INTO users (version, created_at, updated_at, username, name, department_id, role, active)
SELECT 1, '2026-01-01', '2026-01-01', 'u' || lpad(i::text, 7, '0'),
       substr(%(surnames)s, i %% 10 + 1, 1) || substr(%(surnames)s, (i / 10) %% 10 + 1, 1)
           || '明 ' || i,
       d.ids[i %% %(departments)s + 1], (ARRAY['staff', 'agent', 'manager'])[i %% 3 + 1], true
FROM generate_series(0, %(rows)s - 1) AS i, d
"""


def build_pg(url: str, rows: int) -> None:
    """The same database on a PostgreSQL server: the same rows, written set-based."""
    import psycopg

    os.environ.setdefault("SPECIALOPS_USER", "bench.admin")
    from specialops.context import open_context

    context = open_context(url, create=True)
    context.close()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        # A bulk fill, not people's changes: the per-row change-recording triggers stay off.
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "INSERT INTO departments (version, created_at, updated_at, code, name)"
            " SELECT 1, '2026-01-01', '2026-01-01', 'D' || (n - 1), name"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS t(name, n)",
            (DEPARTMENTS,),
        )
        conn.execute(
            _FILL_PG, {"surnames": SURNAMES, "departments": len(DEPARTMENTS), "rows": rows}
        )
        conn.execute("CREATE INDEX ix_bench_users_name_id ON users (name, id)")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE users")  # as autovacuum would soon after a big import


def measure(fn: Callable[[], object], repeat: int = 9) -> tuple[float, float]:
    """Best of ``repeat`` untraced runs in ms, and the peak traced KiB of one more run."""
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best * 1000, peak / 1024


def source_figures(path: Path | str) -> dict[str, tuple[float, float]]:
    from specialops.areas.people.queries import users_spec
    from specialops.context import open_context
    from specialops.listing import PageSource

    context = open_context(str(path))
    store = context.store
    figures: dict[str, tuple[float, float]] = {}

    def first_page() -> None:
        PageSource(store, users_spec()).page(0, PAGE)

    def open_list() -> None:
        source = PageSource(store, users_spec())
        source.count()
        source.page(0, PAGE)

    def jump_end() -> None:
        source = PageSource(store, users_spec())
        source.tail(PAGE)

    walker = PageSource(store, users_spec())
    walker.page(0, PAGE)
    position = [0]

    def next_page() -> None:
        position[0] += PAGE
        walker.page(position[0], PAGE)

    def far_jump() -> None:
        source = PageSource(store, users_spec())
        total = source.count()
        source.page(total // 2, PAGE)

    def by_name_end() -> None:
        source = PageSource(store, users_spec())
        source.set_sort("name", True)
        source.tail(PAGE)

    def filtered() -> None:
        source = PageSource(store, users_spec())
        source.set_filter("王李")
        source.page(0, PAGE)

    figures["first page"] = measure(first_page)
    figures["open (count+page)"] = measure(open_list)
    figures["jump to end"] = measure(jump_end)
    figures["next page (keyset)"] = measure(next_page)
    figures["end, by name desc"] = measure(by_name_end)
    figures["middle (OFFSET)"] = measure(far_jump, repeat=3)
    figures["filter LIKE, page 1"] = measure(filtered, repeat=3)
    context.close()
    return figures


def widget_figures(path: Path | str) -> dict[str, tuple[float, float]]:
    """A headless app holding a RecordList: first rows shown, End pressed."""
    from textual.app import App, ComposeResult

    from specialops.areas.people.queries import users_spec
    from specialops.context import open_context
    from specialops.listing import PageSource
    from specialops.widgets.record_list import RecordList

    context = open_context(str(path))

    class ListApp(App[None]):
        def compose(self) -> ComposeResult:
            yield RecordList(PageSource(context.store, users_spec()))

    async def settle(pilot) -> None:
        for _ in range(3):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    async def run() -> dict[str, tuple[float, float]]:
        gc.collect()
        tracemalloc.start()
        began = time.perf_counter()
        app = ListApp()
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            opened = time.perf_counter() - began
            record_list = app.query_one(RecordList)
            assert record_list.current is not None
            record_list.focus()
            began = time.perf_counter()
            await pilot.press("end")
            await settle(pilot)
            ended = time.perf_counter() - began
            assert record_list.rows.cursor == record_list.count - 1
            assert record_list.current is not None
        peak = tracemalloc.get_traced_memory()[1] / 1024
        tracemalloc.stop()
        return {"widget: first rows": (opened * 1000, peak), "widget: End": (ended * 1000, peak)}

    try:
        asyncio.run(run())  # warm imports and caches
        runs = [asyncio.run(run()) for _ in range(3)]
        return {name: min(r[name] for r in runs) for name in runs[0]}
    finally:
        context.close()


Figures = dict[str, tuple[float, float]]


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.list_bench")
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="row counts, comma-separated"
    )
    parser.add_argument("--pg", help=f"a PostgreSQL database URL (else {pg_cluster.ENV})")
    return parser.parse_args(sys.argv[1:])


def _run_sqlite(sizes: list[int], results: dict[tuple[str, int], Figures]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="specialops-bench-"))
    try:
        for rows in sizes:
            path = folder / f"list-{rows}.db"
            began = time.perf_counter()
            build(path, rows)
            built = time.perf_counter() - began
            size = path.stat().st_size / 2**20
            print(f"sqlite: built {rows:,} rows in {built:.1f} s ({size:.0f} MiB)", flush=True)
            results["sqlite", rows] = {**source_figures(path), **widget_figures(path)}
            path.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_postgresql(sizes: list[int], results: dict[tuple[str, int], Figures]) -> None:
    with pg_cluster.server() as server:
        for rows in sizes:
            url = server.new_database()
            began = time.perf_counter()
            build_pg(url, rows)
            built = time.perf_counter() - began
            print(f"postgresql: built {rows:,} rows in {built:.1f} s", flush=True)
            results["postgresql", rows] = {**source_figures(url), **widget_figures(url)}
            server.drop(url)


def main() -> None:
    options = _options()
    if options.pg:
        os.environ[pg_cluster.ENV] = options.pg
    sizes = [int(n) for n in options.sizes.split(",")]
    backends = BACKENDS if options.backend == "both" else (options.backend,)
    results: dict[tuple[str, int], Figures] = {}
    if "sqlite" in backends:
        _run_sqlite(sizes, results)
    if "postgresql" in backends:
        _run_postgresql(sizes, results)
    print_table(results, sizes, list(backends))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run: {rss:.0f} MiB")


SHORT = {"sqlite": "sqlite", "postgresql": "pg"}
SCALING = ("first page", "jump to end", "next page (keyset)", "widget: first rows", "widget: End")


def print_table(
    results: dict[tuple[str, int], Figures], sizes: list[int], backends: list[str]
) -> None:
    """Milliseconds, each size's backends side by side; then peak KiB; then the scaling."""
    names = list(results[backends[0], sizes[0]])
    columns = [(b, n) for n in sizes for b in backends]

    def label(backend: str, rows: int) -> str:
        count = f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows // 1000}k"
        return f"{SHORT[backend]} {count}"

    for title, index, form in (("ms", 0, "{:11.2f}"), ("peak KiB", 1, "{:11.0f}")):
        print(f"{title:22}" + "".join(f"{label(*c):>11}" for c in columns))
        for name in names:
            print(f"{name:22}" + "".join(form.format(results[c][name][index]) for c in columns))
        print()
    small, large = sizes[0], sizes[-1]
    if small == large:
        return
    for backend in backends:
        for name in SCALING:
            ratio = results[backend, large][name][0] / results[backend, small][name][0]
            verdict = "ok" if ratio <= 2 else "OVER 2x"
            print(
                f"{SHORT[backend]:6} {name}: {large:,} vs {small:,} rows = {ratio:.2f}x ({verdict})"
            )


if __name__ == "__main__":
    main()
