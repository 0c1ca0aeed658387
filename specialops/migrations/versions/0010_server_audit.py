"""On PostgreSQL the server keeps the audit chain, says who wrote each entry, and tells
watchers that something changed.

- ``audit_log_chain``: before each entry is stored, the server takes the writers' lock,
  makes sure the entry's id follows the last one's and chains it to that one with the
  formula of :func:`specialops.audit.entry_hash`, so an entry written behind the program's back
  (with ``psql``) cannot fork or break the chain. ``server_login`` and ``server_at``
  record the login the server knows and its own clock; nobody but the log's owner
  may change them (``specialops db secure`` gives the log to a role no one logs in as).
- ``audit_log_no_truncate``: TRUNCATE is refused like UPDATE and DELETE.
- ``audit_log_notify``: after entries are stored, ``NOTIFY specialops`` with the
  entities they name; a change made without specialops notifies with its table's name.

SQLite gets the two columns only (always empty there).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

WRITERS_LOCK = 1397772112  # specialops.store.engine.WRITERS_LOCK

# The JSON text of json.dumps(material, ensure_ascii=False, sort_keys=True): keys in sorted
# order, ", " and ": " between, strings as to_json writes them (the same escapes).
CHAIN_FUNCTION = f"""
CREATE OR REPLACE FUNCTION specialops_chain_audit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    previous text;
    last_id bigint;
    material text;
BEGIN
    PERFORM pg_advisory_xact_lock({WRITERS_LOCK});
    SELECT id, hash INTO last_id, previous FROM public.audit_log ORDER BY id DESC LIMIT 1;
    -- An id drawn before the lock was taken may be lower than one stored since.
    IF NEW.id IS NULL OR NEW.id <= coalesce(last_id, 0) THEN
        NEW.id := nextval(pg_get_serial_sequence('public.audit_log', 'id'));
    END IF;
    NEW.server_login := session_user;
    NEW.server_at := clock_timestamp();
    NEW.prev_hash := coalesce(previous, repeat('0', 64));
    material := '{{"action": ' || coalesce(to_json(NEW.action)::text, 'null')
        || ', "after": ' || coalesce(to_json(NEW.after)::text, 'null')
        || ', "at": ' || to_json(to_char(NEW.at AT TIME ZONE 'UTC',
                                          'YYYY-MM-DD"T"HH24:MI:SS.US'))::text
        || ', "batch": ' || coalesce(to_json(NEW.batch)::text, 'null')
        || ', "before": ' || coalesce(to_json(NEW.before)::text, 'null')
        || ', "code": ' || coalesce(to_json(NEW.code)::text, 'null')
        || ', "comment": ' || coalesce(to_json(NEW.comment)::text, 'null')
        || ', "entity": ' || coalesce(to_json(NEW.entity)::text, 'null')
        || ', "real_username": ' || coalesce(to_json(NEW.real_username)::text, 'null')
        || ', "record_id": ' || coalesce(NEW.record_id::text, 'null')
        || ', "username": ' || coalesce(to_json(NEW.username)::text, 'null')
        || '}}';
    NEW.hash := encode(sha256(convert_to(NEW.prev_hash || material, 'UTF8')), 'hex');
    RETURN NEW;
END
$$
"""

NOTIFY_FUNCTION = """
CREATE OR REPLACE FUNCTION specialops_notify_audit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('specialops', coalesce(
        (SELECT string_agg(DISTINCT entity, ',') FROM added), ''));
    RETURN NULL;
END
$$
"""

# 0009's function, now also telling watchers about a change made without specialops.
RECORD_FUNCTION = """
CREATE OR REPLACE FUNCTION specialops_record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    changed jsonb;
    via_app boolean := coalesce(current_setting('specialops.via_app', true), '') = 'on';
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := to_jsonb(OLD);
    ELSE
        changed := to_jsonb(NEW);
    END IF;
    INSERT INTO public.server_changes (at, login, via_app, table_name, record_id, operation)
    VALUES (now(), session_user, via_app, TG_TABLE_NAME, (changed ->> 'id')::bigint, TG_OP);
    IF NOT via_app THEN
        PERFORM pg_notify('specialops', TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END
$$
"""

RECORD_FUNCTION_0009 = """
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

# The server-side objects of this revision, by name: ``specialops db check`` looks for them.
SERVER_TRIGGERS = {
    "audit_log_append_only": "audit_log",
    "audit_log_chain": "audit_log",
    "audit_log_no_truncate": "audit_log",
    "audit_log_notify": "audit_log",
}


def upgrade() -> None:
    op.add_column(
        "audit_log",
        sa.Column("server_login", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    op.add_column(
        "audit_log", sa.Column("server_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CHAIN_FUNCTION)
    op.execute(
        "CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION specialops_chain_audit()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()"
    )
    op.execute(NOTIFY_FUNCTION)
    op.execute(
        "CREATE TRIGGER audit_log_notify AFTER INSERT ON audit_log "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION specialops_notify_audit()"
    )
    op.execute(RECORD_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(RECORD_FUNCTION_0009)
        op.execute("DROP TRIGGER IF EXISTS audit_log_notify ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS specialops_notify_audit()")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_chain ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS specialops_chain_audit()")
    # Dropped in place: a batch rebuild would drop the log's SQLite triggers with it.
    op.execute("ALTER TABLE audit_log DROP COLUMN server_at")
    op.execute("ALTER TABLE audit_log DROP COLUMN server_login")
