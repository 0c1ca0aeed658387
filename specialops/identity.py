"""Who is acting: the OS login, optionally acting as another user (admins only)."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass


def os_login() -> str:
    """The operating-system login of this process, from its user id.

    Environment variables such as ``USER`` are not trusted: anyone can set
    them. Only root, who can become any user anyway, may name another
    login with ``SPECIALOPS_USER`` (scripts and tests run as root use it).
    """
    uid = os.getuid()
    override = os.environ.get("SPECIALOPS_USER")
    if override and uid == 0:
        return override
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@dataclass(frozen=True)
class Actor:
    """The user a command or screen acts for.

    ``real_username`` is the OS login; it differs from ``username`` when an
    admin acts as another user with ``--as``. The audit log records both.
    """

    username: str
    role: str
    name: str = ""
    department_id: int | None = None
    user_id: int | None = None
    real_username: str = ""

    @property
    def login(self) -> str:
        return self.real_username or self.username


SYSTEM = Actor(username="system", role="admin", name="specialops", real_username="system")
