"""Service quality (CS-4): weekly sampling of resolved tickets, checklist reviews,
corrective actions for reviews below the standard, tracked to closure."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from specialops import alerts, clock
from specialops.areas.tickets import config
from specialops.areas.tickets.models import CorrectiveAction, QualityReview, Ticket
from specialops.errors import ValidationError
from specialops.identity import Actor
from specialops.models.core import UserAccount
from specialops.permissions import require
from specialops.store.records import update_record
from specialops.store.store import Store

ACTION_DAYS = 14


def week_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def _week_bounds(monday: date) -> tuple[datetime, datetime]:
    zone = clock.local_zone()
    start = datetime.combine(monday, time(0), zone).astimezone(UTC)
    return start, start + timedelta(days=7)


def choose(ticket_ids: list[int], share: float, seed: str) -> list[int]:
    """A reproducible random ``share`` of the tickets (at least one when there are any)."""
    if not ticket_ids:
        return []
    wanted = max(1, math.ceil(len(ticket_ids) * share))
    return sorted(random.Random(seed).sample(sorted(ticket_ids), min(wanted, len(ticket_ids))))


def sample_week(store: Store, actor: Actor, monday: date | None = None) -> int:
    """Put a share (``quality.sample_share``) of each agent's tickets resolved in the week
    into the review queue; tickets already sampled are skipped. Returns how many were added."""
    require(actor, "ticket.review")
    monday = week_of(monday or clock.today() - timedelta(days=7))
    start, end = _week_bounds(monday)
    added = 0
    with store.write(actor, comment=f"quality sample of week {monday}") as session:
        share = config.sample_share(session)
        sampled = set(session.exec(select(QualityReview.ticket_id)).all())
        rows = session.exec(
            select(Ticket.id, Ticket.assignee_id).where(
                col(Ticket.resolved_at) >= start,
                col(Ticket.resolved_at) < end,
                col(Ticket.assignee_id).is_not(None),
            )
        ).all()
        per_agent: dict[int, list[int]] = {}
        for ticket_id, agent_id in rows:
            per_agent.setdefault(int(agent_id), []).append(int(ticket_id))
        for agent_id, ids in sorted(per_agent.items()):
            # The share is of the whole week: a second run only tops up what is missing.
            wanted = len(choose(ids, share, "")) - len(sampled.intersection(ids))
            fresh = [i for i in ids if i not in sampled]
            if wanted <= 0 or not fresh:
                continue
            for ticket_id in choose(fresh, wanted / len(fresh), f"{monday}:{agent_id}"):
                session.add(QualityReview(ticket_id=ticket_id, agent_id=agent_id, week=monday))
                added += 1
        session.flush()
    return added


def score_of(scores: dict[str, int], items: list[tuple[str, str]]) -> int:
    """The checklist's percent: each item scored 1–5."""
    keys = [key for key, _ in items]
    missing = [k for k in keys if k not in scores]
    if missing:
        raise ValidationError(f"score every item; missing: {', '.join(missing)}", field="scores")
    for key in keys:
        value = scores[key]
        if isinstance(value, bool) or value not in (1, 2, 3, 4, 5):
            raise ValidationError(f"{key} is scored 1 to 5", field="scores")
    return round(100 * sum(scores[k] for k in keys) / (5 * len(keys)))


def review(
    store: Store,
    actor: Actor,
    review_id: int,
    seen_version: int,
    scores: dict[str, int],
    comments: str = "",
    *,
    action: str | None = None,
    action_owner: str | None = None,
    action_due: date | None = None,
) -> tuple[QualityReview, CorrectiveAction | None]:
    """Score a queued review; below the standard opens a corrective action (owner: the
    agent unless named, due in two weeks unless given)."""
    require(actor, "ticket.review")
    with store.write(actor) as session:
        item = update_record(session, QualityReview, review_id, seen_version, {})
        if item.status != "queued":
            raise ValidationError(f"{item.code} is already reviewed")
        if item.agent_id is not None and item.agent_id == actor.user_id:
            raise ValidationError("an agent does not review their own ticket")
        item.score = score_of(scores, config.checklist(session))
        item.scores = json.dumps(scores, sort_keys=True)
        item.passed = item.score >= config.pass_score(session)
        item.comments = comments.strip() or None
        item.reviewer_id = actor.user_id
        item.reviewed_at = clock.now()
        item.status = "reviewed"
        corrective = None
        if not item.passed:
            owner_id = item.agent_id
            if action_owner:
                owner = session.exec(
                    select(UserAccount).where(UserAccount.username == action_owner)
                ).first()
                if owner is None:
                    raise ValidationError(f"unknown user {action_owner}", field="action_owner")
                owner_id = owner.id
            if owner_id is None:
                raise ValidationError("name who owns the corrective action", field="action_owner")
            corrective = CorrectiveAction(
                review_id=item.id or 0,
                owner_id=owner_id,
                description=(action or "").strip()
                or f"改善 {item.score}% < 標準: {item.comments or 'see review'}",
                due_date=action_due or clock.today() + timedelta(days=ACTION_DAYS),
            )
            session.add(corrective)
        session.flush()
        return item, corrective


def close_action(store: Store, actor: Actor, action_id: int, seen_version: int) -> CorrectiveAction:
    """Mark a corrective action done (its owner or a reviewer)."""
    with store.write(actor) as session:
        action = update_record(session, CorrectiveAction, action_id, seen_version, {})
        if action.owner_id != actor.user_id:  # the owner needs no other permission
            require(actor, "ticket.review")
        if action.status != "open":
            raise ValidationError(f"{action.code} is already {action.status}")
        action.status = "done"
        action.done_on = clock.today()
        session.flush()
        return action


@alerts.source("quality")
def quality_alerts(session: Session, now: datetime) -> Iterator[alerts.Alert]:
    """Corrective actions past their due date."""
    today = now.astimezone(clock.local_zone()).date()
    rows = session.exec(
        select(CorrectiveAction, UserAccount.username)
        .join(UserAccount, col(UserAccount.id) == CorrectiveAction.owner_id)
        .where(CorrectiveAction.status == "open", col(CorrectiveAction.due_date) < today)
    ).all()
    for action, username in rows:
        yield alerts.Alert(
            "warning",
            "tickets",
            action.code or "",
            f"corrective action overdue by {(today - action.due_date).days} days",
            users=(username,),
        )
