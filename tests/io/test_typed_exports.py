"""Exports keep their values' types: numbers, money, dates and booleans in XLSX and JSON.

CSV holds text as before; every format reads back through ``import --upsert`` unchanged.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from specialops.io.writers import excel_keeps
from tests.conftest import run_cli

ENTITIES = ("customers", "users", "risks", "projects", "readings", "tickets", "reviews")


def export(db: Path, entity: str, target: Path, *args: str) -> Path:
    done = run_cli("export", entity, "-o", str(target), *args, db=db)
    assert done.returncode == 0, done.stderr
    return target


def sheet(path: Path) -> Any:
    from openpyxl import load_workbook

    return load_workbook(path).worksheets[0]


def cells(path: Path) -> list[dict[str, Any]]:
    """The workbook's data rows as column → openpyxl cell."""
    rows = list(sheet(path).iter_rows())
    header = [c.value for c in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def stored(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_a_workbook_holds_money_dates_and_integers_as_numbers(
    demo_db: Path, tmp_path: Path
) -> None:
    rows = cells(export(demo_db, "projects", tmp_path / "p.xlsx"))
    budgets = dict(stored(demo_db, "SELECT code, budget FROM projects"))
    days = dict(stored(demo_db, "SELECT code, start_date FROM projects"))
    assert len(rows) == len(budgets) > 0
    for row in rows:
        code = row["code"].value
        budget, start, version = row["budget"], row["start_date"], row["version"]
        assert budget.data_type == "n" and budget.number_format == "#,##0.00"
        assert Decimal(str(budget.value)) == Decimal(budgets[code]) / 100
        assert start.is_date and start.number_format == "yyyy-mm-dd"
        assert start.value.date().isoformat() == days[code]
        assert version.data_type == "n" and isinstance(version.value, int)
        assert row["name"].data_type == "s"


def test_a_workbook_holds_integers_percents_and_booleans_as_such(
    demo_db: Path, tmp_path: Path
) -> None:
    risks = cells(export(demo_db, "risks", tmp_path / "r.xlsx"))
    assessed = [r for r in risks if r["likelihood"].value is not None]
    assert assessed
    for row in assessed:
        for name in ("likelihood", "impact", "probability"):
            assert isinstance(row[name].value, int) and row[name].data_type == "n"
    losses = [r["loss_amount"] for r in risks if r["loss_amount"].value is not None]
    assert losses and all(c.number_format == "#,##0.00" for c in losses)
    reviews = cells(export(demo_db, "reviews", tmp_path / "q.xlsx"))
    passed = [r["passed"] for r in reviews if r["passed"].value is not None]
    assert passed and all(c.data_type == "b" for c in passed)
    assert {c.value for c in passed} <= {True, False}
    users = cells(export(demo_db, "users", tmp_path / "u.xlsx"))
    assert all(r["active"].data_type == "b" for r in users)


def test_timestamps_are_iso_text_with_their_offset(demo_db: Path, tmp_path: Path) -> None:
    # The database names no zone of its own and Excel has none: ISO text is the one form
    # that reads back as the same moment anywhere, to the microsecond.
    rows = cells(export(demo_db, "readings", tmp_path / "r.xlsx"))
    assert rows
    for row in rows:
        at = row["at"]
        assert at.data_type == "s"
        moment = datetime.fromisoformat(at.value)
        assert moment.utcoffset() is not None
        assert row["value"].data_type == "n"


def test_the_sheet_is_named_after_the_entity_with_a_frozen_styled_header(
    demo_db: Path, tmp_path: Path
) -> None:
    from openpyxl.utils import get_column_letter

    found = sheet(export(demo_db, "customers", tmp_path / "c.xlsx"))
    assert found.title == "customers"
    assert found.freeze_panes == "A2"
    header = next(found.iter_rows(max_row=1))
    assert [c.value for c in header][-1] == "version"
    assert all(c.font.b for c in header)
    assert all(c.fill.fill_type == "solid" for c in header)
    widths = [found.column_dimensions[get_column_letter(i)].width for i in range(1, 4)]
    assert all(width and width >= 12 for width in widths)
    assert all(c.font.b is not True for c in next(found.iter_rows(min_row=2, max_row=2)))


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_holds_numbers_booleans_nulls_and_iso_dates(
    demo_db: Path, tmp_path: Path, fmt: str
) -> None:
    def load(entity: str) -> list[dict[str, Any]]:
        path = export(demo_db, entity, tmp_path / f"{entity}.{fmt}")
        text = path.read_text("utf-8")
        assert "\\u" not in text  # UTF-8 as it is, nothing escaped
        if fmt == "json":
            return json.loads(text, parse_float=Decimal)
        return [json.loads(line, parse_float=Decimal) for line in text.splitlines()]

    projects = load("projects")
    budgets = dict(stored(demo_db, "SELECT code, budget FROM projects"))
    for row in projects:
        assert row["budget"] == Decimal(budgets[row["code"]]).scaleb(-2)
        assert isinstance(row["budget"], Decimal) and row["budget"].as_tuple().exponent == -2
        assert isinstance(row["start_date"], str) and len(row["start_date"]) == 10
        assert isinstance(row["version"], int)
    assert any("客" in str(row["name"]) or "升級" in str(row["name"]) for row in projects)
    reviews = load("reviews")
    assert {type(r["passed"]) for r in reviews} <= {bool, type(None)}
    assert any(r["passed"] is None for r in reviews) and any(
        r["passed"] is not None for r in reviews
    )
    assert all(isinstance(r["score"], int) for r in reviews if r["score"] is not None)
    risks = load("risks")
    assert all(isinstance(r["probability"], int) for r in risks if r["probability"] is not None)
    readings = load("readings")
    assert all(isinstance(r["value"], Decimal) for r in readings)
    assert all(datetime.fromisoformat(str(r["at"])).utcoffset() is not None for r in readings)
    users = load("users")
    assert all(isinstance(r["active"], bool) for r in users)
    assert list(users[0]) == [
        "username",
        "name",
        "department",
        "role",
        "email",
        "active",
        "version",
    ]


def test_csv_keeps_its_text(demo_db: Path, tmp_path: Path) -> None:
    path = export(demo_db, "projects", tmp_path / "p.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    budgets = dict(stored(demo_db, "SELECT code, budget FROM projects"))
    days = dict(stored(demo_db, "SELECT code, start_date FROM projects"))
    for row in rows:
        minor = budgets[row["code"]]
        assert row["budget"] == f"{minor // 100}.{minor % 100:02d}"
        assert row["start_date"] == days[row["code"]]


def test_a_number_excel_would_round_is_written_as_its_text(demo_db: Path, tmp_path: Path) -> None:
    with sqlite3.connect(demo_db) as conn:
        conn.execute("UPDATE projects SET budget = 123456789012345678 WHERE code = 'PRJ-0001'")
    workbook = export(demo_db, "projects", tmp_path / "p.xlsx")
    rows = {r["code"].value: r for r in cells(workbook)}
    assert rows["PRJ-0001"]["budget"].value == "1234567890123456.78"
    assert rows["PRJ-0002"]["budget"].data_type == "n"
    again = run_cli(
        "import", "projects", str(tmp_path / "p.xlsx"), "--upsert", "--json", db=demo_db
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["updated"] == 0


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (10**15 - 1, True),
        (-(10**15), False),
        (Decimal("1234567890123.45"), True),
        (Decimal("12345678901234.56"), False),
        (Decimal("1E+20"), True),
        (0.1, True),
        (0.1 + 0.2, False),  # 0.30000000000000004: openpyxl would write 0.3
        (float("inf"), False),
        (Decimal("NaN"), False),
        (Decimal("0.00"), True),
    ],
)
def test_excel_keeps_numbers_of_fifteen_digits(value: object, kept: bool) -> None:
    assert excel_keeps(value) is kept  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["xlsx", "json", "jsonl", "csv"])
def test_every_export_reads_back_unchanged(demo_db: Path, tmp_path: Path, fmt: str) -> None:
    for entity in ENTITIES:
        path = export(demo_db, entity, tmp_path / f"{entity}.{fmt}")
        count = len(stored(demo_db, f"SELECT id FROM {_table(entity)}"))
        done = run_cli("import", entity, str(path), "--upsert", "--json", db=demo_db)
        assert done.returncode == 0, (entity, done.stderr)
        summary = json.loads(done.stdout)
        assert (summary["inserted"], summary["updated"], summary["unchanged"]) == (0, 0, count), (
            entity,
            summary,
        )


def _table(entity: str) -> str:
    from specialops import entities

    return entities.get(entity).model.__tablename__
