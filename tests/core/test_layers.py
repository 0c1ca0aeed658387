"""The layering of ARCHITECTURE.md holds: the import contracts in pyproject.toml, and
areas that import each other only along the edges their ``AREA.needs`` declares."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.layout import CHECKOUT, USE_SITE, lay_out

CHECK = (
    USE_SITE
    + """
import json
import grimp
from importlinter.cli import lint_imports
from specialops import areas

contracts = lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True)
graph = grimp.build_graph("specialops", exclude_type_checking_imports=True)
crossings = []
installed = {area.name: area for area in areas.installed()}
for name, area in installed.items():
    allowed = {name, *area.needs}
    for module in graph.find_descendants(area.package) | {area.package}:
        for imported in graph.find_modules_directly_imported_by(module):
            parts = imported.split(".")
            if imported.startswith("specialops.areas.") and len(parts) > 2:
                if parts[2] in installed and parts[2] not in allowed:
                    crossings.append(f"{module} -> {imported}")
print(json.dumps({"contracts": contracts, "crossings": sorted(crossings)}))
"""
)


def _check(site: Path) -> dict:
    """Run the contracts and the edge check over the program laid out in ``site``."""
    result = subprocess.run(
        [sys.executable, "-c", CHECK, str(CHECKOUT / "pyproject.toml")],
        env={**os.environ, "SPECIALOPS_TEST_SITE": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=site,
    )
    assert result.stdout.strip(), result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    found["report"] = result.stdout
    return found


@pytest.fixture(scope="module")
def layers(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _check(lay_out(tmp_path_factory.mktemp("layers")))


def test_the_import_contracts_are_kept(layers: dict) -> None:
    assert layers["contracts"] == 0, layers["report"]


def test_areas_import_each_other_only_along_declared_edges(layers: dict) -> None:
    assert layers["crossings"] == []


def test_the_contracts_can_fail(tmp_path: Path) -> None:
    site = lay_out(tmp_path)
    planted = site / "specialops" / "widgets" / "planted.py"
    planted.write_text("from specialops.areas.tickets import models\n", encoding="utf-8")
    crossing = site / "specialops" / "areas" / "people" / "planted.py"
    crossing.write_text("from specialops.areas.risks import rules\n", encoding="utf-8")
    found = _check(site)
    assert found["contracts"] != 0
    assert "specialops.widgets.planted" in found["report"]
    assert "specialops.areas.people.planted -> specialops.areas.risks.rules" in found["crossings"]
