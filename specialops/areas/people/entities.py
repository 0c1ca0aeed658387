"""Import/export descriptions of departments and users.

Both are written with ``users.manage``, as the app's user actions are. An
import of users obeys the rules of :func:`actions.add_user` and
:func:`actions.set_role`: every new login is one the OS accepts, and no
file leaves the database without an active admin (demoting or deactivating
the last one is refused, whatever order the rows come in).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlmodel import Session, select

from specialops.areas.people import rules
from specialops.areas.people.choices import ROLE_CHOICES
from specialops.entities import EntitySpec, FieldSpec, Refusal, RowChange, register
from specialops.identity import Actor
from specialops.models.core import Department, UserAccount

MANAGE = "users.manage"


def _govern_users(session: Session, _actor: Actor, rows: Iterator[RowChange]) -> Iterator[Refusal]:
    """New logins are valid; the file leaves at least one active admin."""
    current = {
        id_: (role, bool(active))
        for id_, role, active in session.exec(
            select(UserAccount.id, UserAccount.role, UserAccount.active)
        ).all()
    }
    admins = {id_ for id_, (role, active) in current.items() if role == "admin" and active}
    losing: list[tuple[int, str, str]] = []  # line, field, what the admin would undergo
    gained = 0
    for row in rows:
        if row.is_new:
            problem = rules.login_problem(row.new.get("username") or "")
            if problem:
                yield Refusal(row.line, "username", problem)
                continue
            if row.new.get("role") == "admin" and row.new.get("active", True):
                gained += 1
            continue
        role, active = current[row.record_id or 0]
        role, active = row.new.get("role", role), bool(row.new.get("active", active))
        if row.record_id in admins and not (role == "admin" and active):
            change = "lose the admin role" if role != "admin" else "be deactivated"
            losing.append((row.line, "role" if role != "admin" else "active", change))
        elif row.record_id not in admins and role == "admin" and active:
            gained += 1
    left = len(admins) - len(losing) + gained
    for line, field, change in losing:
        reason = rules.last_admin(left, change)
        if reason:
            yield Refusal(line, field, f"{reason}: the import would leave no active admin")


DEPARTMENTS = register(
    EntitySpec(
        "departments",
        Department,
        key="code",
        label="部門",
        write_action=MANAGE,
        fields=(
            FieldSpec(
                "code",
                required=True,
                max_length=32,
                help="department code, e.g. CS",
                aliases=("部門代碼", "部门代码", "代碼", "代码"),
            ),
            FieldSpec(
                "name",
                required=True,
                max_length=200,
                help="department name",
                aliases=("部門名稱", "部门名称", "名稱", "名称"),
            ),
            FieldSpec(
                "parent",
                "ref",
                ref="departments",
                help="code of the parent department",
                aliases=("上級部門", "上级部门"),
            ),
        ),
    )
)

USERS = register(
    EntitySpec(
        "users",
        UserAccount,
        key="username",
        label="使用者",
        write_action=MANAGE,
        governor=_govern_users,
        guarded=("username", "role", "active"),
        fields=(
            FieldSpec(
                "username",
                required=True,
                max_length=64,
                help="the person's OS login",
                aliases=("帳號", "账号", "登入帳號", "登录账号", "login"),
            ),
            FieldSpec(
                "name",
                required=True,
                max_length=200,
                help="full name",
                aliases=("姓名", "名稱", "名称"),
            ),
            FieldSpec(
                "department",
                "ref",
                ref="departments",
                help="department code",
                aliases=("部門", "部门"),
            ),
            FieldSpec(
                "role",
                "choice",
                required=True,
                choices=ROLE_CHOICES,
                help="role",
                aliases=("角色",),
            ),
            FieldSpec(
                "email",
                "email",
                max_length=254,
                help="e-mail address",
                aliases=("電郵", "电邮", "電子郵件", "电子邮件", "郵箱", "邮箱"),
            ),
            FieldSpec(
                "active",
                "bool",
                help="may log in (true/false); new users default to true",
                aliases=("啟用", "启用", "在職", "在职"),
            ),
        ),
    )
)
