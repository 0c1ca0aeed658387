"""The customer records: the area's entry in the app."""

from specialops.screens.shell.registry import ScreenEntry

UI = ScreenEntry(
    key="customers",
    name="Customers",
    name_zh="客戶",
    number="4",
    screen="specialops.screens.customers.browser:CustomersScreen",
    permission="customer.read",
    headline="specialops.areas.customers.queries:headline",
)
