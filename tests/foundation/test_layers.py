"""The layers are kept by import-linter (``make lint``): a wrong import fails the build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "root_packages"
]


@pytest.fixture
def house(tmp_path: Path) -> Path:
    """A copy of the product's packages and its contracts, to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=where, env=env, capture_output=True, text=True
    )


def test_the_house_as_built_keeps_every_contract(house: Path) -> None:
    result = lint(house)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "broken"),
    [
        ("models/__init__.py", "import ivr.views", "One-way layers"),
        ("core/settings.py", "import models", "One-way layers"),
        ("outbound/__init__.py", "import workflows", "One-way layers"),
        ("ivr/__init__.py", "import prescriptions", "IVR and prescriptions are independent"),
        ("standin/__init__.py", "import core.settings", "stand-in knows nothing of the product"),
        ("workflows/__init__.py", "import standin", "product never imports the stand-in"),
    ],
)
def test_a_wrong_import_breaks_a_contract(
    house: Path, module: str, wrong_import: str, broken: str
) -> None:
    path = house / module
    path.write_text(path.read_text() + f"\n{wrong_import}  # deliberately wrong\n")
    result = lint(house)
    assert result.returncode != 0
    broken_lines = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert any(broken in line for line in broken_lines), result.stdout
