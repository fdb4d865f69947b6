"""Combinations that cannot be true are refused where they enter, naming what the user typed.

Tensor parallelism splits the query heads and splits or replicates the key/value heads (the
cache per accelerator follows), an all-reduce has NCCL's latency, a context beyond the model's
is an error, and a model's architecture is not applied to a model of another size.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from llmcost import cli, parameters, serving
from llmcost.running.architecture import FIELDS, architecture, kv_cache_bytes_per_token
from llmcost.formulas.memory import GB
from llmcost.core.validate import InputError


def run(capsys, *argv):
    """(status, stdout, stderr lines) of ``llmcost *argv``, parse errors included."""
    try:
        status = cli.main(list(argv))
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err.strip().splitlines()


def refused(capsys, *argv) -> str:
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "" and len(err) == 1, (status, out, err)
    return err[0]


# --- train: the model's architecture applies to the model only ----------------------------------


def test_a_model_of_another_size_is_counted_without_the_models_attention(capsys):
    status, out, _ = run(capsys, "train", "--model", "gpt-3", "--params", "7e9", "--json")
    result = json.loads(out)
    assert status == 0
    assert result["inputs"]["convention"] == "6PD" and result["inputs"]["attention_flops_per_token"] == 0
    assert result["flops"] == pytest.approx(6 * 7e9 * 300e9)
    assert "does not describe a model of another size" in result["input_sources"]["convention"]


def test_the_models_attention_on_another_size_is_refused(capsys):
    message = refused(capsys, "train", "--model", "gpt-3", "--params", "7e9", "--convention", "6PD+attention")
    assert "--convention 6PD+attention counts attention with the architecture of gpt-3" in message


def test_active_parameters_of_a_dense_model_are_refused(capsys):
    assert "--active-params applies to a mixture-of-experts model; gpt-3 is dense" in refused(
        capsys, "train", "--model", "gpt-3", "--active-params", "7e9")
    status, out, _ = run(capsys, "train", "--model", "mixtral-8x7b", "--active-params", "13e9", "--tokens", "1e12", "--json")
    assert status == 0 and json.loads(out)["inputs"]["active_params"] == 13e9


# --- serve: heads split over the group ------------------------------------------------------------


@pytest.mark.parametrize("gpus", ["3", "5", "128", "1000000"])
def test_a_group_that_cannot_split_the_heads_is_refused(capsys, gpus):
    message = refused(capsys, "serve", "--model", "llama-2-70b", "--gpus", gpus, "--prompt-tokens", "100", "--output-tokens", "10")
    assert message.startswith("llmcost serve: error: --gpus must split the 64 query heads and the 8 key/value heads of llama-2-70b")
    assert message.endswith(f"(1, 2, 4, 8, 16, 32, 64); got {gpus}")


def test_kv_heads_are_divided_or_replicated():
    assert serving.kv_copies("llama-2-70b", 8) == 1
    assert serving.kv_copies("llama-2-70b", 4) == 1
    assert serving.kv_copies("llama-2-70b", 16) == 2
    assert serving.kv_copies("llama-2-70b", 64) == 8
    np.testing.assert_array_equal(serving.kv_copies("llama-2-70b", np.array([1, 8, 32])), [1, 1, 4])
    assert serving.kv_copies("gpt-3", 96) == 1
    with pytest.raises(InputError, match="tensor_parallel must split"):
        serving.kv_copies("llama-2-70b", 6, "tensor_parallel")


def test_replicated_kv_heads_hold_and_read_one_head_per_accelerator():
    """16 GPUs on 8 KV heads: each holds one KV head, as with 8 GPUs; the cache per GPU does not
    halve, and so the decode step's cache read per GPU does not either."""
    service = dict(batch=64, prompt_tokens=3968, output_tokens=128)
    eight = serving.serving_estimate("llama-2-70b", "a100", gpus=8, allreduce_latency_s=0, **service)
    sixteen = serving.serving_estimate("llama-2-70b", "a100", gpus=16, allreduce_latency_s=0, **service)
    per_token = kv_cache_bytes_per_token("llama-2-70b")
    assert eight["kv_cache_gb_per_gpu"] == pytest.approx(64 * 4096 * per_token / 8 / GB)
    assert sixteen["kv_cache_gb_per_gpu"] == pytest.approx(eight["kv_cache_gb_per_gpu"])
    read_8 = serving.hbm_read_seconds("llama-2-70b", "a100", gpus=8, batch=64, context=3968 + 64.5)
    weights_16 = serving.hbm_read_seconds("llama-2-70b", "a100", gpus=16, batch=1, context=0)
    cache_8 = read_8 - serving.hbm_read_seconds("llama-2-70b", "a100", gpus=8, batch=1, context=0)
    assert sixteen["bound"] == "memory"
    step_without_comm = sixteen["decode_s_per_step"] - sixteen["decode_comm_s_per_step"]
    assert step_without_comm == pytest.approx(weights_16 + cache_8, rel=1e-9)  # the cache read per GPU as with 8
    assert eight["max_batch"] > 0 and sixteen["max_batch"] < 2 * eight["max_batch"] + 40


def test_an_allreduce_has_nccls_latency():
    assert serving.allreduce_latency_seconds(1) == 0
    assert serving.allreduce_latency_seconds(2) == pytest.approx(7.8e-6)
    assert serving.allreduce_latency_seconds(8) == pytest.approx(15.0e-6)
    service = dict(gpus=8, batch=1, prompt_tokens=100, output_tokens=10)
    default = serving.serving_estimate("llama-2-70b", "a100", **service)
    without = serving.serving_estimate("llama-2-70b", "a100", allreduce_latency_s=0, **service)
    layers = architecture("llama-2-70b").layers
    latency = serving.ALLREDUCES_PER_LAYER * layers * serving.allreduce_latency_seconds(8)
    assert default["decode_comm_s_per_step"] - without["decode_comm_s_per_step"] == pytest.approx(latency)


def test_a_huge_group_is_no_longer_fast(capsys):
    """64 GPUs on Llama-2-70B at batch 1: 160 all-reduces of 40 us each cost 6 ms a token."""
    status, out, _ = run(capsys, "serve", "--model", "llama-2-70b", "--gpu", "h100", "--gpus", "64", "--prompt-tokens", "100",
                         "--output-tokens", "10", "--json")
    result = json.loads(out)
    assert status == 0 and result["decode_comm_s_per_step"] > 160 * 40e-6
    assert result["output_tokens_per_s"] < 200


def test_the_latency_option(capsys):
    status, out, _ = run(capsys, "serve", "--model", "llama-2-70b", "--gpus", "8", "--prompt-tokens", "100", "--output-tokens", "10",
                         "--allreduce-latency-us", "5", "--json")
    result = json.loads(out)
    assert status == 0 and result["inputs"]["allreduce_latency_s"] == 5e-6
    assert result["input_sources"]["allreduce_latency_s"] == "option --allreduce-latency-us"
    assert "--allreduce-latency-us" in refused(capsys, "serve", "--model", "llama-2-70b", "--prompt-tokens", "10",
                                               "--output-tokens", "10", "--allreduce-latency-us", "-1")


# --- serve: the context and the cache ---------------------------------------------------------------


def test_a_prompt_beyond_the_context_names_both_numbers(capsys):
    message = refused(capsys, "serve", "--model", "llama-2-70b", "--gpus", "8", "--prompt-tokens", "1000000000", "--output-tokens", "10")
    assert message == ("llmcost serve: error: --prompt-tokens + --output-tokens must be at most the context of llama-2-70b, "
                       "4,096 tokens; got 1,000,000,010")


def test_a_cache_that_does_not_fit_is_not_blamed_on_the_weights():
    llama = architecture("llama-2-70b")
    arch = {**{field: getattr(llama, field) for field in FIELDS}, "context": 10**9}
    with pytest.raises(InputError, match=r"prompt_tokens \+ output_tokens must leave room for one sequence's KV cache: "
                                         r"10,000,010 tokens need 3,277 GB beside the 138 GB of weights"):
        serving.serving_estimate(arch, "a100", gpus=8, prompt_tokens=10**7, output_tokens=10)
    with pytest.raises(InputError, match="gpus must hold the weights: 138 GB of the given architecture do not fit in 1 x 80 GB"):
        serving.serving_estimate(arch, "a100", gpus=1, prompt_tokens=10, output_tokens=10)


def test_a_tiny_efficiency_is_refused_in_one_line_without_a_warning(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        message = refused(capsys, "serve", "--model", "llama-2-70b", "--gpus", "8", "--prompt-tokens", "100", "--output-tokens", "10",
                          "--compute-efficiency", "5e-324")
    assert "--compute-efficiency: must be a fraction in (0, 1] (at least 0.0001), got 5e-324" in message
    assert "serving_estimate" not in message


def test_a_demand_below_one_token_a_day_names_the_demand(capsys):
    message = refused(capsys, "infer", "--params", "175e9", "--tokens-per-day", "5e-324")
    assert message == "llmcost infer: error: the demand must be at least 1 token a day; these options give 4.94e-324"
    assert "--gpus" not in message


# --- chapters: their validation cells ---------------------------------------------------------------


def test_check_known_reads_what_papermill_injected():
    history = ["", 'mfu = 0.462  # utilization\ngpu = "a100"\n', "# Parameters\nmfu_hihg = 0.9\n", "import llmcost\n"]
    with pytest.raises(InputError, match="unknown parameter 'mfu_hihg'; this chapter accepts: gpu, mfu"):
        parameters.check_known({"_ih": history})
    parameters.check_known({"_ih": [*history[:2], "# Parameters\nmfu = 0.9\n", history[3]]})
    parameters.check_known({"_ih": [history[0], history[1], history[3]]})  # a plain run: nothing injected
    parameters.check_known({})  # the in-process harness has no history


def test_a_number_typed_as_text_gets_the_papermill_hint_only_when_it_reads_as_one():
    with pytest.raises(InputError, match=r"got the text '0.4' \(with papermill, pass numbers with -p, not -r\)"):
        parameters.check_number("mfu", "0.4")
    with pytest.raises(InputError) as failure:
        parameters.check_number("mfu", "high")
    assert str(failure.value) == "mfu must be a number, got the text 'high'"
