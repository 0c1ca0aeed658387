"""The home dashboard and the users list on the sample data (fixed clock): snapshots, and the
approvals the home lists."""

from __future__ import annotations

import pytest

from specialops.app import make_app
from specialops.areas.people.actions import resolve_actor
from specialops.areas.risks import actions as risks
from specialops.context import Context
from specialops.screens.shell.registry import number_keys
from tests.pilot import pilot_test, settle

USERS_KEY = number_keys()["users"]


async def open_users(pilot) -> None:
    await settle(pilot)
    await pilot.press(USERS_KEY)
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_home(snap_compare, demo_ctx, size):
    app = make_app(demo_ctx, cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
def test_users(snap_compare, demo_ctx, size):
    app = make_app(demo_ctx, cursor_blink=False)
    assert snap_compare(app, terminal_size=size, run_before=open_users)


@pilot_test
async def test_home_lists_the_approvals_waiting_by_record_code(demo_ctx):
    store = demo_ctx.store
    manager = resolve_actor(store, "wang.xiaoming")
    with store.read() as session:
        risk = risks.get_risk(session, "RSK-0018")  # assessed, high
    risks.transition(store, manager, risk.id, risk.version, "accept_high", comment="成本過高")
    executive = Context(demo_ctx.settings, store, resolve_actor(store, "lin.zhiyuan"))

    app = make_app(executive, cursor_blink=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = str(app.screen.query_one("#approvals").render())

    assert shown.splitlines() == [
        "1 waiting for you 件待審批",
        "RSK-0018  accept_high  by wang.xiaoming",
    ]
