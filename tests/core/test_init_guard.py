"""``init`` cannot be used to take over a database: neither one in use nor one half set up."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import os_users
from tests.conftest import ADMIN, one_line_error, run_cli
from tests.os_users import needs_root, os_login, run_as


def _users(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT username, role FROM users"))


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            for table in ("users", "departments", "customers", "audit_log")
        }


@pytest.fixture
def live_db(db_path: Path) -> Path:
    """A database in use (no sample data) with a staff member."""
    assert run_cli("init", db=db_path).returncode == 0
    added = run_cli("users", "add", "liu.fang", "--name", "劉芳", "--role", "staff", db=db_path)
    assert added.returncode == 0, added.stderr
    return db_path


@pytest.mark.parametrize("args", [("init",), ("init", "--demo")])
def test_a_staff_member_cannot_init_a_database_in_use(live_db: Path, args: tuple[str]) -> None:
    before = _counts(live_db)
    one_line_error(run_cli(*args, db=live_db, user="liu.fang"), 1, "only its admins may")
    assert _counts(live_db) == before
    assert _users(live_db) == {ADMIN: "admin", "liu.fang": "staff"}


@pytest.mark.parametrize("args", [("init",), ("init", "--demo")])
def test_a_login_that_is_no_user_cannot_init_a_database_in_use(
    live_db: Path, args: tuple[str]
) -> None:
    before = _counts(live_db)
    one_line_error(run_cli(*args, db=live_db, user="stranger"), 1, "only its admins may")
    assert _counts(live_db) == before


def test_an_admin_may_still_run_init_on_a_database_in_use(live_db: Path) -> None:
    result = run_cli("init", db=live_db)
    assert result.returncode == 0, result.stderr
    assert _users(live_db) == {ADMIN: "admin", "liu.fang": "staff"}


@pytest.fixture
def team_folder() -> Iterator[tuple[Path, str]]:
    with os_users.team_folder() as made:
        yield made


@needs_root
def test_a_team_login_who_is_staff_cannot_init_the_live_database(
    team_folder: tuple[Path, str],
) -> None:
    folder, group = team_folder
    db = folder / "ops.db"
    assert run_cli("init", db=db).returncode == 0
    with os_login(group) as login:
        assert run_cli("users", "add", login, "--name", "同事", db=db).returncode == 0
        before = _counts(db)
        for args in (("init",), ("init", "--demo")):
            one_line_error(run_as(login, *args, db=db), 1, "only its admins may")
        assert _counts(db) == before


def _start_setup_as(login: str, db: Path) -> None:
    """What an ``init`` stopped before its admin leaves: the file and schema, no user."""
    started = run_as(
        login,
        show=(
            "__import__('specialops.store.store', fromlist=['open_store'])"
            f".open_store('sqlite:///{db}', create=True).dispose()"
        ),
    )
    assert started.returncode == 0, started.stderr
    assert _users(db) == {}


@needs_root
def test_an_interrupted_init_is_finished_only_by_its_creator(
    team_folder: tuple[Path, str],
) -> None:
    folder, group = team_folder
    db = folder / "ops.db"
    with os_login(group) as creator, os_login(group) as colleague:
        _start_setup_as(creator, db)
        for args in (("init",), ("init", "--demo")):
            one_line_error(run_as(colleague, *args, db=db), 1, f"started by {creator}")
        assert _users(db) == {}
        finished = run_as(creator, "init", db=db)
        assert finished.returncode == 0, finished.stderr
        assert _users(db) == {creator: "admin"}


@needs_root
def test_root_may_finish_an_interrupted_init(team_folder: tuple[Path, str]) -> None:
    folder, group = team_folder
    db = folder / "ops.db"
    with os_login(group) as creator:
        _start_setup_as(creator, db)
    finished = run_cli("init", db=db)
    assert finished.returncode == 0, finished.stderr
    assert _users(db) == {ADMIN: "admin"}


@needs_root
def test_an_init_stopped_before_its_schema_belongs_to_the_file_owner(
    team_folder: tuple[Path, str],
) -> None:
    folder, group = team_folder
    db = folder / "ops.db"
    with os_login(group) as creator, os_login(group) as colleague:
        # Stopped right after the file was created: only its owner says who started.
        made = run_as(
            creator, show=f"os.close(os.open({str(db)!r}, os.O_CREAT | os.O_EXCL, 0o660))"
        )
        assert made.returncode == 0, made.stderr
        os.chmod(db, 0o660)
        one_line_error(run_as(colleague, "init", db=db), 1, f"started by {creator}")
        assert _users(db) == {}
        finished = run_as(creator, "init", db=db)
        assert finished.returncode == 0, finished.stderr
        assert _users(db) == {creator: "admin"}
