"""Users, departments and who the current user is."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, func, select

from specialops.areas.people import rules
from specialops.errors import NotFound, UnknownUser, ValidationError
from specialops.identity import SYSTEM, Actor
from specialops.models.core import Department, UserAccount
from specialops.permissions import ROLES, require
from specialops.store.records import get_by_code
from specialops.store.store import Store


@dataclass(frozen=True)
class UserView:
    username: str
    name: str
    role: str
    department: str | None
    email: str | None
    active: bool


def _actor_of(user: UserAccount, real: str | None = None) -> Actor:
    return Actor(
        username=user.username,
        role=user.role,
        name=user.name,
        department_id=user.department_id,
        user_id=user.id,
        real_username=real or user.username,
    )


def resolve_actor(store: Store, login: str, act_as: str | None = None) -> Actor:
    """The actor for an OS login, optionally acting as another user (admins only)."""
    with store.read() as session:
        user = session.exec(select(UserAccount).where(UserAccount.username == login)).first()
        if user is None or not user.active:
            raise UnknownUser(login)
        actor = _actor_of(user)
        if act_as and act_as != login:
            require(actor, "act_as")
            other = session.exec(select(UserAccount).where(UserAccount.username == act_as)).first()
            if other is None or not other.active:
                raise NotFound(f"no active user {act_as} to act as")
            return _actor_of(other, real=login)
        return actor


def has_users(store: Store) -> bool:
    with store.read() as session:
        return bool(session.exec(select(func.count()).select_from(UserAccount)).one())


def bootstrap_admin(store: Store, login: str, name: str | None = None) -> Actor:
    """Make the login that created the database its admin (once, when there are no users).

    A set-up that stopped before its admin was written can be finished only by
    the login that created the database, or by root.
    """
    import os

    from specialops.errors import PermissionDenied
    from specialops.store.store import database_creator

    creator = database_creator(store)
    with store.write(SYSTEM, comment="database created") as session:
        existing = session.exec(select(UserAccount).where(UserAccount.username == login)).first()
        if existing is None:
            count = session.exec(select(func.count()).select_from(UserAccount)).one()
            if count:
                raise UnknownUser(login)
            if creator is not None and creator != login and os.getuid() != 0:
                raise PermissionDenied(
                    f"the set-up of this database was started by {creator} and is not "
                    f"finished; only {creator} or root may finish it (specialops init)"
                )
            rules.check_login(login)
            existing = UserAccount(username=login, name=name or login, role="admin")
            session.add(existing)
            session.flush()
        return _actor_of(existing)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(
            f"unknown role '{role}'; choose one of: {', '.join(ROLES)}", field="role"
        )
    return role


def _department_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    return get_by_code(session, Department, code).id


def add_user(
    store: Store,
    actor: Actor,
    username: str,
    name: str,
    role: str,
    department: str | None = None,
    email: str | None = None,
) -> UserView:
    """Register a login as a user with a role."""
    require(actor, "users.manage")
    rules.check_login(username)
    _check_role(role)
    with store.write(actor) as session:
        if session.exec(select(UserAccount).where(UserAccount.username == username)).first():
            raise ValidationError(f"user {username} already exists", field="username")
        user = UserAccount(
            username=username,
            name=name,
            role=role,
            department_id=_department_id(session, department),
            email=email,
        )
        session.add(user)
        session.flush()
        return _view(session, user)


def set_role(store: Store, actor: Actor, username: str, role: str) -> UserView:
    """Change a user's role."""
    require(actor, "users.manage")
    _check_role(role)
    with store.write(actor) as session:
        user = get_by_code(session, UserAccount, username)
        if user.role == "admin" and role != "admin":
            admins = session.exec(
                select(func.count())
                .select_from(UserAccount)
                .where(UserAccount.role == "admin", UserAccount.active)
            ).one()
            reason = rules.last_admin(admins - 1)
            if reason:
                raise ValidationError(reason, field="role")
        user.role = role
        session.flush()
        return _view(session, user)


def _view(session: Session, user: UserAccount) -> UserView:
    department = session.get(Department, user.department_id) if user.department_id else None
    return UserView(
        user.username,
        user.name,
        user.role,
        department.code if department else None,
        user.email,
        user.active,
    )


def list_users(store: Store) -> list[UserView]:
    with store.read() as session:
        users = session.exec(select(UserAccount).order_by(UserAccount.username)).all()
        return [_view(session, user) for user in users]
