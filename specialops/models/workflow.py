"""Tables of the workflow engine: time in each state, approvals and votes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from specialops import clock


class StateHistory(SQLModel, table=True):
    """One stay of a record in one state; ``left_at`` is empty while it is still there."""

    __tablename__ = "state_history"

    id: int | None = Field(default=None, primary_key=True)
    workflow: str = Field(max_length=64, index=True)
    record_id: int = Field(index=True)
    state: str = Field(max_length=32)
    entered_at: datetime = Field(default_factory=clock.now)
    left_at: datetime | None = None
    entered_by: str = Field(max_length=64)
    comment: str | None = None


class ApprovalRequest(SQLModel, table=True):
    """A transition waiting for approval by one or N of M people or roles."""

    __tablename__ = "approval_requests"

    id: int | None = Field(default=None, primary_key=True)
    workflow: str = Field(max_length=64, index=True)
    record_id: int = Field(index=True)
    transition: str = Field(max_length=64)
    from_state: str = Field(max_length=32, description="the state the record was in when asked")
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(default_factory=clock.now)
    approvers: str = Field(description="comma-separated usernames or role:NAME entries")
    needed: int = Field(default=1)
    status: str = Field(default="pending", max_length=16, index=True)
    decided_at: datetime | None = None
    comment: str | None = None
    payload: str | None = Field(default=None, description="JSON arguments of the transition")


class ApprovalVote(SQLModel, table=True):
    """One person's decision on a request; each person votes once per request."""

    __tablename__ = "approval_votes"
    __table_args__ = (UniqueConstraint("request_id", "username"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="approval_requests.id", index=True)
    username: str = Field(max_length=64)
    role: str = Field(max_length=16, description="the voter's role when they voted")
    decision: str = Field(max_length=16)
    comment: str | None = None
    at: datetime = Field(default_factory=clock.now)
