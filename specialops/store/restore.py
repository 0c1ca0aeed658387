"""Replace the database with a backup, checking the backup first."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from specialops import audit, clock
from specialops.errors import DatabaseUnavailable, UsageError
from specialops.permissions import require

if TYPE_CHECKING:
    from specialops.context import Context


def check_backup(file: Path) -> str:
    """Check a backup file is an intact specialops database; return its schema revision."""
    if not file.exists():
        raise UsageError(f"no backup file at {file}")
    try:
        conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise DatabaseUnavailable(f"{file} is damaged ({result}); nothing was restored")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise DatabaseUnavailable(
            f"{file} is not a specialops backup ({error}); nothing was restored"
        ) from error
    if revision is None:
        raise DatabaseUnavailable(f"{file} has no schema version; nothing was restored")
    return str(revision[0])


def restore_from(ctx: Context, file: Path) -> dict[str, str]:
    """Copy ``file`` over the live database with SQLite's backup API.

    Copying page by page through SQLite (rather than renaming files) keeps
    everyone else's open connections valid: they see the restored data.
    The replaced database is saved beside it first.
    """
    from specialops.store.backup import backup_to
    from specialops.store.migrate import script_directory

    require(ctx.actor, "db.admin")
    store = ctx.store
    if store.path is None:
        raise UsageError("restore works on SQLite databases; use pg_restore for PostgreSQL")
    file = file.expanduser().resolve()
    revision = check_backup(file)
    known = {s.revision for s in script_directory().walk_revisions()}
    if revision not in known:
        raise DatabaseUnavailable(
            f"{file} uses schema {revision}, newer than this specialops; nothing was restored"
        )
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    previous = backup_to(
        store, store.path.with_name(f"{store.path.name}.before-restore-{stamp}.bak")
    )
    source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    target = sqlite3.connect(store.path, timeout=30)
    try:
        source.backup(target)
    except sqlite3.Error as error:
        raise DatabaseUnavailable(f"restore failed ({error}); the database is unchanged") from error
    finally:
        target.close()
        source.close()
    store.dispose()
    from specialops.store.migrate import upgrade

    upgrade(store)
    with store.connect_write() as conn:
        audit.append(
            conn,
            ctx.actor,
            [audit.Event("restore", "database", comment=f"restored from {file.name}")],
        )
    return {"database": str(store.path), "previous": str(previous), "schema": revision}
