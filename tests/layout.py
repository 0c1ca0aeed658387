"""The program's packages laid out as they install, for tests that must load exactly that.

In the checkout ``screens/``, ``widgets/`` and ``data/`` sit beside ``specialops/`` and
an editable install maps them in; tools that read the source tree (the import
contracts) and tests that run the program from elsewhere need the installed layout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
MOVED_IN = ("screens", "widgets", "data")

# Prepended to a ``python -c`` probe that runs with SPECIALOPS_TEST_SITE set: it loads
# the laid-out copy rather than the editable install.
USE_SITE = """
import os, sys
if os.environ.get("SPECIALOPS_TEST_SITE"):
    sys.path.insert(0, os.environ["SPECIALOPS_TEST_SITE"])
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
"""


def lay_out(folder: Path) -> Path:
    """Copy the packages into ``folder/site/specialops`` and return ``folder/site``."""
    site = folder / "site"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(CHECKOUT / "specialops", site / "specialops", ignore=ignore)
    for name in MOVED_IN:
        shutil.copytree(CHECKOUT / name, site / "specialops" / name, ignore=ignore)
    return site
