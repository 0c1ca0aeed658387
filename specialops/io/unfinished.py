"""Imports published in several transactions, and undoing one that did not finish.

An import larger than one chunk (:data:`specialops.io.engine.PUBLISH_CHUNK`) is
written chunk by chunk, so that no transaction holds the write lock for long. While
it is written, the database keeps a journal: a row in ``import_runs`` and, per chunk,
the range of ids it inserted and the stored values of the records it updated
(``import_undo``). The last chunk deletes the journal in its own transaction, so an
import either finishes with no journal left, or leaves what undoes it.

The importing process holds an advisory lock on a file beside the database for as
long as it publishes. Whoever opens the database next and finds a journal whose lock
is free (its process died) undoes it: the records it inserted are removed and the
ones it updated get their values back, each logged, except records someone changed
since, which are left as they are and counted.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from specialops import audit, clock, entities
from specialops.identity import Actor
from specialops.store.store import Store


def lock_path(store: Store, batch: str) -> Path:
    """The file whose lock says the import ``batch`` is still being published."""
    db = Path(store.path or ".")
    return db.parent / f".{db.name}.import-{batch}.lock"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Journal:
    """The journal of one import published in several chunks (see the module)."""

    def __init__(self, store: Store, spec: Any, actor: Actor, batch: str, chunks: int) -> None:
        self.store, self.spec, self.actor, self.batch = store, spec, actor, batch
        self.chunks = chunks
        self.written = False  # a chunk has been committed: there is something to undo
        self.path = lock_path(store, batch)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(self.fd, 0o660)
            if store.path:
                os.fchown(self.fd, -1, os.stat(store.path).st_gid)
        except OSError:
            pass  # not ours to give to the group: the lock works all the same
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def record(self, conn: Any, chunk: int, lo: int, hi: int, job: Any) -> None:
        """Inside the chunk's transaction, before it writes: what undoes it."""
        run = conn.exec_driver_sql
        table = _quote(job.table_name)
        if chunk == 0:
            run(
                "INSERT INTO import_runs (batch, entity, table_name, username, lock_file, "
                "started_at, chunks, done) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                (
                    self.batch,
                    self.spec.name,
                    job.table_name,
                    self.actor.username,
                    str(self.path),
                    job.snapshot["at"],
                    self.chunks,
                ),
            )
        run(
            "INSERT INTO import_undo (batch, chunk, kind, low, high) "
            f"SELECT ?, ?, 'inserted', min({job.new_id}), max({job.new_id}) FROM imp_rows r "
            "WHERE r.op = 'insert' AND r.line BETWEEN ? AND ? HAVING count(*) > 0",
            (self.batch, chunk, lo, hi),
        )
        kept = set(job.derived) - set(job.rederived)
        fields = ", ".join(
            f"'{c}', t.{_quote(c)}" for c in ["version", *job.columns] if c not in kept
        )
        run(
            "INSERT INTO import_undo (batch, chunk, kind, record_id, old) "
            f"SELECT ?, ?, 'updated', t.id, json_object({fields}) FROM main.{table} t "
            "JOIN imp_rows r ON t.id = r.target_id WHERE r.op = 'update' "
            "AND r.line BETWEEN ? AND ?",
            (self.batch, chunk, lo, hi),
        )
        run("UPDATE import_runs SET done = ? WHERE batch = ?", (chunk + 1, self.batch))

    def finish(self, conn: Any) -> None:
        """Inside the last chunk's transaction: the import is whole, forget the journal."""
        conn.exec_driver_sql("DELETE FROM import_undo WHERE batch = ?", (self.batch,))
        conn.exec_driver_sql("DELETE FROM import_runs WHERE batch = ?", (self.batch,))

    def undo(self, reason: str) -> str:
        """Undo the chunks written so far (the import failed); what was done."""
        return undo_batch(self.store, self.actor, self.batch, reason)

    def close(self) -> None:
        """Let go of the lock and remove its file."""
        if self.fd < 0:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)
            self.fd = -1


def undo_batch(store: Store, actor: Actor, batch: str, reason: str) -> str:
    """Undo what the unfinished import ``batch`` wrote, a chunk per transaction."""
    with store.engine.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT entity, table_name, username FROM import_runs WHERE batch = ?", (batch,)
        ).first()
        parts = [
            c
            for (c,) in conn.exec_driver_sql(
                "SELECT DISTINCT chunk FROM import_undo WHERE batch = ? ORDER BY chunk DESC",
                (batch,),
            )
        ]
    if found is None:
        return f"import {batch} has nothing to undo"
    entity, table_name, username = found
    spec = entities.get(entity)
    counts = {"removed": 0, "restored": 0, "left": 0}
    for chunk in parts:
        with store.connect_write() as conn:
            events = _undo_chunk(conn, spec, table_name, batch, chunk, actor, reason, counts)
            audit.append(conn, actor, events)
            conn.exec_driver_sql(
                "DELETE FROM import_undo WHERE batch = ? AND chunk = ?", (batch, chunk)
            )
    with store.connect_write() as conn:
        conn.exec_driver_sql("DELETE FROM import_undo WHERE batch = ?", (batch,))
        conn.exec_driver_sql("DELETE FROM import_runs WHERE batch = ?", (batch,))
        comment = f"unfinished import of {entity} by {username} undone: {reason}"
        audit.append(
            conn,
            actor,
            [audit.Event("import_undone", entity, comment=comment, after=counts, batch=batch)],
        )
    said = f"{counts['removed']} records removed, {counts['restored']} restored"
    if counts["left"]:
        said += f", {counts['left']} left as others have changed them since"
    return f"the unfinished import {batch} of {entity} by {username} was undone ({said})"


def _undo_chunk(
    conn: Any,
    spec: Any,
    table_name: str,
    batch: str,
    chunk: int,
    actor: Actor,
    reason: str,
    counts: dict[str, int],
) -> list[audit.Event]:
    """Remove the chunk's new records and restore the ones it updated, where no one has
    changed them since; the log's entries for what was done."""
    run = conn.exec_driver_sql
    table = _quote(table_name)
    code = _quote(spec.key_field.column)
    comment = f"undo of import {batch}: {reason}"
    events: list[audit.Event] = []
    for low, high in run(
        "SELECT low, high FROM import_undo WHERE batch = ? AND chunk = ? AND kind = 'inserted'",
        (batch, chunk),
    ).fetchall():
        rows = run(
            f"SELECT id, {code}, version FROM main.{table} WHERE id BETWEEN ? AND ?", (low, high)
        ).fetchall()
        gone = [(i, c) for i, c, version in rows if version == 1]
        counts["left"] += len(rows) - len(gone)
        run(f"DELETE FROM main.{table} WHERE id BETWEEN ? AND ? AND version = 1", (low, high))
        counts["removed"] += len(gone)
        events += [audit.Event("delete", spec.name, c, i, comment=comment) for i, c in gone]
    updated = run(
        "SELECT record_id, old FROM import_undo WHERE batch = ? AND chunk = ? AND kind = 'updated'",
        (batch, chunk),
    ).fetchall()
    now = clock.now()
    for record_id, old in updated:
        values = json.loads(old)
        version = values.pop("version")
        sets = ", ".join(f"{_quote(c)} = ?" for c in values)
        done = run(
            f"UPDATE main.{table} SET {sets}, version = version + 1, updated_at = ?, "
            "updated_by = ? WHERE id = ? AND version = ?",
            (*values.values(), _stored(conn, now), actor.username, record_id, version + 1),
        ).rowcount
        if done:
            counts["restored"] += 1
            found = run(f"SELECT {code} FROM main.{table} WHERE id = ?", (record_id,)).scalar()
            events.append(audit.Event("update", spec.name, found, record_id, comment=comment))
        else:
            counts["left"] += 1
    return events


def _stored(conn: Any, moment: Any) -> Any:
    """A timestamp as the records' ``updated_at`` column stores it."""
    from specialops.models.core import Department

    column = Department.__table__.c.updated_at  # type: ignore[attr-defined]
    dialect = conn.dialect
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor(moment) if processor else moment


def recover(store: Store, actor: Actor) -> list[str]:
    """Undo every import whose process died while publishing it; what was undone.

    Cheap when there is none (one read). An import still being published holds its
    lock and is left alone.
    """
    if not store.is_sqlite:
        return []
    try:
        with store.engine.connect() as conn:
            runs = conn.exec_driver_sql("SELECT batch, lock_file FROM import_runs").fetchall()
    except Exception:
        return []  # a database from before the journal, or one this login cannot read
    said = []
    for batch, lock_file in runs:
        if _still_running(Path(lock_file)):
            continue
        try:
            said.append(undo_batch(store, actor, batch, "its process ended before it finished"))
        except Exception as error:  # a login that may read but not write, a busy database
            said.append(
                f"an unfinished import ({batch}) could not be undone now ({error}); the next "
                "login that can write the database undoes it"
            )
            continue
        Path(lock_file).unlink(missing_ok=True)
    return said


def _still_running(path: Path) -> bool:
    """Whether the process that publishes through ``path`` still holds its lock."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell: better left than undone under a live import
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
