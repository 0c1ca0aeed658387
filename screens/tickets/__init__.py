"""The ticket queue: the area's entry in the app."""

from specialops.screens.shell.registry import ScreenEntry

UI = ScreenEntry(
    key="tickets",
    name="Tickets",
    name_zh="工單",
    number="3",
    screen="specialops.screens.tickets.queue:TicketQueueScreen",
    permission="ticket.read",
    headline="specialops.areas.tickets.queries:headline",
)
