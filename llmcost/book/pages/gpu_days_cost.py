"""Chapter 5 (GPU-days and cost): its parameter check, the accelerator table and chart, the GPU-days
grid, the source documents' GPU-hour, cluster, purchase, fleet and serving-cost figures
recomputed, the rental bills with their low / central / high range, rent against buy, and the
serving-cost chart.

Every number comes from llmcost's formulas (:func:`llmcost.estimate.training_estimate`,
:mod:`llmcost.cluster`, :mod:`llmcost.cost`, :mod:`llmcost.sizing`, :mod:`llmcost.ranges`) and the
recomputed claims (:func:`llmcost.audit.recompute_all`); this module chooses the chapter's inputs,
shapes the results as tables and charts, and returns the numbers its prose quotes as dicts for
:func:`llmcost.book.glue_all` (glue name -> text, or ``(value, fmt[, unit])``), in the order the
chapter glues them.

Units: peak rates in FLOP/s (TFLOP/s where a name says so), utilizations as fractions of the
dense peak, prices in USD per accelerator-hour (``rent``, ``prices``) or USD per accelerator
(purchase), costs in USD (million USD in the tables and charts that say so), times in hours or
days as named.
"""

from __future__ import annotations

import os

import altair as alt
import numpy as np
import pandas as pd

from .. import chapter_parameters as parameters
from .. import figures, sliders
from ..tables import dated_price, format_number, price_text, short_name, short_names, table
from ...analysis import audit, calibration, market
from ...catalog import datasets
from ...catalog.hardware import peak_flops
from ...core import validate
from ...formulas import cluster, cost, demand, flops, ranges, sizing
from ...formulas.estimate import training_estimate
from ...running import architecture, serving

RENTAL_COMPARED = ("seed000-8xa100-effective", "aws-p4d-24xlarge-on-demand")
"""Rental rows drawn beside the chapter's own price in the rent-or-buy chart."""

OWNERSHIP_MONTHS = np.arange(0, 37)
"""Months of continuous use (30-day months) on the x axis of the rent-or-buy chart."""

HOURS_PER_MONTH = 30 * cluster.HOURS_PER_DAY
"""Hours in a 30-day month of continuous use."""

OPEN_RUNS = (("opt-175b", "opt"), ("bloom-176b", "bloom"), ("llama-65b", "llama65"), ("llama-7b", "llama7"))
"""Models whose rental bill the chapter quotes, with the key of their glue names (``c5_bill_<key>``)."""

LLAMA_1 = ["llama-7b", "llama-13b", "llama-33b", "llama-65b"]
"""The four LLaMA-1 models, whose bills the chapter adds up."""

FLEET_STEPS = [("004-tokens-per-day", "tokens per day", "sci"), ("004-infer-flops", "FLOP per day", "sci"),
               ("004-infer-throughput", "TFLOP/s sustained", ",.0f"), ("004-infer-gpus", "A100s (TF32 x 50 %)", ",.0f"),
               ("004-infer-servers", "servers of 8", ",.0f")]
"""Seed 004's inference-fleet chain: (claim id, step shown, number format), in its order."""


recomputed_claims = audit.recompute_by_id
"""Every claim of the source documents recomputed, by id (:func:`llmcost.audit.recompute_by_id`)."""


def _rent_ids() -> list[str]:
    """Ids of the rental rows of ``prices.csv`` (priced per instance- or accelerator-hour), in file order."""
    rows = datasets.prices()
    return list(rows.loc[rows["unit"] != "usd_per_unit", "id"])


# --- the validation cell ------------------------------------------------------------------------


def check_parameters(*, gpu, precision, mfu, mfu_low, mfu_high, models, gpus, deadline_days, rental_price, usd_per_gpu_hour,
                     usd_per_gpu_hour_low, usd_per_gpu_hour_high, purchase_price, serving_model, api_price) -> dict:
    """Check the chapter's parameters one by one, then as ranges: the utilizations (fractions)
    ordered ``mfu_low <= mfu <= mfu_high`` once the None ones are planned (:func:`utilization`),
    and the price range (USD per accelerator-hour) holding the price of the rental row
    ``rental_price``. Returns the planned utilization; raises :class:`llmcost.validate.InputError`
    naming the parameter."""
    parameters.check_name("gpu", gpu, "gpu", precision=precision)
    plan = utilization(gpu, precision, *(parameters.check_optional_quantity(name, value, "utilization")
                                         for name, value in (("mfu", mfu), ("mfu_low", mfu_low), ("mfu_high", mfu_high))))
    parameters.check_span("utilization", ("mfu_low", "mfu", "mfu_high"), (plan["low"], plan["central"], plan["high"]))
    parameters.check_names("models", models, facts=["params_active", "tokens"])
    parameters.check_names("gpus", gpus, "gpu", precision=precision)
    parameters.check_number("deadline_days", deadline_days, validate.check_positive, 1e-3, 36500, why="about 1.5 minutes to 100 years")
    rows = datasets.prices()
    validate.check_choice("rental_price", rental_price, _rent_ids())
    parameters.check_quantity("usd_per_gpu_hour_low", usd_per_gpu_hour_low, "usd_per_gpu_hour")
    parameters.check_quantity("usd_per_gpu_hour_high", usd_per_gpu_hour_high, "usd_per_gpu_hour")
    validate.check_choice("purchase_price", purchase_price, list(rows.loc[rows["unit"] == "usd_per_unit", "id"]))
    parameters.check_name("serving_model", serving_model, facts=["params_active"])
    validate.check_choice("api_price", api_price, datasets.api_prices()["id"])
    parameters.check_optional_quantity("usd_per_gpu_hour", usd_per_gpu_hour, "usd_per_gpu_hour")
    rent = central_price(rental_price, usd_per_gpu_hour)
    central = f"usd_per_gpu_hour ({rent:.2f})" if usd_per_gpu_hour is not None else f"the price of rental_price {rental_price!r} ({rent:.2f})"
    parameters.check_span("usd_per_gpu_hour", ("usd_per_gpu_hour_low", central, "usd_per_gpu_hour_high"),
                          (usd_per_gpu_hour_low, rent, usd_per_gpu_hour_high))
    return plan


def central_price(rental_price: str, usd_per_gpu_hour=None) -> float:
    """The page's central rental price, USD per accelerator-hour: ``usd_per_gpu_hour`` where set (a
    book-wide edition's price), else the price of the rental row ``rental_price``."""
    return float(usd_per_gpu_hour) if usd_per_gpu_hour is not None else cost.gpu_hour_price(rental_price)


def utilization(gpu: str, precision: str, mfu=None, mfu_low=None, mfu_high=None) -> dict:
    """The page's utilization of ``gpu`` at ``precision``: :func:`llmcost.calibration.planning_utilization`
    (``central``, ``low``, ``high`` fractions of the peak, ``source``), each end replaced by
    ``mfu_low`` or ``mfu_high`` where given; with ``mfu`` given and no end, the ends are ``mfu``."""
    plan = calibration.planning_utilization(gpu, precision, mfu)
    ends = {"low": mfu_low, "high": mfu_high}
    return {**plan, **{end: value for end, value in ends.items() if value is not None}}


# --- the accelerators ---------------------------------------------------------------------------


def page_example(gpu: str, precision: str, plan: dict) -> dict:
    """The page's accelerator (name), precision, its dense peak there (TFLOP/s) and the utilization
    (``plan``: :func:`utilization`). Glue names ``c5_gpu``, ``c5_precision``, ``c5_peak``,
    ``c5_utilization``, ``c5_utilization_source``."""
    return {
        "c5_gpu": datasets.accelerator(gpu)["name"],
        "c5_precision": precision,
        "c5_peak": (peak_flops(gpu, precision) / 1e12, ",.0f", "TFLOP/s"),
        "c5_utilization": (plan["central"], ".1%"),
        "c5_utilization_source": plan["source"],
    }


def accelerators() -> pd.DataFrame:
    """:func:`llmcost.accelerators` with ``tflops16``: the dense 16-bit peak (TFLOP/s), BF16 where
    the datasheet gives it, else FP16."""
    acc = datasets.accelerators()
    acc["tflops16"] = acc["bf16_tflops"].fillna(acc["fp16_tflops"])
    return acc


def accelerator_table(acc: pd.DataFrame):
    """The accelerator table: dense peaks (TFLOP/s) at FP32, TF32, 16-bit and FP8, memory (GB),
    bandwidth (GB/s), TDP (W) and source, under two header rows. ``acc``: :func:`accelerators`."""
    shown = acc[["id", "fp32_tflops", "tf32_tflops", "tflops16", "fp8_tflops", "memory_gb", "bandwidth_gbps", "tdp_w", "source"]]
    accelerator_table = table(shown, {"fp32_tflops": "auto", "tf32_tflops": ",.0f", "tflops16": ",.0f", "fp8_tflops": ",.0f",
                                      "memory_gb": ",.0f", "bandwidth_gbps": ",.0f", "tdp_w": ",.0f"})
    rates = "dense peak (TFLOP/s)"
    accelerator_table.columns = pd.MultiIndex.from_tuples(
        [(rates, "FP32"), (rates, "TF32"), (rates, "16-bit"), (rates, "FP8"), ("memory", "GB"), ("bandwidth", "GB/s"), ("TDP", "W"),
         ("source", "")], names=["accelerator", None])
    return accelerator_table


def group_label(ids) -> str:
    """One accelerator's name without its vendor, or the variants' common name and their count."""
    names = short_names(ids)
    return names[0] if len(names) == 1 else f"{os.path.commonprefix(names).rstrip(' -')} ({len(names)} variants)"


def peak_groups(acc: pd.DataFrame) -> pd.DataFrame:
    """Accelerators with a 16-bit peak grouped by release year, peak (``tflops``, TFLOP/s) and
    vendor: their names (``accelerators``) and a ``label`` (the year and :func:`group_label`), in
    the order of release, then of peak. ``acc``: :func:`accelerators`."""
    peaks = (acc.dropna(subset=["tflops16"]).groupby(["release_year", "tflops16", "vendor"], as_index=False)
             .agg(accelerators=("id", lambda ids: ", ".join(short_names(ids))), label=("id", group_label))
             .rename(columns={"tflops16": "tflops"}).sort_values(["release_year", "tflops"], ignore_index=True))
    peaks["label"] = peaks["release_year"].astype(str) + ": " + peaks["label"]
    return peaks


def peaks_chart(peaks: pd.DataFrame):
    """Dense 16-bit peak (TFLOP/s, log scale) of each group of :func:`peak_groups`, one line per
    group in the order of release (the oldest on top), coloured by vendor: the labels sit on the
    axis, so none overlap however many accelerators a year brings."""
    ticks = figures.one_two_five(peaks["tflops"])
    return alt.Chart(peaks).mark_point(filled=True, size=70, opacity=1).encode(
        y=alt.Y("label:N", sort=list(peaks["label"]), title=None, axis=alt.Axis(labelLimit=300)),
        x=alt.X("tflops:Q", scale=alt.Scale(type="log", domain=[ticks[0], ticks[-1]]), title="dense BF16/FP16 peak (TFLOP/s, log scale)",
                axis=alt.Axis(values=ticks, format=",~g")),
        color=alt.Color("vendor:N", legend=alt.Legend(orient="bottom")),
        tooltip=["accelerators:N", alt.Tooltip("release_year:Q", title="released"), alt.Tooltip("tflops:Q", title="peak TFLOP/s")],
    ).properties(width=360, height=16 * len(peaks), title="Peak 16-bit throughput of accelerators by release year")


def peak_growth_example() -> dict:
    """How many times the B200's dense FP16 peak is the V100's. Glue name ``c5_v100_to_b200``."""
    return {"c5_v100_to_b200": (peak_flops("b200", "fp16") / peak_flops("v100", "fp16"), ",.0f")}


# --- GPU-days for published models --------------------------------------------------------------


def gpu_days_grid(models: list, gpus: list, precision: str, mfu=None) -> pd.DataFrame:
    """Training GPU-days (6PD at each accelerator's planning utilization of its dense peak at
    ``precision``: ``mfu`` where given, else :func:`llmcost.calibration.planning_utilization`) of
    every model on every accelerator, from one vectorized :func:`llmcost.estimate.training_estimate`:
    one row per (model, accelerator) with ``utilization``, ``basis``, ``gpu_days`` and its ``label``
    in words; ``column`` names the accelerator as given, upper case, with its utilization."""
    facts = [datasets.model(name) for name in models]
    params = np.array([f["params_active"] for f in facts])[:, None]
    tokens = np.array([f["tokens"] for f in facts])[:, None]
    peak_grid = np.array([peak_flops(name, precision) for name in gpus])[None, :]
    plans = [calibration.planning_utilization(name, precision, mfu) for name in gpus]
    shares = np.array([plan["central"] for plan in plans])[None, :]
    days = training_estimate(params, tokens, peak_grid, shares)["gpu_days"]
    return pd.DataFrame([
        {"model": short_name(facts[i]["id"]), "accelerator": datasets.accelerator(g)["id"], "utilization": plans[j]["central"],
         "basis": plans[j]["basis"], "column": f"{g.upper()} at {plans[j]['central']:.0%}",
         "gpu_days": days[i, j], "label": format_number(days[i, j], "words")}
        for i in range(len(models)) for j, g in enumerate(gpus)
    ])


NEWEST_CALIBRATED = "h100"
"""An accelerator of the newest generation whose published runs calibrate the planning utilization (Hopper)."""


def grid_example(heat: pd.DataFrame) -> dict:
    """The grid's accelerators whose utilization is calibrated and those that fall back on PaLM's
    (names, or "none"), and PaLM's share over the median of the newest calibrated generation's runs
    (:data:`NEWEST_CALIBRATED`). Glue names ``c5_grid_calibrated``, ``c5_grid_reference``,
    ``c5_grid_reference_over_newest``, ``c5_grid_newest``."""
    columns = heat.drop_duplicates("accelerator")
    named = {basis: ", ".join(columns.loc[columns["basis"] == basis, "column"]) or "none" for basis in ("calibrated", "reference", "given")}
    newest = calibration.training_utilization(NEWEST_CALIBRATED, "bf16")
    return {"c5_grid_calibrated": named["calibrated"], "c5_grid_reference": named["reference"],
            "c5_grid_reference_over_newest": (architecture.reference_mfu("6PD") / newest["central"], ".1f"),
            "c5_grid_newest": newest["generation"]}


def gpu_days_chart(heat: pd.DataFrame, precision: str):
    """Heat map of :func:`gpu_days_grid` (log colour scale, GPU-days written in each cell, white on
    the dark half); each column is labelled with its accelerator's utilization."""
    base = alt.Chart(heat).encode(x=alt.X("column:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
                                  y=alt.Y("model:N", sort=None, title=None))
    return (base.mark_rect().encode(color=alt.Color("gpu_days:Q", scale=alt.Scale(type="log", scheme="blues"), title="GPU-days",
                                                    legend=alt.Legend(orient="bottom")))
            + base.mark_text(fontSize=11).encode(text="label:N", color=alt.condition(  # white on the dark half of the log scale
                alt.datum.gpu_days > float(np.sqrt(heat["gpu_days"].min() * heat["gpu_days"].max())), alt.value("white"), alt.value("black")))
            ).properties(width=440, height=260, title=f"Training GPU-days at each accelerator's utilization ({precision} peak)")


def seed000_hours_example(claims: dict) -> dict:
    """Seed 000's GPT-3 and GPT-4 A100-hours, A100-days and wall-clock days as stated and
    recomputed, GPT-4's 6PD (FLOP), inputs (parameters, tokens), the ratio stated / recomputed,
    the utilization at which the stated hours follow (:func:`llmcost.cluster.implied_utilization`
    at the claim's peak) and the leaked MFU. ``claims``: :func:`recomputed_claims`. Glue names
    ``c5_gpt3_*``, ``c5_gpt4_*``."""
    gpt3, gpt4_hours = claims["000-gpt3-a100-hours"], claims["000-gpt4-a100-hours"]
    inputs = gpt4_hours["inputs"]
    implied = audit.stated_hours_utilization(gpt4_hours)
    return {
        "c5_gpt3_hours_stated": (gpt3["stated_value"], ",.0f"),
        "c5_gpt3_hours": (gpt3["recomputed"], "sig3"),
        "c5_gpt3_days": (claims["000-gpt3-a100-days"]["recomputed"], "sig3"),
        "c5_gpt3_1000_days": (claims["000-gpt3-1000-a100"]["recomputed"], ",.0f"),
        "c5_gpt4_flops": (flops.training_flops(inputs["params"], inputs["tokens"]), "sci"),
        "c5_gpt4_params": (inputs["params"], "words"),
        "c5_gpt4_tokens": (inputs["tokens"], "words"),
        "c5_gpt4_hours_stated": (gpt4_hours["stated_value"], ",.0f"),
        "c5_gpt4_hours": (gpt4_hours["recomputed"], "sig3"),
        "c5_gpt4_ratio": (gpt4_hours["ratio"], ".2f"),
        "c5_gpt4_implied": (implied, ".1%"),
        "c5_gpt4_wall_stated": (claims["000-gpt4-wall-days"]["stated_value"], ",.0f"),
        "c5_gpt4_wall": (claims["000-gpt4-wall-days"]["recomputed"], ",.0f"),
        "c5_gpt4_leak_mfu": (datasets.model("gpt-4")["mfu"], ".0%"),
    }


# --- cluster size for a deadline ----------------------------------------------------------------


def deck_cluster_example(claims: dict) -> dict:
    """Seed 004's GPT-3 training cluster: its FLOPs, the sustained TFLOP/s for its deadline, the
    GPUs it states and computes (fractional), and whole GPUs and 8-GPU servers from
    :func:`llmcost.estimate.training_estimate` on its inputs. Glue names ``c5_deck_*``."""
    deck_inputs = claims["004-train-gpus"]["inputs"]
    deck = training_estimate(deck_inputs["params"], deck_inputs["tokens"], peak_flops(deck_inputs["gpu"], deck_inputs["precision"]),
                             deck_inputs["utilization"], days=deck_inputs["days"])
    return {
        "c5_deck_flops": (claims["004-train-flops"]["recomputed"], "sci"),
        "c5_deck_tflops": (claims["004-train-throughput"]["recomputed"], ",.0f", "TFLOP/s"),
        "c5_deck_gpus_stated": (claims["004-train-gpus"]["stated_value"], ",.0f"),
        "c5_deck_gpus_fraction": (claims["004-train-gpus"]["recomputed"], ",.2f"),
        "c5_deck_gpus": (deck["gpus"], ",.0f"),
        "c5_deck_servers": (deck["servers"], ",.0f"),
        "c5_deck_servers_stated": (claims["004-train-servers"]["stated_value"], ",.0f"),
    }


def deadline_example(model: str, gpu: str, precision: str, utilization: float, deadline_days: float) -> dict:
    """Whole GPUs and 8-GPU servers that train ``model`` (6PD) in ``deadline_days`` days at
    ``utilization`` of ``gpu``'s dense peak at ``precision``. Glue names ``c5_grid_model``,
    ``c5_deadline``, ``c5_my_gpus``, ``c5_my_servers``."""
    facts = datasets.model(model)
    mine = training_estimate(facts["params_active"], facts["tokens"], peak_flops(gpu, precision), utilization, days=deadline_days)
    return {
        "c5_grid_model": facts["name"],
        "c5_deadline": (deadline_days, ",.0f", "days"),
        "c5_my_gpus": (mine["gpus"], ",.0f"),
        "c5_my_servers": (mine["servers"], ",.0f"),
    }


# --- renting ------------------------------------------------------------------------------------


TODAY_SINCE = market.TODAY_SINCE
"""The first month of the quotes this chapter calls today's (the source documents' quotes end in 2024)."""


def offer_label(provider: str, offering: str) -> str:
    """A rental offer as a reader names it: "AWS EC2 Capacity Block"; "DeepSeek (assumed)", not "... assumed"."""
    return provider if offering in provider else f"{provider} {offering}"


def rental_label(ident: str) -> str:
    """A rental row of :func:`llmcost.prices` by its offer and accelerator: "AWS EC2 Capacity Block, A100 40GB SXM4"."""
    row = datasets.prices().set_index("id").loc[ident]
    return f"{offer_label(row['provider'], row['offering'])}, {short_name(row['accelerator'])}"


def rental_table(until: str = TODAY_SINCE):
    """The rental rows of :func:`llmcost.prices` quoted before ``until`` (``YYYY-MM``), the source
    documents' time, by provider and offering: the price as quoted (USD per instance- or GPU-hour) and per GPU-hour
    (:func:`llmcost.cost.gpu_hour_price`), with date and source."""
    rows = datasets.prices()
    rentals = rows[(rows["unit"] != "usd_per_unit") & (rows["date"] < until)].copy()
    rentals["per_gpu_hour"] = [cost.gpu_hour_price(ident) for ident in rentals["id"]]
    rentals["quoted"] = [f"{row['usd']:,.2f} per {'instance' if row['unit'] == 'usd_per_instance_hour' else 'GPU'}-hour"
                         for _, row in rentals.iterrows()]
    rentals["offer"] = [offer_label(provider, offering) for provider, offering in zip(rentals["provider"], rentals["offering"])]
    return table(rentals[["offer", "accelerator", "quoted", "per_gpu_hour", "date", "source"]],
                 {"per_gpu_hour": ",.2f"}, {"quoted": "quoted (USD)", "per_gpu_hour": "USD per GPU-hour", "date": "as of"})


def quoted_accelerators(since: str = TODAY_SINCE) -> list[str]:
    """Ids of the accelerators with a rental quote dated ``since`` or later, in dataset order."""
    dated = {row["accelerator"] for row in datasets.price_rows() if row["unit"] != "usd_per_unit" and row["date"] >= since}
    return [ident for ident in datasets.accelerator_ids() if ident in dated]


def current_quotes_table(since: str = TODAY_SINCE):
    """The newest quote of each provider and offering since ``since`` (:func:`llmcost.market.current_quotes`,
    spot left out), per accelerator, cheapest first: provider, offering, USD per GPU-hour, date, source."""
    rows = [{"accelerator": ident, **quote} for ident in quoted_accelerators(since) for quote in market.current_quotes(ident, since)]
    frame = pd.DataFrame(rows)[["accelerator", "provider", "offering", "per_gpu_hour", "date", "source"]]
    return table(frame, {"per_gpu_hour": ",.2f"}, {"per_gpu_hour": "USD per GPU-hour", "date": "as of"})


def today_table(since: str = TODAY_SINCE):
    """Per accelerator, the spread of its current quotes (:func:`llmcost.market.rental_summary`):
    quotes, low, median and high USD per accelerator-hour, and the dates they span."""
    rows = []
    for ident in quoted_accelerators(since):
        summary = market.rental_summary(ident, since)
        dates = summary["first"] if summary["first"] == summary["last"] else f"{summary['first']} to {summary['last']}"
        rows.append({"accelerator": datasets.accelerator(ident)["name"], "quotes": summary["quotes"], "low": summary["low"],
                     "median": summary["median"], "high": summary["high"], "as of": dates})
    return table(pd.DataFrame(rows), {"quotes": ",.0f", "low": ",.2f", "median": ",.2f", "high": ",.2f"},
                 {"low": "low (USD per GPU-hour)", "median": "median", "high": "high"})


def today_example(since: str = TODAY_SINCE) -> dict:
    """The median current H100, H200 and B200 quotes (dated prices), the H100's spread and count,
    and AWS's June 2025 cut of its 8-H100 instance (before, after, percent). Glue names ``c5_today_*``, ``c5_aws_*``."""
    quotes = market.current_quotes("h100", since)
    h100 = market.summary_of(quotes)
    before, after = (cost.gpu_hour_price(ident) for ident in AWS_CUT)
    values = {
        "c5_today_h100": price_text(h100["median"], "GPU-hour", f"{h100['first']} to {h100['last']}"),
        "c5_today_quotes": (h100["quotes"], ",.0f"),
        "c5_today_low": price_text(h100["low"], "GPU-hour", str(quotes[0]["date"])),
        "c5_today_high": price_text(h100["high"], "GPU-hour", str(quotes[-1]["date"])),
        "c5_aws_before": price_text(before, "GPU-hour", datasets.price_date(AWS_CUT[0])),
        "c5_aws_after": price_text(after, "GPU-hour", datasets.price_date(AWS_CUT[1])),
        "c5_aws_cut": (1 - after / before, ".0%"),
    }
    for ident in ("h200", "b200"):
        summary = market.rental_summary(ident, since)
        values[f"c5_today_{ident}"] = price_text(summary["median"], "GPU-hour", f"{summary['first']} to {summary['last']}")
    return values


AWS_CUT = ("aws-p5-48xlarge-on-demand-2025-06-04", "aws-p5-48xlarge-on-demand-2025-06-05")
"""The last daily reading of AWS's p5.48xlarge on-demand price before its June 2025 cut, and the first after."""


def price_history(accelerator: str = "h100") -> pd.DataFrame:
    """Every rental quote of ``accelerator`` in USD per accelerator-hour with its date (a month is
    drawn at its 15th) and the kind of offering: on-demand, reserved or committed, capacity block, spot."""
    ident = datasets.resolve_accelerator(accelerator)
    rows = [row for row in datasets.price_rows() if row["accelerator"] == ident and row["unit"] != "usd_per_unit"]
    return pd.DataFrame({
        "date": [row["date"] if len(row["date"]) == 10 else f"{row['date']}-15" for row in rows],
        "usd": [round(cost.row_gpu_hour_price(row), 2) for row in rows],
        "provider": [row["provider"] for row in rows],
        "kind": [_offering_kind(row["offering"]) for row in rows],
    })


def _offering_kind(offering: str) -> str:
    text = offering.lower()
    for kind, words in (("spot", ("spot",)), ("capacity block", ("capacity block",)), ("reserved or committed", ("reserved", "committed"))):
        if any(word in text for word in words):
            return kind
    return "on-demand"


def price_history_chart(history: pd.DataFrame, accelerator: str = "h100"):
    """USD per accelerator-hour of every quote of ``history`` (:func:`price_history`) against its date, log scale."""
    name = datasets.accelerator(accelerator)["name"]
    return alt.Chart(history).mark_point(filled=True, size=60).encode(
        x=alt.X("date:T", title="date of the quote", axis=alt.Axis(format="%Y", tickCount="year")),
        y=alt.Y("usd:Q", scale=alt.Scale(type="log"), title="USD per GPU-hour", axis=alt.Axis(format=",.2f")),
        color=alt.Color("kind:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["provider:N", "kind:N", alt.Tooltip("usd:Q", format=",.2f", title="USD per GPU-hour"),
                 alt.Tooltip("date:T", format="%Y-%m-%d", title="quoted on")],
    ).properties(width=440, height=280, title=f"Rental quotes of the {name}, per GPU-hour")


def rent_example(rental_price: str, gpu: str, precision: str, utilization: float, usd_per_gpu_hour=None) -> dict:
    """The rental row ``rental_price`` (what, date), the page's central price (:func:`central_price`:
    the row's, dated, or ``usd_per_gpu_hour``, said to be set), GPT-3's GPU-hours (6PD at
    ``utilization`` of ``gpu``'s peak at ``precision``) and their rental cost (million USD), and
    MT-NLG's MFU (the low end of the default utilization range). Glue names ``c5_rent*``,
    ``c5_gpt3_rent_usd``, ``c5_gpt3_hours_mine``, ``c5_mtnlg_mfu``."""
    row = datasets.prices().set_index("id").loc[rental_price]
    rent = central_price(rental_price, usd_per_gpu_hour)
    gpt3 = datasets.model("gpt-3")
    hours = cluster.gpu_hours(flops.training_flops(gpt3["params_active"], gpt3["tokens"]), peak_flops(gpu, precision), utilization)
    return {
        "c5_rent_what": f"{row['provider']} {row['offering']} ({datasets.accelerator(row['accelerator'])['name']})",
        "c5_rent_date": str(row["date"]),
        "c5_rent": price_text(rent, "GPU-hour", str(row["date"]) if usd_per_gpu_hour is None else None),
        "c5_gpt3_rent_usd": (cost.rental_cost(hours, rent) / 1e6, ",.2f", "million USD"),
        "c5_gpt3_hours_mine": (hours, "sig3"),
        "c5_mtnlg_mfu": (datasets.model("mt-nlg-530b")["mfu"], ".1%"),
    }


def deepseek_example(mfu=None) -> dict:
    """DeepSeek-V3's published bill (H800-hours x its assumed USD per GPU-hour, million USD) against
    the published figure, the utilization its hours imply at the FP8 and BF16 peaks, on 6PD and
    with its attention (:func:`llmcost.calibration.implied_utilization_bounds`), and the bill of 6PD at the planning
    utilization of the H800's FP8 peak (``mfu``, or :func:`llmcost.calibration.planning_utilization`)
    with the published bill's ratio to it. Glue names ``c5_ds_*``."""
    plan = calibration.planning_utilization("h800", "fp8", mfu)
    utilization = plan["central"]
    deepseek = datasets.model("deepseek-v3")
    price = cost.gpu_hour_price("deepseek-v3-h800-rental")
    total_hours = datasets.published_value("deepseek-v3", "gpu_hours", "deepseek2024v3", "(total)")
    usd = cost.rental_cost(total_hours, price)
    bounds = calibration.implied_utilization_bounds("deepseek-v3")
    hours_6pd = cluster.gpu_hours(flops.training_flops(deepseek["params_active"], deepseek["tokens"]), peak_flops("h800", "fp8"), utilization)
    usd_6pd = cost.rental_cost(hours_6pd, price)
    return {
        "c5_ds_hours": (total_hours, ",.0f"),
        "c5_ds_pretraining_hours": (deepseek["gpu_hours"], ",.0f"),
        "c5_ds_price": price_text(price, "GPU-hour", datasets.price_date("deepseek-v3-h800-rental")),
        "c5_ds_usd": (usd / 1e6, ",.3f", "million USD"),
        "c5_ds_published": (deepseek["cost_usd"] / 1e6, ",.3f", "million USD"),
        "c5_ds_ratio": (deepseek["cost_usd"] / usd, "sig3"),
        "c5_ds_implied": (bounds["fp8"], ".1%"),
        "c5_ds_implied_bf16": (bounds["bf16"], ".1%"),
        "c5_ds_attention": (bounds["attention_share"], ".0%"),
        "c5_ds_context": (deepseek["context"], ",.0f"),
        "c5_ds_implied_fp8_attn": (bounds["fp8_attention"], ".1%"),
        "c5_ds_implied_bf16_attn": (bounds["bf16_attention"], ".1%"),
        "c5_ds_utilization": (utilization, ".1%"),
        "c5_ds_utilization_source": plan["source"],
        "c5_ds_6pd_usd": (usd_6pd / 1e6, ",.2f", "million USD"),
        "c5_ds_gap": (deepseek["cost_usd"] / usd_6pd, ".1f"),
        "c5_ds_active": (deepseek["params_active"], "words"),
        "c5_ds_tokens": (deepseek["tokens"], "words"),
    }


def rental_bills(prices) -> pd.DataFrame:
    """What every model with published A100-hours would rent for at the ``prices`` (low, central,
    high USD per GPU-hour): model, accelerator, gpu_hours and the ``low``, ``central`` and
    ``high`` cost (USD, :func:`llmcost.cost.rental_cost`)."""
    runs = datasets.models().dropna(subset=["gpu_hours", "accelerator"])
    runs = runs[runs["accelerator"].str.startswith("a100")]
    hours = runs["gpu_hours"].to_numpy()
    return pd.DataFrame({
        "model": runs["id"], "accelerator": runs["accelerator"], "gpu_hours": runs["gpu_hours"],
        **{end: cost.rental_cost(hours, price) for end, price in zip(("low", "central", "high"), prices)},
    })


def bills_example(bills: pd.DataFrame) -> dict:
    """The central, low and high bills (million USD) of :data:`OPEN_RUNS`, and the four LLaMA-1
    models' central bills added up. ``bills``: :func:`rental_bills`. Glue names ``c5_bill_*``."""
    by_model = bills.set_index("model")
    values = {}
    for ident, key in OPEN_RUNS:
        for suffix, end in (("", "central"), ("_low", "low"), ("_high", "high")):
            values[f"c5_bill_{key}{suffix}"] = (by_model.loc[ident, end] / 1e6, ",.2f", "million USD")
    values["c5_bill_llama_all"] = (by_model.loc[LLAMA_1, "central"].sum() / 1e6, ",.2f", "million USD")
    return values


def bills_table(bills: pd.DataFrame):
    """:func:`rental_bills` as the chapter shows it, costs in million USD."""
    return table(bills.assign(**{column: bills[column] / 1e6 for column in ("low", "central", "high")}),
                 {"gpu_hours": ",.0f", "low": ",.2f", "central": ",.2f", "high": ",.2f"},
                 {"gpu_hours": "published A100-hours", "low": "low (million USD)", "central": "central (million USD)",
                  "high": "high (million USD)"})


# --- low, central and high ----------------------------------------------------------------------


def cost_range(models: list, gpu: str, precision: str, utilizations, prices) -> dict:
    """:func:`llmcost.ranges.training_range` of every model (6PD) on ``gpu`` at ``precision``, over
    the ``utilizations`` (low, central, high fractions of the peak) and ``prices`` (low, central,
    high USD per GPU-hour): ``{output: Span}`` with one value per model (GPU-hours, USD, ...)."""
    facts = [datasets.model(name) for name in models]
    return ranges.training_range(np.array([f["params_active"] for f in facts]), np.array([f["tokens"] for f in facts]),
                                 peak_flops(gpu, precision), tuple(utilizations), usd_per_gpu_hour=tuple(prices))


def range_spread(models: list, span: dict) -> pd.DataFrame:
    """One row per model (by name) of :func:`cost_range`: GPU-hours and cost at the low, central and
    high ends, in millions (``gpu_hours_<end>``, ``cost_usd_<end>``: million GPU-hours, million USD)."""
    spread = pd.DataFrame({"model": [datasets.model(name)["name"] for name in models]})
    for key in ("gpu_hours", "cost_usd"):
        for end in ("low", "central", "high"):
            spread[f"{key}_{end}"] = getattr(span[key], end) / 1e6
    return spread


def range_example(model: str, span: dict, utilizations, prices) -> dict:
    """The ends of the ranges (utilization fractions, USD per GPU-hour), the published figures behind
    the default price ends, and ``model``'s (the first of :func:`cost_range`) cost (million USD)
    and GPU-hours at the central point and the two ends, with the factors between the ends: in
    all, from the utilization, from the price. Glue names ``c5_mfu_*``, ``c5_price_*``, ``c5_range_*``."""
    (mfu_low, _, mfu_high), (price_low, _, price_high) = utilizations, prices
    usd, hours = span["cost_usd"], span["gpu_hours"]
    return {
        "c5_mfu_low": (mfu_low, ".1%"),
        "c5_mfu_high": (mfu_high, ".1%"),
        "c5_price_low": dated_price(price_low),
        "c5_price_high": dated_price(price_high),
        "c5_price_semianalysis": price_text(cost.gpu_hour_price("semianalysis-gpt4-a100"), "A100-hour", datasets.price_date("semianalysis-gpt4-a100")),
        "c5_price_p4d": price_text(cost.gpu_hour_price("aws-p4d-24xlarge-on-demand"), "GPU-hour", datasets.price_date("aws-p4d-24xlarge-on-demand")),
        "c5_range_model": datasets.model(model)["name"],
        "c5_range_cost": (usd.central[0] / 1e6, ",.2f", "million USD"),
        "c5_range_cost_low": (usd.low[0] / 1e6, ",.2f"),
        "c5_range_cost_high": (usd.high[0] / 1e6, ",.2f", "million USD"),
        "c5_range_hours_low": (hours.low[0], "sig3"),
        "c5_range_hours_high": (hours.high[0], "sig3"),
        "c5_range_factor": (usd.high[0] / usd.low[0], "sig3"),
        "c5_range_factor_mfu": (hours.high[0] / hours.low[0], ",.2f"),
        "c5_range_factor_price": (price_high / price_low, ",.2f"),
    }


def range_table(spread: pd.DataFrame):
    """:func:`range_spread` as the chapter shows it (3 significant digits, millions)."""
    number = ",.3g"
    return table(spread, {c: number for c in spread.columns[1:]},
                 {"gpu_hours_low": "GPU-hours low (M)", "gpu_hours_central": "GPU-hours central (M)", "gpu_hours_high": "GPU-hours high (M)",
                  "cost_usd_low": "cost low (M USD)", "cost_usd_central": "cost central (M USD)", "cost_usd_high": "cost high (M USD)"})


def range_chart(spread: pd.DataFrame, gpu: str):
    """Each model's rental cost (million USD, log scale) on ``gpu``: a bar from the low to the high
    end of :func:`range_spread`, a point at the central cost."""
    bars = alt.Chart(spread.assign(model=short_names(spread["model"]))).encode(y=alt.Y("model:N", sort=None, title=None))
    return (bars.mark_rule(strokeWidth=2).encode(x=alt.X("cost_usd_low:Q", scale=alt.Scale(type="log"), title="training cost (million USD, log scale)"),
                                                 x2="cost_usd_high:Q",
                                                 tooltip=["model:N", alt.Tooltip("cost_usd_low:Q", format=",.3r", title="low (million USD)"),
                                                          alt.Tooltip("cost_usd_high:Q", format=",.3r", title="high (million USD)")])
            + bars.mark_tick(thickness=2, size=12, color="black").encode(x="cost_usd_low:Q")
            + bars.mark_tick(thickness=2, size=12, color="black").encode(x="cost_usd_high:Q")
            + bars.mark_point(filled=True, size=70, color="black").encode(
                x="cost_usd_central:Q", tooltip=["model:N", alt.Tooltip("cost_usd_central:Q", format=",.3r", title="central (million USD)")])
            ).properties(width=360, height=40 + 28 * len(spread),
                         title=f"Rental cost of training on the {datasets.accelerator(gpu)['name']}, low-central-high")


# --- buying: seed 002 ---------------------------------------------------------------------------


def seed002_purchase_example(claims: dict) -> dict:
    """Seed 002's 100B run: its FLOPs, A100s (stated and recomputed) and purchase cost (million USD,
    stated and recomputed), and the A100's FP32 rate as a share of its BF16 rate. Glue names
    ``c5_s_*``, ``c5_fp32_share``."""
    s_gpus, s_total = claims["002-100b-gpus"], claims["002-100b-total"]
    return {
        "c5_s_flops": (claims["002-100b-flops"]["stated_value"], "sci"),
        "c5_s_gpus_stated": (s_gpus["stated_value"], ",.0f"),
        "c5_s_gpus": (s_gpus["recomputed"], "sig3"),
        "c5_s_total_stated": (s_total["stated_value"] / 1e6, ",.2f", "million USD"),
        "c5_s_total": (s_total["recomputed"] / 1e6, ",.2f", "million USD"),
        "c5_fp32_share": (peak_flops("a100", "fp32") / peak_flops("a100", "bf16"), ".2%"),
    }


def seed002_data_example(claims: dict) -> dict:
    """Seed 002's data: LLaMA's corpus (TB, stated and summed) and tokens per byte, the tokens in
    1 PB (:func:`llmcost.sizing.corpus_tokens`), 6PD of a 100B model on all of them (FLOP) and its
    ratio to the seed's FLOPs, and Chinchilla's tokens per parameter. Glue names ``c5_llama_bytes*``,
    ``c5_tokens_per_byte``, ``c5_pb_*``, ``c5_chinchilla_ratio``."""
    llama_tokens = claims["002-llama-tokens"]["recomputed"]
    llama_bytes = claims["002-llama-bytes"]["recomputed"]
    pb_tokens = sizing.corpus_tokens(1e15, llama_tokens, llama_bytes)
    pb_flops = flops.training_flops(100e9, pb_tokens)
    chinchilla = datasets.model("chinchilla-70b")
    return {
        "c5_llama_bytes_stated": (claims["002-llama-bytes"]["stated_value"] / 1e12, "sig3", "TB"),
        "c5_llama_bytes": (llama_bytes / 1e12, ",.2f", "TB"),
        "c5_tokens_per_byte": (llama_tokens / llama_bytes, ".3f"),
        "c5_pb_tokens": (pb_tokens, "words"),
        "c5_pb_flops": (pb_flops, "sci"),
        "c5_pb_ratio": (pb_flops / claims["002-100b-flops"]["stated_value"], ",.0f"),
        "c5_chinchilla_ratio": (chinchilla["tokens"] / chinchilla["params_active"], ",.0f"),
    }


def purchase_inputs(claims: dict, purchase_price: str) -> dict:
    """Seed 002's purchase model with the price of the purchase row ``purchase_price``:
    ``usd_per_gpu`` (USD per accelerator), ``other_hardware_share`` and ``datacenter_share``
    (fractions of the GPUs' price) and ``staff_usd`` (USD)."""
    shares = claims["002-100b-total"]["inputs"]
    return {"usd_per_gpu": float(datasets.prices().set_index("id").loc[purchase_price, "usd"]),
            **{key: shares[key] for key in ("other_hardware_share", "datacenter_share", "staff_usd")}}


def buy_or_rent(claims: dict, purchase_price: str, gpu: str, precision: str, utilization: float, rent: float) -> pd.DataFrame:
    """Seed 002's cluster for its 10 days, and the one its FLOPs need at ``utilization`` of ``gpu``'s
    peak at ``precision``: ``gpus`` (whole), ``buy`` (seed 002's purchase model, million USD) and
    ``rent`` (the run's hours at ``rent`` USD per GPU-hour, million USD)."""
    s_gpus = claims["002-100b-gpus"]
    days = s_gpus["inputs"]["days"]
    fixed_gpus = cluster.whole(cluster.gpus_for_deadline(
        cluster.gpu_hours(claims["002-100b-flops"]["stated_value"], peak_flops(gpu, precision), utilization), days))
    scenarios = pd.DataFrame([
        {"scenario": "seed 002: FP32 peak, no utilization", "gpus": s_gpus["stated_value"]},
        {"scenario": f"{datasets.accelerator(gpu)['name']} {precision} peak x {utilization:.1%}", "gpus": fixed_gpus},
    ])
    buy = purchase_inputs(claims, purchase_price)
    scenarios["buy"] = [cost.purchase_cost(n, **buy)["total"] / 1e6 for n in scenarios["gpus"]]
    scenarios["rent"] = [cost.rental_cost(n * (days * cluster.HOURS_PER_DAY), rent) / 1e6 for n in scenarios["gpus"]]
    return scenarios


def buy_or_rent_example(scenarios: pd.DataFrame) -> dict:
    """The fixed cluster of :func:`buy_or_rent` (GPUs, buy and rent in million USD) and the rent of
    the seed's own. Glue names ``c5_fixed_*``, ``c5_seed_rent``."""
    return {
        "c5_fixed_gpus": (scenarios["gpus"][1], ",.0f"),
        "c5_fixed_buy": (scenarios["buy"][1], "sig3", "million USD"),
        "c5_fixed_rent": (scenarios["rent"][1], ",.2f", "million USD"),
        "c5_seed_rent": (scenarios["rent"][0], "sig3", "million USD"),
    }


def buy_or_rent_table(scenarios: pd.DataFrame, rent: float):
    """:func:`buy_or_rent` as the chapter shows it (``rent``: USD per GPU-hour, in the header)."""
    return table(scenarios, {"gpus": ",.0f", "buy": "sig3", "rent": ",.2f"},
                 {"gpus": "A100s for 10 days", "buy": "buy, seed's model (M USD)", "rent": f"rent 10 days at {dated_price(rent)} (M USD)"})


def breakeven_example(claims: dict, purchase_price: str, rent: float) -> dict:
    """Seed 002's capital per GPU (USD, :func:`llmcost.sizing.capital_per_gpu`) and the hours and
    30-day months of use after which buying costs as much as renting at ``rent`` USD per GPU-hour
    (:func:`llmcost.sizing.rent_vs_buy_breakeven_hours`). Glue names ``c5_capital``, ``c5_breakeven_*``."""
    buy = purchase_inputs(claims, purchase_price)
    shares = (buy["other_hardware_share"], buy["datacenter_share"])
    breakeven = sizing.rent_vs_buy_breakeven_hours(buy["usd_per_gpu"], rent, *shares)
    return {
        "c5_capital": (sizing.capital_per_gpu(buy["usd_per_gpu"], *shares), ",.0f", "USD"),
        "c5_breakeven_hours": (breakeven, ",.0f"),
        "c5_breakeven_months": (breakeven / HOURS_PER_MONTH, "sig3"),
    }


def rent_or_buy_lines(claims: dict, purchase_price: str, rental_price: str) -> pd.DataFrame:
    """Cumulative cost of one GPU (USD) over :data:`OWNERSHIP_MONTHS` of continuous use: bought
    (:func:`llmcost.sizing.ownership_cost`), rented at ``rental_price`` and at the rows of
    :data:`RENTAL_COMPARED`. Columns months, option, usd."""
    buy = purchase_inputs(claims, purchase_price)
    hours = OWNERSHIP_MONTHS * HOURS_PER_MONTH
    compare = [rental_price] + [ident for ident in RENTAL_COMPARED if ident != rental_price]
    lines = [pd.DataFrame({"months": OWNERSHIP_MONTHS, "option": f"buy: {buy['usd_per_gpu']:,.0f} USD + 30 %",
                           "usd": sizing.ownership_cost(hours, buy["usd_per_gpu"], buy["other_hardware_share"], buy["datacenter_share"])})]
    for ident in compare:
        price = cost.gpu_hour_price(ident)
        lines.append(pd.DataFrame({"months": OWNERSHIP_MONTHS, "option": f"rent: {rental_label(ident)} ({price:.2f} USD/h)",
                                   "usd": cost.rental_cost(hours, price)}))
    return pd.concat(lines)


def rent_or_buy_chart(lines: pd.DataFrame):
    """Lines of :func:`rent_or_buy_lines`: cumulative cost per GPU (USD) against months."""
    return alt.Chart(lines).mark_line().encode(
        x=alt.X("months:Q", title="months of continuous use (30-day months)"),
        y=alt.Y("usd:Q", title="cumulative cost per GPU (USD)"),
        color=alt.Color("option:N", sort=None, legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)),
    ).properties(width=440, height=300, title="Rent or buy one A100: cumulative cost")


# --- serving: the inference fleet and its cost --------------------------------------------------


def fleet_example(claims: dict) -> dict:
    """Seed 004's inference fleet: A100s stated and recomputed, servers, their ratio, the parameter
    count its FLOPs per day imply (FLOP per day / :func:`llmcost.demand.inference_flops_per_day`
    of one parameter), and its demand inputs (searches a day, questions each, words each).
    Glue names ``c5_inf_*``, ``c5_deck_params``, ``c5_requests``, ``c5_queries``, ``c5_words``."""
    inf = claims["004-infer-gpus"]["inputs"]
    tokens_day = claims["004-tokens-per-day"]["recomputed"]
    return {
        "c5_inf_gpus_stated": (claims["004-infer-gpus"]["stated_value"], ",.0f"),
        "c5_inf_gpus": (claims["004-infer-gpus"]["recomputed"], "sig3"),
        "c5_inf_servers": (claims["004-infer-servers"]["recomputed"], "sig3"),
        "c5_inf_ratio": (claims["004-infer-gpus"]["ratio"], ".3f"),
        "c5_deck_params": (claims["004-infer-flops"]["stated_value"] / demand.inference_flops_per_day(1.0, tokens_day), "words"),
        "c5_requests": (inf["requests_per_day"], "words"),
        "c5_queries": (inf["queries_per_request"], ",.0f"),
        "c5_words": (inf["words_per_query"], ",.0f"),
    }


def fleet_table(claims: dict):
    """Seed 004's inference chain (:data:`FLEET_STEPS`): each step as the deck states it and as
    recomputed, and their ratio."""
    rows = [{"step": label, "deck": format_number(claims[key]["stated_value"], fmt), "recomputed": format_number(claims[key]["recomputed"], "sig3"),
             "ratio": claims[key]["ratio"]} for key, label, fmt in FLEET_STEPS]
    return table(pd.DataFrame(rows), {"ratio": "sig3"}, {"ratio": "deck / recomputed"})


def api_usd_per_1k(api_price: str) -> float:
    """USD per 1,000 output tokens of the row ``api_price`` of :func:`llmcost.api_prices` (the
    seed documents quote per 1,000 tokens)."""
    return datasets.api_price(api_price, "output") / 1000


def serving_claims_example(claims: dict, api_price: str) -> dict:
    """Seed 000's serving cost: its instance price (USD per hour and per GPU-hour), the cost per
    1,000 tokens it states and the one at its training utilization (USD), the utilization its
    figure implies (:func:`llmcost.cost.utilization_for_serving_cost`), its gross margin (stated,
    exact, at the recomputed cost), its "10 % more utilization" cut read as points and as a
    relative gain, and the API prices (USD per 1,000 tokens: ``api_price``'s and the seed's).
    Glue names ``c5_seed_*``, ``c5_serving_*``, ``c5_margin*``, ``c5_gain_*``, ``c5_api_price``."""
    sc = claims["000-serving-cost"]
    si = sc["inputs"]
    seed_price = cost.usd_per_gpu_hour(si["usd_per_instance_hour"], si["gpus_per_instance"])
    implied = cost.utilization_for_serving_cost(sc["stated_value"], si["params"], seed_price, peak_flops(si["gpu"], si["precision"]))
    margin_claim = claims["000-gross-margin"]
    seed_api = margin_claim["inputs"]["price_per_1k_tokens"]
    return {
        "c5_seed_instance": price_text(si["usd_per_instance_hour"], "instance-hour", datasets.price_date("seed000-8xa100-effective")),
        "c5_seed_gpu_hour": price_text(seed_price, "GPU-hour", datasets.price_date("seed000-8xa100-effective")),
        "c5_serving_stated": (sc["stated_value"], ",.4f", "USD"),
        "c5_serving_at_462": (sc["recomputed"], ",.4f", "USD"),
        "c5_serving_implied": (implied, ".1%"),
        "c5_margin_stated": (margin_claim["stated_value"], ".0%"),
        "c5_margin": (cost.gross_margin(sc["stated_value"], seed_api), ".1%"),
        "c5_margin_at_462": (cost.gross_margin(sc["recomputed"], seed_api), ".1%"),
        "c5_gain_cut": (claims["000-utilization-gain"]["recomputed"], ".1%"),
        "c5_gain_relative": (cost.cost_reduction(implied, implied * 1.1), ".1%"),
        "c5_api_price": price_text(api_usd_per_1k(api_price), "1,000 tokens", datasets.price_date(api_price, "api_prices.csv"), ",.3f"),
        "c5_seed_api_price": price_text(seed_api, "1,000 tokens", datasets.price_date("openai-davinci-2022", "api_prices.csv")),
    }


SERVING_OUTPUT_TOKENS = 128
"""Output tokens per request of the serving chart (the length chapter 8's worked example generates)."""

SERVING_PROMPT_STEP = 256
"""Prompt lengths of the serving chart: multiples of this many tokens, up to the model's context."""


def serving_group_size(model: str, gpu: str, precision: str) -> int:
    """The fewest accelerators, a power of two, that hold ``model``'s weights at ``precision`` with room
    for one sequence at its full serving context (:func:`llmcost.serving.max_batch`)."""
    context = serving.serving_context(model)
    gpus = 1
    while serving.max_batch(model, gpu, gpus, context, precision, precision) < 1:
        gpus *= 2
        if gpus > 4096:
            raise validate.InputError(f"serving_model {model!r} does not fit on 4,096 {gpu} accelerators")
    return gpus


def serving_grid(serving_model: str, gpu: str, precision: str, usd_per_gpu_hour: float) -> tuple[pd.DataFrame, dict]:
    """The roofline's cost per 1,000 output tokens (USD) of ``serving_model`` on its group of ``gpu``
    (:func:`serving_group_size`) at ``usd_per_gpu_hour``, at every batch that fits and every prompt
    length of :data:`SERVING_PROMPT_STEP`, with :data:`SERVING_OUTPUT_TOKENS` output tokens, and the
    cost expected from measured systems (:func:`llmcost.calibration.expected_serving`; NaN where no
    group applies). Returns the rows (prompt, batch, roofline, low, central, high; 3 significant
    digits) and the setting: gpus, calibration group (or None) and why not."""
    gpus = serving_group_size(serving_model, gpu, precision)
    try:
        group, why = calibration.serving_calibration(gpu, precision), ""
    except validate.InputError as error:
        group, why = None, str(error)
    longest = int(serving.serving_context(serving_model)) - SERVING_OUTPUT_TOKENS
    frames = []
    for prompt in range(SERVING_PROMPT_STEP, longest + 1, SERVING_PROMPT_STEP):
        sweep = serving.batch_sweep(serving_model, gpu, gpus=gpus, prompt_tokens=prompt, output_tokens=SERVING_OUTPUT_TOKENS,
                                    precision=precision, usd_per_gpu_hour=usd_per_gpu_hour)
        roofline = np.asarray(sweep["usd_per_1k_output_tokens"])
        ends = calibration.expected_serving(sweep, group)["usd_per_1k_output_tokens"] if group else {}
        frames.append(pd.DataFrame({"prompt": prompt, "batch": sweep["batch"], "roofline": roofline,
                                    **{end: ends.get(end, np.full(roofline.shape, np.nan)) for end in ("low", "central", "high")}}))
    grid = pd.concat(frames, ignore_index=True)
    for column in ("roofline", "low", "central", "high"):
        grid[column] = [float(f"{value:.3g}") for value in grid[column]]
    return grid, {"gpus": gpus, "group": group, "why": why}


def serving_example(grid: pd.DataFrame, setting: dict, serving_model: str, gpu: str, precision: str) -> dict:
    """The serving chart's setting and its cheapest point: the group of accelerators, the
    calibration group (or why none), and at the shortest prompt the largest batch with its roofline
    and expected cost (USD per 1,000 output tokens). Glue names ``c5_srv_*``."""
    group = setting["group"]
    shortest = grid[grid["prompt"] == grid["prompt"].min()].iloc[-1]
    calibrated = (f"measured {group['generation']} systems at {group['precision'].upper()}, which reach "
                  f"{group['throughput']['low']:.0%} to {group['throughput']['high']:.0%} of the roofline's speed "
                  f"(median {group['throughput']['central']:.0%})") if group else f"no measured systems ({setting['why']})"
    return {
        "c5_srv_model": datasets.model(serving_model)["name"],
        "c5_srv_gpus": (setting["gpus"], ",.0f"),
        "c5_srv_gpu": datasets.accelerator(gpu)["name"],
        "c5_srv_precision": precision.upper(),
        "c5_srv_output": (SERVING_OUTPUT_TOKENS, ",.0f"),
        "c5_srv_calibrated": calibrated,
        "c5_srv_prompt": (shortest["prompt"], ",.0f"),
        "c5_srv_batch": (shortest["batch"], ",.0f"),
        "c5_srv_roofline": (shortest["roofline"], "sig3", "USD"),
        "c5_srv_expected": (shortest["central"], "sig3", "USD") if group else "not calibrated",
    }


def serving_chart(grid: pd.DataFrame, setting: dict, serving_model: str, gpu: str, api_price: str):
    """:func:`llmcost.sliders.serving_roofline_chart` of the chapter: cost per 1,000 output tokens
    against the batch at the prompt length of one slider, read at the batch of the other."""
    group = setting["group"]
    title = alt.Title(f"Serving {datasets.model(serving_model)['name']} on {setting['gpus']} × {datasets.accelerator(gpu)['name']}",
                      subtitle=["black: the roofline (the cheapest possible); blue: as measured systems of its generation reach it"
                                if group else "the roofline (the cheapest possible); no measured systems calibrate this accelerator"])
    api_usd = api_usd_per_1k(api_price)
    api = datasets.api_prices().set_index("id").loc[api_price]
    return sliders.serving_roofline_chart(grid, title, f"API price {api_usd:.3f} USD ({api['provider']} {api['model']})", api_usd,
                                          SERVING_OUTPUT_TOKENS)
