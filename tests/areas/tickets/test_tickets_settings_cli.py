"""``specialops tickets config / holiday / escalate`` through real subprocesses (CS-2, CS-4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

TAIPEI = ZoneInfo("Asia/Taipei")


@pytest.fixture
def ctx(any_ctx):
    """Each test's database, on SQLite and on a PostgreSQL server in turn."""
    return any_ctx


@pytest.fixture
def db(ctx) -> str:
    """What ``--db`` names: the file, or the server database's URL."""
    return str(ctx.store.path or ctx.store.url)


@pytest.fixture
def desk(ctx):
    """A new database with two departments, their head, a staff user and an agent."""
    from specialops.areas.people.actions import add_user
    from specialops.models.core import Department

    with ctx.store.write(ctx.actor) as session:
        session.add(Department(code="CS", name="客戶服務部", head_username="li.jianguo"))
        session.add(Department(code="FIN", name="財務部", head_username="huang.shufen"))
    add_user(ctx.store, ctx.actor, "li.jianguo", "李建國", "manager", department="CS")
    add_user(ctx.store, ctx.actor, "liu.fang", "劉芳", "staff")
    add_user(ctx.store, ctx.actor, "chen.yating", "陳雅婷", "agent")
    return ctx


def _config(cli, db) -> dict:
    result = cli("tickets", "config", "--json", db=db)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_config_shows_every_setting_with_defaults(cli, desk, db) -> None:
    shown = _config(cli, db)
    assert shown["sla.hours"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert shown["sla.workdays"] == [1, 2, 3, 4, 5]
    assert shown["sla.target.normal"] == [4, 24]
    assert shown["sla.nearing"] == 0.8
    assert shown["tickets.routing"]["*"] == "CS"
    assert shown["tickets.followup_days"] == 3
    assert shown["quality.sample_share"] == 0.1
    assert shown["quality.pass_score"] == 80
    assert len(shown["quality.checklist"]) == 5
    text = cli("tickets", "config", db=db)
    assert text.returncode == 0
    assert "09:00-12:00,13:00-18:00" in text.stdout
    assert "帳務=FIN" in text.stdout


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("sla.hours", "08:30-12:00,13:00-17:30", [["08:30", "12:00"], ["13:00", "17:30"]]),
        ("sla.hours", '[["09:00","17:00"]]', [["09:00", "17:00"]]),
        ("sla.workdays", "1-6", [1, 2, 3, 4, 5, 6]),
        ("sla.zone", "Asia/Shanghai", "Asia/Shanghai"),
        ("sla.makeup_days", "2026-12-05", ["2026-12-05"]),
        ("sla.target.high", "3/10", [3, 10]),
        ("sla.target.low", "[6, 30]", [6, 30]),
        ("sla.nearing", "75%", 0.75),
        ("tickets.routing", "帳務=FIN,*=CS", {"帳務": "FIN", "*": "CS"}),
        ("tickets.followup_days", "5", 5),
        ("quality.sample_share", "20%", 0.2),
        (
            "quality.checklist",
            "greeting=問候;solution=解決方案",
            [["greeting", "問候"], ["solution", "解決方案"]],
        ),
        ("quality.pass_score", "70", 70),
    ],
)
def test_an_admin_sets_a_setting(cli, desk, db, key, value, expected) -> None:
    result = cli("tickets", "config", key, value, "--json", db=db)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {key: expected}
    assert _config(cli, db)[key] == expected


def test_setting_one_part_of_the_calendar_keeps_the_others(cli, desk, db) -> None:
    assert cli("tickets", "config", "sla.workdays", "1-6", db=db).returncode == 0
    assert cli("tickets", "config", "sla.hours", "10:00-16:00", db=db).returncode == 0
    shown = _config(cli, db)
    assert shown["sla.workdays"] == [1, 2, 3, 4, 5, 6]
    assert shown["sla.hours"] == [["10:00", "16:00"]]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sla.hours", "18:00-09:00"),
        ("sla.workdays", "0-8"),
        ("sla.zone", "Mars/Base"),
        ("sla.holidays", "2026-13-01"),
        ("sla.target.high", "10/3"),
        ("sla.nearing", "1.5"),
        ("tickets.routing", "帳務=NOPE,*=CS"),
        ("tickets.routing", "帳務=FIN"),
        ("tickets.followup_days", "soon"),
        ("quality.sample_share", "0"),
        ("quality.pass_score", "101"),
        ("quality.checklist", "no label"),
    ],
)
def test_a_bad_value_is_refused_naming_the_key(cli, desk, db, key, value) -> None:
    before = _config(cli, db)
    result = cli("tickets", "config", key, value, db=db)
    assert result.returncode == 1
    assert result.stderr.startswith(f"specialops: {key}: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert _config(cli, db) == before


def test_unknown_setting_and_bad_usage_exit_2(cli, desk, db) -> None:
    result = cli("tickets", "config", "sla.bogus", "1", db=db)
    assert result.returncode == 2
    assert "unknown setting sla.bogus" in result.stderr
    assert "sla.hours" in result.stderr
    assert cli("tickets", "config", "--bogus", db=db).returncode == 2
    assert cli("tickets", "holiday", "add", db=db).returncode == 2


def test_staff_may_read_but_not_change_settings(cli, desk, db) -> None:
    assert cli("tickets", "config", db=db, user="liu.fang").returncode == 0
    result = cli("tickets", "config", "quality.pass_score", "50", db=db, user="liu.fang")
    assert result.returncode == 1
    assert "may not configure the service desk" in result.stderr
    refused = cli("tickets", "holiday", "add", "2027-01-01", db=db, user="liu.fang")
    assert refused.returncode == 1
    assert _config(cli, db)["quality.pass_score"] == 80
    assert _config(cli, db)["sla.holidays"] == []


def test_holidays_are_added_named_listed_and_removed(cli, desk, db) -> None:
    added = cli("tickets", "holiday", "add", "2027-01-01", "--name", "元旦", db=db)
    assert added.returncode == 0, added.stderr
    # typed as forms and imports take it
    assert cli("tickets", "holiday", "add", "2027年2月16日", db=db).returncode == 0
    listed = cli("tickets", "holiday", "list", "--json", db=db)
    assert json.loads(listed.stdout) == [
        {"date": "2027-01-01", "name": "元旦"},
        {"date": "2027-02-16", "name": ""},
    ]
    assert _config(cli, db)["sla.holidays"] == ["2027-01-01", "2027-02-16"]
    assert cli("tickets", "holiday", "remove", "2027-01-01", db=db).returncode == 0
    missing = cli("tickets", "holiday", "remove", "2027-01-01", db=db)
    assert missing.returncode == 1
    assert "not a holiday" in missing.stderr
    bad = cli("tickets", "holiday", "add", "1/1/2027", db=db)
    assert bad.returncode == 1
    assert "not a date" in bad.stderr
    assert _config(cli, db)["sla.holidays"] == ["2027-02-16"]


def test_a_changed_calendar_changes_a_new_tickets_deadline(cli, desk, db) -> None:
    """Saturday 2026-11-28 09:30: the clock waits for Monday until Saturday is a make-up day."""
    from specialops.areas.tickets import actions as tickets

    before = tickets.open_ticket(desk.store, desk.actor, subject="發票開錯 wrong invoice")
    assert before.response_due == datetime(2026, 11, 30, 14, 0, tzinfo=TAIPEI).astimezone(UTC)

    assert cli("tickets", "config", "sla.makeup_days", "2026-11-28", db=db).returncode == 0
    made_up = tickets.open_ticket(desk.store, desk.actor, subject="補班日 make-up day")
    assert made_up.response_due == datetime(2026, 11, 28, 14, 30, tzinfo=TAIPEI).astimezone(UTC)

    assert cli("tickets", "config", "sla.makeup_days", "[]", db=db).returncode == 0
    assert cli("tickets", "holiday", "add", "2026-11-30", db=db).returncode == 0
    assert cli("tickets", "config", "sla.target.normal", "2/16", db=db).returncode == 0
    holiday = tickets.open_ticket(desk.store, desk.actor, subject="連假 long weekend")
    assert holiday.response_due == datetime(2026, 12, 1, 11, 0, tzinfo=TAIPEI).astimezone(UTC)


def test_escalate_for_cron_escalates_each_breach_once(cli, desk, db) -> None:
    from specialops.areas.tickets import actions as tickets

    late = tickets.open_ticket(
        desk.store,
        desk.actor,
        subject="退款未到 refund missing",
        opened_at=datetime(2026, 11, 20, 9, 0, tzinfo=TAIPEI),
    )
    tickets.open_ticket(desk.store, desk.actor, subject="新問題 new question")

    first = cli("tickets", "escalate", "--json", db=db)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"escalated": [late.code]}
    with desk.store.read() as session:
        escalated = tickets.get_ticket(session, late.code)
    assert escalated.escalated_at is not None
    assert escalated.escalated_to == "li.jianguo"

    again = cli("tickets", "escalate", db=db)
    assert again.returncode == 0
    assert again.stdout == ""
    assert "no ticket past its deadline" in again.stderr

    refused = cli("tickets", "escalate", db=db, user="chen.yating")
    assert refused.returncode == 1
