"""The nbval regression catches a change of one part in a million, and only a real one.

Committed outputs are rounded (``llmcost.book``: chart data to ``CHART_DIGITS`` significant
digits, formatted numbers after dropping digits beyond ``DENOISE_DIGITS``) so that they hold on
any CPU. These tests check the rounding did not blind the regression: with training compute
changed from 6PD to 6.000006PD, the nbval run of chapter 3 fails; they also check that no
committed output carries a float in full precision, whose last digits depend on the CPU.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import CHAPTERS, ROOT
from llmcost.book import CHART_DIGITS, DENOISE_DIGITS, round_significant

FORMULA = "return flops_per_param_per_token(True, recompute) * params * tokens"
MUTATED = FORMULA + " * 1.000001"
SPEC = re.compile(r'<script type="application/json" class="llmcost-chart-spec">(.*?)</script>', re.DOTALL)
# A decimal number with more significant digits than DENOISE_DIGITS (e.g. 0.36982305132196536).
LONG_FLOAT = re.compile(r"(?<![\w.])\d*\.\d{%d,}(?:e[+-]?\d+)?" % (DENOISE_DIGITS + 1))


def nbval(chapter: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    """Run the nbval regression of one chapter in a subprocess (its kernel inherits the environment)."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval", "--nbval-current-env",
               "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), str(chapter)]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_nbval_catches_one_part_in_a_million(tmp_path):
    """6PD -> 6.000006PD in a copy of llmcost that the kernel imports first: chapter 3 fails nbval."""
    copy = tmp_path / "llmcost"
    shutil.copytree(ROOT / "llmcost", copy, symlinks=False, ignore=shutil.ignore_patterns("__pycache__"))
    flops = copy / "formulas" / "flops.py"
    source = flops.read_text(encoding="utf-8")
    assert source.count(FORMULA) == 1, f"update FORMULA: training_flops no longer reads {FORMULA!r}"
    flops.write_text(source.replace(FORMULA, MUTATED), encoding="utf-8")
    probe = subprocess.run([sys.executable, "-c", "import llmcost; print(llmcost.__file__, format(llmcost.training_flops(1, 1), '.7g'))"],
                           env={**os.environ, "PYTHONPATH": str(tmp_path)}, cwd=tmp_path, capture_output=True, text=True,
                           check=True)
    assert probe.stdout.split() == [str(copy / "__init__.py"), "6.000006"], probe.stdout

    mutated = nbval(CHAPTERS / "03_flop_accounting.ipynb", pythonpath=tmp_path)
    assert mutated.returncode == 1, mutated.stdout[-3000:]
    assert "failed" in mutated.stdout.splitlines()[-1], mutated.stdout[-3000:]


@pytest.mark.parametrize("name", sorted(path.stem for path in CHAPTERS.glob("*.ipynb")))
def test_committed_outputs_carry_no_cpu_digits(name):
    """Chart data carry at most CHART_DIGITS significant digits; no text output a float in full."""
    nb = nbformat.read(CHAPTERS / f"{name}.ipynb", as_version=4)
    too_precise, long_text = [], []

    def walk(value):
        if isinstance(value, float):
            if math.isfinite(value) and round_significant(value, CHART_DIGITS) != value:
                too_precise.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            texts = list(output.get("data", {}).values()) + [output.get("text", "")]
            for text in texts:
                text = text if isinstance(text, str) else json.dumps(text)
                for payload in SPEC.findall(text):
                    walk(json.loads(payload.replace("<\\/", "</")))
                long_text += [f"cell {index}: {hit}" for hit in LONG_FLOAT.findall(SPEC.sub("", text))]
    assert not too_precise, f"{name}: chart data with more than {CHART_DIGITS} significant digits: {too_precise[:5]}"
    assert not long_text, f"{name}: floats printed in full: {long_text[:5]}"
