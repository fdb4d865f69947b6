"""Chapter 5 (GPU-days and cost) re-run with other parameters, and its parameter checks."""

import pytest
from chapter_runs import assert_refused, assert_rejected, glued, run_chapter

import llmcost
from llmcost import sizing
from llmcost.book import format_number, price_text


def test_cost_chapter_follows_its_parameters(tmp_path):
    params = {"gpu": "h100", "precision": "bf16", "mfu": 0.231, "models": ["gpt-3", "llama-2-70b"],
              "gpus": ["a100", "h100"], "deadline_days": 60, "rental_price": "aws-p5-capacity-block",
              # the p5 block costs 4.92 USD per GPU-hour: the price range must hold it, and the
              # utilization range collapses onto 23.1 % (low = central = high)
              "mfu_low": 0.231, "mfu_high": 0.231, "usd_per_gpu_hour_low": 4.0, "usd_per_gpu_hour_high": 12.29}
    values = glued(run_chapter("05_gpu_days_cost", tmp_path, **params))

    peak = llmcost.peak_flops("h100", "bf16")
    hours = llmcost.gpu_hours(llmcost.training_flops(175e9, 300e9), peak, 0.231)
    assert values["c5_gpt3_hours_mine"] == format_number(hours, "sig3")
    # half of 46.2 % -> twice the GPU-hours at the same peak
    assert hours == pytest.approx(2 * llmcost.gpu_hours(llmcost.training_flops(175e9, 300e9), peak, 0.462))
    assert values["c5_my_gpus"] == format_number(llmcost.whole(llmcost.gpus_for_deadline(hours, 60)), ",.0f")
    rent = llmcost.usd_per_gpu_hour(39.33, 8)
    assert values["c5_rent"] == price_text(rent, "GPU-hour", "2024-12")  # the capacity block's date
    assert values["c5_gpt3_rent_usd"] == format_number(llmcost.rental_cost(hours, rent) / 1e6, ",.2f", "million USD")
    assert values["c5_breakeven_hours"] == format_number(sizing.rent_vs_buy_breakeven_hours(10_000, rent), ",.0f")
    # ranges: utilization collapsed, so the GPU-hours range collapses onto the central value and
    # the cost range is the price range times those hours
    assert values["c5_range_hours_low"] == values["c5_range_hours_high"] == format_number(hours, "sig3")
    assert values["c5_range_factor_mfu"] == "1.00"
    assert values["c5_range_cost"] == values["c5_gpt3_rent_usd"]
    assert values["c5_range_cost_low"] == format_number(llmcost.rental_cost(hours, 4.0) / 1e6, ",.2f")
    assert values["c5_range_cost_high"] == format_number(llmcost.rental_cost(hours, 12.29) / 1e6, ",.2f", "million USD")
    # the audited seed figures do not depend on the parameters
    assert values["c5_inf_gpus"] == "412,000"
    assert values["c5_deck_params"] == "300 billion"
    assert values["c5_gpt4_implied"] == "36.0%"
    assert values["c5_deck_gpus"] == "1,559"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"mfu": 1.5}, "mfu must be a fraction in (0, 1]"),
        ({"gpus": ["tpu-v4"]}, "precision 'fp16' has no peak rate for gpu 'tpu-v4'"),
        ({"rental_price": "seed002-a100-purchase"}, "rental_price must be one of"),
        ({"mfu_low": 0.6}, "utilization range must be ordered low <= central <= high"),
        ({"rental_price": "aws-p5-capacity-block"}, "usd_per_gpu_hour range must be ordered low <= central <= high"),
    ],
)
def test_cost_chapter_rejects_a_bad_parameter(parameters, message):
    assert_refused("05_gpu_days_cost", message, **parameters)  # in-process: the validation cell alone


def test_gpu_days_cost_stops_a_real_run_in_its_validation_cell(tmp_path):
    assert_rejected("05_gpu_days_cost", tmp_path, "mfu must be a fraction in (0, 1]", **{"mfu": 1.5})


def test_cost_ranges_collapse_onto_the_central_value(tmp_path):
    """low = central = high for both uncertain inputs: every range is a single value."""
    rent = llmcost.usd_per_gpu_hour(14.75, 8)  # aws-p4d-capacity-block, the default rental
    values = glued(run_chapter("05_gpu_days_cost", tmp_path, mfu=0.4, usd_per_gpu_hour_low=rent, usd_per_gpu_hour_high=rent))
    assert values["c5_range_cost_low"] + " million USD" == values["c5_range_cost"] == values["c5_range_cost_high"]
    assert values["c5_range_cost"] == values["c5_gpt3_rent_usd"]
    assert values["c5_range_hours_low"] == values["c5_range_hours_high"] == values["c5_gpt3_hours_mine"]
    assert values["c5_range_factor"] == "1" and values["c5_range_factor_mfu"] == "1.00"
    assert values["c5_range_factor_price"] == "1.00"
    assert values["c5_utilization"] == values["c5_mfu_low"] == values["c5_mfu_high"] == "40.0%"
