"""``specialops users …``: who may use this database and their roles."""

from __future__ import annotations

from typing import Annotated

import typer

from specialops.cli.common import JsonFlag, context
from specialops.cli.output import emit_json, say, table

users_app = typer.Typer(help="Manage who may use this database and their roles.")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="The person's OS login.")],
    name: Annotated[str, typer.Option("--name", help="Full name.")],
    role: Annotated[
        str, typer.Option("--role", help="admin, executive, manager, staff, agent or auditor.")
    ] = "staff",
    department: Annotated[str | None, typer.Option("--department", help="Department code.")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Let an OS login use this database."""
    from dataclasses import asdict

    from specialops.areas.people.actions import add_user

    c = context()
    try:
        view = add_user(c.store, c.actor, username, name, role, department, email)
    finally:
        c.close()
    if as_json:
        emit_json(asdict(view))
    else:
        say(f"added {view.username} ({view.role})")


@users_app.command("list")
def users_list(as_json: JsonFlag = False) -> None:
    """List users and their roles."""
    from dataclasses import asdict

    from specialops.areas.people.actions import list_users

    c = context()
    try:
        views = list_users(c.store)
    finally:
        c.close()
    if as_json:
        emit_json([asdict(v) for v in views])
    else:
        table(
            ["username", "name", "role", "department", "active"],
            [
                (v.username, v.name, v.role, v.department, "yes" if v.active else "no")
                for v in views
            ],
        )


@users_app.command("set-role")
def users_set_role(
    username: str,
    role: Annotated[
        str, typer.Argument(help="admin, executive, manager, staff, agent or auditor.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Change a user's role."""
    from dataclasses import asdict

    from specialops.areas.people.actions import set_role

    c = context()
    try:
        view = set_role(c.store, c.actor, username, role)
    finally:
        c.close()
    if as_json:
        emit_json(asdict(view))
    else:
        say(f"{view.username} is now {view.role}")
