"""Chapter 8 (serving: prefill, decode and memory bandwidth): its parameter checks, worked
example, batch curves, the source documents' serving figures under the roofline, API prices and
the calibration against measurements.

Every estimate is :func:`llmcost.serving.serving_estimate` (or its :func:`~llmcost.serving.batch_sweep`);
this module only chooses the chapter's inputs, shapes the results as tables and charts, and
returns the numbers its prose quotes as dicts for :func:`llmcost.book.glue_all` (glue name ->
text, or ``(value, fmt[, unit])``), in the order the chapter glues them.

Units: times in seconds unless a name says ``_ms`` / ``_us``; costs in USD (per 1,000 tokens
where the name says so); memory in GB (1e9 bytes); energy in Wh per 1,000 tokens.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import chapter_parameters as parameters
from ..tables import dated_price, format_number, price_text, table
from ...analysis import audit, calibration, market
from ...catalog import datasets, hardware
from ...core.validate import InputError
from ...formulas import cluster, cost, demand
from ...formulas.memory import GB, bytes_per_value
from ...running import architecture, serving

SERVING_SPECS = ["memory_gb", "bandwidth_gbps", "interconnect_gbps", "tdp_w"]
"""Facts of an accelerator record that the chapter's roofline reads (memory GB, HBM and
interconnect bandwidth GB/s, TDP W)."""

SEED_MODEL = "gpt-3"
"""The model under seed 000's and seed 004's serving figures (they name no other)."""

INTERACTIVE_BATCH = 8
"""Sequences decoded together by an interactive service, in the seed 004 fleet table."""

CURVE_POINTS = 80
"""Log-spaced batches (at most) drawn per curve of the cost-versus-batch chart."""


# --- the validation cell ------------------------------------------------------------------------


def check_room(model: str, gpu: str, gpu_compare: str, tensor_parallel: int, batch, context: int, precision: str) -> None:
    """Refuse a tensor-parallel group of ``tensor_parallel`` accelerators that cannot hold the
    weights of ``model`` in ``precision`` and the KV cache of ``batch`` sequences of ``context``
    tokens on ``gpu``, or of one such sequence on ``gpu_compare`` (the curves start at batch 1).
    Raises :class:`llmcost.validate.InputError` naming ``tensor_parallel``."""
    for name, least, what in ((gpu, batch, "batch"), (gpu_compare, 1, "one sequence (the curves)")):
        fits = serving.max_batch(model, name, tensor_parallel, context, precision, precision)
        if fits < least:
            raise InputError(
                f"tensor_parallel must give room for {what}: {tensor_parallel} x {name} hold the weights of {model} in {precision} "
                f"and the KV cache of {fits:.0f} sequences of {context:,} tokens; got tensor_parallel="
                f"{tensor_parallel}, batch={batch} (use more accelerators, a smaller batch or fewer prompt_tokens)")


def check_parameters(*, model, gpu, gpu_compare, tensor_parallel, batch, prompt_tokens, short_prompt_tokens, output_tokens,
                     precision, compute_efficiency, memory_efficiency, usd_per_gpu_hour, pue) -> tuple[str, str, str, int]:
    """Check every parameter of chapter 8 (each as :mod:`llmcost.parameters` does, then the
    layout: heads split evenly, context within the model's, room for the batch, :func:`check_room`).
    ``prompt_tokens`` None: the model's context less ``output_tokens`` (a full context for any model).
    Returns the canonical ids ``(model, gpu, gpu_compare)`` and the prompt tokens; raises
    InputError naming the parameter."""
    model = parameters.check_architecture("model", model)
    parameters.check_count("output_tokens", output_tokens, 1_000_000, why="tokens per sequence")
    if prompt_tokens is None:
        prompt_tokens = full_context_prompt(model, output_tokens)
    gpu = parameters.check_name("gpu", gpu, "gpu", facts=SERVING_SPECS, precision=precision)
    gpu_compare = parameters.check_name("gpu_compare", gpu_compare, "gpu", facts=SERVING_SPECS, precision=precision)
    parameters.check_count("tensor_parallel", tensor_parallel, 64, why="a tensor-parallel group of at most 64 accelerators")
    serving.kv_copies(model, tensor_parallel, "tensor_parallel")  # the heads split evenly
    parameters.check_quantity("batch", batch, "batch")
    parameters.check_count("prompt_tokens", prompt_tokens, 10_000_000, why="tokens per sequence (Llama 4 Scout reads 10M)")
    parameters.check_count("short_prompt_tokens", short_prompt_tokens, 1_000_000, why="tokens per sequence")
    parameters.check_above("prompt_tokens", prompt_tokens, "short_prompt_tokens", short_prompt_tokens,
                           why="the long context of the curves must be the longer one")
    serving.check_context(model, prompt_tokens + output_tokens, "prompt_tokens + output_tokens")
    parameters.check_quantity("compute_efficiency", compute_efficiency, "utilization")
    parameters.check_quantity("memory_efficiency", memory_efficiency, "utilization")
    parameters.check_quantity("usd_per_gpu_hour", usd_per_gpu_hour, "usd_per_gpu_hour")
    parameters.check_quantity("pue", pue, "pue")
    check_room(model, gpu, gpu_compare, tensor_parallel, batch, prompt_tokens + output_tokens, precision)
    return model, gpu, gpu_compare, int(prompt_tokens)


def full_context_prompt(model: str, output_tokens: int) -> int:
    """Prompt tokens that fill ``model``'s context with ``output_tokens`` after them (Llama 2 70B:
    4,096 - 128 = 3,968), count; InputError when the context has no room for them."""
    context = architecture.architecture(model).context
    if context is None:
        raise InputError(f"prompt_tokens must be given for {model}: its record states no context length to fill")
    context = int(context)
    if output_tokens >= context:
        raise InputError(f"output_tokens must leave room for a prompt in the context of {model}, {context:,} tokens; got {output_tokens:,}")
    return context - int(output_tokens)


# --- one request, phase by phase ---------------------------------------------------------------


def estimate(model, gpu, *, gpus, batch, prompt_tokens, output_tokens, precision, compute_efficiency, memory_efficiency,
             usd_per_gpu_hour, pue) -> dict:
    """The worked example: :func:`llmcost.serving.serving_estimate` with each accelerator drawing
    its TDP (W) at ``pue``, so that the estimate holds Wh per 1,000 tokens too."""
    return serving.serving_estimate(model, gpu, gpus=gpus, batch=batch, prompt_tokens=prompt_tokens, output_tokens=output_tokens,
                                    power_w=datasets.accelerator(gpu)["tdp_w"], pue=pue, precision=precision,
                                    compute_efficiency=compute_efficiency, memory_efficiency=memory_efficiency,
                                    usd_per_gpu_hour=usd_per_gpu_hour)


def decode_read_seconds(model, gpu, *, gpus, batch, prompt_tokens, output_tokens, precision, memory_efficiency) -> dict:
    """The memory floor of one decode step, seconds: ``weights`` (reading every weight once)
    and ``kv_cache`` (what reading the batch's cache at the mean context adds), from
    :func:`llmcost.serving.hbm_read_seconds`."""
    mean_context = prompt_tokens + (output_tokens + 1) / 2
    weights = serving.hbm_read_seconds(model, gpu, gpus=gpus, batch=1, context=0, weight_precision=precision,
                                       memory_efficiency=memory_efficiency)
    with_kv = serving.hbm_read_seconds(model, gpu, gpus=gpus, batch=batch, context=mean_context, weight_precision=precision,
                                       memory_efficiency=memory_efficiency)
    return {"weights": weights, "kv_cache": with_kv - weights}


def output_token_costs(example: dict, model, gpu, *, precision, compute_efficiency, usd_per_gpu_hour) -> dict:
    """An estimate's output tokens against its input tokens and against the source documents'
    compute-bound formula (2 FLOPs per matmul parameter at ``compute_efficiency`` of the dense peak,
    :func:`llmcost.cost.serving_cost_per_1k_tokens`): ``compute_bound`` (USD per 1,000 tokens),
    ``out_over_in`` and ``underestimate`` (roofline output cost / compute-bound cost), ratios."""
    active = architecture.parameter_counts(model)["matmul_active"]
    compute_bound = cost.serving_cost_per_1k_tokens(active, usd_per_gpu_hour, hardware.peak_flops(gpu, precision), compute_efficiency)
    return {"compute_bound": compute_bound,
            "out_over_in": example["usd_per_1k_output_tokens"] / example["usd_per_1k_input_tokens"],
            "underestimate": example["usd_per_1k_output_tokens"] / compute_bound}


def attention_text(model) -> str:
    """The kind of attention of ``model``, which sets the size of its KV cache, as prose."""
    arch = architecture.architecture(model)
    if arch.latent:
        return f"multi-head latent attention, which caches a {arch.cached_values_per_layer:,.0f}-value latent a layer"
    if arch.kv_heads == arch.heads:
        return "multi-head attention"
    if arch.kv_heads == 1:
        return "multi-query attention"
    return f"grouped-query attention, {arch.kv_heads:.0f} key/value heads for {arch.heads:.0f} query heads"


def bound_text(example: dict, batch) -> str:
    """Why the compute-bound formula underestimates the worked example's output tokens, as prose."""
    if example["bound"] == "memory":
        return f"because at a batch of {batch:,} each decode step waits on memory"
    return "although decoding is compute-bound at this batch: attention over the context and the all-reduces add to it"


def worked_example(model, gpu, example: dict, *, gpus, batch, prompt_tokens, output_tokens, precision, compute_efficiency,
                   memory_efficiency, usd_per_gpu_hour) -> dict:
    """The glued values of the worked example (``example``: :func:`estimate` of the same inputs):
    its setup, memory (GB), prefill (s) and decode step (ms) with their parts, throughput
    (tokens/s), costs (USD per 1,000 tokens), energy (Wh per 1,000 output tokens) and prose."""
    record = datasets.accelerator(gpu)
    at_peak = serving.serving_estimate(model, gpu, gpus=gpus, batch=batch, prompt_tokens=prompt_tokens, output_tokens=output_tokens,
                                       precision=precision, compute_efficiency=1.0, memory_efficiency=memory_efficiency)
    read = decode_read_seconds(model, gpu, gpus=gpus, batch=batch, prompt_tokens=prompt_tokens, output_tokens=output_tokens,
                               precision=precision, memory_efficiency=memory_efficiency)
    costs = output_token_costs(example, model, gpu, precision=precision, compute_efficiency=compute_efficiency,
                               usd_per_gpu_hour=usd_per_gpu_hour)
    return {
        "c8_model": architecture.display_name(model),
        "c8_gpu": record["name"],
        "c8_gpus": (gpus, ",.0f"),
        "c8_batch": (batch, ",.0f"),
        "c8_prompt": (prompt_tokens, ",.0f"),
        "c8_output": (output_tokens, ",.0f"),
        "c8_params": (architecture.parameter_counts(model)["total"], "words"),
        "c8_weights_gb": (example["weights_gb_per_gpu"], "sig3", "GB"),
        "c8_kv_gb": (example["kv_cache_gb_per_gpu"], "sig3", "GB"),
        "c8_memory_gb": (record["memory_gb"], ",.0f", "GB"),
        "c8_bandwidth": (record["bandwidth_gbps"] / 1000, ",.2f", "TB/s"),
        "c8_max_batch": (example["max_batch"], ",.0f"),
        "c8_prefill_s": (example["prefill_s"], "sig3", "s"),
        "c8_prefill_peak_s": (at_peak["prefill_s"], "sig3", "s"),
        "c8_prefill_comm_s": (example["prefill_comm_s"], "sig3", "s"),
        "c8_step_ms": (example["decode_s_per_step"] * 1e3, "sig3", "ms"),
        "c8_floor_ms": (read["weights"] * 1e3, "sig3", "ms"),
        "c8_kv_ms": (read["kv_cache"] * 1e3, "sig3", "ms"),
        "c8_comm_ms": (example["decode_comm_s_per_step"] * 1e3, "sig3", "ms"),
        "c8_allreduce_us": (serving.allreduce_latency_seconds(gpus) * 1e6, "sig3", "µs"),
        "c8_bound": example["bound"],
        "c8_tps": (example["output_tokens_per_s"], "sig3", "tokens/s"),
        "c8_usd_out": (example["usd_per_1k_output_tokens"], "sig3", "USD"),
        "c8_usd_in": (example["usd_per_1k_input_tokens"], "sig3", "USD"),
        "c8_out_over_in": (costs["out_over_in"], ",.0f"),
        "c8_wh_out": (example["wh_per_1k_output_tokens"], "sig3", "Wh"),
        "c8_compute_bound": (costs["compute_bound"], "sig3", "USD"),
        "c8_underestimate": (costs["underestimate"], ",.0f"),
        "c8_compute_efficiency": (compute_efficiency, ".0%"),
        "c8_default_compute_efficiency": (serving.COMPUTE_EFFICIENCY, ".0%"),
        "c8_attention": attention_text(model),
        "c8_why": bound_text(example, batch),
        "c8_memory_efficiency": (memory_efficiency, ".0%"),
        "c8_price": dated_price(usd_per_gpu_hour),
    }


ESTIMATE_ROWS = (
    ("weights per accelerator", "weights_gb_per_gpu", 1, "GB", "sig3"),
    ("KV cache per accelerator (last token)", "kv_cache_gb_per_gpu", 1, "GB", "sig3"),
    ("largest batch that fits", "max_batch", 1, "sequences", ",.0f"),
    ("prefill (time to first token)", "prefill_s", 1, "s", "sig3"),
    ("  of which all-reduces", "prefill_comm_s", 1, "s", "sig3"),
    ("decode step (time per output token)", "decode_s_per_step", 1e3, "ms", "sig3"),
    ("  of which all-reduces", "decode_comm_s_per_step", 1e3, "ms", "sig3"),
    ("output tokens per second, group (prefill time included)", "output_tokens_per_s", 1, "tokens/s", "sig3"),
    ("output tokens per second, per accelerator (prefill time included)", "output_tokens_per_s_per_gpu", 1, "tokens/s", "sig3"),
    ("cost per 1k input tokens", "usd_per_1k_input_tokens", 1, "USD", "sig3"),
    ("cost per 1k output tokens", "usd_per_1k_output_tokens", 1, "USD", "sig3"),
    ("energy per 1k output tokens (TDP, PUE)", "wh_per_1k_output_tokens", 1, "Wh", "sig3"),
)
"""Rows of the worked example's table: (quantity, key of the estimate, scale, unit, format)."""


def estimate_rows(example: dict) -> pd.DataFrame:
    """The worked example's table (columns quantity, value as reader text, unit) from an :func:`estimate`."""
    return pd.DataFrame({"quantity": [row[0] for row in ESTIMATE_ROWS],
                         "value": [format_number(example[key] * scale, fmt) for _, key, scale, _, fmt in ESTIMATE_ROWS],
                         "unit": [row[3] for row in ESTIMATE_ROWS]})


# --- batch and context -------------------------------------------------------------------------


def sweep_frame(model, gpu, prompt_tokens, *, gpus, output_tokens, **options) -> tuple[dict, pd.DataFrame]:
    """A :func:`llmcost.serving.batch_sweep` (``options``: precision, efficiencies, price) and its
    chart rows: at most :data:`CURVE_POINTS` log-spaced batches with their USD per 1,000 output
    tokens, decode bound and series label (accelerator, context in tokens)."""
    sweep = serving.batch_sweep(model, gpu, gpus=gpus, prompt_tokens=prompt_tokens, output_tokens=output_tokens, **options)
    shown = np.unique(np.geomspace(1, len(sweep["batch"]), CURVE_POINTS).round().astype(int)) - 1
    frame = pd.DataFrame({"batch": sweep["batch"][shown], "usd": sweep["usd_per_1k_output_tokens"][shown],
                          "bound": np.asarray(sweep["bound"])[shown]})
    frame["series"] = f"{datasets.accelerator(gpu)['name']}, {prompt_tokens + output_tokens:,} tokens"
    return sweep, frame


def batch_curves(model, gpus_compared, prompts, *, gpus, output_tokens, precision, compute_efficiency, memory_efficiency,
                 usd_per_gpu_hour) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cost-versus-batch curves of ``model`` on each accelerator of ``gpus_compared`` at each
    prompt length of ``prompts`` (tokens), accelerator by accelerator. Returns the chart rows
    (:func:`sweep_frame`) and one row per curve: accelerator, context (tokens), max_batch,
    turning_batch (first compute-bound batch, NaN if none), usd_at_1 and usd_at_max (USD per
    1,000 output tokens at batch 1 and at the largest batch) and the accelerator's ridge_batch
    (:func:`llmcost.serving.ridge_batch`, sequences)."""
    options = dict(precision=precision, compute_efficiency=compute_efficiency, memory_efficiency=memory_efficiency,
                   usd_per_gpu_hour=usd_per_gpu_hour)
    curves, turns = [], []
    for name in gpus_compared:
        ridge = serving.ridge_batch(name, precision, compute_efficiency, memory_efficiency)
        for prompt in prompts:
            sweep, frame = sweep_frame(model, name, prompt, gpus=gpus, output_tokens=output_tokens, **options)
            curves.append(frame)
            turns.append({"accelerator": datasets.accelerator(name)["name"], "context": prompt + output_tokens,
                          "max_batch": len(sweep["batch"]), "turning_batch": serving.turning_batch(sweep),
                          "usd_at_1": sweep["usd_per_1k_output_tokens"][0], "usd_at_max": sweep["usd_per_1k_output_tokens"][-1],
                          "ridge_batch": ridge})
    return pd.concat(curves), pd.DataFrame(turns)


def turn_text(turning_batch) -> str:
    """Where a curve turns compute-bound, as prose (``turning_batch``: a batch, or None / NaN)."""
    if pd.isna(turning_batch):
        return "at no batch that fits (it stays memory-bound)"
    return f"at batch {format_number(turning_batch, ',.0f')}"


def batch_findings(turns: pd.DataFrame) -> dict:
    """The glued values of the batch section, from :func:`batch_curves` of two accelerators (the
    example's, then the compared one) at two prompts (short, then long): contexts (tokens), where
    each curve turns, its cost at batch 1 and at its largest batch (USD per 1,000 output tokens)."""
    short_gpu, long_gpu, short_compare = turns.iloc[0], turns.iloc[1], turns.iloc[2]
    values = {"c8_short_context": (short_gpu["context"], ",.0f"), "c8_long_context": (long_gpu["context"], ",.0f"),
              "c8_gpu_compare": short_compare["accelerator"]}
    for key, row in (("gpu", short_gpu), ("compare", short_compare), ("long", long_gpu)):
        values["c8_turn_" + key] = turn_text(row["turning_batch"])
        values[f"c8_usd1_{key}"] = (row["usd_at_1"], "sig3", "USD per 1,000 output tokens")
        values[f"c8_usdmax_{key}"] = (row["usd_at_max"], "sig3", "USD per 1,000 output tokens")
        values[f"c8_maxb_{key}"] = (row["max_batch"], ",.0f")
    values["c8_ridge_gpu"] = (short_gpu["ridge_batch"], ",.0f")
    values["c8_ridge_compare"] = (short_compare["ridge_batch"], ",.0f")
    return values


def cost_chart(curves: pd.DataFrame, model, gpus, usd_per_gpu_hour):
    """The chart of cost per output token (USD per 1,000) against batch, both log scales, one
    line per series of ``curves`` (:func:`batch_curves`) with a dot at its first compute-bound batch."""
    import altair as alt

    marks = curves[curves["bound"] == "compute"].groupby("series", as_index=False).first()
    base = alt.Chart(curves).encode(
        x=alt.X("batch:Q", scale=alt.Scale(type="log"), title="batch (sequences decoded together, log scale)"),
        y=alt.Y("usd:Q", scale=alt.Scale(type="log"), title="USD per 1,000 output tokens (log scale)"),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom", columns=2, labelLimit=400)),
    )
    title = alt.Title(f"Serving {architecture.display_name(model)} on {gpus} accelerators: cost per output token vs batch",
                      subtitle=f"{dated_price(usd_per_gpu_hour, 'accelerator-hour')}; a dot marks the first compute-bound batch")
    dots = alt.Chart(marks).mark_point(size=60, filled=True).encode(x="batch:Q", y="usd:Q", color="series:N")
    return (base.mark_line() + dots).properties(width=440, height=300, title=title)


# --- the source documents' serving figures -------------------------------------------------------


recomputed_claims = audit.recompute_by_id
"""Every claim of the source documents recomputed, by id (:func:`llmcost.audit.recompute_by_id`)."""


def seed_service(claim: dict) -> dict:
    """The server of seed 000's serving cost (``claim``: its recomputed row): model, gpu (id),
    gpus (per instance), precision and usd_per_gpu_hour (the instance's price per accelerator).
    Efficiencies stay llmcost's defaults, whatever the reader's: the seed sections show a ceiling."""
    inputs = claim["inputs"]
    return {"model": SEED_MODEL, "gpu": datasets.resolve_accelerator(inputs["gpu"]), "gpus": inputs["gpus_per_instance"],
            "precision": inputs["precision"],
            "usd_per_gpu_hour": cost.usd_per_gpu_hour(inputs["usd_per_instance_hour"], inputs["gpus_per_instance"])}


def seed_contexts(seed: dict) -> tuple[int, int, int]:
    """A quarter, half and all of the context length of the seed's model, tokens."""
    full = int(datasets.model(seed["model"])["context"])
    return full // 4, full // 2, full


def seed_sweep(seed: dict, context: int | None = None) -> dict:
    """:func:`llmcost.serving.batch_sweep` of the seed's server at ``context`` tokens, half
    prompt and half output (default: the model's whole context)."""
    context = seed_contexts(seed)[-1] if context is None else context
    return serving.batch_sweep(seed["model"], seed["gpu"], gpus=seed["gpus"], prompt_tokens=context // 2,
                               output_tokens=context // 2, precision=seed["precision"],
                               usd_per_gpu_hour=seed["usd_per_gpu_hour"])


def seed_context_table(seed: dict, usd_per_1k_tokens: float) -> pd.DataFrame:
    """For each of :func:`seed_contexts` (tokens): the largest batch that fits, the USD per 1,000
    output tokens at it, the smallest batch at ``usd_per_1k_tokens`` (None if none fits) and the
    decode bound at the largest batch."""
    rows = []
    for context in seed_contexts(seed):
        sweep = seed_sweep(seed, context)
        rows.append({"context": context, "max_batch": sweep["batch"][-1], "usd_at_max": sweep["usd_per_1k_output_tokens"][-1],
                     "batch_for_seed": serving.batch_at_cost(sweep, usd_per_1k_tokens), "bound_at_max": sweep["bound"][-1]})
    return pd.DataFrame(rows)


def seed_cost_findings(claim: dict, seed: dict, contexts: pd.DataFrame) -> dict:
    """The glued values of seed 000's serving cost (``claim``) under the roofline: the seed's
    figures (USD), the batches of ``contexts`` (:func:`seed_context_table`), GPT-3's weights in
    16 bits against 40 GB A100s (GB) and the contexts (tokens)."""
    total = architecture.parameter_counts(seed["model"])["total"]
    small = datasets.accelerator("a100-40gb")["memory_gb"]
    values = {
        "c8_s0_stated": (claim["stated_value"], ",.4f", "USD"),
        "c8_s0_price": dated_price(seed["usd_per_gpu_hour"]),
        "c8_s0_gpu": datasets.accelerator(seed["gpu"])["name"],
        "c8_s0_batch_512": (contexts.loc[0, "batch_for_seed"], ",.0f"),
        "c8_s0_max_512": (contexts.loc[0, "max_batch"], ",.0f"),
        "c8_s0_batch_1024": (contexts.loc[1, "batch_for_seed"], ",.0f"),
        "c8_s0_max_1024": (contexts.loc[1, "max_batch"], ",.0f"),
        "c8_s0_max_2048": (contexts.loc[2, "max_batch"], ",.0f"),
        "c8_s0_usd_2048": (contexts.loc[2, "usd_at_max"], ",.4f", "USD"),
        "c8_gpt3_weights": (total * bytes_per_value("bf16") / GB, ",.0f", "GB"),
        "c8_a100_40_total": (seed["gpus"] * small, ",.0f", "GB"),
        "c8_a100_40_gb": (small, ",.0f", "GB"),
        "c8_instance": (seed["gpus"], ",.0f"),
        "c8_gpt3_params": (total, "words"),
    }
    for key, context in zip(("short", "mid", "full"), seed_contexts(seed)):
        values[f"c8_s0_ctx_{key}"] = (context, ",.0f")
    return values


def fleet_table(claims: dict, sweep: dict, instance: int) -> pd.DataFrame:
    """Seed 004's search fleet (``claims``: :func:`recomputed_claims`) sized four ways, whole
    servers of ``instance`` accelerators: under the roofline (``sweep``: :func:`seed_sweep`) at the
    largest batch and at :data:`INTERACTIVE_BATCH`, by the corrected compute-bound chain, and as the
    deck states it. Columns reading, batch, tokens_per_s_per_gpu (output tokens/s), gpus."""
    tokens_day = claims["004-tokens-per-day"]["recomputed"]
    rows = []
    for label, chosen in (("largest batch that fits", None), (f"batch {INTERACTIVE_BATCH} (interactive)", INTERACTIVE_BATCH)):
        index = len(sweep["batch"]) - 1 if chosen is None else chosen - 1
        rate = sweep["output_tokens_per_s_per_gpu"][index]
        gpus_needed = cluster.servers(demand.accelerators_at_rate(tokens_day, rate), instance) * instance
        rows.append({"reading": f"roofline, {label}", "batch": sweep["batch"][index], "tokens_per_s_per_gpu": rate, "gpus": gpus_needed})
    rows.append({"reading": "compute-bound chain (TF32, 50 %)", "batch": np.nan, "tokens_per_s_per_gpu": np.nan,
                 "gpus": claims["004-infer-gpus"]["recomputed"]})
    rows.append({"reading": "the deck", "batch": np.nan, "tokens_per_s_per_gpu": np.nan, "gpus": claims["004-infer-gpus"]["stated_value"]})
    return pd.DataFrame(rows)


def fleet_display(fleet: pd.DataFrame, instance: int):
    """:func:`fleet_table` as the chapter shows it: the deck's fleet as it states it, the computed ones
    to 3 significant figures."""
    shown = fleet.assign(gpus=[format_number(n, ",.0f" if reading == "the deck" else "sig3")
                               for n, reading in zip(fleet["gpus"], fleet["reading"])])
    return table(shown, {"batch": ",.0f", "tokens_per_s_per_gpu": "sig3"},
                 {"tokens_per_s_per_gpu": "output tokens/s per A100", "gpus": f"A100s (whole {instance}-GPU servers)"})


def fleet_findings(claims: dict, fleet: pd.DataFrame) -> dict:
    """The glued values of seed 004's fleet (:func:`fleet_table`): tokens a day, the four fleets
    (accelerators), the largest batch, and the deck's two errors (ratios of fleets)."""
    return {
        "c8_s4_tokens": (claims["004-tokens-per-day"]["recomputed"], "sci"),
        "c8_s4_interactive": (INTERACTIVE_BATCH, ",.0f"),
        "c8_s4_max_gpus": (fleet.loc[0, "gpus"], "sig3"),
        "c8_s4_b8_gpus": (fleet.loc[1, "gpus"], "sig3"),
        "c8_s4_chain": (fleet.loc[2, "gpus"], "sig3"),
        "c8_s4_deck": (fleet.loc[3, "gpus"], ",.0f"),
        "c8_s4_max_batch": (fleet.loc[0, "batch"], ",.0f"),
        "c8_s4_deck_error": (fleet.loc[3, "gpus"] / fleet.loc[2, "gpus"], ",.2f"),
        "c8_s4_method_error": (fleet.loc[0, "gpus"] / fleet.loc[2, "gpus"], ",.2f"),
    }


OUTPUT_SHARES = (0.25, 0.5, 0.75, 1.0)
"""Shares of a search query's tokens that are generated (the rest is prompt) for the fleet's range."""


def fleet_split_table(claims: dict, seed: dict, shares=OUTPUT_SHARES) -> pd.DataFrame:
    """Seed 004's fleet under the roofline at the largest batch that fits, with each query's tokens
    (the deck's words per question and answer, in tokens) split into prompt and output at each of
    ``shares``: only the output tokens are generated, the prompt is prefilled. Columns
    output_share, prompt_tokens, output_tokens (per query), batch, tokens_per_s_per_gpu (output
    tokens/s), gpus (whole servers of the seed's instance)."""
    inputs = claims["004-tokens-per-day"]["inputs"]
    per_query = inputs["words_per_query"] * inputs["tokens_per_word"]
    tokens_day = claims["004-tokens-per-day"]["recomputed"]
    rows = []
    for share in shares:
        prompt = max(1, round(per_query * (1 - share)))  # a request has at least one prompt token
        output = round(per_query) - prompt
        sweep = serving.batch_sweep(seed["model"], seed["gpu"], gpus=seed["gpus"], prompt_tokens=prompt, output_tokens=output,
                                    precision=seed["precision"])
        rate = sweep["output_tokens_per_s_per_gpu"][-1]
        gpus_needed = cluster.servers(demand.accelerators_at_rate(tokens_day * output / (prompt + output), rate), seed["gpus"]) * seed["gpus"]
        rows.append({"output_share": output / (prompt + output), "prompt_tokens": prompt, "output_tokens": output,
                     "batch": sweep["batch"][-1], "tokens_per_s_per_gpu": rate, "gpus": gpus_needed})
    return pd.DataFrame(rows)


def fleet_split_findings(split: pd.DataFrame, fleet: pd.DataFrame) -> dict:
    """The glued values of :func:`fleet_split_table`: the fleet's range over the splits (accelerators),
    the tokens per query, the output shares at the ends, and how many splits need fewer
    accelerators than the deck states (``fleet``: :func:`fleet_table`, its last row)."""
    deck = fleet.loc[3, "gpus"]
    return {
        "c8_s4_split_low": (split["gpus"].min(), "sig3"), "c8_s4_split_high": (split["gpus"].max(), "sig3"),
        "c8_s4_query_tokens": (split["prompt_tokens"].iloc[0] + split["output_tokens"].iloc[0], ",.0f"),
        "c8_s4_share_low": (split["output_share"].min(), ".0%"), "c8_s4_share_high": (split["output_share"].max(), ".0%"),
        "c8_s4_below_deck": (int((split["gpus"] < deck).sum()), ",.0f"), "c8_s4_splits": (len(split), ",.0f"),
    }


# --- API prices ---------------------------------------------------------------------------------


SEED_ERA_END = market.TODAY_SINCE
"""API prices dated before this month are the source documents' own time (section "API prices");
later ones are today's (:mod:`llmcost.book.pages.serving_today`)."""


def api_table(sweep: dict) -> pd.DataFrame:
    """Each API price of the dataset dated before :data:`SEED_ERA_END` (USD per 1,000 output tokens) over the roofline's cost of an
    output token and its input price over that of an input token, at the largest batch of
    ``sweep`` (:func:`seed_sweep`): columns price (its id), model sold (provider and model), usd, as of (its date),
    over_output, over_input."""
    prices = datasets.api_prices()
    prices = prices[prices["date"] < SEED_ERA_END]
    floor_out, floor_in = sweep["usd_per_1k_output_tokens"][-1], sweep["usd_per_1k_input_tokens"][-1]
    per_1k_out, per_1k_in = prices["usd_per_1m_output"] / 1000, prices["usd_per_1m_input"] / 1000
    return pd.DataFrame({"price": prices["id"], "model sold": prices["provider"] + " " + prices["model"], "usd": per_1k_out, "as of": prices["date"],
                         "over_output": per_1k_out / floor_out, "over_input": per_1k_in / floor_in})


def api_findings(api: pd.DataFrame, sweep: dict) -> dict:
    """The glued values of the API section: the roofline's costs (USD per 1,000 tokens) and
    davinci's and GPT-3.5-turbo's prices against them (ratios; :func:`api_table`)."""
    by_id = api.set_index("price")
    davinci, turbo = by_id.loc["openai-davinci-2022"], by_id.loc["openai-gpt-3.5-turbo-2023"]
    return {
        "c8_api_floor_out": (sweep["usd_per_1k_output_tokens"][-1], ",.5f", "USD"),
        "c8_api_floor_in": (sweep["usd_per_1k_input_tokens"][-1], ",.6f", "USD"),
        "c8_davinci_over": (davinci["over_output"], "sig3"),
        "c8_turbo_over": (turbo["over_output"], ",.2f"),
        "c8_turbo_price": price_text(turbo["usd"], "1,000 tokens", datasets.price_date("openai-gpt-3.5-turbo-2023", "api_prices.csv"), ",.3f"),
    }


# --- calibration --------------------------------------------------------------------------------


def peer_setup_text(row) -> str:
    """A serving figure's setup as prose: accelerators, batch, prompt and output tokens."""
    return (f"{row['accelerators']} × {datasets.accelerator(row['accelerator'])['name']} at batch "
            f"{row['batch']:.0f} with {row['prompt_tokens']:,} prompt and {row['output_tokens']:,} output tokens")


def calibration_findings(served: pd.DataFrame, groups: pd.DataFrame) -> dict:
    """The glued values of the calibration (``served``: :func:`llmcost.calibration.serving_table`;
    ``groups``: :func:`llmcost.calibration.serving_groups`): PaLM's decode step (ms) against its
    memory floor, the measured rows and their sources, those above the roofline, the Hopper FP8
    groups' shares of the roofline's speed, and the peer estimator's ratios."""
    pope = served.set_index("id").loc["pope-palm-540b-int8-decode"]
    measured = served[served["kind"] == "measured"]
    above = measured[measured["achieved"] > 1]
    peer = served[served["kind"] == "peer"]
    by_metric = peer.set_index("metric")
    hopper = groups.set_index(["generation", "precision", "phase"])
    values = {
        "c8_pope_ms": (pope["published"] * 1e3, ",.0f", "ms"),
        "c8_pope_chips": (pope["accelerators"], ",.0f"),
        "c8_peer_setup": peer_setup_text(peer.iloc[0]),
        "c8_pope_floor_ms": (pope["llmcost"] * 1e3, "sig3", "ms"),
        "c8_pope_ratio": (pope["ratio"], "sig3"),
        "c8_measured_rows": (len(measured), ",.0f"),
        "c8_measured_sources": (measured["source"].nunique(), ",.0f"),
        "c8_below_rows": (len(measured) - len(above), ",.0f"),
        "c8_above": ", ".join(f"{figure_setup_text(row)} at {row.achieved:.0%}" for row in above.itertuples()) or "none",
        "c8_peer_decode": (by_metric.loc["decode_s_per_step", "ratio"], ",.3f"),
        "c8_peer_prefill": (by_metric.loc["prefill_s", "ratio"], ",.3f"),
    }
    for phase in ("throughput", "prefill"):
        group = hopper.loc[("Hopper", "fp8", phase)]
        values.update({f"c8_hopper_{phase}_{end}": (group[end], ".0%") for end in ("low", "central", "high")})
        values[f"c8_hopper_{phase}_rows"] = (group["rows"], ",.0f")
    return values


def groups_rows(groups: pd.DataFrame) -> pd.DataFrame:
    """:func:`llmcost.calibration.serving_groups` as chapter 8 shows it: phase in words."""
    return groups.assign(phase=groups["phase"].map({"prefill": "time to first token", "throughput": "generation throughput"}))


def expected_example(example: dict, gpu, precision: str, compute_efficiency: float, memory_efficiency: float) -> dict:
    """The worked example (``example``: :func:`estimate`) as measured systems of its accelerator
    generation and precision reach it (:func:`llmcost.calibration.expected_serving`), as one
    sentence glued as ``c8_expected``; where no calibration applies, the sentence says why."""
    why = ""
    if (compute_efficiency, memory_efficiency) != (serving.COMPUTE_EFFICIENCY, serving.MEMORY_EFFICIENCY):
        why = "this page's efficiencies are not the roofline's defaults, which the measurements are compared with"
    else:
        try:
            group = calibration.serving_calibration(gpu, precision)
        except InputError as error:
            why = str(error)
    if why:
        return {"c8_expected": f"No calibration applies to this page's settings: {why}."}
    expected = calibration.expected_serving(example, group)
    share = group["throughput"] or group["prefill"]
    tps, usd = expected["output_tokens_per_s"], expected["usd_per_1k_output_tokens"]
    return {"c8_expected": (
        f"Measured {group['generation']} systems at {group['precision']} reach {share['low']:.0%} to {share['high']:.0%} of the "
        f"roofline's speed in generation (median {share['central']:.0%}, {share['rows']} measurements): expected, this "
        f"configuration delivers {format_number(tps['central'], 'sig3')} output tokens per second "
        f"({format_number(tps['low'], 'sig3')} to {format_number(tps['high'], 'sig3')}) at "
        f"{format_number(usd['central'], 'sig3')} USD per 1,000 output tokens ({format_number(usd['low'], 'sig3')} to "
        f"{format_number(usd['high'], 'sig3')}), against the roofline's {format_number(example['output_tokens_per_s'], 'sig3')} "
        f"and {format_number(example['usd_per_1k_output_tokens'], 'sig3')}")}


def figure_setup_text(row) -> str:
    """A row of :func:`llmcost.calibration.serving_table` as a short setup: model, accelerators (by
    name), batch ("not given" when missing), prompt + output tokens."""
    batch = format_number(row.batch, ",.0f") if row.batch == row.batch else "not given"
    model, gpu = datasets.model(row.model)["name"], datasets.accelerator(row.accelerator)["name"]
    return f"{model}, {row.accelerators} × {gpu}, batch {batch}, {row.prompt_tokens:,} + {row.output_tokens:,} tokens"


def calibration_rows(served: pd.DataFrame) -> pd.DataFrame:
    """The calibration table's rows: each figure's id, its setup (:func:`figure_setup_text`), the
    metric's label and the published, llmcost, ratio, achieved and basis columns of
    :func:`llmcost.calibration.serving_table`."""
    shown = served.assign(setup=[figure_setup_text(row) for row in served.itertuples()])
    shown["metric"] = shown["metric"].map(calibration.METRIC_LABELS)
    return shown[["id", "setup", "metric", "kind", "published", "llmcost", "ratio", "achieved", "basis"]]
