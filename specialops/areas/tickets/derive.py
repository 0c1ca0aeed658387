"""What an import of tickets computes per row: opening time, routing and SLA deadlines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from sqlmodel import select

from specialops import clock
from specialops.areas.tickets import config, sla
from specialops.models.core import Department
from specialops.store.store import Store

RUNNING = ("new", "assigned", "in_progress")


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
        category = (row.get("category") or "").strip()
        code = routing.get(category) or routing.get("*")
        found = sla.deadlines(
            calendar,
            policy,
            priority=row.get("priority") or "normal",
            opened_at=opened,
            running=(row.get("status") or "new") in RUNNING,
        )
        return {
            "opened_at": opened,
            "department_id": departments.get(code) if code else None,
            "response_due": found.response_due,
            "resolve_due": found.resolve_due,
            "due_at": found.due_at,
            "warn_at": found.warn_at,
        }

    return derive
