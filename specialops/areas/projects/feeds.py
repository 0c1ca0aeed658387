"""Figures of the project board that risk indicators can be fed from."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, func, select

from specialops.areas.projects.models import Milestone, Project, ProjectExpense
from specialops.feeds import feed


def _project(session: Session, code: str | None) -> Project | None:
    if not code:
        return None
    return session.exec(select(Project).where(Project.code == code)).first()


@feed("project_budget_burn", "a project's spend as a share of its budget (%)")
def project_budget_burn(session: Session, arg: str | None, today: date) -> float | None:
    project = _project(session, arg)
    if project is None or not project.budget:
        return None
    spent = session.exec(
        select(func.coalesce(func.sum(ProjectExpense.amount), 0)).where(
            ProjectExpense.project_id == project.id
        )
    ).one()
    return round(100.0 * spent / project.budget, 1)


@feed("overdue_milestones", "milestones past due and not achieved (of a project, or all)")
def overdue_milestones(session: Session, arg: str | None, today: date) -> float | None:
    query = (
        select(func.count())
        .select_from(Milestone)
        .where(col(Milestone.achieved_date).is_(None), Milestone.due_date < today)
    )
    project = _project(session, arg)
    if arg and project is None:
        return None
    if project is not None:
        query = query.where(Milestone.project_id == project.id)
    return float(session.exec(query).one())
