"""The audit log is append-only and tamper-evident (GEN-1)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from specialops.areas.people.actions import add_user
from specialops.audit import verify
from specialops.identity import Actor
from specialops.models.core import AuditEntry, Department
from specialops.store.records import update_record
from tests.conftest import tamper_audit_log


def _some_history(ctx) -> None:
    for code in ("A", "B", "C"):
        with ctx.store.write(ctx.actor) as session:
            session.add(Department(code=code, name=f"部門{code}"))
    with ctx.store.write(ctx.actor) as session:
        dept = session.exec(Department.__table__.select().where(Department.code == "B")).first()
        update_record(session, Department, dept.id, dept.version, {"name": "改名"})


def _verify(ctx):
    with ctx.store.engine.connect() as conn:
        return verify(conn)


def test_an_untouched_log_verifies(any_ctx) -> None:
    ctx = any_ctx
    _some_history(ctx)
    result = _verify(ctx)
    assert result.ok and result.checked >= 5


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET comment = 'x' WHERE id = 2", "DELETE FROM audit_log WHERE id = 2"],
)
def test_the_database_refuses_to_change_the_log(ctx, db_path: Path, statement: str) -> None:
    _some_history(ctx)
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(statement)
    conn.close()
    assert _verify(ctx).ok


def test_an_edited_entry_is_found(ctx, db_path: Path) -> None:
    _some_history(ctx)
    tamper_audit_log(
        db_path,
        """UPDATE audit_log SET "after" = replace("after", '部門B', '部門Z')
        WHERE "after" LIKE '%部門B%'""",
    )
    result = _verify(ctx)
    with sqlite3.connect(db_path) as conn:
        edited = conn.execute(
            """SELECT min(id) FROM audit_log WHERE "after" LIKE '%部門Z%'"""
        ).fetchone()[0]
    assert edited is not None, "the edit must reach an entry"
    assert not result.ok and result.first_bad_id == edited and "hash" in result.reason


def test_a_removed_entry_is_found(ctx, db_path: Path) -> None:
    _some_history(ctx)
    tamper_audit_log(db_path, "DELETE FROM audit_log WHERE id = 3")
    result = _verify(ctx)
    assert not result.ok and result.first_bad_id == 4 and "link" in result.reason


def test_a_rehashed_forgery_still_breaks_the_next_link(ctx, db_path: Path) -> None:
    from specialops.audit import entry_hash

    _some_history(ctx)
    with ctx.store.read() as session:
        original = session.get(AuditEntry, 3).model_dump()
    new_hash = entry_hash(original["prev_hash"], dict(original, comment="forged"))
    forged = f"UPDATE audit_log SET comment = 'forged', hash = '{new_hash}' WHERE id = 3"
    tamper_audit_log(db_path, forged)
    result = _verify(ctx)
    assert not result.ok and result.first_bad_id == 4 and "link" in result.reason


def test_acting_as_another_user_records_both_names(any_ctx) -> None:
    ctx = any_ctx
    from specialops.context import open_context

    add_user(ctx.store, ctx.actor, "liu.fang", "劉芳", "staff")
    as_other = open_context(ctx.settings.db_url, act_as="liu.fang")
    try:
        assert as_other.actor.username == "liu.fang"
        assert as_other.actor.real_username == ctx.actor.username
        with as_other.store.write(as_other.actor) as session:
            session.add(Department(code="QA", name="品保部"))
        with as_other.store.engine.connect() as conn:
            who = conn.exec_driver_sql(
                "SELECT username, real_username FROM audit_log WHERE code = 'QA'"
            ).one()
    finally:
        as_other.close()
    assert tuple(who) == ("liu.fang", ctx.actor.username)


def test_only_admins_may_act_as_someone_else(ctx, monkeypatch: pytest.MonkeyPatch) -> None:
    from specialops.context import open_context
    from specialops.errors import PermissionDenied

    add_user(ctx.store, ctx.actor, "liu.fang", "劉芳", "staff")
    add_user(ctx.store, ctx.actor, "zhao.wei", "趙偉", "manager")
    monkeypatch.setenv("SPECIALOPS_USER", "zhao.wei")
    with pytest.raises(PermissionDenied, match="act as another user"):
        open_context(str(ctx.store.path), act_as="liu.fang")


def test_actor_is_a_value_object() -> None:
    actor = Actor(username="a", role="staff")
    assert actor.login == "a"
