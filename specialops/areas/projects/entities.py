"""Import/export descriptions of projects, tasks and milestones (SPEC §9.1 field names).

An import changes a project only as the app's actions would, decided by
their own checks (:mod:`allowed`, :func:`actions.may_edit`):

- a new project is a proposal (``project.propose``);
- its fields change under :func:`actions.may_edit` (the proposer while it is
  proposed or returned, the PM until it closes, admins);
- the PM changes only as the approval appoints one: with ``project.approve``
  and an appointee the approval would accept; an approved budget changes
  only with ``project.approve`` too (:func:`rules.budget_approved`);
- tasks and milestones are the PM's plan (``project.manage``, planning
  stages). A change to a confirmed plan (in execution, or in review after a
  confirmation) needs a reason, an approver or a new confirmation, which
  only the app records, so an import refuses it; progress and achieved
  milestones follow the app's progress and milestone checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from specialops.areas.projects.models import Milestone, Project, ProjectTask
from specialops.entities import Choice, EntitySpec, FieldSpec, Refusal, RowChange, register
from specialops.identity import Actor

ORIGIN_CHOICES = (
    Choice(
        "strategy",
        "公司戰略",
        "公司战略",
        aliases=("strategic", "corporate strategy", "戰略", "战略"),
    ),
    Choice("market", "市場需求", "市场需求", aliases=("market demand", "市場", "市场")),
    Choice("customer", "客戶要求", "客户要求", aliases=("customer request", "客戶", "客户")),
)
STAGE_CHOICES = (
    Choice("proposed", "立項申請", "立项申请", aliases=("proposal", "draft", "申請中", "申请中")),
    Choice("approved", "已批准", "已批准", aliases=("批准", "已核准")),
    Choice("planning", "計劃制定", "计划制定", aliases=("plan", "規劃中", "规划中")),
    Choice(
        "plan-review", "計劃評審", "计划评审", aliases=("review", "in review", "評審中", "评审中")
    ),
    Choice(
        "executing",
        "執行中",
        "执行中",
        aliases=("in progress", "active", "ongoing", "進行中", "进行中"),
    ),
    Choice("pre-acceptance", "預驗收", "预验收", aliases=("pre acceptance",)),
    Choice("acceptance", "驗收", "验收", aliases=("accepting", "驗收中", "验收中")),
    Choice("rectification", "整改", "整改", aliases=("rework", "整改中")),
    Choice(
        "closed",
        "已結項",
        "已结项",
        aliases=("done", "completed", "complete", "結案", "结案", "已完成"),
    ),
    Choice("rejected", "已駁回", "已驳回", aliases=("declined", "駁回", "驳回")),
    Choice("returned", "退回修改", "退回修改", aliases=("sent back", "退回")),
    Choice("on-hold", "暫停", "暂停", aliases=("paused", "suspended", "hold", "已暫停", "已暂停")),
    Choice("cancelled", "已取消", "已取消"),
)
TASK_STATUS_CHOICES = (
    Choice("todo", "未開始", "未开始", aliases=("to do", "open", "not started", "待辦", "待办")),
    Choice(
        "in_progress",
        "進行中",
        "进行中",
        aliases=("doing", "started", "active", "執行中", "执行中"),
    ),
    Choice("blocked", "受阻", "受阻", aliases=("stuck", "on hold", "阻塞")),
    Choice(
        "done", "已完成", "已完成", aliases=("complete", "completed", "finished", "closed", "完成")
    ),
    Choice("cancelled", "已取消", "已取消"),
)


# --- governance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Project:
    """What the app's project checks read of a project."""

    id: int
    code: str
    stage: str
    manager_id: int | None
    proposed_by: str | None
    baseline_no: int


@dataclass(frozen=True)
class _EditFacts:
    """The facts :func:`allowed.allowed_actions` reads for its ``edit`` verdict."""

    project: _Project
    may_edit: bool
    is_pm: bool
    tasks: tuple[Any, ...] = ()
    milestones: tuple[Any, ...] = ()
    kpis: tuple[Any, ...] = ()
    issues: tuple[Any, ...] = ()
    rectifications: tuple[Any, ...] = ()
    meetings: tuple[Any, ...] = ()


def _projects(session: Session) -> dict[int, _Project]:
    found = session.exec(
        select(
            Project.id,
            Project.code,
            Project.stage,
            Project.manager_id,
            Project.proposed_by,
            Project.baseline_no,
        )
    ).all()
    return {int(row[0]): _Project(*row) for row in found}  # type: ignore[arg-type]


def _field_of(spec: EntitySpec, columns: set[str] | frozenset[str]) -> str | None:
    """The first field (in file order) stored in one of ``columns``."""
    return next((f.name for f in spec.fields if f.column in columns), None)


def _edit_refusal(project: _Project, actor: Actor) -> str | None:
    from specialops.areas.projects import actions, allowed
    from specialops.areas.projects.workflow import is_pm

    facts = _EditFacts(project, actions.may_edit(project, actor), is_pm(project, actor))  # type: ignore[arg-type]
    return allowed.allowed_actions(facts, actor)["edit"]


def _appointer(
    session: Session, actor: Actor
) -> Callable[[_Project | None, int | None], str | None]:
    """Why ``actor`` may not make a user (by id) a project's PM, as the approval appoints one."""
    from specialops.areas.projects import allowed
    from specialops.areas.projects.workflow import FINAL_STAGES, appointed
    from specialops.models.core import UserAccount

    lack = allowed.lacks(actor, "project.approve")
    names = dict(session.exec(select(UserAccount.id, UserAccount.username)).all())
    verdicts: dict[str, str | None] = {}  # the approval's check, once per appointee

    def refusal(project: _Project | None, manager_id: int | None) -> str | None:
        if project is not None and (final := allowed.in_stages(project, FINAL_STAGES)):
            return final
        if lack:
            return f"{lack}: the project manager is appointed when a project is approved"
        username = str(names.get(manager_id, "")) if manager_id is not None else ""
        if username not in verdicts:
            verdicts[username] = appointed(session, project, actor, {"manager": username})  # type: ignore[arg-type]
        return verdicts[username]

    return refusal


def _govern_projects(
    session: Session, actor: Actor, rows: Iterator[RowChange]
) -> Iterator[Refusal]:
    from specialops.areas.projects import allowed, rules
    from specialops.areas.projects.workflow import FINAL_STAGES

    projects = _projects(session)
    appoint = _appointer(session, actor)
    propose = allowed.lacks(actor, "project.propose")
    for row in rows:
        if row.is_new:
            if propose:
                yield Refusal(row.line, None, propose)
            elif row.new.get("manager_id") is not None:
                reason = appoint(None, row.new["manager_id"])
                if reason:
                    yield Refusal(row.line, "manager", reason)
            continue
        project = projects[row.record_id or 0]
        edits = set(row.changed)
        if "manager_id" in edits:
            edits.discard("manager_id")
            reason = appoint(project, row.new.get("manager_id"))
            if reason:
                yield Refusal(row.line, "manager", reason)
        if "budget" in edits and rules.budget_approved(project.stage):
            edits.discard("budget")
            reason = allowed.in_stages(project, FINAL_STAGES) or allowed.budget_locked(
                project, actor
            )
            if reason:
                yield Refusal(row.line, "budget", reason)
        if edits and (reason := _edit_refusal(project, actor)):
            yield Refusal(row.line, _field_of(PROJECTS, edits), reason)


def _plan_refusal(project: _Project, actor: Actor) -> str | None:
    """Why ``actor`` may not change the plan of ``project`` by import (see the module)."""
    from specialops.areas.projects import allowed

    if reason := allowed.plan_refusal(project, actor):
        return reason
    if project.stage == "executing":
        return (
            f"{project.code} is executing: a change to its confirmed plan needs a reason and "
            "an approver; make it in the app"
        )
    if project.stage == "plan-review" and project.baseline_no:
        return (
            f"the plan of {project.code} was confirmed: a change to it needs a new "
            "confirmation; make it in the app"
        )
    return None


def _moved(row: RowChange, projects: dict[int, _Project], what: str) -> Refusal | None:
    if row.is_new or "project_id" not in row.changed:
        return None
    home = projects[row.old["project_id"]].code
    return Refusal(row.line, "project", f"an import does not move a {what} out of {home}")


TASK_PROGRESS = frozenset({"percent_complete", "status"})


def _govern_tasks(session: Session, actor: Actor, rows: Iterator[RowChange]) -> Iterator[Refusal]:
    from specialops.areas.projects import allowed

    projects = _projects(session)
    owners: dict[int, Any] = {}

    def owner_of(row: RowChange) -> Any:
        if "owner_id" in row.old:
            return row.old["owner_id"]
        if not owners:  # the file has no owner column: every task's owner, read once
            owners.update(session.exec(select(ProjectTask.id, ProjectTask.owner_id)).all())
        return owners.get(row.record_id or 0)

    for row in rows:
        if moved := _moved(row, projects, "task"):
            yield moved
            continue
        project = projects[(row.new if row.is_new else row.old)["project_id"]]
        task = row.old.get("code") or "the task"
        if row.is_new:
            plan, progress = (
                set(row.changed),
                bool(
                    row.new.get("percent_complete") or row.new.get("status") not in (None, "todo")
                ),
            )
        else:
            plan, progress = set(row.changed - TASK_PROGRESS), bool(row.changed & TASK_PROGRESS)
        if plan and (reason := _plan_refusal(project, actor)):
            yield Refusal(row.line, _field_of(TASKS, plan) if not row.is_new else "project", reason)
            continue
        if progress and (reason := allowed.progress_refusal(project, actor, owner_of(row), task)):
            yield Refusal(row.line, _field_of(TASKS, row.changed & TASK_PROGRESS), reason)


def _govern_milestones(
    session: Session, actor: Actor, rows: Iterator[RowChange]
) -> Iterator[Refusal]:
    from specialops.areas.projects import allowed

    projects = _projects(session)
    for row in rows:
        if moved := _moved(row, projects, "milestone"):
            yield moved
            continue
        project = projects[(row.new if row.is_new else row.old)["project_id"]]
        plan = set(row.changed - {"achieved_date"})
        achieved = "achieved_date" in row.changed
        if plan and (reason := _plan_refusal(project, actor)):
            yield Refusal(
                row.line, _field_of(MILESTONES, plan) if not row.is_new else "project", reason
            )
        elif achieved and (reason := allowed.achieve_refusal(project, actor)):
            yield Refusal(row.line, "achieved_date", reason)


PROJECTS = register(
    EntitySpec(
        "projects",
        Project,
        key="code",
        label="項目",
        governor=_govern_projects,
        fields=(
            FieldSpec(
                "code",
                max_length=16,
                help="PRJ-0001; empty on new rows to get a new code",
                aliases=("項目編號", "项目编号", "專案編號", "编号", "編號"),
            ),
            FieldSpec(
                "name",
                required=True,
                max_length=200,
                help="project name",
                aliases=("項目名稱", "项目名称", "專案名稱", "名稱", "名称"),
            ),
            FieldSpec(
                "department",
                "ref",
                ref="departments",
                help="owning department code",
                aliases=("部門", "部门"),
            ),
            FieldSpec(
                "origin", "choice", choices=ORIGIN_CHOICES, help="where the project came from"
            ),
            FieldSpec("background", help="background of the proposal"),
            FieldSpec("objectives", help="objectives", aliases=("目標", "目标")),
            FieldSpec("expected_results", help="expected results"),
            FieldSpec(
                "budget",
                "money",
                min=0,
                help="preliminary budget, e.g. 1250000.00",
                aliases=("預算", "预算"),
            ),
            FieldSpec("start_date", "date", help="planned start", aliases=("開始日期", "开始日期")),
            FieldSpec("end_date", "date", help="planned end", aliases=("結束日期", "结束日期")),
            FieldSpec(
                "stage",
                "choice",
                choices=STAGE_CHOICES,
                workflow="projects",
                help="new rows start as proposed; later stages through the project workflow",
            ),
            FieldSpec(
                "manager",
                "ref",
                ref="users",
                help="the project manager's login",
                aliases=("項目經理", "项目经理", "專案經理", "負責人", "负责人", "PM"),
            ),
        ),
    )
)

TASKS = register(
    EntitySpec(
        "tasks",
        ProjectTask,
        key="code",
        label="任務",
        governor=_govern_tasks,
        fields=(
            FieldSpec("code", max_length=16, help="TSK-00001; empty on new rows to get a new code"),
            FieldSpec("project", "ref", required=True, ref="projects", help="project code"),
            FieldSpec("title", required=True, max_length=200, help="what is to be done"),
            FieldSpec("owner", "ref", ref="users", help="the owner's login"),
            FieldSpec("start_date", "date", help="planned start"),
            FieldSpec("due_date", "date", help="due date"),
            FieldSpec("status", "choice", choices=TASK_STATUS_CHOICES, help="defaults to todo"),
            FieldSpec("percent_complete", "percent", min=0, max=100, help="0 to 100"),
            FieldSpec("deliverable", help="what the task delivers"),
            FieldSpec("acceptance_criteria", help="how the deliverable is accepted"),
        ),
    )
)

MILESTONES = register(
    EntitySpec(
        "milestones",
        Milestone,
        key="code",
        label="里程碑",
        governor=_govern_milestones,
        fields=(
            FieldSpec("code", max_length=16, help="MS-00001; empty on new rows to get a new code"),
            FieldSpec("project", "ref", required=True, ref="projects", help="project code"),
            FieldSpec("name", required=True, max_length=200, help="milestone name"),
            FieldSpec("due_date", "date", required=True, help="due date"),
            FieldSpec("achieved_date", "date", help="when it was achieved (empty: not yet)"),
        ),
    )
)
