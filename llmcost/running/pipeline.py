"""Pipeline schedules laid out in time: which stage runs which micro-batch's forward or backward
pass when, for GPipe and 1F1B, and what that costs in idle time and held activations.

The bubble formulas themselves are in :mod:`llmcost.parallelism`; this module draws the
schedules they summarize (chapter 4) and checks the formulas against them.
"""

from __future__ import annotations

import numpy as np

from ..core.validate import InputError, check_choice, check_one_count, check_positive

SCHEDULES = ("gpipe", "1f1b")
"""Synchronous pipeline schedules :func:`pipeline_schedule` lays out: GPipe (all forward passes,
then all backward passes; Huang et al. 2019) and 1F1B (PipeDream-Flush, as in Megatron-LM:
a few forward passes to fill the pipeline, then one forward and one backward in turn;
Narayanan et al. 2021)."""

MAX_SCHEDULE_PASSES = 20_000
"""Largest ``2 x stages x microbatches`` that :func:`pipeline_schedule` lays out (a picture, not a simulator)."""


def _stage_order(schedule: str, stage: int, stages: int, microbatches: int) -> list[tuple[str, int]]:
    """The passes one stage runs, in order: ("F" or "B", micro-batch)."""
    if schedule == "gpipe":
        return [("F", i) for i in range(microbatches)] + [("B", i) for i in range(microbatches)]
    warmup = min(stages - stage - 1, microbatches)
    order = [("F", i) for i in range(warmup)]
    for i in range(microbatches - warmup):
        order += [("F", warmup + i), ("B", i)]
    return order + [("B", i) for i in range(microbatches - warmup, microbatches)]


def pipeline_schedule(stages, microbatches, schedule="1f1b", backward_time=2.0):
    """The time line of one batch through a pipeline: one row per pass, as a dict of arrays.

    Keys: ``stage``, ``microbatch``, ``pass`` ("forward" or "backward"), ``start`` and ``end``
    in units of one stage's forward time (a backward pass takes ``backward_time`` of them).
    A pass starts when its stage is free and its input is ready: a forward pass after the same
    micro-batch's forward on the previous stage, a backward pass after its backward on the next.
    Both schedules idle for the same ``(p - 1) / (m + p - 1)`` of the time
    (:func:`llmcost.parallelism.bubble_fraction`); 1F1B holds at most ``p - s`` micro-batches' activations on stage
    ``s``, GPipe all ``m`` (:func:`in_flight_microbatches`).
    """
    p = check_one_count("stages", stages)
    m = check_one_count("microbatches", microbatches)
    schedule = check_choice("schedule", schedule, SCHEDULES)
    backward = float(check_positive("backward_time", backward_time))
    if 2 * p * m > MAX_SCHEDULE_PASSES:
        raise InputError(f"stages x microbatches must be at most {MAX_SCHEDULE_PASSES // 2:,} to lay the schedule out; got {p} x {m}")
    orders = [_stage_order(schedule, s, p, m) for s in range(p)]
    done: dict[tuple[str, int, int], float] = {}
    free = [0.0] * p
    cursor = [0] * p
    rows = []
    while len(rows) < 2 * p * m:
        placed = len(rows)
        for s in range(p):
            while cursor[s] < len(orders[s]):
                kind, i = orders[s][cursor[s]]
                ready = [done.get(("F", s - 1, i))] if kind == "F" and s > 0 else []
                if kind == "B":
                    ready = [done.get(("F", s, i))] + ([done.get(("B", s + 1, i))] if s < p - 1 else [])
                if any(t is None for t in ready):
                    break
                start = max([free[s], *ready])
                end = start + (1.0 if kind == "F" else backward)
                done[(kind, s, i)] = free[s] = end
                rows.append((s, i, "forward" if kind == "F" else "backward", start, end))
                cursor[s] += 1
        if len(rows) == placed:  # cannot happen with these orders; a guard against a silent hang
            raise RuntimeError(f"pipeline schedule {schedule!r} deadlocked at {placed} passes")
    stage, micro, passes, start, end = (np.array(column) for column in zip(*rows))
    return {"stage": stage, "microbatch": micro, "pass": passes, "start": start, "end": end}


def schedule_bubble(schedule: dict) -> float:
    """Idle share of the pipeline's devices over one laid-out batch: ``1 - busy / (p x makespan)``."""
    stages = int(schedule["stage"].max()) + 1
    busy = float(np.sum(schedule["end"] - schedule["start"]))
    return 1.0 - busy / (stages * float(schedule["end"].max()))


def in_flight_microbatches(schedule: dict):
    """Per stage, the most micro-batches whose activations are held at once (forward done, backward not)."""
    stages = int(schedule["stage"].max()) + 1
    peaks = np.zeros(stages, dtype=int)
    for s in range(stages):
        mine = schedule["stage"] == s
        forward_ends = np.sort(schedule["end"][mine & (schedule["pass"] == "forward")])
        backward_ends = np.sort(schedule["end"][mine & (schedule["pass"] == "backward")])
        events = sorted([(t, 1) for t in forward_ends] + [(t, -1) for t in backward_ends])
        held = np.cumsum([delta for _, delta in events])
        peaks[s] = held.max()
    return peaks
