"""Automatic parallelism: the fastest layout of a training step that fits in memory.

Given a model, a cluster (``gpus`` accelerators in nodes of ``gpus_per_node``) and a global batch,
:func:`search_layouts` tries every tensor-parallel size (within a node, dividing the heads),
pipeline size (dividing the layers), data-parallel size (the rest), micro-batch, ZeRO stage,
activation recomputation and sequence parallelism, and prices each layout's step as the sum of

* compute: the step's FLOPs (``6PD`` plus causal attention, plus what recomputation repeats) at
  ``compute_efficiency`` of the dense peak on every accelerator;
* the pipeline bubble: compute x ``(p - 1) / m`` (GPipe/1F1B with ``m`` micro-batches);
* tensor-parallel traffic: ``8 b s h (t - 1) / t`` values per layer and micro-batch on each
  device (Narayanan et al. 2021, section 3.2; 1.5x with full recomputation, which repeats the
  forward all-reduces), over NVLink at half its two-way rate;
* pipeline traffic: each micro-batch's activations forward and their gradients back across each
  stage boundary;
* data-parallel traffic: a ring all-reduce of each replica's 16-bit gradients (1.5x under ZeRO-3,
  Rajbhandari et al. 2020), over the node's network when the ring leaves the node;

with no overlap between them, and keeps the layouts whose model states (ZeRO over the
data-parallel ranks) and activations (Korthikanti et al. 2022, ``min(p, m)`` micro-batches in
flight on the first stage) fit in the accelerator's memory. It is the search seed 001 describes
(automatic parallelism, as Alpa or Colossal-AI's auto-parallel do with measured costs), on the
book's own formulas; :func:`why_it_wins` shows what each choice is worth.
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd

from ..catalog import datasets
from ..catalog.hardware import GPUS_PER_NODE, default_network_gbps, peak_flops
from ..core.validate import InputError, check_choice, check_count, check_fraction, check_positive
from ..formulas import flops, memory, parallelism
from .architecture import active_params_from_architecture, architecture, params_from_architecture
from .serving import COMPUTE_EFFICIENCY

GB = 1e9

MICRO_BATCHES = (1, 2, 4, 8, 16)
"""Micro-batch sizes tried (sequences)."""


MEGATRON_GPT3 = {"model": "gpt-3", "gpu": "a100-80gb-sxm", "gpus": 1024, "global_batch": 1536, "seq": 2048,
                 "tflops_per_gpu": 140.0, "recompute": "full", "tensor_parallel": 8}
"""A measured run to hold the search against (Narayanan et al. 2021, ``narayanan2021megatron``,
section 5.1): GPT-3 175B "on n = 1024 A100 GPUs using batch size 1536, we achieve X = 140
teraFLOP/s per GPU", counted with their equation 3, which "assumes activation recomputation and
takes into account the floating-point operations associated with the extra forward pass"; section
5.4.1: "we see peak performance when the tensor-parallel size is equal to the number of GPUs in a
single node (8 with DGX A100 nodes)". The A100s of their DGX A100 nodes have 80 GB (section 1)."""

KNOBS = {
    "tensor_parallel": "tensor-parallel size",
    "pipeline_parallel": "pipeline stages",
    "micro_batch": "micro-batch",
    "zero_stage": "ZeRO stage",
    "recompute": "recomputation",
    "sequence_parallel": "sequence parallelism",
}
"""The choices :func:`why_it_wins` varies one at a time, with their reader labels."""


TENSOR_PARALLEL_SCHEMES = ("1D", "2D", "2.5D", "3D")
"""Tensor parallelism by the shape of its device grid (Colossal-AI's names; ``hpcaitech2023tpdocs``)."""


def _grid_side(scheme: str, devices: int, depth: int) -> int:
    """The grid side q of ``devices`` arranged as ``scheme`` (1D: p; 2D: p = q^2; 2.5D: p = d q^2; 3D: p = q^3)."""
    power, per_layer = {"1D": (1, devices), "2D": (2, devices), "2.5D": (2, devices / depth), "3D": (3, devices)}[scheme]
    q = round(per_layer ** (1 / power))
    if q ** power != per_layer or (scheme == "2.5D" and devices % depth):
        shape = {"2D": "q x q", "2.5D": f"{depth} x q x q (depth x q x q)", "3D": "q x q x q"}[scheme]
        raise InputError(f"devices must form a {shape} grid for {scheme} tensor parallelism, got {devices}")
    return q


def tensor_parallel_scheme(scheme: str, devices: int, depth: int = 1) -> dict:
    """The costs Colossal-AI's documentation gives each tensor-parallel scheme over ``devices``
    (``hpcaitech2023tpdocs``, the "Efficiency" tables, ring collectives, forward and backward), as
    orders of magnitude: ``q`` (grid side), ``param_share`` and ``activation_share`` (of one
    device's copy without tensor parallelism), ``bandwidth`` (the bandwidth term, in units of the
    layer's tensor) and ``latency_steps`` (collective steps per layer).

    1D (Megatron): 1/p, 1, 2(p-1)/p, 2(p-1); 2D (Optimus, p = q^2): 1/q^2, 1/q^2, 6(q-1)/q,
    6(q-1); 2.5D (Tesseract, p = d q^2): 1/q^2, 1/(d q^2), 3(q-1)(d+1)/(d q), 6(q-1); 3D (p = q^3):
    1/q^3, 1/q^3, 6(q-1)/q^3, 6(q-1). depth: d of 2.5D (1 elsewhere).
    """
    scheme = check_choice("scheme", scheme, TENSOR_PARALLEL_SCHEMES)
    devices = int(check_count("devices", devices))
    depth = int(check_count("depth", depth))
    if scheme != "2.5D" and depth != 1:
        raise InputError(f"depth applies to 2.5D tensor parallelism only; got depth {depth} for {scheme}")
    q = _grid_side(scheme, devices, depth)
    d = depth
    costs = {
        "1D": (1 / q, 1.0, 2 * (q - 1) / q, 2 * (q - 1)),
        "2D": (1 / q**2, 1 / q**2, 6 * (q - 1) / q, 6 * (q - 1)),
        "2.5D": (1 / q**2, 1 / (d * q**2), 3 * (q - 1) * (d + 1) / (d * q), 6 * (q - 1)),
        "3D": (1 / q**3, 1 / q**3, 6 * (q - 1) / q**3, 6 * (q - 1)),
    }[scheme]
    return dict(zip(("q", "param_share", "activation_share", "bandwidth", "latency_steps"), (q, *costs)))


def _divisors(n: int, most: int) -> list[int]:
    return [k for k in range(1, min(n, most) + 1) if n % k == 0]


def candidate_layouts(layers: int, heads: int, gpus: int, global_batch: int, gpus_per_node: int = GPUS_PER_NODE) -> pd.DataFrame:
    """Every ``(t, p, d, micro-batch)`` that tiles ``gpus`` and ``global_batch``: ``t`` a power of two
    within a node dividing ``heads``; ``p`` dividing ``layers``; ``d = gpus / (t p)``; the
    micro-batch dividing each replica's share of the batch. Columns tensor_parallel,
    pipeline_parallel, data_parallel, micro_batch, microbatches (per replica and step)."""
    rows = []
    tensor_sizes = [t for t in (1, 2, 4, 8, 16, 32) if t <= gpus_per_node and heads % t == 0]
    for t, p in product(tensor_sizes, _divisors(layers, layers)):
        if gpus % (t * p):
            continue
        d = gpus // (t * p)
        if global_batch % d:
            continue
        per_replica = global_batch // d
        rows += [(t, p, d, b, per_replica // b) for b in MICRO_BATCHES if per_replica % b == 0]
    return pd.DataFrame(rows, columns=["tensor_parallel", "pipeline_parallel", "data_parallel", "micro_batch", "microbatches"])


def check_search(model, gpus: int, global_batch: int, gpus_per_node: int = GPUS_PER_NODE) -> None:
    """Raise InputError, naming ``gpus`` and ``global_batch``, when no layout of
    :func:`candidate_layouts` tiles them for ``model`` (its layers and heads)."""
    _layouts(model, gpus, global_batch, gpus_per_node)


def _layouts(model, gpus: int, global_batch: int, gpus_per_node: int) -> pd.DataFrame:
    """:func:`candidate_layouts` of ``model``, checked (:func:`check_search`)."""
    arch = architecture(model)
    arch.require("layers", "heads")
    gpus = int(check_count("gpus", gpus))
    global_batch = int(check_count("global_batch", global_batch))
    layouts = candidate_layouts(int(arch.layers), int(arch.heads), gpus, global_batch, int(check_count("gpus_per_node", gpus_per_node)))
    if layouts.empty:
        raise InputError(f"no layout tiles gpus={gpus} and global_batch={global_batch}: the data-parallel size "
                         f"gpus / (tensor_parallel x pipeline_parallel) must divide global_batch")
    return layouts


def _step_flops(arch, tokens: float, seq: int, recompute: str) -> float:
    """FLOPs of one step: ``6PD`` plus causal attention, with what ``recompute`` repeats (full: the
    whole forward pass; selective: the attention scores' forward matmuls)."""
    model = flops.training_flops_with_attention(active_params_from_architecture(arch), tokens, arch.layers, arch.d_model, seq, causal=True,
                                                recompute=recompute == "full")
    if recompute == "selective":
        model += flops.attention_flops_per_token(arch.layers, arch.d_model, seq, training=False, causal=True) * tokens
    return float(model)


def search_layouts(model, gpu: str, gpus: int, global_batch: int, seq: int | None = None, precision: str = "bf16",
                   optimizer: str = "adam", gpus_per_node: int = GPUS_PER_NODE, network_gbps: float | None = None,
                   compute_efficiency: float = COMPUTE_EFFICIENCY) -> pd.DataFrame:
    """Every layout of :func:`candidate_layouts` with each ZeRO stage, recomputation mode and (with
    ``t > 1``) sequence parallelism: memory per accelerator (GB: ``states_gb``, ``activations_gb``,
    ``memory_gb``), ``fits``, the step's parts in seconds (``compute_s``, ``bubble_s``, ``tp_s``,
    ``pp_s``, ``dp_s``), ``step_s`` (their sum), ``mfu`` (the step's model FLOPs without
    recomputation over ``step_s`` x ``gpus`` x peak) and ``tflops_per_gpu`` (every FLOP computed,
    recomputation included, per second and accelerator, as Narayanan et al. count), fitting layouts
    first, then fastest, then the least memory.

    model: a model name, record or config path (its layers, d_model, heads; a mixture of experts
    counts its active parameters for FLOPs and all of them for memory); gpu: an accelerator name;
    gpus: accelerators; global_batch: sequences per step; seq: tokens per sequence (default the
    model's context); precision: of the matmuls; optimizer: as :func:`llmcost.memory.state_bytes_per_param`;
    gpus_per_node: accelerators per NVLink domain; network_gbps: inter-node GB/s per accelerator, one way
    (default :func:`default_network_gbps`);
    compute_efficiency: share of the dense peak the matmuls reach.
    """
    arch = architecture(model)
    arch.require("layers", "d_model", "heads")
    record = datasets.accelerator(gpu)
    layouts = _layouts(arch, gpus, global_batch, gpus_per_node)
    gpus, global_batch = int(gpus), int(global_batch)
    seq = int(check_count("seq", seq if seq is not None else arch.require("context") and arch.context))
    gpus_per_node = int(check_count("gpus_per_node", gpus_per_node))
    network = check_positive("network_gbps", default_network_gbps(gpu) if network_gbps is None else network_gbps) * GB
    efficiency = check_fraction("compute_efficiency", compute_efficiency)
    layers, hidden, heads = int(arch.layers), int(arch.d_model), int(arch.heads)
    peak = peak_flops(record, precision)
    tokens = float(global_batch) * seq
    model_flops = _step_flops(arch, tokens, seq, "none")
    nvlink = record["interconnect_gbps"] / 2 * GB
    value_bytes = memory.bytes_per_value(precision if precision in ("bf16", "fp16") else "bf16")
    t, p, d = (layouts[k].to_numpy(dtype=float) for k in ("tensor_parallel", "pipeline_parallel", "data_parallel"))
    b, m = layouts["micro_batch"].to_numpy(dtype=float), layouts["microbatches"].to_numpy(dtype=float)
    shard = params_from_architecture(arch) / (t * p)
    tables = []
    for stage, recompute, sequence_parallel in product(memory.ZERO_STAGES, memory.RECOMPUTE_MODES, (False, True)):
        keep = (t > 1) if sequence_parallel else np.ones_like(t, dtype=bool)
        states = memory.zero_bytes_per_gpu(shard, d, stage, precision, optimizer)
        per_layer = memory.activation_bytes_per_layer(seq, b, hidden, heads, t.astype(int), sequence_parallel, recompute)
        activations = per_layer * (layers / p) * np.minimum(p, m)
        executed = _step_flops(arch, tokens, seq, recompute)
        compute = executed / (gpus * peak * efficiency)
        bubble = compute * parallelism.bubble_overhead(p.astype(int), m.astype(int))
        tp_bytes = (parallelism.tensor_parallel_traffic_bytes(b, seq, hidden, t.astype(int), value_bytes) * (layers / p) * m
                    * (1.5 if recompute == "full" else 1.0))
        pp_bandwidth = np.where(t * p <= gpus_per_node, nvlink, network)
        pp_bytes = np.where(p > 1, 2 * b * seq * hidden * value_bytes * m, 0.0)
        grads = shard * value_bytes * (1.5 if stage == 3 else 1.0)
        dp_bytes = parallelism.ring_allreduce_bytes(grads, d.astype(int))
        dp_bandwidth = np.where(t * p * d <= gpus_per_node, nvlink, network)
        frame = layouts.assign(zero_stage=stage, recompute=recompute, sequence_parallel=sequence_parallel, executed_flops=executed,
                               states_gb=states / GB, activations_gb=activations / GB, compute_s=compute, bubble_s=bubble,
                               tp_s=tp_bytes / nvlink, pp_s=pp_bytes / pp_bandwidth, dp_s=dp_bytes / dp_bandwidth)
        tables.append(frame[keep])
    table = pd.concat(tables, ignore_index=True)
    table["memory_gb"] = table["states_gb"] + table["activations_gb"]
    table["fits"] = table["memory_gb"] <= record["memory_gb"]
    table["step_s"] = table[["compute_s", "bubble_s", "tp_s", "pp_s", "dp_s"]].sum(axis=1)
    table["mfu"] = model_flops / (table["step_s"] * gpus * peak)
    table["tflops_per_gpu"] = table.pop("executed_flops") / (table["step_s"] * gpus) / 1e12
    return table.sort_values(["fits", "step_s", "memory_gb"], ascending=[False, True, True], kind="stable").reset_index(drop=True)


def best_layout(table: pd.DataFrame, memory_gb: float) -> pd.Series:
    """The fastest layout of :func:`search_layouts` that fits; raises InputError, with the smallest
    need, when none does (``memory_gb``: the accelerator's, for the message)."""
    fitting = table[table["fits"]]
    if fitting.empty:
        least = table["memory_gb"].min()
        raise InputError(f"no layout fits: the smallest needs {least:,.0f} GB per accelerator, which has {memory_gb:,.0f} GB; "
                         "raise gpus or lower global_batch or seq")
    return fitting.iloc[0]


def why_it_wins(table: pd.DataFrame, memory_gb: float) -> pd.DataFrame:
    """For each choice of :data:`KNOBS`, the fastest fitting layout that differs from the winner in
    that choice only where possible (else in that choice at least), and how much slower it is:
    columns choice, winner, alternative, step_s, slower (ratio to the winner's step), and why
    (the part of the step that grows most; the memory when it is as fast, since ties go to the
    layout that needs less; "does not fit" when nothing else fits)."""
    best = best_layout(table, memory_gb)
    parts = ["compute_s", "bubble_s", "tp_s", "pp_s", "dp_s"]
    rows = []
    for knob, label in KNOBS.items():
        others = table[table[knob] != best[knob]]
        same = others
        for other in KNOBS:
            if other != knob:
                same = same[same[other] == best[other]]
        pool = same if same["fits"].any() else others
        fitting = pool[pool["fits"]]
        if fitting.empty:
            if others.empty:
                continue
            alternative = others.iloc[0]
            rows.append({"choice": label, "winner": best[knob], "alternative": alternative[knob], "step_s": np.nan,
                         "slower": np.nan, "why": f"does not fit ({alternative['memory_gb']:,.0f} GB)"})
            continue
        alternative = fitting.iloc[0]
        growth = {part: alternative[part] - best[part] for part in parts}
        worst = max(growth, key=growth.get)
        slower = alternative["step_s"] / best["step_s"]
        why = (f"as fast, but {alternative['memory_gb']:,.0f} GB per accelerator instead of {best['memory_gb']:,.0f}"
               if slower < 1 + 1e-9 else f"more {PART_LABELS[worst]}")
        if pool is others:
            why += "; with only this choice changed, no layout fits"
        rows.append({"choice": label, "winner": best[knob], "alternative": alternative[knob], "step_s": alternative["step_s"],
                     "slower": slower, "why": why})
    return pd.DataFrame(rows)


PART_LABELS = {"compute_s": "compute", "bubble_s": "pipeline bubble", "tp_s": "tensor-parallel traffic",
               "pp_s": "pipeline traffic", "dp_s": "gradient all-reduce"}
"""Reader labels of the parts of a step."""
