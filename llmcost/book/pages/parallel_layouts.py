"""Chapter 4, second half: tensor parallelism in more dimensions, sequence parallelism, the memory
tiers of a node, and the automatic search of a layout.

Worked examples as dicts of glued values (for :func:`llmcost.book.glue_all`) and display tables.
``model`` and ``gpu`` are names of the models and accelerators datasets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...catalog import datasets, hardware
from ...formulas import memory, parallelism
from ...running import layout_search
from ...running.architecture import architecture, params_from_architecture
from ..tables import table

SCHEME_GRIDS = (("1D", 64, 1, "shoeybi2019megatron"), ("2D", 64, 1, "xu2021optimus"), ("2.5D", 64, 4, "wang2022tesseract"),
                ("3D", 64, 1, "bian2021maximizing"))
"""The schemes of the comparison on 64 devices: (scheme, devices, depth of 2.5D, the scheme's paper)."""

TOP_LAYOUTS = 8
"""Layouts the search table shows."""


def scheme_rows() -> pd.DataFrame:
    """:func:`llmcost.running.layout_search.tensor_parallel_scheme` for each of :data:`SCHEME_GRIDS`: grid,
    parameter and activation share per device, bandwidth term, latency steps, source."""
    rows = []
    for scheme, devices, depth, paper in SCHEME_GRIDS:
        cost = layout_search.tensor_parallel_scheme(scheme, devices, depth)
        q = cost["q"]
        grid = {"1D": f"{q}", "2D": f"{q} x {q}", "2.5D": f"{depth} x {q} x {q}", "3D": f"{q} x {q} x {q}"}[scheme]
        rows.append({"scheme": scheme, "grid": grid, "param_share": f"1/{round(1 / cost['param_share'])}",
                     "activation_share": "1" if cost["activation_share"] == 1 else f"1/{round(1 / cost['activation_share'])}",
                     "bandwidth": cost["bandwidth"], "latency_steps": cost["latency_steps"], "source": paper})
    return pd.DataFrame(rows)


def scheme_table():
    """:func:`scheme_rows` for display."""
    return table(scheme_rows(), {"bandwidth": "sig3", "latency_steps": ",.0f"},
                 {"grid": "grid of 64 devices", "param_share": "weights per device", "activation_share": "activations per device",
                  "bandwidth": "bandwidth term", "latency_steps": "latency (collective steps)"})


def sequence_example(model: str, tensor_parallel: int, micro_batch_size: int) -> dict:
    """Sequence parallelism for ``model`` at its context: Megatron's (activations per layer without
    and with it, MB, at ``tensor_parallel``) and ring self-attention's traffic per layer against
    tensor parallelism's at the same split (MB). Glue names ``c4_sp_*``."""
    arch = architecture(model)
    seq, hidden, heads = arch.context, arch.d_model, arch.heads
    without = memory.activation_bytes_per_layer(seq, micro_batch_size, hidden, heads, tensor_parallel, False)
    with_sp = memory.activation_bytes_per_layer(seq, micro_batch_size, hidden, heads, tensor_parallel, True)
    ring = parallelism.ring_self_attention_bytes(micro_batch_size, seq, heads, hidden // heads, tensor_parallel)
    megatron = parallelism.tensor_parallel_traffic_bytes(micro_batch_size, seq, hidden, tensor_parallel)
    return {
        "c4_sp_model": datasets.model(model)["name"],
        "c4_sp_t": (tensor_parallel, ",.0f"),
        "c4_sp_without_mb": (without / 1e6, "sig3", "MB"),
        "c4_sp_with_mb": (with_sp / 1e6, "sig3", "MB"),
        "c4_sp_saving": (1 - with_sp / without, ".0%"),
        "c4_sp_ring_mb": (ring / 1e6, "sig3", "MB"),
        "c4_sp_tp_mb": (megatron / 1e6, "sig3", "MB"),
        "c4_sp_hidden": (hidden, ",.0f"),
        "c4_sp_tokens": (micro_batch_size * seq, ",.0f"),
    }


def optimizer_share_bytes(model: str, precision: str, optimizer: str, data_parallel: int) -> float:
    """One GPU's share of ``model``'s optimizer states under ZeRO over ``data_parallel`` ranks, bytes."""
    states = params_from_architecture(architecture(model)) * memory.state_bytes_per_param(precision, optimizer)["optimizer"]
    return states / data_parallel


def link_rows(model: str, precision: str, optimizer: str, data_parallel: int) -> pd.DataFrame:
    """Every link of a DGX A100 and a DGX H100 node, fastest first within each node: the
    accelerator's HBM and NVLink (one way, from the dataset), then :data:`llmcost.hardware.NODE_LINKS`;
    with the seconds each needs to move one GPU's share of ``model``'s optimizer states under
    ZeRO over ``data_parallel`` ranks (which ZeRO-Offload keeps in CPU memory, with the gradients),
    a CPU socket's rate shared by the :data:`llmcost.hardware.GPUS_PER_SOCKET` GPUs on it."""
    share = optimizer_share_bytes(model, precision, optimizer, data_parallel)
    rows = []
    for node, gpu in hardware.NODE_ACCELERATORS.items():
        spec = datasets.accelerator(gpu)
        rows += [{"node": node, "link": f"{spec['name']} HBM", "gbps": spec["bandwidth_gbps"], "measures": "datasheet",
                  "source": spec["source"]},
                 {"node": node, "link": "NVLink, GPU to GPU", "gbps": spec["interconnect_gbps"] / 2,
                  "measures": "half the datasheet's two-way rate", "source": spec["source"]}]
        rows += [{"node": n, "link": link, "gbps": gbps, "measures": f"{measures} ({how})", "source": source}
                 for n, link, gbps, measures, source, how in hardware.NODE_LINKS if n == node]
    frame = pd.DataFrame(rows)
    # a socket's memory is shared by the GPUs on it: each gets its share of the rate
    per_gpu = frame["gbps"] / frame["link"].str.contains("per socket").map({True: hardware.GPUS_PER_SOCKET, False: 1})
    frame["measures"] = [m + (f"; shared by {hardware.GPUS_PER_SOCKET} GPUs" if "per socket" in link else "")
                         for m, link in zip(frame["measures"], frame["link"])]
    frame["seconds"] = share / (per_gpu * 1e9)
    return frame


def link_table(model: str, precision: str, optimizer: str, data_parallel: int):
    """:func:`link_rows` for display."""
    return table(link_rows(model, precision, optimizer, data_parallel), {"gbps": "auto", "seconds": "sig3"},
                 {"gbps": "GB/s one way", "measures": "what the rate is", "seconds": "seconds to move the states"})


def link_example(model: str, precision: str, optimizer: str, data_parallel: int) -> dict:
    """The optimizer states moved in :func:`link_table` (GB per GPU) and the slowest and fastest
    link's times for them. Glue names ``c4_tier_*``."""
    rows = link_rows(model, precision, optimizer, data_parallel)
    return {
        "c4_tier_gb": (optimizer_share_bytes(model, precision, optimizer, data_parallel) / 1e9, "sig3", "GB"),
        "c4_tier_ranks": (data_parallel, ",.0f"),
        "c4_tier_hbm_s": (rows["seconds"].min(), "sig3", "s"),
        "c4_tier_slowest_s": (rows["seconds"].max(), "sig3", "s"),
        "c4_tier_slowest": rows.loc[rows["seconds"].idxmax(), "link"],
        "c4_tier_ratio": (rows["seconds"].max() / rows["seconds"].min(), "sig3"),
    }


def search(model: str, gpu: str, precision: str, optimizer: str, gpus: int, global_batch: int) -> pd.DataFrame:
    """:func:`llmcost.running.layout_search.search_layouts` of ``model`` at its context on ``gpus``
    of ``gpu`` (with its node's network, :func:`llmcost.hardware.default_network_gbps`)."""
    return layout_search.search_layouts(model, gpu, gpus, global_batch, precision=precision, optimizer=optimizer)


LAYOUT_COLUMNS = {"tensor_parallel": "t", "pipeline_parallel": "p", "data_parallel": "d", "micro_batch": "micro-batch",
                  "zero_stage": "ZeRO", "recompute": "recompute", "sequence_parallel": "seq. par.",
                  "memory_gb": "GB per GPU", "step_s": "step (s)", "mfu": "MFU"}
"""The columns of the layout table, with their headers."""


def layouts_table(layouts: pd.DataFrame):
    """The :data:`TOP_LAYOUTS` fastest fitting layouts of :func:`search`, one per (t, p, d,
    micro-batch), each with the least memory of its ties."""
    fitting = layouts[layouts["fits"]].drop_duplicates(["tensor_parallel", "pipeline_parallel", "micro_batch"])
    shown = fitting.head(TOP_LAYOUTS)[list(LAYOUT_COLUMNS)].reset_index(drop=True)
    shown.insert(0, "rank", [f"{i + 1}" for i in range(len(shown))])
    shown["sequence_parallel"] = shown["sequence_parallel"].map({True: "yes", False: "no"})
    return table(shown, {"memory_gb": "sig3", "step_s": ",.2f", "mfu": ".0%"}, LAYOUT_COLUMNS)


def why_table(layouts: pd.DataFrame, gpu: str):
    """:func:`llmcost.running.layout_search.why_it_wins` for display."""
    why = layout_search.why_it_wins(layouts, datasets.accelerator(gpu)["memory_gb"])
    def shown(value):
        return {True: "yes", False: "no"}.get(value, str(value)) if isinstance(value, (bool, np.bool_)) else str(value)

    why["winner"], why["alternative"] = why["winner"].map(shown), why["alternative"].map(shown)
    return table(why, {"step_s": ",.2f", "slower": ".3f"},
                 {"winner": "winner's choice", "alternative": "best other choice", "step_s": "its step (s)",
                  "slower": "its step / winner's", "why": "why the winner wins"})


def search_example(layouts: pd.DataFrame, model: str, gpu: str, gpus: int, global_batch: int) -> dict:
    """The search's inputs and its winner (layout, memory, step parts, MFU). Glue names ``c4_auto_*``."""
    best = layout_search.best_layout(layouts, datasets.accelerator(gpu)["memory_gb"])
    return {
        "c4_auto_model": datasets.model(model)["name"],
        "c4_auto_gpu": datasets.accelerator(gpu)["name"],
        "c4_auto_gpus": (gpus, ",.0f"),
        "c4_auto_batch": (global_batch, ",.0f"),
        "c4_auto_count": (len(layouts), ",.0f"),
        "c4_auto_fit": (int(layouts["fits"].sum()), ",.0f"),
        "c4_auto_layout": f"t = {best['tensor_parallel']}, p = {best['pipeline_parallel']}, d = {best['data_parallel']}",
        "c4_auto_micro": (best["micro_batch"], ",.0f"),
        "c4_auto_zero": (best["zero_stage"], ",.0f"),
        "c4_auto_recompute": best["recompute"],
        "c4_auto_memory": (best["memory_gb"], "sig3", "GB"),
        "c4_auto_step": (best["step_s"], "sig3", "s"),
        "c4_auto_compute_share": (best["compute_s"] / best["step_s"], ".0%"),
        "c4_auto_mfu": (best["mfu"], ".0%"),
        "c4_auto_network": (hardware.default_network_gbps(gpu), "sig3", "GB/s"),
    }


def megatron_check() -> dict:
    """The search on Narayanan et al.'s GPT-3 run (:data:`llmcost.running.layout_search.MEGATRON_GPT3`):
    its tensor-parallel choice, and the TFLOP/s per GPU it predicts with full recomputation (as the
    paper counts) against the 140 measured. Glue names ``c4_meg_*``."""
    run = layout_search.MEGATRON_GPT3
    layouts = layout_search.search_layouts(run["model"], run["gpu"], run["gpus"], run["global_batch"], run["seq"])
    best = layout_search.best_layout(layouts, datasets.accelerator(run["gpu"])["memory_gb"])
    recomputed = layouts[layouts["fits"] & (layouts["recompute"] == run["recompute"])].iloc[0]
    return {
        "c4_meg_gpus": (run["gpus"], ",.0f"),
        "c4_meg_batch": (run["global_batch"], ",.0f"),
        "c4_meg_t": (best["tensor_parallel"], ",.0f"),
        "c4_meg_t_paper": (run["tensor_parallel"], ",.0f"),
        "c4_meg_predicted": (recomputed["tflops_per_gpu"], "sig3"),
        "c4_meg_measured": (run["tflops_per_gpu"], ",.0f"),
        "c4_meg_ratio": (run["tflops_per_gpu"] / recomputed["tflops_per_gpu"], ".0%"),
        "c4_meg_efficiency": (layout_search.COMPUTE_EFFICIENCY, ".0%"),
    }

