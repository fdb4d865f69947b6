"""Serving as it is practised, in closed form: speculative decoding, continuous batching at a
request rate, and prefill split from decode onto their own machines.

Each formula takes the decode step of one server as a straight line in its batch ``B``,
``t(B) = a + b B`` seconds: ``a`` reads the weights, ``b`` one sequence's KV cache (the memory-bound
roofline of :mod:`llmcost.running.serving`, which gives both). That line holds while the step
stays memory-bound; where the arithmetic of a step outlasts its reads (the compute-bound regime)
a batch no longer buys throughput and no closed form gives the batch a server sustains: there the
scheduler's batch limit sets it.
"""

from __future__ import annotations

import numpy as np

from ..core.validate import check_count, check_non_negative, check_positive, check_share, finite_result


@finite_result
def speculative_tokens_per_step(acceptance, draft_tokens):
    """Tokens one verification step of the target model yields, on average, when ``draft_tokens``
    (γ) tokens are drafted and each is accepted with probability ``acceptance`` (α, in [0, 1),
    independently): ``(1 - α^(γ+1)) / (1 - α)`` (leviathan2023speculative, Equation 1).

    γ = 1 (one drafted token, DeepSeek-V3's multi-token prediction) gives ``1 + α``.
    """
    alpha = check_share("acceptance", acceptance)
    gamma = check_count("draft_tokens", draft_tokens)
    return (1 - np.power(alpha, np.add(gamma, 1))) / (1 - alpha)


@finite_result
def speculative_speedup(acceptance, draft_tokens, draft_cost_ratio):
    """Wall-clock speed-up of speculative decoding over plain decoding:
    ``(1 - α^(γ+1)) / ((1 - α)(γ c + 1))`` (leviathan2023speculative, Theorem 3.8), where
    ``draft_cost_ratio`` (c >= 0) is the time of one draft step over one step of the target model
    and a verification step of γ + 1 tokens is taken to cost one target step (true while decode is
    memory-bound: the weights are read once for all of them)."""
    c = check_non_negative("draft_cost_ratio", draft_cost_ratio)
    gamma = check_count("draft_tokens", draft_tokens)
    return speculative_tokens_per_step(acceptance, draft_tokens) / (np.multiply(gamma, c) + 1)


def _load(request_rate, output_tokens, prefill_s, step_per_sequence_s):
    """ρ = λ (T_p + n b): the share of one server's time a request rate takes beyond the weight reads."""
    rate = check_positive("request_rate", request_rate)
    n = check_count("output_tokens", output_tokens)
    return rate, n, rate * (check_non_negative("prefill_s", prefill_s) + n * check_non_negative("step_per_sequence_s", step_per_sequence_s))


@finite_result(allow_inf=True)
def sustained_batch(request_rate, output_tokens, prefill_s, step_fixed_s, step_per_sequence_s):
    """Sequences a continuously batched server decodes together at ``request_rate`` requests per
    second, each of ``output_tokens`` (n) generated tokens after a prefill of ``prefill_s``
    seconds (T_p) on the same server; its decode step takes ``step_fixed_s + B step_per_sequence_s``
    seconds (a + b B) at batch B.

    Little's law (little1961proof: sequences in the system = arrival rate x time each spends
    there) with the server busy between prefills and steps: ``B = λ n a / (1 - λ (T_p + n b))``.
    Returns ``inf`` where ``λ (T_p + n b) >= 1``: the server cannot keep up at any batch.
    """
    rate, n, load = _load(request_rate, output_tokens, prefill_s, step_per_sequence_s)
    a = check_positive("step_fixed_s", step_fixed_s)
    with np.errstate(divide="ignore", over="ignore"):
        return np.where(load < 1, rate * n * a / np.maximum(1 - load, 1e-300), np.inf)[()]


@finite_result(allow_inf=True)
def time_per_output_token(request_rate, output_tokens, prefill_s, step_fixed_s, step_per_sequence_s):
    """Seconds between two output tokens of one sequence at ``request_rate`` (the arguments of
    :func:`sustained_batch`): ``a / (1 - λ (T_p + n b))``, the unloaded step ``a`` stretched by the
    share of time the load leaves free, as in a queue. ``inf`` where the server cannot keep up."""
    _, _, load = _load(request_rate, output_tokens, prefill_s, step_per_sequence_s)
    a = check_positive("step_fixed_s", step_fixed_s)
    with np.errstate(divide="ignore", over="ignore"):
        return np.where(load < 1, a / np.maximum(1 - load, 1e-300), np.inf)[()]


@finite_result
def max_request_rate(output_tokens, prefill_s, step_fixed_s, step_per_sequence_s, max_batch):
    """Requests per second a continuously batched server sustains before its batch reaches
    ``max_batch`` (the sequences whose KV caches fit): :func:`sustained_batch` solved for λ,
    ``M / (n a + M (T_p + n b))``; with memory to spare it tends to ``1 / (T_p + n b)``."""
    n = check_count("output_tokens", output_tokens)
    m = check_count("max_batch", max_batch)
    a = check_positive("step_fixed_s", step_fixed_s)
    per_request = check_non_negative("prefill_s", prefill_s) + n * check_non_negative("step_per_sequence_s", step_per_sequence_s)
    return m / (n * a + m * per_request)


@finite_result
def prefill_seconds(params, prompt_tokens, peak_flops, utilization, accelerators=1):
    """Seconds to prefill ``prompt_tokens`` when compute is the bottleneck, as it is for a long
    prompt: ``2 P T / (N x peak x u)`` (2 FLOP per parameter per token, the forward pass; attention
    left out). params: active parameters; peak_flops: FLOP/s per accelerator; utilization: u;
    accelerators: N sharing the prompt (tensor parallelism)."""
    work = 2 * check_positive("params", params) * check_positive("prompt_tokens", prompt_tokens)
    rate = check_positive("peak_flops", peak_flops) * check_share("utilization", utilization) * check_count("accelerators", accelerators)
    return work / rate


@finite_result
def prefill_servers_per_decode_server(batch, output_tokens, decode_step_s, prefill_s):
    """Prefill servers that keep one decode server fed when prefill and decode run on separate
    machines (zhong2024distserve; patel2024splitwise). A decode server at ``batch`` B with a step of
    ``decode_step_s`` seconds finishes ``B / (n t)`` requests a second; a prefill server takes
    ``prefill_s`` seconds a request (its own batching folded in); the ratio is ``B T_p / (n t)``."""
    b = check_count("batch", batch)
    n = check_count("output_tokens", output_tokens)
    return b * check_positive("prefill_s", prefill_s) / (n * check_positive("decode_step_s", decode_step_s))


@finite_result
def kv_transfer_seconds(prompt_tokens, kv_bytes_per_token, link_gbps):
    """Seconds to move one request's KV cache (``prompt_tokens`` x ``kv_bytes_per_token`` bytes)
    from its prefill server to its decode server over a link of ``link_gbps`` GB/s, the price of
    splitting the two (not overlapped with compute)."""
    tokens = check_count("prompt_tokens", prompt_tokens)
    per_token = check_positive("kv_bytes_per_token", kv_bytes_per_token)
    return tokens * per_token / (check_positive("link_gbps", link_gbps) * 1e9)
