"""The service desk by keys alone (Pilot): an agent takes a new ticket, replies, waits on the
customer, resolves; the follow-up appears; a manager reviews a sampled ticket; personal data
is masked by role and revealed with an audited key."""

from __future__ import annotations

from sqlmodel import select

from specialops.app import make_app
from specialops.areas.people.actions import resolve_actor
from specialops.areas.tickets.models import FollowUp, QualityReview, Ticket, TicketMessage
from specialops.context import Context
from specialops.models.core import AuditEntry
from specialops.screens.customers.browser import CustomerScreen, CustomersScreen
from specialops.screens.tickets.detail import TicketDetailScreen
from specialops.screens.tickets.followups import FollowUpsScreen
from specialops.screens.tickets.quality import QualityScreen
from specialops.screens.tickets.queue import TicketQueueScreen
from specialops.widgets.form import FormModal
from specialops.widgets.record_list import RecordList
from tests.pilot import pilot_test, settle

SIZE = (100, 30)


def as_user(ctx, username: str) -> Context:
    return Context(ctx.settings, ctx.store, resolve_actor(ctx.store, username))


async def open_area(pilot, key: str) -> None:
    await settle(pilot)
    pilot.app.open_area(key)
    await settle(pilot)


async def choose(pilot, select_id: str, value: str) -> None:
    """Pick ``value`` in a form's Select by keys: open it, move down to it, Enter."""
    from textual.widgets import Select

    widget = pilot.app.screen.query_one(select_id, Select)
    widget.focus()
    await pilot.press("enter")
    await pilot.pause()
    for _ in range(12):
        if widget.value == value:
            break
        await pilot.press("down", "enter")
        await pilot.pause()
        if widget.value == value:
            break
        await pilot.press("enter")
        await pilot.pause()
    assert widget.value == value


async def save_form(pilot) -> None:
    await pilot.press("f2")
    await settle(pilot)
    assert not isinstance(pilot.app.screen, FormModal), pilot.app.screen.query_one("#form-message")


@pilot_test
async def test_an_agent_takes_replies_waits_and_resolves_then_the_follow_up_appears(
    demo_ctx,
) -> None:
    agent = as_user(demo_ctx, "chen.yating")
    app = make_app(agent, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_area(pilot, "tickets")
        screen = app.screen
        assert isinstance(screen, TicketQueueScreen)
        await pilot.press("w")  # status filter: new
        await settle(pilot)
        assert screen.filter.status == "new"
        row = screen.query_one(RecordList).current
        assert row is not None and row["status"] == "new"
        code = row["code"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketDetailScreen) and app.screen.code == code
        await pilot.press("t")  # status: the first step open to an agent is "take"
        await settle(pilot)
        await save_form(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press(*"Hello")
        await pilot.press("enter")  # Enter on the last field saves
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await choose(pilot, "#field-transition", "wait")
        await save_form(pilot)
        await pilot.press("t")
        await settle(pilot)
        await choose(pilot, "#field-transition", "resolve")
        app.screen.query_one("#field-comment").focus()
        await pilot.press(*"done")
        await save_form(pilot)
        await settle(pilot)
        with demo_ctx.store.read() as session:
            ticket = session.exec(select(Ticket).where(Ticket.code == code)).one()
            replies = session.exec(
                select(TicketMessage).where(
                    TicketMessage.ticket_id == ticket.id, TicketMessage.kind == "reply"
                )
            ).all()
            booked = session.exec(select(FollowUp).where(FollowUp.ticket_id == ticket.id)).one()
        assert ticket.status == "resolved" and ticket.assignee_id == agent.actor.user_id
        assert [m.body for m in replies] == ["Hello"] and ticket.first_response_at is not None
        assert ticket.paused_seconds >= 0 and booked.status == "scheduled"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, FollowUpsScreen)
        rows = app.screen.query_one(RecordList)
        source_rows = rows.source.page(0, rows.count)
        assert booked.code in [r["code"] for r in source_rows]


@pilot_test
async def test_a_manager_reviews_a_sampled_ticket(demo_ctx) -> None:
    manager = as_user(demo_ctx, "li.jianguo")
    app = make_app(manager, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_area(pilot, "tickets")
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, QualityScreen)
        row = app.screen.query_one(RecordList).current
        assert row is not None and row["status"] == "queued"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FormModal)
        for _ in range(5):
            await pilot.press("2", "tab")
        await save_form(pilot)
        with demo_ctx.store.read() as session:
            review = session.get(QualityReview, row.key)
        assert review.status == "reviewed" and review.score == 40 and review.passed is False


@pilot_test
async def test_staff_see_masked_data_and_an_agent_reveals_with_an_audit_entry(demo_ctx) -> None:
    staff = as_user(demo_ctx, "liu.fang")
    app = make_app(staff, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_area(pilot, "customers")
        assert isinstance(app.screen, CustomersScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)
        shown = str(app.screen.query_one("#customer-info").render())
        assert "0912-345-678" not in shown and "********-678" in shown
        assert app.screen.check_action("reveal", ()) is False
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)

    agent = as_user(demo_ctx, "chen.yating")
    app = make_app(agent, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_area(pilot, "customers")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, FormModal)
        await save_form(pilot)
        await settle(pilot)
        shown = str(app.screen.query_one("#customer-info").render())
        assert "0912-345-678" in shown and "A123456789" not in shown
    with demo_ctx.store.read() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "reveal")).one()
    assert entry.username == "chen.yating" and entry.code == "CUS-000001"
