"""Every parameter of every chapter is checked by the chapter's validation cell.

For each parameter, bad values are made from its default (a wrong type, an empty value) and from
its entry in :data:`OUT_OF_RANGE` (values of the right type that the chapter cannot use). Each is
put in place of the default after the chapter's ``parameters`` cell runs, and the chapter's
validation cell (the next code cell) must then raise :class:`llmcost.validate.InputError` naming
the parameter and showing the value. The cells run in-process with ``exec`` in a fresh namespace,
so the few hundred cases take seconds. A parameter without an entry in :data:`OUT_OF_RANGE`
fails :func:`test_every_parameter_has_a_spec`.

The failures readers reported are then checked the same way; each chapter's own test file keeps
one real papermill run that stops in the validation cell.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
from chapter_runs import ALL_CHAPTERS, assert_refused, chapter_path

from llmcost.core.validate import InputError

INF = float("inf")
NAN = float("nan")

OUT_OF_RANGE = {
    "00_intro": {
        "model": ["gpt-1", "abacus"],  # gpt-1: no tokens in the dataset
        "gpu": ["abacus", "v100"],  # the V100 has no bf16 rate
        "precision": ["fp4", "fp6"],  # the H100 has no fp4 rate; fp6 is no precision
        "mfu": [0, 1.5, 1e-5, NAN],
        "usd_per_gpu_hour": [0, 1e5, INF],
        "power_w": [0, 1e6],
        "pue": [0.9, 6],
        "grid_kg_per_kwh": [-0.1, 3],
    },
    "01_how_training_works": {
        "learning_rate": [0, -1, INF],
        "steps": [0, 2.5, 100_001, 1e12],
        "inputs": [[0.05], [0.05, 0.05, 0.05], [0.05, "x"], [0.05, NAN], [0.05, True]],
        "targets": [[0.25, 1.5], [0, 0.5], [0.25]],
        "positions": [0, 5001],
        "d_model": [0, 63, 10_000],
        "model": ["gpt-4", "abacus"],  # gpt-4: no d_model
    },
    "02_training_stages": {
        "params": [0, 1e16],
        "pretrain_tokens": [0, 1e18],
        "sft_epochs": [0, 2.5, 1001],
        "rm_params": [0, 1e16],
        "rm_responses_per_prompt": [1, 101],
        "value_params": [0, 1e16],
        "ppo_episodes": [0, 1000, 1e10],
        "ppo_epochs": [0, 1001],
        "ptx_ratio": [-1, 1001],
        "tokens_per_sequence": [0.5, 1e8],
        "gpu": ["abacus", "v100"],
        "precision": ["fp4", "fp8"],
        "mfu": [0, 1.5],
        "pretrain_gpus": [0, 1e9],
        "finetune_gpus": [0, 2.5, 1e9],
    },
    "03_flop_accounting": {
        "model": ["gpt-1", "abacus"],
        "trend_from": ["2099-01", "2025-06", "2018-13", "2018", "January 2018"],
        "period_months": [0, 121],
        "causal": [1, 0],
    },
    "04_memory_parallelism": {
        "model": ["gpt-4", "abacus"],
        "gpu": ["tpu-v3", "abacus"],  # tpu-v3: no memory_gb
        "precision": ["fp8", "tf32"],
        "optimizer": ["lion"],
        "data_parallel": [0, 1e7],
        "tensor_parallel": [0, 7, 192],
        "pipeline_parallel": [0, 7, 192],
        "microbatches": [0, 1e7],
        "micro_batch_size": [0, 1e7],
        "serving_batch": [0, 1e7],
        "schedule_stages": [0, 17, 2.5],
        "schedule_microbatches": [0, 33],
        "search_gpus": [0, 2.5],
        "global_batch": [0, 7],  # 7: no data-parallel size of 1,024 GPUs divides it
    },
    "05_gpu_days_cost": {
        "gpu": ["abacus", "tpu-v4"],  # the TPU v4 has no fp16 rate
        "precision": ["fp4", "fp8"],
        "mfu": [0, 1.5],
        "mfu_low": [0, 0.6],  # 0.6: above the calibrated A100 median
        "mfu_high": [1.5, 0.4],  # 0.4: below it
        "models": [["gpt-1"], ["abacus"], ["gpt-3", "GPT-3"], ["gpt-3", 7]],
        "gpus": [["tpu-v4"], ["abacus"], ["a100", "A100"]],
        "deadline_days": [0, 1e5],
        "rental_price": ["seed002-a100-purchase", "abacus"],
        "usd_per_gpu_hour": [0, 1e5, 10.0],  # 10.0: above usd_per_gpu_hour_high
        "usd_per_gpu_hour_low": [0, 2.0],  # 2.0: above the rental price, 1.84
        "usd_per_gpu_hour_high": [1.5, 1e5],
        "purchase_price": ["aws-p4d-capacity-block"],
        "serving_model": ["abacus"],
        "api_price": ["abacus"],
    },
    "06_utilization": {
        "gpu": ["abacus", "v100"],  # v100: no bf16 rate
        "precision": ["fp4", "fp8"],
        "usd_per_instance_hour": [0, 1e6, 1000],  # 1000: implies a utilization above 100 %
        "gpus_per_instance": [0, 1e9],
        "serving_params": [0, 1e16, 1e13],
        "usd_per_1k_tokens": [0, 1e5, 1e-6],
        "utilization_gain": [-0.1, 1, 0.95],
        "baseline_gpus": [0, 20_000],
        "target_gpus": [0, 500, 1000],
        "scaling_efficiency": [0, 1.5],
        "model": ["abacus", "gpt-4"],  # gpt-4: no d_model
        "data_parallel": [0, 1e7],
        "pipeline_stages": [0, 1e7],
        "microbatches": [0, 1e7],
    },
    "07_energy_carbon": {
        "model": ["chinchilla-70b", "gpt-1", "abacus"],  # chinchilla: no accelerator
        "gpu": ["tpu-v5p", "abacus"],  # tpu-v5p: no TDP
        "precision": ["fp4", "fp6"],  # the H100 has no fp4 rate
        "mfu": [0, 1.5],
        "power_source": ["measured"],
        "pue_low": [0.9, 1.15],
        "pue": [0.9, 7],  # a PUE outside the default bars widens them (an edition's PUE is not refused)
        "pue_high": [1.05, 6],
        "grid_low": [-0.1, 0.4],
        "grid_kg_per_kwh": [-0.1, 1e3],
        "grid_high": [0.3, 3],
        "whatif_models": [["chinchilla-70b"], ["abacus"], ["gpt-3", "gpt-3"]],
    },
    "08_serving": {
        "model": ["gpt-4", "t5-11b", "abacus"],  # no architecture record; an encoder-decoder
        "gpu": ["tpu-v4", "abacus", "v100"],  # tpu-v4: no interconnect; v100: no bf16 rate
        "gpu_compare": ["tpu-v3", "abacus"],
        "tensor_parallel": [0, 1, 65, 2.5],  # 1: 70 billion bf16 parameters do not fit in 80 GB
        "batch": [0, 1e7, 2.5, 5000],  # 5000: the KV cache does not fit
        "prompt_tokens": [0, 2e7, 100],  # 100: shorter than short_prompt_tokens
        "short_prompt_tokens": [0, 5000],
        "output_tokens": [0, 2e6],
        "precision": ["fp6", "int2"],
        "compute_efficiency": [0, 1.5],
        "memory_efficiency": [0, 1.5],
        "usd_per_gpu_hour": [0, 1e5],
        "pue": [0.9, 6],
    },
    "09_own_model": {
        "model": ["qwen2.5-7b", "abacus.json", "/nonexistent/config.json"],  # a name, not a config; no such file
        "tokens": [0, 1e20],
        "context": [0, 2.5, 1e9],
        "gpu": ["tpu-v4", "abacus"],  # tpu-v4: no interconnect
        "precision": ["fp6", "int2"],
        "gpus": [0, 1e9],
        "mfu": [0, 1.5],
        "usd_per_gpu_hour": [0, 1e5],
        "power_w": [0, 1e6],
        "pue": [0.9, 6],
        "grid_kg_per_kwh": [-0.1, 3],
        "serving_gpus": [0, 3, 65],  # 3: does not split 28 query heads and 4 key/value heads
        "batch": [0, 2.5, 1e7],
        "prompt_tokens": [0, 2e6],
        "output_tokens": [0, 2e6],
    },
    "90_claims_audit": {
        "tolerance": [-0.1, 1, 1.5],
    },
    "91_calibration": {
        "mfu": [0, 1.5],
        "pue": [0.9, 6],
        "power_w": [0, 1e6],
        "tolerance": [-0.1, 1],
    },
    "92_models_at_a_glance": {
        "mfu": [0, 1.5],
        "pue": [0.9, 6],
        "grid_kg_per_kwh": [-0.1, 5],
    },
}
"""Per chapter and parameter: values of the right type that the validation cell must refuse."""


def _cells(chapter: str) -> tuple[str, str]:
    nb = nbformat.read(chapter_path(chapter), as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), f"{chapter}: first code cell is not the parameters cell"
    return code[0].source, code[1].source


CELLS = {chapter: _cells(chapter) for chapter in ALL_CHAPTERS}
DEFAULTS = {
    chapter: {statement.targets[0].id: ast.literal_eval(statement.value) for statement in ast.parse(source).body}
    for chapter, (source, _) in CELLS.items()
}


def wrong_type(default):
    """A value of another type than the default: numbers as text (papermill's -r), a name as a number, ..."""
    if isinstance(default, bool) or default is None:
        return str(default) if default is not None else "1"
    if isinstance(default, (int, float)):
        return str(default)
    if isinstance(default, str):
        return 1
    if isinstance(default, list):
        return str(default[0])  # one item as text instead of a list of them
    raise AssertionError(f"no wrong type for a default of type {type(default).__name__}")


def empty(default):
    """The empty value of the default's kind: '' for text (and where None is allowed), [] for lists, else None."""
    if isinstance(default, str) or default is None:
        return ""
    if isinstance(default, list):
        return []
    return None


def cases():
    for chapter, defaults in DEFAULTS.items():
        for name, default in defaults.items():
            yield pytest.param(chapter, name, wrong_type(default), id=f"{chapter}-{name}-wrong-type")
            yield pytest.param(chapter, name, empty(default), id=f"{chapter}-{name}-empty")
            for i, value in enumerate(OUT_OF_RANGE.get(chapter, {}).get(name, [])):
                yield pytest.param(chapter, name, value, id=f"{chapter}-{name}-out-of-range-{i}")


def validate_with(chapter: str, **overrides) -> dict:
    """Run ``chapter``'s parameters cell, replace some parameters, run its validation cell."""
    parameters, validation = CELLS[chapter]
    namespace: dict = {}
    exec(compile(parameters, f"{chapter}:parameters", "exec"), namespace)
    namespace.update(overrides)
    exec(compile(validation, f"{chapter}:validation", "exec"), namespace)
    return namespace


def _shows(message: str, value) -> bool:
    """The message shows the value (for a list, the list or one of its items), case aside (NaN)."""
    shown = [value] + (list(value) if isinstance(value, list) else [])
    return any(repr(item).lower() in message.lower() for item in shown)


def test_every_parameter_has_a_spec():
    """A new parameter needs out-of-range values here; a removed one must leave."""
    for chapter, defaults in DEFAULTS.items():
        specs = OUT_OF_RANGE.get(chapter, {})
        assert sorted(specs) == sorted(defaults), (
            f"{chapter}: parameters without out-of-range values {sorted(set(defaults) - set(specs))}, "
            f"specs of no parameter {sorted(set(specs) - set(defaults))}"
        )
        assert all(specs.values()), f"{chapter}: a parameter with no out-of-range value"
    assert sorted(OUT_OF_RANGE) == sorted(DEFAULTS)


@pytest.mark.parametrize("chapter", ALL_CHAPTERS)
def test_defaults_pass_validation(chapter):
    validate_with(chapter)


@pytest.mark.parametrize(("chapter", "name", "value"), list(cases()))
def test_bad_parameter_stops_the_validation_cell(chapter, name, value):
    """The validation cell refuses the value with an InputError naming the parameter and showing the value."""
    with pytest.raises(InputError) as error:
        validate_with(chapter, **{name: value})
    message = str(error.value)
    assert re.search(rf"(?<!\w){name}(?!\w)", message), f"{chapter}: the message for {name}={value!r} does not name {name}: {message}"
    assert _shows(message, value), f"{chapter}: the message for {name}={value!r} does not show the value: {message}"


# --- real runs: the failures readers reported now stop in the validation cell -----------------


@pytest.mark.parametrize(
    ("chapter", "parameters", "message"),
    [
        ("00_intro", {"mfu": "0.5"}, "mfu must be a number, got"),  # papermill -r mfu 0.5: text
        ("00_intro", {"model": "gpt-1"}, "model 'gpt-1' has no tokens in the models dataset"),
        ("01_how_training_works", {"steps": 1e12}, "steps must be"),
        ("01_how_training_works", {"inputs": "12"}, "inputs must be a list, got the text '12'"),
        ("03_flop_accounting", {"trend_from": "2099-01"}, "trend_from must be a month no later than"),
        ("05_gpu_days_cost", {"models": []}, "models must be a non-empty list, got []"),
    ],
    ids=["mfu-text", "model-without-tokens", "steps-1e12", "inputs-text", "trend-from-2099", "models-empty"],
)
def test_reported_failures_stop_in_the_validation_cell(chapter, parameters, message):
    assert_refused(chapter, message, **parameters)
