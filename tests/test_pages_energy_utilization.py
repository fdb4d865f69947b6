"""The page modules of chapters 6 and 7 (``llmcost.book.pages.utilization`` and ``.energy_carbon``):
each function against hand arithmetic from the dataset's published inputs, or against the library's
formulas evaluated on literal numbers, never against itself."""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd
import pytest

import llmcost
from llmcost.book import format_number
from llmcost.book.pages import energy_carbon as ch07
from llmcost.book.pages import utilization as ch06
from llmcost.core.validate import InputError

# GPT-3's published inputs (Patterson et al. 2021): V100-hours, W per accelerator, PUE, kg CO2e/kWh
GPT3_HOURS, GPT3_W, GPT3_PUE, GPT3_GRID = 3_552_000, 330, 1.1, 0.429
GPT3_MWH = GPT3_HOURS * GPT3_W * GPT3_PUE / 1e6  # 1,289.376 MWh
GPT3_MWH_NOPUE = GPT3_HOURS * GPT3_W / 1e6  # 1,172.16 MWh
# BLOOM's (Luccioni et al. 2022)
BLOOM_HOURS, BLOOM_W, BLOOM_PUE, BLOOM_GRID = 1_082_990, 400, 1.2, 0.057
# the chapters' default parameters
CH07 = dict(mfu=0.462, power_source="published", pue=1.1, grid_kg_per_kwh=0.385)
SERVING = dict(gpu="a100", precision="bf16", usd_per_instance_hour=19.22, gpus_per_instance=8, serving_params=175e9,
               usd_per_1k_tokens=0.0035, utilization_gain=0.1)
# compute-bound serving at full utilization: 2 x 175e9 FLOP per token at the A100's 312 TFLOP/s bf16, $19.22 / 8 per hour
COST_AT_FULL = 19.22 / 8 / 3600 * (2 * 175e9 / 312e12) * 1000  # USD per 1,000 tokens
U0 = COST_AT_FULL / 0.0035  # about 21.4 %


def assert_glueable(values: dict) -> None:
    """Every entry is what ``glue_all`` accepts, and formats."""
    for name, entry in values.items():
        assert isinstance(entry, str) or (isinstance(entry, tuple) and len(entry) in (2, 3)), name
        if isinstance(entry, tuple):
            format_number(*entry)


def close(entry, expected, rel=1e-9):
    """A glued ``(value, fmt[, unit])`` whose value is ``expected``."""
    return entry[0] == pytest.approx(expected, rel=rel)


# --- chapter 7 -------------------------------------------------------------------------------


def test_widen_holds_the_central_value():
    assert ch07.widen(1.0, 1.1, 1.2) == (1.0, 1.1, 1.2)
    assert ch07.widen(1.15, 1.1, 1.05) == (1.1, 1.1, 1.1)
    low, central, high = ch07.widen(1.0, np.array([0.9, 1.1, 1.3]), 1.2)
    assert low.tolist() == [0.9, 1.0, 1.0] and high.tolist() == [1.2, 1.2, 1.3]


def test_model_energy_multiplies_the_published_inputs():
    run = ch07.model_energy("gpt-3", **CH07)
    assert run["gpu_hours"] == GPT3_HOURS and run["power_w"] == GPT3_W and run["hours_from"] == "published"
    assert run["energy_mwh"] == pytest.approx(GPT3_MWH)
    assert run["co2_t"] == pytest.approx(GPT3_MWH * GPT3_GRID)
    tdp = ch07.model_energy("gpt-3", **{**CH07, "power_source": "tdp"})
    assert tdp["power_w"] == 300 and tdp["energy_mwh"] == pytest.approx(GPT3_HOURS * 300 * 1.1 / 1e6)


def test_model_example_glues_the_inputs_and_their_product():
    values = ch07.model_example("gpt-3", **CH07)
    assert_glueable(values)
    assert list(values)[0] == "c7_model" and list(values)[-1] == "c7_model_co2"
    assert values["c7_model"] == "GPT-3 175B" and values["c7_model_power"] == (GPT3_W, ",.0f", "W")
    assert close(values["c7_model_mwh"], GPT3_MWH) and close(values["c7_model_co2"], GPT3_MWH * GPT3_GRID)
    assert values["c7_llama_pue"][0] == 1.1 and values["c7_llama_grid"][0] == 0.385
    assert format_number(*values["c7_6b_params"]) == "6.1 billion"


def test_published_figures_are_every_energy_and_emissions_row_once():
    published = ch07.published_figures()
    assert set(published["quantity"]) == {"energy_mwh", "co2_t"}
    assert not published.duplicated().any() and list(published.index) == list(range(len(published)))
    patterson = published[(published["subject"] == "gpt-3") & (published["source"] == "patterson2021carbon")]
    assert sorted(patterson["value"]) == [552.1, 1287.0]


def test_known_inputs_keep_models_with_hours_and_power():
    published = ch07.published_figures()
    known = ch07.known_inputs(published, **CH07)
    assert "transformer-6b" not in set(known["subject"])  # Dodge et al. publish the result, not its inputs
    assert known["gpu_hours"].notna().all() and known["power_w"].notna().all()
    assert list(known["subject"]) == [s for s in dict.fromkeys(published["subject"]) if s != "transformer-6b"]
    gpt3 = known.set_index("subject").loc["gpt-3"]
    assert (gpt3["gpu_hours"], gpt3["power_w"], gpt3["pue"], gpt3["grid_kg_per_kwh"]) == (GPT3_HOURS, GPT3_W, GPT3_PUE, GPT3_GRID)


def test_inputs_table_shows_readers_headers_and_numbers():
    shown = ch07.inputs_table(ch07.known_inputs(ch07.published_figures(), **CH07))
    assert shown.loc["GPT-3 175B", "accelerator-hours"] == "3,552,000" and shown.loc["GPT-3 175B", "power (W)"] == "330"
    assert shown.loc["GPT-3 175B", "grid (kg CO2e/kWh)"] == "0.429"


def _gpt3_bloom():
    return pd.DataFrame({"subject": ["gpt-3", "bloom-176b"], "gpu_hours": [GPT3_HOURS, BLOOM_HOURS], "power_w": [GPT3_W, BLOOM_W],
                         "pue": [GPT3_PUE, BLOOM_PUE], "grid_kg_per_kwh": [GPT3_GRID, BLOOM_GRID]})


def test_computed_ranges_span_the_widened_pue_and_grid():
    spans = ch07.computed_ranges(_gpt3_bloom(), 1.0, 1.15, 0.1, 0.545)
    energy, co2 = spans["energy_mwh"], spans["co2_t"]
    assert energy.central[0] == pytest.approx(GPT3_MWH)
    assert energy.low[0] == pytest.approx(GPT3_MWH_NOPUE) and energy.high[0] == pytest.approx(GPT3_MWH_NOPUE * 1.15)
    assert co2.low[0] == pytest.approx(GPT3_MWH_NOPUE * 0.1) and co2.high[0] == pytest.approx(GPT3_MWH_NOPUE * 1.15 * 0.545)
    # BLOOM's own PUE (1.2) and grid (0.057) lie outside the ranges asked for: they widen them
    bloom_nopue = BLOOM_HOURS * BLOOM_W / 1e6
    assert energy.high[1] == pytest.approx(bloom_nopue * 1.2) and co2.low[1] == pytest.approx(bloom_nopue * 0.057)


def test_comparison_sets_each_published_figure_beside_the_computed_one():
    published = ch07.published_figures()
    known = ch07.known_inputs(published, **CH07)
    compare = ch07.comparison(published, known, ch07.computed_ranges(known, 1.0, 1.2, 0.057, 0.545))
    assert len(compare) == len(published)
    row = compare[(compare["subject"] == "gpt-3") & (compare["quantity"] == "energy_mwh")
                  & (compare["source"] == "patterson2021carbon")].iloc[0]
    assert row["ratio"] == pytest.approx(1287 / GPT3_MWH) and row["unit_label"] == "MWh"
    assert row["range"] == "1,290 (1,170\u20131,410)"  # PUE 1.0 to 1.2, 3 significant figures
    six_b = compare[compare["subject"] == "transformer-6b"]
    assert six_b["ratio"].isna().all() and set(six_b["range"]) == {"\u2014"}


def test_comparison_example_counts_rows_within_ten_percent():
    compare = pd.DataFrame({"subject": ["a", "a", "b", "c", "d"], "ratio": [1.0, 0.85, 1.11, 1.12, float("nan")]})
    known = pd.DataFrame({"subject": ["a", "b", "c"]})
    values = ch07.comparison_example(compare, known, 1.0, 1.2, 0.057, 0.545)
    assert_glueable(values)
    assert values["c7_rows"][0] == 5 and values["c7_models"][0] == 4 and values["c7_rows_computed"][0] == 4
    assert values["c7_rows_within"][0] == 2  # 1.0 and 1.11 lie in [0.9, 1/0.9]; 0.85 and 1.12 do not
    assert values["c7_missing"] == "d" and format_number(*values["c7_close"]) == "10%"
    assert ch07.comparison_example(compare, pd.DataFrame({"subject": list("abcd")}), 1, 1.2, 0.1, 0.5)["c7_missing"] == "none"


def test_emission_factors_divide_published_emissions_by_energy_at_power():
    compare = pd.DataFrame({"subject": ["a", "a", "b"], "quantity": ["co2_t", "co2_t", "energy_mwh"], "primary": [True, False, True],
                            "value": [40.0, 99.0, 5.0], "ratio": [0.8, 2.0, 1.0]})
    known = pd.DataFrame({"subject": ["a", "b"], "gpu_hours": [200_000.0, 1.0], "power_w": [500.0, 1.0], "pue": [1.1, 1.0],
                          "grid_kg_per_kwh": [0.5, 0.1]})
    factors = ch07.emission_factors(compare, known)
    # 40 t over 200,000 h x 500 W = 100 MWh: 0.4 kg per kWh; the chapter's 1.1 x 0.5; only primary emissions rows
    assert factors.to_dict("list") == {"subject": ["a"], "implied": [pytest.approx(0.4)], "used": [pytest.approx(0.55)], "ratio": [0.8]}


def test_meta_cards_imply_a_falling_emission_factor():
    """The chapter's reason for the Llama 4 rows: each card's emissions over its energy, card by card."""
    published = ch07.published_figures()
    known = ch07.known_inputs(published, **CH07)
    compare = ch07.comparison(published, known, ch07.computed_ranges(known, 1.0, 1.2, 0.057, 0.545))
    values = ch07.factor_example(ch07.emission_factors(compare, known))
    assert_glueable(values)
    llama3, llama31, llama4 = (values[f"c7_factor_{key}"][0] for key in ch07.FACTOR_MODELS.values())
    assert llama3 > llama31 > llama4 == pytest.approx(645e3 / (2.38e6 * 700 / 1e3))
    assert values["c7_factor_ratio"][0] == pytest.approx(llama4 / values["c7_factor_used"][0])


def test_comparison_table_and_chart_show_each_published_figure():
    published = ch07.published_figures()
    known = ch07.known_inputs(published, **CH07)
    compare = ch07.comparison(published, known, ch07.computed_ranges(known, 1.0, 1.2, 0.057, 0.545))
    shown = ch07.comparison_table(compare)
    assert len(shown) == len(compare) and "1,287 MWh" in set(shown["published (unit)"])
    chart = ch07.published_chart(compare)
    assert isinstance(chart, alt.LayerChart) and len(chart.layer) == 3  # the rule at 1, the range bars, the dots
    points = chart.data  # the layers share it
    assert len(points) == compare["computed"].notna().sum()
    gpt3 = points[points["label"] == "GPT-3 175B (Patterson et al. 2021)"]
    assert sorted(gpt3["ratio"]) == pytest.approx(sorted([1287 / GPT3_MWH, 552.1 / (GPT3_MWH * GPT3_GRID)]))


def test_pue_accounting_gives_both_accountings():
    accounting = ch07.pue_accounting().set_index("model")
    assert list(accounting.index) == ["gpt-3", "bloom-176b", "gopher-280b"]
    assert accounting.loc["gpt-3", "mwh_without_pue"] == pytest.approx(GPT3_MWH_NOPUE)
    assert accounting.loc["gpt-3", "t_without_pue"] == pytest.approx(GPT3_MWH_NOPUE * GPT3_GRID)  # Luccioni's 502 t
    assert accounting.loc["bloom-176b", "mwh_with_pue"] == pytest.approx(BLOOM_HOURS * BLOOM_W * BLOOM_PUE / 1e6)


def test_accounting_example_recomputes_bloom_in_llamas_data_centre():
    accounting = ch07.pue_accounting()
    values = ch07.accounting_example(accounting)
    assert_glueable(values)
    assert close(values["c7_gpt3_t_nopue"], GPT3_MWH_NOPUE * GPT3_GRID) and values["c7_gpt3_w"] == (330, ",.0f", "W")
    llama_mwh = 1_082_880 * 400 * 1.1 / 1e6  # LLaMA's Table 15: BLOOM's GPU-hours at LLaMA's W and PUE
    assert close(values["c7_bloom_llama_mwh"], llama_mwh) and close(values["c7_bloom_llama_t"], llama_mwh * 0.385)
    assert close(values["c7_gpt3_pub_times_grid"], 1287 * GPT3_GRID)
    assert values["c7_gpt3_pub_mwh"][0] == 1287 and values["c7_gpt3_luc_t"][0] == 502
    assert ch07.accounting_table(accounting).loc["GPT-3 175B", "MWh without PUE"] == "1,170"


def test_seed_claims_example_sets_the_seeds_ratios_beside_the_pue_ones():
    values = ch07.seed_claims_example(ch07.pue_accounting())
    assert_glueable(values)
    assert len([k for k in values if k.startswith("c7_seed_")]) == 3 * len(ch07.SEED_CLAIMS)
    assert values["c7_seed_gpt3_co2_stated"][0] == 502
    assert close(values["c7_seed_gpt3_co2_recomputed"], 1287 * GPT3_GRID)  # seed 002 recomputes from Patterson's MWh
    bloom_t_pue = BLOOM_HOURS * BLOOM_W * BLOOM_PUE / 1e6 * BLOOM_GRID
    assert close(values["c7_ratio_bloom_pue"], GPT3_MWH * GPT3_GRID / bloom_t_pue)
    assert close(values["c7_grid_ratio"], GPT3_GRID / BLOOM_GRID) and values["c7_palm_days"][0] == 64


def test_whatif_run_trains_the_model_on_another_accelerator():
    hours = 6 * 175e9 * 300e9 / (312e12 * 0.462) / 3600  # GPT-3's 6PD on an A100 at 46.2 % of bf16
    run = ch07.whatif_run("gpt-3", "a100", "bf16", 0.462, "published", (1.0, 1.1, 1.2), (0.057, 0.385, 0.545))
    assert run["gpu_hours"].central == pytest.approx(hours)
    assert run["energy_mwh"].central == pytest.approx(hours * 400 * 1.1 / 1e6)  # the A100's 400 W TDP, GPT-3's own PUE
    assert run["energy_mwh"].low == pytest.approx(hours * 400 / 1e6) and run["energy_mwh"].high == pytest.approx(hours * 400 * 1.2 / 1e6)
    assert run["co2_t"].central == pytest.approx(hours * 400 * 1.1 / 1e6 * GPT3_GRID)  # GPT-3's own grid, not the default
    assert run["co2_t"].low == pytest.approx(hours * 400 / 1e6 * 0.057)
    assert run["chosen"]["energy_mwh"] == pytest.approx(GPT3_MWH)
    narrow = ch07.whatif_run("gpt-3", "a100", "bf16", 0.462, "published", (1.0, 1.0, 1.05), (0.1, 0.2, 0.3))
    assert narrow["energy_mwh"].high == pytest.approx(hours * 400 * 1.1 / 1e6)  # widened to GPT-3's PUE of 1.1


def test_whatif_example_glues_the_run_and_its_ratio_to_the_published_one():
    values = ch07.whatif_example("gpt-3", "h100", "bf16", 0.2, "tdp", (1.0, 1.1, 1.5), (0.057, 0.385, 0.7))
    assert_glueable(values)
    hours = 6 * 175e9 * 300e9 / (llmcost.peak_flops("h100", "bf16") * 0.2) / 3600
    assert close(values["c7_run_hours"], hours) and values["c7_gpu_tdp"] == (700, ",.0f", "W")
    assert close(values["c7_run_co2_high"], hours * 700 * 1.5 / 1e6 * 0.7)
    assert close(values["c7_run_vs_published"], (GPT3_HOURS * 300 * 1.1 / 1e6) / (hours * 700 * 1.1 / 1e6))  # TDP: 300 W V100


def test_grid_whatif_draws_each_run_over_the_grid_range():
    lines, marks = ch07.grid_whatif(["gpt-3", "bloom-176b", "gpt-3"], **CH07, grid_low=0.057, grid_high=0.545)
    assert list(marks["model"]) == ["gpt-3", "bloom-176b"] and len(lines) == 2 * ch07.GRID_POINTS
    gpt3 = lines[lines["model"] == "gpt-3"]
    assert gpt3["grid"].iloc[0] == pytest.approx(0.057 / 2) and gpt3["grid"].iloc[-1] == pytest.approx(0.545)
    assert np.allclose(gpt3["tonnes"], GPT3_MWH * gpt3["grid"])
    assert marks.set_index("model").loc["bloom-176b", "tonnes"] == pytest.approx(BLOOM_HOURS * BLOOM_W * BLOOM_PUE / 1e6 * BLOOM_GRID)
    low, _ = ch07.grid_whatif(["gpt-3"], **CH07, grid_low=0.0, grid_high=0.1)
    assert low["grid"].iloc[0] == pytest.approx(0.005) and low["grid"].iloc[-1] == pytest.approx(0.385)  # no zero; up to the default
    chart = ch07.grid_whatif_chart(lines, marks)
    assert isinstance(chart, alt.LayerChart) and chart.layer[0].data["tonnes"].equals(lines["tonnes"])
    assert set(chart.layer[1].data["model"]) == {"GPT-3 175B", "BLOOM 176B"}  # names in the legend, not ids


# --- chapter 6 -------------------------------------------------------------------------------


def test_check_serving_inputs_accepts_the_defaults_and_refuses_an_impossible_utilization():
    assert ch06.check_serving_inputs(**SERVING) is None
    with pytest.raises(InputError, match="usd_per_instance_hour 1000") as error:
        ch06.check_serving_inputs(**{**SERVING, "usd_per_instance_hour": 1000})
    assert "implies a utilization of" in str(error.value)
    with pytest.raises(InputError, match=r"1 - utilization_gain \(0.1\)"):  # U0 = 21 % leaves no room for 90 points
        ch06.check_serving_inputs(**{**SERVING, "utilization_gain": 0.9})
    with pytest.raises(InputError, match="gpus_per_instance"):
        ch06.check_serving_inputs(**{**SERVING, "gpus_per_instance": 0})


def test_palm_example_compares_mfu_and_hfu():
    values = ch06.palm_example()
    assert_glueable(values)
    assert values["c6_palm_mfu"][0] == 0.462 and values["c6_palm_hfu"][0] == 0.578
    assert close(values["c6_palm_ratio"], 0.578 / 0.462) and close(values["c6_full_recompute_ratio"], 8 / 6)
    assert values["c6_palm_mfu_noattn"][0] == 0.457


def test_implied_utilization_at_the_training_precision():
    implied = ch06.implied_utilization().set_index("id")
    assert implied.loc["deepseek-v3", "precision"] == "fp8"
    assert implied.loc["gpt-3", "implied"] == pytest.approx(6 * 175e9 * 300e9 / (125e12 * GPT3_HOURS * 3600))  # V100 fp16
    shown = ch06.implied_table(ch06.implied_utilization())
    assert shown.loc["GPT-3 175B", "implied utilization"] == "19.7%"
    assert shown.loc["GPT-3 175B", "accelerator (precision)"] == "NVIDIA Tesla V100 SXM2 32GB (fp16)"


def _implied_frame():
    return pd.DataFrame({
        "id": ["gpt-3", "palm-540b", "opt-175b", "bloom-176b"],
        "mfu_source": ["chowdhery2022palm", "chowdhery2022palm", None, None],
        "implied": [0.2, 0.3, 0.21, 0.5],
        "reported": [0.2, 0.5, 0.47, float("nan")],
        "reported_share": [0.2, float("nan"), 0.47, float("nan")],
        "ratio": [1.0, 0.6, 0.21 / 0.47, float("nan")],
    })


def test_mfu_by_palm_names_the_models_other_than_palm():
    assert ch06.mfu_by_palm_example(_implied_frame()) == {"c6_mfu_by_palm": "GPT-3 175B"}


def test_implied_example_summarizes_implied_over_reported():
    values = ch06.implied_example(_implied_frame())
    assert_glueable(values)
    assert values["c6_n_reported"][0] == 3 and close(values["c6_median_implied_over_reported"], 0.6)
    assert values["c6_implied_min"][0] == 0.2 and values["c6_implied_max"][0] == 0.5
    assert values["c6_opt_implied"][0] == 0.21 and values["c6_opt_reported"][0] == 0.47


def test_utilization_chart_has_a_bar_per_figure():
    chart = ch06.utilization_chart(_implied_frame())
    assert isinstance(chart, alt.Chart) and len(chart.data) == 4 + 3  # four implied, three reported
    assert chart.encoding.y.to_dict()["sort"] == ["GPT-3 175B", "OPT-175B", "PaLM 540B", "BLOOM 176B"]  # by implied


def test_gpt4_example_finds_the_utilization_behind_the_stated_hours():
    values = ch06.gpt4_example()
    assert_glueable(values)
    implied = 6 * 277e9 * 13e12 / (312e12 * 53_433_642 * 3600)  # seed 000's 6PD over the A100's 312 TFLOP/s x its hours
    assert close(values["c6_gpt4_implied_util"], implied) and format_number(*values["c6_gpt4_implied_util"]) == "36.0%"
    # hours move as one over utilization: recomputed / stated = implied / the seed's MFU
    assert values["c6_gpt4_hours_recomputed"][0] / values["c6_gpt4_hours_stated"][0] == pytest.approx(implied / 0.462)


def test_serving_readings_invert_the_stated_cost():
    serving = ch06.serving_readings(**SERVING)
    assert serving["per_gpu_hour"] == pytest.approx(19.22 / 8) and serving["peak"] == 312e12
    assert serving["u0"] == pytest.approx(U0)
    assert serving["u_points"] == pytest.approx(U0 + 0.1) and serving["u_relative"] == pytest.approx(U0 * 1.1)
    with pytest.raises(InputError, match="utilization_gain"):
        ch06.serving_readings(**{**SERVING, "utilization_gain": 0.9})


def test_serving_example_cuts_cost_as_one_over_utilization():
    values = ch06.serving_example(ch06.serving_readings(**SERVING))
    assert_glueable(values)
    assert close(values["c6_u0"], U0) and close(values["c6_cut_points"], 1 - U0 / (U0 + 0.1))
    assert close(values["c6_cut_relative"], 1 - 1 / 1.1)  # a relative gain cuts the same share from any base
    assert close(values["c6_cost_at_palm"], COST_AT_FULL / 0.462) and close(values["c6_cut_from_palm"], 1 - 0.462 / 0.562)
    assert values["c6_gpu"] == "a100" and values["c6_k_infer"][0] == 2 and values["c6_gain_points"][0] == pytest.approx(10)


def test_serving_cost_chart_marks_the_three_readings():
    chart = ch06.serving_cost_chart(ch06.serving_readings(**SERVING))
    curve, marks = chart.layer[0].data, chart.layer[1].data
    assert curve["utilization"].iloc[0] == 0.05 and curve["utilization"].iloc[-1] == 1.0
    assert np.allclose(curve["usd_per_1k_tokens"], COST_AT_FULL / curve["utilization"])
    assert list(marks["reading"]) == ["implied by the stated cost", "+10 points", "+10% relative"]
    assert marks["usd_per_1k_tokens"].iloc[0] == pytest.approx(0.0035)


def test_scaling_example_is_gpus_times_efficiency():
    values = ch06.scaling_example(1000, 10000, 0.45)
    assert_glueable(values)
    assert close(values["c6_speedup"], 4.5) and close(values["c6_extra_hours"], 1 / 0.45 - 1)
    assert close(values["c6_efficiency_implied"], 9 / 10) and values["c6_speedup_stated"][0] == 9


def test_scaling_chart_draws_a_line_per_efficiency():
    chart = ch06.scaling_chart(1000, 10000, 0.45)
    data = chart.data
    assert sorted(set(data["efficiency"])) == sorted({"100%", "90%", "75%", "50%", "45%"})
    assert len(data) == 5 * ch06.SCALING_POINTS and data["gpus"].min() == 1000 and data["gpus"].max() == 10000
    at_target = data[data["gpus"] == 10000].set_index("efficiency")["speedup"]
    assert at_target["45%"] == pytest.approx(4.5) and at_target["100%"] == pytest.approx(10)


def test_techniques_table_lists_the_survey():
    shown = ch06.techniques_table()
    assert len(shown) == len(llmcost.techniques.techniques())
    assert not shown["saves"].str.contains(";").any()


def test_technique_effects_for_gpt3():
    effects = ch06.technique_effects("gpt-3", 64, 8, 32)
    zero3 = effects[effects["id"] == "zero-3"].iloc[0]
    assert zero3["without"] == pytest.approx(175e9 * 16 / 1e9) and zero3["with"] == pytest.approx(175e9 * 16 / 64 / 1e9)
    assert np.allclose(effects["change"], effects["with"] / effects["without"])
    values = ch06.effects_example("gpt-3", 64, 8, 32, effects)
    assert_glueable(values)
    assert close(values["c6_zero3_gb"], 43.75) and close(values["c6_dp_gb"], 2800)
    assert close(values["c6_bubble"], 7 / 32)  # (p - 1) / m
    assert values["c6_model"] == "gpt-3" and values["c6_dp"] == (64, ",.0f")
    assert ch06.effects_table(effects).columns[-1] == "with / without"


def test_loss_scaling_example_keeps_small_gradients():
    values = ch06.loss_scaling_example()
    assert_glueable(values)
    assert values["c6_fp16_smallest"][0] == 2.0 ** -24 and values["c6_loss_scale"][0] == 65536
    # fp16 flushes what lies below half its smallest subnormal, 2^-25: log10 from -10 to -2 in 801 even steps
    lost = np.sum(np.linspace(-10, -2, 801) < math.log10(2.0 ** -25)) / 801
    assert values["c6_lost_plain"][0] == pytest.approx(lost, abs=2 / 801)
    assert values["c6_lost_scaled"][0] == 0 and values["c6_overflow"][0] == 0  # 1e-2 x 65,536 < 65,504


def test_fusion_example_for_gpt3_on_an_a100():
    values = ch06.fusion_example("gpt-3", "a100")
    assert_glueable(values)
    elements = 2048 * 4 * 12288  # one sequence through GPT-3's MLP
    assert values["c6_fusion_elements"][0] == elements
    assert close(values["c6_fusion_unfused"], 2 * 3 * elements * 2 / 1e6) and close(values["c6_fusion_fused"], 2 * elements * 2 / 1e6)
    saved = 2 * 2 * elements * 2 / 2039e9  # four tensor passes fewer at 2,039 GB/s
    assert close(values["c6_fusion_saved_us"], saved * 1e6) and close(values["c6_fusion_saved_ms"], saved * 96 * 1e3)
    assert values["c6_gpu_name"] == "NVIDIA A100 80GB SXM4"


def test_trust_ratio_example_uses_the_first_step_of_the_toy_network():
    values = ch06.trust_ratio_example()
    assert_glueable(values)
    net = llmcost.toynet.Network()
    first = llmcost.toynet.step(net)
    hidden = np.linalg.norm(net.hidden) / np.linalg.norm(first.grad_hidden)
    output = np.linalg.norm(net.output) / np.linalg.norm(first.grad_output)
    assert close(values["c6_trust_hidden"], hidden) and close(values["c6_trust_output"], output)
    assert close(values["c6_trust_gap"], hidden / output)


def test_library_support_counts_match_the_table_marks():
    values = ch06.library_support_example()
    assert_glueable(values)
    shown = ch06.library_support_table()
    assert list(shown.columns) == ch06.LIBRARIES
    marks = pd.Series(shown.to_numpy().ravel()).value_counts()
    assert values["c6_lib_yes"][0] == marks.get("\u2713", 0) and values["c6_lib_no"][0] == marks.get("\u2717", 0)
    assert values["c6_lib_none"][0] == marks.get("\u2014", 0)
    assert sum(v[0] for v in values.values()) == len(llmcost.datasets.library_support())


def test_drawn_rows_put_the_whatif_hours_in_each_boundary():
    rows = ch07.drawn_rows("h100", 1000.0, 1.1)
    assert list(rows["boundary"]) == list(ch07.BOUNDARY_LABELS.values())
    assert rows["power_w"].iloc[0] == 700 and rows["mwh"].iloc[0] == pytest.approx(0.7)
    assert rows["mwh_pue"].iloc[3] == pytest.approx(10200 / 8 * 1000 * 1.1 / 1e6)
    assert rows["mwh_industry"].iloc[0] == pytest.approx(0.7 * 1.58)
    values = ch07.drawn_example(rows, 1.1)
    assert values["c7_drawn_node_over_tdp"][0] == pytest.approx(rows["mwh_pue"].iloc[2] / rows["mwh_pue"].iloc[0])
    # an accelerator without a node figure: the node rows are unknown, not guessed
    unknown = ch07.drawn_rows("mi300x", 1000.0, 1.1)
    assert unknown["power_w"].iloc[2:].isna().all() and ch07.drawn_example(unknown, 1.1)["c7_drawn_node_mwh"] == "not known"
