"""The project lifecycle of SPEC §2.1 on the workflow engine (PRJ-1…5).

proposed → approved → planning → plan-review → executing → pre-acceptance →
acceptance → (rectification ↔ acceptance) → closed, plus rejected, returned,
on-hold and cancelled. Each transition names its permission and guards;
the stage field is never set anywhere else.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import inspect
from sqlmodel import Session, col, func, select

from specialops import audit
from specialops import workflow as wf
from specialops.areas.projects.entities import STAGE_CHOICES
from specialops.areas.projects.models import (
    AcceptanceApplication,
    AcceptanceOpinion,
    Milestone,
    Project,
    ProjectTask,
    RectificationItem,
)
from specialops.identity import Actor
from specialops.models.core import UserAccount
from specialops.store.session import log

# The stages and their labels are the import/export description's choices.
STAGES = tuple(c.value for c in STAGE_CHOICES)
STAGE_LABELS = {c.value: c.zh_hant for c in STAGE_CHOICES}
# The board shows one column per active stage.
ACTIVE_STAGES = STAGES[:8]
HOLDABLE = ACTIVE_STAGES[1:]
FINAL_STAGES = ("closed", "rejected", "cancelled")
PM_ROLES = ("manager", "executive", "admin")


# --- guards ---------------------------------------------------------------------------------


def is_pm(project: Project, actor: Actor) -> bool:
    """Whether ``actor`` is the project's manager (admins stand in for anyone)."""
    return actor.role == "admin" or (
        project.manager_id is not None and project.manager_id == actor.user_id
    )


def _pm_only(_s: Session, project: Project, actor: Actor, _p: Any) -> str | None:
    return None if is_pm(project, actor) else "only the project's manager may do this"


def appointed(session: Session, project: Project, _a: Actor, payload: Any) -> str | None:
    """Why the approval may not appoint ``payload['manager']`` as the project's manager."""
    if payload is None:
        return None
    username = str(payload.get("manager") or "").strip()
    if not username:
        return "approval needs an appointed project manager"
    user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
    if user is None or not user.active:
        return f"unknown user {username} cannot manage the project"
    if user.role not in PM_ROLES:
        return f"{username} ({user.role}) cannot be a project manager; appoint a manager"
    return None


def _appoint(session: Session, project: Project, _a: Actor, payload: Any) -> None:
    username = str(payload["manager"]).strip()
    user = session.exec(select(UserAccount).where(UserAccount.username == username)).one()
    project.manager_id = user.id


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def _plan_complete(session: Session, project: Project, _a: Actor, _p: Any) -> str | None:
    tasks = session.exec(select(ProjectTask).where(ProjectTask.project_id == project.id)).all()
    milestones = _count(session, Milestone, Milestone.project_id == project.id)
    if not tasks or not milestones:
        return "the plan needs at least one task and one milestone"
    missing = [t.code for t in tasks if t.owner_id is None or t.due_date is None]
    if missing:
        return f"tasks without an owner or a due date: {', '.join(str(m) for m in missing)}"
    return None


def _baseline_confirmed(_s: Session, project: Project, _a: Actor, _p: Any) -> str | None:
    if project.baseline_no == 0:
        return "execution needs a confirmed baseline: the plan has not been confirmed"
    if project.plan_changed:
        return "the plan changed after its confirmation; have it confirmed again"
    return None


def _tasks_finished(session: Session, project: Project, _a: Actor, _p: Any) -> str | None:
    open_ = _count(
        session,
        ProjectTask,
        ProjectTask.project_id == project.id,
        col(ProjectTask.status).not_in(("done", "cancelled")),
    )
    return f"{open_} tasks are not done yet" if open_ else None


def _reports_given(_s: Session, _p: Project, _a: Actor, payload: Any) -> str | None:
    if payload is None:
        return None
    missing = [k for k in ("result_report", "test_report") if not str(payload.get(k) or "").strip()]
    if missing:
        return f"the acceptance application needs: {', '.join(missing)}"
    return None


def latest_application(session: Session, project_id: int) -> AcceptanceApplication | None:
    """The newest acceptance round of a project."""
    return session.exec(
        select(AcceptanceApplication)
        .where(AcceptanceApplication.project_id == project_id)
        .order_by(col(AcceptanceApplication.round).desc())
    ).first()


def open_rectifications(session: Session, project_id: int) -> int:
    return _count(
        session,
        RectificationItem,
        RectificationItem.project_id == project_id,
        RectificationItem.status == "open",
    )


def _items_given(session: Session, _p: Project, _a: Actor, payload: Any) -> str | None:
    if payload is None:
        return None
    items = payload.get("items") or []
    if not items:
        return "list at least one rectification item"
    known = set(session.exec(select(UserAccount.username)).all())
    for item in items:
        if not str(item.get("title") or "").strip():
            return "every rectification item needs a title"
        if item.get("owner") not in known:
            return f"unknown owner {item.get('owner')} of rectification item {item.get('title')}"
    return None


def _no_open_items(session: Session, project: Project, _a: Actor, _p: Any) -> str | None:
    count = open_rectifications(session, project.id or 0)
    return f"{count} rectification items are still open" if count else None


def _passed(session: Session, project: Project, _a: Actor, _p: Any) -> str | None:
    application = latest_application(session, project.id or 0)
    if application is None or application.status != "passed":
        return "closing needs a passed acceptance"
    return None


def _held_from(stage: str) -> wf.Guard:
    def guard(_s: Session, project: Project, _a: Actor, _p: Any) -> str | None:
        return None if project.held_from == stage else f"the project was not held in {stage}"

    return guard


# --- effects --------------------------------------------------------------------------------


def _apply_for_acceptance(session: Session, project: Project, actor: Actor, payload: Any) -> None:
    previous = latest_application(session, project.id or 0)
    session.add(
        AcceptanceApplication(
            project_id=project.id,
            round=(previous.round + 1) if previous else 1,
            result_report=str(payload.get("result_report") or "").strip(),
            test_report=str(payload.get("test_report") or "").strip(),
            documents=str(payload.get("documents") or "").strip(),
            submitted_by=actor.username,
        )
    )


def _resubmit(session: Session, project: Project, actor: Actor, payload: Any) -> None:
    previous = latest_application(session, project.id or 0)
    _apply_for_acceptance(
        session,
        project,
        actor,
        {
            "result_report": payload.get("result_report")
            or (previous.result_report if previous else ""),
            "test_report": payload.get("test_report") or (previous.test_report if previous else ""),
            "documents": payload.get("documents") or (previous.documents if previous else ""),
        },
    )


def _rectify(session: Session, project: Project, actor: Actor, payload: Any) -> None:
    application = latest_application(session, project.id or 0)
    opinion = str(payload.get("opinion") or session.info.get("comment") or "")
    if application is not None:
        application.status = "rectification"
        session.add(application)
        session.add(
            AcceptanceOpinion(
                application_id=application.id,
                reviewer=actor.username,
                verdict="rectify",
                opinion=opinion,
            )
        )
    for item in payload.get("items") or []:
        due = item.get("due_date")
        session.add(
            RectificationItem(
                project_id=project.id,
                application_id=application.id if application else None,
                title=str(item["title"]).strip(),
                owner=item["owner"],
                due_date=date.fromisoformat(due) if due else None,
            )
        )


def _hold(_s: Session, project: Project, _a: Actor, _p: Any) -> None:
    # The effect runs before the flush, so the attribute history still has the old stage.
    before = inspect(project).attrs.stage.history.deleted
    project.held_from = before[0] if before else project.held_from


def _resume(_s: Session, project: Project, _a: Actor, _p: Any) -> None:
    project.held_from = None


def _reason_logged(session: Session, project: Project, actor: Actor, payload: Any) -> None:
    """Keep the rejection reason with the project's history (it is also the comment)."""
    log(
        session,
        audit.Event(
            action="project.reason",
            entity="projects",
            code=project.code,
            record_id=project.id,
            after={"stage": project.stage},
            comment=session.info.get("comment"),
        ),
    )


# --- the workflow ---------------------------------------------------------------------------


def _transitions() -> list[wf.Transition]:
    T = wf.Transition
    found = [
        T("approve", ["proposed"], "approved", "approve and appoint the PM 批准",
          permission="project.approve", guards=[appointed], effect=_appoint),
        T("reject", ["proposed"], "rejected", "reject 駁回", permission="project.approve",
          needs_comment=True, effect=_reason_logged),
        T("return", ["proposed"], "returned", "return for revision 退回",
          permission="project.approve", needs_comment=True),
        T("revise", ["returned"], "proposed", "resubmit the proposal 重新提交",
          permission="project.propose"),
        T("start_planning", ["approved"], "planning", "start planning 開始計劃",
          permission="project.manage", guards=[_pm_only]),
        T("submit_plan", ["planning"], "plan-review", "submit the plan for review 提交評審",
          permission="project.manage", guards=[_pm_only, _plan_complete]),
        T("send_back_plan", ["plan-review"], "planning", "send the plan back 計劃退回",
          permission="project.review", needs_comment=True),
        T("execute", ["plan-review"], "executing", "start execution 開始執行",
          permission="project.manage", guards=[_pm_only, _baseline_confirmed]),
        T("pre_accept", ["executing"], "pre-acceptance", "internal pre-acceptance 預驗收",
          permission="project.manage", guards=[_pm_only, _tasks_finished]),
        T("back_to_execution", ["pre-acceptance"], "executing", "back to execution 退回執行",
          permission="project.manage", guards=[_pm_only], needs_comment=True),
        T("apply", ["pre-acceptance"], "acceptance", "apply for acceptance 申請驗收",
          permission="project.manage", guards=[_pm_only, _reports_given],
          effect=_apply_for_acceptance),
        T("rectify", ["acceptance"], "rectification", "require rectification 要求整改",
          permission="project.accept", needs_comment=True, guards=[_items_given],
          effect=_rectify),
        T("resubmit", ["rectification"], "acceptance", "resubmit for acceptance 重新驗收",
          permission="project.manage", guards=[_pm_only, _no_open_items], effect=_resubmit),
        T("close", ["acceptance"], "closed", "close the project 結項",
          permission="project.close", guards=[_passed, _no_open_items]),
        T("hold", HOLDABLE, "on-hold", "put on hold 暫停", permission="project.approve",
          needs_comment=True, effect=_hold),
        T("cancel", [*ACTIVE_STAGES, "returned", "on-hold"], "cancelled", "cancel 取消",
          permission="project.approve", needs_comment=True),
    ]  # fmt: skip
    for stage in HOLDABLE:
        found.append(
            T(f"resume_{stage.replace('-', '_')}", ["on-hold"], stage,
              f"resume ({STAGE_LABELS[stage]}) 恢復", permission="project.approve",
              guards=[_held_from(stage)], effect=_resume)
        )  # fmt: skip
    return found


PROJECTS = wf.register(
    wf.Workflow(
        name="projects",
        model=Project,
        state_field="stage",
        states=STAGES,
        labels=STAGE_LABELS,
        transitions=_transitions(),
    )
)

FORWARD = frozenset(
    {"approve", "revise", "start_planning", "submit_plan", "execute", "pre_accept", "apply",
     "resubmit", "close"} | {t.name for t in PROJECTS.transitions if t.name.startswith("resume_")}
)  # fmt: skip
BACKWARD = frozenset({"reject", "return", "send_back_plan", "back_to_execution", "rectify"})
# One step to a person: only the resume that fits where the project was held is shown.
RESUMES = frozenset(t.name for t in PROJECTS.transitions if t.name.startswith("resume_"))
# The few words a key shows for a transition (the footer has little room at 80 columns).
KEY_LABELS: dict[str, str] = {
    "approve": "Approve 批准",
    "reject": "Reject 駁回",
    "return": "Return 退回",
    "revise": "Resubmit 重新提交",
    "start_planning": "Plan 開始計劃",
    "submit_plan": "Submit 提交評審",
    "send_back_plan": "Return 計劃退回",
    "execute": "Execute 開始執行",
    "pre_accept": "Pre-accept 預驗收",
    "back_to_execution": "Reopen 退回執行",
    "apply": "Apply 申請驗收",
    "rectify": "Rectify 要求整改",
    "resubmit": "Resubmit 重新驗收",
    "close": "Close 結項",
    "hold": "Hold 暫停",
    "cancel": "Cancel 取消",
    **{name: "Resume 恢復" for name in RESUMES},
}
# What a transition asks for besides its comment: (payload key, label, required).
PAYLOAD_FIELDS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "approve": (("manager", "Project manager 項目經理 (login)", True),),
    "apply": (
        ("result_report", "Result report 成果報告", True),
        ("test_report", "Test report 測試報告", True),
        ("documents", "Documents 文件 (codes, comma-separated)", False),
    ),
    "rectify": (("items", "Items 整改項 (one per line: title; owner; YYYY-MM-DD)", True),),
}
