"""Risk register tables (RSK-1…4)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from specialops import clock
from specialops.models.base import Record


class RiskCategory(Record, table=True):
    __tablename__ = "risk_categories"
    __entity__ = "risk_categories"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=100)
    name_zh: str = Field(max_length=100)


class Risk(Record, table=True):
    """A risk: what could go wrong, how likely and how bad, and what is done about it.

    ``level`` and ``residual_level`` are kept from the matrix at each
    assessment so lists and the heat map can filter on them in SQL.
    """

    __tablename__ = "risks"
    __entity__ = "risks"
    __code_prefix__ = "RSK"
    __code_width__ = 4
    __table_args__ = (
        Index("ix_risks_level_id", "level", "id"),
        Index("ix_risks_residual_level_id", "residual_level", "id"),
        Index("ix_risks_status_id", "status", "id"),
        Index("ix_risks_owner_id", "owner", "id"),
        Index("ix_risks_next_review_id", "next_review", "id"),
        Index("ix_risks_title_id", "title", "id"),
        Index("ix_risks_cell", "likelihood", "impact", "id"),
        Index("ix_risks_residual_cell", "residual_likelihood", "residual_impact", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True, index=True)
    title: str = Field(max_length=200)
    category: str = Field(max_length=32, index=True)
    description: str = ""
    cause: str = ""
    consequence: str = ""
    linked: str | None = Field(default=None, max_length=32, index=True)
    department_id: int | None = Field(default=None, foreign_key="departments.id", index=True)
    owner: str = Field(max_length=64)
    status: str = Field(default="identified", max_length=16)
    likelihood: int | None = None
    impact: int | None = None
    level: str | None = Field(default=None, max_length=16)
    residual_likelihood: int | None = None
    residual_impact: int | None = None
    residual_level: str | None = Field(default=None, max_length=16)
    probability: int | None = Field(default=None, description="percent 0-100")
    loss_amount: int | None = Field(default=None, description="minor units (cents)")
    expected_loss: int | None = Field(default=None, description="minor units (cents)")
    strategy: str | None = Field(default=None, max_length=16)
    next_review: date | None = None
    review_days: int = 90


class RiskAssessment(SQLModel, table=True):
    """One assessment of a risk, kept as history (inherent or residual)."""

    __tablename__ = "risk_assessments"

    id: int | None = Field(default=None, primary_key=True)
    risk_id: int = Field(foreign_key="risks.id", index=True)
    kind: str = Field(max_length=16)
    likelihood: int
    impact: int
    level: str = Field(max_length=16)
    probability: int | None = None
    loss_amount: int | None = None
    expected_loss: int | None = None
    note: str | None = None
    assessed_by: str = Field(max_length=64)
    assessed_at: datetime = Field(default_factory=clock.now)


class RiskAction(Record, table=True):
    """A response action with an owner and a due date, tracked to closure."""

    __tablename__ = "risk_actions"
    __entity__ = "risk_actions"
    __code_prefix__ = "RAC"
    __code_width__ = 5
    __table_args__ = (Index("ix_risk_actions_status_due", "status", "due_date"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True, index=True)
    risk_id: int = Field(foreign_key="risks.id", index=True)
    title: str = Field(max_length=200)
    owner: str = Field(max_length=64)
    department_id: int | None = Field(default=None, foreign_key="departments.id")
    due_date: date | None = None
    status: str = Field(default="open", max_length=16)
    done_on: date | None = None


class RiskIndicator(Record, table=True):
    """A key risk indicator with warning and critical thresholds.

    ``feed`` names a source of specialops' own data that takes a reading
    each day instead of a person typing it.
    """

    __tablename__ = "risk_indicators"
    __entity__ = "indicators"
    __code_prefix__ = "KRI"
    __code_width__ = 4

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True, index=True)
    risk_id: int = Field(foreign_key="risks.id", index=True)
    name: str = Field(max_length=200)
    unit: str = Field(default="", max_length=16)
    direction: str = Field(default="higher_worse", max_length=16)
    warning: float
    critical: float
    feed: str | None = Field(default=None, max_length=64)
    feed_arg: str | None = Field(default=None, max_length=64)


class IndicatorReading(Record, table=True):
    """One reading of an indicator and the level it gave; the newest is the indicator's state."""

    __tablename__ = "risk_indicator_readings"
    __entity__ = "readings"
    __code_prefix__ = "RDG"
    __code_width__ = 7
    __table_args__ = (Index("ix_risk_indicator_readings_indicator_at", "indicator_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True, index=True)
    indicator_id: int = Field(foreign_key="risk_indicators.id")
    at: datetime = Field(default_factory=clock.now)
    value: float
    level: str = Field(max_length=16)
    previous_level: str | None = Field(default=None, max_length=16)
    crossed: bool = False
    source: str = Field(default="manual", max_length=16)
    recorded_by: str = Field(max_length=64)
