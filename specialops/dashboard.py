"""Figures for the home dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from specialops.identity import Actor
from specialops.models.workflow import ApprovalRequest
from specialops.store.store import Store


@dataclass(frozen=True)
class PendingApproval:
    """An approval request waiting for the user (or for their role)."""

    id: int
    workflow: str
    record_id: int
    transition: str
    requested_by: str
    requested_at: datetime


def names_approver(approvers: str, actor: Actor) -> bool:
    """Whether an ``approvers`` list (``user,role:NAME,...``) names ``actor`` or their role."""
    entries = {part.strip() for part in approvers.split(",") if part.strip()}
    return actor.username in entries or f"role:{actor.role}" in entries


def pending_approvals(
    store: Store, actor: Actor, limit: int = 50
) -> tuple[int, list[PendingApproval]]:
    """How many pending approval requests name the user or their role, and the oldest ones."""
    request = ApprovalRequest.__table__.c
    statement = (
        select(
            request.id,
            request.workflow,
            request.record_id,
            request.transition,
            request.requested_by,
            request.requested_at,
            request.approvers,
        )
        .where(request.status == "pending")
        .order_by(request.requested_at, request.id)
    )
    found: list[PendingApproval] = []
    total = 0
    with store.read() as session:
        for row in session.execute(statement):
            if not names_approver(row.approvers or "", actor):
                continue
            total += 1
            if len(found) < limit:
                found.append(
                    PendingApproval(
                        row.id,
                        row.workflow,
                        row.record_id,
                        row.transition,
                        row.requested_by,
                        row.requested_at,
                    )
                )
    return total, found
