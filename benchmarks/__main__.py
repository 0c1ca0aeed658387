"""Run every ``benchmarks/*_bench.py`` module's ``main()`` in turn: ``python -m benchmarks``.

Name modules to run only those: ``python -m benchmarks list``.
"""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path


def main(argv: list[str]) -> None:
    here = Path(__file__).parent
    names = sorted(p.stem for p in here.glob("*_bench.py"))
    wanted = [n for n in names if not argv or any(n.startswith(a) for a in argv)]
    for name in wanted:
        print(f"== {name}", flush=True)
        sys.argv = [f"benchmarks.{name}"]  # each benchmark reads its own arguments: none here
        import_module(f"benchmarks.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
