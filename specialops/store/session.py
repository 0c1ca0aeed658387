"""Sessions that stamp, code and audit every business record they flush."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import attributes
from sqlmodel import Session

from specialops import audit, clock
from specialops.identity import Actor
from specialops.models.base import Record
from specialops.store import codes
from specialops.text_rules import check_text

_IGNORED_IN_DIFF = {"updated_at", "updated_by"}


class StoreSession(Session):
    """A session of the store. ``info["actor"]`` is set on writing sessions."""


def column_values(obj: Record) -> dict[str, Any]:
    """Every column of a record, by attribute name."""
    mapper = inspect(type(obj))
    return {attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs}


def _previous_values(obj: Record) -> dict[str, Any]:
    before: dict[str, Any] = {}
    for attr in inspect(type(obj)).column_attrs:
        history = attributes.get_history(obj, attr.key)
        if history.deleted:
            before[attr.key] = history.deleted[0]
    return before


def _line_ends(value: str) -> str:
    """Line ends as stored everywhere: ``\n`` (an import turns CRLF and CR the same way)."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value


def _check_text(obj: Record, key: str, value: str) -> None:
    if (stored := _line_ends(value)) is not value:
        setattr(obj, key, stored)
    check_text(stored, key)


def _check_new_text(obj: Record) -> None:
    """Every text a new record holds obeys :mod:`specialops.text_rules`."""
    for attr in inspect(type(obj)).column_attrs:
        value = getattr(obj, attr.key)
        if isinstance(value, str):
            _check_text(obj, attr.key, value)


def _check_changed_text(obj: Record) -> None:
    for attr in inspect(type(obj)).column_attrs:
        for value in attributes.get_history(obj, attr.key).added:
            if isinstance(value, str):
                _check_text(obj, attr.key, value)


@event.listens_for(StoreSession, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Stamp, code and queue the audit of every record; refuse text no terminal may get.

    The text rule is checked here, once for every way in (the app, the command
    line, imports), so no path can store a control character.
    """
    if not (session.new or session.dirty or session.deleted):
        return
    actor: Actor | None = session.info.get("actor")
    if actor is None:
        raise RuntimeError("a read session cannot write; use Store.write()")
    if comment := session.info.get("comment"):
        session.info["comment"] = check_text(_line_ends(comment), "comment")
    pending = session.info.setdefault("audit_pending", [])
    now = clock.now()
    for obj in list(session.new):
        if not isinstance(obj, Record):
            continue
        _check_new_text(obj)
        if obj.__code_prefix__ and not getattr(obj, obj.__code_field__, None):
            number = codes.allocate(session.connection(), obj.__code_prefix__)
            setattr(
                obj,
                obj.__code_field__,
                codes.format_code(obj.__code_prefix__, number, obj.__code_width__),
            )
        obj.created_at = obj.updated_at = now
        obj.updated_by = actor.username
        pending.append(("insert", obj, None))
    for obj in list(session.dirty):
        if not isinstance(obj, Record) or not session.is_modified(obj, include_collections=False):
            continue
        before = _previous_values(obj)
        if not set(before) - _IGNORED_IN_DIFF:
            continue
        _check_changed_text(obj)
        obj.updated_at = now
        obj.updated_by = actor.username
        pending.append(("update", obj, before))
    for obj in list(session.deleted):
        if isinstance(obj, Record):
            pending.append(("delete", obj, column_values(obj)))


@event.listens_for(StoreSession, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    pending = session.info.pop("audit_pending", None)
    if not pending:
        return
    events = []
    for action, obj, before in pending:
        after = None if action == "delete" else column_values(obj)
        if action == "insert" and after is not None:
            after = {k: v for k, v in after.items() if k not in audit.RECORD_STAMPS}
        if action == "update":
            keys = set(before) - _IGNORED_IN_DIFF
            before = {k: before[k] for k in keys}
            after = {k: after[k] for k in keys}  # type: ignore[index]
        events.append(
            audit.Event(
                action=action,
                entity=obj.__entity__ or obj.__tablename__,
                code=obj.human_code,
                record_id=getattr(obj, "id", None),
                before=before,
                after=after,
                comment=session.info.get("comment"),
                batch=session.info.get("batch"),
            )
        )
    audit.append(session.connection(), session.info["actor"], events)


def log(session: Session, event_: audit.Event) -> None:
    """Write an audit entry that is not a column change (a reveal, a transition …)."""
    session.flush()
    audit.append(session.connection(), session.info["actor"], [event_])
