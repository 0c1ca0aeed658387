"""The project board with 200 projects spread over the active stages.

Builds a real specialops database (the real schema; projects, tasks,
milestones, KPIs, expenses and stage history added with raw
``sqlite3.executemany``), then times the board's view (``projects_views.board``,
what the board screen loads) and a headless app: opening the board until the
cards are drawn, moving across every column and back, and opening a project's
detail. Run: ``python -m benchmarks projects``.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PROJECTS = 200
TASKS = 8
MILESTONES = 3
KPIS = 2
EXPENSES = 6
TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)
WORDS = ["智能客服", "門市改裝", "會員系統", "週年慶活動", "供應鏈優化", "品牌重塑", "ERP 升級"]
STAGES = ("proposed", "approved", "planning", "plan-review", "executing", "pre-acceptance",
          "acceptance", "rectification")  # fmt: skip
MANAGERS = 20


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(path: Path) -> None:
    """A database with ``PROJECTS`` projects, their plans, KPIs, money and stage history."""
    os.environ.setdefault("SPECIALOPS_USER", "bench.admin")
    from specialops.context import open_context

    context = open_context(str(path), create=True)
    context.close()
    rng = random.Random(4)
    stamp = _ts(NOW)
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO users (username, name, role, active, version, created_at, updated_at,"
            " updated_by) VALUES (?, ?, 'manager', 1, 1, ?, ?, 'bench')",
            [(f"pm{i:02d}", f"經理{i:02d}", stamp, stamp) for i in range(MANAGERS)],
        )
        managers = [
            row[0] for row in conn.execute("SELECT id FROM users WHERE username LIKE 'pm%'")
        ]
        common = "version, created_at, updated_at, updated_by"
        values = "1, ?, ?, 'bench'"
        projects = []
        for n in range(1, PROJECTS + 1):
            stage = STAGES[n % len(STAGES)]
            start = TODAY - timedelta(days=rng.randint(10, 120))
            manager = rng.choice(managers) if stage != "proposed" else None
            projects.append((
                f"PRJ-{n:04d}", f"{rng.choice(WORDS)} {n}", stage, manager,
                rng.randint(1, 50) * 10_000_000, start,
                start + timedelta(days=rng.randint(60, 240)),
                1 if stage in STAGES[4:] else 0, stamp, stamp,
            ))  # fmt: skip
        conn.executemany(
            "INSERT INTO projects (code, name, origin, background, objectives, expected_results,"
            " stage, manager_id, proposed_by, budget, start_date, end_date, baseline_no,"
            f" plan_changed, {common}) VALUES (?, ?, 'strategy', '', '目標', '', ?, ?, 'bench',"
            f" ?, ?, ?, ?, 0, {values})",
            projects,
        )
        ids = [row[0] for row in conn.execute("SELECT id FROM projects ORDER BY id")]
        tasks, milestones, kpis, expenses, stays = [], [], [], [], []
        task_no = milestone_no = 0
        for pid, (_c, _n, stage, *_rest) in zip(ids, projects, strict=True):
            start = _rest[2]
            for t in range(TASKS):
                task_no += 1
                begin = start + timedelta(days=t * 10)
                tasks.append((
                    f"TSK-{task_no:05d}", pid, f"任務 {t + 1}", begin, begin + timedelta(days=12),
                    rng.choice((8, 16, 40)), rng.choice((0, 30, 60, 100)), stamp, stamp,
                ))  # fmt: skip
            for m in range(MILESTONES):
                milestone_no += 1
                milestones.append((f"MS-{milestone_no:05d}", pid, f"里程碑 {m + 1}",
                                   start + timedelta(days=30 * (m + 1)), stamp, stamp))  # fmt: skip
            for k in range(KPIS):
                kpis.append((pid, f"指標 {k + 1}", rng.choice((60.0, 75.0, 90.0)), stamp, stamp))
            for _ in range(EXPENSES):
                expenses.append((pid, rng.randint(1, 200) * 100_000, start, stamp, stamp))
            entered = NOW - timedelta(days=rng.randint(0, 40))
            stays.append((pid, stage, _ts(entered)))
        conn.executemany(
            "INSERT INTO tasks (code, project_id, title, owner_id, start_date, due_date,"
            " planned_hours, percent_complete, status, deliverable, acceptance_criteria,"
            f" {common}) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, 'in_progress', '', '', {values})",
            tasks,
        )
        conn.executemany(
            f"INSERT INTO milestones (code, project_id, name, due_date, {common})"
            f" VALUES (?, ?, ?, ?, {values})",
            milestones,
        )
        conn.executemany(
            "INSERT INTO project_kpis (project_id, name, unit, direction, target, warning,"
            f" critical, last_value, last_level, {common}) VALUES (?, ?, '%', 'higher_better',"
            f" 85, 80, 70, ?, NULL, {values})",
            kpis,
        )
        conn.executemany(
            "INSERT INTO project_expenses (project_id, amount, category, spent_on, description,"
            f" {common}) VALUES (?, ?, 'other', ?, '', {values})",
            expenses,
        )
        conn.executemany(
            "INSERT INTO state_history (workflow, record_id, state, entered_at, entered_by)"
            " VALUES ('projects', ?, ?, ?, 'bench')",
            stays,
        )
    conn.close()


def _timed(label: str, fn: Callable[[], object], repeat: int = 5) -> object:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    print(f"  {label:<44} {best * 1000:8.1f} ms (best of {repeat})", flush=True)
    return result


async def _board_app(path: Path) -> None:
    """Open the board headless, walk right across every column and back, open a card."""
    from specialops.app import make_app
    from specialops.context import open_context
    from specialops.screens.projects.detail import ProjectDetailScreen
    from specialops.screens.shell import registry
    from specialops.widgets.kanban import Kanban

    context = open_context(str(path), act_as="bench.admin")
    app = make_app(context, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=(160, 45)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        start = time.perf_counter()
        await pilot.press(registry.number_keys()["projects"])
        while not app.screen.query(Kanban) or not _cards(app):
            await app.workers.wait_for_complete()
            await pilot.pause()
        print(f"  {'open the board screen (cards drawn)':<44} "
              f"{(time.perf_counter() - start) * 1000:8.1f} ms", flush=True)  # fmt: skip
        idle = []
        for _ in range(10):  # an unbound key: the cost of a key press itself, for comparison
            start = time.perf_counter()
            await pilot.press("z")
            await pilot.pause()
            idle.append(time.perf_counter() - start)
        idle.sort()
        print(f"  {'an unbound key (median, the pilot overhead)':<44} "
              f"{idle[len(idle) // 2] * 1000:8.1f} ms", flush=True)  # fmt: skip
        moves = []
        for key in ["right"] * (len(STAGES) - 1) + ["left"] * (len(STAGES) - 1) + ["down"] * 10:
            start = time.perf_counter()
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
            moves.append(time.perf_counter() - start)
        moves.sort()
        print(f"  {f'a key on the board (median / worst of {len(moves)})':<44} "
              f"{moves[len(moves) // 2] * 1000:8.1f} ms / {moves[-1] * 1000:.1f} ms",
              flush=True)  # fmt: skip
        # The footer follows the card once the cursor rests (FOOTER_DELAY): a key that
        # changes which steps are offered, with that footer rebuild, the rest excluded.
        from specialops.screens.projects.board import FOOTER_DELAY

        rested = []
        for key in ["right"] * 3 + ["left"] * 3:
            start = time.perf_counter()
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
            await asyncio.sleep(FOOTER_DELAY + 0.02)
            await pilot.pause()
            rested.append(time.perf_counter() - start - FOOTER_DELAY - 0.02)
        rested.sort()
        print(f"  {'a key, then its footer (median / worst of 6)':<44} "
              f"{rested[len(rested) // 2] * 1000:8.1f} ms / {rested[-1] * 1000:.1f} ms",
              flush=True)  # fmt: skip
        start = time.perf_counter()
        await pilot.press("enter")
        while not isinstance(app.screen, ProjectDetailScreen) or app.screen.data is None:
            await app.workers.wait_for_complete()
            await pilot.pause()
        print(f"  {'open a project detail':<44} {(time.perf_counter() - start) * 1000:8.1f} ms",
              flush=True)  # fmt: skip
    context.close()


def _cards(app: object) -> int:
    from specialops.widgets.kanban import Kanban

    kanban = app.screen.query_one(Kanban)  # type: ignore[attr-defined]
    return sum(len(c.cards) for c in getattr(kanban, "columns", []))


def main() -> None:
    os.environ.setdefault("SPECIALOPS_NOW", NOW.isoformat())
    from specialops.areas.projects import queries as views
    from specialops.context import open_context

    folder = Path(tempfile.mkdtemp(prefix="projects-bench-"))
    try:
        path = folder / "board.db"
        start = time.perf_counter()
        build(path)
        print(f"  {f'build {PROJECTS} projects':<44} "
              f"{(time.perf_counter() - start) * 1000:8.1f} ms", flush=True)  # fmt: skip
        context = open_context(str(path), act_as="bench.admin")
        columns = _timed("board view (projects_views.board)",
                         lambda: views.board(context.store, context.actor))  # fmt: skip
        counts = {stage: len(cards) for stage, cards in columns.items()}  # type: ignore[union-attr]
        print(f"  cards by stage: {counts}", flush=True)
        red = views.BoardFilter(red_only=True)
        _timed("board view, red only", lambda: views.board(context.store, context.actor, red))
        _timed("detail view of one project",
               lambda: views.detail(context.store, context.actor, "PRJ-0100"))  # fmt: skip
        _timed("steps of one card (on every highlight)",
               lambda: views.available_steps(context.store, context.actor, "PRJ-0100"))  # fmt: skip
        context.close()
        asyncio.run(_board_app(path))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
