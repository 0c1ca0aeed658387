"""What every command shares: the global options and opening the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from specialops.cli.output import say

Launcher = Callable[[str | None, str | None], None]


class Options:
    db: str | None = None
    act_as: str | None = None
    launcher: Launcher | None = None


JsonFlag = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")]


def context(*, create: bool = False, require_user: bool = True):
    from specialops.context import open_context
    from specialops.private_files import exit_on_signals

    exit_on_signals()  # SIGTERM/SIGHUP unwind: transactions roll back, temporaries go
    ctx = open_context(Options.db, Options.act_as, create=create, require_user=require_user)
    for warning in ctx.store.warnings:
        say(f"warning: {warning}")
    return ctx
