"""The set-up names only what any machine can install: no local paths in the requirements.

pip freeze writes ``name @ file:///...`` for a wheel installed from a local folder; such a line
installs only on the machine that wrote it. requirements.txt and constraints.txt must hold
plain ``name==version`` pins (plus ``-c constraints.txt`` and ``-e .``), and the script that
regenerates constraints.txt must write nothing else.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9][A-Za-z0-9.+!_-]*$")
ALLOWED_DIRECTIVES = {"-c constraints.txt", "-e ."}


def local_path_problems(text: str) -> list[str]:
    """Lines of a requirements file that are neither a ``name==version`` pin nor an allowed directive."""
    problems = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#") or line in ALLOWED_DIRECTIVES:
            continue
        if not PIN.match(line) or "file:" in line or "@" in line or "/" in line:
            problems.append(f"line {number}: {raw}")
    return problems


@pytest.mark.parametrize("name", ["requirements.txt", "constraints.txt"])
def test_requirements_name_only_index_packages(name):
    problems = local_path_problems((ROOT / name).read_text(encoding="utf-8"))
    assert not problems, f"{name} holds lines that install only on one machine:\n" + "\n".join(problems)


def test_the_check_catches_a_local_wheel():
    """The line that broke a fresh clone is caught (the check can fail)."""
    line = "django-static-mathjax @ file:///tmp/mjx/django_static_mathjax-3.2.2.1-py3-none-any.whl#sha256=05ad"
    assert local_path_problems(f"numpy==2.4.6\n{line}\n") == [f"line 2: {line}"]
    assert local_path_problems("pkg @ /opt/wheels/pkg.whl\n./local-dir\n") == ["line 1: pkg @ /opt/wheels/pkg.whl",
                                                                               "line 2: ./local-dir"]


def test_refresh_constraints_writes_only_pins():
    """scripts/refresh_constraints.py pins every installed package by name and version, nothing else."""
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "refresh_constraints.py"), "--stdout"],
                            capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert len(lines) > 50 and not local_path_problems(result.stdout)
    assert any(line.lower().startswith("django-static-mathjax==") for line in lines)
    assert not any(line.lower().startswith(("llmcost==", "pip==", "setuptools==")) for line in lines)


def test_no_book_is_honoured_wherever_it_comes(tmp_path):
    """`scripts/test.sh -k data --no-book` must skip the book as `--no-book -k data` does (it used
    to be read only as the first argument, and otherwise went on to build the book)."""
    env = {**os.environ, "LLMCOST_SKIP_INSTALL": "1"}
    proc = subprocess.run(["bash", "scripts/test.sh", "-k", "no_test_has_this_name", "--no-book", "--collect-only", "-q"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert "build" not in proc.stdout.lower() + proc.stderr.lower(), proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.returncode == 5, proc.stdout[-2000:] + proc.stderr[-2000:]  # pytest: every test deselected
