"""Sample risks, with assessments, actions and indicator readings (``data/risks.toml``)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from specialops import clock
from specialops import workflow as wf
from specialops.areas.risks import rules
from specialops.areas.risks.actions import (
    RISKS,
    STATUSES,
    ensure_categories,
    load_matrix,
    record_reading_in,
)
from specialops.areas.risks.models import (
    Risk,
    RiskAction,
    RiskAssessment,
    RiskCategory,
    RiskIndicator,
)
from specialops.demo import DemoContext, read_data, step
from specialops.identity import SYSTEM
from specialops.models.core import Department, UserAccount


@step("risks")
def _risks(ctx: DemoContext) -> int:

    data = read_data("risks.toml")
    session, rng, today = ctx.session, ctx.rng, ctx.today
    ensure_categories(session)
    for extra in data["categories"]:
        session.add(RiskCategory(**extra))
    matrix = load_matrix(session)
    departments = {d.code: d.id for d in session.exec(select(Department)).all()}
    users = {u.username for u in session.exec(select(UserAccount)).all()}
    actor = SYSTEM
    made: list[Risk] = []
    for n, (title, category, dept, owner, cause, consequence) in enumerate(data["risks"]):
        likelihood, impact = (n % 5) + 1, ((n * 3 + n // 5) % 5) + 1
        status = STATUSES[n % 4] if n < 28 else "closed"
        risk = Risk(
            title=title,
            category=category,
            owner=owner if owner in users else "system",
            department_id=departments.get(dept),
            cause=cause,
            consequence=consequence,
            status=status,
            review_days=rng.choice((30, 60, 90)),
        )
        if status != "identified":
            probability = rng.choice((10, 20, 30, 50, 70))
            loss = rng.choice((50_000, 200_000, 800_000, 2_500_000)) * 100
            risk.likelihood, risk.impact = likelihood, impact
            risk.level = matrix.level(likelihood, impact)
            risk.probability, risk.loss_amount = probability, loss
            risk.expected_loss = rules.expected_loss(probability, loss)
        if status in ("responding", "monitoring"):
            risk.strategy = rng.choice(("reduce", "transfer", "avoid"))
            risk.residual_likelihood = max(1, likelihood - 1)
            risk.residual_impact = max(1, impact - rng.choice((0, 1)))
            risk.residual_level = matrix.level(risk.residual_likelihood, risk.residual_impact)
        # some reviews fall due in the past so the register shows overdue ones
        risk.next_review = today + timedelta(days=rng.randint(-20, 80))
        wf.enter_initial(session, RISKS, risk, actor)
        if risk.level:
            session.add(
                RiskAssessment(
                    risk_id=risk.id,
                    kind="inherent",
                    likelihood=likelihood,
                    impact=impact,
                    level=risk.level,
                    probability=risk.probability,
                    loss_amount=risk.loss_amount,
                    expected_loss=risk.expected_loss,
                    assessed_by=risk.owner,
                )
            )
        if risk.strategy:
            for k in range(rng.randint(1, 2)):
                session.add(
                    RiskAction(
                        risk_id=risk.id,
                        title=f"應對措施 {k + 1}: {title[:12]}",
                        owner=risk.owner,
                        department_id=risk.department_id,
                        due_date=today + timedelta(days=rng.randint(-25, 40)),
                    )
                )
        made.append(risk)
    session.flush()
    for index, name, unit, direction, warning, critical, readings in data["indicators"]:
        indicator = RiskIndicator(
            risk_id=made[index].id,
            name=name,
            unit=unit,
            direction=direction,
            warning=warning,
            critical=critical,
        )
        session.add(indicator)
        session.flush()
        for weeks_ago, value in zip(range(len(readings) - 1, -1, -1), readings, strict=True):
            at = clock.now() - timedelta(weeks=weeks_ago)
            record_reading_in(session, actor, indicator, value, at=at)
    return len(made)
