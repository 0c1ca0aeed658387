"""Finding a login or a department by what people type: the one lookup every area uses."""

from __future__ import annotations

from sqlmodel import Session, select

from specialops.errors import ValidationError
from specialops.models.core import Department, UserAccount


def user_named(
    session: Session, username: str, field: str = "owner", *, active_only: bool = True
) -> UserAccount:
    """The login ``username``; an unknown one (or an inactive one, unless allowed) names
    ``field``."""
    user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
    if user is None:
        raise ValidationError(f"unknown user {username}", field=field)
    if active_only and not user.active:
        raise ValidationError(f"unknown or inactive user {username}", field=field)
    return user


def department_id(session: Session, code: str | None, field: str = "department") -> int | None:
    """The id of the department ``code`` (``None`` when no code is given)."""
    if not code:
        return None
    found = session.exec(select(Department.id).where(Department.code == code)).first()
    if found is None:
        raise ValidationError(f"unknown department {code}", field=field)
    return found
