"""The calibration appendix: how well each formula's results fit the published figures (FLOPs,
accelerator-hours, energy), the utilization that published hours imply, a default utilization per
accelerator generation, and the models whose sources disagree; with the appendix's two charts.

Worked examples return dicts of glued values for :func:`llmcost.book.glue_all` (name -> text or
``(value, fmt)``), in the order the appendix glues them. Tables come from
:mod:`llmcost.calibration`; ratios are published / formula and utilizations fractions of the
dense peak (both dimensionless).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...analysis import calibration
from ...catalog import datasets, defaults, hardware
from ..tables import format_number, number_texts, short_names, table

GENERATION_ORDER = ("Volta", "Ampere", "Hopper", "TPU")
"""The accelerator generations of the models with published hours, oldest first (the chart's colours and rows)."""

UTILIZATION_MODELS = {"palm-540b": "palm", "llama-3.1-405b": "llama405", "gpt-3": "gpt3", "opt-175b": "opt",
                      "bloom-176b": "bloom", "deepseek-v3": "dsv3"}
"""Models whose implied (and reported) utilization the appendix quotes: id -> key of the glued names."""

GENERATION_VALUES = {"median": ("median", ".1%"), "min": ("min", ".1%"), "max": ("max", ".1%"), "count": ("count", ",.0f"),
                     "factor": ("cli_over_median", ".2f")}
"""What the appendix quotes per generation of :func:`generation_table`: suffix of the glued name
(``c91_<generation>_<suffix>``) -> (column, format)."""

DISAGREEMENTS = {
    "gpt3_co2_pue": ("gpt-3", "co2_t", "patterson2021carbon", ",.0f"),
    "gpt3_co2": ("gpt-3", "co2_t", "luccioni2022bloomcarbon", ",.0f"),
    "gopher_flops": ("gopher-280b", "train_flops", "rae2021gopher", "sci"),
    "gopher_flops_chinchilla": ("gopher-280b", "train_flops", "hoffmann2022chinchilla", "sci"),
    "t5_flops": ("t5-11b", "train_flops", "patterson2021carbon", "sci"),
    "t5_flops_seed": ("t5-11b", "train_flops", "seed002", "sci"),
    "opt_co2": ("opt-175b", "co2_t", "zhang2022opt", ",.0f"),
    "opt_co2_llama": ("opt-175b", "co2_t", "touvron2023llama", ",.0f"),
    "bloom_hours": ("bloom-176b", "gpu_hours", "luccioni2022bloomcarbon", ",.0f"),
    "bloom_hours_llama": ("bloom-176b", "gpu_hours", "touvron2023llama", ",.0f"),
    "llama405_context": ("llama-3.1-405b", "context", "dubey2024llama3", ",.0f"),
    "llama405_context_card": ("llama-3.1-405b", "context", "meta2024llama31card", ",.0f"),
}
"""Published values the appendix quotes from :func:`llmcost.calibration.source_disagreements`:
key of the glued name (``c91_<key>``) -> (model, quantity, source, format)."""


def settings_example(mfu, tolerance) -> dict:
    """The appendix's utilization and match tolerance, and the library's default utilization
    (``llmcost.defaults.REFERENCE_MFU``, where no calibration applies)."""
    return {"c91_default_mfu": (mfu, ".1%"), "c91_tolerance": (tolerance, ".0%"),
            "c91_cli_mfu": (defaults.REFERENCE_MFU.value, ".1%")}


def fit_example(key: str, frame: pd.DataFrame, tolerance) -> dict:
    """How a comparison table fits (``frame``: a table of :mod:`llmcost.calibration` with a ``ratio``
    column): the number of models, the median and worst ratio (:func:`llmcost.calibration.summary`),
    the worst model's id and the number of ratios within ``tolerance`` of 1, glued as ``c91_<key>_*``."""
    fit = calibration.summary(frame)
    within = (np.abs(frame["ratio"].dropna() - 1) <= tolerance).sum()
    return {
        f"c91_{key}_count": (fit["count"], ",.0f"),
        f"c91_{key}_median": (fit["median"], ".3f"),
        f"c91_{key}_worst": (fit["worst"], ".3f"),
        f"c91_{key}_worst_id": fit["worst_id"],
        f"c91_{key}_within": (within, ",.0f"),
    }


def comparison_points(frame: pd.DataFrame, formula: str, label: str) -> pd.DataFrame:
    """The rows of ``frame`` with a ratio, as the parity chart draws them: comparison (``label``), id,
    formula (the column ``formula``: the formula's value), published, ratio, and the two values as
    the text writes them (``formula_text``, ``published_text``)."""
    known = frame.dropna(subset=["ratio"])
    points = known.assign(comparison=label, formula=known[formula])[["comparison", "id", "formula", "published", "ratio"]]
    return number_texts(points, {"formula": "sig3"}).assign(published_text=[value_text(v, "") for v in points["published"]])


def energy_example(power: pd.DataFrame) -> dict:
    """BLOOM's and OPT's energy ratios (published / formula) and the PUE and power (W) the formula
    used, from :func:`llmcost.calibration.energy_table`'s rows ``power``."""
    rows = power.set_index("id")
    return {
        "c91_bloom_energy_ratio": (rows.loc["bloom-176b", "ratio"], ".3f"),
        "c91_bloom_pue": (rows.loc["bloom-176b", "pue"], ".2f"),
        "c91_opt_energy_ratio": (rows.loc["opt-175b", "ratio"], ".3f"),
        "c91_opt_power": (rows.loc["opt-175b", "power_w"], ",.0f"),
        "c91_opt_pue": (rows.loc["opt-175b", "pue"], ".2f"),
    }


def parity_chart(points):
    """One ratio chart (:func:`llmcost.figures.ratio_dots`) per frame of :func:`comparison_points`, stacked."""
    import altair as alt

    from .. import figures

    return alt.vconcat(*[
        figures.ratio_dots(frame.assign(model=short_names(frame["id"])), "model", "ratio", frame["comparison"].iloc[0], "published / formula (log scale; 1 = agreement)",
                           tooltip=[alt.Tooltip("formula_text:N", title="formula"), alt.Tooltip("published_text:N", title="published")])
        for frame in points
    ]).properties(title="Published over formula, by model")


def implied_table() -> pd.DataFrame:
    """:func:`llmcost.calibration.implied_utilization_table` with each accelerator's generation as its third column."""
    implied = calibration.implied_utilization_table()
    implied.insert(2, "generation", [calibration.accelerator_generation(name) for name in implied["accelerator"]])
    return implied


def utilization_example(implied: pd.DataFrame) -> dict:
    """From :func:`implied_table`'s rows: the number of models with a reported utilization and of those
    whose implied one is lower, the implied (and, where published, reported and MFU) utilization of
    :data:`UTILIZATION_MODELS`, and DeepSeek-V3's implied utilization at its FP8 peak."""
    both = implied.dropna(subset=["reported"])
    rows = implied.set_index("id")
    values = {"c91_reported_count": (len(both), ",.0f"), "c91_below_count": ((both["implied"] < both["reported"]).sum(), ",.0f")}
    for ident, key in UTILIZATION_MODELS.items():
        values[f"c91_{key}_implied"] = (rows.loc[ident, "implied"], ".1%")
        for column in ("reported", "reported_mfu"):
            if pd.notna(rows.loc[ident, column]):
                values[f"c91_{key}_{column.removeprefix('reported_')}"] = (rows.loc[ident, column], ".1%")
    fp8 = calibration.implied_utilization_table(calibration.TRAINED_IN).set_index("id")
    values["c91_dsv3_fp8"] = (fp8.loc["deepseek-v3", "implied"], ".1%")
    return values


def utilization_chart(implied: pd.DataFrame, mfu):
    """Each model's utilization implied by its published hours and, where published, reported by its
    authors (:func:`implied_table`'s rows), grouped by generation, with a dashed rule at ``mfu``."""
    import altair as alt

    rank = implied["generation"].map({name: i for i, name in enumerate(GENERATION_ORDER)})
    order = list(implied.assign(rank=rank).sort_values(["rank", "implied"])["id"])
    both = implied.dropna(subset=["reported"])
    long = pd.concat([
        implied[["id", "generation", "implied"]].rename(columns={"implied": "utilization"}).assign(measure="implied by published hours"),
        both[["id", "generation", "reported"]].rename(columns={"reported": "utilization"}).assign(measure="reported by the authors"),
    ])
    long["id"], order = short_names(long["id"]), short_names(order)
    return alt.layer(
        alt.Chart(pd.DataFrame({"utilization": [mfu]})).mark_rule(color="#999", strokeDash=[4, 4]).encode(x="utilization:Q"),
        alt.Chart(long).mark_point(filled=True, size=80).encode(
            x=alt.X("utilization:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 0.6]), title="share of the dense peak"),
            y=alt.Y("id:N", sort=order, title=None),
            color=alt.Color("generation:N", scale=alt.Scale(domain=list(GENERATION_ORDER)), legend=alt.Legend(orient="bottom")),
            shape=alt.Shape("measure:N", scale=alt.Scale(range=["circle", "diamond"]), legend=alt.Legend(orient="bottom", labelLimit=0)),
            tooltip=[alt.Tooltip("id:N", title="model"), "generation:N", "measure:N", alt.Tooltip("utilization:Q", format=".1%")],
        ),
    ).properties(width=440, height=340, title="Utilization implied by published hours and reported by the authors")


def generation_table() -> pd.DataFrame:
    """:func:`llmcost.calibration.default_utilization_by_generation` with ``cli_over_median``: the
    library's default utilization over each generation's median (the factor by which an estimate at
    the default undercounts the hours)."""
    generations = calibration.default_utilization_by_generation()
    generations["cli_over_median"] = defaults.REFERENCE_MFU.value / generations["median"]
    return generations


def generation_example(generations: pd.DataFrame) -> dict:
    """Per generation of :func:`generation_table`: median, lowest and highest implied utilization,
    number of models and the default's factor, glued as ``c91_<generation>_*``; then the H100's
    dense BF16 peak over the A100's."""
    by_generation = generations.set_index("generation")
    values = {}
    for generation in by_generation.index:
        for name, (column, fmt) in GENERATION_VALUES.items():
            values[f"c91_{generation.lower()}_{name}"] = (by_generation.loc[generation, column], fmt)
    values["c91_hopper_peak_gain"] = (hardware.peak_flops("h100", "bf16") / hardware.peak_flops("a100", "bf16"), ".1f")
    return values


def disagreement_example(disagreements: pd.DataFrame, flop: pd.DataFrame) -> dict:
    """From :func:`llmcost.calibration.source_disagreements`' rows: the number of model quantities with
    more than one published value and of values, the values of :data:`DISAGREEMENTS`, half of T5's
    6PD (FLOP, from :func:`llmcost.calibration.flops_table`'s rows ``flop``) and the gap between
    BLOOM's two published accelerator-hours."""
    facts = disagreements.set_index(["subject", "quantity", "source"])["value"]
    values = {"c91_pairs": (disagreements.groupby(["subject", "quantity"]).ngroups, ",.0f"),
              "c91_pair_rows": (len(disagreements), ",.0f")}
    for key, (subject, quantity, source, fmt) in DISAGREEMENTS.items():
        values[f"c91_{key}"] = (facts.loc[(subject, quantity, source)], fmt)
    values["c91_t5_half_6pd"] = (flop.set_index("id").loc["t5-11b", "flops_6pd"] / 2, "sci")
    bloom = [facts.loc[DISAGREEMENTS[key][:3]] for key in ("bloom_hours", "bloom_hours_llama")]
    values["c91_bloom_hours_gap"] = (bloom[0] - bloom[1], ",.0f")
    return values


def value_text(value, unit: str) -> str:
    """A published value with its unit as the disagreements table writes it: a fraction in per cent,
    from 1e10 in scientific notation, from 1,000 as a whole number, else 4 significant digits."""
    if unit == "fraction":
        return format_number(value, ".1%")
    fmt = "sci" if value >= 1e10 else (",.0f" if value >= 1000 else ".4g")
    return format_number(value, fmt, unit)


def disagreement_table(disagreements: pd.DataFrame) -> pd.DataFrame:
    """:func:`llmcost.calibration.source_disagreements`' rows as the appendix shows them: model,
    quantity (its reader label), value with unit (:func:`value_text`), source with locator, primary
    ("yes" or blank), ratio to the primary value, note."""
    shown = disagreements.assign(
        quantity=disagreements["quantity"].map(datasets.quantity_label),
        value=[value_text(v, u) for v, u in zip(disagreements["value"], disagreements["unit"])],
        source=disagreements["source"] + ", " + disagreements["locator"],
        primary=disagreements["primary"].map({True: "yes", False: ""}),
    )
    return shown[["subject", "quantity", "value", "source", "primary", "ratio", "note"]]


def held_out_example(held_out, summary) -> dict:
    """Glue names ``c91_held_*``: over all held-out runs (``held_out``, :func:`llmcost.calibration.held_out_training`;
    ``summary``, :func:`llmcost.calibration.held_out_summary`), their number, the median and worst
    error of the central prediction, the share the range covers, the number of sources, the runs
    held out with OPT-175B's (whose hours the LLaMA paper publishes) and the three runs predicted
    worst, by name."""
    overall = summary.set_index("source").loc["all"]
    worst = held_out.sort_values("error", ascending=False).head(3)
    return {"c91_held_rows": (overall["rows"], ",.0f"), "c91_held_median": (overall["median_error"], ".1%"),
            "c91_held_worst": (overall["worst_error"], ".1%"), "c91_held_coverage": (overall["coverage"], ".0%"),
            "c91_held_sources": (len(summary) - 1, ",.0f"),
            "c91_held_opt_source_runs": (int((held_out["source"] == held_out.set_index("id").loc["opt-175b", "source"]).sum()), ",.0f"),
            "c91_held_worst_runs": ", ".join(datasets.model(ident)["name"] for ident in worst["id"])}


def held_out_table(summary):
    """:func:`llmcost.calibration.held_out_summary` for display."""
    return table(summary, {"rows": ",.0f", "median_error": "sig3%", "worst_error": "sig3%", "coverage": ".0%"},
                 {"source": "source held out", "median_error": "median error", "worst_error": "worst error",
                  "coverage": "range covers"})


def training_rows(held_out: pd.DataFrame) -> pd.DataFrame:
    """Per held-out training run (:func:`llmcost.calibration.held_out_training`): its ceiling (the
    accelerator-hours of 6PD at the full dense peak, the fewest possible), the expected hours from
    the other sources with their range, and the published hours; model names."""
    implied = calibration.implied_utilization_table().set_index("id")["implied"]
    return pd.DataFrame({
        "run": [datasets.model(ident)["name"] for ident in held_out["id"]],
        "ceiling": held_out["published"].to_numpy() * implied.loc[held_out["id"]].to_numpy(),
        "expected": held_out["predicted"].to_numpy(),
        "range": [f"{format_number(low, 'sig3')} to {format_number(high, 'sig3')}" for low, high in zip(held_out["low"], held_out["high"])],
        "published": held_out["published"].to_numpy(),
        "error": held_out["error"].to_numpy(),
    })


def serving_rows(held_out: pd.DataFrame) -> pd.DataFrame:
    """Per held-out serving measurement (:func:`llmcost.calibration.held_out_serving`): its setup, the
    metric, the roofline's value (the ceiling: the fastest, in tokens/s or seconds), the value
    expected from the other sources' measurements with its range, and the measured value."""
    served = calibration.serving_table().set_index("id").loc[held_out["id"]]
    return pd.DataFrame({
        "measurement": [serving_setup_text(row) for row in served.itertuples()],
        "metric": served["metric"].map(calibration.METRIC_LABELS).to_numpy(),
        "ceiling": served["llmcost"].to_numpy(),
        "expected": held_out["predicted"].to_numpy(),
        "range": [f"{format_number(low, 'sig3')} to {format_number(high, 'sig3')}" for low, high in zip(held_out["low"], held_out["high"])],
        "measured": held_out["published"].to_numpy(),
        "error": held_out["error"].to_numpy(),
    })


def serving_setup_text(row) -> str:
    """A serving measurement's setup in a reader's words: model and accelerator names, count, batch
    (or "batch not stated"), prompt and output tokens, precision."""
    batch = f"batch {row.batch:,.0f}" if row.batch == row.batch else "batch not stated"
    return (f"{datasets.model(row.model)['name']} on {row.accelerators} × {datasets.accelerator(row.accelerator)['name']}, "
            f"{batch}, {row.prompt_tokens:,} + {row.output_tokens:,} tokens, {row.precision.upper()}")


def serving_held_example(held_out: pd.DataFrame, summary: pd.DataFrame) -> dict:
    """Glue names ``c91_srv_*``: over all held-out serving measurements, their number, sources, the
    median and worst error of the central prediction, the share the range covers; the median error
    of the rows with 4 or more accelerators against those with 1 or 2."""
    overall = summary.set_index("source").loc["all"]
    served = calibration.serving_table().set_index("id").loc[held_out["id"]]
    wide = served["accelerators"].to_numpy() >= 4
    errors = held_out["error"].to_numpy()
    return {"c91_srv_rows": (overall["rows"], ",.0f"), "c91_srv_sources": (len(summary) - 1, ",.0f"),
            "c91_srv_median": (overall["median_error"], ".1%"), "c91_srv_worst": (overall["worst_error"], ".0%"),
            "c91_srv_coverage": (overall["coverage"], ".0%"),
            "c91_srv_wide_median": (float(np.median(errors[wide])), ".0%"),
            "c91_srv_narrow_median": (float(np.median(errors[~wide])), ".0%")}
