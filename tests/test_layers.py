"""The package's layers: each subpackage imports only the ones below it.

    core -> catalog -> formulas -> running -> analysis -> book -> cli

The contract is import-linter's (``[tool.importlinter]`` in pyproject.toml), over every import
statement, those inside functions too. The tests run it on the package, and on a copy with one
deliberate upward import, which it must find.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import llmcost
from conftest import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
LAYERS = ["cli", "book", "analysis", "running", "formulas", "catalog", "core"]


def lint(cwd: Path, *extra: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"PYTHONPATH": str(pythonpath)} if pythonpath else {})}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *extra], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_the_contract_names_every_layer_in_order():
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"][0]
    assert contract["type"] == "layers"
    assert contract["layers"] == [f"llmcost.{layer}" for layer in LAYERS]
    packages = {path.parent.name for path in (ROOT / "llmcost").glob("*/__init__.py")}
    assert packages == set(LAYERS) - {"cli"}, "a subpackage that is in no layer"
    modules = {path.stem for path in (ROOT / "llmcost").glob("*.py")}
    assert modules == {"__init__", "cli"}, f"modules outside the layers: {sorted(modules - {'__init__', 'cli'})}"


def test_every_layer_says_what_it_holds_and_may_import():
    for layer in LAYERS[1:]:  # every subpackage
        doc = (ROOT / "llmcost" / layer / "__init__.py").read_text(encoding="utf-8")
        assert doc.startswith('"""') and "imports" in doc.split('"""')[1].lower(), f"llmcost.{layer} does not say what it may import"


def test_the_package_keeps_the_contract():
    proc = lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize(("module", "line"), [
    ("core/validate.py", "from ..book import tables  # deliberate upward import\n"),
    ("catalog/datasets.py", "def _upward():\n    from ..formulas import cost  # deliberate, inside a function\n    return cost\n"),
])
def test_an_upward_import_breaks_the_contract(tmp_path, module, line):
    copy = tmp_path / "llmcost"
    shutil.copytree(Path(llmcost.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__", "data"))
    target = copy / module
    target.write_text(target.read_text(encoding="utf-8") + "\n\n" + line, encoding="utf-8")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    proc = lint(tmp_path, pythonpath=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "BROKEN" in proc.stdout and "0 kept, 1 broken" in proc.stdout
    assert f"llmcost.{module[:-3].replace('/', '.')}" in proc.stdout


def test_short_module_names_reach_the_modules_in_their_layers():
    from llmcost.serving import serving_estimate  # the flat layout's path, kept for one release

    assert serving_estimate is llmcost.running.serving.serving_estimate
    assert llmcost.serving is llmcost.running.serving
    for short, place in llmcost.MODULES.items():
        assert getattr(llmcost, short).__name__ == f"llmcost.{place}"
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        llmcost.nonsense  # noqa: B018
