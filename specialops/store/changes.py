"""Being told that others changed the data, so that screens can show it within seconds.

On PostgreSQL the server notifies channel ``specialops`` (migration 0010) with the
entities a transaction wrote, or the table someone changed without specialops; a
watcher listens on a connection of its own. On SQLite a watcher asks its own
connection for ``PRAGMA data_version``, which moves whenever another connection
commits, and reads the entities from the audit entries added since.

A watcher is used from one thread (a worker of the app): ``wait`` blocks.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any, Protocol

from specialops.store.store import Store

CHANNEL = "specialops"
# Anything may have changed (a change that left no audit entry, e.g. one made with sqlite3).
ANYTHING = "*"
POLL_SECONDS = 0.25


class ChangeWatch(Protocol):
    def wait(self, timeout: float) -> set[str] | None:
        """The entities changed since the last call, once some are; ``None`` after
        ``timeout`` seconds without a change."""

    def close(self) -> None:
        """Stop watching."""


def watch(store: Store) -> ChangeWatch:
    """A watcher of ``store``'s database, starting from now."""
    if store.is_sqlite:
        assert store.path is not None
        return _FileWatch(str(store.path))
    return _ServerWatch(store)


class _FileWatch:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.conn.isolation_level = None
        self.version = self._version()
        self.last_id = self._last_id()

    def _version(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def _last_id(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0])

    def wait(self, timeout: float) -> set[str] | None:
        deadline = time.monotonic() + timeout
        while True:
            if (version := self._version()) != self.version:
                self.version = version
                rows = self.conn.execute(
                    "SELECT entity, max(id) FROM audit_log WHERE id > ? GROUP BY entity",
                    (self.last_id,),
                ).fetchall()
                if rows:
                    self.last_id = max(row[1] for row in rows)
                    return {row[0] for row in rows}
                return {ANYTHING}
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(POLL_SECONDS, left))

    def close(self) -> None:
        self.conn.close()


class _ServerWatch:
    def __init__(self, store: Store) -> None:
        self.pooled: Any = store.engine.raw_connection()
        self.conn: Any = self.pooled.driver_connection
        self.conn.autocommit = True
        self.conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> set[str] | None:
        changed: set[str] = set()
        for notice in self.conn.notifies(timeout=timeout, stop_after=1):
            changed |= _named(notice.payload)
        if not changed:
            return None
        # Take in what arrived together, so that one import is one refresh.
        for notice in self.conn.notifies(timeout=0.05):
            changed |= _named(notice.payload)
        return changed

    def close(self) -> None:
        # Never back into the pool: the connection is still listening.
        self.pooled.invalidate()


def _named(payload: str) -> set[str]:
    return {name for name in payload.split(",") if name} or {ANYTHING}
