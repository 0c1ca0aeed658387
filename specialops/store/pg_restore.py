"""A server database replaced by a ``pg_dump`` backup, checked, upgraded and audited in one step.

As on SQLite, the restore replaces what the database holds, after saving a
copy of it (beside the backup, ``<database>.before-restore-<time>.dump``).
One transaction, holding the writers' lock, drops every object of the
schema, loads the backup, checks its audit chain, brings its schema to this
specialops's and writes the restore's audit entry: it commits all of that
or nothing, and everyone else's connections stay valid.

Owners and privileges are restored as the backup holds them (no
``--no-owner``, no ``--no-privileges``). On a secured database the audit log
and the functions that chain it belong to a role nobody logs in as, and
their ``SECURITY DEFINER`` rights depend on that owner; giving every object
to the login that runs the restore would hand it the log. So a restore is
faithful or refused: a login that may not give the objects back to their
owners (only their owners' members and superusers may) changes nothing.
Triggers come in the backup's post-data section, created after the rows
are loaded, so loading neither re-chains the log nor counts as changes
made without specialops.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from specialops import audit
from specialops.errors import DatabaseUnavailable, SpecialopsError, UsageError
from specialops.store import pg_client
from specialops.store.engine import busy_timeout_ms
from specialops.store.pg_script import run_script
from specialops.store.store import Store

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from specialops.context import Context

_NOT_RESTORED = "nothing was restored"
_SQLITE_HEADER = b"SQLite format 3\x00"


def _listed(program: pg_client.Program, file: Path) -> str:
    done = subprocess.run(
        [program.path, "--list", str(file)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        reason = pg_client.first_error(done.stderr, "pg_restore")
        raise DatabaseUnavailable(f"{file} is not a specialops backup ({reason}); {_NOT_RESTORED}")
    return done.stdout


def check_dump(program: pg_client.Program, file: Path) -> str:
    """Check ``file`` is a ``pg_dump`` backup of a specialops database; its schema revision."""
    if not file.is_file():
        raise UsageError(f"no backup file at {file}")
    with file.open("rb") as handle:
        if handle.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER:
            raise DatabaseUnavailable(
                f"{file} is a SQLite backup: restore it into a SQLite database; {_NOT_RESTORED}"
            )
    contents = _listed(program, file)
    for table in ("alembic_version", "audit_log"):
        if not re.search(rf"TABLE DATA \S+ {table} ", contents):
            raise DatabaseUnavailable(
                f"{file} is not a specialops backup (it has no {table}); {_NOT_RESTORED}"
            )
    done = subprocess.run(
        [program.path, "--data-only", "--table=alembic_version", "--file=-", str(file)],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = done.stdout.split(" FROM stdin;\n", 1)[-1].split("\\.", 1)[0].split()
    if done.returncode != 0 or len(rows) != 1:
        raise DatabaseUnavailable(f"{file} has no schema version; {_NOT_RESTORED}")
    return rows[0]


# Every object of the schema the backup replaces, extensions' own left alone.
_OBJECTS = """
SELECT format('DROP %s IF EXISTS %s CASCADE',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                             WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'
                             ELSE 'TABLE' END,
              c.oid::regclass)
FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT format('DROP %s IF EXISTS %s CASCADE',
              CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE'
                             ELSE 'FUNCTION' END,
              p.oid::regprocedure)
FROM pg_proc p
WHERE p.pronamespace = current_schema()::regnamespace
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT format('DROP TYPE IF EXISTS %s CASCADE', t.oid::regtype)
FROM pg_type t
WHERE t.typnamespace = current_schema()::regnamespace
  AND (t.typtype IN ('e', 'd', 'r', 'm')
       OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
"""


def _drop_everything(raw: object) -> None:
    raw.execute(f"SET LOCAL lock_timeout = {busy_timeout_ms()}")  # type: ignore[attr-defined]
    for (statement,) in raw.execute(_OBJECTS).fetchall():  # type: ignore[attr-defined]
        raw.execute(statement)  # type: ignore[attr-defined]


def _load(program: pg_client.Program, file: Path, raw: object) -> None:
    """Run the backup's SQL on ``raw``; a ``pg_restore`` that fails half-way fails the load."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [program.path, "--file=-", str(file)], stdout=subprocess.PIPE, stderr=errors
        )
        try:
            assert process.stdout is not None
            run_script(raw, process.stdout)
            process.stdout.close()
            code = process.wait()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if code != 0:
            errors.seek(0)
            reason = pg_client.first_error(errors.read().decode("utf-8", "replace"), "pg_restore")
            raise DatabaseUnavailable(f"pg_restore could not read {file.name}: {reason}")


def _upgrade(conn: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    from specialops.store.migrate import current, head, script_directory

    if current(conn) == head():
        return
    config = Config()
    config.set_main_option("script_location", script_directory().dir)
    config.attributes["connection"] = conn
    command.upgrade(config, "heads")


def _replace(ctx: Context, program: pg_client.Program, file: Path, revision: str) -> None:
    """One transaction: drop, load, check the chain, upgrade, audit the restore; commit."""
    from specialops.store.migrate import current

    with ctx.store.write_engine.connect() as conn, conn.begin():
        raw = conn.connection.driver_connection
        _drop_everything(raw)
        _load(program, file, raw)
        raw.execute("RESET ALL")  # type: ignore[union-attr]  # the script's SETs, and ours
        conn.exec_driver_sql("SELECT set_config('specialops.via_app', 'on', true)")
        if current(conn) != revision:
            raise DatabaseUnavailable(f"{file.name} did not load its schema version")
        chain = audit.verify(conn)
        if not chain.ok:
            raise DatabaseUnavailable(
                f"the backup's audit log is broken at entry {chain.first_bad_id} ({chain.reason})"
            )
        _upgrade(conn)
        audit.append(
            conn,
            ctx.actor,
            [audit.Event("restore", "database", comment=f"restored from {file.name}")],
        )


def _reason(error: BaseException) -> str:
    text = str(getattr(error, "orig", error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


def restore_dump(ctx: Context, file: Path) -> dict[str, str]:
    """Replace the server database of ``ctx`` with the ``pg_dump`` backup ``file``."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    from specialops.store.migrate import script_directory
    from specialops.store.pg_dump import dump_to
    from specialops.store.restore import before_restore_path

    store: Store = ctx.store
    program = pg_client.find_for(store, "pg_restore")
    revision = check_dump(program, file)
    if revision not in {s.revision for s in script_directory().walk_revisions()}:
        raise DatabaseUnavailable(
            f"{file} uses schema {revision}, newer than this specialops; {_NOT_RESTORED}"
        )
    name = pg_client.database_name(store)
    previous = dump_to(store, before_restore_path(file.parent, name, ".dump"))
    unchanged = f"the database is unchanged; its copy from before is {previous}"
    try:
        _replace(ctx, program, file, revision)
    except SpecialopsError as error:
        raise DatabaseUnavailable(f"restore failed: {error}; {unchanged}") from error
    except (psycopg.Error, DBAPIError) as error:
        raise DatabaseUnavailable(f"restore failed: {_reason(error)}; {unchanged}") from error
    store.dispose()
    return {"database": store.label, "previous": str(previous), "schema": revision}
