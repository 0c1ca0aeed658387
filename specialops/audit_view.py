"""The audit log as people read it: customers' personal data masked or revealed by role.

Every place that shows audit entries turns them into :class:`EntryView` with
:func:`readable`. A personal field (:func:`sealing.personal_fields`) shows masked
(``entities.mask``), or ``[erased]`` once its customer was erased; in full only
through :func:`listing`, for roles with ``customer.reveal_pii``, and each such
reveal is written to the log (who, which customer, which fields, which entries).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, text
from sqlmodel import Session

from specialops import audit, sealing
from specialops.entities import mask
from specialops.identity import Actor
from specialops.permissions import can, require
from specialops.store.store import Store

REVEAL_PERMISSION = "customer.reveal_pii"
FIELDS = ("id", *audit.HASHED_FIELDS)  # what an entry holds: its id and what is chained


@dataclass(frozen=True)
class EntryView:
    """One audit entry as its reader may see it (``before``/``after`` parsed)."""

    id: int
    at: datetime | None
    username: str
    real_username: str
    action: str
    entity: str
    record_id: int | None
    code: str | None
    before: dict[str, Any] | str | None
    after: dict[str, Any] | str | None
    comment: str | None
    batch: str | None
    revealed: tuple[str, ...] = ()  # personal fields shown in full

    def as_dict(self) -> dict[str, Any]:
        """The entry for ``--json``."""
        found = {name: getattr(self, name) for name in FIELDS}
        found["at"] = self.at.isoformat() if self.at else None
        return found


def _stored_at(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)
    except ValueError:
        return None


def _parsed(text: Any) -> dict[str, Any] | str | None:
    if text is None:
        return None
    try:
        found = json.loads(text)
    except (TypeError, ValueError):
        return sealing.UNREADABLE
    return found if isinstance(found, dict) else sealing.UNREADABLE


class _Reader:
    """Shows the personal values of entries with the keys of their customers."""

    def __init__(self, ring: sealing.KeyRing, reveal: bool) -> None:
        self.ring, self.reveal = ring, reveal

    def fields(
        self, owner: Any, names: frozenset[str], fields: Any, shown: set[str]
    ) -> dict[str, Any] | str | None:
        if not isinstance(fields, dict) or not names:
            return fields
        return {k: self.value(owner, k, v, shown) if k in names else v for k, v in fields.items()}

    def value(self, owner: Any, name: str, value: Any, shown: set[str]) -> Any:
        if not isinstance(value, str) or not value:
            return value
        if sealing.is_sealed(value):
            plain = self.ring.open(name, value)
            if plain in (sealing.ERASED, sealing.UNREADABLE):
                return plain
        elif owner in self.ring.erased:  # written in plain text before sealing existed
            return sealing.ERASED
        else:
            plain = value
        if not self.reveal:
            return mask(plain)
        shown.add(name)
        return plain


def _rows(entries: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        dict(e) if isinstance(e, Mapping) else {n: getattr(e, n) for n in FIELDS} for e in entries
    ]


def readable(
    source: Session | Connection, entries: Iterable[Any], *, reveal: bool = False
) -> list[EntryView]:
    """Entries (ORM rows or mappings) with personal data masked, or with ``reveal`` in full.

    Only :func:`listing` reveals, because it also audits what it revealed.
    """
    conn = source.connection() if isinstance(source, Session) else source
    rows = _rows(entries)
    personal = {e: sealing.personal_fields(e) for e in {r["entity"] for r in rows}}
    owners: set[int] = set()
    for row in rows:
        if personal[row["entity"]] and isinstance(row["record_id"], int):
            owners.add(row["record_id"])
    reader = _Reader(sealing.ring(conn, owners), reveal)
    views = []
    for row in rows:
        names = personal[row["entity"]]
        shown: set[str] = set()
        owner = row["record_id"]
        before = reader.fields(owner, names, _parsed(row["before"]), shown)
        after = reader.fields(owner, names, _parsed(row["after"]), shown)
        views.append(
            EntryView(
                id=row["id"],
                at=_stored_at(row["at"]),
                username=row["username"],
                real_username=row["real_username"],
                action=row["action"],
                entity=row["entity"],
                record_id=row["record_id"],
                code=row["code"],
                before=before,
                after=after,
                comment=row["comment"],
                batch=row["batch"],
                revealed=tuple(sorted(shown)),
            )
        )
    return views


def _reveal_events(views: list[EntryView]) -> list[audit.Event]:
    """One ``reveal`` entry per customer whose personal data the views show in full."""
    by_owner: dict[int, tuple[str | None, set[str], list[int]]] = {}
    for view in views:
        if view.revealed and isinstance(view.record_id, int):
            _, fields, ids = by_owner.setdefault(view.record_id, (view.code, set(), []))
            fields.update(view.revealed)
            ids.append(view.id)
    return [
        audit.Event(
            action="reveal",
            entity=sealing.OWNER_ENTITY,
            code=code,
            record_id=owner,
            after={"fields": sorted(fields), "audit_entries": sorted(ids)},
            comment="revealed in the audit log",
        )
        for owner, (code, fields, ids) in sorted(by_owner.items())
    ]


def listing(
    store: Store,
    actor: Actor,
    *,
    entity: str | None = None,
    code: str | None = None,
    limit: int = 50,
) -> list[EntryView]:
    """The newest ``limit`` entries (of ``entity``, of the record ``code``), newest first.

    Personal data shows in full to roles with ``customer.reveal_pii``, and each
    customer so revealed gets a ``reveal`` entry; masked to everyone else.
    """
    require(actor, "audit.read")
    reveal = can(actor, REVEAL_PERMISSION)
    params: dict[str, Any] = {"entity": entity, "code": code, "limit": max(limit, 0)}
    where = [f"{name} = :{name}" for name in ("entity", "code") if params[name]]
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    names = ", ".join(f'"{n}"' for n in FIELDS)
    with store.read() as session:
        conn = session.connection()
        # Untyped columns: the values as stored, so an edited entry cannot stop the listing.
        rows = conn.execute(
            text(f"SELECT {names} FROM audit_log{clause} ORDER BY id DESC LIMIT :limit"),
            params,
        ).mappings()
        views = readable(conn, list(rows), reveal=reveal)
    events = _reveal_events(views)
    if events:
        with store.write(actor) as session:
            audit.append(session.connection(), actor, events)
    return views
