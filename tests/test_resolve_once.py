"""A name is resolved once, at the boundary; derived counts are computed once per record.

The CLI's --model and --gpu become the dataset's records as they are parsed; every inner
function takes the record. A dataset model's architecture is built once per process and its
parameter counts once per record.
"""

from __future__ import annotations

import collections
import contextlib
import io

import pytest

from llmcost import architecture, cli, serving
from llmcost.catalog import datasets

README_EXAMPLES = [
    ["serve", "--model", "llama-2-70b", "--gpu", "a100", "--gpus", "4", "--batch", "8", "--prompt-tokens", "3968",
     "--output-tokens", "128", "--price", "2"],
    ["train", "--model", "gpt-3", "--gpu", "a100", "--precision", "fp16", "--mfu", "0.462", "--gpus", "1000", "--price", "2", "--json"],
    ["train", "--model", "llama-2-70b", "--gpu", "h100", "--grid", "0.4"],
    ["train", "--model", "palm-540b", "--gpu", "tpu-v4", "--convention", "6PD"],
    ["train", "--model", "gpt-3", "--convention", "6PD+causal-attention"],
]


@pytest.fixture
def lookups(monkeypatch):
    """Counts of name resolutions, by (kind, name), while the test runs."""
    counts = collections.Counter()
    resolve = datasets._resolve

    def counting(filename, what, name):
        counts[(what, name)] += 1
        return resolve(filename, what, name)

    monkeypatch.setattr(datasets, "_resolve", counting)
    return counts


@pytest.mark.parametrize("argv", README_EXAMPLES, ids=lambda argv: " ".join(argv[:3]))
def test_each_name_is_resolved_once(argv, lookups):
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(argv) == 0
    assert lookups, "no name was resolved"
    assert set(lookups.values()) == {1}, dict(lookups)


def test_a_models_counts_are_computed_once_per_record(monkeypatch):
    calls = []
    counted = architecture._counted
    monkeypatch.setattr(architecture, "_counted", lambda arch: calls.append(arch.name) or counted(arch))
    datasets._clear_caches()  # a fresh record, whose counts are not computed yet
    for _ in range(3):
        serving.serving_estimate("llama-2-70b", "a100", gpus=4, batch=8, prompt_tokens=3968, output_tokens=128)
    assert calls == ["llama-2-70b"]
    assert architecture.architecture("Llama-2-70B") is architecture.architecture("llama-2-70b")


def test_a_record_is_never_shared_mutably():
    record = datasets.model("gpt-3")
    record["params_total"] = 1.0
    assert datasets.model("gpt-3")["params_total"] == 175e9
    assert architecture.parameter_counts("gpt-3") is not architecture.parameter_counts("gpt-3")
