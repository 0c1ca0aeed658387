"""The ticket keys on the queue's highlighted row: the ticket and its agents are read in a
worker, then the form asks and the change is made against the version read."""

from __future__ import annotations

from sqlmodel import select

from specialops.app import make_app
from specialops.areas.tickets.models import Ticket, TicketMessage
from specialops.areas.tickets.screen_queries import agents_for
from specialops.models.core import UserAccount
from specialops.screens.tickets.queue import TicketQueueScreen
from specialops.widgets.form import FormModal
from specialops.widgets.record_list import RecordList
from tests.pilot import pilot_test, settle, wait_until

SIZE = (100, 30)


async def _queue(pilot) -> int:
    """Open the queue; the id of the ticket on its first row."""
    await settle(pilot)
    pilot.app.open_area("tickets")
    await wait_until(pilot, lambda: pilot.app.screen.query_one(RecordList).current is not None)
    assert isinstance(pilot.app.screen, TicketQueueScreen)
    return pilot.app.screen.query_one(RecordList).current.key


@pilot_test
async def test_assign_from_the_queue_offers_the_departments_agents(demo_ctx) -> None:
    app = make_app(demo_ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await _queue(pilot)
        with demo_ctx.store.read() as session:
            before = session.get(Ticket, ticket_id)
            logins = dict(session.exec(select(UserAccount.username, UserAccount.id)).all())
        chosen = next(
            a
            for a in agents_for(demo_ctx.store, ticket_id)
            if logins[a.username] != before.assignee_id
        )
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, FormModal))
        form = app.screen
        assert form.title_text == f"Assign 指派 {before.code}"
        form.query_one("#field-assignee").value = chosen.username  # refused unless offered
        await pilot.press("f2")
        await wait_until(pilot, lambda: not isinstance(app.screen, FormModal))
    with demo_ctx.store.read() as session:
        after = session.get(Ticket, ticket_id)
    assert after.assignee_id == logins[chosen.username]
    assert after.version > before.version


@pilot_test
async def test_a_note_from_the_queue_lands_on_the_highlighted_ticket(demo_ctx) -> None:
    app = make_app(demo_ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        ticket_id = await _queue(pilot)
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, FormModal))
        app.screen.query_one("#field-body").value = "Called back, no answer 已回電未接"
        await pilot.press("f2")
        await wait_until(pilot, lambda: not isinstance(app.screen, FormModal))
    with demo_ctx.store.read() as session:
        notes = session.exec(
            select(TicketMessage.body).where(
                TicketMessage.ticket_id == ticket_id, TicketMessage.kind == "note"
            )
        ).all()
    assert "Called back, no answer 已回電未接" in notes
