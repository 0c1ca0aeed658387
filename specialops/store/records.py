"""Generic record access: find by code, save with a version check."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, select

from specialops.errors import NotFound, StaleRecordError
from specialops.models.base import Record

R = TypeVar("R", bound=Record)


def get_by_code(session: Session, model: type[R], code: str) -> R:
    """The record of ``model`` with this human code, or :class:`NotFound`."""
    column = getattr(model, model.__code_field__)
    found = session.exec(select(model).where(column == code)).first()
    if found is None:
        raise NotFound(f"no {model.__entity__ or model.__tablename__} with code {code}")
    return found


def update_record(
    session: Session, model: type[R], record_id: int, seen_version: int, changes: dict[str, Any]
) -> R:
    """Apply ``changes`` to a record, refusing if it changed since ``seen_version`` was loaded."""
    record = session.get(model, record_id)
    if record is None:
        raise NotFound(f"the {model.__entity__} record no longer exists (deleted by someone else)")
    if record.version != seen_version:
        raise StaleRecordError(
            model.__entity__, record.human_code, record.updated_by, record.updated_at
        )
    for name, value in changes.items():
        setattr(record, name, value)
    session.flush()
    return record


def delete_record(session: Session, model: type[R], record_id: int, seen_version: int) -> None:
    """Delete a record unless it changed since ``seen_version`` was loaded."""
    record = session.get(model, record_id)
    if record is None:
        return
    if record.version != seen_version:
        raise StaleRecordError(
            model.__entity__, record.human_code, record.updated_by, record.updated_at
        )
    session.delete(record)
    session.flush()
