"""What the project screens show, as plain view objects read in one short session each.

Health is computed here from a handful of batched queries (tasks,
milestones, KPIs, spend and current stays of every listed project), so the
board costs the same few queries for 10 projects or 500.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from specialops import alerts, clock
from specialops import workflow as wf
from specialops.areas.projects import rules
from specialops.areas.projects.actions import TASK_STATUS_LABELS, baseline_plan, may_edit
from specialops.areas.projects.models import (
    AcceptanceApplication,
    AcceptanceOpinion,
    ActionItem,
    KpiReading,
    Milestone,
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
    ACTIVE_STAGES,
    BACKWARD,
    FORWARD,
    KEY_LABELS,
    PROJECTS,
    RESUMES,
    STAGE_LABELS,
)
from specialops.audit_view import EntryView, readable
from specialops.identity import Actor
from specialops.listing import Column, ListSpec, PageSource
from specialops.models.core import AuditEntry, Department, UserAccount
from specialops.models.workflow import StateHistory
from specialops.store.store import Store


@dataclass(frozen=True)
class ProjectCard:
    """One card of the board."""

    id: int
    version: int
    code: str
    name: str
    stage: str
    manager: str
    manager_login: str | None
    department_id: int | None
    health: str
    reasons: tuple[str, ...]
    next_milestone: str
    days_in_stage: int
    proposed_by: str | None


def _lines(session: Session, ids: list[int]) -> tuple[dict, dict, dict, dict]:
    tasks: dict[int, list[rules.TaskLine]] = defaultdict(list)
    milestones: dict[int, list[rules.MilestoneLine]] = defaultdict(list)
    kpis: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    spent: dict[int, int] = {}
    if not ids:
        return tasks, milestones, kpis, spent
    for row in session.exec(
        select(
            ProjectTask.project_id,
            ProjectTask.planned_hours,
            ProjectTask.percent_complete,
            ProjectTask.start_date,
            ProjectTask.due_date,
            ProjectTask.status,
            ProjectTask.title,
        ).where(col(ProjectTask.project_id).in_(ids))
    ).all():
        tasks[row[0]].append(rules.TaskLine(*row[1:]))
    for pid, name, due, achieved in session.exec(
        select(
            Milestone.project_id, Milestone.name, Milestone.due_date, Milestone.achieved_date
        ).where(col(Milestone.project_id).in_(ids))
    ).all():
        milestones[pid].append(rules.MilestoneLine(name, due, achieved))
    for pid, name, level in session.exec(
        select(ProjectKpi.project_id, ProjectKpi.name, ProjectKpi.last_level).where(
            col(ProjectKpi.project_id).in_(ids)
        )
    ).all():
        kpis[pid].append((name, level))
    for pid, total in session.exec(
        select(ProjectExpense.project_id, func.sum(ProjectExpense.amount))
        .where(col(ProjectExpense.project_id).in_(ids))
        .group_by(ProjectExpense.project_id)
    ).all():
        spent[pid] = int(total or 0)
    return tasks, milestones, kpis, spent


def _health_of(project: Project, lines: tuple[dict, dict, dict, dict], today: date):
    tasks, milestones, kpis, spent = lines
    pid = project.id
    return rules.health(
        tasks.get(pid, []),
        milestones.get(pid, []),
        kpis.get(pid, []),
        project.budget,
        spent.get(pid, 0),
        today,
    )


def _entered(session: Session, ids: list[int]) -> dict[int, datetime]:
    if not ids:
        return {}
    rows = session.exec(
        select(StateHistory.record_id, func.max(StateHistory.entered_at))
        .where(
            StateHistory.workflow == PROJECTS.name,
            col(StateHistory.record_id).in_(ids),
            col(StateHistory.left_at).is_(None),
        )
        .group_by(StateHistory.record_id)
    ).all()
    return {rid: at for rid, at in rows}


def _next_milestone(lines: list[rules.MilestoneLine]) -> str:
    waiting = sorted((m for m in lines if m.achieved_date is None), key=lambda m: m.due_date)
    if not waiting:
        return ""
    m = waiting[0]
    return f"{m.due_date:%m-%d} {m.name}"


@dataclass(frozen=True)
class BoardFilter:
    """Which cards the board shows."""

    mine: bool = False
    department: bool = False
    red_only: bool = False

    def describe(self) -> str:
        parts = [
            name
            for on, name in (
                (self.mine, "mine 我的"),
                (self.department, "my department 本部門"),
                (self.red_only, "red 紅燈"),
            )
            if on
        ]
        return ", ".join(parts) if parts else "all 全部"


def board(
    store: Store, actor: Actor, flt: BoardFilter | None = None
) -> dict[str, list[ProjectCard]]:
    """The active projects by stage, with health and days in stage (one short read)."""
    flt = flt or BoardFilter()
    today = clock.today()
    now = clock.now()
    with store.read() as session:
        query = select(Project).where(col(Project.stage).in_(ACTIVE_STAGES))
        if flt.mine:
            query = query.where(
                or_(Project.manager_id == actor.user_id, Project.proposed_by == actor.username)
            )
        if flt.department:
            query = query.where(Project.department_id == actor.department_id)
        projects = session.exec(query.order_by(Project.code)).all()
        ids = [p.id for p in projects if p.id is not None]
        lines = _lines(session, ids)
        entered = _entered(session, ids)
        names = dict(session.exec(select(UserAccount.id, UserAccount.name)).all())
        logins = dict(session.exec(select(UserAccount.id, UserAccount.username)).all())
    columns: dict[str, list[ProjectCard]] = {stage: [] for stage in ACTIVE_STAGES}
    for project in projects:
        assert project.id is not None
        health = _health_of(project, lines, today)
        if flt.red_only and health.colour != "red":
            continue
        since = entered.get(project.id, project.created_at)
        columns[project.stage].append(
            ProjectCard(
                id=project.id,
                version=project.version,
                code=project.code or "",
                name=project.name,
                stage=project.stage,
                manager=names.get(project.manager_id, "") if project.manager_id else "",
                manager_login=logins.get(project.manager_id) if project.manager_id else None,
                department_id=project.department_id,
                health=health.colour,
                reasons=tuple(health.reasons),
                next_milestone=_next_milestone(lines[1].get(project.id, [])),
                days_in_stage=max((now - since).days, 0),
                proposed_by=project.proposed_by,
            )
        )
    return columns


def headline(store: Store, actor: Actor) -> str | None:
    """The home card figure: active projects and how many are red."""
    columns = board(store, actor)
    cards = [c for cards in columns.values() for c in cards]
    if not cards:
        return None
    red = sum(1 for c in cards if c.health == "red")
    amber = sum(1 for c in cards if c.health == "amber")
    return f"{len(cards)} active, {red} red, {amber} amber"


# --- the detail -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiView:
    """One KPI with its latest reading; ``level`` is None until it has one."""

    id: int
    name: str
    unit: str
    direction: str
    target: float
    warning: float
    critical: float
    value: float | None
    level: str | None
    trend: list[float]

    @property
    def measured(self) -> bool:
        """Whether the KPI has a reading (an unread KPI is not green, just not measured)."""
        return self.level is not None


@dataclass(frozen=True)
class Step:
    """A workflow step of the user's role: allowed now, or blocked for ``reasons``."""

    name: str
    label: str
    direction: str  # forward, back or other
    needs_comment: bool
    reasons: tuple[str, ...] = ()
    key_label: str = ""

    @property
    def allowed(self) -> bool:
        return not self.reasons


@dataclass
class ProjectDetail:
    """Everything the project detail screen shows."""

    project: Project
    department: str
    manager: str
    manager_login: str | None
    health: rules.Health
    spent: int
    kpis: list[KpiView]
    phases: list[ProjectPhase]
    tasks: list[ProjectTask]
    milestones: list[Milestone]
    owners: dict[int, str]
    baseline: dict[str, Any]
    changes: list[PlanChange]
    meetings: list[tuple[ProjectMeeting, list[ActionItem]]]
    issues: list[ProjectIssue]
    applications: list[tuple[AcceptanceApplication, list[AcceptanceOpinion]]]
    rectifications: list[RectificationItem]
    history: list[EntryView]  # audit entries as the reader may see them
    stays: list[wf.Stay]
    days_in_stage: dict[str, float]
    steps: list[Step] = field(default_factory=list)
    may_edit: bool = False
    is_pm: bool = False
    # Each detail action: None when the user may take it now, else why not (allowed.py).
    allowed: dict[str, str | None] = field(default_factory=dict)
    closable_items: tuple[int, ...] = ()  # rectification items the user may close
    closable_actions: tuple[int, ...] = ()  # meeting action items the user may mark done


def _direction(name: str) -> str:
    return "forward" if name in FORWARD else "back" if name in BACKWARD else "other"


def _detours() -> list[wf.Transition]:
    """The forward transitions back out of a stage that their target sends projects back to."""
    ts = PROJECTS.transitions
    return [
        t
        for t in ts
        if t.name in FORWARD
        and any(b.name in BACKWARD and t.target in b.source_states and b.target in t.source_states
                for b in ts)
    ]  # fmt: skip


def _steps(session: Session, project: Project, actor: Actor) -> list[Step]:
    """The steps of the actor's role from the project's stage, the blocked ones with reasons.

    A stage a later stage sends projects back to is a detour of that stage:
    someone with no forward step of their own here also sees the forward
    steps of the later stage, blocked first by where the project must be (an
    executive in rectification sees why the project cannot close yet).
    """
    here = wf.verdicts(session, project, actor, PROJECTS)
    if not any(_direction(v.transition.name) == "forward" for v in here):
        ahead = {t.target for t in _detours() if project.stage in t.source_states}
        known = {v.transition.name for v in here}
        here += [
            v
            for v in wf.verdicts(session, project, actor, PROJECTS, also_from=ahead)
            if v.transition.name in FORWARD and v.transition.name not in known
        ]
    steps = []
    for v in here:
        t = v.transition
        if v.allowed or t.name not in RESUMES:
            steps.append(Step(t.name, t.label, _direction(t.name), t.needs_comment, v.reasons,
                              KEY_LABELS.get(t.name, t.label)))  # fmt: skip
    return steps


def detail(store: Store, actor: Actor, code: str) -> ProjectDetail:
    """One project with its plan, progress, meetings, issues, acceptance and history."""
    from dataclasses import replace

    from specialops.areas.projects import allowed
    from specialops.areas.projects.actions import get_project
    from specialops.areas.projects.workflow import is_pm

    today = clock.today()
    with store.read() as session:
        project = get_project(session, code)
        pid = project.id
        assert pid is not None
        department = (
            session.get(Department, project.department_id) if project.department_id else None
        )
        manager = session.get(UserAccount, project.manager_id) if project.manager_id else None
        lines = _lines(session, [pid])
        kpis = []
        for kpi in session.exec(
            select(ProjectKpi).where(ProjectKpi.project_id == pid).order_by(ProjectKpi.id)
        ).all():
            readings = session.exec(
                select(KpiReading.value)
                .where(KpiReading.kpi_id == kpi.id)
                .order_by(col(KpiReading.read_on).desc(), col(KpiReading.id).desc())
                .limit(12)
            ).all()
            kpis.append(
                KpiView(
                    kpi.id or 0, kpi.name, kpi.unit, kpi.direction, kpi.target, kpi.warning,
                    kpi.critical, kpi.last_value, kpi.last_level, list(reversed(readings)),
                )
            )  # fmt: skip
        tasks = list(
            session.exec(
                select(ProjectTask)
                .where(ProjectTask.project_id == pid)
                .order_by(col(ProjectTask.due_date), col(ProjectTask.id))
            ).all()
        )
        owners = dict(session.exec(select(UserAccount.id, UserAccount.username)).all())
        meetings = []
        for meeting in session.exec(
            select(ProjectMeeting)
            .where(ProjectMeeting.project_id == pid)
            .order_by(col(ProjectMeeting.held_on).desc(), col(ProjectMeeting.id).desc())
        ).all():
            items = session.exec(
                select(ActionItem)
                .where(ActionItem.meeting_id == meeting.id)
                .order_by(ActionItem.id)
            ).all()
            meetings.append((meeting, list(items)))
        applications = []
        for application in session.exec(
            select(AcceptanceApplication)
            .where(AcceptanceApplication.project_id == pid)
            .order_by(col(AcceptanceApplication.round).desc())
        ).all():
            opinions = session.exec(
                select(AcceptanceOpinion)
                .where(AcceptanceOpinion.application_id == application.id)
                .order_by(AcceptanceOpinion.id)
            ).all()
            applications.append((application, list(opinions)))
        child_codes = [t.code for t in tasks] + [
            m.code for m in session.exec(select(Milestone).where(Milestone.project_id == pid))
        ]
        history = session.exec(
            select(AuditEntry)
            .where(
                or_(
                    and_(AuditEntry.entity == "projects", AuditEntry.record_id == pid),
                    col(AuditEntry.code).in_([c for c in child_codes if c]),
                )
            )
            .order_by(col(AuditEntry.id).desc())
            .limit(200)
        ).all()
        detail_ = ProjectDetail(
            project=project,
            department=department.name if department else "",
            manager=manager.name if manager else "",
            manager_login=manager.username if manager else None,
            health=_health_of(project, lines, today),
            spent=lines[3].get(pid, 0),
            kpis=kpis,
            phases=list(
                session.exec(
                    select(ProjectPhase)
                    .where(ProjectPhase.project_id == pid)
                    .order_by(col(ProjectPhase.start_date), col(ProjectPhase.id))
                ).all()
            ),
            tasks=tasks,
            milestones=list(
                session.exec(
                    select(Milestone)
                    .where(Milestone.project_id == pid)
                    .order_by(col(Milestone.due_date), col(Milestone.id))
                ).all()
            ),
            owners=owners,
            baseline=baseline_plan(session, pid),
            changes=list(
                session.exec(
                    select(PlanChange)
                    .where(PlanChange.project_id == pid)
                    .order_by(col(PlanChange.id).desc())
                ).all()
            ),
            meetings=meetings,
            issues=list(
                session.exec(
                    select(ProjectIssue)
                    .where(ProjectIssue.project_id == pid)
                    .order_by(col(ProjectIssue.id).desc())
                ).all()
            ),
            applications=applications,
            rectifications=list(
                session.exec(
                    select(RectificationItem)
                    .where(RectificationItem.project_id == pid)
                    .order_by(RectificationItem.id)
                ).all()
            ),
            history=readable(session, history),
            stays=wf.history(session, PROJECTS, pid),
            days_in_stage={
                s: secs / 86400 for s, secs in wf.time_in_states(session, PROJECTS, pid).items()
            },
            steps=_steps(session, project, actor),
            may_edit=may_edit(project, actor),
            is_pm=is_pm(project, actor),
        )
        detail_ = replace(
            detail_,
            allowed=allowed.allowed_actions(detail_, actor),
            closable_items=allowed.closable_items(detail_, actor),
            closable_actions=allowed.closable_actions(detail_, actor),
        )
    return detail_


def cycle_days(store: Store) -> dict[str, tuple[int, float]]:
    """Per stage: finished stays and their mean length in days (GEN-3)."""
    with store.read() as session:
        found = wf.cycle_times(session, PROJECTS)
    return {state: (n, mean / 86400) for state, (n, mean, _median) in found.items()}


# --- lists of the Plan tab ------------------------------------------------------------------


def _day(value: Any) -> str:
    return "" if value is None else f"{value:%Y-%m-%d}"


def tasks_source(store: Store, project_id: int) -> PageSource:
    """The project's tasks, for the record list."""
    owner = UserAccount.__table__.alias("owner")  # type: ignore[attr-defined]
    task = ProjectTask.__table__  # type: ignore[attr-defined]
    query = sa_select(
        task.c.id,
        task.c.code,
        task.c.title,
        owner.c.username.label("owner"),
        task.c.due_date,
        task.c.status,
        task.c.percent_complete,
        task.c.planned_hours,
        task.c.project_id,
    ).select_from(task.outerjoin(owner, owner.c.id == task.c.owner_id))
    spec = ListSpec(
        source=query,
        columns=[
            Column("code", "Code 編號", 10),
            Column("title", "Task 任務", 20, searchable=True),
            Column("owner", "Owner 負責人", 12, sortable=False),
            Column("due_date", "Due 到期", 10, format=_day),
            Column("status", "Status 狀態", 10, format=lambda s: TASK_STATUS_LABELS.get(s, s)),
            Column("percent_complete", "Done 完成", 8, format=lambda p: f"{p}%", align="right"),
            Column("planned_hours", "Hours 工時", 8, align="right"),
        ],
        default_sort="due_date",
        fixed={"project_id": project_id},
    )
    return PageSource(store, spec)


def milestones_source(store: Store, project_id: int) -> PageSource:
    """The project's milestones, for the record list."""
    table = Milestone.__table__  # type: ignore[attr-defined]
    spec = ListSpec(
        source=table,
        columns=[
            Column("code", "Code 編號", 10),
            Column("name", "Milestone 里程碑", 24, searchable=True),
            Column("due_date", "Due 到期", 10, format=_day),
            Column("achieved_date", "Achieved 達成", 12, format=_day),
        ],
        default_sort="due_date",
        fixed={"project_id": project_id},
    )
    return PageSource(store, spec)


# --- alerts ---------------------------------------------------------------------------------


@alerts.source("projects")
def project_alerts(session: Session, now: datetime) -> Iterator[alerts.Alert]:
    """Late milestones, red and amber KPIs, overspending, overdue action and rectification
    items, and escalated issues waiting for the superior."""
    today = now.astimezone(clock.local_zone()).date()
    active = session.exec(select(Project).where(col(Project.stage).in_(ACTIVE_STAGES))).all()
    by_id = {p.id: p for p in active}
    ids = [p.id for p in active if p.id is not None]
    if not ids:
        return
    logins = dict(session.exec(select(UserAccount.id, UserAccount.username)).all())

    def people(project: Project, *extra: str | None) -> tuple[str, ...]:
        pm = logins.get(project.manager_id) if project.manager_id else None
        return tuple(u for u in (pm, *extra) if u)

    def depts(project: Project) -> tuple[int, ...]:
        return (project.department_id,) if project.department_id else ()

    for m in session.exec(
        select(Milestone).where(
            col(Milestone.project_id).in_(ids),
            col(Milestone.achieved_date).is_(None),
            Milestone.due_date < today,
        )
    ).all():
        project = by_id[m.project_id]
        late = (today - m.due_date).days
        yield alerts.Alert(
            "critical" if late > rules.MILESTONE_RED_DAYS else "warning",
            "projects",
            project.code or "",
            f"milestone {m.code} {m.name} overdue by {late} days",
            users=people(project),
            departments=depts(project),
        )
    for kpi in session.exec(
        select(ProjectKpi).where(
            col(ProjectKpi.project_id).in_(ids), col(ProjectKpi.last_level).in_(("amber", "red"))
        )
    ).all():
        project = by_id[kpi.project_id]
        yield alerts.Alert(
            "critical" if kpi.last_level == "red" else "warning",
            "projects",
            project.code or "",
            f"KPI {kpi.name} = {kpi.last_value:g}{kpi.unit} ({kpi.last_level}; "
            f"target {kpi.target:g}{kpi.unit})",
            users=people(project),
            departments=depts(project),
        )
    _, _, _, spent = _lines(session, ids)
    for pid, amount in spent.items():
        project = by_id[pid]
        if project.budget and amount > project.budget:
            yield alerts.Alert(
                "critical",
                "projects",
                project.code or "",
                f"over budget: spent {rules.format_money(amount)} of "
                f"{rules.format_money(project.budget)}",
                users=people(project),
                departments=depts(project),
            )
    for item in session.exec(
        select(ActionItem).where(
            col(ActionItem.project_id).in_(ids),
            ActionItem.status == "open",
            col(ActionItem.due_date) < today,
        )
    ).all():
        project = by_id[item.project_id]
        days = (today - item.due_date).days if item.due_date else 0
        yield alerts.Alert(
            "warning",
            "projects",
            project.code or "",
            f"action item overdue by {days} days: {item.title} ({item.owner})",
            users=people(project, item.owner),
            departments=depts(project),
        )
    for item in session.exec(
        select(RectificationItem).where(
            col(RectificationItem.project_id).in_(ids),
            RectificationItem.status == "open",
            col(RectificationItem.due_date) < today,
        )
    ).all():
        project = by_id[item.project_id]
        yield alerts.Alert(
            "warning",
            "projects",
            project.code or "",
            f"rectification overdue: {item.title} ({item.owner})",
            users=people(project, item.owner),
            departments=depts(project),
        )
    for issue in session.exec(
        select(ProjectIssue).where(
            col(ProjectIssue.project_id).in_(ids), ProjectIssue.status == "escalated"
        )
    ).all():
        project = by_id[issue.project_id]
        yield alerts.Alert(
            "critical" if issue.severity == "critical" else "warning",
            "projects",
            project.code or "",
            f"escalated issue {issue.code} waits for {issue.escalated_to}: {issue.title}",
            users=people(project, issue.escalated_to),
            departments=depts(project),
        )


def stage_label(stage: str) -> str:
    return STAGE_LABELS.get(stage, stage)


def available_steps(store: Store, actor: Actor, code: str) -> list[Step]:
    """The lifecycle steps ``actor`` may take on project ``code`` now."""
    from specialops.areas.projects.actions import get_project

    with store.read() as session:
        project = get_project(session, code)
        return [
            Step(t.name, t.label, _direction(t.name), t.needs_comment,
                 key_label=KEY_LABELS.get(t.name, t.label))
            for t in wf.available(session, project, actor, PROJECTS)
        ]  # fmt: skip
