"""Chapter 7 (energy and carbon) re-run with other parameters: its numbers move as the formulas say."""

from chapter_runs import assert_rejected, glued, run_chapter

import llmcost
from llmcost import energy
from llmcost.book import format_number


def test_energy_chapter_with_tdp_power_and_another_gpu(tmp_path):
    params = {"gpu": "h100", "mfu": 0.2, "power_source": "tdp", "pue_high": 1.5, "grid_high": 0.7}
    values = glued(run_chapter("07_energy_carbon", tmp_path, **params))

    # GPT-3 at the V100's datasheet TDP instead of Patterson's measured 330 W
    assert values["c7_model_power"] == "300 W" and values["c7_model_power_from"] == "NVIDIA Tesla V100 SXM2 32GB TDP"
    assert values["c7_model_mwh"] == f"{energy.energy_mwh(3_552_000, 300, 1.1):,.0f}"
    # what-if run: GPT-3 on H100 at 20 % MFU, its 700 W TDP
    facts = llmcost.model("gpt-3")
    hours = llmcost.gpu_hours(llmcost.training_flops(facts["params_active"], facts["tokens"]), llmcost.peak_flops("h100", "bf16"), 0.2)
    assert values["c7_run_hours"] == format_number(hours, "sig3")
    assert values["c7_run_mwh"] == f"{energy.energy_mwh(hours, 700, 1.1):,.0f}"
    assert values["c7_run_mwh_high"] == f"{energy.energy_mwh(hours, 700, 1.5):,.0f}"
    assert values["c7_run_co2_high"] == f"{energy.co2_tonnes(energy.energy_mwh(hours, 700, 1.5), 0.7):,.0f}"
    assert values["c7_mfu"] == "20.0%" and values["c7_grid_high"] == "0.700"
    # the PUE explanation always uses the papers' own power: GPT-3 without PUE stays at Luccioni's 502 t
    assert values["c7_gpt3_t_nopue"] == "503"


def test_energy_chapter_rejects_an_unordered_pue_range(tmp_path):
    assert_rejected("07_energy_carbon", tmp_path, "pue range must be ordered low <= central <= high", pue_low=1.3)
