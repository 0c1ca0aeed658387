"""``specialops samples …``."""

import typer

from specialops.cli.common import context
from specialops.cli.output import say
from specialops.permissions import require

samples_app = typer.Typer(help="Samples of a throwaway area.")


@samples_app.command("hello")
def hello() -> None:
    """Say hello to the person running it, if they may count samples."""
    c = context()
    try:
        require(c.actor, "sample.count")
        say(f"hello {c.actor.username}")
    finally:
        c.close()
