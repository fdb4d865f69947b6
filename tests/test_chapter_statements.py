"""Statements the chapters once got wrong stay right: each corrected value or statement, read from the committed
chapters (whose outputs the nbval regression keeps current) and from the library."""

import re

import nbformat
import pytest
from chapter_runs import chapter_path, glued

import llmcost
from llmcost import calibration, flops


def _chapter(name):
    nb = nbformat.read(chapter_path(name), as_version=4)
    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    return prose, glued(nb)


def test_llama_31_pretrained_at_8k_and_meta_counts_6pd():
    prose, values = _chapter("03_flop_accounting")
    assert "much shorter context" not in prose
    assert values["c3_llama405_context"] == f"{llmcost.model('llama-3.1-405b')['context']:,.0f}" == "8,192"
    row = calibration.flops_table().set_index("id").loc["llama-3.1-405b"]
    assert values["c3_llama405_6pd_ratio"] == f"{row['ratio']:.3f}" == "1.002"


def test_gpt4_active_parameters_come_from_one_place():
    prose, values = _chapter("03_flop_accounting")
    gpt4 = llmcost.model("gpt-4")
    assert values["c3_gpt4_6pd_leak"] == "2.18 × 10²⁵"
    assert calibration.flops_table().set_index("id").loc["gpt-4", "flops_6pd"] == flops.training_flops(gpt4["params_active"], gpt4["tokens"])
    assert values["c3_gpt4_active_leak"] == "280 billion" and values["c3_gpt4_active"] == "277 billion"
    for name in ("03_flop_accounting", "05_gpu_days_cost", "06_utilization", "90_claims_audit"):
        text, _ = _chapter(name)
        assert not re.search(r"\b(277|280) ?(billion|B)\b", text), name  # typed, not glued


def test_palm_days_are_both_phases():
    prose, values = _chapter("07_energy_carbon")
    assert "of the main phase" not in prose and "both phases together" in prose
    assert values["c7_palm_days"] == "64"
    assert llmcost.model("palm-540b")["gpu_hours"] == 6144 * 1200 + 3072 * 336


def test_deepseek_trained_in_fp8_and_its_bill_is_a_calibration_point():
    prose, _ = _chapter("06_utilization")
    assert "BF16 on A100, H100, H800" not in prose and "FP8 for DeepSeek-V3" in prose
    implied = calibration.implied_utilization_table(calibration.TRAINED_IN).set_index("id")
    assert implied.loc["deepseek-v3", "precision"] == "fp8"
    _, values = _chapter("05_gpu_days_cost")
    assert values["c5_ds_usd"] == values["c5_ds_published"] == "5.576 million USD" and values["c5_ds_ratio"] == "1"
    assert values["c5_ds_hours"] == "2,788,000" and values["c5_ds_pretraining_hours"] == "2,664,000"  # the bill is of the whole run


def test_palm_table_3_utilizations_are_attributed_to_palm():
    table = calibration.implied_utilization_table().set_index("id")
    assert table.loc["gpt-3", "mfu_source"] == "chowdhery2022palm"
    assert calibration.primary_sources("mfu")["mt-nlg-530b"] == "chowdhery2022palm"
    prose, values = _chapter("05_gpu_days_cost")
    assert "MT-NLG trained at" not in prose and "as PaLM's authors computed it" in prose
    assert values["c5_mtnlg_mfu"] == "30.2%"
    _, values = _chapter("06_utilization")
    assert "GPT-3 175B" in values["c6_mfu_by_palm"]


def test_gopher_gap_is_not_blamed_on_conventions_that_do_not_explain_it():
    prose, values = _chapter("03_flop_accounting")
    assert "the difference is one of conventions" not in prose and "unexplained" in prose
    assert values["c3_gopher_attention_ratio"] == "1.228"


@pytest.mark.parametrize(("name", "unit"), [("c7_gpt3_w", "330 W"), ("c7_gopher_w", "283 W"), ("c7_bloom_w", "400 W")])
def test_power_figures_in_prose_carry_their_unit(name, unit):
    _, values = _chapter("07_energy_carbon")
    assert values[name] == unit


def test_intro_says_its_run_is_hypothetical_and_gives_the_published_one():
    prose, values = _chapter("00_intro")
    assert "hypothetical run" in prose
    gpt3 = llmcost.model("gpt-3")
    assert f"{gpt3['energy_mwh']:,.0f} MWh" in values["published_run"] and f"{gpt3['co2_t']:,.0f} t CO2e" in values["published_run"]
