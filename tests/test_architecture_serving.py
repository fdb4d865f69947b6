"""Architectures as they are and serving as it runs (issue 8).

Parameter counts derived from the sourced architecture records are checked against each
model's published count; the serving roofline against its own lower bounds (the HBM read of
the weights, the FLOP-bound prefill) and against the library's older formulas where they model
the same thing (KV cache, attention FLOPs, 6PD).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from llmcost import architecture as arch
from llmcost import cli, datasets, memory
from llmcost.formulas.estimate import training_estimate, utilization_in_convention
from llmcost.formulas.flops import attention_flops_per_token, training_flops
from llmcost.running.serving import allreduce_seconds, max_batch, serving_estimate
from llmcost.core.validate import InputError

PUBLISHED = {
    # model: (published total, relative tolerance); the published figure is the dataset's params_total
    "llama-2-70b": (69.0e9, 0.002),  # "about 69.0e9" (issue 8); the paper's "70B" is nominal
    "palm-540b": (None, 0.001),  # 540.35e9, Chowdhery et al. 2022 Table 1
    "llama-65b": (None, 0.002),  # 65.2e9
    "llama-7b": (None, 0.01),  # 6.7e9
    "gpt-3": (None, 0.003),  # 175e9
    "bloom-176b": (None, 0.001),  # 176.247e9
    "mixtral-8x7b": (None, 0.001),  # 46.7e9
    "llama-3.1-405b": (None, 0.003),
    "llama-3-70b": (70.6e9, 0.002),  # the model card's 70.6B; the dataset holds the nominal 70e9
    "llama-3-8b": (8.03e9, 0.002),
}


@pytest.mark.parametrize("model", sorted(PUBLISHED))
def test_parameter_count_from_architecture_matches_the_published_one(model):
    published, tolerance = PUBLISHED[model]
    published = published or datasets.model(model)["params_total"]
    assert arch.params_from_architecture(model) == pytest.approx(published, rel=tolerance)


def test_llama2_70b_and_palm_no_longer_count_as_multi_head_4d_models():
    # The old multi-head, 4d-MLP formula gave 78.4e9 and 646e9 (issue 8).
    assert arch.params_from_architecture("llama-2-70b") == pytest.approx(68.98e9, rel=1e-3)
    assert arch.params_from_architecture("palm-540b") == pytest.approx(540.35e9, rel=1e-3)


def test_moe_active_parameters_follow_the_routed_experts():
    counts = arch.parameter_counts("mixtral-8x7b")
    assert counts["active"] == pytest.approx(datasets.model("mixtral-8x7b")["params_active"], rel=0.002)
    expert = (counts["mlp"]) / (8 * 32)
    assert counts["total"] - counts["active"] == pytest.approx(6 * 32 * expert)


def test_a_record_that_cannot_be_expressed_says_why():
    with pytest.raises(InputError, match=r"deepseek-v3.*no architecture llmcost can count with.*latent attention"):
        arch.params_from_architecture("deepseek-v3")


def test_a_dict_gives_the_same_counts_as_the_dataset_record():
    record = datasets.model("llama-2-70b")
    given = {key: record[key] for key in arch.FIELDS if key in record}
    assert arch.parameter_counts(given) == arch.parameter_counts("llama-2-70b")


def test_dict_defaults_are_multi_head_and_head_dim_from_d_model():
    base = {"layers": 2, "d_model": 64, "heads": 4, "ffn_dim": 256, "vocab": 100, "mlp_matrices": 2, "embedding_matrices": 1}
    record = arch.architecture(base)
    assert (record.kv_heads, record.head_dim) == (4, 16)
    # Multi-head, plain 4d MLP, tied, no biases: 12 d^2 per layer (+ norms 2 d) + vocab d + final norm d.
    assert arch.params_from_architecture(base) == 2 * (12 * 64**2 + 2 * 64) + 100 * 64 + 64


@pytest.mark.parametrize(("field", "value", "message"), [
    ("kv_heads", 3, "kv_heads must divide heads"),
    ("mlp_matrices", 4, "mlp_matrices must be one of 2, 3"),
    ("embedding_matrices", 0, "embedding_matrices must be one of 1, 2"),
    ("layers", 0.5, "layers must be a whole number"),
    ("experts_routed", 9, "experts_routed must be at most experts"),
    ("colour", 1, "unknown architecture field"),
])
def test_bad_architecture_fields_are_named(field, value, message):
    base = {"layers": 2, "d_model": 64, "heads": 4, "ffn_dim": 256, "vocab": 100, "mlp_matrices": 2,
            "embedding_matrices": 1, "experts": 8}
    with pytest.raises(InputError, match=message):
        arch.params_from_architecture({**base, field: value})


def test_counts_are_vectorized_over_a_field():
    base = {"d_model": 64, "heads": 4, "ffn_dim": 256, "vocab": 100, "mlp_matrices": 3, "embedding_matrices": 2}
    layers = np.array([1, 2, 8])
    together = arch.params_from_architecture({**base, "layers": layers})
    assert together.tolist() == [arch.params_from_architecture({**base, "layers": int(n)}) for n in layers]


def test_kv_cache_per_token_agrees_with_the_memory_formula():
    # GQA: 8 KV heads of 128 instead of 64; memory.kv_cache_bytes is unchanged.
    assert arch.kv_cache_bytes_per_token("llama-2-70b") == memory.kv_cache_bytes(80, 8 * 128, 1) == 327_680
    assert arch.kv_cache_bytes_per_token("palm-540b") == memory.kv_cache_bytes(118, 256, 1)


def test_attention_uses_heads_times_head_dim_not_d_model():
    palm = arch.attention_training_flops_per_token("palm-540b")
    assert palm == attention_flops_per_token(118, 48 * 256, 2048, training=True)
    assert arch.attention_training_flops_per_token("palm-540b", causal=True) == palm / 2


def test_palm_mfu_restated_without_attention_is_palms_own_457():
    facts = datasets.model_facts()
    stated = facts[(facts.subject == "palm-540b") & (facts.quantity == "mfu") & ~facts.primary]["value"].item()
    assert arch.reference_mfu("6PD") == pytest.approx(stated, abs=0.0005)
    assert arch.reference_mfu("6PD+attention") == datasets.model("palm-540b")["mfu"]
    assert arch.reference_mfu("6PD") < arch.reference_mfu("6PD+causal-attention") < arch.reference_mfu("6PD+attention")


def test_the_same_run_takes_the_same_time_in_every_convention():
    params, tokens, peak = 175e9, 300e9, 312e12
    hours = {}
    for convention in ("6PD", "6PD+attention", "6PD+causal-attention"):
        attention = arch.attention_for_convention(convention, "gpt-3")
        mfu = utilization_in_convention(0.5, params, 0.0, attention)
        hours[convention] = training_estimate(params, tokens, peak, mfu, attention_flops_per_token=attention)["gpu_hours"]
    assert max(hours.values()) == pytest.approx(min(hours.values()), rel=1e-12)


def test_attention_in_the_estimate_adds_its_flops_and_scales_with_recomputation():
    attention = arch.attention_for_convention("6PD+attention", "gpt-3")
    plain = training_estimate(175e9, 300e9, 312e12, 0.5)["flops"]
    assert plain == training_flops(175e9, 300e9)
    assert training_estimate(175e9, 300e9, 312e12, 0.5, attention_flops_per_token=attention)["flops"] == pytest.approx(plain + attention * 300e9)
    recomputed = training_estimate(175e9, 300e9, 312e12, 0.5, attention_flops_per_token=attention, recompute=True)["flops"]
    assert recomputed == pytest.approx(training_flops(175e9, 300e9, recompute=True) + 4 / 3 * attention * 300e9)


def test_attention_share_of_gpt3_training_is_a_few_per_cent():
    share = arch.attention_for_convention("6PD+attention", "gpt-3") / (6 * datasets.model("gpt-3")["params_total"])
    assert 0.02 < share < 0.04  # 2.3-3.7 % for the 2,048-context models (issue 8)


# --- serving ---------------------------------------------------------------------------------

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


def test_cli_train_names_its_convention_and_pairs_the_utilization(capsys):
    cli.main(["train", "--model", "gpt-3", "--json"])
    with_attention = json.loads(capsys.readouterr().out)
    cli.main(["train", "--model", "gpt-4", "--json"])
    without = json.loads(capsys.readouterr().out)
    assert with_attention["inputs"]["convention"] == "6PD+attention" and with_attention["inputs"]["mfu"] == 0.462
    assert without["inputs"]["convention"] == "6PD" and without["inputs"]["mfu"] == pytest.approx(0.457, abs=0.0005)


@pytest.mark.parametrize("value", ["8", True, float("nan"), float("inf"), -1])
@pytest.mark.parametrize("name", ["gpus", "batch", "prompt_tokens", "output_tokens", "compute_efficiency",
                                  "memory_efficiency", "usd_per_gpu_hour", "power_w", "pue", "peak_flops"])
def test_serving_refuses_a_hostile_value_naming_the_parameter(name, value):
    with pytest.raises(InputError, match=rf"^{name} "):
        serving_estimate("llama-2-70b", "a100-80gb-sxm", **{**LLAMA_SERVICE, "usd_per_gpu_hour": 2.0, "power_w": 400, name: value})


def test_an_inexpressible_model_has_no_attention_term():
    assert not arch.has_attention_dims("deepseek-v3")
    assert arch.has_attention_dims("palm-540b")
    with pytest.raises(InputError, match="latent attention"):
        arch.attention_for_convention("6PD+attention", "deepseek-v3")


def test_convention_table_counts_attention_with_the_head_width():
    from llmcost import calibration

    palm = calibration.convention_table("palm-540b").set_index("convention")
    base = palm.loc["6PD, active parameters (baseline)", "flops"]
    # PaLM: 12 L (H Q) T = 12 x 118 x (48 x 256) x 2048 per token, not 12 L d T with d = 18,432.
    per_token = 12 * 118 * 48 * 256 * 2048
    assert palm.loc["6PD + attention, full score matrix", "flops"] == pytest.approx(base + per_token * 780e9)
    assert palm.loc["6PD + attention, causal half", "flops"] == pytest.approx(base + per_token / 2 * 780e9)
    counts = arch.parameter_counts("palm-540b")
    assert palm.loc["6ND, N counted without embeddings", "flops"] == pytest.approx(6 * (counts["active"] - counts["embeddings"]) * 780e9)
    deepseek = calibration.convention_table("deepseek-v3").set_index("convention")
    assert np.isnan(deepseek.loc["6PD + attention, full score matrix", "flops"])


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
    assert (measured["achieved"] <= 1).all(), measured["achieved"]
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


def test_counts_if_complete_is_none_for_an_incomplete_or_inexpressible_record():
    assert arch.counts_if_complete("llama-2-70b") == arch.parameter_counts("llama-2-70b")
    assert arch.counts_if_complete("gpt-4") is None  # no d_model, heads, ... in its record
    assert arch.counts_if_complete("deepseek-v3") is None  # multi-head latent attention


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
