"""Efficient-training techniques (seed document 001) and how far adding accelerators speeds a run up.

* :func:`techniques` loads ``data/techniques.csv``: one technique per row with what it saves
  (memory, compute, communication, time), what it costs and its published effect, each with a
  BibTeX key and a locator.
* :func:`computed_effects` recomputes, for one model, the effects that llmcost's formulas can
  give (ZeRO memory per GPU, recomputation FLOPs, 8-bit optimizer state, pipeline bubble,
  all-reduce volume), so a chapter shows numbers instead of quoting them.
* :func:`scaling_speedup` and :func:`scaling_efficiency`: speed-up = GPU ratio x efficiency, the
  arithmetic behind the Colossal-AI talk's "1,000 -> 10,000 GPUs should give 9x" (seed 003).

pandas is imported inside the functions that return tables only.
"""

from __future__ import annotations

import numpy as np

from ..formulas import flops, memory, parallelism
from ..catalog.datasets import technique_rows, technique_table
from ..core.validate import InputError, check_choice, check_count, check_finite, check_fraction, check_positive, finite_result, plain

CATEGORIES = ("parallelism", "memory", "precision", "communication", "optimizer", "batch")
"""Allowed values of the ``category`` column of ``techniques.csv``."""

SAVES = ("memory", "compute", "communication", "time")
"""Allowed values (``;``-separated) of the ``saves`` column of ``techniques.csv``."""


def techniques():
    """Every technique of ``techniques.csv`` as a pandas DataFrame.

    Columns: id, technique, category, saves (``;``-separated), cost, effect, source (BibTeX key),
    locator, note. Sources: one per row (see ``source``); the survey is seed 001.
    """
    return technique_table()


def technique(ident: str) -> dict:
    """One technique's row as a dict, by id; an unknown id lists the known ones."""
    rows = {row["id"]: dict(row) for row in technique_rows()}
    if ident not in rows:
        raise InputError(f"unknown technique {ident!r}; known: {', '.join(rows)}")
    return rows[ident]


@finite_result
def scaling_speedup(gpus, baseline_gpus, efficiency):
    """Speed-up of a run moved from ``baseline_gpus`` to ``gpus`` accelerators, dimensionless.

    ``speed-up = gpus / baseline_gpus x efficiency`` (efficiency 1 = perfect linear scaling).
    Seed 003: 1,000 -> 10,000 GPUs at 90 % efficiency gives 9x. Scalars or numpy arrays.
    gpus, baseline_gpus: accelerator counts (whole numbers >= 1); efficiency: fraction in (0, 1].
    """
    gpus = np.asarray(check_count("gpus", gpus), dtype=float)
    baseline_gpus = np.asarray(check_count("baseline_gpus", baseline_gpus), dtype=float)
    efficiency = check_fraction("efficiency", efficiency)
    result = gpus / baseline_gpus * efficiency
    return plain(result)


@finite_result
def scaling_efficiency(speedup, gpus, baseline_gpus):
    """Scaling efficiency implied by a measured ``speedup`` from ``baseline_gpus`` to ``gpus``.

    ``efficiency = speedup / (gpus / baseline_gpus)``, a fraction (above 1 means super-linear, which
    this does not reject: it reports what the numbers imply). Inverse of :func:`scaling_speedup`.
    """
    speedup = check_positive("speedup", speedup)
    gpus = np.asarray(check_count("gpus", gpus), dtype=float)
    baseline_gpus = np.asarray(check_count("baseline_gpus", baseline_gpus), dtype=float)
    result = speedup / (gpus / baseline_gpus)
    return plain(result)


def computed_effects(params, data_parallel, stages, microbatches, precision="bf16"):
    """Effects of the techniques that llmcost can compute, for a model of ``params`` parameters.

    params: parameters Psi (count); data_parallel: ranks N sharing the model states;
    stages: pipeline stages p; microbatches: micro-batches m per batch; precision: training
    precision of weights and gradients (``memory.BYTES_PER_VALUE``).
    Returns a DataFrame with columns ``id`` (a row of ``techniques.csv``), ``quantity``,
    ``without`` and ``with`` (the value without and with the technique), ``unit``. The ZeRO rows
    compare with plain data parallelism (stage 0); the ring row compares the bytes a parameter
    server's link carries (``2 x N x gradients``) with those one ring rank sends; the bubble row
    compares m micro-batches with one (a naive pipeline).
    Formulas: ``memory.zero_bytes_per_gpu`` and ``memory.zero_communication_volume``
    (Rajbhandari et al. 2020), ``memory.state_bytes_per_param`` (8-bit Adam, Dettmers et al.
    2022), ``flops.flops_per_param_per_token`` (recomputation), ``parallelism.bubble_overhead``
    (GPipe), ``parallelism.ring_allreduce_bytes`` and ``parallelism.parameter_server_bytes``.
    """
    import pandas as pd

    params = check_positive("params", params)
    data_parallel = check_count("data_parallel", data_parallel)
    stages = check_count("stages", stages)
    microbatches = check_count("microbatches", microbatches)
    precision = check_choice("precision", precision, memory.BYTES_PER_VALUE)
    gb = memory.GB
    baseline = memory.zero_bytes_per_gpu(params, data_parallel, 0, precision) / gb
    grad_bytes = params * memory.bytes_per_value(precision)
    rows = [
        (f"zero-{stage}", f"model states per GPU, N = {data_parallel}", baseline,
         memory.zero_bytes_per_gpu(params, data_parallel, stage, precision) / gb, "GB")
        for stage in (1, 2, 3)
    ]
    rows += [
        ("zero-3", "elements communicated per rank per step", memory.zero_communication_volume(params, 0),
         memory.zero_communication_volume(params, 3), "parameters' worth"),
        ("zero-offload", "model states on one GPU", memory.zero_bytes_per_gpu(params, 1, 0, precision) / gb,
         memory.zero_offload_bytes(params, precision)["gpu"] / gb, "GB"),
        ("activation-checkpointing", "training FLOPs per parameter per token",
         flops.flops_per_param_per_token(True, False), flops.flops_per_param_per_token(True, True), "FLOP"),
        ("eightbit-optimizers", "Adam moment bytes per parameter",
         memory.OPTIMIZER_STATE_BYTES[("adam", False)], memory.OPTIMIZER_STATE_BYTES[("adam8bit", False)], "bytes"),
        ("pipeline-gpipe", f"bubble time per batch, p = {stages}", float(parallelism.bubble_overhead(stages, 1)),
         float(parallelism.bubble_overhead(stages, microbatches)), "of compute time"),
        ("ring-allreduce", f"gradient bytes on the busiest link per step, N = {data_parallel}",
         parallelism.parameter_server_bytes(grad_bytes, data_parallel) / gb,
         parallelism.ring_allreduce_bytes(grad_bytes, data_parallel) / gb, "GB"),
    ]
    return pd.DataFrame(rows, columns=["id", "quantity", "without", "with", "unit"])


# --- three techniques worked through (seed 001, section 3) ------------------------------------

FP16_SMALLEST = 2.0 ** -24
"""Smallest positive fp16 number (a subnormal): anything below half of it rounds to zero."""


def loss_scaling(values, scale):
    """Gradient values as an fp16 backward pass keeps them, without and with loss scaling.

    Mixed precision (Micikevicius et al. 2018) multiplies the loss, and so every gradient, by
    ``scale`` before the fp16 backward pass and divides the fp32 copy by it afterwards; a
    gradient below :data:`FP16_SMALLEST` otherwise becomes zero. values: gradients (any shape);
    scale: loss scale > 0 (a power of two keeps the mantissa). Returns ``plain`` and ``scaled``
    (the values after the round trip through fp16, as float64), ``lost_plain`` and
    ``lost_scaled`` (non-zero values that became zero), ``overflow`` (values the scale pushed
    past fp16's largest, 65,504).
    """
    values = np.asarray(check_finite("values", values), dtype=float)
    scale = check_positive("scale", scale)
    with np.errstate(over="ignore"):
        plain_fp16 = values.astype(np.float16).astype(float)
        scaled_fp16 = (values * scale).astype(np.float16).astype(float)
    overflow = np.isinf(scaled_fp16)
    return {
        "plain": plain_fp16,
        "scaled": np.where(overflow, np.nan, scaled_fp16 / scale),
        "lost_plain": (plain_fp16 == 0) & (values != 0),
        "lost_scaled": (scaled_fp16 == 0) & (values != 0),
        "overflow": overflow,
    }


@finite_result
def fusion_bytes(elements, ops, bytes_per_value=2.0):
    """HBM bytes moved by ``ops`` element-wise operations on ``elements`` values, run one by one
    (each reads and writes the whole tensor) and fused into one kernel (one read, one write).

    Returns ``{"unfused": 2 x ops x elements x bytes, "fused": 2 x elements x bytes}``, bytes.
    """
    elements = check_positive("elements", elements)
    ops = check_count("ops", ops)
    size = elements * check_positive("bytes_per_value", bytes_per_value)
    return {"unfused": plain(2 * ops * size), "fused": plain(2 * size)}


def trust_ratio(weights, update):
    """Layer-wise trust ratio of LARS and LAMB, ``||w|| / ||update||`` (You et al. 2017, 2020):
    each layer's step is scaled so that it changes the layer's weights by the same relative
    amount. weights, update: one layer's arrays; 1 where either norm is 0 (as LAMB does)."""
    w = float(np.linalg.norm(check_finite("weights", weights)))
    u = float(np.linalg.norm(check_finite("update", update)))
    return w / u if w > 0 and u > 0 else 1.0
