"""Chapter 7, energy and carbon: what its cells compute, as worked examples (dicts of glued values
for :func:`llmcost.book.glue_all`), derived tables and chart builders.

Every energy is ``accelerator-hours x W x PUE`` in MWh (:func:`llmcost.energy.energy_mwh`) and every
emission ``MWh x kg CO2e/kWh`` in t CO2e (:func:`llmcost.energy.co2_tonnes`); a model's inputs and
where each comes from are :func:`llmcost.ranges.energy_inputs`'s.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ...analysis import audit, calibration
from ...catalog import datasets, defaults
from ...catalog.datasets import accelerator, published_value
from ...catalog.hardware import peak_flops, training_precision
from ...formulas import energy, ranges
from .. import chapter_parameters as parameters
from .. import figures
from ..tables import cite_text, format_number, hours_text, number_texts, short_names, table

ENERGY_QUANTITIES = {"energy_mwh": "MWh", "co2_t": "t CO2e"}
"""The published quantities the chapter sets beside its own (``model_facts.csv``) -> their unit."""

CLOSE = 0.1
"""A published figure "agrees" with the computed one when their ratio lies within
``[1 - CLOSE, 1 / (1 - CLOSE)]`` (symmetric on a log scale)."""

ACCOUNTING_MODELS = {"gpt-3": "gpt3", "bloom-176b": "bloom", "gopher-280b": "gopher"}
"""Models whose energy the chapter computes without and with the PUE -> their key in glue names."""

SEED_CLAIMS = {
    "002-6b-energy": "6b",
    "002-palm-energy": "palm",
    "002-gpt3-energy": "gpt3_mwh",
    "002-gpt3-co2": "gpt3_co2",
    "002-gpt3-vs-gopher": "gopher",
    "002-gpt3-vs-bloom": "bloom",
}
"""The energy claims of seed 002 (ids of ``claims.csv``) -> their key in glue names, in the book's order."""

GRID_POINTS = 45
"""Grid intensities drawn per line of the grid what-if chart."""


PUE_BARS = (1.0, 1.2)
"""The PUE error bars the chapter draws by default: no facility overhead, and 1.2."""

GRID_BARS = (0.057, 0.545)
"""The grid-intensity error bars the chapter draws by default, kg CO2e per kWh."""


def error_bars(*, pue_low, pue, pue_high, grid_low, grid_kg_per_kwh, grid_high) -> tuple[float, float, float, float]:
    """The chapter's error bars ``(pue_low, pue_high, grid_low, grid_high)``: each as given, or where
    None the default bar (:data:`PUE_BARS`, :data:`GRID_BARS`) widened to hold the central value, so
    that an edition's PUE or grid outside the defaults moves the bars instead of being refused. Bars
    given explicitly must hold the central value (InputError naming them)."""
    ends = []
    for label, (low, central, high), (low_name, name, high_name), (default_low, default_high), kind in (
        ("pue", (pue_low, pue, pue_high), ("pue_low", "pue", "pue_high"), PUE_BARS, "pue"),
        ("grid_kg_per_kwh", (grid_low, grid_kg_per_kwh, grid_high), ("grid_low", "grid_kg_per_kwh", "grid_high"), GRID_BARS,
         "grid_kg_per_kwh"),
    ):
        central = parameters.check_quantity(name, central, kind)
        low = min(default_low, central) if low is None else parameters.check_quantity(low_name, low, kind)
        high = max(default_high, central) if high is None else parameters.check_quantity(high_name, high, kind)
        parameters.check_span(label, (low_name, name, high_name), (low, central, high))
        ends += [low, high]
    return tuple(ends)


def widen(low, central, high):
    """The range ``(low, central, high)`` widened to hold ``central``: ``(min(low, central), central,
    max(high, central))``, element-wise for arrays; any unit (PUE, kg CO2e/kWh)."""
    return np.minimum(low, central), central, np.maximum(high, central)


def model_energy(model: str, mfu, power_source: str, pue: float, grid_kg_per_kwh: float) -> dict:
    """One model's training energy from its inputs: :func:`llmcost.ranges.energy_inputs` (the
    accelerator-hours, W per accelerator, PUE and kg CO2e/kWh, each with where it comes from; ``pue``
    and ``grid_kg_per_kwh`` stand in for unpublished ones, ``mfu`` for unpublished hours: None, the
    planning utilization of the model's accelerator, :func:`model_utilization`) plus ``energy_mwh``
    (MWh) and ``co2_t`` (t CO2e)."""
    inputs = ranges.energy_inputs(model, model_utilization(model, mfu), power_source, pue, grid_kg_per_kwh)
    mwh = energy.energy_mwh(inputs["gpu_hours"], inputs["power_w"], inputs["pue"])
    return {**inputs, "energy_mwh": mwh, "co2_t": energy.co2_tonnes(mwh, inputs["grid_kg_per_kwh"])}


def model_utilization(model: str, mfu=None) -> float:
    """``mfu``, or where None the planning utilization (:func:`llmcost.calibration.planning_utilization`)
    of the accelerator ``model`` was trained on, at its training precision."""
    gpu = datasets.model(model).get("accelerator") or None
    if mfu is not None or gpu is None:  # without an accelerator no hours are computed at any utilization
        return defaults.REFERENCE_MFU.value if mfu is None else mfu
    return calibration.planning_utilization(gpu, training_precision(gpu))["central"]


def model_example(model: str, mfu, power_source: str, pue: float, grid_kg_per_kwh: float) -> dict:
    """The worked example of the chapter's model (arguments as :func:`model_energy`): its inputs with
    where each comes from, its MWh and t CO2e, and the defaults' sources (LLaMA's PUE and grid, in
    kg CO2e/kWh) and the 6B model's parameters. Glue names ``c7_model*``, ``c7_llama_*``, ``c7_6b_params``."""
    run = model_energy(model, mfu, power_source, pue, grid_kg_per_kwh)
    llama = datasets.model("llama-65b")
    return {
        "c7_model": datasets.model(model)["name"],
        "c7_model_hours": hours_text(run["gpu_hours"], run["hours_from"]),
        "c7_model_hours_from": run["hours_from"],
        "c7_model_power": (run["power_w"], ",.0f", "W"),
        "c7_model_power_from": run["power_from"],
        "c7_model_pue": (run["pue"], ".2f"),
        "c7_model_pue_from": run["pue_from"],
        "c7_model_grid": (run["grid_kg_per_kwh"], ".3f"),
        "c7_model_grid_from": run["grid_from"],
        "c7_model_mwh": (run["energy_mwh"], ",.0f"),
        "c7_llama_pue": (llama["pue"], ".1f"),
        "c7_llama_grid": (llama["grid_kg_per_kwh"], ".3f"),
        "c7_6b_params": (datasets.model("transformer-6b")["params_total"], "words"),
        "c7_model_co2": (run["co2_t"], ",.0f"),
    }


# --- every published figure against its inputs ----------------------------------------------


def published_figures() -> pd.DataFrame:
    """Every published energy (MWh) and emissions (t CO2e) row of ``model_facts.csv``, primary or
    not, duplicates dropped; the columns of :func:`llmcost.datasets.model_facts`."""
    facts = datasets.model_facts().drop_duplicates()
    return facts[facts["quantity"].isin(list(ENERGY_QUANTITIES))].reset_index(drop=True)


def known_inputs(published: pd.DataFrame, mfu: float, power_source: str, pue: float, grid_kg_per_kwh: float) -> pd.DataFrame:
    """The energy inputs (:func:`llmcost.ranges.energy_inputs`: accelerator-hours, W, PUE, kg CO2e/kWh
    and where each comes from) of every model of ``published`` whose accelerator-hours and power are
    known, one row per model in order of first appearance, its id in ``subject``."""
    subjects = list(dict.fromkeys(published["subject"]))
    inputs = pd.DataFrame([{"subject": s, **ranges.energy_inputs(s, model_utilization(s, mfu), power_source, pue, grid_kg_per_kwh)} for s in subjects])
    return inputs.dropna(subset=["gpu_hours", "power_w"]).reset_index(drop=True)


def inputs_table(known: pd.DataFrame):
    """:func:`known_inputs` as the chapter shows it (accelerator-hours, W, PUE, kg CO2e/kWh, sources)."""
    return table(
        known.assign(gpu_hours=[hours_text(h, source) for h, source in zip(known["gpu_hours"], known["hours_from"])])[
            ["subject", "gpu_hours", "hours_from", "power_w", "power_from", "pue", "pue_from", "grid_kg_per_kwh", "grid_from"]],
        formats={"power_w": "auto", "pue": ".2f", "grid_kg_per_kwh": ".3f"},
        columns={"subject": "model", "gpu_hours": "accelerator-hours", "hours_from": "hours from", "power_w": "power (W)",
                 "power_from": "power from", "pue": "PUE", "pue_from": "PUE from", "grid_kg_per_kwh": "grid (kg CO2e/kWh)",
                 "grid_from": "grid from"},
    )


def computed_ranges(known: pd.DataFrame, pue_low: float, pue_high: float, grid_low: float, grid_high: float) -> dict:
    """Each model's energy (MWh) and emissions (t CO2e) from its inputs, low / central / high over the
    PUE range and the grid range (kg CO2e/kWh), each widened to hold the model's own value
    (:func:`widen`): :func:`llmcost.ranges.energy_range`'s ``{"energy_mwh": Span, "co2_t": Span}``."""
    own_pue, own_grid = known["pue"].to_numpy(float), known["grid_kg_per_kwh"].to_numpy(float)
    return ranges.energy_range(
        known["gpu_hours"].to_numpy(float),
        known["power_w"].to_numpy(float),
        pue=widen(pue_low, own_pue, pue_high),
        grid_kg_per_kwh=widen(grid_low, own_grid, grid_high),
    )


def comparison(published: pd.DataFrame, known: pd.DataFrame, spans: dict) -> pd.DataFrame:
    """``published`` with, for each row, the value computed from its model's inputs (``computed``,
    ``low``, ``high`` from :func:`computed_ranges`; NaN for a model without inputs), ``ratio``
    (published / computed), ``unit_label`` (MWh or t CO2e) and ``range`` (the computed value and its
    range as text, "—" where none)."""
    computed = pd.concat(
        [
            pd.DataFrame({"subject": known["subject"], "quantity": q, "computed": s.central, "low": s.low, "high": s.high})
            for q, s in spans.items()
        ]
    )
    compare = published.merge(computed, on=["subject", "quantity"], how="left")
    compare["ratio"] = compare["value"] / compare["computed"]
    compare["unit_label"] = compare["quantity"].map(ENERGY_QUANTITIES)
    compare["range"] = [
        "\u2014" if np.isnan(mid) else f"{format_number(mid, 'sig3')} ({format_number(lo, 'sig3')}\u2013{format_number(hi, 'sig3')})"
        for mid, lo, hi in zip(compare["computed"], compare["low"], compare["high"])
    ]
    return compare


def comparison_example(compare: pd.DataFrame, known: pd.DataFrame, pue_low: float, pue_high: float,
                       grid_low: float, grid_high: float) -> dict:
    """The counts of :func:`comparison` (rows, models, rows computed, rows within :data:`CLOSE`), the
    PUE and grid ranges (kg CO2e/kWh) and the models without inputs. Glue names ``c7_close``,
    ``c7_rows*``, ``c7_models``, ``c7_pue_*``, ``c7_grid_*``, ``c7_missing``."""
    subjects = list(dict.fromkeys(compare["subject"]))
    missing = sorted(set(subjects) - set(known["subject"]))
    return {
        "c7_close": (CLOSE, ".0%"),
        "c7_rows": (len(compare), ".0f"),
        "c7_models": (len(subjects), ".0f"),
        "c7_rows_computed": (compare["ratio"].notna().sum(), ".0f"),
        "c7_rows_within": (compare["ratio"].between(1 - CLOSE, 1 / (1 - CLOSE)).sum(), ".0f"),
        "c7_pue_low": (pue_low, ".2f"),
        "c7_pue_high": (pue_high, ".2f"),
        "c7_grid_low": (grid_low, ".3f"),
        "c7_grid_high": (grid_high, ".3f"),
        "c7_missing": ", ".join(missing) if missing else "none",
    }


FACTOR_MODELS = {"llama-3-70b": "llama3", "llama-3.1-405b": "llama31", "llama-4-maverick": "llama4"}
"""Models whose published emissions the chapter divides by their energy at the accelerators' power
(their model cards give no grid intensity or PUE) -> their key in glue names."""


def emission_factors(compare: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """Per model of ``known`` with a primary published emissions figure in ``compare`` (rows of
    :func:`comparison`): the kg CO2e per accelerator-kWh that figure implies (``implied``: t CO2e x
    1,000 / (accelerator-hours x W / 1,000)), the one the computed value uses (``used``: PUE x grid
    intensity) and the published figure's ``ratio`` to the computed one."""
    co2 = compare[(compare["quantity"] == "co2_t") & compare["primary"]][["subject", "value", "ratio"]]
    rows = co2.merge(known[["subject", "gpu_hours", "power_w", "pue", "grid_kg_per_kwh"]], on="subject")
    kwh = rows["gpu_hours"] * rows["power_w"] / 1e3
    return pd.DataFrame({"subject": rows["subject"], "implied": rows["value"] * 1e3 / kwh,
                         "used": rows["pue"] * rows["grid_kg_per_kwh"], "ratio": rows["ratio"]})


def factor_example(factors: pd.DataFrame) -> dict:
    """Glue names ``c7_factor_*``: the implied kg CO2e per accelerator-kWh of each of
    :data:`FACTOR_MODELS` (:func:`emission_factors`), the one the chapter uses for the last of them,
    and that model's published / computed ratio."""
    rows = factors.set_index("subject")
    last = list(FACTOR_MODELS)[-1]
    values = {f"c7_factor_{key}": (rows.loc[ident, "implied"], ".3f") for ident, key in FACTOR_MODELS.items()}
    return {**values, "c7_factor_used": (rows.loc[last, "used"], ".3f"), "c7_factor_ratio": (rows.loc[last, "ratio"], ".2f")}


PUBLISHED_FORMAT = ",.12g"
"""A published energy or emissions figure as the chapter writes it: with every digit it was published with."""


def comparison_table(compare: pd.DataFrame):
    """:func:`comparison` as the chapter shows it: published value with its unit, computed (low–high),
    ratio, primary, source with locator, and what the figure covers."""
    shown = compare.assign(
        source=compare["source"] + ", " + compare["locator"],
        value=[format_number(v, PUBLISHED_FORMAT, unit) for v, unit in zip(compare["value"], compare["unit_label"])],
    )
    return table(
        shown[["subject", "value", "range", "ratio", "primary", "source", "note"]],
        formats={"ratio": ".2f"},
        columns={
            "subject": "model", "value": "published (unit)", "range": "computed (low\u2013high)", "ratio": "published / computed",
            "primary": "primary", "source": "source, where", "note": "what the figure covers",
        },
    )


def published_chart(compare: pd.DataFrame):
    """Each published figure of :func:`comparison` over the computed one, on a log axis, with a bar
    over the PUE and grid ranges (:func:`llmcost.figures.ratio_dots`); rows without a computed value are left out."""
    points = compare.dropna(subset=["computed"])
    points = points.assign(
        label=pd.Series(short_names(points["subject"]), index=points.index) + " (" + points["source"].map(cite_text) + ")",
        kind=points["unit_label"],
        ratio_low=points["value"] / points["high"],
        ratio_high=points["value"] / points["low"],
    )[["label", "kind", "value", "computed", "ratio", "ratio_low", "ratio_high"]]
    points = number_texts(points, {"value": PUBLISHED_FORMAT, "computed": "sig3"})
    return figures.ratio_dots(
        points, "label", "ratio", "Published energy and emissions over computed from the inputs",
        "published / computed (log scale; 1 = agreement)", color="kind", low="ratio_low", high="ratio_high",
        tooltip=[alt.Tooltip("kind:N", title="unit"), alt.Tooltip("value_text:N", title="published"),
                 alt.Tooltip("computed_text:N", title="computed")],
    )


# --- with or without the PUE ---------------------------------------------------------------


def pue_accounting() -> pd.DataFrame:
    """:func:`llmcost.ranges.pue_accounting` of GPT-3, BLOOM and Gopher, one row each (``model``):
    accelerator-hours, W, PUE, kg CO2e/kWh, and MWh and t CO2e without and with the PUE."""
    return pd.DataFrame([{"model": name, **ranges.pue_accounting(name)} for name in ACCOUNTING_MODELS])


def accounting_example(accounting: pd.DataFrame) -> dict:
    """The two accountings of :func:`pue_accounting` for each model (hours, W, PUE, grid, MWh and t
    without and with the PUE) beside the published figures they explain: Patterson's and Luccioni's
    for GPT-3, Luccioni's and LLaMA's recomputation for BLOOM (recomputed here from LLaMA's W, PUE and
    grid), Luccioni's for Gopher. Glue names ``c7_gpt3_*``, ``c7_bloom_*``, ``c7_gopher_*``."""
    by_model = accounting.set_index("model")
    values = {}
    for subject, key in ACCOUNTING_MODELS.items():
        row = by_model.loc[subject]
        values[f"c7_{key}_hours"] = hours_text(row["gpu_hours"], row["hours_from"])
        values[f"c7_{key}_w"] = (row["power_w"], ",.0f", "W")
        values[f"c7_{key}_pue"] = (row["pue"], ".2f")
        values[f"c7_{key}_grid"] = (row["grid_kg_per_kwh"], ".3f")
        for label, column in (("pue", "with_pue"), ("nopue", "without_pue")):
            values[f"c7_{key}_mwh_{label}"] = (row[f"mwh_{column}"], ",.0f")
            values[f"c7_{key}_t_{label}"] = (row[f"t_{column}"], "sig3")
    fact = published_value
    gpt3_mwh = fact("gpt-3", "energy_mwh", "patterson2021carbon")
    gopher_mwh = fact("gopher-280b", "energy_mwh", "luccioni2022bloomcarbon")
    llama_mwh = energy.energy_mwh(fact("bloom-176b", "gpu_hours", "touvron2023llama"), fact("llama-65b", "power_w", "touvron2023llama"),
                                  fact("llama-65b", "pue", "touvron2023llama"))
    return values | {
        "c7_gpt3_pub_mwh": (gpt3_mwh, ",.0f"),
        "c7_gpt3_pub_t": (fact("gpt-3", "co2_t", "patterson2021carbon"), "sig3"),
        "c7_gpt3_luc_t": (fact("gpt-3", "co2_t", "luccioni2022bloomcarbon"), ",.0f"),
        "c7_gpt3_pub_times_grid": (energy.co2_tonnes(gpt3_mwh, by_model.loc["gpt-3", "grid_kg_per_kwh"]), "sig3"),
        "c7_bloom_pub_mwh": (fact("bloom-176b", "energy_mwh", "luccioni2022bloomcarbon"), ",.3f"),
        "c7_bloom_pub_t": (fact("bloom-176b", "co2_t", "luccioni2022bloomcarbon", "Table 2 (dynamic"), "sig3"),
        "c7_bloom_t4_t": (fact("bloom-176b", "co2_t", "luccioni2022bloomcarbon", "Table 4"), ",.0f"),
        "c7_bloom_total_t": (fact("bloom-176b", "co2_t", "luccioni2022bloomcarbon", "(total)"), "sig3"),
        "c7_bloom_llama_mwh": (llama_mwh, ",.0f"),
        "c7_bloom_llama_t": (energy.co2_tonnes(llama_mwh, fact("llama-65b", "grid_kg_per_kwh", "touvron2023llama")), ",.0f"),
        "c7_bloom_llama_pub_mwh": (fact("bloom-176b", "energy_mwh", "touvron2023llama"), ",.0f"),
        "c7_bloom_llama_pub_t": (fact("bloom-176b", "co2_t", "touvron2023llama"), ",.0f"),
        "c7_gopher_pub_mwh": (gopher_mwh, ",.0f"),
        "c7_gopher_pub_t": (fact("gopher-280b", "co2_t", "luccioni2022bloomcarbon", "x PUE"), ",.0f"),
        "c7_gopher_luc_t": (fact("gopher-280b", "co2_t", "luccioni2022bloomcarbon", "(CO2eq emissions column)"), ",.0f"),
        "c7_gopher_pub_times_grid": (energy.co2_tonnes(gopher_mwh, by_model.loc["gopher-280b", "grid_kg_per_kwh"]), "sig3"),
    }


def accounting_table(accounting: pd.DataFrame):
    """:func:`pue_accounting` as the chapter shows it."""
    hours = [hours_text(h, source) for h, source in zip(accounting["gpu_hours"], accounting["hours_from"])]
    return table(
        accounting.assign(gpu_hours=hours).drop(columns="hours_from"),
        formats={"power_w": "auto", "pue": ".2f", "grid_kg_per_kwh": ".3f", "mwh_without_pue": "sig3",
                 "t_without_pue": "sig3", "mwh_with_pue": "sig3", "t_with_pue": "sig3"},
        columns={"gpu_hours": "accelerator-hours", "power_w": "W", "pue": "PUE", "grid_kg_per_kwh": "kg/kWh",
                 "mwh_without_pue": "MWh without PUE", "t_without_pue": "t without PUE", "mwh_with_pue": "MWh with PUE",
                 "t_with_pue": "t with PUE"},
    )


# --- the seed's claims -----------------------------------------------------------------------


def seed_claims_example(accounting: pd.DataFrame) -> dict:
    """Seed 002's energy claims (:data:`SEED_CLAIMS`) as stated and as :func:`llmcost.audit.recompute_all`
    recomputes them, with their ratio; GPT-3's emissions over Gopher's and BLOOM's with the PUE (and
    BLOOM's without), GPT-3's grid over BLOOM's (all from :func:`pue_accounting`, dimensionless), and
    PaLM's training days. Glue names ``c7_seed_*``, ``c7_ratio_*``, ``c7_grid_ratio``, ``c7_palm_days``."""
    rows = {r["id"]: r for r in audit.recompute_all()}
    values = {}
    for ident, key in SEED_CLAIMS.items():
        values[f"c7_seed_{key}_stated"] = (rows[ident]["stated_value"], ",.4g")
        values[f"c7_seed_{key}_recomputed"] = (rows[ident]["recomputed"], ",.4g")
        values[f"c7_seed_{key}_ratio"] = (rows[ident]["ratio"], ".3f")
    a = accounting.set_index("model")
    return values | {
        "c7_ratio_gopher_pue": (a.loc["gpt-3", "t_with_pue"] / a.loc["gopher-280b", "t_with_pue"], ".2f"),
        "c7_ratio_bloom_pue": (a.loc["gpt-3", "t_with_pue"] / a.loc["bloom-176b", "t_with_pue"], ".1f"),
        "c7_ratio_bloom_nopue": (a.loc["gpt-3", "t_without_pue"] / a.loc["bloom-176b", "t_without_pue"], ".1f"),
        "c7_grid_ratio": (a.loc["gpt-3", "grid_kg_per_kwh"] / a.loc["bloom-176b", "grid_kg_per_kwh"], ".1f"),
        "c7_palm_days": (datasets.model("palm")["train_days"], ".0f"),
    }


# --- the same model on other hardware, and on other grids -----------------------------------


def whatif_run(model: str, gpu: str, precision: str, mfu: float, power_source: str, pue: tuple, grid_kg_per_kwh: tuple) -> dict:
    """The chapter's model trained on ``gpu`` at ``precision``'s dense peak and ``mfu`` (None: the
    planning utilization, :func:`llmcost.calibration.planning_utilization`), drawing the
    accelerator's TDP (W): :func:`llmcost.ranges.training_range` over the PUE and grid (kg CO2e/kWh)
    ranges ``(low, central, high)``, each widened (:func:`widen`) to hold the model's own PUE and grid
    (:func:`model_energy`, with the central values standing in for unpublished ones). Returns
    ``{output: Span}`` (gpu_hours, energy_mwh in MWh, co2_t in t CO2e, ...) plus ``"chosen"``, the
    :func:`model_energy` of the model, and ``"plan"``, the utilization."""
    chosen = model_energy(model, mfu, power_source, pue[1], grid_kg_per_kwh[1])
    facts = datasets.model(model)
    plan = calibration.planning_utilization(gpu, precision, mfu)
    run = ranges.training_range(
        facts["params_active"],
        facts["tokens"],
        peak_flops(gpu, precision),
        plan["central"],
        power_w=accelerator(gpu)["tdp_w"],
        pue=widen(pue[0], chosen["pue"], pue[2]),
        grid_kg_per_kwh=widen(grid_kg_per_kwh[0], chosen["grid_kg_per_kwh"], grid_kg_per_kwh[2]),
    )
    return {**run, "chosen": chosen, "plan": plan}


def whatif_example(model: str, gpu: str, precision: str, mfu: float, power_source: str, pue: tuple, grid_kg_per_kwh: tuple) -> dict:
    """The worked example of :func:`whatif_run` (same arguments): the accelerator, MFU and TDP (W),
    accelerator-hours, MWh and t CO2e with their ranges, the model's own energy over this run's, the
    model's own PUE and grid (kg CO2e/kWh) the run keeps, and its t CO2e at the central grid of
    ``grid_kg_per_kwh`` instead. Glue names ``c7_gpu``, ``c7_mfu``, ``c7_gpu_tdp``, ``c7_run_*``, ``c7_default_grid``."""
    run = whatif_run(model, gpu, precision, mfu, power_source, pue, grid_kg_per_kwh)
    return {
        "c7_gpu": accelerator(gpu)["name"],
        "c7_mfu": (run["plan"]["central"], ".1%"),
        "c7_mfu_source": run["plan"]["source"],
        "c7_gpu_tdp": (accelerator(gpu)["tdp_w"], ",.0f", "W"),
        "c7_run_hours": (run["gpu_hours"].central, "sig3"),
        "c7_run_mwh": (run["energy_mwh"].central, ",.0f"),
        "c7_run_mwh_low": (run["energy_mwh"].low, ",.0f"),
        "c7_run_mwh_high": (run["energy_mwh"].high, ",.0f"),
        "c7_run_co2": (run["co2_t"].central, ",.0f"),
        "c7_run_co2_low": (run["co2_t"].low, "sig3"),
        "c7_run_co2_high": (run["co2_t"].high, ",.0f"),
        "c7_run_vs_published": (run["chosen"]["energy_mwh"] / run["energy_mwh"].central, ".1f"),
        "c7_run_pue": (run["chosen"]["pue"], ".2f"),
        "c7_run_grid": (run["chosen"]["grid_kg_per_kwh"], ".3f"),
        "c7_default_grid": (grid_kg_per_kwh[1], ".3f"),
        "c7_run_co2_default": (energy.co2_tonnes(run["energy_mwh"].central, grid_kg_per_kwh[1]), ",.0f"),
    }


def grid_whatif(models, mfu: float, power_source: str, pue: float, grid_kg_per_kwh: float, grid_low: float,
                grid_high: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Emissions (t CO2e) of one training run of each of ``models`` (duplicates dropped; energy from
    :func:`model_energy`) as the grid intensity runs over :data:`GRID_POINTS` values from half of
    ``max(grid_low, 0.01)`` (no zero on a log axis) to ``max(grid_high, grid_kg_per_kwh)`` kg CO2e/kWh.
    Returns ``lines`` (model, grid, tonnes: one row per model and grid) and ``marks`` (the same
    columns at each model's own grid)."""
    grid_axis = np.linspace(max(grid_low, 0.01) / 2, max(grid_high, grid_kg_per_kwh), GRID_POINTS)
    names = list(dict.fromkeys(models))
    runs = [model_energy(name, mfu, power_source, pue, grid_kg_per_kwh) for name in names]
    mwh = np.array([r["energy_mwh"] for r in runs])
    tonnes = energy.co2_tonnes(mwh[:, None], grid_axis[None, :])
    lines = pd.DataFrame(
        [(n, g, t) for n, row in zip(names, tonnes) for g, t in zip(grid_axis, row)], columns=["model", "grid", "tonnes"]
    )
    marks = pd.DataFrame({"model": names, "grid": [r["grid_kg_per_kwh"] for r in runs]})
    marks["tonnes"] = energy.co2_tonnes(mwh, marks["grid"].to_numpy())
    return lines, marks


def grid_whatif_chart(lines: pd.DataFrame, marks: pd.DataFrame):
    """A line per model of :func:`grid_whatif` (t CO2e on a log axis against kg CO2e/kWh), a dot at
    the grid each model was trained on."""
    lines, marks = lines.assign(model=short_names(lines["model"])), marks.assign(model=short_names(marks["model"]))
    return alt.layer(
        alt.Chart(lines).mark_line().encode(
            x=alt.X("grid:Q", title="grid carbon intensity (kg CO2e per kWh)"),
            y=alt.Y("tonnes:Q", scale=alt.Scale(type="log"), title="t CO2e of one training run (log scale)"),
            color=alt.Color("model:N"),
        ),
        alt.Chart(marks).mark_point(filled=True, size=80).encode(
            x="grid:Q", y="tonnes:Q", color="model:N",
            tooltip=["model:N", alt.Tooltip("grid:Q", format=".3r", title="kg CO2e per kWh"),
                     alt.Tooltip("tonnes:Q", format=",.3r", title="t CO2e")],
        ),
    ).properties(width=460, height=320, title="What if the same run used another grid?")


# --- energy as drawn ----------------------------------------------------------------------------


BOUNDARY_LABELS = {"accelerator_tdp": "accelerators at TDP", "accelerator_drawn": "accelerators as drawn",
                   "node_measured": "node as measured", "node_rated": "node at its rated maximum"}
"""Short names of :data:`llmcost.energy.POWER_BOUNDARIES` for the chapter's table."""


def drawn_rows(gpu: str, gpu_hours: float, pue: float) -> pd.DataFrame:
    """The what-if run's ``gpu_hours`` on ``gpu`` within each boundary of
    :data:`llmcost.energy.POWER_BOUNDARIES`: W per accelerator (the accelerators as drawn over a run
    busy :func:`llmcost.calibration.busy_share` of the time), MWh before any PUE, with ``pue`` and
    with the industry's average PUE (:data:`llmcost.energy.INDUSTRY_PUE`). Node rows are NaN where
    the dataset has no node figure for ``gpu`` (:func:`llmcost.energy.node_power_per_accelerator_w`)."""
    record, busy = accelerator(gpu), calibration.busy_share()["central"]
    node, count = record.get("node_power_w"), record.get("node_accelerators")
    watts = {"accelerator_tdp": record["tdp_w"], "accelerator_drawn": energy.drawn_power_w(record["tdp_w"], busy),
             "node_measured": energy.node_power_per_accelerator_w(node, count, energy.NODE_DRAW_SHARE) if node else float("nan"),
             "node_rated": energy.node_power_per_accelerator_w(node, count) if node else float("nan")}
    return pd.DataFrame([{"boundary": BOUNDARY_LABELS[boundary], "power_w": watts[boundary],
                          **{column: watts[boundary] * gpu_hours * factor / energy.WATT_HOURS_PER_MWH
                             for column, factor in (("mwh", 1.0), ("mwh_pue", pue), ("mwh_industry", energy.INDUSTRY_PUE))}}
                         for boundary in energy.POWER_BOUNDARIES])


def drawn_example(rows: pd.DataFrame, pue: float) -> dict:
    """Glue names ``c7_drawn_*``: the busy share and its runs, the idle and measured node shares,
    the industry PUE, the MWh at TDP and at the node as measured (with the page's PUE) and their ratio."""
    busy = calibration.busy_share()
    at_tdp, node = rows["mwh_pue"].iloc[0], rows["mwh_pue"].iloc[2]
    return {
        "c7_drawn_busy": (busy["central"], ".0%"), "c7_drawn_busy_low": (busy["low"], ".0%"),
        "c7_drawn_busy_high": (busy["high"], ".0%"), "c7_drawn_busy_count": (busy["count"], ",.0f"),
        "c7_drawn_idle": (energy.IDLE_SHARE, ".0%"), "c7_drawn_node_share": (energy.NODE_DRAW_SHARE, ".0%"),
        "c7_drawn_industry_pue": (energy.INDUSTRY_PUE, ".2f"), "c7_drawn_pue": (pue, ".2f"),
        "c7_drawn_tdp_mwh": (at_tdp, "sig3"), "c7_drawn_node_mwh": (node, "sig3") if node == node else "not known",
        "c7_drawn_node_over_tdp": (node / at_tdp, ".2f") if node == node else "not known",
    }
