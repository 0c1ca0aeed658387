"""An export re-imported with ``--upsert`` never writes masks over personal data."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from tests.conftest import run_cli

AUDITOR = "sun.li"  # sees customers' personal data masked


def _phones(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT code, phone FROM customers WHERE phone IS NOT NULL"))


def test_a_masked_export_reimported_by_an_admin_is_refused_and_changes_nothing(
    demo_db: Path, tmp_path: Path
) -> None:
    before = _phones(demo_db)
    exported = tmp_path / "masked.csv"
    made = run_cli("export", "customers", "-o", str(exported), user=AUDITOR, db=demo_db)
    assert made.returncode == 0, made.stderr
    assert "masked: address, email, id_number, phone" in made.stderr
    for dry in ((), ("--dry-run",)):
        result = run_cli(
            "import", "customers", str(exported), "--upsert", "--json", *dry, db=demo_db
        )
        assert result.returncode == 1, result.stderr
        assert "line 2, column phone: '********-678' is masked" in result.stderr
        assert json.loads(result.stdout)["updated"] == 0
    assert _phones(demo_db) == before


def test_skip_keeps_the_masked_rows_out_and_takes_a_full_value(
    demo_db: Path, tmp_path: Path
) -> None:
    before = _phones(demo_db)
    exported = tmp_path / "masked.csv"
    assert (
        run_cli("export", "customers", "-o", str(exported), user=AUDITOR, db=demo_db).returncode
        == 0
    )
    with exported.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # One row given full values again, as someone who may see them types them.
    rows[0].update(
        phone="0911-000-111", email="new@example.com", address="台北市", id_number="A100000001"
    )
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = run_cli(
        "import", "customers", str(edited), "--upsert", "--on-error", "skip", db=demo_db
    )
    assert result.returncode == 0, result.stderr
    after = _phones(demo_db)
    assert after[rows[0]["code"]] == "0911-000-111"
    assert {k: v for k, v in after.items() if k != rows[0]["code"]} == {
        k: v for k, v in before.items() if k != rows[0]["code"]
    }


def test_a_new_customer_with_a_masked_value_is_refused(demo_db: Path, tmp_path: Path) -> None:
    source = tmp_path / "new.csv"
    source.write_text("name,phone\n新客戶,****-123\n", encoding="utf-8")
    result = run_cli("import", "customers", str(source), db=demo_db)
    assert result.returncode == 1
    assert "line 2, column phone: '****-123' is masked" in result.stderr
