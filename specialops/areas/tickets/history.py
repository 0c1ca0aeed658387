"""A customer's service history: their tickets, follow-ups, purchases, needs and satisfaction.

It lives with the service desk because it reads tickets and follow-ups;
the customer record itself (masked, revealed field by field) comes from
the customers area.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, func, select

from specialops.areas.customers.models import Customer, CustomerNeed, CustomerPurchase
from specialops.areas.customers.queries import CustomerView, view_in
from specialops.areas.tickets.followups import Satisfaction, customer_satisfaction
from specialops.areas.tickets.models import FollowUp, Ticket
from specialops.errors import NotFound
from specialops.identity import Actor
from specialops.permissions import require
from specialops.store.store import Store


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
    """The customer ``code`` with their latest ``last`` tickets, follow-ups and purchases."""
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
