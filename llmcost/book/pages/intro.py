"""Chapter 0 (the introduction): its key findings, each computed as the chapter it links to
computes it, and the chain from FLOPs to tonnes of CO2e for the page's model and accelerator.

Returns the numbers the prose quotes as dicts for :func:`llmcost.book.glue_all` (glue name ->
text, or ``(value, fmt[, unit])``), in the order the chapter glues them.
"""

from __future__ import annotations

from .. import sliders
from ..tables import format_number, price_text
from ...analysis import audit, calibration
from ...catalog import datasets, hardware
from ...formulas import memory
from ...formulas.estimate import training_estimate
from ...running import serving
from .flop_accounting import gpt4_overcount
from .serving import output_token_costs, recomputed_claims

SERVED = {"model": "llama-2-70b", "gpu": "a100", "gpus": 8, "batch": 8, "prompt_tokens": 3968, "output_tokens": 128,
          "usd_per_gpu_hour": 2.0}
"""The service of the serving finding: chapter 8's worked example at its defaults (tokens per
sequence, USD per accelerator-hour)."""

ZERO_RANKS = 64
"""Data-parallel ranks over which the memory finding shards GPT-3's training state (ZeRO-3)."""

PUBLISHED_RUN = (("gpu_hours", "accelerator-hours"), ("energy_mwh", "MWh"), ("co2_t", "t CO2e"))
"""Facts of a model record that describe its real training run, with their units."""


def serving_finding() -> dict:
    """Decoding under the roofline for :data:`SERVED` (llmcost's default efficiencies, bf16):
    ``out_over_in`` and ``underestimate``, ratios (:func:`llmcost.book.pages.serving.output_token_costs`)."""
    served = serving.serving_estimate(**SERVED)
    return output_token_costs(served, SERVED["model"], SERVED["gpu"], precision="bf16",
                              compute_efficiency=serving.COMPUTE_EFFICIENCY, usd_per_gpu_hour=SERVED["usd_per_gpu_hour"])


def gpt3_state_bytes(ranks: int = ZERO_RANKS) -> dict:
    """GPT-3's weights, gradients and Adam states in bytes: ``whole`` (on one GPU, no sharding)
    and ``zero3`` (per GPU, ZeRO-3 over ``ranks`` GPUs), from :func:`llmcost.memory.zero_bytes_per_gpu`."""
    params = datasets.model("gpt-3")["params_active"]
    return {"whole": memory.zero_bytes_per_gpu(params, 1, 0), "zero3": memory.zero_bytes_per_gpu(params, ranks, 3)}


def key_findings() -> dict:
    """The glued values of the key findings: 6PD against published totals, GPT-4's parameters
    and utilization, the implied MFU, seed 004's fleet, decoding's cost, GPT-3's training state
    (TB, GB), GPT-3's two carbon figures (t CO2e) and the claims audit's verdicts (counts)."""
    claims = recomputed_claims()
    fit = calibration.summary(calibration.flops_table())
    hours = claims["000-gpt4-a100-hours"]
    solved = audit.implied_input(hours["recipe"], hours["inputs"], hours["stated_value"])
    implied = calibration.summary(calibration.implied_utilization_table(calibration.TRAINED_IN))
    decoding, states = serving_finding(), gpt3_state_bytes()
    verdicts = audit.audit_table()["verdict"]
    return {
        "kf_6pd_n": (fit["count"], ",.0f"),
        "kf_6pd_median": (fit["median"], ".3f"),
        "kf_gpt4_overcount": (gpt4_overcount(claims), ".1f"),
        "kf_gpt4_util": (solved["implied"], ".1%"),
        "kf_gpt4_util_used": (solved["used"], ".1%"),
        "kf_implied": (implied["median"], ".2f"),
        "kf_fleet_ratio": (claims["004-infer-gpus"]["ratio"], ".2f"),
        "kf_out_over_in": (decoding["out_over_in"], ",.0f"),
        "kf_underestimate": (decoding["underestimate"], ",.0f"),
        "kf_gpt3_states": (states["whole"] / 1e12, "sig3", "TB"),
        "kf_gpt3_zero3": (states["zero3"] / 1e9, "sig3", "GB"),
        "kf_ranks": (ZERO_RANKS, ",.0f"),
        "kf_batch": (SERVED["batch"], ",.0f"),
        "kf_gpus": (SERVED["gpus"], ",.0f"),
        "kf_gpt4_hours": (hours["stated_value"], "words"),
        "kf_co2_stated": (claims["002-gpt3-co2"]["stated_value"], ",.0f"),
        "kf_co2_pue": (claims["002-gpt3-co2"]["recomputed"], ",.0f"),
        "kf_claims": (len(verdicts), ",.0f"),
        "kf_consistent": ((verdicts == "consistent").sum(), ",.0f"),
    }


def trained_on_text(facts: dict) -> str:
    """The accelerator a model record says it was trained on, by name, or "unpublished accelerators"."""
    accelerator = facts.get("accelerator")
    return datasets.accelerator(accelerator)["name"] if isinstance(accelerator, str) else "unpublished accelerators"


def published_run_text(facts: dict) -> str:
    """The published figures of a model's real run (:data:`PUBLISHED_RUN`) as a clause that
    follows :func:`trained_on_text` in the prose, or "" when the record has none."""
    published = [format_number(facts[key], ",.0f", unit) for key, unit in PUBLISHED_RUN if facts.get(key) is not None]
    return "; its authors and later studies publish " + ", ".join(published) + " for the real run" if published else ""


def chain(model, gpu, precision, mfu, usd_per_gpu_hour, power_w, pue, grid_kg_per_kwh) -> dict:
    """The glued values of the chain for one model (:func:`llmcost.estimate.training_estimate`):
    its parameters and tokens, FLOPs, GPU-hours at ``mfu`` of ``gpu``'s peak at ``precision``
    (None: the calibrated utilization, :func:`llmcost.calibration.planning_utilization`, with the
    hours at its low and high ends), USD at ``usd_per_gpu_hour``, MWh at ``power_w`` (W per
    accelerator) and ``pue``, t CO2e at ``grid_kg_per_kwh`` (kg per kWh), and the accelerators and
    figures of the real run."""
    facts = datasets.model(model)
    utilization = calibration.planning_utilization(gpu, precision, mfu)
    peak = hardware.peak_flops(gpu, precision)
    run = training_estimate(facts["params_active"], facts["tokens"], peak, utilization["central"],
                            usd_per_gpu_hour=usd_per_gpu_hour, power_w=power_w, pue=pue, grid_kg_per_kwh=grid_kg_per_kwh)
    hours_at = {end: run["gpu_hours"] * utilization["central"] / utilization[share] for end, share in (("low", "high"), ("high", "low"))}
    return {
        "model": facts["name"],
        "params": (facts["params_active"], "words"),
        "tokens": (facts["tokens"], "words"),
        "flops": (run["flops"], "sci"),
        "mfu": (utilization["central"], ".1%"),
        "mfu_source": utilization["source"],
        "gpu_hours": (run["gpu_hours"], "sig3"),
        "gpu_hours_low": (hours_at["low"], "sig3"),
        "gpu_hours_high": (hours_at["high"], "sig3"),
        "usd": (run["cost_usd"], "sig3"),
        "mwh": (run["energy_mwh"], "sig3"),
        "tco2": (run["co2_t"], "sig3"),
        "gpu_name": datasets.accelerator(gpu)["name"],
        "trained_on": trained_on_text(facts),
        "published_run": published_run_text(facts),
    }


def inputs_example(followed: dict) -> dict:
    """The page's price and power as the prose quotes them (``followed``:
    :func:`llmcost.book.chapter_parameters.follow_accelerator`): the price dated by its quotes' dates
    when it is the accelerator's median, said to be set otherwise, and where each comes from."""
    usd = followed["usd_per_gpu_hour"]
    return {"price": price_text(usd, "GPU-hour", followed["usd_per_gpu_hour_dates"]),
            "price_source": followed["usd_per_gpu_hour_source"],
            "power": (followed["power_w"], ",.0f", "W"), "power_source": followed["power_w_source"]}


def chain_chart(model, gpu, precision, mfu, usd_per_gpu_hour, power_w, pue, grid_kg_per_kwh):
    """The chain's figure (:func:`llmcost.sliders.chain_chart`) for ``model`` on ``gpu``, with the
    arguments of :func:`chain` (its utilization slider starts at the planning utilization)."""
    facts = datasets.model(model)
    mfu = calibration.planning_utilization(gpu, precision, mfu)["central"]
    return sliders.chain_chart(f"Training {facts['name']}: from FLOPs to tonnes of CO2e", facts["params_active"], facts["tokens"],
                               datasets.accelerator(gpu)["name"], precision, hardware.peak_flops(gpu, precision), mfu,
                               usd_per_gpu_hour, power_w, pue, grid_kg_per_kwh)
