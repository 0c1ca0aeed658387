"""``specialops audit …``: verify the tamper-evident audit log, and read it."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from specialops.cli.common import JsonFlag, context
from specialops.cli.output import echo, emit_json, say, table

audit_app = typer.Typer(help="The tamper-evident audit log.")


@audit_app.command("verify")
def audit_verify(as_json: JsonFlag = False) -> None:
    """Recompute the audit log's hash chain; exit 1 naming the first bad entry."""
    from specialops.audit import verify
    from specialops.permissions import require

    c = context()
    try:
        require(c.actor, "audit.verify")
        with c.store.engine.connect() as conn:
            result = verify(conn)
    finally:
        c.close()
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
    else:
        echo(
            f"audit log broken at entry {result.first_bad_id}: {result.reason} "
            f"({result.checked} entries before it are intact)"
        )
    if not result.ok:
        raise typer.Exit(1)


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
