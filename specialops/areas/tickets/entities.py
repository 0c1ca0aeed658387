"""Import/export descriptions of tickets, follow-ups and quality reviews.

Tickets and follow-ups are written with ``ticket.work``, reviews with
``ticket.review``, as the desk's actions are. A ticket's assignee changes
only as :func:`actions.assign` changes it: with ``ticket.assign``, on an
open ticket already past new (assigning a new one is the workflow's assign
step), to an active user who works tickets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlmodel import Session, col, select

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
from specialops.entities import EntitySpec, FieldSpec, Refusal, RowChange, register
from specialops.errors import ValidationError
from specialops.identity import Actor
from specialops.models.core import UserAccount
from specialops.permissions import lacks

WORK = "ticket.work"
LOOKUP_CHUNK = 500  # ids per query when the file does not carry the tickets' status


def _ticket_deriver(store: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    from specialops.areas.tickets.derive import deriver

    return deriver(store)


def _govern_tickets(session: Session, actor: Actor, rows: Iterator[RowChange]) -> Iterator[Refusal]:
    """Assignee changes as :func:`actions.assign` makes them."""
    from specialops.areas.tickets import actions

    lack = lacks(actor, "ticket.assign")
    names = dict(session.exec(select(UserAccount.id, UserAccount.username)).all())
    agents: dict[str, str | None] = {}  # the desk's own check, once per assignee

    def refusal(status: str, code: str, assignee: int | None) -> str | None:
        if lack:
            return lack
        if status == "new":
            return (
                f"{code} is new: assigning it is the workflow's assign step (new → assigned), "
                "taken in the app"
            )
        if closed := actions.not_open(code, status):
            return closed
        if assignee is None:
            return "an assigned ticket keeps an assignee; name the agent who takes it over"
        username = str(names.get(assignee, ""))
        if username not in agents:
            try:
                actions.agent_named(session, username)
                agents[username] = None
            except ValidationError as error:
                agents[username] = str(error)
        return agents[username]

    waiting: list[RowChange] = []  # updates whose status the file does not give
    for row in rows:
        if row.is_new:
            status, code = row.new.get("status") or "new", row.new.get("code") or "the ticket"
        elif "status" in row.old:
            status, code = row.old["status"], row.old.get("code") or "the ticket"
        else:
            waiting.append(row)
            continue
        if reason := refusal(status, code, row.new.get("assignee_id")):
            yield Refusal(row.line, "assignee", reason)
    for start in range(0, len(waiting), LOOKUP_CHUNK):
        block = waiting[start : start + LOOKUP_CHUNK]
        found = {
            id_: (status, code)
            for id_, status, code in session.exec(
                select(Ticket.id, Ticket.status, Ticket.code).where(
                    col(Ticket.id).in_([r.record_id for r in block])
                )
            ).all()
        }
        for row in block:
            status, code = found[row.record_id]
            if reason := refusal(status, code or "the ticket", row.new.get("assignee_id")):
                yield Refusal(row.line, "assignee", reason)


TICKETS = register(
    EntitySpec(
        "tickets",
        Ticket,
        key="code",
        label="工單",
        write_action=WORK,
        governor=_govern_tickets,
        guarded=("assignee",),
        fields=(
            FieldSpec(
                "code", max_length=16, help="TKT-000001; empty on new rows to get a new code"
            ),
            FieldSpec(
                "customer",
                "ref",
                ref="customers",
                help="customer code (CUS-000001)",
                aliases=("客戶", "客户", "客戶編號", "客户编号"),
            ),
            FieldSpec(
                "channel",
                "choice",
                choices=TICKET_CHANNELS,
                help="defaults to hotline",
                aliases=("渠道", "管道", "來源", "来源"),
            ),
            FieldSpec(
                "type",
                "choice",
                choices=TICKET_TYPES,
                help="defaults to consultation",
                aliases=("類型", "类型", "工單類型", "工单类型"),
            ),
            FieldSpec(
                "priority",
                "choice",
                choices=TICKET_PRIORITIES,
                help="defaults to normal",
                aliases=("優先級", "优先级", "優先順序", "緊急程度", "紧急程度"),
            ),
            FieldSpec(
                "category",
                max_length=64,
                help="routes the ticket to a department",
                aliases=("分類", "分类", "類別", "类别"),
            ),
            FieldSpec(
                "subject",
                required=True,
                max_length=200,
                help="one line",
                aliases=("主旨", "主题", "主題", "標題", "标题"),
            ),
            FieldSpec(
                "description",
                help="what the customer asked or reported",
                aliases=("描述", "內容", "内容", "問題描述", "问题描述"),
            ),
            FieldSpec(
                "department",
                "ref",
                ref="departments",
                help="empty: routed by category",
                aliases=("部門", "部门"),
            ),
            FieldSpec(
                "assignee",
                "ref",
                ref="users",
                help="login of the agent",
                aliases=("處理人", "处理人", "負責人", "负责人", "客服"),
            ),
            FieldSpec(
                "status",
                "choice",
                choices=TICKET_STATUSES,
                workflow="tickets",
                new_in_any_state=True,
                help="new rows default to new; later changes through the ticket workflow",
            ),
            FieldSpec(
                "opened_at",
                "datetime",
                help="ISO 8601; empty: now",
                aliases=("建立時間", "创建时间", "開單時間", "开单时间"),
            ),
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
        write_action=WORK,
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
        write_action="ticket.review",
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
