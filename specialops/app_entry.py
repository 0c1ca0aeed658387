"""``specialops`` with no subcommand: open (or create) the database and run the app."""

from __future__ import annotations

import sys

from specialops.errors import SpecialopsError


def launch(db: str | None, act_as: str | None) -> None:
    """Open the database (creating it, with this login as admin) and run the app.

    Expected failures end in one line on stderr and their exit code.
    """
    from specialops.cli.output import say
    from specialops.context import open_context
    from specialops.permissions import require

    try:
        context = open_context(db, act_as, create=True, require_user=True)
    except SpecialopsError as error:
        say(f"specialops: {error}", single_line=True)
        sys.exit(error.exit_code)
    try:
        require(context.actor, "app.open")
        for warning in context.store.warnings:
            say(f"specialops: warning: {warning}")
        from specialops.app import make_app

        make_app(context, live=True).run()
    except SpecialopsError as error:
        say(f"specialops: {error}", single_line=True)
        sys.exit(error.exit_code)
    finally:
        context.close()


def main() -> None:
    """The ``specialops`` console script: the command line, which opens the app when no
    command is given."""
    from specialops.cli.main import run

    run(launcher=launch)
