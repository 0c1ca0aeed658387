"""The approvals inbox: the requests a person may decide now, on an example workflow and on risks.

The example table lives in a metadata of its own (created on the same SQLite
file), so it never becomes part of the product schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import registry
from sqlmodel import Field

from specialops import clock
from specialops import workflow as wf
from specialops.areas.people.actions import add_user, resolve_actor
from specialops.areas.risks import actions as risks
from specialops.errors import PermissionDenied
from specialops.identity import Actor
from specialops.models.base import Record
from specialops.store.store import Store

T0 = datetime.fromisoformat("2026-11-02T09:00:00+08:00")


class InboxBase(Record, registry=registry()):
    """Tables of this test only: their own metadata, not the product's."""


class Purchase(InboxBase, table=True):
    __tablename__ = "example_purchases"
    __entity__ = "purchases"
    __code_prefix__ = "PUR"

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True)
    title: str = Field(default="", max_length=100)
    state: str | None = Field(default=None, max_length=32)


ASK = "project.progress"  # held by managers and staff
PURCHASES = wf.Workflow(
    name="example.purchases",
    model=Purchase,
    state_field="state",
    states=["draft", "ordered", "funded"],
    transitions=[
        wf.Transition(
            "order",
            ["draft"],
            "ordered",
            "order the goods",
            ASK,
            approval=wf.Approval(["role:executive"]),
        ),
        # two seats: one executive and one manager
        wf.Transition(
            "fund",
            ["draft"],
            "funded",
            "fund the purchase",
            ASK,
            approval=wf.Approval(["role:executive", "role:manager"], needed=2),
        ),
        # zhao.min, an executive, fits both seats but fills one
        wf.Transition(
            "insure",
            ["draft"],
            "funded",
            "insure the goods",
            ASK,
            approval=wf.Approval(["role:executive", "zhao.min"], needed=2),
        ),
    ],
)

PEOPLE = {
    "li.na": "staff",
    "wang.fang": "manager",
    "he.ming": "manager",
    "zhao.min": "executive",
    "zhou.qiang": "executive",
    "sun.li": "auditor",
}


class Office:
    """One test database with the example workflow and its people."""

    def __init__(self, store: Store, admin: Actor) -> None:
        self.store = store
        InboxBase.metadata.create_all(store.engine)
        for username, role in PEOPLE.items():
            add_user(store, admin, username, username, role)
        self.people = {name: resolve_actor(store, name) for name in PEOPLE}
        self.people["admin"] = admin

    def __getitem__(self, username: str) -> Actor:
        return self.people[username]

    def ask(self, transition: str, by: str = "li.na", title: str = "採購投影機") -> int:
        """A new purchase and a request to take ``transition`` on it; returns the request id."""
        with self.store.write(self[by]) as session:
            purchase = Purchase(title=title)
            wf.enter_initial(session, PURCHASES, purchase, self[by])
        assert purchase.id is not None
        result = wf.apply(self.store, PURCHASES, purchase.id, 1, transition, self[by])
        assert result.request_id is not None
        return result.request_id

    def vote(self, request_id: int, by: str) -> wf.VoteResult:
        return wf.vote(self.store, request_id, self[by], approve=True, comment="同意")

    def inbox(self, username: str, limit: int | None = None) -> list[int]:
        """The ids of the requests in ``username``'s inbox."""
        total, items = wf.pending_for(self.store, self[username], limit=limit)
        assert total >= len(items)
        return [item.request_id for item in items]


@pytest.fixture
def office(any_ctx) -> Iterator[Office]:
    ctx = any_ctx
    wf.register(PURCHASES)
    try:
        yield Office(ctx.store, ctx.actor)
    finally:
        wf.WORKFLOWS.pop(PURCHASES.name, None)


def test_a_request_waits_for_its_approver_and_not_for_its_requester(office: Office) -> None:
    # wang.fang is a manager: she fills the manager seat of the requests of others
    mine = office.ask("fund", by="wang.fang")
    theirs = office.ask("fund", by="li.na")

    assert office.inbox("wang.fang") == [theirs]
    assert office.inbox("he.ming") == [mine, theirs]
    assert office.inbox("zhao.min") == [mine, theirs]


def test_after_voting_a_request_leaves_that_approvers_inbox_only(office: Office) -> None:
    request = office.ask("fund")

    assert office.vote(request, "zhao.min").status == "pending"

    assert office.inbox("zhao.min") == []
    # the executive seat is filled: another executive's approval would not count
    assert office.inbox("zhou.qiang") == []
    assert office.inbox("wang.fang") == [request]
    assert office.inbox("he.ming") == [request]
    (item,) = wf.pending_for(office.store, office["wang.fang"])[1]
    assert (item.voted, item.needed) == (("zhao.min",), 2)

    assert office.vote(request, "he.ming").status == "approved"
    assert office.inbox("wang.fang") == []


def test_who_fits_two_seats_still_votes_once(office: Office) -> None:
    request = office.ask("insure")

    office.vote(request, "zhao.min")

    assert office.inbox("zhao.min") == []
    # zhao.min moves to the seat named for him; the executive seat is open again
    assert office.inbox("zhou.qiang") == [request]
    assert office.vote(request, "zhou.qiang").status == "approved"


def test_an_item_shows_the_record_by_its_code_and_title(office: Office) -> None:
    clock.freeze(T0)
    office.ask("order", title="採購投影機")
    request = office.ask("fund", title="年度伺服器")

    with office.store.read() as session:  # a caller's session serves as well as the store
        total, items = wf.pending_for(session, office["zhao.min"])

    assert total == 2
    assert items[1] == wf.PendingItem(
        request_id=request,
        workflow="example.purchases",
        code="PUR-0002",
        title="年度伺服器",
        step="fund",
        step_label="fund the purchase",
        requested_by="li.na",
        requested_at=T0,
        voted=(),
        needed=2,
    )


@pytest.mark.parametrize(
    "username",
    [
        "sun.li",  # an auditor: may not decide approvals and holds no seat
        "li.na",  # staff: may ask, but holds no seat
        "wang.fang",  # a manager: decides approvals, but this one seats executives only
        "admin",  # may do everything, yet no seat names the admin
    ],
)
def test_who_holds_no_seat_never_sees_the_request(office: Office, username: str) -> None:
    request = office.ask("order", by="he.ming")

    assert office.inbox(username) == []
    assert wf.pending_for(office.store, office[username]) == (0, [])
    with pytest.raises(PermissionDenied, match="not an approver"):
        office.vote(request, username)
    assert office.inbox("zhao.min") == [request]


def test_the_total_counts_every_request_while_the_list_keeps_the_oldest(office: Office) -> None:
    requests = []
    for hour in range(4):
        clock.freeze(T0 + timedelta(hours=3 - hour))  # made newest first
        requests.append(office.ask("order", title=f"採購 {hour}"))
    oldest_first = requests[::-1]

    total, items = wf.pending_for(office.store, office["zhao.min"], limit=2)

    assert total == 4
    assert [item.request_id for item in items] == oldest_first[:2]
    assert office.inbox("zhao.min") == oldest_first
    assert wf.pending_for(office.store, office["zhao.min"], limit=0) == (4, [])


def test_a_decided_or_withdrawn_request_leaves_every_inbox(office: Office) -> None:
    decided, withdrawn, waiting = office.ask("order"), office.ask("order"), office.ask("order")
    office.vote(decided, "zhao.min")
    wf.withdraw(office.store, withdrawn, office["li.na"])

    assert office.inbox("zhou.qiang") == [waiting]


# ---------------------------------------------------------------- through the risks area


@pytest.fixture
def risk_people(ctx) -> dict[str, Actor]:
    for username, name, role in [
        ("li.jianguo", "李建國", "manager"),
        ("lin.zhiyuan", "林志遠", "executive"),
        ("liu.fang", "劉芳", "staff"),
    ]:
        add_user(ctx.store, ctx.actor, username, name, role)
    return {
        name: resolve_actor(ctx.store, name) for name in ("li.jianguo", "lin.zhiyuan", "liu.fang")
    }


def test_an_executive_decides_a_managers_wish_to_accept_a_high_risk(ctx, risk_people) -> None:
    manager, executive = risk_people["li.jianguo"], risk_people["lin.zhiyuan"]
    found = risks.identify(
        ctx.store, manager, title="客訴量激增", category="market", owner="li.jianguo"
    )
    risk = risks.assess(
        ctx.store, manager, found.id, found.version, likelihood=4, impact=4, probability=40
    )
    asked = risks.transition(
        ctx.store, manager, risk.id, risk.version, "accept_high", comment="成本過高,接受"
    )
    assert asked.request_id is not None

    total, items = wf.pending_for(ctx.store, executive)

    assert total == 1
    (item,) = items
    expected: dict[str, Any] = {
        "request_id": asked.request_id,
        "workflow": "risks",
        "code": "RSK-0001",
        "title": "客訴量激增",
        "step": "accept_high",
        "requested_by": "li.jianguo",
        "voted": (),
        "needed": 1,
    }
    assert {name: getattr(item, name) for name in expected} == expected
    assert wf.pending_for(ctx.store, manager) == (0, [])
    assert wf.pending_for(ctx.store, risk_people["liu.fang"]) == (0, [])

    wf.vote(ctx.store, asked.request_id, executive, approve=True, comment="同意")

    assert wf.pending_for(ctx.store, executive) == (0, [])
