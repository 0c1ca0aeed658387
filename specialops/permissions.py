"""The one map from roles to the actions they may take.

Screens ask :func:`can` before showing an action; services call
:func:`require` before doing it. Areas add their actions to ``GRANTS``
here, so the whole policy reads in one place.
"""

from __future__ import annotations

from specialops.errors import PermissionDenied
from specialops.identity import Actor

ROLES: dict[str, str] = {
    "admin": "系統管理員 administrator",
    "executive": "高層 executive",
    "manager": "經理 manager",
    "staff": "職員 staff",
    "agent": "客服 service agent",
    "auditor": "稽核 auditor",
}

_ALL = "*"

GRANTS: dict[str, set[str]] = {
    "admin": {_ALL},
    "executive": {
        "app.open",
        "records.read",
        "alerts.read",
        "audit.read",
        "data.export",
        "project.propose",
        "project.approve",
        "project.close",
        "project.review",
        "project.accept",
        "risk.accept_high",
        "customer.read",
        "customer.reveal_pii",
        "ticket.read",
        "approval.vote",
    },
    "manager": {
        "app.open",
        "records.read",
        "records.write",
        "alerts.read",
        "audit.read",
        "data.export",
        "data.import",
        "project.propose",
        "project.manage",
        "project.review",
        "project.progress",
        "risk.manage",
        "customer.read",
        "customer.write",
        "customer.reveal_pii",
        "ticket.read",
        "ticket.work",
        "ticket.assign",
        "ticket.review",
        "approval.vote",
    },
    "staff": {
        "app.open",
        "records.read",
        "records.write",
        "alerts.read",
        "project.propose",
        "project.progress",
        "risk.manage",
        "customer.read",
        "ticket.read",
    },
    "agent": {
        "app.open",
        "records.read",
        "alerts.read",
        "customer.read",
        "customer.write",
        "customer.reveal_pii",
        "ticket.read",
        "ticket.work",
    },
    "auditor": {
        "app.open",
        "records.read",
        "alerts.read",
        "audit.read",
        "audit.verify",
        "data.export",
        "customer.read",
        "ticket.read",
    },
}

DESCRIPTIONS: dict[str, str] = {
    "users.manage": "manage users and roles",
    "db.admin": "back up, restore and check the database",
    "audit.verify": "verify the audit log",
    "data.import": "import records",
    "data.export": "export records",
    "act_as": "act as another user",
    "ticket.work": "work tickets",
    "ticket.assign": "assign tickets",
    "ticket.review": "review service quality",
    "ticket.configure": "configure the service desk (SLA calendar, routing, sampling)",
    "customer.reveal_pii": "see customers' personal data",
    "project.propose": "file a project proposal",
    "project.approve": "approve, reject, hold or cancel projects",
    "project.manage": "manage a project's plan and execution",
    "project.review": "review and confirm project plans",
    "project.progress": "report progress on project tasks",
    "project.accept": "give acceptance opinions",
    "project.close": "close projects",
}


def can(who: Actor | str, action: str) -> bool:
    """Whether a user (or a role) may take ``action``."""
    role = who if isinstance(who, str) else who.role
    granted = GRANTS.get(role, set())
    return _ALL in granted or action in granted


def require(who: Actor, action: str) -> None:
    """Raise :class:`PermissionDenied` unless ``who`` may take ``action``."""
    if not can(who, action):
        what = DESCRIPTIONS.get(action, action)
        raise PermissionDenied(f"{who.username} ({who.role}) may not {what}")
