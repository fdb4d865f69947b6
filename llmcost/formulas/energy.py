"""Energy and carbon: accelerator-hours x power x PUE -> MWh; x grid intensity -> t CO2e.

Following Patterson et al. 2021 (``patterson2021carbon``): the energy of a run is the
accelerator-hours times the average power drawn per accelerator (often approximated by its
TDP, which overstates it) times the data centre's power usage effectiveness (PUE >= 1).
"""

from __future__ import annotations

from ..core.validate import check_at_least_one, check_non_negative, finite_result

WATT_HOURS_PER_MWH = 1e6


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
