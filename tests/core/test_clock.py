"""SPECIALOPS_NOW moves the clock for root (tests, scripts) and for nobody else."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.os_users import needs_root, os_login, run_as

BACKDATED = "2001-01-01T00:00:00Z"


@pytest.fixture
def shared_db() -> Iterator[Path]:
    """A database in a folder other logins may write to (as on a shared server)."""
    folder = Path(tempfile.mkdtemp(prefix="specialops-clock-", dir="/tmp"))
    try:
        os.chmod(folder, 0o777)
        db = folder / "ops.db"
        created = run_cli("init", db=db)
        assert created.returncode == 0, created.stderr
        os.chmod(db, 0o666)
        yield db
    finally:
        shutil.rmtree(folder)


def _last_entry(db: Path) -> tuple[str, str, str]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT at, real_username, action FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()


def _created_at(db: Path, username: str) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT created_at FROM users WHERE username = ?", (username,)
        ).fetchone()[0]
    finally:
        conn.close()


@needs_root
def test_another_login_cannot_backdate_its_audit_entries(shared_db: Path) -> None:
    with os_login() as login:
        added = run_cli("users", "add", login, "--name", "Clock Tester", "--role", "admin",
                        db=shared_db)  # fmt: skip
        assert added.returncode == 0, added.stderr
        result = run_as(
            login,
            "users", "add", "backdated.user", "--name", "Backdated",
            db=shared_db, env={"SPECIALOPS_NOW": BACKDATED},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    at, who, _action = _last_entry(shared_db)
    assert who == login  # the entry this login's command wrote
    assert not str(at).startswith("2001"), at
    assert not str(_created_at(shared_db, "backdated.user")).startswith("2001")


@needs_root
def test_root_may_fix_the_clock(shared_db: Path) -> None:
    result = run_cli(
        "users", "add", "fixed.user", "--name", "Fixed", db=shared_db,
        env={"SPECIALOPS_NOW": BACKDATED},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    at, _who, _action = _last_entry(shared_db)
    assert str(at).startswith("2001-01-01"), at
    assert str(_created_at(shared_db, "fixed.user")).startswith("2001-01-01")
