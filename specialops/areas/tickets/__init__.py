"""The service desk: tickets, SLA clocks, routing, follow-ups and quality (CS-2…4)."""

from specialops.areas import Area

AREA = Area(
    name="tickets",
    label="Tickets",
    label_zh="工單",
    package=__name__,
    needs=("people", "customers"),
    registers=("actions", "followups", "quality", "entities", "feeds", "demo"),
    cli="cli:tickets_app",
    permissions={
        "ticket.read": "see tickets",
        "ticket.work": "work tickets",
        "ticket.assign": "assign tickets",
        "ticket.review": "review service quality",
        "ticket.configure": "configure the service desk (SLA calendar, routing, sampling)",
    },
    grants={
        "ticket.read": ("executive", "manager", "staff", "agent", "auditor"),
        "ticket.work": ("manager", "agent"),
        "ticket.assign": ("manager",),
        "ticket.review": ("manager",),
        "ticket.configure": (),
    },
    ui="specialops.screens.tickets",
)
