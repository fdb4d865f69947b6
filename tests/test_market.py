"""The rental market as quoted (llmcost.market): the newest quote of each provider and offering,
and their spread, from prices.csv."""

import pytest

import llmcost
from llmcost import market
from llmcost.core.validate import InputError


def test_current_quotes_keep_the_newest_of_each_offering_and_leave_out_spot():
    quotes = market.current_quotes("h100", since="2025-01")
    keys = [(q["provider"], q["offering"]) for q in quotes]
    assert len(keys) == len(set(keys))
    assert all("spot" not in q["offering"].lower() and q["date"] >= "2025-01" for q in quotes)
    # AWS cut the p5 price on 2025-06-05 (98.32 -> 55.04 USD an 8-GPU instance-hour): only the newer counts
    aws = [q for q in quotes if q["provider"] == "AWS"]
    assert [q["per_gpu_hour"] for q in aws] == [55.04 / 8]
    assert [q["per_gpu_hour"] for q in quotes] == sorted(q["per_gpu_hour"] for q in quotes)
    with_spot = market.current_quotes("h100", since="2025-01", spot=True)
    assert len(with_spot) > len(quotes)


def test_an_assumed_price_is_no_quote():
    """DeepSeek's $2 per H800-hour and SemiAnalysis's $1 per A100-hour are prices estimates assumed:
    they stay in prices.csv (the claims cite them) but no one offered them."""
    assumed = llmcost.prices().query("offering == 'assumed'")
    assert {"h800-sxm", "a100-80gb-sxm"} <= set(assumed["accelerator"])
    for gpu in set(assumed["accelerator"]):
        assert not [q for q in market.current_quotes(gpu, since="1990-01") if q["offering"] == "assumed"]
    with pytest.raises(InputError, match="no rental quote of 'h800-sxm'"):
        market.rental_summary("h800-sxm", since="1990-01")


def test_rental_summary_is_the_median_of_the_current_quotes():
    quotes = market.current_quotes("h100", since="2025-01")
    summary = market.rental_summary("h100", since="2025-01")
    prices = sorted(q["per_gpu_hour"] for q in quotes)
    assert summary["quotes"] == len(prices) and (summary["low"], summary["high"]) == (prices[0], prices[-1])
    assert summary["median"] == pytest.approx(prices[len(prices) // 2] if len(prices) % 2 else
                                              (prices[len(prices) // 2 - 1] + prices[len(prices) // 2]) / 2)
    median_row = llmcost.prices().set_index("id").loc[summary["median_id"]]
    assert median_row["accelerator"] == "h100-sxm"


def test_bad_input_names_the_parameter():
    with pytest.raises(InputError, match="since must be a month YYYY-MM"):
        market.rental_summary("h100", since="2025")
    with pytest.raises(InputError, match="no rental quote of 'v100' dated 2025-01"):
        market.rental_summary("v100", since="2025-01")
    with pytest.raises(InputError, match="unknown"):
        market.rental_summary("abacus")
