"""The project detail's remaining forms, driven by keys and read back from the database:
phases, rescheduling against the baseline, expenses, resolving issues, action items."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from specialops.areas.people.actions import resolve_actor
from specialops.areas.projects import actions as svc
from specialops.areas.projects.models import (
    ActionItem,
    KpiReading,
    PlanChange,
    Project,
    ProjectExpense,
    ProjectIssue,
    ProjectKpi,
    ProjectPhase,
    ProjectTask,
)
from specialops.screens.projects.detail import ProjectDetailScreen
from specialops.widgets.form import ChoiceModal, FormModal
from specialops.widgets.modals import ConfirmModal
from tests.areas.projects.test_projects_app import Walk, office  # noqa: F401  (the fixture)
from tests.pilot import pilot_test

PROPOSAL = {
    "name": "客服中心智能化升級",
    "department": "PMO",
    "objectives": "提升首次解決率",
    "budget": "1,500,000",
    "start_date": "2026-12-01",
    "end_date": "2027-05-31",
}


def _step(ctx, actor, project_id: int, name: str, comment=None, payload=None) -> None:
    with ctx.store.read() as session:
        version = session.get(Project, project_id).version
    svc.transition(ctx.store, actor, project_id, version, name, comment, payload)


def _planning(ctx) -> Project:
    """A project approved with li.jianguo as PM, in planning with two tasks and a milestone."""
    executive = resolve_actor(ctx.store, "lin.zhiyuan")
    pm = resolve_actor(ctx.store, "li.jianguo")
    project = svc.propose(ctx.store, resolve_actor(ctx.store, "liu.fang"), PROPOSAL)
    _step(ctx, executive, project.id, "approve", "同意", {"manager": "li.jianguo"})
    _step(ctx, pm, project.id, "start_planning")
    for title, start, due in (("需求分析", "2026-11-20", "2026-12-10"),
                              ("系統建置", "2026-12-10", "2027-01-31")):  # fmt: skip
        svc.add_task(ctx.store, pm, project.id, {"title": title, "owner": "liu.fang",
                     "start_date": start, "due_date": due, "planned_hours": "40"})  # fmt: skip
    svc.add_milestone(ctx.store, pm, project.id, "需求確認", "2026-12-10")
    return project


def _executing(ctx) -> Project:
    project = _planning(ctx)
    pm = resolve_actor(ctx.store, "li.jianguo")
    _step(ctx, pm, project.id, "submit_plan", "請審閱")
    with ctx.store.read() as session:
        version = session.get(Project, project.id).version
    svc.confirm_plan(ctx.store, resolve_actor(ctx.store, "wang.xiaoming"), project.id, version)
    _step(ctx, pm, project.id, "execute")
    return project


def _one(ctx, model, *where):
    with ctx.store.read() as session:
        return session.exec(select(model).where(*where)).one()


@pilot_test
async def test_the_pm_adds_a_phase_and_moves_a_task_while_planning(office, db_path):  # noqa: F811
    _planning(office)
    async with Walk(db_path, "li.jianguo") as me:
        await me.keys("enter")
        screen = me.app.screen
        assert isinstance(screen, ProjectDetailScreen)
        assert screen.check_action("add_phase", ()) and screen.check_action("reschedule", ())
        await me.keys("P")
        await me.fill("需求階段", "2026-11-20", "2026-11-01")
        assert isinstance(me.app.screen, FormModal)  # the end comes before the start
        assert "before it starts" in str(me.app.screen.query_one("#error-end_date").render())
        await me.clear(10)
        await me.fill("2026-12-10", "需求規格書", "需求單位簽核")
        assert me.app.screen is screen
        await me.keys("s")
        assert isinstance(me.app.screen, ChoiceModal)
        await me.keys("down", "enter")  # the second task
        await me.clear(10)
        await me.type("2026-12-15")
        await me.pilot.press("tab")
        await me.clear(10)
        await me.fill("2027-02-15")
        assert me.app.screen is screen
    phase = _one(office, ProjectPhase)
    assert (phase.name, phase.start_date, phase.end_date, phase.deliverable) == (
        "需求階段", date(2026, 11, 20), date(2026, 12, 10), "需求規格書")  # fmt: skip
    task = _one(office, ProjectTask, ProjectTask.title == "系統建置")
    assert (task.start_date, task.due_date) == (date(2026, 12, 15), date(2027, 2, 15))
    with office.store.read() as session:
        assert session.exec(select(PlanChange)).all() == []  # no baseline yet


@pilot_test
async def test_rescheduling_in_execution_needs_a_reason_and_is_a_recorded_change(
    office,  # noqa: F811
    db_path,
):
    _executing(office)
    async with Walk(db_path, "wang.xiaoming") as me:
        await me.keys("enter")
        assert not me.app.screen.check_action("reschedule", ())  # not the PM
        assert not me.app.screen.check_action("add_phase", ())
    async with Walk(db_path, "li.jianguo") as me:
        await me.keys("enter", "s")
        await me.keys("enter")  # the first task
        form = me.app.screen
        assert isinstance(form, FormModal)
        assert "baseline 基準 2026-11-20 .. 2026-12-10" in form.title_text
        await me.pilot.press("tab")
        await me.clear(10)
        await me.type("2026-12-24")
        await me.keys("f2")
        assert me.app.screen is form  # no reason given
        assert "required" in str(form.query_one("#error-why").render())
        await me.pilot.press("tab")
        await me.fill("供應商延遲交付", "lin.zhiyuan")
        assert isinstance(me.app.screen, ProjectDetailScreen)
    task = _one(office, ProjectTask, ProjectTask.title == "需求分析")
    assert task.due_date == date(2026, 12, 24)
    change = _one(office, PlanChange)
    assert (change.why, change.approved_by, change.changed_by) == (
        "供應商延遲交付", "lin.zhiyuan", "li.jianguo")  # fmt: skip
    assert "2026-12-10 -> 2026-11-20..2026-12-24" in change.what


@pilot_test
async def test_an_expense_is_recorded_and_moves_the_budget_burn(office, db_path):  # noqa: F811
    _executing(office)
    async with Walk(db_path, "wang.xiaoming") as me:
        await me.keys("enter")
        assert not me.app.screen.check_action("expense", ())  # only the PM spends
    async with Walk(db_path, "li.jianguo") as me:
        await me.keys("enter")
        screen = me.app.screen
        assert "0%  0 / 1,500,000" in _overview(screen)
        await me.keys("E")
        assert isinstance(me.app.screen, FormModal)
        await me.keys("enter", "up", "up", "enter")  # other -> services -> travel
        await me.pilot.press("tab")
        await me.type("12,34x")
        await me.keys("f2")
        assert "not an amount" in str(me.app.screen.query_one("#error-amount").render())
        await me.pilot.press("backspace")
        await me.fill("5.50", None, "客戶拜訪差旅")
        assert me.app.screen is screen
        assert "1%  12,345.50 / 1,500,000" in _overview(screen)
    expense = _one(office, ProjectExpense)
    assert (expense.category, expense.amount, expense.spent_on, expense.description) == (
        "travel", 1_234_550, date(2026, 11, 28), "客戶拜訪差旅")  # fmt: skip


def _overview(screen: ProjectDetailScreen) -> str:
    from rich.console import Console

    console = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(screen._overview(screen.data))
    return console.export_text()


@pilot_test
async def test_an_issue_is_resolved_with_how(office, db_path):  # noqa: F811
    project = _executing(office)
    pm = resolve_actor(office.store, "li.jianguo")
    svc.log_issue(office.store, pm, project.id, title="介面延遲", severity="minor")
    async with Walk(db_path, "li.jianguo") as me:
        await me.keys("enter", "R")
        form = me.app.screen
        assert isinstance(form, FormModal)
        await me.keys("f2")
        assert me.app.screen is form  # a resolution is required
        await me.fill("調整快取設定")
        assert not me.app.screen.check_action("resolve_issue", ())  # none left open
    issue = _one(office, ProjectIssue)
    assert (issue.status, issue.resolution, issue.resolved_on) == (
        "resolved", "調整快取設定", date(2026, 11, 28))  # fmt: skip


@pilot_test
async def test_the_owner_closes_a_meeting_action_item(office, db_path):  # noqa: F811
    project = _executing(office)
    pm = resolve_actor(office.store, "li.jianguo")
    svc.add_meeting(office.store, pm, project.id, title="週會", held_on="2026-11-27",
                    actions=[("補齊測試案例", "liu.fang", date(2026, 12, 3)),
                             ("聯絡供應商", "li.jianguo", date(2026, 12, 4))])  # fmt: skip
    async with Walk(db_path, "liu.fang") as me:
        await me.keys("enter", "d")  # only her own item: no choice to make
        assert isinstance(me.app.screen, ConfirmModal)
        assert "補齊測試案例" in str(me.app.screen.question)
        await me.keys("y")
        assert not me.app.screen.check_action("action_done", ())
    with office.store.read() as session:
        items = {i.title: i.status for i in session.exec(select(ActionItem))}
    assert items == {"補齊測試案例": "done", "聯絡供應商": "open"}


@pilot_test
async def test_a_kpi_reading_typed_with_thousands_separators_is_stored(
    office,  # noqa: F811
    db_path,
):
    project = _executing(office)
    pm = resolve_actor(office.store, "li.jianguo")
    svc.add_kpi(office.store, pm, project.id, name="月活躍用戶", unit="人",
                direction="higher_better", target=1e4, warning=8e3, critical=5e3)  # fmt: skip
    async with Walk(db_path, "li.jianguo") as me:
        await me.keys("enter", "r")  # one KPI: its reading form opens at once
        form = me.app.screen
        assert isinstance(form, FormModal)
        await me.type("1,23")
        await me.keys("f2")
        assert me.app.screen is form
        assert "ambiguous" in str(form.query_one("#error-value").render())
        await me.clear(10)
        await me.fill("12,000")
        assert isinstance(me.app.screen, ProjectDetailScreen)
    reading = _one(office, KpiReading)
    assert (reading.value, reading.level, reading.recorded_by) == (12_000.0, "green", "li.jianguo")
    assert _one(office, ProjectKpi).last_value == 12_000.0
