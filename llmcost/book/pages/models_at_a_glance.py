"""Every model at a glance: one row per model of the dataset with its training compute, accelerator-
hours, rental cost, energy and emissions, each published where its authors (or a later study) give
it, else computed by the book's chain on the model's own accelerator.

Worked examples return dicts of glued values for :func:`llmcost.book.glue_all`.
"""

from __future__ import annotations

import pandas as pd

from ..tables import format_number
from ...analysis import market
from ...catalog import datasets
from ...core.validate import InputError
from ...formulas import energy, flops, ranges
from .energy_carbon import model_utilization

ESTIMATED = "≈ "
"""The mark before a figure the chain computes (a figure without it is published)."""

ANY_DATE = "1990-01"
"""The month from which any rental quote counts, for an accelerator no longer quoted today."""

COLUMNS = {"flops": "training FLOPs", "gpu_hours": "accelerator-hours", "cost": "rental (USD)", "mwh": "energy (MWh)",
           "co2": "t CO2e"}
"""The table's figures, by key, as its header shows them."""


def accelerator_price(gpu: str | None) -> float | None:
    """USD per accelerator-hour to rent ``gpu``: the median of the newest quote of each provider and
    offering (:func:`llmcost.market.rental_summary`; a price an estimate assumed is no quote), of
    :data:`llmcost.market.TODAY_SINCE` or later as chapter 5 prices today, else of any date; None
    without a quote."""
    if gpu is None:
        return None
    for since in (market.TODAY_SINCE, ANY_DATE):
        try:
            return market.rental_summary(gpu, since=since)["median"]
        except InputError:
            continue
    return None


def model_row(ident: str, mfu, pue: float, grid_kg_per_kwh: float) -> dict:
    """One model's figures as floats (None where unknown), each with whether it is published: FLOPs
    (else 6PD), accelerator-hours (else :func:`llmcost.ranges.energy_inputs`: count × days, else 6PD at
    ``mfu`` or the planning utilization of its accelerator), energy (else hours × its published power
    or TDP × its PUE or ``pue``), emissions (else × its grid or ``grid_kg_per_kwh``) and the rental cost,
    always the hours at :func:`accelerator_price` (a published cost is an estimate at a price its
    author assumed, for hours that may not be these: :func:`cost_estimates`)."""
    record = datasets.model_by_id(ident)
    run = ranges.energy_inputs(ident, model_utilization(ident, mfu), "published", pue, grid_kg_per_kwh)
    hours, watts = run["gpu_hours"], run["power_w"]
    mwh = energy.energy_mwh(hours, watts, run["pue"]) if hours is not None and watts is not None else None
    price = accelerator_price(record.get("accelerator") or None)
    computed = {
        "flops": flops.training_flops(record["params_active"], record["tokens"]),
        "gpu_hours": hours,
        "cost": hours * price if hours is not None and price is not None else None,
        "mwh": mwh,
        "co2": energy.co2_tonnes(mwh, run["grid_kg_per_kwh"]) if mwh is not None else None,
    }
    published = {"flops": record.get("train_flops"), "gpu_hours": hours if run["hours_from"] == "published" else None,
                 "cost": None, "mwh": record.get("energy_mwh"), "co2": record.get("co2_t")}
    return {key: (published[key], True) if published[key] is not None else (computed[key], False) for key in COLUMNS}


def glance_table(mfu, pue: float, grid_kg_per_kwh: float) -> pd.DataFrame:
    """Every model with active parameters and a token count: name, accelerator (name, or "not
    published") and :data:`COLUMNS` as text, computed ones marked :data:`ESTIMATED`, unknown ones "—"."""
    rows = []
    for ident in datasets.model_ids():
        record = datasets.model_by_id(ident)
        if record.get("params_active") is None or record.get("tokens") is None:
            continue
        figures = model_row(ident, mfu, pue, grid_kg_per_kwh)
        gpu = record.get("accelerator") or None
        row = {"model": record["name"], "accelerator": datasets.accelerator_by_id(gpu)["name"] if gpu else "not published"}
        for key, (value, published) in figures.items():
            row[key] = "—" if value is None else ("" if published else ESTIMATED) + format_number(value, "sci" if key == "flops" else "sig3")
        rows.append(row)
    return pd.DataFrame(rows)


def cost_estimates() -> str:
    """The published cost estimates of the table's models, as prose: "GPT-3 175B, 4.6 million USD; ..."."""
    records = (datasets.model_by_id(ident) for ident in datasets.model_ids())
    return "; ".join(f"{r['name']}, {format_number(r['cost_usd'], 'words')} USD" for r in records if r.get("cost_usd") is not None) or "none"


def unpriced_accelerators(glance: pd.DataFrame) -> str:
    """The accelerators of ``glance`` (:func:`glance_table`) that have hours but no rental quote, by name."""
    names = glance.loc[(glance["gpu_hours"] != "—") & (glance["cost"] == "—"), "accelerator"]
    return ", ".join(sorted(set(names) - {"not published"})) or "none"


def glance_example(glance: pd.DataFrame) -> dict:
    """Glue names ``c92_*``: the number of models, of published figures (no mark) and of computed ones,
    the models left out for want of a token count (names), the published cost estimates
    (:func:`cost_estimates`), the accelerators without a rental quote (:func:`unpriced_accelerators`)
    and the month from which a quote is today's (:data:`llmcost.market.TODAY_SINCE`)."""
    cells = glance[list(COLUMNS)].to_numpy().ravel()
    known = [cell for cell in cells if cell != "—"]
    records = (datasets.model_by_id(ident) for ident in datasets.model_ids())
    left_out = [r["name"] for r in records if r.get("params_active") is None or r.get("tokens") is None]
    return {"c92_models": (len(glance), ",.0f"), "c92_published": (sum(not c.startswith(ESTIMATED) for c in known), ",.0f"),
            "c92_estimated": (sum(c.startswith(ESTIMATED) for c in known), ",.0f"),
            "c92_unknown": (len(cells) - len(known), ",.0f"), "c92_left_out": ", ".join(left_out) or "none",
            "c92_cost_estimates": cost_estimates(), "c92_unpriced": unpriced_accelerators(glance),
            "c92_quotes_since": market.TODAY_SINCE}
