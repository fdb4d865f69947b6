"""Serving as it is practised, on a model's roofline: continuous batching at a request rate and
prefill split from decode, with the closed forms of :mod:`llmcost.formulas.decoding` fed by
:func:`llmcost.running.serving.serving_estimate`.

Both need the decode step as a straight line in the batch, ``a + b B`` seconds; the roofline gives
it for a dense model while the step is memory-bound. A mixture of experts reads more experts as
its batch grows, so its step is no straight line and these functions refuse it.
"""

from __future__ import annotations

import math

from ..core.validate import InputError, check_one_count, check_positive
from ..formulas import decoding
from .architecture import architecture, kv_cache_bytes_per_token
from .serving import serving_estimate


def decode_line(model, gpu, *, gpus=1, prompt_tokens, output_tokens, **options) -> dict:
    """The decode step of ``model`` on ``gpus`` x ``gpu`` as ``a + b B`` seconds at batch B, from the
    roofline at batches 1 and 2 (exact while the step is memory-bound): ``step_fixed_s`` (a: the
    weights, and the fixed part of the all-reduces), ``step_per_sequence_s`` (b: one sequence's KV
    cache at the mean context), and ``prefill_s`` (one request's prompt alone) and ``max_batch``.
    options: the other keyword arguments of :func:`serving_estimate` (precision, efficiencies...)."""
    arch = architecture(model)
    if arch.experts > 1:
        raise InputError(f"model {arch.name!r} is a mixture of experts: its decode step reads more experts as the batch grows, "
                         "so it is no straight line in the batch and has no closed form here; use a dense model")
    one, two = (serving_estimate(arch, gpu, gpus=gpus, batch=batch, prompt_tokens=prompt_tokens, output_tokens=output_tokens, **options)
                for batch in (1, 2))
    if "compute" in (one["bound"], two["bound"]):
        raise InputError("the decode step is compute-bound at batch 1 or 2: a batch buys no throughput and the straight line does not hold")
    per_sequence = two["decode_s_per_step"] - one["decode_s_per_step"]
    return {"step_fixed_s": one["decode_s_per_step"] - per_sequence, "step_per_sequence_s": per_sequence,
            "prefill_s": one["prefill_s"], "max_batch": one["max_batch"]}


def continuous_batching(model, gpu, *, gpus=1, request_rate, prompt_tokens, output_tokens, **options) -> dict:
    """A continuously batched server of ``model`` at ``request_rate`` requests per second, each of
    ``prompt_tokens`` + ``output_tokens``, prefilled on the same accelerators (:func:`decode_line`,
    :func:`llmcost.decoding.sustained_batch`).

    Keys: the line's (``step_fixed_s``, ``step_per_sequence_s``, ``prefill_s``, ``max_batch``),
    ``batch`` (sequences decoded together, ``inf`` when the server cannot keep up),
    ``time_per_output_token_s``, ``max_request_rate`` (before the batch outgrows the memory; a
    ceiling, lower if the step turns compute-bound first),
    ``output_tokens_per_s`` and ``holds``: False where the sustained batch does not fit or its step
    is compute-bound, where the closed form does not apply (``why`` says which)."""
    rate = check_positive("request_rate", request_rate)
    line = decode_line(model, gpu, gpus=gpus, prompt_tokens=prompt_tokens, output_tokens=output_tokens, **options)
    shape = (rate, output_tokens, line["prefill_s"], line["step_fixed_s"], line["step_per_sequence_s"])
    batch = float(decoding.sustained_batch(*shape))
    result = {**line, "batch": batch, "time_per_output_token_s": float(decoding.time_per_output_token(*shape)),
              "max_request_rate": float(decoding.max_request_rate(output_tokens, line["prefill_s"], line["step_fixed_s"],
                                                                  line["step_per_sequence_s"], line["max_batch"])),
              "output_tokens_per_s": rate * output_tokens, "holds": True, "why": ""}
    if batch > line["max_batch"]:
        result.update(holds=False, why=f"the sustained batch ({batch:,.1f}) outgrows the {line['max_batch']:,.0f} sequences whose caches fit")
    elif serving_estimate(model, gpu, gpus=gpus, batch=max(1, math.ceil(batch)), prompt_tokens=prompt_tokens,
                          output_tokens=output_tokens, **options)["bound"] == "compute":
        result.update(holds=False, why="the step at the sustained batch is compute-bound: the straight line no longer holds")
    return result


def disaggregated(model, gpu, *, prefill_gpus=1, decode_gpus=1, batch, prompt_tokens, output_tokens, link_gbps, **options) -> dict:
    """Prefill and decode on separate groups of ``gpu`` (zhong2024distserve; patel2024splitwise):
    ``prefill_s`` (one request's prompt on ``prefill_gpus``), ``decode_step_s`` (at ``batch`` on
    ``decode_gpus``), ``prefill_groups_per_decode_group`` (:func:`llmcost.decoding.prefill_servers_per_decode_server`),
    and ``kv_transfer_s``: one request's KV cache, in the cache's precision, over a link of
    ``link_gbps`` GB/s (:func:`llmcost.decoding.kv_transfer_seconds`)."""
    batch = check_one_count("batch", batch)
    prefill = serving_estimate(model, gpu, gpus=prefill_gpus, batch=1, prompt_tokens=prompt_tokens, output_tokens=output_tokens, **options)
    decode = serving_estimate(model, gpu, gpus=decode_gpus, batch=batch, prompt_tokens=prompt_tokens, output_tokens=output_tokens, **options)
    kv_precision = options.get("kv_precision") or options.get("precision", "bf16")
    per_token = kv_cache_bytes_per_token(architecture(model), kv_precision)
    return {"prefill_s": prefill["prefill_s"], "decode_step_s": decode["decode_s_per_step"],
            "prefill_groups_per_decode_group": float(decoding.prefill_servers_per_decode_server(
                batch, output_tokens, decode["decode_s_per_step"], prefill["prefill_s"])),
            "kv_transfer_s": float(decoding.kv_transfer_seconds(prompt_tokens, per_token, link_gbps))}
