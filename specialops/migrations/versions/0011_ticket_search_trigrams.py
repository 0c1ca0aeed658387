"""On PostgreSQL, trigram indexes for the ticket queue's text search.

The queue searches each ticket's code and subject and its customer's name and code
with ``ILIKE '%…%'`` (:func:`specialops.areas.tickets.queries.fts_search`); these
pg_trgm GIN indexes answer that for text of three characters or more, Chinese
included, as SQLite's trigram FTS5 index does. pg_trgm is a trusted extension, so
the database's owner may create it; where it cannot be had, the search still finds
the same tickets by reading them all, and ``specialops db check`` says the indexes
are missing. SQLite has its full-text index since 0006: nothing changes there.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

EXTENSION = "CREATE EXTENSION IF NOT EXISTS pg_trgm"
# The PostgreSQL indexes this revision creates, by name; ``db check`` expects them.
PG_INDEXES = {
    name: f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)"
    for name, table, column in (
        ("ix_tickets_code_trgm", "tickets", "code"),
        ("ix_tickets_subject_trgm", "tickets", "subject"),
        ("ix_customers_name_trgm", "customers", "name"),
        ("ix_customers_code_trgm", "customers", "code"),
    )
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            op.execute(EXTENSION)
    except sa.exc.DBAPIError:  # not installed on the server, or this login may not
        return
    for statement in PG_INDEXES.values():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in PG_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
