"""The status-filtered list screens (follow-ups, quality reviews) built on ``status_list``."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from specialops.app import make_app
from specialops.areas.people.actions import resolve_actor
from specialops.areas.tickets.models import FollowUp, QualityReview
from specialops.context import Context
from specialops.screens.tickets.followups import FollowUpsScreen
from specialops.screens.tickets.quality import QualityScreen
from specialops.screens.tickets.status_list import StatusListScreen
from specialops.widgets.record_list import RecordList
from tests.pilot import pilot_test, settle

SIZES = [(80, 24), (160, 45)]


def as_manager(ctx) -> Context:
    return Context(ctx.settings, ctx.store, resolve_actor(ctx.store, "li.jianguo"))


def counts(ctx, model) -> dict[str, int]:
    with ctx.store.read() as session:
        rows = session.exec(select(model.status, func.count()).group_by(model.status)).all()
    return dict(rows)


async def open_list(pilot, key: str) -> StatusListScreen:
    await settle(pilot)
    pilot.app.open_area("tickets")
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StatusListScreen)
    return screen


@pilot_test
async def test_w_cycles_the_statuses_and_the_list_follows_the_database(demo_ctx) -> None:
    expected = counts(demo_ctx, FollowUp)
    app = make_app(as_manager(demo_ctx), cursor_blink=False, offer_demo=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_list(pilot, "o")
        assert isinstance(screen, FollowUpsScreen)
        seen = []
        for _ in FollowUpsScreen.STATUS_CYCLE:
            rows = screen.query_one(RecordList)
            shown = rows.source.page(0, max(rows.count, 1))
            status = screen.status
            assert rows.count == (expected.get(status, 0) if status else sum(expected.values()))
            assert all(r["status"] == status for r in shown) if status else True
            title = str(screen.query_one("#followups-title").render())
            assert f"{rows.count} shown" in title
            seen.append(status)
            await pilot.press("w")
            await settle(pilot)
        assert seen == list(FollowUpsScreen.STATUS_CYCLE)
        assert screen.status == FollowUpsScreen.STATUS_CYCLE[0]  # round again
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, StatusListScreen)


@pilot_test
async def test_the_quality_list_starts_on_queued_reviews(demo_ctx) -> None:
    queued = counts(demo_ctx, QualityReview).get("queued", 0)
    app = make_app(as_manager(demo_ctx), cursor_blink=False, offer_demo=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_list(pilot, "q")
        assert isinstance(screen, QualityScreen)
        assert screen.status == "queued"
        assert screen.query_one(RecordList).count == queued > 0


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("key", ["o", "q"])
def test_snapshot(snap_compare, demo_ctx, key, size):
    app = make_app(as_manager(demo_ctx), cursor_blink=False, offer_demo=False)

    async def run_before(pilot) -> None:
        await open_list(pilot, key)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
