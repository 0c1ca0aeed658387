"""The project board's services (PRJ-1…5): every rule of a project's life lives here.

Screens and the command line only call these functions. Stages move only
through :data:`projects_workflow.PROJECTS`; everything else a project
records (plan, progress, KPIs, meetings, issues, acceptance, money) is
added here with its permission and checks, in short write sessions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from specialops import audit, clock, measures
from specialops import workflow as wf
from specialops.areas.people import lookup
from specialops.areas.projects import allowed, rules
from specialops.areas.projects.models import (
    AcceptanceOpinion,
    ActionItem,
    KpiReading,
    Milestone,
    PlanBaseline,
    PlanChange,
    Project,
    ProjectExpense,
    ProjectIssue,
    ProjectKpi,
    ProjectMeeting,
    ProjectPhase,
    ProjectTask,
    RectificationItem,
)
from specialops.areas.projects.workflow import (
    FINAL_STAGES,
    PROJECTS,
    is_pm,
    latest_application,
    open_rectifications,
)
from specialops.errors import NotFound, PermissionDenied, ValidationError
from specialops.identity import Actor
from specialops.models.core import Department, UserAccount
from specialops.permissions import require
from specialops.store.records import update_record
from specialops.store.session import log
from specialops.store.store import Store

ORIGINS = ("strategy", "market", "customer")
ORIGIN_LABELS = {"strategy": "公司戰略", "market": "市場需求", "customer": "客戶要求"}
TASK_STATUSES = ("todo", "in_progress", "blocked", "done", "cancelled")
TASK_STATUS_LABELS = {
    "todo": "未開始",
    "in_progress": "進行中",
    "blocked": "受阻",
    "done": "已完成",
    "cancelled": "已取消",
}
SEVERITIES = ("minor", "moderate", "major", "critical")
SEVERITY_LABELS = {"minor": "輕微", "moderate": "一般", "major": "重大", "critical": "嚴重"}
ESCALATED_SEVERITIES = ("major", "critical")
EXPENSE_CATEGORIES = ("labour", "materials", "equipment", "travel", "services", "other")


# --- small helpers --------------------------------------------------------------------------


def _text(values: Mapping[str, Any], name: str) -> str:
    return str(values.get(name) or "").strip()


def parse_number(text: str | float | int, field: str) -> float:
    """A typed number (``12,000``, ``1,234.5``, full-width ``１２３``) read as imports read it."""
    if isinstance(text, int | float):
        return float(text)
    from specialops.io.convert import CellError
    from specialops.io.convert import parse_number as read

    cleaned = text.strip()
    if not cleaned:
        raise ValidationError("required: a number such as 12,000 or 1,234.5", field=field)
    try:
        return float(read(cleaned))
    except CellError as error:
        raise ValidationError(str(error), field=field) from None


def parse_date(text: str | date | None, field: str) -> date | None:
    """A typed date read as imports read it (2026-11-28, 2026/11/28, 2026年11月28日); empty is
    ``None``."""
    if text is None or isinstance(text, date):
        return text
    from specialops.io.convert import CellError
    from specialops.io.convert import parse_date as read

    cleaned = text.strip()
    if not cleaned:
        return None
    try:
        return read(cleaned)
    except CellError as error:
        raise ValidationError(str(error), field=field) from None


def check_proposal(values: Mapping[str, Any]) -> dict[str, str]:
    """Every problem of a proposal's fields, by field (empty: fine). Forms call this as you type."""
    problems: dict[str, str] = {}
    if not _text(values, "name"):
        problems["name"] = "a project needs a name"
    elif len(_text(values, "name")) > 200:
        problems["name"] = "at most 200 characters"
    if _text(values, "origin") and _text(values, "origin") not in ORIGINS:
        problems["origin"] = f"origin is one of: {', '.join(ORIGINS)}"
    if not _text(values, "objectives"):
        problems["objectives"] = "state the objectives"
    budget = values.get("budget")
    if isinstance(budget, str):
        try:
            if budget.strip() and rules.parse_money(budget) < 0:
                problems["budget"] = "a budget cannot be negative"
        except ValidationError as error:
            problems["budget"] = str(error)
    dates: dict[str, date | None] = {}
    for name in ("start_date", "end_date"):
        try:
            dates[name] = parse_date(values.get(name), name)
        except ValidationError as error:
            problems[name] = str(error)
    start, end = dates.get("start_date"), dates.get("end_date")
    if start and end and end < start:
        problems["end_date"] = "the end date is before the start date"
    return problems


def _raise_first(problems: dict[str, str]) -> None:
    if problems:
        name, message = next(iter(problems.items()))
        raise ValidationError(message, field=name)


def _user(session: Session, username: str, field: str = "owner") -> UserAccount:
    return lookup.user_named(session, username, field)


def _department_id(session: Session, code: str | None) -> int | None:
    return lookup.department_id(session, code)


def _project(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound("the project no longer exists")
    return project


def get_project(session: Session, code: str) -> Project:
    project = session.exec(select(Project).where(Project.code == code)).first()
    if project is None:
        raise NotFound(f"no project {code}")
    return project


def _require_pm(project: Project, actor: Actor, what: str) -> None:
    require(actor, "project.manage")
    reason = allowed.not_manager(project, actor, what)
    if reason:
        raise PermissionDenied(reason)


def _refuse(reason: str | None, field: str | None = None) -> None:
    """Raise a refusal of :mod:`allowed`: a stage is a validation error, the rest denial."""
    if reason is None:
        return
    if isinstance(reason, allowed.StageReason):
        raise ValidationError(reason, field=field or "stage")
    raise PermissionDenied(reason)


def _money(raw: Any) -> int:
    return rules.parse_money(raw) if isinstance(raw, str) else int(raw or 0)


def _require_stage(project: Project, stages: Sequence[str], what: str) -> None:
    reason = allowed.outside_stage(project, stages, what)
    if reason:
        raise ValidationError(reason, field="stage")


def _event(session: Session, project: Project, action: str, after: dict, comment: str | None):
    log(
        session,
        audit.Event(
            action=action,
            entity="projects",
            code=project.code,
            record_id=project.id,
            after=after,
            comment=comment,
        ),
    )


# --- PRJ-1 initiation -----------------------------------------------------------------------


def propose(store: Store, actor: Actor, values: Mapping[str, Any]) -> Project:
    """File a proposal (立項申請); it starts in ``proposed``."""
    require(actor, "project.propose")
    _raise_first(check_proposal(values))
    budget = values.get("budget") or 0
    with store.write(actor, comment="proposal") as session:
        project = Project(
            name=_text(values, "name"),
            department_id=_department_id(session, _text(values, "department") or None)
            or actor.department_id,
            origin=_text(values, "origin") or "strategy",
            background=_text(values, "background"),
            objectives=_text(values, "objectives"),
            expected_results=_text(values, "expected_results"),
            budget=rules.parse_money(budget) if isinstance(budget, str) else int(budget),
            start_date=parse_date(values.get("start_date"), "start_date"),
            end_date=parse_date(values.get("end_date"), "end_date"),
            proposed_by=actor.username,
        )
        wf.enter_initial(session, PROJECTS, project, actor)
        return project


EDITABLE = (
    "name",
    "department",
    "origin",
    "background",
    "objectives",
    "expected_results",
    "budget",
    "start_date",
    "end_date",
)


def may_edit(project: Project, actor: Actor) -> bool:
    """The proposer while proposed or returned; the PM (and admins) until it closes."""
    if project.stage in FINAL_STAGES:
        return False
    if is_pm(project, actor):
        return True
    return project.stage in ("proposed", "returned") and project.proposed_by == actor.username


def update_project(
    store: Store, actor: Actor, project_id: int, seen_version: int, values: Mapping[str, Any]
) -> Project:
    """Save an edited project; refused with :class:`StaleRecordError` if someone saved first."""
    merged = dict(values)
    with store.read() as session:
        current = _project(session, project_id)
        for name in ("name", "objectives"):
            merged.setdefault(name, getattr(current, name))
    _raise_first(check_proposal(merged))
    with store.write(actor) as session:
        project = _project(session, project_id)
        if not may_edit(project, actor):
            raise PermissionDenied(f"{actor.username} may not edit {project.code} now")
        changes: dict[str, Any] = {}
        if "budget" in values and _money(values["budget"]) != project.budget:
            _refuse(allowed.budget_locked(project, actor), field="budget")
        for name, raw in values.items():
            if name not in EDITABLE:
                continue
            if name == "department":
                changes["department_id"] = _department_id(session, str(raw or "") or None)
            elif name == "budget":
                changes["budget"] = _money(raw)
            elif name in ("start_date", "end_date"):
                changes[name] = parse_date(raw, name)
            else:
                changes[name] = str(raw or "").strip()
        return update_record(session, Project, project_id, seen_version, changes)


def transition(
    store: Store,
    actor: Actor,
    project_id: int,
    seen_version: int,
    name: str,
    comment: str | None = None,
    payload: dict[str, Any] | None = None,
) -> wf.TransitionResult:
    """Take a lifecycle step (approve, submit_plan, execute, close …)."""
    return wf.apply(store, PROJECTS, project_id, seen_version, name, actor, comment, payload)


def parse_items(text: str) -> list[dict[str, str | None]]:
    """Rectification items typed one per line as ``title; owner; YYYY-MM-DD``."""
    items: list[dict[str, str | None]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("；", ";").split(";")]
        title = parts[0]
        owner = parts[1] if len(parts) > 1 else ""
        due = parse_date(parts[2], "items") if len(parts) > 2 and parts[2] else None
        items.append({"title": title, "owner": owner, "due_date": due.isoformat() if due else None})
    return items


# --- PRJ-2 planning -------------------------------------------------------------------------


def _plan_edit(session: Session, project: Project, actor: Actor, why: str | None) -> None:
    """Plan edits after a baseline: in review they need a new confirmation; in execution
    they are recorded as changes against the baseline, with a reason."""
    _refuse(allowed.plan_refusal(project, actor))
    if project.baseline_no and project.stage == "plan-review":
        project.plan_changed = True
        session.add(project)
    if project.stage == "executing" and not (why or "").strip():
        raise ValidationError("a change to the confirmed plan needs a reason", field="why")


def _record_change(
    session: Session, project: Project, actor: Actor, what: str, why: str | None, approved_by: str
) -> None:
    if project.stage != "executing":
        return
    approver = _user(session, approved_by or actor.username, field="approved_by")
    session.add(
        PlanChange(
            project_id=project.id,
            baseline_no=project.baseline_no,
            what=what,
            why=(why or "").strip(),
            approved_by=approver.username,
            changed_by=actor.username,
            changed_at=clock.now(),
        )
    )
    _event(session, project, "plan.change", {"what": what, "approved_by": approver.username}, why)


def check_task(values: Mapping[str, Any]) -> dict[str, str]:
    """Problems of a task's fields, by field."""
    problems: dict[str, str] = {}
    if not _text(values, "title"):
        problems["title"] = "a task needs a title"
    if not _text(values, "owner"):
        problems["owner"] = "a task needs an owner (login)"
    dates: dict[str, date | None] = {}
    for name in ("start_date", "due_date"):
        try:
            dates[name] = parse_date(values.get(name), name)
        except ValidationError as error:
            problems[name] = str(error)
    if "due_date" not in problems and dates.get("due_date") is None:
        problems["due_date"] = "a task needs a due date"
    start, due = dates.get("start_date"), dates.get("due_date")
    if start and due and due < start:
        problems["due_date"] = "the due date is before the start date"
    hours = _text(values, "planned_hours") or "0"
    if not hours.isdigit():
        problems["planned_hours"] = "planned effort is a whole number of hours"
    return problems


def add_task(
    store: Store,
    actor: Actor,
    project_id: int,
    values: Mapping[str, Any],
    *,
    why: str | None = None,
    approved_by: str = "",
) -> ProjectTask:
    """Add a task to the plan (the PM)."""
    _raise_first(check_task({**values, "planned_hours": str(values.get("planned_hours") or 0)}))
    with store.write(actor) as session:
        project = _project(session, project_id)
        _plan_edit(session, project, actor, why)
        owner = _user(session, _text(values, "owner"))
        task = ProjectTask(
            project_id=project_id,
            title=_text(values, "title"),
            owner_id=owner.id,
            start_date=parse_date(values.get("start_date"), "start_date"),
            due_date=parse_date(values.get("due_date"), "due_date"),
            planned_hours=int(values.get("planned_hours") or 0),
            deliverable=_text(values, "deliverable"),
            acceptance_criteria=_text(values, "acceptance_criteria"),
            phase_id=values.get("phase_id"),
        )
        session.add(task)
        session.flush()
        _record_change(session, project, actor, f"added task {task.code}", why, approved_by)
        return task


def reschedule_task(
    store: Store,
    actor: Actor,
    task_id: int,
    seen_version: int,
    *,
    start_date: date | None,
    due_date: date | None,
    why: str | None = None,
    approved_by: str = "",
) -> ProjectTask:
    """Move a task's dates; in execution this is a change against the baseline."""
    if start_date and due_date and due_date < start_date:
        raise ValidationError("the due date is before the start date", field="due_date")
    with store.write(actor) as session:
        task = session.get(ProjectTask, task_id)
        if task is None:
            raise NotFound("the task no longer exists")
        project = _project(session, task.project_id)
        _plan_edit(session, project, actor, why)
        what = f"{task.code} dates {task.start_date}..{task.due_date} -> {start_date}..{due_date}"
        task = update_record(
            session,
            ProjectTask,
            task_id,
            seen_version,
            {"start_date": start_date, "due_date": due_date},
        )
        _record_change(session, project, actor, what, why, approved_by)
        return task


def add_milestone(
    store: Store,
    actor: Actor,
    project_id: int,
    name: str,
    due_date: date | str,
    *,
    why: str | None = None,
    approved_by: str = "",
) -> Milestone:
    """Add a milestone to the plan (the PM)."""
    due = parse_date(due_date, "due_date")
    if not name.strip():
        raise ValidationError("a milestone needs a name", field="name")
    if due is None:
        raise ValidationError("a milestone needs a due date", field="due_date")
    with store.write(actor) as session:
        project = _project(session, project_id)
        _plan_edit(session, project, actor, why)
        milestone = Milestone(project_id=project_id, name=name.strip(), due_date=due)
        session.add(milestone)
        session.flush()
        _record_change(
            session, project, actor, f"added milestone {milestone.code}", why, approved_by
        )
        return milestone


def achieve_milestone(
    store: Store, actor: Actor, milestone_id: int, seen_version: int, on: date | None = None
) -> Milestone:
    """Mark a milestone achieved (today unless ``on``)."""
    with store.write(actor) as session:
        milestone = session.get(Milestone, milestone_id)
        if milestone is None:
            raise NotFound("the milestone no longer exists")
        project = _project(session, milestone.project_id)
        _refuse(allowed.achieve_refusal(project, actor))
        changes = {"achieved_date": on or clock.today()}
        return update_record(session, Milestone, milestone_id, seen_version, changes)


def add_phase(
    store: Store,
    actor: Actor,
    project_id: int,
    name: str,
    start_date: date | None,
    end_date: date | None,
    deliverable: str = "",
    acceptance_criteria: str = "",
) -> ProjectPhase:
    if not name.strip():
        raise ValidationError("a phase needs a name", field="name")
    with store.write(actor) as session:
        project = _project(session, project_id)
        _plan_edit(session, project, actor, "phase added")
        phase = ProjectPhase(
            project_id=project_id,
            name=name.strip(),
            start_date=start_date,
            end_date=end_date,
            deliverable=deliverable,
            acceptance_criteria=acceptance_criteria,
        )
        session.add(phase)
        session.flush()
        return phase


def _plan_snapshot(session: Session, project_id: int) -> str:
    tasks = session.exec(
        select(ProjectTask).where(ProjectTask.project_id == project_id).order_by(ProjectTask.id)
    ).all()
    milestones = session.exec(
        select(Milestone).where(Milestone.project_id == project_id).order_by(Milestone.id)
    ).all()
    plan = {
        "tasks": {
            t.code: [str(t.start_date or ""), str(t.due_date or ""), t.planned_hours] for t in tasks
        },
        "milestones": {m.code: str(m.due_date) for m in milestones},
    }
    return json.dumps(plan, ensure_ascii=False, sort_keys=True)


def confirm_plan(store: Store, actor: Actor, project_id: int, seen_version: int) -> PlanBaseline:
    """A reviewer confirms the submitted plan; it becomes the baseline (PRJ-2)."""
    require(actor, "project.review")
    with store.write(actor, comment="plan confirmed") as session:
        project = update_record(session, Project, project_id, seen_version, {})
        _require_stage(project, ("plan-review",), "confirming the plan")
        reason = allowed.own_plan(project, actor)
        if reason:
            raise PermissionDenied(reason)
        project.baseline_no += 1
        project.plan_changed = False
        baseline = PlanBaseline(
            project_id=project_id,
            number=project.baseline_no,
            confirmed_by=actor.username,
            confirmed_at=clock.now(),
            plan=_plan_snapshot(session, project_id),
        )
        session.add(baseline)
        session.flush()
        _event(session, project, "plan.confirm", {"baseline": baseline.number}, "plan confirmed")
        return baseline


def baseline_plan(session: Session, project_id: int) -> dict[str, Any]:
    """The newest confirmed plan of a project (empty when none)."""
    found = session.exec(
        select(PlanBaseline)
        .where(PlanBaseline.project_id == project_id)
        .order_by(col(PlanBaseline.number).desc())
    ).first()
    return json.loads(found.plan) if found else {}


# --- PRJ-3 execution ------------------------------------------------------------------------


def update_progress(
    store: Store,
    actor: Actor,
    task_id: int,
    seen_version: int,
    percent: int,
    status: str | None = None,
) -> ProjectTask:
    """The task's owner or the PM reports percent complete (and status)."""
    require(actor, "project.progress")
    if isinstance(percent, bool) or not 0 <= int(percent) <= 100:
        raise ValidationError("percent complete runs from 0 to 100", field="percent_complete")
    if status is not None and status not in TASK_STATUSES:
        raise ValidationError(f"status is one of: {', '.join(TASK_STATUSES)}", field="status")
    with store.write(actor) as session:
        task = session.get(ProjectTask, task_id)
        if task is None:
            raise NotFound("the task no longer exists")
        project = _project(session, task.project_id)
        _refuse(allowed.progress_refusal(project, actor, task.owner_id, task.code))
        if status is None:
            status = "done" if percent == 100 else ("in_progress" if percent else task.status)
        changes = {"percent_complete": int(percent), "status": status}
        return update_record(session, ProjectTask, task_id, seen_version, changes)


def add_meeting(
    store: Store,
    actor: Actor,
    project_id: int,
    *,
    title: str,
    held_on: date | str | None,
    attendees: str = "",
    minutes: str = "",
    decisions: str = "",
    actions: Sequence[tuple[str, str, date | None]] = (),
) -> ProjectMeeting:
    """Record a progress meeting with its minutes, decisions and action items."""
    require(actor, "project.manage")
    held = parse_date(held_on, "held_on") or clock.today()
    if not title.strip():
        raise ValidationError("a meeting needs a title", field="title")
    with store.write(actor) as session:
        project = _project(session, project_id)
        meeting = ProjectMeeting(
            project_id=project_id,
            held_on=held,
            title=title.strip(),
            attendees=attendees.strip(),
            minutes=minutes.strip(),
            decisions=decisions.strip(),
        )
        session.add(meeting)
        session.flush()
        for action_title, owner, due in actions:
            _user(session, owner)
            session.add(
                ActionItem(
                    meeting_id=meeting.id,
                    project_id=project.id,
                    title=action_title,
                    owner=owner,
                    due_date=due,
                )
            )
        session.flush()
        return meeting


def parse_actions(text: str) -> list[tuple[str, str, date | None]]:
    """Action items typed one per line as ``title; owner; YYYY-MM-DD``."""
    return [
        (str(i["title"]), str(i["owner"]), parse_date(i["due_date"], "actions"))
        for i in parse_items(text)
    ]


def set_action_done(store: Store, actor: Actor, item_id: int, seen_version: int) -> ActionItem:
    with store.write(actor) as session:
        item = session.get(ActionItem, item_id)
        if item is None:
            raise NotFound("the action item no longer exists")
        reason = allowed.may_close_action(item.owner, actor)
        if reason:
            raise PermissionDenied(reason)
        return update_record(session, ActionItem, item_id, seen_version, {"status": "done"})


def add_expense(
    store: Store,
    actor: Actor,
    project_id: int,
    amount: int,
    *,
    category: str = "other",
    spent_on: date | None = None,
    description: str = "",
) -> ProjectExpense:
    """Record money spent on the project (minor units)."""
    if amount <= 0:
        raise ValidationError("an expense is a positive amount", field="amount")
    if category not in EXPENSE_CATEGORIES:
        raise ValidationError(
            f"category is one of: {', '.join(EXPENSE_CATEGORIES)}", field="category"
        )
    with store.write(actor) as session:
        project = _project(session, project_id)
        _require_pm(project, actor, "record expenses")
        expense = ProjectExpense(
            project_id=project_id,
            amount=amount,
            category=category,
            spent_on=spent_on or clock.today(),
            description=description,
        )
        session.add(expense)
        session.flush()
        return expense


# --- PRJ-4 monitoring -----------------------------------------------------------------------


def add_kpi(
    store: Store,
    actor: Actor,
    project_id: int,
    *,
    name: str,
    unit: str,
    direction: str,
    target: float,
    warning: float,
    critical: float,
) -> ProjectKpi:
    """Give the project a measurable goal with thresholds (GEN-2)."""
    if not name.strip():
        raise ValidationError("a KPI needs a name", field="name")
    rules.check_kpi(direction, target, warning, critical)
    with store.write(actor) as session:
        project = _project(session, project_id)
        _require_pm(project, actor, "set KPIs")
        kpi = ProjectKpi(
            project_id=project_id,
            name=name.strip(),
            unit=unit.strip(),
            direction=direction,
            target=target,
            warning=warning,
            critical=critical,
        )
        session.add(kpi)
        session.flush()
        return kpi


def record_kpi_in(
    session: Session, actor: Actor, kpi: ProjectKpi, value: float, on: date | None = None
) -> measures.ReadingResult:
    """Keep a reading and its level; a change of level is logged with the project."""
    thresholds = rules.KPI.thresholds(kpi.direction, kpi.warning, kpi.critical, kpi.target)
    previous = kpi.last_level
    change = rules.KPI.reading(previous, value, thresholds)
    level = rules.KPI.name(change.current)
    when = on or clock.today()
    session.add(
        KpiReading(
            kpi_id=kpi.id,
            read_on=when,
            value=value,
            level=level,
            recorded_by=actor.username,
            recorded_at=clock.now(),
        )
    )
    if kpi.last_on is None or when >= kpi.last_on:
        kpi.last_value, kpi.last_level, kpi.last_on = value, level, when
    session.add(kpi)
    session.flush()
    if change.crossed:
        # A first reading is compared with OK (see measures.Crossing): it leaves green.
        before = previous or rules.KPI.name(measures.Level.OK)
        project = _project(session, kpi.project_id)
        _event(
            session,
            project,
            "kpi.level",
            {"kpi": kpi.name, "value": value, "level": level, "previous": before},
            f"{kpi.name}: {before} -> {level}",
        )
    return measures.ReadingResult(kpi.name, value, level, previous, change.crossed)


def record_kpi(
    store: Store, actor: Actor, kpi_id: int, value: float, on: date | None = None
) -> measures.ReadingResult:
    """Record a dated KPI reading (the PM or the project's people)."""
    require(actor, "project.progress")
    with store.write(actor) as session:
        kpi = session.get(ProjectKpi, kpi_id)
        if kpi is None:
            raise NotFound("the KPI no longer exists")
        project = _project(session, kpi.project_id)
        if project.stage in FINAL_STAGES:
            raise ValidationError(f"{project.code} is {PROJECTS.label_of(project.stage)}")
        return record_kpi_in(session, actor, kpi, value, on)


def superior_of(session: Session, project: Project) -> str | None:
    """Who a major issue goes to: the head of the project's department, or above the PM."""
    manager = session.get(UserAccount, project.manager_id) if project.manager_id else None
    department = session.get(Department, project.department_id) if project.department_id else None
    while department is not None:
        head = department.head_username
        if head and (manager is None or head != manager.username):
            return head
        department = session.get(Department, department.parent_id) if department.parent_id else None
    executive = session.exec(
        select(UserAccount.username)
        .where(UserAccount.role == "executive", UserAccount.active == True)  # noqa: E712
        .order_by(UserAccount.id)
    ).first()
    return executive


def log_issue(
    store: Store,
    actor: Actor,
    project_id: int,
    *,
    title: str,
    severity: str,
    description: str = "",
    proposed_solution: str = "",
) -> ProjectIssue:
    """Log an issue; a major or critical one goes at once to the superior with a proposed
    solution (PRJ-4)."""
    require(actor, "project.progress")
    if not title.strip():
        raise ValidationError("an issue needs a title", field="title")
    if severity not in SEVERITIES:
        raise ValidationError(f"severity is one of: {', '.join(SEVERITIES)}", field="severity")
    escalate = severity in ESCALATED_SEVERITIES
    if escalate and not proposed_solution.strip():
        raise ValidationError(
            "a major issue is escalated with a proposed solution; give one",
            field="proposed_solution",
        )
    with store.write(actor) as session:
        project = _project(session, project_id)
        issue = ProjectIssue(
            project_id=project_id,
            title=title.strip(),
            description=description.strip(),
            severity=severity,
            raised_by=actor.username,
            raised_on=clock.today(),
            proposed_solution=proposed_solution.strip(),
        )
        if escalate:
            issue.status = "escalated"
            issue.escalated_to = superior_of(session, project)
            issue.escalated_at = clock.now()
        session.add(issue)
        session.flush()
        if escalate:
            _event(
                session,
                project,
                "issue.escalate",
                {"issue": issue.code, "severity": severity, "to": issue.escalated_to},
                f"{issue.title}; proposed: {issue.proposed_solution}",
            )
        return issue


def resolve_issue(
    store: Store, actor: Actor, issue_id: int, seen_version: int, resolution: str
) -> ProjectIssue:
    require(actor, "project.progress")
    if not resolution.strip():
        raise ValidationError("say how the issue was resolved", field="resolution")
    with store.write(actor) as session:
        changes = {"status": "resolved", "resolution": resolution.strip()}
        changes["resolved_on"] = clock.today()  # type: ignore[assignment]
        return update_record(session, ProjectIssue, issue_id, seen_version, changes)


# --- PRJ-5 acceptance -----------------------------------------------------------------------


def pass_acceptance(
    store: Store, actor: Actor, project_id: int, seen_version: int, opinion: str
) -> AcceptanceOpinion:
    """A reviewer passes the current acceptance round (then the project may close)."""
    require(actor, "project.accept")
    if not opinion.strip():
        raise ValidationError("write the acceptance opinion", field="opinion")
    with store.write(actor, comment=opinion) as session:
        project = update_record(session, Project, project_id, seen_version, {})
        _require_stage(project, ("acceptance",), "passing acceptance")
        open_items = open_rectifications(session, project_id)
        if open_items:
            raise ValidationError(f"{open_items} rectification items are still open")
        application = latest_application(session, project_id)
        if application is None:
            raise ValidationError(f"{project.code} has no acceptance application")
        application.status = "passed"
        session.add(application)
        found = AcceptanceOpinion(
            application_id=application.id,
            reviewer=actor.username,
            verdict="pass",
            opinion=opinion.strip(),
            at=clock.now(),
        )
        session.add(found)
        session.flush()
        _event(session, project, "acceptance.pass", {"round": application.round}, opinion)
        return found


def add_rectification(
    store: Store,
    actor: Actor,
    project_id: int,
    *,
    title: str,
    owner: str,
    due_date: date | None = None,
) -> RectificationItem:
    """A reviewer adds a rectification item to the current round."""
    require(actor, "project.accept")
    with store.write(actor) as session:
        project = _project(session, project_id)
        _require_stage(project, ("acceptance", "rectification"), "adding rectification items")
        _user(session, owner)
        application = latest_application(session, project_id)
        item = RectificationItem(
            project_id=project_id,
            application_id=application.id if application else None,
            title=title.strip(),
            owner=owner,
            due_date=due_date,
        )
        if application is not None and application.status == "passed":
            application.status = "rectification"
            session.add(application)
        session.add(item)
        session.flush()
        return item


def close_rectification(
    store: Store, actor: Actor, item_id: int, seen_version: int, note: str
) -> RectificationItem:
    """The item's owner or the PM closes a rectification item with a note."""
    if not note.strip():
        raise ValidationError("say what was done", field="note")
    with store.write(actor) as session:
        item = session.get(RectificationItem, item_id)
        if item is None:
            raise NotFound("the rectification item no longer exists")
        project = _project(session, item.project_id)
        reason = allowed.may_close_item(item.owner, project, actor)
        if reason:
            raise PermissionDenied(reason)
        changes = {"status": "closed", "closed_on": clock.today(), "closing_note": note.strip()}
        return update_record(session, RectificationItem, item_id, seen_version, changes)
