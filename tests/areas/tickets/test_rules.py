"""The service desk's rules, computed once: every place that says "breached" agrees at the
deadline's boundary, routing is one function, imports derive what the app derives, and
each write checks its own permission."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from specialops import alerts, clock
from specialops.areas.people.actions import add_user, resolve_actor
from specialops.areas.tickets import actions as tickets
from specialops.areas.tickets import config, followups, quality, rules, sla
from specialops.areas.tickets import queries as queue
from specialops.areas.tickets.feeds import ticket_breach_share
from specialops.areas.tickets.models import Ticket
from specialops.errors import PermissionDenied
from specialops.models.core import Department
from tests.conftest import edited_export

TPE = ZoneInfo("Asia/Taipei")
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=TPE)
# An urgent ticket opened Monday 09:00 must be answered by 10:00 (1 h) and is nearing from
# 09:48 (80 %); it must be resolved by 14:00 (4 business hours around the lunch break).
RESPONSE_DUE = datetime(2026, 11, 30, 10, 0, tzinfo=TPE)
WARN_AT = datetime(2026, 11, 30, 9, 48, tzinfo=TPE)
RESOLVE_DUE = datetime(2026, 11, 30, 14, 0, tzinfo=TPE)
SECOND = timedelta(seconds=1)
AROUND = pytest.mark.parametrize(
    ("offset", "breached"), [(-1, False), (0, True), (1, True)], ids=["before", "at", "after"]
)


@pytest.fixture
def ctx(any_ctx):
    """Each test's database, on SQLite and on a PostgreSQL server in turn."""
    return any_ctx


@pytest.fixture
def desk(ctx):
    with ctx.store.write(ctx.actor) as session:
        session.add(Department(code="CS", name="客戶服務部", head_username="li.jianguo"))
        session.add(Department(code="FIN", name="財務部", head_username="huang.shufen"))
    add_user(ctx.store, ctx.actor, "li.jianguo", "李建國", "manager", department="CS")
    add_user(ctx.store, ctx.actor, "chen.yating", "陳雅婷", "agent", department="CS")
    add_user(ctx.store, ctx.actor, "liu.fang", "劉芳", "staff", department="CS")
    people = {n: resolve_actor(ctx.store, n) for n in ("li.jianguo", "chen.yating", "liu.fang")}
    people["admin"] = ctx.actor
    return people


def _load(ctx, code: str) -> Ticket:
    with ctx.store.read() as session:
        return tickets.get_ticket(session, code)


# --- the pure predicate ---------------------------------------------------------------------


@AROUND
def test_a_deadline_is_breached_from_its_very_second(offset: int, breached: bool) -> None:
    now = RESPONSE_DUE + offset * SECOND
    assert rules.is_breached(now, RESPONSE_DUE) is breached
    assert rules.is_nearing(now, RESPONSE_DUE, WARN_AT) is not breached
    assert sla.urgency(now, RESPONSE_DUE, WARN_AT) == ("breached" if breached else "nearing")
    # The database hands back naive UTC: the same moment, the same verdict.
    naive = RESPONSE_DUE.astimezone(UTC).replace(tzinfo=None)
    assert rules.is_breached(now, naive) is breached


def test_a_stopped_or_missing_deadline_is_never_breached_nor_nearing() -> None:
    late = datetime(9999, 12, 31, tzinfo=UTC)
    for deadline in (None, rules.NO_DEADLINE):
        assert not rules.is_breached(late, deadline)
        assert not rules.is_nearing(late, deadline, WARN_AT)
    assert sla.urgency(late, rules.NO_DEADLINE, rules.NO_DEADLINE) == "paused"


def test_nearing_starts_at_the_warning() -> None:
    assert not rules.is_nearing(WARN_AT - SECOND, RESPONSE_DUE, WARN_AT)
    assert rules.is_nearing(WARN_AT, RESPONSE_DUE, WARN_AT)
    assert not rules.is_nearing(WARN_AT, RESPONSE_DUE, None)
    assert sla.urgency(WARN_AT - SECOND, RESPONSE_DUE, WARN_AT) == "ok"


def test_running_states_are_the_open_ones_the_clock_counts() -> None:
    assert set(rules.RUNNING) < set(rules.OPEN) == {"new", "assigned", "in_progress", "waiting"}
    assert "waiting" not in rules.RUNNING


# --- every reader of the database agrees ----------------------------------------------------


@AROUND
def test_queue_alerts_counts_feed_and_escalation_agree_at_the_deadline(
    ctx, desk, offset: int, breached: bool
) -> None:
    agent, manager = desk["chen.yating"], desk["li.jianguo"]
    with clock.frozen(MONDAY_9):
        ticket = tickets.open_ticket(ctx.store, agent, subject="包裹破損", priority="urgent")
    assert ticket.due_at == RESPONSE_DUE and ticket.warn_at == WARN_AT
    now = RESPONSE_DUE + offset * SECOND
    with clock.frozen(now):
        breaching = queue.queue_source(ctx.store, agent, queue.QueueFilter("breaching"))
        shown = [row["code"] for row in breaching.page(0, 10)]
        assert shown == ([ticket.code] if breached else [])
        assert breaching.count() == (1 if breached else 0)

        row = queue.queue_source(ctx.store, agent).page(0, 1)[0]
        assert queue.urgency_style(row) == ("bold red" if breached else "bold yellow")
        assert row.cells[1].startswith("-") is breached

        found = {a.code: a for a in alerts.current(ctx.store)}
        assert found[ticket.code].severity == ("critical" if breached else "warning")

        assert tickets.counts(ctx.store, agent) == ((1, 0, 1) if breached else (1, 1, 0))
        assert tickets.detail(ctx.store, agent, ticket.code or "").urgency == (
            "breached" if breached else "nearing"
        )
        with ctx.store.read() as session:
            share = ticket_breach_share(session, None, now.date())
            in_cs = ticket_breach_share(session, "CS", now.date())
        assert share == in_cs == (100.0 if breached else 0.0)

        escalated = tickets.escalate_breaches(ctx.store, manager)
        assert escalated == ([ticket.code] if breached else [])
    assert (_load(ctx, ticket.code or "").escalated_to == "li.jianguo") is breached


@AROUND
def test_a_first_reply_at_the_deadline_is_late(ctx, desk, offset: int, breached: bool) -> None:
    agent = desk["chen.yating"]
    with clock.frozen(MONDAY_9):
        ticket = tickets.open_ticket(ctx.store, agent, subject="退款未到", priority="urgent")
    with clock.frozen(RESPONSE_DUE + offset * SECOND):
        tickets.add_message(ctx.store, agent, ticket.id or 0, "reply", "您好")
    assert _load(ctx, ticket.code or "").response_breached is breached


@AROUND
def test_resolving_at_the_deadline_is_late(ctx, desk, offset: int, breached: bool) -> None:
    agent = desk["chen.yating"]
    with clock.frozen(MONDAY_9):
        ticket = tickets.open_ticket(ctx.store, agent, subject="發票錯誤", priority="urgent")
        tickets.transition(ctx.store, agent, ticket.id or 0, ticket.version, "take")
        tickets.add_message(ctx.store, agent, ticket.id or 0, "reply", "處理中")
    taken = _load(ctx, ticket.code or "")
    assert taken.resolve_due == RESOLVE_DUE
    with clock.frozen(RESOLVE_DUE + offset * SECOND):
        tickets.transition(ctx.store, agent, taken.id or 0, taken.version, "resolve", "已補開")
    assert _load(ctx, ticket.code or "").resolve_breached is breached


def test_a_waiting_ticket_past_its_old_deadline_is_not_breaching(ctx, desk) -> None:
    agent, manager = desk["chen.yating"], desk["li.jianguo"]
    with clock.frozen(MONDAY_9):
        ticket = tickets.open_ticket(ctx.store, agent, subject="等待照片", priority="urgent")
        tickets.transition(ctx.store, agent, ticket.id or 0, ticket.version, "take")
        taken = _load(ctx, ticket.code or "")
        tickets.transition(ctx.store, agent, taken.id or 0, taken.version, "wait", "請提供照片")
    with clock.frozen(RESPONSE_DUE + timedelta(hours=5)):
        assert queue.queue_source(ctx.store, agent, queue.QueueFilter("breaching")).count() == 0
        assert tickets.counts(ctx.store, agent) == (1, 0, 0)
        assert ticket.code not in {a.code for a in alerts.current(ctx.store)}
        assert tickets.escalate_breaches(ctx.store, manager) == []


# --- routing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "expected"),
    [("帳務", "FIN"), (" 帳務 ", "FIN"), ("物流配送", "CS"), ("", "CS"), (None, "CS")],
)
def test_routing_takes_the_category_rule_else_the_fallback(category, expected) -> None:
    assert rules.route({"帳務": "FIN", "*": "CS"}, category) == expected


def test_routing_without_a_fallback_routes_nowhere() -> None:
    assert rules.route({"帳務": "FIN"}, "物流配送") is None
    assert rules.route({"帳務": "", "*": "CS"}, "帳務") == "CS"


def test_the_app_routes_by_the_same_rule(ctx, desk) -> None:
    with ctx.store.read() as session:
        ids = dict(session.exec(select(Department.code, Department.id)).all())
        routing = config.load_routing(session)
        for category in ("帳務", "物流配送", "技術支援", ""):
            code = rules.route(routing, category)
            assert config.route(session, category) == ids.get(code or "")
    # 技術支援 goes to RD by default, a department this database does not have.
    assert rules.route(routing, "技術支援") == "RD" and "RD" not in ids


# --- imports derive what the app derives ----------------------------------------------------

ROWS = [
    ("匯款查詢", "urgent", "帳務", "2026-11-30T09:00:00+08:00"),
    ("包裹遺失", "normal", "物流配送", "2026-11-27T17:50:00+08:00"),
    ("系統錯誤", "low", "技術支援", "2026-11-29T10:00:00+08:00"),
    ("一般諮詢", "high", "", ""),
]
CLOCK = (
    "department_id",
    "response_due",
    "resolve_due",
    "due_at",
    "warn_at",
    "paused_at",
    "paused_seconds",
)


def _clock_of(ctx, code: str) -> tuple:
    found = _load(ctx, code)
    return tuple(getattr(found, name) for name in CLOCK)


def _sheet(path: Path, rows: list[tuple[str, ...]], status: str = "") -> Path:
    lines = ["subject,priority,category,opened_at,status"]
    lines += [",".join((*row, status)) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_imported_ticket_gets_the_department_and_deadlines_of_an_opened_one(
    ctx, desk, tmp_path
) -> None:
    from specialops.io.engine import import_file

    now = MONDAY_9 + timedelta(minutes=20)
    with clock.frozen(now):
        opened = [
            tickets.open_ticket(
                ctx.store,
                desk["chen.yating"],
                subject=subject,
                priority=priority,
                category=category,
                opened_at=datetime.fromisoformat(at) if at else None,
            )
            for subject, priority, category, at in ROWS
        ]
        summary = import_file(ctx.store, ctx.actor, "tickets", _sheet(tmp_path / "t.csv", ROWS))
    assert summary.inserted == len(ROWS), summary.errors
    for n, app in enumerate(opened):
        imported = f"TKT-{len(ROWS) + n + 1:06d}"
        assert _load(ctx, imported).subject == app.subject
        assert _clock_of(ctx, imported) == _clock_of(ctx, app.code or "")
    fin = _clock_of(ctx, f"TKT-{len(ROWS) + 1:06d}")
    assert fin[0] is not None and fin[1] == RESPONSE_DUE


def test_a_ticket_imported_waiting_has_its_clock_stopped_as_the_app_stops_it(
    ctx, desk, tmp_path
) -> None:
    from specialops.io.engine import import_file

    agent = desk["chen.yating"]
    now = MONDAY_9 + timedelta(minutes=20)
    row = ROWS[0]
    with clock.frozen(now):
        app = tickets.open_ticket(
            ctx.store,
            agent,
            subject=row[0],
            priority=row[1],
            category=row[2],
            opened_at=datetime.fromisoformat(row[3]),
        )
        tickets.transition(ctx.store, agent, app.id or 0, app.version, "take")
        taken = _load(ctx, app.code or "")
        tickets.transition(ctx.store, agent, taken.id or 0, taken.version, "wait", "等客戶")
        sheet = _sheet(tmp_path / "waiting.csv", [row], status="waiting")
        summary = import_file(ctx.store, ctx.actor, "tickets", sheet)
    assert summary.inserted == 1, summary.errors
    imported = _clock_of(ctx, "TKT-000002")
    assert imported == _clock_of(ctx, app.code or "")
    assert _load(ctx, "TKT-000002").due_at == rules.NO_DEADLINE
    assert imported[CLOCK.index("paused_at")] == now


def test_an_upsert_keeps_the_clock_the_app_computed(ctx, desk, tmp_path) -> None:
    from specialops.io.engine import import_file

    agent = desk["chen.yating"]
    now = MONDAY_9 + timedelta(minutes=20)
    row = ROWS[0]
    with clock.frozen(now):
        app = tickets.open_ticket(
            ctx.store, agent, subject=row[0], priority=row[1], category=row[2]
        )
        tickets.transition(ctx.store, agent, app.id or 0, app.version, "take")
        taken = _load(ctx, app.code or "")
        tickets.transition(ctx.store, agent, taken.id or 0, taken.version, "wait", "等客戶")
    before = _clock_of(ctx, app.code or "")
    sheet = edited_export(ctx, "tickets", app.code or "", tmp_path, subject="改過的主旨")
    with clock.frozen(now + timedelta(hours=3)):
        summary = import_file(ctx.store, ctx.actor, "tickets", sheet, upsert=True)
    assert summary.updated == 1, summary.errors
    assert _load(ctx, app.code or "").subject == "改過的主旨"
    assert _clock_of(ctx, app.code or "") == before


# --- each write checks its own permission ---------------------------------------------------


def test_a_staff_user_cannot_escalate_breaches(ctx, desk) -> None:
    with clock.frozen(MONDAY_9):
        ticket = tickets.open_ticket(
            ctx.store, desk["chen.yating"], subject="包裹破損", priority="urgent"
        )
    with clock.frozen(RESPONSE_DUE + timedelta(hours=1)):
        for who in ("liu.fang", "chen.yating"):
            with pytest.raises(PermissionDenied):
                tickets.escalate_breaches(ctx.store, desk[who])
        assert _load(ctx, ticket.code or "").escalated_at is None
        assert tickets.escalate_breaches(ctx.store, desk["li.jianguo"]) == [ticket.code]


WRITES = {
    "open_ticket": lambda s, a: tickets.open_ticket(s, a, subject="x"),
    "assign": lambda s, a: tickets.assign(s, a, 1, 1),
    "add_message": lambda s, a: tickets.add_message(s, a, 1, "note", "x"),
    "escalate": lambda s, a: tickets.escalate(s, a, 1, 1, "x"),
    "escalate_breaches": lambda s, a: tickets.escalate_breaches(s, a),
    "add_followup": lambda s, a: followups.add_followup(
        s, a, customer="CUS-000001", due_date=date(2026, 12, 1)
    ),
    "record_result": lambda s, a: followups.record_result(s, a, 1, 1, satisfaction=5),
    "cancel_followup": lambda s, a: followups.cancel(s, a, 1, 1),
    "sample_week": lambda s, a: quality.sample_week(s, a),
    "review": lambda s, a: quality.review(s, a, 1, 1, {}),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_each_write_refuses_a_user_without_its_permission(ctx, desk, name) -> None:
    with pytest.raises(PermissionDenied):
        WRITES[name](ctx.store, desk["liu.fang"])
