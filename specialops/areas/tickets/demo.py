"""Sample customers and tickets (``data/tickets.toml``), dated relative to now so the
queue shows tickets on time, nearing and past their deadlines."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from specialops import clock, demo
from specialops import workflow as wf
from specialops.areas.customers.models import Customer, CustomerNeed, CustomerPurchase
from specialops.areas.tickets import config, quality, rules
from specialops.areas.tickets.actions import TICKETS, sync_clock
from specialops.areas.tickets.models import FollowUp, QualityReview, Ticket, TicketMessage
from specialops.identity import Actor
from specialops.models.core import Department, UserAccount

TICKET_COUNT = 60
# Hours ago each new/assigned/in-progress ticket was opened: some fresh, some nearing, some late.
OPEN_AGES = (0.3, 1.5, 3, 5, 20, 26, 49, 70, 2, 4, 0.8, 6, 28, 45, 1, 8, 30, 52, 3.5, 75)


@demo.step("tickets")
def _tickets(ctx: demo.DemoContext) -> int:
    data = demo.read_data("tickets.toml")
    session, rng = ctx.session, ctx.rng
    now = clock.now()
    calendar, policy = config.load_calendar(session), config.load_policy(session)
    customers: list[Customer] = []
    for n, row in enumerate(data["customers"]):
        customer = Customer(**row)
        session.add(customer)
        session.flush()
        customers.append(customer)
        for k in range(n % 3 + 1):
            product, amount = data["products"][(n + k) % len(data["products"])]
            session.add(
                CustomerPurchase(
                    customer_id=customer.id or 0,
                    product=product,
                    amount=amount,
                    order_no=f"SO-{2026_0000 + n * 10 + k}",
                    purchased_on=ctx.today - timedelta(days=30 * k + n * 3 + 5),
                )
            )
        if n % 2 == 0:
            session.add(
                CustomerNeed(
                    customer_id=customer.id or 0,
                    need=data["needs"][n % len(data["needs"])],
                    noted_on=ctx.today - timedelta(days=n + 1),
                )
            )
    cs = session.exec(select(Department).where(Department.code == "CS")).first()
    agents = [
        u
        for u in session.exec(select(UserAccount).order_by(UserAccount.username)).all()
        if u.role == "agent"
    ]
    if not agents:
        return 0
    people = {
        u.id: Actor(u.username, u.role, u.name, u.department_id, u.id, u.username) for u in agents
    }
    made = 0
    for i in range(TICKET_COUNT):
        subject, category, type_, channel, priority, description = data["tickets"][
            i % len(data["tickets"])
        ]
        customer = customers[(i * 7) % len(customers)]
        if i < 20:
            status = ("new", "assigned", "in_progress", "in_progress")[i % 4]
            opened = now - timedelta(hours=OPEN_AGES[i])
        elif i < 26:
            status = "waiting"
            opened = now - timedelta(hours=rng.randint(6, 60))
        elif i < 46:
            status = "resolved"
            opened = now - timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 8))
        else:
            status = "closed"
            opened = now - timedelta(days=rng.randint(8, 30), hours=rng.randint(0, 8))
        agent = agents[i % len(agents)]
        ticket = Ticket(
            subject=subject,
            category=category,
            type=type_,
            channel=channel,
            priority=priority,
            description=description,
            customer_id=customer.id,
            department_id=config.route(session, category) or (cs.id if cs else None),
            opened_at=opened,
            status=status,
        )
        if status != "new":
            ticket.assignee_id = agent.id
        responded = status not in ("new", "assigned") or i % 3 == 0
        if responded and status != "new":
            ticket.first_response_at = opened + timedelta(minutes=rng.randint(10, 200))
        if status == "waiting":
            ticket.paused_at = now - timedelta(hours=rng.randint(1, 20))
        if status in ("resolved", "closed"):
            resolved = opened + timedelta(hours=rng.randint(3, 40))
            ticket.resolved_at = min(resolved, now - timedelta(hours=1))
            ticket.paused_at = ticket.resolved_at
            if status == "closed":
                ticket.closed_at = ticket.resolved_at + timedelta(days=1)
        sync_clock(ticket, now, calendar, policy)
        if ticket.resolved_at is not None:
            ticket.resolve_breached = rules.is_breached(ticket.resolved_at, ticket.resolve_due)
        wf.enter_initial(session, TICKETS, ticket, people[agent.id])
        made += 1
        session.add(
            TicketMessage(
                ticket_id=ticket.id or 0,
                kind="customer",
                author=customer.code,
                body=description,
                at=opened,
            )
        )
        if ticket.first_response_at is not None:
            session.add(
                TicketMessage(
                    ticket_id=ticket.id or 0,
                    kind="reply",
                    author=agent.username,
                    body=data["replies"][i % len(data["replies"])],
                    at=ticket.first_response_at,
                )
            )
            if i % 2:
                session.add(
                    TicketMessage(
                        ticket_id=ticket.id or 0,
                        kind="note",
                        author=agent.username,
                        body=data["notes"][i % len(data["notes"])],
                        at=ticket.first_response_at + timedelta(minutes=5),
                    )
                )
        if ticket.resolved_at is not None:
            done = i % 3 != 0
            followup = FollowUp(
                ticket_id=ticket.id,
                customer_id=customer.id or 0,
                kind="after_resolution",
                due_date=(ticket.resolved_at + timedelta(days=3)).astimezone().date(),
                assignee_id=agent.id,
                status="done" if done else "scheduled",
            )
            if done:
                followup.satisfaction = rng.choice((2, 3, 4, 4, 5, 5))
                followup.comments = data["comments"][i % len(data["comments"])]
                followup.done_at = min(ticket.resolved_at + timedelta(days=3), now)
            session.add(followup)
    session.flush()
    _sample_reviews(session, ctx)
    return made


def _sample_reviews(session, ctx: demo.DemoContext) -> None:
    """Last week's sample, and one review below the standard with its corrective action."""
    from datetime import UTC, datetime, time

    from specialops.areas.tickets.models import CorrectiveAction

    monday = quality.week_of(ctx.today) - timedelta(days=7)
    start = datetime.combine(monday, time(0), clock.local_zone()).astimezone(UTC)
    rows = session.exec(
        select(Ticket.id, Ticket.assignee_id).where(
            Ticket.resolved_at >= start - timedelta(days=7),  # type: ignore[operator]
            Ticket.resolved_at < start + timedelta(days=7),  # type: ignore[operator]
        )
    ).all()
    per_agent: dict[int, list[int]] = {}
    for ticket_id, agent_id in rows:
        per_agent.setdefault(int(agent_id), []).append(int(ticket_id))
    reviews: list[QualityReview] = []
    for agent_id, ids in sorted(per_agent.items()):
        for ticket_id in quality.choose(ids, 0.4, f"demo:{agent_id}"):
            review = QualityReview(ticket_id=ticket_id, agent_id=agent_id, week=monday)
            session.add(review)
            reviews.append(review)
    session.flush()
    lead = session.exec(select(UserAccount).where(UserAccount.username == "li.jianguo")).first()
    if reviews and lead is not None:
        failed = reviews[0]
        failed.status = "reviewed"
        failed.scores = (
            '{"greeting": 3, "records": 2, "solution": 3, "timeliness": 2, "understanding": 4}'
        )
        failed.score, failed.passed = 56, False
        failed.comments = "回覆不夠及時，記錄不完整"
        failed.reviewer_id = lead.id
        failed.reviewed_at = clock.now() - timedelta(days=2)
        session.add(
            CorrectiveAction(
                review_id=failed.id or 0,
                owner_id=failed.agent_id or lead.id or 0,
                description="參加回覆時效訓練並補齊工單記錄",
                due_date=ctx.today + timedelta(days=5),
            )
        )
    session.flush()
