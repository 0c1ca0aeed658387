"""Screens show what others just changed, on both backends, without a key pressed."""

from __future__ import annotations

import asyncio

from specialops.app import make_app
from specialops.areas.people.actions import add_user
from specialops.screens.people.users import UsersScreen
from specialops.screens.shell.registry import number_keys
from specialops.widgets.record_list import RecordList
from tests.conftest import run_cli
from tests.pilot import pilot_test, wait_until


def _db(ctx) -> str:
    return str(ctx.store.path) if ctx.store.is_sqlite else ctx.store.url


def _names(rows) -> list[str]:
    return [rows._rows[i]["username"] for i in sorted(rows._rows)]


@pilot_test
async def test_a_list_shows_anothers_change_and_keeps_its_cursor(any_ctx):
    for n in range(5):
        add_user(any_ctx.store, any_ctx.actor, f"user{n}", f"User {n}", "staff")
    app = make_app(any_ctx, cursor_blink=False, offer_demo=False, live=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(number_keys()["users"])
        await wait_until(pilot, lambda: isinstance(app.screen, UsersScreen))
        rows = app.screen.query_one(RecordList).rows
        await wait_until(pilot, lambda: rows.count == 6)
        await pilot.press("down", "down")
        assert rows.cursor == 2
        added = await asyncio.to_thread(
            run_cli, "--db", _db(any_ctx), "users", "add", "aaron", "--name", "Aaron 張"
        )
        assert added.returncode == 0, added.stderr
        await wait_until(pilot, lambda: "aaron" in _names(rows))
        assert rows.count == 7
        assert rows.cursor == 2  # the place kept, though the rows under it moved
