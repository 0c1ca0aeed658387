"""Risks, indicators and readings through headless import and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from specialops import alerts
from specialops.areas.risks.actions import latest_readings
from specialops.areas.risks.models import IndicatorReading, Risk
from specialops.demo import load_demo
from specialops.io.engine import import_file
from specialops.io.export import export_entity
from tests.conftest import edited_export


@pytest.fixture
def ctx(any_ctx):
    """Each test's database, on SQLite and on a PostgreSQL server in turn."""
    return any_ctx


@pytest.fixture
def risk_db(ctx):
    load_demo(ctx.store, ctx.actor, only={"departments", "users", "risks"})
    return ctx


def _export(ctx, entity: str, path: Path) -> Path:
    export_entity(ctx.store, ctx.actor, entity, path, fmt="csv")
    return path


@pytest.mark.parametrize("entity", ["risks", "indicators", "readings"])
def test_export_then_upsert_changes_nothing(risk_db, tmp_path: Path, entity: str) -> None:
    path = _export(risk_db, entity, tmp_path / f"{entity}.csv")
    summary = import_file(risk_db.store, risk_db.actor, entity, path, upsert=True)
    assert summary.rows > 0
    assert summary.unchanged == summary.rows and summary.rejected == 0


def test_imported_risks_get_levels_expected_loss_and_department(risk_db, tmp_path: Path) -> None:
    source = tmp_path / "new.csv"
    source.write_text(
        "title,category,owner,likelihood,impact,probability,loss_amount\n"
        '"供應商罷工, 停工",supply,li.jianguo,4,5,30,"1,000"\n',
        encoding="utf-8",
    )
    summary = import_file(risk_db.store, risk_db.actor, "risks", source)
    assert summary.inserted == 1
    with risk_db.store.read() as session:
        risk = session.exec(select(Risk).where(Risk.title == "供應商罷工, 停工")).one()
    assert (risk.level, risk.expected_loss) == ("critical", 30_000)
    assert risk.department_id is not None and risk.code == "RSK-0031"


def test_bad_risk_rows_are_named_and_nothing_is_written(risk_db, tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(
        "title,category,owner,likelihood,impact\n"
        "ok,legal,li.jianguo,1,1\n"
        "who,legal,ghost,1,1\n"
        "what,space,li.jianguo,1,1\n"
        "half,legal,li.jianguo,3,\n",
        encoding="utf-8",
    )
    summary = import_file(risk_db.store, risk_db.actor, "risks", source)
    messages = {p.line: p.message for p in summary.errors}
    assert "unknown user ghost" in messages[3]
    assert "unknown risk category space" in messages[4]
    assert "give both or neither" in messages[5]
    with risk_db.store.read() as session:
        assert session.exec(select(Risk).where(Risk.title == "ok")).first() is None


def test_imported_readings_are_checked_and_raise_alerts(risk_db, tmp_path: Path) -> None:
    source = tmp_path / "readings.jsonl"
    # KRI-0004 (higher is worse, warning 3, critical 6) is at 0 in the sample data
    rows = [
        {"indicator": "KRI-0004", "at": "2026-11-28T09:40:00+08:00", "value": "3"},
        {"indicator": "KRI-0004", "at": "2026-11-28T09:50:00+08:00", "value": "6.5"},
    ]
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    summary = import_file(risk_db.store, risk_db.actor, "readings", source)
    assert summary.inserted == 2, summary.errors
    with risk_db.store.read() as session:
        new = session.exec(
            select(IndicatorReading).where(IndicatorReading.source == "import")
        ).all()
        latest = latest_readings(session)
    assert [(r.level, r.previous_level, r.crossed) for r in new] == [
        ("warning", "ok", True),
        ("critical", "warning", True),
    ]
    assert latest[new[0].indicator_id].value == 6.5
    codes = {a.message.split()[0] for a in alerts.current(risk_db.store) if a.area == "risks"}
    assert "KRI-0004" in codes


def test_an_import_neither_skips_nor_takes_risk_workflow_steps(risk_db, tmp_path: Path) -> None:
    new = tmp_path / "new.csv"
    new.write_text(
        "title,category,owner,status\n新風險,legal,li.jianguo,identified\n"
        "已接受,legal,li.jianguo,monitoring\n",
        encoding="utf-8",
    )
    summary = import_file(risk_db.store, risk_db.actor, "risks", new)
    assert [(p.line, p.column) for p in summary.errors] == [(3, "status")]
    assert "start as identified, not monitoring" in summary.errors[0].message
    with risk_db.store.read() as session:
        risk = session.exec(select(Risk).where(Risk.status != "identified")).first()
    assert risk is not None
    moved = edited_export(risk_db, "risks", risk.code, tmp_path, status="closed")
    refused = import_file(risk_db.store, risk_db.actor, "risks", moved, upsert=True)
    assert [(p.line, p.column) for p in refused.errors] == [(2, "status")]
    assert f"({risk.status} → closed)" in refused.errors[0].message
    with risk_db.store.read() as session:
        assert session.get(Risk, risk.id).status == risk.status


def test_an_upsert_of_likelihood_and_impact_computes_the_level_again(
    risk_db, tmp_path: Path
) -> None:
    with risk_db.store.read() as session:
        risk = session.exec(select(Risk).where(Risk.likelihood.is_not(None))).first()  # type: ignore[union-attr]
    assert risk is not None and risk.level != "critical"
    source = tmp_path / "partial.csv"
    source.write_text(f"code,likelihood,impact\n{risk.code},5,5\n", encoding="utf-8")
    summary = import_file(risk_db.store, risk_db.actor, "risks", source, upsert=True)
    assert (summary.updated, summary.errors) == (1, [])
    with risk_db.store.read() as session:
        again = session.exec(select(Risk).where(Risk.code == risk.code)).one()
    assert (again.likelihood, again.impact, again.level) == (5, 5, "critical")
    assert again.department_id == risk.department_id  # kept: the file names none
    entry = json.loads(_last_entry(risk_db, risk.code))
    assert entry["level"] == "critical"


def _last_entry(ctx, code: str) -> str:
    with ctx.store.engine.connect() as conn:
        return conn.execute(
            text("SELECT after FROM audit_log WHERE code = :code ORDER BY id DESC LIMIT 1"),
            {"code": code},
        ).scalar()
