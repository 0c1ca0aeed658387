"""Figures that key risk indicators can be fed from, registered by every area.

Each area registers the figures it can offer with :func:`feed`; an indicator
names one (and an argument such as a department code). The risk register
takes the readings (``specialops.areas.risks.feeds.take_readings``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from specialops.models.core import Department

FeedFn = Callable[[Session, str | None, date], float | None]


@dataclass(frozen=True)
class Feed:
    key: str
    label: str
    fn: FeedFn


FEEDS: dict[str, Feed] = {}


def feed(key: str, label: str) -> Callable[[FeedFn], FeedFn]:
    """Register a figure an indicator can be fed from."""

    def register(fn: FeedFn) -> FeedFn:
        FEEDS[key] = Feed(key, label, fn)
        return fn

    return register


def department_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    found = session.exec(select(Department.id).where(Department.code == code)).first()
    return found
