"""The import's options and notes end to end: --map, --sheet, --header-row, title and totals
rows, the zone of times given without one, the everyday names of choices."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from tests.conftest import run_cli


def _file(tmp_path: Path, text: str, name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _one(db: Path, sql: str, *args: object) -> tuple:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchone()


def test_map_reads_another_systems_columns_as_fields(demo_db: Path, tmp_path: Path) -> None:
    source = _file(tmp_path, "會員編號,會員姓名,手機號碼\nCUS-000002,陳美華,0928-111-222\n")
    result = run_cli(
        "import",
        "customers",
        str(source),
        "--upsert",
        "--map",
        "會員編號=code,會員姓名=name",
        "--map",
        "手機號碼=電話",  # a field's Chinese name works as well as its own
        db=demo_db,
    )
    assert result.returncode == 0, result.stderr
    assert _one(demo_db, "SELECT name, phone FROM customers WHERE code = 'CUS-000002'") == (
        "陳美華",
        "0928-111-222",
    )


def test_map_to_an_unknown_field_is_a_usage_error_naming_the_fields(
    demo_db: Path, tmp_path: Path
) -> None:
    source = _file(tmp_path, "a\nb\n")
    result = run_cli("import", "customers", str(source), "--map", "a=colour", db=demo_db)
    assert result.returncode == 2
    assert "--map a=colour: customers have no field 'colour'; fields: code, name" in result.stderr
    bad = run_cli("import", "customers", str(source), "--map", "a", db=demo_db)
    assert bad.returncode == 2 and "--map takes SOURCE=FIELD" in bad.stderr


def test_a_title_above_the_header_and_a_totals_row_below_are_noted_not_imported(
    demo_db: Path, tmp_path: Path
) -> None:
    source = _file(
        tmp_path,
        "客戶名單 2026年11月,,\n,,\ncode,name,notes\n,王大同,\n,李小華,\n合計,2,\n",
    )
    result = run_cli("import", "customers", str(source), "--json", db=demo_db)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["inserted"] == 2
    assert any("above the header were passed over" in n for n in summary["notes"])
    assert "row 6 (合計) is a totals row and was not imported" in summary["notes"]
    assert (
        "specialops: note: row 6 (合計)"
        in run_cli("import", "customers", str(source), "--dry-run", db=demo_db).stderr
    )


def test_header_row_given_by_number(demo_db: Path, tmp_path: Path) -> None:
    source = _file(tmp_path, "匯出 by 舊系統\nname,notes\n林新客,第一位\n")
    result = run_cli("import", "customers", str(source), "--header-row", "2", db=demo_db)
    assert result.returncode == 0, result.stderr
    assert _one(demo_db, "SELECT notes FROM customers WHERE name = '林新客'") == ("第一位",)


def test_sheet_by_name_and_a_note_of_the_other_sheets(demo_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "客戶.xlsx"
    book = Workbook()
    first = book.active
    first.title = "十一月"
    first.append(["name"])
    first.append(["十一月的客戶"])
    second = book.create_sheet("十二月")
    second.append(["name"])
    second.append(["十二月的客戶"])
    book.save(path)
    plain = run_cli("import", "customers", str(path), "--json", "--dry-run", db=demo_db)
    assert plain.returncode == 0, plain.stderr
    assert any("十二月" in n and "--sheet" in n for n in json.loads(plain.stdout)["notes"])
    chosen = run_cli("import", "customers", str(path), "--sheet", "十二月", db=demo_db)
    assert chosen.returncode == 0, chosen.stderr
    assert _one(demo_db, "SELECT count(*) FROM customers WHERE name = '十二月的客戶'") == (1,)
    assert _one(demo_db, "SELECT count(*) FROM customers WHERE name = '十一月的客戶'") == (0,)
    wrong = run_cli("import", "customers", str(path), "--sheet", "一月", db=demo_db)
    assert wrong.returncode == 1 and "十一月" in wrong.stderr and "十二月" in wrong.stderr


def test_times_without_a_zone_are_read_in_the_databases_zone_and_said(
    demo_db: Path, tmp_path: Path
) -> None:
    source = _file(tmp_path, "subject,channel,opened_at\n發票,hotline,2026/1/5 14:30\n")
    set_zone = run_cli("db", "zone", "Asia/Taipei", db=demo_db)
    assert set_zone.returncode == 0, set_zone.stderr
    assert "Asia/Taipei, the database's zone" in set_zone.stdout
    result = run_cli("import", "tickets", str(source), "--json", db=demo_db)
    assert result.returncode == 0, result.stderr
    notes = json.loads(result.stdout)["notes"]
    assert "1 time without a time zone was read as Asia/Taipei, the database's zone" in notes
    (opened,) = _one(demo_db, "SELECT opened_at FROM tickets WHERE subject = '發票'")
    assert datetime.fromisoformat(opened).strftime("%H:%M") == "06:30"  # stored in UTC
    given = _file(tmp_path, "subject,channel,opened_at\n附言,hotline,2026-01-05T14:30+08:00\n")
    with_zone = run_cli("import", "tickets", str(given), "--json", db=demo_db)
    assert json.loads(with_zone.stdout)["notes"] == []
    refused = run_cli("db", "zone", "Mars/Olympus", db=demo_db)
    assert refused.returncode == 1 and "not a time zone" in refused.stderr


def test_everyday_names_of_risk_and_task_choices(demo_db: Path, tmp_path: Path) -> None:
    source = _file(
        tmp_path,
        "code,strategy\nRSK-0001,Mitigation\nRSK-0002,承担\n",
    )
    result = run_cli("import", "risks", str(source), "--upsert", db=demo_db)
    assert result.returncode == 0, result.stderr
    assert _one(demo_db, "SELECT strategy FROM risks WHERE code = 'RSK-0001'") == ("reduce",)
    assert _one(demo_db, "SELECT strategy FROM risks WHERE code = 'RSK-0002'") == ("accept",)


def test_rejects_named_as_a_format_only_read_is_refused_before_anything_is_written(
    demo_db: Path, tmp_path: Path
) -> None:
    source = _file(tmp_path, "name,type\n好客戶,individual\n壞客戶,nope\n")
    result = run_cli(
        "import",
        "customers",
        str(source),
        "--on-error",
        "skip",
        "--rejects",
        str(tmp_path / "bad.xls"),
        db=demo_db,
    )
    assert result.returncode == 2
    assert "name the file .xlsx" in result.stderr
    assert _one(demo_db, "SELECT count(*) FROM customers WHERE name = '好客戶'") == (0,)
