"""One alerts service: each area registers a source of current alerts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from specialops import areas
from specialops.identity import Actor
from specialops.store.store import Store

SEVERITIES = ("warning", "critical")


@dataclass(frozen=True)
class Alert:
    """Something a person should act on now."""

    severity: str
    area: str
    code: str
    message: str
    users: tuple[str, ...] = ()
    departments: tuple[int, ...] = field(default=())

    def concerns(self, actor: Actor) -> bool:
        """Whether this alert is for ``actor`` (admins and executives see all)."""
        if actor.role in ("admin", "executive", "auditor"):
            return True
        if actor.username in self.users:
            return True
        return actor.department_id is not None and actor.department_id in self.departments


Source = Callable[[Session, datetime], Iterable[Alert]]
_SOURCES: dict[str, Source] = {}


def source(name: str) -> Callable[[Source], Source]:
    """Register a function yielding the current alerts of one area."""

    def register(fn: Source) -> Source:
        _SOURCES[name] = fn
        return fn

    return register


def rank(severity: str) -> int:
    return SEVERITIES.index(severity)


def current(store: Store, actor: Actor | None = None) -> list[Alert]:
    """Every current alert, critical first; only ``actor``'s when given."""
    from specialops import clock
    from specialops.permissions import require

    if actor is not None:
        require(actor, "alerts.read")

    areas.load()
    now = clock.now()
    found: list[Alert] = []
    with store.read() as session:
        for fn in _SOURCES.values():
            found.extend(fn(session, now))
    if actor is not None:
        found = [alert for alert in found if alert.concerns(actor)]
    return sorted(found, key=lambda a: (-rank(a.severity), a.area, a.code))
