"""Chapter 2 (training pipeline stages) re-run with other parameters, and its parameter checks."""

import pytest
from chapter_runs import assert_refused, assert_rejected, glued, run_chapter

from llmcost import cluster, flops, hardware, stages
from llmcost.book import format_number


def test_stages_chapter_follows_its_parameters(tmp_path):
    params = {"params": 70e9, "pretrain_tokens": 2e12, "gpu": "h100", "precision": "bf16", "mfu": 0.231,
              "ptx_ratio": 0, "tokens_per_sequence": 1024, "finetune_gpus": 32}
    values = glued(run_chapter("02_training_stages", tmp_path, **params))

    per_stage = stages.pipeline_flops(70e9, 2e12, 12725, 16, 6e9, 33207, 9, 1, 6e9, 256000, 1, 0, 1024)
    peak = hardware.peak_flops("h100", "bf16")
    pretrain_gpu_days = cluster.gpu_days(per_stage["pretraining"], peak, 0.231)
    assert values["c2_pretrain_gpu_days"] == format_number(pretrain_gpu_days, "sig3")
    # half of 46.2 % utilization -> twice the GPU-days
    assert pretrain_gpu_days == pytest.approx(2 * cluster.gpu_days(per_stage["pretraining"], peak, 0.462))
    rl_days = cluster.gpu_days(per_stage["rl"], peak, 0.231) / 32
    assert values["c2_rl_days"] == format_number(rl_days, "sig3")
    post = per_stage["sft"] + per_stage["reward_model"] + per_stage["rl"]
    assert values["c2_post_share"] == format_number(post / per_stage["pretraining"], ".2%")
    # the calibration follows the sequence-length assumption: half the tokens, half the estimate
    assert values["c2_est_sft"] == format_number(flops.to_pfs_days(stages.sft_flops(175e9, 12725, 1024, 16)), ".3g")
    assert values["c2_ratio_sft"] == format_number(4.9 / (flops.to_pfs_days(stages.sft_flops(175e9, 12725, 2048, 16)) / 2), ".3f")
    # what the paper published does not move
    assert values["c2_igpt_sft"] == "4.9" and values["c2_igpt_rl"] == "60" and values["c2_implied_sft"] == "1,980"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"mfu": 1.5}, "mfu must be a fraction in (0, 1]"),
        ({"sft_epochs": 2.5}, "sft_epochs must be a whole number >= 1"),
        ({"ptx_ratio": -1}, "ptx_ratio must be a finite number >= 0"),
        ({"gpu": "abacus"}, "unknown gpu 'abacus'; known: "),
    ],
)
def test_stages_chapter_rejects_a_bad_parameter(parameters, message):
    assert_refused("02_training_stages", message, **parameters)  # in-process: the validation cell alone


def test_training_stages_stops_a_real_run_in_its_validation_cell(tmp_path):
    assert_rejected("02_training_stages", tmp_path, "mfu must be a fraction in (0, 1]", **{"mfu": 1.5})
