"""``specialops db secure | grant | revoke``: the PostgreSQL server's roles and logins."""

from __future__ import annotations

from typing import Annotated

import typer

from specialops.cli.common import JsonFlag, context
from specialops.cli.output import emit_json, say


def register(db_app: typer.Typer) -> None:
    """Add the server commands to the ``db`` group."""
    db_app.command("secure")(db_secure)
    db_app.command("grant")(db_grant)
    db_app.command("revoke")(db_revoke)


def _server_context():
    # The server decides who may run these (its superuser, or CREATEROLE): no app user needed.
    return context(require_user=False)


def db_secure(as_json: JsonFlag = False) -> None:
    """Set up the server's roles: the audit log kept by a role nobody logs in as (superuser)."""
    from specialops.store import server_roles

    c = _server_context()
    try:
        done = server_roles.secure_database(c.store)
    finally:
        c.close()
    if as_json:
        emit_json({"secured": True, "steps": done})
    else:
        for line in done:
            say(line)
        say("secured: grant each login with 'specialops db grant LOGIN'")


def db_grant(
    login: Annotated[str, typer.Argument(help="The OS login that may connect as itself.")],
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Reading (and audited reveals) only.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Let an OS login connect as itself, with only the rights the program needs."""
    from specialops.store import server_roles

    c = _server_context()
    try:
        group = server_roles.grant(c.store, login, read_only=read_only)
    finally:
        c.close()
    if as_json:
        emit_json({"login": login, "group": group})
    else:
        say(f"{login} may connect as itself, with the rights of {group}")


def db_revoke(
    login: Annotated[str, typer.Argument(help="The OS login to take the rights from.")],
    as_json: JsonFlag = False,
) -> None:
    """Take the program's rights on the server from a login."""
    from specialops.store import server_roles

    c = _server_context()
    try:
        server_roles.revoke(c.store, login)
    finally:
        c.close()
    if as_json:
        emit_json({"login": login, "revoked": True})
    else:
        say(f"{login} may no longer use the database")
