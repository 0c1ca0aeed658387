"""The risk register (RSK-1…4): identify, assess, respond, monitor, warn.

Every rule lives here; the risk screens and the command line only call
these functions. States move only through the ``risks`` workflow.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from specialops import alerts, audit, clock, measures, settings
from specialops import workflow as wf
from specialops.areas.people import lookup
from specialops.areas.risks import rules
from specialops.areas.risks.entities import STATUS_CHOICES, STRATEGY_CHOICES
from specialops.areas.risks.models import (
    IndicatorReading,
    Risk,
    RiskAction,
    RiskAssessment,
    RiskCategory,
    RiskIndicator,
)
from specialops.errors import NotFound, ValidationError
from specialops.identity import Actor
from specialops.models.core import Department, UserAccount
from specialops.permissions import require
from specialops.store.session import log
from specialops.store.store import Store

MATRIX = settings.Key(
    "risk.matrix", rules.Matrix, load=rules.Matrix.from_json, dump=rules.Matrix.to_json
)
# Strategies, statuses and their labels are the import/export description's choices.
STRATEGIES = tuple(c.value for c in STRATEGY_CHOICES)
STRATEGY_LABELS = {c.value: c.zh_hant for c in STRATEGY_CHOICES}
STATUSES = tuple(c.value for c in STATUS_CHOICES)
STATUS_LABELS = {c.value: c.zh_hant for c in STATUS_CHOICES}
BUILTIN_CATEGORIES = (
    ("market", "Market", "市場"),
    ("technical", "Technical", "技術"),
    ("legal", "Legal", "法律"),
    ("personnel", "Personnel", "人員"),
)
ACTION_STATUSES = ("open", "in_progress", "done", "cancelled")
OPEN_ACTION_STATUSES = rules.OPEN_ACTION_STATUSES
HIGH_LEVELS = ("high", "critical")


# --- the workflow ---------------------------------------------------------------------------


def _assessed(_s: Session, risk: Risk, _a: Actor, _p: Any) -> str | None:
    return None if risk.level else "assess the risk's likelihood and impact first"


def _strategy_given(_s: Session, risk: Risk, _a: Actor, payload: Any) -> str | None:
    if payload is None:
        return None
    strategy = payload.get("strategy")
    if strategy not in STRATEGIES:
        return f"choose a strategy: {', '.join(STRATEGIES)}"
    if strategy == "accept":
        return "to accept the risk use 'accept'"
    return None


def _low_enough(_s: Session, risk: Risk, _a: Actor, _p: Any) -> str | None:
    if _current_level(risk) in HIGH_LEVELS:
        return "accepting a high or critical risk needs an executive's approval"
    return None


def _high(_s: Session, risk: Risk, _a: Actor, _p: Any) -> str | None:
    if _current_level(risk) not in HIGH_LEVELS:
        return "only high or critical risks go to an executive for acceptance"
    return None


def _has_actions(session: Session, risk: Risk, _a: Actor, _p: Any) -> str | None:
    count = session.exec(
        select(func.count()).select_from(RiskAction).where(RiskAction.risk_id == risk.id)
    ).one()
    return None if count else "add at least one response action first"


def _set_strategy(_s: Session, risk: Risk, _a: Actor, payload: Any) -> None:
    risk.strategy = payload.get("strategy", risk.strategy)


def _set_accept(_s: Session, risk: Risk, _a: Actor, _p: Any) -> None:
    risk.strategy = "accept"


RISKS = wf.register(
    wf.Workflow(
        name="risks",
        model=Risk,
        state_field="status",
        states=STATUSES,
        labels=STATUS_LABELS,
        transitions=[
            wf.Transition(
                "assess",
                ["identified"],
                "assessed",
                "mark assessed",
                permission="risk.manage",
                guards=[_assessed],
            ),
            wf.Transition(
                "respond",
                ["assessed", "monitoring"],
                "responding",
                "plan a response",
                permission="risk.manage",
                guards=[_assessed, _strategy_given],
                effect=_set_strategy,
            ),
            wf.Transition(
                "accept",
                ["assessed", "responding"],
                "monitoring",
                "accept the risk",
                permission="risk.manage",
                guards=[_assessed, _low_enough],
                needs_comment=True,
                effect=_set_accept,
            ),
            wf.Transition(
                "accept_high",
                ["assessed", "responding"],
                "monitoring",
                "accept a high risk (executive approval)",
                permission="risk.manage",
                guards=[_assessed, _high],
                needs_comment=True,
                approval=wf.Approval(["role:executive"], needed=1),
                effect=_set_accept,
            ),
            wf.Transition(
                "monitor",
                ["responding"],
                "monitoring",
                "responses in place: monitor",
                permission="risk.manage",
                guards=[_has_actions],
            ),
            wf.Transition(
                "reassess",
                ["responding", "monitoring"],
                "assessed",
                "reassess",
                permission="risk.manage",
            ),
            wf.Transition(
                "close",
                ["monitoring", "identified", "assessed"],
                "closed",
                "close",
                permission="risk.manage",
                needs_comment=True,
            ),
            wf.Transition(
                "reopen",
                ["closed"],
                "identified",
                "reopen",
                permission="risk.manage",
                needs_comment=True,
            ),
        ],
    )
)


def _current_level(risk: Risk) -> str | None:
    return risk.residual_level or risk.level


# --- configuration --------------------------------------------------------------------------


def load_matrix(session: Session) -> rules.Matrix:
    """The configured risk matrix, or the default one."""
    return settings.get(session, MATRIX)


def set_matrix(store: Store, actor: Actor, grid: tuple[str, ...]) -> rules.Matrix:
    """Replace the matrix (admins); existing risks keep their level until reassessed."""
    require(actor, "risk.configure")
    matrix = rules.Matrix(tuple(row.upper() for row in grid))
    settings.put(store, actor, MATRIX, matrix, permission="risk.configure")
    return matrix


def categories(session: Session) -> list[RiskCategory]:
    rows = list(session.exec(select(RiskCategory).order_by(RiskCategory.id)).all())
    if rows:
        return rows
    return [RiskCategory(code=c, name=n, name_zh=z) for c, n, z in BUILTIN_CATEGORIES]


def ensure_categories(session: Session) -> None:
    """Store the built-in categories when the table is empty."""
    if session.exec(select(RiskCategory.id).limit(1)).first() is None:
        for code, name, name_zh in BUILTIN_CATEGORIES:
            session.add(RiskCategory(code=code, name=name, name_zh=name_zh))
        session.flush()


def add_category(store: Store, actor: Actor, code: str, name: str, name_zh: str) -> None:
    require(actor, "risk.configure")
    with store.write(actor) as session:
        ensure_categories(session)
        if session.exec(select(RiskCategory).where(RiskCategory.code == code)).first():
            raise ValidationError(f"category {code} already exists", field="code")
        session.add(RiskCategory(code=code, name=name, name_zh=name_zh))


def parse_money(text: str, field_name: str = "loss_amount") -> int | None:
    """A typed amount (``1,250,000.50``) in minor units, read as imports read it."""
    from specialops.entities import get
    from specialops.io.convert import CellError, importer

    spec = get("risks").by_name[field_name]
    try:
        return importer(spec, required=False)(text)
    except CellError as error:
        raise ValidationError(f"{field_name}: {error}", field=field_name) from None


# --- identify, assess, respond --------------------------------------------------------------


def _user(session: Session, username: str, field_name: str = "owner") -> UserAccount:
    # a risk keeps its owner after the login is deactivated
    return lookup.user_named(session, username, field_name, active_only=False)


def _department(session: Session, code: str | None) -> int | None:
    return lookup.department_id(session, code)


def identify(
    store: Store,
    actor: Actor,
    *,
    title: str,
    category: str,
    owner: str,
    department: str | None = None,
    description: str = "",
    cause: str = "",
    consequence: str = "",
    linked: str | None = None,
    review_days: int = 90,
) -> Risk:
    """Register a new risk (status identified) with its first review date."""
    require(actor, "risk.manage")
    if not title.strip():
        raise ValidationError("a risk needs a title", field="title")
    if review_days < 1:
        raise ValidationError("the review cadence is at least one day", field="review_days")
    with store.write(actor) as session:
        ensure_categories(session)
        if category not in {c.code for c in categories(session)}:
            raise ValidationError(f"unknown risk category {category}", field="category")
        owner_user = _user(session, owner)
        risk = Risk(
            title=title.strip(),
            category=category,
            owner=owner,
            department_id=_department(session, department) or owner_user.department_id,
            description=description,
            cause=cause,
            consequence=consequence,
            linked=linked or None,
            review_days=review_days,
            next_review=clock.today() + timedelta(days=review_days),
        )
        session.add(risk)
        session.flush()
        wf.enter_initial(session, RISKS, risk, actor)
        return risk


def assess(
    store: Store,
    actor: Actor,
    risk_id: int,
    seen_version: int,
    *,
    likelihood: int,
    impact: int,
    residual: bool = False,
    probability: int | None = None,
    loss_amount: int | None = None,
    note: str | None = None,
) -> Risk:
    """Record an inherent (or residual) assessment, keep it as history, set the level.

    A first inherent assessment moves an identified risk to assessed.
    """
    require(actor, "risk.manage")
    rules.check_scale(likelihood, "likelihood")
    rules.check_scale(impact, "impact")
    expected = rules.expected_loss(probability, loss_amount)
    with store.write(actor) as session:
        risk = _load(session, risk_id, seen_version)
        level = load_matrix(session).level(likelihood, impact)
        session.add(
            RiskAssessment(
                risk_id=risk_id,
                kind="residual" if residual else "inherent",
                likelihood=likelihood,
                impact=impact,
                level=level,
                probability=probability,
                loss_amount=loss_amount,
                expected_loss=expected,
                note=note,
                assessed_by=actor.username,
                assessed_at=clock.now(),
            )
        )
        if residual:
            risk.residual_likelihood, risk.residual_impact = likelihood, impact
            risk.residual_level = level
        else:
            risk.likelihood, risk.impact, risk.level = likelihood, impact, level
        if probability is not None or loss_amount is not None:
            risk.probability, risk.loss_amount, risk.expected_loss = (
                probability,
                loss_amount,
                expected,
            )
        risk.next_review = clock.today() + timedelta(days=risk.review_days)
        session.flush()
        if risk.status == "identified" and not residual:
            wf.apply(session, RISKS, risk.id, risk.version, "assess", actor, comment=note)
        return risk


def transition(
    store: Store,
    actor: Actor,
    risk_id: int,
    seen_version: int,
    name: str,
    comment: str | None = None,
    payload: dict[str, Any] | None = None,
) -> wf.TransitionResult:
    """Take a workflow step on a risk (respond, accept, monitor, close …)."""
    return wf.apply(store, RISKS, risk_id, seen_version, name, actor, comment, payload)


def _load(session: Session, risk_id: int, seen_version: int) -> Risk:
    from specialops.store.records import update_record

    return update_record(session, Risk, risk_id, seen_version, {})


# --- actions --------------------------------------------------------------------------------


def add_action(
    store: Store,
    actor: Actor,
    risk_id: int,
    *,
    title: str,
    owner: str,
    due_date: date | None,
    department: str | None = None,
) -> RiskAction:
    require(actor, "risk.manage")
    if not title.strip():
        raise ValidationError("an action needs a title", field="title")
    with store.write(actor) as session:
        if session.get(Risk, risk_id) is None:
            raise NotFound("the risk no longer exists")
        user = _user(session, owner)
        action = RiskAction(
            risk_id=risk_id,
            title=title.strip(),
            owner=owner,
            department_id=_department(session, department) or user.department_id,
            due_date=due_date,
        )
        session.add(action)
        session.flush()
        return action


def set_action_status(
    store: Store, actor: Actor, action_id: int, seen_version: int, status: str
) -> RiskAction:
    from specialops.store.records import update_record

    require(actor, "risk.manage")
    if status not in ACTION_STATUSES:
        raise ValidationError(f"status is one of {', '.join(ACTION_STATUSES)}", field="status")
    with store.write(actor) as session:
        changes: dict[str, Any] = {"status": status}
        changes["done_on"] = clock.today() if status == "done" else None
        return update_record(session, RiskAction, action_id, seen_version, changes)


# --- indicators -----------------------------------------------------------------------------


def add_indicator(
    store: Store,
    actor: Actor,
    risk_id: int,
    *,
    name: str,
    unit: str,
    direction: str,
    warning: float,
    critical: float,
    feed: str | None = None,
    feed_arg: str | None = None,
) -> RiskIndicator:
    from specialops import areas
    from specialops.areas.risks import feeds as risk_feeds

    require(actor, "risk.manage")
    areas.load()  # the areas register the figures indicators can be fed from
    rules.check_thresholds(direction, warning, critical)
    if feed and feed not in risk_feeds.FEEDS:
        raise ValidationError(
            f"unknown feed {feed}; choose one of: {', '.join(risk_feeds.FEEDS)}", field="feed"
        )
    with store.write(actor) as session:
        if session.get(Risk, risk_id) is None:
            raise NotFound("the risk no longer exists")
        indicator = RiskIndicator(
            risk_id=risk_id,
            name=name,
            unit=unit,
            direction=direction,
            warning=warning,
            critical=critical,
            feed=feed,
            feed_arg=feed_arg,
        )
        session.add(indicator)
        session.flush()
        return indicator


def latest_readings(
    session: Session, indicator_ids: Sequence[int] | None = None
) -> dict[int, IndicatorReading]:
    """The newest reading of each indicator (by time): the indicator's current state."""
    return measures.latest(
        session,
        IndicatorReading,
        IndicatorReading.indicator_id,
        (col(IndicatorReading.at).desc(), col(IndicatorReading.id).desc()),
        indicator_ids,
    )


def record_reading_in(
    session: Session,
    actor: Actor,
    indicator: RiskIndicator,
    value: float,
    at: datetime | None = None,
    source: str = "manual",
) -> measures.ReadingResult:
    """Check a new reading at once; a crossing is kept in the risk's history.

    A reading that is not a finite number in range (``inf``, ``nan``) is refused
    with a ValidationError on ``value`` and nothing is written.
    """
    value = measures.finite(value, "value")
    thresholds = rules.INDICATOR.thresholds(
        indicator.direction, indicator.warning, indicator.critical
    )
    last = latest_readings(session, [indicator.id]).get(indicator.id)  # type: ignore[list-item]
    previous = last.level if last else None
    change = rules.INDICATOR.reading(previous, value, thresholds)
    level, moved = rules.INDICATOR.name(change.current), change.crossed
    session.add(
        IndicatorReading(
            indicator_id=indicator.id,
            at=at or clock.now(),
            value=value,
            level=level,
            previous_level=previous,
            crossed=moved,
            source=source,
            recorded_by=actor.username,
        )
    )
    session.flush()
    if moved:
        risk = session.get(Risk, indicator.risk_id)
        log(
            session,
            audit.Event(
                action="threshold",
                entity="risks",
                code=risk.code if risk else None,
                record_id=indicator.risk_id,
                before={"indicator": indicator.code, "level": previous or "ok"},
                after={"indicator": indicator.code, "level": level, "value": value},
                comment=f"{indicator.name}: {previous or 'ok'} → {level}",
            ),
        )
    return measures.ReadingResult(indicator.code or "", value, level, previous, moved)


def record_reading(
    store: Store, actor: Actor, indicator_id: int, value: float, at: datetime | None = None
) -> measures.ReadingResult:
    """Record a typed reading of an indicator (a finite number: see :func:`record_reading_in`)."""
    require(actor, "risk.manage")
    value = measures.finite(value, "value")
    with store.write(actor) as session:
        indicator = session.get(RiskIndicator, indicator_id)
        if indicator is None:
            raise NotFound("the indicator no longer exists")
        return record_reading_in(session, actor, indicator, value, at)


# --- views for screens ----------------------------------------------------------------------


def heat_map(
    session: Session, *, residual: bool = False, include_closed: bool = False
) -> dict[tuple[int, int], int]:
    """Counts per (likelihood, impact) cell, from inherent or residual ratings."""
    lik = Risk.residual_likelihood if residual else Risk.likelihood
    imp = Risk.residual_impact if residual else Risk.impact
    query = select(lik, imp, func.count()).where(col(lik).is_not(None), col(imp).is_not(None))
    if not include_closed:
        query = query.where(Risk.status != "closed")
    return {(int(l_), int(i)): n for l_, i, n in session.exec(query.group_by(lik, imp)).all()}


def get_risk(session: Session, code: str) -> Risk:
    risk = session.exec(select(Risk).where(Risk.code == code)).first()
    if risk is None:
        raise NotFound(f"no risk {code}")
    return risk


@dataclass
class RiskDetail:
    risk: Risk
    department: str | None
    assessments: list[RiskAssessment]
    actions: list[RiskAction]
    indicators: list[tuple[RiskIndicator, list[IndicatorReading]]]
    history: list[Any]
    pending_approval: bool


def detail(session: Session, code: str) -> RiskDetail:
    """Everything the risk detail screen shows, in one read."""
    from specialops.audit_view import readable
    from specialops.models.core import AuditEntry

    risk = get_risk(session, code)
    department = session.get(Department, risk.department_id) if risk.department_id else None
    assessments = session.exec(
        select(RiskAssessment)
        .where(RiskAssessment.risk_id == risk.id)
        .order_by(col(RiskAssessment.assessed_at).desc(), col(RiskAssessment.id).desc())
    ).all()
    actions = session.exec(
        select(RiskAction).where(RiskAction.risk_id == risk.id).order_by(RiskAction.id)
    ).all()
    indicators = []
    for indicator in session.exec(
        select(RiskIndicator).where(RiskIndicator.risk_id == risk.id).order_by(RiskIndicator.id)
    ).all():
        readings = session.exec(
            select(IndicatorReading)
            .where(IndicatorReading.indicator_id == indicator.id)
            .order_by(col(IndicatorReading.at).desc(), col(IndicatorReading.id).desc())
            .limit(30)
        ).all()
        indicators.append((indicator, list(reversed(readings))))
    history = session.exec(
        select(AuditEntry)
        .where(AuditEntry.entity == "risks", AuditEntry.record_id == risk.id)
        .order_by(col(AuditEntry.id).desc())
        .limit(50)
    ).all()
    pending = bool(wf.requests_for(session, RISKS, risk.id))
    return RiskDetail(
        risk,
        department.name if department else None,
        list(assessments),
        list(actions),
        indicators,
        readable(session, history),
        pending,
    )


# --- alerts ---------------------------------------------------------------------------------


@alerts.source("risks")
def risk_alerts(session: Session, now: datetime) -> Iterator[alerts.Alert]:
    """Indicator levels, overdue reviews and overdue actions."""
    today = now.astimezone(clock.local_zone()).date()
    rows = session.exec(
        select(RiskIndicator, Risk)
        .join(Risk, col(Risk.id) == RiskIndicator.risk_id)
        .where(Risk.status != "closed")
    ).all()
    latest = latest_readings(session)
    for indicator, risk in rows:
        reading = latest.get(indicator.id)  # type: ignore[arg-type]
        if reading is None or reading.level not in ("warning", "critical"):
            continue
        sign = "≥" if indicator.direction == "higher_worse" else "≤"
        limit = indicator.critical if reading.level == "critical" else indicator.warning
        yield alerts.Alert(
            reading.level,
            "risks",
            risk.code or "",
            f"{indicator.code} {indicator.name} = {reading.value:g}{indicator.unit} "
            f"({reading.level} {sign} {limit:g}{indicator.unit})",
            users=(risk.owner,),
            departments=(risk.department_id,) if risk.department_id else (),
        )
    for risk in session.exec(
        select(Risk).where(Risk.status != "closed", col(Risk.next_review) < today)
    ).all():
        days = (today - risk.next_review).days if risk.next_review else 0
        yield alerts.Alert(
            "warning",
            "risks",
            risk.code or "",
            f"review overdue by {days} days: {risk.title}",
            users=(risk.owner,),
            departments=(risk.department_id,) if risk.department_id else (),
        )
    for action, risk in session.exec(
        select(RiskAction, Risk)
        .join(Risk, col(Risk.id) == RiskAction.risk_id)
        .where(col(RiskAction.status).in_(OPEN_ACTION_STATUSES), col(RiskAction.due_date) < today)
    ).all():
        days = (today - action.due_date).days if action.due_date else 0
        yield alerts.Alert(
            "critical" if days > 14 else "warning",
            "risks",
            action.code or "",
            f"action overdue by {days} days: {action.title} ({risk.code})",
            users=(action.owner, risk.owner),
            departments=tuple(d for d in (action.department_id, risk.department_id) if d),
        )
