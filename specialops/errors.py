"""Domain errors. Each carries the exit code the command line uses for it.

Exit codes (SPEC §9): 0 success, 1 rejected input, 2 usage error,
3 database unavailable.
"""

from __future__ import annotations

from datetime import datetime

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3


class SpecialopsError(Exception):
    """Base of every expected failure; its message is shown to the person as is."""

    exit_code = EXIT_REJECTED


class UsageError(SpecialopsError):
    exit_code = EXIT_USAGE


class DatabaseUnavailable(SpecialopsError):
    """Missing, corrupt, locked, unwritable or too-new database."""

    exit_code = EXIT_UNAVAILABLE


class UnknownUser(SpecialopsError):
    exit_code = EXIT_USAGE

    def __init__(self, username: str) -> None:
        super().__init__(
            f"'{username}' is not a specialops user of this database; "
            f"ask an admin to run: specialops users add {username} --name NAME --role ROLE"
        )
        self.username = username


class PermissionDenied(SpecialopsError):
    exit_code = EXIT_REJECTED


class ValidationError(SpecialopsError):
    """Input that breaks a rule; ``field`` names the field when there is one."""

    exit_code = EXIT_REJECTED

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(SpecialopsError):
    exit_code = EXIT_REJECTED


class StaleRecordError(SpecialopsError):
    """Someone saved the record after this copy of it was loaded."""

    exit_code = EXIT_REJECTED

    def __init__(
        self, entity: str, code: str, changed_by: str | None, changed_at: datetime | None
    ) -> None:
        when = changed_at.astimezone().strftime("%Y-%m-%d %H:%M") if changed_at else "just now"
        who = changed_by or "someone else"
        super().__init__(
            f"{entity} {code} was changed by {who} at {when} after you opened it; "
            "reload it to see their changes, then save again"
        )
        self.entity = entity
        self.code = code
        self.changed_by = changed_by
        self.changed_at = changed_at


class TransitionDenied(SpecialopsError):
    """A workflow transition whose guard failed; ``reasons`` says why, one per line."""

    exit_code = EXIT_REJECTED

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons
