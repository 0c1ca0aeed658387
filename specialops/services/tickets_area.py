"""The service desk area: importing this registers the ticket workflow, the alert
sources of tickets, follow-ups and quality, and the demo step."""

from specialops.services import followups, quality, tickets, tickets_demo

__all__ = ["followups", "quality", "tickets", "tickets_demo"]
