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


REQUEST = dict(prompt_tokens=1000, output_tokens=200, precision="fp8")


def test_the_expert_layout_on_one_accelerator_is_the_tensor_layout():
    """One accelerator holds everything either way: every key agrees."""
    tensor = serving.serving_estimate("mixtral-8x7b", "h100", gpus=1, batch=8, layout="tensor", usd_per_gpu_hour=2, **REQUEST)
    expert = serving.serving_estimate("mixtral-8x7b", "h100", gpus=1, batch=8, layout="expert", usd_per_gpu_hour=2, **REQUEST)
    assert expert.keys() == tensor.keys()
    for key, value in tensor.items():
        assert expert[key] == (value if isinstance(value, str) else pytest.approx(value, rel=1e-12)), key


def test_deepseek_v3_with_experts_spread_and_attention_data_parallel():
    """16 H800 in FP8: each holds the non-expert weights and 16 of the 256 routed experts of each
    layer, and the latent cache of its own 4 of the 64 sequences (not 16 copies of all of them)."""
    arch = architecture("deepseek-v3")
    result = serving.serving_estimate("deepseek-v3", "h800", gpus=16, batch=64, layout="expert", **REQUEST)
    routed = routed_expert_params(arch)
    copied = parameter_counts(arch)["total"] - routed
    assert routed == 58 * 256 * 3 * 7168 * 2048
    assert result["weights_gb_per_gpu"] == pytest.approx((copied + routed / 16) / GB)
    assert result["kv_cache_gb_per_gpu"] == pytest.approx(4 * 1200 * 61 * 576 / GB)
    assert result["max_batch"] == 16 * ((80 * GB - copied - routed / 16) // (1200 * 61 * 576))
    tensor = serving.serving_estimate("deepseek-v3", "h800", gpus=16, batch=64, layout="tensor", **REQUEST)
    assert result["max_batch"] > 9 * tensor["max_batch"]
    sent = parallelism.expert_alltoall_bytes(4, 7168, 8, 58, 16, 1.0, training=False)
    assert sent == pytest.approx(2 * 4 * 8 * 7168 * 15 / 16 * 58)
    latency = serving.allreduce_latency_seconds(16)
    assert result["decode_comm_s_per_step"] == pytest.approx(sent / (400 * GB / 2) + 2 * 58 * latency)


def test_the_expert_layout_refuses_what_it_cannot_lay_out(capsys):
    with pytest.raises(InputError, match="layout 'expert' spreads the experts of a mixture-of-experts model; llama-2-70b is dense"):
        serving.serving_estimate("llama-2-70b", "h100", gpus=8, batch=1, layout="expert", **REQUEST)
    with pytest.raises(InputError, match=r"gpus must divide the 8 experts of mixtral-8x7b with layout 'expert' \(1, 2, 4, 8\); got 3"):
        serving.serving_estimate("mixtral-8x7b", "h100", gpus=3, batch=1, layout="expert", **REQUEST)
    with pytest.raises(InputError, match="each accelerator holds .* GB of deepseek-v3 besides its experts"):
        serving.serving_estimate("deepseek-v3", "h800", gpus=8, batch=1, layout="expert", **REQUEST)
    assert cli.main(["serve", "--model", "mixtral-8x7b", "--gpus", "3", "--layout", "expert",
                     "--prompt-tokens", "10", "--output-tokens", "10"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--gpus must divide the 8 experts" in err[0]


def test_a_batch_sweep_in_the_expert_layout_reaches_its_own_largest_batch():
    sweep = serving.batch_sweep("mixtral-8x7b", "h100", gpus=4, prompt_tokens=1000, output_tokens=200, layout="expert", precision="fp8")
    one = serving.serving_estimate("mixtral-8x7b", "h100", gpus=4, batch=1, layout="expert", **REQUEST)
    assert sweep["batch"][-1] == one["max_batch"]
    assert sweep["decode_s_per_step"][-1] > sweep["decode_s_per_step"][0]
