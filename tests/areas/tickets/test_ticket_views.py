"""The reads behind the service desk's keys, on the sample data: frozen views, never rows."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import SQLModel, func, select

from specialops.areas.customers.models import Customer
from specialops.areas.people.actions import resolve_actor
from specialops.areas.tickets import screen_queries as views
from specialops.areas.tickets.actions import OPEN
from specialops.areas.tickets.config import DEFAULT_CHECKLIST
from specialops.areas.tickets.models import FollowUp, QualityReview, Ticket
from specialops.context import open_context
from specialops.demo import load_demo
from specialops.models.core import UserAccount
from tests.areas.backends import BACKENDS, new_url


@pytest.fixture(scope="module", params=BACKENDS)
def desk(request, tmp_path_factory):
    """The sample data, loaded once: these tests only read."""
    context = open_context(new_url(request, tmp_path_factory.mktemp("desk")), create=True)
    load_demo(context.store, context.actor)
    yield context
    context.close()


def _frozen_view(found: object) -> None:
    assert dataclasses.is_dataclass(found) and not isinstance(found, SQLModel)
    field = dataclasses.fields(found)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(found, field, None)


def _ticket(desk, *where) -> Ticket:
    with desk.store.read() as session:
        return session.exec(select(Ticket).where(*where).order_by(Ticket.id)).first()


def test_a_ticket_ref_carries_the_version_a_change_is_made_against(desk) -> None:
    ticket = _ticket(desk, Ticket.status == "assigned")
    ref = views.ticket_ref(desk.store, ticket.id)
    assert ref == views.TicketRef(ticket.id, ticket.version, ticket.code)
    _frozen_view(ref)
    assert views.ticket_ref(desk.store, 10**9) is None


def test_the_customer_of_a_ticket(desk) -> None:
    ticket = _ticket(desk, Ticket.customer_id.is_not(None))
    with desk.store.read() as session:
        expected = session.get(Customer, ticket.customer_id).code
    assert views.ticket_customer_code(desk.store, ticket.id) == expected
    assert views.ticket_customer_code(desk.store, 10**9) is None


def test_agents_for_a_ticket_are_its_departments_active_agents_with_their_load(desk) -> None:
    ticket = _ticket(desk, Ticket.department_id.is_not(None))
    agents = views.agents_for(desk.store, ticket.id)
    assert agents, "the sample desk has agents"
    assert [a.username for a in agents] == sorted(a.username for a in agents)
    with desk.store.read() as session:
        for agent in agents:
            _frozen_view(agent)
            user = session.exec(
                select(UserAccount).where(UserAccount.username == agent.username)
            ).one()
            assert user.active and user.department_id == ticket.department_id
            assert user.role in ("agent", "manager", "admin")
            assert agent.name == user.name
            open_tickets = session.exec(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.assignee_id == user.id, Ticket.status.in_(OPEN))
            ).one()
            assert agent.open_tickets == open_tickets
    assert sum(a.open_tickets for a in agents) > 0


def test_status_steps_are_those_open_to_the_user(desk) -> None:
    new = _ticket(desk, Ticket.status == "new")
    agent = resolve_actor(desk.store, "chen.yating")
    steps = views.status_steps(desk.store, agent, new.id)
    assert steps and steps[0].name == "take"
    _frozen_view(steps[0])
    auditor = resolve_actor(desk.store, "sun.li")
    assert views.status_steps(desk.store, auditor, new.id) == ()
    assert views.status_steps(desk.store, agent, 10**9) == ()


def test_a_follow_up_its_customer_and_the_version_its_result_saves_against(desk) -> None:
    with desk.store.read() as session:
        followup = session.exec(select(FollowUp).order_by(FollowUp.id)).first()
        customer = session.get(Customer, followup.customer_id)
    assert views.followup_customer_code(desk.store, followup.code) == customer.code
    form = views.followup_form(desk.store, followup.id)
    assert form == views.FollowUpForm(followup.id, followup.version)
    _frozen_view(form)
    assert views.followup_form(desk.store, 10**9).version == 0


def test_a_review_form_has_the_checklist_and_the_version(desk) -> None:
    with desk.store.read() as session:
        review = session.exec(select(QualityReview).order_by(QualityReview.id)).first()
    form = views.review_form(desk.store, review.id)
    assert (form.id, form.version) == (review.id, review.version)
    assert form.checklist == DEFAULT_CHECKLIST
    _frozen_view(form)
