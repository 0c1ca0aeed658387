"""A large import is published in chunks: colleagues write in between, a failure undoes it."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from specialops import audit
from specialops.identity import Actor
from specialops.io import engine
from specialops.io.engine import import_file
from tests.conftest import ADMIN, copy_database, run_cli

ROWS = 23


def _customers(path: Path, rows: int, *, start: int = 1, tier: str = "gold") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["code", "name", "type", "phone", "tier"])
        for n in range(start, start + rows):
            out.writerow([f"CUS-{n:06d}", f"客戶{n}", "individual", f"09{n:08d}", tier])
    return path


def _chain_holds(db: Path) -> bool:
    from specialops.store.store import open_store

    store = open_store(f"sqlite:///{db}")
    try:
        with store.engine.connect() as conn:
            return audit.verify(conn).ok
    finally:
        store.dispose()


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def _colleague_writes(db: Path, actor: Actor, name: str) -> None:
    """A change made on another connection: a department renamed, and logged."""
    from specialops.models.core import Department
    from specialops.store.store import open_store

    store = open_store(f"sqlite:///{db}")
    try:
        with store.connect_write() as conn:
            conn.execute(Department.__table__.update().values(name=name))  # type: ignore[attr-defined]
            audit.append(conn, actor, [audit.Event("update", "departments", after={"name": name})])
    finally:
        store.dispose()


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(engine, "PUBLISH_CHUNK", 5)
    monkeypatch.setattr(engine, "MAX_CHUNKS_PER_PART", 1)  # a part per chunk, to count them
    return 5


def test_an_import_of_several_chunks_lands_whole_and_leaves_no_journal(
    ctx, tmp_path: Path, small_chunks: int
) -> None:
    said: list[str] = []
    summary = import_file(
        ctx.store, ctx.actor, "customers", _customers(tmp_path / "c.csv", ROWS), log=said.append
    )
    assert (summary.inserted, summary.attempts) == (ROWS, 1)
    assert [line.split(" (")[0] for line in said if line.startswith("publishing part")] == [
        f"publishing part {n}" for n in range(1, 6)
    ]
    db = ctx.store.path
    assert _count(db, "SELECT count(*) FROM customers") == ROWS
    assert _count(db, "SELECT count(*) FROM import_runs") == 0
    assert _count(db, "SELECT count(*) FROM import_undo") == 0
    assert not list(Path(db).parent.glob(f".{Path(db).name}.import-*"))
    # Ids follow the file whatever order the chunks were written in.
    with sqlite3.connect(db) as conn:
        codes = [c for (c,) in conn.execute("SELECT code FROM customers ORDER BY id")]
    assert codes == [f"CUS-{n:06d}" for n in range(1, ROWS + 1)]
    assert _chain_holds(db)


def test_a_colleague_writing_between_chunks_is_chained_after_not_a_reason_to_start_over(
    ctx, tmp_path: Path, small_chunks: int
) -> None:
    db = Path(ctx.store.path)

    def between(line: str) -> None:
        # Before the first part, before part 3, and before the last two one after another:
        # the parts after each are written as planned, chained after the colleague's.
        if line == "publishing" or line.startswith(("publishing part 3 ", "publishing part 4 ")):
            _colleague_writes(db, ctx.actor, f"renamed at {line}")

    summary = import_file(
        ctx.store, ctx.actor, "customers", _customers(tmp_path / "c.csv", ROWS), log=between
    )
    assert (summary.inserted, summary.attempts) == (ROWS, 1)
    assert _count(db, "SELECT count(*) FROM audit_log WHERE entity = 'departments'") == 3
    assert _chain_holds(db)


def test_a_record_changed_between_chunks_undoes_the_written_ones_and_prepares_again(
    ctx, tmp_path: Path, small_chunks: int
) -> None:
    db = Path(ctx.store.path)
    import_file(ctx.store, ctx.actor, "customers", _customers(tmp_path / "c.csv", ROWS))
    changed = False

    def between(line: str) -> None:
        nonlocal changed
        if line.startswith("publishing part 3 ") and not changed:
            changed = True  # someone edits CUS-000002, which part 5 updates
            with sqlite3.connect(db) as conn:
                conn.execute(
                    "UPDATE customers SET name = '改名', version = version + 1 "
                    "WHERE code = 'CUS-000002'"
                )

    again = _customers(tmp_path / "again.csv", ROWS, tier="silver")
    summary = import_file(ctx.store, ctx.actor, "customers", again, upsert=True, log=between)
    assert (summary.updated, summary.attempts) == (ROWS, 2)
    assert _count(db, "SELECT count(*) FROM customers WHERE tier = 'silver'") == ROWS
    assert _count(db, "SELECT count(*) FROM audit_log WHERE action = 'import_undone'") == 1
    # Part 5 found CUS-000002 changed: the four parts written were put back (20 records),
    # then the import was prepared again and wrote all.
    assert _count(db, "SELECT count(*) FROM audit_log WHERE comment LIKE 'undo of import%'") == 20
    # The second plan read the colleague's version: the file's values are written over it,
    # as an upsert without versions does.
    with sqlite3.connect(db) as conn:
        found = conn.execute("SELECT name, version FROM customers WHERE code = 'CUS-000002'")
        assert found.fetchone() == ("客戶2", 3)
    assert _chain_holds(db)


def test_an_interrupted_import_is_undone_and_keeps_what_others_changed(
    ctx, tmp_path: Path, small_chunks: int
) -> None:
    db = Path(ctx.store.path)
    import_file(ctx.store, ctx.actor, "customers", _customers(tmp_path / "first.csv", 3))

    def between(line: str) -> None:
        if line.startswith("publishing part 3 "):
            with sqlite3.connect(db) as conn:  # a colleague edits a just-imported customer
                conn.execute(
                    "UPDATE customers SET notes = '已聯絡', version = version + 1 "
                    "WHERE code = 'CUS-000023'"
                )
        if line.startswith("publishing part 4 "):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_file(
            ctx.store,
            ctx.actor,
            "customers",
            _customers(tmp_path / "c.csv", ROWS - 3, start=4),
            log=between,
        )
    with sqlite3.connect(db) as conn:
        left = [c for (c,) in conn.execute("SELECT code FROM customers ORDER BY id")]
        undone = conn.execute(
            "SELECT after FROM audit_log WHERE action = 'import_undone'"
        ).fetchone()
    assert left == ["CUS-000001", "CUS-000002", "CUS-000003", "CUS-000023"]
    assert '"left":1' in undone[0].replace(" ", "") and '"removed":14' in undone[0].replace(" ", "")
    assert _count(db, "SELECT count(*) FROM import_runs") == 0
    assert _chain_holds(db)


CHILD = (
    "import sys; import specialops.io.engine as e; e.PUBLISH_CHUNK = 25; "
    "e.MAX_CHUNKS_PER_PART = 1; "
    "from specialops.app_entry import main; sys.argv[0] = 'specialops'; main()"
)


def test_an_import_killed_while_publishing_is_undone_by_the_next_command(
    demo_db: Path, tmp_path: Path
) -> None:
    source = _customers(tmp_path / "c.csv", 2000, start=5001)
    before = _count(demo_db, "SELECT count(*) FROM customers")
    for attempt in range(5):  # until the kill lands while parts remain to be written
        db = copy_database(demo_db, tmp_path / f"attempt{attempt}.db")
        env = {**os.environ, "SPECIALOPS_DB": str(db), "SPECIALOPS_USER": ADMIN}
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, "import", "customers", str(source), "--verbose"],
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert child.stderr is not None
        for line in child.stderr:
            if "publishing part 3 " in line:
                child.send_signal(signal.SIGKILL)
                break
        child.wait()
        child.stderr.close()
        if _count(db, "SELECT count(*) FROM import_runs"):
            break
    else:
        pytest.fail("the import always finished before it could be killed")
    written = _count(db, "SELECT count(*) FROM customers") - before
    assert written in (50, 75)  # parts 1 and 2, and perhaps 3
    after = run_cli("audit", "verify", db=db)
    assert after.returncode == 0, after.stderr
    assert f"was undone ({written} records removed, 0 restored)" in after.stderr
    assert _count(db, "SELECT count(*) FROM customers") == before
    assert _count(db, "SELECT count(*) FROM import_runs") == 0
    assert not list(tmp_path.glob(f".{db.name}.import-*"))


def test_an_import_completes_while_a_colleague_saves_every_half_second(
    demo_db: Path, tmp_path: Path
) -> None:
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.steady_writer", str(demo_db), str(stop), "0.5", ADMIN],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        while not _count(demo_db, "SELECT count(*) FROM customers WHERE code = 'CUS-999999'"):
            assert writer.poll() is None, "the colleague could not start"
        env = {**os.environ, "SPECIALOPS_DB": str(demo_db), "SPECIALOPS_USER": ADMIN}
        source = _customers(tmp_path / "c.csv", 3000, start=5001)
        done = subprocess.run(
            [sys.executable, "-c", CHILD, "import", "customers", str(source), "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        stop.touch()
        report, _ = writer.communicate(timeout=60)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["inserted"], summary["batch"] is not None) == (3000, True)
    assert writer.returncode == 0 and report.startswith("writes=")
    assert _chain_holds(demo_db)


def test_chunks_that_grow_slow_are_written_in_smaller_parts_and_still_land_whole(
    ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "PUBLISH_CHUNK", 10)
    monkeypatch.setattr(engine, "PART_SECONDS", 1e-9)  # every part "took too long"
    monkeypatch.setattr(engine, "MIN_PART", 2)
    db = Path(ctx.store.path)
    said: list[str] = []

    def between(line: str) -> None:
        said.append(line)
        if line.startswith("publishing part 4 "):
            _colleague_writes(db, ctx.actor, "renamed between parts")

    summary = import_file(
        ctx.store, ctx.actor, "customers", _customers(tmp_path / "c.csv", ROWS), log=between
    )
    parts = [line for line in said if line.startswith("publishing part")]
    # The first chunk (10 records) whole, then the others two records at a time.
    assert len(parts) == 1 + 13 // 2 + 1
    assert (summary.inserted, summary.attempts) == (ROWS, 1)
    with sqlite3.connect(db) as conn:
        codes = [c for (c,) in conn.execute("SELECT code FROM customers ORDER BY id")]
    assert codes == [f"CUS-{n:06d}" for n in range(1, ROWS + 1)]
    assert _count(db, "SELECT count(*) FROM import_runs") == 0
    assert _chain_holds(db)


def test_the_parts_after_the_first_hold_as_many_chunks_as_fit(
    ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "PUBLISH_CHUNK", 4)
    monkeypatch.setattr(engine, "PART_SECONDS", 3600.0)  # any number of chunks fits
    said: list[str] = []
    summary = import_file(
        ctx.store, ctx.actor, "customers", _customers(tmp_path / "c.csv", ROWS), log=said.append
    )
    assert [line.split(" (")[0] for line in said if line.startswith("publishing part")] == [
        "publishing part 1",
        "publishing part 2",
    ]
    assert (summary.inserted, summary.attempts) == (ROWS, 1)
    assert _chain_holds(Path(ctx.store.path))


def test_a_journal_that_cannot_be_undone_warns_and_leaves_the_command_working(ctx) -> None:
    from specialops.context import open_context

    db = Path(ctx.store.path)
    with sqlite3.connect(db) as conn:  # a journal naming what this program does not know
        conn.execute(
            "INSERT INTO import_runs (batch, entity, table_name, username, lock_file, "
            "started_at, chunks, done) VALUES ('b1', 'spaceships', 'spaceships', 'x', "
            "'/nonexistent/lock', '2026-12-01 00:00:00.000000', 3, 1)"
        )
    again = open_context(str(db))
    try:
        assert any("could not be undone now" in w for w in again.store.warnings)
        assert again.actor.username == ADMIN
    finally:
        again.close()
    assert _count(db, "SELECT count(*) FROM import_runs") == 1  # kept for a later try
