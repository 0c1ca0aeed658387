"""Customers' personal data in the audit log: sealed under a key per customer, shown only
to roles that may see it (each reveal logged), and erased on request without breaking
the chain."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from specialops.entities import mask
from tests.conftest import ADMIN, run_cli

AUDITOR = "sun.li"  # may read the log, may not see personal data
MANAGER = "wang.xiaoming"  # may see personal data, may not erase
FIRST = {  # CUS-000001 of the demo data
    "phone": "0912-345-678",
    "email": "datong.wang@example.com",
    "address": "台北市信義區松仁路 100 號 8 樓",
    "id_number": "A123456789",
}
SECOND_PHONE = "0928-111-222"  # CUS-000002


@pytest.fixture
def db(demo_db: Path) -> Path:
    return demo_db


def logged_text(db: Path) -> str:
    """Everything the raw audit_log rows hold, as text."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT code, before, after, comment FROM audit_log").fetchall()
    return "\n".join(str(value) for row in rows for value in row)


def count(db: Path, where: str = "1") -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM audit_log WHERE {where}").fetchone()[0]


def listed(db: Path, user: str, *args: str) -> list[dict]:
    result = run_cli("audit", "list", "--limit", "1000", "--json", *args, db=db, user=user)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def inserted(entries: list[dict], code: str) -> dict:
    return next(e for e in entries if e["code"] == code and e["action"] == "insert")["after"]


def test_the_log_masks_personal_data_for_roles_that_may_not_see_it(db: Path) -> None:
    before = count(db)
    entries = listed(db, AUDITOR, "--entity", "customers")
    shown = inserted(entries, "CUS-000001")
    for name, value in FIRST.items():
        assert shown[name] == mask(value) != value
    assert shown["name"] == "王大同"  # not a personal field
    assert not any(value in json.dumps(entries, ensure_ascii=False) for value in FIRST.values())
    assert count(db) == before  # nothing revealed, nothing logged


def test_roles_that_may_see_it_do_and_the_reveal_is_logged(db: Path) -> None:
    entries = listed(db, ADMIN, "--code", "CUS-000001")
    shown = inserted(entries, "CUS-000001")
    assert {name: shown[name] for name in FIRST} == FIRST
    revealed = listed(db, AUDITOR, "--entity", "customers", "--code", "CUS-000001")[0]
    assert (revealed["action"], revealed["username"]) == ("reveal", ADMIN)
    assert revealed["after"]["fields"] == sorted(FIRST)
    assert revealed["after"]["audit_entries"] == [e["id"] for e in entries[::-1]]
    assert run_cli("audit", "verify", db=db).returncode == 0


def test_a_role_without_the_log_permission_cannot_list_it(db: Path) -> None:
    result = run_cli("audit", "list", db=db, user=MANAGER)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_raw_log_holds_no_phone_number_in_plain_text(db: Path, tmp_path: Path) -> None:
    from specialops.areas.customers import actions
    from specialops.context import open_context

    ctx = open_context(str(db))
    try:
        made = actions.add_customer(
            ctx.store, ctx.actor, "新客戶", phone="0977-000-111", email="new@example.com"
        )
        actions.update_customer(
            ctx.store, ctx.actor, made.code, made.version, {"phone": "0977-222-333"}
        )
    finally:
        ctx.close()
    source = tmp_path / "c.csv"
    source.write_text(
        f"code,name,phone,id_number\n,匯入客戶,0966-123-456,Z100200300\n{made.code},新客戶,0955-444-555,\n",
        encoding="utf-8",
    )
    imported = run_cli("import", "customers", str(source), "--upsert", db=db)
    assert imported.returncode == 0, imported.stderr
    numbers = [
        FIRST["phone"],
        SECOND_PHONE,
        "0977-000-111",
        "0977-222-333",
        "0966-123-456",
        "0955-444-555",
    ]
    with sqlite3.connect(db) as conn:
        stored = {row[0] for row in conn.execute("SELECT phone FROM customers")}
    assert {"0912-345-678", "0966-123-456", "0955-444-555"} <= stored
    text = logged_text(db)
    assert "sealed:v1:" in text
    for value in [*numbers, FIRST["email"], FIRST["id_number"], "Z100200300", "new@example.com"]:
        assert value not in text, value
    # and the people who may see them still can
    history = listed(db, ADMIN, "--code", made.code)
    phones = [(e["before"] or {}).get("phone") for e in history] + [
        (e["after"] or {}).get("phone") for e in history
    ]
    assert {"0977-000-111", "0977-222-333", "0955-444-555"} <= set(phones)
    assert run_cli("audit", "verify", db=db).returncode == 0


def test_erasure_blanks_the_customer_and_leaves_the_log_unreadable_but_intact(db: Path) -> None:
    erased = run_cli("customers", "erase", "CUS-000001", "--reason", "PDPA request 42", db=db)
    assert erased.returncode == 0, erased.stderr
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT name, phone, email, address, id_number, id FROM customers WHERE code = ?",
            ("CUS-000001",),
        ).fetchone()
        key = conn.execute(
            "SELECT key, erased_at FROM customer_keys WHERE customer_id = ?", (row[5],)
        ).fetchone()
    assert row[:5] == ("王大同", None, None, None, None)
    assert key[0] is None and key[1] is not None
    entries = listed(db, ADMIN, "--code", "CUS-000001")
    assert entries[0]["action"] == "erase" and entries[0]["comment"] == "PDPA request 42"
    assert entries[0]["before"] is None and set(entries[0]["after"]) == {"fields"}
    for entry in entries:
        for side in (entry["before"], entry["after"]):
            if isinstance(side, dict) and entry["action"] != "erase":
                for name in FIRST:
                    assert side.get(name) in (None, "[erased]"), (entry, name)
    assert inserted(entries, "CUS-000001")["phone"] == "[erased]"
    assert not any(value in json.dumps(entries, ensure_ascii=False) for value in FIRST.values())
    text = run_cli("audit", "list", "--code", "CUS-000001", db=db)
    assert "[erased]" in text.stdout
    # the chain still holds, and other customers are untouched
    assert run_cli("audit", "verify", db=db).returncode == 0
    assert run_cli("db", "check", db=db).returncode == 0
    assert (
        inserted(listed(db, ADMIN, "--code", "CUS-000002"), "CUS-000002")["phone"] == SECOND_PHONE
    )


def test_an_erased_customer_can_be_given_new_data(db: Path) -> None:
    from specialops.areas.customers import actions
    from specialops.context import open_context

    assert run_cli("customers", "erase", "CUS-000001", "--reason", "request", db=db).returncode == 0
    ctx = open_context(str(db))
    try:
        from specialops.areas.customers.models import Customer
        from specialops.store.records import get_by_code

        with ctx.store.read() as session:
            version = get_by_code(session, Customer, "CUS-000001").version
        actions.update_customer(
            ctx.store, ctx.actor, "CUS-000001", version, {"phone": "0900-000-001"}
        )
    finally:
        ctx.close()
    entries = listed(db, ADMIN, "--code", "CUS-000001")
    assert entries[0]["after"] == {"phone": "0900-000-001"}
    assert inserted(entries, "CUS-000001")["phone"] == "[erased]"
    assert run_cli("audit", "verify", db=db).returncode == 0


def test_only_the_admin_may_erase(db: Path) -> None:
    before = count(db)
    refused = run_cli("customers", "erase", "CUS-000001", "--reason", "asked", db=db, user=MANAGER)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and "may not erase" in refused.stderr
    assert count(db) == before
    with sqlite3.connect(db) as conn:
        phone = conn.execute("SELECT phone FROM customers WHERE code = 'CUS-000001'").fetchone()
    assert phone == (FIRST["phone"],)
    no_reason = run_cli("customers", "erase", "CUS-000001", "--reason", " ", db=db)
    assert no_reason.returncode == 1 and count(db) == before


def test_an_export_filtered_by_phone_logs_the_number_masked(db: Path, tmp_path: Path) -> None:
    exported = run_cli(
        "export", "customers", "--where", f"phone={FIRST['phone']}", "-o", str(tmp_path / "x.csv"),
        db=db,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    text = logged_text(db)
    assert FIRST["phone"] not in text
    assert "phone=********-678" in text
