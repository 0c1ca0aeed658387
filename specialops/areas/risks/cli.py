"""``specialops risks …``: indicator readings for cron, the matrix, categories."""

from __future__ import annotations

from typing import Annotated

import typer

from specialops.cli.output import echo, emit_json, say

risks_app = typer.Typer(help="The risk register: indicator readings, matrix, categories.")


def _context():
    from specialops.cli.common import context

    return context()


@risks_app.command("read-indicators")
def read_indicators(
    force: Annotated[bool, typer.Option("--force", help="Read even if read today.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Take today's readings of indicators fed by specialops' own data (for cron)."""
    from specialops.areas.risks import feeds as risk_feeds
    from specialops.permissions import require

    c = _context()
    try:
        require(c.actor, "risk.manage")
        taken = risk_feeds.take_readings(c.store, c.actor, force=force)
    finally:
        c.close()
    if as_json:
        emit_json({"readings": taken})
    else:
        say(f"{taken} indicator readings taken")


@risks_app.command("reading")
def reading(
    indicator: Annotated[str, typer.Argument(help="Indicator code, e.g. KRI-0003.")],
    value: Annotated[float, typer.Argument(help="The reading.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Record one reading of an indicator; exit 1 if it is at warning or worse."""
    from dataclasses import asdict

    from specialops.areas.risks import actions as risks
    from specialops.areas.risks.models import RiskIndicator
    from specialops.store.records import get_by_code

    c = _context()
    try:
        with c.store.read() as session:
            found = get_by_code(session, RiskIndicator, indicator)
        result = risks.record_reading(c.store, c.actor, found.id, value)
    finally:
        c.close()
    if as_json:
        emit_json(asdict(result))
    else:
        change = f" (was {result.previous or 'ok'})" if result.crossed else ""
        say(f"{result.measure}: {result.value:g} → {result.level}{change}")


@risks_app.command("matrix")
def matrix(
    rows: Annotated[
        list[str] | None,
        typer.Argument(help="Five rows for likelihood 5 down to 1, of L/M/H/C per impact 1-5."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the 5×5 risk matrix, or set it (admins)."""
    from specialops.areas.risks import actions as risks

    c = _context()
    try:
        if rows:
            current = risks.set_matrix(c.store, c.actor, tuple(rows))
        else:
            with c.store.read() as session:
                current = risks.load_matrix(session)
    finally:
        c.close()
    if as_json:
        emit_json({"grid": list(current.grid)})
        return
    echo("likelihood \\ impact  1 2 3 4 5")
    for n, row in enumerate(current.grid):
        echo(f"{5 - n:>19}  {' '.join(row)}")


@risks_app.command("add-category")
def add_category(
    code: Annotated[str, typer.Argument(help="Short English code, e.g. supply.")],
    name: Annotated[str, typer.Option("--name", help="English name.")],
    name_zh: Annotated[str, typer.Option("--name-zh", help="Chinese name.")],
) -> None:
    """Add a risk category beside market, technical, legal and personnel (admins)."""
    from specialops.areas.risks import actions as risks

    c = _context()
    try:
        risks.add_category(c.store, c.actor, code, name, name_zh)
    finally:
        c.close()
    say(f"category {code} added")
