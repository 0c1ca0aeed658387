"""Customer records (CS-1): personal data masked, every reveal audited; the customer's history.

Personal fields (phone, e-mail, address, ID number) are always shown
masked. A person whose role grants ``customer.reveal_pii`` may reveal one
field of one customer at a time (:func:`reveal`); each reveal is written to
the audit log with who, when, which customer and which field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from specialops import audit, clock
from specialops.areas.customers.entities import CUSTOMERS
from specialops.areas.customers.models import Customer, CustomerNeed, CustomerPurchase
from specialops.areas.tickets.followups import Satisfaction, customer_satisfaction
from specialops.areas.tickets.models import FollowUp, Ticket
from specialops.entities import mask
from specialops.errors import NotFound, PermissionDenied, ValidationError
from specialops.identity import Actor
from specialops.listing import Column, ListSpec, PageSource
from specialops.permissions import can, require
from specialops.store.session import log
from specialops.store.store import Store

PII_FIELDS = ("phone", "email", "address", "id_number")
PII_LABELS = {"phone": "電話", "email": "電郵", "address": "地址", "id_number": "證號"}


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


def reveal(store: Store, actor: Actor, customer_id: int, name: str, reason: str = "") -> str | None:
    """Show one personal field in full, for those allowed; the reveal is audited."""
    if name not in PII_FIELDS:
        raise ValidationError(f"{name} is not a personal field", field="field")
    if not can(actor, CUSTOMERS.reveal_action):
        raise PermissionDenied(
            f"{actor.username} ({actor.role}) may not see customers' personal data"
        )
    with store.write(actor) as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound("the customer no longer exists")
        log(
            session,
            audit.Event(
                action="reveal",
                entity="customers",
                code=customer.code,
                record_id=customer.id,
                after={"field": name},
                comment=reason.strip() or f"revealed {name}",
            ),
        )
        return getattr(customer, name)


@dataclass
class CustomerHistory:
    """Tickets, follow-ups, purchases, needs and satisfaction of one customer."""

    view: CustomerView
    tickets: list[Ticket]
    followups: list[FollowUp]
    purchases: list[CustomerPurchase]
    needs: list[CustomerNeed]
    satisfaction: Satisfaction
    ticket_count: int


def history(
    store: Store,
    actor: Actor,
    code: str,
    revealed: dict[str, str | None] | None = None,
    last: int = 20,
) -> CustomerHistory:
    require(actor, "customer.read")
    with store.read() as session:
        customer = session.exec(select(Customer).where(Customer.code == code)).first()
        if customer is None:
            raise NotFound(f"no customer {code}")
        cid = customer.id or 0
        tickets = session.exec(
            select(Ticket)
            .where(Ticket.customer_id == cid)
            .order_by(col(Ticket.opened_at).desc())
            .limit(last)
        ).all()
        total = session.exec(
            select(func.count()).select_from(Ticket).where(Ticket.customer_id == cid)
        ).one()
        followups = session.exec(
            select(FollowUp)
            .where(FollowUp.customer_id == cid)
            .order_by(col(FollowUp.due_date).desc())
            .limit(last)
        ).all()
        purchases = session.exec(
            select(CustomerPurchase)
            .where(CustomerPurchase.customer_id == cid)
            .order_by(col(CustomerPurchase.purchased_on).desc())
            .limit(last)
        ).all()
        needs = session.exec(
            select(CustomerNeed).where(CustomerNeed.customer_id == cid).order_by(CustomerNeed.id)
        ).all()
        return CustomerHistory(
            view_in(session, actor, cid, revealed),
            list(tickets),
            list(followups),
            list(purchases),
            list(needs),
            customer_satisfaction(session, cid),
            int(total),
        )


def add_purchase(
    store: Store,
    actor: Actor,
    customer_id: int,
    *,
    product: str,
    purchased_on: date,
    amount: int,
    order_no: str | None = None,
) -> CustomerPurchase:
    """Record a purchase (``amount`` in minor units)."""
    require(actor, "customer.write")
    if not product.strip():
        raise ValidationError("name the product", field="product")
    with store.write(actor) as session:
        if session.get(Customer, customer_id) is None:
            raise NotFound("the customer no longer exists")
        purchase = CustomerPurchase(
            customer_id=customer_id,
            product=product.strip(),
            purchased_on=purchased_on,
            amount=amount,
            order_no=order_no,
        )
        session.add(purchase)
        session.flush()
        return purchase


def add_need(store: Store, actor: Actor, customer_id: int, need: str) -> CustomerNeed:
    require(actor, "customer.write")
    if not need.strip():
        raise ValidationError("describe the need", field="need")
    with store.write(actor) as session:
        if session.get(Customer, customer_id) is None:
            raise NotFound("the customer no longer exists")
        item = CustomerNeed(customer_id=customer_id, need=need.strip(), noted_on=clock.today())
        session.add(item)
        session.flush()
        return item


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
