"""Helpers shared by the Pilot and snapshot tests."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable

from textual.css.query import NoMatches

from specialops.app import WATCHER_GROUP


def pilot_test(fn):
    """Run an async Pilot test in its own event loop (no async plugin needed)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        asyncio.run(fn(*args, **kwargs))

    return run


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their messages land."""
    for _ in range(rounds):
        # The change watcher of a live app never completes: it is not waited for.
        busy = [w for w in pilot.app.workers if w.group != WATCHER_GROUP]
        if busy:  # (none given, it would wait for every worker)
            await pilot.app.workers.wait_for_complete(busy)
        await pilot.pause()


async def wait_until(pilot, condition: Callable[[], bool], give_up_after: float = 60.0) -> None:
    """Let the app run until ``condition`` holds (workers, timers, messages).

    It checks after every round of the app's work, never sleeping a fixed time; the
    generous limit only stops a test whose condition never comes. A condition that
    queries a widget not yet mounted counts as not yet true.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_after
    while not _holds(condition):
        if loop.time() > deadline:
            raise AssertionError(f"still not true after {give_up_after:g} s")
        await settle(pilot, rounds=1)


def _holds(condition: Callable[[], bool]) -> bool:
    try:
        return bool(condition())
    except NoMatches:
        return False
