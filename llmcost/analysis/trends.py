"""Growth over time: fitted exponential trends of parameters and training compute.

A trend is a least-squares line through ``log10(value)`` against the release date in
years; it gives a doubling time and a growth factor per period (e.g. "x per 18 months",
the unit of the Colossal-AI talk, seed 003).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.validate import InputError, check_positive


SEVILLA_2022_DOUBLING_MONTHS = {
    "deep-learning era (2010-2022)": 6.0,
    "large-scale era (late 2015-2022)": 10.0,
}
"""Doubling times of training compute in months, Sevilla et al. 2022 (``sevilla2022compute``),
abstract and Table 2: about 6 months for regular-scale models since 2010, about 10 months for
the large-scale trend that starts in late 2015."""


def factor_from_doubling(doubling_months, months=18):
    """Growth factor over ``months`` of a quantity that doubles every ``doubling_months``: ``2 ** (months / doubling)``."""
    doubling_months = check_positive("doubling_months", doubling_months)
    return 2.0 ** (check_positive("months", months) / doubling_months)


def decimal_year(date: str) -> float:
    """``"2020-05"`` or ``"2020-05-28"`` -> 2020.333... (months counted from January = 0)."""
    try:
        parts = [int(p) for p in str(date).split("-")[:2]]
        year, month = parts if len(parts) == 2 else (parts[0], 1)
    except ValueError:
        raise InputError(f"date must look like YYYY-MM, got {date!r}") from None
    if not 1 <= month <= 12:
        raise InputError(f"date must look like YYYY-MM, got {date!r}")
    return year + (month - 1) / 12


@dataclass(frozen=True)
class Trend:
    """An exponential trend ``value = 10 ** (intercept + slope x year)``."""

    slope: float  # log10 units per year
    intercept: float
    points: int

    def factor_per(self, months: float) -> float:
        """Growth factor over ``months`` months."""
        return 10 ** (self.slope * check_positive("months", months) / 12)

    @property
    def doubling_months(self) -> float:
        """Months for the value to double (infinite for a flat or falling trend)."""
        return 12 * np.log10(2) / self.slope if self.slope > 0 else float("inf")

    def at(self, year):
        """The trend's value at a (decimal) year."""
        return 10 ** (self.intercept + self.slope * np.asarray(year, dtype=float))


def fit_trend(dates, values) -> Trend:
    """Fit an exponential trend to (date, value) pairs; dates as ``YYYY-MM`` strings or years."""
    years = np.array([decimal_year(d) if isinstance(d, str) else float(d) for d in dates])
    values = np.asarray(check_positive("values", np.asarray(values, dtype=float)), dtype=float)
    if years.size != values.size or years.size < 2 or np.ptp(years) == 0:
        raise InputError("fit_trend needs at least two points at different dates")
    slope, intercept = np.polyfit(years, np.log10(values), 1)
    return Trend(float(slope), float(intercept), int(years.size))


def growth_between(value_from, date_from, value_to, date_to, months=18):
    """Growth factor per ``months`` implied by two points (e.g. GPT-1 -> GPT-3 parameters)."""
    span = decimal_year(date_to) - decimal_year(date_from)
    if span <= 0:
        raise InputError(f"date_to must be after date_from, got {date_from} -> {date_to}")
    ratio = check_positive("value_to", value_to) / check_positive("value_from", value_from)
    return ratio ** (check_positive("months", months) / 12 / span)


def accelerator_trend(quantity: str, vendor: str = "NVIDIA", form_factor: str = "SXM", until_year=None) -> Trend:
    """Exponential trend of an accelerator spec (``fp16_tflops``, ``memory_gb``, ...) over the
    release years of the dataset's accelerators of ``vendor`` whose form factor starts with
    ``form_factor`` (NVIDIA SXM: the data-centre flagships, V100 to B300), released in
    ``until_year`` or before if given (a claim judged on the accelerators of its own time)."""
    from ..catalog.datasets import accelerators

    table = accelerators()
    table = table[(table["vendor"] == vendor) & table["form_factor"].str.startswith(form_factor)]
    if until_year is not None:
        table = table[table["release_year"] <= check_positive("until_year", until_year)]
    if quantity not in table:
        raise InputError(f"quantity {quantity!r} is not an accelerator spec; known: {', '.join(sorted(c for c in table.columns if table[c].dtype.kind == 'f'))}")
    table = table.dropna(subset=[quantity])
    return fit_trend(table["release_year"].astype(float), table[quantity])
