"""Helpers shared by the Pilot and snapshot tests."""

from __future__ import annotations

import asyncio
import functools


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
