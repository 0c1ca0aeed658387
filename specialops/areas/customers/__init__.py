"""Customers: records, purchases, service needs, masked personal data (CS-1)."""

from specialops.areas import Area

AREA = Area(
    name="customers",
    label="Customers",
    label_zh="客戶",
    package=__name__,
    needs=("people",),
    registers=("entities",),
    cli="cli:customers_app",
    permissions={
        "customer.read": "see customer records",
        "customer.write": "add and change customer records",
        "customer.reveal_pii": "see customers' personal data",
        "customer.erase": "erase a customer's personal data on a lawful request",
    },
    grants={
        "customer.read": ("executive", "manager", "staff", "agent", "auditor"),
        "customer.write": ("manager", "agent"),
        "customer.reveal_pii": ("executive", "manager", "agent"),
        "customer.erase": (),  # the admin only
    },
    ui="specialops.screens.customers",
)
