"""Printing for commands: data to stdout, messages to stderr, JSON when asked.

Everything printed here may carry data (names, subjects, a bad cell's value), so
control and bidi characters are shown as stand-ins (:mod:`specialops.terminal_text`)
and table cells are never read as Rich markup.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from specialops.terminal_text import json_text, visible


def say(message: str, *, single_line: bool = False) -> None:
    """A message for the person (stderr, so stdout stays data).

    ``single_line`` also shows newlines and tabs, so the message stays one line.
    """
    print(visible(message, single_line=single_line), file=sys.stderr)


def echo(line: str, *, flush: bool = False) -> None:
    """A line of output on stdout."""
    print(visible(line), flush=flush)


def emit_json(data: Any) -> None:
    """``data`` as one line of JSON; C0 controls are escaped by ``json``, and DEL, C1 and
    bidi characters by :func:`~specialops.terminal_text.json_text`, so it reads back the same."""
    from specialops.audit import jsonable  # loads the models: keep --help fast

    sys.stdout.write(json_text(json.dumps(data, ensure_ascii=False, default=jsonable)))
    sys.stdout.write("\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows as a table fitted to the terminal (CJK-aware), a cell a line."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    view = Table(*headers, box=None, pad_edge=False, header_style="bold")
    for row in rows:
        # Text, not str: a cell is never read as markup ("[red]") or emoji (":smile:").
        view.add_row(*(Text(visible("" if v is None else str(v), single_line=True)) for v in row))
    # A pipe gets whole lines (no wrapping at 80 columns) so scripts can cut and grep them.
    width = None if sys.stdout.isatty() else 10_000
    Console(soft_wrap=False, width=width).print(view)


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
