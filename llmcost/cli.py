"""The ``llmcost`` command: train, infer, serve, layout, book, models, gpus. Each has ``--help`` and ``--json``.

Bad input exits with status 2 and one line naming the option, the value and what is allowed;
any other input exits 0. Every number option is checked against its range in
``llmcost.validate.RANGES`` as it is parsed; options that would be ignored in a combination
are refused; ``--json`` prints strict JSON (never NaN or Infinity); a closed pipe ends quietly.
Only numpy and the standard library are imported on this path (no pandas, no plotting).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

from .running import architecture, serving
from .formulas import cluster, cost, demand, estimate, flops, memory
from .catalog import datasets, defaults, hardware
from .core.validate import (
    RANGES,
    InputError,
    RunFailed,
    check_at_least_one,
    check_choice,
    check_count,
    check_fraction,
    check_non_negative,
    check_positive,
    has_non_finite,
    is_config_path,
)

DEFAULT_GPU = defaults.value("gpu")
DEFAULT_PRECISION = defaults.value("precision")
DEFAULT_MFU = defaults.REFERENCE_MFU.value  # PaLM 540B's reported MFU (full attention counted), where no calibration applies


OPTIONS = {
    "params": "--params", "params_active": "--active-params", "tokens": "--tokens", "gpu": "--gpu",
    "precision": "--precision", "peak_tflops": "--peak-tflops", "mfu": "--mfu", "utilization": "--mfu",
    "gpus": "--gpus", "days": "--days", "usd_per_gpu_hour": "--price", "power_w": "--power-w", "pue": "--pue",
    "grid_kg_per_kwh": "--grid", "tokens_per_day": "--tokens-per-day", "requests_per_day": "--requests-per-day",
    "queries_per_request": "--queries-per-request", "words_per_query": "--words-per-query",
    "tokens_per_word": "--tokens-per-word", "model": "--model", "convention": "--convention",
    "batch": "--batch", "prompt_tokens": "--prompt-tokens", "output_tokens": "--output-tokens",
    "compute_efficiency": "--compute-efficiency", "memory_efficiency": "--memory-efficiency",
    "allreduce_latency_us": "--allreduce-latency-us", "context": "--context", "layout": "--layout",
    "weight_precision": "--weight-precision", "kv_precision": "--kv-precision", "global_batch": "--batch",
    "seq": "--seq", "optimizer": "--optimizer", "gpus_per_node": "--gpus-per-node", "network_gbps": "--network-gbps",
}
"""The library parameter each option feeds: its range (``RANGES``) applies to the option, and a
library message naming the parameter is reworded to name the option."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit 2, and that refuses abbreviated options."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")

    def _get_values(self, action, arg_strings):
        # argparse drops a "--" given as an option's value (--days=--) and stores [] without
        # calling the option's type: refuse it instead.
        if action.option_strings and action.nargs is None and "--" in arg_strings:
            self.error(f"argument {'/'.join(action.option_strings)}: expected a value, got '--'")
        return super()._get_values(action, arg_strings)


def _range_help(name: str) -> str:
    low, high = RANGES.get(name, (None, None))
    bounds = [f">= {low:g}" if low is not None else "", f"<= {high:g}" if high is not None else ""]
    return " and ".join(b for b in bounds if b)


def _option_type(check, name):
    """An argparse type: the text as a float, checked by ``check`` under the library name ``name``."""

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        try:
            return check(name, value)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc).replace(f"{name} ", "", 1)) from None

    parse.__name__ = name
    return parse


class _BrokenData(Exception):
    """A dataset error met while parsing an option: not argparse's to report (it is no bad input)."""

    def __init__(self, error: Exception):
        super().__init__(str(error))


def _name_type(resolve):
    def parse(text):
        try:
            return resolve(text)
        except datasets.DataError as exc:
            raise _BrokenData(exc) from None
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _choice(name: str, allowed):
    """An argparse type accepting one of ``allowed`` (case-insensitive); its error lists them."""

    def parse(text):
        try:
            return check_choice(name, text, allowed)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc).replace(f"{name} ", "", 1)) from None

    parse.__name__ = name
    return parse


_precision = _choice("precision", hardware.PRECISIONS)


def _storage(name: str):
    """An option's type: a storage format of ``memory.STORAGE_FORMATS`` (bytes per value known)."""
    return _choice(name, memory.STORAGE_FORMATS)


def _model_record(text: str) -> dict:
    """--model: a model of the dataset by name, or a Hugging Face config.json by path."""
    if is_config_path(text):
        from .running import hf_config

        return hf_config.model_record(text)
    return datasets.model(text)


GPU = _name_type(datasets.accelerator)
MODEL = _name_type(_model_record)
"""--gpu and --model become the dataset's records at the boundary: each name is resolved once."""


def _number(parser, flag, check, name, help_text, **kwargs):
    """Add a number option ``flag`` checked by ``check`` and ``RANGES[name]``; its range goes in --help."""
    allowed = _range_help(name)
    parser.add_argument(flag, type=_option_type(check, name), help=f"{help_text}{'; ' + allowed if allowed else ''}", **kwargs)


def _add_hardware_options(parser, mfu_help):
    group = parser.add_argument_group("hardware")
    group.add_argument("--gpu", type=GPU, help=f"accelerator name or alias (default {DEFAULT_GPU}; see `llmcost gpus`)")
    group.add_argument("--precision", type=_precision, help=f"one of {', '.join(hardware.PRECISIONS)} (default {DEFAULT_PRECISION}); selects the datasheet peak of --gpu, so not with --peak-tflops")
    _number(group, "--peak-tflops", check_positive, "peak_tflops", "a custom dense peak, TFLOP/s per accelerator, at the run's precision (instead of --gpu's datasheet)")
    _number(group, "--mfu", check_fraction, "mfu", mfu_help)
    group.add_argument("--json", action="store_true", help="print one JSON object (strict JSON)")


COMMANDS = {
    "train": "training FLOPs, GPU-hours, cluster, cost, energy, CO2",
    "infer": "inference FLOPs per day, accelerators, cost per 1k tokens",
    "serve": "serving roofline: prefill, decode step, throughput, max batch, cost per 1k tokens",
    "layout": "the fastest tensor/pipeline/data-parallel layout of a training step that fits, and why it wins",
    "book": "your own edition of the book: chapters re-run with your parameters, as HTML",
    "models": "list the models in the dataset",
    "gpus": "list the accelerators in the dataset",
}
"""Each command of ``llmcost`` and its one-line help."""


def _add_train(sub) -> None:
    """The options of ``llmcost train``: the model, the hardware, the cluster, price and energy."""
    train = sub.add_parser("train", help=COMMANDS["train"])
    train.add_argument("--model", type=MODEL, help="a model from the dataset (see `llmcost models`) or a Hugging Face config.json (then give --tokens); an option given with it replaces the one fact it names")
    _number(train, "--params", check_positive, "params", "total parameters, count (a dense model's active ones too; with an MoE --model only its total)")
    _number(train, "--active-params", check_positive, "params_active", "parameters active per token, count (MoE)")
    _number(train, "--tokens", check_positive, "tokens", "training tokens, count")
    _number(train, "--context", lambda name, value: int(check_count(name, value)), "context",
            "tokens per training sequence, for the attention term (default: the model's pre-training context; "
            "a config.json states none, so without it a config is counted as 6PD)")
    train.add_argument("--recompute", action="store_true", help="count activation recomputation: 8PD instead of 6PD (--mfu is then HFU)")
    train.add_argument("--convention", type=_choice("convention", flops.CONVENTIONS),
                       help=f"how FLOPs are counted: {', '.join(flops.CONVENTIONS)} (default: 6PD+attention when --model's "
                            "architecture is known, else 6PD); --mfu must be measured the same way")
    _add_hardware_options(train, "model FLOPs utilization in (0, 1], in --convention's count (default: the calibrated utilization "
                                 "of --gpu at --precision on 6PD, llmcost.calibration.training_utilization; where none applies, "
                                 f"PaLM 540B's {DEFAULT_MFU} restated in --convention)")
    size = train.add_mutually_exclusive_group()
    _number(size, "--gpus", lambda name, value: int(check_count(name, value)), "gpus", "accelerators used -> wall_days, servers")
    _number(size, "--days", check_positive, "days", "deadline in days -> gpus, servers")
    _number(train, "--price", check_positive, "usd_per_gpu_hour", "USD per accelerator-hour -> cost_usd")
    _number(train, "--power-w", check_non_negative, "power_w", "average W per accelerator (default: its TDP when --pue or --grid is given)")
    _number(train, "--pue", check_at_least_one, "pue", "data-centre PUE >= 1 (default 1.0)")
    _number(train, "--grid", check_non_negative, "grid_kg_per_kwh", "grid intensity, kg CO2e per kWh -> co2_t")
    train.set_defaults(handler=run_train)


def _add_infer(sub) -> None:
    """The options of ``llmcost infer``: the demand and the hardware."""
    infer = sub.add_parser("infer", help=COMMANDS["infer"])
    infer.add_argument("--model", type=MODEL, help="a model from the dataset (its active parameters)")
    _number(infer, "--params", check_positive, "params", "parameters active per generated token, count (replaces --model's)")
    demand_options = infer.add_mutually_exclusive_group()
    _number(demand_options, "--tokens-per-day", check_positive, "tokens_per_day", "tokens generated per day")
    _number(demand_options, "--requests-per-day", check_positive, "requests_per_day", "requests per day (instead of --tokens-per-day; needs --words-per-query)")
    _number(infer, "--queries-per-request", check_positive, "queries_per_request", "queries per request (default 1; with --requests-per-day)")
    _number(infer, "--words-per-query", check_positive, "words_per_query", "words per query, prompt + answer (with --requests-per-day)")
    _number(infer, "--tokens-per-word", check_positive, "tokens_per_word", "tokens per word (default 4/3; with --requests-per-day)")
    _add_hardware_options(infer, f"utilization in (0, 1] (default: PaLM 540B's {DEFAULT_MFU} restated without attention, "
                                 "as infer counts 2 FLOPs per parameter)")
    _number(infer, "--price", check_positive, "usd_per_gpu_hour", "USD per accelerator-hour -> usd_per_1k_tokens, usd_per_day")
    infer.set_defaults(handler=run_infer)


def _add_serve(sub) -> None:
    """The options of ``llmcost serve``: the model, the tensor-parallel group, the workload and the price."""
    serve = sub.add_parser("serve", help=COMMANDS["serve"])
    serve.add_argument("--model", type=MODEL, required=True, help="a model from the dataset with its architecture (see `llmcost models`), or a Hugging Face config.json")
    serve.add_argument("--gpu", type=GPU, help=f"accelerator name or alias (default {DEFAULT_GPU}; see `llmcost gpus`)")
    serve.add_argument("--precision", type=_precision, help=f"one of {', '.join(hardware.PRECISIONS)} (default {DEFAULT_PRECISION}): the arithmetic, "
                                                            "and the weights and KV cache unless set apart")
    serve.add_argument("--weight-precision", type=_storage("weight_precision"),
                       help=f"storage of the weights, one of {', '.join(memory.STORAGE_FORMATS)} (default: --precision)")
    serve.add_argument("--kv-precision", type=_storage("kv_precision"),
                       help=f"storage of the KV cache, one of {', '.join(memory.STORAGE_FORMATS)} (default: --precision)")
    _number(serve, "--gpus", lambda name, value: int(check_count(name, value)), "gpus", "accelerators in the group (default 1)")
    serve.add_argument("--layout", type=_choice("layout", serving.LAYOUTS),
                       help="how the group shares the model: tensor (every matrix split, the default) or expert (a mixture of "
                            "experts: attention data-parallel, the experts spread over the group)")
    _number(serve, "--batch", lambda name, value: int(check_count(name, value)), "batch", "sequences decoded together (default 1)")
    _number(serve, "--prompt-tokens", lambda name, value: int(check_count(name, value)), "prompt_tokens", "prompt tokens per sequence")
    _number(serve, "--output-tokens", lambda name, value: int(check_count(name, value)), "output_tokens", "generated tokens per sequence")
    _number(serve, "--compute-efficiency", check_fraction, "compute_efficiency", f"achieved share of peak FLOP/s (default {serving.COMPUTE_EFFICIENCY}, Pope et al. 2023)")
    _number(serve, "--memory-efficiency", check_fraction, "memory_efficiency", f"achieved share of HBM bandwidth (default {serving.MEMORY_EFFICIENCY}: the bound)")
    _number(serve, "--allreduce-latency-us", check_non_negative, "allreduce_latency_us",
            f"fixed microseconds per all-reduce (default: NCCL's cost model, "
            f"{serving.allreduce_latency_seconds(8) * 1e6:g} us for 8 GPUs)")
    _number(serve, "--price", check_positive, "usd_per_gpu_hour", "USD per accelerator-hour -> usd_per_1k_input_tokens, usd_per_1k_output_tokens")
    _number(serve, "--power-w", check_non_negative, "power_w", "W per accelerator -> Wh per 1k tokens")
    _number(serve, "--pue", check_at_least_one, "pue", "data-centre PUE >= 1 for the Wh per 1k tokens (default 1.0; with --power-w)")
    serve.add_argument("--json", action="store_true", help="print one JSON object (strict JSON)")
    serve.set_defaults(handler=run_serve)


def _add_layout(sub) -> None:
    """The options of ``llmcost layout``: the model, the cluster, the batch and the links."""
    count = lambda name, value: int(check_count(name, value))  # noqa: E731
    layout = sub.add_parser("layout", help=COMMANDS["layout"])
    layout.add_argument("--model", type=MODEL, required=True, help="a model from the dataset with its architecture, or a Hugging Face config.json")
    layout.add_argument("--gpu", type=GPU, help=f"accelerator name or alias (default {DEFAULT_GPU}; see `llmcost gpus`)")
    layout.add_argument("--precision", type=_precision, help=f"of the matmuls and the 16-bit states (default {DEFAULT_PRECISION})")
    layout.add_argument("--optimizer", type=_choice("optimizer", memory.OPTIMIZERS), help=f"one of {', '.join(memory.OPTIMIZERS)} (default adam)")
    _number(layout, "--gpus", count, "gpus", "accelerators of the cluster", required=True)
    _number(layout, "--batch", count, "batch", "sequences per training step (the global batch)", required=True)
    _number(layout, "--seq", count, "context", "tokens per sequence (default: the model's pre-training context)")
    _number(layout, "--gpus-per-node", count, "gpus_per_server", f"accelerators sharing NVLink (default {hardware.GPUS_PER_NODE})")
    _number(layout, "--network-gbps", check_positive, "network_gbps",
            f"GB/s one way per accelerator between nodes (default: --gpu's DGX node, 25 for the A100's 200 Gb/s and 50 for the "
            f"H100's 400 Gb/s per GPU; else {hardware.NETWORK_GBPS_PER_GPU:g})")
    _number(layout, "--compute-efficiency", check_fraction, "compute_efficiency", f"achieved share of peak FLOP/s (default {serving.COMPUTE_EFFICIENCY})")
    layout.add_argument("--json", action="store_true", help="print one JSON object (strict JSON)")
    layout.set_defaults(handler=run_layout)


def _add_book(sub) -> None:
    """The options of ``llmcost book``: the parameters, the chapters and the output folder."""
    book = sub.add_parser("book", help=COMMANDS["book"])
    book.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="settings",
                      help="a parameter, set in every chosen chapter that declares it (VALUE read as typed: 0.4, 1e3, 010, true, h100, [a, b]); repeatable")
    book.add_argument("--params", metavar="FILE.yaml", dest="params_file", help="parameters from a YAML mapping")
    book.add_argument("--chapters", nargs="+", metavar="ID", help="chapter ids or numbers (default: all)")
    book.add_argument("--out", metavar="DIR", help="output folder (default _build/what-if): new, empty, or an earlier edition's, which it replaces once the new one is complete")
    book.add_argument("--jobs", type=_option_type(lambda name, value: int(check_count(name, value)), "jobs"),
                      help="chapters run at once (default: the number of cores)")
    book.set_defaults(handler=run_book, json=False)


def _add_listing(sub, name: str) -> None:
    """``llmcost models`` or ``llmcost gpus``: the dataset's models or accelerators."""
    listing = sub.add_parser(name, help=COMMANDS[name])
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(handler={"models": run_models, "gpus": run_gpus}[name])


def build_parser(command: str | None = None) -> Parser:
    """The argument parser of the ``llmcost`` command. With ``command`` (the one the user typed)
    only that command's options are built, the others named: it is what each run needs, and
    building every option costs start-up time."""
    parser = Parser(prog="llmcost", description="Estimate what it takes to train and serve a large language model.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    builders = {"train": _add_train, "infer": _add_infer, "serve": _add_serve, "layout": _add_layout, "book": _add_book}
    for name in COMMANDS:
        if command is not None and name != command:
            sub.add_parser(name, help=COMMANDS[name])
        elif name in builders:
            builders[name](sub)
        else:
            _add_listing(sub, name)
    return parser


def _first(*values):
    return next((value for value in values if value is not None), None)


class Inputs(dict):
    """The assumptions of an estimate, each with where it came from (``sources``)."""

    def __init__(self):
        super().__init__()
        self.sources: dict[str, str] = {}

    def set(self, key: str, value, source: str) -> None:
        self[key] = value
        if value is not None:
            self.sources[key] = source


def _hardware(args, inputs: Inputs, convention: str = "6PD+attention", calibrated: dict | None = None,
              why_not: str = "") -> dict | None:
    """Put the accelerator inputs in ``inputs``: gpu id, precision, peak FLOP/s and utilization
    (``calibrated``'s median where given, :func:`_calibrated_utilization`; else PaLM 540B's published
    MFU restated in ``convention``, saying ``why_not``); returns the accelerator's record (None with
    --peak-tflops and no --gpu)."""
    unless = f"; not calibrated: {why_not}" if why_not else ""
    if args.mfu is not None:
        inputs.set("mfu", args.mfu, "option --mfu")
    elif calibrated is not None:
        inputs.set("mfu", calibrated["central"], f"calibration: the median utilization that the {calibrated['count']} "
                   f"{calibrated['generation']} runs with published hours imply ({calibrated['models']}; "
                   f"low {calibrated['low']:.3f}, high {calibrated['high']:.3f})")
    elif convention == "6PD+attention":
        inputs.set("mfu", DEFAULT_MFU, f"default (PaLM 540B's published MFU, full attention counted){unless}")
    else:
        inputs.set("mfu", architecture.reference_mfu(convention), f"default (PaLM 540B's published MFU restated in {convention}){unless}")
    if args.peak_tflops is not None:
        if args.precision is not None:
            raise InputError("--precision selects --gpu's datasheet peak; with --peak-tflops give the peak at your precision and leave --precision out")
        inputs.set("gpu", args.gpu and args.gpu["id"], "option --gpu")
        inputs.set("precision", None, "")
        inputs.set("peak_flops", args.peak_tflops * hardware.TERA, "option --peak-tflops")
        return args.gpu
    gpu = args.gpu or datasets.accelerator(DEFAULT_GPU)
    precision = args.precision or DEFAULT_PRECISION
    inputs.set("gpu", gpu["id"], "option --gpu" if args.gpu else "default")
    inputs.set("precision", precision, "option --precision" if args.precision else "default")
    inputs.set("peak_flops", hardware.peak_flops(gpu, precision), f"dataset: {gpu['id']} at {precision}")
    return gpu


def _is_dense(record: dict) -> bool:
    return record.get("kind") == "dense" or record.get("params_active") == record.get("params_total")


def _model_params(args, command: str, inputs: Inputs) -> tuple[float, dict]:
    """Active parameters from --model and the options that replace its facts; returns (active, record).

    ``--params`` replaces the model's total, and its active count too when the model is dense;
    ``--active-params`` replaces the active count.
    """
    record = args.model or {}
    inputs.set("model", record.get("id"), "option --model")
    dataset = f"dataset: {record.get('id')}"
    if args.params is not None:
        inputs.set("params", args.params, "option --params")
    else:
        inputs.set("params", record.get("params_total"), dataset)
    given_active = getattr(args, "active_params", None)
    if given_active is not None and record and _is_dense(record):
        raise InputError(f"--active-params applies to a mixture-of-experts model; {record['id']} is dense "
                         "(its active parameters are its total: give --params)")
    if given_active is not None:
        inputs.set("active_params", given_active, "option --active-params")
    elif args.params is not None and (not record or _is_dense(record) or command == "llmcost infer"):
        inputs.set("active_params", args.params, "option --params")
    elif record.get("params_active") is not None:
        inputs.set("active_params", record["params_active"], dataset)
    else:
        inputs.set("active_params", inputs["params"], "the total parameters (dense)")
    active, total = inputs["active_params"], inputs["params"]
    if active is None:
        raise InputError(f"{command} needs --model or --params")
    if command == "llmcost train" and total is not None and active > total:
        where = "--active-params" if given_active is not None else f"{record['id']}'s active parameters"
        raise InputError(f"{where} ({active:.4g}) must not exceed the total parameters ({total:.4g}, {inputs.sources['params']})")
    return active, record


def _power(args, gpu, inputs: Inputs) -> None:
    """--power-w, or the accelerator's TDP when energy is asked for (--pue or --grid) without it."""
    if args.power_w is not None or (args.pue is None and args.grid is None):
        inputs.set("power_w", args.power_w, "option --power-w")
        return
    tdp = gpu.get("tdp_w") if gpu else None
    if tdp is None:
        raise InputError(f"--power-w is required: gpu {gpu and gpu['id']!r} has no TDP in the dataset")
    inputs.set("power_w", tdp, f"dataset: TDP of {gpu['id']} (the accelerators alone: no host, network or storage, and "
                               "at TDP throughout; llmcost.energy.power_per_accelerator gives the other boundaries)")


def run_train(args) -> dict:
    inputs = Inputs()
    active, record = _model_params(args, "llmcost train", inputs)
    if args.tokens is not None:
        inputs.set("tokens", args.tokens, "option --tokens")
    else:
        inputs.set("tokens", record.get("tokens"), f"dataset: {record.get('id')}")
    if inputs["tokens"] is None:
        where = "a config.json states none" if _from_config(record) else "the model has no token count in the dataset"
        raise InputError(f"--tokens is required ({where})")
    inputs.set("recompute", args.recompute, "option --recompute" if args.recompute else "default")
    calibrated, why_not = _calibrated_utilization(args)
    _convention(args, inputs, calibrated)
    gpu = _hardware(args, inputs, inputs["convention"], calibrated, why_not)
    _power(args, gpu, inputs)
    inputs.set("pue", _first(args.pue, 1.0), "option --pue" if args.pue is not None else "default")
    inputs.set("price_usd_per_gpu_hour", args.price, "option --price")
    inputs.set("grid_kg_per_kwh", args.grid, "option --grid")
    result = estimate.training_estimate(
        active, inputs["tokens"], inputs["peak_flops"], inputs["mfu"],
        attention_flops_per_token=inputs["attention_flops_per_token"], recompute=args.recompute, gpus=args.gpus,
        days=args.days, usd_per_gpu_hour=args.price, power_w=inputs["power_w"], pue=inputs["pue"],
        grid_kg_per_kwh=args.grid,
    )
    if calibrated is not None:  # hours go as 1 / utilization: the calibration's ends bound them
        for end, utilization in (("low", calibrated["high"]), ("high", calibrated["low"])):
            for key in ("gpu_hours", "cost_usd"):
                if result.get(key) is not None:
                    result[f"{key}_{end}"] = result[key] * calibrated["central"] / utilization
    return {**result, "inputs": dict(inputs), "input_sources": inputs.sources}


def _calibrated_utilization(args) -> tuple[dict | None, str]:
    """The calibrated utilization of --gpu at --precision (:func:`llmcost.calibration.training_utilization`)
    when no --mfu, --peak-tflops or attention --convention sets another; else (None, why not)."""
    from .analysis import calibration

    if args.mfu is not None or args.peak_tflops is not None:
        return None, ""
    if args.convention not in (None, "6PD"):
        return None, f"--convention {args.convention} counts attention, and the calibration is measured on 6PD"
    gpu = args.gpu or datasets.accelerator(DEFAULT_GPU)
    try:
        return calibration.training_utilization(gpu, args.precision or DEFAULT_PRECISION), ""
    except InputError as error:
        return None, str(error)


def _convention(args, inputs: Inputs, calibrated: dict | None = None) -> None:
    """The FLOP convention (--convention; else 6PD with a calibrated utilization, which is measured
    on 6PD; else 6PD+attention when the architecture is known) and the attention FLOP per token it adds."""
    replaced = " and ".join(flag for flag, value in (("--params", args.params), ("--active-params", args.active_params)) if value is not None)
    arch = architecture.architecture(args.model) if args.model is not None else None
    name = arch and arch.name
    if args.convention is not None:
        if args.convention != "6PD" and arch is not None and replaced:
            raise InputError(f"--convention {args.convention} counts attention with the architecture of {name}, which does "
                             f"not describe a model of another size ({replaced}); use --convention 6PD, or leave out {replaced}")
        inputs.set("convention", args.convention, "option --convention")
    elif arch is not None and replaced:
        inputs.set("convention", "6PD", f"default (the architecture of {name} does not describe a model of another size: {replaced})")
    elif calibrated is not None:
        inputs.set("convention", "6PD", "default (the calibrated utilization is measured on 6PD: published hours over 6PD)")
    elif arch is not None and _from_config(args.model) and args.context is None:
        inputs.set("convention", "6PD", "default (a config.json states no training sequence length: give --context to count attention)")
    elif arch is not None and architecture.has_attention_dims(arch):
        inputs.set("convention", "6PD+attention", f"default (the architecture of {name} is known)")
    else:
        inputs.set("convention", "6PD", "default (no architecture to count attention with)")
    if args.context is not None:
        inputs.set("context", args.context, "option --context")
    inputs.set("attention_flops_per_token", architecture.attention_for_convention(inputs["convention"], arch, args.context),
               f"dataset: architecture of {name}" if inputs["convention"] != "6PD" else "the 6PD convention")


def _from_config(record: dict) -> bool:
    """True for a model read from a Hugging Face config.json (its id is the path)."""
    return is_config_path(str(record.get("id", "")))


def _tokens_per_day(args, inputs: Inputs) -> float:
    """Tokens per day: --tokens-per-day, or the chain from --requests-per-day (seed 004)."""
    chain = {"--queries-per-request": args.queries_per_request, "--words-per-query": args.words_per_query,
             "--tokens-per-word": args.tokens_per_word}
    if args.requests_per_day is None:
        ignored = [flag for flag, value in chain.items() if value is not None]
        if ignored:
            raise InputError(f"{', '.join(ignored)} only apply with --requests-per-day")
        if args.tokens_per_day is None:
            raise InputError("give --tokens-per-day, or --requests-per-day with --words-per-query")
        inputs.set("tokens_per_day", args.tokens_per_day, "option --tokens-per-day")
        return args.tokens_per_day
    if args.words_per_query is None:
        raise InputError("--requests-per-day needs --words-per-query")
    tokens = demand.tokens_per_day(
        args.requests_per_day, args.words_per_query, _first(args.tokens_per_word, demand.TOKENS_PER_WORD_ENGLISH),
        _first(args.queries_per_request, 1.0),
    )
    inputs.set("tokens_per_day", tokens, "derived from --requests-per-day")
    return tokens


def run_infer(args) -> dict:
    inputs = Inputs()
    active, _ = _model_params(args, "llmcost infer", inputs)
    tokens = _tokens_per_day(args, inputs)
    if tokens < 1:
        raise InputError(f"the demand must be at least 1 token a day; these options give {tokens:.3g}")
    _hardware(args, inputs, "6PD")  # 2 FLOPs per parameter per token: no attention counted
    peak, mfu = inputs["peak_flops"], inputs["mfu"]
    gpus = demand.inference_accelerators(active, tokens, peak, mfu)
    most = RANGES["gpus"][1]
    if gpus > most:
        raise InputError(f"this demand needs {gpus:.3g} accelerators, more than {most:g}: lower --tokens-per-day or --params")
    result = {
        "tokens_per_day": tokens,
        "flops_per_day": demand.inference_flops_per_day(active, tokens),
        "gpus": gpus,
        "gpus_whole": cluster.whole(gpus),
        "servers": cluster.servers(gpus),
    }
    if args.price is not None:
        result["usd_per_1k_tokens"] = cost.serving_cost_per_1k_tokens(active, args.price, peak, mfu)
        result["usd_per_day"] = cost.rental_cost(gpus * cluster.HOURS_PER_DAY, args.price)
    inputs.set("price_usd_per_gpu_hour", args.price, "option --price")
    return {**result, "inputs": dict(inputs), "input_sources": inputs.sources}


LAYOUT_KEYS = ("tensor_parallel", "pipeline_parallel", "data_parallel", "micro_batch", "microbatches", "zero_stage", "recompute",
               "sequence_parallel", "memory_gb", "step_s", "mfu", "compute_s", "bubble_s", "tp_s", "pp_s", "dp_s")
"""The winner's fields ``llmcost layout`` prints."""


def run_layout(args) -> dict:
    """``llmcost layout``: :func:`llmcost.running.layout_search.search_layouts`, its winner, the
    next fastest layouts and why the winner wins."""
    from .running import layout_search

    inputs = Inputs()
    arch = architecture.architecture(args.model)
    inputs.set("model", arch.name, "option --model")
    gpu = args.gpu or datasets.accelerator(DEFAULT_GPU)
    inputs.set("gpu", gpu["id"], "option --gpu" if args.gpu else "default")
    for key, value, default in (("precision", args.precision, DEFAULT_PRECISION), ("optimizer", args.optimizer, "adam"),
                                ("gpus_per_node", args.gpus_per_node, hardware.GPUS_PER_NODE),
                                ("network_gbps", args.network_gbps, hardware.default_network_gbps(gpu)),
                                ("compute_efficiency", args.compute_efficiency, serving.COMPUTE_EFFICIENCY)):
        inputs.set(key, _first(value, default), f"option {OPTIONS[key]}" if value is not None else "default")
    inputs.set("gpus", args.gpus, "option --gpus")
    inputs.set("global_batch", args.batch, "option --batch")
    inputs.set("seq", args.seq, "option --seq" if args.seq else "default: the model's context")
    try:
        table = layout_search.search_layouts(arch, gpu["id"], args.gpus, args.batch, args.seq, precision=inputs["precision"],
                                             optimizer=inputs["optimizer"], gpus_per_node=inputs["gpus_per_node"],
                                             network_gbps=inputs["network_gbps"], compute_efficiency=inputs["compute_efficiency"])
        best = layout_search.best_layout(table, gpu["memory_gb"])
    except InputError as exc:  # the library names its parameters; say the options
        raise InputError(_options_named(str(exc), LAYOUT_PARAMETERS)) from None
    why = layout_search.why_it_wins(table, gpu["memory_gb"])
    fitting = table[table["fits"]]
    return {
        **{key: best[key].item() if hasattr(best[key], "item") else best[key] for key in LAYOUT_KEYS},
        "layouts_searched": len(table), "layouts_fit": int(fitting.shape[0]),
        "why": [{key: (row[key].item() if hasattr(row[key], "item") else row[key]) for key in why.columns} for _, row in why.iterrows()],
        "inputs": dict(inputs), "input_sources": inputs.sources,
    }


def run_serve(args) -> dict:
    inputs = Inputs()
    arch = architecture.architecture(args.model)
    inputs.set("model", arch.name, "option --model")
    gpu = args.gpu or datasets.accelerator(DEFAULT_GPU)
    inputs.set("gpu", gpu["id"], "option --gpu" if args.gpu else "default")
    inputs.set("precision", args.precision or DEFAULT_PRECISION, "option --precision" if args.precision else "default")
    for key in ("weight_precision", "kv_precision"):
        value = getattr(args, key)
        inputs.set(key, value or inputs["precision"], f"option {OPTIONS[key]}" if value else "default (--precision)")
    inputs.set("layout", args.layout or "tensor", "option --layout" if args.layout else "default")
    for key, value, default, why in (
        ("gpus", args.gpus, 1, "default"), ("batch", args.batch, 1, "default"),
        ("prompt_tokens", args.prompt_tokens, None, ""), ("output_tokens", args.output_tokens, None, ""),
        ("compute_efficiency", args.compute_efficiency, serving.COMPUTE_EFFICIENCY, "default (Pope et al. 2023: 76 % MFU in prefill)"),
        ("memory_efficiency", args.memory_efficiency, serving.MEMORY_EFFICIENCY, "default (the datasheet bandwidth: a bound)"),
    ):
        if value is None and default is None:
            raise InputError(f"{OPTIONS[key]} is required")
        inputs.set(key, _first(value, default), f"option {OPTIONS[key]}" if value is not None else why)
    if args.allreduce_latency_us is not None:
        inputs.set("allreduce_latency_s", args.allreduce_latency_us / 1e6, "option --allreduce-latency-us")
    else:
        inputs.set("allreduce_latency_s", serving.allreduce_latency_seconds(inputs["gpus"]), "default (NCCL's cost model for the group's size)")
    inputs.set("price_usd_per_gpu_hour", args.price, "option --price")
    inputs.set("power_w", args.power_w, "option --power-w")
    if args.pue is not None and args.power_w is None:
        raise InputError("--pue needs --power-w: the energy per token is computed from the accelerators' power")
    inputs.set("pue", _first(args.pue, 1.0), "option --pue" if args.pue is not None else "default")
    result = serving.serving_estimate(
        arch, gpu, gpus=inputs["gpus"], batch=inputs["batch"], prompt_tokens=inputs["prompt_tokens"],
        output_tokens=inputs["output_tokens"], precision=inputs["precision"],
        weight_precision=inputs["weight_precision"], kv_precision=inputs["kv_precision"],
        compute_efficiency=inputs["compute_efficiency"], memory_efficiency=inputs["memory_efficiency"],
        allreduce_latency_s=inputs["allreduce_latency_s"], layout=inputs["layout"], usd_per_gpu_hour=args.price,
        power_w=args.power_w, pue=inputs["pue"],
    )
    return {**result, "expected": _expected_serving(args, inputs, gpu, result), "inputs": dict(inputs),
            "input_sources": inputs.sources}


def _expected_serving(args, inputs: Inputs, gpu: dict, result: dict) -> dict:
    """The roofline's keys as measured systems of the same accelerator generation and precision reach
    them (:func:`llmcost.calibration.expected_serving`), with the group used; or ``{"group": None,
    "why": ...}`` where no calibration applies. The calibration measures against the roofline at
    its default efficiencies and all-reduce latency, in the tensor layout."""
    from .analysis import calibration

    set_by_hand = [OPTIONS[key] for key in ("compute_efficiency", "memory_efficiency") if getattr(args, key) is not None]
    set_by_hand += ["--allreduce-latency-us"] if args.allreduce_latency_us is not None else []
    if set_by_hand:
        return {"group": None, "why": f"{' and '.join(set_by_hand)} change the roofline the calibration is measured against"}
    if inputs["layout"] != "tensor":
        return {"group": None, "why": "the measurements are calibrated against the tensor-parallel layout"}
    try:
        group = calibration.serving_calibration(gpu, inputs["precision"])
    except InputError as error:
        return {"group": None, "why": str(error)}
    return {**calibration.expected_serving(result, group), "group": group}


def run_book(args) -> str:
    """Build a reader's edition; returns the path of its index.html."""
    from .book.editions import edition, parse_settings

    out = edition(parse_settings(args.settings, args.params_file), args.chapters, args.out, args.jobs)
    return str(out / "index.html")


MODEL_COLUMNS = ("id", "name", "kind", "params_total", "params_active", "tokens", "train_flops", "accelerator")
GPU_COLUMNS = ("id", "name", "fp32_tflops", "tf32_tflops", "bf16_tflops", "fp8_tflops", "fp4_tflops", "memory_gb", "tdp_w")


def run_models(args) -> list[dict]:
    return [{c: datasets.model(i).get(c) for c in MODEL_COLUMNS} for i in datasets.model_ids()]


def run_gpus(args) -> list[dict]:
    return [{c: datasets.accelerator(i).get(c) for c in GPU_COLUMNS} for i in datasets.accelerator_ids()]


UNITS = {
    "flops": "FLOP", "gpu_hours": "accelerator-hours", "gpu_days": "accelerator-days", "wall_days": "days",
    "gpu_hours_low": "accelerator-hours", "gpu_hours_high": "accelerator-hours", "cost_usd_low": "USD", "cost_usd_high": "USD",
    "gpus": "accelerators", "gpus_whole": "accelerators", "servers": "8-GPU servers", "cost_usd": "USD",
    "energy_mwh": "MWh", "co2_t": "t CO2e", "tokens_per_day": "tokens", "flops_per_day": "FLOP",
    "usd_per_1k_tokens": "USD", "usd_per_day": "USD", "weights_gb_per_gpu": "GB", "kv_cache_gb_per_gpu": "GB",
    "weights_read_gb_per_step": "GB",
    "max_batch": "sequences", "prefill_s": "s", "prefill_comm_s": "s", "decode_s_per_step": "s",
    "decode_comm_s_per_step": "s", "decode_s": "s", "output_tokens_per_s": "tokens/s",
    "output_tokens_per_s_per_gpu": "tokens/s", "usd_per_1k_input_tokens": "USD", "usd_per_1k_output_tokens": "USD",
    "wh_per_1k_input_tokens": "Wh", "wh_per_1k_output_tokens": "Wh",
}


def _plain(value):
    if hasattr(value, "item"):
        return value.item()
    return value


def _format(value) -> str:
    value = _plain(value)
    if isinstance(value, float):
        if 1e3 <= abs(value) < 1e6:  # whole, with separators: 10,000 not 1e+04
            return f"{value:,.0f}"
        return f"{value:,.4g}" if abs(value) < 1e3 else f"{value:.4g}"
    return "-" if value in (None, "") else str(value)


def _why_lines(why: list | None) -> dict:
    """``llmcost layout``'s reasons as text lines: ``{"vs <choice> <value>": "x1.05 (more pipeline bubble)"}``."""
    return {f"vs {row['choice']} {row['alternative']}": ("-" if row["slower"] != row["slower"] else f"x{row['slower']:.3f}") + f" ({row['why']})"
            for row in why or []}


def _expected_lines(expected: dict | None) -> dict:
    """``llmcost serve``'s expected values as text lines: ``{"expected <key>": "central (low-high)"}``
    and the group used, or why none applies."""
    if expected is None:
        return {}
    group = expected["group"]
    if group is None:
        return {"expected": f"not calibrated: {expected['why']}"}
    rows = " + ".join(f"{group[phase]['rows']} {phase}" for phase in ("prefill", "throughput") if group[phase])
    lines = {f"expected {key}": f"{_format(span['central'])} ({_format(span['low'])} to {_format(span['high'])})"
             for key, span in expected.items() if isinstance(span, dict) and "central" in span and key != "group"}
    return {**lines, "expected from": f"measured {group['generation']} {group['precision']} systems ({rows} rows; "
                                      "llmcost.calibration.serving_groups)"}


def render(result, as_json: bool) -> str:
    """Text for the terminal: one JSON document, or aligned lines / a table."""
    if as_json:
        return json.dumps(result, default=_plain, indent=2, allow_nan=False)
    if isinstance(result, str):
        return result
    if isinstance(result, list):
        columns = list(result[0])
        rows = [[_format(row[c]) for c in columns] for row in result]
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)) for row in rows]
        return "\n".join(lines)
    shown = {key: value for key, value in result.items() if key not in ("inputs", "input_sources", "expected", "why")}
    shown.update(_expected_lines(result.get("expected")))
    shown.update(_why_lines(result.get("why")))
    width = max(len(key) for key in [*shown, "inputs"])
    lines = [f"{key:>{width}}  {_format(value)} {UNITS.get(key.removeprefix('expected '), '')}".rstrip() for key, value in shown.items()]
    assumed = ", ".join(f"{k}={_format(v)}" for k, v in result["inputs"].items() if v is not None)
    return "\n".join(lines + [f"{'inputs':>{width}}  {assumed}"])


LAYOUT_PARAMETERS = ("gpus", "global_batch", "seq", "precision", "optimizer", "gpus_per_node", "network_gbps", "compute_efficiency")
"""The library parameters ``llmcost layout`` passes to the search, each fed by an option of :data:`OPTIONS`."""


def _options_named(message: str, names) -> str:
    """A library message with each parameter of ``names`` it mentions, alone (``raise gpus``) or
    with its value (``gpus=8``), written as its option (``raise --gpus``, ``--gpus 8``); a word
    that only contains a name (``sequence``, ``gpus_per_node`` for ``gpus``) is left alone."""
    for name in sorted(names, key=len, reverse=True):
        message = re.sub(rf"(?<![\w\-]){re.escape(name)}(=|(?![\w\-=]))",
                         lambda match, option=OPTIONS[name]: option + (" " if match[1] == "=" else ""), message)
    return message


def _in_option_words(message: str) -> str:
    """A library message that starts with a parameter's name, reworded to start with its option
    (and the serving lengths it names on the way, "prompt_tokens + output_tokens", as theirs)."""
    message = _options_named(message, ("prompt_tokens", "output_tokens"))
    name, _, rest = message.partition(" ")
    return f"{OPTIONS[name]} {rest}" if name in OPTIONS and rest else message


def main(argv=None) -> int:
    """Entry point of the ``llmcost`` console script; returns the exit status (0, or 2 for bad input)."""
    words = sys.argv[1:] if argv is None else argv
    typed = next((word for word in words if not word.startswith("-")), None)
    parser = build_parser(typed if typed in COMMANDS else None)
    try:
        args = parser.parse_args(argv)
    except _BrokenData as exc:
        print(f"llmcost {typed}: error in the dataset: {exc}", file=sys.stderr)
        return 2
    try:
        result = args.handler(args)
        if has_non_finite(result):
            raise InputError("the inputs together give a result that is not finite; bring them within their ranges (--help)")
    except InputError as exc:
        print(f"llmcost {args.command}: error: {_in_option_words(str(exc))}", file=sys.stderr)
        return 2
    except datasets.DataError as exc:
        print(f"llmcost {args.command}: error in the dataset: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"llmcost {args.command}: interrupted; nothing was replaced", file=sys.stderr)
        return 130
    except RunFailed as exc:  # an edition's chapter or build failed: not bad input
        print(f"llmcost {args.command}: failed: {exc}", file=sys.stderr)
        return 1
    try:
        print(render(result, args.json), flush=True)
    except BrokenPipeError:
        # The reader closed the pipe (`llmcost models | head -1`): stop quietly, and keep
        # Python from reporting the failed flush of stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
