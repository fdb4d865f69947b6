"""Low / central / high estimates from uncertain inputs, in one vectorized pass.

An uncertain input is a :class:`Span` ``(low, central, high)`` (a plain 3-tuple is accepted too);
a certain one is a scalar or a numpy array (one value per model). :func:`corner_range` evaluates
a function once, on broadcast arrays holding the all-central point and every corner of the box
the spans define (``2**k`` corners for ``k`` spans), and returns for each output

* ``central``: the output with every input at its central value;
* ``low`` / ``high``: the minimum / maximum of the output over the corners.

The min and max over the corners are the true extremes over the whole box only because every
output of the functions used here (:func:`llmcost.estimate.training_estimate`, energy and
carbon) is *monotone* in each input separately: GPU-hours grow with parameters and tokens and
shrink with peak rate and utilization; cost grows with the price; energy with GPU-hours, power
and PUE; CO2 with energy and grid intensity. A non-monotone function would need a search inside
the box, not this.

Tuples mean spans, arrays mean values: ``params=np.array([7e9, 13e9, 70e9])`` is three models,
``utilization=(0.3, 0.4, 0.5)`` is one uncertain utilization. Every element of a span may itself
be an array broadcasting with the models (e.g. each model's own PUE as the central value).
"""

from __future__ import annotations

from functools import partial
from itertools import product
from typing import NamedTuple

import numpy as np

from . import cluster
from ..catalog import defaults
from ..catalog.datasets import accelerator, model
from .energy import co2_tonnes, energy_mwh
from .estimate import energy_estimate, training_estimate
from .flops import training_flops
from ..catalog.hardware import peak_flops as _peak_flops, training_precision
from ..core.validate import InputError, as_number, check_choice, check_fraction


class Span(NamedTuple):
    """An uncertain quantity, or an estimate of one: low <= central <= high (same unit)."""

    low: object
    central: object
    high: object


def is_span(value) -> bool:
    """True for a :class:`Span` or a plain tuple (a tuple always means a span, an array never does)."""
    return isinstance(value, tuple)


def check_span(name: str, value) -> Span:
    """Return ``value`` (a 3-tuple) as a :class:`Span` of floats/arrays ordered low <= central <= high.

    Raises :class:`~llmcost.validate.InputError` naming ``name`` when the tuple does not have three
    numbers or is not ordered (element-wise, for arrays).
    """
    if not is_span(value) or len(value) != 3:
        raise InputError(f"{name} range must be a (low, central, high) tuple, got {value!r}")
    low, central, high = (as_number(f"{name} {part}", v) for part, v in zip(Span._fields, value))
    if np.any(np.asarray(low) > np.asarray(central)) or np.any(np.asarray(central) > np.asarray(high)):
        raise InputError(f"{name} range must be ordered low <= central <= high, got {tuple(value)!r}")
    return Span(low, central, high)


def _corner_values(spans: dict[str, Span]) -> dict[str, np.ndarray]:
    """Each span's values along a new leading axis: index 0 central, then every low/high corner."""
    names = list(spans)
    corners = list(product((0, 2), repeat=len(names)))  # 0 -> low, 2 -> high
    stacked = {}
    for position, name in enumerate(names):
        parts = [np.asarray(part, dtype=float) for part in spans[name]]
        shape = np.broadcast_shapes(*(p.shape for p in parts))
        column = [parts[1]] + [parts[corner[position]] for corner in corners]
        stacked[name] = np.stack([np.broadcast_to(c, shape) for c in column])
    return stacked


def corner_range(function, **inputs):
    """Low / central / high of a monotone ``function(**inputs)`` over the box its span inputs define.

    ``inputs`` holding a tuple are spans (see :func:`check_span`), the others are passed as they
    are (scalars, arrays, None). ``function`` is called ONCE, on arrays with a leading axis of
    ``1 + 2**k`` points (the central point, then the ``2**k`` corners of ``k`` spans) that
    broadcast against the other inputs, so it must accept numpy arrays. Returns a :class:`Span`
    (floats, or arrays shaped like the broadcast inputs) for an array output, or a dict of spans
    (one per key) for a dict output. Correct only for a function monotone in each span input
    (module docstring).
    """
    spans = {name: check_span(name, value) for name, value in inputs.items() if is_span(value)}
    points = {name: value for name, value in inputs.items() if not is_span(value)}
    stacked = _corner_values(spans) if spans else {}
    ndim = max([np.ndim(v) for v in points.values() if v is not None] + [a.ndim - 1 for a in stacked.values()] + [0])
    n_points = 1 + 2 ** len(spans) if spans else 1
    # the corner axis goes in front of every input's own axes
    stacked = {name: a.reshape(a.shape[:1] + (1,) * (ndim - a.ndim + 1) + a.shape[1:]) for name, a in stacked.items()}
    result = function(**points, **stacked)
    frame = (n_points,) + (1,) * ndim

    def summarize(values) -> Span:
        values = np.asarray(values, dtype=float)
        if not spans:
            values = values[np.newaxis]
        else:
            values = np.broadcast_to(values, np.broadcast_shapes(values.shape, frame))
        low, central, high = values.min(axis=0), values[0], values.max(axis=0)
        if low.ndim == 0:
            return Span(float(low), float(central), float(high))
        return Span(low, np.array(central), high)

    if isinstance(result, dict):
        return {key: summarize(value) for key, value in result.items()}
    return summarize(result)


def training_range(
    params,
    tokens,
    peak_flops,
    utilization,
    *,
    recompute=False,
    usd_per_gpu_hour=None,
    power_w=None,
    pue=1.0,
    grid_kg_per_kwh=None,
) -> dict:
    """Low / central / high of a training run, from :func:`llmcost.estimate.training_estimate`.

    Arguments as in ``training_estimate`` (params and tokens in counts, peak_flops in FLOP/s,
    utilization in (0, 1], USD per accelerator-hour, W per accelerator, PUE >= 1, kg CO2e/kWh);
    any of them may be a ``(low, central, high)`` tuple. Arrays are one value per model and
    broadcast. ``training_estimate`` runs once on every corner at the same time.
    Returns ``{output: Span}`` for flops (FLOP), gpu_hours, gpu_days, and, when their inputs are
    given, cost_usd (USD), energy_mwh (MWh) and co2_t (t CO2e). Every output is monotone in every
    input, so the min / max over the corners are the extremes of the box.
    """

    return corner_range(
        partial(training_estimate, recompute=recompute),
        params=params,
        tokens=tokens,
        peak_flops=peak_flops,
        utilization=utilization,
        usd_per_gpu_hour=usd_per_gpu_hour,
        power_w=power_w,
        pue=pue,
        grid_kg_per_kwh=grid_kg_per_kwh,
    )


def energy_range(gpu_hours, power_w, pue=1.0, grid_kg_per_kwh=None) -> dict:
    """Low / central / high of energy (MWh) and, with a grid intensity, emissions (t CO2e).

    From accelerator-hours already known (published), with :func:`llmcost.energy.energy_mwh` and
    :func:`llmcost.energy.co2_tonnes` (Patterson et al. 2021). Any argument may be a
    ``(low, central, high)`` tuple; both outputs are increasing in every input.
    Returns ``{"energy_mwh": Span, "co2_t": Span}`` (``co2_t`` only with a grid intensity).
    """
    return corner_range(energy_estimate, gpu_hours=gpu_hours, power_w=power_w, pue=pue, grid_kg_per_kwh=grid_kg_per_kwh)


# --- the inputs of one model's energy estimate, with where each comes from -------------------


POWER_SOURCES = ("published", "tdp")
"""``published``: the power a model's paper used (its ``power_w``), else the accelerator's TDP;
``tdp``: always the accelerator's TDP (``accelerator_specs.csv``)."""


def energy_inputs(name: str, mfu=0.4, power_source="published", pue=None, grid_kg_per_kwh=None) -> dict:
    """The inputs of one model's training-energy estimate, each with where it comes from.

    accelerator-hours: the model's published ``gpu_hours``; else ``accelerator_count x
    train_days x 24``; else 6PD at the model's published MFU (or ``mfu``) on its accelerator's
    peak at its training precision (:func:`llmcost.hardware.training_precision`), or ``None``
    when even that is unknown. power_w (W): see :data:`POWER_SOURCES`.
    pue and grid_kg_per_kwh (kg CO2e/kWh): the model's published values, else the given ones
    (default: the book's, :data:`llmcost.defaults.BOOK`: the PUE and US-average intensity
    Touvron et al. 2023a, Table 15, use).
    Returns a dict with ``gpu_hours``, ``power_w``, ``pue``, ``grid_kg_per_kwh`` (floats or
    None) and ``hours_from``, ``power_from``, ``pue_from``, ``grid_from`` (short texts).
    """
    mfu = check_fraction("mfu", mfu)
    power_source = check_choice("power_source", power_source, POWER_SOURCES)
    facts = model(name)
    gpu = facts.get("accelerator") or None
    tdp = accelerator(gpu).get("tdp_w") if gpu else None
    result = {"gpu_hours": None, "hours_from": "unknown"}
    if facts.get("gpu_hours") is not None:
        result.update(gpu_hours=facts["gpu_hours"], hours_from="published")
    elif facts.get("accelerator_count") is not None and facts.get("train_days") is not None:
        result.update(gpu_hours=float(cluster.cluster_gpu_hours(facts["accelerator_count"], facts["train_days"])), hours_from="count x days")
    elif gpu and facts.get("params_active") is not None and facts.get("tokens") is not None:
        used = facts.get("mfu", mfu)
        flops = training_flops(facts["params_active"], facts["tokens"])
        result.update(gpu_hours=float(cluster.gpu_hours(flops, _peak_flops(gpu, training_precision(gpu)), used)), hours_from=f"6PD at {used:.1%} MFU")
    if power_source == "published" and facts.get("power_w") is not None:
        result.update(power_w=facts["power_w"], power_from="published")
    else:
        result.update(power_w=tdp, power_from=f"{accelerator(gpu)['name']} TDP" if tdp is not None else "unknown")
    pue = defaults.value("pue") if pue is None else pue
    grid_kg_per_kwh = defaults.value("grid_kg_per_kwh") if grid_kg_per_kwh is None else grid_kg_per_kwh
    published_pue, published_grid = facts.get("pue"), facts.get("grid_kg_per_kwh")
    result.update(pue=published_pue if published_pue is not None else float(pue), pue_from="published" if published_pue is not None else "assumed")
    result.update(
        grid_kg_per_kwh=published_grid if published_grid is not None else float(grid_kg_per_kwh),
        grid_from="published" if published_grid is not None else "assumed",
    )
    return result


def pue_accounting(name: str) -> dict:
    """One model's training energy (MWh) and emissions (t CO2e) without and with its data
    centre's PUE, from its published inputs (:func:`energy_inputs`): the two accountings that
    published figures mix. Keys: ``gpu_hours``, ``hours_from``, ``power_w``, ``pue``, ``grid_kg_per_kwh``,
    ``mwh_without_pue``, ``t_without_pue``, ``mwh_with_pue``, ``t_with_pue``."""
    i = energy_inputs(name, power_source="published")
    row = {key: i[key] for key in ("gpu_hours", "hours_from", "power_w", "pue", "grid_kg_per_kwh")}
    for label, pue in (("without_pue", 1.0), ("with_pue", i["pue"])):
        row[f"mwh_{label}"] = float(energy_mwh(i["gpu_hours"], i["power_w"], pue))
        row[f"t_{label}"] = float(co2_tonnes(row[f"mwh_{label}"], i["grid_kg_per_kwh"]))
    return row
