"""An export re-imported with ``--upsert`` never writes masks over personal data."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from tests.conftest import run_cli

AUDITOR = "sun.li"  # sees customers' personal data masked
COLLEAGUE = "li.jianguo"  # the customer-service manager


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


# --- an export carries each row's version; an upsert never reverts a later change --------


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _tiers(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT code, tier FROM customers"))


def test_an_upsert_of_a_row_changed_since_the_export_is_refused_naming_who(
    demo_db: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "mine.csv"
    assert run_cli("export", "customers", "-o", str(mine), db=demo_db).returncode == 0
    rows = _rows(mine)
    assert [r["version"] for r in rows] == ["1"] * len(rows)
    # A colleague changes CUS-000001 after my export …
    theirs = _write(
        tmp_path / "theirs.csv", [{"code": "CUS-000001", "name": "王大同", "tier": "regular"}]
    )
    changed = run_cli("import", "customers", str(theirs), "--upsert", user=COLLEAGUE, db=demo_db)
    assert changed.returncode == 0, changed.stderr
    # … then I upload my copy with my own edits to CUS-000001 and CUS-000002.
    rows[0]["notes"] = "我的備註"
    rows[1]["notes"] = "另一筆"
    edited = _write(tmp_path / "edited.csv", rows)
    refused = run_cli("import", "customers", str(edited), "--upsert", db=demo_db)
    assert refused.returncode == 1
    assert (
        "line 2, column version: changed by li.jianguo at 2026-11-28 09:30 after this file "
        "was exported (version 2, the file has 1)" in refused.stderr
    )
    assert _tiers(demo_db)["CUS-000001"] == "regular"
    skipped = run_cli(
        "import", "customers", str(edited), "--upsert", "--on-error", "skip", db=demo_db
    )
    assert skipped.returncode == 0, skipped.stderr
    assert "1 updated" in skipped.stdout and "1 rejected" in skipped.stdout
    with sqlite3.connect(demo_db) as conn:
        notes = dict(conn.execute("SELECT code, notes FROM customers"))
    assert notes["CUS-000002"] == "另一筆"
    assert notes["CUS-000001"] != "我的備註"
    assert _tiers(demo_db)["CUS-000001"] == "regular"  # their change stands


def test_a_stale_row_that_changes_nothing_and_a_file_without_versions_go_through(
    demo_db: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "mine.csv"
    assert run_cli("export", "customers", "-o", str(mine), db=demo_db).returncode == 0
    theirs = _write(
        tmp_path / "theirs.csv", [{"code": "CUS-000003", "name": "林建宏", "tier": "vip"}]
    )
    assert run_cli("import", "customers", str(theirs), "--upsert", db=demo_db).returncode == 0
    rows = _rows(mine)
    rows[2]["tier"] = "vip"  # what they set: nothing to revert
    same = run_cli(
        "import", "customers", str(_write(tmp_path / "s.csv", rows)), "--upsert", db=demo_db
    )
    assert same.returncode == 0, same.stderr
    # A script's file without the version column is taken as it says.
    plain = _write(
        tmp_path / "plain.csv", [{"code": "CUS-000003", "name": "林建宏", "tier": "gold"}]
    )
    assert run_cli("import", "customers", str(plain), "--upsert", db=demo_db).returncode == 0
    assert _tiers(demo_db)["CUS-000003"] == "gold"


def test_a_version_that_is_not_one_is_refused_for_its_row(demo_db: Path, tmp_path: Path) -> None:
    bad = _write(
        tmp_path / "bad.csv",
        [{"code": "CUS-000001", "name": "王大同", "tier": "vip", "version": "latest"}],
    )
    result = run_cli("import", "customers", str(bad), "--upsert", db=demo_db)
    assert result.returncode == 1
    assert "line 2: 'latest' in the version column is not a record version" in result.stderr


def test_every_format_carries_the_version_and_round_trips_unchanged(
    demo_db: Path, tmp_path: Path
) -> None:
    for fmt in ("csv", "json", "jsonl", "xlsx"):
        exported = tmp_path / f"all.{fmt}"
        assert run_cli("export", "tickets", "-o", str(exported), db=demo_db).returncode == 0
        again = run_cli("import", "tickets", str(exported), "--upsert", "--json", db=demo_db)
        assert again.returncode == 0, again.stderr
        summary = json.loads(again.stdout)
        assert (summary["updated"], summary["inserted"]) == (0, 0), (fmt, summary)
