"""The command line as scripts use it: real subprocesses, exit codes, --json, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ADMIN, one_line_error, run_cli
from tests.layout import lay_out
from tests.os_users import run_as


@pytest.fixture
def initialised(db_path: Path) -> Path:
    result = run_cli("init", "--demo", "--json", db=db_path)
    assert result.returncode == 0, result.stderr
    return db_path


def test_init_makes_the_creator_admin_and_loads_demo(db_path: Path) -> None:
    result = run_cli("init", "--demo", "--json", db=db_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["admin"] == ADMIN
    assert summary["demo"]["users"] >= 10
    users = json.loads(run_cli("users", "list", "--json", db=db_path).stdout)
    assert {"username": ADMIN, "role": "admin"}.items() <= next(
        u for u in users if u["username"] == ADMIN
    ).items()
    assert any(u["name"] == "王小明" for u in users)


def test_database_from_environment_variable(db_path: Path) -> None:
    env = {"SPECIALOPS_DB": str(db_path)}
    assert run_cli("init", env=env).returncode == 0
    assert db_path.exists()
    assert run_cli("users", "list", env=env).returncode == 0


def test_users_add_and_set_role(initialised: Path) -> None:
    added = run_cli(
        "users",
        "add",
        "mei",
        "--name",
        "美玲",
        "--role",
        "agent",
        "--department",
        "CS",
        "--json",
        db=initialised,
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["department"] == "CS"
    changed = run_cli("users", "set-role", "mei", "manager", "--json", db=initialised)
    assert json.loads(changed.stdout)["role"] == "manager"
    again = run_cli("users", "add", "mei", "--name", "x", db=initialised)
    one_line_error(again, 1, "already exists")
    bad_role = run_cli("users", "set-role", "mei", "boss", db=initialised)
    one_line_error(bad_role, 1, "unknown role 'boss'")


def test_staff_may_not_manage_users(initialised: Path) -> None:
    result = run_cli("users", "add", "x", "--name", "x", db=initialised, user="liu.fang")
    one_line_error(result, 1, "may not manage users")


def test_an_unknown_login_is_told_to_ask_an_admin(initialised: Path) -> None:
    result = run_cli("users", "list", db=initialised, user="stranger")
    one_line_error(result, 2, "ask an admin to run: specialops users add stranger")


def test_admin_acts_as_another_user(initialised: Path) -> None:
    result = run_cli("--as", "liu.fang", "users", "add", "x", "--name", "x", db=initialised)
    one_line_error(result, 1, "liu.fang (staff) may not manage users")


def test_a_missing_database_exits_3(tmp_path: Path) -> None:
    result = run_cli("users", "list", db=tmp_path / "none.db")
    one_line_error(result, 3, "no database at")


def test_a_corrupt_database_exits_3(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(os.urandom(8192))
    result = run_cli("users", "list", db=bad)
    one_line_error(result, 3, "damaged or is not a specialops database")


def test_a_locked_database_exits_3_and_stays_intact(initialised: Path) -> None:
    holder = sqlite3.connect(initialised)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run_cli(
            "users",
            "add",
            "late",
            "--name",
            "遲到",
            db=initialised,
            env={"SPECIALOPS_BUSY_TIMEOUT_MS": "300"},
        )
    finally:
        holder.rollback()
        holder.close()
    one_line_error(result, 3, "busy")
    users = json.loads(run_cli("users", "list", "--json", db=initialised).stdout)
    assert "late" not in {u["username"] for u in users}


def _private_copy(folder: Path) -> Path:
    """The program's packages as they install, in a folder only root may enter (0700)."""
    site = lay_out(folder)
    os.chmod(folder, 0o700)
    return site


def _run_as_nobody(
    *args: str, site: Path | None = None, show: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the program as 'nobody', another login on the server."""
    return run_as("nobody", *args, site=site, show=show)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to become another OS user")
@pytest.mark.parametrize("where", ["checkout", "private-clone"])
def test_permission_denied_exits_3(tmp_path: Path, where: str) -> None:
    site = _private_copy(tmp_path / "clone") if where == "private-clone" else None
    if site is not None:
        loaded = _run_as_nobody("--help", site=site)
        assert loaded.returncode == 0, loaded.stderr
        where_from = _run_as_nobody("--help", site=site, show="specialops.__file__")
        assert where_from.stdout.startswith(str(site)), "the copy must be what runs"
    hidden_folder = tmp_path / "hidden"
    hidden_folder.mkdir(mode=0o700)
    hidden = hidden_folder / "ops.db"  # under a folder only root may enter
    assert run_cli("init", db=hidden).returncode == 0
    one_line_error(
        _run_as_nobody("--db", str(hidden), "users", "list", site=site), 3, "permission denied"
    )

    shared = Path(tempfile.mkdtemp(prefix="specialops-perm-", dir="/tmp"))
    try:
        os.chmod(shared, 0o777)
        readonly = shared / "ops.db"
        assert run_cli("init", db=readonly).returncode == 0
        os.chmod(readonly, 0o644)
        result = _run_as_nobody("--db", str(readonly), "users", "list", site=site)
        one_line_error(result, 3, "permission denied: your login cannot write")
    finally:
        shutil.rmtree(shared)


def test_usage_errors_exit_2(initialised: Path) -> None:
    assert run_cli("no-such-command", db=initialised).returncode == 2
    assert run_cli("alerts", "--fail-on", "panic", db=initialised).returncode == 2


def test_no_app_without_a_terminal(initialised: Path) -> None:
    result = run_cli(db=initialised)
    one_line_error(result, 2, "needs a terminal")


def test_db_check_reports_health(initialised: Path) -> None:
    result = run_cli("db", "check", "--json", db=initialised)
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["ok"]
    assert report["integrity"] == "ok" and report["journal_mode"] == "wal"
    assert report["file_mode"] == "0660" and report["audit_chain"] == "intact"


def test_audit_verify_names_the_first_bad_entry(initialised: Path) -> None:
    ok = run_cli("audit", "verify", "--json", db=initialised)
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"]
    conn = sqlite3.connect(initialised)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET username = 'nobody' WHERE id = 5")
    conn.commit()
    conn.close()
    broken = run_cli("audit", "verify", db=initialised)
    assert broken.returncode == 1
    assert "broken at entry 5" in broken.stdout
    check = run_cli("db", "check", "--json", db=initialised)
    assert check.returncode == 1 and not json.loads(check.stdout)["ok"]


def test_backup_while_another_process_writes(initialised: Path, tmp_path: Path) -> None:
    writer_script = f"""
import sys
from specialops.context import open_context
from specialops.models.core import Department
ctx = open_context({str(initialised)!r})
for i in range(300):
    with ctx.store.write(ctx.actor) as s:
        s.add(Department(code=f"W{{i}}", name=f"寫入{{i}}"))
"""
    writer = subprocess.Popen([sys.executable, "-c", writer_script], env=os.environ.copy())
    copies = []
    for n in range(3):
        target = tmp_path / f"copy{n}.db"
        result = run_cli("backup", str(target), "--json", db=initialised)
        assert result.returncode == 0, result.stderr
        copies.append(target)
    assert writer.wait(timeout=120) == 0
    for copy in copies:
        verify = run_cli("audit", "verify", "--json", db=copy)
        assert verify.returncode == 0 and json.loads(verify.stdout)["ok"], verify.stdout
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()


def test_restore_checks_the_backup_first(initialised: Path, tmp_path: Path) -> None:
    saved = tmp_path / "saved.db"
    assert run_cli("backup", str(saved), db=initialised).returncode == 0
    assert run_cli("users", "add", "newbie", "--name", "新人", db=initialised).returncode == 0

    broken = tmp_path / "broken.db"
    broken.write_bytes(saved.read_bytes()[:4096] + os.urandom(4096))
    refused = run_cli("restore", str(broken), db=initialised)
    assert refused.returncode == 3 and "nothing was restored" in refused.stderr
    users = {
        u["username"] for u in json.loads(run_cli("users", "list", "--json", db=initialised).stdout)
    }
    assert "newbie" in users

    restored = run_cli("restore", str(saved), "--json", db=initialised)
    assert restored.returncode == 0, restored.stderr
    assert Path(json.loads(restored.stdout)["previous"]).exists()
    users = {
        u["username"] for u in json.loads(run_cli("users", "list", "--json", db=initialised).stdout)
    }
    assert "newbie" not in users
    assert run_cli("audit", "verify", db=initialised).returncode == 0


def test_alerts_for_cron(initialised: Path) -> None:
    # the sample data, dated relative to the fixed clock, has critical alerts
    result = run_cli("alerts", "--json", "--fail-on", "critical", db=initialised)
    assert result.returncode == 1
    alerts = json.loads(result.stdout)
    assert {a["severity"] for a in alerts} == {"warning", "critical"}
    assert {"risks", "projects", "tickets"} <= {a["area"] for a in alerts}
    mine = run_cli("alerts", "--json", "--mine", db=initialised, user="liu.fang")
    assert len(json.loads(mine.stdout)) < len(alerts)


def test_headless_commands_never_load_textual(initialised: Path) -> None:
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('LOADED' if 'textual' in sys.modules else 'CLEAN',"
        " file=sys.stderr))\n"
        f"sys.argv = ['specialops', '--db', {str(initialised)!r}, 'users', 'list', '--json']\n"
        "from specialops.cli.main import run\n"
        "run()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "CLEAN"


def test_help_lists_the_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("init", "users", "backup", "restore", "audit", "alerts", "db"):
        assert command in result.stdout
