"""The formulas the book's sliders compute in the browser agree with llmcost (``llmcost.sliders``)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import llmcost
from llmcost import sliders

# Each formula of sliders.EXPRESSIONS: the llmcost function's arguments, in order, as names of
# the expression's inputs.
ARGUMENTS = {
    "gpu_hours": ("flops", "peak_flops", "mfu"),
    "usd": ("gpu_hours", "usd_per_gpu_hour"),
    "mwh": ("gpu_hours", "power_w", "pue"),
    "tco2": ("mwh", "grid_kg_per_kwh"),
}
INPUTS = {"flops": (1e18, 1e26), "peak_flops": (1e13, 5e15), "mfu": (0.01, 1.0),
          "gpu_hours": (1.0, 1e8), "usd_per_gpu_hour": (0.1, 50.0), "power_w": (50.0, 1500.0), "pue": (1.0, 2.0),
          "mwh": (0.01, 1e5), "grid_kg_per_kwh": (0.0, 1.2)}


def llmcost_function(name: str):
    module, function = sliders.EXPRESSIONS[name][1].rsplit(".", 1)
    return getattr(getattr(llmcost, module), function)


def test_every_formula_has_its_arguments_here():
    assert set(ARGUMENTS) == set(sliders.EXPRESSIONS)
    for name, arguments in ARGUMENTS.items():
        assert sliders.names(sliders.expression(name)) == set(arguments), name


@pytest.mark.parametrize("name", sorted(sliders.EXPRESSIONS))
def test_expression_computes_what_llmcost_computes(name: str):
    rng = np.random.default_rng(7)
    values = {arg: rng.uniform(*INPUTS[arg], size=200) for arg in ARGUMENTS[name]}
    by_expression = sliders.evaluate(sliders.expression(name), **values)
    by_llmcost = llmcost_function(name)(*(values[arg] for arg in ARGUMENTS[name]))
    np.testing.assert_allclose(by_expression, by_llmcost, rtol=1e-12)
    one = {arg: float(v[0]) for arg, v in values.items()}
    assert sliders.evaluate(sliders.expression(name), **one) == pytest.approx(float(by_llmcost[0]), rel=1e-12)


def test_a_wrong_expression_is_caught():
    """The comparison above fails for a formula that differs from llmcost's."""
    values = {"flops": 3e23, "peak_flops": 312e12, "mfu": 0.4}
    assert sliders.evaluate("flops / (peak_flops * mfu * 3000)", **values) != pytest.approx(llmcost.gpu_hours(3e23, 312e12, 0.4))


@pytest.mark.parametrize("text", ["__import__('os')", "a.b", "a if b else c", "f(a)", "a ** 2", "[a][0]"])
def test_evaluate_takes_arithmetic_only(text: str):
    with pytest.raises(ValueError, match="not plain arithmetic"):
        sliders.evaluate(text, a=1, b=2, c=3, f=abs)


def test_evaluate_names_a_missing_input():
    with pytest.raises(ValueError, match="needs mfu"):
        sliders.evaluate(sliders.expression("gpu_hours"), flops=1, peak_flops=1)


def test_vega_reads_fields_from_the_row_and_renames_parameters():
    assert sliders.vega("pue * pue_low / utilization", ["pue"], {"utilization": "mfu"}) == "datum.pue * pue_low / mfu"
    assert sliders.vega("datum.pue + pue", ["pue"]) == "datum.pue + datum.pue"


def spec_params(chart) -> dict:
    spec = chart.to_dict()
    return {p["name"]: p for p in spec.get("params", [])}


def test_chain_chart_binds_three_sliders_at_the_given_values():
    chart = sliders.chain_chart("t", 175e9, 300e9, "a100", "bf16", 312e12, 0.462, 2.0, 400.0, 1.1, 0.385)
    params = spec_params(chart)
    assert {name: p["value"] for name, p in params.items()} == {"mfu": 0.462, "usd_per_gpu_hour": 2.0, "grid_kg_per_kwh": 0.385}
    assert all(p["bind"]["input"] == "range" and p["bind"]["min"] <= p["value"] <= p["bind"]["max"] for p in params.values())


def test_a_start_outside_a_slider_range_widens_it():
    bind = sliders.price_slider(40.0).param().param.to_dict()["bind"]
    assert (bind["min"], bind["max"]) == (0.25, 40.0)  # the price slider's own range ends at 15
    assert sliders.price_slider(14.75 / 8).value == 1.84


def test_chain_chart_draws_what_llmcost_computes():
    """The chart at its start values, drawn by Vega (vl-convert), shows llmcost's numbers."""
    import vl_convert

    from llmcost.book import format_number

    hours = llmcost.gpu_hours(llmcost.training_flops(70e9, 2e12), 989e12, 0.35)
    chart = sliders.chain_chart("t", 70e9, 2e12, "h100", "bf16", 989e12, 0.35, 2.5, 700.0, 1.2, 0.2)
    drawn = re.findall(r"<text[^>]*>([^<]*)</text>", vl_convert.vegalite_to_svg(chart.to_dict()))
    mwh = llmcost.energy_mwh(hours, 700.0, 1.2)
    for text in (format_number(hours, "sig3", "GPU-hours"), format_number(hours * 2.5, "sig3", "USD"),
                 format_number(mwh, "sig3", "MWh"), format_number(llmcost.co2_tonnes(mwh, 0.2), "sig3", "t CO2e"),
                 "accelerator time: h100 at bf16, 35.0% MFU", "emissions: 0.200 kg CO2e per kWh"):
        assert text in drawn, (text, drawn)


def test_sliders_cover_every_published_value():
    """A reader can set each slider to any value the datasets hold: every rental quote, published
    MFU and grid intensity."""
    from llmcost import cost, datasets

    prices = datasets.prices()
    rentals = [cost.gpu_hour_price(i) for i in prices.loc[prices["unit"] != "usd_per_unit", "id"]]
    facts = datasets.model_facts()
    for slider, values in ((sliders.price_slider(2.0), rentals),
                           (sliders.mfu_slider(0.4), facts.loc[facts["quantity"] == "mfu", "value"]),
                           (sliders.grid_slider(0.4), facts.loc[facts["quantity"] == "grid_kg_per_kwh", "value"])):
        assert slider.low <= min(values) and max(values) <= slider.high, (slider.name, min(values), max(values))
