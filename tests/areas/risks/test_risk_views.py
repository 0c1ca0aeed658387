"""What the risk register and the risk detail read, on the sample risks: frozen views, no rows."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from sqlmodel import SQLModel, select

from specialops.areas.people.actions import resolve_actor
from specialops.areas.risks import screen_queries as views
from specialops.areas.risks.actions import BUILTIN_CATEGORIES
from specialops.areas.risks.models import IndicatorReading, Risk, RiskAction, RiskIndicator
from specialops.context import open_context
from specialops.demo import load_demo
from tests.areas.backends import BACKENDS, new_url


@pytest.fixture(scope="module", params=BACKENDS)
def register(request, tmp_path_factory):
    """The sample departments, users and risks, loaded once: these tests only read."""
    context = open_context(new_url(request, tmp_path_factory.mktemp("risks")), create=True)
    load_demo(context.store, context.actor, only={"departments", "users", "risks"})
    yield context
    context.close()


def _no_rows(value: object) -> None:
    """A frozen view all the way down: no ORM row anywhere inside."""
    assert not isinstance(value, SQLModel)
    if dataclasses.is_dataclass(value):
        assert type(value).__dataclass_params__.frozen  # type: ignore[attr-defined]
        for field in dataclasses.fields(value):
            _no_rows(getattr(value, field.name))
    elif isinstance(value, tuple):
        for item in value:
            _no_rows(item)


def _risks(register) -> list[Risk]:
    with register.store.read() as session:
        return list(session.exec(select(Risk).order_by(Risk.id)).all())


@pytest.mark.parametrize("residual", [False, True])
def test_the_heat_map_counts_the_open_rated_risks_per_cell(register, residual) -> None:
    found = views.register_map(register.store, residual=residual)
    expected = Counter(
        (r.residual_likelihood, r.residual_impact) if residual else (r.likelihood, r.impact)
        for r in _risks(register)
        if r.status != "closed"
        and (r.residual_likelihood if residual else r.likelihood) is not None
    )
    assert dict(found.counts) == dict(expected)
    assert sum(found.counts.values()) > 0
    assert {code for code, _, _ in BUILTIN_CATEGORIES} <= set(found.categories)
    assert found.matrix.level(5, 5) == "critical" and found.matrix.level(1, 1) == "low"


def test_a_risk_detail_is_the_risk_with_its_actions_and_indicator_trend(register) -> None:
    with register.store.read() as session:
        indicator = session.exec(select(RiskIndicator).order_by(RiskIndicator.id)).first()
        risk = session.get(Risk, indicator.risk_id)
        readings = session.exec(
            select(IndicatorReading.value)
            .where(IndicatorReading.indicator_id == indicator.id)
            .order_by(IndicatorReading.at, IndicatorReading.id)
        ).all()
        action_codes = session.exec(
            select(RiskAction.code).where(RiskAction.risk_id == risk.id).order_by(RiskAction.id)
        ).all()
    admin = resolve_actor(register.store, "chen.admin")
    found = views.risk_detail(register.store, admin, risk.code)
    _no_rows(found)
    assert (found.risk.id, found.risk.version, found.risk.code) == (
        risk.id,
        risk.version,
        risk.code,
    )
    assert (found.risk.level, found.risk.owner) == (risk.level, risk.owner)
    assert [a.code for a in found.actions] == list(action_codes)
    shown = next(i for i in found.indicators if i.id == indicator.id)
    assert [r.value for r in shown.readings] == list(readings)[-30:]
    assert (shown.warning, shown.critical) == (indicator.warning, indicator.critical)
    assert found.history, "the audit log has the risk's creation"


def test_the_steps_in_a_risk_detail_are_those_open_to_the_user(register) -> None:
    risk = next(r for r in _risks(register) if r.status == "identified")
    staff = resolve_actor(register.store, "liu.fang")  # staff manage risks
    auditor = resolve_actor(register.store, "sun.li")
    steps = views.risk_detail(register.store, staff, risk.code).steps
    assert views.StepChoice("close", "close") in steps
    assert "reopen" not in [s.name for s in steps]  # only from closed
    assert views.risk_detail(register.store, auditor, risk.code).steps == ()
