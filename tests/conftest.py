"""Shared fixtures: a fixed clock and time zone, a clean environment, real databases."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

FIXED_NOW = "2026-11-28T09:30:00+08:00"
ADMIN = "chen.admin"

os.environ["TZ"] = "Asia/Taipei"
time.tzset()
for name in ("NO_COLOR", "TEXTUAL_THEME", "SPECIALOPS_DB", "FORCE_COLOR", "COLUMNS", "LINES"):
    os.environ.pop(name, None)
os.environ["SPECIALOPS_NOW"] = FIXED_NOW
os.environ["SPECIALOPS_USER"] = ADMIN
os.environ["TEXTUAL_ANIMATION"] = "none"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from specialops import clock

    monkeypatch.setenv("SPECIALOPS_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("SPECIALOPS_NOW", FIXED_NOW)
    monkeypatch.setenv("SPECIALOPS_USER", ADMIN)
    clock.freeze(None)
    yield
    clock.freeze(None)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ops.db"


@pytest.fixture
def ctx(db_path: Path):
    """A new database whose admin is ``ADMIN``."""
    from specialops.context import open_context

    context = open_context(str(db_path), create=True)
    yield context
    context.close()


@pytest.fixture
def demo_ctx(db_path: Path):
    """A new database with the demo data."""
    from specialops.context import open_context
    from specialops.demo import load_demo

    context = open_context(str(db_path), create=True)
    load_demo(context.store, context.actor)
    yield context
    context.close()


@pytest.fixture
def risk_ctx(db_path: Path):
    """A new database holding the sample departments, users and risks only."""
    from specialops.context import open_context
    from specialops.demo import load_demo

    context = open_context(str(db_path), create=True)
    load_demo(context.store, context.actor, only={"departments", "users", "risks"})
    yield context
    context.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database as ``init --demo`` makes it, once per test worker: copy it
    (:func:`copy_database`), never write to it."""
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "ops.db"
    made = run_cli("init", "--demo", db=db, env={"SPECIALOPS_CONFIG": str(folder / "c.toml")})
    assert made.returncode == 0, made.stderr
    return db


def copy_database(source: Path, target: Path) -> Path:
    """A consistent copy of the SQLite database ``source`` at ``target``, with the mode
    specialops gives its databases (its group may share it, no one else)."""
    target.touch()
    target.chmod(0o660)
    with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
        original.backup(copy)
    return target


@pytest.fixture
def demo_db(demo_template: Path, db_path: Path) -> Path:
    """A fresh copy of the demo database for one test, at ``db_path``."""
    return copy_database(demo_template, db_path)


def run_cli(
    *args: str,
    db: Path | None = None,
    user: str = ADMIN,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``specialops`` in a real process, as a script would (forked from a loaded
    one when it can be: :mod:`tests.cli_server`)."""
    from tests.cli_server import run_forked

    full_env = {**os.environ, "SPECIALOPS_USER": user, **(env or {})}
    argv = [*(["--db", str(db)] if db is not None else []), *args]
    result = run_forked(argv, env=full_env, cwd=cwd, input=input, timeout=timeout)
    if result is None:
        result = subprocess.run(
            [sys.executable, "-m", "specialops", *argv],
            input=input,
            capture_output=True,
            env=full_env,
            cwd=cwd,
            timeout=timeout,
        )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
    )


def one_line_error(result: subprocess.CompletedProcess[str], code: int, text: str) -> str:
    """Assert an expected failure: exit ``code``, no traceback, one line on stderr holding
    ``text``; return that line."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def cli():
    return run_cli


def edited_export(ctx, entity: str, code: str, folder: Path, **changes: str) -> Path:
    """Export the record ``code`` of ``entity`` to CSV, change some of its cells, and return
    the file: what a script does before an ``--upsert``."""
    import csv

    from specialops.io.export import export_entity

    exported = folder / f"{entity}-{code}.csv"
    export_entity(ctx.store, ctx.actor, entity, exported, where=[f"code={code}"])
    with exported.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row.update(changes)
    edited = folder / f"{entity}-{code}-edited.csv"
    with edited.open("w", encoding="utf-8", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)
    return edited


@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL server of this test process (:mod:`tests.pg_server`)."""
    from tests import pg_server

    cluster = pg_server.start()
    yield cluster
    pg_server.stop(cluster)


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """The URL of a new, empty PostgreSQL database for one test."""
    from tests import pg_server

    return pg_cluster.url(pg_server.new_database(pg_cluster))


@pytest.fixture(scope="session")
def pg_template(pg_cluster) -> str:
    """A PostgreSQL database at the newest schema whose admin is ``ADMIN``, made once per
    test process for :func:`any_ctx` to copy (quicker than migrating each); never opened."""
    from specialops.context import open_context
    from tests import pg_server

    name = pg_server.new_database(pg_cluster)
    open_context(pg_cluster.url(name), create=True).close()
    return name


@pytest.fixture(params=["sqlite", "postgresql"])
def any_ctx(request, db_path: Path):
    """A new database whose admin is ``ADMIN``, on each backend in turn."""
    from specialops.context import open_context
    from tests import pg_server

    url = str(db_path)
    if request.param == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        template = request.getfixturevalue("pg_template")
        url = cluster.url(pg_server.new_database(cluster, template))
    context = open_context(url, create=True)
    yield context
    context.close()


@pytest.fixture
def demo_any_ctx(any_ctx):
    """:func:`any_ctx` with the sample data, on each backend in turn."""
    from specialops.demo import load_demo

    load_demo(any_ctx.store, any_ctx.actor)
    return any_ctx


def tamper_audit_log(db: Path, *statements: str) -> None:
    """What a group member with write access to the file can do with plain sqlite3: drop
    the log's guarding triggers and run ``statements``."""
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()
