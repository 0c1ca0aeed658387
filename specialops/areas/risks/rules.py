"""Risk arithmetic: the 5×5 matrix, expected loss, indicator levels (pure functions).

Indicator levels come from :mod:`specialops.measures`, named ok/warning/critical
through :data:`INDICATOR`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from specialops import measures
from specialops.errors import ValidationError

LEVELS = ("low", "medium", "high", "critical")
LEVEL_LABELS = {"low": "低", "medium": "中", "high": "高", "critical": "極高"}
SCALE = range(1, 6)

# Rows are likelihood 5 (top) down to 1; columns impact 1..5.
DEFAULT_GRID = (
    "MHHCC",
    "MMHHC",
    "LMMHH",
    "LLMMH",
    "LLLMM",
)
_LETTERS = {"L": "low", "M": "medium", "H": "high", "C": "critical"}


@dataclass(frozen=True)
class Matrix:
    """Likelihood × impact → level; ``grid`` as rows for likelihood 5 down to 1."""

    grid: tuple[str, ...] = DEFAULT_GRID

    def __post_init__(self) -> None:
        if len(self.grid) != 5 or any(len(row) != 5 for row in self.grid):
            raise ValidationError("the risk matrix needs 5 rows of 5 cells", field="matrix")
        if any(cell not in _LETTERS for row in self.grid for cell in row):
            raise ValidationError(
                "matrix cells are L (low), M (medium), H (high) or C (critical)", field="matrix"
            )

    def level(self, likelihood: int, impact: int) -> str:
        """The level of a cell; both scales run 1–5."""
        check_scale(likelihood, "likelihood")
        check_scale(impact, "impact")
        return _LETTERS[self.grid[5 - likelihood][impact - 1]]

    def to_json(self) -> str:
        return json.dumps(list(self.grid))

    @classmethod
    def from_json(cls, text: str) -> Matrix:
        return cls(tuple(json.loads(text)))


def check_scale(value: int, name: str) -> int:
    """A likelihood or impact must be a whole number from 1 to 5."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
        raise ValidationError(f"{name} must be a whole number from 1 to 5", field=name)
    return value


def expected_loss(probability_percent: int | None, loss_minor: int | None) -> int | None:
    """Probability (0–100 %) × loss amount, in minor units, rounded half up."""
    if probability_percent is None or loss_minor is None:
        return None
    if not 0 <= probability_percent <= 100:
        raise ValidationError("probability must be from 0 to 100 %", field="probability")
    if loss_minor < 0:
        raise ValidationError("the loss amount cannot be negative", field="loss_amount")
    value = Decimal(loss_minor) * Decimal(probability_percent) / Decimal(100)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


OPEN_ACTION_STATUSES = ("open", "in_progress")  # an action still to be done

# Indicators are measures (specialops.measures) named in the register's words.
INDICATOR = measures.Vocabulary(
    directions={
        "higher_worse": measures.Direction.LOWER_BETTER,
        "lower_worse": measures.Direction.HIGHER_BETTER,
    },
    levels=("ok", "warning", "critical"),
    order_errors={
        "higher_worse": "when higher is worse, the critical threshold must be at or above "
        "the warning one",
        "lower_worse": "when lower is worse, the critical threshold must be at or below "
        "the warning one",
    },
    order_field="critical",
)
DIRECTIONS = tuple(INDICATOR.directions)
INDICATOR_LEVELS = INDICATOR.levels


def check_thresholds(direction: str, warning: float, critical: float) -> None:
    """Critical must lie beyond warning in the worse direction."""
    measures.check(INDICATOR, direction, warning=warning, critical=critical)


def indicator_level(value: float, direction: str, warning: float, critical: float) -> str:
    """ok, warning or critical; a reading exactly on a threshold has crossed it."""
    return INDICATOR.level(value, direction, warning, critical)
