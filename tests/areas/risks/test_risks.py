"""Risk register rules: matrix, expected loss, indicators, acceptance approval, alerts."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from specialops import alerts, clock, settings
from specialops import workflow as wf
from specialops.areas.people.actions import add_user, resolve_actor
from specialops.areas.risks import actions as risks
from specialops.areas.risks import feeds as risk_feeds
from specialops.areas.risks import rules
from specialops.areas.risks.models import IndicatorReading, Risk
from specialops.errors import PermissionDenied, TransitionDenied, ValidationError
from specialops.identity import Actor
from specialops.models.core import AuditEntry, Setting


@pytest.mark.parametrize(
    ("likelihood", "impact", "level"),
    [
        (1, 1, "low"),
        (1, 4, "medium"),
        (3, 3, "medium"),
        (3, 4, "high"),
        (5, 1, "medium"),
        (5, 4, "critical"),
        (5, 5, "critical"),
        (4, 5, "critical"),
        (2, 5, "high"),
    ],
)
def test_default_matrix(likelihood: int, impact: int, level: str) -> None:
    assert rules.Matrix().level(likelihood, impact) == level


@pytest.mark.parametrize("bad", [0, 6, -1, 2.5, True, "3"])
def test_the_scales_run_from_1_to_5(bad) -> None:
    with pytest.raises(ValidationError, match="1 to 5"):
        rules.Matrix().level(bad, 3)


def test_a_configured_matrix_changes_levels(ctx) -> None:
    with ctx.store.read() as session:
        assert not settings.is_set(session, risks.MATRIX)
        assert risks.load_matrix(session) == rules.Matrix()
    grid = ("CCCCC", "HHHHH", "MMMMM", "LLLLL", "LLLLL")
    risks.set_matrix(ctx.store, ctx.actor, grid)
    with ctx.store.read() as session:
        matrix = risks.load_matrix(session)
        assert settings.is_set(session, risks.MATRIX)
        stored = session.exec(select(Setting).where(Setting.key == "risk.matrix")).one()
    assert matrix.level(5, 1) == "critical" and matrix.level(2, 5) == "low"
    assert json.loads(stored.value) == list(grid)  # the same JSON the matrix was kept as
    with pytest.raises(ValidationError, match="5 rows"):
        risks.set_matrix(ctx.store, ctx.actor, ("LLL",))


def test_only_admins_configure_the_matrix(ctx, people) -> None:
    with pytest.raises(PermissionDenied):
        risks.set_matrix(ctx.store, people["li.jianguo"], ("LLLLL",) * 5)
    with ctx.store.read() as session:
        assert not settings.is_set(session, risks.MATRIX)


@pytest.mark.parametrize(
    ("probability", "loss", "expected"),
    [
        (30, 1_000_000, 300_000),
        (0, 500, 0),
        (100, 12_345, 12_345),
        (33, 1_000, 330),
        (50, 1, 1),
        (None, 100, None),
    ],
)
def test_expected_loss(probability, loss, expected) -> None:
    assert rules.expected_loss(probability, loss) == expected


@pytest.mark.parametrize(
    ("value", "direction", "level"),
    [
        (9.99, "higher_worse", "ok"),
        (10, "higher_worse", "warning"),  # exactly on the warning threshold
        (19.9, "higher_worse", "warning"),
        (20, "higher_worse", "critical"),  # exactly on the critical threshold
        (95, "lower_worse", "ok"),
        (90, "lower_worse", "warning"),
        (80, "lower_worse", "critical"),
        (79, "lower_worse", "critical"),
    ],
)
def test_indicator_levels(value: float, direction: str, level: str) -> None:
    warning, critical = (10, 20) if direction == "higher_worse" else (90, 80)
    assert rules.indicator_level(value, direction, warning, critical) == level


def test_thresholds_must_be_in_order() -> None:
    with pytest.raises(ValidationError, match="critical threshold"):
        rules.check_thresholds("higher_worse", 20, 10)
    with pytest.raises(ValidationError, match="critical threshold"):
        rules.check_thresholds("lower_worse", 80, 90)


@pytest.fixture
def ctx(any_ctx):
    """Each test's database, on SQLite and on a PostgreSQL server in turn."""
    return any_ctx


@pytest.fixture
def demo_ctx(demo_any_ctx):
    """The demo data, on SQLite and on a PostgreSQL server in turn."""
    return demo_any_ctx


@pytest.fixture
def people(ctx):
    from specialops.models.core import Department

    with ctx.store.write(ctx.actor) as session:
        session.add(Department(code="CS", name="客戶服務部"))
    add_user(ctx.store, ctx.actor, "li.jianguo", "李建國", "manager", department="CS")
    add_user(ctx.store, ctx.actor, "lin.zhiyuan", "林志遠", "executive")
    add_user(ctx.store, ctx.actor, "liu.fang", "劉芳", "staff", department="CS")
    add_user(ctx.store, ctx.actor, "sun.li", "孫麗", "auditor")
    return {
        name: resolve_actor(ctx.store, name)
        for name in ("li.jianguo", "lin.zhiyuan", "liu.fang", "sun.li")
    }


def _risk(ctx, manager: Actor, likelihood: int, impact: int) -> Risk:
    risk = risks.identify(
        ctx.store, manager, title="客訴量激增", category="market", owner="li.jianguo"
    )
    return risks.assess(
        ctx.store,
        manager,
        risk.id,
        risk.version,
        likelihood=likelihood,
        impact=impact,
        probability=40,
        loss_amount=5_000_000,
    )


def test_identify_then_assess_moves_to_assessed_and_keeps_history(ctx, people) -> None:
    manager = people["li.jianguo"]
    risk = _risk(ctx, manager, 3, 4)
    assert risk.code == "RSK-0001" and risk.status == "assessed" and risk.level == "high"
    assert risk.expected_loss == 2_000_000
    again = risks.assess(
        ctx.store,
        manager,
        risk.id,
        risk.version,
        likelihood=2,
        impact=2,
        residual=True,
        note="after training",
    )
    assert again.residual_level == "low" and again.level == "high"
    with ctx.store.read() as session:
        detail = risks.detail(session, "RSK-0001")
    assert [a.kind for a in detail.assessments] == ["residual", "inherent"]
    assert detail.department == "客戶服務部"


def test_auditors_cannot_register_risks(ctx, people) -> None:
    with pytest.raises(PermissionDenied):
        risks.identify(
            ctx.store, people["sun.li"], title="x", category="market", owner="li.jianguo"
        )


def test_unknown_category_and_owner_are_named(ctx, people) -> None:
    manager = people["li.jianguo"]
    with pytest.raises(ValidationError, match="unknown risk category space"):
        risks.identify(ctx.store, manager, title="x", category="space", owner="li.jianguo")
    with pytest.raises(ValidationError, match="unknown user ghost"):
        risks.identify(ctx.store, manager, title="x", category="legal", owner="ghost")


def test_accepting_a_high_risk_needs_an_executive(ctx, people) -> None:
    manager, executive = people["li.jianguo"], people["lin.zhiyuan"]
    risk = _risk(ctx, manager, 4, 4)  # high
    with ctx.store.read() as session:
        offered = {t.name for t in wf.available(session, session.get(Risk, risk.id), manager)}
    assert "accept_high" in offered and "accept" not in offered
    with pytest.raises(TransitionDenied, match="needs an executive's approval"):
        risks.transition(ctx.store, manager, risk.id, risk.version, "accept", comment="ok")
    result = risks.transition(
        ctx.store, manager, risk.id, risk.version, "accept_high", comment="成本過高,接受"
    )
    assert not result.applied and result.request_id
    with ctx.store.read() as session:
        assert session.get(Risk, risk.id).status == "assessed"
        assert [p.request_id for p in wf.pending_for(session, executive)[1]] == [result.request_id]
        assert wf.pending_for(session, people["liu.fang"])[1] == []
    wf.vote(ctx.store, result.request_id, executive, approve=True, comment="同意")
    with ctx.store.read() as session:
        accepted = session.get(Risk, risk.id)
    assert accepted.status == "monitoring" and accepted.strategy == "accept"


def test_a_low_risk_is_accepted_without_approval(ctx, people) -> None:
    manager = people["li.jianguo"]
    risk = _risk(ctx, manager, 1, 2)
    result = risks.transition(
        ctx.store, manager, risk.id, risk.version, "accept", comment="影響輕微"
    )
    assert result.applied and result.state == "monitoring"


def test_respond_needs_a_strategy_and_monitor_needs_actions(ctx, people) -> None:
    manager = people["li.jianguo"]
    risk = _risk(ctx, manager, 3, 3)
    with pytest.raises(TransitionDenied, match="choose a strategy"):
        risks.transition(
            ctx.store, manager, risk.id, risk.version, "respond", payload={"strategy": "pray"}
        )
    result = risks.transition(
        ctx.store, manager, risk.id, risk.version, "respond", payload={"strategy": "reduce"}
    )
    with pytest.raises(TransitionDenied, match="at least one response action"):
        risks.transition(ctx.store, manager, risk.id, result.version, "monitor")
    risks.add_action(
        ctx.store,
        manager,
        risk.id,
        title="增加客服人手",
        owner="liu.fang",
        due_date=clock.today() + timedelta(days=7),
    )
    done = risks.transition(ctx.store, manager, risk.id, result.version, "monitor")
    assert done.state == "monitoring"


def _indicator(ctx, manager: Actor, risk: Risk, **kwargs):
    defaults = dict(
        name="客訴逾期率", unit="%", direction="higher_worse", warning=10.0, critical=20.0
    )
    return risks.add_indicator(ctx.store, manager, risk.id, **{**defaults, **kwargs})


def test_readings_crossing_thresholds_both_ways_are_kept_and_alert(ctx, people) -> None:
    manager = people["li.jianguo"]
    risk = _risk(ctx, manager, 3, 3)
    kri = _indicator(ctx, manager, risk)
    steps = [
        (5, "ok", False),
        (10, "warning", True),
        (12, "warning", False),
        (20, "critical", True),
        (9, "ok", True),
    ]
    for value, level, crossed in steps:
        result = risks.record_reading(ctx.store, manager, kri.id, value)
        assert (result.level, result.crossed) == (level, crossed), value
        if value == 20:
            found = alerts.current(ctx.store, manager)
            assert [(a.severity, a.code) for a in found if a.area == "risks"] == [
                ("critical", "RSK-0001")
            ]
            assert "critical ≥ 20%" in found[0].message
            others = alerts.current(
                ctx.store,
                people["sun.li"].__class__(username="zhao", role="staff", department_id=None),
            )
            assert not [a for a in others if a.area == "risks"]
    with ctx.store.read() as session:
        readings = session.exec(select(IndicatorReading).order_by(IndicatorReading.id)).all()
        crossings = session.exec(select(AuditEntry).where(AuditEntry.action == "threshold")).all()
    assert [r.crossed for r in readings] == [s[2] for s in steps]
    assert len(crossings) == 3
    assert not [a for a in alerts.current(ctx.store) if a.area == "risks"]


def test_overdue_reviews_and_actions_raise_alerts(ctx, people) -> None:
    manager = people["li.jianguo"]
    risk = _risk(ctx, manager, 2, 2)
    risks.add_action(
        ctx.store,
        manager,
        risk.id,
        title="簽訂備援合約",
        owner="liu.fang",
        due_date=clock.today() - timedelta(days=20),
    )
    with clock.frozen(clock.now() + timedelta(days=100)):
        found = [a for a in alerts.current(ctx.store) if a.area == "risks"]
    messages = sorted(a.message for a in found)
    assert any(m.startswith("review overdue by 10 days") for m in messages)
    assert any(m.startswith("action overdue by 120 days") for m in messages)
    assert {a.severity for a in found} == {"warning", "critical"}


def test_fed_indicators_take_one_reading_a_day(ctx, people) -> None:
    manager = people["li.jianguo"]
    risk = _risk(ctx, manager, 2, 2)
    risks.add_action(
        ctx.store,
        manager,
        risk.id,
        title="x",
        owner="liu.fang",
        due_date=clock.today() - timedelta(days=1),
    )
    kri = _indicator(
        ctx,
        manager,
        risk,
        name="逾期行動",
        unit="",
        warning=1,
        critical=3,
        feed="overdue_risk_actions",
        feed_arg="CS",
    )
    assert risk_feeds.take_readings(ctx.store) == 1
    assert risk_feeds.take_readings(ctx.store) == 0  # already read today
    assert risk_feeds.take_readings(ctx.store, force=True) == 1
    with ctx.store.read() as session:
        reading = session.exec(
            select(IndicatorReading).where(IndicatorReading.indicator_id == kri.id)
        ).first()
    assert (reading.value, reading.level, reading.source) == (1.0, "warning", "auto")
    with pytest.raises(ValidationError, match="unknown feed"):
        _indicator(ctx, manager, risk, feed="horoscope")


def test_heat_map_counts_inherent_and_residual(ctx, people) -> None:
    manager = people["li.jianguo"]
    _risk(ctx, manager, 3, 4)
    second = _risk(ctx, manager, 3, 4)
    risks.assess(
        ctx.store, manager, second.id, second.version, likelihood=1, impact=2, residual=True
    )
    with ctx.store.read() as session:
        assert risks.heat_map(session) == {(3, 4): 2}
        assert risks.heat_map(session, residual=True) == {(1, 2): 1}


def test_review_date_follows_the_cadence(ctx, people) -> None:
    manager = people["li.jianguo"]
    risk = risks.identify(
        ctx.store, manager, title="x", category="legal", owner="li.jianguo", review_days=30
    )
    assert risk.next_review == date(2026, 12, 28)


def test_cli_alerts_fail_on_and_readings(ctx) -> None:
    import json

    from specialops.areas.risks.models import RiskIndicator
    from specialops.demo import load_demo
    from tests.conftest import run_cli

    # only risks: the sample risks have critical indicators and overdue actions
    load_demo(ctx.store, ctx.actor, only={"departments", "users", "risks"})
    db = ctx.store.path or ctx.store.url
    critical = run_cli("alerts", "--json", "--fail-on", "critical", db=db)
    assert critical.returncode == 1
    found = json.loads(critical.stdout)
    assert any(a["severity"] == "critical" and a["area"] == "risks" for a in found)

    # readings back on the good side clear the indicators' alerts (one through the CLI)
    crossed = [a["message"] for a in found if a["message"].startswith("KRI-")]
    assert len(crossed) >= 2
    first, *others = crossed
    safe = "0" if "≥" in first else "100000"
    back = run_cli("risks", "reading", first.split()[0], safe, "--json", db=db)
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["level"] == "ok"
    with ctx.store.read() as session:
        by_code = {i.code: i for i in session.exec(select(RiskIndicator)).all()}
    for message in others:
        indicator = by_code[message.split()[0]]
        risks.record_reading(ctx.store, ctx.actor, indicator.id, 0 if "≥" in message else 100000)
    after = json.loads(run_cli("alerts", "--json", db=db).stdout)
    assert not [a for a in after if a["message"].startswith("KRI-")]

    added = run_cli(
        "risks", "add-category", "supply2", "--name", "Supply", "--name-zh", "供應", db=db
    )
    assert added.returncode == 0
    staff = run_cli(
        "risks", "add-category", "x", "--name", "x", "--name-zh", "x", db=db, user="liu.fang"
    )
    assert staff.returncode == 1 and "may not" in staff.stderr
    unknown = run_cli("risks", "reading", "KRI-9999", "1", db=db)
    assert unknown.returncode == 1 and "KRI-9999" in unknown.stderr
    matrix = run_cli("risks", "matrix", "--json", db=db)
    assert json.loads(matrix.stdout)["grid"][0] == "MHHCC"
    fed = run_cli("risks", "read-indicators", "--json", db=db)
    assert fed.returncode == 0 and json.loads(fed.stdout)["readings"] == 0


def test_alerts_fail_on_warning_only_counts_what_exists(ctx, people) -> None:
    import json

    from tests.conftest import run_cli

    db = ctx.store.path or ctx.store.url
    clean = run_cli("alerts", "--json", "--fail-on", "warning", db=db)
    assert clean.returncode == 0 and json.loads(clean.stdout) == []
    manager = people["li.jianguo"]
    risk = _risk(ctx, manager, 2, 2)
    kri = _indicator(ctx, manager, risk)
    risks.record_reading(ctx.store, manager, kri.id, 10)  # warning
    assert run_cli("alerts", "--fail-on", "critical", db=db).returncode == 0
    assert run_cli("alerts", "--fail-on", "warning", db=db).returncode == 1


def test_indicators_fed_by_tickets_and_projects(demo_ctx) -> None:
    from specialops.areas.projects.models import Milestone, Project, ProjectExpense
    from specialops.areas.tickets.models import Ticket
    from specialops.models.core import Department

    ctx = demo_ctx
    with ctx.store.read() as session:
        risk = session.exec(select(Risk).where(Risk.code == "RSK-0009")).one()
        cs = session.exec(select(Department).where(Department.code == "CS")).one()
        running = session.exec(
            select(Ticket).where(
                Ticket.department_id == cs.id,
                col(Ticket.status).in_(("new", "assigned", "in_progress")),
            )
        ).all()
        now = clock.now()
        late = [t for t in running if t.due_at and t.due_at.astimezone(now.tzinfo) < now]
        project = session.exec(select(Project).where(Project.code == "PRJ-0002")).one()
        spent = sum(
            e.amount
            for e in session.exec(
                select(ProjectExpense).where(ProjectExpense.project_id == project.id)
            ).all()
        )
        overdue = [
            m
            for m in session.exec(select(Milestone).where(Milestone.project_id == project.id)).all()
            if m.achieved_date is None and m.due_date < clock.today()
        ]
    assert running and late and overdue and spent
    expected = {
        "ticket_breach_share": round(100 * len(late) / len(running), 1),
        "project_budget_burn": round(100 * spent / project.budget, 1),
        "overdue_milestones": float(len(overdue)),
    }
    args = {
        "ticket_breach_share": "CS",
        "project_budget_burn": "PRJ-0002",
        "overdue_milestones": "PRJ-0002",
    }
    made = {
        feed: risks.add_indicator(
            ctx.store,
            ctx.actor,
            risk.id,
            name=feed,
            unit="",
            direction="higher_worse",
            warning=1,
            critical=2,
            feed=feed,
            feed_arg=arg,
        )
        for feed, arg in args.items()
    }
    assert risk_feeds.take_readings(ctx.store) >= 3
    with ctx.store.read() as session:
        latest = risks.latest_readings(session, [i.id for i in made.values()])
    assert {feed: latest[i.id].value for feed, i in made.items()} == expected
