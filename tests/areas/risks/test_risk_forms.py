"""The risk forms read dates and numbers as imports read them (one grammar for both)."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from specialops.app import make_app
from specialops.areas.risks.models import IndicatorReading, Risk, RiskAction, RiskIndicator
from specialops.screens.risks.detail import RiskDetailScreen
from specialops.widgets.form import FormModal
from tests.pilot import pilot_test, settle, wait_until


def _error(form: FormModal, name: str) -> str:
    return str(form.query_one(f"#error-{name}").render())


@pilot_test
async def test_a_response_action_due_on_a_chinese_date(risk_ctx) -> None:
    with risk_ctx.store.read() as session:
        risk = session.exec(select(Risk).order_by(Risk.id)).first()
        before = len(session.exec(select(RiskAction).where(RiskAction.risk_id == risk.id)).all())
    app = make_app(risk_ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(RiskDetailScreen(risk_ctx, risk.code))
        await wait_until(pilot, lambda: getattr(app.screen, "detail", None) is not None)
        await pilot.press("x")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormModal)
        form.query_one("#field-title").value = "Second supplier 第二供應商"
        form.query_one("#field-due_date").value = "2026-13-40"
        await pilot.pause()
        assert "a date like" in _error(form, "due_date")
        form.query_one("#field-due_date").value = "2026年11月28日"
        await pilot.pause()
        assert _error(form, "due_date") == ""
        await pilot.press("f2")
        await wait_until(pilot, lambda: not isinstance(app.screen, FormModal))
    with risk_ctx.store.read() as session:
        found = session.exec(
            select(RiskAction).where(RiskAction.risk_id == risk.id).order_by(RiskAction.id)
        ).all()
    assert len(found) == before + 1
    assert (found[-1].title, found[-1].due_date) == (
        "Second supplier 第二供應商",
        date(2026, 11, 28),
    )


@pilot_test
async def test_an_indicator_reading_with_thousands_separators(risk_ctx) -> None:
    with risk_ctx.store.read() as session:
        indicator = session.exec(select(RiskIndicator).order_by(RiskIndicator.id)).first()
        risk = session.get(Risk, indicator.risk_id)
    app = make_app(risk_ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(RiskDetailScreen(risk_ctx, risk.code))
        await wait_until(pilot, lambda: getattr(app.screen, "detail", None) is not None)
        await pilot.press("g")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormModal)
        form.query_one("#field-indicator").value = indicator.code
        form.query_one("#field-value").value = "1,23"
        await pilot.pause()
        assert _error(form, "value") == "a number"  # a decimal comma, or a typo?
        form.query_one("#field-value").value = "１２ ０００"
        await pilot.pause()
        assert _error(form, "value") == ""
        await pilot.press("f2")
        await wait_until(pilot, lambda: not isinstance(app.screen, FormModal))
    with risk_ctx.store.read() as session:
        newest = session.exec(
            select(IndicatorReading)
            .where(IndicatorReading.indicator_id == indicator.id)
            .order_by(IndicatorReading.id.desc())
        ).first()
    assert newest.value == 12000.0
