"""The claims-audit appendix: the verdicts counted by source document, the chart of every claim's
stated over recomputed value, and the inputs that would reproduce the claims that are off.

Worked examples return dicts of glued values for :func:`llmcost.book.glue_all` (name -> text or
``(value, fmt)``), in the order the appendix glues them. Claims come from
:func:`llmcost.audit.audit_table`; ratios are stated / recomputed (dimensionless).
"""

from __future__ import annotations

import pandas as pd

from ...analysis import audit
from ...catalog import datasets
from ..claim_tables import recomputed_texts, stated_texts
from ..tables import cite_text, format_number

DOCUMENTS = {"seed000": "compute estimation for training and inference", "seed002": "LLM training cost",
             "seed003": "Colossal-AI talk", "seed004": "broker's research deck"}
"""Source document (BibTeX key) -> what it is, in the appendix's order."""

VERDICT_KEYS = dict(zip(audit.VERDICTS, ["consistent", "off", "nr"]))
"""Verdict -> the short key of its glued counts (``c90_off``, ``c90_seed002_off``...)."""

INPUT_FORMATS = {"fraction": ".1%", "parameters": "words", "accelerator-hours": ",.0f", "MWh": ",.0f", "TFLOP/s": "sig3",
                 "USD per accelerator-hour": ",.2f"}
"""How an implied input is written, by its unit (``"auto"`` for any other)."""

EXAMPLES = {"gpt4_hours": "000-gpt4-a100-hours", "serving_cost": "000-serving-cost", "deck_flops": "004-infer-flops",
            "gpt3_co2": "002-gpt3-co2"}
"""The claims whose implied inputs the appendix quotes (claim ids of ``claims.csv``)."""


def verdict_counts(claims: pd.DataFrame) -> pd.DataFrame:
    """Number of claims per source document (rows) and verdict (columns, in the order of
    :data:`llmcost.audit.VERDICTS`, 0 where none); ``claims``: rows of :func:`llmcost.audit.audit_table`."""
    counts = claims.groupby(["source", "verdict"]).size().unstack(fill_value=0)
    return counts.reindex(columns=list(audit.VERDICTS), fill_value=0)


def verdict_example(claims: pd.DataFrame, tolerance) -> dict:
    """The tolerance of an exact and of an approximate claim, the number of claims, and the count of
    each verdict in all and per document, then each document's number of claims and the number of
    verdicts that rest on a third party's figures."""
    counts = verdict_counts(claims)
    values = {
        "c90_tolerance": (tolerance, ".0%"),
        "c90_approximate": (max(tolerance, audit.APPROXIMATE_TOLERANCE), ".0%"),
        "c90_claims": (len(claims), ",.0f"),
    }
    for verdict, key in VERDICT_KEYS.items():
        values[f"c90_{key}"] = ((claims["verdict"] == verdict).sum(), ",.0f")
        for source in counts.index:
            values[f"c90_{source}_{key}"] = (counts.loc[source, verdict], ",.0f")
    for source in counts.index:
        values[f"c90_{source}_all"] = (counts.loc[source].sum(), ",.0f")
    values["c90_third_party"] = ((claims["third_party_sources"] != "").sum(), ",.0f")
    return values


def summary_table(claims: pd.DataFrame) -> pd.DataFrame:
    """:func:`verdict_counts` with a total per document, each document named (and cited)."""
    counts = verdict_counts(claims)
    summary = counts.assign(total=counts.sum(axis=1)).reset_index()
    summary.columns.name = None
    summary.insert(0, "document", summary["source"].map(DOCUMENTS) + " (" + summary["source"].map(cite_text) + ")")
    return summary.drop(columns="source")


def charted_claims(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims that can be recomputed, with the columns the chart shows and their document's name."""
    recomputed = claims.dropna(subset=["recomputed"])
    points = recomputed[["id", "source", "claim", "kind", "stated_value", "unit", "recomputed", "ratio", "verdict"]]
    return points.assign(document=points["source"].map(DOCUMENTS), stated=stated_texts(recomputed),
                         recomputed_text=recomputed_texts(recomputed), kind=points["kind"].str.replace("_", " "))


def chart_example(points: pd.DataFrame) -> dict:
    """The number of charted claims (:func:`charted_claims`) and their lowest and highest ratio."""
    return {"c90_charted": (len(points), ",.0f"), "c90_ratio_low": (points["ratio"].min(), ".2f"),
            "c90_ratio_high": (points["ratio"].max(), ".2f")}


def claims_chart(points: pd.DataFrame):
    """A dot per claim of :func:`charted_claims` at its stated / recomputed ratio (log axis), one line
    per document, coloured by verdict, with a dashed rule at 1 (agreement)."""
    import altair as alt

    return alt.layer(
        alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color="#999", strokeDash=[4, 4]).encode(x="x:Q"),
        alt.Chart(points).mark_point(filled=True, size=70, opacity=0.75).encode(
            x=alt.X("ratio:Q", scale=alt.Scale(type="log"), title="stated / recomputed (log scale; 1 = agreement)"),
            y=alt.Y("document:N", title=None, sort=list(DOCUMENTS.values()), axis=alt.Axis(labelLimit=280)),
            yOffset=alt.YOffset("verdict:N"),
            color=alt.Color("verdict:N", scale=alt.Scale(domain=list(audit.VERDICTS[:2]), range=["#1b9e77", "#d95f02"]),
                            legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["claim:N", alt.Tooltip("kind:N", title="kind of claim"), "stated:N",
                     alt.Tooltip("recomputed_text:N", title="recomputed"), alt.Tooltip("ratio:Q", format=".3r", title="stated / recomputed")],
        ),
    ).properties(width=360, height=220, title="Every claim: stated over recomputed, by document")


def _written(values, units, computed: bool = False) -> list[str]:
    """Each value as text in the format of its unit (:data:`INPUT_FORMATS`); ``computed`` values carry
    3 significant figures where the unit's format would write every digit."""
    def fmt(unit):
        chosen = INPUT_FORMATS.get(unit, "auto")
        return "sig3" if computed and chosen in (",.0f", "auto") else chosen
    return [format_number(v, fmt(u)) for v, u in zip(values, units)]


def implied_table(implied: pd.DataFrame) -> pd.DataFrame:
    """:func:`llmcost.audit.implied_inputs_table`'s rows ``implied`` as the appendix shows them: claim,
    input (its reader label), value used and value implied (as text, by :data:`INPUT_FORMATS`), unit."""
    units = implied["input_unit"]
    shown = implied.assign(input=implied["input"].map(datasets.quantity_label), used=_written(implied["used"], units),
                           implied=_written(implied["implied"], units, computed=True))
    return shown[["claim", "input", "used", "implied", "input_unit"]]


def implied_example(implied: pd.DataFrame) -> dict:
    """The inputs that reproduce the claims of :data:`EXAMPLES` (:func:`llmcost.audit.implied_input`):
    GPT-4's utilization (implied and used), the serving claim's utilization, the deck's FLOP per token
    and parameters (implied and used), GPT-4's and GPT-3's dataset facts, the energy behind GPT-3's
    CO2 claim (MWh), and the number of claims with an implied input (rows of ``implied``)."""
    rows = {r["id"]: r for r in audit.recompute_all()}
    solve = {key: audit.implied_input(rows[i]["recipe"], rows[i]["inputs"], rows[i]["stated_value"]) for key, i in EXAMPLES.items()}
    deck = rows[EXAMPLES["deck_flops"]]
    return {
        "c90_gpt4_util": (solve["gpt4_hours"]["implied"], ".1%"),
        "c90_gpt4_util_used": (solve["gpt4_hours"]["used"], ".1%"),
        "c90_serving_util": (solve["serving_cost"]["implied"], ".1%"),
        "c90_deck_flop_per_token": (deck["stated_value"] / audit.recompute("tokens_per_day", deck["inputs"]), "sci"),
        "c90_deck_params": (solve["deck_flops"]["implied"], "words"),
        "c90_deck_params_used": (solve["deck_flops"]["used"], "words"),
        "c90_gpt4_mfu": (datasets.model("gpt-4")["mfu"], ".0%"),
        "c90_gpt3_tokens": (datasets.model("gpt-3")["tokens"], "words"),
        "c90_co2_energy": (solve["gpt3_co2"]["implied"], ",.0f"),
        "c90_implied_rows": (len(implied), ",.0f"),
    }
