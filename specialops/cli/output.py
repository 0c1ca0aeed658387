"""Printing for commands: data to stdout, messages to stderr, JSON when asked."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def say(message: str) -> None:
    """A message for the person (stderr, so stdout stays data)."""
    print(message, file=sys.stderr)


def emit_json(data: Any) -> None:
    from specialops.audit import jsonable  # loads the models: keep --help fast

    json.dump(data, sys.stdout, ensure_ascii=False, default=jsonable)
    sys.stdout.write("\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows as a table fitted to the terminal (CJK-aware)."""
    from rich.console import Console
    from rich.table import Table

    view = Table(*headers, box=None, pad_edge=False, header_style="bold")
    for row in rows:
        view.add_row(*("" if v is None else str(v) for v in row))
    # A pipe gets whole lines (no wrapping at 80 columns) so scripts can cut and grep them.
    width = None if sys.stdout.isatty() else 10_000
    Console(soft_wrap=False, width=width).print(view)


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
