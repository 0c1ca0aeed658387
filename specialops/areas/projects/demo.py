"""Sample projects spread over every stage (data in ``data/projects.toml``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel import select

from specialops import clock, demo
from specialops import workflow as wf
from specialops.areas.projects import rules
from specialops.areas.projects.actions import _plan_snapshot, record_kpi_in
from specialops.areas.projects.models import (
    AcceptanceApplication,
    AcceptanceOpinion,
    ActionItem,
    Milestone,
    PlanBaseline,
    Project,
    ProjectExpense,
    ProjectIssue,
    ProjectKpi,
    ProjectMeeting,
    ProjectTask,
    RectificationItem,
)
from specialops.areas.projects.workflow import ACTIVE_STAGES, PROJECTS
from specialops.identity import SYSTEM
from specialops.models.core import Department, UserAccount
from specialops.models.workflow import StateHistory

# How far behind plan the demo puts a project of each health.
PACE = {"green": 1.0, "amber": 0.85, "red": 0.6}
COST = {"green": 0.85, "amber": 0.93, "red": 1.45}
PLANNED = ("planning", "plan-review")
RUNNING = ("executing", "pre-acceptance", "acceptance", "rectification", "closed")


def _path(stage: str) -> list[str]:
    if stage == "closed":
        return [*ACTIVE_STAGES[:7], "closed"]
    return list(ACTIVE_STAGES[: ACTIVE_STAGES.index(stage) + 1])


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=clock.local_zone())


def _stays(ctx: demo.DemoContext, project: Project, first_day: date) -> None:
    """Spread the project's past stages from ``first_day`` to today, for cycle times."""
    session = ctx.session
    path = _path(project.stage)
    open_stay = session.exec(
        select(StateHistory).where(
            StateHistory.workflow == PROJECTS.name, StateHistory.record_id == project.id
        )
    ).one()
    span = max((ctx.today - first_day).days, len(path))
    step = span // len(path)
    days = [first_day + timedelta(days=step * i + ctx.rng.randint(0, 2)) for i in range(len(path))]
    for stage, start, end in zip(path[:-1], days, days[1:], strict=False):
        session.add(
            StateHistory(
                workflow=PROJECTS.name,
                record_id=project.id,
                state=stage,
                entered_at=_moment(start),
                left_at=_moment(end),
                entered_by="system",
            )
        )
    open_stay.entered_at = _moment(days[-1])
    session.add(open_stay)


def _plan(ctx: demo.DemoContext, project: Project, row: dict, data: dict, users: dict) -> None:
    session, today = ctx.session, ctx.today
    start = project.start_date or today
    days = row["days"]
    health = row["health"]
    owners = data["tasks"]["owners"][row["department"]]
    running = project.stage in RUNNING
    finished = project.stage in RUNNING[1:]
    for n, (title, begin, end, hours) in enumerate(data["tasks"]["templates"]):
        task_start = start + timedelta(days=int(days * begin))
        due = start + timedelta(days=int(days * end))
        percent = 0
        if finished:
            percent = 100
        elif running:
            planned = rules.planned_fraction(task_start, due, today)
            percent = min(100, round(planned * 100 * PACE[health] / 5) * 5)
        status = "done" if percent == 100 else "in_progress" if percent else "todo"
        session.add(
            ProjectTask(
                project_id=project.id,
                title=title,
                owner_id=users[owners[n % len(owners)]],
                start_date=task_start,
                due_date=due,
                planned_hours=hours,
                percent_complete=percent,
                status=status,
                deliverable=f"{title.split(' ')[0]}成果文件",
                acceptance_criteria="經項目經理與需求單位確認",
            )
        )
    for n, (name, share) in enumerate(data["milestones"]["templates"]):
        due = start + timedelta(days=int(days * share))
        achieved = None
        if running and due <= today and (finished or health != "red" or n == 0):
            achieved = due + timedelta(days=ctx.rng.randint(-1, 2 if health == "amber" else 0))
        session.add(
            Milestone(project_id=project.id, name=name, due_date=due, achieved_date=achieved)
        )
    session.flush()
    if running:
        project.baseline_no = 1
        session.add(
            PlanBaseline(
                project_id=project.id,
                number=1,
                confirmed_by="lin.zhiyuan",
                confirmed_at=_moment(start - timedelta(days=3)),
                plan=_plan_snapshot(session, project.id or 0),
            )
        )


def _money(ctx: demo.DemoContext, project: Project, row: dict) -> None:
    if project.stage not in RUNNING:
        return
    tasks = ctx.session.exec(select(ProjectTask).where(ProjectTask.project_id == project.id)).all()
    lines = [rules.TaskLine(t.planned_hours, t.percent_complete, t.start_date, t.due_date, t.status)
             for t in tasks]  # fmt: skip
    ev = rules.earned_value(lines, ctx.today, project.budget, 0)
    spend = int((ev.earned_money or 0) * COST[row["health"]])
    categories = ("labour", "equipment", "services", "materials")
    for n in range(4):
        ctx.session.add(
            ProjectExpense(
                project_id=project.id,
                spent_on=ctx.today - timedelta(days=10 + 20 * n),
                category=categories[n],
                amount=spend // 4,
                description=f"第 {4 - n} 期支出",
            )
        )


def _kpi(ctx: demo.DemoContext, project: Project, row: dict) -> None:
    if "kpi" not in row:
        return
    name, unit, direction, target, warning, critical, readings = row["kpi"]
    kpi = ProjectKpi(
        project_id=project.id,
        name=name,
        unit=unit,
        direction=direction,
        target=target,
        warning=warning,
        critical=critical,
    )
    ctx.session.add(kpi)
    ctx.session.flush()
    for weeks_ago, value in zip(range(len(readings) - 1, -1, -1), readings, strict=True):
        record_kpi_in(ctx.session, SYSTEM, kpi, value, on=ctx.today - timedelta(weeks=weeks_ago))


def _meetings(ctx: demo.DemoContext, project: Project, data: dict, manager: str) -> None:
    if project.stage not in RUNNING:
        return
    for n, (title, minutes, decisions, action, offset) in enumerate(data["meetings"]["items"]):
        held = ctx.today + timedelta(days=offset)
        meeting = ProjectMeeting(
            project_id=project.id,
            held_on=held,
            title=title,
            attendees=f"{manager}, lin.zhiyuan, liu.fang",
            minutes=minutes,
            decisions=decisions,
        )
        ctx.session.add(meeting)
        ctx.session.flush()
        ctx.session.add(
            ActionItem(
                meeting_id=meeting.id,
                project_id=project.id,
                title=action,
                owner=manager,
                due_date=held + timedelta(days=14),
                status="done" if n == 0 else "open",
            )
        )


def _acceptance(ctx: demo.DemoContext, project: Project, row: dict, manager: str) -> None:
    if project.stage not in ("acceptance", "rectification", "closed"):
        return
    session = ctx.session
    application = AcceptanceApplication(
        project_id=project.id,
        round=1,
        result_report="成果報告 v1.0（文件 DOC 待連結）",
        test_report="測試報告：全部測試案例通過",
        documents="",
        submitted_by=manager,
        submitted_at=_moment(ctx.today - timedelta(days=9)),
        status={"acceptance": "submitted", "rectification": "rectification"}.get(
            project.stage, "passed"
        ),
    )
    session.add(application)
    session.flush()
    if project.stage == "closed":
        session.add(
            AcceptanceOpinion(
                application_id=application.id, reviewer="lin.zhiyuan", verdict="pass",
                opinion="驗收通過，同意結項。", at=_moment(ctx.today - timedelta(days=5)),
            )
        )  # fmt: skip
    if project.stage == "rectification":
        session.add(
            AcceptanceOpinion(
                application_id=application.id, reviewer="lin.zhiyuan", verdict="rectify",
                opinion="文件不齊，請整改後重新申請。", at=_moment(ctx.today - timedelta(days=6)),
            )
        )  # fmt: skip
        for title, owner, due in row.get("rectification", []):
            session.add(
                RectificationItem(
                    project_id=project.id,
                    application_id=application.id,
                    title=title,
                    owner=owner,
                    due_date=ctx.today + timedelta(days=due),
                )
            )


def _issues(ctx: demo.DemoContext, project: Project, row: dict, manager: str) -> None:
    if row["health"] != "red" or project.stage != "executing":
        return
    ctx.session.add(
        ProjectIssue(
            project_id=project.id,
            title="前端框架升級造成進度延誤",
            description="Design system upgrade broke half of the screens.",
            severity="major",
            status="escalated",
            raised_by=manager,
            raised_on=ctx.today - timedelta(days=4),
            proposed_solution="Freeze the upgrade; add two contractors for four weeks.",
            escalated_to="lin.zhiyuan",
            escalated_at=_moment(ctx.today - timedelta(days=4)),
        )
    )


@demo.step("projects")
def _projects(ctx: demo.DemoContext) -> int:
    data = demo.read_data("projects.toml")
    session, today = ctx.session, ctx.today
    departments = {d.code: d.id for d in session.exec(select(Department)).all()}
    users = {u.username: u.id for u in session.exec(select(UserAccount)).all()}
    made = 0
    for row in data["projects"]:
        if any(name not in users for name in data["tasks"]["owners"][row["department"]]):
            continue  # a trimmed people list: skip rather than invent owners
        start = today + timedelta(days=row["start"])
        manager = row.get("manager")
        project = Project(
            name=row["name"],
            department_id=departments.get(row["department"]),
            origin=row["origin"],
            background=row["background"],
            objectives=row["objectives"],
            expected_results=row["expected_results"],
            budget=row["budget"] * 100,
            start_date=start,
            end_date=start + timedelta(days=row["days"]),
            stage=row["stage"],
            manager_id=users.get(manager) if manager else None,
            proposed_by=row.get("proposed_by", manager),
        )
        wf.enter_initial(session, PROJECTS, project, SYSTEM)
        first_day = min(start, today) - timedelta(days=20 + ctx.rng.randint(0, 10))
        _stays(ctx, project, first_day)
        if project.stage in (*PLANNED, *RUNNING):
            _plan(ctx, project, row, data, users)
        _kpi(ctx, project, row)
        _money(ctx, project, row)
        if manager:
            _meetings(ctx, project, data, manager)
            _acceptance(ctx, project, row, manager)
            _issues(ctx, project, row, manager)
        made += 1
    return made
