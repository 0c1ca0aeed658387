"""Data that would steer a terminal reaches the command line's output only as visible text.

The hostile values are written straight into the database (as data that arrived
before imports refused control characters, or by another path), so what is tested
is the output, whatever the input rules are.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import copy_database, run_cli

# Sets the clipboard to "echo pwned", the window title, clears the screen, a colour, an
# 8-bit CSI, a right-to-left override and an isolate.
HOSTILE = "Eve\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]0;owned\x07\x1b[2J\x1b[31m\x9b2J\u202eevil\u2066"
SHOWN = "Eve␛]52;c;ZWNobyBwd25lZA==␇␛]0;owned␇␛[2J␛[31m\\u009b2J\\u202eevil\\u2066"
MARKUP = "[red]x[/red] [@click=app.quit]q[/] :smile:"
BIDI = "Mallory \u202eevil\u2066"
BIDI_SHOWN = "Mallory \\u202eevil\\u2066"
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def _assert_clean(result: subprocess.CompletedProcess[str]) -> None:
    for name in ("stdout", "stderr"):
        found = FORBIDDEN.search(getattr(result, name))
        assert found is None, f"{name} holds {found.group()!r}: {getattr(result, name)!r}"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Path:
    """The demo data with hostile names, subjects and titles written in directly."""
    db = copy_database(demo_template, tmp_path_factory.mktemp("hostile") / "ops.db")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE users SET name = ? WHERE username = 'zhao.wei'", (HOSTILE,))
        conn.execute("UPDATE users SET name = ? WHERE username = 'liu.fang'", (MARKUP,))
        conn.execute("UPDATE tickets SET subject = ?", (HOSTILE,))
        conn.execute("UPDATE risks SET title = ?", (HOSTILE,))
    conn.close()
    return db


def test_users_list_shows_control_characters_and_markup_as_text(hostile_db: Path) -> None:
    result = run_cli("users", "list", db=hostile_db)
    assert result.returncode == 0, result.stderr
    _assert_clean(result)
    assert SHOWN in result.stdout
    assert MARKUP in result.stdout  # literally: no colour, no link, no emoji


def test_users_list_json_escapes_and_reads_back_the_stored_names(hostile_db: Path) -> None:
    result = run_cli("users", "list", "--json", db=hostile_db)
    assert result.returncode == 0, result.stderr
    _assert_clean(result)
    names = {u["username"]: u["name"] for u in json.loads(result.stdout)}
    assert names["zhao.wei"] == HOSTILE
    assert names["liu.fang"] == MARKUP


def test_alerts_show_ticket_and_risk_text_visibly(hostile_db: Path) -> None:
    result = run_cli("alerts", db=hostile_db)
    assert result.returncode == 0, result.stderr
    _assert_clean(result)
    lines = [line for line in result.stdout.splitlines() if SHOWN in line]
    assert {line.split()[1] for line in lines} >= {"tickets", "risks"}
    as_json = run_cli("alerts", "--json", db=hostile_db)
    _assert_clean(as_json)
    messages = [a["message"] for a in json.loads(as_json.stdout)]
    assert any(message.endswith(HOSTILE) for message in messages)


def test_an_import_problem_quotes_the_bad_value_visibly(hostile_db: Path, tmp_path: Path) -> None:
    rows = tmp_path / "users.csv"
    rows.write_text(
        f"username,name,role,department\nx1,Ann,boss{BIDI},PMO\nx2,Bob,staff,Q{HOSTILE}\n",
        encoding="utf-8",
    )
    result = run_cli("import", "users", str(rows), db=hostile_db)
    assert result.returncode == 1, result.stderr
    _assert_clean(result)
    problems = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    assert len(problems) == 2, result.stderr  # one line each, whatever the value holds
    assert f"boss{BIDI_SHOWN}" in problems[0]
    assert "nothing written" in result.stdout


def test_an_error_quoting_data_is_one_visible_line(hostile_db: Path) -> None:
    for login, shown in ((f"ghost{BIDI}", f"ghost{BIDI_SHOWN}"), (f"ghost{HOSTILE}\nx", None)):
        result = run_cli("users", "set-role", login, "admin", db=hostile_db)
        assert result.returncode == 1, result.stderr
        _assert_clean(result)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("specialops: "), result.stderr
        if shown is not None:
            assert shown in lines[0]


def test_a_user_added_with_bidi_characters_lists_visibly(hostile_db: Path) -> None:
    added = run_cli("users", "add", "mallory", "--name", BIDI, "--role", "staff", db=hostile_db)
    _assert_clean(added)
    if added.returncode != 0:  # input rules may refuse the name: then in one clear line
        assert len(added.stderr.splitlines()) == 1, added.stderr
        return
    listed = run_cli("users", "list", db=hostile_db)
    _assert_clean(listed)
    assert BIDI_SHOWN in listed.stdout


def test_an_imported_customer_is_reported_visibly_and_stored_as_it_came(
    hostile_db: Path, tmp_path: Path
) -> None:
    rows = tmp_path / "customers.csv"
    rows.write_text(f"name,type\n{BIDI},company{BIDI}\n", encoding="utf-8")
    refused = run_cli("import", "customers", str(rows), db=hostile_db)
    assert refused.returncode == 1, refused.stderr
    _assert_clean(refused)
    assert f"company{BIDI_SHOWN}" in refused.stderr

    rows.write_text(f"name,type\n{BIDI},company\n", encoding="utf-8")
    imported = run_cli("import", "customers", str(rows), "--json", db=hostile_db)
    assert imported.returncode == 0, imported.stderr
    _assert_clean(imported)
    assert json.loads(imported.stdout)["inserted"] == 1
    conn = sqlite3.connect(hostile_db)
    stored = conn.execute("SELECT count(*) FROM customers WHERE name = ?", (BIDI,))
    assert stored.fetchone()[0] == 1  # only output is made safe: stored as it came
    conn.close()


def _export_to_a_terminal(db: Path, *args: str) -> tuple[int, str]:
    """Run ``export`` with standard output on a pseudo-terminal; its code and what it showed."""
    import os
    import pty
    import sys

    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "specialops", "--db", str(db), "export", *args],
            stdout=follower,
            stderr=subprocess.PIPE,
            env={**os.environ, "SPECIALOPS_USER": "chen.admin"},
        )
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other side closed
                break
            if not chunk:
                break
            shown += chunk
        _, err = process.communicate(timeout=120)
    finally:
        os.close(leader)
    return process.returncode, shown.decode("utf-8") + err.decode("utf-8")


def test_an_export_to_a_terminal_shows_controls_and_to_a_pipe_keeps_every_byte(
    hostile_db: Path,
) -> None:
    code, shown = _export_to_a_terminal(hostile_db, "users", "--where", "username=zhao.wei")
    assert code == 0, shown
    assert SHOWN in shown
    assert FORBIDDEN.search(shown.replace("\r\n", "\n")) is None
    piped = run_cli("export", "users", "--format", "jsonl", db=hostile_db)
    assert piped.returncode == 0, piped.stderr
    names = {row["username"]: row["name"] for row in map(json.loads, piped.stdout.splitlines())}
    assert names["zhao.wei"] == HOSTILE


def test_a_workbook_is_not_written_to_a_terminal(hostile_db: Path) -> None:
    code, shown = _export_to_a_terminal(hostile_db, "users", "--format", "xlsx")
    assert code != 0
    assert "a workbook is not for a terminal" in shown
    assert "PK" not in shown
