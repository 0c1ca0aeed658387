"""Which actions a user may take on one project now, and why not (pure, no session).

Each check returns a reason (str) when the action is refused, or ``None``.
The actions enforce the same checks before they write, and the detail view
carries :func:`allowed_actions`' verdicts, so a key is offered exactly when
its action would be accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from specialops.areas.projects.rules import DONE_STATUSES
from specialops.areas.projects.workflow import FINAL_STAGES, PROJECTS, is_pm
from specialops.identity import Actor
from specialops.permissions import can, declared

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


def lacks(actor: Actor, permission: str) -> str | None:
    """Why ``actor``'s role may not take ``permission`` (the words :func:`require` uses)."""
    if can(actor, permission):
        return None
    return f"{actor.username} ({actor.role}) may not {declared(permission)}"


def outside_stage(project: Any, stages: Sequence[str], what: str) -> str | None:
    """Why ``what`` is not possible in the project's stage."""
    if project.stage in stages:
        return None
    where = " or ".join(PROJECTS.label_of(s) for s in stages)
    return f"{what} is possible in {where}; {project.code} is {PROJECTS.label_of(project.stage)}"


def in_stages(project: Any, stages: Sequence[str]) -> str | None:
    """Why nothing more is recorded on a project in one of ``stages``."""
    if project.stage not in stages:
        return None
    return f"{project.code} is {PROJECTS.label_of(project.stage)}"


def not_manager(project: Any, actor: Actor, what: str) -> str | None:
    """Why someone other than the project's manager may not ``what``."""
    return None if is_pm(project, actor) else f"only the manager of {project.code} may {what}"


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
    plan = _first(
        not_manager(p, actor, "change the plan"),
        outside_stage(p, PLAN_STAGES, "changing the plan"),
    )
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
            not_manager(p, actor, "check milestones"),
            outside_stage(p, PROGRESS_STAGES, "achieving a milestone"),
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
