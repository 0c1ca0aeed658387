"""Risk register: risks, assessments, actions, indicators and readings, settings.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_categories",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_categories")),
    )
    with op.batch_alter_table("risk_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_categories_code"), ["code"], unique=True)

    op.create_table(
        "settings",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings")),
    )
    with op.batch_alter_table("settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_settings_key"), ["key"], unique=True)

    op.create_table(
        "risks",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("cause", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("consequence", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("linked", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("likelihood", sa.Integer(), nullable=True),
        sa.Column("impact", sa.Integer(), nullable=True),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("residual_likelihood", sa.Integer(), nullable=True),
        sa.Column("residual_impact", sa.Integer(), nullable=True),
        sa.Column("residual_level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=True),
        sa.Column("loss_amount", sa.Integer(), nullable=True),
        sa.Column("expected_loss", sa.Integer(), nullable=True),
        sa.Column("strategy", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("next_review", sa.Date(), nullable=True),
        sa.Column("review_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_risks_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risks")),
    )
    with op.batch_alter_table("risks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risks_category"), ["category"], unique=False)
        batch_op.create_index("ix_risks_cell", ["likelihood", "impact", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risks_code"), ["code"], unique=True)
        batch_op.create_index(batch_op.f("ix_risks_department_id"), ["department_id"], unique=False)
        batch_op.create_index("ix_risks_level_id", ["level", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risks_linked"), ["linked"], unique=False)
        batch_op.create_index("ix_risks_next_review_id", ["next_review", "id"], unique=False)
        batch_op.create_index("ix_risks_owner_id", ["owner", "id"], unique=False)
        batch_op.create_index(
            "ix_risks_residual_cell", ["residual_likelihood", "residual_impact", "id"], unique=False
        )
        batch_op.create_index("ix_risks_residual_level_id", ["residual_level", "id"], unique=False)
        batch_op.create_index("ix_risks_status_id", ["status", "id"], unique=False)
        batch_op.create_index("ix_risks_title_id", ["title", "id"], unique=False)

    op.create_table(
        "risk_actions",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_risk_actions_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["risk_id"], ["risks.id"], name=op.f("fk_risk_actions_risk_id_risks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_actions")),
    )
    with op.batch_alter_table("risk_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_actions_code"), ["code"], unique=True)
        batch_op.create_index(batch_op.f("ix_risk_actions_risk_id"), ["risk_id"], unique=False)
        batch_op.create_index("ix_risk_actions_status_due", ["status", "due_date"], unique=False)

    op.create_table(
        "risk_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("likelihood", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=True),
        sa.Column("loss_amount", sa.Integer(), nullable=True),
        sa.Column("expected_loss", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("assessed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("assessed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["risk_id"], ["risks.id"], name=op.f("fk_risk_assessments_risk_id_risks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessments")),
    )
    with op.batch_alter_table("risk_assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_assessments_risk_id"), ["risk_id"], unique=False)

    op.create_table(
        "risk_indicators",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("warning", sa.Float(), nullable=False),
        sa.Column("critical", sa.Float(), nullable=False),
        sa.Column("feed", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("feed_arg", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["risk_id"], ["risks.id"], name=op.f("fk_risk_indicators_risk_id_risks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_indicators")),
    )
    with op.batch_alter_table("risk_indicators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_indicators_code"), ["code"], unique=True)
        batch_op.create_index(batch_op.f("ix_risk_indicators_risk_id"), ["risk_id"], unique=False)

    op.create_table(
        "risk_indicator_readings",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("previous_level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("crossed", sa.Boolean(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["risk_indicators.id"],
            name=op.f("fk_risk_indicator_readings_indicator_id_risk_indicators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_indicator_readings")),
    )
    with op.batch_alter_table("risk_indicator_readings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_indicator_readings_code"), ["code"], unique=True)
        batch_op.create_index(
            "ix_risk_indicator_readings_indicator_at", ["indicator_id", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("risk_indicator_readings", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_indicator_readings_indicator_at")
        batch_op.drop_index(batch_op.f("ix_risk_indicator_readings_code"))

    op.drop_table("risk_indicator_readings")
    with op.batch_alter_table("risk_indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_indicators_risk_id"))
        batch_op.drop_index(batch_op.f("ix_risk_indicators_code"))

    op.drop_table("risk_indicators")
    with op.batch_alter_table("risk_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_assessments_risk_id"))

    op.drop_table("risk_assessments")
    with op.batch_alter_table("risk_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_actions_status_due")
        batch_op.drop_index(batch_op.f("ix_risk_actions_risk_id"))
        batch_op.drop_index(batch_op.f("ix_risk_actions_code"))

    op.drop_table("risk_actions")
    with op.batch_alter_table("risks", schema=None) as batch_op:
        batch_op.drop_index("ix_risks_title_id")
        batch_op.drop_index("ix_risks_status_id")
        batch_op.drop_index("ix_risks_residual_level_id")
        batch_op.drop_index("ix_risks_residual_cell")
        batch_op.drop_index("ix_risks_owner_id")
        batch_op.drop_index("ix_risks_next_review_id")
        batch_op.drop_index(batch_op.f("ix_risks_linked"))
        batch_op.drop_index("ix_risks_level_id")
        batch_op.drop_index(batch_op.f("ix_risks_department_id"))
        batch_op.drop_index(batch_op.f("ix_risks_code"))
        batch_op.drop_index("ix_risks_cell")
        batch_op.drop_index(batch_op.f("ix_risks_category"))

    op.drop_table("risks")
    with op.batch_alter_table("settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settings_key"))

    op.drop_table("settings")
    with op.batch_alter_table("risk_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_categories_code"))

    op.drop_table("risk_categories")
