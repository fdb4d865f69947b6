"""Chapter 4 (memory and parallelism) re-run with other parameters, and its parameter checks."""

import pytest
from chapter_runs import assert_refused, assert_rejected, glued, run_chapter

import llmcost
from llmcost import memory, parallelism, sizing
from llmcost.book import format_number
from llmcost.running import layout_search


def test_memory_chapter_follows_its_parameters(tmp_path):
    params = {"model": "llama-65b", "gpu": "h200", "precision": "fp32", "optimizer": "sgd",
              "data_parallel": 16, "tensor_parallel": 4, "pipeline_parallel": 4, "microbatches": 12,
              "micro_batch_size": 2, "serving_batch": 4, "search_gpus": 256, "global_batch": 512}
    values = glued(run_chapter("04_memory_parallelism", tmp_path, **params))
    facts = llmcost.model("llama-65b")
    p = facts["params_total"]

    # fp32 SGD with momentum: 4 + 4 + 4 bytes per parameter, not 16
    assert values["c4_bytes_per_param"] == "12"
    assert values["c4_states_tb"] == format_number(12 * p / 1e12, ",.2f", "TB")
    assert values["c4_gpu_memory"] == "141 GB"
    assert values["c4_zero3_ranks"] == format_number(sizing.min_data_parallel_for_zero(p, 141, 3, "fp32", "sgd"), ",.0f")
    # bubble overhead (p - 1) / m = 3 / 12; fraction 3 / 15
    assert values["c4_bubble_overhead"] == "25.0%"
    assert values["c4_bubble_fraction"] == "20.0%"
    # activations scale with the micro-batch size; KV cache with the serving batch
    act = memory.activation_bytes_per_layer(2048, 2, 8192, 64, 4, False, "none") * 80
    assert values["c4_act_none_gb"] == format_number(act / 1e9, ",.1f", "GB")
    assert values["c4_kv_gb"] == format_number(memory.kv_cache_bytes(80, 8192, 2048, 4) / 1e9, ",.0f", "GB")
    tp = parallelism.tensor_parallel_traffic_bytes(2, 2048, 8192, 4) * 80
    assert values["c4_tp_gb"] == format_number(tp / 1e9, ",.0f", "GB")
    # the seed-003 claims do not depend on the parameters
    assert values["c4_200b_states_tb"] == "3.2 TB"
    assert values["c4_layout_gpus"] == "3,072"
    # the layout search runs on this model, accelerator, precision, optimizer, cluster and batch
    layouts = layout_search.search_layouts("llama-65b", "h200", 256, 512, precision="fp32", optimizer="sgd")
    best = layout_search.best_layout(layouts, 141)
    assert values["c4_auto_gpus"] == "256" and values["c4_auto_batch"] == "512"
    assert values["c4_auto_layout"] == f"t = {best['tensor_parallel']}, p = {best['pipeline_parallel']}, d = {best['data_parallel']}"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"tensor_parallel": 7}, "tensor_parallel must divide the 96 heads of gpt-3, got 7"),
        ({"optimizer": "lion"}, "optimizer must be one of adam, sgd, adam8bit, adafactor; got 'lion'"),
        ({"model": "gpt-4"}, "model 'gpt-4' has no d_model, heads in the models dataset"),
    ],
)
def test_memory_chapter_rejects_a_bad_parameter(parameters, message):
    assert_refused("04_memory_parallelism", message, **parameters)  # in-process: the validation cell alone


def test_memory_chapter_stops_a_real_run_in_its_validation_cell(tmp_path):
    assert_rejected("04_memory_parallelism", tmp_path, "tensor_parallel must divide the 96 heads of gpt-3, got 7", **{"tensor_parallel": 7})
