"""Helpers shared by the Pilot and snapshot tests."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable


def pilot_test(fn):
    """Run an async Pilot test in its own event loop (no async plugin needed)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        asyncio.run(fn(*args, **kwargs))

    return run


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their messages land."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def wait_until(pilot, condition: Callable[[], bool], rounds: int = 3000) -> None:
    """Let the app run until ``condition`` holds (workers, timers, messages).

    Bounded by a number of rounds, not by a time: a loaded machine only makes it slower.
    """
    for _ in range(rounds):
        await settle(pilot, rounds=1)
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"still not true after {rounds} rounds")
