"""The append-only, hash-chained audit log (GEN-1).

Every entry's hash covers its own fields and the previous entry's hash,
so changing or removing any entry breaks the chain from that point on.
The database refuses UPDATE and DELETE on the table (triggers), and
:func:`verify` recomputes the whole chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Connection, insert, select

from specialops import clock
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


def entry_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash of one entry given the previous entry's hash."""
    material = {name: row.get(name) for name in HASHED_FIELDS}
    material["at"] = _canonical_at(row["at"])
    payload = prev_hash + json.dumps(material, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
    rows = []
    for event in events:
        row: dict[str, Any] = {
            "at": at,
            "username": actor.username,
            "real_username": actor.login,
            "action": event.action,
            "entity": event.entity,
            "record_id": event.record_id,
            "code": event.code,
            "before": dump(event.before),
            "after": dump(event.after),
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


def verify(conn: Connection) -> VerifyResult:
    """Recompute the chain; report the first entry that does not match."""
    prev = GENESIS
    checked = 0
    columns = [getattr(AuditEntry, name) for name in ("id", *HASHED_FIELDS, "prev_hash", "hash")]
    result = conn.execution_options(yield_per=5000).execute(
        select(*columns).order_by(AuditEntry.id)  # type: ignore[arg-type]
    )
    for row in result.mappings():
        if row["prev_hash"] != prev:
            return VerifyResult(
                False, checked, row["id"], "its link to the previous entry is broken"
            )
        if entry_hash(prev, row) != row["hash"]:
            return VerifyResult(False, checked, row["id"], "its content does not match its hash")
        prev = row["hash"]
        checked += 1
    return VerifyResult(True, checked)
