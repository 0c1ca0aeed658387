"""Record codes as people type them find their records: never a new record, never unknown."""

from __future__ import annotations

import sqlite3

import pytest

from specialops.entities import code_key
from tests.conftest import run_cli


@pytest.mark.parametrize(
    "typed", ["cus-000002", "CUS－000002", "ＣＵＳ-０００００２", " CUS—000002 ", "Cus‐000002"]
)
def test_code_key_gives_the_stored_code(typed: str) -> None:
    assert code_key(typed) == "CUS-000002"


def test_an_upsert_by_a_code_typed_otherwise_updates_and_a_reference_resolves(
    demo_db, tmp_path
) -> None:
    with sqlite3.connect(demo_db) as conn:
        before = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    customers = tmp_path / "c.csv"
    customers.write_text(
        "code,name,tier\ncus-000002,陳美華,regular\nＣＵＳ－000003,林建宏,vip\n", encoding="utf-8"
    )
    result = run_cli("import", "customers", str(customers), "--upsert", db=demo_db)
    assert result.returncode == 0, result.stderr
    assert "0 inserted, 2 updated" in result.stdout
    with sqlite3.connect(demo_db) as conn:
        assert conn.execute("SELECT count(*) FROM customers").fetchone()[0] == before
        tiers = dict(conn.execute("SELECT code, tier FROM customers"))
    assert (tiers["CUS-000002"], tiers["CUS-000003"]) == ("regular", "vip")
    tickets = tmp_path / "t.csv"
    tickets.write_text("subject,customer\n查詢訂單,cus－000003\n", encoding="utf-8")
    opened = run_cli("import", "tickets", str(tickets), db=demo_db)
    assert opened.returncode == 0, opened.stderr
    with sqlite3.connect(demo_db) as conn:
        (customer,) = conn.execute(
            "SELECT c.code FROM tickets t JOIN customers c ON c.id = t.customer_id "
            "WHERE t.subject = '查詢訂單'"
        ).fetchone()
    assert customer == "CUS-000003"
