"""``specialops tickets …``: the service desk's settings, holidays and breach escalation."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from specialops.cli.common import JsonFlag
from specialops.cli.output import echo, emit_json, say, table

tickets_app = typer.Typer(help="The service desk: settings, holidays, breach escalation (cron).")
holiday_app = typer.Typer(help="Days off on the SLA calendar.")
tickets_app.add_typer(holiday_app, name="holiday")


def _context():
    from specialops.cli.common import context

    return context()


def _text(key: str, value: Any) -> str:
    """A setting's value in the simple form the command also accepts."""
    if key.startswith("sla.target."):
        return f"{value[0]:g}/{value[1]:g}"
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    pairs = isinstance(value, list) and value and isinstance(value[0], list)
    if pairs and all(isinstance(x, str) for pair in value for x in pair):
        sep = "-" if all(":" in x for pair in value for x in pair) else "="
        joiner = "," if sep == "-" else ";"
        return joiner.join(sep.join(pair) for pair in value)
    if isinstance(value, list):
        return ",".join(str(x) for x in value)
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value, ensure_ascii=False) if value is None else str(value)


@tickets_app.command("config")
def config(
    key: Annotated[str | None, typer.Argument(help="A setting, e.g. sla.hours.")] = None,
    value: Annotated[
        str | None, typer.Argument(help="The new value, as JSON or the form shown.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show the service desk settings, or set one (admins): KEY VALUE."""
    from specialops.areas.tickets import settings

    c = _context()
    try:
        if key is None:
            shown: dict[str, Any] = settings.show_all(c.store)
        elif value is None:
            shown = {key: settings.show(c.store, key)}
        else:
            shown = {key: settings.set_value(c.store, c.actor, key, value)}
    finally:
        c.close()
    if as_json:
        emit_json(shown)
        return
    if key is not None and value is not None:
        say(f"{key} set")
    helps = {k: e.help for k, e in settings.ENTRIES.items()}
    table(["setting", "value", "meaning"], [(k, _text(k, v), helps[k]) for k, v in shown.items()])


@holiday_app.command("add")
def holiday_add(
    day: Annotated[str, typer.Argument(help="The day off, YYYY-MM-DD.")],
    name: Annotated[str, typer.Option("--name", help="What the holiday is, e.g. 元旦.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Make a day a holiday on the SLA calendar (admins)."""
    from specialops.areas.tickets import settings

    c = _context()
    try:
        settings.add_holiday(c.store, c.actor, day, name)
    finally:
        c.close()
    if as_json:
        emit_json({"holiday": day, "name": name})
    else:
        say(f"{day} {name}".strip() + " is a holiday")


@holiday_app.command("remove")
def holiday_remove(
    day: Annotated[str, typer.Argument(help="The day, YYYY-MM-DD.")],
    as_json: JsonFlag = False,
) -> None:
    """Make a holiday an ordinary day again (admins)."""
    from specialops.areas.tickets import settings

    c = _context()
    try:
        settings.remove_holiday(c.store, c.actor, day)
    finally:
        c.close()
    if as_json:
        emit_json({"removed": day})
    else:
        say(f"{day} is no longer a holiday")


@holiday_app.command("list")
def holiday_list(as_json: JsonFlag = False) -> None:
    """List the holidays on the SLA calendar."""
    from specialops.areas.tickets import settings

    c = _context()
    try:
        found = settings.holidays(c.store)
    finally:
        c.close()
    if as_json:
        emit_json([{"date": d, "name": n} for d, n in found])
    elif found:
        table(["date", "name"], found)
    else:
        say("no holidays")


@tickets_app.command("escalate")
def escalate(as_json: JsonFlag = False) -> None:
    """Escalate every ticket past its deadline to its department head (for cron)."""
    from specialops.areas.tickets import actions

    c = _context()
    try:
        codes = actions.escalate_breaches(c.store, c.actor)
    finally:
        c.close()
    if as_json:
        emit_json({"escalated": codes})
    elif codes:
        say(f"{len(codes)} tickets escalated")
        for code in codes:
            echo(code)
    else:
        say("no ticket past its deadline")
