"""``db check`` knows the triggers the schema defines: a missing, changed or planted trigger
is a problem (exit 1), named in its report."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from specialops.store.check import expected_triggers
from specialops.store.migrate import head
from tests.conftest import run_cli
from tests.layout import CHECKOUT

AUDIT_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete")


@pytest.fixture
def db(demo_db: Path) -> Path:
    return demo_db


def sql(db: Path, *statements: str) -> None:
    conn = sqlite3.connect(db)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def check(db: Path) -> tuple[int, dict]:
    result = run_cli("db", "check", "--json", db=db)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_a_healthy_database_lists_the_expected_triggers(db: Path) -> None:
    code, report = check(db)
    assert code == 0 and report["problems"] == []
    assert set(AUDIT_TRIGGERS) <= set(report["triggers"])
    assert report["triggers"] == sorted(expected_triggers(head()))


@pytest.mark.parametrize("name", AUDIT_TRIGGERS)
def test_each_missing_audit_trigger_is_named(db: Path, name: str) -> None:
    sql(db, f"DROP TRIGGER {name}")
    code, report = check(db)
    assert code == 1
    assert f"trigger {name} is missing" in report["problems"]
    text = run_cli("db", "check", db=db)
    assert text.returncode == 1 and f"trigger {name} is missing" in text.stdout


def test_every_expected_trigger_is_checked(db: Path) -> None:
    names = sorted(expected_triggers(head()))
    sql(db, *(f"DROP TRIGGER {name}" for name in names))
    code, report = check(db)
    assert code == 1
    assert [p for p in report["problems"] if p.startswith("trigger ")] == [
        f"trigger {name} is missing" for name in names
    ]


def test_a_planted_trigger_is_unknown(db: Path) -> None:
    sql(
        db,
        "CREATE TRIGGER audit_log_tidy AFTER INSERT ON audit_log "
        "BEGIN DELETE FROM customers WHERE id = 1; END",
    )
    code, report = check(db)
    assert code == 1
    assert "unknown trigger audit_log_tidy on audit_log" in report["problems"]


def test_a_replaced_trigger_is_changed(db: Path) -> None:
    # Same name, but it no longer refuses: it quietly lets the update through.
    sql(
        db,
        "DROP TRIGGER audit_log_no_update",
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT 1; END",
    )
    code, report = check(db)
    assert code == 1
    assert (
        "trigger audit_log_no_update differs from the one the schema defines"
        in (report["problems"])
    )


def test_trigger_names_are_declared_once() -> None:
    sources = list((CHECKOUT / "specialops").rglob("*.py"))
    for name in AUDIT_TRIGGERS:
        holding = [p.name for p in sources if name in p.read_text(encoding="utf-8")]
        assert holding == ["0001_core.py"], (name, holding)
