"""Chapter 3, FLOP accounting: 6PD against the published numbers.

The chapter's worked examples as dicts of glued values (name -> text, or ``(value, fmt[, unit])``
for :func:`llmcost.book.glue_all`), its tables and its charts. ``claims`` is always the claims
audit by id, ``{row["id"]: row for row in audit.recompute_all()}``; ``totals`` the table of
:func:`llmcost.calibration.flops_table`.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .. import charts
from ...analysis import audit, calibration, market, trends
from ...catalog import datasets, defaults
from ...catalog.datasets import model as model_record
from ...catalog.datasets import model_facts, models
from ...catalog.hardware import peak_flops
from ...formulas import cluster, cost, flops
from ..figures import label_sides
from ..tables import number_texts, price_text, short_names, table

TOTALS_FORMATS = {"params_active": "words", "tokens": "words", "flops_6pd": "sci", "flops_attention": "sci",
                  "published": "sci", "ratio": ".3f", "ratio_attention": ".3f"}
"""How :func:`totals_table` shows each column of ``calibration.flops_table``."""

TOTALS_HEADERS = {"id": "model", "params_active": "active parameters", "flops_6pd": "6PD (FLOP)",
                  "flops_attention": "6PD + attention (FLOP)", "published": "published (FLOP)",
                  "ratio": "published / 6PD", "ratio_attention": "published / (6PD + attention)"}
"""Headers of :func:`totals_table`, with their units."""


def flop_factors() -> dict:
    """FLOPs per parameter per token (FLOP) of training (``c3_k_train``, 6), inference
    (``c3_k_infer``, 2) and training with activation recomputation (``c3_k_recompute``, 8)."""
    return {
        "c3_k_train": (flops.flops_per_param_per_token(training=True), ",.0f"),
        "c3_k_infer": (flops.flops_per_param_per_token(training=False), ",.0f"),
        "c3_k_recompute": (flops.flops_per_param_per_token(training=True, recompute=True), ",.0f"),
    }


def units_example(claims: dict) -> dict:
    """GPT-3's training compute in petaflop/s-days and in FLOP (seed 002's "3,640 PFlops").

    ``c3_pfs_day``: FLOP in one petaflop/s-day; ``c3_pfs_stated`` / ``c3_pfs_recomputed``: the
    stated and 6PD compute in petaflop/s-days; ``c3_gpt3_published`` / ``c3_gpt3_6pd``: the same in
    FLOP; ``c3_gpt3_params`` and ``c3_gpt3_tokens``: GPT-3's parameters and training tokens.
    """
    pfs = claims["002-gpt3-pfs-days"]
    gpt3 = model_record("gpt-3")
    return {
        "c3_pfs_day": (flops.PETAFLOP_S_DAY, "sci"),
        "c3_pfs_stated": (pfs["stated_value"], ",.0f"),
        "c3_pfs_recomputed": (pfs["recomputed"], ",.0f"),
        "c3_gpt3_published": (pfs["stated_value"] * flops.PETAFLOP_S_DAY, "sci"),
        "c3_gpt3_6pd": (claims["000-gpt3-flops"]["recomputed"], "sci"),
        "c3_gpt3_params": (gpt3["params_active"], "words"),
        "c3_gpt3_tokens": (gpt3["tokens"], "words"),
    }


def totals_table(totals: pd.DataFrame):
    """Table 3.1 for display: per model, active parameters, tokens, 6PD and 6PD + attention
    (FLOP), the published total (FLOP) and its ratios to both."""
    return table(totals.drop(columns=["kind", "flops_8pd", "release"]), TOTALS_FORMATS, TOTALS_HEADERS)


def attention_gaps(totals: pd.DataFrame) -> dict:
    """Glue name ``c3_no_attention``: the models of ``totals`` without an attention term, by name,
    each with why (its record's gap, or no pre-training context)."""
    missing = totals[totals["flops_attention"].isna()]
    reasons = []
    for ident in missing["id"]:
        record = datasets.model(ident)
        why = "an incomplete architecture record" if record.get("architecture_gap") else "no published pre-training length"
        reasons.append(f"{record['name']}, {why}")
    return {"c3_no_attention": "; ".join(reasons) if reasons else "none"}


def published_comparison(totals: pd.DataFrame) -> dict:
    """How far published training compute is from 6PD: ratios (published / formula, no unit).

    ``c3_n_published``, ``c3_median_ratio``, ``c3_worst_ratio``: over the models with a published
    total (:func:`llmcost.calibration.summary`); Gopher's, T5-11B's and Llama 3.1 405B's ratios;
    the attention term's share of 6PD (a fraction) and the contexts (tokens) it is counted over;
    ``c3_gopher_chinchilla_ratio``: the Chinchilla paper's Gopher budget over 6PD.
    """
    fit = calibration.summary(totals)
    by_id = totals.set_index("id")
    gopher, t5, llama405 = (by_id.loc[name] for name in ("gopher-280b", "t5-11b", "llama-3.1-405b"))
    facts = model_facts()
    final_context = facts.query("subject == 'llama-3.1-405b' and quantity == 'context' and not primary")["value"].max()
    chinchilla = facts.query("subject == 'gopher-280b' and quantity == 'train_flops' and source == 'hoffmann2022chinchilla'")
    return {
        "c3_n_published": (fit["count"], ",.0f"),
        "c3_median_ratio": (fit["median"], ".3f"),
        "c3_worst_ratio": (fit["worst"], ".3f"),
        "c3_gopher_ratio": (gopher["ratio"], ".2f"),
        "c3_t5_ratio": (t5["ratio"], ".2f"),
        "c3_llama405_attention_ratio": (llama405["ratio_attention"], ".3f"),
        "c3_llama405_6pd_ratio": (llama405["ratio"], ".3f"),
        "c3_llama405_attention_share": (llama405["flops_attention"] / llama405["flops_6pd"] - 1, ".1%"),
        "c3_llama405_context": (model_record("llama-3.1-405b")["context"], ",.0f"),
        "c3_llama405_final_context": (final_context, ",.0f"),
        "c3_gopher_params": (gopher["params_active"], "words"),
        "c3_gopher_context": (model_record("gopher-280b")["context"], ",.0f"),
        "c3_gopher_attention_ratio": (gopher["ratio_attention"], ".3f"),
        "c3_gopher_attention_share": (gopher["flops_attention"] / gopher["flops_6pd"] - 1, ".1%"),
        "c3_gopher_chinchilla_ratio": (chinchilla["value"].iloc[0] / gopher["flops_6pd"], ".2f"),
    }


def log_decades(low: float, high: float) -> list[float]:
    """The powers of ten from the one at or below ``low`` to the one at or above ``high`` (axis ticks)."""
    return [10.0 ** k for k in range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)]


def published_chart(totals: pd.DataFrame):
    """Figure 3.1: published training compute against 6PD (both FLOP, log axes), one labelled
    point per model with a published total, and the diagonal y = x dashed."""
    published = totals.dropna(subset=["published"])
    span = [published[["flops_6pd", "published"]].min().min() / 2, published[["flops_6pd", "published"]].max().max() * 2]
    decades = log_decades(*span)
    published = published.assign(side=label_sides(published["flops_6pd"], published["published"]), id=short_names(published["id"]))
    base = alt.Chart(published).encode(
        x=alt.X("flops_6pd:Q", scale=alt.Scale(type="log", domain=span), title="6PD (FLOP)", axis=charts.power_of_ten_axis(values=decades)),
        y=alt.Y("published:Q", scale=alt.Scale(type="log", domain=span), title="published training compute (FLOP)",
                axis=charts.power_of_ten_axis(values=decades)),
    )
    diagonal = alt.Chart(pd.DataFrame({"x": span, "y": span})).mark_line(color="#999", strokeDash=[4, 4]).encode(x="x:Q", y="y:Q")
    return alt.layer(
        diagonal,
        base.mark_point(filled=True, size=80),
        base.transform_filter(alt.datum.side == "right").mark_text(align="left", dx=7, dy=-6).encode(text="id:N"),
        base.transform_filter(alt.datum.side == "left").mark_text(align="right", dx=-7, dy=8).encode(text="id:N"),
    ).properties(width=420, height=360, title="Published training compute against 6PD (dashed: y = x)")


def gpt4_active(claims: dict) -> float:
    """GPT-4's active parameters from the leak's parts (seed 000's claim ``000-gpt4-active-params``):
    two routed experts and the shared attention, :func:`llmcost.flops.moe_active_params`."""
    moe = claims["000-gpt4-active-params"]["inputs"]
    return flops.moe_active_params(moe["expert_params"], moe["experts_routed"], moe["shared_params"])


def gpt4_overcount(claims: dict) -> float:
    """How many times 6PD with all of GPT-4's parameters overstates its compute: total over active
    parameters (:func:`gpt4_active`), the one value the introduction and this chapter quote."""
    return model_record("gpt-4")["params_total"] / gpt4_active(claims)


def gpt4_example(claims: dict) -> dict:
    """GPT-4's active parameters from the leak's parts, and its training compute (FLOP) counted
    with them, with the leak's rounded active count and with all parameters.

    Parameters as counts (``c3_gpt4_total``, ``_expert``, ``_shared``, ``_active``, ``_active_leak``),
    experts (``_routed`` per token of ``_experts``), tokens, FLOP (``_6pd``, ``_6pd_leak``,
    ``_reported``, ``_total_flops``) and ``c3_gpt4_overcount``: total over active parameters.
    """
    moe = claims["000-gpt4-active-params"]["inputs"]
    gpt4 = model_record("gpt-4")
    active = gpt4_active(claims)
    return {
        "c3_gpt4_total": (gpt4["params_total"], "words"),
        "c3_gpt4_expert": (moe["expert_params"], "words"),
        "c3_gpt4_shared": (moe["shared_params"], "words"),
        "c3_gpt4_routed": (moe["experts_routed"], ",.0f"),
        "c3_gpt4_experts": (gpt4["experts"], ",.0f"),
        "c3_gpt4_active": (active, "words"),
        "c3_gpt4_tokens": (gpt4["tokens"], "words"),
        "c3_gpt4_6pd": (flops.training_flops(active, gpt4["tokens"]), "sci"),
        "c3_gpt4_active_leak": (gpt4["params_active"], "words"),
        "c3_gpt4_6pd_leak": (flops.training_flops(gpt4["params_active"], gpt4["tokens"]), "sci"),
        "c3_gpt4_reported": (gpt4["train_flops"], "sci"),
        "c3_gpt4_total_flops": (flops.training_flops(gpt4["params_total"], gpt4["tokens"]), "sci"),
        "c3_gpt4_overcount": (gpt4_overcount(claims), ".1f"),
    }


def convention_example(model: str, conventions: pd.DataFrame) -> dict:
    """``c3_model`` (the name as given) and the smallest and largest ratio to 6PD (no unit) of
    ``conventions``, a :func:`llmcost.calibration.convention_table`."""
    spread = conventions["ratio"].dropna()
    return {"c3_model": model, "c3_conv_min": (spread.min(), ".3f"), "c3_conv_max": (spread.max(), ".3f")}


def conventions_table(conventions: pd.DataFrame):
    """Table 3.2 for display: training compute (FLOP) under each convention and its ratio to 6PD."""
    return table(conventions, {"flops": "sci", "ratio": ".3f"},
                 {"flops": "training compute (FLOP)", "ratio": "ratio to 6PD", "source": "convention of"})


def growth_points(totals: pd.DataFrame, trend_from: str) -> dict:
    """The models released from ``trend_from`` (``YYYY-MM``) whose growth the chapter fits.

    Returns ``{"flops": ..., "param": ...}``, two model tables with ``year`` (decimal year),
    ``value`` and ``basis``: training compute in FLOP (published where there is a figure, else
    6PD from ``totals``) and total parameters (a count).
    """
    everything = models()
    everything["year"] = [trends.decimal_year(date) for date in everything["release"]]
    recent = everything[everything["year"] >= trends.decimal_year(trend_from)]
    compute = recent.merge(totals[["id", "flops_6pd"]], on="id")
    compute["value"] = compute["train_flops"].fillna(compute["flops_6pd"])
    compute["basis"] = np.where(compute["train_flops"].notna(), "published", "6PD")
    params = recent.dropna(subset=["params_total"])
    params = params.assign(value=params["params_total"], basis="total parameters")
    return {"flops": compute, "param": params}


def growth_fits(growth: dict) -> dict:
    """The exponential trend (:func:`llmcost.trends.fit_trend`) of each table of :func:`growth_points`, by key."""
    return {key: trends.fit_trend(frame["release"], frame["value"]) for key, frame in growth.items()}


def growth_example(claims: dict, growth: dict, trend_from: str, period_months) -> dict:
    """Seed 003's parameter growth (times per 18 months) as stated, from GPT-1 to GPT-3 alone, and as
    the audit recomputes it over the talk's period (``claims``), against the dataset's fitted trends and
    Sevilla et al.'s doubling times: per fit (``flops``, ``param``) its doubling time in months,
    its growth factor over ``period_months`` and its number of models; Sevilla et al.'s doubling
    times (months) and the factors they give over ``period_months``."""
    growth_claim = claims["003-param-growth"]
    gpt3_only = audit.recompute("growth_per_period", {**growth_claim["inputs"], "to_model": "gpt-3"})
    values = {
        "c3_claim_growth": (growth_claim["stated_value"], ",.0f"),
        "c3_claim_recomputed": (gpt3_only, ",.0f"),
        "c3_claim_audit": (growth_claim["recomputed"], ",.0f"),
        "c3_trend_from": trend_from,
        "c3_period": (period_months, ",.0f"),
    }
    for key, fit in growth_fits(growth).items():
        values[f"c3_{key}_doubling"] = (fit.doubling_months, ".1f")
        values[f"c3_{key}_factor"] = (fit.factor_per(period_months), "sig3")
        values[f"c3_{key}_points"] = (fit.points, ",.0f")
    dl, ls = trends.SEVILLA_2022_DOUBLING_MONTHS.values()
    values.update({
        "c3_sevilla_dl": (dl, ",.0f"),
        "c3_sevilla_ls": (ls, ",.0f"),
        "c3_sevilla_dl_factor": (trends.factor_from_doubling(dl, period_months), "sig3"),
        "c3_sevilla_ls_factor": (trends.factor_from_doubling(ls, period_months), "sig3"),
    })
    return values


def model_tooltip(value_title: str) -> list:
    """The tooltip of a model's point in figures 3.2 and 3.3: its name, which figure, the value as the text writes it."""
    return [alt.Tooltip("id:N", title="model"), alt.Tooltip("basis:N", title="figure"), alt.Tooltip("value_text:N", title=value_title)]


def trend_panel(frame: pd.DataFrame, fit, title: str, y_title: str, value_format: str = "sig3"):
    """One panel of figure 3.2: ``frame``'s values (log axis, unit in ``y_title``) by release year,
    coloured by basis, under the fitted trend ``fit`` (a :class:`llmcost.trends.Trend`); the
    tooltip writes the value with ``value_format`` (:func:`~llmcost.book.tables.format_number`)."""
    years = np.linspace(frame["year"].min(), frame["year"].max(), 20)
    line = pd.DataFrame({"year": years, "value": fit.at(years)})
    shown = number_texts(frame[["id", "year", "value", "basis"]].assign(id=short_names(frame["id"])), {"value": value_format})
    points = alt.Chart(shown).mark_point(filled=True, size=70).encode(
        x=alt.X("year:Q", title="release (year)", scale=alt.Scale(zero=False), axis=alt.Axis(format="d")),
        y=alt.Y("value:Q", scale=alt.Scale(type="log"), title=y_title, axis=charts.power_of_ten_axis()),
        color=alt.Color("basis:N", title="figure"),
        tooltip=model_tooltip(y_title),
    )
    fitted = alt.Chart(line).mark_line(color="#555").encode(x="year:Q", y="value:Q")
    return alt.layer(fitted, points).properties(width=420, height=220, title=title)


def growth_chart(growth: dict, trend_from: str):
    """Figure 3.2: training compute (FLOP, top) and total parameters (bottom) of the models of
    :func:`growth_points` by release, each with its fitted exponential trend."""
    fits = growth_fits(growth)
    return alt.vconcat(
        trend_panel(growth["flops"], fits["flops"], f"Training compute since {trend_from}, with the fitted exponential trend",
                    "training compute (FLOP)"),
        trend_panel(growth["param"], fits["param"], f"Total parameters since {trend_from}, with the fitted exponential trend",
                    "parameters", "words"),
    ).resolve_scale(color="independent")


# --- the frontier over time ----------------------------------------------------------------------

TODAY_GPU = defaults.value("gpu")
"""The accelerator on which every run's compute is priced today: the book's (chapter 5's most rented)."""


def _today_rate(gpu: str, since: str) -> tuple[dict, dict]:
    """The calibrated utilization of ``gpu`` (:func:`llmcost.calibration.training_utilization`) and
    the spread of its current quotes (:func:`llmcost.market.rental_summary`)."""
    return calibration.training_utilization(gpu), market.rental_summary(gpu, since)


def frontier_rows(growth: dict, gpu: str = TODAY_GPU, since: str = market.TODAY_SINCE) -> pd.DataFrame:
    """The models of ``growth["flops"]`` (:func:`growth_points`) that set a new maximum of training
    compute when released (the frontier), with what their compute would take and cost today on
    ``gpu``: accelerator-hours at the median utilization that published runs on its generation
    imply (:func:`_today_rate`) and USD at its median current quote. Columns model, release, value
    (FLOP), basis, gpu_hours, cost_musd (million USD)."""
    points = growth["flops"].sort_values(["year", "value"])
    frontier = points[points["value"] >= points["value"].cummax()]
    utilization, price = _today_rate(gpu, since)
    hours = cluster.gpu_hours(frontier["value"].to_numpy(), peak_flops(gpu, utilization["precision"]), utilization["central"])
    return pd.DataFrame({"model": [datasets.model(ident)["name"] for ident in frontier["id"]], "release": frontier["release"].to_numpy(),
                         "value": frontier["value"].to_numpy(), "basis": frontier["basis"].to_numpy(), "gpu_hours": hours,
                         "cost_musd": cost.rental_cost(hours, price["median"]) / 1e6})


def frontier_table(rows: pd.DataFrame):
    """:func:`frontier_rows` for display."""
    return table(rows, {"value": "sci", "gpu_hours": "sci", "cost_musd": ",.3g"},
                 {"value": "training compute (FLOP)", "basis": "figure", "gpu_hours": "accelerator-hours today",
                  "cost_musd": "cost today (million USD)"})


def frontier_example(rows: pd.DataFrame, gpu: str = TODAY_GPU, since: str = market.TODAY_SINCE) -> dict:
    """Glue names ``c3_frontier_*``: the newest frontier model, its compute and cost today, the
    first frontier model of the rows and the growth of compute between them, and the accelerator,
    generation, price and utilization every cost is at (:func:`_today_rate`)."""
    first, last = rows.iloc[0], rows.iloc[-1]
    utilization, summary = _today_rate(gpu, since)
    return {
        "c3_frontier_last": str(last["model"]),
        "c3_frontier_last_release": str(last["release"]),
        "c3_frontier_last_flops": (last["value"], "sci"),
        "c3_frontier_last_cost": (last["cost_musd"], ",.0f", "million USD"),
        "c3_frontier_first": str(first["model"]),
        "c3_frontier_first_release": str(first["release"]),
        "c3_frontier_growth": (last["value"] / first["value"], ",.0f"),
        "c3_frontier_count": (len(rows), ",.0f"),
        "c3_frontier_gpu": datasets.accelerator(gpu)["name"],
        "c3_frontier_generation": utilization["generation"],
        "c3_frontier_price": price_text(summary["median"], "GPU-hour", f"{summary['first']} to {summary['last']}"),
        "c3_frontier_utilization": (utilization["central"], ".1%"),
    }


def since_frontier(growth: dict, rows: pd.DataFrame, since: str = market.TODAY_SINCE) -> dict:
    """Glue names ``c3_since_*``: the models of ``growth["flops"]`` released from ``since``, by name,
    and the smallest and largest share of the last frontier model's compute they trained on."""
    recent = growth["flops"][growth["flops"]["release"] >= since].sort_values("release")
    share = recent["value"] / rows.iloc[-1]["value"]
    return {"c3_since_models": ", ".join(datasets.model(ident)["name"] for ident in recent["id"]),
            "c3_since_low": (share.min(), ".0%"), "c3_since_high": (share.max(), ".0%"), "c3_since": since}


def frontier_chart(growth: dict, rows: pd.DataFrame):
    """Training compute (FLOP, log axis) of every model of ``growth["flops"]`` by release, the
    frontier (:func:`frontier_rows`) as a step line."""
    points = number_texts(growth["flops"][["id", "year", "value", "basis"]].assign(id=lambda f: short_names(f["id"])), {"value": "sig3"})
    frontier = points[points["value"] >= points.sort_values(["year", "value"])["value"].cummax().reindex(points.index)]
    base = alt.Chart(points).mark_point(filled=True, size=60, opacity=0.7).encode(
        x=alt.X("year:Q", title="release (year)", scale=alt.Scale(zero=False), axis=alt.Axis(format="d")),
        y=alt.Y("value:Q", scale=alt.Scale(type="log"), title="training compute (FLOP)", axis=charts.power_of_ten_axis()),
        color=alt.Color("basis:N", title="figure", legend=alt.Legend(orient="bottom")),
        tooltip=model_tooltip("training compute (FLOP)"),
    )
    step = alt.Chart(frontier.sort_values("year")).mark_line(interpolate="step-after", color="#555").encode(x="year:Q", y="value:Q")
    return alt.layer(step, base).properties(width=440, height=260, title="Training compute by release, with the frontier")
