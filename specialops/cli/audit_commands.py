"""``specialops audit …``: verify the tamper-evident audit log, and read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from specialops.cli.common import JsonFlag, context
from specialops.cli.output import echo, emit_json, say, table

audit_app = typer.Typer(help="The tamper-evident audit log.")


@audit_app.command("verify")
def audit_verify(
    anchors: Annotated[
        Path | None,
        typer.Option("--anchors", help="Also check the log against the anchors kept in FILE."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Recompute the audit log's hash chain; exit 1 naming the first bad entry."""
    from specialops import audit_anchors
    from specialops.audit import VerifyResult, verify
    from specialops.permissions import require

    kept = audit_anchors.read(anchors) if anchors is not None else []
    c = context()
    try:
        require(c.actor, "audit.verify")
        with c.store.engine.connect() as conn:
            result = verify(conn)
            cut = audit_anchors.broken(conn, kept) if result.ok else None
    finally:
        c.close()
    if cut is not None:
        result = VerifyResult(False, result.checked, None, cut)
    if as_json:
        emit_json(
            {
                "ok": result.ok,
                "checked": result.checked,
                "first_bad_id": result.first_bad_id,
                "reason": result.reason,
            }
        )
    elif result.ok:
        echo(f"audit log intact: {result.checked} entries")
    elif result.first_bad_id is None:
        echo(f"audit log broken: {result.reason}")
    else:
        echo(
            f"audit log broken at entry {result.first_bad_id}: {result.reason} "
            f"({result.checked} entries before it are intact)"
        )
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor(
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Add the anchor to FILE (kept out of users' reach)."),
    ] = None,
) -> None:
    """Write down the log's head (entry and hash), for verify --anchors to check later."""
    from specialops import audit_anchors
    from specialops.permissions import require

    c = context()
    try:
        require(c.actor, "audit.verify")
        with c.store.engine.connect() as conn:
            anchor = audit_anchors.take(conn)
    finally:
        c.close()
    if output is None:
        echo(anchor.line())
        return
    with output.open("a", encoding="utf-8") as kept:
        kept.write(anchor.line() + "\n")
    say(f"anchored entry {anchor.id} in {output}")


def _changes(before: Any, after: Any) -> str:
    """An entry's data on one line: ``field: old → new`` for changes, else its fields."""
    if isinstance(before, dict) and isinstance(after, dict):
        return "; ".join(f"{k}: {before.get(k)} → {after.get(k)}" for k in sorted(after))
    shown = after if after is not None else before
    if shown is None:
        return ""
    return json.dumps(shown, ensure_ascii=False, separators=(",", ":"))


@audit_app.command("list")
def audit_list(
    entity: Annotated[
        str | None, typer.Option("--entity", help="Only entries of this entity.")
    ] = None,
    code: Annotated[str | None, typer.Option("--code", help="Only entries of this record.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many, newest first.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """The newest audit entries; customers' personal data masked unless your role may see it
    (each reveal is itself logged)."""
    from rich.markup import escape

    from specialops import clock
    from specialops.audit_view import listing

    c = context()
    try:
        views = listing(c.store, c.actor, entity=entity, code=code, limit=limit)
    finally:
        c.close()
    if as_json:
        emit_json([v.as_dict() for v in views])
        return
    if not views:
        say("no audit entries")
        return
    zone = clock.local_zone()
    table(
        ["id", "when", "who", "action", "entity", "code", "changes", "comment"],
        [
            (
                v.id,
                f"{v.at.astimezone(zone):%Y-%m-%d %H:%M:%S}" if v.at else "?",
                escape(v.username),
                escape(v.action),
                escape(v.entity),
                escape(v.code or ""),
                escape(_changes(v.before, v.after)),  # "[erased]" is not markup
                escape(v.comment or ""),
            )
            for v in views
        ],
    )
