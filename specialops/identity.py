"""Who is acting: the OS login, optionally acting as another user (admins only)."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass


def os_login() -> str:
    """The operating-system login of this process."""
    override = os.environ.get("SPECIALOPS_USER")
    if override:
        return override
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


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
