"""Headless import and export of customers and tickets in Chinese (SPEC §9, CS-1, CS-2)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

CUSTOMERS = [
    ["code", "name", "type", "phone", "email", "address", "tier", "notes"],
    [
        "",
        "王大同",
        "個人",
        "0912-345-678",
        "datong@example.com",
        "台北市信義區松仁路100號",
        "金卡",
        "偏好電話聯絡",
    ],
    [
        "",
        "陈美华",
        "个人",
        "0928-111-222",
        "meihua@example.com",
        "上海市浦东新区世纪大道88号",
        "贵宾",
        "年度贵宾客户",
    ],
    [
        "",
        "永豐餐飲有限公司",
        "公司",
        "02-2771-8888",
        "",
        "台北市大安區忠孝東路四段50號",
        "一般",
        "企業客戶，需要月結",
    ],
]
TICKETS = [
    [
        "code",
        "customer",
        "channel",
        "type",
        "priority",
        "category",
        "subject",
        "description",
        "department",
        "assignee",
        "status",
        "opened_at",
    ],
    [
        "",
        "CUS-000001",
        "热线",
        "投诉",
        "高",
        "物流配送",
        "订单迟迟未出货，请协助查询",
        "客户表示一周前下单至今未收到",
        "",
        "",
        "新建",
        "2026-11-27T17:50:00+08:00",
    ],
    [
        "",
        "CUS-000002",
        "電子郵件",
        "請求",
        "緊急",
        "帳務",
        "發票抬頭開錯需重開",
        "公司統編誤植",
        "",
        "",
        "new",
        "2026-11-30 09:00",
    ],
    [
        "",
        "CUS-000003",
        "walk_in",
        "consultation",
        "low",
        "產品諮詢",
        "產品保固期限詢問",
        "",
        "CS",
        "",
        "",
        "",
    ],
]


@pytest.fixture
def desk_db(cli, db_path: Path) -> Path:
    result = cli("init", "--demo", db=db_path)
    assert result.returncode == 0, result.stderr
    return db_path


def _gbk_csv(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode("gbk"))
    return path


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _fresh(cli, db_path: Path) -> None:
    result = cli("init", db=db_path)
    assert result.returncode == 0, result.stderr
    # Departments and an agent for routing and references.
    conn = sqlite3.connect(db_path)
    conn.close()


def test_gbk_csv_customers_then_xlsx_tickets_import_with_deadlines(cli, tmp_path, db_path) -> None:
    assert cli("init", db=db_path).returncode == 0
    departments = tmp_path / "departments.csv"
    departments.write_text("code,name\nCS,客戶服務部\nFIN,財務部\n", encoding="utf-8")
    assert cli("import", "departments", str(departments), db=db_path).returncode == 0
    people = _gbk_csv(tmp_path / "customers.csv", [r[:] for r in CUSTOMERS])
    result = cli("import", "customers", str(people), "--json", db=db_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["inserted"] == 3 and summary["encoding"] in ("gb18030", "gbk")
    sheet = _xlsx(tmp_path / "tickets.xlsx", TICKETS)
    result = cli("import", "tickets", str(sheet), "--json", db=db_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == 3
    conn = sqlite3.connect(db_path)
    rows = conn.execute(
        "SELECT t.code, t.channel, t.type, t.priority, t.status, d.code, "
        "datetime(t.response_due, '+8 hours'), datetime(t.resolve_due, '+8 hours'), "
        "t.due_at = t.response_due, c.name FROM tickets t LEFT JOIN departments d "
        "ON d.id = t.department_id JOIN customers c ON c.id = t.customer_id ORDER BY t.id"
    ).fetchall()
    fts = conn.execute(
        "SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH '\"抬頭開錯\"'"
    ).fetchall()
    conn.close()
    assert rows[0][:6] == ("TKT-000001", "hotline", "complaint", "high", "new", "CS")
    # Friday 17:50 with a 2-hour first response (high): Monday 10:50; 8 h resolution: Mon 17:50.
    assert rows[0][6:9] == ("2026-11-30 10:50:00", "2026-11-30 17:50:00", 1)
    assert rows[1][1:6] == ("email", "request", "urgent", "new", "FIN")  # routed: 帳務 → FIN
    assert rows[1][6] == "2026-11-30 10:00:00"
    assert rows[2][1:6] == ("walk_in", "consultation", "low", "new", "CS")
    assert rows[1][9] == "陈美华"
    assert fts == [(2,)]


def test_a_bad_ticket_row_is_named_and_nothing_is_written(cli, tmp_path, desk_db) -> None:
    bad = [r[:] for r in TICKETS]
    bad[2][4] = "超急"
    bad[3][1] = "CUS-999999"
    sheet = _gbk_csv(tmp_path / "bad.csv", bad)
    result = cli("import", "tickets", str(sheet), "--json", db=desk_db)
    assert result.returncode == 1
    errors = json.loads(result.stdout)["errors"]
    assert {(e["line"], e["column"]) for e in errors} == {(3, "priority"), (4, "customer")}


def test_tickets_export_and_reimport_with_upsert_changes_nothing(cli, tmp_path, desk_db) -> None:
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"tickets.{fmt}"
        result = cli("export", "tickets", "-o", str(out), db=desk_db)
        assert result.returncode == 0, result.stderr
        again = cli("import", "tickets", str(out), "--upsert", "--json", db=desk_db)
        assert again.returncode == 0, again.stderr
        summary = json.loads(again.stdout)
        assert summary["unchanged"] == 60 and summary["updated"] == summary["inserted"] == 0


def test_followups_and_reviews_export_round_trip(cli, tmp_path, desk_db) -> None:
    for entity in ("followups", "reviews", "customers"):
        out = tmp_path / f"{entity}.csv"
        assert cli("export", entity, "-o", str(out), db=desk_db).returncode == 0
        text = out.read_text("utf-8-sig")
        assert text.splitlines()[0].startswith("code,")
        if entity == "customers":
            assert "0912-345-678" in text  # the admin may see personal data; audited
            continue
        again = cli("import", entity, str(out), "--upsert", "--json", db=desk_db)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["updated"] == 0


def test_schema_lists_the_spec_fields_of_tickets(cli) -> None:
    result = cli("schema", "tickets", "--json")
    assert result.returncode == 0, result.stderr
    names = [f["name"] for f in json.loads(result.stdout)["fields"]]
    assert names == TICKETS[0]
