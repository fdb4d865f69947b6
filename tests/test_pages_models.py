"""Every model at a glance (llmcost.book.pages.models_at_a_glance): published figures as published,
the rest computed by the chain and marked, unknown ones left unknown."""

from __future__ import annotations

import pytest

import llmcost
from llmcost.book import format_number
from llmcost.book.pages import models_at_a_glance as ch92


@pytest.fixture(scope="module")
def glance():
    return ch92.glance_table(None, 1.1, 0.385).set_index("model")


def test_published_figures_are_shown_as_published(glance):
    gpt3 = llmcost.model("gpt-3")
    row = glance.loc[gpt3["name"]]
    assert row["gpu_hours"] == format_number(gpt3["gpu_hours"], "sig3") and row["co2"] == format_number(gpt3["co2_t"], "sig3")
    assert not any(str(row[key]).startswith(ch92.ESTIMATED) for key in ("flops", "gpu_hours", "mwh", "co2"))


def test_missing_figures_are_computed_by_the_chain_and_marked(glance):
    """Llama 3 8B publishes its hours and emissions, not its energy: hours x its accelerator's TDP x
    this page's PUE; its FLOPs are 6PD; its rental the hours at the H100's median quote of today,
    chapter 5's."""
    llama = llmcost.model("llama-3-8b")
    row = glance.loc[llama["name"]]
    mwh = llama["gpu_hours"] * llmcost.accelerator(llama["accelerator"])["tdp_w"] * 1.1 / 1e6
    assert row["mwh"] == ch92.ESTIMATED + format_number(mwh, "sig3")
    assert row["flops"] == ch92.ESTIMATED + format_number(6 * llama["params_active"] * llama["tokens"], "sci")
    price = llmcost.market.rental_summary(llama["accelerator"])["median"]
    assert row["cost"] == ch92.ESTIMATED + format_number(llama["gpu_hours"] * price, "sig3")


def test_rental_is_always_computed_and_never_at_an_assumed_price(glance):
    """A published cost is an estimate at its author's assumed price (GPT-3's 4.6 million USD, Lambda's
    at 1.50 USD for 3.1 million hours): the column prices the row's hours at quotes; an accelerator
    quoted only in an estimate's assumption (DeepSeek's 2 USD per H800-hour) has no rental."""
    gpt3, deepseek = llmcost.model("gpt-3"), llmcost.model("deepseek-v3")
    price = llmcost.market.rental_summary(gpt3["accelerator"], since=ch92.ANY_DATE)["median"]
    assert glance.loc[gpt3["name"], "cost"] == ch92.ESTIMATED + format_number(gpt3["gpu_hours"] * price, "sig3")
    assert glance.loc[deepseek["name"], "cost"] == "—" and "H800" in ch92.unpriced_accelerators(glance.reset_index())
    assert "DeepSeek-V3 (671B MoE), 5.58 million USD" in ch92.cost_estimates()


def test_unknown_inputs_leave_the_figure_unknown(glance):
    """Chinchilla publishes no accelerator: no hours, cost, energy or emissions are guessed."""
    row = glance.loc[llmcost.model("chinchilla-70b")["name"]]
    assert row["accelerator"] == "not published" and {row[k] for k in ("gpu_hours", "cost", "mwh", "co2")} == {"—"}


def test_the_example_counts_every_cell(glance):
    values = ch92.glance_example(glance.reset_index())
    total = sum(values[key][0] for key in ("c92_published", "c92_estimated", "c92_unknown"))
    assert total == len(glance) * len(ch92.COLUMNS) and values["c92_models"][0] == len(glance)
    assert "gpt-oss-120b" in values["c92_left_out"] and values["c92_quotes_since"] == llmcost.market.TODAY_SINCE
