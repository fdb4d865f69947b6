"""The audit: recomputing the source documents' numeric claims (``data/claims.csv``) with llmcost's formulas.

Each row of ``claims.csv`` names a recipe and gives its inputs as JSON. A recipe is a short
function of those inputs that calls the library; none of them knows the stated value.
``not_reproducible`` marks a claim the document gives no inputs for (it recomputes to NaN). An
accelerator is given as ``gpu`` + ``precision`` (dataset peak) or as ``peak_tflops``.
"""

from __future__ import annotations

import re

import numpy as np

from ..formulas import cluster, cost, demand, energy, flops, memory, parallelism
from . import techniques, trends
from ..running import toynet
from ..catalog.datasets import api_price, claim_rows, model
from ..catalog.hardware import TERA, peak_flops
from ..core.validate import InputError, as_number, check_non_negative



def _peak(inputs: dict) -> float:
    if "peak_tflops" in inputs:
        return inputs["peak_tflops"] * TERA
    return peak_flops(inputs["gpu"], inputs["precision"])


def _train_flops(i: dict) -> float:
    if "flops" in i:
        return i["flops"]
    return flops.training_flops(i["params"], i["tokens"], recompute=i.get("recompute", False))


def _gpu_hours(i: dict) -> float:
    if "achieved_tflops" in i:
        return cluster.gpu_hours(_train_flops(i), i["achieved_tflops"] * TERA, 1.0)
    return cluster.gpu_hours(_train_flops(i), _peak(i), i["utilization"])


def _serving_inputs(i: dict) -> tuple:
    return i["params"], cost.usd_per_gpu_hour(i["usd_per_instance_hour"], i["gpus_per_instance"]), _peak(i)


def _implied_serving_utilization(i: dict) -> float:
    params, price, peak = _serving_inputs(i)
    return cost.utilization_for_serving_cost(i["usd_per_1k_tokens"], params, price, peak)


def _growth_per_period(i: dict) -> float:
    start, end = (model(name) for name in (i["from_model"], i["to_model"]))
    q = i["quantity"]
    return trends.growth_between(start[q], start["release"], end[q], end["release"], i["period_months"])


def _model_fact_row(i: dict) -> float:
    """The value of one row of ``model_facts.csv``: model, quantity, source, and a ``locator`` substring."""
    from ..catalog.datasets import model_facts

    facts = model_facts()
    rows = facts[(facts["subject"] == model(i["model"])["id"]) & (facts["quantity"] == i["quantity"])
                 & (facts["source"] == i["source"]) & facts["locator"].str.contains(i["locator"], regex=False)]
    if len(rows) != 1:
        raise InputError(f"model_fact_row must name one row of model_facts.csv; {len(rows)} match {i!r}")
    return float(rows["value"].iloc[0])


def _published_wall_days(name: str, gpus) -> float:
    """A run's published wall-clock days (``train_days``) on its published ``accelerator_count``, at the
    same speed on ``gpus`` accelerators: how long a claim about that run's duration should say."""
    record = model(name)
    if record.get("train_days") is None or record.get("accelerator_count") is None:
        raise InputError(f"model {name!r} has no published train_days and accelerator_count to judge a duration by")
    return record["train_days"] * record["accelerator_count"] / gpus


def _toynet_value(i: dict) -> float:
    if i["value"] == "loss_after":
        return toynet.train(1)[0][1]
    result = toynet.step(toynet.Network())
    values = {
        "loss": result.loss,
        "out_h2": result.hidden_out[1],
        "out_o1": result.output_out[0],
        "out_o2": result.output_out[1],
        **{f"w{k}_new": w for k, w in enumerate(result.updated.weights)},
    }
    return float(values[i["value"]])


def _purchase(i: dict) -> dict:
    gpus = i["gpus"] if "gpus" in i else _gpus_for_days(i)
    return cost.purchase_cost(gpus, i["usd_per_gpu"], i["other_hardware_share"], i["datacenter_share"], i["staff_usd"])


def _gpus_for_days(i: dict) -> float:
    return cluster.gpus_for_deadline(_gpu_hours(i), i["days"])


def _scaled_flops(i: dict) -> float:
    return i["reference_flops"] * i["params"] / i["reference_params"]


def _inference_throughput(i: dict) -> float:
    return demand.inference_flops_per_day(i["params"], _tokens_per_day(i)) / demand.SECONDS_PER_DAY


def _tokens_per_day(i: dict) -> float:
    return demand.tokens_per_day(i["requests_per_day"], i["words_per_query"], i["tokens_per_word"], i["queries_per_request"])


RECIPES = {
    "training_flops": _train_flops,
    "flops_in_pfs_days": lambda i: flops.to_pfs_days(_train_flops(i)),
    "scaled_flops": _scaled_flops,
    "moe_active_params": lambda i: flops.moe_active_params(i["expert_params"], i["experts_routed"], i["shared_params"]),
    "gpu_hours": _gpu_hours,
    "gpu_days": lambda i: _gpu_hours(i) / cluster.HOURS_PER_DAY,
    "wall_days": lambda i: cluster.wall_days(_gpu_hours(i) if "gpu_hours" not in i else i["gpu_hours"], i["gpus"]),
    "published_wall_days": lambda i: _published_wall_days(i["model"], i["gpus"]),
    "gpus_for_days": _gpus_for_days,
    "servers_for_days": lambda i: cluster.servers(_gpus_for_days(i), i.get("gpus_per_server", cluster.GPUS_PER_SERVER)),
    "throughput_for_days_tflops": lambda i: cluster.required_throughput(_train_flops(i), i["days"] * demand.SECONDS_PER_DAY) / TERA,
    "rental_cost": lambda i: cost.rental_cost(i["gpu_hours"] if "gpu_hours" in i else _gpu_hours(i), i["usd_per_gpu_hour"]),
    "rental_cost_of_cluster": lambda i: cost.rental_cost(cluster.cluster_gpu_hours(i["gpus"], i["days"]), i["usd_per_gpu_hour"]),
    "purchase_total": lambda i: _purchase(i)["total"],
    "purchase_part": lambda i: _purchase(i)[i["part"]],
    "serving_cost_per_1k_tokens": lambda i: cost.serving_cost_per_1k_tokens(*_serving_inputs(i), i["utilization"]),
    "gross_margin": lambda i: cost.gross_margin(i["usd_per_1k_tokens"], i["price_per_1k_tokens"]),
    "cost_cut_from_utilization_gain": lambda i: cost.cost_reduction(
        _implied_serving_utilization(i), _implied_serving_utilization(i) + i["utilization_gain"]
    ),
    "tokens_per_day": _tokens_per_day,
    "inference_flops_per_day": lambda i: demand.inference_flops_per_day(i["params"], _tokens_per_day(i)),
    "inference_throughput_tflops": lambda i: _inference_throughput(i) / TERA,
    "inference_gpus": lambda i: demand.inference_accelerators(i["params"], _tokens_per_day(i), _peak(i), i["utilization"]),
    "inference_servers": lambda i: cluster.servers(
        demand.inference_accelerators(i["params"], _tokens_per_day(i), _peak(i), i["utilization"])
    ),
    "model_fact": lambda i: model(i["model"])[i["quantity"]],
    "model_fact_row": _model_fact_row,
    "accelerator_growth": lambda i: trends.accelerator_trend(i["quantity"], i["vendor"], i["form_factor"],
                                                             i.get("until_year")).factor_per(i["period_months"]),
    "ratio_of_facts": lambda i: model(i["model"])[i["quantity"]] / model(i["other_model"])[i["quantity"]],
    "ratio": lambda i: i["numerator"] / i["denominator"],
    "sum": lambda i: sum(i["values"]),
    "api_price": lambda i: api_price(i["id"], "output") / 1000,  # the claims quote USD per 1k tokens
    "energy_mwh": lambda i: energy.energy_mwh(i["gpu_hours"], i["power_w"], i["pue"]),
    "co2_from_energy": lambda i: energy.co2_tonnes(i["energy_mwh"], i["grid_kg_per_kwh"]),
    "weights_bytes": lambda i: i["params"] * memory.bytes_per_value(i["precision"]),
    "training_state_bytes": lambda i: memory.zero_bytes_per_gpu(i["params"], 1, 0, i["precision"], i["optimizer"]),
    "layout_gpus": lambda i: parallelism.layout_gpus(i["tensor_parallel"], i["pipeline_parallel"], i["data_parallel"]),
    "growth_per_period": _growth_per_period,
    "scaled_speedup": lambda i: techniques.scaling_speedup(i["gpus_to"], i["gpus_from"], i["scaling_efficiency"]),
    "toynet": _toynet_value,
    "not_reproducible": lambda i: float("nan"),
}


def recompute(recipe: str, inputs: dict) -> float:
    """Recompute one claim: run ``recipe`` on ``inputs``; unknown recipes list the known ones."""
    if recipe not in RECIPES:
        raise InputError(f"unknown recipe {recipe!r}; known: {', '.join(sorted(RECIPES))}")
    try:
        return float(RECIPES[recipe](inputs))
    except KeyError as missing:
        raise InputError(f"recipe {recipe!r} needs input {missing}") from None


def recompute_all() -> list[dict]:
    """Every claim with its recomputed value and the ratio stated / recomputed (stated_low and
    stated_high as floats, None outside range claims)."""
    rows = []
    for row in claim_rows():
        value = recompute(row["recipe"], row["inputs"])
        stated = float(row["stated_value"])
        ends = {key: float(row[key]) if row[key] else None for key in ("stated_low", "stated_high")}
        rows.append({**row, **ends, "stated_value": stated, "recomputed": value, "ratio": stated / value if value else float("nan")})
    return rows


# --- verdicts and implied inputs (the claims-audit appendix) ---------------------------------

VERDICTS = ("consistent", "off", "not reproducible")
"""The verdicts of :func:`verdict`, in the order the appendix lists them."""

CLAIM_KINDS = ("exact", "approximate", "lower_bound", "upper_bound", "range", "decade", "order_of_magnitude")
"""How a claim states its number, and so how it is judged (:func:`verdict`):

* ``exact``: a plain figure, within the audit's tolerance;
* ``approximate`` ("about", "nearly", "~"): within :data:`APPROXIMATE_TOLERANCE`, or the
  audit's tolerance if that is wider;
* ``lower_bound`` ("at least", "more than") / ``upper_bound`` ("at most", "less than", "up
  to"): the recomputed value on the stated side, within the tolerance;
* ``range`` ("3-4 weeks"): the recomputed value between ``stated_low`` and ``stated_high``;
* ``decade`` ("tens of millions", stated as the decade's start): from the stated value to ten times it;
* ``order_of_magnitude`` ("about 10,000x"): within half a decade (a factor of √10) either way.
"""

APPROXIMATE_TOLERANCE = 0.25
"""Relative tolerance of a figure qualified by "about" or "nearly": round wording picks among
values about this far apart ("about a month": three to five weeks)."""

_WORDING = (
    ("decade", r"\b(tens|hundreds) of\b"),
    ("range", r"\d\s*[-\u2013]\s*\d+\s*(weeks|months|days|years|%)"),
    ("lower_bound", r"\b(at least|more than)\b|\bover \$?\d"),
    ("upper_bound", r"\b(at most|less than|up to|under)\b"),
    ("order_of_magnitude", r"\babout 10(,000)+x"),
    ("approximate", r"\b(about|nearly|around|roughly|almost)\b|~"),
)
"""Wording -> kind, first match wins; a claim matching none is ``exact``."""


def recompute_by_id() -> dict:
    """Every claim recomputed (:func:`recompute_all`), by its id."""
    return {row["id"]: row for row in recompute_all()}


def stated_hours_utilization(claim: dict) -> float:
    """The utilization at which an accelerator-hours claim (a row of :func:`recompute_all`) follows
    from its own inputs: 6PD of its ``params`` and ``tokens`` at the dense peak of its ``gpu``
    and ``precision``, over its stated hours; fraction."""
    inputs = claim["inputs"]
    work = flops.training_flops(inputs["params"], inputs["tokens"])
    return float(cluster.implied_utilization(work, peak_flops(inputs["gpu"], inputs["precision"]), claim["stated_value"]))


def claim_kind(claim: str) -> str:
    """The kind of a claim from its English wording (see :data:`CLAIM_KINDS`)."""
    for kind, pattern in _WORDING:
        if re.search(pattern, claim):
            return kind
    return "exact"


def verdict(stated, recomputed, tolerance=0.05, kind="exact", low=None, high=None):
    """Verdict on a claim: ``"consistent"``, ``"off"``, or ``"not reproducible"`` when
    ``recomputed`` is NaN (the recipe ``not_reproducible``: the document gives no inputs).

    stated, recomputed: the claim's value and llmcost's, in the same unit (scalars or arrays);
    tolerance: relative tolerance >= 0 (0.05 = 5 %); kind: one of :data:`CLAIM_KINDS` (an
    array of them for arrays); low, high: the stated range of a ``range`` claim. Returns a
    str, or an array of str.
    """
    stated = np.asarray(as_number("stated", stated), dtype=float)
    tolerance = check_non_negative("tolerance", tolerance)
    recomputed = np.asarray(recomputed, dtype=float)
    kind = np.asarray(kind)
    unknown = set(np.unique(kind)) - set(CLAIM_KINDS)
    if unknown:
        raise InputError(f"kind must be one of {', '.join(CLAIM_KINDS)}; got {sorted(unknown)[0]!r}")
    missing = np.isnan(recomputed)
    value = np.where(missing, 1.0, recomputed)
    slack = tolerance * (1 + 1e-12) + 1e-15  # a ratio of exactly 1 + tolerance counts as consistent despite rounding
    low = stated if low is None else np.where(np.isnan(np.asarray(low, dtype=float)), stated, low)
    high = stated if high is None else np.where(np.isnan(np.asarray(high, dtype=float)), stated, high)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(value == 0, np.where(stated == 0, 1.0, np.inf), stated / value)
        ratio_off = np.abs(ratio - 1.0)
        decades = np.abs(np.log10(np.abs(value) / np.abs(stated)))
    close = {
        "exact": ratio_off <= slack,
        "approximate": ratio_off <= max(slack, APPROXIMATE_TOLERANCE),
        "lower_bound": value >= stated * (1 - slack),
        "upper_bound": value <= stated * (1 + slack),
        "range": (value >= low * (1 - slack)) & (value <= high * (1 + slack)),
        "decade": (value >= stated * (1 - slack)) & (value < 10 * stated * (1 + slack)),
        "order_of_magnitude": decades <= 0.5,
    }
    consistent = np.select([kind == name for name in CLAIM_KINDS], [close[name] for name in CLAIM_KINDS], False)
    result = np.where(missing, VERDICTS[2], np.where(consistent, VERDICTS[0], VERDICTS[1]))
    return str(result) if result.ndim == 0 else result


def audit_table(tolerance=0.05):
    """Every claim of ``claims.csv`` recomputed, with its verdict at ``tolerance`` (a DataFrame).

    Columns: id, document, source, section, claim, kind, stated_value, stated_low, stated_high,
    unit, recipe, recomputed, ratio (stated / recomputed), verdict (see :func:`verdict`, by the
    claim's kind), note, input_sources, third_party_sources (the inputs that are a third party's
    estimate, on which the verdict rests).
    """
    import pandas as pd

    table = pd.DataFrame(recompute_all())
    for column in ("stated_low", "stated_high"):
        table[column] = pd.to_numeric(table[column]).astype(float)
    table["verdict"] = verdict(table["stated_value"].to_numpy(), table["recomputed"].to_numpy(), tolerance,
                               table["kind"].to_numpy(), table["stated_low"].to_numpy(), table["stated_high"].to_numpy())
    columns = ["id", "document", "source", "section", "claim", "kind", "stated_value", "stated_low", "stated_high", "unit",
               "recipe", "recomputed", "ratio", "verdict", "note", "input_sources", "third_party_sources"]
    return table[columns]


def _stated_hours(recipe: str, stated: float, i: dict) -> float:
    """Accelerator-hours a wall-clock, GPU-day or GPU-hour claim states."""
    if recipe == "gpu_hours":
        return stated
    if recipe == "gpu_days":
        return stated * cluster.HOURS_PER_DAY
    return stated * cluster.HOURS_PER_DAY * i["gpus"]


def implied_input(recipe: str, inputs: dict, stated: float) -> dict | None:
    """The value of one input of ``recipe`` that reproduces ``stated`` exactly, or None.

    Cheap inversions only, each through a library function:

    * accelerator time (``gpu_hours``, ``gpu_days``, ``wall_days``) at a utilization:
      the utilization (:func:`llmcost.cluster.implied_utilization`); at an achieved rate: the
      achieved TFLOP/s; from published GPU-hours: the GPU-hours;
    * ``serving_cost_per_1k_tokens``: the utilization (:func:`llmcost.cost.utilization_for_serving_cost`);
    * inference FLOP per day, throughput, accelerators: the parameter count (all three are
      proportional to it: 2 FLOP per parameter per token);
    * ``co2_from_energy``: the energy in MWh (stated t / grid kg per kWh);
    * ``rental_cost`` / ``rental_cost_of_cluster``: the USD per accelerator-hour (cost is proportional to it).

    Returns ``{"input", "used", "implied", "unit"}`` or None when the recipe has no cheap inverse.
    """
    i = inputs
    if recipe in ("gpu_hours", "gpu_days", "wall_days"):
        hours = _stated_hours(recipe, stated, i)
        if "gpu_hours" in i:
            return {"input": "gpu_hours", "used": i["gpu_hours"], "implied": hours, "unit": "accelerator-hours"}
        if "achieved_tflops" in i:
            implied = cluster.implied_utilization(_train_flops(i), TERA, hours)
            return {"input": "achieved_tflops", "used": i["achieved_tflops"], "implied": implied, "unit": "TFLOP/s"}
        if "utilization" in i:
            implied = cluster.implied_utilization(_train_flops(i), _peak(i), hours)
            return {"input": "utilization", "used": i["utilization"], "implied": float(implied), "unit": "fraction"}
        return None
    if recipe == "serving_cost_per_1k_tokens":
        implied = _implied_serving_utilization({**i, "usd_per_1k_tokens": stated})
        return {"input": "utilization", "used": i["utilization"], "implied": float(implied), "unit": "fraction"}
    if recipe in ("inference_flops_per_day", "inference_throughput_tflops", "inference_gpus"):
        implied = i["params"] * stated / recompute(recipe, i)
        return {"input": "params", "used": i["params"], "implied": float(implied), "unit": "parameters"}
    if recipe == "co2_from_energy":
        implied = stated / energy.co2_tonnes(1.0, i["grid_kg_per_kwh"])
        return {"input": "energy_mwh", "used": i["energy_mwh"], "implied": float(implied), "unit": "MWh"}
    if recipe in ("rental_cost", "rental_cost_of_cluster"):
        implied = i["usd_per_gpu_hour"] * stated / recompute(recipe, i)
        return {"input": "usd_per_gpu_hour", "used": i["usd_per_gpu_hour"], "implied": float(implied), "unit": "USD per accelerator-hour"}
    return None


def implied_inputs_table(tolerance=0.05):
    """For every claim that is "off" at ``tolerance``: the input value that reproduces it (a DataFrame).

    Columns: id, claim, stated_value, unit, input, used, implied, input_unit, ratio_implied_used.
    Claims whose recipe has no cheap inverse (see :func:`implied_input`) are left out.
    """
    import pandas as pd

    rows = []
    for row in audit_table(tolerance).to_dict("records"):
        if row["verdict"] != "off":
            continue
        found = next((r for r in claim_rows() if r["id"] == row["id"]), None)
        implied = implied_input(row["recipe"], found["inputs"], row["stated_value"])
        if implied is None:
            continue
        rows.append(
            {
                "id": row["id"],
                "claim": row["claim"],
                "stated_value": row["stated_value"],
                "unit": row["unit"],
                "input": implied["input"],
                "used": implied["used"],
                "implied": implied["implied"],
                "input_unit": implied["unit"],
                "ratio_implied_used": implied["implied"] / implied["used"],
            }
        )
    return pd.DataFrame(rows, columns=["id", "claim", "stated_value", "unit", "input", "used", "implied", "input_unit", "ratio_implied_used"])
