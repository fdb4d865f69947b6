"""Write constraints.txt: every package installed in this environment, pinned by name and version.

Run it with the project's environment after an intended upgrade, then review ``git diff``::

    .venv/bin/python scripts/refresh_constraints.py            # rewrites constraints.txt
    .venv/bin/python scripts/refresh_constraints.py --stdout   # prints it instead

Unlike ``pip freeze``, which writes ``name @ file:///...`` for a wheel installed from a local
folder (a path that exists only on this machine), each line is ``name==version``: pip on any
machine resolves it from the package index. llmcost itself and the installer's own packages
(pip, setuptools, wheel) are left out.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

CONSTRAINTS = Path(__file__).resolve().parent.parent / "constraints.txt"
LEFT_OUT = {"llmcost", "pip", "setuptools", "wheel"}
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9][A-Za-z0-9.+!_-]*$")


def pins() -> list[str]:
    """``name==version`` of every installed distribution but :data:`LEFT_OUT`, sorted by name."""
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and re.sub(r"[-_.]+", "-", name).lower() not in LEFT_OUT:
            found[name.lower()] = f"{name}=={dist.version}"
    lines = [found[key] for key in sorted(found)]
    bad = [line for line in lines if not PIN.match(line)]
    if bad:
        raise SystemExit(f"refresh_constraints: not a plain name==version pin: {bad}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdout", action="store_true", help="print the constraints instead of writing constraints.txt")
    text = "\n".join(pins()) + "\n"
    if parser.parse_args().stdout:
        sys.stdout.write(text)
    else:
        CONSTRAINTS.write_text(text, encoding="utf-8")
        print(f"refresh_constraints: wrote {len(text.splitlines())} pins to {CONSTRAINTS}")


if __name__ == "__main__":
    main()
