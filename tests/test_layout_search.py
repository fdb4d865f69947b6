"""Automatic parallelism (llmcost.running.layout_search) and the tensor- and sequence-parallel
formulas it and chapter 4 use (llmcost.parallelism)."""

from __future__ import annotations

import numpy as np
import pytest

from llmcost import InputError, memory, parallelism
from llmcost.running import layout_search

GPT3 = {"seq": 2048, "hidden": 12288, "heads": 96, "layers": 96}


def test_megatron_traffic_is_narayanans_eight_bsh():
    """Narayanan et al. 2021, section 3.2: 8 b s h (t - 1) / t values per layer and micro-batch."""
    values = parallelism.tensor_parallel_traffic_bytes(1, 2048, 12288, 64, bytes_per_value=1)
    assert values == 8 * 2048 * 12288 * 63 / 64 == 198_180_864
    assert parallelism.tensor_parallel_traffic_bytes(1, 2048, 12288, 1) == 0
    many = parallelism.tensor_parallel_traffic_bytes(np.array([1, 2]), 2048, 12288, np.array([2, 8]))
    assert many.shape == (2,) and many[1] / many[0] == pytest.approx(2 * (7 / 8) / (1 / 2))


def test_ring_self_attention_moves_what_tensor_parallelism_moves():
    """Li et al. 2023: 8 (N - 1) B Z (L / N) A; with Z A = h it equals Megatron's volume."""
    for devices in (2, 8, 64):
        ring = parallelism.ring_self_attention_bytes(2, 4096, 64, 128, devices)
        assert ring == pytest.approx(parallelism.tensor_parallel_traffic_bytes(2, 4096, 64 * 128, devices))
    assert parallelism.ring_self_attention_bytes(1, 1024, 8, 64, 4, bytes_per_value=1) == 8 * 3 * 8 * 256 * 64


@pytest.mark.parametrize(("scheme", "devices", "depth", "expected"), [
    ("1D", 64, 1, {"q": 64, "param_share": 1 / 64, "activation_share": 1, "bandwidth": 2 * 63 / 64, "latency_steps": 126}),
    ("2D", 64, 1, {"q": 8, "param_share": 1 / 64, "activation_share": 1 / 64, "bandwidth": 6 * 7 / 8, "latency_steps": 42}),
    ("2.5D", 64, 4, {"q": 4, "param_share": 1 / 16, "activation_share": 1 / 64, "bandwidth": 3 * 3 * 5 / 16, "latency_steps": 18}),
    ("3D", 64, 1, {"q": 4, "param_share": 1 / 64, "activation_share": 1 / 64, "bandwidth": 6 * 3 / 64, "latency_steps": 18}),
])
def test_tensor_parallel_schemes_follow_colossal_ais_tables(scheme, devices, depth, expected):
    assert layout_search.tensor_parallel_scheme(scheme, devices, depth) == pytest.approx(expected)


def test_two_and_a_half_d_of_depth_one_is_two_d():
    for q in (2, 4, 8):
        flat = layout_search.tensor_parallel_scheme("2.5D", q * q, 1)
        assert flat == pytest.approx(layout_search.tensor_parallel_scheme("2D", q * q))


@pytest.mark.parametrize(("scheme", "devices", "depth", "message"), [
    ("2D", 32, 1, "q x q grid"), ("3D", 32, 1, "q x q x q grid"), ("2.5D", 48, 4, "grid"), ("2D", 64, 4, "depth applies"),
    ("4D", 64, 1, "scheme"),
])
def test_a_grid_that_does_not_exist_is_refused(scheme, devices, depth, message):
    with pytest.raises(InputError, match=message):
        layout_search.tensor_parallel_scheme(scheme, devices, depth)


@pytest.fixture(scope="module")
def gpt3_layouts():
    run = layout_search.MEGATRON_GPT3
    return layout_search.search_layouts(run["model"], run["gpu"], run["gpus"], run["global_batch"], run["seq"])


def test_every_layout_tiles_the_cluster_and_the_batch(gpt3_layouts):
    t, p, d = (gpt3_layouts[k] for k in ("tensor_parallel", "pipeline_parallel", "data_parallel"))
    assert ((t * p * d) == 1024).all() and (t <= 8).all() and (96 % t == 0).all() and (96 % p == 0).all()
    assert ((1536 // d) == gpt3_layouts["micro_batch"] * gpt3_layouts["microbatches"]).all()
    assert not gpt3_layouts.loc[gpt3_layouts["tensor_parallel"] == 1, "sequence_parallel"].any()


def test_fitting_layouts_fit_and_the_winner_is_fastest(gpt3_layouts):
    fits = gpt3_layouts[gpt3_layouts["fits"]]
    assert (fits["memory_gb"] <= 80).all() and (gpt3_layouts.loc[~gpt3_layouts["fits"], "memory_gb"] > 80).all()
    best = layout_search.best_layout(gpt3_layouts, 80)
    assert best["step_s"] == fits["step_s"].min() and best["fits"]
    parts = gpt3_layouts[["compute_s", "bubble_s", "tp_s", "pp_s", "dp_s"]].sum(axis=1)
    assert np.allclose(parts, gpt3_layouts["step_s"])


def test_the_parts_of_a_step_follow_their_formulas(gpt3_layouts):
    row = gpt3_layouts[(gpt3_layouts["tensor_parallel"] == 8) & (gpt3_layouts["pipeline_parallel"] == 8)
                       & (gpt3_layouts["micro_batch"] == 1) & (gpt3_layouts["zero_stage"] == 3)
                       & (gpt3_layouts["recompute"] == "full") & gpt3_layouts["sequence_parallel"]].iloc[0]
    assert row["bubble_s"] == pytest.approx(row["compute_s"] * 7 / 96)  # (p - 1) / m, m = 1536 / 16
    nvlink = 600 / 2 * 1e9
    traffic = parallelism.tensor_parallel_traffic_bytes(1, 2048, 12288, 8) * 12 * 96 * 1.5  # 12 layers, 96 micro-batches
    assert row["tp_s"] == pytest.approx(traffic / nvlink)
    grads = layout_search.params_from_architecture(layout_search.architecture("gpt-3")) / 64 * 2 * 1.5
    assert row["dp_s"] == pytest.approx(2 * 15 / 16 * grads / 25e9)
    states = memory.zero_bytes_per_gpu(layout_search.params_from_architecture(layout_search.architecture("gpt-3")) / 64, 16, 3)
    assert row["states_gb"] == pytest.approx(states / 1e9)
    full = gpt3_layouts[(gpt3_layouts["recompute"] == "full")]["compute_s"].iloc[0]
    none = gpt3_layouts[(gpt3_layouts["recompute"] == "none")]["compute_s"].iloc[0]
    assert 1.25 < full / none < 1.34  # one more forward pass: 8 / 6 of the parameter FLOPs


def test_the_search_picks_megatrons_tensor_parallel_size_and_stays_above_its_measured_speed(gpt3_layouts):
    """Narayanan et al. 2021 (section 5.4.1): tensor parallelism as wide as the 8-GPU server wins;
    section 5.1: 140 TFLOP/s per GPU measured with full recomputation, below the search's ceiling."""
    run = layout_search.MEGATRON_GPT3
    assert layout_search.best_layout(gpt3_layouts, 80)["tensor_parallel"] == run["tensor_parallel"]
    recomputed = gpt3_layouts[gpt3_layouts["fits"] & (gpt3_layouts["recompute"] == "full")].iloc[0]
    assert run["tflops_per_gpu"] < recomputed["tflops_per_gpu"] < 312 * layout_search.COMPUTE_EFFICIENCY


def test_why_it_wins_compares_one_choice_at_a_time(gpt3_layouts):
    why = layout_search.why_it_wins(gpt3_layouts, 80)
    assert list(why["choice"]) == list(layout_search.KNOBS.values())
    assert (why["slower"].dropna() >= 1 - 1e-12).all() and (why["winner"] != why["alternative"]).all()
    ties = why[why["slower"] < 1 + 1e-9]
    assert ties["why"].str.startswith("as fast, but").all()


def test_bad_inputs_are_named():
    with pytest.raises(InputError, match="unknown gpu 'abacus'; known: .*h100-sxm"):
        layout_search.search_layouts("gpt-3", "abacus", 1024, 1536)
    with pytest.raises(InputError, match="global_batch"):
        layout_search.search_layouts("gpt-3", "a100", 1024, 7)
    with pytest.raises(InputError, match="gpus"):
        layout_search.search_layouts("gpt-3", "a100", 0, 1536)
    small = layout_search.search_layouts("gpt-3", "a100", 8, 8)
    with pytest.raises(InputError, match="no layout fits: the smallest needs"):
        layout_search.best_layout(small, 80)
