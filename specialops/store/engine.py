"""One engine factory for every process that opens the database.

On SQLite the driver's own transaction handling is switched off so that
SQLAlchemy's ``begin`` decides: a writing transaction starts with
``BEGIN IMMEDIATE`` (it takes the write lock at once and so queues behind
other writers under the busy timeout instead of failing on a lock
upgrade); reads start with a plain deferred ``BEGIN``. On PostgreSQL a writing
transaction first takes one advisory lock that every writer shares.
"""

from __future__ import annotations

import os

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

WRITE_OPTION = "specialops_write"


def busy_timeout_ms() -> int:
    """How long a writer waits for the write lock before giving up; scripts and
    tests can shorten it with SPECIALOPS_BUSY_TIMEOUT_MS."""
    return int(os.environ.get("SPECIALOPS_BUSY_TIMEOUT_MS", "30000"))


def _sqlite_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
    mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
    if mode.lower() != "wal":
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(conn) -> None:
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """Create the engine for ``url`` with the settings shared use needs."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": busy_timeout_ms() / 1000, "check_same_thread": False},
            poolclass=NullPool if url in ("sqlite://", "sqlite:///:memory:") else None,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(_postgresql(url), pool_pre_ping=True)
    event.listen(engine, "begin", _server_begin)
    return engine


# Writers take one transaction-scoped advisory lock, as SQLite's BEGIN IMMEDIATE takes the
# write lock: the audit chain is appended one writer after another, never forked.
WRITERS_LOCK = 0x5350_4F50  # "SPOP"


def _server_begin(conn) -> None:
    if conn.get_execution_options().get(WRITE_OPTION):
        # The server's change log (migration 0009) tells this program's changes from others'.
        conn.exec_driver_sql(
            f"SELECT pg_advisory_xact_lock({WRITERS_LOCK}), "
            "set_config('specialops.via_app', 'on', true)"
        )


def _postgresql(url: str) -> str:
    """``url`` with the psycopg 3 driver named, once it is known to be installed."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        from specialops.errors import DatabaseUnavailable

        raise DatabaseUnavailable(
            "a PostgreSQL database needs the psycopg driver: pip install 'specialops[postgresql]'"
        ) from None
    scheme, sep, rest = url.partition("://")
    return f"postgresql+psycopg://{rest}" if sep and scheme in ("postgresql", "postgres") else url


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions take the write lock at their start."""
    return engine.execution_options(**{WRITE_OPTION: True})
