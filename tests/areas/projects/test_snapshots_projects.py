"""Snapshots of the project board and each tab of a project on the sample data."""

from __future__ import annotations

import pytest

from specialops.app import make_app
from specialops.screens.shell import registry
from tests.pilot import settle

TABS = ("overview", "plan", "meetings", "issues", "acceptance", "history")


async def open_board(pilot) -> None:
    await settle(pilot)
    await pilot.press(registry.number_keys()["projects"])
    await settle(pilot)


def open_tab(tab: str):
    async def run(pilot) -> None:
        await open_board(pilot)
        # PRJ-0002: executing, red, with KPIs, meetings and an escalated issue
        await pilot.press("right", "right", "right", "right", "down", "enter")
        await settle(pilot)
        for _ in range(TABS.index(tab)):
            await pilot.press("right_square_bracket")
        await settle(pilot)

    return run


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
def test_board(snap_compare, demo_ctx, size):
    app = make_app(demo_ctx, cursor_blink=False, offer_demo=False)
    assert snap_compare(app, terminal_size=size, run_before=open_board)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
@pytest.mark.parametrize("tab", TABS)
def test_project_tab(snap_compare, demo_ctx, tab, size):
    app = make_app(demo_ctx, cursor_blink=False, offer_demo=False)
    assert snap_compare(app, terminal_size=size, run_before=open_tab(tab))
