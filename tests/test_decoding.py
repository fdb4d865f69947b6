"""Serving practice in closed form (llmcost.formulas.decoding): speculative decoding against
Leviathan et al.'s own figures, continuous batching against a simulation of the same server, and
the prefill/decode split."""

import numpy as np
import pytest

from llmcost.core.validate import InputError
from llmcost.formulas import decoding


def test_speculative_tokens_per_step_is_the_geometric_sum():
    """E = 1 + α + ... + α^γ, the expected run of accepted tokens plus the one the target adds."""
    for alpha in (0.0, 0.3, 0.6, 0.9):
        for gamma in (1, 3, 7):
            assert decoding.speculative_tokens_per_step(alpha, gamma) == pytest.approx(sum(alpha**i for i in range(gamma + 1)))
    # one drafted token (DeepSeek-V3's multi-token prediction): 1 + α
    assert decoding.speculative_tokens_per_step(0.85, 1) == pytest.approx(1.85)


def test_speculative_speedup_matches_leviathans_example():
    """Leviathan et al. 2023, Table 4: T5-XXL with T5-small drafts, α = 0.75, γ = 7, c = 0.02:
    expected walltime improvement 3.2 (as printed, rounded). A free draft (c = 0) yields the whole
    E; a draft costing c weighs every drafted token."""
    assert decoding.speculative_speedup(0.75, 7, 0.02) == pytest.approx(3.2, abs=0.05)
    assert decoding.speculative_speedup(0.8, 7, 0.0) == pytest.approx((1 - 0.8**8) / 0.2)
    assert decoding.speculative_speedup(0.8, 7, 0.0) == pytest.approx(4.16, abs=0.01)
    assert decoding.speculative_speedup(0.8, 3, 0.05) == pytest.approx((1 - 0.8**4) / 0.2 / 1.15)
    # a useless draft (α = 0) with a cost slows decoding down
    assert decoding.speculative_speedup(0.0, 4, 0.1) < 1
    speedups = decoding.speculative_speedup(np.array([0.5, 0.7, 0.9]), 4, 0.05)
    assert np.all(np.diff(speedups) > 0)


def _simulate(rate, n, prefill, a, b, seconds=4000.0):
    """A continuously batched server: requests arrive every 1/rate s; a new request is prefilled at
    once (pausing decode), then joins the batch; each step takes a + b·batch and gives every
    sequence one token. Returns the time-averaged batch (prefill pauses included) over the second half."""
    t, next_arrival, waiting, batch, area, start = 0.0, 0.0, 0, [], 0.0, seconds / 2
    while t < seconds:
        while next_arrival <= t:
            waiting += 1
            next_arrival += 1 / rate
        if waiting:
            if t >= start:
                area += len(batch) * prefill
            t += prefill
            waiting -= 1
            batch.append(n)
            continue
        if not batch:
            t = next_arrival
            continue
        step = a + b * len(batch)
        if t >= start:
            area += len(batch) * step
        t += step
        batch = [left - 1 for left in batch if left > 1]
    return area / (seconds - start)


@pytest.mark.parametrize("rate", [0.5, 2.0, 4.0])
def test_sustained_batch_agrees_with_a_simulated_server(rate):
    """Little's law on the straight-line step: the closed form and a step-by-step simulation of
    the same server (deterministic arrivals) agree within 5 %."""
    n, prefill, a, b = 200, 0.05, 0.02, 0.0002
    assert _simulate(rate, n, prefill, a, b) == pytest.approx(decoding.sustained_batch(rate, n, prefill, a, b), rel=0.05)


def test_overload_gives_infinity_and_the_rate_limit_solves_the_batch():
    n, prefill, a, b = 200, 0.05, 0.02, 0.0002
    limit = 1 / (prefill + n * b)
    assert decoding.sustained_batch(limit * 1.01, n, prefill, a, b) == np.inf
    assert decoding.time_per_output_token(limit * 1.01, n, prefill, a, b) == np.inf
    rate = decoding.max_request_rate(n, prefill, a, b, 64)
    assert decoding.sustained_batch(rate, n, prefill, a, b) == pytest.approx(64)
    assert rate < limit
    assert decoding.time_per_output_token(1e-9, n, prefill, a, b) == pytest.approx(a)
    # the per-token time is the step at the sustained batch, shared with the prefills
    batch = decoding.sustained_batch(2.0, n, prefill, a, b)
    tpot = decoding.time_per_output_token(2.0, n, prefill, a, b)
    assert tpot == pytest.approx(batch / (2.0 * n))


def test_prefill_split_and_kv_transfer():
    # a decode server at batch 64, 20 ms a step, 500 tokens each -> 6.4 requests/s; 0.2 s prefills
    assert decoding.prefill_servers_per_decode_server(64, 500, 0.02, 0.2) == pytest.approx(64 * 0.2 / (500 * 0.02))
    # 4,000 prompt tokens of 70 KB over 50 GB/s
    assert decoding.kv_transfer_seconds(4000, 70_272, 50) == pytest.approx(4000 * 70_272 / 50e9)


@pytest.mark.parametrize("call, name", [
    (lambda: decoding.speculative_tokens_per_step(1.0, 3), "acceptance"),
    (lambda: decoding.speculative_tokens_per_step(0.5, 0), "draft_tokens"),
    (lambda: decoding.sustained_batch(0.0, 10, 0.1, 0.01, 0.001), "request_rate"),
    (lambda: decoding.max_request_rate(10, 0.1, 0.01, 0.001, 0), "max_batch"),
])
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(InputError, match=name):
        call()
