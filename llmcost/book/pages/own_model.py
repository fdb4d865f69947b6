"""Chapter 9, cost your own model: a Hugging Face ``config.json`` (or the worked example's) read
into an architecture record, then trained and served with the same formulas as every other page
and as ``llmcost train`` / ``llmcost serve``, whose commands the chapter prints."""

from __future__ import annotations

import pandas as pd

from .. import chapter_parameters as parameters
from .serving import SERVING_SPECS
from ...catalog import datasets, hardware
from ...core.validate import InputError
from ...formulas.estimate import training_estimate
from ...running import architecture, serving

EXAMPLE = "configs/qwen2.5-7b.json"
"""The worked example's config.json in the data directory: Qwen2.5-7B, a model that is not in the dataset."""


def check_parameters(*, model, tokens, context, gpu, precision, gpus, mfu, usd_per_gpu_hour, power_w, pue, grid_kg_per_kwh,
                     serving_gpus, batch, prompt_tokens, output_tokens) -> tuple[str, str]:
    """Check every parameter of chapter 9; ``model`` None is the worked example. Returns the
    config's path and the accelerator's id; raises InputError naming the parameter."""
    if model is not None and not (isinstance(model, str) and model.endswith(".json")):
        raise InputError(f"model must be a path to a Hugging Face config.json (or None for the worked example), got {model!r}")
    config = parameters.check_architecture("model", str(datasets.data_path(EXAMPLE)) if model is None else model)
    gpu = parameters.check_name("gpu", gpu, "gpu", facts=SERVING_SPECS, precision=precision)
    parameters.check_quantity("tokens", tokens, "tokens")
    parameters.check_count("context", context, 10_000_000, why="tokens per training sequence")
    parameters.check_quantity("gpus", gpus, "gpus")
    parameters.check_quantity("mfu", mfu, "utilization")
    parameters.check_quantity("usd_per_gpu_hour", usd_per_gpu_hour, "usd_per_gpu_hour")
    parameters.check_quantity("power_w", power_w, "power_w")
    parameters.check_quantity("pue", pue, "pue")
    parameters.check_quantity("grid_kg_per_kwh", grid_kg_per_kwh, "grid_kg_per_kwh")
    parameters.check_count("serving_gpus", serving_gpus, 64, why="a tensor-parallel group of at most 64 accelerators")
    serving.kv_copies(config, serving_gpus, "serving_gpus")
    parameters.check_quantity("batch", batch, "batch")
    parameters.check_count("prompt_tokens", prompt_tokens, 1_000_000, why="tokens per sequence")
    parameters.check_count("output_tokens", output_tokens, 1_000_000, why="tokens per sequence")
    serving.check_context(config, prompt_tokens + output_tokens, "prompt_tokens + output_tokens")
    try:
        served(config, gpu, serving_gpus=serving_gpus, batch=batch, prompt_tokens=prompt_tokens, output_tokens=output_tokens,
               precision=precision, usd_per_gpu_hour=usd_per_gpu_hour, power_w=power_w, pue=pue)
    except InputError as error:
        raise InputError(f"serving_gpus={serving_gpus} with batch={batch}: {error}") from None
    return config, gpu


def parts_table(config) -> pd.DataFrame:
    """The config's parameters by part, count and share of the total."""
    counts = architecture.parameter_counts(config)
    parts = ["attention", "mlp", "router", "norms", "embeddings"]
    frame = pd.DataFrame({"part": parts, "parameters": [counts[p] for p in parts]})
    frame["share"] = frame["parameters"] / counts["total"]
    return frame[frame["parameters"] > 0]


def training(config, *, tokens, context, gpu, precision, gpus, mfu, usd_per_gpu_hour, power_w, pue, grid_kg_per_kwh) -> dict:
    """:func:`llmcost.estimate.training_estimate` of the config: its active parameters, its
    attention at ``context`` tokens per sequence, the accelerator's datasheet peak; the same
    numbers as ``llmcost train --model CONFIG --context ...`` (a test checks)."""
    active = architecture.parameter_counts(config)["active"]
    attention = architecture.attention_for_convention("6PD+attention", config, context)
    return training_estimate(active, tokens, hardware.peak_flops(datasets.accelerator(gpu), precision), mfu,
                             attention_flops_per_token=attention, gpus=gpus, usd_per_gpu_hour=usd_per_gpu_hour,
                             power_w=power_w, pue=pue, grid_kg_per_kwh=grid_kg_per_kwh)


def served(config, gpu, *, serving_gpus, batch, prompt_tokens, output_tokens, precision, usd_per_gpu_hour, power_w, pue) -> dict:
    """:func:`llmcost.serving.serving_estimate` of the config, as ``llmcost serve`` gives it."""
    return serving.serving_estimate(config, gpu, gpus=serving_gpus, batch=batch, prompt_tokens=prompt_tokens,
                                    output_tokens=output_tokens, precision=precision, usd_per_gpu_hour=usd_per_gpu_hour,
                                    power_w=power_w, pue=pue)


def worked_example(config, gpu, run: dict, serve: dict, *, tokens, context, gpus, serving_gpus, batch, prompt_tokens,
                   output_tokens) -> dict:
    """The glued values of the chapter: the config's counts, the training run and the service."""
    counts = architecture.parameter_counts(config)
    record = architecture.architecture(config)
    return {
        "c9_model": record.name,
        "c9_total": (counts["total"], "words"),
        "c9_active": (counts["active"], "words"),
        "c9_layers": (record.layers, ",.0f"),
        "c9_kv_kb": (architecture.kv_cache_bytes_per_token(config, "bf16") / 1e3, ",.0f", "KB"),
        "c9_tokens": (tokens, "words"),
        "c9_context": (context, ",.0f"),
        "c9_flops": (run["flops"], "sci", "FLOP"),
        "c9_gpu": datasets.accelerator(gpu)["name"],
        "c9_gpus": (gpus, ",.0f"),
        "c9_gpu_hours": (run["gpu_hours"], "sig3"),
        "c9_days": (run["wall_days"], "sig3", "days"),
        "c9_cost": (run["cost_usd"] / 1e6, ",.2f", "million USD"),
        "c9_mwh": (run["energy_mwh"], ",.0f", "MWh"),
        "c9_co2": (run["co2_t"], ",.0f", "t CO2e"),
        "c9_serving_gpus": (serving_gpus, ",.0f"),
        "c9_batch": (batch, ",.0f"),
        "c9_prompt": (prompt_tokens, ",.0f"),
        "c9_output": (output_tokens, ",.0f"),
        "c9_step_ms": (serve["decode_s_per_step"] * 1e3, ",.2f", "ms"),
        "c9_bound": serve["bound"],
        "c9_usd_out": (serve["usd_per_1k_output_tokens"], ",.5f", "USD"),
        "c9_usd_in": (serve["usd_per_1k_input_tokens"], ",.6f", "USD"),
        "c9_wh_out": (serve["wh_per_1k_output_tokens"], ",.2f", "Wh"),
    }


def commands(model, *, tokens, context, gpu, precision, gpus, mfu, usd_per_gpu_hour, power_w, pue, grid_kg_per_kwh, serving_gpus,
             batch, prompt_tokens, output_tokens) -> str:
    """The ``llmcost`` commands that give this chapter's numbers for ``model`` (a path as the reader types it)."""
    path = "path/to/config.json" if model is None else model
    return "\n".join([
        f"llmcost train --model {path} --tokens {tokens:g} --context {context} --gpu {gpu} --precision {precision} "
        f"--gpus {gpus} --mfu {mfu:g} --price {usd_per_gpu_hour:g} --power-w {power_w:g} --pue {pue:g} --grid {grid_kg_per_kwh:g}",
        f"llmcost serve --model {path} --gpu {gpu} --precision {precision} --gpus {serving_gpus} --batch {batch} "
        f"--prompt-tokens {prompt_tokens} --output-tokens {output_tokens} --price {usd_per_gpu_hour:g} --power-w {power_w:g} --pue {pue:g}",
        f"llmcost book --set model={path} --chapters 09_own_model 08_serving --out my-edition",
    ])
