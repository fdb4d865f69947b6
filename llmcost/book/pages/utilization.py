"""Chapter 6, utilization: what its cells compute, as worked examples (dicts of glued values for
:func:`llmcost.book.glue_all`), derived tables, chart builders and the check of its serving inputs.

Utilizations are fractions of an accelerator's dense peak (FLOP/s); costs are USD per 1,000 tokens
(:func:`llmcost.cost.serving_cost_per_1k_tokens`, compute-bound) and move as one over utilization.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ...analysis import audit, calibration, techniques
from ...analysis.market import quote_date
from ...catalog import datasets
from ...catalog.hardware import peak_flops
from ...core import validate
from ...formulas import cost, flops, memory
from ...running import toynet
from .. import chapter_parameters as parameters
from ..tables import price_text, short_names, table

LOWEST_SERVING_UTILIZATION = 1e-4
"""The lowest utilization that the chapter's serving parameters may imply (below it they describe
no real deployment)."""

GRADIENTS = 10.0 ** np.linspace(-10, -2, 801)
"""Gradient magnitudes of the loss-scaling example: spread evenly in log from 1e-10 to 1e-2."""

LOSS_SCALE = 2.0 ** 16
"""Loss scale of the loss-scaling example (a power of two keeps the mantissa)."""

FUSED_OPS = 3
"""Element-wise operations after an MLP's first matrix in the fusion example: bias, GeLU, dropout."""

SCALING_EFFICIENCIES = (1.0, 0.9, 0.75, 0.5)
"""Scaling efficiencies the scaling chart always draws (the chapter's own is added)."""

SCALING_POINTS = 10
"""Accelerator counts per line of the scaling chart, from the baseline to the target."""

LIBRARIES = ["DeepSpeed", "Megatron-LM", "Colossal-AI", "FairScale"]
"""Columns of the library-support table, in the book's order."""

SUPPORT_MARKS = {"yes": "\u2713", "no": "\u2717", "not documented": "\u2014"}
"""``supported`` of ``library_support.csv`` -> the mark the table shows."""


# --- parameters ------------------------------------------------------------------------------


def check_serving_inputs(gpu, precision, usd_per_instance_hour, gpus_per_instance, serving_params, usd_per_1k_tokens,
                         utilization_gain) -> None:
    """Check the chapter's serving parameters, one by one and together: the accelerator (with a
    dense peak at ``precision``), the instance price (USD per hour) and its accelerators, the served
    model's parameters (count), the stated cost (USD per 1,000 tokens) and the utilization gain
    (a share); then the price per accelerator-hour, and the utilization the stated cost implies
    (:func:`llmcost.cost.serving_cost_per_1k_tokens` at full utilization over the stated cost), which
    must lie between :data:`LOWEST_SERVING_UTILIZATION` and ``1 - utilization_gain``. Raises
    :class:`llmcost.validate.InputError` naming the parameter and showing its value."""
    parameters.check_name("gpu", gpu, "gpu", precision=precision)
    parameters.check_number("usd_per_instance_hour", usd_per_instance_hour, validate.check_positive, high=1e5, why="USD per instance-hour")
    parameters.check_quantity("gpus_per_instance", gpus_per_instance, "gpus")
    parameters.check_quantity("serving_params", serving_params, "params")
    parameters.check_number("usd_per_1k_tokens", usd_per_1k_tokens, validate.check_positive, high=1e4, why="USD per 1,000 tokens")
    parameters.check_quantity("utilization_gain", utilization_gain, "share")
    per_gpu_hour = cost.usd_per_gpu_hour(usd_per_instance_hour, gpus_per_instance)
    parameters.check_quantity("usd_per_instance_hour / gpus_per_instance", per_gpu_hour, "usd_per_gpu_hour")
    implied = cost.serving_cost_per_1k_tokens(serving_params, per_gpu_hour, peak_flops(gpu, precision), 1.0) / usd_per_1k_tokens
    if not LOWEST_SERVING_UTILIZATION <= implied <= 1 - utilization_gain:
        raise validate.InputError(
            f"usd_per_1k_tokens {usd_per_1k_tokens!r} implies a utilization of {implied:.3g} (serving_params {serving_params!r} "
            f"on gpu {gpu!r} at {precision}, usd_per_instance_hour {usd_per_instance_hour!r} for gpus_per_instance {gpus_per_instance!r}); "
            f"it must be between 0.0001 and 1 - utilization_gain ({1 - utilization_gain:g}), to leave room for utilization_gain {utilization_gain!r}"
        )


# --- MFU and HFU, reported and implied ------------------------------------------------------


def palm_example() -> dict:
    """PaLM 540B's MFU and HFU (fractions) and their ratio, its MFU without attention (the
    non-primary row of ``model_facts.csv``), and the HFU / MFU ratio of full recomputation (8PD over
    6PD). Glue names ``c6_palm_*``, ``c6_full_recompute_ratio``."""
    palm = datasets.model("palm-540b")
    facts = datasets.model_facts()
    mfu_rows = facts[(facts["subject"] == "palm-540b") & (facts["quantity"] == "mfu")]
    return {
        "c6_palm_mfu": (palm["mfu"], ".1%"),
        "c6_palm_hfu": (palm["hfu"], ".1%"),
        "c6_palm_ratio": (palm["hfu"] / palm["mfu"], ".2f"),
        "c6_palm_mfu_noattn": (mfu_rows[~mfu_rows["primary"]]["value"].iloc[0], ".1%"),
        "c6_full_recompute_ratio": (flops.flops_per_param_per_token(True, True) / flops.flops_per_param_per_token(True, False), ".2f"),
    }


def implied_utilization() -> pd.DataFrame:
    """:func:`llmcost.calibration.implied_utilization_table` with each model's peak at the precision
    it trained in (:data:`llmcost.calibration.TRAINED_IN`); utilizations are fractions of that peak."""
    return calibration.implied_utilization_table(calibration.TRAINED_IN)


def mfu_by_palm_example(implied: pd.DataFrame) -> dict:
    """The models (by name) other than PaLM whose MFU PaLM's authors computed. Glue name ``c6_mfu_by_palm``."""
    by_palm = implied[(implied["mfu_source"] == "chowdhery2022palm") & (implied["id"] != "palm-540b")]["id"]
    return {"c6_mfu_by_palm": ", ".join(datasets.model(i)["name"] for i in by_palm)}


def implied_table(implied: pd.DataFrame):
    """:func:`implied_utilization` as the chapter shows it: accelerator (precision), peak (TFLOP/s),
    published accelerator-hours, implied utilization, published MFU, reported share of the peak."""
    names = [datasets.accelerator(ident)["name"] for ident in implied["accelerator"]]
    shown = implied.assign(accelerator=[f"{name} ({precision})" for name, precision in zip(names, implied["precision"])])[
        ["id", "accelerator", "peak_tflops", "gpu_hours", "implied", "reported_mfu", "reported_share"]]
    return table(
        shown,
        {"peak_tflops": "auto", "flops_6pd": "sci", "gpu_hours": ",.0f", "implied": ".1%", "reported_mfu": ".1%", "reported_share": ".1%"},
        {"id": "model", "accelerator": "accelerator (precision)", "peak_tflops": "peak (TFLOP/s)", "flops_6pd": "6PD (FLOP)",
         "gpu_hours": "published accelerator-hours", "implied": "implied utilization", "reported_mfu": "published MFU",
         "reported_share": "reported TFLOP/s / peak"},
    )


def implied_example(implied: pd.DataFrame) -> dict:
    """How implied utilizations compare with reported ones: the number of models with both, the
    median implied / reported (:func:`llmcost.calibration.summary`), the range of implied ones, and
    GPT-3's, PaLM's and OPT-175B's figures, and DeepSeek-V3's at the FP8 and BF16 peaks, on 6PD and
    with attention (fractions of the peak). Glue names ``c6_n_reported``,
    ``c6_median_implied_over_reported``, ``c6_implied_*``, ``c6_gpt3_*``, ``c6_palm_implied``, ``c6_opt_*``, ``c6_ds_*``."""
    summary = calibration.summary(implied)
    by_id = implied.set_index("id")
    return {
        "c6_n_reported": (summary["count"], ",.0f"),
        "c6_median_implied_over_reported": (summary["median"], ".2f"),
        "c6_implied_min": (implied["implied"].min(), ".0%"),
        "c6_implied_max": (implied["implied"].max(), ".0%"),
        "c6_gpt3_implied": (by_id.loc["gpt-3", "implied"], ".1%"),
        "c6_gpt3_reported": (by_id.loc["gpt-3", "reported_share"], ".1%"),
        "c6_palm_implied": (by_id.loc["palm-540b", "implied"], ".1%"),
        "c6_opt_implied": (by_id.loc["opt-175b", "implied"], ".1%"),
        "c6_opt_reported": (by_id.loc["opt-175b", "reported_share"], ".1%"),
        **{f"c6_ds_{key}": (value, ".1%") for key, value in calibration.implied_utilization_bounds("deepseek-v3").items()
           if key != "attention_share"},
    }


def utilization_chart(implied: pd.DataFrame):
    """Bars of implied and reported utilization (share of the dense peak) per model of
    :func:`implied_utilization`, sorted by the implied one; models without a reported figure show one bar."""
    long = pd.concat([
        implied[["id", "implied"]].rename(columns={"implied": "utilization"}).assign(measure="implied by published hours"),
        implied[["id", "reported"]].rename(columns={"reported": "utilization"}).assign(measure="reported by the authors"),
    ]).dropna()
    long["id"] = short_names(long["id"])
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("id:N", sort=short_names(implied.sort_values("implied")["id"]), title=None),
        yOffset="measure:N",
        x=alt.X("utilization:Q", axis=alt.Axis(format="%"), title="share of dense peak"),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("id:N", title="model"), "measure:N", alt.Tooltip("utilization:Q", format=".1%")],
    ).properties(width=420, title="Utilization implied by published accelerator-hours vs reported")


def gpt4_example() -> dict:
    """Seed 000's GPT-4 A100-hours as stated and as its formula gives them at its own MFU, the
    utilization at which the stated hours follow (:func:`llmcost.cluster.implied_utilization` of
    6PD), seed 003's stated OpenAI utilization and the leaked MFU. Glue names ``c6_gpt4_*``,
    ``c6_seed_mfu``, ``c6_openai_stated``."""
    claims = audit.recompute_by_id()
    hours = claims["000-gpt4-a100-hours"]
    inputs = hours["inputs"]
    implied = audit.stated_hours_utilization(hours)
    return {
        "c6_gpt4_hours_stated": (hours["stated_value"], ",.0f"),
        "c6_gpt4_hours_recomputed": (hours["recomputed"], "sig3"),
        "c6_seed_mfu": (inputs["utilization"], ".1%"),
        "c6_gpt4_implied_util": (implied, ".1%"),
        "c6_openai_stated": (claims["003-openai-utilization"]["stated_value"], ".0%"),
        "c6_gpt4_leak_mfu": (datasets.model("gpt-4")["mfu"], ".0%"),
    }


# --- cost moves as one over utilization ------------------------------------------------------


def serving_readings(gpu, precision, usd_per_instance_hour, gpus_per_instance, serving_params, usd_per_1k_tokens,
                     utilization_gain) -> dict:
    """The chapter's serving inputs (checked by :func:`check_serving_inputs`) with ``per_gpu_hour``
    (USD per accelerator-hour), ``peak`` (FLOP/s), ``u0`` (the utilization the stated cost implies,
    :func:`llmcost.cost.utilization_for_serving_cost`) and its two readings of "raising utilization by
    ``utilization_gain``": ``u_points`` (``u0 + gain``) and ``u_relative`` (``u0 x (1 + gain)``)."""
    inputs = dict(gpu=gpu, precision=precision, usd_per_instance_hour=usd_per_instance_hour, gpus_per_instance=gpus_per_instance,
                  serving_params=serving_params, usd_per_1k_tokens=usd_per_1k_tokens, utilization_gain=utilization_gain)
    check_serving_inputs(**inputs)
    per_gpu_hour = cost.usd_per_gpu_hour(usd_per_instance_hour, gpus_per_instance)
    peak = peak_flops(gpu, precision)
    u0 = cost.utilization_for_serving_cost(usd_per_1k_tokens, serving_params, per_gpu_hour, peak)
    return {**inputs, "per_gpu_hour": per_gpu_hour, "peak": peak, "u0": u0,
            "u_points": u0 + utilization_gain, "u_relative": u0 * (1 + utilization_gain)}


def _serving_cost(serving: dict, utilization):
    """USD per 1,000 tokens of :func:`serving_readings`' model and instance at ``utilization``."""
    return cost.serving_cost_per_1k_tokens(serving["serving_params"], serving["per_gpu_hour"], serving["peak"], utilization)


def serving_example(serving: dict) -> dict:
    """The worked example of :func:`serving_readings`: the stated cost and instance, the implied
    utilization, the cost cut (a share) of each reading of the gain, and the same from PaLM's MFU
    (with the cost, USD per 1,000 tokens, at that MFU). Glue names ``c6_cost_stated`` ... ``c6_cut_from_palm``."""
    gain, palm_mfu = serving["utilization_gain"], datasets.model("palm-540b")["mfu"]
    return {
        "c6_cost_stated": (serving["usd_per_1k_tokens"], ".4f"),
        "c6_gpus_per_instance": (serving["gpus_per_instance"], ",.0f"),
        "c6_instance_price": price_text(serving["usd_per_instance_hour"], "instance-hour",
                                        quote_date(serving["usd_per_instance_hour"] / serving["gpus_per_instance"])),
        "c6_serving_params": (serving["serving_params"], "words"),
        "c6_k_infer": (flops.flops_per_param_per_token(training=False), ",.0f"),
        "c6_gpu": serving["gpu"],
        "c6_precision": serving["precision"],
        "c6_u0": (serving["u0"], ".1%"),
        "c6_gain_points": (gain * 100, ",.0f"),
        "c6_gain_relative": (gain, ".0%"),
        "c6_u_points": (serving["u_points"], ".1%"),
        "c6_u_relative": (serving["u_relative"], ".1%"),
        "c6_cut_points": (cost.cost_reduction(serving["u0"], serving["u_points"]), ".1%"),
        "c6_cut_relative": (cost.cost_reduction(serving["u0"], serving["u_relative"]), ".1%"),
        "c6_cost_at_palm": (_serving_cost(serving, palm_mfu), ".4f"),
        "c6_cut_from_palm": (cost.cost_reduction(palm_mfu, min(palm_mfu + gain, 1.0)), ".1%"),
    }


def serving_cost_chart(serving: dict):
    """Serving cost (USD per 1,000 tokens, log axis) of :func:`serving_readings` against utilization
    from 5 % to 100 %, with a point at the implied utilization and at each reading of the gain."""
    gain = serving["utilization_gain"]
    grid = np.round(np.linspace(0.05, 1.0, 96), 4)
    curve = pd.DataFrame({"utilization": grid, "usd_per_1k_tokens": _serving_cost(serving, grid)})
    marks = pd.DataFrame({
        "utilization": [serving["u0"], serving["u_points"], serving["u_relative"]],
        "reading": ["implied by the stated cost", f"+{gain * 100:.0f} points", f"+{gain:.0%} relative"],
    })
    marks["usd_per_1k_tokens"] = _serving_cost(serving, marks["utilization"].to_numpy())
    line = alt.Chart(curve).mark_line(color="#555").encode(
        x=alt.X("utilization:Q", axis=alt.Axis(format="%"), title="utilization (share of peak)"),
        y=alt.Y("usd_per_1k_tokens:Q", scale=alt.Scale(type="log"), title="USD per 1,000 tokens"),
    )
    points = alt.Chart(marks).mark_point(filled=True, size=110).encode(
        x="utilization:Q", y="usd_per_1k_tokens:Q", color=alt.Color("reading:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["reading:N", alt.Tooltip("utilization:Q", format=".1%"), alt.Tooltip("usd_per_1k_tokens:Q", format=".3r", title="USD per 1,000 tokens")],
    )
    return alt.layer(line, points).properties(width=420, height=280, title="Serving cost per 1,000 tokens against utilization")


# --- scaling out ------------------------------------------------------------------------------


def scaling_example(baseline_gpus: int, target_gpus: int, scaling_efficiency: float) -> dict:
    """Seed 003's "1,000 -> 10,000 GPUs should give 9x" and the efficiency it implies
    (:func:`llmcost.techniques.scaling_efficiency`), the chapter's speed-up from ``baseline_gpus`` to
    ``target_gpus`` at ``scaling_efficiency`` (:func:`llmcost.techniques.scaling_speedup`), and the
    extra accelerator-hours over perfect scaling (a share, ``1 / efficiency - 1``). Glue names
    ``c6_baseline_gpus``, ``c6_target_gpus``, ``c6_speedup*``, ``c6_efficiency*``, ``c6_extra_hours``."""
    stated = audit.recompute_by_id()["003-scaling-9x"]
    implied = techniques.scaling_efficiency(stated["stated_value"], stated["inputs"]["gpus_to"], stated["inputs"]["gpus_from"])
    return {
        "c6_baseline_gpus": (baseline_gpus, ",.0f"),
        "c6_target_gpus": (target_gpus, ",.0f"),
        "c6_speedup_stated": (stated["stated_value"], ",.0f"),
        "c6_efficiency_implied": (implied, ".0%"),
        "c6_efficiency": (scaling_efficiency, ".0%"),
        "c6_speedup": (techniques.scaling_speedup(target_gpus, baseline_gpus, scaling_efficiency), "sig3"),
        "c6_extra_hours": (1 / scaling_efficiency - 1, ".1%"),
    }


def scaling_chart(baseline_gpus: int, target_gpus: int, scaling_efficiency: float):
    """Speed-up over ``baseline_gpus`` at :data:`SCALING_POINTS` accelerator counts up to
    ``target_gpus``, a line per efficiency of :data:`SCALING_EFFICIENCIES` and ``scaling_efficiency``."""
    counts = np.unique(np.round(np.linspace(baseline_gpus, target_gpus, SCALING_POINTS)).astype(int))
    efficiencies = sorted({*SCALING_EFFICIENCIES, float(scaling_efficiency)}, reverse=True)
    speedups = pd.DataFrame(
        [(int(n), f"{e:.0%}", techniques.scaling_speedup(int(n), baseline_gpus, e)) for e in efficiencies for n in counts],
        columns=["gpus", "efficiency", "speedup"],
    )
    return alt.Chart(speedups).mark_line(point=True).encode(
        x=alt.X("gpus:Q", title="accelerators"),
        y=alt.Y("speedup:Q", title=f"speed-up over {baseline_gpus:,} accelerators"),
        color=alt.Color("efficiency:N", title="scaling efficiency", sort=[f"{e:.0%}" for e in efficiencies]),
    ).properties(width=420, height=260, title=f"Speed-up from scaling out beyond {baseline_gpus:,} accelerators")


# --- what each technique saves ---------------------------------------------------------------


def techniques_table():
    """The survey's techniques (:func:`llmcost.techniques.techniques`) as the chapter shows them:
    category, what each saves, at what cost, its published effect and source."""
    survey = techniques.techniques()
    return table(
        survey.assign(saves=survey["saves"].str.replace(";", ", "))[["technique", "category", "saves", "cost", "effect", "source"]],
        {},
        {"saves": "saves", "cost": "at the cost of", "effect": "published effect"},
    )


def technique_effects(model: str, data_parallel: int, pipeline_stages: int, microbatches: int) -> pd.DataFrame:
    """:func:`llmcost.techniques.computed_effects` for ``model``'s active parameters with N, p and m,
    plus ``change`` (with / without, dimensionless)."""
    effects = techniques.computed_effects(datasets.model(model)["params_active"], data_parallel, pipeline_stages, microbatches)
    effects["change"] = effects["with"] / effects["without"]
    return effects


def effects_example(model: str, data_parallel: int, pipeline_stages: int, microbatches: int, effects: pd.DataFrame) -> dict:
    """The model and layout of :func:`technique_effects` and three of its effects: ZeRO-3's model
    states per GPU and plain data parallelism's (GB), and the pipeline bubble (share of compute
    time). Glue names ``c6_model``, ``c6_model_params``, ``c6_dp``, ``c6_pp``, ``c6_mb``,
    ``c6_zero3_gb``, ``c6_dp_gb``, ``c6_bubble``."""
    zero3 = effects[effects["id"] == "zero-3"].iloc[0]  # the first zero-3 row: model states per GPU
    return {
        "c6_model": model,
        "c6_model_params": (datasets.model(model)["params_active"], "words"),
        "c6_dp": (data_parallel, ",.0f"),
        "c6_pp": (pipeline_stages, ",.0f"),
        "c6_mb": (microbatches, ",.0f"),
        "c6_zero3_gb": (zero3["with"], "sig3"),
        "c6_dp_gb": (zero3["without"], ",.0f"),
        "c6_bubble": (effects.loc[effects["id"] == "pipeline-gpipe", "with"].iloc[0], ".1%"),
    }


def effects_table(effects: pd.DataFrame):
    """:func:`technique_effects` as the chapter shows it."""
    return table(effects, {"without": "auto", "with": "auto", "change": ".3f"},
                 {"id": "technique", "without": "without", "with": "with", "change": "with / without"})


# --- three techniques worked through -------------------------------------------------------


def loss_scaling_example() -> dict:
    """fp16's smallest number, and the share of :data:`GRADIENTS` lost in fp16 without and with a
    :data:`LOSS_SCALE` loss scale, and how many overflow (:func:`llmcost.techniques.loss_scaling`).
    Glue names ``c6_fp16_smallest``, ``c6_loss_scale``, ``c6_gradient_*``, ``c6_lost_*``, ``c6_overflow``."""
    scaled = techniques.loss_scaling(GRADIENTS, LOSS_SCALE)
    return {
        "c6_fp16_smallest": (techniques.FP16_SMALLEST, "sci"),
        "c6_loss_scale": (LOSS_SCALE, ",.0f"),
        "c6_gradient_low": (GRADIENTS.min(), "sci"),
        "c6_gradient_high": (GRADIENTS.max(), "sci"),
        "c6_lost_plain": (scaled["lost_plain"].mean(), ".0%"),
        "c6_lost_scaled": (scaled["lost_scaled"].mean(), ".0%"),
        "c6_overflow": (scaled["overflow"].sum(), ",.0f"),
    }


def fusion_example(model: str, gpu: str) -> dict:
    """Operator fusion for one sequence of ``model`` (its context) through the :data:`FUSED_OPS`
    element-wise operations after an MLP's first matrix (``ffn_dim``, else 4 x d_model, bf16):
    values per layer, MB moved unfused and fused (:func:`llmcost.techniques.fusion_bytes`), and the
    time saved at ``gpu``'s memory bandwidth (TB/s) per layer (µs) and over all layers (ms).
    Glue names ``c6_fusion_*``, ``c6_gpu_name``, ``c6_bandwidth``, ``c6_layers``."""
    facts = datasets.model(model)
    elements = facts["context"] * (facts.get("ffn_dim") or 4 * facts["d_model"])  # the MLP's hidden activations of one sequence
    moved = techniques.fusion_bytes(elements, FUSED_OPS, memory.bytes_per_value("bf16"))
    bandwidth = datasets.accelerator(gpu)["bandwidth_gbps"] * memory.GB
    saved = (moved["unfused"] - moved["fused"]) / bandwidth
    return {
        "c6_fusion_seq": (facts["context"], ",.0f"),
        "c6_fusion_elements": (elements, "words"),
        "c6_fusion_unfused": (moved["unfused"] / 1e6, ",.0f", "MB"),
        "c6_fusion_fused": (moved["fused"] / 1e6, ",.0f", "MB"),
        "c6_gpu_name": datasets.accelerator(gpu)["name"],
        "c6_bandwidth": (bandwidth / 1e12, ",.2f", "TB/s"),
        "c6_fusion_saved_us": (saved * 1e6, ",.0f", "µs"),
        "c6_fusion_saved_ms": (saved * facts["layers"] * 1e3, "sig3", "ms"),
        "c6_layers": (facts["layers"], ",.0f"),
    }


def trust_ratio_example() -> dict:
    """The LARS/LAMB trust ratios (:func:`llmcost.techniques.trust_ratio`) of the hidden and output
    layers of chapter 1's 2-2-2 network at its first step, and their quotient (dimensionless).
    Glue names ``c6_trust_hidden``, ``c6_trust_output``, ``c6_trust_gap``."""
    network = toynet.Network()
    first = toynet.step(network)
    hidden = techniques.trust_ratio(network.hidden, first.grad_hidden)
    output = techniques.trust_ratio(network.output, first.grad_output)
    return {
        "c6_trust_hidden": (hidden, ",.0f"),
        "c6_trust_output": (output, "sig3"),
        "c6_trust_gap": (hidden / output, ",.0f"),
    }


# --- which library does what -----------------------------------------------------------------


def library_support_example() -> dict:
    """How many cells of the library-support table say yes, no and not documented
    (``library_support.csv``). Glue names ``c6_lib_yes``, ``c6_lib_no``, ``c6_lib_none``."""
    counts = datasets.library_support()["supported"].value_counts()
    return {
        "c6_lib_yes": (counts.get("yes", 0), ",.0f"),
        "c6_lib_no": (counts.get("no", 0), ",.0f"),
        "c6_lib_none": (counts.get("not documented", 0), ",.0f"),
    }


def library_support_table():
    """Which of :data:`LIBRARIES` supports which technique, as marks (:data:`SUPPORT_MARKS`), one row
    per technique in the file's order."""
    support = datasets.library_support()
    grid = support.assign(mark=support["supported"].map(SUPPORT_MARKS)).pivot(index="technique", columns="library", values="mark")
    return table(grid.loc[list(dict.fromkeys(support["technique"])), LIBRARIES].reset_index())
