"""Consistent copies of the database while others keep writing."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from specialops.errors import DatabaseUnavailable, UsageError
from specialops.store.store import NEW_FILE_MODE, Store


def backup_to(store: Store, target: Path) -> Path:
    """Copy the database to ``target`` with SQLite's online backup."""
    if not store.is_sqlite or store.path is None:
        raise UsageError("backup copies SQLite databases; use pg_dump for PostgreSQL")
    target = target.expanduser().resolve()
    if target == store.path:
        raise UsageError("the backup file must not be the database itself")
    # A name of our own: two people opening an old database at once both back it up.
    tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.unlink(missing_ok=True)
        source = sqlite3.connect(store.path, timeout=30)
        dest = sqlite3.connect(tmp)
        try:
            source.backup(dest, pages=1024)
        finally:
            dest.close()
            source.close()
        os.chmod(tmp, NEW_FILE_MODE)
        os.replace(tmp, target)
    except sqlite3.Error as error:
        tmp.unlink(missing_ok=True)
        raise DatabaseUnavailable(f"backup failed: {error}") from error
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise DatabaseUnavailable(f"cannot write {target}: {error.strerror}") from error
    return target
