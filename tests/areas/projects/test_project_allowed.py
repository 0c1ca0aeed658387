"""Which project actions a user may take now, and why not: the verdicts the detail view carries.

Read on the sample projects for their manager, an executive and staff, and
checked against the actions themselves: a refused verdict is the refusal
the action gives.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from specialops.areas.people.actions import resolve_actor
from specialops.areas.projects import actions as svc
from specialops.areas.projects.models import Project
from specialops.areas.projects.queries import detail
from specialops.context import open_context
from specialops.demo import load_demo
from specialops.errors import PermissionDenied, ValidationError
from tests.areas.backends import BACKENDS, new_url

PM = "li.jianguo"  # manages the executing, planning and closed sample projects below
EXECUTIVE = "lin.zhiyuan"
STAFF = "liu.fang"


@pytest.fixture(scope="module", params=BACKENDS)
def office(request, tmp_path_factory):
    """The sample data, loaded once: these tests only read (a refused write changes nothing)."""
    context = open_context(new_url(request, tmp_path_factory.mktemp("allowed")), create=True)
    load_demo(context.store, context.actor)
    yield context
    context.close()


def _code(office, name: str) -> str:
    with office.store.read() as session:
        return session.exec(select(Project.code).where(Project.name == name)).one()


def _verdicts(office, login: str, name: str) -> dict[str, str | None]:
    return detail(office.store, resolve_actor(office.store, login), _code(office, name)).allowed


EXECUTING = "客服中心智能化升級"
PLANNING = "Field service app 外勤服務 App"
PLAN_REVIEW = "會員忠誠度計劃"
CLOSED = "客訴處理流程再造"


def test_the_manager_of_an_executing_project_plans_reports_and_spends(office) -> None:
    verdicts = _verdicts(office, PM, EXECUTING)
    for action in ("edit", "add_task", "add_milestone", "reschedule", "progress", "achieve",
                   "add_kpi", "expense", "issue", "meeting"):  # fmt: skip
        assert verdicts[action] is None, action
    code = _code(office, EXECUTING)
    assert verdicts["confirm_plan"] == (
        f"confirming the plan is possible in 計劃評審; {code} is 執行中"
    )
    assert verdicts["pass_acceptance"] == f"{PM} (manager) may not give acceptance opinions"


def test_an_executive_sees_an_executing_project_but_may_not_run_it(office) -> None:
    verdicts = _verdicts(office, EXECUTIVE, EXECUTING)
    code = _code(office, EXECUTING)
    assert verdicts["add_task"] == (
        f"{EXECUTIVE} (executive) may not manage a project's plan and execution"
    )
    assert verdicts["expense"] == f"only the manager of {code} may record expenses"
    assert (
        verdicts["progress"] == f"{EXECUTIVE} (executive) may not report progress on project tasks"
    )
    assert verdicts["meeting"] == (
        f"{EXECUTIVE} (executive) may not manage a project's plan and execution"
    )
    assert verdicts["pass_acceptance"] == (
        f"passing acceptance is possible in 驗收; {code} is 執行中"
    )
    assert verdicts["edit"] is not None


def test_staff_report_progress_and_log_issues_but_do_not_manage(office) -> None:
    verdicts = _verdicts(office, STAFF, EXECUTING)
    assert verdicts["progress"] is None
    assert verdicts["issue"] is None
    assert verdicts["reading"] is None  # the project has a KPI
    assert verdicts["meeting"] == f"{STAFF} (staff) may not manage a project's plan and execution"
    assert "only the manager of" in (verdicts["add_kpi"] or "")
    assert verdicts["confirm_plan"] == f"{STAFF} (staff) may not review and confirm project plans"


def test_progress_waits_for_execution_and_a_plan_waits_for_another_reviewer(office) -> None:
    planning = _verdicts(office, PM, PLANNING)
    assert planning["add_task"] is None
    assert planning["progress"] == (
        f"reporting progress is possible in 執行中 or 預驗收; {_code(office, PLANNING)} is 計劃制定"
    )
    own = _verdicts(office, "zhang.meiling", PLAN_REVIEW)  # its manager
    assert own["confirm_plan"] == "the project's manager cannot confirm their own plan"
    assert _verdicts(office, "wang.xiaoming", PLAN_REVIEW)["confirm_plan"] is None
    assert _verdicts(office, EXECUTIVE, PLAN_REVIEW)["confirm_plan"] is None


def test_nothing_more_is_recorded_on_a_closed_project(office) -> None:
    verdicts = _verdicts(office, PM, CLOSED)
    code = _code(office, CLOSED)
    assert verdicts["add_kpi"] == verdicts["expense"] == verdicts["issue"] == f"{code} is 已結項"
    assert verdicts["add_task"] == (
        f"changing the plan is possible in 計劃制定 or 計劃評審 or 執行中; {code} is 已結項"
    )
    assert verdicts["edit"] == f"{code} is 已結項"


def test_a_refused_verdict_is_the_refusal_the_action_gives(office) -> None:
    pm = resolve_actor(office.store, PM)
    closed = detail(office.store, pm, _code(office, CLOSED))
    with pytest.raises(ValidationError) as refused:
        svc.add_task(office.store, pm, closed.project.id,
                     {"title": "One more", "owner": PM, "due_date": "2026-12-31"})  # fmt: skip
    assert str(refused.value) == closed.allowed["add_task"]

    own = resolve_actor(office.store, "zhang.meiling")
    review = detail(office.store, own, _code(office, PLAN_REVIEW))
    with pytest.raises(PermissionDenied) as denied:
        svc.confirm_plan(office.store, own, review.project.id, review.project.version)
    assert str(denied.value) == review.allowed["confirm_plan"]
