"""The whole chain in one vectorized call: FLOPs -> GPU-hours -> cluster -> USD -> MWh -> t CO2.

Used by the CLI, the chapters and the benchmark. Every argument may be a scalar or a numpy
array; arrays broadcast against each other, so a million scenarios are one call.
"""

from __future__ import annotations

import numpy as np

from .cluster import HOURS_PER_DAY, gpu_hours, gpus_for_deadline, servers, wall_days, whole
from .cost import rental_cost
from .energy import co2_tonnes, energy_mwh
from .flops import RECOMPUTE_FACTOR, flops_per_param_per_token, training_flops
from ..core.validate import (
    RANGES,
    InputError,
    check_at_least_one,
    check_flag,
    check_fraction,
    check_non_negative,
    check_positive,
    finite_result,
)


@finite_result
def utilization_in_convention(utilization, params, attention_from, attention_to):
    """A utilization measured with ``attention_from`` FLOP per token of attention counted, restated
    with ``attention_to`` counted: ``u x (6 P + to) / (6 P + from)`` (the run's time is the same)."""
    utilization = check_fraction("utilization", utilization)
    six_p = flops_per_param_per_token() * check_positive("params", params)
    return utilization * (six_p + check_non_negative("attention_to", attention_to)) / (six_p + check_non_negative("attention_from", attention_from))


@finite_result
def training_estimate(
    params,
    tokens,
    peak_flops,
    utilization,
    *,
    attention_flops_per_token=0.0,
    recompute=False,
    gpus=None,
    days=None,
    usd_per_gpu_hour=None,
    power_w=None,
    pue=1.0,
    grid_kg_per_kwh=None,
) -> dict:
    """Estimate a training run. Returns a dict; a key is present only when its inputs are given.

    params: parameters active per token (count); tokens: training tokens (count);
    peak_flops: dense peak of one accelerator (FLOP/s); utilization: MFU in (0, 1] (HFU when
    ``recompute`` counts the extra forward pass, 8PD instead of 6PD), measured in the same
    FLOP convention as the numerator. attention_flops_per_token: training FLOP per token of the
    attention matmuls (:func:`llmcost.architecture.attention_for_convention`; 0 = 6PD), scaled by 4/3
    with ``recompute``.
    gpus: accelerators used -> ``wall_days`` and ``servers``; days: deadline -> ``gpus``
    (whole accelerators) and ``servers``; give one of them, not both.
    usd_per_gpu_hour -> ``cost_usd``; power_w (average W per accelerator) and pue ->
    ``energy_mwh``; grid_kg_per_kwh (kg CO2e/kWh) -> ``co2_t``.
    Keys: flops (FLOP), gpu_hours, gpu_days, wall_days, gpus, servers, cost_usd, energy_mwh, co2_t.
    """
    if gpus is not None and days is not None:
        raise InputError("give gpus or days, not both: gpus gives wall_days, days gives gpus")
    recompute = check_flag("recompute", recompute)
    pue = check_at_least_one("pue", pue)  # checked even when no energy is asked for: never ignored silently
    attention = check_non_negative("attention_flops_per_token", attention_flops_per_token)
    if recompute:
        attention = attention * RECOMPUTE_FACTOR
    flops = training_flops(params, tokens, recompute=recompute) + attention * tokens
    hours = gpu_hours(flops, peak_flops, utilization)
    result = {"flops": flops, "gpu_hours": hours, "gpu_days": hours / HOURS_PER_DAY}
    if gpus is not None:
        result["wall_days"] = wall_days(hours, gpus)
        result["gpus"] = gpus
        result["servers"] = servers(gpus)
    if days is not None:
        needed = gpus_for_deadline(hours, days)
        most = RANGES["gpus"][1]
        if np.any(np.asarray(needed) > most):
            raise InputError(
                f"days must leave at most {most:g} accelerators to run; these inputs need "
                f"{np.max(needed):.3g} for days={days!r}: allow more days"
            )
        result["gpus"] = whole(needed)
        result["wall_days"] = wall_days(hours, result["gpus"])
        result["servers"] = servers(result["gpus"])
    if usd_per_gpu_hour is not None:
        result["cost_usd"] = rental_cost(hours, usd_per_gpu_hour)
    if power_w is not None:
        result.update(energy_estimate(hours, power_w, pue, grid_kg_per_kwh))
    elif grid_kg_per_kwh is not None:
        raise InputError("grid_kg_per_kwh needs power_w: carbon is computed from energy")
    return result


@finite_result
def energy_estimate(gpu_hours, power_w, pue=1.0, grid_kg_per_kwh=None) -> dict:
    """``{"energy_mwh": MWh}`` of ``gpu_hours`` at ``power_w`` W x ``pue``, plus ``co2_t``
    (t CO2e) when a grid intensity (kg CO2e/kWh) is given."""
    result = {"energy_mwh": energy_mwh(gpu_hours, power_w, pue)}
    if grid_kg_per_kwh is not None:
        result["co2_t"] = co2_tonnes(result["energy_mwh"], grid_kg_per_kwh)
    return result
