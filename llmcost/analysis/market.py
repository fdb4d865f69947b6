"""The rental market as quoted: the newest price of each provider and offering of an
accelerator, and their spread (``prices.csv``; every quote dated and sourced)."""

from __future__ import annotations

import re

import numpy as np

from ..catalog import datasets
from ..core.validate import InputError, check_flag
from ..formulas.cost import row_gpu_hour_price

TODAY_SINCE = "2025-01"
"""The first month of the quotes the book calls today's: the source documents' quotes end in 2024."""


def current_quotes(accelerator: str, since: str = TODAY_SINCE, spot: bool = False) -> list[dict]:
    """The newest rental quote of each provider and offering of ``accelerator`` (a name or alias)
    dated ``since`` (``YYYY-MM``) or later, as rows of ``prices.csv`` with ``per_gpu_hour`` (USD per
    accelerator-hour) added, cheapest first. Spot quotes are left out unless ``spot``: they can be
    taken back at any time. Quotes a provider has replaced (a price cut) are left out too, and so
    are prices an estimate assumed (offering ``assumed``: DeepSeek's $2 per H800-hour), which no
    one offered."""
    ident = datasets.resolve_accelerator(accelerator)
    since, spot = _month("since", since), check_flag("spot", spot)
    newest = {}
    for row in datasets.price_rows():
        if row["accelerator"] != ident or row["unit"] == "usd_per_unit" or row["offering"] == "assumed" or row["date"][:7] < since:
            continue
        if "spot" in row["offering"].lower() and not spot:
            continue
        key = (row["provider"], row["offering"])
        if key not in newest or row["date"] > newest[key]["date"]:
            newest[key] = row
    quotes = [{**row, "per_gpu_hour": row_gpu_hour_price(row)} for row in newest.values()]
    return sorted(quotes, key=lambda row: (row["per_gpu_hour"], row["id"]))


def rental_summary(accelerator: str, since: str = TODAY_SINCE, spot: bool = False) -> dict:
    """The spread of :func:`current_quotes` (:func:`summary_of`)."""
    quotes = current_quotes(accelerator, since, spot)
    if not quotes:
        raise InputError(f"no rental quote of {accelerator!r} dated {since} or later in prices.csv")
    return summary_of(quotes)


def summary_of(quotes: list[dict]) -> dict:
    """The spread of quotes as :func:`current_quotes` returns them (cheapest first): ``median``,
    ``low`` and ``high`` USD per accelerator-hour, the number of ``quotes``, the ``first`` and
    ``last`` date and the id of the median quote (``median_id``, the lower middle one for an even count)."""
    prices = [row["per_gpu_hour"] for row in quotes]
    dates = sorted(row["date"] for row in quotes)
    return {"median": float(np.median(prices)), "low": prices[0], "high": prices[-1], "quotes": len(quotes),
            "first": dates[0], "last": dates[-1], "median_id": quotes[(len(quotes) - 1) // 2]["id"]}


def _month(name: str, value: str) -> str:
    """``value`` as a ``YYYY-MM`` month, or an error naming ``name``."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise InputError(f"{name} must be a month YYYY-MM, got {value!r}")
    return value


def quote_date(usd_per_gpu_hour: float, accelerator: str | None = None) -> str | None:
    """Date of the newest row of ``prices.csv`` (of ``accelerator`` if given) whose price per
    accelerator-hour is ``usd_per_gpu_hour`` to the cent, or None when none has it (a price a
    reader set). Unlike :func:`current_quotes` it counts a price an estimate assumed: such a
    price is dated by the estimate that states it (DeepSeek's 2 USD per H800-hour, 2024-12)."""
    ident = datasets.resolve_accelerator(accelerator) if accelerator is not None else None
    dates = [row["date"] for row in datasets.price_rows()
             if row["unit"] != "usd_per_unit" and (ident is None or row["accelerator"] == ident)
             and round(row_gpu_hour_price(row), 2) == round(float(usd_per_gpu_hour), 2)]
    return max(dates) if dates else None
