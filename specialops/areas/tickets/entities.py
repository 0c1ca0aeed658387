"""Import/export descriptions of tickets, follow-ups and quality reviews."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from specialops.areas.tickets.choices import (
    FOLLOWUP_KINDS,
    FOLLOWUP_STATUSES,
    REVIEW_STATUSES,
    TICKET_CHANNELS,
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    TICKET_TYPES,
)
from specialops.areas.tickets.models import FollowUp, QualityReview, Ticket
from specialops.entities import EntitySpec, FieldSpec, register


def _ticket_deriver(store: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    from specialops.areas.tickets.derive import deriver

    return deriver(store)


TICKETS = register(
    EntitySpec(
        "tickets",
        Ticket,
        key="code",
        label="工單",
        fields=(
            FieldSpec(
                "code", max_length=16, help="TKT-000001; empty on new rows to get a new code"
            ),
            FieldSpec("customer", "ref", ref="customers", help="customer code (CUS-000001)"),
            FieldSpec("channel", "choice", choices=TICKET_CHANNELS, help="defaults to hotline"),
            FieldSpec("type", "choice", choices=TICKET_TYPES, help="defaults to consultation"),
            FieldSpec("priority", "choice", choices=TICKET_PRIORITIES, help="defaults to normal"),
            FieldSpec("category", max_length=64, help="routes the ticket to a department"),
            FieldSpec("subject", required=True, max_length=200, help="one line"),
            FieldSpec("description", help="what the customer asked or reported"),
            FieldSpec("department", "ref", ref="departments", help="empty: routed by category"),
            FieldSpec("assignee", "ref", ref="users", help="login of the agent"),
            FieldSpec(
                "status",
                "choice",
                choices=TICKET_STATUSES,
                workflow="tickets",
                new_in_any_state=True,
                help="new rows default to new; later changes through the ticket workflow",
            ),
            FieldSpec("opened_at", "datetime", help="ISO 8601; empty: now"),
        ),
        derive=_ticket_deriver,
        derived=(
            "opened_at",
            "department_id",
            "response_due",
            "resolve_due",
            "due_at",
            "warn_at",
            "paused_at",
        ),
    )
)

FOLLOWUPS = register(
    EntitySpec(
        "followups",
        FollowUp,
        key="code",
        label="回訪",
        fields=(
            FieldSpec("code", max_length=16, help="FUP-000001; empty on new rows"),
            FieldSpec("ticket", "ref", ref="tickets", help="ticket code it follows"),
            FieldSpec("customer", "ref", ref="customers", required=True, help="customer code"),
            FieldSpec("kind", "choice", choices=FOLLOWUP_KINDS, help="defaults to manual"),
            FieldSpec("due_date", "date", required=True, help="when to call"),
            FieldSpec("assignee", "ref", ref="users", help="login of who calls"),
            FieldSpec("status", "choice", choices=FOLLOWUP_STATUSES, help="defaults to scheduled"),
            FieldSpec("satisfaction", "int", min=1, max=5, help="1 to 5"),
            FieldSpec("comments", help="what the customer said"),
        ),
    )
)

REVIEWS = register(
    EntitySpec(
        "reviews",
        QualityReview,
        key="code",
        label="質檢",
        fields=(
            FieldSpec("code", max_length=16, help="QAR-000001; empty on new rows"),
            FieldSpec("ticket", "ref", ref="tickets", required=True, help="ticket code"),
            FieldSpec("agent", "ref", ref="users", help="login of the agent reviewed"),
            FieldSpec("week", "date", required=True, help="Monday of the sampled week"),
            FieldSpec("status", "choice", choices=REVIEW_STATUSES, help="defaults to queued"),
            FieldSpec("reviewer", "ref", ref="users", help="login of the reviewer"),
            FieldSpec("score", "int", min=0, max=100, help="percent of the checklist"),
            FieldSpec("passed", "bool", help="at or above the standard"),
            FieldSpec("comments", help="the reviewer's remarks"),
        ),
    )
)
