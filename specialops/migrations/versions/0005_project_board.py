"""Project board: projects, plan, tasks, milestones, KPIs, meetings, issues, acceptance.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("background", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("objectives", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("expected_results", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("budget", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("baseline_no", sa.Integer(), nullable=False),
        sa.Column("plan_changed", sa.Boolean(), nullable=False),
        sa.Column("held_from", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_projects_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["users.id"], name=op.f("fk_projects_manager_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    op.create_index(op.f("ix_projects_code"), "projects", ["code"], unique=True)
    op.create_index(
        "ix_projects_department_id_id", "projects", ["department_id", "id"], unique=False
    )
    op.create_index("ix_projects_end_date_id", "projects", ["end_date", "id"], unique=False)
    op.create_index("ix_projects_manager_id_id", "projects", ["manager_id", "id"], unique=False)
    op.create_index("ix_projects_name_id", "projects", ["name", "id"], unique=False)
    op.create_index("ix_projects_stage_id", "projects", ["stage", "id"], unique=False)
    op.create_table(
        "milestones",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("achieved_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_milestones_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
    )
    op.create_index(op.f("ix_milestones_code"), "milestones", ["code"], unique=True)
    op.create_index("ix_milestones_due_date_id", "milestones", ["due_date", "id"], unique=False)
    op.create_index("ix_milestones_name_id", "milestones", ["name", "id"], unique=False)
    op.create_index(
        "ix_milestones_project_due", "milestones", ["project_id", "due_date", "id"], unique=False
    )
    op.create_index(op.f("ix_milestones_project_id"), "milestones", ["project_id"], unique=False)
    op.create_table(
        "project_acceptances",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("result_report", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("test_report", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("documents", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_acceptances_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_acceptances")),
    )
    op.create_index(
        op.f("ix_project_acceptances_project_id"),
        "project_acceptances",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "project_baselines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("confirmed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("plan", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_baselines_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_baselines")),
    )
    op.create_index(
        op.f("ix_project_baselines_project_id"), "project_baselines", ["project_id"], unique=False
    )
    op.create_table(
        "project_expenses",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_expenses_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_expenses")),
    )
    op.create_index(
        op.f("ix_project_expenses_project_id"), "project_expenses", ["project_id"], unique=False
    )
    op.create_table(
        "project_issues",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("raised_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("proposed_solution", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("escalated_to", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("escalated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("resolution", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_issues_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_issues")),
    )
    op.create_index(op.f("ix_project_issues_code"), "project_issues", ["code"], unique=True)
    op.create_index(
        op.f("ix_project_issues_project_id"), "project_issues", ["project_id"], unique=False
    )
    op.create_table(
        "project_kpis",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("warning", sa.Float(), nullable=False),
        sa.Column("critical", sa.Float(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("last_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_kpis_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_kpis")),
    )
    op.create_index(
        op.f("ix_project_kpis_project_id"), "project_kpis", ["project_id"], unique=False
    )
    op.create_table(
        "project_meetings",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("attendees", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("minutes", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("decisions", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_meetings_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_meetings")),
    )
    op.create_index(
        op.f("ix_project_meetings_project_id"), "project_meetings", ["project_id"], unique=False
    )
    op.create_table(
        "project_phases",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("deliverable", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("acceptance_criteria", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_project_phases_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_phases")),
    )
    op.create_index(
        op.f("ix_project_phases_project_id"), "project_phases", ["project_id"], unique=False
    )
    op.create_table(
        "project_plan_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("baseline_no", sa.Integer(), nullable=False),
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("why", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("approved_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_plan_changes_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_plan_changes")),
    )
    op.create_index(
        op.f("ix_project_plan_changes_project_id"),
        "project_plan_changes",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "project_acceptance_opinions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("opinion", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["project_acceptances.id"],
            name=op.f("fk_project_acceptance_opinions_application_id_project_acceptances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_acceptance_opinions")),
    )
    op.create_index(
        op.f("ix_project_acceptance_opinions_application_id"),
        "project_acceptance_opinions",
        ["application_id"],
        unique=False,
    )
    op.create_table(
        "project_action_items",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["project_meetings.id"],
            name=op.f("fk_project_action_items_meeting_id_project_meetings"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_action_items_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_action_items")),
    )
    op.create_index(
        op.f("ix_project_action_items_meeting_id"),
        "project_action_items",
        ["meeting_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_project_action_items_project_id"),
        "project_action_items",
        ["project_id"],
        unique=False,
    )
    op.create_index(
        "ix_project_action_items_status_due",
        "project_action_items",
        ["status", "due_date"],
        unique=False,
    )
    op.create_table(
        "project_kpi_readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kpi_id", sa.Integer(), nullable=False),
        sa.Column("read_on", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kpi_id"],
            ["project_kpis.id"],
            name=op.f("fk_project_kpi_readings_kpi_id_project_kpis"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_kpi_readings")),
    )
    op.create_index(
        "ix_project_kpi_readings_kpi_on",
        "project_kpi_readings",
        ["kpi_id", "read_on", "id"],
        unique=False,
    )
    op.create_table(
        "project_rectifications",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closing_note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["project_acceptances.id"],
            name=op.f("fk_project_rectifications_application_id_project_acceptances"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_rectifications_project_id_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_rectifications")),
    )
    op.create_index(
        op.f("ix_project_rectifications_project_id"),
        "project_rectifications",
        ["project_id"],
        unique=False,
    )
    op.create_table(
        "tasks",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("percent_complete", sa.Integer(), nullable=False),
        sa.Column("deliverable", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("acceptance_criteria", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("planned_hours", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_tasks_owner_id_users")),
        sa.ForeignKeyConstraint(
            ["phase_id"], ["project_phases.id"], name=op.f("fk_tasks_phase_id_project_phases")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_tasks_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(op.f("ix_tasks_code"), "tasks", ["code"], unique=True)
    op.create_index("ix_tasks_due_date_id", "tasks", ["due_date", "id"], unique=False)
    op.create_index("ix_tasks_owner_id_id", "tasks", ["owner_id", "id"], unique=False)
    op.create_index("ix_tasks_project_due", "tasks", ["project_id", "due_date", "id"], unique=False)
    op.create_index(op.f("ix_tasks_project_id"), "tasks", ["project_id"], unique=False)
    op.create_index("ix_tasks_status_id", "tasks", ["status", "id"], unique=False)
    op.create_index("ix_tasks_title_id", "tasks", ["title", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tasks_title_id", table_name="tasks")
    op.drop_index("ix_tasks_status_id", table_name="tasks")
    op.drop_index(op.f("ix_tasks_project_id"), table_name="tasks")
    op.drop_index("ix_tasks_project_due", table_name="tasks")
    op.drop_index("ix_tasks_owner_id_id", table_name="tasks")
    op.drop_index("ix_tasks_due_date_id", table_name="tasks")
    op.drop_index(op.f("ix_tasks_code"), table_name="tasks")
    op.drop_table("tasks")
    op.drop_index(op.f("ix_project_rectifications_project_id"), table_name="project_rectifications")
    op.drop_table("project_rectifications")
    op.drop_index("ix_project_kpi_readings_kpi_on", table_name="project_kpi_readings")
    op.drop_table("project_kpi_readings")
    op.drop_index("ix_project_action_items_status_due", table_name="project_action_items")
    op.drop_index(op.f("ix_project_action_items_project_id"), table_name="project_action_items")
    op.drop_index(op.f("ix_project_action_items_meeting_id"), table_name="project_action_items")
    op.drop_table("project_action_items")
    op.drop_index(
        op.f("ix_project_acceptance_opinions_application_id"),
        table_name="project_acceptance_opinions",
    )
    op.drop_table("project_acceptance_opinions")
    op.drop_index(op.f("ix_project_plan_changes_project_id"), table_name="project_plan_changes")
    op.drop_table("project_plan_changes")
    op.drop_index(op.f("ix_project_phases_project_id"), table_name="project_phases")
    op.drop_table("project_phases")
    op.drop_index(op.f("ix_project_meetings_project_id"), table_name="project_meetings")
    op.drop_table("project_meetings")
    op.drop_index(op.f("ix_project_kpis_project_id"), table_name="project_kpis")
    op.drop_table("project_kpis")
    op.drop_index(op.f("ix_project_issues_project_id"), table_name="project_issues")
    op.drop_index(op.f("ix_project_issues_code"), table_name="project_issues")
    op.drop_table("project_issues")
    op.drop_index(op.f("ix_project_expenses_project_id"), table_name="project_expenses")
    op.drop_table("project_expenses")
    op.drop_index(op.f("ix_project_baselines_project_id"), table_name="project_baselines")
    op.drop_table("project_baselines")
    op.drop_index(op.f("ix_project_acceptances_project_id"), table_name="project_acceptances")
    op.drop_table("project_acceptances")
    op.drop_index(op.f("ix_milestones_project_id"), table_name="milestones")
    op.drop_index("ix_milestones_project_due", table_name="milestones")
    op.drop_index("ix_milestones_name_id", table_name="milestones")
    op.drop_index("ix_milestones_due_date_id", table_name="milestones")
    op.drop_index(op.f("ix_milestones_code"), table_name="milestones")
    op.drop_table("milestones")
    op.drop_index("ix_projects_stage_id", table_name="projects")
    op.drop_index("ix_projects_name_id", table_name="projects")
    op.drop_index("ix_projects_manager_id_id", table_name="projects")
    op.drop_index("ix_projects_end_date_id", table_name="projects")
    op.drop_index("ix_projects_department_id_id", table_name="projects")
    op.drop_index(op.f("ix_projects_code"), table_name="projects")
    op.drop_table("projects")
