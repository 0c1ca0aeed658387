"""Replace the database with a backup, checking the backup first."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from specialops import audit, clock, private_files
from specialops.errors import DatabaseUnavailable, SpecialopsError, UsageError
from specialops.permissions import require
from specialops.store.store import Store, engine_url, readonly_uri

if TYPE_CHECKING:
    from specialops.context import Context


def before_restore_path(folder: Path, name: str, suffix: str) -> Path:
    """A new file for the database's copy from before a restore, never an existing one.

    Two restores within a second (or under a fixed clock) must not overwrite
    the first one's copy, nor the backup being restored.
    """
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"{name}.before-restore-{stamp}{suffix}"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{name}.before-restore-{stamp}-{n}{suffix}"
    return path


def check_backup(file: Path) -> str:
    """Check a backup file is an intact specialops database; return its schema revision."""
    if not file.is_file():
        raise UsageError(f"no backup file at {file}")
    try:
        conn = sqlite3.connect(readonly_uri(file), uri=True)
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


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """Copy every page in one step: the target changes whole or not at all."""
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _stage(ctx: Context, file: Path, staged: Path) -> None:
    """Bring a copy of the backup to the current schema and write the restore's audit entry."""
    from specialops.store.migrate import upgrade

    _copy(sqlite3.connect(readonly_uri(file), uri=True), sqlite3.connect(staged))
    # No path: the private copy needs no schema backup beside it.
    copy = Store(engine_url(staged))
    try:
        upgrade(copy)
        with copy.connect_write() as conn:
            audit.append(
                conn,
                ctx.actor,
                [audit.Event("restore", "database", comment=f"restored from {file.name}")],
            )
    finally:
        copy.dispose()


def restore_from(ctx: Context, file: Path) -> dict[str, str]:
    """Copy ``file`` over the live database with SQLite's backup API, audited.

    On PostgreSQL, ``file`` is a ``pg_dump`` backup (:mod:`specialops.store.pg_restore`).

    The replaced database is saved beside it first. The backup is copied to
    a private file beside the database, upgraded and given the restore's
    audit entry; that copy then replaces the data in one step, so the
    database is either restored with its audit entry or unchanged. Copying
    page by page through SQLite (rather than renaming files) keeps everyone
    else's open connections valid: they see the restored data.
    """
    from specialops.store.backup import backup_to
    from specialops.store.migrate import script_directory

    require(ctx.actor, "db.admin")
    store = ctx.store
    file = Path(os.path.abspath(os.path.expanduser(file)))
    if not store.is_sqlite:
        from specialops.store.pg_restore import restore_dump

        return restore_dump(ctx, file)
    if store.path is None:
        raise UsageError("an in-memory database cannot be restored into")
    revision = check_backup(file)
    known = {s.revision for s in script_directory().walk_revisions()}
    if revision not in known:
        raise DatabaseUnavailable(
            f"{file} uses schema {revision}, newer than this specialops; nothing was restored"
        )
    previous = backup_to(store, before_restore_path(store.path.parent, store.path.name, ".bak"))
    unchanged = f"the database is unchanged; its copy from before is {previous}"
    with private_files.scratch(store.path.parent, f"{store.path.name}.restore") as staged:
        try:
            _stage(ctx, file, staged)
        except (SpecialopsError, sqlite3.Error) as error:
            raise DatabaseUnavailable(
                f"restore failed: the restored copy and its audit entry could not be "
                f"prepared ({error}); {unchanged}"
            ) from error
        try:
            _copy(sqlite3.connect(staged), sqlite3.connect(store.path, timeout=30))
        except sqlite3.Error as error:
            raise DatabaseUnavailable(f"restore failed ({error}); {unchanged}") from error
    store.dispose()
    return {"database": str(store.path), "previous": str(previous), "schema": revision}
