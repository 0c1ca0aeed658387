"""Anchors of the audit log: its head written down out of the database's reach.

A hash chain shows any edit of an entry, but whoever can write the database file can
cut the log's last entries, or edit one and compute every later hash again: the chain
then verifies. An anchor is the log's head (entry id, its hash, when) written where
the database's users cannot write, e.g. by ``specialops audit anchor -o FILE`` from
root's cron into a root-owned file. ``audit verify --anchors FILE`` then checks the log
still holds each anchored entry with the same hash: a cut tail or a rebuilt chain
before the last anchor is found.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import Connection, text

from specialops import clock
from specialops.errors import UsageError


@dataclass(frozen=True)
class Anchor:
    """The log's head at one moment."""

    id: int
    hash: str
    at: str

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def take(conn: Connection) -> Anchor:
    """The log's head now (id 0 for an empty log)."""
    found = conn.exec_driver_sql("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").first()
    stamp = clock.now().isoformat(timespec="seconds")
    return Anchor(int(found[0]), str(found[1]), stamp) if found else Anchor(0, "", stamp)


def read(path: Path) -> list[Anchor]:
    """The anchors kept in ``path``, one JSON object per line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise UsageError(f"cannot read the anchors in {path}: {error.strerror}") from None
    anchors = []
    for number, written in enumerate(lines, start=1):
        if not written.strip():
            continue
        try:
            data = json.loads(written)
            anchors.append(Anchor(int(data["id"]), str(data["hash"]), str(data["at"])))
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"{path}, line {number}: not an anchor of the audit log") from None
    return anchors


def broken(conn: Connection, anchors: list[Anchor]) -> str | None:
    """Why the log no longer matches one of ``anchors``, or ``None`` when it matches all."""
    for anchor in anchors:
        if anchor.id == 0:
            continue
        found = conn.execute(
            text("SELECT hash FROM audit_log WHERE id = :id"), {"id": anchor.id}
        ).scalar()
        if found is None:
            return (
                f"entry {anchor.id}, anchored at {anchor.at}, is gone: the log's last "
                "entries were cut"
            )
        if found != anchor.hash:
            return (
                f"entry {anchor.id} no longer has the hash anchored at {anchor.at}: the log "
                "was rewritten up to it and its chain computed again"
            )
    return None
