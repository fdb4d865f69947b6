"""Invariants of the formulas, checked on generated inputs (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcost import cluster, cost, energy, estimate, flops, memory, parallelism

counts = st.floats(1e6, 1e13)
token_counts = st.floats(1e6, 1e14)
utilizations = st.floats(0.01, 1.0)
peaks = st.floats(1e12, 5e15)
factors = st.floats(0.1, 100)
ranks = st.integers(1, 4096)


@given(counts, token_counts, factors)
def test_training_flops_linear_in_tokens(params, tokens, k):
    assert flops.training_flops(params, tokens * k) == pytest.approx(k * flops.training_flops(params, tokens), rel=1e-12)


@given(counts, token_counts)
def test_recompute_costs_a_third_more(params, tokens):
    assert flops.training_flops(params, tokens, recompute=True) == pytest.approx(flops.training_flops(params, tokens) * 4 / 3)


@given(st.floats(1e15, 1e27), peaks, st.floats(0.02, 1.0))
def test_gpu_hours_inverse_in_utilization(f, peak, u):
    assert cluster.gpu_hours(f, peak, u / 2) == pytest.approx(2 * cluster.gpu_hours(f, peak, u), rel=1e-12)


@given(st.floats(1.0, 1e9), st.integers(1, 100_000))
def test_gpus_times_wall_days_is_gpu_days(gpu_hours, gpus):
    assert cluster.wall_days(gpu_hours, gpus) * gpus == pytest.approx(gpu_hours / 24, rel=1e-12)


@given(st.floats(1.0, 1e9), st.floats(1.0, 1e4))
def test_deadline_and_wall_days_are_inverse(gpu_hours, days):
    gpus = cluster.gpus_for_deadline(gpu_hours, days)
    assert gpus * days * 24 == pytest.approx(gpu_hours, rel=1e-12)
    assert cluster.wall_days(gpu_hours, cluster.whole(gpus)) <= days * (1 + 1e-9)


@given(counts, ranks, st.sampled_from(["bf16", "fp16", "fp32"]), st.sampled_from(memory.OPTIMIZERS))
def test_zero_stages_never_use_more_memory(params, n, precision, optimizer):
    per_stage = [memory.zero_bytes_per_gpu(params, n, s, precision, optimizer) for s in memory.ZERO_STAGES]
    assert all(later <= earlier * (1 + 1e-12) for earlier, later in zip(per_stage, per_stage[1:]))
    assert per_stage[3] == pytest.approx(per_stage[0] / n)


@given(st.integers(1, 128), st.integers(1, 1024))
def test_bubble_fraction_in_unit_interval_and_shrinks_with_microbatches(p, m):
    f = parallelism.bubble_fraction(p, m)
    assert 0 <= f < 1
    assert parallelism.bubble_fraction(p, m + 1) <= f


@given(st.floats(1.0, 1e12), st.integers(2, 100_000))
def test_ring_allreduce_between_one_and_two_messages(size, n):
    assert size <= parallelism.ring_allreduce_bytes(size, n) < 2 * size


@given(st.floats(0, 1e9), st.floats(0, 2000), st.floats(1, 2), st.floats(0, 1.5))
def test_carbon_is_energy_times_intensity(hours, watts, pue, grid):
    mwh = energy.energy_mwh(hours, watts, pue)
    assert mwh == pytest.approx(hours * watts * pue / 1e6)
    assert energy.co2_tonnes(mwh, grid) == pytest.approx(mwh * grid)


@given(counts, st.floats(0.1, 100), peaks, utilizations)
def test_serving_cost_and_implied_utilization_round_trip(params, price, peak, u):
    usd = cost.serving_cost_per_1k_tokens(params, price, peak, u)
    assert cost.utilization_for_serving_cost(usd, params, price, peak) == pytest.approx(u, rel=1e-9)


@settings(max_examples=25)
@given(st.lists(st.tuples(counts, token_counts, peaks, utilizations), min_size=1, max_size=20))
def test_vectorized_chain_equals_scalar_loop(rows):
    p, d, peak, u = (np.array(col) for col in zip(*rows))
    arrays = estimate.training_estimate(p, d, peak, u, usd_per_gpu_hour=2.0, power_w=700, pue=1.2, grid_kg_per_kwh=0.4)
    for i, row in enumerate(rows):
        scalar = estimate.training_estimate(*row, usd_per_gpu_hour=2.0, power_w=700, pue=1.2, grid_kg_per_kwh=0.4)
        for key, value in scalar.items():
            assert arrays[key][i] == pytest.approx(value, rel=1e-12), key
