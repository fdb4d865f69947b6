"""Sizing: ZeRO's minimum data-parallel size, corpus tokens, and rent vs buy."""

import numpy as np
import pytest

from llmcost import cost, memory, sizing
from llmcost.core.validate import InputError


def test_zero_stage3_gpt3_needs_35_a100_80gb():
    # 175B x 16 bytes = 2.8 TB of model states; 2.8 TB / 80 GB = 35 ranks.
    assert sizing.min_data_parallel_for_zero(175e9, 80, 3) == 35
    for stage in (0, 1, 2):
        assert sizing.min_data_parallel_for_zero(175e9, 80, stage) == np.inf


def test_zero_stage1_7_5b_on_32gb_matches_the_paper_formula():
    # ZeRO paper's 7.5B example: P_os needs 4 Psi + 12 Psi / N <= 32 GB -> N >= 45.
    n = sizing.min_data_parallel_for_zero(7.5e9, 32, 1)
    assert n == 45
    assert memory.zero_bytes_per_gpu(7.5e9, n, 1) <= 32e9 < memory.zero_bytes_per_gpu(7.5e9, n - 1, 1)


def test_min_data_parallel_is_the_inverse_of_zero_bytes_per_gpu():
    params = np.array([1e9, 7e9, 70e9, 175e9])
    for stage in (1, 2, 3):
        n = sizing.min_data_parallel_for_zero(params, 80, stage, reserved_gb=10)
        finite = np.isfinite(n)
        assert np.all(memory.zero_bytes_per_gpu(params[finite], n[finite], stage) <= 70e9 * (1 + 1e-12))
        smaller = np.maximum(n[finite] - 1, 1)
        over = memory.zero_bytes_per_gpu(params[finite], smaller, stage) > 70e9
        assert np.all(over | (n[finite] == 1))


def test_small_model_needs_no_sharding():
    assert sizing.min_data_parallel_for_zero(1e9, 80, 0) == 1


def test_min_data_parallel_errors_name_the_parameter():
    with pytest.raises(InputError, match="stage must be one of 0, 1, 2, 3"):
        sizing.min_data_parallel_for_zero(1e9, 80, 4)
    with pytest.raises(InputError, match="memory_gb must be a finite number > 0"):
        sizing.min_data_parallel_for_zero(1e9, 0, 3)
    with pytest.raises(InputError, match="optimizer must be one of"):
        sizing.min_data_parallel_for_zero(1e9, 80, 3, optimizer="lion")


def test_corpus_tokens_of_one_petabyte_at_llama_ratio():
    llama_bytes = 3.3e12 + 783e9 + 328e9 + 83e9 + 85e9 + 92e9 + 78e9  # Touvron et al. 2023a, Table 1
    tokens = sizing.corpus_tokens(1e15, 1.4e12, llama_bytes)
    assert tokens == pytest.approx(2.948e14, rel=1e-3)
    with pytest.raises(InputError, match="corpus_bytes"):
        sizing.corpus_tokens(-1, 1.4e12, llama_bytes)


def test_capital_per_gpu_is_seed002_model_for_one_gpu():
    assert sizing.capital_per_gpu(10_000) == pytest.approx(13_000)
    total = cost.purchase_cost(10_830, 10_000, 0.2, 0.1, 0.0)["total"]
    assert sizing.capital_per_gpu(10_000) * 10_830 == pytest.approx(total)


def test_breakeven_hours():
    # $13,000 of capital at $2.40 per hour rented: 5,417 hours, about 7.4 months of use.
    assert sizing.rent_vs_buy_breakeven_hours(10_000, 2.40) == pytest.approx(13_000 / 2.40)
    assert sizing.rent_vs_buy_breakeven_hours(10_000, 2.40, operating_usd_per_gpu_hour=0.40) == pytest.approx(6_500)
    assert sizing.rent_vs_buy_breakeven_hours(10_000, 1.0, operating_usd_per_gpu_hour=1.0) == np.inf
    hours = sizing.rent_vs_buy_breakeven_hours(np.array([10_000, 20_000]), 2.0)
    assert hours.tolist() == pytest.approx([6_500, 13_000])
    at_breakeven = sizing.ownership_cost(hours, np.array([10_000, 20_000]))
    assert at_breakeven == pytest.approx(cost.rental_cost(hours, 2.0))


def test_breakeven_errors_name_the_parameter():
    with pytest.raises(InputError, match="usd_per_gpu_hour must be a finite number > 0"):
        sizing.rent_vs_buy_breakeven_hours(10_000, 0)
    with pytest.raises(InputError, match="usd_per_gpu must be a finite number > 0"):
        sizing.rent_vs_buy_breakeven_hours(-5, 2.0)
    with pytest.raises(InputError, match="hours must be a finite number >= 0"):
        sizing.ownership_cost(-1, 10_000)


def test_segment_checkpointing_sqrt_n():
    # 96 layers, checkpoints every 10 (round(sqrt(96))): 10 inputs + 10 full layers.
    assert sizing.segment_checkpoint_bytes(96, 34.0, 2.0) == 10 * 2.0 + 10 * 34.0
    # one segment of all layers = no checkpointing beyond the model input
    assert sizing.segment_checkpoint_bytes(96, 34.0, 2.0, segment=96) == 2.0 + 96 * 34.0
    # segment = 1 is per-layer checkpointing plus one layer's activations during backward
    assert sizing.segment_checkpoint_bytes(96, 34.0, 2.0, segment=1) == 96 * 2.0 + 34.0
    assert sizing.segment_checkpoint_bytes(96, 34.0, 2.0) < sizing.segment_checkpoint_bytes(96, 34.0, 2.0, segment=96) / 5
    with pytest.raises(InputError, match="segment must be a whole number >= 1"):
        sizing.segment_checkpoint_bytes(96, 34.0, 2.0, segment=0.5)
