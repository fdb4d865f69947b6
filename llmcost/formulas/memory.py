"""Memory: model states per parameter, ZeRO sharding, activations and the KV cache.

Model states follow Rajbhandari et al. 2020 (``rajbhandari2020zero``): mixed-precision Adam
keeps 2-byte weights, 2-byte gradients and K = 12 bytes of optimizer state (fp32 master
weights, momentum, variance) per parameter, 16 bytes in all. Activations follow Korthikanti
et al. 2022 (``korthikanti2022reducing``), in bytes, for a transformer layer with 16-bit
activations and dropout masks.
"""

from __future__ import annotations

import numpy as np

from ..core.validate import check_choice, check_count, check_flag, check_positive, finite_result, plain

BYTES_PER_VALUE = {"fp32": 4.0, "tf32": 4.0, "fp16": 2.0, "bf16": 2.0, "fp8": 1.0, "int8": 1.0, "fp4": 0.5, "int4": 0.5,
                   "mxfp4": 4.25 / 8, "nvfp4": 4.5 / 8}
"""Storage bytes of one number in each format (tf32 is stored as fp32). ``fp4`` and ``int4`` count
the 4-bit elements only; the block-scaled formats add their scales: ``mxfp4`` one 8-bit E8M0
scale per 32 elements, 4.25 bits a value (ocp2023mx, Table 1), ``nvfp4`` one 8-bit E4M3 scale
per 16 elements, 4.5 bits (nvidia2025nvfp4pretrain, Section 2; its per-tensor FP32 scale is negligible)."""

STORAGE_FORMATS = tuple(BYTES_PER_VALUE)
"""Formats a weight or a cached value may be stored in."""

OPTIMIZER_STATE_BYTES = {
    # (optimizer, mixed_precision) -> bytes of optimizer state per parameter
    ("adam", True): 12.0,  # fp32 master copy + momentum + variance
    ("adam", False): 8.0,  # momentum + variance; the fp32 weights are the master copy
    ("sgd", True): 8.0,  # fp32 master copy + momentum
    ("sgd", False): 4.0,  # momentum
    ("adam8bit", True): 6.0,  # fp32 master copy + two 1-byte states (Dettmers et al. 2022)
    ("adam8bit", False): 2.0,
    ("adafactor", True): 4.0,  # fp32 master copy; factored second moments are O(rows + cols)
    ("adafactor", False): 0.0,
}
OPTIMIZERS = ("adam", "sgd", "adam8bit", "adafactor")
ZERO_STAGES = (0, 1, 2, 3)
RECOMPUTE_MODES = ("none", "selective", "full")
GB = 1e9


def bytes_per_value(precision: str) -> float:
    """Bytes to store one number in ``precision`` (fp32 4, bf16/fp16 2, fp8/int8 1, fp4/int4 0.5,
    mxfp4 0.53125, nvfp4 0.5625)."""
    return BYTES_PER_VALUE[check_choice("precision", precision, BYTES_PER_VALUE)]


def state_bytes_per_param(precision: str = "bf16", optimizer: str = "adam") -> dict:
    """Bytes per parameter of weights, gradients and optimizer states during training.

    precision: training precision of weights and gradients; anything below fp32 is taken as
    mixed precision, which adds an fp32 master copy to the optimizer state.
    """
    weights = bytes_per_value(precision)
    optimizer = check_choice("optimizer", optimizer, OPTIMIZERS)
    mixed = weights < BYTES_PER_VALUE["fp32"]
    return {"weights": weights, "gradients": weights, "optimizer": OPTIMIZER_STATE_BYTES[(optimizer, mixed)]}


ZERO_SHARDED = {0: (), 1: ("optimizer",), 2: ("optimizer", "gradients"), 3: ("optimizer", "gradients", "weights")}
"""Which model states each ZeRO stage shards over the data-parallel ranks."""


def zero_state_split(stage, precision="bf16", optimizer="adam") -> tuple[float, float]:
    """Bytes per parameter (replicated on every rank, sharded over the ranks) under ZeRO ``stage``.

    Per GPU a model then needs ``params x (replicated + sharded / N)`` bytes for N ranks.
    """
    stage = check_choice("stage", stage, ZERO_STAGES)
    b = state_bytes_per_param(precision, optimizer)
    sharded = sum(value for name, value in b.items() if name in ZERO_SHARDED[stage])
    return sum(b.values()) - sharded, sharded


@finite_result
def zero_bytes_per_gpu(params, data_parallel, stage, precision="bf16", optimizer="adam"):
    """Model-state bytes per GPU under ZeRO ``stage`` with ``data_parallel`` ranks.

    Stage 0 replicates everything; 1 shards optimizer states (P_os), 2 also gradients
    (P_os+g), 3 also parameters (P_os+g+p). With Psi params and N ranks, mixed-precision Adam:
    16 Psi, 4 Psi + 12 Psi/N, 2 Psi + 14 Psi/N, 16 Psi/N.
    """
    params = check_positive("params", params)
    n = np.asarray(check_count("data_parallel", data_parallel), dtype=float)
    replicated, sharded = zero_state_split(stage, precision, optimizer)
    total = params * (replicated + sharded / n)
    return float(total) if np.ndim(total) == 0 else total


@finite_result
def zero_communication_volume(params, stage):
    """Elements each rank sends and receives per step, in multiples of the parameter count.

    Stages 0-2: ``2 Psi`` (a reduce-scatter plus an all-gather, the same as data-parallel
    all-reduce). Stage 3: ``3 Psi``, 1.5x, because parameters are all-gathered in forward and
    again in backward.
    """
    params = check_positive("params", params)
    stage = check_choice("stage", stage, ZERO_STAGES)
    return (3.0 if stage == 3 else 2.0) * params


@finite_result
def zero_offload_bytes(params, precision="bf16", optimizer="adam"):
    """ZeRO-Offload: GPU keeps the 16-bit weights; gradients and optimizer step live on the CPU.

    Returns ``{"gpu": bytes, "cpu": bytes}`` (Ren et al. 2021, ``ren2021zerooffload``).
    """
    params = check_positive("params", params)
    b = state_bytes_per_param(precision, optimizer)
    return {"gpu": params * b["weights"], "cpu": params * (b["gradients"] + b["optimizer"])}


@finite_result
def activation_bytes_per_layer(seq, batch, hidden, heads, tensor_parallel=1, sequence_parallel=False, recompute="none",
                               flash_attention=False):
    """Activation bytes of one transformer layer for one micro-batch (Korthikanti et al. 2022).

    seq: sequence length s; batch: micro-batch size b; hidden: h; heads: a; tensor_parallel: t.
    none: ``s b h (10 + 24/t + 5 a s / (h t))``, or ``s b h (34 + 5 a s / h) / t`` with sequence
    parallelism; selective (recompute attention scores only): drops the ``5 a s / h`` term;
    full (keep only the layer input): ``2 s b h`` (``/ t`` with sequence parallelism).
    flash_attention: the kernel never materializes the ``a s^2`` score matrix (Dao et al. 2022):
    the ``5 a s / h`` term becomes the fp32 log-sum-exp it keeps per row, ``4 a / h`` (4 bytes
    x b a s), split over the ``t`` ranks like the heads. sequence_parallel, flash_attention: True or False.
    """
    s = check_positive("seq", seq)
    b = check_positive("batch", batch)
    h = check_positive("hidden", hidden)
    a = check_positive("heads", heads)
    t = np.asarray(check_count("tensor_parallel", tensor_parallel), dtype=float)
    recompute = check_choice("recompute", recompute, RECOMPUTE_MODES)
    sequence_parallel = check_flag("sequence_parallel", sequence_parallel)
    flash_attention = check_flag("flash_attention", flash_attention)
    sbh = s * b * h
    if flash_attention:
        attention_scores = 4 * a / h
    else:
        attention_scores = 0.0 if recompute == "selective" else 5 * a * s / h
    if recompute == "full":
        total = 2 * sbh / (t if sequence_parallel else 1)
    elif sequence_parallel:
        total = sbh * (34 + attention_scores) / t
    else:
        total = sbh * (10 + 24 / t + attention_scores / t)
    return plain(total)


@finite_result
def kv_cache_bytes(layers, kv_dim, context, batch=1, precision="bf16"):
    """Bytes of the key/value cache: ``2 x layers x kv_dim x context x batch x bytes``.

    kv_dim: width of the keys (= d_model for multi-head attention; kv_heads x head_dim for
    grouped-query attention).
    """
    layers = check_count("layers", layers)
    kv_dim = check_count("kv_dim", kv_dim)
    context = check_positive("context", context)
    batch = check_positive("batch", batch)
    return 2.0 * layers * kv_dim * context * batch * bytes_per_value(precision)


@finite_result
def gpus_to_hold(total_bytes, memory_gb):
    """Accelerators (fractional) whose memory adds up to ``total_bytes``; memory_gb in GB (1e9 B)."""
    total_bytes = check_positive("total_bytes", total_bytes)
    memory_gb = check_positive("memory_gb", memory_gb)
    return total_bytes / (memory_gb * GB)

