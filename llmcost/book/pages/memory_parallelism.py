"""Chapter 4, memory and parallelism: what a training run keeps in memory and how it is split.

The chapter's worked examples as dicts of glued values (name -> text, or ``(value, fmt[, unit])``
for :func:`llmcost.book.glue_all`), its tables and its charts. ``model`` and ``gpu`` are names or
aliases of the models and accelerators datasets; ``precision`` and ``optimizer`` as in
:func:`llmcost.memory.state_bytes_per_param`. ``claims`` is the claims audit by id,
``{row["id"]: row for row in audit.recompute_all()}``. Sizes are in bytes unless a name says GB,
TB or MB (1e9, 1e12, 1e6 bytes).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ...analysis import trends
from ...catalog.datasets import accelerator, accelerators, models
from ...catalog.datasets import model as model_record
from ...catalog.hardware import peak_flops
from ...formulas import flops, memory, parallelism, sizing
from ...formulas.cluster import servers
from ...core import validate
from ...running import architecture, layout_search, pipeline
from .. import chapter_parameters as parameters
from ..tables import format_number, number_texts, short_name, short_names, table
from .serving import attention_text

ZERO_STAGE_NAMES = {0: "0: data parallel", 1: "1: optimizer states", 2: "2: + gradients", 3: "3: + weights"}
"""Each ZeRO stage as the table and chart name it: the states it shards, cumulatively."""

WALL_SINCE = "2018"
"""First release year of the models on the memory wall."""

WALL_GPUS = "memory of one NVIDIA data-centre GPU"
"""Legend of the accelerators on the memory wall."""

MEGATRON_PFLOPS = 502e15
"""Aggregate FLOP/s of Narayanan et al. 2021's 1-trillion-parameter GPT on 3,072 A100s (abstract)."""

ALLREDUCE_RANKS = (2, 8, 64, 512, 4096)
"""Data-parallel ranks of the all-reduce traffic table."""

PCIE_GPU = "a100-80gb-pcie"
"""The accelerator whose interconnect figure is the PCIe Gen4 x16 link of ZeRO-Offload."""


COUNTS = ("microbatches", "micro_batch_size", "serving_batch", "schedule_microbatches", "search_gpus", "global_batch")
"""The chapter's whole-number parameters that :func:`check_parameters` returns as ints."""


def check_parameters(*, model, gpu, precision, optimizer, data_parallel, tensor_parallel, pipeline_parallel, microbatches,
                     schedule_stages, schedule_microbatches, micro_batch_size, serving_batch, search_gpus, global_batch) -> dict:
    """Check the chapter's parameters one by one, then together: the tensor and pipeline sizes
    dividing ``model``'s heads and layers, and a layout of ``search_gpus`` tiling ``global_batch``
    (:func:`llmcost.running.layout_search.check_search`). Returns the :data:`COUNTS` as ints; raises
    :class:`llmcost.validate.InputError` naming the parameter."""
    parameters.check_name("model", model, facts=["layers", "d_model", "heads", "context", "params_total"])
    parameters.check_name("gpu", gpu, "gpu", facts=["memory_gb"])
    validate.check_choice("precision", precision, ("fp32", "bf16", "fp16"))
    validate.check_choice("optimizer", optimizer, memory.OPTIMIZERS)
    parameters.check_quantity("data_parallel", data_parallel, "ranks")
    for name, value, what in (("tensor_parallel", tensor_parallel, "heads"), ("pipeline_parallel", pipeline_parallel, "layers")):
        parameters.check_quantity(name, value, "ranks")
        parameters.check_divides(name, value, model_record(model)[what], f"{what} of {model}")
    parameters.check_count("schedule_stages", schedule_stages, 16, why="stages of a drawn schedule")
    counts = {name: parameters.check_quantity(name, value, "batch") for name, value in (
        ("microbatches", microbatches), ("micro_batch_size", micro_batch_size), ("serving_batch", serving_batch),
        ("global_batch", global_batch))}
    counts["schedule_microbatches"] = parameters.check_count("schedule_microbatches", schedule_microbatches, 32,
                                                             why="micro-batches of a drawn schedule")
    counts["search_gpus"] = parameters.check_quantity("search_gpus", search_gpus, "gpus")
    layout_search.check_search(model, counts["search_gpus"], counts["global_batch"])
    return {name: counts[name] for name in COUNTS}


def model_dimensions(model: str) -> dict:
    """``layers``, ``d_model``, ``heads`` and ``context`` (tokens) of a model, as ints."""
    facts = model_record(model)
    return {key: int(facts[key]) for key in ("layers", "d_model", "heads", "context")}


def overview(model: str, gpu: str) -> dict:
    """The page's model and accelerator: their names, the accelerator's memory (GB) and the
    model's total parameters (a count)."""
    facts, spec = model_record(model), accelerator(gpu)
    return {
        "c4_model": facts["name"],
        "c4_gpu_name": spec["name"],
        "c4_gpu_memory": (spec["memory_gb"], ",.0f", "GB"),
        "c4_params": (facts["params_total"], "words"),
    }


def state_bytes_rows() -> pd.DataFrame:
    """Bytes per parameter of weights, gradients, optimizer states and their total, for each
    optimizer of :data:`llmcost.memory.OPTIMIZERS` in fp32 and in bf16 (mixed precision)."""
    rows = []
    for name in memory.OPTIMIZERS:
        for prec in ("fp32", "bf16"):
            b = memory.state_bytes_per_param(prec, name)
            rows.append({"optimizer": name, "precision": prec, "weights": b["weights"], "gradients": b["gradients"],
                         "states": b["optimizer"], "total": sum(b.values())})
    return pd.DataFrame(rows)


def state_bytes_table():
    """Table 4.1 for display: :func:`state_bytes_rows` (bytes per parameter)."""
    return table(state_bytes_rows(), {k: ",.0f" for k in ("weights", "gradients", "states", "total")},
                 {"weights": "weights (B)", "gradients": "gradients (B)", "states": "optimizer states (B)",
                  "total": "total (B/param)"})


def model_states(model: str, gpu: str, precision: str, optimizer: str, claims: dict) -> dict:
    """The model states of ``model`` unsharded: bytes per parameter, TB in all and the number of
    ``gpu``s whose memory holds them; and seed 003's 200-billion-parameter example: fp32
    weights (GB), states as stated and recomputed (TB) and 80 GB GPUs to hold them."""
    spec = accelerator(gpu)
    states = memory.zero_bytes_per_gpu(model_record(model)["params_total"], 1, 0, precision, optimizer)
    weights_200b, states_200b = claims["003-200b-weights"], claims["003-200b-states"]
    return {
        "c4_bytes_per_param": (sum(memory.state_bytes_per_param(precision, optimizer).values()), ",.0f"),
        "c4_precision": precision,
        "c4_optimizer": optimizer,
        "c4_states_tb": (states / 1e12, ",.2f", "TB"),
        "c4_states_gpus": (memory.gpus_to_hold(states, spec["memory_gb"]), "sig3"),
        "c4_200b_weights_gb": (weights_200b["recomputed"] / 1e9, ",.0f", "GB"),
        "c4_200b_states_stated_tb": (states_200b["stated_value"] / 1e12, ",.0f", "TB"),
        "c4_200b_states_tb": (states_200b["recomputed"] / 1e12, "sig3", "TB"),
        "c4_200b_gpus": (memory.gpus_to_hold(states_200b["recomputed"], 80), ",.0f"),
    }


def wall_state_bytes() -> float:
    """Bytes per parameter of the memory wall's training state: mixed-precision (bf16) Adam, 16."""
    return sum(memory.state_bytes_per_param("bf16", "adam").values())


def wall_models() -> pd.DataFrame:
    """The models with total parameters released from :data:`WALL_SINCE` on."""
    table_ = models().dropna(subset=["params_total", "release"])
    return table_[table_["release"] >= WALL_SINCE]


def wall_gpus() -> pd.DataFrame:
    """The NVIDIA data-centre (SXM) accelerators with a memory size: those of
    ``trends.accelerator_trend("memory_gb")``."""
    acc = accelerators()
    return acc[(acc["vendor"] == "NVIDIA") & acc["form_factor"].str.startswith("SXM")].dropna(subset=["memory_gb"])


def wall_points() -> pd.DataFrame:
    """Figure 4.1's points: ``year`` (decimal), ``released`` (its text), ``gb`` (GB), ``what`` and ``name`` (an id); the training
    state of each of :func:`wall_models` and the memory of each of :func:`wall_gpus`."""
    models_t, acc, state_bytes = wall_models(), wall_gpus(), wall_state_bytes()
    return pd.concat([
        pd.DataFrame({"year": [trends.decimal_year(d) for d in models_t["release"]], "gb": models_t["params_total"] * state_bytes / 1e9,
                      "what": f"model states of a published model ({state_bytes:.0f} bytes per parameter)", "name": models_t["id"],
                      "released": models_t["release"]}),
        pd.DataFrame({"year": acc["release_year"].astype(float), "gb": acc["memory_gb"], "what": WALL_GPUS, "name": acc["id"],
                      "released": acc["release_year"].astype(str)}),
    ])


def wall_example(claims: dict | None = None) -> dict:
    """The memory wall in numbers: bytes per parameter of the state; growth factors per 18 months
    (no unit) of model size, GPU memory and 16-bit throughput; how many models and GPUs, the first
    and the newest; the largest model's state over the largest GPU memory (a ratio); and, from
    ``claims`` (the audit by id), the growth the audit finds over the GPUs of the talk's time."""
    models_t, acc, points = wall_models(), wall_gpus(), wall_points()
    by_year = acc.sort_values("release_year")
    audit_values = {} if claims is None else {
        "c4_wall_audit_memory": (claims["003-memory-growth"]["recomputed"], ",.2f"),
        "c4_wall_audit_chip": (claims["003-chip-growth"]["recomputed"], ",.2f"),
        "c4_wall_audit_until": (claims["003-memory-growth"]["inputs"]["until_year"], ".0f"),
    }
    param_trend = trends.fit_trend(models_t["release"], models_t["params_total"])
    return {
        "c4_wall_state_bytes": (wall_state_bytes(), ",.0f"),
        "c4_wall_param_growth": (param_trend.factor_per(18), "sig3"),
        "c4_wall_memory_growth": (trends.accelerator_trend("memory_gb").factor_per(18), ",.2f"),
        "c4_wall_chip_growth": (trends.accelerator_trend("fp16_tflops").factor_per(18), ",.2f"),
        "c4_wall_models": (len(models_t), ",.0f"),
        "c4_wall_gpus": (len(acc), ",.0f"),
        "c4_wall_gap": (points[points["what"] != WALL_GPUS]["gb"].max() / acc["memory_gb"].max(), ",.0f"),
        "c4_wall_first_gpu": short_name(by_year["id"].iloc[0]),
        "c4_wall_last_gpu": short_name(by_year["id"].iloc[-1]),
        **audit_values,
    }


def wall_chart():
    """Figure 4.1: :func:`wall_points` by release year, GB on a log axis."""
    points = number_texts(wall_points(), {"gb": "sig3"}).assign(name=lambda f: short_names(f["name"]))
    return alt.Chart(points).mark_point(filled=True, size=60).encode(
        x=alt.X("year:Q", scale=alt.Scale(zero=False), axis=alt.Axis(format="d"), title="release"),
        y=alt.Y("gb:Q", scale=alt.Scale(type="log"), title="GB (log scale)"),
        color=alt.Color("what:N", legend=alt.Legend(orient="bottom", columns=1, title=None, labelLimit=400)),
        shape="what:N", tooltip=[alt.Tooltip("name:N", title="model or GPU"), alt.Tooltip("released:N", title="released"),
                                 alt.Tooltip("gb_text:N", title="GB")],
    ).properties(width=440, height=300, title="The memory wall: training state of published models vs one GPU's memory")


def zero_rows(model: str, gpu: str, data_parallel: int, precision: str, optimizer: str) -> pd.DataFrame:
    """Per ZeRO stage: model states per GPU at ``data_parallel`` ranks (``gb``, GB), elements
    communicated per step in multiples of the parameters (``comm``), and the fewest ranks whose
    GPUs hold the states (``min_ranks``, inf if none)."""
    params, memory_gb = model_record(model)["params_total"], accelerator(gpu)["memory_gb"]
    return pd.DataFrame([{
        "stage": ZERO_STAGE_NAMES[stage],
        "gb": memory.zero_bytes_per_gpu(params, data_parallel, stage, precision, optimizer) / 1e9,
        "comm": memory.zero_communication_volume(params, stage) / params,
        "min_ranks": sizing.min_data_parallel_for_zero(params, memory_gb, stage, precision, optimizer),
    } for stage in memory.ZERO_STAGES])


def zero_table(model: str, gpu: str, data_parallel: int, precision: str, optimizer: str):
    """Table 4.2 for display: :func:`zero_rows`, "never" where no number of ranks suffices."""
    shown = zero_rows(model, gpu, data_parallel, precision, optimizer)
    shown["min_ranks"] = [format_number(n, ",.0f") if np.isfinite(n) else "never" for n in shown["min_ranks"]]
    return table(shown, {"gb": "sig3", "comm": ".0f"},
                 {"stage": "ZeRO stage (sharded)", "gb": f"GB per GPU at N = {data_parallel}",
                  "comm": "communication per step (x params)",
                  "min_ranks": f"ranks to fit in {accelerator(gpu)['memory_gb']:.0f} GB"})


ZERO_CURVE_RANKS = tuple(2 ** k for k in range(13))
"""Data-parallel ranks of figure 4.2: 1 to 4,096."""


def zero_curves(model: str, precision: str, optimizer: str, ranks=ZERO_CURVE_RANKS) -> pd.DataFrame:
    """Model states per GPU (``gb``, GB) for each ZeRO stage and each number of data-parallel ``ranks``."""
    params = model_record(model)["params_total"]
    return pd.DataFrame([
        {"ranks": int(n), "stage": ZERO_STAGE_NAMES[stage], "gb": memory.zero_bytes_per_gpu(params, int(n), stage, precision, optimizer) / 1e9}
        for stage in memory.ZERO_STAGES for n in ranks
    ])


def zero_chart(model: str, gpu: str, precision: str, optimizer: str):
    """Figure 4.2: :func:`zero_curves` on log axes, with ``gpu``'s memory (GB) as a dashed rule."""
    spec = accelerator(gpu)
    lines = alt.Chart(zero_curves(model, precision, optimizer)).mark_line(point=True).encode(
        x=alt.X("ranks:Q", scale=alt.Scale(type="log", base=2), title="data-parallel ranks N"),
        y=alt.Y("gb:Q", scale=alt.Scale(type="log"), title="model states per GPU (GB)"),
        color=alt.Color("stage:N", title="ZeRO stage", legend=alt.Legend(orient="bottom", columns=2)),
        tooltip=[alt.Tooltip("stage:N", title="ZeRO stage"), alt.Tooltip("ranks:Q", title="data-parallel ranks"),
                 alt.Tooltip("gb:Q", format=",.3r", title="GB per GPU")],
    )
    limit = alt.Chart(pd.DataFrame({"gb": [spec["memory_gb"]], "label": [f"{spec['name']}: {spec['memory_gb']:.0f} GB"]}))
    rule = limit.mark_rule(color="black", strokeDash=[4, 4]).encode(y="gb:Q")
    label = limit.mark_text(align="left", dx=4, dy=-6).encode(y="gb:Q", x=alt.value(4), text="label:N")
    return (lines + rule + label).properties(width=440, height=320, title=f"ZeRO: model states of {model_record(model)['name']} per GPU")


def zero_offload(model: str, gpu: str, precision: str, optimizer: str) -> dict:
    """The ranks ZeRO stage 3 needs to hold the states in ``gpu``s; ZeRO-Offload's GPU (GB) and
    CPU (TB) shares; what stage 1 keeps on every rank however many there are (GB)."""
    params = model_record(model)["params_total"]
    offload = memory.zero_offload_bytes(params, precision, optimizer)
    return {
        "c4_zero3_ranks": (sizing.min_data_parallel_for_zero(params, accelerator(gpu)["memory_gb"], 3, precision, optimizer), ",.0f"),
        "c4_offload_gpu_gb": (offload["gpu"] / 1e9, ",.0f", "GB"),
        "c4_offload_cpu_tb": (offload["cpu"] / 1e12, ",.2f", "TB"),
        "c4_replicated_stage1_gb": (memory.zero_bytes_per_gpu(params, 10**9, 1, precision, optimizer) / 1e9, ",.0f", "GB"),
    }


def offload_link(model: str, gpu: str, precision: str, optimizer: str) -> dict:
    """The price of ZeRO-Offload's link: PCIe Gen4 x16 one way and ``gpu``'s memory bandwidth
    (GB/s), their ratio, and the seconds to move the 16-bit gradients down and weights back up, one
    after the other and, as a floor, each way at once (the link is full duplex)."""
    pcie = accelerator(PCIE_GPU)["interconnect_gbps"] / 2
    hbm = accelerator(gpu).get("bandwidth_gbps", float("nan"))
    traffic = memory.zero_offload_bytes(model_record(model)["params_total"], precision, optimizer)["gpu"] * 2
    return {
        "c4_pcie_gbps": (pcie, ",.0f", "GB/s"),
        "c4_hbm_gbps": (hbm, ",.0f", "GB/s"),
        "c4_hbm_over_pcie": (hbm / pcie, ",.0f"),
        "c4_offload_seconds": (traffic / (pcie * 1e9), ",.0f", "s"),
        "c4_offload_seconds_duplex": (traffic / 2 / (pcie * 1e9), ",.0f", "s"),
    }


ACTIVATION_SETTINGS = (("none", False), ("none", True), ("selective", True), ("full", True))
"""The (recomputation, sequence parallelism) settings of the activation table, in its order."""


def activation_rows(model: str, tensor_parallel: int, micro_batch_size: int) -> pd.DataFrame:
    """Activation memory per GPU for each of :data:`ACTIVATION_SETTINGS`: one layer (``layer_mb``,
    MB) and all layers (``model_gb``, GB), at the model's context (Korthikanti et al. 2022)."""
    d = model_dimensions(model)
    rows = []
    for mode, sp in ACTIVATION_SETTINGS:
        per_layer = memory.activation_bytes_per_layer(d["context"], micro_batch_size, d["d_model"], d["heads"], tensor_parallel, sp, mode)
        rows.append({"setting": f"{mode} recompute" + (", sequence parallel" if sp else ""),
                     "layer_mb": per_layer / 1e6, "model_gb": per_layer * d["layers"] / 1e9})
    return pd.DataFrame(rows)


def activation_table(model: str, tensor_parallel: int, micro_batch_size: int):
    """Table 4.3 for display: :func:`activation_rows`."""
    return table(activation_rows(model, tensor_parallel, micro_batch_size), {"layer_mb": ",.0f", "model_gb": "sig3"},
                 {"setting": "setting", "layer_mb": "per layer (MB)", "model_gb": f"all {model_dimensions(model)['layers']} layers (GB)"})


def activation_example(model: str, tensor_parallel: int, micro_batch_size: int) -> dict:
    """The activation table's setting, its whole-model activations (GB) without recomputation and
    with selective recomputation and sequence parallelism, and on one GPU: all layers' activations
    (GB), the checkpoint interval (layers, about sqrt(L)) and the activations with it (GB); and the
    FLOPs per parameter per token of training with recomputation."""
    d = model_dimensions(model)
    rows = activation_rows(model, tensor_parallel, micro_batch_size)
    one_gpu = [memory.activation_bytes_per_layer(d["context"], micro_batch_size, d["d_model"], d["heads"], 1, False, mode)
               for mode in ("none", "full")]
    segment = int(round(np.sqrt(d["layers"])))
    return {
        "c4_tp": (tensor_parallel, ",.0f"),
        "c4_seq": (d["context"], ",.0f"),
        "c4_mbs": (micro_batch_size, ",.0f"),
        "c4_act_none_gb": (rows["model_gb"].iloc[0], "sig3", "GB"),
        "c4_act_selective_gb": (rows["model_gb"].iloc[2], "sig3", "GB"),
        "c4_act_all_none_gb": (one_gpu[0] * d["layers"] / 1e9, ",.0f", "GB"),
        "c4_segment": (segment, ",.0f"),
        "c4_sqrt_gb": (sizing.segment_checkpoint_bytes(d["layers"], *one_gpu, segment) / 1e9, "sig3", "GB"),
        "c4_recompute_flops": (flops.flops_per_param_per_token(recompute=True), ",.0f"),
    }


def kv_cache_example(model: str, gpu: str, serving_batch: int) -> dict:
    """Serving in bf16: the weights (GB), the model's attention (which sets what a token caches), the
    KV cache of one token (MB, :func:`llmcost.architecture.kv_cache_bytes_per_token`) and of
    ``serving_batch`` sequences at the model's context (GB), and the ``gpu``s whose memory holds both."""
    d = model_dimensions(model)
    weights = model_record(model)["params_total"] * memory.bytes_per_value("bf16")
    per_token = architecture.kv_cache_bytes_per_token(model, "bf16")
    kv = per_token * d["context"] * serving_batch
    return {
        "c4_weights_bf16_gb": (weights / 1e9, ",.0f", "GB"),
        "c4_kv_attention": attention_text(model),
        "c4_kv_token_mb": (per_token / 1e6, ",.2f", "MB"),
        "c4_kv_gb": (kv / 1e9, ",.0f", "GB"),
        "c4_serving_batch": (serving_batch, ",.0f"),
        "c4_serving_gpus": (memory.gpus_to_hold(weights + kv, accelerator(gpu)["memory_gb"]), "sig3"),
    }


def parallelism_comparison() -> pd.DataFrame:
    """Table 4.4: data, tensor and pipeline parallelism compared on what they split, generality,
    compute, memory and communication, after the survey of seed 001."""
    return pd.DataFrame([
        {"kind": "data", "splits": "the batch; every rank holds the whole model", "generality": "high: any model",
         "compute": "high", "memory": "poor: full model states on every rank (until ZeRO)",
         "communication": "all-reduce of the gradients once per step"},
        {"kind": "tensor", "splits": "each layer's matrices, by columns and rows", "generality": "low: per layer type",
         "compute": "high inside a server, falls across servers", "memory": "good: weights and most activations divided",
         "communication": "heavy: all-reduce of activations twice per layer in each pass"},
        {"kind": "pipeline", "splits": "the layers, into consecutive stages", "generality": "medium",
         "compute": "lost to the pipeline bubble", "memory": "good: weights divided; activations of in-flight micro-batches",
         "communication": "light: activations between neighbouring stages"},
    ])


def tensor_vs_data_traffic(model: str, precision: str, micro_batch_size: int, microbatches: int, tensor_parallel: int) -> dict:
    """What each GPU sends: tensor parallelism's all-reduces over ``tensor_parallel`` GPUs per
    micro-batch of ``micro_batch_size`` sequences and per batch of ``microbatches`` (GB;
    :func:`llmcost.parallelism.tensor_parallel_traffic_bytes` over every layer) against one
    data-parallel ring all-reduce of every gradient in ``precision`` (GB), both as bytes sent per GPU."""
    d = model_dimensions(model)
    tp_step = parallelism.tensor_parallel_traffic_bytes(micro_batch_size, d["context"], d["d_model"], tensor_parallel) * d["layers"]
    dp_step = memory.zero_communication_volume(model_record(model)["params_total"], 0) * memory.bytes_per_value(precision)
    return {
        "c4_mbs_words": f"{micro_batch_size:,} sequence{'' if micro_batch_size == 1 else 's'}",
        "c4_tp_gb": (tp_step / 1e9, ",.0f", "GB"),
        "c4_dp_gb": (dp_step / 1e9, ",.0f", "GB"),
        "c4_tp_batch_gb": (tp_step * microbatches / 1e9, ",.0f", "GB"),
    }


TP_MATRICES = (("A (d × 4d): split by columns", 4, 16, "columns"), ("B (4d × d): split by rows", 16, 4, "rows"))
"""The two matrices of an MLP block as figure 4.3 draws them: name, rows, columns and the split."""


def tensor_split_blocks(tensor_parallel: int) -> pd.DataFrame:
    """Figure 4.3's blocks: for each block (``row``, ``col``) of each of :data:`TP_MATRICES`, the
    ``GPU`` that holds it when ``tensor_parallel`` GPUs split A by columns and B by rows."""
    blocks = []
    for name, rows, cols, split in TP_MATRICES:
        for r in range(rows):
            for c in range(cols):
                owner = c * tensor_parallel // cols if split == "columns" else r * tensor_parallel // rows
                blocks.append({"matrix": name, "row": r, "col": c, "GPU": f"GPU {owner}"})
    return pd.DataFrame(blocks)


def _matrix_chart(blocks: pd.DataFrame, name: str, width: int, height: int, colors):
    """One matrix of figure 4.3: its blocks of :func:`tensor_split_blocks` as squares coloured by ``colors``."""
    return alt.Chart(blocks[blocks["matrix"] == name], title=name).mark_rect(stroke="white").encode(
        x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None), color=colors).properties(width=width, height=height)


def tensor_split_chart(tensor_parallel: int):
    """Figure 4.3: :func:`tensor_split_blocks`, one square per block coloured by its GPU."""
    blocks = tensor_split_blocks(tensor_parallel)
    colors = alt.Color("GPU:N", legend=alt.Legend(orient="bottom", columns=8), sort=[f"GPU {i}" for i in range(tensor_parallel)])
    (a, *_), (b, *_) = TP_MATRICES
    return alt.hconcat(_matrix_chart(blocks, a, 320, 80, colors), _matrix_chart(blocks, b, 80, 320, colors)).properties(
        title=f"Megatron-LM's MLP on {tensor_parallel} GPUs: who holds which block")


def bubble_example(pipeline_parallel: int, microbatches: int) -> dict:
    """The pipeline's stages and micro-batches, its bubble overhead (p-1)/m and bubble fraction
    (p-1)/(m+p-1) (fractions)."""
    return {
        "c4_pp": (pipeline_parallel, ",.0f"),
        "c4_m": (microbatches, ",.0f"),
        "c4_bubble_overhead": (parallelism.bubble_overhead(pipeline_parallel, microbatches), ".1%"),
        "c4_bubble_fraction": (parallelism.bubble_fraction(pipeline_parallel, microbatches), ".1%"),
    }


BUBBLE_MEASURES = (("overhead (p-1)/m", parallelism.bubble_overhead), ("fraction (p-1)/(m+p-1)", parallelism.bubble_fraction))
"""The two measures of the pipeline bubble, by the label figure 4.4 gives them."""


def bubble_curves(pipeline_parallel: int, max_microbatches: int = 128) -> pd.DataFrame:
    """Both bubble measures (``share``, a fraction; shares above 2 dropped) against 1 to
    ``max_microbatches`` micro-batches per batch, for 4, 16, 64 and ``pipeline_parallel`` stages."""
    microbatches = np.arange(1, max_microbatches + 1)
    bubble = pd.concat([
        pd.DataFrame({"micro-batches m": microbatches, "stages": f"p = {p}", "measure": measure, "share": fn(p, microbatches)})
        for p in sorted({4, pipeline_parallel, 16, 64}) for measure, fn in BUBBLE_MEASURES
    ])
    return bubble[bubble["share"] <= 2]


def bubble_chart(pipeline_parallel: int):
    """Figure 4.4: :func:`bubble_curves`, micro-batches on a log2 axis."""
    return alt.Chart(bubble_curves(pipeline_parallel)).mark_line().encode(
        x=alt.X("micro-batches m:Q", scale=alt.Scale(type="log", base=2)),
        y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="bubble"),
        color=alt.Color("stages:N", sort=None, legend=alt.Legend(orient="bottom")),
        strokeDash=alt.StrokeDash("measure:N", legend=alt.Legend(orient="bottom")),
    ).properties(width=440, height=300, title="Pipeline bubble vs micro-batches per batch")


SCHEDULE_LABELS = {"gpipe": "GPipe: all forward, then all backward", "1f1b": "1F1B (PipeDream-Flush): one forward, one backward"}
"""Each schedule of :data:`llmcost.pipeline.SCHEDULES` as figure 4.5 names it."""


def schedules(stages: int, microbatches: int) -> dict:
    """Each pipeline schedule (:func:`llmcost.pipeline.pipeline_schedule`) of one batch, by name."""
    return {name: pipeline.pipeline_schedule(stages, microbatches, name) for name in pipeline.SCHEDULES}


def schedule_example(stages: int, microbatches: int) -> dict:
    """The drawn schedules: stages, micro-batches, the idle share of GPipe and 1F1B and the bubble
    fraction formula (fractions), the batch's time (forward passes of one stage) and the
    micro-batches stage 0 holds at once under each schedule."""
    gpipe, one_f_one_b = schedules(stages, microbatches).values()
    return {
        "c4_sched_p": (stages, ",.0f"),
        "c4_sched_m": (microbatches, ",.0f"),
        "c4_sched_bubble": (pipeline.schedule_bubble(gpipe), ".1%"),
        "c4_sched_bubble_1f1b": (pipeline.schedule_bubble(one_f_one_b), ".1%"),
        "c4_sched_formula": (parallelism.bubble_fraction(stages, microbatches), ".1%"),
        "c4_sched_makespan": (gpipe["end"].max(), ",.0f"),
        "c4_inflight_gpipe": (pipeline.in_flight_microbatches(gpipe)[0], ",.0f"),
        "c4_inflight_1f1b": (pipeline.in_flight_microbatches(one_f_one_b)[0], ",.0f"),
    }


def schedule_timeline(stages: int, microbatches: int) -> pd.DataFrame:
    """Figure 4.5's bars: every pass of :func:`schedules` with its ``schedule`` label and ``stage_label``."""
    return pd.concat([
        pd.DataFrame(sched).assign(schedule=SCHEDULE_LABELS[name], stage_label=lambda d: "stage " + d["stage"].astype(str))
        for name, sched in schedules(stages, microbatches).items()
    ])


def schedule_chart(stages: int, microbatches: int):
    """Figure 4.5: GPipe and 1F1B, each pass a bar (time in forward passes of one stage) on its stage."""
    bars = alt.Chart(schedule_timeline(stages, microbatches)).encode(
        x=alt.X("start:Q", title="time (forward passes of one stage)"), x2="end:Q",
        y=alt.Y("stage_label:N", title=None, sort=[f"stage {s}" for s in range(stages)]),
    )
    passes = bars.mark_bar(stroke="white", strokeWidth=1).encode(
        color=alt.Color("pass:N", scale=alt.Scale(domain=["forward", "backward"], range=["#4c78a8", "#f58518"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["schedule:N", "stage:Q", alt.Tooltip("microbatch:Q", title="micro-batch"), "pass:N",
                 alt.Tooltip("start:Q", title="starts at"), alt.Tooltip("end:Q", title="ends at")])
    numbers = bars.mark_text(color="white", fontSize=9, dx=2, align="left").encode(text="microbatch:N")
    header = alt.Header(labelAngle=0, labelOrient="top", labelAnchor="start", labelFontWeight="bold")
    return (passes + numbers).properties(width=400, height=24 * stages).facet(
        row=alt.Row("schedule:N", title=None, sort=[SCHEDULE_LABELS["gpipe"]], header=header)).properties(
        title=f"One batch through {stages} stages in {microbatches} micro-batches")


def gradient_bytes(model: str, precision: str) -> float:
    """Bytes of ``model``'s gradients in ``precision``: the message a data-parallel all-reduce sums."""
    return model_record(model)["params_total"] * memory.bytes_per_value(precision)


def allreduce_example(model: str, precision: str) -> dict:
    """``c4_grad_gb``: the gradients a data-parallel step all-reduces (GB)."""
    return {"c4_grad_gb": (gradient_bytes(model, precision) / 1e9, ",.0f", "GB")}


def allreduce_rows(model: str, precision: str, ranks=ALLREDUCE_RANKS) -> pd.DataFrame:
    """Per number of ``ranks``: GB each rank sends in a ring all-reduce of the gradients
    (``ring``) and GB through a parameter server (``server``)."""
    grad = gradient_bytes(model, precision)
    comm = pd.DataFrame({"ranks": list(ranks)})
    comm["ring"] = parallelism.ring_allreduce_bytes(grad, comm["ranks"].to_numpy()) / 1e9
    comm["server"] = parallelism.parameter_server_bytes(grad, comm["ranks"].to_numpy()) / 1e9
    return comm


def allreduce_table(model: str, precision: str):
    """Table 4.5 for display: :func:`allreduce_rows`."""
    return table(allreduce_rows(model, precision), {"ranks": ",.0f", "ring": "sig3", "server": "sig3"},
                 {"ranks": "ranks n", "ring": "ring: GB sent per rank", "server": "parameter server: GB through the server"})


def megatron_layout(claims: dict) -> dict:
    """The 3,072-GPU layout of seed 003 (Narayanan et al. 2021): its tensor, pipeline and data
    parallel sizes, GPUs and servers, GPUs per model replica, aggregate (PFLOP/s) and per-GPU
    (TFLOP/s) throughput and its share of the A100's bf16 peak (a hardware FLOPs utilization) and
    the model's share of it (6PD of 8PD: an MFU), and the mixed-precision Adam
    states per GPU (GB) of a 1-trillion-parameter model split over one replica."""
    layout = claims["003-megatron-3072"]["inputs"]
    n_gpus = parallelism.layout_gpus(layout["tensor_parallel"], layout["pipeline_parallel"], layout["data_parallel"])
    replica = layout["tensor_parallel"] * layout["pipeline_parallel"]
    per_gpu = MEGATRON_PFLOPS / n_gpus
    values = {f"c4_layout_{key}": (layout[key], ",.0f") for key in ("tensor_parallel", "pipeline_parallel", "data_parallel")}
    return values | {
        "c4_layout_gpus": (n_gpus, ",.0f"),
        "c4_layout_model_gpus": (replica, ",.0f"),
        "c4_layout_servers": (servers(n_gpus), ",.0f"),
        "c4_layout_pflops": (MEGATRON_PFLOPS / 1e15, ",.0f", "PFLOP/s"),
        "c4_layout_per_gpu": (per_gpu / 1e12, ",.0f", "TFLOP/s"),
        "c4_layout_share": (per_gpu / peak_flops("a100", "bf16"), ".0%"),
        # their count includes the recomputed forward pass (8PD): the model's own work is 6PD of it
        "c4_layout_model_share": (per_gpu / peak_flops("a100", "bf16") * flops.training_flops(1, 1) / flops.training_flops(1, 1, recompute=True), ".0%"),
        "c4_layout_states_gb": (memory.zero_bytes_per_gpu(1e12 / replica, 1, 0) / 1e9, ",.0f", "GB"),
    }
