"""The app shows data that would steer a terminal, or that reads as markup, as plain text.

Names, subjects and titles holding OSC 52 (clipboard), a window title, clear-screen,
an 8-bit CSI, a right-to-left override and Textual markup are written straight into
the database (data that arrived before input rules, or by another path). Every
screen that shows them must draw their visible form and send no control character.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from textual.geometry import Region

from specialops.app import make_app
from specialops.context import open_context
from specialops.screens.shell.registry import number_keys
from specialops.widgets.modals import ErrorModal, FieldsModal
from tests.pilot import pilot_test, settle, wait_until

SIZE = (200, 50)
HOSTILE = "Eve\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b]0;owned\x07\x1b[2J\x9b2J\u202eevil"
MARKUP = "[red]x[/red][@click=app.quit]q[/]"
NAME = HOSTILE + MARKUP
ADMIN_NAME = "[red]x[/red]\x1b[2J"
# The visible form of HOSTILE, in pieces short enough for a narrow column.
LEAD = "Eve␛]52;c;"
SHOWN = ("␛]52;c;ZWNobyBwd25lZA==␇", "␛]0;owned␇", "␛[2J", "\\u009b2J", "\\u202eevil")
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
KEYS = number_keys()


@pytest.fixture
def hostile_ctx(demo_ctx, db_path):
    """The demo data with every person, customer, ticket, risk and project named NAME."""
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE users SET name = ?", (NAME,))
        # The admin, first in the users list: short, as a record's fields cut a long value.
        conn.execute("UPDATE users SET name = ? WHERE username = 'chen.admin'", (ADMIN_NAME,))
        conn.execute("UPDATE customers SET name = ?", (NAME,))
        conn.execute("UPDATE tickets SET subject = ?", (NAME,))
        conn.execute("UPDATE ticket_messages SET body = ?", (NAME,))
        conn.execute("UPDATE risks SET title = ?, cause = ?", (NAME, NAME))
        conn.execute("UPDATE projects SET name = ?, objectives = ?", (NAME, NAME))
    conn.close()
    context = open_context(str(db_path))  # read the renamed admin afresh, for the header
    yield context
    context.close()


def drawn(app) -> str:
    """Every segment of every widget the screen shows, as sent to the terminal."""
    parts: list[str] = []
    for widget in app.screen.query("*"):
        if not widget.display or not widget.outer_size.area:
            continue
        for strip in widget.render_lines(Region(0, 0, *widget.outer_size)):
            parts.extend(segment.text for segment in strip)
            parts.append("\n")
    return "".join(parts)


def shows(app, piece: str) -> bool:
    """Whether the screen draws ``piece`` (wrapped or not)."""
    return piece in "".join(drawn(app).split())


def assert_safe(app, *expected: str) -> str:
    """No control character drawn, and each of ``expected`` shown (wrapped or not).

    Returns what the screen draws without its white space (the text wraps anywhere).
    """
    text = drawn(app)
    found = FORBIDDEN.search(text)
    assert found is None, f"{type(app.screen).__name__} draws {found.group()!r}"
    assert "\x1b" not in app.export_screenshot()
    flat = "".join(text.split())
    for piece in expected:
        assert piece in flat, f"{type(app.screen).__name__} does not show {piece!r}:\n{text}"
    return flat


@pilot_test
async def test_lists_and_home_show_hostile_names_visibly(hostile_ctx):
    app = make_app(hostile_ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # The header (the admin's own name) and the alerts (ticket subjects, risk titles).
        text = assert_safe(app, *SHOWN)
        assert MARKUP in text
        for area in ("customers", "tickets", "risks", "users"):
            await pilot.press(KEYS[area])
            await wait_until(pilot, lambda: shows(app, LEAD))
            assert_safe(app, LEAD)
        await pilot.press(KEYS["projects"])  # the board's cards
        await wait_until(pilot, lambda: shows(app, LEAD))
        assert_safe(app, LEAD)


@pilot_test
async def test_records_modals_and_notices_show_hostile_text_visibly(hostile_ctx):
    from specialops.screens.customers.browser import CustomerScreen
    from specialops.screens.projects.detail import ProjectDetailScreen
    from specialops.screens.risks.detail import RiskDetailScreen
    from specialops.screens.tickets.detail import TicketDetailScreen

    app = make_app(hostile_ctx, cursor_blink=False, offer_demo=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        for screen in (
            CustomerScreen(hostile_ctx, "CUS-000001"),
            TicketDetailScreen(hostile_ctx, "TKT-000001"),  # subject, messages, customer
            RiskDetailScreen(hostile_ctx, "RSK-0001"),
            ProjectDetailScreen(hostile_ctx, "PRJ-0001"),
        ):
            app.push_screen(screen)
            await wait_until(pilot, lambda: shows(app, SHOWN[0]))
            text = assert_safe(app, *SHOWN)
            assert MARKUP in text, f"{type(screen).__name__} read the markup"
            app.pop_screen()
            await settle(pilot)

        await pilot.press(KEYS["users"])
        await wait_until(pilot, lambda: shows(app, LEAD))
        await pilot.press("enter")
        admin = "[red]x[/red]␛[2J"
        await wait_until(pilot, lambda: isinstance(app.screen, FieldsModal) and shows(app, admin))
        assert_safe(app, admin)
        await pilot.press("escape")

        app.show_error(f"no customer named {NAME}")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal) and shows(app, SHOWN[0]))
        assert MARKUP in assert_safe(app, *SHOWN)
        await pilot.press("escape")
        await settle(pilot)

        # A widget's notify asks for markup; a toast is narrow, so the text is short.
        app.screen.notify("Done 完成: [@click=app.quit]q[/]\x1b]0;owned\x07")
        notice = "[@click=app.quit]q[/]␛]0;owned␇"
        await wait_until(pilot, lambda: shows(app, notice))
        assert_safe(app, notice)
        assert app.is_running  # the [@click=app.quit] in it is text, not an action
