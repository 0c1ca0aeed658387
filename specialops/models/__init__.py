"""SQLModel tables. Importing this package registers every table."""

from specialops.models.base import Record, metadata
from specialops.models.core import (
    AuditEntry,
    CodeCounter,
    Department,
    UserAccount,
)
from specialops.models.workflow import ApprovalRequest, ApprovalVote, StateHistory

__all__ = [
    "ApprovalRequest",
    "ApprovalVote",
    "AuditEntry",
    "CodeCounter",
    "Department",
    "Record",
    "StateHistory",
    "UserAccount",
    "metadata",
]
