"""Customer records (CS-1): personal data masked, every reveal audited; purchases and needs.

Personal fields (phone, e-mail, address, ID number) are always shown
masked. A person whose role grants ``customer.reveal_pii`` may reveal one
field of one customer at a time (:func:`reveal`); each reveal is written to
the audit log with who, when, which customer and which field.
"""

from __future__ import annotations

from datetime import date

from specialops import audit, clock
from specialops.areas.customers.choices import PII_FIELDS
from specialops.areas.customers.entities import CUSTOMERS
from specialops.areas.customers.models import Customer, CustomerNeed, CustomerPurchase
from specialops.errors import NotFound, PermissionDenied, ValidationError
from specialops.identity import Actor
from specialops.permissions import can, require
from specialops.store.session import log
from specialops.store.store import Store


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
