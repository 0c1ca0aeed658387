"""Reads of customer records for the screens."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select as sa_select
from sqlmodel import Session, func, select

from specialops.areas.customers.choices import PII_FIELDS
from specialops.areas.customers.entities import CUSTOMERS
from specialops.areas.customers.models import Customer
from specialops.entities import mask
from specialops.errors import NotFound
from specialops.identity import Actor
from specialops.listing import Column, ListSpec, PageSource
from specialops.permissions import can, require
from specialops.store.store import Store


@dataclass
class CustomerView:
    """A customer as a screen shows it: personal fields masked unless revealed."""

    id: int
    code: str
    name: str
    type: str
    tier: str | None
    notes: str | None
    pii: dict[str, str | None]
    revealed: set[str] = field(default_factory=set)
    may_reveal: bool = False


def view_in(
    session: Session, actor: Actor, customer_id: int, revealed: dict[str, str | None] | None = None
) -> CustomerView:
    """The masked view of a customer; ``revealed`` values (from :func:`reveal`) show in full."""
    require(actor, "customer.read")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("the customer no longer exists")
    shown = {name: mask(getattr(customer, name)) for name in PII_FIELDS}
    revealed = revealed or {}
    shown.update({k: v for k, v in revealed.items() if k in PII_FIELDS})
    return CustomerView(
        customer.id or 0,
        customer.code,
        customer.name,
        customer.type,
        customer.tier,
        customer.notes,
        shown,
        set(revealed),
        can(actor, CUSTOMERS.reveal_action),
    )


def _masked(value: object) -> str:
    return mask(str(value)) or "" if value else ""


def customers_spec() -> ListSpec:
    """Code, name, type, tier and masked phone of every customer."""
    table = Customer.__table__  # type: ignore[attr-defined]
    source = sa_select(
        table.c.id, table.c.code, table.c.name, table.c.type, table.c.tier, table.c.phone
    )
    return ListSpec(
        source=source,
        columns=(
            Column("code", "Code 編號", 11, searchable=True),
            Column("name", "Name 名稱", 18, searchable=True),
            Column("type", "Type 類型", 10, sortable=False),
            Column("tier", "Tier 等級", 8, sortable=False),
            Column("phone", "Phone 電話", 14, format=_masked, sortable=False),
        ),
        default_sort="code",
    )


def customers_source(store: Store, actor: Actor) -> PageSource:
    require(actor, "customer.read")
    return PageSource(store, customers_spec())


def headline(store: Store, actor: Actor) -> str | None:
    """The figure on the home card: how many customers there are."""
    with store.read() as session:
        total = session.exec(select(func.count()).select_from(Customer)).one()
    return f"{total} customers" if total else None
