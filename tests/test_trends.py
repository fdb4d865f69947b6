"""Exponential trend fits of model size and compute over time."""

import numpy as np
import pytest

from llmcost import trends
from llmcost.core.validate import InputError


def test_trend_fit_recovers_a_known_doubling_time():
    years = np.arange(2015, 2024)
    trend = trends.fit_trend(years, 3.0 * 2 ** ((years - 2015) * 2))  # doubles every 6 months
    assert trend.doubling_months == pytest.approx(6)
    assert trend.factor_per(18) == pytest.approx(8)
    assert trends.growth_between(117e6, "2018-06", 175e9, "2020-05", 18) == pytest.approx(305, rel=0.01)
    with pytest.raises(InputError, match="date must look like YYYY-MM"):
        trends.decimal_year("May 2020")
