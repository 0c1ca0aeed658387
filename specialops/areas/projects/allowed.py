"""Which actions a user may take on one project now, and why not (pure, no session).

Each check returns a reason (str) when the action is refused, or ``None``.
The actions enforce the same checks before they write, and the detail view
carries :func:`allowed_actions`' verdicts, so a key is offered exactly when
its action would be accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from specialops.areas.projects.rules import DONE_STATUSES, budget_approved
from specialops.areas.projects.workflow import FINAL_STAGES, PROJECTS, is_pm
from specialops.identity import Actor
from specialops.permissions import can, lacks

PLAN_STAGES = ("planning", "plan-review", "executing")
PROGRESS_STAGES = ("executing", "pre-acceptance")
# Issues and meetings are still recorded on a rejected proposal, not on a finished project.
FINISHED_STAGES = ("closed", "cancelled")


class ProjectFacts(Protocol):
    """What the verdicts read: the project detail view provides it."""

    project: Any
    tasks: Sequence[Any]
    milestones: Sequence[Any]
    kpis: Sequence[Any]
    issues: Sequence[Any]
    rectifications: Sequence[Any]
    meetings: Sequence[tuple[Any, Sequence[Any]]]
    may_edit: bool
    is_pm: bool


class StageReason(str):
    """A refusal because of the project's stage, not of who asks."""


def outside_stage(project: Any, stages: Sequence[str], what: str) -> str | None:
    """Why ``what`` is not possible in the project's stage."""
    if project.stage in stages:
        return None
    where = " or ".join(PROJECTS.label_of(s) for s in stages)
    return StageReason(
        f"{what} is possible in {where}; {project.code} is {PROJECTS.label_of(project.stage)}"
    )


def in_stages(project: Any, stages: Sequence[str]) -> str | None:
    """Why nothing more is recorded on a project in one of ``stages``."""
    if project.stage not in stages:
        return None
    return f"{project.code} is {PROJECTS.label_of(project.stage)}"


def not_manager(project: Any, actor: Actor, what: str) -> str | None:
    """Why someone other than the project's manager may not ``what``."""
    return None if is_pm(project, actor) else f"only the manager of {project.code} may {what}"


def not_owner_or_pm(project: Any, actor: Actor, owner_id: int | None, task: str) -> str | None:
    """Why ``actor`` may not report on a task owned by the user ``owner_id``."""
    if is_pm(project, actor) or (owner_id is not None and owner_id == actor.user_id):
        return None
    return f"only the owner of {task} or the PM may report on it"


def progress_refusal(project: Any, actor: Actor, owner_id: int | None, task: str) -> str | None:
    """Why ``actor`` may not report progress on the task ``task`` of ``project``."""
    return _first(
        lacks(actor, "project.progress"),
        not_owner_or_pm(project, actor, owner_id, task),
        outside_stage(project, PROGRESS_STAGES, "reporting progress"),
    )


def achieve_refusal(project: Any, actor: Actor) -> str | None:
    """Why ``actor`` may not mark a milestone of ``project`` achieved."""
    return _first(
        lacks(actor, "project.manage"),
        not_manager(project, actor, "check milestones"),
        outside_stage(project, PROGRESS_STAGES, "achieving a milestone"),
    )


def plan_refusal(project: Any, actor: Actor) -> str | None:
    """Why ``actor`` may not change the plan (tasks, milestones, phases) of ``project``."""
    return _first(
        lacks(actor, "project.manage"),
        not_manager(project, actor, "change the plan"),
        outside_stage(project, PLAN_STAGES, "changing the plan"),
    )


def budget_locked(project: Any, actor: Actor) -> str | None:
    """Why ``actor`` may not change the budget of ``project``: once approved, it changes
    only with the right that approved it."""
    if not budget_approved(project.stage):
        return None
    if lack := lacks(actor, "project.approve"):
        return (
            f"the budget of {project.code} was approved; changing it takes "
            f"the right that approved it: {lack}"
        )
    return None


def own_plan(project: Any, actor: Actor) -> str | None:
    """Why the project's manager may not confirm their own plan (an admin may)."""
    if is_pm(project, actor) and actor.role != "admin":
        return "the project's manager cannot confirm their own plan"
    return None


def may_close_item(owner: str, project: Any, actor: Actor) -> str | None:
    """Why ``actor`` may not close a rectification item owned by ``owner``."""
    if owner == actor.username or is_pm(project, actor):
        return None
    return "only the item's owner or the PM may close it"


def may_close_action(owner: str, actor: Actor) -> str | None:
    """Why ``actor`` may not mark done a meeting action item owned by ``owner``."""
    if owner == actor.username or can(actor, "project.manage"):
        return None
    return "only the owner or a manager may close an action item"


def closable_items(facts: ProjectFacts, actor: Actor) -> tuple[int, ...]:
    """The open rectification items ``actor`` may close."""
    return tuple(
        r.id
        for r in facts.rectifications
        if r.status == "open" and may_close_item(r.owner, facts.project, actor) is None
    )


def closable_actions(facts: ProjectFacts, actor: Actor) -> tuple[int, ...]:
    """The meeting action items still open that ``actor`` may mark done."""
    return tuple(
        item.id
        for _meeting, items in facts.meetings
        for item in items
        if item.status != "done" and may_close_action(item.owner, actor) is None
    )


def _first(*reasons: str | None) -> str | None:
    return next((r for r in reasons if r), None)


def _unless(present: bool, reason: str) -> str | None:
    return None if present else reason


def allowed_actions(facts: ProjectFacts, actor: Actor) -> dict[str, str | None]:
    """Every detail action by name: ``None`` when ``actor`` may take it now, else why not."""
    p = facts.project
    open_tasks = any(t.status not in DONE_STATUSES for t in facts.tasks)
    waiting = any(m.achieved_date is None for m in facts.milestones)
    unresolved = any(i.status != "resolved" for i in facts.issues)
    progress = lacks(actor, "project.progress")
    plan = plan_refusal(p, actor)
    edit = None
    if not facts.may_edit:
        edit = in_stages(p, FINAL_STAGES) or (
            f"only the manager of {p.code}, or its proposer while it is proposed or"
            " returned, may edit it"
        )
    return {
        "edit": edit,
        "add_task": plan,
        "add_milestone": plan,
        "add_phase": plan,
        "reschedule": plan or _unless(open_tasks, "no open task to reschedule"),
        "confirm_plan": _first(
            lacks(actor, "project.review"),
            outside_stage(p, ("plan-review",), "confirming the plan"),
            own_plan(p, actor),
        ),
        "progress": _first(
            progress,
            outside_stage(p, PROGRESS_STAGES, "reporting progress"),
            _unless(open_tasks, "every task is done or cancelled"),
        ),
        "achieve": _first(
            achieve_refusal(p, actor),
            _unless(waiting, "every milestone is achieved"),
        ),
        "add_kpi": _first(not_manager(p, actor, "set KPIs"), in_stages(p, FINAL_STAGES)),
        "reading": _first(_unless(bool(facts.kpis), f"{p.code} has no KPI yet"), progress),
        "issue": _first(progress, in_stages(p, FINISHED_STAGES)),
        "meeting": _first(lacks(actor, "project.manage"), in_stages(p, FINISHED_STAGES)),
        "close_item": _unless(
            bool(closable_items(facts, actor)), "no open rectification item you may close"
        ),
        "pass_acceptance": _first(
            lacks(actor, "project.accept"),
            outside_stage(p, ("acceptance",), "passing acceptance"),
        ),
        "expense": _first(not_manager(p, actor, "record expenses"), in_stages(p, FINAL_STAGES)),
        "resolve_issue": _first(progress, _unless(unresolved, "no open issue")),
        "action_done": _unless(
            bool(closable_actions(facts, actor)), "no open action item you may close"
        ),
    }
