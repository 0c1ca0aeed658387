"""Roles with their Chinese labels."""

from __future__ import annotations

from specialops.entities import Choice
from specialops.permissions import ROLES

# Simplified forms of the role labels of ``permissions.ROLES`` (``系統管理員 administrator``).
_ROLE_HANS = {
    "admin": "系统管理员",
    "executive": "高层",
    "manager": "经理",
    "staff": "职员",
    "agent": "客服",
    "auditor": "稽核",
}
ROLE_CHOICES = tuple(
    Choice(role, label.split(" ", 1)[0], _ROLE_HANS.get(role, label.split(" ", 1)[0]))
    for role, label in ROLES.items()
)
