"""The append-only, hash-chained audit log (GEN-1).

Every entry's hash covers its own fields and the previous entry's hash,
so changing or removing any entry breaks the chain from that point on.
The database refuses UPDATE and DELETE on the table (triggers), and
:func:`verify` recomputes the whole chain from the values as stored. A
customer's personal fields are stored sealed (:mod:`specialops.sealing`):
the chain covers the sealed text, so erasing a customer breaks nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Connection, insert, select

from specialops import clock, sealing
from specialops.identity import Actor
from specialops.models.core import AuditEntry

GENESIS = "0" * 64
# Columns every record has that an insert's entry does not repeat: the entry's own
# time, user and record id say them, and a new record is at version 1.
RECORD_STAMPS = frozenset({"id", "version", "created_at", "updated_at", "updated_by"})
HASHED_FIELDS = (
    "at",
    "username",
    "real_username",
    "action",
    "entity",
    "record_id",
    "code",
    "before",
    "after",
    "comment",
    "batch",
)


def jsonable(value: Any) -> Any:
    """A JSON-friendly form of a column value."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return value.hex()
    return value


def dump(fields: Mapping[str, Any] | None) -> str | None:
    """Serialise before/after fields the way they are stored and hashed."""
    if fields is None:
        return None
    return json.dumps(
        {k: jsonable(v) for k, v in fields.items()},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )


def _canonical_at(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _hash(prev_hash: str, row: Mapping[str, Any], at: str) -> str:
    material = {name: row.get(name) for name in HASHED_FIELDS}
    material["at"] = at
    payload = prev_hash + json.dumps(material, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def entry_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash of one entry given the previous entry's hash."""
    return _hash(prev_hash, row, _canonical_at(row["at"]))


@dataclass
class Event:
    """One thing to write to the log."""

    action: str
    entity: str
    code: str | None = None
    record_id: int | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    comment: str | None = None
    batch: str | None = None


def append(conn: Connection, actor: Actor, events: Iterable[Event]) -> int:
    """Write events to the log, chained to the last entry. Returns how many.

    Must run inside a writing transaction, which serialises appenders.
    """
    prev = conn.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)  # type: ignore[union-attr]
    ).scalar()
    prev = prev or GENESIS
    at = clock.now()
    events = list(events)
    personal = [sealing.personal_fields(event.entity) for event in events]
    owners = [
        event.record_id
        for event, names in zip(events, personal, strict=True)
        if names and sealing.holds_personal(names, event.before, event.after)
    ]
    ring = sealing.ring(conn, [o for o in owners if o is not None], create=True)
    rows = []
    for event, names in zip(events, personal, strict=True):
        before, after = event.before, event.after
        if names:
            before = ring.seal_fields(event.record_id, names, before)
            after = ring.seal_fields(event.record_id, names, after)
        row: dict[str, Any] = {
            "at": at,
            "username": actor.username,
            "real_username": actor.login,
            "action": event.action,
            "entity": event.entity,
            "record_id": event.record_id,
            "code": event.code,
            "before": dump(before),
            "after": dump(after),
            "comment": event.comment,
            "batch": event.batch,
            "prev_hash": prev,
        }
        row["hash"] = prev = entry_hash(prev, row)
        rows.append(row)
    for start in range(0, len(rows), 5000):
        conn.execute(insert(AuditEntry), rows[start : start + 5000])
    return len(rows)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


STORED_COLUMNS = ("id", *HASHED_FIELDS, "prev_hash", "hash")
_NOT_NULL = frozenset(
    {"id", "at", "username", "real_username", "action", "entity", "prev_hash", "hash"}
)
_INTEGERS = frozenset({"id", "record_id"})
# How SQLite stores an entry's time (UTC); any other text is an edit.
_STORED_AT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def _raw_rows(conn: Connection) -> Any:
    """The log's rows as stored, in id order: no column type converts (or fails on) a value.

    On SQLite each column comes with its storage class, and text as bytes, so even
    text that is not UTF-8 reaches the check instead of failing the read.
    """
    if conn.dialect.name == "sqlite":
        quoted = [f'"{c}"' for c in STORED_COLUMNS]
        parts = ", ".join(
            f"typeof({c}), CASE typeof({c}) WHEN 'text' THEN CAST({c} AS BLOB) ELSE {c} END"
            for c in quoted
        )
        return conn.exec_driver_sql(f"SELECT {parts} FROM audit_log ORDER BY id")
    names = ", ".join(f'"{c}"' for c in STORED_COLUMNS)
    return conn.exec_driver_sql(f"SELECT {names} FROM audit_log ORDER BY id")


def _read(raw: Any, sqlite: bool) -> tuple[dict[str, Any], str | None]:
    """One stored row as the values the hash covers, or what is wrong with it."""
    row: dict[str, Any] = {}
    for index, name in enumerate(STORED_COLUMNS):
        if sqlite:
            kind, value = raw[2 * index], raw[2 * index + 1]
            if kind == "text":
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    return row, f"its {name} is not valid text"
        else:
            value = raw[index]
            kind = "null" if value is None else type(value).__name__
        if value is None:
            if name in _NOT_NULL:
                return row, f"its {name} is missing"
        elif name in _INTEGERS:
            if type(value) is not int:
                return row, f"its {name} is not a whole number ({kind})"
        elif name == "at":
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = _canonical_at(value)
            elif isinstance(value, str) and _STORED_AT.fullmatch(value):
                value = value.replace(" ", "T")
            else:
                return row, f"its time is not stored as the log stores times ({value!r})"
        elif not isinstance(value, str):
            return row, f"its {name} is not text ({kind})"
        row[name] = value
    return row, None


def verify(conn: Connection) -> VerifyResult:
    """Recompute the chain from the stored values; report the first entry that does not match.

    Any edit of an entry shows: its fields are hashed, its link names the
    previous entry's hash, and on SQLite its id must follow the previous one
    (ids are never reused or skipped there), so a renumbered entry shows too.
    A value of the wrong type, a NULL or a time in another format is reported
    as such, never read through the column types.
    """
    sqlite = conn.dialect.name == "sqlite"
    prev = GENESIS
    checked = 0
    last_id = 0
    for raw in _raw_rows(conn):
        row, wrong = _read(raw, sqlite)
        if wrong is not None:
            return VerifyResult(False, checked, row.get("id"), wrong)
        if row["prev_hash"] != prev:
            return VerifyResult(
                False, checked, row["id"], "its link to the previous entry is broken"
            )
        if _hash(prev, row, row["at"]) != row["hash"]:
            return VerifyResult(False, checked, row["id"], "its content does not match its hash")
        if sqlite and row["id"] != last_id + 1:
            return VerifyResult(
                False,
                checked,
                row["id"],
                f"its id does not follow the previous entry's ({last_id})",
            )
        prev, last_id = row["hash"], row["id"]
        checked += 1
    return VerifyResult(True, checked)
