"""The store: SQLite settings, file modes, codes, versions, database location."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlmodel import select

from specialops import config
from specialops.errors import DatabaseUnavailable, StaleRecordError
from specialops.models.core import AuditEntry, Department
from specialops.store import codes
from specialops.store.records import update_record
from specialops.store.store import open_store


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(ctx) -> None:
    with ctx.store.engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("busy_timeout") >= 1000


def test_writing_sessions_take_the_write_lock_at_their_start(ctx, db_path: Path) -> None:
    import sqlite3

    with ctx.store.write(ctx.actor):
        other = sqlite3.connect(db_path, timeout=0.05)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()


def test_a_new_database_file_is_group_shareable_and_not_world_readable(ctx, db_path: Path) -> None:
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o660
    assert ctx.store.warnings == []


def test_opening_a_world_readable_database_warns(ctx, db_path: Path) -> None:
    os.chmod(db_path, 0o664)
    store = open_store(config.to_url(str(db_path)))
    try:
        assert any("readable by every user" in w for w in store.warnings)
    finally:
        store.dispose()


def test_a_missing_database_is_reported_not_created(tmp_path: Path) -> None:
    target = tmp_path / "nothing.db"
    with pytest.raises(DatabaseUnavailable, match="specialops init"):
        open_store(config.to_url(str(target)))
    assert not target.exists()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseUnavailable, match="damaged or is not a specialops database"):
        open_store(config.to_url(str(bogus)))


def test_database_location_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "config.toml"
    monkeypatch.setenv("SPECIALOPS_CONFIG", str(cfg))
    monkeypatch.delenv("SPECIALOPS_DB", raising=False)
    assert config.resolve().db_source == "default"
    assert config.resolve().db_url.endswith("specialops/specialops.db")
    cfg.write_text('db = "/srv/ops/team.db"\n', encoding="utf-8")
    assert config.resolve().db_url == "sqlite:////srv/ops/team.db"
    monkeypatch.setenv("SPECIALOPS_DB", "/srv/other.db")
    assert config.resolve().db_url == "sqlite:////srv/other.db"
    assert config.resolve("/x/y.db").db_url == "sqlite:////x/y.db"
    url = "postgresql://ops@db.internal/ops"
    assert config.resolve(url).db_url == url


def test_codes_are_consecutive_and_never_reused(any_ctx) -> None:
    ctx = any_ctx
    with ctx.store.connect_write() as conn:
        first = codes.allocate(conn, "PRJ")
        block = codes.allocate(conn, "PRJ", 10)
        codes.bump_to_at_least(conn, "PRJ", 50)
        after_bump = codes.allocate(conn, "PRJ")
        codes.bump_to_at_least(conn, "PRJ", 3)
        still = codes.allocate(conn, "PRJ")
    assert (first, block, after_bump, still) == (1, 2, 51, 52)
    assert codes.format_code("TKT", 7, 6) == "TKT-000007"


def test_saving_a_stale_copy_names_who_changed_it(any_ctx) -> None:
    ctx = any_ctx
    from specialops.identity import Actor

    with ctx.store.write(ctx.actor) as session:
        dept = Department(code="CS", name="客戶服務部")
        session.add(dept)
    loaded_version = dept.version
    other = Actor(username="wang.xiaoming", role="manager", real_username="wang.xiaoming")
    with ctx.store.write(other) as session:
        update_record(session, Department, dept.id, loaded_version, {"name": "客服部"})
    with pytest.raises(StaleRecordError) as caught, ctx.store.write(ctx.actor) as session:
        update_record(session, Department, dept.id, loaded_version, {"name": "服務部"})
    assert caught.value.changed_by == "wang.xiaoming"
    assert "wang.xiaoming" in str(caught.value) and "CS" in str(caught.value)
    with ctx.store.read() as session:
        assert session.get(Department, dept.id).name == "客服部"


def test_every_change_writes_an_audit_entry_in_the_same_transaction(any_ctx) -> None:
    ctx = any_ctx
    with ctx.store.write(ctx.actor) as session:
        dept = Department(code="RD", name="研發部")
        session.add(dept)
    with ctx.store.write(ctx.actor) as session:
        update_record(session, Department, dept.id, dept.version, {"name": "研發中心"})
    with pytest.raises(RuntimeError), ctx.store.write(ctx.actor) as session:
        session.add(Department(code="LOST", name="never saved"))
        session.flush()
        raise RuntimeError("abort the transaction")
    with ctx.store.read() as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.entity == "departments").order_by(AuditEntry.id)
        ).all()
    assert [(e.action, e.code) for e in entries] == [("insert", "RD"), ("update", "RD")]
    assert '"name":"研發部"' in entries[1].before and '"name":"研發中心"' in entries[1].after
    assert entries[1].username == ctx.actor.username


def test_read_sessions_cannot_write(any_ctx) -> None:
    ctx = any_ctx
    with pytest.raises(RuntimeError, match="read session"), ctx.store.read() as session:
        session.add(Department(code="X", name="x"))
        session.flush()
