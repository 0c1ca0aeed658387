"""``audit verify`` reads the log as stored: any edit of an entry, whatever it does to the
value's type or format, is named in one line, never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import run_cli


def tamper(db: Path, statement: str) -> int:
    """Run ``statement`` on the log behind the application's back; return the entry it hit.

    ``:id`` stands for an update entry in the middle of the log, ``:last`` for the last.
    """
    conn = sqlite3.connect(db)
    try:
        middle, last = conn.execute(
            "SELECT min(id) FILTER (WHERE action = 'update' AND before IS NOT NULL), max(id) "
            "FROM audit_log"
        ).fetchone()
        conn.execute("DROP TRIGGER audit_log_no_update")
        sql = statement.replace(":id", str(middle)).replace(":last", str(last))
        assert conn.execute(sql).rowcount == 1
        conn.commit()
        return (
            conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
            if ":last" in (statement)
            else middle
        )
    finally:
        conn.close()


EDITS = {
    "garbage time": "UPDATE audit_log SET at = 'garbage' WHERE id = :id",
    "time as a number": "UPDATE audit_log SET at = 12345 WHERE id = :id",
    "same time, other format": "UPDATE audit_log SET at = replace(at, ' ', 'T') WHERE id = :id",
    "time as a blob": "UPDATE audit_log SET at = CAST(at AS BLOB) WHERE id = :id",
    "username": "UPDATE audit_log SET username = 'nobody' WHERE id = :id",
    "before": """UPDATE audit_log SET "before" = replace("before", '"', ' "') WHERE id = :id""",
    "a column set NULL": "UPDATE audit_log SET code = NULL WHERE id = :id",
    "record id as text": "UPDATE audit_log SET record_id = 'x' || record_id WHERE id = :id",
    "after as a blob": """UPDATE audit_log SET "after" = CAST("after" AS BLOB) WHERE id = :id""",
    "text that is not UTF-8": "UPDATE audit_log SET username = CAST(X'FF' AS TEXT) WHERE id = :id",
    "hash as a number": "UPDATE audit_log SET hash = 7 WHERE id = :id",
    "renumbered last entry": "UPDATE audit_log SET id = id + 10 WHERE id = :last",
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_any_edit_is_named_in_one_line(demo_db: Path, edit: str) -> None:
    assert run_cli("audit", "verify", db=demo_db).returncode == 0
    entry = tamper(demo_db, EDITS[edit])
    result = run_cli("audit", "verify", db=demo_db)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stderr.strip() == ""
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    assert f"broken at entry {entry}:" in lines[0]
    as_json = run_cli("audit", "verify", "--json", db=demo_db)
    assert as_json.returncode == 1 and f'"first_bad_id": {entry}' in as_json.stdout


def test_db_check_reports_the_edit_too(demo_db: Path) -> None:
    entry = tamper(demo_db, EDITS["garbage time"])
    result = run_cli("db", "check", db=demo_db)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"audit log broken at entry {entry}" in result.stdout


def test_a_removed_middle_entry_breaks_the_next_link(demo_db: Path) -> None:
    conn = sqlite3.connect(demo_db)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE id = 10")
    conn.commit()
    conn.close()
    result = run_cli("audit", "verify", db=demo_db)
    assert result.returncode == 1
    assert "broken at entry 11: its link to the previous entry is broken" in result.stdout


def test_audit_list_shows_edited_entries_without_failing(demo_db: Path) -> None:
    entry = tamper(demo_db, EDITS["time as a number"])
    result = run_cli("audit", "list", "--limit", "1000", "--json", db=demo_db)
    assert result.returncode == 0, result.stderr
    assert f'"id": {entry}, "at": null' in result.stdout
