"""The text rule holds for every write, not only imports: the app's actions and the CLI."""

from __future__ import annotations

import sqlite3

import pytest
from sqlmodel import select

from specialops.areas.projects import actions as projects
from specialops.errors import ValidationError
from specialops.models.core import Department
from tests.conftest import run_cli

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"


def _audit_count(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def test_an_action_refuses_an_escape_in_any_text_naming_the_field(ctx, db_path) -> None:
    before = _audit_count(db_path)
    values = {"name": "雲端", "objectives": f"提升{OSC52}效率", "budget": "10"}
    with pytest.raises(ValidationError, match=r"objectives: holds the control character U\+001B"):
        projects.propose(ctx.store, ctx.actor, values)
    assert _audit_count(db_path) == before
    kept = projects.propose(ctx.store, ctx.actor, {**values, "objectives": "提升\t效率\n第二行"})
    assert kept.objectives == "提升\t效率\n第二行"


def test_a_change_to_a_record_is_checked_too(ctx) -> None:
    project = projects.propose(ctx.store, ctx.actor, {"name": "雲端", "objectives": "x"})
    with pytest.raises(ValidationError, match=r"background: holds the control character U\+009B"):
        projects.update_project(
            ctx.store, ctx.actor, project.id, project.version, {"background": "a\x9b2Jb"}
        )


def test_a_comment_on_a_write_is_checked(ctx) -> None:
    refused = pytest.raises(ValidationError, match=r"comment: holds the control character U\+0007")
    with refused, ctx.store.write(ctx.actor, comment="ok\x07") as session:
        session.add(Department(code="X", name="X"))
    with ctx.store.read() as session:
        assert session.exec(select(Department).where(Department.code == "X")).first() is None


def test_the_command_line_refuses_escapes_and_bytes_that_are_not_utf8(ctx, db_path) -> None:
    ctx.close()
    named = run_cli("users", "add", "bad.guy", "--name", f"Mal{OSC52}ory", db=db_path)
    assert named.returncode != 0 and "Traceback" not in named.stderr
    assert "name: holds the control character U+001B (ESC)" in named.stderr
    assert "\x1b" not in named.stderr
    category = run_cli(
        "risks", "add-category", "logistics", "--name", "Log\x9bistics", "--name-zh", "物流",
        db=db_path,
    )  # fmt: skip
    assert category.returncode != 0
    assert "U+009B (CSI)" in category.stderr
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE username='bad.guy'").fetchone() == (
            0,
        )
        assert conn.execute(
            "SELECT count(*) FROM risk_categories WHERE code='logistics'"
        ).fetchone() == (0,)


def test_line_ends_are_stored_as_newlines_whichever_way_the_text_came(ctx) -> None:
    project = projects.propose(
        ctx.store, ctx.actor, {"name": "雲端", "objectives": "one\r\ntwo\rthree"}
    )
    with ctx.store.read() as session:
        assert session.get(type(project), project.id).objectives == "one\ntwo\nthree"
