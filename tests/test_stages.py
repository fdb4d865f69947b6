"""Stage compute (llmcost.stages) pinned to InstructGPT's published inputs and compute."""

import numpy as np
import pytest

from llmcost import flops, stages
from llmcost.core.validate import InputError


def test_instructgpt_inputs_are_table_6_and_appendix_c():
    i = stages.INSTRUCTGPT
    assert i["sft_examples"] == 12_725  # "about 13k" (section 3.2)
    assert i["rm_prompts"] == 33_207  # "33k"
    assert i["ppo_prompts"] == 31_144  # "31k"
    assert (i["sft_epochs"], i["rm_epochs"], i["ppo_episodes"], i["ptx_ratio"]) == (16, 1, 256_000, 8)
    assert stages.INSTRUCTGPT_PUBLISHED_PFS_DAYS == {"pretraining": 3640.0, "sft": 4.9, "rl": 60.0}


def test_pretraining_is_6pd_and_gpt3_matches_its_published_compute():
    assert stages.pretraining_flops(175e9, 300e9) == flops.training_flops(175e9, 300e9) == pytest.approx(3.15e23)
    assert flops.to_pfs_days(3.14e23) == pytest.approx(3634, rel=1e-3)


def test_sft_and_reward_model_are_6_p_times_tokens_seen():
    assert stages.sft_flops(175e9, 100, 2000, 16) == 6 * 175e9 * 100 * 2000 * 16
    assert stages.reward_model_flops(6e9, 1000, 500) == 6 * 6e9 * 1000 * 2 * 500
    assert stages.reward_model_flops(6e9, 1000, 500, epochs=2, responses_per_comparison=9) == 6 * 6e9 * 1000 * 9 * 500 * 2


def test_ppo_terms_per_rollout_token():
    terms = stages.ppo_flops_per_token(175e9, 6e9, 6e9)
    assert terms == {"generation": 2 * 175e9, "reward": 2 * 6e9, "reference": 2 * 175e9, "value": 2 * 6e9,
                     "policy_training": 6 * 175e9, "value_training": 6 * 6e9}
    # the policy dominates: 10 P of the 10 P + 10 P_v per token
    assert sum(terms.values()) == 10 * 175e9 + 10 * 6e9
    two = stages.ppo_flops_per_token(175e9, 6e9, 6e9, ppo_epochs=2)
    assert two["policy_training"] == 2 * terms["policy_training"] and two["generation"] == terms["generation"]
    assert stages.ppo_flops(175e9, 6e9, 6e9, 10, 100) == sum(terms.values()) * 10 * 100


def test_ptx_is_language_modelling_on_pretraining_examples():
    assert stages.ptx_flops(175e9, 256_000, 8, 2048) == 6 * 175e9 * 8 * 256_000 * 2048
    assert stages.ptx_flops(175e9, 256_000, 0, 2048) == 0


def test_functions_broadcast_over_arrays():
    params = np.array([1.3e9, 6e9, 175e9])
    np.testing.assert_allclose(stages.sft_flops(params, 12_725, 2048, 16), 6 * params * 12_725 * 2048 * 16)
    np.testing.assert_allclose(stages.ppo_flops(params, 6e9, 6e9, 256_000, 2048),
                               (10 * params + 10 * 6e9) * 256_000 * 2048)


def test_instructgpt_calibration_reproduces_the_published_compute():
    """With every sequence filling the 2,048-token context, SFT and PPO-ptx land within 4 % of section 5.1."""
    table = stages.instructgpt_calibration().set_index("stage")
    assert table.loc["pretraining", "estimate"] == pytest.approx(3645.83, rel=1e-4)
    assert table.loc["sft", "estimate"] == pytest.approx(5.067, rel=1e-3)
    assert table.loc["rl", "estimate"] == pytest.approx(61.96, rel=1e-3)
    assert np.all(np.abs(table["ratio"] - 1) < 0.04)
    # the published figures imply about 1,980 tokens per sequence for both stages
    assert table.loc["sft", "implied_tokens"] == pytest.approx(1980, abs=5)
    assert table.loc["rl", "implied_tokens"] == pytest.approx(1983, abs=5)
    # the pretraining mix is most of PPO-ptx's compute
    ptx = flops.to_pfs_days(stages.ptx_flops(175e9, 256_000, 8, 2048))
    assert ptx / table.loc["rl", "estimate"] == pytest.approx(0.823, abs=1e-3)


def test_post_training_is_a_small_share_of_pretraining():
    f = stages.instructgpt_pipeline_flops()
    share = {stage: f[stage] / f["pretraining"] for stage in stages.STAGES}
    assert share["pretraining"] == 1
    assert share["sft"] < 0.002 and share["reward_model"] < 1e-4 and share["rl"] < 0.02


@pytest.mark.parametrize(("call", "message"), [
    (lambda: stages.sft_flops(175e9, 0, 2048, 16), "examples must be a finite number > 0"),
    (lambda: stages.sft_flops(-1, 10, 2048, 16), "params must be a finite number > 0"),
    (lambda: stages.reward_model_flops(6e9, 100, 2048, responses_per_comparison=0), "responses_per_comparison must be"),
    (lambda: stages.ppo_flops_per_token(175e9, 6e9, 6e9, ppo_epochs=1.5), "ppo_epochs must be a whole number >= 1"),
    (lambda: stages.ppo_flops(175e9, 6e9, 6e9, 256_000, -5), "tokens_per_episode must be a finite number > 0"),
    (lambda: stages.ptx_flops(175e9, 256_000, -1, 2048), "ptx_ratio must be a finite number >= 0"),
])
def test_errors_name_the_parameter(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_stage_time_divides_each_stage_by_its_cluster():
    from llmcost import cluster

    per_stage = {"pretraining": 3e23, "sft": 1e20, "reward_model": 5e19, "rl": 2e21}
    gpus = {"pretraining": 1024, "sft": 64, "reward_model": 64, "rl": 128}
    timed = stages.stage_time(per_stage, 312e12, 0.4, gpus)
    assert list(timed) == list(stages.STAGES)
    for stage, row in timed.items():
        assert row["gpu_days"] == pytest.approx(cluster.gpu_days(per_stage[stage], 312e12, 0.4))
        assert row["days"] == pytest.approx(row["gpu_days"] / gpus[stage])
        assert row["share"] == pytest.approx(per_stage[stage] / 3e23)
    with pytest.raises(InputError, match=r"gpus\['rl'\]"):
        stages.stage_time(per_stage, 312e12, 0.4, {**gpus, "rl": 0})


def test_grpo_counts_generation_reference_and_training_only():
    """GRPO (Shao et al. 2024): no value model, and no reward model with rule-based rewards:
    2P + 2P + 6P per sampled token, 2P less without the KL reference."""
    terms = stages.grpo_flops_per_token(37e9)
    assert terms == {"generation": 2 * 37e9, "reference": 2 * 37e9, "policy_training": 6 * 37e9}
    assert sum(stages.grpo_flops_per_token(37e9, reference=False).values()) == 8 * 37e9
    run = stages.deepseek_r1_zero()
    samples = run["steps"] * run["questions_per_step"] * run["samples_per_question"]
    assert samples == 5_324_800
    assert stages.grpo_flops(37e9, 32, 16, 10_400, 8_000) == pytest.approx(10 * 37e9 * samples * 8_000)
    # 101 K H800-hours for R1-Zero: 512 GPUs x 198 hours, as the Supplementary Information says
    assert run["gpus"] * run["hours"] == pytest.approx(run["gpu_hours"], rel=0.01)


def test_deepseek_r1_post_training_is_a_few_percent_of_v3():
    from llmcost.book.pages import training_stages as ch02

    found = ch02.grpo_example()
    assert 0.04 < found["c2_r1_share"][0] < 0.07
    rows = ch02.grpo_rows()
    assert (rows["implied"] < 0.1).all() and rows["implied"].is_monotonic_increasing


def test_grpo_findings_span_the_table():
    from llmcost.book.pages import training_stages as ch02

    rows = ch02.grpo_rows()
    found = ch02.grpo_findings(rows)
    assert found["c2_r1_implied_low"][0] == rows["implied"].min() and found["c2_r1_implied_high"][0] == rows["implied"].max()


def test_r1_sampling_at_the_roofline_is_a_lower_bound_of_its_hours():
    from llmcost.book.pages import training_stages as ch02

    rows = ch02.grpo_rows()
    assert rows["rollout_hours"].is_monotonic_increasing
    assert (rows["rollout_hours"] < stages.DEEPSEEK_R1_ZERO["hours"]).all()  # the run took 198 hours in all
