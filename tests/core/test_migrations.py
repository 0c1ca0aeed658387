"""Schema versions: new databases, upgrades from version 1, newer databases refused."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from specialops import config
from specialops.errors import DatabaseUnavailable
from specialops.models.base import metadata
from specialops.store.migrate import backup_path, current, head, include_name, upgrade_to
from specialops.store.store import open_store


def _at_version_1(path: Path) -> None:
    store = open_store(config.to_url(str(path)), create=True, migrate=False)
    upgrade_to(store, "0001")
    store.dispose()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO departments (version, created_at, updated_at, code, name)"
        " VALUES (1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'CS', '客戶服務部')"
    )
    conn.execute(
        "INSERT INTO users (version, created_at, updated_at, username, name, department_id,"
        " role, active) VALUES (1, '2026-01-01 00:00:00', '2026-01-01 00:00:00',"
        " 'chen.admin', '陳', 1, 'admin', 1)"
    )
    conn.commit()
    conn.close()


def test_a_new_database_matches_the_models(ctx) -> None:
    with ctx.store.engine.connect() as conn:
        assert current(conn) == head()
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_an_older_database_is_backed_up_and_upgraded(db_path: Path) -> None:
    _at_version_1(db_path)
    store = open_store(config.to_url(str(db_path)))
    try:
        with store.engine.connect() as conn:
            assert current(conn) == head()
            names = conn.exec_driver_sql("SELECT name FROM users").scalars().all()
            tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
    finally:
        store.dispose()
    assert names == ["陳"]
    assert {"state_history", "approval_requests"} <= tables
    saved = backup_path(db_path, "0001")
    assert saved.exists()
    backup = sqlite3.connect(saved)
    assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    backup.close()


def test_two_processes_opening_an_old_database_at_once_both_succeed(db_path: Path) -> None:
    _at_version_1(db_path)
    script = (
        "from specialops.store.store import open_store; import sys;"
        f"open_store('sqlite:///{db_path}').dispose()"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(head(),)]
    assert conn.execute("SELECT count(*) FROM users").fetchone() == (1,)


def test_a_newer_database_is_refused_untouched(ctx, db_path: Path) -> None:
    ctx.close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseUnavailable, match="newer than this specialops"):
        open_store(config.to_url(str(db_path)))
    assert db_path.read_bytes() == before


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseUnavailable, match="not a specialops database"):
        open_store(config.to_url(str(other)))
