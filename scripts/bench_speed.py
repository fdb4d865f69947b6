"""Benchmark: how fast one estimate is, scalar and vectorized, and how fast the CLI starts.

Prints, on one core (the process pins itself to one CPU where the OS allows it):

* a scalar ``serving_estimate`` (README's Llama 2 70B on 4 A100s) and a scalar
  ``training_estimate`` (GPT-3 on 1,000 A100s, with cost and energy): median and best of
  repeated timings, in milliseconds;
* one vectorized ``serving_estimate`` over 1,000,000 batch sizes, in seconds;
* the wall time of ``llmcost train --model gpt-3 --json`` against ``python -c "import numpy"``,
  run alternately (medians, and the median ratio of the pairs), both with their bytecode cached
  as an installed package has it.

Figures only; nothing is asserted. Usage: ``python scripts/bench_speed.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit

import numpy as np

from llmcost import serving
from llmcost.formulas.estimate import training_estimate

SERVING = dict(gpus=4, batch=8, prompt_tokens=3968, output_tokens=128, usd_per_gpu_hour=2.0)


def per_call_ms(function, number: int, repeat: int) -> tuple[float, float]:
    """(median, best) milliseconds per call of ``function`` over ``repeat`` rounds of ``number`` calls."""
    function()
    rounds = [seconds / number * 1e3 for seconds in timeit.repeat(function, number=number, repeat=repeat)]
    return statistics.median(rounds), min(rounds)


def wall_seconds(command: list[str], env: dict | None = None) -> float:
    """Wall time of one run of ``command``, seconds."""
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def paired_medians(first: list[str], second: list[str], runs: int, env: dict | None = None) -> tuple[float, float, float]:
    """Median wall times (s) of two commands run alternately ``runs`` times each, and the median of
    their per-pair ratio second / first (alternating keeps a slow spell of the machine from
    falling on one command only). Each runs once first, unmeasured."""
    wall_seconds(first, env), wall_seconds(second, env)
    pairs = [(wall_seconds(first, env), wall_seconds(second, env)) for _ in range(runs)]
    return (statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs),
            statistics.median(b / a for a, b in pairs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command line (default 15)")
    runs = parser.parse_args().runs
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    serve = per_call_ms(lambda: serving.serving_estimate("llama-2-70b", "a100", **SERVING), 200, 15)
    train = per_call_ms(lambda: training_estimate(175e9, 300e9, 312e12, 0.462, gpus=1000, usd_per_gpu_hour=2.0, power_w=400,
                                                  pue=1.1, grid_kg_per_kwh=0.385), 1000, 15)
    batches = np.random.default_rng(0).integers(1, 100, 1_000_000)
    sweep = min(timeit.repeat(lambda: serving.serving_estimate("llama-2-70b", "h100", gpus=8, batch=batches, prompt_tokens=1000,
                                                               output_tokens=100), number=1, repeat=3))
    commands = [sys.executable, "-c", "import numpy"], [sys.executable, "-m", "llmcost.cli", "train", "--model", "gpt-3", "--json"]
    with tempfile.TemporaryDirectory() as cache:
        # Bytecode as an installed package has it: compiled once, then read (PYTHONDONTWRITEBYTECODE
        # would make every run compile llmcost's sources, about 30 ms, while numpy's come compiled).
        env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONPYCACHEPREFIX": cache}
        numpy_s, cli_s, ratio = paired_medians(*commands, runs, env)
    print(f"scalar serving_estimate:   median {serve[0]:.3f} ms, best {serve[1]:.3f} ms")
    print(f"scalar training_estimate:  median {train[0]:.3f} ms, best {train[1]:.3f} ms")
    print(f"serving_estimate over 1,000,000 batches: {sweep:.3f} s")
    print(f"python -c 'import numpy': {numpy_s * 1e3:.0f} ms; llmcost train --model gpt-3 --json: {cli_s * 1e3:.0f} ms "
          f"(median ratio of {runs} alternating pairs: {ratio:.2f} x)")


if __name__ == "__main__":
    main()
