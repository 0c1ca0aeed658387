"""Who may do what on a PostgreSQL database: the roles ``specialops db secure`` sets up.

- ``specialops_owner`` owns the business tables and the schema's functions; nobody logs
  in as it. Upgrades run as the server's superuser.
- ``specialops_audit`` owns the audit log, the server's record of changes and the
  functions that write them (they run with its rights). Nobody logs in as it either, so
  no login can alter, delete or truncate an entry, nor drop the triggers that chain them.
- ``specialops_users``: what the program needs — read and write the business tables,
  add entries to the audit log, read the server's record.
- ``specialops_readers``: read everything; add audit entries (a reveal is audited).

Each OS login gets a login role of its own name, a member of one of the last two
(``specialops db grant``); with peer authentication over the local socket the server
then knows every connection's real login.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from specialops.errors import PermissionDenied, UsageError
from specialops.store.store import Store

OWNER = "specialops_owner"
AUDIT = "specialops_audit"
USERS = "specialops_users"
READERS = "specialops_readers"
GROUPS = (OWNER, AUDIT, USERS, READERS)
_GROUP_LIST = "(" + ", ".join(f"'{role}'" for role in GROUPS) + ")"

# Tables the audit role owns, and the functions that write them with its rights.
LOG_TABLES = ("audit_log", "server_changes")
LOG_FUNCTIONS = ("specialops_chain_audit()", "specialops_record_change()")
# What a login may do to the log tables (and the schema version): nothing else.
LOG_RIGHTS = {
    USERS: {"audit_log": "SELECT, INSERT", "server_changes": "SELECT", "alembic_version": "SELECT"},
    READERS: {
        "audit_log": "SELECT, INSERT",
        "server_changes": "SELECT",
        "alembic_version": "SELECT",
    },
}
_FORBIDDEN_ON_LOG = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")


def is_superuser(conn: Connection) -> bool:
    """Whether this connection's role is a superuser of the server."""
    return bool(
        conn.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar()
    )


def _can_create_roles(conn: Connection) -> bool:
    return bool(
        conn.exec_driver_sql(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).scalar()
    )


def _present_groups(conn: Connection) -> set[str]:
    """Which of the group roles the server has."""
    return set(
        conn.exec_driver_sql(f"SELECT rolname FROM pg_roles WHERE rolname IN {_GROUP_LIST}")
        .scalars()
        .all()
    )


def _tables(conn: Connection) -> list[str]:
    return list(
        conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).scalars()
    )


def _sequences(conn: Connection) -> list[tuple[str, str | None]]:
    """Each sequence of the schema with the table whose column owns it."""
    return [
        (name, table)
        for name, table in conn.exec_driver_sql(
            "SELECT s.relname, t.relname FROM pg_class s "
            "JOIN pg_namespace n ON n.oid = s.relnamespace "
            "LEFT JOIN pg_depend d ON d.objid = s.oid AND d.deptype = 'a' "
            "LEFT JOIN pg_class t ON t.oid = d.refobjid "
            "WHERE s.relkind = 'S' AND n.nspname = 'public' ORDER BY s.relname"
        )
    ]


def _functions(conn: Connection) -> list[str]:
    return [
        f"{name}({args})"
        for name, args in conn.exec_driver_sql(
            "SELECT p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
            "AND p.prokind = 'f' ORDER BY p.proname"
        )
    ]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_secured(conn: Connection) -> bool:
    """Whether ``db secure`` has set this database up (its roles exist, the log is theirs)."""
    owner = conn.exec_driver_sql(
        "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'audit_log'"
    ).scalar()
    return owner == AUDIT


def secure(conn: Connection) -> list[str]:
    """Create the roles, hand the tables to them and grant each only its rights.

    Idempotent; runs as the server's superuser (a schema upgrade runs it again, for
    the tables the upgrade made). Returns what it did, one line per step.
    """
    if not is_superuser(conn):
        raise PermissionDenied(
            "securing the database needs the PostgreSQL superuser "
            "(run it as: sudo -u postgres specialops --db URL db secure)"
        )
    done = []
    present = _present_groups(conn)
    for role in GROUPS:
        if role not in present:
            conn.exec_driver_sql(f"CREATE ROLE {role} NOLOGIN")
            done.append(f"created role {role}")
    database = conn.exec_driver_sql("SELECT current_database()").scalar()
    conn.exec_driver_sql(f"REVOKE ALL ON DATABASE {_quote(str(database))} FROM PUBLIC")
    conn.exec_driver_sql(
        f"GRANT CONNECT, TEMPORARY ON DATABASE {_quote(str(database))} TO {USERS}, {READERS}"
    )
    conn.exec_driver_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {USERS}, {READERS}")
    tables = _tables(conn)
    for table in tables:
        owner = AUDIT if table in LOG_TABLES else OWNER
        quoted = _quote(table)
        conn.exec_driver_sql(f"ALTER TABLE {quoted} OWNER TO {owner}")
        conn.exec_driver_sql(f"REVOKE ALL ON {quoted} FROM PUBLIC, {USERS}, {READERS}")
        rights = LOG_RIGHTS[USERS].get(table)
        if rights is not None:
            conn.exec_driver_sql(f"GRANT {rights} ON {quoted} TO {USERS}")
            conn.exec_driver_sql(f"GRANT {LOG_RIGHTS[READERS][table]} ON {quoted} TO {READERS}")
        else:
            conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {quoted} TO {USERS}")
            conn.exec_driver_sql(f"GRANT SELECT ON {quoted} TO {READERS}")
    for sequence, table in _sequences(conn):
        quoted = _quote(sequence)
        # An owned sequence follows its table's owner; a free one goes to the owner role.
        if table is None:
            conn.exec_driver_sql(f"ALTER SEQUENCE {quoted} OWNER TO {OWNER}")
        conn.exec_driver_sql(f"REVOKE ALL ON SEQUENCE {quoted} FROM PUBLIC, {USERS}, {READERS}")
        if table != "server_changes":  # its rows are written by the audit role's function
            conn.exec_driver_sql(f"GRANT USAGE, SELECT ON SEQUENCE {quoted} TO {USERS}")
        if table == "audit_log":  # an entry's default id is drawn before the chain's trigger
            conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE {quoted} TO {READERS}")
    for function in _functions(conn):
        owner = AUDIT if function in LOG_FUNCTIONS else OWNER
        conn.exec_driver_sql(f"ALTER FUNCTION {function} OWNER TO {owner}")
    done.append(f"{len(tables)} tables handed to {OWNER} and {AUDIT}, rights granted")
    return done


def grant_login(conn: Connection, login: str, *, read_only: bool = False) -> str:
    """Let the OS login ``login`` connect as itself, with the users' (or readers') rights."""
    _check_name(login)
    if not _can_create_roles(conn):
        raise PermissionDenied("granting a login needs the PostgreSQL superuser or CREATEROLE")
    if not is_secured(conn):
        raise UsageError("the database is not secured yet: run 'specialops db secure' first")
    group, other = (READERS, USERS) if read_only else (USERS, READERS)
    exists = conn.exec_driver_sql(
        "SELECT rolsuper FROM pg_roles WHERE rolname = %(login)s", {"login": login}
    ).first()
    if exists is None:
        conn.exec_driver_sql(f"CREATE ROLE {_quote(login)} LOGIN")
    elif exists[0]:
        raise UsageError(f"{login} is a superuser of the server; give the app a login of its own")
    conn.exec_driver_sql(f"REVOKE {other} FROM {_quote(login)}")
    conn.exec_driver_sql(f"GRANT {group} TO {_quote(login)}")
    return group


def revoke_login(conn: Connection, login: str) -> None:
    """Take the program's rights from ``login`` (its role stays, for the records naming it)."""
    _check_name(login)
    if not _can_create_roles(conn):
        raise PermissionDenied("revoking a login needs the PostgreSQL superuser or CREATEROLE")
    conn.exec_driver_sql(f"REVOKE {USERS}, {READERS} FROM {_quote(login)}")


def _check_name(login: str) -> None:
    if not login or len(login) > 63 or not all(c.isalnum() or c in "._-" for c in login):
        raise UsageError(f"{login!r} is not a login name")


@dataclass(frozen=True)
class Grant:
    grantee: str
    table: str
    privilege: str


def _grants(conn: Connection, tables: tuple[str, ...]) -> list[Grant]:
    rows = conn.exec_driver_sql(
        "SELECT coalesce(r.rolname, 'PUBLIC'), c.relname, a.privilege_type "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a "
        "LEFT JOIN pg_roles r ON r.oid = a.grantee "
        "WHERE n.nspname = 'public' AND c.relname = ANY(%(tables)s) "
        "AND a.grantee <> c.relowner",
        {"tables": list(tables)},
    )
    return [Grant(*row) for row in rows]


def problems(conn: Connection) -> list[str]:
    """What is wrong with the roles and rights of this database, one line each."""
    if not is_secured(conn):
        return [
            "the server's roles are not set up: the audit log can be changed by its owner "
            "(run 'specialops db secure' as the PostgreSQL superuser)"
        ]
    found = []
    present = _present_groups(conn)
    found += [f"role {role} is missing" for role in GROUPS if role not in present]
    members = conn.exec_driver_sql(
        "SELECT g.rolname, m.rolname FROM pg_auth_members a "
        "JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member "
        "WHERE g.rolname IN (%(owner)s, %(audit)s)",
        {"owner": OWNER, "audit": AUDIT},
    ).all()
    found += [f"{member} can act as {group}" for group, member in members]
    if (
        owner := conn.exec_driver_sql(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename = 'server_changes'"
        ).scalar()
    ) != AUDIT:
        found.append(f"server_changes belongs to {owner}, not {AUDIT}")
    for grant in _grants(conn, LOG_TABLES):
        if grant.privilege in _FORBIDDEN_ON_LOG:
            found.append(f"{grant.grantee} may {grant.privilege} on {grant.table}")
    public = conn.exec_driver_sql(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "CROSS JOIN LATERAL aclexplode(c.relacl) a "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S') AND a.grantee = 0 "
        "GROUP BY c.relname ORDER BY c.relname"
    ).scalars()
    found += [f"every login of the server may use {table}" for table in public]
    missing = [
        table
        for table in _tables(conn)
        if table not in LOG_RIGHTS[USERS]
        and not conn.exec_driver_sql(
            "SELECT has_table_privilege(%(role)s, %(table)s, 'INSERT')",
            {"role": USERS, "table": f"public.{_quote(table)}"},
        ).scalar()
    ]
    if missing:
        found.append(f"{USERS} may not write {', '.join(missing)} (run 'specialops db secure')")
    return found


def login_problems(conn: Connection) -> list[str]:
    """Audit entries whose recorded login is not the one the server knew, by a plain login."""
    rows: Any = conn.exec_driver_sql(
        "SELECT count(*), max(a.id), min(a.server_login) FROM audit_log a "
        "JOIN pg_roles r ON r.rolname = a.server_login "
        "WHERE a.server_login IS DISTINCT FROM a.real_username AND NOT r.rolsuper"
    ).first()
    count, last, login = rows
    if not count:
        return []
    return [
        f"{count} audit {'entry names' if count == 1 else 'entries name'} another login "
        f"than the server knew (the last, entry {last}, was written by {login})"
    ]


def _on_server(store: Store) -> None:
    if store.is_sqlite:
        raise UsageError(
            "roles are a PostgreSQL server's; on SQLite the file's group decides who may use it"
        )


def secure_database(store: Store) -> list[str]:
    """:func:`secure` in one writing transaction of ``store``."""
    _on_server(store)
    with store.write_engine.connect() as conn, conn.begin():
        return secure(conn)


def grant(store: Store, login: str, *, read_only: bool = False) -> str:
    """:func:`grant_login` in one writing transaction of ``store``; the group given."""
    _on_server(store)
    with store.write_engine.connect() as conn, conn.begin():
        return grant_login(conn, login, read_only=read_only)


def revoke(store: Store, login: str) -> None:
    """:func:`revoke_login` in one writing transaction of ``store``."""
    _on_server(store)
    with store.write_engine.connect() as conn, conn.begin():
        revoke_login(conn, login)
