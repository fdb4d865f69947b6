"""The calibration appendix re-run with another utilization and PUE: its ratios move as the formulas say."""

import pytest
from chapter_runs import assert_rejected, glued, run_chapter

from llmcost import calibration


def test_calibration_appendix_with_half_the_utilization_and_no_pue(tmp_path):
    values = glued(run_chapter("91_calibration", tmp_path, mfu=0.2, pue=1.0, tolerance=0.2))
    assert values["c91_default_mfu"] == "20.0%"
    assert values["c91_tolerance"] == "20%"
    # Half of 0.4 doubles the formula's accelerator-hours against 0.4: every published / formula ratio halves.
    at_default = calibration.summary(calibration.gpu_hours_table(utilization=0.4))
    assert float(values["c91_hours_median"]) == pytest.approx(at_default["median"] / 2, abs=1e-3)
    # Without PUE, BLOOM's dynamic energy (published without PUE) matches the formula.
    assert values["c91_bloom_pue"] == "1.00" and values["c91_bloom_energy_ratio"] == "1.000"
    assert values["c91_opt_energy_ratio"] == f"{324 / (809_472 * 400 / 1e6):.3f}"
    # Parts of the page that do not depend on these parameters stay put.
    assert values["c91_flops_median"] == f"{calibration.summary(calibration.flops_table())['median']:.3f}"
    assert values["c91_ampere_median"] == "43.4%" and values["c91_cli_mfu"] == "46.2%"
    assert values["c91_t5_flops_seed"] == values["c91_t5_half_6pd"]


def test_calibration_appendix_rejects_a_bad_utilization(tmp_path):
    assert_rejected("91_calibration", tmp_path, "mfu must be a fraction in (0, 1]", mfu=1.5)
