"""The core tables (people, audit, workflow, settings); each area keeps its own
tables in ``specialops.areas.<name>.models``, loaded by
:func:`specialops.areas.load_models`."""

from specialops.models.base import Record, metadata
from specialops.models.core import AuditEntry, CodeCounter, Department, Setting, UserAccount
from specialops.models.workflow import ApprovalRequest, ApprovalVote, StateHistory

__all__ = [
    "ApprovalRequest",
    "ApprovalVote",
    "AuditEntry",
    "CodeCounter",
    "Department",
    "Record",
    "Setting",
    "StateHistory",
    "UserAccount",
    "metadata",
]
