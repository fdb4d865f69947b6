"""The book's formulas in one table: each with its units, the llmcost function that computes it,
its source, and a worked example that the tests recompute independently of the function.

:data:`FORMULAS` is what the book's appendix page *Formulas* lists (``formulas.md``, written by
:func:`page`); ``tests/test_formulas.py`` checks that each function gives, for its example, what
the formula written out by hand gives, and that the page is current.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from ..catalog import defaults


@dataclass(frozen=True)
class Formula:
    """One formula: ``latex`` as the book prints it, ``units`` of the result and of the inputs,
    ``function`` (``module.name`` in llmcost), ``source`` (a BibTeX key), ``example`` (keyword
    arguments of the function) and ``by_hand`` (the same formula as plain arithmetic on them)."""

    topic: str
    name: str
    latex: str
    units: str
    function: str
    source: str
    example: dict = field(default_factory=dict)
    by_hand: Callable = None

    def computed(self) -> float:
        """The function's result for :attr:`example`."""
        import llmcost

        module, name = self.function.rsplit(".", 1)
        return getattr(getattr(llmcost, module), name)(**self.example)


FORMULAS = (
    Formula("compute", "Training FLOPs", r"C = 6 P D", "FLOP; P parameters (active), D tokens",
            "flops.training_flops", "kaplan2020scaling", {"params": 175e9, "tokens": 300e9}, lambda e: 6 * e["params"] * e["tokens"]),
    Formula("compute", "Training FLOPs with recomputation", r"C = 8 P D", "FLOP",
            "flops.training_flops", "narayanan2021megatron", {"params": 175e9, "tokens": 300e9, "recompute": True},
            lambda e: 8 * e["params"] * e["tokens"]),
    Formula("compute", "Inference FLOPs", r"C = 2 P D", "FLOP; D tokens processed, prompt and generated alike (weights only: attention adds with the context)",
            "flops.inference_flops", "kaplan2020scaling", {"params": 175e9, "tokens": 1e6}, lambda e: 2 * e["params"] * e["tokens"]),
    Formula("compute", "Attention FLOPs per training token", r"12\, L\, (H Q)\, T \;(\times \tfrac12 \text{ causal})",
            "FLOP per token; L layers, H heads of width Q, T context", "flops.attention_flops_per_token", "chowdhery2022palm",
            {"layers": 96, "d_model": 12288, "context": 2048}, lambda e: 12 * e["layers"] * e["d_model"] * e["context"]),
    Formula("compute", "Active parameters of a mixture of experts", r"P_\text{active} = k\, P_\text{expert} + P_\text{shared}",
            "parameters; k experts routed per token", "flops.moe_active_params", "patel2023gpt4",
            {"expert_params": 111e9, "experts_routed": 2, "shared_params": 55e9},
            lambda e: e["experts_routed"] * e["expert_params"] + e["shared_params"]),
    Formula("compute", "Petaflop/s-days", r"C / (10^{15} \times 86\,400)", "PF/s-days; C in FLOP",
            "flops.to_pfs_days", "brown2020gpt3", {"flop": 3.14e23}, lambda e: e["flop"] / (1e15 * 86400)),
    Formula("time", "Accelerator-hours", r"\text{GPU-h} = C / (\text{peak} \times u \times 3600)",
            "hours; peak in FLOP/s, u utilization", "cluster.gpu_hours", "seed000",
            {"flops": 3.15e23, "peak_flops": 312e12, "utilization": defaults.REFERENCE_MFU.value}, lambda e: e["flops"] / (e["peak_flops"] * e["utilization"] * 3600)),
    Formula("time", "Wall-clock days", r"\text{days} = \text{GPU-h} / (24\, N)", "days; N accelerators",
            "cluster.wall_days", "seed000", {"gpu_hours": 606_700, "gpus": 1000}, lambda e: e["gpu_hours"] / (24 * e["gpus"])),
    Formula("time", "Implied utilization", r"u = C / (\text{peak} \times \text{GPU-h} \times 3600)", "fraction",
            "cluster.implied_utilization", "chowdhery2022palm", {"flops": 2.5288e24, "peak_flops": 275e12, "gpu_hours": 8_404_992},
            lambda e: e["flops"] / (e["peak_flops"] * e["gpu_hours"] * 3600)),
    Formula("money", "Rental cost", r"\$ = \text{GPU-h} \times p", "USD; p USD per accelerator-hour",
            "cost.rental_cost", "aws2024capacityblocks", {"gpu_hours": 606_700, "usd_per_gpu_hour": 1.84},
            lambda e: e["gpu_hours"] * e["usd_per_gpu_hour"]),
    Formula("money", "Cost per 1,000 tokens", r"\$_{1k} = p \times s_\text{token} \times 1000 / 3600",
            "USD; s accelerator-seconds per token", "cost.usd_per_1k_tokens", "seed000",
            {"usd_per_gpu_hour": 2.4, "gpu_seconds_per_token": 0.01}, lambda e: e["usd_per_gpu_hour"] * e["gpu_seconds_per_token"] * 1000 / 3600),
    Formula("energy", "Energy", r"E = \text{GPU-h} \times W \times \text{PUE} / 10^6", "MWh; W watts per accelerator",
            "energy.energy_mwh", "patterson2021carbon", {"gpu_hours": 3_552_000, "power_w": 330, "pue": 1.1},
            lambda e: e["gpu_hours"] * e["power_w"] * e["pue"] / 1e6),
    Formula("energy", "Emissions", r"\text{CO}_2\text{e} = E \times g", "t CO2e; E in MWh, g kg CO2e per kWh",
            "energy.co2_tonnes", "patterson2021carbon", {"energy_mwh": 1287, "grid_kg_per_kwh": 0.429},
            lambda e: e["energy_mwh"] * e["grid_kg_per_kwh"]),
    Formula("energy", "Power drawn over a run", r"W = \text{TDP} \times (i + (1 - i)\, b)",
            "W per accelerator; i idle share of TDP, b share of the run computing", "energy.drawn_power_w", "wilicc2024gpuburn",
            {"tdp_w": 700.0, "busy_share": 0.66}, lambda e: e["tdp_w"] * (_idle() + (1 - _idle()) * e["busy_share"])),
    Formula("energy", "A node's power per accelerator", r"W = s \times W_\text{node} / n",
            "W; s share of the rated maximum drawn, n accelerators per node", "energy.node_power_per_accelerator_w",
            "latif2025singlenode", {"node_power_w": 10200.0, "node_accelerators": 8, "draw_share": 0.79},
            lambda e: e["draw_share"] * e["node_power_w"] / e["node_accelerators"]),
    Formula("memory", "Model states per GPU under ZeRO-1", r"(2 + 2)\, P + 12\, P / N", "bytes; optimizer states sharded over N ranks",
            "memory.zero_bytes_per_gpu", "rajbhandari2020zero", {"params": 175e9, "data_parallel": 64, "stage": 1},
            lambda e: 4 * e["params"] + 12 * e["params"] / e["data_parallel"]),
    Formula("memory", "Model states per GPU under ZeRO-2", r"2\, P + (2 + 12)\, P / N", "bytes; gradients sharded too",
            "memory.zero_bytes_per_gpu", "rajbhandari2020zero", {"params": 175e9, "data_parallel": 64, "stage": 2},
            lambda e: 2 * e["params"] + 14 * e["params"] / e["data_parallel"]),
    Formula("memory", "Model states per GPU under ZeRO-3", r"(2 + 2 + 12)\, P / N", "bytes; mixed-precision Adam, N data-parallel ranks",
            "memory.zero_bytes_per_gpu", "rajbhandari2020zero", {"params": 175e9, "data_parallel": 64, "stage": 3},
            lambda e: 16 * e["params"] / e["data_parallel"]),
    Formula("memory", "Activations per layer", r"s b h \left(34 + 5 a s / h\right)", "bytes; s sequence, b micro-batch, h width, a heads",
            "memory.activation_bytes_per_layer", "korthikanti2022reducing", {"seq": 2048, "batch": 1, "hidden": 12288, "heads": 96},
            lambda e: e["seq"] * e["batch"] * e["hidden"] * (34 + 5 * e["heads"] * e["seq"] / e["hidden"])),
    Formula("memory", "KV cache", r"2\, L\, d_{kv}\, T\, b \times \text{bytes}", "bytes; d_kv = KV heads x head width",
            "memory.kv_cache_bytes", "pope2023inference", {"layers": 80, "kv_dim": 1024, "context": 4096, "batch": 8},
            lambda e: 2 * e["layers"] * e["kv_dim"] * e["context"] * e["batch"] * 2),
    Formula("parallelism", "Pipeline bubble", r"(p - 1) / (m + p - 1)", "fraction of wall time; p stages, m micro-batches",
            "parallelism.bubble_fraction", "huang2019gpipe", {"stages": 8, "microbatches": 32},
            lambda e: (e["stages"] - 1) / (e["microbatches"] + e["stages"] - 1)),
    Formula("parallelism", "Ring all-reduce traffic per rank", r"2 (n - 1) / n \times S", "bytes; S message bytes, n ranks",
            "parallelism.ring_allreduce_bytes", "patarasuk2009ringallreduce", {"message_bytes": 350e9, "ranks": 64},
            lambda e: 2 * (e["ranks"] - 1) / e["ranks"] * e["message_bytes"]),
    Formula("parallelism", "All-reduce latency (NCCL's cost model)", r"(6.6 + 2 (n - 1) \times 0.6) \times 10^{-6}",
            "seconds per all-reduce on one NVLink server; n GPUs (0 for one)", "serving.allreduce_latency_seconds",
            "nvidia2026nccltuning", {"gpus": 8}, lambda e: (6.6 + 2 * (e["gpus"] - 1) * 0.6) * 1e-6),
    Formula("serving", "Decode-step floor (HBM read)", r"(\text{bytes}_w + b\, T\, \text{bytes}_{kv}) / (N \times \text{BW})",
            "seconds; BW HBM bytes/s per accelerator", "serving.hbm_read_seconds", "pope2023inference",
            {"model": "llama-2-70b", "gpu": "a100", "gpus": 4, "batch": 1, "context": 0},
            lambda e: _weights_bytes(e["model"]) / (e["gpus"] * _bandwidth(e["gpu"]))),
    Formula("serving", "Prefill time (compute-bound)", r"t_\text{prefill} = 2 P T / (N \times \text{peak} \times u)",
            "seconds; T prompt tokens, N accelerators", "decoding.prefill_seconds", "pope2023inference",
            {"params": 70e9, "prompt_tokens": 2000, "peak_flops": 989e12, "utilization": 0.5, "accelerators": 4},
            lambda e: 2 * e["params"] * e["prompt_tokens"] / (e["accelerators"] * e["peak_flops"] * e["utilization"])),
    Formula("serving", "Cost per 1,000 generated tokens (compute-bound)", r"\$_{1k} = p / 3600 \times 2 P / (\text{peak} \times u) \times 1000",
            "USD; p USD per accelerator-hour", "cost.serving_cost_per_1k_tokens", "seed000",
            {"params": 175e9, "usd_per_gpu_hour": 2.0, "peak_flops": 312e12, "utilization": 0.5},
            lambda e: e["usd_per_gpu_hour"] / 3600 * 2 * e["params"] / (e["peak_flops"] * e["utilization"]) * 1000),
    Formula("parallelism", "Tensor-parallel traffic per layer and micro-batch", r"8\, b\, s\, h\, (t - 1) / t \times \text{bytes}",
            "bytes each device sends; t tensor-parallel size", "parallelism.tensor_parallel_traffic_bytes", "narayanan2021megatron",
            {"batch": 1, "seq": 2048, "hidden": 12288, "tensor_parallel": 8},
            lambda e: 8 * e["batch"] * e["seq"] * e["hidden"] * (e["tensor_parallel"] - 1) / e["tensor_parallel"] * 2),
    Formula("parallelism", "Ring self-attention traffic per layer", r"8 (N - 1)\, B\, Z\, (L / N)\, A \times \text{bytes}",
            "bytes each device sends; Z heads of width A, L tokens over N devices", "parallelism.ring_self_attention_bytes",
            "li2023sequence", {"batch": 1, "seq": 2048, "heads": 96, "head_dim": 128, "devices": 8},
            lambda e: 8 * (e["devices"] - 1) * e["batch"] * e["heads"] * e["seq"] / e["devices"] * e["head_dim"] * 2),
)
"""Every formula the book uses, by topic."""


def _idle() -> float:
    from ..formulas.energy import IDLE_SHARE

    return IDLE_SHARE


def _weights_bytes(model: str) -> float:
    from ..running.architecture import params_from_architecture

    return 2.0 * params_from_architecture(model)


def _bandwidth(gpu: str) -> float:
    from ..catalog.datasets import accelerator

    return accelerator(gpu)["bandwidth_gbps"] * 1e9


def page() -> str:
    """The appendix page *Formulas* (MyST Markdown): one table per topic."""
    lines = ["# Formulas", "",
             "Every formula the book computes with, its units, the `llmcost` function that computes it and its",
             "source. Each row has a worked example (`llmcost.book.formula_page.FORMULAS`) that the tests compute",
             "twice, from the formula as written here and with the function, and the two must agree.", ""]
    for topic in dict.fromkeys(f.topic for f in FORMULAS):
        lines += [f"## {topic.capitalize()}", "", "| quantity | formula | units | function | source |", "| --- | --- | --- | --- | --- |"]
        for f in (f for f in FORMULAS if f.topic == topic):
            lines.append(f"| {f.name} | ${f.latex}$ | {f.units} | `llmcost.{f.function}` | {{cite:p}}`{f.source}` |")
        lines.append("")
    return "\n".join(lines)


def agree(formula: Formula, rel: float = 1e-9) -> bool:
    """Whether the function and the formula written out by hand give the same example value."""
    return math.isclose(formula.computed(), formula.by_hand(formula.example), rel_tol=rel)
