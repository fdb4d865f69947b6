"""The book's shared assumptions: one default for each parameter that several chapters take.

Every chapter that has one of these parameters calls it by this name (so that ``llmcost book
--set`` changes it everywhere) and, unless :data:`EXCEPTIONS` says why not, gives it this
default in its ``parameters`` cell; ``tests/test_defaults.py`` checks both, and that each value
below equals the dataset figure it is taken from (:data:`FROM_DATA`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Default:
    """A book-wide default: its value, what it means (with unit), its BibTeX key and why this value."""

    value: object
    meaning: str
    source: str
    why: str


BOOK = {
    "model": Default("gpt-3", "the model followed (llmcost.models())", "brown2020gpt3",
                     "GPT-3 175B: the model every source document works through"),
    "gpu": Default("h100", "the accelerator (llmcost.accelerators())", "nvidia2022h100",
                   "the H100 SXM: the accelerator most 2025-26 rental quotes and training runs use (the source "
                   "documents' A100 is kept where a chapter reproduces them)"),
    "precision": Default("bf16", "the precision of the accelerator's dense peak rate", "nvidia2022h100",
                         "16-bit mixed precision, as large models train; the H100's (and A100's) bf16 and fp16 rates are equal"),
    "mfu": Default(None, "model FLOPs utilization in (0, 1]; None: the calibrated one of the accelerator and precision "
                         "(llmcost.calibration.planning_utilization)", "chowdhery2022palm",
                   "the median utilization that published runs on the accelerator's generation imply (the Hopper runs': "
                   "about a quarter of the BF16 peak), PaLM 540B's 46.2 % where no run calibrates it"),
    "usd_per_gpu_hour": Default(None, "rental price of one accelerator-hour, USD; None: the median of the accelerator's newest "
                                      "2025-26 quotes (llmcost.book.chapter_parameters.follow_accelerator)", "apievangelist2026crusoe",
                                "the price follows the accelerator: for the H100 the median of the newest quote of each provider "
                                "and offering, spot left out (llmcost.market.rental_summary('h100')), Crusoe's on-demand price of 2026-09"),
    "power_w": Default(None, "average power per accelerator, W; None: the accelerator's TDP", "nvidia2022h100",
                       "the power follows the accelerator: its TDP (the H100 SXM's 700 W)"),
    "pue": Default(1.1, "power usage effectiveness of the data centre, at least 1", "touvron2023llama",
                   "the PUE Touvron et al. assume for a US data centre (Table 15); GPT-3's was 1.10 as well"),
    "grid_kg_per_kwh": Default(0.385, "carbon intensity of the grid, kg CO2e per kWh", "touvron2023llama",
                               "the US average Touvron et al. use to compare training runs (Table 15)"),
}
"""The book-wide parameters and their defaults."""

REFERENCE_MFU = Default(0.462, "model FLOPs utilization, full attention counted", "chowdhery2022palm",
                        "PaLM 540B's 46.2 % (Table 3): the best published MFU the source documents quote, and the "
                        "utilization where no calibration applies")
"""The utilization the source documents take and the library falls back on (in its convention)."""

FROM_DATA = {
    "pue": ("model", "llama-65b", "pue"),
    "grid_kg_per_kwh": ("model", "llama-65b", "grid_kg_per_kwh"),
}
"""Defaults that are a figure of the datasets: name -> (dataset, id, quantity); :data:`REFERENCE_MFU`
is PaLM 540B's ``mfu``."""

SEED_A100 = "a100: the A100 80 GB SXM that the source documents price, reproduced here with their hardware"

SEED_MFU = "0.462, PaLM 540B's published MFU (defaults.REFERENCE_MFU)"

EXCEPTIONS = {
    ("02_training_stages", "mfu"): SEED_MFU + ", the utilization seed 002's stages are reproduced at",
    ("09_own_model", "mfu"): SEED_MFU + ": this page counts attention, the convention PaLM's MFU is measured in; the "
                             "calibration is measured on 6PD",
    ("91_calibration", "mfu"): SEED_MFU + ": the one utilization whose error against published hours the appendix measures",
    ("02_training_stages", "gpu"): SEED_A100 + " (seed 002's InstructGPT-era stages)",
    ("04_memory_parallelism", "gpu"): SEED_A100 + " (the A100's 80 GB bound the memory examples)",
    ("05_gpu_days_cost", "gpu"): SEED_A100 + " (seeds 000 and 002's GPU-days and rental prices)",
    ("06_utilization", "gpu"): SEED_A100 + " (seed 000's serving instance of 8 A100s)",
    ("08_serving", "gpu"): SEED_A100 + " (seed 004's inference fleet and its servers; gpu_compare draws the H100 beside it)",
    ("08_serving", "usd_per_gpu_hour"): "2.0 USD, DeepSeek-V3's round rental price, for the A100 servers of the worked example",
    ("05_gpu_days_cost", "precision"): "fp16: its accelerator grid includes the V100, which has no bf16 rate (the A100's, "
                                       "H100's and B200's fp16 and bf16 rates are equal)",
    ("08_serving", "model"): "serving is shown for a model with grouped-query attention, as served today and as measured "
                             "in the calibration table (Llama 2 70B)",
    ("09_own_model", "model"): "None: the worked example's config.json (Qwen2.5-7B, a model not in the dataset); "
                               "a reader gives the path of their own",
    ("91_calibration", "pue"): "None: each model's published PUE (else 1)",
}
"""(chapter, parameter) -> why that chapter's default differs from :data:`BOOK`."""


def value(name: str):
    """The book-wide default of ``name``."""
    return BOOK[name].value
