"""Chapter 8's section on serving as practised in 2025-26: quantized weights and caches,
continuous batching at a request rate, speculative decoding, prefill split from decode, and
today's API prices against the roofline of an open model.

Each worked case is a model and accelerator of today fixed below (the chapter's own parameters
keep the source documents' setting); every figure is :func:`llmcost.serving.serving_estimate`,
:mod:`llmcost.serving_practice` or :mod:`llmcost.decoding`, returned as tables and as dicts for
:func:`llmcost.book.glue_all`. Units: seconds (ms where a name says so), GB, USD per 1M tokens.
"""

from __future__ import annotations

import pandas as pd

from ..tables import format_number, price_text, table
from ...analysis import market
from ...catalog import datasets, defaults
from ...formulas import decoding
from ...formulas.memory import bytes_per_value
from ...running import serving, serving_practice

TODAY_GPU = defaults.value("gpu")
"""The accelerator of the worked cases: the book's, the one most 2025-26 quotes rent (chapter 5)."""

QUANTIZED = {"model": "gpt-oss-120b", "prompt_tokens": 1024, "output_tokens": 1024, "batch": 64}
"""gpt-oss-120b, released with MXFP4 expert weights, served at 1,024 + 1,024 tokens."""

STORAGE = (("bf16", "bf16"), ("fp8", "fp8"), ("mxfp4", "fp8"), ("mxfp4", "bf16"))
"""(weights, KV cache) storage formats compared."""

BATCHED = {"model": "llama-3.1-70b", "gpus": 8, "prompt_tokens": 1000, "output_tokens": 300}
"""A dense model on one 8-GPU server, for continuous batching and the prefill/decode split."""

RATES = (0.5, 2.0, 8.0, 16.0)
"""Request rates (requests per second) of the continuous-batching table."""

DEEPSEEK_ACCEPTANCE = (0.85, 0.90)
"""DeepSeek-V3's acceptance of its second, multi-token-prediction token (deepseek2024v3, Section 5.4.3)."""
DEEPSEEK_SPEEDUP = 1.8
"""The tokens-per-second gain DeepSeek-V3 reports from it (same section)."""

DEEPSEEK_PREFILL_GPUS, DEEPSEEK_DECODE_GPUS = 32, 320
"""DeepSeek-V3's smallest deployment units: prefill on 4 nodes (32 GPUs), decode on 40 nodes (deepseek2024v3, Section 3.4)."""

LINK_GBPS = 50.0
"""An assumed network link between a prefill and a decode server, GB/s (400 Gb/s)."""

DRAFT_COST = 0.05
"""The cost of one draft step as a share of a model step in the speculative-decoding table (an
illustration; DeepSeek-V3's one-layer draft is 1/61)."""

GROUPS = (1, 2, 4, 8)
"""Tensor-parallel group sizes tried, smallest first."""


def _smallest_group(model, gpu, context, weights, cache) -> tuple[int, int]:
    """The smallest group of :data:`GROUPS` that holds ``model`` and one sequence, and its largest batch."""
    for gpus in GROUPS:
        fits = serving.max_batch(model, gpu, gpus, context, weights, cache)
        if fits >= 1:
            return gpus, int(fits)
    raise ValueError(f"{model} does not fit on {GROUPS[-1]} x {gpu}")


def quantized_rows(gpu: str = TODAY_GPU) -> pd.DataFrame:
    """:data:`QUANTIZED` in each storage of :data:`STORAGE`: its weights (GB), the smallest group
    that holds it, the decode step at batch 1 (ms) and the output tokens per second per
    accelerator at the case's batch (or the largest that fits)."""
    case = QUANTIZED
    rows = []
    for weights, cache in STORAGE:
        gpus, fits = _smallest_group(case["model"], gpu, case["prompt_tokens"] + case["output_tokens"], weights, cache)
        common = {"gpus": gpus, "prompt_tokens": case["prompt_tokens"], "output_tokens": case["output_tokens"],
                  "weight_precision": weights, "kv_precision": cache}
        one = serving.serving_estimate(case["model"], gpu, batch=1, **common)
        many = serving.serving_estimate(case["model"], gpu, batch=min(case["batch"], fits), **common)
        rows.append({"weights": weights, "KV cache": cache, "weights_gb": one["weights_gb_per_gpu"] * gpus, "gpus": gpus,
                     "step_ms": one["decode_s_per_step"] * 1e3, "tokens_per_s": many["output_tokens_per_s_per_gpu"]})
    return pd.DataFrame(rows)


def quantized_table(rows: pd.DataFrame):
    """:func:`quantized_rows` for display."""
    return table(rows, {"weights_gb": "sig3", "gpus": ",.0f", "step_ms": ",.2f", "tokens_per_s": ",.0f"},
                 {"weights_gb": "weights (GB)", "gpus": "H100s (fewest)", "step_ms": "decode step, batch 1 (ms)",
                  "tokens_per_s": f"output tokens/s per GPU, batch {QUANTIZED['batch']}"})


def quantized_findings(rows: pd.DataFrame) -> dict:
    """Glue names ``c8_today_gpu`` (the accelerator's name) and ``c8_q_*``: the case, the weights in BF16 and MXFP4, their groups, and the
    batch-1 step and per-GPU throughput of MXFP4 against BF16."""
    by = rows.set_index(["weights", "KV cache"])
    bf16, fp4 = by.loc[("bf16", "bf16")], by.loc[("mxfp4", "fp8")]
    return {
        "c8_today_gpu": datasets.accelerator(TODAY_GPU)["name"],
        "c8_q_model": datasets.model(QUANTIZED["model"])["name"],
        "c8_q_bf16_gb": (bf16["weights_gb"], ",.0f", "GB"),
        "c8_q_bf16_gpus": (bf16["gpus"], ",.0f"),
        "c8_q_fp4_gb": (fp4["weights_gb"], "sig3", "GB"),
        "c8_q_fp4_gpus": (fp4["gpus"], ",.0f"),
        "c8_q_mxfp4_bits": (bytes_per_value("mxfp4") * 8, ",.2f"),
        "c8_q_step_gain": (bf16["step_ms"] / fp4["step_ms"], ",.2f"),
        "c8_q_tps_gain": (fp4["tokens_per_s"] / bf16["tokens_per_s"], "sig3"),
        "c8_q_batch": (QUANTIZED["batch"], ",.0f"),
    }


def batching_rows(gpu: str = TODAY_GPU) -> pd.DataFrame:
    """:data:`BATCHED` under continuous batching at each of :data:`RATES`
    (:func:`llmcost.serving_practice.continuous_batching`): the batch it sustains, the time per
    output token (ms), the output tokens per second and whether the closed form holds."""
    rows = []
    for rate in RATES:
        served = serving_practice.continuous_batching(BATCHED["model"], gpu, request_rate=rate, gpus=BATCHED["gpus"],
                                                      prompt_tokens=BATCHED["prompt_tokens"], output_tokens=BATCHED["output_tokens"])
        rows.append({"requests per second": rate, "batch": served["batch"], "tpot_ms": served["time_per_output_token_s"] * 1e3,
                     "tokens_per_s": served["output_tokens_per_s"], "holds": "yes" if served["holds"] else served["why"]})
    return pd.DataFrame(rows)


def batching_table(rows: pd.DataFrame):
    """:func:`batching_rows` for display."""
    return table(rows, {"requests per second": "sig3", "batch": "sig3", "tpot_ms": ",.2f", "tokens_per_s": ",.0f"},
                 {"batch": "sequences decoded together", "tpot_ms": "time per output token (ms)",
                  "tokens_per_s": "output tokens/s", "holds": "closed form holds"})


def batching_findings(gpu: str = TODAY_GPU) -> dict:
    """Glue names ``c8_cb_*``: the case, its straight-line step (ms, µs a sequence), each split into
    what reading memory takes (the weights; one sequence's KV cache at the mean context) and what
    the all-reduces add (their latency; one sequence's activations), one prompt's prefill (ms) and
    the request rate its memory allows (requests per second)."""
    served = serving_practice.continuous_batching(BATCHED["model"], gpu, request_rate=RATES[0], gpus=BATCHED["gpus"],
                                                  prompt_tokens=BATCHED["prompt_tokens"], output_tokens=BATCHED["output_tokens"])
    weights_s = serving.hbm_read_seconds(BATCHED["model"], gpu, gpus=BATCHED["gpus"])
    context = BATCHED["prompt_tokens"] + (BATCHED["output_tokens"] + 1) / 2  # the mean context of a decode step
    cache_s = serving.hbm_read_seconds(BATCHED["model"], gpu, gpus=BATCHED["gpus"], context=context) - weights_s
    return {
        "c8_cb_model": datasets.model(BATCHED["model"])["name"],
        "c8_cb_gpus": (BATCHED["gpus"], ",.0f"),
        "c8_cb_prompt": (BATCHED["prompt_tokens"], ",.0f"),
        "c8_cb_output": (BATCHED["output_tokens"], ",.0f"),
        "c8_cb_a_ms": (served["step_fixed_s"] * 1e3, "sig3", "ms"),
        "c8_cb_weights_ms": (weights_s * 1e3, "sig3", "ms"),
        "c8_cb_comm_ms": ((served["step_fixed_s"] - weights_s) * 1e3, "sig3", "ms"),
        "c8_cb_b_us": (served["step_per_sequence_s"] * 1e6, "sig3", "µs"),
        "c8_cb_b_cache_us": (cache_s * 1e6, "sig3", "µs"),
        "c8_cb_b_comm_us": ((served["step_per_sequence_s"] - cache_s) * 1e6, "sig3", "µs"),
        "c8_cb_prefill_ms": (served["prefill_s"] * 1e3, "sig3", "ms"),
        "c8_cb_max_rate": (served["max_request_rate"], "sig3"),
        "c8_cb_max_batch": (served["max_batch"], ",.0f"),
    }


def speculative_rows(draft_cost_ratio: float = DRAFT_COST) -> pd.DataFrame:
    """Speed-up of speculative decoding (:func:`llmcost.decoding.speculative_speedup`) for acceptance
    rates 0.6 to 0.9 and 1 to 7 drafted tokens, a draft step costing ``draft_cost_ratio`` of a target step."""
    drafts = (1, 2, 4, 7)
    rows = [{"acceptance": alpha, **{f"{gamma} drafted": float(decoding.speculative_speedup(alpha, gamma, draft_cost_ratio))
                                     for gamma in drafts}} for alpha in (0.6, 0.7, 0.8, 0.9)]
    return pd.DataFrame(rows)


def speculative_table(rows: pd.DataFrame):
    """:func:`speculative_rows` for display."""
    return table(rows, {"acceptance": ".0%", **{column: ",.2f" for column in rows.columns[1:]}})


def speculative_findings() -> dict:
    """Glue names ``c8_sd_*``: DeepSeek-V3's multi-token prediction (one drafted token, its draft a
    single layer of the 61, c = 1/61) at its reported acceptance, against its reported 1.8x."""
    layers = datasets.model("deepseek-v3")["layers"]
    low, high = DEEPSEEK_ACCEPTANCE
    return {
        "c8_sd_alpha_low": (low, ".0%"),
        "c8_sd_alpha_high": (high, ".0%"),
        "c8_sd_tokens_low": (decoding.speculative_tokens_per_step(low, 1), ",.2f"),
        "c8_sd_tokens_high": (decoding.speculative_tokens_per_step(high, 1), ",.2f"),
        "c8_sd_layers": (layers, ",.0f"),
        "c8_sd_speedup_low": (decoding.speculative_speedup(low, 1, 1 / layers), ",.2f"),
        "c8_sd_speedup_high": (decoding.speculative_speedup(high, 1, 1 / layers), ",.2f"),
        "c8_sd_reported": (DEEPSEEK_SPEEDUP, "sig3"),
        "c8_sd_draft_cost": (DRAFT_COST, ".0%"),
    }


def disaggregation_findings(gpu: str = TODAY_GPU, batch: int = 64) -> dict:
    """Glue names ``c8_pd_*``: DeepSeek-V3's smallest prefill and decode units (GPUs), and :data:`BATCHED` split onto
    two 8-GPU servers at ``batch``: prefill servers per decode server and the KV transfer over
    :data:`LINK_GBPS`."""
    split = serving_practice.disaggregated(BATCHED["model"], gpu, prefill_gpus=BATCHED["gpus"], decode_gpus=BATCHED["gpus"],
                                           batch=batch, prompt_tokens=BATCHED["prompt_tokens"],
                                           output_tokens=BATCHED["output_tokens"], link_gbps=LINK_GBPS)
    return {
        "c8_pd_ds_prefill": (DEEPSEEK_PREFILL_GPUS, ",.0f"),
        "c8_pd_ds_decode": (DEEPSEEK_DECODE_GPUS, ",.0f"),
        "c8_pd_batch": (batch, ",.0f"),
        "c8_pd_ratio": (split["prefill_groups_per_decode_group"], ",.2f"),
        "c8_pd_prefill_ms": (split["prefill_s"] * 1e3, "sig3", "ms"),
        "c8_pd_step_ms": (split["decode_step_s"] * 1e3, ",.2f", "ms"),
        "c8_pd_link": (LINK_GBPS, ",.0f", "GB/s"),
        "c8_pd_link_gbit": (LINK_GBPS * 8, ",.0f", "Gb/s"),
        "c8_pd_transfer_ms": (split["kv_transfer_s"] * 1e3, "sig3", "ms"),
    }


def api_today_rows(since: str = market.TODAY_SINCE) -> pd.DataFrame:
    """The API prices of the dataset dated ``since`` or later, per 1M input and output tokens, with date."""
    prices = datasets.api_prices()
    prices = prices[prices["date"] >= since]
    return prices[["provider", "model", "usd_per_1m_input", "usd_per_1m_output", "date", "source"]].sort_values(
        ["provider", "date", "model"])


def api_today_findings(rows: pd.DataFrame) -> dict:
    """Glue names ``c8_api_ratio_low``, ``c8_api_ratio_high``: the lowest and highest ratio of the
    output price to the input price among ``rows`` (:func:`api_today_rows`)."""
    ratio = rows["usd_per_1m_output"] / rows["usd_per_1m_input"]
    return {"c8_api_ratio_low": (ratio.min(), "sig3"), "c8_api_ratio_high": (ratio.max(), "sig3")}


def api_today_table(rows: pd.DataFrame):
    """:func:`api_today_rows` for display."""
    return table(rows, {"usd_per_1m_input": ",.2f", "usd_per_1m_output": ",.2f"},
                 {"model": "model sold", "usd_per_1m_input": "USD per 1M input tokens",
                  "usd_per_1m_output": "USD per 1M output tokens", "date": "as of"})


def open_model_floor(gpu: str = TODAY_GPU, since: str = market.TODAY_SINCE) -> dict:
    """The roofline's cost (USD per 1M tokens) of gpt-oss-120b on one ``gpu`` in MXFP4 with an FP8
    cache, at the largest batch that fits at :data:`QUANTIZED`'s lengths and the median current
    rental price, and the dataset's API prices of the same model. Glue names ``c8_open_*``."""
    case = QUANTIZED
    context = case["prompt_tokens"] + case["output_tokens"]
    rent = market.rental_summary(gpu, since)
    fits = int(serving.max_batch(case["model"], gpu, 1, context, "mxfp4", "fp8"))
    floor = serving.serving_estimate(case["model"], gpu, batch=fits, prompt_tokens=case["prompt_tokens"],
                                     output_tokens=case["output_tokens"], weight_precision="mxfp4", kv_precision="fp8",
                                     usd_per_gpu_hour=rent["median"])
    sold = datasets.api_prices()
    sold = sold[(sold["model"] == case["model"]) & (sold["date"] >= since)].sort_values("usd_per_1m_output")
    cheapest = sold.iloc[0]
    return {
        "c8_open_batch": (fits, ",.0f"),
        "c8_open_rent": price_text(rent["median"], "GPU-hour", f"{rent['first']} to {rent['last']}"),
        "c8_open_out": (floor["usd_per_1k_output_tokens"] * 1e3, ",.3f", "USD"),
        "c8_open_in": (floor["usd_per_1k_input_tokens"] * 1e3, ",.4f", "USD"),
        "c8_open_sold_provider": str(cheapest["provider"]),
        "c8_open_sold_out": price_text(cheapest["usd_per_1m_output"], "1M output tokens", str(cheapest["date"])),
        "c8_open_sold_in": price_text(cheapest["usd_per_1m_input"], "1M input tokens", str(cheapest["date"])),
        "c8_open_over_out": (cheapest["usd_per_1m_output"] / (floor["usd_per_1k_output_tokens"] * 1e3), ",.2f"),
        "c8_open_providers": format_number(len(sold), ",.0f"),
    }
