"""The one map from roles to the actions they may take.

The core declares its own permissions here; each area declares its own in
its ``AREA`` (``permissions`` with a description each, ``grants`` naming the
roles). :func:`table` composes them once. Screens ask :func:`can` before
showing an action; actions call :func:`require` before doing it. Asking
about a permission nobody declared is a programming error and raises
:class:`UnknownPermission`, so a typo can never quietly deny or allow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

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

# The admin may do everything, including what areas declare later.
ADMIN = "admin"

CORE_PERMISSIONS: dict[str, str] = {
    "app.open": "open the app",
    "records.read": "see the records of the areas",
    "alerts.read": "see alerts",
    "audit.verify": "verify the audit log",
    "audit.read": "read the audit log",
    "data.import": "import records",
    "data.export": "export records",
    "db.admin": "back up, restore and check the database",
    "act_as": "act as another user",
    "approval.vote": "decide approval requests",
}

_EVERYONE = ("executive", "manager", "staff", "agent", "auditor")

CORE_GRANTS: dict[str, tuple[str, ...]] = {
    "app.open": _EVERYONE,
    "records.read": _EVERYONE,
    "alerts.read": _EVERYONE,
    "audit.verify": ("auditor",),
    "audit.read": ("auditor",),
    "data.import": ("manager",),
    "data.export": ("executive", "manager", "auditor"),
    "db.admin": (),
    "act_as": (),
    "approval.vote": ("executive", "manager"),
}


class UnknownPermission(LookupError):
    """A permission that neither the core nor any installed area declares."""


@dataclass(frozen=True)
class PermissionTable:
    """Every declared permission with its description, and what each role holds."""

    descriptions: Mapping[str, str]
    by_role: Mapping[str, frozenset[str]]
    owner: Mapping[str, str]  # permission -> "core" or the area that declares it


def compose(areas: list) -> PermissionTable:
    """Build the table from the core's declarations and those of ``areas``."""
    descriptions = dict(CORE_PERMISSIONS)
    owner = dict.fromkeys(CORE_PERMISSIONS, "core")
    grants: dict[str, set[str]] = {role: set() for role in ROLES}
    sources = [("core", CORE_PERMISSIONS, CORE_GRANTS)]
    sources += [(a.name, a.permissions, a.grants) for a in areas]
    for name, declared, granted in sources:
        for permission, description in declared.items():
            if permission in owner and owner[permission] != name:
                raise ValueError(f"{name} declares {permission}, already {owner[permission]}'s")
            if not description:
                raise ValueError(f"{name} declares {permission} without a description")
            descriptions[permission], owner[permission] = description, name
        for permission, roles in granted.items():
            if permission not in declared:
                raise UnknownPermission(f"{name} grants {permission}, which it does not declare")
            for role in roles:
                if role not in ROLES:
                    raise ValueError(f"{name} grants {permission} to unknown role {role}")
                grants[role].add(permission)
    grants[ADMIN] = set(descriptions)
    return PermissionTable(
        descriptions, {role: frozenset(held) for role, held in grants.items()}, owner
    )


@cache
def _table(installed: tuple[str, ...]) -> PermissionTable:
    from specialops import areas

    return compose(areas.installed())


def table() -> PermissionTable:
    """The permission table of the installed areas."""
    from specialops import areas

    return _table(areas.INSTALLED)


def declared(permission: str) -> str:
    """The description of ``permission``; raises :class:`UnknownPermission` if undeclared."""
    try:
        return table().descriptions[permission]
    except KeyError:
        raise UnknownPermission(f"no area declares the permission {permission!r}") from None


def can(who: Actor | str, action: str) -> bool:
    """Whether a user (or a role) may take ``action``."""
    declared(action)
    role = who if isinstance(who, str) else who.role
    return action in table().by_role.get(role, frozenset())


def lacks(who: Actor, action: str) -> str | None:
    """Why ``who`` may not take ``action`` (the words :func:`require` raises), or ``None``."""
    if can(who, action):
        return None
    return f"{who.username} ({who.role}) may not {declared(action)}"


def require(who: Actor, action: str) -> None:
    """Raise :class:`PermissionDenied` unless ``who`` may take ``action``."""
    if reason := lacks(who, action):
        raise PermissionDenied(reason)
