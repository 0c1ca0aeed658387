"""An import into a PostgreSQL database: checked in a private SQLite database, then
written in one transaction on the server.

The import engine (:mod:`specialops.io.engine`) stages, matches and plans in SQL over
a scratch SQLite database. On the server that scratch is a private temporary SQLite
file of this process, and the tables the engine's SQL reads as ``main.<table>`` are
copied into it first: the records whose keys the file gives (its own and those its
rows point to), with their values as SQLite holds them. Every rule and message is
then the engine's own, unchanged.

The publish is one transaction. It takes the writers' advisory lock at its start
(:func:`specialops.store.engine.writer`), checks that the records the plan read are
as they were (else the engine plans again), takes the codes from the counter (others
may have taken some since the plan: the planned ones are then renumbered) and chains
the audit entries after the log's head as it is then, before it copies the rows with
``COPY``. New records get ids reserved from the table's sequence when the plan is
made, as every insert on the server does; a failed import leaves only that gap in
the sequence behind. Nothing else is written unless everything is.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, exc
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

from specialops import audit
from specialops.models.core import AuditEntry
from specialops.store import codes

# How the rows reach the server: "copy" (COPY … FROM STDIN) or "executemany" (a
# prepared INSERT in pipeline mode). benchmarks/import_bench.py measures both;
# COPY is the faster (see there).
WRITE_WITH = "copy"
FETCH = 5000  # rows read from the scratch database at a time
AUDIT_COLUMNS = (
    "at",
    "username",
    "real_username",
    "action",
    "record_id",
    "code",
    "before",
    "after",
    "entity",
    "comment",
    "batch",
    "prev_hash",
    "hash",
)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ServerSide:
    """The server's part of one import job (an ``engine._Import``)."""

    def __init__(self, job: Any) -> None:
        self.job = job
        self.dialect = SQLiteDialect_pysqlite()
        self.reserved: list[int] = []  # ids taken from the table's sequence, ascending

    # -- the scratch database -------------------------------------------------

    def scratch(self) -> sqlite3.Connection:
        """A private SQLite database, a temporary file deleted when it is closed."""
        conn = sqlite3.connect("", isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        return conn

    def create_mirror(self) -> None:
        """``main.<table>`` in the scratch: the engine's SQL reads the records there."""
        job = self.job
        columns = ", ".join(
            f"{_quote(c.name)} INTEGER PRIMARY KEY"
            if c.name == "id"
            else f"{_quote(c.name)} {c.type.compile(dialect=self.dialect)}"
            for c in job.table.c
        )
        job._sql(f"CREATE TABLE main.{_quote(job.table_name)} ({columns})")
        job._sql(
            f"CREATE INDEX main.mirror_key ON {_quote(job.table_name)} ({_quote(job.key_col)})"
        )

    def refresh_mirror(self) -> None:
        """Copy the records the file names (by its keys and its references within the
        entity) from the server into the scratch, as SQLite would store them."""
        job = self.job
        given = [_quote("f_" + job.key_col), *(f"s_{f.column}" for f in job.self_refs)]
        keys = sorted(
            {
                key
                for column in given
                for (key,) in job._sql(f"SELECT {column} FROM imp_rows WHERE {column} IS NOT NULL")
            }
        )
        table = _quote(job.table_name)
        names = [c.name for c in job.table.c]
        binders = [_binder(job.table.c[n], self.dialect) for n in names]
        marks = ", ".join("?" for _ in names)
        job._sql("BEGIN")
        try:
            job._sql(f"DELETE FROM main.{table}")
            if keys:
                with job.store.engine.connect() as conn:
                    found = conn.exec_driver_sql(
                        f"SELECT {', '.join(_quote(n) for n in names)} FROM {table} "
                        f"WHERE {_quote(job.key_col)} = ANY(%s)",
                        (keys,),
                    )
                    while block := found.fetchmany(FETCH):
                        job.raw.executemany(
                            f"INSERT INTO main.{table} VALUES ({marks})",
                            [[b(v) for b, v in zip(binders, row, strict=True)] for row in block],
                        )
            job._sql("COMMIT")
        except BaseException:
            job._sql("ROLLBACK")
            raise

    # -- the plan -------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What the plan rests on: the log's head, the code counter; and ids for the new
        records, reserved from the table's sequence (a re-plan keeps those it has)."""
        job = self.job
        prefix = job.model.__code_prefix__ if job.spec.allocates_codes else None
        inserts = job._sql("SELECT count(*) FROM imp_rows WHERE op = 'insert'").fetchone()[0]
        with job.store.engine.connect() as conn:
            last = conn.exec_driver_sql(
                "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1"
            ).scalar()
            counter = None
            if prefix:
                found = conn.exec_driver_sql(
                    "SELECT value FROM code_counters WHERE prefix = %s", (prefix,)
                ).scalar()
                counter = int(found or 0)
            if inserts > len(self.reserved):
                self.reserved += _reserve(conn, job.table_name, inserts - len(self.reserved))
            conn.commit()
        job._sql("BEGIN")
        job._sql("CREATE TABLE IF NOT EXISTS imp.imp_ids (n INTEGER PRIMARY KEY, id INTEGER)")
        job._sql("DELETE FROM imp_ids")
        job.raw.executemany("INSERT INTO imp_ids VALUES (?, ?)", enumerate(self.reserved, 1))
        job._sql("COMMIT")
        return {
            "prev": job.governed_head or (last or audit.GENESIS),
            "max_id": 0,
            "prefix": prefix,
            "counter": counter,
        }

    def number_new_rows(self) -> None:
        """Give the new rows the reserved ids, in file order (inside the plan's transaction)."""
        self.job._sql(
            "UPDATE imp_rows SET new_id = i.id FROM (SELECT line, row_number() OVER "
            "(ORDER BY line) AS n FROM imp_rows WHERE op = 'insert') AS x "
            "JOIN imp_ids i ON i.n = x.n WHERE imp_rows.line = x.line"
        )

    # -- the publish ----------------------------------------------------------

    def publish(self) -> float:
        """Write the plan in one transaction; return how long it held the writers' lock.

        Raises the engine's ``_Stale`` (nothing written) when a record the plan read has
        changed since, or something a governed import's rules read was written.
        """
        import psycopg  # an extra, present wherever a server database is opened

        job = self.job
        job.log("publishing")
        with job.store.write_engine.connect() as conn:
            try:
                begun = time.perf_counter()
                with conn.begin():  # the writers' lock, taken at BEGIN
                    self._publish_in(conn)
                return time.perf_counter() - begun
            except psycopg.Error as error:  # the cursor's: said as SQLAlchemy says them
                raise exc.DBAPIError.instance(None, None, error, psycopg.Error) from error

    def _publish_in(self, conn: Connection) -> None:
        job = self.job
        snap = job.snapshot
        run = conn.exec_driver_sql
        head = run("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").scalar()
        head = head or audit.GENESIS
        if job.spec.governor is not None and job.governed_head is not None:
            self._check_governed(conn)
        self._check_versions(conn)
        relink = head != snap["prev"]
        if snap["prefix"] and (snap.get("given") or snap.get("allocated")):
            codes.bump_to_at_least(conn, snap["prefix"], snap["given"])
            if snap["allocated"]:
                first = codes.allocate(conn, snap["prefix"], snap["allocated"])
                if first != snap["first"]:  # others took codes since the plan
                    job.renumber_codes(first)
                    relink = True
        if relink:
            job._relink(True, job.chunks, head)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        self._insert_records(cursor)
        self._update_records(cursor)
        self._append_audit(cursor)
        if snap.get("keys"):
            self._store_keys(cursor)

    def _check_versions(self, conn: Connection) -> None:
        """The records the file updates or leaves are as the plan read them."""
        job = self.job
        seen = job._sql(
            "SELECT target_id, seen_version FROM imp_rows WHERE op IN ('update', 'unchanged')"
        ).fetchall()
        if not seen:
            return
        same = conn.exec_driver_sql(
            f"SELECT count(*) FROM {_quote(job.table_name)} t JOIN unnest(%s::int[], "
            "%s::int[]) AS s(id, version) ON t.id = s.id AND t.version = s.version",
            ([i for i, _ in seen], [v for _, v in seen]),
        ).scalar()
        if same != len(seen):
            raise job.stale()

    def _check_governed(self, conn: Connection) -> None:
        """Nothing the governor's rules read was written since they read it: the people,
        departments and settings, and the records this import changes or leaves."""
        job = self.job
        targets = [
            i
            for (i,) in job._sql(
                "SELECT target_id FROM imp_rows WHERE op IN ('update', 'unchanged')"
            )
        ]
        touched = conn.exec_driver_sql(
            "SELECT 1 FROM audit_log a WHERE a.id > %s AND (a.entity IN "
            "('users', 'departments', 'settings') OR (a.entity = %s AND "
            "a.record_id = ANY(%s))) LIMIT 1",
            (job.governed_head_id, job.spec.name, targets),
        ).first()
        if touched:
            raise job.stale()

    def _insert_records(self, cursor: Any) -> None:
        job = self.job
        snap = job.snapshot
        cols = job.columns
        # A default of a column the import also derives gives way, as in SQLite's insert.
        extra = [c for c in job.defaults if c not in cols]
        names = ["id", *cols, *extra, "version", "created_at", "updated_at", "updated_by"]
        readers = [_reader(job.table.c[c], self.dialect) for c in cols]
        fixed = [_reader(job.table.c[c], self.dialect)(job.defaults[c]) for c in extra] + [
            1,
            snap["moment"],
            snap["moment"],
            job.actor.username,
        ]
        staged = ", ".join(_quote("f_" + c) for c in cols)
        found = job.raw.execute(
            f"SELECT new_id, {staged} FROM imp_rows WHERE op = 'insert' ORDER BY line"
        )

        def rows() -> Iterator[list[Any]]:
            while block := found.fetchmany(FETCH):
                for id_, *values in block:
                    yield [id_, *(r(v) for r, v in zip(readers, values, strict=True)), *fixed]

        _write(cursor, job.table_name, names, rows())

    def _update_records(self, cursor: Any) -> None:
        """The updates, staged in a temporary table and applied in one ``UPDATE … FROM``
        that also checks each record's version (a change made behind the program's back
        since the check makes the import plan again)."""
        job = self.job
        snap = job.snapshot
        kept = set(job.derived) - set(job.rederived)  # an update keeps the app's values
        cols = [c for c in job.columns if c not in kept]
        count = job._sql("SELECT count(*) FROM imp_rows WHERE op = 'update'").fetchone()[0]
        if not count:
            return
        table = _quote(job.table_name)
        quoted = ", ".join(_quote(c) for c in cols)
        cursor.execute(
            f"CREATE TEMPORARY TABLE imp_updates ON COMMIT DROP AS SELECT id, version AS "
            f"seen_version, {quoted} FROM {table} WITH NO DATA"
        )
        readers = [_reader(job.table.c[c], self.dialect) for c in cols]
        staged = ", ".join(_quote("f_" + c) for c in cols)
        found = job.raw.execute(
            f"SELECT target_id, seen_version, {staged} FROM imp_rows WHERE op = 'update' "
            "ORDER BY line"
        )

        def rows() -> Iterator[list[Any]]:
            while block := found.fetchmany(FETCH):
                for id_, version, *values in block:
                    yield [id_, version, *(r(v) for r, v in zip(readers, values, strict=True))]

        _write(cursor, "imp_updates", ["id", "seen_version", *cols], rows())
        sets = ", ".join(f"{_quote(c)} = u.{_quote(c)}" for c in cols)
        cursor.execute(
            f"UPDATE {table} t SET {sets}, version = t.version + 1, updated_at = %s, "
            "updated_by = %s FROM imp_updates u WHERE t.id = u.id AND t.version = u.seen_version",
            (snap["moment"], job.actor.username),
        )
        if cursor.rowcount != count:
            raise job.stale()

    def _append_audit(self, cursor: Any) -> None:
        """The batch's entry, then one per record in file order, chained as planned."""
        job = self.job
        _, username, real, entity, comment, batch = job.snapshot["audit_common"]
        moment = job.snapshot["moment"]
        found = job.raw.execute(
            "SELECT a.action, a.record_id, a.code, a.before, a.after, "
            "lower(hex(substr(l.link, 1, 32))), lower(hex(substr(l.link, 33))) "
            "FROM imp_audit a JOIN imp_links l ON l.seq = a.seq ORDER BY a.seq"
        )

        def rows() -> Iterator[tuple[Any, ...]]:
            while block := found.fetchmany(FETCH):
                for action, record_id, code, before, after, prev, digest in block:
                    yield (
                        moment,
                        username,
                        real,
                        action,
                        record_id,
                        code,
                        before,
                        after,
                        entity,
                        comment,
                        batch,
                        prev,
                        digest,
                    )

        _write(cursor, AuditEntry.__tablename__, list(AUDIT_COLUMNS), rows())

    def _store_keys(self, cursor: Any) -> None:
        """The data keys the plan made (:mod:`specialops.sealing`)."""
        job = self.job
        cursor.execute(
            "CREATE TEMPORARY TABLE imp_keys (customer_id integer, key bytea) ON COMMIT DROP"
        )
        made = job.raw.execute("SELECT customer_id, key FROM imp_keys")
        _write(cursor, "imp_keys", ["customer_id", "key"], made)
        cursor.execute(
            "INSERT INTO customer_keys (customer_id, key, created_at) SELECT customer_id, key, "
            "%s FROM imp_keys ON CONFLICT (customer_id) DO UPDATE SET key = excluded.key, "
            "created_at = excluded.created_at WHERE customer_keys.key IS NULL",
            (job.snapshot["moment"],),
        )


def _reserve(conn: Connection, table: str, count: int) -> list[int]:
    """``count`` ids from the sequence of ``table``'s id (never given to anyone else)."""
    found = conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        (table, count),
    )
    return sorted(i for (i,) in found)


def _binder(column: Any, dialect: Any) -> Callable[[Any], Any]:
    """A value read from the server as SQLite stores it."""
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return lambda value: value
    return lambda value: None if value is None else processor(value)


def _reader(column: Any, dialect: Any) -> Callable[[Any], Any]:
    """A value as SQLite stores it, as the server is given it."""
    processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
    return processor or (lambda value: value)


def _write(cursor: Any, table: str, names: list[str], rows: Iterable[Any]) -> None:
    """Send ``rows`` of ``names`` into ``table`` as :data:`WRITE_WITH` says."""
    columns = ", ".join(_quote(n) for n in names)
    if WRITE_WITH == "copy":
        with cursor.copy(f"COPY {_quote(table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("%s" for _ in names)
    cursor.executemany(f"INSERT INTO {_quote(table)} ({columns}) VALUES ({marks})", rows)
