"""Bad input never gives a wrong number, a traceback or invalid JSON (issue: hostile input).

* The public functions of ``llmcost`` (its top-level numeric API) give the same value for a
  scalar and for a one-element array, a finite result, and counts that never wrap; any value
  that is not a number in range (strings, booleans, None, NaN, inf, huge ints, complex) raises
  ``InputError`` (a ValueError) or ``TypeError`` naming the parameter.
* Flags take True or False only; a numpy integer acts as the Python int (it never wraps);
  arrays that do not broadcast are refused naming both parameters and their shapes; a list is
  an array (issue 16: values read as the user did not mean them).
* The CLI, driven by hypothesis with arbitrary option values, exits 0 with strict JSON holding
  only finite numbers and non-negative counts, or exits 2 with one line; never anything else.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import math
import pkgutil
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import llmcost
from llmcost import cli, pipeline, serving, toynet, transformer
from llmcost.core.validate import RANGES, InputError

FORMULA_MODULES = ("flops", "cluster", "cost", "energy", "demand", "estimate", "memory", "parallelism", "sizing", "stages", "decoding")
"""The modules of scalar formulas: every public function of theirs is driven here."""


def _names_checked_by(check: str) -> set[str]:
    names = set()
    for module in FORMULA_MODULES:
        source = inspect.getsource(getattr(llmcost, module))
        names |= set(re.findall(rf'{check}\("([a-z_0-9]+)"', source))
    return names


COUNT_PARAMETERS = _names_checked_by("check_count") | {"gpus"}
"""Parameters that must be whole numbers (drawn as ints), read from the modules' check_count calls."""
CHOICE_PARAMETERS = _names_checked_by("check_choice") | _names_checked_by("check_flag") | {"model", "ident"}
"""Parameters that take a name or a flag: given their default (or a ZeRO stage), never fuzzed."""

# Ranges for parameters that RANGES leaves open (derived quantities), drawn log-uniformly.
DERIVED = {
    "flops": (1e10, 1e30), "gpu_hours": (1.0, 1e12), "energy_mwh": (0.0, 1e9), "unit_cost": (0.0, 1e3),
    "unit_price": (1e-3, 1e3), "usd_per_1k_tokens": (1e-6, 1e3), "other_hardware_share": (0.0, 1.0),
    "datacenter_share": (0.0, 1.0), "staff_usd": (0.0, 1e9), "count": (0.0, 1e12), "context": (0, 1e6),
    "gpus": (1, 1e6), "layers": (1, 200), "d_model": (1, 65536), "vocab": (1, 1e6), "ffn_dim": (1, 262144),
    "experts_routed": (1, 64), "gpus_per_server": (1, 16), "gpus_per_instance": (1, 16), "days": (1.0, 1e3),
}
def _formulas():
    """(qualified name, function) of every public function of FORMULA_MODULES with a numeric
    parameter; a function that takes a dict (a table of results, such as ``stages.stage_time``)
    is not a scalar formula and has its own tests."""
    found = {}
    for module_name in FORMULA_MODULES:
        module = getattr(llmcost, module_name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                parameters = inspect.signature(function).parameters.values()
                numeric = [p.name for p in parameters if p.name not in CHOICE_PARAMETERS]
                takes_dict = any(p.annotation in ("dict", dict) for p in parameters)
                if numeric and not takes_dict and not name.startswith("instructgpt_"):
                    found[f"{module_name}.{name}"] = function
    return found


FORMULAS = _formulas()
NUMERIC_API = sorted(FORMULAS)
HOSTILE = ["175e9", "", True, np.bool_(False), np.array([True]), None, float("nan"), float("inf"), -float("inf"),
           10**400, complex(1, 1), [1.0, "x"], object()]


def _range(name):
    low, high = DERIVED.get(name) or RANGES.get(name) or (1e-3, 1e6)
    if name in RANGES and name not in DERIVED:
        low = low if low is not None else 1.0
        high = high if high is not None else 1e6
    return low, high


def _value(name):
    """A strategy for a valid value of the parameter called ``name``."""
    low, high = _range(name)
    if name in COUNT_PARAMETERS or name == "gpus":
        return st.integers(int(max(low, 1)), int(high))
    if low <= 0:
        return st.one_of(st.just(0.0), st.floats(1e-6, high))
    exponent = st.floats(math.log10(low), math.log10(high))
    return exponent.map(lambda e: float(min(max(10.0**e, low), high)))


def _valid(name):
    """The lowest valid value of a parameter (1 for counts)."""
    low, high = _range(name)
    if name in COUNT_PARAMETERS or name == "gpus":
        return max(int(low), 1)
    return float(low) if low > 0 else min(1.0, float(high))


def _numeric_parameters(function):
    return [p for p in inspect.signature(function).parameters.values() if p.name not in CHOICE_PARAMETERS]


def _choices(function, data=None) -> dict:
    """Values for a function's choice parameters: a ZeRO stage drawn from 0-3, else nothing (the default)."""
    if "stage" in inspect.signature(function).parameters:
        return {"stage": data.draw(st.sampled_from([0, 1, 2, 3]), label="stage") if data else 3}
    return {}


INFINITE_BY_DESIGN = {"sizing.min_data_parallel_for_zero", "sizing.rent_vs_buy_breakeven_hours",
                      "decoding.sustained_batch", "decoding.time_per_output_token"}
"""Documented to return inf for "never" (no number of ranks fits; renting never costs more; the
server cannot keep up with the request rate)."""


def _same(scalar, array, infinite_allowed=False):
    if isinstance(scalar, dict):
        assert set(scalar) == set(array)
        for key in scalar:
            _same(scalar[key], array[key], infinite_allowed)
        return
    value = np.asarray(array)
    assert value.size == 1, f"one-element input gave {value.size} elements"
    if isinstance(scalar, (int, np.integer)):
        assert int(value.item()) == scalar
        assert scalar >= 0, f"a count is negative: {scalar}"
    elif infinite_allowed and scalar == math.inf:
        assert value.item() == math.inf
    else:
        assert math.isfinite(scalar), scalar
        assert value.item() == pytest.approx(scalar, rel=1e-12, abs=0.0)


@pytest.mark.parametrize("name", NUMERIC_API)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_scalar_and_one_element_array_agree(name, data):
    """Same value for a scalar and a one-element array; finite; counts whole and not negative."""
    function = FORMULAS[name]
    kwargs = {p.name: data.draw(_value(p.name), label=p.name) for p in _numeric_parameters(function)
              if p.default is inspect.Parameter.empty or data.draw(st.booleans(), label=f"give {p.name}")}
    choices = _choices(function, data)
    try:
        scalar = function(**kwargs, **choices)
    except InputError:
        with pytest.raises(InputError):
            function(**{k: np.array([v]) for k, v in kwargs.items()}, **choices)
        return
    array = function(**{k: np.array([v]) for k, v in kwargs.items()}, **choices)
    _same(scalar, array, infinite_allowed=name in INFINITE_BY_DESIGN)


@pytest.mark.parametrize("name", NUMERIC_API)
@pytest.mark.parametrize("bad", HOSTILE, ids=repr)
def test_non_numbers_are_refused_naming_the_parameter(name, bad):
    """A value that is not a number in range raises InputError or TypeError that names the parameter."""
    function = FORMULAS[name]
    parameters = _numeric_parameters(function)
    valid = {p.name: _valid(p.name) for p in parameters if p.default is inspect.Parameter.empty} | _choices(function)
    for parameter in parameters:
        if bad is None and parameter.default is None:
            continue  # None is that parameter's default: "not given"
        kwargs = {**valid, parameter.name: bad}
        with pytest.raises((InputError, TypeError)) as failure:
            function(**kwargs)
        assert parameter.name in str(failure.value), f"{name}({parameter.name}={bad!r}): {failure.value}"


def test_known_wrong_numbers_are_gone():
    """The cases that gave a wrong number silently now raise or give the right one."""
    with pytest.raises(InputError, match="gpus"):
        llmcost.servers(np.array([1e19]))
    with pytest.raises(InputError, match="count"):
        llmcost.whole(-5.0)
    assert llmcost.whole(1e-12) == 1 and llmcost.whole(0.0) == 0 and llmcost.whole(1558.0000000001) == 1558
    with pytest.raises(InputError, match="usd_per_1k_tokens must be at least the cost at 100 % utilization"):
        llmcost.utilization_for_serving_cost(0.0001, 175e9, 2.4, 312e12)
    with pytest.raises(InputError, match="params"):
        llmcost.training_flops(1e200, 1e200)
    with pytest.raises(InputError, match="gpus"):
        llmcost.purchase_cost(1e300, 1e300)


# --- values read as the user did not mean them: flags, numpy integers, shapes, lists ----------

NOT_FORMULA_MODULES = {"cli", "editions", "chapter_parameters", "validate"}
"""The checks themselves, and command-line and chapter-parameter plumbing: their flags come from
argparse and from ``parameters.check_flag``, not from a caller of the library."""


def _flag_options():
    """(qualified name, function, flag) for every boolean option (a True/False default) of a
    public function of llmcost, whichever module it is in."""
    found = []
    for info in pkgutil.walk_packages(llmcost.__path__, "llmcost."):
        short = info.name.rsplit(".", 1)[-1]
        if info.ispkg or short in NOT_FORMULA_MODULES:
            continue
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                for parameter in inspect.signature(function).parameters.values():
                    if isinstance(parameter.default, bool):
                        found.append((f"{short}.{name}", function, parameter.name))
    return found


FLAG_OPTIONS = _flag_options()
TOY = {"layers": 2, "d_model": 8, "heads": 2, "ffn_dim": 32, "mlp_matrices": 2, "vocab": 10, "embedding_matrices": 1, "context": 16}
"""A tiny architecture record, enough for every count of llmcost.architecture."""
FLAG_CALLS = {
    "flops.flops_per_param_per_token": {},
    "flops.training_flops": {"params": 1e9, "tokens": 1e9},
    "flops.attention_flops_per_token": {"layers": 2, "d_model": 8, "context": 16},
    "flops.training_flops_with_attention": {"params": 1e9, "tokens": 1e9, "layers": 2, "d_model": 8, "context": 16},
    "architecture.transformer_params": {"layers": 2, "d_model": 8, "vocab": 10},
    "architecture.attention_training_flops_per_token": {"model": TOY},
    "architecture.forward_flops_per_token": {"model": TOY, "context": 16},
    "estimate.training_estimate": {"params": 1e9, "tokens": 1e9, "peak_flops": 1e14, "utilization": 0.5},
    "ranges.training_range": {"params": 1e9, "tokens": 1e9, "peak_flops": 1e14, "utilization": 0.5},
    "stages.grpo_flops_per_token": {"params": 1e9},
    "stages.grpo_flops": {"params": 1e9, "questions_per_step": 32, "samples_per_question": 16, "steps": 10, "tokens_per_sample": 1000},
    "market.current_quotes": {"accelerator": "h100"},
    "market.rental_summary": {"accelerator": "h100"},
    "memory.activation_bytes_per_layer": {"seq": 16, "batch": 1, "hidden": 8, "heads": 2, "tensor_parallel": 2},
    "parallelism.tensor_parallel_allreduce_bytes": {"batch": 1, "seq": 16, "hidden": 8, "layers": 2},
    "parallelism.expert_alltoall_bytes": {"tokens": 16, "hidden": 8, "experts_routed": 2, "moe_layers": 2, "expert_parallel": 4},
    "transformer.attention_weights": {"q": np.ones((3, 4)), "k": np.ones((3, 4))},
    "transformer.scaled_dot_product_attention": {"q": np.ones((3, 4)), "k": np.ones((3, 4)), "v": np.ones((3, 2))},
    "transformer.multi_head_attention": {"x": np.ones((3, 4)), "w_q": np.eye(4), "w_k": np.eye(4), "w_v": np.eye(4), "heads": 2},
    "calibration.flops_table": {},
    "figures.label_sides": {"x": [1.0, 2.0], "y": [1.0, 2.0]},
}
"""A valid call of each function with a flag, the flag left out."""
NOT_FLAGS = ["no", "False", "", 0, 1, 1.0, None, np.array([True]), np.int64(1)]


def test_every_flag_has_a_call():
    assert {name for name, _, _ in FLAG_OPTIONS} == set(FLAG_CALLS)


@pytest.mark.parametrize(("name", "function", "flag"), FLAG_OPTIONS, ids=[f"{n}-{f}" for n, _, f in FLAG_OPTIONS])
def test_flags_take_true_or_false_only(name, function, flag):
    """Text, numbers, None and arrays are refused in one line naming the flag; a numpy bool is a bool."""
    kwargs = FLAG_CALLS[name]
    for bad in NOT_FLAGS:
        with pytest.raises(InputError, match=rf"^{flag} must be True or False, got .+$") as failure:
            function(**kwargs, **{flag: bad})
        assert "\n" not in str(failure.value)
    default = inspect.signature(function).parameters[flag].default
    _agree(function(**kwargs, **{flag: np.bool_(not default)}), function(**kwargs, **{flag: not default}))


def _outcome(function, kwargs):
    """``function(**kwargs)``, or InputError when it refuses the inputs."""
    try:
        return function(**kwargs)
    except InputError:
        return InputError


def _agree(a, b):
    """Both refused, or the same values (numbers, arrays of the same shape, dicts of them, tables, texts)."""
    if a is InputError or b is InputError:
        assert a is b, (a, b)
    elif hasattr(a, "equals") or (isinstance(a, list) and all(isinstance(item, str) for item in a)):
        assert a.equals(b) if hasattr(a, "equals") else a == b
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _agree(a[key], b[key])
    elif isinstance(a, (str, type(None))):
        assert a == b
    elif isinstance(a, list) and any(isinstance(item, dict) for item in a):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _agree(x, y)
    else:
        np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-12, atol=0)


INTEGER_TYPES = (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64)
COUNTED = [name for name in NUMERIC_API if any(p.name in COUNT_PARAMETERS for p in _numeric_parameters(FORMULAS[name]))]


@pytest.mark.parametrize("name", COUNTED)
def test_numpy_integers_at_their_limits_act_as_python_ints(name):
    """Each count parameter alone, then all of them at once, at a numpy integer type's max (and
    half of it), as a scalar or a one-element array: the Python int's result, or both refused."""
    function = FORMULAS[name]
    parameters = _numeric_parameters(function)
    valid = {p.name: _valid(p.name) for p in parameters if p.default is inspect.Parameter.empty} | _choices(function)
    counts = [p.name for p in parameters if p.name in COUNT_PARAMETERS]

    def call(names, value):
        return _outcome(function, {**valid, **{name: value for name in names}})

    for kind in INTEGER_TYPES:
        for top in (int(np.iinfo(kind).max), int(np.iinfo(kind).max) // 2 + 1):
            for names in [[count] for count in counts] + [counts]:
                _agree(call(names, kind(top)), call(names, top))
                _agree(call(names, np.array([top], dtype=kind)), call(names, np.array([float(top)])))


def test_known_integer_wraps_are_gone():
    assert llmcost.parallelism.layout_gpus(np.uint8(255), np.uint8(255), 1) == 65025
    with pytest.raises(InputError, match="at most 1e\\+08 GPUs, got 137438953408"):
        llmcost.parallelism.layout_gpus(np.int32(2**31 - 1), 8, 8)
    assert llmcost.flops.non_embedding_params(np.int8(127), 8) == llmcost.flops.non_embedding_params(127, 8)
    assert llmcost.transformer_params(2, np.int16(16384), 10) == llmcost.transformer_params(2, 16384, 10)
    # batch x tokens wrapped in int16: "message_bytes must be a finite number >= 0, got -509083648.0"
    small = serving.serving_estimate("llama-2-70b", "h100", gpus=8, batch=np.int8(100), prompt_tokens=np.int16(1000),
                                     output_tokens=np.int16(1000))
    python = serving.serving_estimate("llama-2-70b", "h100", gpus=8, batch=100, prompt_tokens=1000, output_tokens=1000)
    assert {key: small[key] for key in ("prefill_s", "decode_s")} == {key: python[key] for key in ("prefill_s", "decode_s")}


@pytest.mark.parametrize("name", [name for name in NUMERIC_API if len(_numeric_parameters(FORMULAS[name])) > 1])
def test_shapes_that_do_not_broadcast_are_refused_naming_both(name):
    """Every pair of numeric parameters, shapes (2,) and (3,): one line naming both and their shapes."""
    function = FORMULAS[name]
    parameters = [p.name for p in _numeric_parameters(function)]
    valid = {p: _valid(p) for p in parameters} | _choices(function)
    for i, first in enumerate(parameters):
        for second in parameters[i + 1:]:
            kwargs = {**valid, first: np.full(2, valid[first]), second: np.full(3, valid[second])}
            message = rf"^{first} \(shape \(2,\)\) and {second} \(shape \(3,\)\) do not broadcast$"
            with pytest.raises(InputError, match=message):
                function(**kwargs)


@pytest.mark.parametrize("name", NUMERIC_API)
def test_a_list_is_an_array(name):
    """Each numeric parameter as a list gives what the same numbers as an array give (or both are refused)."""
    function = FORMULAS[name]
    parameters = _numeric_parameters(function)
    valid = {p.name: _valid(p.name) for p in parameters if p.default is inspect.Parameter.empty} | _choices(function)
    for p in parameters:
        value = _valid(p.name)
        _agree(_outcome(function, {**valid, p.name: [value, value]}), _outcome(function, {**valid, p.name: np.array([value, value])}))


@pytest.mark.parametrize(("function", "kwargs", "name"), [
    (pipeline.pipeline_schedule, {"stages": [2, 3], "microbatches": 4}, "stages"),
    (transformer.causal_mask, {"queries": 2, "keys": np.array([3, 4])}, "keys"),
    (toynet.train, {"steps": np.array([2])}, "steps"),
])
def test_a_size_laid_out_or_looped_over_is_one_number(function, kwargs, name):
    """Functions that build a schedule, a mask or a loop take one number: an array is refused naming it."""
    with pytest.raises(InputError, match=rf"^{name} must be one whole number >= 1, not an array"):
        function(**kwargs)


# --- the CLI -------------------------------------------------------------------------------

NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["--", "", "-1", "0", "1e-324", "5e-324", "1e308", "1e400", "abc", "175e9x", "0x10", "1_000",
                     " 7 ", "nan", "inf", "-inf", "1e9", "0.5", "8", "2.5", "1e15", "1e17", "30"]),
)
NAME_TEXT = st.sampled_from(["gpt-3", "GPT-4", "llama-2-70b", "gpt-1", "nope", "", "a100", "H100", "tpu-v9", "--"])
TRAIN_OPTIONS = ["--params", "--active-params", "--tokens", "--peak-tflops", "--mfu", "--gpus", "--days", "--price",
                 "--power-w", "--pue", "--grid"]
INFER_OPTIONS = ["--params", "--tokens-per-day", "--requests-per-day", "--queries-per-request", "--words-per-query",
                 "--tokens-per-word", "--peak-tflops", "--mfu", "--price"]


@st.composite
def command_lines(draw):
    command = draw(st.sampled_from(["train", "infer"]))
    argv = [command]
    for option in draw(st.lists(st.sampled_from(TRAIN_OPTIONS if command == "train" else INFER_OPTIONS), max_size=6)):
        value = draw(NUMBER_TEXT)
        argv += [f"{option}={value}"] if draw(st.booleans()) else [option, value]
    for option in ("--model", "--gpu"):
        if draw(st.booleans()):
            argv += [option, draw(NAME_TEXT)]
    if draw(st.booleans()):
        argv += ["--precision", draw(st.sampled_from(["bf16", "fp8", "fp4", "FP16"]))]
    if command == "train" and draw(st.booleans()):
        argv.append("--recompute")
    return argv + ["--json"]


def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(argv)
        except SystemExit as exit_:
            status = exit_.code
    return status, out.getvalue(), err.getvalue()


def _strict(text):
    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def _walk_numbers(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk_numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_numbers(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


@settings(max_examples=300, deadline=None)
@given(command_lines())
def test_cli_exits_0_with_strict_json_or_2_with_one_line(argv):
    status, out, err = run_cli(argv)
    if status == 0:
        result = _strict(out)
        assert all(math.isfinite(number) for number in _walk_numbers(result)), out
        for key in ("gpus", "gpus_whole", "servers"):
            if key in result:
                assert result[key] >= 0, out
        assert not err
    else:
        assert status == 2, (argv, status, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("llmcost"), (argv, err)
        assert not out


@pytest.mark.parametrize("argv", [["train", "--mod", "gpt-3"], ["infer", "--tokens-per", "1e9", "--params", "1e9"]])
def test_abbreviated_options_are_refused(argv):
    status, _, err = run_cli(argv)
    assert status == 2 and "unrecognized arguments" in err


def test_model_with_params_replaces_only_the_total_for_moe():
    """--params next to an MoE --model replaces its total; the active count stays the dataset's."""
    status, out, _ = run_cli(["train", "--model", "gpt-4", "--params", "1.8e12", "--json"])
    result = _strict(out)
    facts = llmcost.model("gpt-4")
    assert status == 0
    assert result["inputs"]["active_params"] == facts["params_active"]
    assert result["flops"] == pytest.approx(6 * facts["params_active"] * facts["tokens"])
    assert result["input_sources"]["params"] == "option --params"
    assert result["input_sources"]["active_params"] == "dataset: gpt-4"
    assert result["input_sources"]["tokens"] == "dataset: gpt-4"


def test_model_with_params_replaces_both_for_a_dense_model():
    status, out, _ = run_cli(["train", "--model", "gpt-3", "--params", "1e9", "--json"])
    result = _strict(out)
    assert status == 0 and result["inputs"]["active_params"] == 1e9
    assert result["flops"] == pytest.approx((6 * 1e9 + result["inputs"]["attention_flops_per_token"]) * 300e9, rel=1e-12)


@pytest.mark.parametrize(("argv", "message"), [
    (["train", "--params", "1e9", "--tokens", "1e9", "--peak-tflops", "100", "--precision", "fp8"],
     "--precision selects --gpu's datasheet peak"),
    (["infer", "--params", "1e9", "--tokens-per-day", "1e9", "--requests-per-day", "5"], "not allowed with argument --tokens-per-day"),
    (["infer", "--params", "1e9", "--tokens-per-day", "1e9", "--tokens-per-word", "2"], "--tokens-per-word only apply with --requests-per-day"),
    (["train", "--params", "1e9", "--tokens", "1e9", "--days=--"], "argument --days: expected a value, got '--'"),
    (["train", "--params", "1e9", "--tokens", "1e9", "--days", "1e300"], "argument --days: must be a finite number > 0 (at least 0.001 and at most 36500), got 1e+300"),
    (["train", "--params", "1e15", "--tokens", "1e17", "--days", "0.001"], "--days must leave at most 1e+08 accelerators"),
])
def test_combinations_and_ranges_are_explained(argv, message):
    status, out, err = run_cli(argv)
    assert status == 2 and not out and message in err, err


def test_closed_pipe_ends_quietly():
    import subprocess
    import sys

    proc = subprocess.run(f"{sys.executable} -m llmcost.cli models | head -1", shell=True, capture_output=True, text=True, timeout=60)
    assert proc.stdout.startswith("id") and proc.stderr == ""
