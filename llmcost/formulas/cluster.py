"""From FLOPs to accelerator time and cluster size.

``GPU-hours = FLOPs / (peak FLOP/s x utilization x 3600)``; utilization is model FLOPs
utilization (MFU) when ``FLOPs`` counts only the model's own work (6PD), hardware FLOPs
utilization (HFU) when it includes recomputation (8PD).
"""

from __future__ import annotations

import numpy as np

from ..core.validate import check_count, check_fraction, check_positive, check_whole_count, finite_result

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
GPUS_PER_SERVER = 8
"""An HGX/DGX server holds 8 GPUs, the unit the source documents count servers in."""


@finite_result
def sustained_flops(peak_flops, utilization):
    """FLOP/s one accelerator actually delivers: ``peak_flops x utilization``."""
    return check_positive("peak_flops", peak_flops) * check_fraction("utilization", utilization)


@finite_result
def gpu_seconds(flops, peak_flops, utilization):
    """Accelerator-seconds to execute ``flops`` FLOP at ``peak_flops`` FLOP/s x ``utilization``."""
    return check_positive("flops", flops) / sustained_flops(peak_flops, utilization)


@finite_result
def gpu_hours(flops, peak_flops, utilization):
    """Accelerator-hours: ``flops / (peak_flops x utilization x 3600)``."""
    return gpu_seconds(flops, peak_flops, utilization) / SECONDS_PER_HOUR


@finite_result
def gpu_days(flops, peak_flops, utilization):
    """Accelerator-days: ``gpu_hours / 24``."""
    return gpu_hours(flops, peak_flops, utilization) / HOURS_PER_DAY


@finite_result
def wall_days(gpu_hours, gpus):
    """Calendar days for ``gpus`` accelerators to deliver ``gpu_hours`` (perfect scaling)."""
    gpu_hours = check_positive("gpu_hours", gpu_hours)
    gpus = check_positive("gpus", check_count("gpus", gpus))
    return gpu_hours / gpus / HOURS_PER_DAY


@finite_result
def cluster_gpu_hours(gpus, days):
    """Accelerator-hours of ``gpus`` accelerators running for ``days`` days: ``gpus x days x 24``."""
    return check_positive("gpus", gpus) * check_positive("days", days) * HOURS_PER_DAY


@finite_result
def gpus_for_deadline(gpu_hours, days):
    """Accelerators needed to deliver ``gpu_hours`` within ``days`` (fractional; see ``whole``)."""
    gpu_hours = check_positive("gpu_hours", gpu_hours)
    days = check_positive("days", days)
    return gpu_hours / (days * HOURS_PER_DAY)


def whole(count):
    """Round a fractional count of machines up to whole machines (scalar int or int64 array).

    count: >= 0 and at most 2**53. Any need above zero takes at least one machine; a count
    within 1e-9 above a whole number is that number (float noise: 1558.0000000001 -> 1558).
    """
    check_whole_count("count", count)
    arr = np.asarray(count, dtype=float)
    rounded = np.maximum(np.ceil(arr - 1e-9), (arr > 0).astype(float))
    return int(rounded) if rounded.ndim == 0 else rounded.astype(np.int64)


@finite_result
def servers(gpus, gpus_per_server=GPUS_PER_SERVER):
    """Whole servers to hold ``gpus`` accelerators, ``gpus_per_server`` each."""
    gpus = check_positive("gpus", gpus)
    gpus_per_server = check_count("gpus_per_server", gpus_per_server)
    return whole(whole(gpus) / np.asarray(gpus_per_server, dtype=float))


@finite_result
def required_throughput(flops, seconds):
    """Sustained FLOP/s needed to execute ``flops`` within ``seconds``."""
    return check_positive("flops", flops) / check_positive("seconds", seconds)


@finite_result
def accelerators_for_throughput(flops_per_second, peak_flops, utilization):
    """Accelerators (fractional) that sustain ``flops_per_second`` at a utilization."""
    return check_positive("flops_per_second", flops_per_second) / sustained_flops(peak_flops, utilization)


@finite_result
def implied_utilization(flops, peak_flops, gpu_hours):
    """The utilization at which ``flops`` takes ``gpu_hours`` at ``peak_flops`` (may exceed 1)."""
    flops = check_positive("flops", flops)
    peak_flops = check_positive("peak_flops", peak_flops)
    gpu_hours = check_positive("gpu_hours", gpu_hours)
    return flops / (peak_flops * gpu_hours * SECONDS_PER_HOUR)
