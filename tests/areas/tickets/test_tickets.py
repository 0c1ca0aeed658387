"""The service desk's rules on a real database: routing, assignment, the SLA clock through
the workflow, follow-ups, quality sampling, escalation, masking and audited reveal."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from specialops import alerts, clock
from specialops.areas.customers import actions as customers
from specialops.areas.customers import queries as customer_views
from specialops.areas.customers.models import Customer
from specialops.areas.people.actions import add_user, resolve_actor
from specialops.areas.tickets import actions as tickets
from specialops.areas.tickets import config, followups, quality
from specialops.areas.tickets import history as service
from specialops.areas.tickets import queries as queue
from specialops.areas.tickets.models import FollowUp, Ticket
from specialops.errors import PermissionDenied, TransitionDenied, ValidationError
from specialops.models.core import AuditEntry

TPE = ZoneInfo("Asia/Taipei")
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=TPE)


def at(hours: float) -> datetime:
    """Monday 30 November 2026, 09:00 Taipei, plus ``hours`` (wall-clock)."""
    return MONDAY_9 + timedelta(hours=hours)


@pytest.fixture
def ctx(any_ctx):
    """Each test's database, on SQLite and on a PostgreSQL server in turn."""
    return any_ctx


@pytest.fixture
def desk(ctx):
    from specialops.models.core import Department

    with ctx.store.write(ctx.actor) as session:
        session.add(Department(code="CS", name="客戶服務部", head_username="li.jianguo"))
        session.add(Department(code="FIN", name="財務部", head_username="huang.shufen"))
        session.add(
            Customer(
                name="王大同",
                phone="0912-345-678",
                email="datong@example.com",
                address="台北市信義區松仁路 100 號",
                id_number="A123456789",
            )
        )
    add_user(ctx.store, ctx.actor, "li.jianguo", "李建國", "manager", department="CS")
    add_user(ctx.store, ctx.actor, "huang.shufen", "黃淑芬", "manager", department="FIN")
    add_user(ctx.store, ctx.actor, "chen.yating", "陳雅婷", "agent", department="CS")
    add_user(ctx.store, ctx.actor, "zhou.jie", "周杰", "agent", department="CS")
    add_user(ctx.store, ctx.actor, "fin.agent", "財務客服", "agent", department="FIN")
    add_user(ctx.store, ctx.actor, "liu.fang", "劉芳", "staff", department="CS")
    people = {
        name: resolve_actor(ctx.store, name)
        for name in ("li.jianguo", "chen.yating", "zhou.jie", "liu.fang", "fin.agent")
    }
    people["admin"] = ctx.actor
    return people


def _open(ctx, who, **values):
    values.setdefault("subject", "訂單遲遲未出貨")
    values.setdefault("customer", "CUS-000001")
    return tickets.open_ticket(ctx.store, who, **values)


def _load(ctx, ticket_id: int) -> Ticket:
    with ctx.store.read() as session:
        found = session.get(Ticket, ticket_id)
        assert found is not None
        return found


def test_a_ticket_is_routed_by_category_and_gets_deadlines(ctx, desk) -> None:
    with clock.frozen(at(0)):
        ticket = _open(ctx, desk["chen.yating"], category="帳務", priority="high")
        other = _open(ctx, desk["chen.yating"], category="不存在的分類")
    assert ticket.code == "TKT-000001" and other.code == "TKT-000002"
    with ctx.store.read() as session:
        fin, cs = (config.route(session, c) for c in ("帳務", "?"))
    assert ticket.department_id == fin and other.department_id == cs
    assert ticket.status == "new"
    assert ticket.response_due == at(2) and ticket.resolve_due == at(9)  # 8 h over lunch
    assert ticket.due_at == ticket.response_due


def test_the_least_loaded_agent_of_the_department_gets_the_ticket(ctx, desk) -> None:
    manager = desk["li.jianguo"]
    with clock.frozen(at(0)):
        first = _open(ctx, manager, category="物流配送")
        tickets.assign(ctx.store, manager, first.id, first.version)
        second = _open(ctx, manager, category="物流配送")
        tickets.assign(ctx.store, manager, second.id, second.version)
        third = _open(ctx, manager, category="物流配送")
        tickets.assign(ctx.store, manager, third.id, third.version, "zhou.jie")
    ids = [_load(ctx, t.id).assignee_id for t in (first, second, third)]
    assert ids == [desk["chen.yating"].user_id, desk["zhou.jie"].user_id, desk["zhou.jie"].user_id]
    assert _load(ctx, first.id).status == "assigned"
    with pytest.raises(PermissionDenied):
        tickets.assign(ctx.store, desk["chen.yating"], third.id, _load(ctx, third.id).version)


def test_agent_takes_replies_waits_resolves_and_the_clock_pauses(ctx, desk) -> None:
    agent = desk["chen.yating"]
    with clock.frozen(at(0)):
        ticket = _open(ctx, agent, priority="urgent")  # 1 h response, 4 h resolution
    with clock.frozen(at(0.25)):
        tickets.transition(ctx.store, agent, ticket.id, ticket.version, "take")
        tickets.add_message(ctx.store, agent, ticket.id, "reply", "您好，我們正在查詢。")
    taken = _load(ctx, ticket.id)
    assert taken.assignee_id == agent.user_id and taken.first_response_at == at(0.25)
    assert not taken.response_breached
    assert taken.due_at == taken.resolve_due == at(5)  # 09:00 + 4 h with lunch off
    with clock.frozen(at(0.5)):
        tickets.transition(ctx.store, agent, ticket.id, taken.version, "wait", "請客戶提供照片")
    waiting = _load(ctx, ticket.id)
    assert waiting.status == "waiting" and waiting.due_at.year == 9999
    with ctx.store.read() as session:
        calendar = config.load_calendar(session)
    # While waiting the time left is frozen at what was left when the wait began.
    assert tickets.time_left(waiting, at(3), calendar) == pytest.approx(3.5 * 3600)
    with clock.frozen(at(2)):  # waited 09:30-11:00: 1.5 business hours
        tickets.transition(ctx.store, agent, ticket.id, waiting.version, "resume")
    resumed = _load(ctx, ticket.id)
    assert resumed.paused_seconds == 5400 and resumed.resolve_due == at(6.5)
    with clock.frozen(at(6)):
        with pytest.raises(TransitionDenied, match="needs a comment"):
            tickets.transition(ctx.store, agent, ticket.id, resumed.version, "resolve")
        tickets.transition(ctx.store, agent, ticket.id, resumed.version, "resolve", "已補寄")
    done = _load(ctx, ticket.id)
    assert done.status == "resolved" and not done.resolve_breached
    with ctx.store.read() as session:
        booked = session.exec(select(FollowUp).where(FollowUp.ticket_id == ticket.id)).one()
    assert booked.kind == "after_resolution" and booked.due_date == date(2026, 12, 3)
    assert booked.assignee_id == agent.user_id


def test_a_late_first_reply_is_flagged(ctx, desk) -> None:
    agent = desk["chen.yating"]
    with clock.frozen(at(0)):
        ticket = _open(ctx, agent, priority="urgent")
    with clock.frozen(at(1.5)):
        tickets.add_message(ctx.store, agent, ticket.id, "reply", "抱歉久等")
    assert _load(ctx, ticket.id).response_breached


def test_someone_elses_ticket_needs_a_manager(ctx, desk) -> None:
    with clock.frozen(at(0)):
        ticket = _open(ctx, desk["chen.yating"])
        tickets.transition(ctx.store, desk["chen.yating"], ticket.id, ticket.version, "take")
    current = _load(ctx, ticket.id)
    with pytest.raises(TransitionDenied, match="someone else's"):
        tickets.transition(ctx.store, desk["zhou.jie"], ticket.id, current.version, "wait")
    with pytest.raises(PermissionDenied):
        tickets.transition(ctx.store, desk["liu.fang"], ticket.id, current.version, "wait")


def test_reopening_cancels_the_booked_follow_up_and_resumes_the_clock(ctx, desk) -> None:
    agent = desk["chen.yating"]
    with clock.frozen(at(0)):
        ticket = _open(ctx, agent)
        tickets.transition(ctx.store, agent, ticket.id, ticket.version, "take")
        t = _load(ctx, ticket.id)
        tickets.transition(ctx.store, agent, ticket.id, t.version, "resolve", "ok")
    with clock.frozen(at(24)):  # next day 09:00: a full working day stopped
        t = _load(ctx, ticket.id)
        tickets.transition(ctx.store, agent, ticket.id, t.version, "reopen", "客戶說仍未收到")
    again = _load(ctx, ticket.id)
    assert again.status == "in_progress" and again.resolved_at is None
    assert again.paused_seconds == 8 * 3600
    with ctx.store.read() as session:
        statuses = session.exec(select(FollowUp.status).where(FollowUp.ticket_id == ticket.id))
        assert list(statuses) == ["cancelled"]


def test_breaches_escalate_to_the_head_and_raise_alerts(ctx, desk) -> None:
    agent = desk["chen.yating"]
    with clock.frozen(at(0)):
        late = _open(ctx, agent, priority="urgent", subject="包裹破損")
        fine = _open(ctx, agent, priority="low", subject="保固詢問")
    with clock.frozen(at(0.9)):  # 54 minutes of a 60-minute first-response target: nearing
        found = {a.code: a for a in alerts.current(ctx.store)}
        assert found[late.code].severity == "warning" and fine.code not in found
    with clock.frozen(at(2)):
        found = {a.code: a for a in alerts.current(ctx.store)}
        assert found[late.code].severity == "critical"
        assert "li.jianguo" in found[late.code].users
        assert found[late.code].concerns(desk["li.jianguo"])
        assert tickets.escalate_breaches(ctx.store, desk["admin"]) == [late.code]
        assert tickets.escalate_breaches(ctx.store, desk["admin"]) == []  # once only
    escalated = _load(ctx, late.id)
    assert escalated.escalated_to == "li.jianguo"
    with ctx.store.read() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "escalate")).one()
    assert entry.code == late.code


def test_follow_up_results_give_satisfaction_per_customer_and_agent(ctx, desk) -> None:
    agent = desk["chen.yating"]
    for score in (5, 3):
        with clock.frozen(at(0)):
            ticket = _open(ctx, agent)
            tickets.transition(ctx.store, agent, ticket.id, ticket.version, "take")
            t = _load(ctx, ticket.id)
            tickets.transition(ctx.store, agent, ticket.id, t.version, "resolve", "ok")
        with ctx.store.read() as session:
            booked = session.exec(select(FollowUp).where(FollowUp.ticket_id == ticket.id)).one()
        with clock.frozen(at(72)):
            followups.record_result(
                ctx.store, agent, booked.id, booked.version, satisfaction=score, comments="謝謝"
            )
    with pytest.raises(ValidationError, match="1 to 5"):
        followups.record_result(ctx.store, agent, booked.id, booked.version + 1, satisfaction=6)
    with ctx.store.read() as session:
        mine = followups.customer_satisfaction(session, 1)
        per_agent = followups.agent_satisfaction(session)
    assert mine.average == 4 and mine.count == 2 and [s for _, s in mine.trend] == [5, 3]
    assert per_agent["chen.yating"].average == 4
    manual = followups.add_followup(
        ctx.store, agent, customer="CUS-000001", due_date=date(2026, 12, 10), kind="periodic"
    )
    assert manual.code == "FUP-000003" and manual.status == "scheduled"


def test_weekly_sampling_and_a_failed_review_opens_a_corrective_action(ctx, desk) -> None:
    agent, manager = desk["chen.yating"], desk["li.jianguo"]
    config.set_sample_share(ctx.store, ctx.actor, 0.5)
    for n in range(4):
        with clock.frozen(at(n)):
            ticket = _open(ctx, agent, subject=f"詢問 {n}")
            tickets.transition(ctx.store, agent, ticket.id, ticket.version, "take")
            t = _load(ctx, ticket.id)
            tickets.transition(ctx.store, agent, ticket.id, t.version, "resolve", "ok")
    with clock.frozen(at(24 * 7)):
        assert quality.sample_week(ctx.store, manager, date(2026, 11, 30)) == 2
        assert quality.sample_week(ctx.store, manager, date(2026, 11, 30)) == 0  # no repeats
        with pytest.raises(PermissionDenied):
            quality.sample_week(ctx.store, agent, date(2026, 11, 30))
        from specialops.areas.tickets.models import QualityReview

        with ctx.store.read() as session:
            queued = session.exec(select(QualityReview)).all()
        items = {key: 2 for key, _ in config.DEFAULT_CHECKLIST}
        with pytest.raises(ValidationError, match="missing"):
            quality.review(ctx.store, manager, queued[0].id, queued[0].version, {"greeting": 5})
        reviewed, action = quality.review(
            ctx.store, manager, queued[0].id, queued[0].version, items, "回覆太慢"
        )
        assert reviewed.score == 40 and reviewed.passed is False
        assert action is not None and action.owner_id == agent.user_id
        assert action.due_date == date(2026, 12, 21)
        good, none = quality.review(
            ctx.store, manager, queued[1].id, queued[1].version, {key: 5 for key in items}
        )
        assert good.passed and none is None
        closed = quality.close_action(ctx.store, agent, action.id, action.version)
        assert closed.status == "done"


def test_personal_data_is_masked_and_every_reveal_is_audited(ctx, desk) -> None:
    with ctx.store.read() as session:
        view = customer_views.view_in(session, desk["liu.fang"], 1)
    assert view.pii["phone"] == "********-678" and view.pii["email"] == "d***@example.com"
    assert "A123456789" not in str(view.pii) and not view.may_reveal
    with pytest.raises(PermissionDenied):
        customers.reveal(ctx.store, desk["liu.fang"], 1, "phone")
    value = customers.reveal(ctx.store, desk["chen.yating"], 1, "id_number", "核對身分")
    assert value == "A123456789"
    with ctx.store.read() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "reveal")).one()
    assert entry.username == "chen.yating" and entry.code == "CUS-000001"
    assert '"id_number"' in (entry.after or "") and entry.comment == "核對身分"
    history = service.history(
        ctx.store, desk["chen.yating"], "CUS-000001", revealed={"id_number": value}
    )
    assert history.view.pii["id_number"] == "A123456789"
    assert history.view.pii["phone"] == "********-678"


def test_the_queue_sorts_by_deadline_filters_and_searches_cjk(ctx, desk) -> None:
    agent = desk["chen.yating"]
    with clock.frozen(at(0)):
        low = _open(ctx, agent, priority="low", subject="保固期限詢問")
        urgent = _open(ctx, agent, priority="urgent", subject="包裹外箱破損，商品刮傷")
        normal = _open(ctx, agent, priority="normal", subject="發票抬頭開錯", channel="email")
        tickets.transition(ctx.store, agent, normal.id, normal.version, "take")
    with clock.frozen(at(1.5)):
        source = queue.queue_source(ctx.store, agent)
        codes = [row["code"] for row in source.page(0, 10)]
        assert codes == [urgent.code, normal.code, low.code]
        rows = {row["code"]: row for row in source.page(0, 10)}
        assert rows[urgent.code].cells[1] == "-0h30m"
        assert queue.urgency_style(rows[urgent.code]) == "bold red"
        for flt, expected in [
            (queue.QueueFilter("mine"), [normal.code]),
            (queue.QueueFilter("breaching"), [urgent.code]),
            (queue.QueueFilter(priority="low"), [low.code]),
            (queue.QueueFilter(channel="email"), [normal.code]),
            (queue.QueueFilter(status="new"), [urgent.code, low.code]),
            (queue.QueueFilter("department"), [urgent.code, normal.code, low.code]),
        ]:
            found = queue.queue_source(ctx.store, agent, flt)
            assert [r["code"] for r in found.page(0, 10)] == expected, flt
        for text, expected in [
            ("外箱破損", [urgent.code]),  # CJK through the trigram index
            ("破損", [urgent.code]),  # two characters: a scan of the index's text
            ("王大同", [urgent.code, normal.code, low.code]),  # the customer's name
            ("TKT-000003", [normal.code]),
            ("保固 詢問", [low.code]),
            ("沒有這個", []),
        ]:
            source.set_filter(text)
            assert [r["code"] for r in source.page(0, 10)] == expected, text
            assert source.count() == len(expected)


def test_renaming_a_customer_keeps_the_search_current(ctx, desk) -> None:
    ticket = _open(ctx, desk["chen.yating"])
    with ctx.store.write(ctx.actor) as session:
        customer = session.get(Customer, 1)
        customer.name = "王小同股份有限公司"
    source = queue.queue_source(ctx.store, desk["chen.yating"])
    source.set_filter("小同股份")
    assert [r["code"] for r in source.page(0, 5)] == [ticket.code]


SEARCHED = (
    "包裹外箱破損，商品刮傷",
    "发票抬头开错",
    "發票抬頭開錯",
    "APP 無法登入 iPhone",
    "VPN連線中斷",
    "100% 退款_進度",
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("損", [1]),  # one Chinese character
        ("破損", [1]),  # two
        ("外箱破損", [1]),  # through the trigram index
        ("发票", [2]),  # Simplified and Traditional are different characters
        ("發票", [3]),
        ("抬頭開錯", [3]),
        ("iphone", [4]),  # case is ignored
        ("app 登入", [4]),  # every term, anywhere
        ("APP登入", []),  # but a term as typed
        ("vpn連線", [5]),
        ("Pn", [5]),
        ("tkt-000002", [2]),  # the ticket's code
        ("000005", [5]),
        ("cus-000002", [4, 5, 6]),  # the customer's code and name
        ("ACME", [4, 5, 6]),
        ("貿易 中斷", [5]),
        ("100%", [6]),  # LIKE's wildcards are plain text
        ("%", [6]),
        ("_", [6]),
        ("款_進", [6]),
        ("a_b", []),
        ("沒有這個", []),
    ],
)
def test_the_queue_search_finds_the_same_tickets_on_either_backend(
    ctx, desk, text, expected
) -> None:
    with ctx.store.write(ctx.actor) as session:
        session.add(Customer(name="Acme 貿易", phone="02-2345-6789"))
    for n, subject in enumerate(SEARCHED):
        _open(ctx, desk["chen.yating"], subject=subject, customer=f"CUS-00000{1 + n // 3}")
    source = queue.queue_source(ctx.store, desk["chen.yating"])
    source.set_filter(text)
    codes = sorted(row["code"] for row in source.page(0, 10))
    assert codes == [f"TKT-{n:06d}" for n in expected]
    assert source.count() == len(expected)


def test_an_import_brings_tickets_in_any_status_but_never_moves_one(demo_ctx, tmp_path) -> None:
    from specialops.io.engine import import_file
    from tests.conftest import edited_export

    handled = tmp_path / "handled.csv"
    handled.write_text(
        "customer,subject,status,opened_at\nCUS-000001,電話已處理,closed,2026-11-20T10:00\n",
        encoding="utf-8",
    )
    came = import_file(demo_ctx.store, demo_ctx.actor, "tickets", handled)
    assert came.inserted == 1 and not came.errors
    with demo_ctx.store.read() as session:
        ticket = session.exec(select(Ticket).where(Ticket.status == "new")).first()
    assert ticket is not None
    moved = edited_export(demo_ctx, "tickets", ticket.code, tmp_path, status="closed")
    refused = import_file(demo_ctx.store, demo_ctx.actor, "tickets", moved, upsert=True)
    assert [(p.line, p.column) for p in refused.errors] == [(2, "status")]
    assert "(new → closed)" in refused.errors[0].message
    with demo_ctx.store.read() as session:
        assert session.get(Ticket, ticket.id).status == "new"
