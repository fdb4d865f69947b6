"""Checks of a chapter's parameters, for the validation cell that follows its ``parameters`` cell.

A chapter's parameters arrive from papermill as literals a reader typed: ``-p mfu 0.4`` gives a
float, ``-r mfu 0.4`` the text ``"0.4"``, ``-y 'models: []'`` an empty list. The validation cell
checks every one of them, so that a bad value stops the run there, with a message that names the
parameter as typed, shows the value and says what is allowed, instead of failing cells later
(or, worse, running to the end with meaningless output). Built on :mod:`llmcost.validate`, whose
checks give each quantity's domain (``a fraction in (0, 1]``); this module adds what a chapter
needs on top:

* :func:`check_number`, :func:`check_count`, :func:`check_quantity`: a real number, never text
  or a bool, within the quantity's domain and within bounds that keep the chapter's arithmetic
  finite and its run short (:data:`QUANTITIES` holds the bounds shared by several chapters);
* :func:`check_flag`, :func:`check_list`, :func:`check_month`;
* :func:`check_architecture`: a model whose architecture record is complete enough to count;
* :func:`check_name` / :func:`check_names`: model or accelerator names that resolve (an unknown
  name lists the known ones), distinct, and whose records hold the facts the chapter uses
  (:func:`require_facts`) and a peak rate at the chapter's precision (:func:`require_peak`);
* :func:`check_above`, :func:`check_divides`, :func:`check_span`: relations between parameters,
  or with the data.

Every check raises :class:`llmcost.validate.InputError` (a ``ValueError``) and returns the
checked value (a number, a canonical id, a list).
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..catalog import datasets, hardware
from ..formulas import ranges
from ..analysis import trends
from ..core import validate
from ..core.validate import RANGES, InputError

KINDS = {
    "model": (datasets.resolve_model, datasets.model, datasets.model_ids, "models"),
    "gpu": (datasets.resolve_accelerator, datasets.accelerator, datasets.accelerator_ids, "accelerators"),
}
"""What :func:`check_name` resolves: kind -> (resolver, record lookup, ids, dataset name)."""


@dataclass(frozen=True)
class Quantity:
    """The allowed values of a kind of parameter: a domain (a :mod:`llmcost.validate` check) and bounds.

    low / high: inclusive bounds (``None``: the domain's own); why: the reason for the bounds,
    quoted in the message.
    """

    check: Callable
    low: float | None = None
    high: float | None = None
    why: str = ""


QUANTITIES = {
    "utilization": Quantity(validate.check_fraction, RANGES["utilization"][0], 1,
                            "share of the dense peak; below 0.01 % no run is worth estimating"),
    "share": Quantity(validate.check_share),
    "pue": Quantity(validate.check_at_least_one, 1, RANGES["pue"][1], "facility power over IT power"),
    "grid_kg_per_kwh": Quantity(validate.check_non_negative, 0, RANGES["grid_kg_per_kwh"][1], "kg CO2e per kWh; about twice a coal plant at most"),
    "power_w": Quantity(validate.check_positive, None, RANGES["power_w"][1], "W per accelerator; about 100 times a B200 at most"),
    "usd_per_gpu_hour": Quantity(validate.check_positive, None, RANGES["usd_per_gpu_hour"][1], "USD per accelerator-hour"),
    "params": Quantity(validate.check_positive, 1, RANGES["params"][1], "a count of parameters; about 500 times the largest model built"),
    "tokens": Quantity(validate.check_positive, 1, RANGES["tokens"][1], "a count of tokens; about 100 times all text ever written"),
    "gpus": Quantity(validate.check_count, 1, RANGES["gpus"][1], "accelerators; about 100 times the largest cluster built"),
    "ranks": Quantity(validate.check_count, 1, 1e6, "ranks or stages of a parallel layout"),
    "batch": Quantity(validate.check_count, 1, 1e6, "sequences or micro-batches"),
    "examples": Quantity(validate.check_count, 1, 1e9, "a count of examples, prompts or rollouts"),
    "epochs": Quantity(validate.check_count, 1, 1e3, "passes over the data"),
}
"""Bounds shared by the chapters, by kind of parameter: wide enough to hold every published value
many times over, narrow enough that no chapter's arithmetic overflows (a cost of inf cannot be
quoted) or runs for long. Where :mod:`llmcost.validate` bounds an input of the same name (its
``RANGES``), the bounds are taken from there."""


# --- numbers ---------------------------------------------------------------------------------


def _real(name: str, value):
    """Refuse what is not a real number: text (papermill's ``-r``), a bool, None, a list."""
    if isinstance(value, str):
        hint = ""
        try:
            float(value)
            hint = " (with papermill, pass numbers with -p, not -r)"
        except ValueError:
            pass
        raise InputError(f"{name} must be a number, got the text {value!r}{hint}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputError(f"{name} must be a number, got {value!r}")
    try:
        float(value)
    except OverflowError:
        raise InputError(f"{name} must be a finite number, got {value!r}") from None
    return value


def _bounds(low, high) -> str:
    if low is not None and high is not None:
        return f"between {low:,g} and {high:,g}"
    return f"at most {high:,g}" if high is not None else f"at least {low:,g}"


def check_number(name: str, value, check: Callable = validate.as_number, low=None, high=None, *, why=""):
    """A real number in the domain of ``check`` (a :mod:`llmcost.validate` check), within ``[low, high]``.

    why: the reason for the bounds (units, published values, run time), quoted in the message.
    Returns ``check``'s result.
    """
    checked = check(name, _real(name, value))
    if (low is not None and float(checked) < low) or (high is not None and float(checked) > high):
        reason = f" ({why})" if why else ""
        raise InputError(f"{name} must be {_bounds(low, high)}{reason}, got {value!r}")
    return checked


def check_count(name: str, value, high=None, *, why=""):
    """A whole number from 1 to ``high`` (accelerators, steps, ranks), returned as an int."""
    return int(check_number(name, value, validate.check_count, 1 if high is not None else None, high, why=why))


def check_quantity(name: str, value, quantity: str):
    """A number of the kind ``quantity`` (a key of :data:`QUANTITIES`): its domain, then its bounds."""
    q = QUANTITIES[quantity]
    checked = check_number(name, value, q.check, q.low, q.high, why=q.why)
    return int(checked) if q.check is validate.check_count else checked


def check_optional_quantity(name: str, value, quantity: str):
    """None (the chapter then takes the value from the data, as its comment says), or
    :func:`check_quantity`'s checked number."""
    return None if value is None else check_quantity(name, value, quantity)


INJECTED_HEADER = "# Parameters"
"""First line of the cell papermill injects after a chapter's ``parameters`` cell."""


def _assigned(source: str) -> set[str]:
    """Names a cell's source assigns at its top level (none when it does not parse as Python)."""
    import ast

    try:
        body = ast.parse(source).body
    except SyntaxError:
        return set()
    return {target.id for node in body if isinstance(node, ast.Assign) for target in node.targets if isinstance(target, ast.Name)}


def check_known(namespace: dict) -> None:
    """Refuse a parameter the chapter does not declare (``papermill -p mfu_hihg 0.9`` would
    otherwise run the chapter on its defaults without a word).

    namespace: the chapter's ``globals()``. Reads the kernel's input history (``_ih``): the
    cell papermill injected (it starts with :data:`INJECTED_HEADER`) may set only the names
    that the cell run before it, the ``parameters`` cell, declares. Without an injected cell
    (a plain run) there is nothing to check.
    """
    history = list(namespace.get("_ih") or [])
    for position, source in enumerate(history[1:], start=1):
        if source.startswith(INJECTED_HEADER):
            declared = _assigned(history[position - 1])
            unknown = sorted(_assigned(source) - declared)
            if unknown:
                raise InputError(f"unknown parameter {unknown[0]!r}; this chapter accepts: {', '.join(sorted(declared))}")


check_flag = validate.check_flag
"""``True`` or ``False`` (not 1, not the text ``"False"``): :func:`llmcost.validate.check_flag`."""


def check_above(name: str, value, other_name: str, other, *, equal=False, why=""):
    """``value`` > ``other`` (``>=`` with ``equal``): a relation between two checked parameters."""
    if value < other or (value == other and not equal):
        relation = "at least" if equal else "greater than"
        reason = f" ({why})" if why else ""
        raise InputError(f"{name} must be {relation} {other_name} ({other!r}){reason}, got {value!r}")
    return value


def check_divides(name: str, value, total, what: str):
    """``value`` divides ``total`` (e.g. tensor-parallel ranks the attention heads); what: ``total``'s noun."""
    if total % value:
        raise InputError(f"{name} must divide the {total:.0f} {what}, got {value!r}")
    return value


def check_span(label: str, names, values):
    """Three parameters that form a (low, central, high) range: numbers, ordered.

    label: the range's name in :func:`llmcost.ranges.check_span`'s message; names: the three
    parameters' names (or a description of a central value that is not a parameter).
    Returns the :class:`llmcost.ranges.Span`.
    """
    for name, value in zip(names, values):
        _real(name, value)
    try:
        return ranges.check_span(label, tuple(values))
    except InputError as error:
        raise InputError(f"{error}; set {names[0]} <= {names[1]} <= {names[2]}") from None


# --- lists and dates -------------------------------------------------------------------------


def check_list(name: str, values, length: int | None = None, each: Callable | None = None) -> list:
    """A non-empty list (or tuple) of ``length`` items if given; ``each(label, item)`` checks an item.

    Items are labelled ``name[i]`` in messages. Returns the items as ``each`` returned them.
    """
    if isinstance(values, str):
        raise InputError(f"{name} must be a list, got the text {values!r}")
    if not isinstance(values, (list, tuple)):
        raise InputError(f"{name} must be a list, got {values!r}")
    if not values:
        raise InputError(f"{name} must be a non-empty list, got {values!r}")
    if length is not None and len(values) != length:
        raise InputError(f"{name} must hold {length} items, got {len(values)}: {values!r}")
    return [each(f"{name}[{i}]", item) if each else item for i, item in enumerate(values)]


def check_month(name: str, value, dates, points: int = 2) -> str:
    """A month ``YYYY-MM`` from which ``dates`` (the data's release months) hold ``points`` distinct months.

    For a trend fitted to the data from that month on: it needs at least two dates.
    """
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}", value.strip()):
        raise InputError(f"{name}: date must look like YYYY-MM, got {value!r}")
    try:
        start = trends.decimal_year(value)
    except InputError as error:
        raise InputError(f"{name}: {error}") from None
    distinct = sorted({str(d)[:7] for d in dates})
    latest = distinct[-points] if len(distinct) >= points else None
    if latest is None or start > trends.decimal_year(latest):
        raise InputError(
            f"{name} must be a month no later than {latest} (from it on, the data must hold {points} "
            f"different release months), got {value!r}"
        )
    return value


# --- names of models and accelerators --------------------------------------------------------


def _named(label: str, message: str) -> str:
    """``message``, prefixed with ``label`` unless it already names it."""
    if re.search(rf"(?<![\w\[]){re.escape(label)}(?![\w\[])", message):
        return message
    return f"{label}: {message}"


def _missing(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def require_facts(name: str, value, facts, kind: str = "model") -> dict:
    """The record of the model (or accelerator, ``kind="gpu"``) named ``value``, which must hold ``facts``.

    facts: quantities the chapter reads from the record (``tokens``, ``memory_gb``, ...). The
    message names the parameter, the missing facts, and the ids that have them all.
    """
    _, record_of, ids, dataset = KINDS[kind]
    record = record_of(check_name(name, value, kind))
    missing = [fact for fact in facts if _missing(record.get(fact))]
    if missing:
        having = [i for i in ids() if not any(_missing(record_of(i).get(fact)) for fact in facts)]
        raise InputError(
            f"{name} {value!r} has no {', '.join(missing)} in the {dataset} dataset; "
            f"{dataset} that have {', '.join(facts)}: {', '.join(having) or 'none'}"
        )
    return record


def require_peak(name: str, value, precision, precision_name: str = "precision") -> float:
    """The dense peak in FLOP/s of the accelerator named ``value`` at ``precision``; the dataset must list it."""
    validate.check_choice(precision_name, precision, hardware.PRECISIONS)
    ident = check_name(name, value, "gpu")
    try:
        return hardware.peak_flops(ident, precision)
    except InputError as error:
        raise InputError(f"{name} {value!r}: {error}") from None


def check_name(name: str, value, kind: str = "model", *, facts=(), precision=None) -> str:
    """A model (``kind="model"``) or accelerator (``"gpu"``) name or alias -> its canonical id.

    facts: quantities its record must hold (:func:`require_facts`); precision: for an
    accelerator, a precision at which the dataset lists its peak (:func:`require_peak`).
    """
    resolve = KINDS[kind][0]
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{name} must be a {kind} name, got {value!r}")
    try:
        ident = resolve(value)
    except InputError as error:
        raise InputError(_named(name, str(error))) from None
    if facts:
        require_facts(name, value, facts, kind)
    if precision is not None:
        require_peak(name, value, precision)
    return ident


def check_names(name: str, values, kind: str = "model", *, facts=(), precision=None) -> list[str]:
    """A non-empty list of distinct names (aliases of one id count as the same) -> their ids.

    Each item as in :func:`check_name`.
    """
    ids = check_list(name, values, each=lambda label, item: check_name(label, item, kind, facts=facts, precision=precision))
    for i, ident in enumerate(ids):
        if ident in ids[:i]:
            first = ids.index(ident)
            raise InputError(
                f"{name} must name each {kind} once, got {values[first]!r} and {values[i]!r} (both {ident!r})"
            )
    return ids


def check_architecture(name: str, value) -> str:
    """A model name whose architecture record counts (``llmcost.architecture.parameter_counts``)
    -> its canonical id, or a path to a Hugging Face ``config.json`` -> the path; the message
    names the parameter and the models that have one."""
    from ..running import architecture  # architecture imports the estimate chain; a chapter without it should not pay

    if isinstance(value, str) and validate.is_config_path(value):
        try:
            architecture.parameter_counts(value)
        except InputError as error:
            raise InputError(f"{name} {value!r}: {error}") from None
        return value
    ident = check_name(name, value)
    try:
        architecture.parameter_counts(ident)
    except InputError as error:
        having = [i for i in datasets.model_ids() if architecture.counts_if_complete(i) is not None]
        raise InputError(f"{name} {value!r}: {error}; models with a complete architecture: {', '.join(having)}") from None
    return ident


def follow_accelerator(gpu, *, usd_per_gpu_hour=None, power_w=None) -> dict:
    """A chapter's price and power as given, or where None as the chosen accelerator ``gpu`` sets them:
    its TDP (W) and the median of its newest rental quotes of each provider since
    :data:`llmcost.market.TODAY_SINCE` (USD per accelerator-hour, :func:`llmcost.market.rental_summary`).
    Returns ``usd_per_gpu_hour``, ``power_w``, for each ``*_source`` (a phrase), and
    ``usd_per_gpu_hour_dates``, the quotes' dates ("first to last"; None for a price set). Raises
    InputError naming the parameter to set where the accelerator has no TDP or no current quote."""
    from ..analysis import market

    ident = check_name("gpu", gpu, "gpu")
    record = datasets.accelerator_by_id(ident)
    out = {}
    if usd_per_gpu_hour is None:
        try:
            quotes = market.rental_summary(ident)
        except InputError:
            raise InputError(f"usd_per_gpu_hour must be set for gpu {gpu!r}: the dataset has no rental quote of {ident} "
                             f"since {market.TODAY_SINCE} to take its median from") from None
        out.update(usd_per_gpu_hour=quotes["median"], usd_per_gpu_hour_dates=f"{quotes['first']} to {quotes['last']}",
                   usd_per_gpu_hour_source=f"the median of the {quotes['quotes']} newest quotes of {record['name']}")
    else:
        out.update(usd_per_gpu_hour=check_quantity("usd_per_gpu_hour", usd_per_gpu_hour, "usd_per_gpu_hour"),
                   usd_per_gpu_hour_dates=None, usd_per_gpu_hour_source="set for this page")
    if power_w is None:
        if record.get("tdp_w") is None:
            raise InputError(f"power_w must be set for gpu {gpu!r}: the dataset has no TDP of {ident}")
        out.update(power_w=record["tdp_w"], power_w_source=f"the TDP of {record['name']}")
    else:
        out.update(power_w=check_quantity("power_w", power_w, "power_w"), power_w_source="set for this page")
    return out
