"""Charts with sliders: Vega-Lite parameters bound to range inputs, so that a reader of the built
book moves utilization, price or grid intensity and the chart recomputes in the browser.

Each formula the browser computes is written once, in :data:`EXPRESSIONS`, in the arithmetic
that both Python and the Vega expression language read (names, numbers, ``+ - * /`` and
parentheses). :func:`vega` turns it into a Vega expression, :func:`evaluate` computes it in
Python; the unit tests compare :func:`evaluate` with the llmcost function named beside each
formula, and the browser test moves every slider and compares the drawn text with what llmcost
computes for the new input.

altair and pandas are imported here, so this module is not imported by ``import llmcost``.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from ..formulas import flops as _flops
from .tables import format_number
from ..formulas.cluster import SECONDS_PER_HOUR
from ..formulas.energy import WATT_HOURS_PER_MWH

EXPRESSIONS = {
    # name: (expression, the llmcost function that computes the same formula)
    "gpu_hours": (f"flops / (peak_flops * mfu * {SECONDS_PER_HOUR:g})", "cluster.gpu_hours"),
    "usd": ("gpu_hours * usd_per_gpu_hour", "cost.rental_cost"),
    "mwh": (f"gpu_hours * power_w * pue / {WATT_HOURS_PER_MWH:.0f}", "energy.energy_mwh"),
    "tco2": ("mwh * grid_kg_per_kwh", "energy.co2_tonnes"),
}
"""The formulas computed in the browser, each with the llmcost function it must agree with."""

_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant,
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub)


def expression(name: str) -> str:
    """The expression of formula ``name`` (a key of :data:`EXPRESSIONS`)."""
    return EXPRESSIONS[name][0]


def names(text: str) -> set[str]:
    """The variable names an expression reads."""
    return {node.id for node in ast.walk(ast.parse(text, mode="eval")) if isinstance(node, ast.Name)}


def evaluate(text: str, **values):
    """Compute an expression in Python (scalars or numpy arrays). Only arithmetic is allowed."""
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ValueError(f"not plain arithmetic: {type(node).__name__} in {text!r}")
    missing = names(text) - set(values)
    if missing:
        raise ValueError(f"expression {text!r} needs {', '.join(sorted(missing))}")
    return eval(compile(tree, "<expression>", "eval"), {"__builtins__": {}}, values)  # noqa: S307 (checked above)


def vega(text: str, fields=(), params=None) -> str:
    """The expression in Vega's language: each name in ``fields`` reads the data row
    (``datum.<name>``); every other name is a parameter (a slider), renamed by ``params``
    (formula name -> parameter name) where given."""
    renamed = {**{name: f"datum.{name}" for name in fields}, **(params or {})}
    return re.sub(r"(?<![\w.])[A-Za-z_]\w*", lambda m: renamed.get(m.group(0), m.group(0)), text)


@dataclass(frozen=True)
class Slider:
    """A range input bound to the Vega-Lite parameter ``name``: ``label`` shown beside it,
    ``value`` its start, from ``low`` to ``high`` by ``step``."""

    name: str
    label: str
    value: float
    low: float
    high: float
    step: float

    def param(self):
        """The altair parameter; a start outside [low, high] widens the range to include it."""
        return alt.param(name=self.name, value=self.value,
                         bind=alt.binding_range(min=min(self.low, self.value), max=max(self.high, self.value),
                                                step=self.step, name=self.label))


def mfu_slider(value: float) -> Slider:
    """Utilization, 1 % to 100 %, over every published MFU (a test checks it)."""
    return Slider("mfu", "utilization (MFU) ", value, 0.01, 1.0, 0.001)


def price_slider(value: float) -> Slider:
    """Rental price, USD per accelerator-hour, in cents, over every rental quote of ``prices.csv``
    (a test checks it): it starts at ``value`` to the cent (an instance price over 8 GPUs can have
    more decimals, which the slider would show)."""
    return Slider("usd_per_gpu_hour", "USD per GPU-hour ", round(float(value), 2), 0.25, 15.0, 0.01)


def grid_slider(value: float) -> Slider:
    """Carbon intensity of the grid, kg CO2e per kWh, over every published intensity (a test checks it)."""
    return Slider("grid_kg_per_kwh", "grid, kg CO2e per kWh ", value, 0.0, 1.0, 0.001)


CHAIN_STEPS = (("flops", "FLOP"), ("gpu_hours", "GPU-hours"), ("usd", "USD"), ("mwh", "MWh"), ("tco2", "t CO2e"))
"""The chain of the introduction: (quantity, unit) in order."""


def _literal(text: str) -> str:
    """A string as a Vega expression literal."""
    return json.dumps(text, ensure_ascii=False)


def _pick(by_step) -> str:
    """A Vega expression choosing the ``datum.step``-th of several expressions (steps count from 1)."""
    return "[" + ", ".join(by_step) + "][datum.step - 1]"


def chain_chart(title: str, params: float, tokens: float, gpu: str, precision: str, peak_flops: float,
                mfu: float, usd_per_gpu_hour: float, power_w: float, pue: float, grid_kg_per_kwh: float):
    """The introduction's chain, FLOPs to tonnes of CO2e, one stage per row, with sliders for
    utilization, price and grid intensity; the browser recomputes every stage after the first
    from :data:`EXPRESSIONS`. ``gpu`` is the accelerator's name as shown, ``peak_flops`` in FLOP/s,
    ``power_w`` in W per accelerator."""
    sliders = (mfu_slider(mfu), price_slider(usd_per_gpu_hour), grid_slider(grid_kg_per_kwh))
    total = _flops.training_flops(params, tokens)
    constants = {"flops": total, "peak_flops": peak_flops, "power_w": power_w, "pue": pue}
    rows = pd.DataFrame({"step": range(1, len(CHAIN_STEPS) + 1), "unit": [unit for _, unit in CHAIN_STEPS], **constants})
    how = [
        _literal(f"compute: {format_number(params, 'words')} parameters, {format_number(tokens, 'words')} tokens"),
        _literal(f"accelerator time: {gpu} at {precision}, ") + " + format(mfu, '.1%') + ' MFU'",
        "'rental cost: ' + format(usd_per_gpu_hour, ',.2f') + ' USD per GPU-hour'",
        _literal(f"energy: {power_w:,.0f} W per GPU, PUE {pue}"),
        "'emissions: ' + format(grid_kg_per_kwh, '.3f') + ' kg CO2e per kWh'",
    ]
    quantity = _pick([_literal(format_number(total, "sci", "FLOP"))]
                     + [f"format(datum.{key}, ',.3r') + ' {unit}'" for key, unit in CHAIN_STEPS[1:]])
    base = alt.Chart(rows).transform_calculate(
        **{key: vega(expression(key), list(constants) + [k for k, _ in CHAIN_STEPS]) for key, _ in CHAIN_STEPS[1:]}
    ).transform_calculate(quantity=quantity, how=_pick(how)).encode(y=alt.Y("step:O", axis=None))
    return alt.layer(
        base.mark_line(color="#999").encode(x=alt.value(10)),
        base.mark_point(filled=True, size=160).encode(
            x=alt.value(10), color=alt.Color("step:O", legend=None, scale=alt.Scale(scheme="viridis"))),
        base.mark_text(align="left", dy=-8, fontSize=14, fontWeight="bold").encode(
            x=alt.value(26), text="quantity:N"),
        base.mark_text(align="left", dy=9, fontSize=11, color="#555").encode(x=alt.value(26), text="how:N"),
    ).add_params(*(s.param() for s in sliders)).properties(width=460, height=260, title=title).configure_view(stroke=None)


HEIGHT = 300
"""Height of chapter 5's serving chart, px."""


def prompt_slider(value: int, low: int, high: int, step: int) -> Slider:
    """Prompt tokens per request, from ``low`` to ``high`` by ``step``."""
    return Slider("prompt", "prompt tokens ", value, low, high, step)


def batch_slider(value: int, high: int) -> Slider:
    """Sequences decoded together, 1 to ``high``."""
    return Slider("batch", "batch ", value, 1, high, 1)


def serving_roofline_chart(grid: pd.DataFrame, title, api_label: str, api_usd: float, output_tokens: int):
    """Chapter 5's cost per 1,000 output tokens against the batch (log axes): the roofline and the
    expected band of ``grid`` (columns prompt, batch, roofline, low, central, high: USD per 1,000
    output tokens) at the prompt length of one slider, a rule and a two-line readout inside the plot
    at the batch of the other (or the largest batch that fits, where it does not), and the API price."""
    prompts = sorted(grid["prompt"].unique())
    step = int(prompts[1] - prompts[0]) if len(prompts) > 1 else 1
    sliders = (prompt_slider(int(prompts[len(prompts) // 2]), int(prompts[0]), int(prompts[-1]), step),
               batch_slider(int(min(8, grid["batch"].max())), int(grid["batch"].max())))
    usd = alt.Axis(format="~g")
    base = alt.Chart(grid).transform_filter("datum.prompt == prompt")
    calibrated = bool(grid["central"].notna().any())
    layers = [base.mark_line(color="black", strokeWidth=2).encode(
        x=alt.X("batch:Q", scale=alt.Scale(type="log"), title="batch (sequences decoded together)"),
        y=alt.Y("roofline:Q", scale=alt.Scale(type="log"), title="USD per 1,000 output tokens", axis=usd))]
    expected = ""
    if calibrated:
        layers += [base.mark_area(opacity=0.2, color="#1f77b4").encode(x="batch:Q", y="low:Q", y2="high:Q"),
                   base.mark_line(color="#1f77b4", strokeWidth=2).encode(x="batch:Q", y="central:Q")]
        expected = (" + ', expected ' + format(datum.central, ',.3~g') + ' (' + format(datum.low, ',.3~g') + ' to '"
                    " + format(datum.high, ',.3~g') + ')'")
    at_batch = base.transform_filter("datum.batch == batch").transform_calculate(
        setting=f"'prompt ' + format(prompt, ',') + ' + {output_tokens} tokens, batch ' + format(batch, ',') + ', USD per 1,000 output tokens:'",
        text=f"'roofline ' + format(datum.roofline, ',.3~g'){expected}")
    beyond = base.transform_aggregate(largest="max(batch)").transform_filter("batch > datum.largest").transform_calculate(
        setting="'prompt ' + format(prompt, ',') + ': batch ' + format(batch, ',') + ' does not fit; at most ' + format(datum.largest, ',')")
    price = alt.Chart(pd.DataFrame({"usd": [api_usd], "label": [api_label]}))
    layers += [at_batch.mark_rule(strokeDash=[2, 2], color="black").encode(x="batch:Q"),
               at_batch.mark_text(align="left", x=4, y=10, fontWeight="bold").encode(text="setting:N"),
               at_batch.mark_text(align="left", x=4, y=26, fontWeight="bold").encode(text="text:N"),
               beyond.mark_text(align="left", x=4, y=10, fontWeight="bold").encode(text="setting:N"),
               price.mark_rule(strokeDash=[4, 4], color="black").encode(y="usd:Q"),
               price.mark_text(align="right", dy=-6, x=435).encode(y="usd:Q", text="label:N")]
    return alt.layer(*layers).add_params(*(s.param() for s in sliders)).properties(width=440, height=HEIGHT, title=title)
