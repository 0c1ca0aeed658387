"""Snapshots of the ticket queue, a ticket's detail and a customer on the sample data."""

from __future__ import annotations

import pytest

from specialops.app import make_app
from tests.pilot import settle

SIZES = [(80, 24), (160, 45)]


async def open_queue(pilot) -> None:
    await settle(pilot)
    pilot.app.open_area("tickets")
    await settle(pilot)


async def open_detail(pilot) -> None:
    await open_queue(pilot)
    await pilot.press("down", "down", "enter")
    await settle(pilot)


async def open_customer(pilot) -> None:
    await settle(pilot)
    pilot.app.open_area("customers")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_queue(snap_compare, demo_ctx, size):
    app = make_app(demo_ctx, cursor_blink=False, offer_demo=False)
    assert snap_compare(app, terminal_size=size, run_before=open_queue)


@pytest.mark.parametrize("size", SIZES)
def test_detail(snap_compare, demo_ctx, size):
    app = make_app(demo_ctx, cursor_blink=False, offer_demo=False)
    assert snap_compare(app, terminal_size=size, run_before=open_detail)


@pytest.mark.parametrize("size", SIZES)
def test_customer(snap_compare, demo_ctx, size):
    app = make_app(demo_ctx, cursor_blink=False, offer_demo=False)
    assert snap_compare(app, terminal_size=size, run_before=open_customer)
