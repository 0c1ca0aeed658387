"""``specialops db check``: is this database healthy?"""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from specialops.audit import verify

if TYPE_CHECKING:
    from specialops.context import Context


def expected_triggers(revision: str | None) -> dict[str, str]:
    """The SQLite triggers a database at ``revision`` holds, by name, with their SQL.

    Each revision that creates triggers declares them in its ``TRIGGERS`` mapping
    (the same one it creates them from); a later revision's entry replaces an
    earlier one of the same name, and ``None`` says the trigger was dropped.
    """
    from specialops.store.migrate import script_directory

    if revision is None:
        return {}
    found: dict[str, str | None] = {}
    for script in reversed(list(script_directory().iterate_revisions(revision, "base"))):
        found.update(getattr(script.module, "TRIGGERS", {}))
    return {name: sql for name, sql in found.items() if sql is not None}


def expected_indexes(revision: str | None) -> dict[str, str]:
    """The PostgreSQL indexes made with raw SQL that a database at ``revision`` holds, by
    name, with their SQL (each revision's ``PG_INDEXES``, as for :func:`expected_triggers`)."""
    from specialops.store.migrate import script_directory

    if revision is None:
        return {}
    found: dict[str, str] = {}
    for script in reversed(list(script_directory().iterate_revisions(revision, "base"))):
        found.update(getattr(script.module, "PG_INDEXES", {}))
    return found


def index_problems(conn: Any, expected: dict[str, str]) -> list[str]:
    """Each expected PostgreSQL index that is missing, with the SQL that makes it again."""
    present = set(
        conn.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        ).scalars()
    )
    return [
        f"index {name} is missing, so the ticket search reads every ticket; as the "
        f"database's owner: CREATE EXTENSION IF NOT EXISTS pg_trgm; {sql}"
        for name, sql in sorted(expected.items())
        if name not in present
    ]


def _same_sql(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def trigger_problems(conn: Connection, expected: dict[str, str]) -> list[str]:
    """Each expected trigger that is missing or changed, and each one nobody declared."""
    present = {
        name: (table, sql or "")
        for name, table, sql in conn.exec_driver_sql(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"
        )
    }
    problems = []
    for name, sql in sorted(expected.items()):
        if name not in present:
            problems.append(f"trigger {name} is missing")
        elif not _same_sql(present[name][1], sql):
            problems.append(f"trigger {name} differs from the one the schema defines")
    for name, (table, _sql) in sorted(present.items()):
        if name not in expected:
            problems.append(f"unknown trigger {name} on {table}")
    return problems


# The audit log's triggers on PostgreSQL (migrations 0001 and 0010).
LOG_TRIGGERS = ("audit_log_append_only", "audit_log_chain", "audit_log_no_truncate",
                "audit_log_notify")  # fmt: skip


def _log_trigger_problems(conn: Any) -> list[str]:
    """The audit log's triggers that are missing, and any trigger switched off."""
    present = dict(
        conn.exec_driver_sql(
            "SELECT t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname = 'audit_log' AND NOT t.tgisinternal"
        ).all()
    )
    problems = [f"trigger {name} is missing" for name in LOG_TRIGGERS if name not in present]
    disabled = conn.exec_driver_sql(
        "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND t.tgenabled = 'D' "
        "ORDER BY c.relname, t.tgname"
    ).all()
    problems += [f"trigger {name} on {table} is switched off" for name, table in disabled]
    return problems


def server_problems(conn: Any, report: dict[str, Any]) -> list[str]:
    """On PostgreSQL: tables the server does not watch, and changes made without specialops
    (recorded under the login that made them, ``server_changes``)."""
    watched = set(
        conn.exec_driver_sql(
            "SELECT event_object_table FROM information_schema.triggers "
            "WHERE trigger_name = event_object_table || '_server_changes'"
        ).scalars()
    )
    tables = set(
        conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ).scalars()
    )
    unwatched = sorted(tables - watched - {"audit_log", "alembic_version", "server_changes"})
    problems = []
    if unwatched:
        problems.append(f"the server does not record changes to {', '.join(unwatched)}")
    problems += _log_trigger_problems(conn)
    outside = conn.exec_driver_sql(
        "SELECT login, at, table_name, record_id, operation FROM server_changes "
        "WHERE NOT via_app ORDER BY id"
    ).all()
    report["changes_outside_specialops"] = [
        {"login": r[0], "at": str(r[1]), "table": r[2], "record_id": r[3], "operation": r[4]}
        for r in outside
    ]
    if outside:
        login, at, table, record, operation = outside[-1]
        problems.append(
            f"{len(outside)} {'change was' if len(outside) == 1 else 'changes were'} made "
            f"without specialops, the last by {login} "
            f"at {at:%Y-%m-%d %H:%M:%S %Z} ({operation} of {table} record {record})"
        )
    return problems


def check_database(ctx: Context) -> dict[str, Any]:
    """Integrity, schema version, triggers, journal mode, file mode and the audit chain."""
    from specialops.store.migrate import current, head

    store = ctx.store
    report: dict[str, Any] = {"database": str(store.path or store.label)}
    problems: list[str] = []
    with store.engine.connect() as conn:
        report["schema"] = current(conn)
        report["schema_newest"] = head()
        if store.is_sqlite:
            integrity = conn.exec_driver_sql("PRAGMA quick_check").scalar()
            report["integrity"] = integrity
            if integrity != "ok":
                problems.append(f"integrity: {integrity}")
            report["journal_mode"] = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            expected = expected_triggers(report["schema"])
            report["triggers"] = sorted(expected)
            problems += trigger_problems(conn, expected)
        else:
            from specialops.store import server_roles

            problems += server_problems(conn, report)
            problems += index_problems(conn, expected_indexes(report["schema"]))
            problems += server_roles.problems(conn)
            problems += server_roles.login_problems(conn)
        chain = verify(conn)
        report["audit_entries"] = chain.checked
        report["audit_chain"] = "intact" if chain.ok else f"broken at entry {chain.first_bad_id}"
        if not chain.ok:
            problems.append(f"audit log broken at entry {chain.first_bad_id}: {chain.reason}")
    if store.path is not None:
        mode = stat.S_IMODE(store.path.stat().st_mode)
        report["file_mode"] = f"{mode:04o}"
        if mode & stat.S_IROTH:
            problems.append("the file is readable by every user of this machine")
    report["problems"] = problems
    report["ok"] = not problems
    return report
