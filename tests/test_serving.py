"""Serving as it runs: the roofline against its own lower bounds (the HBM read of the weights,
the FLOP-bound prefill), its batch sweep, costs by phase, the all-reduces and the CLI's serve."""


import json

import numpy as np
import pytest

from llmcost import architecture as arch
from llmcost import cli, datasets
from llmcost.running.serving import allreduce_seconds, max_batch, serving_estimate
from llmcost.core.validate import InputError

LLAMA_SERVICE = dict(gpus=4, batch=8, prompt_tokens=3968, output_tokens=128)


def test_llama2_70b_decode_step_on_four_a100s_is_above_the_hbm_bound():
    result = serving_estimate("llama-2-70b", "a100-80gb-sxm", **LLAMA_SERVICE)
    hbm_bound = arch.params_from_architecture("llama-2-70b") * 2 / 4 / (2039e9)
    assert hbm_bound == pytest.approx(16.9e-3, rel=0.01)
    assert result["decode_s_per_step"] > hbm_bound
    assert result["bound"] == "memory"
    kv_read = 8 * (3968 + 64.5) * 327_680 / 4 / 2039e9
    assert result["decode_s_per_step"] == pytest.approx(hbm_bound + kv_read + result["decode_comm_s_per_step"], rel=1e-9)
    # The compute-bound path it replaces gave 0.90 ms, 23x too little (issue 8).
    assert result["decode_s_per_step"] > 15 * 0.90e-3



def test_prefill_is_the_flop_bound_time_plus_its_all_reduces():
    result = serving_estimate("llama-2-70b", "a100-80gb-sxm", compute_efficiency=1.0, **LLAMA_SERVICE)
    flops = 8 * 3968 * arch.forward_flops_per_token("llama-2-70b", 3968, causal=True)
    flop_bound = flops / (4 * 312e12)
    assert result["prefill_s"] - result["prefill_comm_s"] == pytest.approx(flop_bound, rel=1e-9)
    assert result["prefill_comm_s"] < 0.15 * result["prefill_s"]



def test_decode_turns_compute_bound_at_a_large_batch():
    batches = np.array([1, 8, 64, 512, 2048])
    result = serving_estimate("llama-3-8b", "h100-sxm", gpus=1, batch=batches, prompt_tokens=64, output_tokens=64)
    assert result["bound"].tolist() == ["memory", "memory", "memory", "compute", "compute"]
    # While memory-bound the step costs almost the same for 1 or 64 sequences, so per token it
    # falls; once compute-bound it stays.
    per_token = result["decode_s_per_step"] / batches
    assert np.all(np.diff(per_token)[:3] < 0) and per_token[-1] == pytest.approx(per_token[-2])



def test_serving_agrees_for_a_scalar_and_a_one_element_array():
    scalar = serving_estimate("llama-2-70b", "a100-80gb-sxm", usd_per_gpu_hour=2.0, power_w=400, **LLAMA_SERVICE)
    array = serving_estimate("llama-2-70b", "a100-80gb-sxm", usd_per_gpu_hour=2.0, power_w=400,
                             **{**LLAMA_SERVICE, "batch": np.array([8])})
    for key, value in scalar.items():
        assert np.asarray(array[key]).ravel()[0] == value, key



def test_max_batch_is_the_largest_that_fits():
    fits = max_batch("llama-2-70b", "a100-80gb-sxm", 4, 4096)
    assert fits == np.floor((4 * 80e9 - 68.977e9 * 2) / (4096 * 327_680)) or abs(fits - 135) <= 1
    serving_estimate("llama-2-70b", "a100-80gb-sxm", gpus=4, batch=int(fits), prompt_tokens=3968, output_tokens=128)
    with pytest.raises(InputError, match=r"batch must be at most 135"):
        serving_estimate("llama-2-70b", "a100-80gb-sxm", gpus=4, batch=int(fits) + 1, prompt_tokens=3968, output_tokens=128)
    with pytest.raises(InputError, match=r"gpus must hold the weights"):
        serving_estimate("llama-2-70b", "a100-80gb-sxm", gpus=1, batch=1, prompt_tokens=10, output_tokens=10)



def test_moe_holds_all_experts_but_computes_with_the_active_ones():
    result = serving_estimate("mixtral-8x7b", "h100-sxm", gpus=2, batch=512, prompt_tokens=512, output_tokens=256)
    counts = arch.parameter_counts("mixtral-8x7b")
    assert result["weights_gb_per_gpu"] == pytest.approx(counts["total"] * 2 / 2 / 1e9)
    dense_as_total = {**{k: v for k, v in datasets.model("mixtral-8x7b").items() if k in arch.FIELDS}, "experts_routed": 8}
    as_dense = serving_estimate(dense_as_total, "h100-sxm", gpus=2, batch=512, prompt_tokens=512, output_tokens=256)
    assert result["prefill_s"] < 0.5 * as_dense["prefill_s"]



def test_costs_split_by_phase_and_scale_with_price():
    cheap = serving_estimate("llama-2-70b", "a100-80gb-sxm", usd_per_gpu_hour=1.0, **LLAMA_SERVICE)
    dear = serving_estimate("llama-2-70b", "a100-80gb-sxm", usd_per_gpu_hour=3.0, **LLAMA_SERVICE)
    assert dear["usd_per_1k_output_tokens"] == pytest.approx(3 * cheap["usd_per_1k_output_tokens"])
    # An output token (a memory-bound decode step) costs far more than an input token (prefill).
    assert cheap["usd_per_1k_output_tokens"] > 10 * cheap["usd_per_1k_input_tokens"]



def test_allreduce_of_one_gpu_is_free_and_a_ring_moves_2_t_minus_1_over_t():
    assert allreduce_seconds(1e9, 1, 600) == 0.0
    assert allreduce_seconds(1e9, 4, 600) == pytest.approx(2 * 3 / 4 * 1e9 / 300e9)



def test_cli_serve_prints_the_roofline_as_strict_json(capsys):
    status = cli.main(["serve", "--model", "llama-2-70b", "--gpu", "a100-80gb-sxm", "--gpus", "4", "--batch", "8",
                       "--prompt-tokens", "3968", "--output-tokens", "128", "--price", "2", "--json"])
    out = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(f"bare {name}"))
    assert status == 0
    for key in ("prefill_s", "decode_s_per_step", "output_tokens_per_s", "max_batch", "bound", "usd_per_1k_output_tokens"):
        assert key in out
    assert out["bound"] == "memory" and out["inputs"]["compute_efficiency"] == 0.76



@pytest.mark.parametrize(("argv", "message"), [
    (["serve", "--model", "llama-2-70b", "--output-tokens", "10"], "--prompt-tokens is required"),
    (["serve", "--model", "gpt-4", "--prompt-tokens", "10", "--output-tokens", "10"], "--model 'gpt-4' has no d_model"),
    (["serve", "--model", "llama-2-70b", "--gpus", "4", "--prompt-tokens", "10", "--output-tokens", "10", "--batch", "0"], "--batch: must be a whole number"),
    (["train", "--params", "1e9", "--tokens", "1e9", "--convention", "6PD+attention"], "needs the model's architecture"),
])
def test_cli_serve_and_convention_errors_are_one_line(capsys, argv, message):
    try:
        status = cli.main(argv)
    except SystemExit as exc:  # refused while parsing
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2 and message in err and err.count("\n") == 1



@pytest.mark.parametrize("value", ["8", True, float("nan"), float("inf"), -1])
@pytest.mark.parametrize("name", ["gpus", "batch", "prompt_tokens", "output_tokens", "compute_efficiency",
                                  "memory_efficiency", "usd_per_gpu_hour", "power_w", "pue", "peak_flops"])
def test_serving_refuses_a_hostile_value_naming_the_parameter(name, value):
    with pytest.raises(InputError, match=rf"^{name} "):
        serving_estimate("llama-2-70b", "a100-80gb-sxm", **{**LLAMA_SERVICE, "usd_per_gpu_hour": 2.0, "power_w": 400, name: value})



def test_hbm_read_is_the_floor_of_a_decode_step():
    from llmcost.running.serving import hbm_read_seconds

    weights = arch.params_from_architecture("llama-2-70b") * 2 / (4 * 2039e9)
    assert hbm_read_seconds("llama-2-70b", "a100-80gb", gpus=4, batch=1, context=0) == pytest.approx(weights)
    kv = arch.kv_cache_bytes_per_token("llama-2-70b") * 8 * 4032.5 / (4 * 2039e9)
    floor = hbm_read_seconds("llama-2-70b", "a100-80gb", gpus=4, batch=8, context=4032.5)
    assert floor == pytest.approx(weights + kv)
    step = serving_estimate("llama-2-70b", "a100-80gb", gpus=4, batch=8, prompt_tokens=3968, output_tokens=128)
    assert step["decode_s_per_step"] == pytest.approx(floor + step["decode_comm_s_per_step"])
    assert hbm_read_seconds("llama-2-70b", "a100-80gb", gpus=4, memory_efficiency=0.5) == pytest.approx(2 * weights)
    with pytest.raises(InputError, match="memory_efficiency"):
        hbm_read_seconds("llama-2-70b", "a100-80gb", memory_efficiency=1.5)



def test_batch_sweep_is_the_estimate_at_every_batch_that_fits():
    from llmcost.running.serving import batch_sweep, turning_batch

    options = dict(gpus=4, prompt_tokens=256, output_tokens=256, usd_per_gpu_hour=2.0)
    sweep = batch_sweep("llama-2-70b", "a100-80gb", **options)
    assert len(sweep["batch"]) == max_batch("llama-2-70b", "a100-80gb", 4, 512)
    for b in (1, 77, len(sweep["batch"])):
        one = serving_estimate("llama-2-70b", "a100-80gb", batch=b, **options)
        assert sweep["usd_per_1k_output_tokens"][b - 1] == pytest.approx(one["usd_per_1k_output_tokens"])
        assert sweep["bound"][b - 1] == one["bound"]
    turn = turning_batch(sweep)
    bound = np.asarray(sweep["bound"])
    assert (bound[: turn - 1] == "memory").all() and (bound[turn - 1:] == "compute").all()
    # The ridge: a token's 2 FLOP per parameter against its share of 2 bytes per parameter read.
    ridge = 312e12 * 0.76 / 2039e9
    assert ridge < turn < 1.3 * ridge
    long = batch_sweep("llama-2-70b", "a100-80gb", gpus=4, prompt_tokens=3968, output_tokens=128)
    assert turning_batch(long) is None  # at 4k tokens the KV cache fills memory before compute binds



def test_the_roofline_bounds_every_measurement():
    from llmcost import calibration

    table = calibration.serving_table().set_index("id")
    measured = table[table["kind"] == "measured"]
    assert len(measured) >= 5
    notes = calibration.serving_measurements().set_index("id")["note"]
    above = measured.index[measured["achieved"] > 1]
    assert all("exceeds llmcost's roofline" in notes[ident] for ident in above), measured.loc[above, "achieved"]
    assert len(above) <= 1
    row = table.loc["trtllm-h200-llama-70b-b32-tp1-2048-128"]
    direct = serving_estimate("llama-2-70b", "h200", gpus=1, batch=32, prompt_tokens=2048, output_tokens=128, precision="fp8")
    assert row["llmcost"] == pytest.approx(direct["output_tokens_per_s_per_gpu"])
    assert row["ratio"] == pytest.approx(303 / direct["output_tokens_per_s_per_gpu"])
    pope = table.loc["pope-palm-540b-int8-decode"]
    assert pope["basis"] == "HBM floor at batch 1"
    assert pope["llmcost"] == pytest.approx(arch.params_from_architecture("palm-540b") * 1 / (64 * 1200e9), rel=1e-3)



def test_cost_and_demand_share_the_conversions_with_the_roofline():
    from llmcost import cost, demand

    estimate = serving_estimate("llama-2-70b", "a100-80gb", gpus=4, batch=8, prompt_tokens=3968, output_tokens=128, usd_per_gpu_hour=2.0)
    per_token = 4 * estimate["decode_s"] / (8 * 128)
    assert estimate["usd_per_1k_output_tokens"] == pytest.approx(cost.usd_per_1k_tokens(2.0, per_token))
    assert cost.serving_cost_per_1k_tokens(175e9, 2.0, 312e12, 0.5) == pytest.approx(cost.usd_per_1k_tokens(2.0, 2 * 175e9 / (312e12 * 0.5)))
    rate = estimate["output_tokens_per_s_per_gpu"]
    assert demand.accelerators_at_rate(rate * 86400 * 10, rate) == pytest.approx(10)
    with pytest.raises(InputError, match="tokens_per_s_per_gpu"):
        demand.accelerators_at_rate(1e9, 0)



def test_batch_sweep_refuses_what_it_cannot_sweep():
    from llmcost.running.serving import batch_sweep

    with pytest.raises(InputError, match="gpus must be one number for a batch sweep"):
        batch_sweep("llama-2-70b", "a100-80gb", gpus=np.array([4, 8]), prompt_tokens=256, output_tokens=256)
    with pytest.raises(InputError, match="gpus must hold the weights of llama-2-70b"):
        batch_sweep("llama-2-70b", "a100-80gb", gpus=1, prompt_tokens=256, output_tokens=256)



def test_batch_at_cost_is_the_first_batch_at_or_below_the_target():
    from llmcost.running.serving import batch_at_cost, batch_sweep

    sweep = batch_sweep("gpt-3", "a100-80gb", gpus=8, prompt_tokens=256, output_tokens=256, usd_per_gpu_hour=2.0)
    usd = sweep["usd_per_1k_output_tokens"]
    target = float(usd[len(usd) // 2])
    batch = batch_at_cost(sweep, target)
    assert usd[batch - 1] <= target and (batch == 1 or usd[batch - 2] > target)
    assert batch_at_cost(sweep, float(usd.min()) / 2) is None
    with pytest.raises(InputError, match="usd_per_1k_output_tokens"):
        batch_at_cost(sweep, 0)



def test_ridge_batch_is_where_matmul_time_meets_the_weight_read():
    from llmcost.running.serving import batch_sweep, ridge_batch, turning_batch

    a100 = datasets.accelerator("a100-80gb")
    by_hand = 312e12 * 0.5 / (a100["bandwidth_gbps"] * 1e9 * 0.8) * 2 / 2
    assert ridge_batch("a100-80gb", "bf16", 0.5, 0.8) == pytest.approx(by_hand)
    assert ridge_batch("a100-80gb") < ridge_batch("h100")
    sweep = batch_sweep("llama-2-70b", "a100-80gb", gpus=8, prompt_tokens=64, output_tokens=64)
    assert turning_batch(sweep) >= ridge_batch("a100-80gb")  # the KV cache and the all-reduces only delay the turn
    with pytest.raises(InputError, match="compute_efficiency"):
        ridge_batch("a100-80gb", "bf16", 0)
    with pytest.raises(InputError, match="tpu-v3.* has no bandwidth_gbps"):
        ridge_batch("tpu-v3")



def test_a_moe_decode_step_reads_the_experts_its_batch_uses(capsys):
    """Mixtral 8x7B routes each token to 2 of 8 experts: at batch 1 a step reads the active
    weights (about 12.9 B parameters), not all 46.7 B; the read grows with the batch towards
    every expert (issue 18)."""
    from llmcost import serving

    facts = datasets.model("mixtral-8x7b")
    counts = arch.parameter_counts("mixtral-8x7b")
    read = [serving.serving_estimate("mixtral-8x7b", "h100", gpus=2, batch=b, prompt_tokens=512, output_tokens=128)
            ["weights_read_gb_per_step"] * 1e9 / 2 for b in (1, 2, 4, 16, 64, 256)]
    assert read[0] == pytest.approx(counts["active"], rel=1e-9)
    assert read[0] == pytest.approx(facts["params_active"], rel=0.01)
    assert all(a < b for a, b in zip(read, read[1:-1]))
    assert read[-1] == pytest.approx(counts["total"], rel=1e-6) and read[-1] <= counts["total"]
    status = cli.main(["serve", "--model", "mixtral-8x7b", "--gpu", "h100", "--gpus", "2", "--batch", "1",
                       "--prompt-tokens", "512", "--output-tokens", "128", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert status == 0 and result["weights_read_gb_per_step"] == pytest.approx(2 * facts["params_active"] / 1e9, rel=0.01)


def test_experts_touched_is_the_expected_number_of_distinct_experts():
    from llmcost.running.serving import experts_touched

    assert experts_touched(8, 2, 1) == pytest.approx(2)
    assert experts_touched(8, 2, 2) == pytest.approx(8 * (1 - 0.75**2))  # 3.5: two tokens share some
    assert experts_touched(8, 2, 1000) == pytest.approx(8)
    assert experts_touched(1, 1, 1) == 1 and experts_touched(1, 1, 500) == 1  # a dense MLP: always read
    np.testing.assert_allclose(experts_touched(256, 8, np.array([1, 32])), [8, 256 * (1 - (1 - 8 / 256) ** 32)])


def test_a_dense_model_reads_all_its_weights_at_any_batch():
    total = arch.parameter_counts("llama-2-70b")["total"] * 2 / 1e9
    for batch in (1, 8, 64):
        assert serving_estimate("llama-2-70b", "a100", gpus=8, batch=batch, prompt_tokens=100, output_tokens=10)[
            "weights_read_gb_per_step"] == pytest.approx(total, rel=1e-12)


def test_a_model_serves_its_final_context_not_only_its_pretraining_length():
    """Llama 3.1 405B pre-trained at 8K and serves 128K; DeepSeek-V3 at 4K and 128K (their
    non-primary context rows); a config's context is its maximum positions."""
    from llmcost.running import serving

    assert serving.serving_context("llama-3.1-405b") == 128_000 and arch.architecture("llama-3.1-405b").context == 8192
    assert serving.serving_context("deepseek-v3") == 128_000
    serving_estimate("llama-3.1-405b", "h100", gpus=8, prompt_tokens=100_000, output_tokens=1_000, precision="fp8")
    with pytest.raises(InputError, match="at most the context of llama-3.1-405b, 128,000 tokens"):
        serving.check_context("llama-3.1-405b", 130_000)
