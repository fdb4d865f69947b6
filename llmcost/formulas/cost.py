"""Dollars: renting accelerator time, buying a cluster, and serving tokens."""

from __future__ import annotations

import numpy as np

from ..catalog import datasets
from .cluster import SECONDS_PER_HOUR
from .flops import flops_per_param_per_token
from ..core.validate import InputError, check_count, check_fraction, check_non_negative, check_positive, finite_result

TOKENS_PER_KTOK = 1000.0


@finite_result
def rental_cost(gpu_hours, usd_per_gpu_hour):
    """Cost in USD of ``gpu_hours`` accelerator-hours rented at ``usd_per_gpu_hour``."""
    return check_non_negative("gpu_hours", gpu_hours) * check_non_negative("usd_per_gpu_hour", usd_per_gpu_hour)


@finite_result
def usd_per_gpu_hour(usd_per_instance_hour, gpus_per_instance=8):
    """Price of one accelerator-hour from an instance price (e.g. 8 x A100 at $19.22/h -> $2.40)."""
    usd_per_instance_hour = check_positive("usd_per_instance_hour", usd_per_instance_hour)
    gpus_per_instance = check_count("gpus_per_instance", gpus_per_instance)
    return usd_per_instance_hour / gpus_per_instance


@finite_result
def purchase_cost(gpus, usd_per_gpu, other_hardware_share=0.2, datacenter_share=0.1, staff_usd=0.0):
    """Capital cost of buying a cluster, the model of seed document 002, in USD.

    gpus: accelerators bought; usd_per_gpu: unit price, USD.
    other_hardware_share: servers, network, storage as a share of the GPU spend (002: 20 %).
    datacenter_share: data-centre build-out as a share of the GPU spend (002: 10 %).
    staff_usd: people, USD (002: $2M).
    Returns a dict of USD amounts: ``gpus``, ``other_hardware``, ``datacenter``, ``staff``, ``total``.
    """
    gpus = check_positive("gpus", gpus)
    usd_per_gpu = check_positive("usd_per_gpu", usd_per_gpu)
    other_hardware_share = check_non_negative("other_hardware_share", other_hardware_share)
    datacenter_share = check_non_negative("datacenter_share", datacenter_share)
    staff_usd = check_non_negative("staff_usd", staff_usd)
    gpu_spend = gpus * usd_per_gpu
    parts = {
        "gpus": gpu_spend,
        "other_hardware": gpu_spend * other_hardware_share,
        "datacenter": gpu_spend * datacenter_share,
        "staff": staff_usd + 0 * gpu_spend,  # broadcast to the shape of gpus x usd_per_gpu
    }
    parts["total"] = parts["gpus"] + parts["other_hardware"] + parts["datacenter"] + parts["staff"]
    return parts


@finite_result
def usd_per_1k_tokens(usd_per_gpu_hour, gpu_seconds_per_token):
    """USD per 1,000 tokens when each token takes ``gpu_seconds_per_token`` accelerator-seconds
    rented at ``usd_per_gpu_hour``. The one conversion of time to price per token: the
    compute-bound model below and the roofline of ``llmcost.serving`` both go through it."""
    usd_per_gpu_hour = check_positive("usd_per_gpu_hour", usd_per_gpu_hour)
    gpu_seconds_per_token = check_positive("gpu_seconds_per_token", gpu_seconds_per_token)
    return usd_per_gpu_hour / SECONDS_PER_HOUR * gpu_seconds_per_token * TOKENS_PER_KTOK


@finite_result
def serving_cost_per_1k_tokens(params, usd_per_gpu_hour, peak_flops, utilization):
    """USD per 1,000 generated tokens when compute is the bottleneck: the source documents' model.

    One token costs ``2 x params`` FLOP; an accelerator delivers ``peak_flops x utilization``
    FLOP/s for ``usd_per_gpu_hour / 3600`` USD per second. Decoding at small batch is bound by
    memory instead, which this leaves out: ``llmcost.serving.serving_estimate`` models both.
    """
    params = check_positive("params", params)
    peak_flops = check_positive("peak_flops", peak_flops)
    utilization = check_fraction("utilization", utilization)
    seconds = flops_per_param_per_token(training=False) * params / (peak_flops * utilization)
    return usd_per_1k_tokens(usd_per_gpu_hour, seconds)


@finite_result
def utilization_for_serving_cost(usd_per_1k_tokens, params, usd_per_gpu_hour, peak_flops):
    """The utilization in (0, 1] at which serving costs ``usd_per_1k_tokens`` (inverse of the above).

    Raises when the cost is below the cost at full utilization: no utilization reaches it.
    """
    usd_per_1k_tokens = check_positive("usd_per_1k_tokens", usd_per_1k_tokens)
    at_full = serving_cost_per_1k_tokens(params, usd_per_gpu_hour, peak_flops, 1.0)
    utilization = at_full / usd_per_1k_tokens
    if np.any(np.asarray(utilization) > 1):
        floor = np.min(np.asarray(at_full) * np.ones_like(utilization))
        raise InputError(
            f"usd_per_1k_tokens must be at least the cost at 100 % utilization for these params, "
            f"usd_per_gpu_hour and peak_flops ({floor:.4g} USD); got {usd_per_1k_tokens!r}, which would need "
            f"a utilization of {np.max(utilization):.3g}"
        )
    return utilization


@finite_result
def gross_margin(unit_cost, unit_price):
    """Gross margin ``(price - cost) / price`` as a fraction (negative when selling at a loss)."""
    unit_cost = check_non_negative("unit_cost", unit_cost)
    unit_price = check_positive("unit_price", unit_price)
    return (unit_price - unit_cost) / unit_price


@finite_result
def cost_reduction(utilization_from, utilization_to):
    """Share of unit cost saved by raising utilization: ``1 - from / to`` (cost is ∝ 1/utilization)."""
    utilization_from = check_fraction("utilization_from", utilization_from)
    utilization_to = check_fraction("utilization_to", utilization_to)
    return 1 - utilization_from / utilization_to


def gpu_hour_price(ident: str) -> float:
    """USD per accelerator-hour of one rental row of ``prices.csv``, by its id (:func:`row_gpu_hour_price`)."""
    rentals = {row["id"]: row for row in datasets.price_rows() if row["unit"] != "usd_per_unit"}
    if ident not in rentals:
        raise InputError(f"unknown rental price {ident!r}; known: {', '.join(rentals)}")
    return row_gpu_hour_price(rentals[ident])


def row_gpu_hour_price(row: dict) -> float:
    """USD per accelerator-hour of a rental row of ``prices.csv`` (a dict of :func:`llmcost.datasets.price_rows`):
    an instance price is divided by its accelerators (:func:`usd_per_gpu_hour`)."""
    if row["unit"] == "usd_per_instance_hour":
        return float(usd_per_gpu_hour(row["usd"], int(row["gpus_per_instance"])))
    return float(row["usd"])
