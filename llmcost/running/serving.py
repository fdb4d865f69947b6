"""Serving as it runs: a roofline estimate of prefill and decode on a tensor-parallel group.

A request is served in two phases (Pope et al. 2023, ``pope2023inference``, section 2):

* **prefill** processes the whole prompt at once: ``batch x prompt x (2 P + 2 L (h e) prompt)``
  FLOP (causal attention over the prompt), compute-bound for any real prompt;
* **decode** produces one token per sequence per step: ``batch x (2 P + 4 L (h e) c)`` FLOP at
  a context of ``c`` tokens, but every step also reads all the weights and the batch's KV cache
  from memory. At small batch that read, not the arithmetic, sets the step's time.

Each phase takes the larger of its compute time (FLOP over the group's peak x
``compute_efficiency``) and its memory time (bytes over the group's HBM bandwidth x
``memory_efficiency``), plus the tensor-parallel all-reduces: two per layer (after attention
and after the MLP) of the batch's activations, a ring moving ``2 (t - 1) / t`` of the message
per GPU over half the accelerator's total interconnect bandwidth (one direction) after a fixed
latency (NCCL's cost model, :func:`allreduce_latency_seconds`). Tensor parallelism splits the
query heads, and splits or replicates the key/value heads (:func:`kv_copies`). A
mixture-of-experts model computes with its active parameters and holds all of them; a decode
step reads the shared weights and the experts its batch uses (:func:`experts_touched`: the
active weights at batch 1, every expert at a large batch). The decode step is evaluated at the mean context ``prompt + (output + 1) / 2``: both its
times are linear in the context, so the total is exact unless the bound changes during the
generation.

Costs split the group's time by phase: prefill time is charged to input tokens, decode time to
output tokens, which is why APIs price them differently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..catalog import datasets
from .architecture import (architecture, expert_params, forward_flops_per_token, kv_cache_bytes_per_token, parameter_counts,
                           routed_expert_params)
from ..formulas.cluster import SECONDS_PER_HOUR
from ..formulas.cost import TOKENS_PER_KTOK, usd_per_1k_tokens
from ..formulas.flops import flops_per_param_per_token
from ..catalog.hardware import peak_flops as datasheet_peak_flops
from ..formulas.memory import GB, bytes_per_value
from ..formulas.parallelism import expert_alltoall_bytes
from ..core.validate import (
    InputError,
    check_at_least_one,
    check_choice,
    check_count,
    check_fraction,
    check_non_negative,
    check_positive,
    finite_result,
    plain,
)

COMPUTE_EFFICIENCY = 0.76
"""Achieved share of the dense peak in compute-bound phases: the 76 % MFU of PaLM 540B's
large-batch prefill on TPU v4 (Pope et al. 2023, abstract), the best published serving figure."""

MEMORY_EFFICIENCY = 1.0
"""Achieved share of the datasheet HBM bandwidth. 1.0 makes the decode time a lower bound:
the book's calibration table shows how far measured systems stay above it."""

NCCL_RING_BASE_LATENCY_S = 6.6e-6
"""Fixed latency of one ring all-reduce in NCCL's own cost model, seconds: the base latency of
its low-latency protocol (``nvidia2026nccltuning``: src/graph/tuning.cc, ``baseLat``, Ring/LL)."""

NCCL_NVLINK_STEP_LATENCY_S = 0.6e-6
"""Latency of each of a ring all-reduce's ``2 (gpus - 1)`` steps over NVLink in NCCL's cost
model, seconds (``nvidia2026nccltuning``: ``hwLat``, NVLink, Ring/LL)."""

LAYOUTS = ("tensor", "expert")
"""How a group of accelerators shares a model: ``tensor``, every matrix split across the group
(Megatron tensor parallelism); ``expert``, a mixture of experts' routed experts spread over the
group whole and everything else copied on each accelerator, which runs its own sequences'
attention (data-parallel attention with expert parallelism; close to DeepSeek-V3's deployment,
DeepSeek-AI 2024 section 3.4, which also splits attention four ways inside each data-parallel group)."""

ALLREDUCES_PER_LAYER = 2
"""Tensor-parallel all-reduces per layer in a forward pass: after attention and after the MLP
(Shoeybi et al. 2019, figure 3)."""

def _gpu_record(gpu) -> dict:
    record = datasets.accelerator(gpu) if isinstance(gpu, str) else dict(gpu)
    missing = [key for key in ("bandwidth_gbps", "memory_gb") if record.get(key) is None]
    if missing:
        raise InputError(f"gpu {record.get('id', gpu)!r} has no {', '.join(missing)} in the dataset; the roofline needs both")
    return record


def kv_copies(model, gpus, name: str = "gpus"):
    """Copies of each key/value head that a tensor-parallel group of ``gpus`` keeps, count.

    Tensor parallelism gives each accelerator ``heads / gpus`` query heads, so ``gpus`` must
    divide the query heads. The key/value heads are divided too when ``gpus`` divides them (1
    copy), and replicated when there are fewer of them than accelerators: each accelerator then
    holds the one KV head its query heads read, ``gpus / kv_heads`` copies of each (Shoeybi et
    al. 2019 section 3; Ainslie et al. 2023 section 3.1: grouped-query attention under model
    parallelism). Anything else (3 accelerators for 64 heads) cannot be laid out: an InputError
    naming ``name``, the parameter the caller was given. Latent attention caches one latent per
    token that every head reads: each accelerator keeps all of it, ``gpus`` copies (systems that
    avoid the copies run attention data-parallel, which this roofline does not model).
    """
    arch = architecture(model)
    arch.require("heads", "kv_heads")
    gpus = np.asarray(check_count(name, gpus), dtype=float)
    heads = float(arch.heads)
    kv_heads = 1.0 if np.all(arch.latent) else float(arch.kv_heads)
    bad_query = np.mod(heads, gpus) != 0
    bad_kv = (np.mod(kv_heads, gpus) != 0) & (np.mod(gpus, kv_heads) != 0)
    if np.any(bad_query | bad_kv):
        first = float(np.asarray(gpus)[np.asarray(bad_query | bad_kv)].ravel()[0]) if np.ndim(gpus) else float(gpus)
        allowed = [str(g) for g in range(1, int(heads) + 1) if heads % g == 0 and (kv_heads % g == 0 or g % kv_heads == 0)]
        raise InputError(f"{name} must split the {heads:.0f} query heads and the {kv_heads:.0f} key/value heads of "
                         f"{arch.name} evenly across a tensor-parallel group ({', '.join(allowed)}); got {first:.0f}")
    return plain(np.maximum(gpus / kv_heads, 1.0))


def serving_context(model):
    """The longest sequence ``model`` serves, tokens: for a dataset model the final context of its
    long-context training where the dataset records one (:func:`llmcost.datasets.longest_context`;
    the record's ``context`` is the pre-training length), else its record's context; None without one."""
    arch = architecture(model)
    known = arch.name in datasets.model_ids()
    longest = datasets.longest_context(arch.name) if known else None
    return longest if longest is not None else arch.context


def check_context(model, tokens, name: str = "prompt_tokens + output_tokens"):
    """Refuse ``tokens`` (per sequence) beyond the context ``model`` serves (:func:`serving_context`),
    naming both numbers; a record without a context length is not checked. Returns ``tokens``."""
    arch = architecture(model)
    limit = serving_context(arch)
    if limit is not None and np.any(np.asarray(tokens) > limit):
        longest = float(np.max(tokens))
        raise InputError(f"{name} must be at most the context of {arch.name}, {float(limit):,.0f} tokens; got {longest:,.0f}")
    return tokens


def allreduce_latency_seconds(gpus):
    """Fixed seconds of one small all-reduce over ``gpus`` accelerators of one NVLink server, as
    NCCL's cost model predicts it: ``6.6 us + 2 (gpus - 1) x 0.6 us`` (7.8, 10.2 and 15.0 us for
    2, 4 and 8; 0 for one). Measured 4 KB all-reduces take about as long on 8 H100s (16 us) and
    longer on 8 A100s (21 us; nccl-tests in ``xu2026aiconfigurator``): a lower bound, as the
    roofline is."""
    gpus = np.asarray(check_count("gpus", gpus), dtype=float)
    steps = 2 * (gpus - 1)
    return plain(np.where(gpus > 1, NCCL_RING_BASE_LATENCY_S + steps * NCCL_NVLINK_STEP_LATENCY_S, 0.0))


@finite_result
def allreduce_seconds(message_bytes, gpus, interconnect_gbps, latency_s=0.0):
    """Seconds of one ring all-reduce of ``message_bytes`` over ``gpus`` accelerators.

    Each GPU sends (and receives) ``2 (gpus - 1) / gpus x message_bytes`` over one direction of
    its link, half of ``interconnect_gbps`` (GB/s, both directions, as datasheets state it), plus
    ``latency_s`` per all-reduce. One GPU needs no all-reduce: 0 s.
    """
    return plain(_ring_seconds(check_non_negative("message_bytes", message_bytes), np.asarray(check_count("gpus", gpus), dtype=float),
                               check_positive("interconnect_gbps", interconnect_gbps),
                               check_non_negative("allreduce_latency_s", latency_s)))


def _ring_seconds(message_bytes, gpus, interconnect_gbps, latency_s):
    """:func:`allreduce_seconds` on checked inputs (``gpus`` a float array)."""
    seconds = 2 * (gpus - 1) / gpus * message_bytes / (interconnect_gbps * GB / 2) + latency_s
    return np.where(gpus > 1, seconds, 0.0)


@finite_result
def max_batch(model, gpu, gpus, context, weight_precision="bf16", kv_precision="bf16"):
    """Largest batch whose KV cache at ``context`` tokens fits beside the weights, count (0 = the
    weights alone do not fit). Memory: ``gpus x memory_gb``; weights: all parameters (MoE too);
    the cache of key/value heads replicated across the group (:func:`kv_copies`) counts once per copy."""
    arch = architecture(model)
    copies = kv_copies(arch, gpus)
    return plain(_max_batch(arch, _gpu_record(gpu), np.asarray(check_count("gpus", gpus), dtype=float),
                            check_count("context", context), weight_precision, kv_precision, copies))


def _max_batch(arch, record, gpus, context, weight_precision, kv_precision, copies):
    """:func:`max_batch` on checked inputs (``gpus`` a float array, ``copies`` from :func:`kv_copies`)."""
    free = gpus * record["memory_gb"] * GB - _weight_bytes(arch, weight_precision)
    per_sequence = kv_cache_bytes_per_token(arch, kv_precision) * copies * np.asarray(context, dtype=float)
    return np.maximum(np.floor(free / per_sequence), 0.0)


def _weight_bytes(arch, weight_precision):
    """Bytes of all the weights (MoE: every expert), which serving holds and every step reads."""
    return parameter_counts(arch)["total"] * bytes_per_value(weight_precision)


@finite_result
def experts_touched(experts, routed, tokens):
    """Expected number of distinct experts, of ``experts`` in a layer, that ``tokens`` tokens use
    when each is routed to ``routed`` of them: ``E (1 - (1 - k/E)^tokens)``, count. Assumes the
    routing spreads tokens evenly and independently, which load-balancing losses aim for: one
    token uses its ``k`` experts (Mixtral: 2 of 8), a large batch all of them."""
    given = routed, experts
    experts = np.asarray(check_count("experts", experts), dtype=float)
    routed = np.asarray(check_count("experts_routed", routed), dtype=float)
    if np.any(routed > experts):
        raise InputError(f"experts_routed must be at most experts, got {given[0]!r} of {given[1]!r}")
    share = routed / experts
    return plain(experts * (1 - (1 - share) ** np.asarray(check_non_negative("tokens", tokens), dtype=float)))


def _weights_read(arch, tokens, weight_precision):
    """Bytes of the weights a forward pass over ``tokens`` tokens reads: every weight but the
    routed experts, and of those only the ones the tokens use (:func:`experts_touched`); a dense
    model (one expert, routed to every token) reads all of them."""
    routed_all = routed_expert_params(arch)
    touched = experts_touched(arch.experts, arch.experts_routed, tokens) / np.asarray(arch.experts, dtype=float)
    return (parameter_counts(arch)["total"] - routed_all * (1 - touched)) * bytes_per_value(weight_precision)


def _bytes_read(arch, tokens, cached_tokens, weight_precision, kv_precision, kv_copies_=1.0):
    """Bytes a forward pass over ``tokens`` tokens reads from the group's HBM: the weights they
    use (:func:`_weights_read`) and ``cached_tokens`` tokens of KV cache (each of its
    ``kv_copies_`` copies, read by the accelerator that holds it)."""
    cache = np.asarray(cached_tokens, dtype=float) * kv_cache_bytes_per_token(arch, kv_precision) * kv_copies_
    return _weights_read(arch, tokens, weight_precision) + cache


@finite_result
def ridge_batch(gpu, precision="bf16", compute_efficiency=COMPUTE_EFFICIENCY, memory_efficiency=MEMORY_EFFICIENCY):
    """The batch (sequences) at which one decode step's matmul FLOPs (2 per parameter per
    sequence) take as long as reading the weights (``precision``'s bytes per parameter) from HBM,
    at the achieved shares of the datasheet peak and bandwidth: below it decoding is memory-bound.
    Ignores the KV cache and communication, which only move the turn to larger batches."""
    record = _gpu_record(gpu)
    flops_per_byte = (datasheet_peak_flops(record, precision) * check_fraction("compute_efficiency", compute_efficiency)
                      / (record["bandwidth_gbps"] * GB * check_fraction("memory_efficiency", memory_efficiency)))
    return flops_per_byte * bytes_per_value(precision) / flops_per_param_per_token(training=False)


@finite_result
def hbm_read_seconds(model, gpu, *, gpus=1, batch=1, context=0, weight_precision="bf16", kv_precision=None,
                     memory_efficiency=MEMORY_EFFICIENCY):
    """Seconds to read the weights and ``batch x context`` tokens of KV cache once from the HBM of
    ``gpus`` accelerators at ``memory_efficiency`` of their datasheet bandwidth: the floor of one
    decode step, whatever the software (compute and communication only add to it).

    kv_precision defaults to ``weight_precision``; context: tokens cached per sequence (0: weights only).
    The cache is read once (a layout that shards it by heads or, as Pope et al. 2023 do for
    multi-query attention, by batch): no layout reads less, so any group size is allowed.
    """
    arch = architecture(model)
    record = _gpu_record(gpu)
    gpus = check_count("gpus", gpus)
    batch = check_count("batch", batch)
    context = check_non_negative("context", context)
    memory_efficiency = check_fraction("memory_efficiency", memory_efficiency)
    read = _bytes_read(arch, batch, np.asarray(batch, dtype=float) * context, weight_precision, kv_precision or weight_precision)
    return plain(read / (np.asarray(gpus, dtype=float) * record["bandwidth_gbps"] * GB * memory_efficiency))


def _check_fits(arch, record, gpus, batch, tokens, fits, weight_bytes, kv_bytes_per_token):
    """Refuse a group whose memory cannot hold the weights, one sequence's cache, or ``batch``
    sequences' caches, saying which (bytes: all copies of the cache across the group)."""
    memory = gpus * record["memory_gb"] * GB
    if np.any(memory < weight_bytes):
        need = np.max(np.ceil(weight_bytes / (record["memory_gb"] * GB)))
        raise InputError(f"gpus must hold the weights: {weight_bytes / GB:,.4g} GB of {arch.name} do not fit in "
                         f"{np.min(gpus):.0f} x {record['memory_gb']:g} GB; got gpus={np.min(gpus):.0f} "
                         f"(more than {need - 1:.0f} are needed, or a lower precision)")
    if np.any(fits == 0):
        longest = float(np.max(tokens))
        raise InputError(f"prompt_tokens + output_tokens must leave room for one sequence's KV cache: {longest:,.0f} tokens need "
                         f"{longest * kv_bytes_per_token / GB:,.4g} GB beside the {weight_bytes / GB:,.4g} GB of weights in "
                         f"{np.max(gpus):.0f} x {record['memory_gb']:g} GB; got {longest:,.0f} (use fewer tokens or more gpus)")
    if np.any(np.asarray(batch) > fits):
        raise InputError(
            f"batch must be at most {np.min(fits):.0f}: the KV cache of a larger batch at "
            f"{np.max(tokens):.0f} tokens does not fit beside the weights in {np.max(gpus):.0f} x "
            f"{record['memory_gb']:g} GB; got {batch!r} (use more gpus, a shorter context or a smaller batch)"
        )


def _phase_seconds(flops, bytes_moved, comm_s, compute_rate, memory_rate):
    compute_s, memory_s = flops / compute_rate, bytes_moved / memory_rate
    return np.maximum(compute_s, memory_s) + comm_s, compute_s >= memory_s


@dataclass(frozen=True)
class _Run:
    """The checked inputs of one :func:`serving_estimate` (``gpus`` a float array; rates per accelerator)."""

    arch: object
    record: dict
    gpus: object
    batch: object
    prompt: object
    output: object
    precision: str
    weight_precision: str
    kv_precision: str
    peak: object
    compute_efficiency: object
    memory_efficiency: object
    latency_s: object

    @property
    def context(self):
        """The mean context of a decode step, tokens: ``prompt + (output + 1) / 2``."""
        return self.prompt + (self.output + 1) / 2

    def seconds(self, flops, bytes_moved, comm_s, accelerators):
        """:func:`_phase_seconds` of work spread over ``accelerators`` of the group."""
        return _phase_seconds(flops, bytes_moved, comm_s, accelerators * self.peak * self.compute_efficiency,
                              accelerators * self.record["bandwidth_gbps"] * GB * self.memory_efficiency)

    def interconnect(self):
        """The accelerator's interconnect, GB/s both directions (InputError when a group needs one it lacks)."""
        if self.record.get("interconnect_gbps") is None and np.any(self.gpus > 1):
            raise InputError(f"gpu {self.record.get('id')!r} has no interconnect_gbps in the dataset: give gpus=1")
        return self.record.get("interconnect_gbps")


def _phases(prefill_s, prefill_comm_s, step_s, step_comm_s, compute_bound, output) -> dict:
    """The time keys of :func:`serving_estimate` (seconds), whatever the layout."""
    bound = np.where(compute_bound, "compute", "memory") if np.ndim(compute_bound) else ("compute" if compute_bound else "memory")
    return {"prefill_s": prefill_s, "prefill_comm_s": prefill_comm_s, "decode_s_per_step": step_s,
            "decode_comm_s_per_step": step_comm_s, "decode_s": output * step_s, "bound": bound}


def _tensor_layout(run: _Run, copies) -> dict:
    """The phases of a tensor-parallel group: every matrix split, two all-reduces a layer."""
    arch, batch, prompt, output, gpus = run.arch, run.batch, run.prompt, run.output, run.gpus
    weight_bytes = _weight_bytes(arch, run.weight_precision)
    kv_per_token = kv_cache_bytes_per_token(arch, run.kv_precision)
    fits = _max_batch(arch, run.record, gpus, prompt + output, run.weight_precision, run.kv_precision, copies)
    _check_fits(arch, run.record, gpus, batch, prompt + output, fits, weight_bytes, kv_per_token * copies)
    activation_bytes = bytes_per_value(run.precision) * arch.d_model

    def comm(tokens):
        interconnect = run.interconnect()
        if interconnect is None:
            return 0.0
        return ALLREDUCES_PER_LAYER * arch.layers * _ring_seconds(batch * tokens * activation_bytes, gpus, interconnect, run.latency_s)

    prefill_flops = batch * prompt * forward_flops_per_token(arch, prompt, causal=True)
    prefill_read = _bytes_read(arch, batch * prompt, batch * prompt, run.weight_precision, run.kv_precision, copies)
    prefill_comm_s, step_comm_s = comm(prompt), comm(1)
    prefill_s, _ = run.seconds(prefill_flops, prefill_read, prefill_comm_s, gpus)
    step_flops = batch * forward_flops_per_token(arch, np.ceil(run.context), causal=False, decode=True)
    step_read = _bytes_read(arch, batch, np.asarray(batch, dtype=float) * run.context, run.weight_precision, run.kv_precision, copies)
    step_s, compute_bound = run.seconds(step_flops, step_read, step_comm_s, gpus)
    return {
        "weights_gb_per_gpu": weight_bytes / gpus / GB,
        "kv_cache_gb_per_gpu": batch * (prompt + output) * kv_per_token * copies / gpus / GB,
        "weights_read_gb_per_step": _weights_read(arch, batch, run.weight_precision) / GB,
        "max_batch": fits,
        **_phases(prefill_s, prefill_comm_s, step_s, step_comm_s, compute_bound, output),
    }


def _expert_layout(run: _Run) -> dict:
    """The phases of data-parallel attention with expert parallelism: each accelerator holds a
    copy of every weight but the routed experts, ``experts / gpus`` whole experts, and the KV cache
    of its own ``ceil(batch / gpus)`` sequences (one copy: latent attention's cache is not
    replicated). A step takes as long as the busiest accelerator: its sequences' share of the
    non-expert work, ``1 / gpus`` of the experts' (routing even), and two all-to-alls a mixture-of-
    experts layer (:func:`llmcost.parallelism.expert_alltoall_bytes`, over one direction of the
    interconnect, each after ``latency_s``)."""
    arch, batch, prompt, output, gpus = run.arch, run.batch, run.prompt, run.output, run.gpus
    if np.any(np.asarray(arch.experts) <= 1):
        raise InputError(f"layout 'expert' spreads the experts of a mixture-of-experts model; {arch.name} is dense (use layout 'tensor')")
    if np.any(np.mod(arch.experts, gpus) != 0):
        allowed = [str(g) for g in range(1, int(arch.experts) + 1) if arch.experts % g == 0]
        raise InputError(f"gpus must divide the {float(arch.experts):.0f} experts of {arch.name} with layout 'expert' "
                         f"({', '.join(allowed)}); got {np.max(gpus):.0f}")
    bpv = bytes_per_value(run.weight_precision)
    routed = routed_expert_params(arch)
    copied = (parameter_counts(arch)["total"] - routed) * bpv
    weights = copied + routed * bpv / gpus
    kv_per_token = kv_cache_bytes_per_token(arch, run.kv_precision)
    memory = run.record["memory_gb"] * GB
    if np.any(memory < weights):
        need = np.max(np.ceil(routed * bpv / np.maximum(memory - copied, 1.0)))
        raise InputError(f"gpus must hold the weights: each accelerator holds {copied / GB:,.4g} GB of {arch.name} besides its "
                         f"experts, {weights.max() / GB:,.4g} GB in all, more than {run.record['memory_gb']:g} GB; got "
                         f"gpus={np.min(gpus):.0f} (more than {need - 1:.0f} are needed, or a lower precision)")
    fits = gpus * np.maximum(np.floor((memory - weights) / (kv_per_token * (prompt + output))), 0.0)
    _check_fits(arch, run.record, gpus, batch, prompt + output, fits, weights * gpus, kv_per_token)
    seqs = np.ceil(np.asarray(batch, dtype=float) / gpus)  # the busiest accelerator's sequences
    routed_active = arch.moe_layers * arch.experts_routed * expert_params(arch)
    interconnect = run.interconnect()

    def phase(tokens, per_token_flops, cached):
        """Seconds of a phase over ``tokens`` tokens a sequence, and its all-to-all part."""
        flops = seqs * tokens * (per_token_flops - 2 * routed_active) + batch * tokens * 2 * routed_active / gpus
        touched = _weights_read(arch, batch * tokens, run.weight_precision) - copied
        read = copied + touched / gpus + seqs * cached * kv_per_token
        comm = 0.0
        if interconnect is not None:
            sent = expert_alltoall_bytes(seqs * tokens, arch.d_model, arch.experts_routed, arch.moe_layers, gpus,
                                         bytes_per_value(run.precision), training=False)
            comm = np.where(gpus > 1, sent / (interconnect * GB / 2) + 2 * arch.moe_layers * run.latency_s, 0.0)
        seconds, compute_bound = run.seconds(flops, read, comm, 1.0)
        return seconds, comm, compute_bound

    prefill_s, prefill_comm_s, _ = phase(prompt, forward_flops_per_token(arch, prompt, causal=True), prompt)
    step_s, step_comm_s, compute_bound = phase(1, forward_flops_per_token(arch, np.ceil(run.context), causal=False, decode=True),
                                               run.context)
    return {
        "weights_gb_per_gpu": weights / GB,
        "kv_cache_gb_per_gpu": seqs * (prompt + output) * kv_per_token / GB,
        "weights_read_gb_per_step": (gpus * copied + _weights_read(arch, batch, run.weight_precision) - copied) / GB,
        "max_batch": fits,
        **_phases(prefill_s, prefill_comm_s, step_s, step_comm_s, compute_bound, output),
    }


@finite_result
def serving_estimate(
    model,
    gpu,
    *,
    gpus=1,
    batch=1,
    prompt_tokens,
    output_tokens,
    precision="bf16",
    weight_precision=None,
    kv_precision=None,
    peak_flops=None,
    compute_efficiency=COMPUTE_EFFICIENCY,
    memory_efficiency=MEMORY_EFFICIENCY,
    allreduce_latency_s=None,
    layout="tensor",
    usd_per_gpu_hour=None,
    power_w=None,
    pue=1.0,
) -> dict:
    """Roofline estimate of serving ``model`` on ``gpus`` accelerators ``gpu`` laid out as
    ``layout`` (:data:`LAYOUTS`: tensor parallel, or data-parallel attention with expert
    parallelism, :func:`_expert_layout`).

    model: a name from the dataset or an architecture dict; gpu: a name or a dict with
    ``bandwidth_gbps`` (GB/s), ``memory_gb`` (GB) and ``interconnect_gbps`` (GB/s, both directions).
    batch: sequences decoded together; prompt_tokens, output_tokens: tokens per sequence.
    precision: of the arithmetic (selects the datasheet peak unless ``peak_flops``, FLOP/s per
    accelerator, is given); weight_precision, kv_precision: storage (default ``precision``).
    compute_efficiency, memory_efficiency: achieved shares of peak FLOP/s and of HBM bandwidth.
    allreduce_latency_s: fixed seconds per all-reduce (default :func:`allreduce_latency_seconds`,
    NCCL's cost model for the group's size; with ``layout="expert"`` the fixed seconds of each
    all-to-all). usd_per_gpu_hour -> USD per 1k tokens;
    power_w (W per accelerator) and pue -> Wh per 1k tokens. Numeric arguments broadcast.

    Keys: weights_gb_per_gpu, kv_cache_gb_per_gpu (at the last token), weights_read_gb_per_step
    (the group's, in one decode step: for MoE the experts the batch uses), max_batch, prefill_s
    (= time to first token), prefill_comm_s (its all-reduce part, not overlapped with compute),
    decode_s_per_step (time per output token), decode_comm_s_per_step, decode_s, bound
    ("memory" or "compute", of the decode step), output_tokens_per_s (the group's),
    output_tokens_per_s_per_gpu, and when asked usd_per_1k_input_tokens,
    usd_per_1k_output_tokens, wh_per_1k_input_tokens, wh_per_1k_output_tokens.
    """
    arch = architecture(model)
    record = _gpu_record(gpu)
    parameter_counts(arch)  # names every field the record lacks, before any other check
    layout = check_choice("layout", layout, LAYOUTS)
    copies = kv_copies(arch, gpus) if layout == "tensor" else 1.0
    gpus = np.asarray(check_count("gpus", gpus), dtype=float)
    batch = check_count("batch", batch)
    prompt = check_count("prompt_tokens", prompt_tokens)
    output = check_count("output_tokens", output_tokens)
    check_context(arch, np.asarray(prompt) + np.asarray(output))
    run = _Run(arch, record, gpus, batch, prompt, output, precision, weight_precision or precision, kv_precision or precision,
               datasheet_peak_flops(record, precision) if peak_flops is None else check_positive("peak_flops", peak_flops),
               check_fraction("compute_efficiency", compute_efficiency), check_fraction("memory_efficiency", memory_efficiency),
               allreduce_latency_seconds(gpus) if allreduce_latency_s is None else allreduce_latency_s)
    result = _tensor_layout(run, copies) if layout == "tensor" else _expert_layout(run)
    prefill_s, decode_s = result["prefill_s"], result["decode_s"]
    result["output_tokens_per_s"] = batch * output / (prefill_s + decode_s)
    result["output_tokens_per_s_per_gpu"] = result["output_tokens_per_s"] / gpus
    group_seconds = {"input": (prefill_s, batch * prompt), "output": (decode_s, batch * output)}
    if usd_per_gpu_hour is not None:
        for kind, (seconds, tokens) in group_seconds.items():
            result[f"usd_per_1k_{kind}_tokens"] = usd_per_1k_tokens(usd_per_gpu_hour, gpus * seconds / tokens)
    if power_w is not None:
        watts = gpus * check_non_negative("power_w", power_w) * check_at_least_one("pue", pue)
        for kind, (seconds, tokens) in group_seconds.items():
            result[f"wh_per_1k_{kind}_tokens"] = watts * seconds / SECONDS_PER_HOUR * TOKENS_PER_KTOK / tokens
    return {key: (float(value) if np.ndim(value) == 0 and not isinstance(value, str) else value) for key, value in result.items()}


def batch_sweep(model, gpu, *, gpus=1, prompt_tokens, output_tokens, **options) -> dict:
    """:func:`serving_estimate` at every batch from 1 to the largest that fits (``max_batch``).

    Returns the estimate's keys, each an array over the batches, plus ``batch``. options: the
    other keyword arguments of :func:`serving_estimate` (precision, prices, efficiencies...).
    """
    precision = options.get("precision", "bf16")
    if options.get("layout", "tensor") == "tensor":
        fits = max_batch(model, gpu, gpus, check_count("prompt_tokens", prompt_tokens) + check_count("output_tokens", output_tokens),
                         options.get("weight_precision") or precision, options.get("kv_precision") or precision)
    else:  # the layout's own room: a sequence's cache is held once, by one accelerator
        fits = serving_estimate(model, gpu, gpus=gpus, prompt_tokens=prompt_tokens, output_tokens=output_tokens, **options)["max_batch"]
    if np.ndim(fits):
        raise InputError(f"gpus must be one number for a batch sweep, got {gpus!r}")
    if fits < 1:
        raise InputError(f"gpus must hold the weights of {architecture(model).name} with room for one sequence; got gpus={gpus!r}")
    batch = np.arange(1, int(fits) + 1)
    sweep = serving_estimate(model, gpu, gpus=gpus, batch=batch, prompt_tokens=prompt_tokens, output_tokens=output_tokens, **options)
    return {**sweep, "batch": batch}


def batch_at_cost(sweep: dict, usd_per_1k_output_tokens: float):
    """The smallest batch of a :func:`batch_sweep` whose output tokens cost at most
    ``usd_per_1k_output_tokens`` (USD per 1,000), or None when no batch that fits is that cheap."""
    target = check_positive("usd_per_1k_output_tokens", usd_per_1k_output_tokens)
    return _first_batch(sweep, np.asarray(sweep["usd_per_1k_output_tokens"]) <= target)


def turning_batch(sweep: dict):
    """The smallest batch of a :func:`batch_sweep` whose decode step is compute-bound, or None if
    every batch that fits is memory-bound."""
    return _first_batch(sweep, np.asarray(sweep["bound"]) == "compute")


def _first_batch(sweep: dict, where) -> int | None:
    """The smallest batch of ``sweep`` where the boolean array ``where`` holds, or None."""
    return int(sweep["batch"][where][0]) if where.any() else None
