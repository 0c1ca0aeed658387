"""The service desk's rules, each written once: when a deadline is breached or nearing,
which states are open and which keep the clock running, where a category is routed.

Pure functions, no session. Where a list must filter by the same rule, its
SQL twin sits beside it (``breached_sql`` beside ``is_breached``); the
tests hold each pair to the same verdict at the deadline's boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_

OPEN: tuple[str, ...] = ("new", "assigned", "in_progress", "waiting")
"""States of a ticket still being handled."""
RUNNING: tuple[str, ...] = ("new", "assigned", "in_progress")
"""Open states in which the SLA clock runs: waiting on the customer stops it."""

NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)
"""The deadline of a ticket whose clock is stopped (waiting, resolved, closed): sorts last."""

FALLBACK = "*"
"""The routing rule for every category without one of its own."""


def _aware(moment: datetime) -> datetime:
    # The database hands back naive UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def has_deadline(deadline: datetime | None) -> bool:
    """Whether ``deadline`` is a real one (not missing, not a stopped clock's)."""
    return deadline is not None and _aware(deadline) < NO_DEADLINE


def is_breached(now: datetime, deadline: datetime | None) -> bool:
    """Whether ``deadline`` has passed at ``now``; at exactly the deadline it has."""
    if deadline is None or not has_deadline(deadline):
        return False
    return _aware(now) >= _aware(deadline)


def is_nearing(now: datetime, deadline: datetime | None, warn_at: datetime | None) -> bool:
    """Whether ``now`` is past the warning (``warn_at``) but not yet at the deadline."""
    if warn_at is None or not has_deadline(deadline) or is_breached(now, deadline):
        return False
    return _aware(now) >= _aware(warn_at)


def _utc(now: datetime) -> datetime:
    # Columns hold naive UTC, so the bound moment must be UTC as well.
    return _aware(now).astimezone(UTC)


def breached_sql(deadline: Any, now: datetime) -> ColumnElement[bool]:
    """:func:`is_breached` in SQL: ``deadline`` is a column (a NULL one is never breached)."""
    return and_(deadline <= _utc(now), deadline < NO_DEADLINE)


def nearing_sql(deadline: Any, warn_at: Any, now: datetime) -> ColumnElement[bool]:
    """:func:`is_nearing` in SQL over the ``deadline`` and ``warn_at`` columns."""
    moment = _utc(now)
    return and_(warn_at <= moment, deadline > moment, deadline < NO_DEADLINE)


def route(routing: Mapping[str, str], category: str | None) -> str | None:
    """The department code a ticket of ``category`` goes to: its own rule, else ``*``."""
    return routing.get((category or "").strip()) or routing.get(FALLBACK) or None
