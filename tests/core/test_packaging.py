"""The installed wheel: what ships, under which names, and that it runs from elsewhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Build from a copy of the tracked files: a build in the checkout leaves a build/
    # folder behind whose stale files could slip into later wheels.
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [*PIP_WHEEL, "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (found,) = out.glob("specialops-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_ships_screens_widgets_and_data_inside_the_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert top_level == {"specialops", next(n for n in top_level if n.endswith(".dist-info"))}
    for expected in (
        "specialops/screens/__init__.py",
        "specialops/widgets/__init__.py",
        "specialops/data/people.toml",
        "specialops/migrations/env.py",
        "specialops/migrations/script.py.mako",
        "specialops/migrations/versions/0001_core.py",
        "specialops/areas/risks/__init__.py",
        "specialops/screens/shell/registry.py",
        "specialops/screens/app.tcss",
    ):
        assert expected in names
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)


@pytest.mark.slow
def test_the_installed_wheel_runs_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import specialops, specialops.screens, specialops.widgets, specialops.data;"
            "print(specialops.__file__)",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip().startswith(str(target))
    db = elsewhere / "ops.db"
    init = subprocess.run(
        [sys.executable, "-m", "specialops", "--db", str(db), "init", "--demo", "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert init.returncode == 0, init.stderr
    assert json.loads(init.stdout)["demo"]["users"] >= 10
