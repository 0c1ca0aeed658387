"""The one clock every part of specialops reads for "now".

Tests, snapshots and demo data fix it either in-process with :func:`freeze`
or, for subprocesses run as root, with the ``SPECIALOPS_NOW`` environment
variable (an ISO 8601 timestamp; a naive one is taken as UTC).

Times stamp the audit log and every record, so any other login's
``SPECIALOPS_NOW`` is ignored: only root, who can set the system clock
anyway, may move it (as only root may name another login with
``SPECIALOPS_USER``, :mod:`specialops.identity`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo

_fixed: datetime | None = None


def _parse(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    if _fixed is not None:
        return _fixed
    env = os.environ.get("SPECIALOPS_NOW")
    if env and os.getuid() == 0:
        return _parse(env).astimezone(UTC)
    return datetime.now(UTC)


def local_zone() -> tzinfo:
    """The zone people read times in (the machine's local zone)."""
    zone = now().astimezone().tzinfo
    assert zone is not None
    return zone


def today() -> date:
    """Today's date in local time."""
    return now().astimezone(local_zone()).date()


def freeze(moment: datetime | str | None) -> None:
    """Fix the clock at ``moment`` (``None`` lets it run again)."""
    global _fixed
    if isinstance(moment, str):
        moment = _parse(moment)
    _fixed = moment.astimezone(UTC) if moment is not None else None


@contextmanager
def frozen(moment: datetime | str) -> Iterator[None]:
    """Fix the clock for the duration of a ``with`` block."""
    previous = _fixed
    freeze(moment)
    try:
        yield
    finally:
        freeze(previous)
