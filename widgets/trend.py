"""A small text chart of readings with the warning and critical thresholds drawn.

Only ASCII is used for the plot, so it lines up in CJK terminals (block
characters are East-Asian-ambiguous and draw double-width there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.text import Text

from specialops.terminal_text import visible

LEVEL_STYLE = {"ok": "green", "warning": "yellow", "critical": "bold red"}


def trend_chart(
    values: Sequence[float],
    levels: Sequence[str],
    warning: float,
    critical: float,
    *,
    height: int = 5,
    unit: str = "",
) -> Text:
    """Rows top to bottom: a point per reading, ``-`` the warning line, ``=`` the critical one."""
    text = Text()
    unit = visible(unit, single_line=True)  # an indicator's unit is data
    if not values:
        text.append("no readings yet 尚無讀數", style="dim")
        return text
    # A stored value that is not a finite number (``inf``) is left out of the scale
    # and drawn as "?" on the top row: shown as invalid, never a broken chart.
    scale = [v for v in (*values, warning, critical) if math.isfinite(v)] or [0.0]
    low, high = min(scale), max(scale)
    span = (high - low) or 1.0

    def row_of(value: float) -> int | None:
        if not math.isfinite(value):
            return None
        return round((value - low) / span * (height - 1))

    warn_row, crit_row = row_of(warning), row_of(critical)
    label_width = max(len(f"{high:g}"), len(f"{low:g}"))
    for row in range(height - 1, -1, -1):
        if row == height - 1:
            label = f"{high:g}"
        elif row == 0:
            label = f"{low:g}"
        else:
            label = ""
        text.append(f"{label:>{label_width}} |")
        for value, level in zip(values, levels, strict=True):
            at = row_of(value)
            if at is None and row == height - 1:
                text.append(" ?", style="bold magenta")
            elif at == row:
                text.append(" *", style=LEVEL_STYLE.get(level, ""))
            elif row == crit_row:
                text.append("==", style="red")
            elif row == warn_row:
                text.append("--", style="yellow")
            else:
                text.append("  ")
        marks = []
        if row == crit_row:
            marks.append(f"critical {critical:g}{unit}")
        if row == warn_row:
            marks.append(f"warning {warning:g}{unit}")
        if marks:
            text.append("  " + ", ".join(marks), style="dim")
        text.append("\n")
    text.rstrip()
    return text


def reading_text(value: float, unit: str = "") -> str:
    """A reading as shown beside its chart; a stored value that is not finite shows as invalid."""
    if not math.isfinite(value):
        return "— (invalid 無效)"
    return f"{value:g}{visible(unit, single_line=True)}"
