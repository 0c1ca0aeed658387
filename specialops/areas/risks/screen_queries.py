"""What the risk register and the risk detail show, as frozen views read in one short session."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, TypeVar

from specialops import workflow as wf
from specialops.areas.risks import actions, rules
from specialops.identity import Actor
from specialops.store.store import Store

View = TypeVar("View")


def _copy(view: type[View], row: Any, **extra: Any) -> View:
    """A view holding the row's attributes of the same names (and ``extra``)."""
    names = {f.name for f in fields(view)} - set(extra)  # type: ignore[arg-type]
    return view(**{name: getattr(row, name) for name in names}, **extra)


@dataclass(frozen=True)
class RegisterMap:
    """The heat map beside the register: the matrix, risks per cell, the category codes."""

    matrix: rules.Matrix
    counts: Mapping[tuple[int, int], int]
    categories: tuple[str, ...]


def register_map(store: Store, residual: bool = False) -> RegisterMap:
    """The matrix and the open risks per (likelihood, impact) cell, inherent or residual."""
    with store.read() as session:
        matrix = actions.load_matrix(session)
        counts = actions.heat_map(session, residual=residual)
        categories = tuple(c.code for c in actions.categories(session))
    return RegisterMap(matrix, dict(counts), categories)


@dataclass(frozen=True)
class RiskView:
    """The risk's own fields."""

    id: int
    version: int
    code: str | None
    title: str
    category: str
    owner: str
    status: str
    strategy: str | None
    linked: str | None
    next_review: date | None
    cause: str
    consequence: str
    likelihood: int | None
    impact: int | None
    level: str | None
    residual_likelihood: int | None
    residual_impact: int | None
    residual_level: str | None
    probability: int | None
    loss_amount: int | None
    expected_loss: int | None


@dataclass(frozen=True)
class AssessmentView:
    """One assessment in the risk's history."""

    assessed_at: datetime
    kind: str
    likelihood: int
    impact: int
    level: str
    assessed_by: str
    note: str | None


@dataclass(frozen=True)
class ActionView:
    """A response action."""

    id: int
    version: int
    code: str | None
    title: str
    owner: str
    due_date: date | None
    status: str


@dataclass(frozen=True)
class ReadingView:
    """One reading of an indicator."""

    value: float
    level: str


@dataclass(frozen=True)
class IndicatorView:
    """A key risk indicator with its latest readings, the oldest first."""

    id: int
    code: str | None
    name: str
    unit: str
    direction: str
    warning: float
    critical: float
    feed: str | None
    readings: tuple[ReadingView, ...]


@dataclass(frozen=True)
class HistoryLine:
    """One audit entry of the risk."""

    at: datetime
    username: str
    action: str
    comment: str | None


@dataclass(frozen=True)
class StepChoice:
    """A workflow step open to the user: its label and its name."""

    label: str
    name: str


@dataclass(frozen=True)
class RiskDetailView:
    """Everything the risk detail screen shows."""

    risk: RiskView
    department: str | None
    assessments: tuple[AssessmentView, ...]
    actions: tuple[ActionView, ...]
    indicators: tuple[IndicatorView, ...]
    history: tuple[HistoryLine, ...]
    pending_approval: bool
    steps: tuple[StepChoice, ...]  # the workflow steps ``actor`` may take now


def risk_detail(store: Store, actor: Actor, code: str) -> RiskDetailView:
    """One risk with its assessments, actions, indicators, history and the steps open now."""
    with store.read() as session:
        found = actions.detail(session, code)
        steps = tuple(StepChoice(t.label, t.name) for t in wf.available(session, found.risk, actor))
        return RiskDetailView(
            risk=_copy(RiskView, found.risk),
            department=found.department,
            assessments=tuple(_copy(AssessmentView, a) for a in found.assessments),
            actions=tuple(_copy(ActionView, a) for a in found.actions),
            indicators=tuple(
                _copy(
                    IndicatorView,
                    indicator,
                    readings=tuple(_copy(ReadingView, r) for r in readings),
                )
                for indicator, readings in found.indicators
            ),
            history=tuple(_copy(HistoryLine, entry) for entry in found.history),
            pending_approval=found.pending_approval,
            steps=steps,
        )
