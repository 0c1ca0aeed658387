"""Every change to a table recorded by the PostgreSQL server under the login that connected.

On PostgreSQL a trigger on each table writes ``server_changes``: who (``session_user``),
when, which record, and whether specialops made the change (its writing transactions
say so) or someone did with ``psql``. SQLite gets the empty table only.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION specialops_record_change() RETURNS trigger AS $$
DECLARE
    changed jsonb;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := to_jsonb(OLD);
    ELSE
        changed := to_jsonb(NEW);
    END IF;
    INSERT INTO server_changes (at, login, via_app, table_name, record_id, operation)
    VALUES (now(), session_user,
            coalesce(current_setting('specialops.via_app', true), '') = 'on',
            TG_TABLE_NAME, (changed ->> 'id')::bigint, TG_OP);
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

# Not watched: the log itself, the schema version, and this table.
UNWATCHED = frozenset({"audit_log", "alembic_version", "server_changes"})


def upgrade() -> None:
    op.create_table(
        "server_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("login", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("via_app", sa.Boolean(), nullable=False),
        sa.Column("table_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("operation", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_server_changes")),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    for table in sorted(set(sa.inspect(bind).get_table_names()) - UNWATCHED):
        op.execute(
            f'CREATE TRIGGER "{table}_server_changes" AFTER INSERT OR UPDATE OR DELETE '
            f'ON "{table}" FOR EACH ROW EXECUTE FUNCTION specialops_record_change()'
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in sorted(set(sa.inspect(bind).get_table_names()) - UNWATCHED):
            op.execute(f'DROP TRIGGER IF EXISTS "{table}_server_changes" ON "{table}"')
        op.execute("DROP FUNCTION IF EXISTS specialops_record_change()")
    op.drop_table("server_changes")
