"""The users list as a paged source, for the Users screen and its benchmark."""

from __future__ import annotations

from sqlalchemy import case, func, select

from specialops.identity import Actor
from specialops.listing import Column, ListSpec, PageSource
from specialops.models.core import Department, UserAccount
from specialops.permissions import ROLES, require
from specialops.store.store import Store


def _role(value: object) -> str:
    label = ROLES.get(str(value), "")
    return f"{value} {label.split(' ')[0]}" if label else str(value or "")


def _active(value: object) -> str:
    return "yes" if value else "no"


def users_spec() -> ListSpec:
    """Username, name, role and department of every user.

    Users are few (hundreds), so the sort columns carry no ``(col, id)``
    index; the department comes through a join.
    """
    users = UserAccount.__table__
    departments = Department.__table__
    source = select(
        users.c.id,
        users.c.username,
        users.c.name,
        users.c.role,
        departments.c.name.label("department"),
        users.c.active,
    ).select_from(users.outerjoin(departments, users.c.department_id == departments.c.id))
    return ListSpec(
        source=source,
        columns=(
            Column("username", "Username 帳號", 16, searchable=True),
            Column("name", "Name 姓名", 14, searchable=True),
            Column("role", "Role 角色", 16, format=_role),
            Column("department", "Department 部門", 16, searchable=True),
            Column("active", "Active", 6, format=_active, sortable=False),
        ),
        default_sort="username",
    )


def users_source(store: Store, actor: Actor) -> PageSource:
    """A page source over the users, for those who may manage them."""
    require(actor, "users.manage")
    return PageSource(store, users_spec())


def count_users(store: Store) -> tuple[int, int]:
    """How many users there are, and how many of them are active."""
    users = UserAccount.__table__.c
    statement = select(func.count(), func.coalesce(func.sum(case((users.active, 1), else_=0)), 0))
    with store.read() as session:
        total, active = session.execute(statement.select_from(UserAccount.__table__)).one()
    return int(total), int(active)


def headline(store: Store, actor: Actor) -> str | None:
    """The figure on the home card: how many logins, how many active."""
    total, active = count_users(store)
    return f"{total} users, {active} active"
