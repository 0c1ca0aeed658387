"""Project board rules: earned value, health, the lifecycle's guards, alerts, import/export."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from specialops import alerts, clock
from specialops import workflow as wf
from specialops.areas.people.actions import add_user, resolve_actor
from specialops.areas.projects import actions as svc
from specialops.areas.projects import queries as views
from specialops.areas.projects import rules
from specialops.areas.projects.models import PlanChange, Project, ProjectIssue, RectificationItem
from specialops.areas.projects.workflow import PROJECTS
from specialops.errors import (
    PermissionDenied,
    StaleRecordError,
    TransitionDenied,
    ValidationError,
)
from specialops.models.core import AuditEntry, Department
from specialops.models.workflow import StateHistory

D = date


# --- pure rules, hand-checked ---------------------------------------------------------------

TASKS = [
    # 100 h over 20 days, half the time gone on 11-11, 40 % done
    rules.TaskLine(100, 40, D(2026, 11, 1), D(2026, 11, 21), "in_progress"),
    # 50 h not started yet on 11-11
    rules.TaskLine(50, 0, D(2026, 11, 21), D(2026, 12, 1), "todo"),
]


def test_earned_value_by_hand() -> None:
    ev = rules.earned_value(TASKS, D(2026, 11, 11), budget=1_500_000, spent=500_000)
    # PV = 100 × 0.5 + 50 × 0 = 50 h; EV = 100 × 0.4 = 40 h; SPI = 40 / 50
    assert (ev.total_hours, ev.planned_hours, ev.earned_hours) == (150, 50.0, 40.0)
    assert ev.spi == 0.8
    # EV money = 1,500,000 × 40 / 150 = 400,000; CPI = 400,000 / 500,000
    assert ev.earned_money == 400_000
    assert ev.cpi == 0.8


def test_earned_value_without_plan_or_spend_has_no_indices() -> None:
    ev = rules.earned_value(TASKS, D(2026, 10, 1), budget=1_000, spent=0)
    assert ev.planned_hours == 0 and ev.spi is None and ev.cpi is None
    assert rules.earned_value([], D(2026, 10, 1), 1_000, 10).earned_money is None


def test_cancelled_tasks_do_not_count() -> None:
    tasks = [*TASKS, rules.TaskLine(1000, 0, D(2026, 11, 1), D(2026, 11, 5), "cancelled")]
    assert rules.earned_value(tasks, D(2026, 11, 11), 1_500_000, 500_000).spi == 0.8


@pytest.mark.parametrize(
    ("today", "planned"),
    [(D(2026, 10, 31), 0.0), (D(2026, 11, 1), 0.0), (D(2026, 11, 6), 0.25), (D(2026, 11, 21), 1.0)],
)
def test_planned_fraction(today: date, planned: float) -> None:
    assert rules.planned_fraction(D(2026, 11, 1), D(2026, 11, 21), today) == planned


@pytest.mark.parametrize(
    ("value", "direction", "level"),
    [
        (90, "higher_better", "green"),
        (80, "higher_better", "amber"),  # exactly on the warning threshold
        (70.1, "higher_better", "amber"),
        (70, "higher_better", "red"),  # exactly on the critical threshold
        (3, "lower_better", "green"),
        (5, "lower_better", "amber"),
        (7, "lower_better", "red"),
    ],
)
def test_kpi_levels(value: float, direction: str, level: str) -> None:
    warning, critical = (80, 70) if direction == "higher_better" else (5, 7)
    assert rules.kpi_level(value, direction, warning, critical) == level


def test_kpi_thresholds_must_lie_towards_worse() -> None:
    with pytest.raises(ValidationError):
        rules.check_kpi("higher_better", 90, 70, 80)
    with pytest.raises(ValidationError):
        rules.check_kpi("lower_better", 3, 7, 5)
    rules.check_kpi("lower_better", 3, 5, 7)


def test_health_takes_the_worst_dimension_with_reasons() -> None:
    today = D(2026, 11, 11)
    ms = [rules.MilestoneLine("設計定版", D(2026, 11, 1))]  # 10 days late: amber
    found = rules.health(TASKS, ms, [("首次解決率", "green")], 1_500_000, 500_000, today)
    # SPI 0.8 and CPI 0.8 sit on the red line (below is red): amber
    assert (found.schedule, found.cost, found.kpi, found.colour) == (
        "amber",
        "amber",
        "green",
        "amber",
    )
    assert found.reasons == [
        "milestone 設計定版 late by 10 days",
        "SPI 0.80 (behind plan)",
        "CPI 0.80 (costs above earned value)",
    ]
    red = rules.health(TASKS, ms, [("首次解決率", "red")], 1_500_000, 500_000, today)
    assert red.colour == "red" and red.kpi == "red" and "KPI 首次解決率 red" in red.reasons


def test_a_kpi_without_a_reading_is_not_measured_and_not_green() -> None:
    today = D(2026, 11, 11)
    unread = rules.health([], [], [("首次解決率", None)], 0, 0, today)
    assert (unread.kpi, unread.kpi_measured, unread.unmeasured) == (None, False, ("首次解決率",))
    assert unread.colour == "green" and unread.reasons == []  # schedule and cost are fine
    mixed = rules.health([], [], [("a", "amber"), ("b", None)], 0, 0, today)
    assert (mixed.kpi, mixed.unmeasured, mixed.reasons) == ("amber", ("b",), ["KPI a amber"])
    assert mixed.colour == "amber"
    assert rules.health([], [], [], 0, 0, today).kpi is None


def test_a_milestone_more_than_14_days_late_turns_the_schedule_red() -> None:
    ms = [rules.MilestoneLine("上線", D(2026, 11, 1))]
    assert rules.schedule_health([], ms, rules.earned_value([], D(2026, 11, 15), 0, 0),
                                 D(2026, 11, 15))[0] == "amber"  # fmt: skip
    assert rules.schedule_health([], ms, rules.earned_value([], D(2026, 11, 16), 0, 0),
                                 D(2026, 11, 16))[0] == "red"  # fmt: skip


def test_overspending_is_red_and_near_the_budget_is_amber() -> None:
    over = rules.cost_health(rules.earned_value([], D(2026, 11, 1), 1_000_000, 1_100_000))
    assert over == ("red", ["over budget: spent 110% of the budget"])
    near = rules.cost_health(rules.earned_value([], D(2026, 11, 1), 1_000_000, 900_000))
    assert near[0] == "amber"
    assert rules.cost_health(rules.earned_value([], D(2026, 11, 1), 1_000_000, 100))[0] == "green"


# One task of 100 h from 11-01 to 11-21 and a budget of 1,000,000 (minor units).
def _one_task(percent: int, today: date, spent: int) -> rules.EarnedValue:
    task = rules.TaskLine(100, percent, D(2026, 11, 1), D(2026, 11, 21), "in_progress")
    return rules.earned_value([task], today, 1_000_000, spent)


def test_cpi_is_not_judged_before_ten_percent_of_the_work_is_earned() -> None:
    # 11-11: PV 50 h (500,000); 5 % done: EV 5 h = 50,000; spent 200,000 -> CPI 0.25,
    # but 5 % < CPI_MEANINGFUL_SHARE (10 %), and 200,000 < 1.5 x 500,000: green.
    ev = _one_task(5, D(2026, 11, 11), 200_000)
    assert (ev.cpi, ev.earned_share, ev.planned_money) == (0.25, 0.05, 500_000)
    assert not ev.cpi_meaningful
    assert rules.cost_health(ev) == ("green", [])


def test_cpi_is_judged_from_ten_percent_earned() -> None:
    # 10 % done: EV 10 h = 100,000; spent 200,000 -> CPI 0.50 < 0.8: red.
    ev = _one_task(10, D(2026, 11, 11), 200_000)
    assert ev.cpi_meaningful and ev.cpi == 0.5
    assert rules.cost_health(ev) == ("red", ["CPI 0.50 (costs above earned value)"])


def test_spending_far_ahead_of_plan_before_cpi_is_meaningful_is_amber() -> None:
    # 11-03: 2 of 20 days gone, PV 10 h = 100,000; 2 % earned; spent 200,000 (20 % of
    # the budget) > 1.5 x 100,000: amber, and the reason says why CPI is not used.
    ev = _one_task(2, D(2026, 11, 3), 200_000)
    assert ev.planned_money == 100_000
    assert rules.cost_health(ev) == (
        "amber",
        ["spent 20% of the budget, 10% planned by now (CPI not yet meaningful: 2% of work earned)"],
    )
    # A small first payment (5 % of the budget) before any work is planned stays green.
    assert rules.cost_health(_one_task(0, D(2026, 11, 1), 50_000)) == ("green", [])


def test_spending_over_the_budget_is_red_even_before_cpi_is_meaningful() -> None:
    ev = _one_task(2, D(2026, 11, 3), 1_100_000)
    assert rules.cost_health(ev) == ("red", ["over budget: spent 110% of the budget"])


def test_money_text() -> None:
    assert rules.parse_money("1,234.5") == 123_450
    assert rules.format_money(123_450) == "1,234.50"
    assert rules.format_money(500_000_00) == "500,000"
    with pytest.raises(ValidationError):
        rules.parse_money("1.234")


# --- the lifecycle --------------------------------------------------------------------------


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
    with ctx.store.write(ctx.actor) as session:
        top = Department(code="EXEC", name="總經理室", head_username="lin.zhiyuan")
        session.add(top)
        session.flush()
        session.add(
            Department(code="PMO", name="專案管理部", parent_id=top.id, head_username="li.jianguo")
        )
    add_user(ctx.store, ctx.actor, "lin.zhiyuan", "林志遠", "executive", department="EXEC")
    add_user(ctx.store, ctx.actor, "li.jianguo", "李建國", "manager", department="PMO")
    add_user(ctx.store, ctx.actor, "wang.xiaoming", "王小明", "manager", department="PMO")
    add_user(ctx.store, ctx.actor, "liu.fang", "劉芳", "staff", department="PMO")
    names = ("lin.zhiyuan", "li.jianguo", "wang.xiaoming", "liu.fang")
    return {name: resolve_actor(ctx.store, name) for name in names}


PROPOSAL = {
    "name": "客服中心智能化升級",
    "department": "PMO",
    "origin": "strategy",
    "objectives": "提升首次解決率",
    "budget": "1,500,000",
    "start_date": "2026-12-01",
    "end_date": "2027/05/31",
}


def _load(ctx, project_id: int) -> Project:
    with ctx.store.read() as session:
        return session.get(Project, project_id)


def _step(ctx, actor, project_id: int, name: str, comment=None, payload=None):
    project = _load(ctx, project_id)
    return svc.transition(ctx.store, actor, project_id, project.version, name, comment, payload)


def test_the_proposal_form_names_each_wrong_field() -> None:
    problems = svc.check_proposal(
        {"name": "", "objectives": "x", "budget": "abc", "start_date": "2026-12-01",
         "end_date": "2026-11-01"}
    )  # fmt: skip
    assert set(problems) == {"name", "budget", "end_date"}
    assert svc.check_proposal(PROPOSAL) == {}


def test_staff_propose_but_cannot_approve_and_approval_needs_a_pm(ctx, people) -> None:
    staff, executive = people["liu.fang"], people["lin.zhiyuan"]
    project = svc.propose(ctx.store, staff, PROPOSAL)
    assert (project.code, project.stage, project.budget) == ("PRJ-0001", "proposed", 150_000_000)
    assert project.end_date == D(2027, 5, 31)
    with pytest.raises(PermissionDenied, match="may not approve"):
        _step(ctx, staff, project.id, "approve", payload={"manager": "li.jianguo"})
    with pytest.raises(TransitionDenied, match="appointed project manager"):
        _step(ctx, executive, project.id, "approve")
    with pytest.raises(TransitionDenied, match="cannot be a project manager"):
        _step(ctx, executive, project.id, "approve", payload={"manager": "liu.fang"})
    with pytest.raises(TransitionDenied, match="needs a comment"):
        _step(ctx, executive, project.id, "reject")
    _step(ctx, executive, project.id, "approve", "同意立項", {"manager": "li.jianguo"})
    approved = _load(ctx, project.id)
    assert approved.stage == "approved" and approved.manager_id == people["li.jianguo"].user_id


def _executing(ctx, people) -> Project:
    """A project taken through approval and a confirmed plan into execution."""
    executive, pm, reviewer = people["lin.zhiyuan"], people["li.jianguo"], people["wang.xiaoming"]
    project = svc.propose(ctx.store, people["liu.fang"], PROPOSAL)
    _step(ctx, executive, project.id, "approve", "同意", {"manager": "li.jianguo"})
    with pytest.raises(TransitionDenied, match="only the project's manager"):
        _step(ctx, reviewer, project.id, "start_planning")
    _step(ctx, pm, project.id, "start_planning")
    with pytest.raises(TransitionDenied, match="at least one task and one milestone"):
        _step(ctx, pm, project.id, "submit_plan")
    task = svc.add_task(ctx.store, pm, project.id, {
        "title": "需求分析", "owner": "liu.fang", "start_date": "2026-11-01",
        "due_date": "2026-11-21", "planned_hours": "100",
    })  # fmt: skip
    svc.add_task(ctx.store, pm, project.id, {
        "title": "系統建置", "owner": "li.jianguo", "start_date": "2026-11-21",
        "due_date": "2026-12-20", "planned_hours": "200",
    })  # fmt: skip
    svc.add_milestone(ctx.store, pm, project.id, "需求確認", "2026-11-21")
    assert task.code == "TSK-00001"
    _step(ctx, pm, project.id, "submit_plan", "請審閱")
    with pytest.raises(TransitionDenied, match="confirmed baseline"):
        _step(ctx, pm, project.id, "execute")
    with pytest.raises(PermissionDenied, match="cannot confirm their own plan"):
        svc.confirm_plan(ctx.store, pm, project.id, _load(ctx, project.id).version)
    with pytest.raises(PermissionDenied):
        svc.confirm_plan(ctx.store, people["liu.fang"], project.id, _load(ctx, project.id).version)
    baseline = svc.confirm_plan(ctx.store, reviewer, project.id, _load(ctx, project.id).version)
    assert baseline.number == 1
    _step(ctx, pm, project.id, "execute")
    return _load(ctx, project.id)


def test_a_new_kpi_shows_as_not_measured_until_its_first_reading(ctx, people) -> None:
    pm = people["li.jianguo"]
    project = _executing(ctx, people)
    kpi = svc.add_kpi(ctx.store, pm, project.id, name="首次解決率", unit="%",
                      direction="lower_better", target=3, warning=5, critical=7)  # fmt: skip
    before = views.detail(ctx.store, pm, project.code)
    assert [(k.level, k.measured) for k in before.kpis] == [(None, False)]
    assert (before.health.kpi, before.health.unmeasured) == (None, ("首次解決率",))
    # a first reading exactly on the warning threshold has crossed it
    result = svc.record_kpi(ctx.store, pm, kpi.id, 5)
    assert (result.level, result.previous, result.crossed) == ("amber", None, True)
    after = views.detail(ctx.store, pm, project.code)
    assert [(k.level, k.measured) for k in after.kpis] == [("amber", True)]
    assert (after.health.kpi, after.health.unmeasured) == ("amber", ())


def test_plan_changes_after_confirmation_need_a_new_confirmation(ctx, people) -> None:
    executive, pm, reviewer = people["lin.zhiyuan"], people["li.jianguo"], people["wang.xiaoming"]
    project = svc.propose(ctx.store, people["liu.fang"], PROPOSAL)
    _step(ctx, executive, project.id, "approve", "同意", {"manager": "li.jianguo"})
    _step(ctx, pm, project.id, "start_planning")
    svc.add_task(ctx.store, pm, project.id, {"title": "a", "owner": "liu.fang",
                                             "due_date": "2026-12-10"})  # fmt: skip
    svc.add_milestone(ctx.store, pm, project.id, "m", "2026-12-10")
    _step(ctx, pm, project.id, "submit_plan")
    svc.confirm_plan(ctx.store, reviewer, project.id, _load(ctx, project.id).version)
    svc.add_milestone(ctx.store, pm, project.id, "m2", "2026-12-20")
    with pytest.raises(TransitionDenied, match="changed after its confirmation"):
        _step(ctx, pm, project.id, "execute")


def test_the_whole_lifecycle_with_every_guard(ctx, people) -> None:
    executive, pm = people["lin.zhiyuan"], people["li.jianguo"]
    project = _executing(ctx, people)
    assert project.stage == "executing" and project.baseline_no == 1

    # PRJ-3: a change against the baseline needs a reason and is recorded
    with pytest.raises(ValidationError, match="needs a reason"):
        svc.add_task(ctx.store, pm, project.id, {"title": "加測", "owner": "liu.fang",
                                                 "due_date": "2026-12-15"})  # fmt: skip
    svc.add_task(ctx.store, pm, project.id, {"title": "加測", "owner": "liu.fang",
                 "due_date": "2026-12-15"}, why="客戶要求", approved_by="lin.zhiyuan")  # fmt: skip
    with ctx.store.read() as session:
        change = session.exec(select(PlanChange)).one()
    assert (change.why, change.approved_by, change.baseline_no) == ("客戶要求", "lin.zhiyuan", 1)

    # PRJ-4: a red KPI alerts; a major issue goes to the superior with a proposal
    kpi = svc.add_kpi(ctx.store, pm, project.id, name="首次解決率", unit="%",
                      direction="higher_better", target=85, warning=80, critical=70)  # fmt: skip
    assert svc.record_kpi(ctx.store, pm, kpi.id, 82).level == "green"
    result = svc.record_kpi(ctx.store, pm, kpi.id, 65)
    assert (result.level, result.crossed) == ("red", True)
    found = [a for a in alerts.current(ctx.store, pm) if a.area == "projects"]
    assert ("critical", "PRJ-0001") in [(a.severity, a.code) for a in found]
    assert any("首次解決率 = 65%" in a.message for a in found)
    with pytest.raises(ValidationError, match="proposed solution"):
        svc.log_issue(ctx.store, pm, project.id, title="解決率下降", severity="major")
    issue = svc.log_issue(ctx.store, pm, project.id, title="解決率下降", severity="major",
                          proposed_solution="增加知識庫條目")  # fmt: skip
    # the PM heads PMO, so the issue goes one level up
    assert (issue.status, issue.escalated_to) == ("escalated", "lin.zhiyuan")
    assert any("waits for lin.zhiyuan" in a.message for a in alerts.current(ctx.store, executive))

    # PRJ-5: pre-acceptance needs every task done
    with pytest.raises(TransitionDenied, match="3 tasks are not done"):
        _step(ctx, pm, project.id, "pre_accept")
    detail = views.detail(ctx.store, pm, "PRJ-0001")
    for task in detail.tasks:
        svc.update_progress(ctx.store, pm, task.id, task.version, 100)
    _step(ctx, pm, project.id, "pre_accept")
    with pytest.raises(TransitionDenied, match="result_report, test_report"):
        _step(ctx, pm, project.id, "apply", payload={"documents": "DOC-0001"})
    _step(
        ctx,
        pm,
        project.id,
        "apply",
        "申請驗收",
        {"result_report": "成果報告", "test_report": "測試報告", "documents": "DOC-0001"},
    )
    with pytest.raises(PermissionDenied):
        _step(ctx, pm, project.id, "rectify", "不行", {"items": []})
    with pytest.raises(TransitionDenied, match="at least one rectification item"):
        _step(ctx, executive, project.id, "rectify", "文件不齊", {"items": []})
    items = svc.parse_items("補測試報告; liu.fang; 2026-12-05")
    _step(ctx, executive, project.id, "rectify", "文件不齊", {"items": items})
    assert _load(ctx, project.id).stage == "rectification"
    with pytest.raises(TransitionDenied, match="1 rectification items are still open"):
        _step(ctx, pm, project.id, "resubmit")
    with ctx.store.read() as session:
        item = session.exec(select(RectificationItem)).one()
    with pytest.raises(PermissionDenied):
        svc.close_rectification(ctx.store, people["wang.xiaoming"], item.id, item.version, "ok")
    svc.close_rectification(ctx.store, people["liu.fang"], item.id, item.version, "已補件")
    _step(ctx, pm, project.id, "resubmit")

    # closing needs a passed acceptance and no open rectification item
    with pytest.raises(TransitionDenied, match="passed acceptance"):
        _step(ctx, executive, project.id, "close", "結項")
    svc.pass_acceptance(ctx.store, executive, project.id, _load(ctx, project.id).version, "通過")
    svc.add_rectification(ctx.store, executive, project.id, title="補簽名", owner="liu.fang")
    with pytest.raises(TransitionDenied, match="rectification items are still open"):
        _step(ctx, executive, project.id, "close", "結項")
    with pytest.raises(TransitionDenied):
        _step(ctx, ctx.actor, project.id, "close", "結項")  # not even an admin
    with ctx.store.read() as session:
        item = session.exec(
            select(RectificationItem).where(RectificationItem.status == "open")
        ).one()
    svc.close_rectification(ctx.store, pm, item.id, item.version, "已補簽")
    svc.pass_acceptance(ctx.store, executive, project.id, _load(ctx, project.id).version, "通過")
    _step(ctx, executive, project.id, "close", "結項")
    closed = _load(ctx, project.id)
    assert closed.stage == "closed"

    # every stage was recorded with its time (GEN-3) and the moves audited with comments
    with ctx.store.read() as session:
        stays = wf.history(session, PROJECTS, project.id)
        moves = session.exec(
            select(AuditEntry).where(
                AuditEntry.action == "transition", AuditEntry.code == "PRJ-0001"
            )
        ).all()
    assert [s.state for s in stays] == [
        "proposed", "approved", "planning", "plan-review", "executing", "pre-acceptance",
        "acceptance", "rectification", "acceptance", "closed",
    ]  # fmt: skip
    assert [m.comment for m in moves][:1] == ["同意"]
    assert "文件不齊" in [m.comment for m in moves]


def test_a_stale_save_is_refused_and_names_who_changed_it(ctx, people) -> None:
    staff = people["liu.fang"]
    project = svc.propose(ctx.store, staff, PROPOSAL)
    svc.update_project(ctx.store, staff, project.id, project.version, {"background": "新背景"})
    with pytest.raises(StaleRecordError, match=r"changed by liu\.fang"):
        svc.update_project(ctx.store, staff, project.id, project.version, {"background": "舊"})
    with pytest.raises(PermissionDenied):
        svc.update_project(ctx.store, people["wang.xiaoming"], project.id, project.version + 1,
                           {"background": "x"})  # fmt: skip
    with pytest.raises(StaleRecordError):
        svc.transition(ctx.store, people["lin.zhiyuan"], project.id, project.version, "approve",
                       payload={"manager": "li.jianguo"})  # fmt: skip


def test_hold_and_resume_return_to_the_same_stage(ctx, people) -> None:
    executive = people["lin.zhiyuan"]
    project = svc.propose(ctx.store, people["liu.fang"], PROPOSAL)
    _step(ctx, executive, project.id, "approve", "同意", {"manager": "li.jianguo"})
    _step(ctx, executive, project.id, "hold", "預算凍結")
    held = _load(ctx, project.id)
    assert (held.stage, held.held_from) == ("on-hold", "approved")
    with ctx.store.read() as session:
        offered = [t.name for t in wf.available(session, held, executive, PROJECTS)]
    assert "resume_approved" in offered and "resume_executing" not in offered
    _step(ctx, executive, project.id, "resume_approved")
    assert _load(ctx, project.id).stage == "approved"


def test_the_board_groups_cards_and_filters(ctx, people) -> None:
    project = _executing(ctx, people)
    svc.propose(ctx.store, people["wang.xiaoming"], {**PROPOSAL, "name": "Other 其他"})
    columns = views.board(ctx.store, people["li.jianguo"])
    assert [c.code for c in columns["executing"]] == [project.code]
    assert [c.code for c in columns["proposed"]] == ["PRJ-0002"]
    mine = views.board(ctx.store, people["li.jianguo"], views.BoardFilter(mine=True))
    assert [c.code for cards in mine.values() for c in cards] == ["PRJ-0001"]
    card = columns["executing"][0]
    # on 11-28: task 1 (100 h) is due, task 2 a quarter along; nothing done
    assert card.health == "red" and "SPI 0.00 (behind plan)" in card.reasons
    red = views.board(ctx.store, people["li.jianguo"], views.BoardFilter(red_only=True))
    assert [c.code for cards in red.values() for c in cards] == ["PRJ-0001"]


def test_demo_projects_cover_every_stage(demo_ctx) -> None:
    with demo_ctx.store.read() as session:
        stages = [p.stage for p in session.exec(select(Project)).all()]
        open_items = session.exec(
            select(RectificationItem).where(RectificationItem.status == "open")
        ).all()
        stays = session.exec(select(StateHistory).where(StateHistory.workflow == "projects")).all()
        issues = session.exec(select(ProjectIssue)).all()
    assert len(stages) == 12
    assert set(stages) == {
        "proposed", "approved", "planning", "plan-review", "executing", "pre-acceptance",
        "acceptance", "rectification", "closed",
    }  # fmt: skip
    assert open_items and issues and len(stays) > 12
    healths = {c.health for cards in views.board(demo_ctx.store, demo_ctx.actor).values()
               for c in cards}  # fmt: skip
    assert healths == {"green", "amber", "red"}


def test_projects_tasks_milestones_export_and_reimport_unchanged(demo_ctx, tmp_path) -> None:
    from specialops.io.engine import import_file
    from specialops.io.export import export_entity

    for entity in ("projects", "tasks", "milestones"):
        target = tmp_path / f"{entity}.csv"
        exported = export_entity(demo_ctx.store, demo_ctx.actor, entity, target)
        assert exported.rows > 0
        header = target.read_text("utf-8-sig").splitlines()[0]
        assert (
            header.split(",")[:3]
            == {
                "projects": ["code", "name", "department"],
                "tasks": ["code", "project", "title"],
                "milestones": ["code", "project", "name"],
            }[entity]
        )
        again = import_file(demo_ctx.store, demo_ctx.actor, entity, target, upsert=True)
        assert again.ok and (again.inserted, again.updated) == (0, 0), again.errors


def test_importing_a_task_for_an_unknown_project_names_it(ctx, people, tmp_path) -> None:
    from specialops.io.engine import import_file

    # Tasks are imported as the app adds them: by the PM (here an admin), while planning.
    project = svc.propose(ctx.store, people["liu.fang"], PROPOSAL)
    _step(ctx, people["lin.zhiyuan"], project.id, "approve", "同意", {"manager": "li.jianguo"})
    _step(ctx, people["li.jianguo"], project.id, "start_planning")
    source = tmp_path / "tasks.csv"
    source.write_text(
        "project,title,owner,due_date,percent_complete\n"
        "PRJ-0001,需求分析,liu.fang,2026年12月1日,0%\n"
        "PRJ-0099,ghost,liu.fang,2026-12-01,0\n",
        encoding="utf-8",
    )
    summary = import_file(ctx.store, ctx.actor, "tasks", source)
    assert [(p.line, p.column) for p in summary.errors] == [(3, "project")]
    assert "PRJ-0099" in summary.errors[0].message
    fixed = tmp_path / "ok.csv"
    header, first_row = source.read_text("utf-8").splitlines()[:2]
    fixed.write_text(f"{header}\n{first_row}\n", encoding="utf-8")
    done = import_file(ctx.store, ctx.actor, "tasks", fixed)
    assert done.inserted == 1
    detail = views.detail(ctx.store, people["liu.fang"], "PRJ-0001")
    assert [(t.code, t.percent_complete, t.due_date) for t in detail.tasks] == [
        ("TSK-00001", 0, D(2026, 12, 1))
    ]
    assert clock.today() == D(2026, 11, 28)


def test_importing_numbers_with_thousands_separators(ctx, people, tmp_path) -> None:
    from specialops.io.engine import import_file

    source = tmp_path / "projects.csv"
    source.write_text(
        'name,budget\n門市改裝,"1,234"\n會員系統,"１２，０００.50"\n',
        encoding="utf-8",
    )
    summary = import_file(ctx.store, ctx.actor, "projects", source)
    assert summary.errors == [] and summary.inserted == 2
    with ctx.store.read() as session:
        budgets = {p.name: p.budget for p in session.exec(select(Project))}
    assert budgets == {"門市改裝": 123_400, "會員系統": 1_200_050}
    ambiguous = tmp_path / "ambiguous.csv"
    ambiguous.write_text('name,budget\n品牌重塑,"1,23"\n', encoding="utf-8")
    refused = import_file(ctx.store, ctx.actor, "projects", ambiguous)
    assert [(p.line, p.column) for p in refused.errors] == [(2, "budget")]
    assert "ambiguous" in refused.errors[0].message


def test_an_import_neither_skips_nor_takes_workflow_steps(demo_ctx, tmp_path) -> None:
    from specialops.io.engine import import_file

    new = tmp_path / "new.csv"
    new.write_text(
        "name,stage\n門市改裝,proposed\n會員系統,\n跳過審批,executing\n直接結項,已結項\n",
        encoding="utf-8",
    )
    summary = import_file(demo_ctx.store, demo_ctx.actor, "projects", new)
    assert [(p.line, p.column) for p in summary.errors] == [(4, "stage"), (5, "stage")]
    assert "start as proposed, not executing" in summary.errors[0].message
    assert not summary.written
    with demo_ctx.store.read() as session:
        before = {p.code: (p.stage, p.name, p.version) for p in session.exec(select(Project))}
    assert before["PRJ-0002"][0] == "executing"

    moved = tmp_path / "moved.csv"
    moved.write_text(
        "code,name,stage\nPRJ-0002,客戶入口網站改版 v2,executing\nPRJ-0005,機房搬遷,closed\n",
        encoding="utf-8",
    )
    refused = import_file(demo_ctx.store, demo_ctx.actor, "projects", moved, upsert=True)
    assert [(p.line, p.column) for p in refused.errors] == [(3, "stage")]
    assert "rectification → closed" in refused.errors[0].message
    assert "in the app" in refused.errors[0].message
    skipped = import_file(
        demo_ctx.store, demo_ctx.actor, "projects", moved, upsert=True, on_error="skip"
    )
    assert (skipped.updated, skipped.rejected) == (1, 1)
    with demo_ctx.store.read() as session:
        after = {p.code: (p.stage, p.name, p.version) for p in session.exec(select(Project))}
    assert after["PRJ-0002"] == ("executing", "客戶入口網站改版 v2", before["PRJ-0002"][2] + 1)
    assert after["PRJ-0005"] == before["PRJ-0005"]


def test_an_approved_budget_changes_only_with_the_right_that_approved_it(ctx, people) -> None:
    pm, executive, staff = people["li.jianguo"], people["lin.zhiyuan"], people["liu.fang"]
    project = svc.propose(ctx.store, staff, PROPOSAL)
    svc.update_project(ctx.store, staff, project.id, project.version, {"budget": "1,600,000"})
    _step(ctx, executive, project.id, "approve", "同意", {"manager": "li.jianguo"})
    approved = _load(ctx, project.id)
    with pytest.raises(PermissionDenied, match="budget of PRJ-0001 was approved"):
        svc.update_project(ctx.store, pm, project.id, approved.version, {"budget": "99,990,000"})
    # The same amount written back, as a whole-form save does, is no change.
    svc.update_project(
        ctx.store, pm, project.id, approved.version, {"budget": "1,600,000", "background": "b"}
    )
    assert _load(ctx, project.id).budget == 160_000_000
    admin_edit = svc.update_project(
        ctx.store, ctx.actor, project.id, _load(ctx, project.id).version, {"budget": "1,700,000"}
    )
    assert admin_edit.budget == 170_000_000


def test_a_stored_reading_that_is_not_finite_shows_as_a_question_mark_in_the_trend() -> None:
    assert rules.sparkline([1.0, float("inf"), 3.0, float("nan")]) == "_?@?"
    assert rules.sparkline([float("-inf")]) == "?"
    assert rules.sparkline([]) == ""
