"""Rules about people: what a login may look like, and that an admin always remains."""

from __future__ import annotations

import re

from specialops.errors import ValidationError

LOGIN_MAX_LENGTH = 32
# POSIX portable user names as useradd takes them: no spaces, shell metacharacters,
# control characters or letters outside ASCII; the demo logins use dots (chen.admin).
_LOGIN = re.compile(r"[a-z_][a-z0-9_.-]*\$?")
LOGIN_ACCEPTED = (
    f"1 to {LOGIN_MAX_LENGTH} characters: a lowercase letter or _ first, then lowercase "
    "letters, digits, _, . or -, optionally ending in $ (such as chen.admin)"
)
_SHOWN = 40


def _shown(text: str) -> str:
    """``text`` safe to print: control and format characters escaped, long text cut."""
    safe = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
    return safe if len(safe) <= _SHOWN else safe[: _SHOWN - 1] + "…"


def login_problem(username: str) -> str | None:
    """Why ``username`` is not a login the operating system accepts (``None``: it is one)."""
    if not username:
        return f"a login is needed: {LOGIN_ACCEPTED}"
    if len(username) > LOGIN_MAX_LENGTH or not _LOGIN.fullmatch(username):
        return f"'{_shown(username)}' is not a valid login; a login is {LOGIN_ACCEPTED}"
    return None


def check_login(username: str, field: str = "username") -> str:
    """``username`` if it is a valid login; else a :class:`ValidationError` naming ``field``."""
    problem = login_problem(username)
    if problem:
        raise ValidationError(f"{field}: {problem}", field=field)
    return username


def last_admin(active_admins_after: int, change: str = "lose the admin role") -> str | None:
    """Why a change that leaves ``active_admins_after`` active admins is refused (``None``:
    one remains). ``change`` says what the last admin would undergo."""
    if active_admins_after >= 1:
        return None
    return f"the last admin cannot {change}"
