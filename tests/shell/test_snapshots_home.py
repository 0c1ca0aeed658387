"""Snapshots of the home dashboard and the users list on the sample data (fixed clock)."""

from __future__ import annotations

import pytest

from specialops.app import make_app
from specialops.screens.shell.registry import number_keys
from tests.pilot import settle

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
