"""Customer records (CS-1): personal data masked, every reveal audited; purchases and needs.

Personal fields (phone, e-mail, address, ID number) are always shown
masked. A person whose role grants ``customer.reveal_pii`` may reveal one
field of one customer at a time (:func:`reveal`); each reveal is written to
the audit log with who, when, which customer and which field. In the log
itself they are sealed under the customer's key, which :func:`erase`
destroys on a lawful request (see :mod:`specialops.sealing`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from specialops import audit, clock, sealing
from specialops.areas.customers.choices import CUSTOMER_TIERS, CUSTOMER_TYPES, PII_FIELDS
from specialops.areas.customers.entities import CUSTOMERS
from specialops.areas.customers.models import Customer, CustomerNeed, CustomerPurchase
from specialops.errors import NotFound, PermissionDenied, ValidationError
from specialops.identity import Actor
from specialops.permissions import can, require
from specialops.store.records import get_by_code, update_record
from specialops.store.session import log
from specialops.store.store import Store

EDITABLE = ("name", "type", "tier", "notes", *PII_FIELDS)


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(EDITABLE))
    if unknown:
        raise ValidationError(f"customers have no field {unknown[0]}", field=unknown[0])
    found = {k: v.strip() or None if isinstance(v, str) else v for k, v in values.items()}
    if "name" in found and not found["name"]:
        raise ValidationError("name the customer", field="name")
    for name, choices in (("type", CUSTOMER_TYPES), ("tier", CUSTOMER_TIERS)):
        value = found.get(name)
        if value is not None and value not in {c.value for c in choices}:
            raise ValidationError(f"{name} cannot be {value}", field=name)
    if "type" in found and found["type"] is None:
        found["type"] = "individual"
    return found


def add_customer(store: Store, actor: Actor, name: str, **fields: Any) -> Customer:
    """A new customer (its code is allocated); personal fields as :data:`EDITABLE` names them."""
    require(actor, "customer.write")
    values = _checked({"name": name, **fields})
    with store.write(actor) as session:
        customer = Customer(**values)
        session.add(customer)
        session.flush()
        return customer


def update_customer(
    store: Store, actor: Actor, code: str, seen_version: int, changes: dict[str, Any]
) -> Customer:
    """Change a customer's fields, refusing if someone changed it since ``seen_version``."""
    require(actor, "customer.write")
    values = _checked(changes)
    with store.write(actor) as session:
        customer = get_by_code(session, Customer, code)
        return update_record(session, Customer, customer.id or 0, seen_version, values)


def erase(store: Store, actor: Actor, code: str, reason: str) -> Customer:
    """Erase a customer's personal data on a lawful request (PIPL, Taiwan's PDPA).

    Blanks the personal fields (an audited change whose old values are sealed),
    destroys the customer's data key, so every sealed value of theirs in the log
    reads ``[erased]`` while the chain still verifies, and logs an ``erase`` entry
    without the data. Purchases, needs and tickets hold no personal field of the
    customer. Freed database pages are overwritten with zeros.
    """
    require(actor, "customer.erase")
    if not reason.strip():
        raise ValidationError("say which request the erasure answers", field="reason")
    with store.write(actor, comment=f"erasure: {reason.strip()}") as session:
        conn = session.connection()
        if store.is_sqlite:
            wiping = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
        customer = get_by_code(session, Customer, code)
        for name in PII_FIELDS:
            setattr(customer, name, None)
        session.flush()  # audited now, sealed under the key destroyed next
        sealing.destroy(conn, customer.id or 0)
        log(
            session,
            audit.Event(
                action="erase",
                entity="customers",
                code=customer.code,
                record_id=customer.id,
                after={"fields": list(PII_FIELDS)},
                comment=reason.strip(),
            ),
        )
        if store.is_sqlite:
            conn.exec_driver_sql(f"PRAGMA secure_delete = {int(wiping)}")
    if store.is_sqlite:
        # Copy the write-ahead log back and empty it, so the old pages go too.
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return customer


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
