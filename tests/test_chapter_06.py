"""Chapter 6 re-run with other parameters: utilization, cost and speed-up move as the formulas say."""

import pytest
from chapter_runs import assert_refused, assert_rejected, glued, run_chapter

from llmcost import cost, techniques
from llmcost.book import format_number


def test_utilization_with_other_parameters(tmp_path):
    default_u0 = cost.utilization_for_serving_cost(0.0035, 175e9, 19.22 / 8, 312e12)
    nb = run_chapter(
        "06_utilization", tmp_path, usd_per_1k_tokens=0.007, scaling_efficiency=0.45,
        model="llama-65b", data_parallel=8,
    )
    values = glued(nb)
    # Twice the cost per token means half the utilization.
    assert values["c6_u0"] == f"{default_u0 / 2:.1%}"
    assert values["c6_cut_points"] == f"{cost.cost_reduction(default_u0 / 2, default_u0 / 2 + 0.1):.1%}"
    # Half the efficiency, half the speed-up: 4.5x instead of 9x.
    assert values["c6_speedup"] == "4.5"
    assert values["c6_speedup"] == f"{techniques.scaling_speedup(10000, 1000, 0.45):,.1f}"
    assert values["c6_model"] == "Meta LLaMA 65B"
    assert values["c6_zero3_gb"] == format_number(65.2e9 * 16 / 8 / 1e9, "sig3") == "130"
    assert values["c6_gpt4_implied_util"] == "36.0%"  # independent of the parameters


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"scaling_efficiency": 1.5}, "scaling_efficiency must be a fraction in (0, 1]"),
        ({"gpu": "abacus"}, "unknown gpu 'abacus'; known: "),
        ({"target_gpus": 0}, "target_gpus must be a whole number >= 1"),
    ],
)
def test_utilization_rejects_a_bad_parameter(parameters, message):
    assert_refused("06_utilization", message, **parameters)  # in-process: the validation cell alone


def test_utilization_stops_a_real_run_in_its_validation_cell(tmp_path):
    assert_rejected("06_utilization", tmp_path, "scaling_efficiency must be a fraction in (0, 1]", **{"scaling_efficiency": 1.5})
