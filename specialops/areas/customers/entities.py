"""Import/export description of customers."""

from __future__ import annotations

from specialops.areas.customers.choices import CUSTOMER_TIERS, CUSTOMER_TYPES
from specialops.areas.customers.models import Customer
from specialops.entities import EntitySpec, FieldSpec, register

CUSTOMERS = register(
    EntitySpec(
        "customers",
        Customer,
        key="code",
        label="客戶",
        write_action="customer.write",
        fields=(
            FieldSpec(
                "code", max_length=32, help="CUS-000001; empty on new rows to get a new code"
            ),
            FieldSpec("name", required=True, max_length=200, help="person or company name"),
            FieldSpec("type", "choice", choices=CUSTOMER_TYPES, help="defaults to individual"),
            FieldSpec("phone", max_length=40, pii=True, help="phone number"),
            FieldSpec("email", "email", max_length=254, pii=True, help="e-mail address"),
            FieldSpec("address", max_length=500, pii=True, help="postal address"),
            FieldSpec("tier", "choice", choices=CUSTOMER_TIERS, help="service tier"),
            FieldSpec("notes", help="free text"),
            FieldSpec("id_number", max_length=40, pii=True, help="national ID or company number"),
        ),
    )
)
