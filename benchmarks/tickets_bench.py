"""The ticket queue at scale: 10,000 and 1,000,000 tickets over 100,000 customers.

Builds real specialops databases (the real schema, its full-text triggers
included; rows added with raw ``sqlite3.executemany``), then times the
queue's real page source as the screen uses it: opening the queue (its
first page by deadline), changing the filter (status, priority, mine,
breaching), jumping to the end, and a text search, with the peak traced
memory of each. The two sizes are printed side by side with their ratio.
Run: ``python -m benchmarks tickets``.
"""

from __future__ import annotations

import gc
import os
import random
import resource
import shutil
import sqlite3
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

SIZES = (10_000, 1_000_000)
CUSTOMERS = 100_000
PAGE = 100
CHUNK = 50_000
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
SURNAMES = "王李張劉陳楊黃趙吳周徐孫馬朱胡郭何林"
GIVEN = "偉芳娜敏靜麗強磊軍洋勇艷傑娟濤明超秀霞平剛桂"
SUBJECTS = [
    "訂單遲遲未出貨，請協助查詢",
    "發票抬頭開錯需重開",
    "產品保固期限詢問",
    "APP 無法登入，顯示錯誤代碼",
    "退貨退款進度查詢",
    "門市人員服務態度不佳",
    "週年慶活動折扣未套用",
    "機器運轉異音需要維修",
    "會員點數未入帳",
    "包裹外箱破損，商品刮傷",
]
STATUSES = ("new", "assigned", "in_progress", "waiting")
PRIORITIES = ("urgent", "high", "normal", "low")
CHANNELS = ("hotline", "chat", "email", "walk_in", "campaign")
AGENTS = 40


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path, tickets: int) -> None:
    """A specialops database with ``CUSTOMERS`` customers and ``tickets`` tickets.

    About 3 % of the tickets are open (deadlines spread from two days late to
    a week ahead); the rest are resolved or closed, their clocks stopped.
    """
    os.environ.setdefault("SPECIALOPS_USER", "bench.admin")
    from specialops.areas.tickets.sla import NO_DEADLINE
    from specialops.context import open_context

    context = open_context(str(path), create=True)
    context.close()
    rng = random.Random(5)
    stamp = _ts(NOW)
    never = _ts(NO_DEADLINE)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO departments (version, created_at, updated_at, code, name, head_username)"
            " VALUES (1, ?, ?, 'CS', '客戶服務部', 'cs.head')",
            (stamp, stamp),
        )
        conn.executemany(
            "INSERT INTO users (version, created_at, updated_at, username, name, department_id,"
            " role, active) VALUES (1, ?, ?, ?, ?, 1, 'agent', 1)",
            [(stamp, stamp, f"agent{i:02d}", f"客服{i:02d}") for i in range(AGENTS)],
        )
        conn.executemany(
            "INSERT INTO customers (version, created_at, updated_at, code, name, type, phone)"
            " VALUES (1, ?, ?, ?, ?, 'individual', ?)",
            (
                (
                    stamp,
                    stamp,
                    f"CUS-{i:06d}",
                    f"{SURNAMES[i % 18]}{GIVEN[(i // 18) % 20]}{GIVEN[(i // 360) % 20]}",
                    f"09{i:08d}",
                )
                for i in range(1, CUSTOMERS + 1)
            ),
        )
        rows = []
        for i in range(1, tickets + 1):
            opened = NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
            if rng.random() < 0.03:
                status = rng.choice(STATUSES)
                due = NOW + timedelta(minutes=rng.randint(-2 * 24 * 60, 7 * 24 * 60))
                due_at = never if status == "waiting" else _ts(due)
                warn_at = never if status == "waiting" else _ts(due - timedelta(hours=1))
            else:
                status = rng.choice(("resolved", "closed", "closed"))
                due_at = warn_at = never
            assignee = None if status == "new" else 2 + i % AGENTS
            rows.append(
                (
                    stamp,
                    stamp,
                    f"TKT-{i:06d}",
                    1 + (i * 7919) % CUSTOMERS,
                    CHANNELS[i % 5],
                    "consultation",
                    PRIORITIES[i % 4],
                    "物流配送",
                    f"{SUBJECTS[i % 10]} #{i}",
                    1,
                    assignee,
                    status,
                    _ts(opened),
                    due_at,
                    warn_at,
                )
            )
            if len(rows) == CHUNK:
                _insert(conn, rows)
                rows = []
        if rows:
            _insert(conn, rows)
        conn.execute("ANALYZE")
    conn.close()


def _insert(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    conn.executemany(
        "INSERT INTO tickets (version, created_at, updated_at, code, customer_id, channel, type,"
        " priority, category, subject, description, department_id, assignee_id, status,"
        " opened_at, due_at, warn_at, paused_seconds, response_breached, resolve_breached)"
        " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, 0, 0, 0)",
        rows,
    )


def measure(fn: Callable[[], object], repeat: int = 7) -> tuple[float, float]:
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


def figures(path: Path) -> dict[str, tuple[float, float]]:
    from specialops import clock
    from specialops.areas.people.actions import resolve_actor
    from specialops.areas.tickets.queries import QueueFilter, queue_spec
    from specialops.context import open_context
    from specialops.listing import PageSource

    clock.freeze(NOW)
    context = open_context(str(path))
    store = context.store
    agent = resolve_actor(store, "agent07")
    found: dict[str, tuple[float, float]] = {}

    def source(flt: QueueFilter = QueueFilter()) -> PageSource:
        return PageSource(store, queue_spec(store, agent, flt))

    def first_page(flt: QueueFilter = QueueFilter()) -> Callable[[], object]:
        return lambda: source(flt).page(0, PAGE)

    def jump_end(flt: QueueFilter = QueueFilter()) -> Callable[[], object]:
        return lambda: source(flt).tail(PAGE)

    def counted(flt: QueueFilter = QueueFilter()) -> Callable[[], object]:
        return lambda: source(flt).count()

    def search(text: str) -> Callable[[], object]:
        def run() -> object:
            s = source()
            s.set_filter(text)
            return s.page(0, PAGE)

        return run

    try:
        found["open: first page"] = measure(first_page())
        found["filter: status"] = measure(first_page(QueueFilter(status="in_progress")))
        found["filter: priority"] = measure(first_page(QueueFilter(priority="urgent")))
        found["filter: mine"] = measure(first_page(QueueFilter("mine")))
        found["filter: breaching"] = measure(first_page(QueueFilter("breaching")))
        found["jump to end"] = measure(jump_end())
        found["end, status filter"] = measure(jump_end(QueueFilter(status="in_progress")))
        found["count: all"] = measure(counted(), repeat=3)
        found["count: breaching"] = measure(counted(QueueFilter("breaching")), repeat=3)
        found["search 3+ chars (FTS)"] = measure(search("外箱破損"), repeat=3)
        found["search 2 chars (scan)"] = measure(search("破損"), repeat=1)
    finally:
        context.close()
        clock.freeze(None)
    return found


RATIOS = (
    "open: first page",
    "filter: status",
    "filter: priority",
    "filter: mine",
    "filter: breaching",
    "jump to end",
    "end, status filter",
)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="specialops-tickets-bench-"))
    results: dict[int, dict[str, tuple[float, float]]] = {}
    try:
        for size in SIZES:
            path = folder / f"tickets-{size}.db"
            began = time.perf_counter()
            build(path, size)
            print(
                f"built {size:,} tickets and {CUSTOMERS:,} customers in "
                f"{time.perf_counter() - began:.0f} s ({path.stat().st_size / 2**20:.0f} MiB)",
                flush=True,
            )
            results[size] = figures(path)
            path.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print_table(results)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run: {rss:.0f} MiB")


def print_table(results: dict[int, dict[str, tuple[float, float]]]) -> None:
    sizes = list(results)
    names = list(results[sizes[0]])
    print(f"{'operation':24}" + "".join(f"{f'{n:,} tickets':>24}" for n in sizes))
    print(f"{'':24}" + "".join(f"{'ms':>12}{'peak KiB':>12}" for _ in sizes))
    for name in names:
        cells = "".join(f"{results[n][name][0]:12.2f}{results[n][name][1]:12.0f}" for n in sizes)
        print(f"{name:24}{cells}")
    small, large = sizes[0], sizes[-1]
    for name in RATIOS:
        ratio = results[large][name][0] / results[small][name][0]
        verdict = "ok" if ratio <= 2 else "OVER 2x"
        print(f"{name}: {large:,} vs {small:,} tickets = {ratio:.2f}x ({verdict})")


if __name__ == "__main__":
    main()
