"""Project board tables (PRJ-1…5): projects and everything their lifecycle records.

Money is kept in integer minor units (cents). Usernames are stored where a
person is named in free workflow records (action items, issues, opinions);
the import/export fields ``manager`` and ``owner`` point to users by id.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from specialops import clock
from specialops.models.base import Record


class Project(Record, table=True):
    """A special project from proposal (立項申請) to closing."""

    __tablename__ = "projects"
    __entity__ = "projects"
    __code_prefix__ = "PRJ"
    __code_width__ = 4
    __table_args__ = (
        Index("ix_projects_stage_id", "stage", "id"),
        Index("ix_projects_name_id", "name", "id"),
        Index("ix_projects_end_date_id", "end_date", "id"),
        Index("ix_projects_manager_id_id", "manager_id", "id"),
        Index("ix_projects_department_id_id", "department_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True, index=True)
    name: str = Field(max_length=200)
    department_id: int | None = Field(default=None, foreign_key="departments.id")
    origin: str = Field(default="strategy", max_length=16)
    background: str = ""
    objectives: str = ""
    expected_results: str = ""
    budget: int = Field(default=0, description="preliminary budget, minor units")
    start_date: date | None = None
    end_date: date | None = None
    stage: str = Field(default="proposed", max_length=16)
    manager_id: int | None = Field(default=None, foreign_key="users.id")
    proposed_by: str | None = Field(default=None, max_length=64)
    baseline_no: int = Field(default=0, description="number of the confirmed baseline (0: none)")
    plan_changed: bool = Field(default=False, description="plan edited since the baseline")
    held_from: str | None = Field(default=None, max_length=16, description="stage before a hold")


class ProjectPhase(Record, table=True):
    """A phase of the plan, with its deliverable and acceptance criteria."""

    __tablename__ = "project_phases"
    __entity__ = "project_phases"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    name: str = Field(max_length=200)
    start_date: date | None = None
    end_date: date | None = None
    deliverable: str = ""
    acceptance_criteria: str = ""


class ProjectTask(Record, table=True):
    """A task of the plan: owner, dates, deliverable, criteria, effort and progress."""

    __tablename__ = "tasks"
    __entity__ = "tasks"
    __code_prefix__ = "TSK"
    __code_width__ = 5
    __table_args__ = (
        Index("ix_tasks_project_due", "project_id", "due_date", "id"),
        Index("ix_tasks_due_date_id", "due_date", "id"),
        Index("ix_tasks_status_id", "status", "id"),
        Index("ix_tasks_title_id", "title", "id"),
        Index("ix_tasks_owner_id_id", "owner_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    phase_id: int | None = Field(default=None, foreign_key="project_phases.id")
    title: str = Field(max_length=200)
    owner_id: int | None = Field(default=None, foreign_key="users.id")
    start_date: date | None = None
    due_date: date | None = None
    status: str = Field(default="todo", max_length=16)
    percent_complete: int = 0
    deliverable: str = ""
    acceptance_criteria: str = ""
    planned_hours: int = Field(default=0, description="planned effort in person-hours")


class Milestone(Record, table=True):
    """A dated checkpoint of a project; achieved when ``achieved_date`` is set."""

    __tablename__ = "milestones"
    __entity__ = "milestones"
    __code_prefix__ = "MS"
    __code_width__ = 5
    __table_args__ = (
        Index("ix_milestones_project_due", "project_id", "due_date", "id"),
        Index("ix_milestones_due_date_id", "due_date", "id"),
        Index("ix_milestones_name_id", "name", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    name: str = Field(max_length=200)
    due_date: date
    achieved_date: date | None = None


class ProjectKpi(Record, table=True):
    """A measurable goal with a target and warning/critical thresholds (GEN-2)."""

    __tablename__ = "project_kpis"
    __entity__ = "project_kpis"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    name: str = Field(max_length=200)
    unit: str = Field(default="", max_length=16)
    direction: str = Field(default="higher_better", max_length=16)
    target: float
    warning: float
    critical: float
    last_value: float | None = None
    last_level: str | None = Field(default=None, max_length=16)
    last_on: date | None = None


class KpiReading(SQLModel, table=True):
    """One dated reading of a project KPI and the RAG level it gave."""

    __tablename__ = "project_kpi_readings"
    __table_args__ = (Index("ix_project_kpi_readings_kpi_on", "kpi_id", "read_on", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kpi_id: int = Field(foreign_key="project_kpis.id")
    read_on: date
    value: float
    level: str = Field(max_length=16)
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=clock.now)


class ProjectMeeting(Record, table=True):
    """A progress meeting with attendees, minutes and decisions (COM-1)."""

    __tablename__ = "project_meetings"
    __entity__ = "project_meetings"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    held_on: date
    title: str = Field(max_length=200)
    attendees: str = ""
    minutes: str = ""
    decisions: str = ""


class ActionItem(Record, table=True):
    """An action item of a meeting: owner, due date, status."""

    __tablename__ = "project_action_items"
    __entity__ = "project_action_items"
    __table_args__ = (Index("ix_project_action_items_status_due", "status", "due_date"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="project_meetings.id", index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    title: str = Field(max_length=200)
    owner: str = Field(max_length=64)
    due_date: date | None = None
    status: str = Field(default="open", max_length=16)


class ProjectIssue(Record, table=True):
    """An entry of the issue log; major ones go to the superior with a proposed solution."""

    __tablename__ = "project_issues"
    __entity__ = "project_issues"
    __code_prefix__ = "ISS"
    __code_width__ = 5

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True, index=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    title: str = Field(max_length=200)
    description: str = ""
    severity: str = Field(default="minor", max_length=16)
    status: str = Field(default="open", max_length=16)
    raised_by: str = Field(max_length=64)
    raised_on: date
    proposed_solution: str = ""
    escalated_to: str | None = Field(default=None, max_length=64)
    escalated_at: datetime | None = None
    resolution: str = ""
    resolved_on: date | None = None


class PlanBaseline(SQLModel, table=True):
    """A confirmed plan: the dates of tasks and milestones as reviewed (JSON)."""

    __tablename__ = "project_baselines"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    number: int
    confirmed_by: str = Field(max_length=64)
    confirmed_at: datetime = Field(default_factory=clock.now)
    plan: str = Field(description="JSON: tasks and milestones with their dates")


class PlanChange(SQLModel, table=True):
    """A change against the baseline: what, why and who approved it."""

    __tablename__ = "project_plan_changes"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    baseline_no: int
    what: str
    why: str
    approved_by: str = Field(max_length=64)
    changed_by: str = Field(max_length=64)
    changed_at: datetime = Field(default_factory=clock.now)


class AcceptanceApplication(Record, table=True):
    """One round of the acceptance application with its reports and documents."""

    __tablename__ = "project_acceptances"
    __entity__ = "project_acceptances"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    round: int = 1
    result_report: str = ""
    test_report: str = ""
    documents: str = Field(default="", description="comma-separated document codes")
    submitted_by: str = Field(max_length=64)
    submitted_at: datetime = Field(default_factory=clock.now)
    status: str = Field(default="submitted", max_length=16)


class AcceptanceOpinion(SQLModel, table=True):
    """A reviewer's opinion on an acceptance round: pass or rectify."""

    __tablename__ = "project_acceptance_opinions"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="project_acceptances.id", index=True)
    reviewer: str = Field(max_length=64)
    verdict: str = Field(max_length=16)
    opinion: str = ""
    at: datetime = Field(default_factory=clock.now)


class RectificationItem(Record, table=True):
    """Something acceptance found to fix, tracked until closed."""

    __tablename__ = "project_rectifications"
    __entity__ = "project_rectifications"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    application_id: int | None = Field(default=None, foreign_key="project_acceptances.id")
    title: str = Field(max_length=200)
    owner: str = Field(max_length=64)
    due_date: date | None = None
    status: str = Field(default="open", max_length=16)
    closed_on: date | None = None
    closing_note: str = ""


class ProjectExpense(Record, table=True):
    """Money spent on a project (RES-3), in minor units."""

    __tablename__ = "project_expenses"
    __entity__ = "project_expenses"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="projects.id", index=True)
    spent_on: date
    category: str = Field(default="other", max_length=32)
    amount: int
    description: str = ""
