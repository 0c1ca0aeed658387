"""The app shell driven by Pilot: modes, palette, help, sample data, errors, the record list."""

from __future__ import annotations

import sqlite3

import pytest
from rich.cells import cell_len
from sqlmodel import select

from specialops.app import make_app
from specialops.areas.people.actions import add_user
from specialops.demo import is_empty
from specialops.models.core import Department
from specialops.screens.people.users import UsersScreen
from specialops.screens.shell.home import HomeScreen
from specialops.screens.shell.registry import number_keys
from specialops.widgets.modals import ConfirmModal, ErrorModal, FieldsModal, HelpScreen
from specialops.widgets.record_list import RecordList, RecordRows
from tests.pilot import pilot_test, settle, wait_until

SIZE = (80, 24)

USERS_KEY = number_keys()["users"]


def fill_users(db_path, rows: int) -> None:
    """Add ``rows`` users named ``user00000``..., every seventh with a Chinese name."""
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO departments (version, created_at, updated_at, code, name)"
            " VALUES (1, '2026-01-01', '2026-01-01', 'CS', '客戶服務部')"
        )
        conn.executemany(
            "INSERT INTO users (version, created_at, updated_at, username, name,"
            " department_id, role, active) VALUES (1, '2026-01-01', '2026-01-01', ?, ?, ?, ?, 1)",
            [
                (
                    f"user{i:05d}",
                    f"王小明{i}" if i % 7 == 0 else f"Person {i}",
                    1 if i % 2 else None,
                    "agent" if i % 3 else "staff",
                )
                for i in range(rows)
            ],
        )
    conn.close()


@pytest.fixture
def app(demo_ctx):
    return make_app(demo_ctx, cursor_blink=False)


@pilot_test
async def test_starts_on_home_and_number_key_opens_users(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.current_mode == "home"
        assert isinstance(app.screen, HomeScreen)
        assert app.check_action("open_area", ("home",)) is None  # where we are: disabled
        await pilot.press(USERS_KEY)
        await settle(pilot)
        assert app.current_mode == "users"
        assert isinstance(app.screen, UsersScreen)
        assert app.check_action("open_area", ("users",)) is None
        assert app.check_action("open_area", ("home",)) is True
        await pilot.press("1")
        assert app.current_mode == "home"


def _palette_hits(app) -> int:
    """How many commands the open palette lists (0 while it is still searching)."""
    from textual.command import CommandList, CommandPalette

    if not isinstance(app.screen, CommandPalette):
        return 0
    return app.screen.query_one(CommandList).option_count


@pilot_test
async def test_palette_opens_users_by_english_and_chinese_name(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Users")
        await wait_until(pilot, lambda: _palette_hits(app) > 0)
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "users"

        await pilot.press("1")
        await settle(pilot)
        assert app.current_mode == "home"
        await pilot.press("ctrl+p")
        for character in "使用者":
            await pilot.press(character)
        await wait_until(pilot, lambda: _palette_hits(app) > 0)
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "users"


@pilot_test
async def test_home_cards_show_headlines(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        card = app.screen.query_one("#card-users")
        assert "14 users, 14 active" in str(card.render())
        approvals = app.screen.query_one("#approvals")
        assert "Nothing waits for your approval" in str(approvals.render())


@pilot_test
async def test_home_alerts_wrap_and_scroll_by_keys(app):
    from textual.containers import VerticalScroll
    from textual.geometry import Region

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one("#alerts-panel").query_one(VerticalScroll)
        alerts = app.screen.query_one("#alerts")
        lines = alerts.render_lines(Region(0, 0, alerts.size.width, alerts.size.height))
        text = " ".join(" ".join(strip.text for strip in lines).split())
        assert "overdue by 75 days" in text  # wrapped, not cut
        assert panel.max_scroll_y > 0  # more alerts than the panel shows at 80x24
        assert app.focused is panel  # the first thing to look at has the keys
        await pilot.press("down", "down")
        assert panel.scroll_y > 0
        await pilot.press("tab")  # then the approvals
        assert app.focused is app.screen.query_one("#approvals-panel").query_one(VerticalScroll)


@pilot_test
async def test_question_mark_opens_help_built_from_bindings(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(USERS_KEY)
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        described = {description for _, description, _ in help_screen.rows}
        assert {"Help", "Home", "Users", "Filter", "Sort", "Open"} <= described
        assert any("you are here" in where for _, d, where in help_screen.rows if d == "Users")
        await pilot.press("escape")
        assert isinstance(app.screen, UsersScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


@pilot_test
async def test_offers_sample_data_once_and_loads_it(ctx):
    assert is_empty(ctx.store)
    app = make_app(ctx, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmModal)
        assert not is_empty(ctx.store)
        with ctx.store.read() as session:
            codes = set(session.exec(select(Department.code)).all())
        assert {"EXEC", "CS"} <= codes
        card = app.screen.query_one("#card-users")
        assert "users" in str(card.render())


@pilot_test
async def test_declining_sample_data_writes_nothing(ctx):
    app = make_app(ctx, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
    assert is_empty(ctx.store)


@pilot_test
async def test_staff_sees_no_users_area_and_no_offer(ctx):
    add_user(ctx.store, ctx.actor, "wu.staff", "吳員工", "staff")
    from specialops.context import open_context

    staff = open_context(str(ctx.store.path), act_as="wu.staff")
    try:
        app = make_app(staff, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, HomeScreen)  # no sample-data question
            keys = [entry.key for entry in app.areas]
            assert keys[0] == "home" and "users" not in keys
            await pilot.press(USERS_KEY)
            assert app.current_mode == "home"
            assert not app.screen.query("#card-users")
    finally:
        staff.close()


@pilot_test
async def test_failing_worker_shows_one_line_error_and_app_keeps_running(app, db_path):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(USERS_KEY)
        await settle(pilot)
        conn = sqlite3.connect(db_path)
        conn.execute("ALTER TABLE users RENAME TO users_gone")
        conn.close()
        await pilot.press("s")  # re-sorting reads the list again
        await settle(pilot)
        assert isinstance(app.screen, ErrorModal)
        assert "not a specialops database" in app.screen.message
        assert "\n" not in app.screen.message
        await pilot.press("escape")
        assert isinstance(app.screen, UsersScreen)
        assert app.is_running


def _row_text(rows: RecordRows, y: int) -> str:
    return rows.render_line(y).text


@pilot_test
async def test_record_list_moves_ends_and_filters_on_5000_rows(ctx, db_path):
    fill_users(db_path, 5000)
    app = make_app(ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(USERS_KEY)
        await settle(pilot)
        record_list = app.screen.query_one(RecordList)
        rows = record_list.rows
        assert rows.count == 5001
        assert rows.has_focus
        # at most a few pages are held, never the list
        assert len(rows._rows) <= 300
        assert record_list.current["username"] == "chen.admin"
        assert _row_text(rows, 2).startswith("user00000 ")

        await pilot.press("down", "down", "down")
        await settle(pilot)
        assert rows.cursor == 3
        assert record_list.current["username"] == "user00002"

        await pilot.press("pagedown")
        await settle(pilot)
        assert rows.cursor == 3 + rows.body_height
        assert record_list.current["username"] == f"user{rows.cursor - 1:05d}"

        await pilot.press("end")
        await settle(pilot)
        assert rows.cursor == 5000
        assert record_list.current["username"] == "user04999"
        last_line = _row_text(rows, rows.body_height)
        assert last_line.startswith("user04999 ")
        assert _row_text(rows, rows.body_height - 1).startswith("user04998 ")
        assert len(rows._rows) <= 300

        await pilot.press("up")
        await settle(pilot)
        assert record_list.current["username"] == "user04998"

        await pilot.press("home")
        await settle(pilot)
        assert rows.cursor == 0 and record_list.current["username"] == "chen.admin"

        await pilot.press("slash")
        assert record_list.filter_input.has_focus
        await pilot.press(*"user0499")
        # the filter waits for typing to pause, then reloads
        await wait_until(pilot, lambda: rows.count == 10)
        assert record_list.current["username"] == "user04990"
        await pilot.press("enter")  # back to the rows
        assert rows.has_focus
        await pilot.press("end")
        await settle(pilot)
        assert record_list.current["username"] == "user04999"
        await pilot.press("enter")
        assert isinstance(app.screen, FieldsModal)
        await pilot.press("escape")

        record_list.filter_input.value = "王小明"
        await wait_until(pilot, lambda: rows.count == len(range(0, 5000, 7)))


@pilot_test
async def test_record_list_sorts_both_ways_and_aligns_cjk(ctx, db_path):
    fill_users(db_path, 300)
    app = make_app(ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press(USERS_KEY)
        await settle(pilot)
        record_list = app.screen.query_one(RecordList)
        rows = record_list.rows
        await pilot.press("S")  # username, descending
        await settle(pilot)
        assert rows.view.sort == "username" and rows.view.descending
        assert record_list.current["username"] == "user00299"
        assert " v" in _row_text(rows, 0)
        await pilot.press("s")  # next column: name, ascending
        await settle(pilot)
        assert rows.view.sort == "name" and not rows.view.descending
        assert record_list.current["name"] == "Person 1"

        # Every line starts each column at the same cell, Chinese or not.
        header = _row_text(rows, 0)
        role_at = cell_len(header[: header.index("Role")])
        for y in range(1, rows.body_height + 1):
            line = _row_text(rows, y)
            row = rows._rows[int(rows.scroll_y) + y - 1]
            role_text = row.cells[2]
            assert cell_len(line[: line.index(role_text, len(row.cells[0]))]) == role_at
        await pilot.press("end")
        await settle(pilot)
        line = _row_text(rows, rows.body_height)
        assert "王小明" in line
        role_text = record_list.current.cells[2]
        assert cell_len(line[: line.index(role_text, 9)]) == role_at
