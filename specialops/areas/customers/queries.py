"""Reads of customer records for the screens."""

from __future__ import annotations

from sqlmodel import func, select

from specialops.areas.customers.models import Customer
from specialops.identity import Actor
from specialops.store.store import Store


def headline(store: Store, actor: Actor) -> str | None:
    """The figure on the home card: how many customers there are."""
    with store.read() as session:
        total = session.exec(select(func.count()).select_from(Customer)).one()
    return f"{total} customers" if total else None
