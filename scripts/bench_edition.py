"""Time `llmcost book` (a reader's edition): one chapter, then the whole book with 2 jobs and with 1.

    .venv/bin/python scripts/bench_edition.py            # all three
    .venv/bin/python scripts/bench_edition.py --one      # the one-chapter edition only

Prints wall-clock seconds; the editions go to a temporary folder. Targets (issue 11): one chapter
under 10 s, the whole book under 40 s with --jobs 2 on 2 cores.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

from llmcost.book import edition

PARAMS = {"model": "gpt-3", "gpu": "h100", "mfu": 0.4, "usd_per_gpu_hour": 2.5}


def timed(label: str, **kwargs) -> float:
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stderr(io.StringIO()):
        start = time.perf_counter()
        edition(PARAMS, out=Path(tmp) / "html", **kwargs)
        seconds = time.perf_counter() - start
    print(f"{label:<40} {seconds:6.1f} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", action="store_true", help="time the one-chapter edition only")
    args = parser.parse_args()
    timed("one chapter (00_intro), --jobs 1", chapters=["00_intro"], jobs=1)
    if not args.one:
        timed("whole book, --jobs 2", jobs=2)
        timed("whole book, --jobs 1 (serial)", jobs=1)


if __name__ == "__main__":
    main()
