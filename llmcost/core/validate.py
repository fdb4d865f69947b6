"""Input checks shared by every formula, the CLI and the chapters' validation cells.

Each check takes the parameter's *name* so that the error says which input is wrong
and what is allowed; nothing is clamped or guessed. Checks accept scalars and numpy
arrays alike and return the value as a float or a float array.

Numbers are ints, floats and arrays of them: strings (even ``"175e9"``), booleans, bool
arrays, ``None`` and complex numbers are refused; a whole-number check returns a numpy integer
scalar as a Python int, so that no fixed-width arithmetic (which wraps) happens downstream.
Flags are ``True`` or ``False`` only (:func:`check_flag`): ``"no"`` or ``0`` would be read as one.
A parameter named in :data:`RANGES` must also lie in its physically meaningful range, whichever
function it is passed to, so that no formula overflows or returns a count that wraps.
:func:`finite_result` guards each public formula: lists are arrays, array inputs must broadcast
together, and results must be finite.
"""

from __future__ import annotations

import functools
import os
import re

import numpy as np


WHOLE_NUMBER_TEXT = re.compile(r"[+-]?[0-9]+")
"""A whole number as a person or a CSV writes it, decimal (``010`` is ten)."""
DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
"""A decimal number as a person or a CSV writes it (``0.4``, ``.5``, ``1e3``): no ``inf``, ``nan``, ``1_000``."""


class InputError(ValueError):
    """A parameter is outside what a formula accepts; the message names it."""


class RunFailed(RuntimeError):
    """What was asked for could not be done for a reason other than its input (a chapter of an
    edition failed, a build broke): the CLI exits 1, not 2."""


RANGES: dict[str, tuple[float | None, float | None]] = {
    # name: (lowest, highest) allowed, inclusive; None leaves that end to the check itself.
    # Model and data (counts).
    "params": (None, 1e15),  # a quadrillion parameters, ~500x the largest model built
    "params_active": (None, 1e15),
    "params_total": (None, 1e15),
    "expert_params": (None, 1e15),
    "shared_params": (None, 1e15),
    "rm_params": (None, 1e15),
    "value_params": (None, 1e15),
    "tokens": (None, 1e17),  # ~100x all text ever written
    "reference_tokens": (None, 1e17),
    "layers": (None, 1e5),
    "d_model": (None, 1e7),
    "heads": (None, 1e6),
    "vocab": (None, 1e9),
    "context": (None, 1e10),
    "seq": (None, 1e10),
    "batch": (None, 1e10),
    "steps": (None, 1e7),  # toy-network training steps: 1e7 take about a minute
    # Hardware and cluster.
    "peak_flops": (1e9, 1e18),  # FLOP/s per accelerator: 1 GFLOP/s to 1 EFLOP/s
    "utilization": (1e-4, None),  # below 0.01 % no run is worth estimating
    "mfu": (1e-4, None),
    "utilization_from": (1e-4, None),
    "utilization_to": (1e-4, None),
    "compute_efficiency": (1e-4, None),  # achieved shares of peak FLOP/s and of HBM bandwidth
    "memory_efficiency": (1e-4, None),
    "allreduce_latency_s": (None, 1.0),  # seconds per all-reduce; NCCL's are ~1e-5
    "allreduce_latency_us": (None, 1e6),  # the CLI's --allreduce-latency-us, microseconds
    "gpus": (None, 1e8),  # accelerators: ~100x the largest cluster built
    "baseline_gpus": (None, 1e8),
    "days": (1e-3, 36500.0),  # a deadline from ~1.5 minutes to 100 years
    "peak_tflops": (1e-3, 1e6),  # the CLI's --peak-tflops, TFLOP/s: the range of peak_flops
    # Money and energy.
    "usd_per_gpu_hour": (None, 1e4),
    "operating_usd_per_gpu_hour": (None, 1e4),
    "usd_per_instance_hour": (None, 1e5),
    "usd_per_gpu": (None, 1e7),
    "power_w": (None, 1e5),  # W per accelerator, ~100x a B200
    "pue": (None, 5.0),
    "grid_kg_per_kwh": (None, 2.0),  # kg CO2e/kWh, ~2x a coal plant
    # Inference demand.
    "tokens_per_day": (None, 1e17),
    "requests_per_day": (None, 1e13),
    "queries_per_request": (None, 1e4),
    "words_per_query": (None, 1e7),
    "tokens_per_word": (None, 100.0),
}
"""The physically meaningful range of each named input, in the unit its functions document.
Every check of a parameter with this name enforces it, on top of the check's own rule."""

MAX_COUNT = 2**53
"""Largest whole count a result may hold: every integer up to it is exact in a float64."""


def _is_number_like(value) -> bool:
    return not (value is None or isinstance(value, (str, bytes, bool, np.bool_)))


def as_number(name: str, value):
    """Return ``value`` as a float (scalar) or float ndarray, or raise naming ``name``.

    Refuses strings, booleans (and bool arrays), ``None``, complex numbers and NaN.
    """
    if not _is_number_like(value):
        raise InputError(f"{name} must be a number, got {value!r}")
    try:
        arr = np.asarray(float(value) if isinstance(value, (int, np.integer)) else value)
    except OverflowError:
        raise InputError(f"{name} must be a finite number, got an integer of {len(str(value))} digits") from None
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if arr.dtype.kind not in "iuf":
        raise InputError(f"{name} must be a number or an array of numbers, got {value!r}")
    arr = arr.astype(float)
    if np.isnan(arr).any():
        raise InputError(f"{name} must be a number, got NaN")
    return float(arr) if arr.ndim == 0 else arr


def _describe(value) -> str:
    arr = np.asarray(value)
    return repr(arr.item()) if arr.ndim == 0 else f"an array containing {arr.ravel()[0].item()!r}"


def _check(name: str, value, bad, allowed: str):
    """Raise if ``bad`` (a mask) holds anywhere, or ``value`` leaves ``name``'s range in RANGES."""
    arr = np.asarray(value)
    low, high = RANGES.get(name, (None, None))
    bounds = []
    if low is not None:
        bad = bad | (arr < low)
        bounds.append(f"at least {low:g}")
    if high is not None:
        bad = bad | (arr > high)
        bounds.append(f"at most {high:g}")
    if bounds:
        allowed += f" ({' and '.join(bounds)})"
    if np.any(bad):
        first = arr[np.asarray(bad)] if arr.ndim else value
        raise InputError(f"{name} must be {allowed}, got {_describe(first)}")


def _in_range(name: str, number: float) -> bool:
    low, high = RANGES.get(name, (None, None))
    return (low is None or number >= low) and (high is None or number <= high)


def _scalar_fast_path(ok, keep_int: bool = False):
    """Decorator of a check: a Python ``int`` or ``float`` that ``ok`` (a predicate on the float)
    accepts and that lies in ``RANGES[name]`` is returned at once, as a float (an int stays an int
    with ``keep_int``), without numpy; anything else goes through the check itself, which says
    what is wrong. Scalar formulas call several checks each: this makes them about 5 times faster."""

    def wrap(check):
        @functools.wraps(check)
        def checked(name: str, value):
            kind = type(value)
            if kind is float or kind is int:
                try:
                    number = float(value)
                except OverflowError:
                    return check(name, value)
                if ok(number) and _in_range(name, number):
                    return value if keep_int and kind is int else number
            return check(name, value)

        return checked

    return wrap


_INF = float("inf")


@_scalar_fast_path(lambda number: 0 < number < _INF)
def check_positive(name: str, value):
    """Require a finite number > 0 (scalar or every element), within ``RANGES[name]``."""
    value = as_number(name, value)
    _check(name, value, ~np.isfinite(value) | (np.asarray(value) <= 0), "a finite number > 0")
    return value


@_scalar_fast_path(lambda number: 0 <= number < _INF)
def check_non_negative(name: str, value):
    """Require a finite number >= 0 (scalar or every element), within ``RANGES[name]``."""
    value = as_number(name, value)
    _check(name, value, ~np.isfinite(value) | (np.asarray(value) < 0), "a finite number >= 0")
    return value


@_scalar_fast_path(lambda number: 0 < number <= 1)
def check_fraction(name: str, value):
    """Require a utilization-like fraction in (0, 1], within ``RANGES[name]``."""
    value = as_number(name, value)
    arr = np.asarray(value)
    _check(name, value, ~((arr > 0) & (arr <= 1)), "a fraction in (0, 1]")
    return value


@_scalar_fast_path(lambda number: 0 <= number < 1)
def check_share(name: str, value):
    """Require a share in [0, 1) (e.g. an overhead or a margin), not a utilization."""
    value = as_number(name, value)
    arr = np.asarray(value)
    _check(name, value, ~((arr >= 0) & (arr < 1)), "a fraction in [0, 1)")
    return value


@_scalar_fast_path(lambda number: 1 <= number < _INF)
def check_at_least_one(name: str, value):
    """Require a finite number >= 1 (e.g. a PUE), within ``RANGES[name]``."""
    value = as_number(name, value)
    arr = np.asarray(value)
    _check(name, value, ~np.isfinite(arr) | (arr < 1), "a finite number >= 1")
    return value


@_scalar_fast_path(lambda number: 1 <= number <= MAX_COUNT and number == int(number), keep_int=True)
def check_count(name: str, value):
    """Require a whole number >= 1 (GPUs, layers, ranks), at most :data:`MAX_COUNT`.

    Returns an integer scalar (Python or numpy: ``np.int32``, ``np.uint8``...) as a Python int,
    which never wraps; a float as a float; an array as a float array.
    """
    number = as_number(name, value)
    arr = np.asarray(number)
    _check(name, number, ~np.isfinite(arr) | (arr < 1) | (arr != np.round(arr)) | (arr > MAX_COUNT), "a whole number >= 1")
    return int(value) if isinstance(value, (int, np.integer)) else number


def check_one_count(name: str, value) -> int:
    """Require one whole number >= 1, not an array (a size to lay out or loop over), as a Python int."""
    number = check_count(name, value)
    if np.ndim(number):
        raise InputError(f"{name} must be one whole number >= 1, not an array; got {_describe(number)}")
    return int(number)


def is_config_path(value) -> bool:
    """True when ``value`` names a Hugging Face ``config.json`` (a ``str`` or path ending in
    ``.json``) rather than a model of the dataset: where llmcost takes a model, either works."""
    return isinstance(value, (str, os.PathLike)) and os.fspath(value).endswith(".json")


def check_flag(name: str, value) -> bool:
    """Require ``True`` or ``False`` (a Python or numpy bool), returned as a Python bool.

    Text (``"no"``, ``"False"``), numbers (0, 1), ``None`` and arrays are refused: each would
    otherwise be read as a flag by its truth value, ``"False"`` as True.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(name: str, value, allowed):
    """Require ``value`` to be one of ``allowed`` (case-insensitive for strings; a bool is not a number)."""
    allowed = list(allowed)
    if isinstance(value, (bool, np.bool_)) and not any(isinstance(option, bool) for option in allowed):
        raise InputError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")
    key = value.lower() if isinstance(value, str) else value
    for option in allowed:
        if key == (option.lower() if isinstance(option, str) else option):
            return option
    raise InputError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")


def has_non_finite(result, allow_inf: bool = False) -> bool:
    """True if ``result`` (a number, an array, or a dict/list/tuple of them) holds NaN, or inf
    unless ``allow_inf``."""
    if type(result) is float:  # the common case, without numpy
        return result != result or (not allow_inf and result in (_INF, -_INF))
    if isinstance(result, dict):
        return any(has_non_finite(item, allow_inf) for item in result.values())
    if isinstance(result, (list, tuple)):
        return any(has_non_finite(item, allow_inf) for item in result)
    if isinstance(result, (float, np.floating, np.ndarray)):
        arr = np.asarray(result)
        return arr.dtype.kind == "f" and bool((np.isnan(arr) if allow_inf else ~np.isfinite(arr)).any())
    return False


def as_array(value):
    """A list or tuple of numbers (or bools) as a numpy array; anything else unchanged (text, a
    ragged list and the like are left for the parameter's own check to refuse, showing them)."""
    if not isinstance(value, (list, tuple)):
        return value
    try:
        arr = np.asarray(value)
    except ValueError:
        return value
    return arr if arr.dtype.kind in "biuf" else value


def check_broadcast(named: dict) -> None:
    """Raise :class:`InputError` naming the first two inputs of ``named`` (name -> value) whose
    shapes do not broadcast together; inputs without a shape (scalars, text, dicts) take no part."""
    shapes: dict[str, tuple] = {}
    for name, value in named.items():
        shape = getattr(value, "shape", None)
        if not isinstance(shape, tuple):
            continue
        for other, other_shape in shapes.items():
            try:
                np.broadcast_shapes(other_shape, shape)
            except ValueError:
                raise InputError(f"{other} (shape {other_shape}) and {name} (shape {shape}) do not broadcast") from None
        shapes[name] = shape


@functools.lru_cache(maxsize=None)
def _signature(function):
    """``function``'s signature, read on first need (inspect costs start-up time)."""
    import inspect

    return inspect.signature(function)


_PLAIN_ARGUMENTS = (float, int, str, bool, type(None), dict)
"""Argument types that are never arrays: :func:`finite_result` skips looking into them."""


def finite_result(function=None, *, allow_inf: bool = False):
    """Decorator of a public formula: a list or tuple argument is taken as an array
    (:func:`as_array`), array arguments that do not broadcast together raise :class:`InputError`
    naming them (:func:`check_broadcast`), and so does an infinite or NaN result. ``allow_inf``
    (``@finite_result(allow_inf=True)``) lets through the ``inf`` a formula documents (e.g. "never")."""
    if function is None:
        return functools.partial(finite_result, allow_inf=allow_inf)

    @functools.wraps(function)
    def checked(*args, **kwargs):
        call = args, kwargs
        if any(type(value) not in _PLAIN_ARGUMENTS and (isinstance(value, (list, tuple)) or getattr(value, "ndim", 0))
               for value in (*args, *kwargs.values())):
            bound = _signature(function).bind(*args, **kwargs)  # only when an array may be among them: binding is slow
            for name, value in bound.arguments.items():
                bound.arguments[name] = as_array(value)
            check_broadcast(bound.arguments)
            call = bound.args, bound.kwargs
        result = function(*call[0], **call[1])
        if has_non_finite(result, allow_inf):
            shown = ", ".join([*(f"{a!r}" for a in args), *(f"{k}={v!r}" for k, v in kwargs.items())])
            raise InputError(
                f"{function.__name__}({shown}) has no finite result: the inputs together are beyond what "
                "the formula can represent; see llmcost.validate.RANGES for each input's range"
            )
        return result

    return checked


def check_whole_count(name: str, value) -> None:
    """Require a count that a float64 holds exactly: finite, >= 0 and at most :data:`MAX_COUNT`."""
    value = as_number(name, value)
    arr = np.asarray(value)
    if np.any(~np.isfinite(arr) | (arr < 0) | (arr > MAX_COUNT)):
        bad = arr[~np.isfinite(arr) | (arr < 0) | (arr > MAX_COUNT)] if arr.ndim else value
        raise InputError(f"{name} must be a finite count in [0, 2**53]; got {_describe(bad)}")



def plain(value):
    """``value`` as a Python float when it is a scalar (0-d), else as a float numpy array."""
    return float(value) if np.ndim(value) == 0 else np.asarray(value, dtype=float)


@_scalar_fast_path(lambda number: -_INF < number < _INF)
def check_finite(name: str, value):
    """Require finite numbers of any sign (a scalar or an array), within ``RANGES[name]``."""
    number = as_number(name, value)
    _check(name, number, ~np.isfinite(np.asarray(number)), "a finite number")
    return number
