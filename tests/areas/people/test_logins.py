"""Logins are what the operating system accepts, wherever one is created (people.rules)."""

from __future__ import annotations

import csv
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import run_cli

BAD = {
    "empty": "",
    "space": "a b",
    "shell": "x;rm -rf",
    "escape": "\x1b]52;c;aGVsbG8=\x07",
    "non-ascii": "名字",
    "too long": "a" * 33,
}
GOOD = ("chen.admin", "ops_bot", "li-na")


@pytest.mark.parametrize("login", BAD.values(), ids=BAD.keys())
def test_the_rule_refuses_what_useradd_refuses(login: str) -> None:
    from specialops.areas.people import rules

    problem = rules.login_problem(login)
    assert problem is not None and "lowercase letter or _ first" in problem
    assert "\x1b" not in problem and "\x07" not in problem


@pytest.mark.parametrize("login", [*GOOD, "_svc", "a" * 32, "build$", "x9.y-z_"])
def test_the_rule_accepts_portable_logins(login: str) -> None:
    from specialops.areas.people import rules

    assert rules.login_problem(login) is None


@pytest.fixture
def admin_db(db_path: Path) -> Path:
    made = run_cli("init", db=db_path)
    assert made.returncode == 0, made.stderr
    return db_path


def logins(db: Path) -> list[str]:
    listed = run_cli("users", "list", "--json", db=db)
    assert listed.returncode == 0, listed.stderr
    return [u["username"] for u in json.loads(listed.stdout)]


@pytest.mark.parametrize("login", BAD.values(), ids=BAD.keys())
def test_users_add_refuses_a_bad_login_naming_the_field(admin_db: Path, login: str) -> None:
    done = run_cli("users", "add", login, "--name", "x", db=admin_db)
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("specialops: username: ") and "lowercase letter or _ first" in line
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert logins(admin_db) == ["chen.admin"]


def test_users_add_takes_portable_logins_and_only_those(db_path: Path) -> None:
    made = run_cli("init", db=db_path, user="ops_bot")  # the creator's login is checked too
    assert made.returncode == 0, made.stderr
    for login in ("chen.admin", "li-na", "li na"):
        done = run_cli("users", "add", login, "--name", "x", db=db_path, user="ops_bot")
        assert done.returncode == (1 if " " in login else 0), done.stderr
    assert logins(db_path) == ["chen.admin", "li-na", "ops_bot"]


def test_no_admin_is_made_for_a_bad_login(db_path: Path) -> None:
    done = run_cli("init", db=db_path, user="x;rm -rf")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("specialops: username: ")
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (0,)


def _users_file(path: Path, names: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["username", "name", "role"])
        out.writerows([name, "x", "staff"] for name in names)
    return path


def test_import_users_refuses_bad_logins_and_takes_good_ones(admin_db, tmp_path) -> None:
    names = [*BAD.values(), "ops_bot", "li-na", "chen.ops"]
    source = _users_file(tmp_path / "users.csv", names)
    done = run_cli("import", "users", str(source), "--json", db=admin_db)
    assert done.returncode == 1
    found = json.loads(done.stdout)["errors"]
    assert [(e["line"], e["column"]) for e in found] == [(n, "username") for n in range(2, 8)]
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert logins(admin_db) == ["chen.admin"]
    rejects = tmp_path / "rejects.csv"
    skipped = run_cli(
        "import", "users", str(source), "--on-error", "skip", "--rejects", str(rejects),
        "--json", db=admin_db,
    )  # fmt: skip
    assert skipped.returncode == 0, skipped.stderr
    assert json.loads(skipped.stdout)["inserted"] == 3
    assert logins(admin_db) == ["chen.admin", "chen.ops", "li-na", "ops_bot"]
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == len(BAD)
