"""Human codes (``PRJ-0001``, ``TKT-000001`` …), never handed out twice.

The counter row is bumped with ``UPDATE … RETURNING`` inside the caller's
writing transaction, so concurrent writers queue on the write lock and
each gets its own numbers.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

_ENSURE = text(
    "INSERT INTO code_counters (prefix, value) VALUES (:p, 0) ON CONFLICT (prefix) DO NOTHING"
)


def _ensure(conn: Connection, prefix: str) -> None:
    conn.execute(_ENSURE, {"p": prefix})


def allocate(conn: Connection, prefix: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers for ``prefix``; return the first."""
    _ensure(conn, prefix)
    last = conn.execute(
        text("UPDATE code_counters SET value = value + :n WHERE prefix = :p RETURNING value"),
        {"p": prefix, "n": count},
    ).scalar_one()
    return int(last) - count + 1


def format_code(prefix: str, number: int, width: int) -> str:
    """``format_code("PRJ", 7, 4)`` → ``PRJ-0007``."""
    return f"{prefix}-{number:0{width}d}"


def bump_to_at_least(conn: Connection, prefix: str, number: int) -> None:
    """Make sure later allocations for ``prefix`` come after ``number`` (codes given by imports)."""
    _ensure(conn, prefix)
    conn.execute(
        text("UPDATE code_counters SET value = :n WHERE prefix = :p AND value < :n"),
        {"p": prefix, "n": number},
    )
