"""The risk register and risk detail screens, driven by keys (Pilot) and as snapshots."""

from __future__ import annotations

import pytest
from sqlmodel import select

from specialops import alerts
from specialops.app import make_app
from specialops.areas.risks.models import IndicatorReading, Risk, RiskIndicator
from specialops.screens.risks.detail import RiskDetailScreen
from specialops.screens.risks.register import RiskRegisterScreen
from specialops.screens.shell import registry
from specialops.widgets.form import FormModal
from specialops.widgets.heat_map import HeatMap
from specialops.widgets.record_list import RecordList
from tests.pilot import pilot_test, settle


async def open_register(pilot) -> None:
    await settle(pilot)
    await pilot.press(registry.number_keys()["risks"])
    await settle(pilot)


def _shown(app) -> int:
    return app.screen.query_one(RecordList).rows.count


@pilot_test
async def test_moving_onto_a_heat_map_cell_filters_the_list(risk_ctx):
    app = make_app(risk_ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_register(pilot)
        assert isinstance(app.screen, RiskRegisterScreen)
        with risk_ctx.store.read() as session:
            open_risks = session.exec(select(Risk).where(Risk.status != "closed")).all()
        assert _shown(app) == len(open_risks)
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.focused, HeatMap)
        await pilot.press("up", "right")  # from L3×I3 to L4×I4
        await settle(pilot)
        expected = [r.code for r in open_risks if (r.likelihood, r.impact) == (4, 4)]
        assert _shown(app) == len(expected) > 0
        rows = app.screen.query_one(RecordList).rows
        assert [rows.source.page(0, 10)[i]["code"] for i in range(len(expected))] == expected
        await pilot.press("escape")
        await settle(pilot)
        assert _shown(app) == len(open_risks)


@pilot_test
async def test_level_and_status_filters(risk_ctx):
    app = make_app(risk_ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_register(pilot)
        await pilot.press("l")  # critical
        await settle(pilot)
        with risk_ctx.store.read() as session:
            critical = session.exec(
                select(Risk).where(Risk.level == "critical", Risk.status != "closed")
            ).all()
            everything = session.exec(select(Risk)).all()
        assert _shown(app) == len(critical) > 0
        await pilot.press("x", "t")  # clear, then status: all (closed too)
        await settle(pilot)
        assert _shown(app) == len(everything)


@pilot_test
async def test_identify_assess_and_a_crossing_reading_by_keys(risk_ctx):
    app = make_app(risk_ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_register(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FormModal)
        await pilot.click("#field-title")
        await pilot.press(*"Supplier strike")
        app.screen.query_one("#field-category").value = "supply"
        await pilot.press("f2")
        await settle(pilot)
        with risk_ctx.store.read() as session:
            risk = session.exec(select(Risk).where(Risk.title == "Supplier strike")).one()
        assert risk.status == "identified" and risk.owner == risk_ctx.actor.username

        app.push_screen(RiskDetailScreen(risk_ctx, risk.code))
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormModal)
        form.query_one("#field-likelihood").value = "7"
        await pilot.pause()
        assert "from 1 to 5" in str(form.query_one("#error-likelihood").render())
        form.query_one("#field-likelihood").value = "4"
        form.query_one("#field-impact").value = "5"
        await pilot.press("f2")
        await settle(pilot)
        with risk_ctx.store.read() as session:
            risk = session.get(Risk, risk.id)
        assert (risk.level, risk.status) == ("critical", "assessed")

        await pilot.press("i")
        await settle(pilot)
        indicator_form = app.screen
        for name, value in (
            ("name", "罷工天數"),
            ("unit", "天"),
            ("warning", "2"),
            ("critical", "5"),
        ):
            indicator_form.query_one(f"#field-{name}").value = value
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        app.screen.query_one("#field-value").value = "5"
        await pilot.press("f2")
        await settle(pilot)
        assert any("crossed into critical" in n.message for n in app._notifications)

    with risk_ctx.store.read() as session:
        indicator = session.exec(
            select(RiskIndicator).where(RiskIndicator.risk_id == risk.id)
        ).one()
        reading = session.exec(
            select(IndicatorReading).where(IndicatorReading.indicator_id == indicator.id)
        ).one()
    assert (reading.value, reading.level, reading.crossed) == (5.0, "critical", True)
    found = [a for a in alerts.current(risk_ctx.store) if a.code == risk.code]
    assert found and found[0].severity == "critical"


@pilot_test
async def test_staff_do_not_see_actions_they_may_not_take(risk_ctx):
    from specialops.areas.people.actions import resolve_actor

    auditor = resolve_actor(risk_ctx.store, "sun.li")
    risk_ctx.actor = auditor
    app = make_app(risk_ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_register(pilot)
        assert app.screen.check_action("new_risk", ()) is False
        app.push_screen(RiskDetailScreen(risk_ctx, "RSK-0001"))
        await settle(pilot)
        for action in ("assess", "step", "add_action", "reading"):
            assert not app.screen.check_action(action, ())
        shown = {a.binding.action for a in app.screen.active_bindings.values() if a.enabled}
        assert "back" in shown
        assert not shown & {"assess(False)", "step", "add_action", "reading"}


async def open_detail(pilot) -> None:
    await open_register(pilot)
    pilot.app.push_screen(RiskDetailScreen(pilot.app.context, "RSK-0019"))
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
def test_register_snapshot(snap_compare, risk_ctx, size):
    app = make_app(risk_ctx, cursor_blink=False, offer_demo=False)
    assert snap_compare(app, terminal_size=size, run_before=open_register)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
def test_detail_snapshot(snap_compare, risk_ctx, size):
    app = make_app(risk_ctx, cursor_blink=False, offer_demo=False)
    assert snap_compare(app, terminal_size=size, run_before=open_detail)
