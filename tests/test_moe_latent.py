"""Mixture-of-experts and latent attention as they run (issue 18): DeepSeek-V3 serves with its
compressed cache, expert parallelism's memory and all-to-all volume."""

import json

import pytest

from llmcost import cli
from llmcost.core.validate import InputError
from llmcost.formulas import parallelism
from llmcost.running import serving
from llmcost.running.architecture import architecture, parameter_counts, routed_expert_params

GB = 1e9


def test_deepseek_v3_serves_with_its_latent_cache():
    """61 x (512 + 64) FP8 values a token, held by each of the 16 accelerators (tensor parallelism
    replicates the latent every head reads): 1,000 + 200 tokens x batch 8."""
    result = serving.serving_estimate("deepseek-v3", "h800", gpus=16, batch=8, prompt_tokens=1000, output_tokens=200, precision="fp8")
    assert result["kv_cache_gb_per_gpu"] == pytest.approx(8 * 1200 * 61 * 576 / GB)
    assert result["weights_gb_per_gpu"] == pytest.approx(parameter_counts("deepseek-v3")["total"] / 16 / GB)
    free = 16 * 80 * GB - parameter_counts("deepseek-v3")["total"]
    assert serving.max_batch("deepseek-v3", "h800", 16, 1200, "fp8", "fp8") == (free // (16 * 1200 * 61 * 576))


def test_deepseek_v3_does_not_fit_eight_h800s_and_the_cli_says_so(capsys):
    """671 GB of FP8 weights in 8 x 80 GB: refused in one line; 16 run."""
    assert cli.main(["serve", "--model", "deepseek-v3", "--gpu", "h800", "--gpus", "8", "--precision", "fp8",
                     "--prompt-tokens", "1000", "--output-tokens", "200"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "671 GB of deepseek-v3 do not fit in 8 x 80 GB" in err[0] and "more than 8 are needed" in err[0]
    assert cli.main(["serve", "--model", "deepseek-v3", "--gpu", "h800", "--gpus", "16", "--precision", "fp8",
                     "--prompt-tokens", "1000", "--output-tokens", "200", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["inputs"]["model"] == "deepseek-v3"


def test_a_decode_step_of_deepseek_reads_the_experts_its_batch_touches():
    one = serving.serving_estimate("deepseek-v3", "h800", gpus=16, batch=1, prompt_tokens=100, output_tokens=10, precision="fp8")
    many = serving.serving_estimate("deepseek-v3", "h800", gpus=16, batch=512, prompt_tokens=100, output_tokens=10, precision="fp8")
    counts = parameter_counts("deepseek-v3")
    assert one["weights_read_gb_per_step"] == pytest.approx(counts["active"] / GB)
    assert many["weights_read_gb_per_step"] == pytest.approx(counts["total"] / GB, rel=0.01)


def test_expert_parallel_memory_and_all_to_all():
    arch = architecture("mixtral-8x7b")
    total, routed = parameter_counts(arch)["total"], routed_expert_params(arch)
    assert routed == 32 * 8 * 3 * 4096 * 14336
    per_gpu = parallelism.expert_parallel_params_per_gpu(total, routed, 8)
    assert per_gpu == pytest.approx(total - routed + routed / 8)
    assert parallelism.expert_parallel_params_per_gpu(total, routed, 1) == pytest.approx(total)
    # 4,096 tokens, top-2, d 4096, BF16, 8 ranks: 7/8 of two copies leave, twice a layer, forward and backward
    sent = parallelism.expert_alltoall_bytes(4096, 4096, 2, 32, 8)
    assert sent == pytest.approx(2 * 4096 * 2 * 4096 * 2 * 7 / 8 * 2 * 32)
    assert parallelism.expert_alltoall_bytes(4096, 4096, 2, 32, 1) == 0
    assert parallelism.expert_alltoall_bytes(4096, 4096, 2, 32, 8, training=False) == pytest.approx(sent / 2)
    with pytest.raises(InputError, match="routed_params must be at most total_params"):
        parallelism.expert_parallel_params_per_gpu(1e9, 2e9, 8)
