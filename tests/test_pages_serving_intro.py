"""The page modules of chapter 8 (``llmcost.book.pages.serving``) and of the introduction
(``llmcost.book.pages.intro``): each value checked against llmcost's formulas or hand arithmetic."""

from __future__ import annotations

import math
import re
from collections import namedtuple

import numpy as np
import pandas as pd
import pytest

import llmcost
from llmcost import architecture, audit, calibration, serving
from llmcost.book import format_number
from llmcost.book.pages import intro
from llmcost.book.pages import serving as ch08
from llmcost.core.validate import InputError

A100, H100 = "a100-80gb-sxm", "h100-sxm"
LLAMA = "llama-2-70b"
OPTIONS = dict(precision="bf16", compute_efficiency=0.76, memory_efficiency=1.0, usd_per_gpu_hour=2.0)
REQUEST = dict(gpus=8, batch=8, prompt_tokens=3968, output_tokens=128)
CHAPTER_DEFAULTS = dict(model=LLAMA, gpu="a100", gpu_compare="h100", tensor_parallel=8, batch=8, prompt_tokens=3968,
                        short_prompt_tokens=256, output_tokens=128, precision="bf16", compute_efficiency=0.76,
                        memory_efficiency=1.0, usd_per_gpu_hour=2.0, pue=1.1)


def texts(values: dict) -> dict:
    """What glue_all would glue: each entry as its text (so that every entry must be gluable)."""
    out = {}
    for name, entry in values.items():
        assert isinstance(entry, str) or (isinstance(entry, tuple) and len(entry) in (2, 3)), (name, entry)
        out[name] = entry if isinstance(entry, str) else format_number(*entry)
    return out


@pytest.fixture(scope="module")
def example():
    return ch08.estimate(LLAMA, A100, **REQUEST, **OPTIONS, pue=1.1)


@pytest.fixture(scope="module")
def claims():
    return ch08.recomputed_claims()


@pytest.fixture(scope="module")
def seed(claims):
    return ch08.seed_service(claims["000-serving-cost"])


@pytest.fixture(scope="module")
def full_sweep(seed):
    return ch08.seed_sweep(seed)


# --- chapter 8: the validation cell ------------------------------------------------------------


def test_check_parameters_returns_canonical_ids():
    assert ch08.check_parameters(**CHAPTER_DEFAULTS) == (LLAMA, A100, H100, 3968)


def test_no_prompt_length_fills_each_models_context():
    """prompt_tokens None: the context less the output, so a 2,048-token model runs the chapter."""
    no_prompt = {**CHAPTER_DEFAULTS, "prompt_tokens": None}
    assert ch08.check_parameters(**no_prompt)[3] == 4096 - CHAPTER_DEFAULTS["output_tokens"]
    assert ch08.check_parameters(**{**no_prompt, "model": "opt-175b"}) == ("opt-175b", A100, H100, 2048 - CHAPTER_DEFAULTS["output_tokens"])
    with pytest.raises(InputError, match="output_tokens must leave room for a prompt in the context of opt-175b, 2,048 tokens; got 2,048"):
        ch08.check_parameters(**{**no_prompt, "model": "opt-175b", "output_tokens": 2048})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tensor_parallel": 3}, "tensor_parallel must split the 64 query heads and the 8 key/value heads"),
        ({"tensor_parallel": 1}, "tensor_parallel must give room for batch: 1 x a100-80gb-sxm hold the weights"),
        ({"short_prompt_tokens": 3968}, "prompt_tokens must be greater than short_prompt_tokens"),
        ({"prompt_tokens": 5000}, "prompt_tokens + output_tokens must be at most the context of"),
        ({"pue": 0.9}, "pue must be"),
        ({"gpu_compare": "tpu-v4"}, "gpu_compare 'tpu-v4' has no"),
    ],
)
def test_check_parameters_refuses_a_bad_parameter(change, message):
    with pytest.raises(InputError, match=re.escape(message)):
        ch08.check_parameters(**{**CHAPTER_DEFAULTS, **change})


def test_check_room_allows_exactly_the_largest_batch_that_fits():
    fits = int(serving.max_batch(LLAMA, A100, 8, 4096, "bf16", "bf16"))
    ch08.check_room(LLAMA, A100, H100, 8, fits, 4096, "bf16")
    with pytest.raises(InputError, match=f"the KV cache of {fits} sequences of 4,096 tokens"):
        ch08.check_room(LLAMA, A100, H100, 8, fits + 1, 4096, "bf16")


# --- chapter 8: the worked example -------------------------------------------------------------


def test_estimate_charges_tdp_at_pue_and_the_price_to_decode_time(example):
    decode_s, tokens = example["decode_s"], 8 * 128
    assert example["usd_per_1k_output_tokens"] == pytest.approx(2.0 * 8 * decode_s / 3600 / tokens * 1000, rel=1e-12)
    watts = 8 * llmcost.accelerator(A100)["tdp_w"] * 1.1
    assert example["wh_per_1k_output_tokens"] == pytest.approx(watts * decode_s / 3600 / tokens * 1000, rel=1e-12)


def test_decode_read_seconds_is_bytes_over_bandwidth():
    read = ch08.decode_read_seconds(LLAMA, A100, **REQUEST, precision="bf16", memory_efficiency=0.5)
    bandwidth = 8 * llmcost.accelerator(A100)["bandwidth_gbps"] * 1e9 * 0.5
    total = architecture.parameter_counts(LLAMA)["total"]
    assert read["weights"] == pytest.approx(total * 2 / bandwidth, rel=1e-12)
    kv_per_token = architecture.kv_cache_bytes_per_token(LLAMA, "bf16")
    mean_context = 3968 + (128 + 1) / 2
    assert read["kv_cache"] == pytest.approx(8 * mean_context * kv_per_token / bandwidth, rel=1e-9)


def test_output_token_costs_against_two_flops_per_parameter(example):
    costs = ch08.output_token_costs(example, LLAMA, A100, precision="bf16", compute_efficiency=0.5, usd_per_gpu_hour=3.0)
    active = architecture.parameter_counts(LLAMA)["matmul_active"]
    seconds_per_1k = 1000 * 2 * active / (llmcost.peak_flops(A100, "bf16") * 0.5)
    assert costs["compute_bound"] == pytest.approx(3.0 * seconds_per_1k / 3600, rel=1e-12)
    assert costs["out_over_in"] == example["usd_per_1k_output_tokens"] / example["usd_per_1k_input_tokens"]
    assert costs["underestimate"] == pytest.approx(example["usd_per_1k_output_tokens"] / costs["compute_bound"])


@pytest.mark.parametrize(
    ("model", "text"),
    [("gpt-3", "multi-head attention"), ("palm-540b", "multi-query attention"),
     (LLAMA, "grouped-query attention, 8 key/value heads for 64 query heads")],
)
def test_attention_text(model, text):
    assert ch08.attention_text(model) == text


def test_bound_text():
    assert ch08.bound_text({"bound": "memory"}, 1024) == "because at a batch of 1,024 each decode step waits on memory"
    assert ch08.bound_text({"bound": "compute"}, 1024).startswith("although decoding is compute-bound")


def test_worked_example_glues_the_estimate(example):
    values = ch08.worked_example(LLAMA, A100, example, **REQUEST, **OPTIONS)
    shown = texts(values)
    assert list(values)[:6] == ["c8_model", "c8_gpu", "c8_gpus", "c8_batch", "c8_prompt", "c8_output"]
    assert len(values) == 34 and list(values)[-1] == "c8_price"
    assert shown["c8_model"] == "Meta Llama 2 70B" and shown["c8_gpus"] == "8"
    assert shown["c8_bandwidth"] == f"{llmcost.accelerator(A100)['bandwidth_gbps'] / 1000:,.2f} TB/s"
    assert shown["c8_step_ms"] == format_number(example["decode_s_per_step"] * 1000, "sig3", "ms")
    floor = 68976648192 * 2 / (8 * llmcost.accelerator(A100)["bandwidth_gbps"] * 1e9)
    assert shown["c8_floor_ms"] == format_number(floor * 1000, "sig3", "ms")
    assert shown["c8_allreduce_us"] == format_number(6.6 + 14 * 0.6, "sig3", "µs") == "15 µs"  # NCCL's ring over 8 GPUs: 2 (8 - 1) steps
    at_peak = serving.serving_estimate(LLAMA, A100, **REQUEST, precision="bf16", compute_efficiency=1.0)
    assert shown["c8_prefill_peak_s"] == format_number(at_peak["prefill_s"], "sig3", "s")
    assert shown["c8_params"] == "69 billion" and shown["c8_bound"] == example["bound"] == "memory"
    assert shown["c8_why"] == "because at a batch of 8 each decode step waits on memory"


def test_estimate_rows_show_each_quantity_in_its_unit(example):
    rows = ch08.estimate_rows(example)
    assert list(rows.columns) == ["quantity", "value", "unit"] and len(rows) == 12
    step = rows.set_index("quantity").loc["decode step (time per output token)"]
    assert step["value"] == format_number(example["decode_s_per_step"] * 1000, "sig3") and step["unit"] == "ms"
    assert "output tokens per second, group (prefill time included)" in set(rows["quantity"])
    assert rows.iloc[0]["value"] == f"{example['weights_gb_per_gpu']:,.1f}"


# --- chapter 8: batch and context --------------------------------------------------------------


def test_sweep_frame_samples_the_sweep_on_a_log_grid():
    sweep, frame = ch08.sweep_frame(LLAMA, A100, 256, gpus=8, output_tokens=128, **OPTIONS)
    assert len(frame) <= ch08.CURVE_POINTS < len(sweep["batch"])
    assert frame["batch"].iloc[0] == 1 and frame["batch"].iloc[-1] == sweep["batch"][-1]
    assert frame["batch"].is_monotonic_increasing and frame["batch"].is_unique
    batch = int(frame["batch"].iloc[10])
    assert frame["usd"].iloc[10] == sweep["usd_per_1k_output_tokens"][batch - 1]
    assert set(frame["series"]) == {"NVIDIA A100 80GB SXM4, 384 tokens"}


@pytest.fixture(scope="module")
def curves_and_turns():
    return ch08.batch_curves(LLAMA, (A100, H100), (256, 3968), gpus=8, output_tokens=128, **OPTIONS)


def test_batch_curves_one_row_per_accelerator_and_context(curves_and_turns):
    curves, turns = curves_and_turns
    assert list(turns["context"]) == [384, 4096, 384, 4096]
    assert list(turns["max_batch"]) == [serving.max_batch(LLAMA, gpu, 8, context) for gpu in (A100, H100) for context in (384, 4096)]
    # without the cache, the turn is where 2 FLOPs per parameter meet 2 bytes per parameter read
    record = llmcost.accelerator(A100)
    ridge = llmcost.peak_flops(A100, "bf16") * 0.76 / (record["bandwidth_gbps"] * 1e9)
    assert turns.loc[0, "ridge_batch"] == pytest.approx(ridge) and turns.loc[1, "ridge_batch"] == turns.loc[0, "ridge_batch"]
    assert turns.loc[0, "turning_batch"] > turns.loc[0, "ridge_batch"]  # the KV cache moves the turn to larger batches
    assert curves["series"].nunique() == 4


@pytest.mark.parametrize(("turning", "text"), [(None, "at no batch that fits (it stays memory-bound)"),
                                               (float("nan"), "at no batch that fits (it stays memory-bound)"),
                                               (1280.0, "at batch 1,280")])
def test_turn_text(turning, text):
    assert ch08.turn_text(turning) == text


def test_batch_findings_reads_the_short_and_long_rows():
    turns = pd.DataFrame({"accelerator": ["A", "A", "B", "B"], "context": [384, 4096, 384, 4096], "max_batch": [10, 2, 20, 4],
                          "turning_batch": [5, None, 7, None], "usd_at_1": [0.1, 0.2, 0.3, 0.4],
                          "usd_at_max": [0.01, 0.02, 0.03, 0.04], "ridge_batch": [3.4, 3.4, 6.6, 6.6]})
    shown = texts(ch08.batch_findings(turns))
    assert shown["c8_short_context"] == "384" and shown["c8_long_context"] == "4,096" and shown["c8_gpu_compare"] == "B"
    assert shown["c8_turn_gpu"] == "at batch 5" and shown["c8_turn_compare"] == "at batch 7"
    assert shown["c8_turn_long"].startswith("at no batch") and shown["c8_maxb_long"] == "2"
    assert shown["c8_usd1_compare"] == "0.3 USD per 1,000 output tokens" and shown["c8_usdmax_long"] == "0.02 USD per 1,000 output tokens"
    assert shown["c8_ridge_gpu"] == "3" and shown["c8_ridge_compare"] == "7"


def test_cost_chart_marks_the_first_compute_bound_batch(curves_and_turns):
    curves, turns = curves_and_turns
    spec = ch08.cost_chart(curves, LLAMA, 8, 2.0).to_dict()
    assert spec["title"]["text"] == "Serving Meta Llama 2 70B on 8 accelerators: cost per output token vs batch"
    assert spec["title"]["subtitle"].startswith("2.00 USD per accelerator-hour")
    assert [layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"] for layer in spec["layer"]] == ["line", "point"]
    dots = spec["datasets"][spec["layer"][1]["data"]["name"]]
    first = curves[curves["bound"] == "compute"].groupby("series")["batch"].min()
    assert {d["series"]: d["batch"] for d in dots} == first.to_dict()


# --- chapter 8: the source documents -----------------------------------------------------------


def test_recomputed_claims_by_id(claims):
    assert set(claims) == set(llmcost.claims()["id"])
    row = claims["000-serving-cost"]
    assert row["recomputed"] == audit.recompute(row["recipe"], row["inputs"])


def test_seed_service_prices_one_accelerator_of_the_instance(claims, seed):
    inputs = claims["000-serving-cost"]["inputs"]
    assert seed["usd_per_gpu_hour"] == pytest.approx(inputs["usd_per_instance_hour"] / inputs["gpus_per_instance"])
    assert seed["gpu"] == A100 and seed["model"] == "gpt-3" and seed["gpus"] == inputs["gpus_per_instance"]


def test_seed_contexts_and_sweep(seed, full_sweep):
    assert ch08.seed_contexts(seed) == (512, 1024, 2048)
    half = serving.serving_estimate("gpt-3", A100, gpus=seed["gpus"], batch=3, prompt_tokens=1024, output_tokens=1024,
                                    precision=seed["precision"], usd_per_gpu_hour=seed["usd_per_gpu_hour"])
    assert full_sweep["usd_per_1k_output_tokens"][2] == half["usd_per_1k_output_tokens"]


def test_seed_context_table_finds_the_smallest_batch_at_the_seed_cost(claims, seed):
    target = claims["000-serving-cost"]["stated_value"]
    contexts = ch08.seed_context_table(seed, target)
    assert list(contexts["context"]) == [512, 1024, 2048]
    sweep = ch08.seed_sweep(seed, 512)
    batch = int(contexts.loc[0, "batch_for_seed"])
    assert sweep["usd_per_1k_output_tokens"][batch - 1] <= target < sweep["usd_per_1k_output_tokens"][batch - 2]
    assert contexts.loc[0, "max_batch"] == serving.max_batch("gpt-3", A100, seed["gpus"], 512)


def test_seed_cost_findings(claims, seed):
    claim = claims["000-serving-cost"]
    contexts = ch08.seed_context_table(seed, claim["stated_value"])
    shown = texts(ch08.seed_cost_findings(claim, seed, contexts))
    total = architecture.parameter_counts("gpt-3")["total"]
    assert shown["c8_gpt3_weights"] == f"{total * 2 / 1e9:,.0f} GB"
    assert shown["c8_a100_40_total"] == "320 GB" and shown["c8_a100_40_gb"] == "40 GB" and shown["c8_instance"] == "8"
    assert shown["c8_s0_price"] == f"{seed['usd_per_gpu_hour']:,.2f} USD per GPU-hour (as of 2023-07)"
    assert [shown[f"c8_s0_ctx_{key}"] for key in ("short", "mid", "full")] == ["512", "1,024", "2,048"]


def test_fleet_table_rounds_up_to_whole_servers(claims, seed, full_sweep):
    fleet = ch08.fleet_table(claims, full_sweep, seed["gpus"])
    tokens_per_s = claims["004-tokens-per-day"]["recomputed"] / 86400
    for row, index in ((0, len(full_sweep["batch"]) - 1), (1, ch08.INTERACTIVE_BATCH - 1)):
        rate = full_sweep["output_tokens_per_s_per_gpu"][index]
        assert fleet.loc[row, "gpus"] == math.ceil(tokens_per_s / rate / 8) * 8
    assert fleet.loc[2, "gpus"] == claims["004-infer-gpus"]["recomputed"] and fleet.loc[3, "gpus"] == claims["004-infer-gpus"]["stated_value"]
    assert np.isnan(fleet.loc[3, "batch"])


def test_fleet_findings_divides_the_fleets(claims, seed, full_sweep):
    fleet = ch08.fleet_table(claims, full_sweep, seed["gpus"])
    shown = texts(ch08.fleet_findings(claims, fleet))
    assert shown["c8_s4_deck_error"] == f"{fleet.loc[3, 'gpus'] / fleet.loc[2, 'gpus']:,.2f}"
    assert shown["c8_s4_method_error"] == f"{fleet.loc[0, 'gpus'] / fleet.loc[2, 'gpus']:,.2f}"
    assert shown["c8_s4_interactive"] == "8" and shown["c8_s4_max_batch"] == f"{len(full_sweep['batch']):,}"


def test_api_table_and_findings(full_sweep):
    api = ch08.api_table(full_sweep)
    prices = llmcost.api_prices().query("date < '2025-01'").reset_index(drop=True)  # the source documents' time
    assert len(api) == len(prices) == 2
    floor_out = full_sweep["usd_per_1k_output_tokens"][-1]
    assert np.allclose(api["over_output"].to_numpy() * floor_out, prices["usd_per_1m_output"].to_numpy() / 1000)
    assert np.allclose(api["over_input"].to_numpy() * full_sweep["usd_per_1k_input_tokens"][-1], prices["usd_per_1m_input"].to_numpy() / 1000)
    shown = texts(ch08.api_findings(api, full_sweep))
    davinci = prices.set_index("id").loc["openai-davinci-2022", "usd_per_1m_output"] / 1000
    assert shown["c8_davinci_over"] == format_number(davinci / floor_out, "sig3")
    assert shown["c8_api_floor_in"] == f"{full_sweep['usd_per_1k_input_tokens'][-1]:,.6f} USD"


# --- chapter 8: calibration --------------------------------------------------------------------


Row = namedtuple("Row", "model accelerators accelerator batch prompt_tokens output_tokens")


def test_setup_texts():
    assert ch08.figure_setup_text(Row("llama-2-70b", 4, "a100", float("nan"), 3968, 128)) == \
        "Meta Llama 2 70B, 4 × NVIDIA A100 80GB SXM4, batch not given, 3,968 + 128 tokens"
    assert ch08.figure_setup_text(Row("gpt-3", 8, "h100", 1024.0, 100, 10)) == "GPT-3 175B, 8 × NVIDIA H100 SXM5 80GB, batch 1,024, 100 + 10 tokens"
    row = {"accelerators": 4, "accelerator": "a100", "batch": 8.0, "prompt_tokens": 3968, "output_tokens": 128}
    assert ch08.peer_setup_text(row) == "4 × NVIDIA A100 80GB SXM4 at batch 8 with 3,968 prompt and 128 output tokens"


def test_calibration_findings_and_rows():
    served, groups = calibration.serving_table(), calibration.serving_groups()
    shown = texts(ch08.calibration_findings(served, groups))
    pope = served.set_index("id").loc["pope-palm-540b-int8-decode"]
    assert shown["c8_pope_ratio"] == format_number(pope["published"] / pope["llmcost"], "sig3")
    assert shown["c8_pope_ms"] == f"{pope['published'] * 1000:,.0f} ms"
    low, central, high = (float(shown[f"c8_hopper_throughput_{end}"].rstrip("%")) for end in ("low", "central", "high"))
    assert low < central < high <= 100
    measured = served[served["kind"] == "measured"]
    assert int(shown["c8_measured_rows"]) == len(measured) and shown["c8_above"].startswith("Mistral AI Mixtral 8x7B")
    rows = ch08.calibration_rows(served)
    assert list(rows.columns) == ["id", "setup", "metric", "kind", "published", "llmcost", "ratio", "achieved", "basis"]
    assert set(rows["metric"]) <= set(calibration.METRIC_LABELS.values()) and len(rows) == len(served)


def test_expected_example_is_the_roofline_times_its_groups_share():
    example = serving.serving_estimate(LLAMA, A100, **REQUEST, usd_per_gpu_hour=2.0)
    share = calibration.serving_calibration(A100, "bf16")["throughput"]
    text = ch08.expected_example(example, A100, "bf16", serving.COMPUTE_EFFICIENCY, serving.MEMORY_EFFICIENCY)["c8_expected"]
    assert text.startswith("Measured Ampere systems at fp16")
    assert f"delivers {format_number(example['output_tokens_per_s'] * share['central'], 'sig3')} output tokens" in text
    # efficiencies set by hand change the roofline the measurements are compared with: no expectation, and why
    assert "not the roofline's defaults" in ch08.expected_example(example, A100, "bf16", 0.5, 1.0)["c8_expected"]
    assert "at bf16" in ch08.expected_example(example, "h100", "bf16", serving.COMPUTE_EFFICIENCY, 1.0)["c8_expected"]


# --- the introduction --------------------------------------------------------------------------


def test_serving_finding_is_chapter_8_at_its_defaults():
    found = intro.serving_finding()
    served = serving.serving_estimate(LLAMA, A100, **REQUEST, usd_per_gpu_hour=2.0)
    assert found["out_over_in"] == served["usd_per_1k_output_tokens"] / served["usd_per_1k_input_tokens"]
    compute_bound = 2.0 / 3600 * 1000 * 2 * 68714504192 / (llmcost.peak_flops(A100, "bf16") * 0.76)
    assert found["underestimate"] == pytest.approx(served["usd_per_1k_output_tokens"] / compute_bound)


def test_gpt3_state_bytes_are_16_bytes_per_parameter_sharded_by_zero3():
    states = intro.gpt3_state_bytes(64)
    params = llmcost.model("gpt-3")["params_active"]
    assert states["whole"] == pytest.approx(16 * params)  # bf16 weights and gradients, fp32 Adam states and master copy
    assert states["zero3"] == pytest.approx(16 * params / 64)


def test_key_findings():
    shown = texts(intro.key_findings())
    assert list(shown)[0] == "kf_6pd_n" and list(shown)[-1] == "kf_consistent" and len(shown) == 19
    gpt4 = llmcost.model("gpt-4")
    assert shown["kf_gpt4_overcount"] == f"{gpt4['params_total'] / (2 * 111e9 + 55e9):.1f}"  # active from the leak's parts
    assert shown["kf_gpt3_states"] == f"{16 * 175e9 / 1e12:,.1f} TB" and shown["kf_ranks"] == "64"
    assert shown["kf_batch"] == "8" and shown["kf_gpus"] == "8"
    verdicts = audit.audit_table()["verdict"]
    assert shown["kf_claims"] == f"{len(llmcost.claims())}" == f"{len(verdicts)}"
    assert int(shown["kf_consistent"]) == sum(v == "consistent" for v in verdicts)


def test_trained_on_and_published_run_texts():
    assert intro.trained_on_text({"accelerator": "a100"}) == "NVIDIA A100 80GB SXM4"
    assert intro.trained_on_text({"accelerator": float("nan")}) == "unpublished accelerators"
    assert intro.published_run_text({"gpu_hours": 1234.4, "co2_t": 5.0}) == \
        "; its authors and later studies publish 1,234 accelerator-hours, 5 t CO2e for the real run"
    assert intro.published_run_text({"gpu_hours": None}) == ""


def test_chain_is_the_training_chain_by_hand():
    values = intro.chain("gpt-3", "h100", "fp8", 0.35, 3.5, 700.0, 1.25, 0.4)
    shown = texts(values)
    flops = 6 * 175e9 * 300e9
    hours = flops / (llmcost.peak_flops("h100", "fp8") * 0.35) / 3600
    assert shown["flops"] == format_number(flops, "sci") and shown["mfu"] == "35.0%"
    assert shown["gpu_hours"] == format_number(hours, "sig3") and shown["usd"] == format_number(hours * 3.5, "sig3")
    mwh = hours * 700 * 1.25 / 1e6
    assert shown["mwh"] == format_number(mwh, "sig3") and shown["tco2"] == format_number(mwh * 0.4, "sig3")
    assert shown["gpu_name"] == llmcost.accelerator("h100")["name"] and shown["trained_on"] == "NVIDIA Tesla V100 SXM2 32GB"
    assert shown["published_run"].endswith("552 t CO2e for the real run")
    # a given utilization has no range; without one, the calibrated Hopper median and its range
    assert shown["gpu_hours_low"] == shown["gpu_hours"] == shown["gpu_hours_high"]
    planned = texts(intro.chain("gpt-3", "h100", "bf16", None, 3.5, 700.0, 1.25, 0.4))
    hopper = calibration.training_utilization("h100")
    assert planned["mfu"] == f"{hopper['central']:.1%}" and "8 Hopper runs" in planned["mfu_source"]
    hours = flops / (llmcost.peak_flops("h100", "bf16") * hopper["central"]) / 3600
    assert planned["gpu_hours_high"] == format_number(hours * hopper["central"] / hopper["low"], "sig3")


def test_chain_chart_carries_the_page_inputs():
    spec = intro.chain_chart("gpt-3", "a100", "bf16", 0.462, 2.0, 400.0, 1.1, 0.385).to_dict()
    assert spec["title"] == "Training GPT-3 175B: from FLOPs to tonnes of CO2e"
    rows = next(iter(spec["datasets"].values()))
    assert rows[0]["flops"] == pytest.approx(6 * 175e9 * 300e9) and rows[0]["peak_flops"] == llmcost.peak_flops("a100", "bf16")


def test_fleet_split_counts_only_the_generated_tokens():
    """Issue 21: seed 004's fleet as a range over how much of each query is generated; the prompt
    part is prefilled, so a smaller generated share needs fewer accelerators."""
    claims = ch08.recomputed_claims()
    seed = ch08.seed_service(claims["000-serving-cost"])
    split = ch08.fleet_split_table(claims, seed)
    assert (split["prompt_tokens"] + split["output_tokens"]).nunique() == 1
    assert list(split["gpus"]) == sorted(split["gpus"])  # more generated, more accelerators
    row = split.iloc[1]
    sweep = serving.batch_sweep("gpt-3", seed["gpu"], gpus=seed["gpus"], prompt_tokens=int(row["prompt_tokens"]),
                                output_tokens=int(row["output_tokens"]), precision=seed["precision"])
    tokens = claims["004-tokens-per-day"]["recomputed"] * row["output_share"]
    servers = math.ceil(tokens / (sweep["output_tokens_per_s_per_gpu"][-1] * 86400) / seed["gpus"])
    assert row["gpus"] == servers * seed["gpus"]
    fleet = ch08.fleet_table(claims, ch08.seed_sweep(seed), seed["gpus"])
    found = texts(ch08.fleet_split_findings(split, fleet))
    assert found["c8_s4_split_low"] == format_number(split["gpus"].min(), "sig3") and int(found["c8_s4_below_deck"]) == (split["gpus"] < fleet.loc[3, "gpus"]).sum()


def test_the_intro_dates_a_median_price_by_its_quotes():
    """A median of quotes is dated by the quotes it comes from ("as of 2025-06-05 to 2026-11-09"), not
    by the one quote that happens to equal it; a price set for the edition says so."""
    from llmcost.book.chapter_parameters import follow_accelerator

    quotes = llmcost.market.rental_summary("h100")
    shown = intro.inputs_example(follow_accelerator("h100"))
    assert shown["price"].endswith(f"(as of {quotes['first']} to {quotes['last']})")
    assert shown["price_source"] == f"the median of the {quotes['quotes']} newest quotes of NVIDIA H100 SXM5 80GB"
    assert intro.inputs_example(follow_accelerator("h100", usd_per_gpu_hour=2.5))["price"] == (
        "2.50 USD per GPU-hour (a price set for this edition, not a dated quote)")
