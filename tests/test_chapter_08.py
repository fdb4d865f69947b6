"""Chapter 8 (serving) re-run with other parameters: its numbers move as the roofline says."""

import nbformat
import pytest
from chapter_runs import assert_refused, assert_rejected, chapter_path, glued, run_chapter

from llmcost import serving
from llmcost.book import format_number


def test_serving_chapter_on_four_h100_in_fp8(tmp_path):
    params = {"gpu": "h100", "gpu_compare": "h200", "tensor_parallel": 4, "batch": 32, "precision": "fp8",
              "memory_efficiency": 0.8, "usd_per_gpu_hour": 3.0}
    values = glued(run_chapter("08_serving", tmp_path, **params))
    example = serving.serving_estimate("llama-2-70b", "h100", gpus=4, batch=32, prompt_tokens=3968, output_tokens=128,
                                       precision="fp8", memory_efficiency=0.8, usd_per_gpu_hour=3.0)
    assert values["c8_gpu"] == "NVIDIA H100 SXM5 80GB" and values["c8_gpus"] == "4"
    assert values["c8_step_ms"] == format_number(example["decode_s_per_step"] * 1e3, "sig3", "ms")
    assert values["c8_usd_out"] == format_number(example["usd_per_1k_output_tokens"], "sig3", "USD")
    assert values["c8_weights_gb"] == f"{example['weights_gb_per_gpu']:,.1f} GB"  # 1 byte per parameter in fp8
    floor = serving.hbm_read_seconds("llama-2-70b", "h100", gpus=4, weight_precision="fp8", memory_efficiency=0.8)
    assert values["c8_floor_ms"] == format_number(floor * 1e3, "sig3", "ms")
    assert float(values["c8_floor_ms"].split()[0]) < float(values["c8_step_ms"].split()[0])
    # the seed sections use llmcost's default efficiencies, whatever the reader's: their figures do not move
    published = glued(nbformat.read(chapter_path("08_serving"), as_version=4))
    assert values["c8_s0_batch_512"] == published["c8_s0_batch_512"] and values["c8_s4_deck"] == published["c8_s4_deck"]


def test_serving_chapter_for_gpt3_follows_its_multi_head_cache(tmp_path):
    # GPT-3 reads at most 2,048 tokens: the prompt is shortened to fit with the output
    values = glued(run_chapter("08_serving", tmp_path, model="gpt-3", batch=4, prompt_tokens=1920))
    assert values["c8_attention"] == "multi-head attention"
    sweep = serving.batch_sweep("gpt-3", "a100", gpus=8, prompt_tokens=1920, output_tokens=128)
    assert values["c8_max_batch"] == f"{len(sweep['batch']):,}"
    assert values["c8_turn_long"] == "at no batch that fits (it stays memory-bound)"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"model": "gpt-4"}, "model 'gpt-4': model 'gpt-4' has no architecture llmcost can count with: OpenAI published no architecture"),
        ({"model": "t5-11b"}, "model 't5-11b' has no architecture llmcost can count with: Encoder-decoder"),
        ({"tensor_parallel": 1}, "tensor_parallel must give room for batch: 1 x a100-80gb-sxm hold the weights"),
        ({"batch": 5000}, "tensor_parallel must give room for batch"),
        ({"gpu": "tpu-v4"}, "gpu 'tpu-v4' has no interconnect_gbps in the accelerators dataset"),
        ({"tensor_parallel": 3}, "tensor_parallel must split the 64 query heads and the 8 key/value heads of llama-2-70b"),
        ({"prompt_tokens": 5000}, "prompt_tokens + output_tokens must be at most the context of llama-2-70b, 4,096 tokens; got 5,128"),
    ],
)
def test_serving_chapter_rejects_a_bad_parameter(parameters, message):
    assert_refused("08_serving", message, **parameters)  # in-process: the validation cell alone


def test_serving_chapter_stops_a_real_run_in_its_validation_cell(tmp_path):
    """papermill -p mfu_hihg 0.9 must not run the chapter on its defaults without a word."""
    assert_rejected("08_serving", tmp_path, "unknown parameter 'mfu_hihg'; this chapter accepts: batch, compute_efficiency", mfu_hihg=0.9)
