"""The page module of chapter 5 (``llmcost.book.pages.gpu_days_cost``): each function against hand
arithmetic on the dataset's published inputs (datasheet peaks, prices, published hours), never
against itself."""

from __future__ import annotations

import math

import altair as alt
import pytest

import llmcost

from llmcost.book import format_number, price_text
from llmcost.book.tables import short_names
from llmcost.book.pages import gpu_days_cost as ch05
from llmcost.core.validate import InputError

# the chapter's default parameters
DEFAULTS = dict(gpu="a100", precision="fp16", mfu=0.462, mfu_low=0.3, mfu_high=0.55,
                models=["gpt-3", "llama-2-70b", "llama-3-70b", "llama-3.1-405b", "palm-540b", "deepseek-v3"],
                gpus=["v100", "a100", "h100", "b200", "mi300x"], deadline_days=30, rental_price="aws-p4d-capacity-block", usd_per_gpu_hour=None,
                usd_per_gpu_hour_low=1.0, usd_per_gpu_hour_high=4.1, purchase_price="seed002-a100-purchase",
                serving_model="gpt-3", api_price="openai-davinci-2022")
A100_FP16 = 312e12  # FLOP/s, NVIDIA's A100 datasheet (dense, tensor cores); the same at BF16
RENT = 14.75 / 8  # aws-p4d-capacity-block: USD per instance-hour / 8 A100s
PRICES = (1.0, RENT, 4.1)  # low, central, high USD per GPU-hour
GPT3_FLOPS = 6 * 175e9 * 300e9  # 6PD
GPT3_HOURS = GPT3_FLOPS / (A100_FP16 * 0.462 * 3600)  # 607,032 A100-hours at 46.2 %
# serving at full utilization: 2 FLOP per parameter per token, per 1,000 tokens, per USD per GPU-hour
SERVE_PER_USD = 2 * 175e9 / A100_FP16 * 1000 / 3600


@pytest.fixture(scope="module")
def claims():
    return ch05.recomputed_claims()


def assert_glueable(values: dict) -> None:
    """Every entry is what ``glue_all`` accepts, and formats."""
    for name, entry in values.items():
        assert name.startswith("c5_"), name
        assert isinstance(entry, str) or (isinstance(entry, tuple) and len(entry) in (2, 3)), name
        if isinstance(entry, tuple):
            format_number(*entry)


def close(entry, expected, rel=1e-9):
    """A glued ``(value, fmt[, unit])`` whose value is ``expected``."""
    return entry[0] == pytest.approx(expected, rel=rel)


def title_of(chart) -> str:
    title = chart.to_dict()["title"]
    return title if isinstance(title, str) else title["text"]


# --- parameters ------------------------------------------------------------------------------


def test_check_parameters_accepts_the_defaults_and_plans_the_utilization():
    assert ch05.check_parameters(**DEFAULTS) == ch05.utilization("a100", "fp16", **{k: DEFAULTS[k] for k in ("mfu", "mfu_low", "mfu_high")})
    plan = ch05.check_parameters(**{**DEFAULTS, "mfu": None, "mfu_low": None, "mfu_high": None})
    assert plan == {**llmcost.calibration.planning_utilization("a100", "fp16"), "basis": "calibrated"}
    assert plan["low"] < plan["central"] < plan["high"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"mfu": 1.5}, "mfu must be a fraction in (0, 1]"),
        ({"mfu_low": 0.6}, "utilization range must be ordered low <= central <= high"),
        ({"rental_price": "seed002-a100-purchase"}, "rental_price must be one of"),
        ({"purchase_price": "aws-p4d-capacity-block"}, "purchase_price must be one of seed002-a100-purchase"),
        ({"api_price": "nope"}, "api_price must be one of"),
        # the p5 block's 4.92 USD per GPU-hour lies above the default high end, 4.10
        ({"rental_price": "aws-p5-capacity-block"}, "the price of rental_price 'aws-p5-capacity-block' (4.92)"),
    ],
)
def test_check_parameters_refuses_a_bad_one(change, message):
    with pytest.raises(InputError) as failure:
        ch05.check_parameters(**{**DEFAULTS, **change})
    assert message in str(failure.value)


def test_rental_choices_leave_out_the_purchase_row():
    with pytest.raises(InputError) as failure:
        ch05.check_parameters(**{**DEFAULTS, "rental_price": "x"})
    assert "aws-p4d-capacity-block" in str(failure.value) and "seed002-a100-purchase" not in str(failure.value)


# --- the accelerators ------------------------------------------------------------------------


def test_page_example_is_the_datasheet_peak():
    values = ch05.page_example("a100", "fp16", ch05.utilization("a100", "fp16", 0.462))
    assert_glueable(values)
    assert values["c5_gpu"] == "NVIDIA A100 80GB SXM4" and values["c5_precision"] == "fp16"
    assert values["c5_peak"] == (312.0, ",.0f", "TFLOP/s") and values["c5_utilization"] == (0.462, ".1%")
    assert values["c5_utilization_source"] == "the utilization given (mfu)"
    assert ch05.page_example("h100", "fp8", ch05.utilization("h100", "fp8", 0.3))["c5_peak"][0] == pytest.approx(1979)


def test_accelerators_take_bf16_else_fp16():
    acc = ch05.accelerators().set_index("id")
    assert acc.loc["a100-80gb-sxm", "tflops16"] == 312  # BF16 = FP16 on the A100
    assert acc.loc["v100-sxm2-32gb", "tflops16"] == 125  # no BF16: FP16
    assert acc.loc["b200", "tflops16"] == 2250


def test_accelerator_table_has_two_header_rows():
    acc = ch05.accelerators()
    shown = ch05.accelerator_table(acc)
    assert len(shown) == len(acc) and shown.columns.nlevels == 2
    assert list(shown.columns)[2] == ("dense peak (TFLOP/s)", "16-bit") and list(shown.columns)[-1] == ("source", "")
    assert shown.loc["NVIDIA A100 80GB SXM4", ("dense peak (TFLOP/s)", "FP32")] == "19.5"


def test_group_label_names_variants_by_their_common_prefix():
    assert ch05.group_label(["b200"]) == "B200 (HGX/DGX B200)"  # the name without its vendor, not the id
    assert ch05.group_label(["a100-40gb-sxm", "a100-80gb-sxm"]) == "A100 (2 variants)"


def test_peak_groups_hold_each_accelerator_once():
    acc = ch05.accelerators()
    peaks = ch05.peak_groups(acc)
    ids = [i for group in peaks["accelerators"] for i in group.split(", ")]
    assert sorted(ids) == sorted(short_names(acc.dropna(subset=["tflops16"])["id"]))
    a100_2020 = peaks[(peaks["release_year"] == 2020) & (peaks["tflops"] == 312)]
    assert a100_2020["label"].tolist() == ["2020: A100 (3 variants)"]  # 40GB SXM, 80GB SXM, 40GB PCIe
    assert peaks["label"].is_unique  # one line of the chart each
    assert list(zip(peaks["release_year"], peaks["tflops"])) == sorted(zip(peaks["release_year"], peaks["tflops"]))


def test_peaks_chart_draws_the_groups_one_line_each_in_order_of_release():
    peaks = ch05.peak_groups(ch05.accelerators())
    chart = ch05.peaks_chart(peaks)
    spec = chart.to_dict()
    assert spec["encoding"]["y"]["field"] == "label" and spec["encoding"]["y"]["sort"] == list(peaks["label"])
    assert spec["height"] == 16 * len(peaks) and title_of(chart) == "Peak 16-bit throughput of accelerators by release year"


def test_peak_growth_is_b200_over_v100():
    assert ch05.peak_growth_example() == {"c5_v100_to_b200": (2250 / 125, ",.0f")}


# --- GPU-days ----------------------------------------------------------------------------------


def test_gpu_days_grid_is_6pd_over_the_sustained_rate():
    heat = ch05.gpu_days_grid(["gpt-3", "llama-2-70b"], ["a100", "v100"], "fp16", 0.462)
    assert len(heat) == 4 and heat["model"].tolist() == ["GPT-3 175B", "GPT-3 175B", "Llama 2 70B", "Llama 2 70B"]
    assert heat["accelerator"].tolist()[:2] == ["a100-80gb-sxm", "v100-sxm2-32gb"]
    assert heat["gpu_days"][0] == pytest.approx(GPT3_FLOPS / (A100_FP16 * 0.462 * 86400))  # 25,293 A100-days
    assert heat["gpu_days"][1] == pytest.approx(GPT3_FLOPS / (125e12 * 0.462 * 86400))
    assert heat["gpu_days"][2] == pytest.approx(6 * 70e9 * 2e12 / (A100_FP16 * 0.462 * 86400))
    assert heat["label"][0] == format_number(heat["gpu_days"][0], "words")


def test_gpu_days_chart_names_utilization_and_precision():
    heat = ch05.gpu_days_grid(["gpt-3"], ["a100"], "fp16", 0.462)
    assert title_of(ch05.gpu_days_chart(heat, "fp16")) == "Training GPU-days at each accelerator's utilization (fp16 peak)"
    assert heat["column"].tolist() == ["A100 at 46%"]


def test_gpu_days_grid_plans_each_accelerator_apart():
    """Without mfu each accelerator takes its own planning utilization: the calibrated median of its
    generation, PaLM's where none calibrates it (the B200)."""
    heat = ch05.gpu_days_grid(["gpt-3"], ["a100", "h100", "b200"], "bf16")
    plans = [llmcost.calibration.planning_utilization(g, "bf16") for g in ("a100", "h100", "b200")]
    assert heat["utilization"].tolist() == [p["central"] for p in plans]
    assert heat["basis"].tolist() == ["calibrated", "calibrated", "reference"]
    assert heat["gpu_days"][1] == pytest.approx(GPT3_FLOPS / (llmcost.peak_flops("h100", "bf16") * plans[1]["central"] * 86400))
    found = ch05.grid_example(heat)
    assert (found["c5_grid_calibrated"], found["c5_grid_reference"], found["c5_grid_newest"]) == ("A100 at 43%, H100 at 26%", "B200 at 46%", "Hopper")
    # the B200's column is a best case: PaLM's share over what Hopper runs reach
    assert found["c5_grid_reference_over_newest"][0] == pytest.approx(plans[2]["central"] / plans[1]["central"])


def test_seed000_hours_example(claims):
    values = ch05.seed000_hours_example(claims)
    assert_glueable(values)
    gpt4_flops = 6 * 277e9 * 13e12
    assert close(values["c5_gpt3_hours"], GPT3_HOURS) and values["c5_gpt3_hours_stated"][0] == 606_700
    assert close(values["c5_gpt3_days"], GPT3_HOURS / 24)
    assert close(values["c5_gpt4_flops"], gpt4_flops)
    assert close(values["c5_gpt4_hours"], gpt4_flops / (A100_FP16 * 0.462 * 3600))
    assert close(values["c5_gpt4_implied"], gpt4_flops / (A100_FP16 * 3600 * 53_433_642))  # 36.0 %
    assert format_number(*values["c5_gpt4_implied"]) == "36.0%"
    assert close(values["c5_gpt4_ratio"], 53_433_642 / (gpt4_flops / (A100_FP16 * 0.462 * 3600)))


# --- cluster size for a deadline ---------------------------------------------------------------


def test_deck_cluster_rounds_up_to_whole_gpus_and_servers(claims):
    values = ch05.deck_cluster_example(claims)
    assert_glueable(values)
    fraction = 6 * 175e9 * 300e9 / (30 * 86400) / (156e12 * 0.5)  # TF32 x 50 %
    assert close(values["c5_deck_gpus_fraction"], fraction)
    assert values["c5_deck_gpus"][0] == math.ceil(fraction) == 1559
    assert values["c5_deck_servers"][0] == math.ceil(1559 / 8) == 195
    assert values["c5_deck_gpus_stated"][0] == 1558


def test_deadline_example():
    values = ch05.deadline_example("gpt-3", "a100", "fp16", 0.462, 30)
    assert_glueable(values)
    gpus = math.ceil(GPT3_HOURS / (30 * 24))
    assert values["c5_grid_model"] == "GPT-3 175B" and values["c5_deadline"] == (30, ",.0f", "days")
    assert values["c5_my_gpus"][0] == gpus == 844 and values["c5_my_servers"][0] == math.ceil(844 / 8)


# --- renting -----------------------------------------------------------------------------------


def test_rental_table_divides_instance_prices():
    shown = ch05.rental_table()
    rentals = llmcost.prices().query("unit != 'usd_per_unit' and date < '2025-01'")  # the source documents' time
    assert len(shown) == len(rentals) >= 10 and not any("purchase" in offer for offer in shown.index)
    assert list(shown.columns).count("as of") == 1
    block = shown[(shown.index == "AWS EC2 Capacity Block") & (shown["accelerator"] == "NVIDIA A100 40GB SXM4")].iloc[0]
    assert block["USD per GPU-hour"] == f"{RENT:,.2f}" and block["quoted (USD)"] == "14.75 per instance-hour"
    assert shown.loc["DeepSeek (assumed)", "quoted (USD)"] == "2.00 per GPU-hour"


def test_rent_example_prices_gpt3():
    values = ch05.rent_example("aws-p4d-capacity-block", "a100", "fp16", 0.462)
    assert_glueable(values)
    assert "c5_rent_id" not in values and values["c5_rent_date"] == "2024-12"
    assert values["c5_rent_what"] == "AWS EC2 Capacity Block (NVIDIA A100 40GB SXM4)"
    assert values["c5_rent"] == price_text(RENT, "GPU-hour", "2024-12") and close(values["c5_gpt3_hours_mine"], GPT3_HOURS)
    assert close(values["c5_gpt3_rent_usd"], GPT3_HOURS * RENT / 1e6)
    assert values["c5_mtnlg_mfu"][0] == pytest.approx(0.302)


def test_deepseek_example():
    values = ch05.deepseek_example(0.462)
    assert_glueable(values)
    hours_6pd = 6 * 37e9 * 14.8e12 / (1979e12 * 0.462 * 3600)  # H800 FP8 peak
    assert close(values["c5_ds_usd"], 2_788_000 * 2.0 / 1e6) and close(values["c5_ds_ratio"], 1.0)
    assert close(values["c5_ds_6pd_usd"], hours_6pd * 2.0 / 1e6)
    assert close(values["c5_ds_gap"], 5.576e6 / (hours_6pd * 2.0), rel=1e-6)
    assert close(values["c5_ds_implied"], 6 * 37e9 * 14.8e12 / (1979e12 * 3600 * 2_664_000))  # pre-training hours


def test_rental_bills_are_published_hours_times_price():
    bills = ch05.rental_bills(PRICES).set_index("model")
    assert bills["accelerator"].str.startswith("a100").all()
    assert bills.loc["opt-175b", "gpu_hours"] == 809_472
    assert bills.loc["opt-175b", "low"] == pytest.approx(809_472 * 1.0)
    assert bills.loc["opt-175b", "central"] == pytest.approx(809_472 * RENT)
    assert bills.loc["bloom-176b", "high"] == pytest.approx(1_082_990 * 4.1)


def test_bills_example(claims):
    bills = ch05.rental_bills(PRICES)
    values = ch05.bills_example(bills)
    assert_glueable(values)
    assert list(values)[:3] == ["c5_bill_opt", "c5_bill_opt_low", "c5_bill_opt_high"] and len(values) == 13
    assert close(values["c5_bill_llama65_high"], 1_022_362 * 4.1 / 1e6)
    assert close(values["c5_bill_llama_all"], (82_432 + 135_168 + 530_432 + 1_022_362) * RENT / 1e6)
    shown = ch05.bills_table(bills)
    assert shown.loc["Meta OPT-175B", "low (million USD)"] == "0.81"


# --- low, central and high ---------------------------------------------------------------------


def test_cost_range_spread_and_example():
    span = ch05.cost_range(["gpt-3", "llama-2-70b"], "a100", "fp16", (0.3, 0.462, 0.55), PRICES)
    spread = ch05.range_spread(["gpt-3", "llama-2-70b"], span)
    assert spread["model"].tolist() == ["GPT-3 175B", "Meta Llama 2 70B"]
    low_hours, high_hours = GPT3_HOURS * 0.462 / 0.55, GPT3_HOURS * 0.462 / 0.3
    assert spread["gpu_hours_low"][0] == pytest.approx(low_hours / 1e6)
    assert spread["gpu_hours_central"][0] == pytest.approx(GPT3_HOURS / 1e6)
    assert spread["cost_usd_low"][0] == pytest.approx(low_hours * 1.0 / 1e6)
    assert spread["cost_usd_high"][0] == pytest.approx(high_hours * 4.1 / 1e6)
    values = ch05.range_example("gpt-3", span, (0.3, 0.462, 0.55), PRICES)
    assert_glueable(values)
    assert values["c5_range_model"] == "GPT-3 175B" and close(values["c5_range_cost"], GPT3_HOURS * RENT / 1e6)
    assert close(values["c5_range_hours_low"], low_hours) and close(values["c5_range_hours_high"], high_hours)
    assert close(values["c5_range_factor"], 0.55 / 0.3 * 4.1) and close(values["c5_range_factor_mfu"], 0.55 / 0.3)
    assert values["c5_range_factor_price"] == (4.1, ",.2f") and values["c5_price_p4d"] == price_text(32.77 / 8, "GPU-hour", "2020-11")
    assert values["c5_price_semianalysis"] == price_text(1.0, "A100-hour", "2023-07")
    assert values["c5_price_low"] == price_text(1.0, "GPU-hour", "2023-07")  # dated by the quote at that price
    assert ch05.range_table(spread).loc["GPT-3 175B", "cost high (M USD)"] == f"{high_hours * 4.1 / 1e6:,.3g}"
    chart = ch05.range_chart(spread, "a100")
    assert title_of(chart) == "Rental cost of training on the NVIDIA A100 80GB SXM4, low-central-high"
    assert chart.to_dict()["height"] == 40 + 28 * 2


# --- buying ------------------------------------------------------------------------------------


def test_seed002_examples(claims):
    purchase = ch05.seed002_purchase_example(claims)
    assert_glueable(purchase)
    assert close(purchase["c5_s_gpus"], 1.8e23 / (19.5e12 * 10 * 86400))
    assert close(purchase["c5_s_total"], (10_830 * 10_000 * 1.3 + 2e6) / 1e6)
    assert close(purchase["c5_fp32_share"], 19.5 / 312)
    data = ch05.seed002_data_example(claims)
    assert_glueable(data)
    per_byte = 1.4e12 / 4.749e12  # LLaMA's tokens over the sum of its Table 1
    assert close(data["c5_tokens_per_byte"], per_byte) and close(data["c5_pb_tokens"], 1e15 * per_byte)
    assert close(data["c5_pb_ratio"], 6 * 100e9 * 1e15 * per_byte / 1.8e23)
    assert close(data["c5_chinchilla_ratio"], 1.4e12 / 70e9)


def test_purchase_inputs(claims):
    assert ch05.purchase_inputs(claims, "seed002-a100-purchase") == {
        "usd_per_gpu": 10_000.0, "other_hardware_share": 0.2, "datacenter_share": 0.1, "staff_usd": 2e6}


def test_buy_or_rent(claims):
    scenarios = ch05.buy_or_rent(claims, "seed002-a100-purchase", "a100", "fp16", 0.462, RENT)
    fixed = math.ceil(1.8e23 / (A100_FP16 * 0.462 * 3600) / 240)
    assert scenarios["gpus"].tolist() == [10_830, fixed] and fixed == 1446
    assert scenarios["buy"][1] == pytest.approx((fixed * 10_000 * 1.3 + 2e6) / 1e6)
    assert scenarios["rent"][0] == pytest.approx(10_830 * 240 * RENT / 1e6)
    assert scenarios["scenario"][1] == "NVIDIA A100 80GB SXM4 fp16 peak x 46.2%"
    values = ch05.buy_or_rent_example(scenarios)
    assert_glueable(values)
    assert values["c5_fixed_gpus"][0] == fixed and close(values["c5_fixed_rent"], fixed * 240 * RENT / 1e6)
    shown = ch05.buy_or_rent_table(scenarios, RENT)
    assert f"rent 10 days at {price_text(RENT, 'GPU-hour', '2024-12')} (M USD)" in shown.columns


def test_breakeven_is_capital_over_price(claims):
    values = ch05.breakeven_example(claims, "seed002-a100-purchase", RENT)
    assert_glueable(values)
    assert values["c5_capital"] == (13_000.0, ",.0f", "USD")
    assert close(values["c5_breakeven_hours"], 13_000 / RENT) and close(values["c5_breakeven_months"], 13_000 / RENT / 720)


def test_rent_or_buy_lines(claims):
    lines = ch05.rent_or_buy_lines(claims, "seed002-a100-purchase", "aws-p4d-capacity-block")
    assert lines["option"].unique().tolist() == [
        "buy: 10,000 USD + 30 %", f"rent: AWS EC2 Capacity Block, A100 40GB SXM4 ({RENT:.2f} USD/h)",
        "rent: AWS reserved (effective), A100 40GB SXM4 (2.40 USD/h)", "rent: AWS on-demand, A100 40GB SXM4 (4.10 USD/h)"]
    at_year = lines[lines["months"] == 12].set_index("option")["usd"]
    assert at_year.iloc[0] == pytest.approx(13_000) and at_year.iloc[1] == pytest.approx(12 * 720 * RENT)
    # the page's price is not drawn twice when it is one of the compared rows
    assert len(ch05.rent_or_buy_lines(claims, "seed002-a100-purchase", "seed000-8xa100-effective")["option"].unique()) == 3
    assert title_of(ch05.rent_or_buy_chart(lines)) == "Rent or buy one A100: cumulative cost"


# --- serving -----------------------------------------------------------------------------------


def test_fleet_example_and_table(claims):
    values = ch05.fleet_example(claims)
    assert_glueable(values)
    tokens_day = 3.5e9 * 4 * 425 * 4 / 3
    assert claims["004-tokens-per-day"]["recomputed"] == pytest.approx(tokens_day)
    assert close(values["c5_deck_params"], claims["004-infer-flops"]["stated_value"] / (2 * tokens_day))
    assert format_number(*values["c5_deck_params"]) == "300 billion"
    assert values["c5_requests"][0] == 3.5e9 and values["c5_queries"][0] == 4 and values["c5_words"][0] == 425
    shown = ch05.fleet_table(claims)
    assert list(shown.index) == [label for _, label, _ in ch05.FLEET_STEPS]
    assert shown.loc["A100s (TF32 x 50 %)", "deck"] == "706,315"


def test_serving_claims_example(claims):
    values = ch05.serving_claims_example(claims, "openai-davinci-2022")
    assert_glueable(values)
    implied = 19.22 / 8 * SERVE_PER_USD / 0.0035
    assert values["c5_seed_gpu_hour"] == price_text(19.22 / 8, "GPU-hour", "2023-07") and close(values["c5_serving_implied"], implied)
    assert close(values["c5_margin"], 1 - 0.0035 / 0.02) and close(values["c5_gain_relative"], 1 - 1 / 1.1)
    assert close(values["c5_serving_at_462"], 19.22 / 8 * SERVE_PER_USD / 0.462)
    assert values["c5_api_price"] == price_text(0.02, "1,000 tokens", "2022-09-01", ",.3f") and ch05.api_usd_per_1k("openai-davinci-2022") == 0.02


def test_serving_grid_is_the_roofline_and_its_calibrated_band():
    """Chapter 5's serving chart: GPT-3 on the fewest A100s that hold it, the roofline's cost per 1,000
    output tokens at every batch that fits and prompt length, and the Ampere group's expectation."""
    grid, setting = ch05.serving_grid("gpt-3", "a100", "fp16", 2.0)
    assert setting["gpus"] == 8 and ch05.serving_group_size("gpt-3", "a100", "fp16") == 8  # 350 GB of weights: 4 are too few
    assert sorted(grid["prompt"].unique()) == list(range(256, 2048 - 128 + 1, 256))
    row = grid[(grid["prompt"] == 512) & (grid["batch"] == 16)].iloc[0]
    roofline = llmcost.serving.serving_estimate("gpt-3", "a100", gpus=8, batch=16, prompt_tokens=512, output_tokens=128,
                                                precision="fp16", usd_per_gpu_hour=2.0)["usd_per_1k_output_tokens"]
    share = llmcost.calibration.serving_calibration("a100", "fp16")["throughput"]
    assert row["roofline"] == pytest.approx(roofline, rel=5e-3)
    assert row["central"] == pytest.approx(roofline / share["central"], rel=5e-3)
    assert row["low"] < row["central"] < row["high"] and row["roofline"] <= row["central"]
    largest = grid.groupby("prompt")["batch"].max()
    assert largest[256] > largest[1792] == llmcost.serving.max_batch("gpt-3", "a100", 8, 1792 + 128, "fp16", "fp16")
    values = ch05.serving_example(grid, setting, "gpt-3", "a100", "fp16")
    assert_glueable(values)
    assert values["c5_srv_calibrated"].startswith("measured Ampere systems at FP16")
    # no measured group for the H100 at bf16: the roofline alone, and the text says why
    _, none = ch05.serving_grid("llama-2-70b", "h100", "bf16", 2.0)
    assert none["group"] is None and "at bf16" in none["why"]


def test_serving_chart_titles_the_model_and_binds_prompt_and_batch():
    grid, setting = ch05.serving_grid("gpt-3", "a100", "fp16", 2.0)
    spec = ch05.serving_chart(grid, setting, "gpt-3", "a100", "openai-davinci-2022").to_dict()
    assert spec["title"]["text"] == "Serving GPT-3 175B on 8 × NVIDIA A100 80GB SXM4"
    bound = {param["name"]: param["bind"] for param in spec["params"]}
    assert set(bound) == {"prompt", "batch"} and bound["prompt"]["step"] == 256 and bound["batch"]["max"] == grid["batch"].max()
    assert "API price 0.020 USD (OpenAI davinci (GPT-3 text-davinci-002/003))" in str(spec)  # the offer, not its id


def test_recomputed_claims_are_by_id(claims):
    assert claims["000-gpt3-a100-hours"]["recomputed"] == pytest.approx(GPT3_HOURS)
    assert all(ident == row["id"] for ident, row in claims.items())


def test_prices_today():
    """The newest 2025-26 quotes: one row per provider and offering, the median H100 the book's
    price for today, AWS's June 2025 cut, and every H100 quote in the price history."""
    today = ch05.today_table()
    assert "NVIDIA H100 SXM5 80GB" in today.index and "as of" in today.columns
    values = ch05.today_example()
    assert_glueable(values)
    summary = llmcost.market.rental_summary("h100", ch05.TODAY_SINCE)
    assert values["c5_today_h100"] == price_text(summary["median"], "GPU-hour", f"{summary['first']} to {summary['last']}")
    assert values["c5_aws_cut"][0] == pytest.approx(1 - 55.04 / 98.32)
    quotes = ch05.current_quotes_table()
    assert len(quotes) == sum(len(llmcost.market.current_quotes(a, ch05.TODAY_SINCE)) for a in ch05.quoted_accelerators())
    history = ch05.price_history("h100")
    assert len(history) == len(llmcost.prices().query("accelerator == 'h100-sxm'"))
    assert set(history["kind"]) >= {"on-demand", "capacity block", "spot", "reserved or committed"}
    assert title_of(ch05.price_history_chart(history)).startswith("Rental quotes of the NVIDIA H100")
