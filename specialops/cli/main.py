"""``specialops``: open the app, or run a headless command.

Heavy libraries are imported inside the commands, so ``--help`` and cron
jobs start fast and never load Textual.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from specialops.cli.audit_commands import audit_app
from specialops.cli.common import JsonFlag, Launcher, Options, context
from specialops.cli.output import echo, emit_json, say, table
from specialops.cli.server_commands import register as register_server_commands
from specialops.errors import EXIT_USAGE, SpecialopsError

app = typer.Typer(
    name="specialops",
    help="Run a company's special operations: projects, campaigns, service, risks.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Check the database, and set up a PostgreSQL server's roles.")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
register_server_commands(db_app)


def _add_area_commands() -> None:
    """Mount each installed area's command group (imported only when it has one)."""
    from importlib import import_module

    from specialops import areas

    for area in areas.installed():
        if area.cli:
            module, _, attribute = area.cli.partition(":")
            app.add_typer(
                getattr(import_module(area.module(module)), attribute),
                name=area.cli_name or area.name,
            )


_add_area_commands()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database file or URL (else SPECIALOPS_DB, config, default)."),
    ] = None,
    act_as: Annotated[
        str | None, typer.Option("--as", help="Act as another user (admins only).")
    ] = None,
) -> None:
    """Open the app when no command is given."""
    Options.db, Options.act_as = db, act_as
    if ctx.invoked_subcommand is None:
        if not sys.stdout.isatty():
            say("specialops: the app needs a terminal; run 'specialops --help' for commands")
            raise typer.Exit(EXIT_USAGE)
        if Options.launcher is None:
            say("specialops: this entry point runs commands only; run 'specialops --help'")
            raise typer.Exit(EXIT_USAGE)
        Options.launcher(db, act_as)


@app.command()
def init(
    demo: Annotated[bool, typer.Option("--demo", help="Add sample data.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create the database (your login becomes its admin); on one in use, admins only."""
    from specialops.errors import PermissionDenied, UnknownUser
    from specialops.permissions import can

    try:
        c = context(create=True, require_user=False)
    except UnknownUser as error:
        raise PermissionDenied(
            f"{error.username} may not run init: the database is in use and only its admins may"
        ) from None
    try:
        # A new database's creator is its admin; on one in use, init (and --demo) needs one.
        if not can(c.actor, "db.admin"):
            raise PermissionDenied(
                f"{c.actor.username} ({c.actor.role}) may not run init: the database is in use "
                "and only its admins may; nothing was changed"
            )
        counts: dict[str, int] = {}
        if demo:
            from specialops.demo import load_demo

            counts = load_demo(c.store, c.actor)
        result = {"database": str(c.store.path or c.store.label), "admin": c.actor.username}
        result["demo"] = counts
        if as_json:
            emit_json(result)
        else:
            say(f"database ready at {result['database']}; admin: {c.actor.username}")
            if counts:
                say("sample data: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    finally:
        c.close()


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the copy.")],
    as_json: JsonFlag = False,
) -> None:
    """Write a consistent copy of the database, even while others are writing.

    On PostgreSQL the copy is pg_dump's custom format (-Fc), for 'specialops restore'.
    """
    from specialops.permissions import require
    from specialops.store.backup import backup_to

    c = context()
    try:
        require(c.actor, "db.admin")
        target = backup_to(c.store, file)
    finally:
        c.close()
    if as_json:
        emit_json({"backup": str(target), "bytes": target.stat().st_size})
    else:
        say(f"backup written to {target}")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by 'specialops backup'.")],
    as_json: JsonFlag = False,
) -> None:
    """Replace the database with a backup, after checking the backup is intact.

    SQLite takes a file written by 'specialops backup'; PostgreSQL a pg_dump (-Fc) one.
    """
    from specialops.store.restore import restore_from

    # A new, empty server database is restored into by the login that set it up.
    c = context(require_user=False)
    try:
        summary = restore_from(c, file)
    finally:
        c.close()
    if as_json:
        emit_json(summary)
    else:
        say(f"restored {summary['database']} from {file}")
        say(f"the replaced copy is kept as {summary['previous']}")


@db_app.command("zone")
def db_zone(
    name: Annotated[
        str | None, typer.Argument(help="An IANA zone such as Asia/Taipei; none: show it.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show or set the zone in which times given without one (in imports) are read."""
    from specialops import settings

    c = context()
    try:
        if name is not None:
            settings.set_database_zone(c.store, c.actor, name)
        found, said = settings.database_zone(c.store)
    finally:
        c.close()
    if as_json:
        emit_json({"zone": str(found), "said": said})
    else:
        echo(said)


@db_app.command("check")
def db_check(as_json: JsonFlag = False) -> None:
    """Check the database's integrity, schema version, triggers, files and audit chain."""
    from specialops.store.check import check_database

    c = context()
    try:
        report = check_database(c)
    finally:
        c.close()
    if as_json:
        emit_json(report)
    else:
        for name, value in report.items():
            if isinstance(value, list):
                value = ", ".join(map(str, value)) or "none"
            if name != "ok":
                echo(f"{name}: {value}")  # a planted trigger's name is anyone's text
    if not report["ok"]:
        raise typer.Exit(1)


@app.command()
def alerts(
    as_json: JsonFlag = False,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when an alert at or above this level exists: warning or critical.",
        ),
    ] = None,
    mine: Annotated[bool, typer.Option("--mine", help="Only alerts for the current user.")] = False,
) -> None:
    """List current alerts (for cron: --fail-on warning|critical)."""
    from specialops import alerts as service
    from specialops.errors import UsageError
    from specialops.permissions import require

    if fail_on is not None and fail_on not in service.SEVERITIES:
        raise UsageError("--fail-on takes warning or critical")
    c = context()
    try:
        require(c.actor, "alerts.read")
        found = service.current(c.store, c.actor if mine else None)
    finally:
        c.close()
    if as_json:
        emit_json(
            [
                {
                    "severity": a.severity,
                    "area": a.area,
                    "code": a.code,
                    "message": a.message,
                    "users": list(a.users),
                }
                for a in found
            ]
        )
    elif found:
        table(
            ["severity", "area", "code", "message"],
            [(a.severity, a.area, a.code, a.message) for a in found],
        )
    else:
        say("no alerts")
    if fail_on and any(service.rank(a.severity) >= service.rank(fail_on) for a in found):
        raise typer.Exit(1)


from specialops.cli import transfer  # noqa: E402

transfer.register(app)


def run(launcher: Launcher | None = None) -> None:
    """Run the command line; ``launcher`` opens the app when no command is given.

    Expected failures end in one line and their exit code. The console script
    passes the app's launcher (:mod:`specialops.app_entry`); the command line
    itself never imports the app.
    """
    Options.launcher = launcher
    try:
        app()
    except SpecialopsError as error:
        say(f"specialops: {error}", single_line=True)  # the message may quote data
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        say("specialops: interrupted")
        sys.exit(130)
