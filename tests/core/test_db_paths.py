"""A database path is a path: no character in it turns it into a URL or a URI."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from specialops import config
from specialops.errors import UsageError
from tests.conftest import run_cli

NAMES = ["a?mode=ro.db", "x%41.db", "file:x.db", "file:y.db?mode=memory", "h#ash.db"]
SIDE = ("-wal", "-shm", "-journal")


def _files(folder: Path) -> set[str]:
    """The files in ``folder``, SQLite's side files of a database counted with it."""
    names = set(os.listdir(folder)) - {"config.toml"}
    return {n for n in names if not any(n.endswith(s) and n[: -len(s)] in names for s in SIDE)}


def _is_database_with_users(path: Path) -> bool:
    conn = sqlite3.connect(str(path.resolve()))  # absolute: never read as a URI
    try:
        return conn.execute("SELECT count(*) FROM users").fetchone()[0] > 0
    finally:
        conn.close()


@pytest.mark.parametrize("name", NAMES)
def test_init_creates_exactly_the_file_named(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "here"
    folder.mkdir()
    result = run_cli("init", db=Path(name), cwd=folder)
    assert result.returncode == 0, result.stderr
    assert _files(folder) == {name}
    assert _is_database_with_users(folder / name)
    listed = run_cli("users", "list", "--json", db=Path(name), cwd=folder)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)
    assert _files(folder) == {name}


@pytest.mark.parametrize("name", NAMES)
def test_the_environment_and_a_sqlite_url_name_the_file_literally(
    tmp_path: Path, name: str
) -> None:
    folder = tmp_path / "here"
    folder.mkdir()
    assert run_cli("init", env={"SPECIALOPS_DB": name}, cwd=folder).returncode == 0
    assert _files(folder) == {name}
    other = f"other-{name}"
    assert run_cli("--db", f"sqlite:///{folder / other}", "init", cwd=tmp_path).returncode == 0
    assert _files(folder) == {name, other}
    assert _is_database_with_users(folder / other)


@pytest.mark.parametrize("name", NAMES)
def test_backup_and_restore_use_exactly_the_files_named(tmp_path: Path, name: str) -> None:
    db = tmp_path / "ops.db"
    assert run_cli("init", db=db).returncode == 0
    out = tmp_path / "out"
    out.mkdir()
    backed = run_cli("backup", name, db=db, cwd=out)
    assert backed.returncode == 0, backed.stderr
    assert _files(out) == {name}
    assert run_cli("users", "add", "newbie", "--name", "新人", db=db).returncode == 0
    restored = run_cli("restore", name, db=db, cwd=out)
    assert restored.returncode == 0, restored.stderr
    users = {u["username"] for u in json.loads(run_cli("users", "list", "--json", db=db).stdout)}
    assert "newbie" not in users


def test_only_postgres_and_sqlite_urls_are_urls(tmp_path: Path) -> None:
    assert config.to_url("postgres://ops@db/ops") == "postgresql://ops@db/ops"
    assert config.to_url("postgresql+psycopg://ops@db/ops") == "postgresql+psycopg://ops@db/ops"
    assert config.to_url(f"sqlite:///{tmp_path}/a?b.db") == f"sqlite:///{tmp_path}/a?b.db"
    with pytest.raises(UsageError, match="not a database specialops opens"):
        config.to_url("mysql://ops@db/ops")


def test_an_unknown_url_scheme_is_a_usage_error(tmp_path: Path) -> None:
    result: subprocess.CompletedProcess[str] = run_cli(
        "--db", "mysql://ops@db/ops", "init", cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert os.listdir(tmp_path) == []
