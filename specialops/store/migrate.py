"""Schema versions: Alembic revisions kept in the ``alembic_version`` table.

A new database is brought to the newest revision; an older one is
backed up beside itself and upgraded; a newer one is refused. The
upgrade takes the write lock first and re-reads the version, so two
people starting specialops at once cannot both migrate, and it runs with
foreign keys off (SQLite's table rewrite would otherwise cascade deletes),
checking them before it commits.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from specialops.errors import DatabaseUnavailable
from specialops.store.store import Store

# Tables no model describes (full-text indexes made with raw SQL by a revision, and
# their shadow tables): autogenerate and the schema check leave them alone.
UNMODELLED_PREFIXES: tuple[str, ...] = ("tickets_fts",)


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's ``include_name`` hook: skip the unmodelled tables."""
    return not (type_ == "table" and name is not None and name.startswith(UNMODELLED_PREFIXES))


def _location() -> str:
    return str(files("specialops.migrations"))


@cache
def script_directory() -> ScriptDirectory:
    return ScriptDirectory(_location())


def head() -> str:
    """The newest schema revision this specialops knows."""
    result = script_directory().get_current_head()
    assert result is not None
    return result


def current(conn: Connection) -> str | None:
    """The schema revision the database is at (``None`` when it has none)."""
    return MigrationContext.configure(conn).get_current_revision()


def _config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", _location())
    config.attributes["connection"] = conn
    return config


def backup_path(path: Path, revision: str) -> Path:
    return path.with_name(f"{path.name}.schema-{revision}.bak")


def _refuse_foreign(conn: Connection, revision: str | None) -> None:
    if revision is None:
        tables = [t for t in inspect(conn).get_table_names() if not t.startswith("sqlite_")]
        if tables:
            raise DatabaseUnavailable(
                "the database holds other tables and is not a specialops database"
            )
        return
    known = {script.revision for script in script_directory().walk_revisions()}
    if revision not in known:
        raise DatabaseUnavailable(
            f"the database uses schema {revision}, newer than this specialops knows ({head()}); "
            "upgrade specialops before opening it"
        )


def upgrade_to(store: Store, target: str = "heads") -> None:
    """Bring the schema to ``target`` (the newest by default)."""
    with store.engine.connect() as conn:
        found = current(conn)
    if found == head() and target == "heads":
        return
    with store.engine.connect() as conn:
        _refuse_foreign(conn, found)
        conn.rollback()
    if found is not None and store.path is not None:
        target_file = backup_path(store.path, found)
        if not target_file.exists():
            from specialops.store.backup import backup_to

            backup_to(store, target_file)
    with store.write_engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        if store.is_sqlite:
            raw.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                if current(conn) != head() or target != "heads":
                    command.upgrade(_config(conn), target)
                    if store.is_sqlite:
                        problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if problems:
                            raise DatabaseUnavailable(
                                f"the schema upgrade would break {len(problems)} references; "
                                "nothing was changed"
                            )
        finally:
            if store.is_sqlite:
                raw.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
    if not store.is_sqlite:
        _secure_after_upgrade(store)


def _secure_after_upgrade(store: Store) -> None:
    """Run as the server's superuser, an upgrade also gives its new tables to the
    roles (:func:`specialops.store.server_roles.secure`); anyone else's upgrade leaves
    that to ``db secure``, which ``db check`` asks for."""
    from specialops.store import server_roles

    with store.write_engine.connect() as conn, conn.begin():
        if server_roles.is_superuser(conn):
            server_roles.secure(conn)


def upgrade(store: Store) -> None:
    """Bring the schema to the newest revision (the store calls this on open)."""
    upgrade_to(store)
