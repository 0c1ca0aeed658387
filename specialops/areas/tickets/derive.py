"""What an import of tickets computes per row: opening time, routing and SLA clock.

Each row is a new ticket to the clock: nothing stopped yet, no response
yet. Its department and deadlines come from the same functions the app
uses when a ticket is opened (:func:`rules.route`, :func:`sla.clock_state`),
so an imported ticket and one opened on screen with the same values agree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from sqlmodel import select

from specialops import clock
from specialops.areas.tickets import config, rules, sla
from specialops.models.core import Department
from specialops.store.store import Store


def deriver(store: Store) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The per-row function the import engine calls (read the settings once)."""
    with store.read() as session:
        calendar = config.load_calendar(session)
        policy = config.load_policy(session)
        routing = config.load_routing(session)
        departments = dict(session.exec(select(Department.code, Department.id)).all())
    now = clock.now()

    def derive(row: dict[str, Any]) -> dict[str, Any]:
        opened = row.get("opened_at") or now
        if opened.tzinfo is None:
            opened = opened.replace(tzinfo=UTC)
        code = rules.route(routing, row.get("category"))
        state = sla.clock_state(
            calendar,
            policy,
            priority=row.get("priority") or "normal",
            opened_at=opened,
            now=now,
            running=(row.get("status") or "new") in rules.RUNNING,
        )
        found = state.deadlines
        return {
            "opened_at": opened,
            "department_id": departments.get(code) if code else None,
            "response_due": found.response_due,
            "resolve_due": found.resolve_due,
            "due_at": found.due_at,
            "warn_at": found.warn_at,
            "paused_at": state.paused_at,
        }

    return derive
