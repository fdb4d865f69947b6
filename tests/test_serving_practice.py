"""Serving practice on a model's roofline (llmcost.serving_practice): the straight-line decode
step matches the roofline, the closed forms are fed by it, and the cases without one are refused."""

import math

import pytest

from llmcost import decoding, serving, serving_practice
from llmcost.core.validate import InputError

CASE = {"gpus": 8, "prompt_tokens": 1000, "output_tokens": 300}


def test_the_line_is_the_roofline_while_memory_bound():
    line = serving_practice.decode_line("llama-3.1-70b", "h100", **CASE)
    for batch in (3, 17, 64):
        step = serving.serving_estimate("llama-3.1-70b", "h100", batch=batch, **CASE)["decode_s_per_step"]
        assert line["step_fixed_s"] + batch * line["step_per_sequence_s"] == pytest.approx(step, rel=1e-6)
    assert line["step_fixed_s"] > 100 * line["step_per_sequence_s"] > 0  # the weights dominate one sequence's cache


def test_continuous_batching_feeds_the_closed_form():
    served = serving_practice.continuous_batching("llama-3.1-70b", "h100", request_rate=2.0, **CASE)
    shape = (2.0, 300, served["prefill_s"], served["step_fixed_s"], served["step_per_sequence_s"])
    assert served["batch"] == pytest.approx(decoding.sustained_batch(*shape))
    assert served["time_per_output_token_s"] == pytest.approx(decoding.time_per_output_token(*shape))
    assert served["holds"] and served["output_tokens_per_s"] == 600
    assert served["time_per_output_token_s"] > served["step_fixed_s"]  # the load stretches the unloaded step
    busier = serving_practice.continuous_batching("llama-3.1-70b", "h100", request_rate=10.0, **CASE)
    assert busier["batch"] > served["batch"] and busier["time_per_output_token_s"] > served["time_per_output_token_s"]


def test_where_the_closed_form_does_not_hold_it_says_so():
    limit = serving_practice.continuous_batching("llama-3.1-70b", "h100", request_rate=1.0, **CASE)["max_request_rate"]
    beyond = serving_practice.continuous_batching("llama-3.1-70b", "h100", request_rate=limit * 1.2, **CASE)
    assert not beyond["holds"] and beyond["why"]
    with pytest.raises(InputError, match="mixture of experts"):
        serving_practice.continuous_batching("gpt-oss-120b", "h100", request_rate=1.0, prompt_tokens=100, output_tokens=100)


def test_disaggregated_split_and_transfer():
    split = serving_practice.disaggregated("llama-3.1-70b", "h100", prefill_gpus=8, decode_gpus=8, batch=64,
                                           prompt_tokens=2000, output_tokens=300, link_gbps=50)
    assert split["prefill_groups_per_decode_group"] == pytest.approx(64 * split["prefill_s"] / (300 * split["decode_step_s"]))
    # Llama 3.1 70B caches 80 layers x 8 heads x 128 x 2 (K and V) x 2 bytes = 327,680 bytes a token
    assert split["kv_transfer_s"] == pytest.approx(2000 * 327_680 / 50e9)
    assert math.isfinite(split["prefill_s"]) and split["decode_step_s"] > 0


# --- chapter 8's section on today's practice (llmcost.book.pages.serving_today) ------------------


def test_chapter_8_today_cases():
    from llmcost.book.pages import serving_today as today

    rows = today.quantized_rows().set_index(["weights", "KV cache"])
    # gpt-oss-120b: 4 H100s in 16 bits, one in MXFP4 (OpenAI: it "fits on a single 80GB GPU")
    assert rows.loc[("bf16", "bf16"), "gpus"] == 4 and rows.loc[("mxfp4", "fp8"), "gpus"] == 1
    assert rows.loc[("mxfp4", "fp8"), "weights_gb"] == pytest.approx(rows.loc[("bf16", "bf16"), "weights_gb"] * 4.25 / 16)
    found = today.speculative_findings()
    assert found["c8_sd_speedup_low"][0] == pytest.approx(1.85 / (1 + 1 / 61))
    assert abs(found["c8_sd_speedup_low"][0] / today.DEEPSEEK_SPEEDUP - 1) < 0.05  # the formula meets DeepSeek's 1.8x
    floor = today.open_model_floor()
    assert floor["c8_open_over_out"][0] > 1  # the cheapest price lies above the roofline's best case
    batching = today.batching_rows()
    assert list(batching["holds"]) == ["yes"] * len(today.RATES) and batching["batch"].is_monotonic_increasing


def test_the_straight_lines_fixed_time_is_the_weights_and_the_all_reduce_latency():
    """The chapter splits ``a`` into reading the weights and the all-reduces' latency: together they
    make the line's fixed time, and the all-reduce part is 2 latencies a layer (tensor parallelism)."""
    from llmcost.book.pages import serving_today as today

    found = today.batching_findings()
    a, weights, comm = (found[f"c8_cb_{key}_ms"][0] for key in ("a", "weights", "comm"))
    assert weights + comm == pytest.approx(a) and weights == pytest.approx(
        serving.hbm_read_seconds(today.BATCHED["model"], today.TODAY_GPU, gpus=today.BATCHED["gpus"]) * 1e3)
    layers = serving.architecture(today.BATCHED["model"]).layers
    assert comm == pytest.approx(2 * layers * serving.allreduce_latency_seconds(today.BATCHED["gpus"]) * 1e3)
    # b: one sequence's cache at the mean context, read from every accelerator's HBM, and what its activations add to the all-reduces
    from llmcost import architecture, datasets

    b, cache, activations = (found[f"c8_cb_{key}_us"][0] for key in ("b", "b_cache", "b_comm"))
    context = today.BATCHED["prompt_tokens"] + (today.BATCHED["output_tokens"] + 1) / 2
    bandwidth = today.BATCHED["gpus"] * datasets.accelerator(today.TODAY_GPU)["bandwidth_gbps"] * 1e9
    assert cache == pytest.approx(architecture.kv_cache_bytes_per_token(today.BATCHED["model"]) * context / bandwidth * 1e6)
    assert cache + activations == pytest.approx(b) and activations > 0


def test_api_price_ratios_are_computed_from_the_rows():
    from llmcost.book.pages import serving_today as today

    rows = today.api_today_rows()
    found = today.api_today_findings(rows)
    ratios = rows["usd_per_1m_output"] / rows["usd_per_1m_input"]
    assert (found["c8_api_ratio_low"][0], found["c8_api_ratio_high"][0]) == (ratios.min(), ratios.max())
    assert (rows["date"] >= "2025-01").all()
