"""Chapter 3 re-run with other parameters: its glued numbers move as the formulas say."""

import pytest
from chapter_runs import assert_refused, assert_rejected, glued, run_chapter

from llmcost import calibration


def test_flop_accounting_with_other_model_and_period(tmp_path):
    nb = run_chapter("03_flop_accounting", tmp_path, model="palm-540b", period_months=12, causal=True)
    values = glued(nb)
    assert values["c3_model"] == "Google PaLM 540B"
    conventions = calibration.convention_table("palm-540b")["ratio"].dropna()
    assert values["c3_conv_min"] == f"{conventions.min():.3f}"
    assert values["c3_period"] == "12"
    # 12 instead of 18 months: Sevilla's 6-month doubling gives 2**2 = 4x, not 8x.
    assert values["c3_sevilla_dl_factor"] == "4"
    # The 6PD comparison does not depend on the parameters.
    assert values["c3_gpt4_6pd"] == "2.16 × 10²⁵"
    assert values["c3_k_recompute"] == "8"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"model": "abacus"}, "unknown model 'abacus'; known: "),
        ({"trend_from": "2018-13"}, "date must look like YYYY-MM, got '2018-13'"),
        ({"period_months": 0}, "period_months must be a finite number > 0"),
    ],
)
def test_flop_accounting_rejects_a_bad_parameter(parameters, message):
    assert_refused("03_flop_accounting", message, **parameters)  # in-process: the validation cell alone


def test_flop_accounting_stops_a_real_run_in_its_validation_cell(tmp_path):
    assert_rejected("03_flop_accounting", tmp_path, "unknown model 'abacus'; known: ", **{"model": "abacus"})
