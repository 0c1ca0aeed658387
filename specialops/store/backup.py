"""Consistent copies of the database while others keep writing."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from specialops import private_files
from specialops.errors import UsageError
from specialops.store.store import Store


def backup_to(store: Store, target: Path) -> Path:
    """Copy the database to ``target``: SQLite's online backup, or ``pg_dump`` on a server.

    The copy is written privately beside ``target`` and renamed over it only
    when complete (:mod:`specialops.private_files`); it takes the database
    file's group and group access, never any for other users.
    """
    if not store.is_sqlite:
        from specialops.store.pg_dump import dump_to

        return dump_to(store, target)
    if store.path is None:
        raise UsageError("an in-memory database has nothing to back up")
    target = Path(os.path.abspath(os.path.expanduser(target)))
    if target.exists() and os.path.realpath(target) == os.path.realpath(store.path):
        raise UsageError("the backup file must not be the database itself")
    final = private_files.check_target(target, database=store.path)
    existed = final.exists()
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise private_files.cannot_write(final, error, existed=False) from None
    try:
        with private_files.writing(final, group_of=store.path) as part:
            source = sqlite3.connect(store.path, timeout=30)
            try:
                dest = sqlite3.connect(part.path)
                try:
                    source.backup(dest, pages=1024)
                finally:
                    dest.close()
            finally:
                source.close()
    except sqlite3.Error as error:
        raise private_files.cannot_write(final, str(error), existed=existed) from error
    return final
