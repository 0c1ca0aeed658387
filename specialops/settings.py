"""One typed get/put over the settings table.

A setting is a row of :class:`specialops.models.core.Setting` holding JSON
text, audited like any record. Each area declares its settings as
:class:`Key` objects (name, default, how the value is read and written);
reading a missing one gives its default.

    MATRIX = settings.Key("risk.matrix", Matrix, load=Matrix.from_json, dump=Matrix.to_json)
    matrix = settings.get(session, MATRIX)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlmodel import Session, select

from specialops.identity import Actor
from specialops.models.core import Setting
from specialops.permissions import require
from specialops.store.store import Store

T = TypeVar("T")


def _json_load(text: str) -> Any:
    return json.loads(text)


def _json_dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Key(Generic[T]):
    """A named setting: ``default`` builds the value used while none is stored."""

    name: str
    default: Callable[[], T]
    load: Callable[[str], T] = field(default=_json_load)
    dump: Callable[[T], str] = field(default=_json_dump)


def _row(session: Session, name: str) -> Setting | None:
    return session.exec(select(Setting).where(Setting.key == name)).first()


def get(session: Session, key: Key[T]) -> T:
    """The stored value of ``key``, or its default."""
    found = _row(session, key.name)
    return key.load(found.value) if found is not None else key.default()


def is_set(session: Session, key: Key[Any]) -> bool:
    """Whether a value is stored for ``key`` (not just its default)."""
    return _row(session, key.name) is not None


def put_in(session: Session, key: Key[T], value: T) -> bool:
    """Store ``value`` inside the caller's transaction; whether anything changed."""
    text = key.dump(value)
    found = _row(session, key.name)
    if found is None:
        session.add(Setting(key=key.name, value=text))
        return True
    if found.value == text:
        return False
    found.value = text
    return True


def put(store: Store, actor: Actor, key: Key[T], value: T, *, permission: str) -> bool:
    """Store ``value`` in its own transaction, once ``actor`` holds ``permission``."""
    require(actor, permission)
    with store.write(actor) as session:
        return put_in(session, key, value)


# The zone of the database's people: a time written without one (in an import, say)
# is read in it. Empty: this computer's zone.
TIME_ZONE: Key[str] = Key("time_zone", str)


def check_zone(name: str) -> str:
    """``name`` if it is a time zone's IANA name (``Asia/Taipei``), else a ValidationError."""
    from zoneinfo import ZoneInfo

    from specialops.errors import ValidationError

    try:
        ZoneInfo(name)
    except (ValueError, LookupError, OSError):
        raise ValidationError(
            f"'{name}' is not a time zone; give its IANA name, such as Asia/Taipei"
        ) from None
    return name


def set_database_zone(store: Store, actor: Actor, name: str) -> None:
    """Make ``name`` (an IANA zone) the database's zone; an admin's decision."""
    put(store, actor, TIME_ZONE, check_zone(name), permission="db.admin")


def database_zone(store: Store) -> tuple[Any, str]:
    """The zone times without one are read in, and how to say which it is."""
    from zoneinfo import ZoneInfo

    from specialops import clock

    with store.read() as session:
        name = get(session, TIME_ZONE)
    if name:
        return ZoneInfo(name), f"{name}, the database's zone"
    zone = clock.local_zone()
    return zone, f"{zone}, this computer's zone (set the database's: specialops db zone NAME)"
