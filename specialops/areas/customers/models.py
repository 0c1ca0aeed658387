"""Customers of the service desk (CS-1)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index
from sqlmodel import Field

from specialops.models.base import Record


class Customer(Record, table=True):
    """A customer, an individual or a company; ``code`` is ``CUS-000001``.

    ``phone``, ``email``, ``address`` and ``id_number`` are personal data:
    masked for roles without ``customer.reveal_pii``.
    """

    __tablename__ = "customers"
    __entity__ = "customers"
    __code_prefix__ = "CUS"
    __code_width__ = 6
    __table_args__ = (Index("ix_customers_name_id", "name", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    type: str = Field(default="individual", max_length=16)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=500)
    tier: str | None = Field(default=None, max_length=16)
    notes: str | None = Field(default=None)
    id_number: str | None = Field(default=None, max_length=40)
    department_id: int | None = Field(default=None, foreign_key="departments.id", index=True)


class CustomerPurchase(Record, table=True):
    """One purchase of a customer: what, when, how much (minor units)."""

    __tablename__ = "customer_purchases"
    __entity__ = "purchases"
    __table_args__ = (Index("ix_customer_purchases_customer_date", "customer_id", "purchased_on"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id")
    purchased_on: date
    product: str = Field(max_length=200)
    order_no: str | None = Field(default=None, max_length=64)
    amount: int = Field(default=0, description="minor units (cents)")


class CustomerNeed(Record, table=True):
    """A service need of a customer, kept until it is met."""

    __tablename__ = "customer_needs"
    __entity__ = "customer_needs"
    __table_args__ = (Index("ix_customer_needs_customer_id", "customer_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customers.id")
    need: str = Field(max_length=500)
    status: str = Field(default="open", max_length=16)
    noted_on: date
