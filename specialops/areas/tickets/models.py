"""Service desk tables (CS-2…4): tickets and their conversation, follow-ups, quality reviews.

Deadlines are kept on the ticket (``response_due``, ``resolve_due``, and
``due_at``/``warn_at`` for the next one) whenever its clock changes, so
the queue sorts and filters by deadline in SQL with an index.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field

from specialops.models.base import Record


class Ticket(Record, table=True):
    """A consultation, complaint or request; ``code`` is ``TKT-000001``."""

    __tablename__ = "tickets"
    __entity__ = "tickets"
    __code_prefix__ = "TKT"
    __code_width__ = 6
    __table_args__ = (
        Index("ix_tickets_due_at_id", "due_at", "id"),
        Index("ix_tickets_opened_at_id", "opened_at", "id"),
        Index("ix_tickets_status_due", "status", "due_at", "id"),
        Index("ix_tickets_priority_due", "priority", "due_at", "id"),
        Index("ix_tickets_channel_due", "channel", "due_at", "id"),
        Index("ix_tickets_assignee_due", "assignee_id", "due_at", "id"),
        Index("ix_tickets_department_due", "department_id", "due_at", "id"),
        Index("ix_tickets_customer_opened", "customer_id", "opened_at"),
        Index("ix_tickets_resolved_at", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True)
    customer_id: int | None = Field(default=None, foreign_key="customers.id")
    channel: str = Field(default="hotline", max_length=16)
    type: str = Field(default="consultation", max_length=16)
    priority: str = Field(default="normal", max_length=16)
    category: str = Field(default="", max_length=64)
    subject: str = Field(max_length=200)
    description: str = ""
    department_id: int | None = Field(default=None, foreign_key="departments.id")
    assignee_id: int | None = Field(default=None, foreign_key="users.id")
    status: str = Field(default="new", max_length=16)
    opened_at: datetime
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    response_due: datetime | None = None
    resolve_due: datetime | None = None
    due_at: datetime | None = None
    warn_at: datetime | None = None
    paused_at: datetime | None = None
    paused_seconds: int = 0
    response_breached: bool = False
    resolve_breached: bool = False
    escalated_at: datetime | None = None
    escalated_to: str | None = Field(default=None, max_length=64)


class TicketMessage(Record, table=True):
    """One entry of a ticket's conversation: a reply to the customer, an internal
    note, or what the customer said."""

    __tablename__ = "ticket_messages"
    __entity__ = "ticket_messages"
    __table_args__ = (Index("ix_ticket_messages_ticket_id", "ticket_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id")
    kind: str = Field(max_length=16)
    author: str = Field(max_length=64)
    body: str
    at: datetime


class FollowUp(Record, table=True):
    """A follow-up visit (回訪) of a customer, after a ticket or on a schedule."""

    __tablename__ = "followups"
    __entity__ = "followups"
    __code_prefix__ = "FUP"
    __code_width__ = 6
    __table_args__ = (
        Index("ix_followups_status_due", "status", "due_date", "id"),
        Index("ix_followups_customer_due", "customer_id", "due_date"),
        Index("ix_followups_assignee_status", "assignee_id", "status"),
        Index("ix_followups_ticket_id", "ticket_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    customer_id: int = Field(foreign_key="customers.id")
    kind: str = Field(default="manual", max_length=16)
    due_date: date
    assignee_id: int | None = Field(default=None, foreign_key="users.id")
    status: str = Field(default="scheduled", max_length=16)
    satisfaction: int | None = None
    comments: str | None = None
    done_at: datetime | None = None


class QualityReview(Record, table=True):
    """A sampled ticket in the review queue and, once reviewed, its checklist scores."""

    __tablename__ = "quality_reviews"
    __entity__ = "reviews"
    __code_prefix__ = "QAR"
    __code_width__ = 6
    __table_args__ = (
        Index("ix_quality_reviews_status_id", "status", "id"),
        Index("ix_quality_reviews_agent_week", "agent_id", "week"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True)
    ticket_id: int = Field(foreign_key="tickets.id", unique=True)
    agent_id: int | None = Field(default=None, foreign_key="users.id")
    week: date
    status: str = Field(default="queued", max_length=16)
    reviewer_id: int | None = Field(default=None, foreign_key="users.id")
    scores: str | None = None
    score: int | None = Field(default=None, description="percent 0-100")
    passed: bool | None = None
    comments: str | None = None
    reviewed_at: datetime | None = None


class CorrectiveAction(Record, table=True):
    """What a below-standard review asks of the agent, tracked to closure."""

    __tablename__ = "corrective_actions"
    __entity__ = "corrective_actions"
    __code_prefix__ = "CAR"
    __code_width__ = 5
    __table_args__ = (Index("ix_corrective_actions_status_due", "status", "due_date"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=16, unique=True)
    review_id: int = Field(foreign_key="quality_reviews.id", index=True)
    owner_id: int = Field(foreign_key="users.id")
    description: str
    due_date: date
    status: str = Field(default="open", max_length=16)
    done_on: date | None = None
