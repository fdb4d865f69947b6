"""Energy and carbon: accelerator-hours x power x PUE -> MWh; x grid intensity -> t CO2e.

Following Patterson et al. 2021 (``patterson2021carbon``): the energy of a run is the
accelerator-hours times the average power drawn per accelerator (often approximated by its
TDP, which overstates it) times the data centre's power usage effectiveness (PUE >= 1).
"""

from __future__ import annotations

from ..core.validate import check_at_least_one, check_count, check_fraction, check_non_negative, check_share, finite_result

WATT_HOURS_PER_MWH = 1e6

IDLE_READINGS = {"wilicc2024gpuburn": 145 / 700, "zaiorg2022glm130b": 53 / 300}
"""Draw of an accelerator that holds a model but computes nothing, as a share of its TDP: two
nvidia-smi readings (an H100, 145 of 700 W; a V100, 53 of 300 W). Readings, not a study."""

IDLE_SHARE = sum(IDLE_READINGS.values()) / len(IDLE_READINGS)
"""The idle draw :func:`drawn_power_w` assumes, as a share of TDP: the mean of :data:`IDLE_READINGS` (0.19)."""

NODE_DRAW_READINGS = {"latif2025singlenode": 8.4 / 10.2, "newkirk2025calibrated": 0.76}
"""Measured draw of an 8-GPU H100 node while training, as a share of its rated maximum input power:
8.4 of 10.2 kW at most (Latif et al.) and 76 % (Newkirk et al.)."""

NODE_DRAW_SHARE = sum(NODE_DRAW_READINGS.values()) / len(NODE_DRAW_READINGS)
"""The share of a node's rated maximum taken as its draw while training: the mean of :data:`NODE_DRAW_READINGS` (0.79), measured on H100 nodes."""

INDUSTRY_PUE = 1.58
"""The industry-average PUE of 2023 (Uptime Institute, ``uptime2023pue``), beside the hyperscale 1.1
the book assumes by default."""

POWER_BOUNDARIES = {
    "accelerator_tdp": "the accelerators at their TDP, nothing else (the Llama model cards, LLaMA, BLOOM's 433 MWh)",
    "accelerator_drawn": "the accelerators at TDP while computing and at their idle draw the rest of the run",
    "node_measured": "the whole node (host CPUs, memory, network, fans) at the share of its rated maximum measured while training",
    "node_rated": "the whole node at its rated maximum input power, an upper bound",
}
"""What a power per accelerator includes, from the chip alone to the whole server (:func:`drawn_power_w`,
:func:`node_power_per_accelerator_w`); the data centre's PUE multiplies each."""


@finite_result
def energy_mwh(gpu_hours, power_w, pue=1.0):
    """Facility energy in MWh: ``gpu_hours x power_w x pue / 1e6``.

    power_w: average power per accelerator in W (TDP if nothing better is known).
    pue: power usage effectiveness of the data centre, >= 1 (1 = accelerators only).
    """
    gpu_hours = check_non_negative("gpu_hours", gpu_hours)
    power_w = check_non_negative("power_w", power_w)
    pue = check_at_least_one("pue", pue)
    return gpu_hours * power_w * pue / WATT_HOURS_PER_MWH


@finite_result
def co2_tonnes(energy_mwh, grid_kg_per_kwh):
    """Emissions in t CO2e: MWh x kg CO2e/kWh (1 MWh = 1000 kWh, 1 t = 1000 kg)."""
    energy_mwh = check_non_negative("energy_mwh", energy_mwh)
    grid_kg_per_kwh = check_non_negative("grid_kg_per_kwh", grid_kg_per_kwh)
    return energy_mwh * grid_kg_per_kwh


@finite_result
def drawn_power_w(tdp_w, busy_share=1.0, idle_share=IDLE_SHARE):
    """Average W per accelerator over a run that computes ``busy_share`` of its wall-clock time at
    its TDP and idles at ``idle_share`` x TDP the rest: ``tdp_w x (idle + (1 - idle) x busy)``."""
    tdp_w = check_non_negative("tdp_w", tdp_w)
    busy_share = check_fraction("busy_share", busy_share)
    idle_share = check_share("idle_share", idle_share)
    return tdp_w * (idle_share + (1 - idle_share) * busy_share)


@finite_result
def node_power_per_accelerator_w(node_power_w, node_accelerators, draw_share=1.0):
    """W per accelerator of a server of ``node_accelerators`` accelerators drawing ``draw_share`` of
    its rated maximum input power ``node_power_w`` (W; host CPUs, memory, network and fans
    included): :data:`NODE_DRAW_SHARE` for its measured draw while training, 1 for the maximum."""
    node_power_w = check_non_negative("node_power_w", node_power_w)
    node_accelerators = check_count("node_accelerators", node_accelerators)
    draw_share = check_fraction("draw_share", draw_share)
    return node_power_w / node_accelerators * draw_share
