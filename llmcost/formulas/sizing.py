"""Sizing questions that combine the memory, cost and dataset formulas of other modules.

* :func:`min_data_parallel_for_zero`: the fewest data-parallel ranks at which ZeRO stage s
  brings the model states under an accelerator's memory (inverse of
  :func:`llmcost.memory.zero_bytes_per_gpu`);
* :func:`corpus_tokens`: tokens in a corpus of a given size, at the tokens-per-byte ratio of a
  reference corpus (seed 002's "1 PB of data" read through LLaMA's 1.4T tokens in 4.75 TB);
* :func:`segment_checkpoint_bytes`: activation memory with checkpoints every k layers (Chen et al. 2016);
* :func:`ownership_cost` and :func:`rent_vs_buy_breakeven_hours`: buying an accelerator (the
  capital model of seed 002, :func:`llmcost.cost.purchase_cost`) against renting it by the hour.

Every function accepts numpy arrays and broadcasts.
"""

from __future__ import annotations

import numpy as np

from . import memory
from .cost import purchase_cost
from ..core.validate import check_count, check_non_negative, check_positive, finite_result


@finite_result(allow_inf=True)
def min_data_parallel_for_zero(params, memory_gb, stage, precision="bf16", optimizer="adam", reserved_gb=0.0):
    """Fewest data-parallel ranks N for which ZeRO ``stage`` fits the model states in memory.

    params: parameters held by one model replica's slice on this GPU (divide by tensor x
    pipeline parallel size when the model is also split), count.
    memory_gb: accelerator memory, GB (1e9 bytes); reserved_gb: part of it kept for
    activations, buffers and fragmentation, GB.
    Solves ``replicated x params + sharded x params / N <= memory - reserved`` with the bytes per
    parameter of :func:`llmcost.memory.state_bytes_per_param` (Rajbhandari et al. 2020).
    Returns a float (or float array): a whole number of ranks, 1 when no sharding is needed,
    ``inf`` when the replicated part alone does not fit (no N helps: shard more, or split the model).
    """
    params = check_positive("params", params)
    memory_gb = check_positive("memory_gb", memory_gb)
    reserved_gb = check_non_negative("reserved_gb", reserved_gb)
    replicated, sharded = memory.zero_state_split(stage, precision, optimizer)
    free = (np.asarray(memory_gb) - reserved_gb) * memory.GB - replicated * np.asarray(params)
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.where(free > 0, np.ceil(sharded * np.asarray(params) / np.where(free > 0, free, 1.0) - 1e-9), np.inf)
    needed = np.maximum(needed, 1.0)
    return float(needed) if needed.ndim == 0 else needed


@finite_result
def corpus_tokens(corpus_bytes, reference_tokens, reference_bytes):
    """Tokens in a corpus of ``corpus_bytes`` bytes, at the ratio of a reference corpus.

    reference_tokens / reference_bytes: a tokenized corpus whose size on disk is known, e.g.
    LLaMA's 1.4T tokens in 4.75 TB of text (Touvron et al. 2023a, Table 1 and Section 2),
    about 0.29 tokens per byte. The ratio depends on the tokenizer and the language mix.
    """
    corpus_bytes = check_positive("corpus_bytes", corpus_bytes)
    reference_tokens = check_positive("reference_tokens", reference_tokens)
    reference_bytes = check_positive("reference_bytes", reference_bytes)
    return corpus_bytes * reference_tokens / reference_bytes


@finite_result
def capital_per_gpu(usd_per_gpu, other_hardware_share=0.2, datacenter_share=0.1):
    """Capital cost of one installed accelerator, USD: seed 002's purchase model for one GPU.

    GPU price plus servers, network and storage (``other_hardware_share`` of the GPU price)
    plus data-centre build-out (``datacenter_share``); staff excluded. See
    :func:`llmcost.cost.purchase_cost`.
    """
    return purchase_cost(1, usd_per_gpu, other_hardware_share, datacenter_share, 0.0)["total"]


@finite_result
def ownership_cost(hours, usd_per_gpu, other_hardware_share=0.2, datacenter_share=0.1, operating_usd_per_gpu_hour=0.0):
    """Cost in USD of owning one accelerator and using it for ``hours`` hours.

    Capital (:func:`capital_per_gpu`) plus ``operating_usd_per_gpu_hour`` (electricity,
    cooling, operations) for each hour used. Not included: resale value, financing, staff,
    failures, and hours the owned GPU sits idle (count them in ``hours`` if they are paid for).
    """
    hours = check_non_negative("hours", hours)
    operating = check_non_negative("operating_usd_per_gpu_hour", operating_usd_per_gpu_hour)
    return capital_per_gpu(usd_per_gpu, other_hardware_share, datacenter_share) + operating * hours


@finite_result(allow_inf=True)
def rent_vs_buy_breakeven_hours(
    usd_per_gpu, usd_per_gpu_hour, other_hardware_share=0.2, datacenter_share=0.1, operating_usd_per_gpu_hour=0.0
):
    """Hours of use after which buying an accelerator costs less than renting it.

    Break-even where ``rent x hours = capital + operating x hours``:
    ``hours = capital_per_gpu / (usd_per_gpu_hour - operating_usd_per_gpu_hour)``.
    usd_per_gpu: purchase price, USD; usd_per_gpu_hour: rental price, USD per accelerator-hour.
    Included: the GPU, other hardware and data centre as shares of the GPU price (seed 002's
    20 % and 10 %), and an operating cost per hour. Excluded: resale value, financing,
    depreciation schedules, staff, and idle time. Returns ``inf`` when renting costs no more
    per hour than operating.
    """
    rent = check_positive("usd_per_gpu_hour", usd_per_gpu_hour)
    operating = check_non_negative("operating_usd_per_gpu_hour", operating_usd_per_gpu_hour)
    capital = capital_per_gpu(usd_per_gpu, other_hardware_share, datacenter_share)
    margin = np.asarray(rent) - operating
    with np.errstate(divide="ignore"):
        hours = np.where(margin > 0, capital / np.where(margin > 0, margin, 1.0), np.inf)
    return float(hours) if hours.ndim == 0 else hours


@finite_result
def segment_checkpoint_bytes(layers, layer_bytes, input_bytes, segment=None):
    """Activation bytes with gradient checkpointing every ``segment`` layers (Chen et al. 2016).

    The forward pass keeps only the input of each segment (``ceil(layers / segment)`` inputs
    of ``input_bytes``); the backward pass recomputes one segment at a time and holds its full
    activations (``segment x layer_bytes``). The default ``segment = round(sqrt(layers))``
    minimizes the sum when ``input_bytes`` and ``layer_bytes`` are comparable, giving
    ``O(sqrt(layers))`` memory for one extra forward pass.
    layer_bytes, input_bytes: bytes of one layer's stored activations and of its input (e.g.
    :func:`llmcost.memory.activation_bytes_per_layer` with ``recompute="none"`` and ``"full"``).
    """
    layers = np.asarray(check_count("layers", layers), dtype=float)
    layer_bytes = check_positive("layer_bytes", layer_bytes)
    input_bytes = check_positive("input_bytes", input_bytes)
    if segment is None:
        segment = np.maximum(np.round(np.sqrt(layers)), 1.0)
    segment = np.minimum(np.asarray(check_count("segment", segment), dtype=float), layers)
    total = np.ceil(layers / segment) * input_bytes + segment * layer_bytes
    return float(total) if np.ndim(total) == 0 else total
