"""GPU-hours, cluster size, dollars and energy pinned to the documents' own arithmetic."""

import numpy as np
import pytest

import llmcost
from llmcost import cluster, cost, demand, energy, estimate
from llmcost.core.validate import InputError

A100_FP16 = 312e12
A100_TF32 = 156e12


def test_gpt3_a100_hours_seed000():
    hours = cluster.gpu_hours(3.15e23, A100_FP16, 0.462)
    assert hours == pytest.approx(606_700, rel=1e-3)
    assert cluster.gpu_days(3.15e23, A100_FP16, 0.462) == pytest.approx(25_300, rel=1e-3)
    assert cluster.wall_days(hours, 1000) == pytest.approx(25.3, rel=1e-3)


def test_gpt4_a100_hours_implies_36_percent():
    flops = 6 * 277e9 * 13e12
    assert cluster.gpu_hours(flops, A100_FP16, 0.462) == pytest.approx(41.6e6, rel=1e-3)
    assert cluster.implied_utilization(flops, A100_FP16, 53_433_642) == pytest.approx(0.36, abs=0.001)


def test_deck_training_cluster_seed004():
    flops = 6 * 175e9 * 300e9
    throughput = cluster.required_throughput(flops, 30 * 86400)
    assert throughput / 1e12 == pytest.approx(121_528, rel=1e-5)
    gpus = cluster.accelerators_for_throughput(throughput, A100_TF32, 0.5)
    assert int(gpus) == 1558
    assert cluster.servers(gpus) == 195


def test_deck_inference_fleet_seed004():
    tokens = demand.tokens_per_day(3.5e9, 425, 4 / 3, queries_per_request=4)
    assert tokens == pytest.approx(7.933e12, rel=1e-4)
    gpus = demand.inference_accelerators(175e9, tokens, A100_TF32, 0.5)
    assert gpus == pytest.approx(412_000, rel=1e-3)
    # The deck's 706,315 GPUs follow only with 300e9 "parameters" (its training-token count).
    assert demand.inference_accelerators(300e9, tokens, A100_TF32, 0.5) == pytest.approx(706_315, rel=1e-4)


def test_servers_round_up_and_exact_multiples():
    assert cluster.servers(8) == 1
    assert cluster.servers(9) == 2
    assert cluster.servers(1558.05) == 195
    np.testing.assert_array_equal(cluster.servers(np.array([8, 16, 17])), [1, 2, 3])


def test_purchase_model_seed002_from_its_own_inputs():
    parts = cost.purchase_cost(10_830, 10_000, 0.2, 0.1, 2e6)
    assert parts["gpus"] == pytest.approx(108.3e6)
    assert parts["other_hardware"] == pytest.approx(21.66e6)
    assert parts["datacenter"] == pytest.approx(10.83e6)
    assert parts["total"] == pytest.approx(142.79e6)


def test_purchase_model_broadcasts_staff():
    parts = cost.purchase_cost(np.array([100, 200]), 10_000, staff_usd=1e6)
    np.testing.assert_allclose(parts["total"], [1.3e6 + 1e6, 2.6e6 + 1e6])


def test_serving_cost_and_margin_seed000():
    per_gpu = cost.usd_per_gpu_hour(19.22, 8)
    assert per_gpu == pytest.approx(2.4025)
    implied = cost.utilization_for_serving_cost(0.0035, 175e9, per_gpu, A100_FP16)
    assert implied == pytest.approx(0.214, abs=0.001)
    assert cost.serving_cost_per_1k_tokens(175e9, per_gpu, A100_FP16, implied) == pytest.approx(0.0035)
    assert cost.gross_margin(0.0035, 0.02) == pytest.approx(0.825)
    assert cost.cost_reduction(implied, implied + 0.10) > 0.30
    assert cost.cost_reduction(implied, implied * 1.10) == pytest.approx(1 - 1 / 1.1)


def test_energy_and_carbon_gpt3_patterson():
    mwh = energy.energy_mwh(3.552e6, 330, 1.1)
    assert mwh == pytest.approx(1287, rel=0.005)
    assert energy.co2_tonnes(1287, 0.429) == pytest.approx(552, rel=0.001)


def test_energy_rejects_pue_below_one():
    with pytest.raises(InputError, match="pue must be a finite number >= 1"):
        energy.energy_mwh(1, 400, 0.9)


@pytest.mark.parametrize("bad", [0, 1.01, -0.5, 2])
def test_utilization_outside_unit_interval(bad):
    with pytest.raises(InputError, match=r"utilization must be a fraction in \(0, 1\]"):
        cluster.gpu_hours(1e20, 1e12, bad)


def test_training_estimate_chain_and_exclusive_sizing():
    out = estimate.training_estimate(175e9, 300e9, A100_FP16, 0.462, days=30, usd_per_gpu_hour=2.0, power_w=400, pue=1.1, grid_kg_per_kwh=0.429)
    assert out["gpus"] == 844 and out["servers"] == 106
    assert out["wall_days"] <= 30
    assert out["cost_usd"] == pytest.approx(out["gpu_hours"] * 2.0)
    assert out["co2_t"] == pytest.approx(out["energy_mwh"] * 0.429)
    with pytest.raises(InputError, match="gpus or days"):
        estimate.training_estimate(1e9, 1e9, 1e12, 0.5, gpus=8, days=1)
    with pytest.raises(InputError, match="grid_kg_per_kwh needs power_w"):
        estimate.training_estimate(1e9, 1e9, 1e12, 0.5, grid_kg_per_kwh=0.4)
    assert set(estimate.training_estimate(1e9, 1e9, 1e12, 0.5)) == {"flops", "gpu_hours", "gpu_days"}


def test_power_boundaries_run_from_the_chip_to_the_rated_node():
    """Energy as drawn: the accelerators as drawn over a run that idles part of the time, and the node
    as measured while training and at its rated maximum (DGX H100: 10.2 kW for 8)."""
    h100 = llmcost.accelerator("h100")
    drawn = energy.drawn_power_w(h100["tdp_w"], 0.5)
    assert drawn == pytest.approx(700 * (energy.IDLE_SHARE + (1 - energy.IDLE_SHARE) * 0.5))
    rated = energy.node_power_per_accelerator_w(h100["node_power_w"], h100["node_accelerators"])
    measured = energy.node_power_per_accelerator_w(h100["node_power_w"], h100["node_accelerators"], energy.NODE_DRAW_SHARE)
    assert rated == pytest.approx(10200 / 8) and measured == pytest.approx(10200 / 8 * (8.4 / 10.2 + 0.76) / 2)
    assert drawn < h100["tdp_w"] < measured < rated
    assert energy.drawn_power_w(700, 1.0) == 700 and energy.drawn_power_w(700, 1e-9) == pytest.approx(700 * energy.IDLE_SHARE)
    assert 0.15 < energy.IDLE_SHARE < 0.25 and energy.INDUSTRY_PUE == 1.58
    assert set(energy.POWER_BOUNDARIES) == {"accelerator_tdp", "accelerator_drawn", "node_measured", "node_rated"}
    with pytest.raises(InputError, match="busy_share"):
        energy.drawn_power_w(700, 1.5)
    with pytest.raises(InputError, match="node_accelerators"):
        energy.node_power_per_accelerator_w(10200, 0)
