"""Speed and memory figures: ``python -m benchmarks`` (``make bench``).

Run from a checkout, Python puts the checkout first on ``sys.path``, where the
``specialops/`` source folder lacks the ``screens``, ``widgets`` and ``data``
packages that an installed (non-editable) wheel carries inside it. When that
folder would shadow an installed copy, the installed copy is used.
"""

from __future__ import annotations

import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def _prefer_the_installed_package() -> None:
    if "specialops" in sys.modules or (_CHECKOUT / "specialops" / "widgets").exists():
        return
    from importlib.util import find_spec

    def shadows(entry: str) -> bool:
        return Path(entry or ".").resolve() == _CHECKOUT

    kept = [entry for entry in sys.path if not shadows(entry)]
    saved, sys.path[:] = list(sys.path), kept
    if find_spec("specialops") is None:  # not installed: the checkout is all there is
        sys.path[:] = saved


_prefer_the_installed_package()
