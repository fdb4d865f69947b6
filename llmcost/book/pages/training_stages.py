"""Chapter 2, the training pipeline: its parameter checks, the pipeline and PPO tables, the
InstructGPT calibration, a reasoning model's GRPO stage calibrated on DeepSeek-R1-Zero, every
stage's compute and time for the chapter's base model, and the chart of each stage's compute
against pretraining.

Worked examples return dicts of glued values for :func:`llmcost.book.glue_all` (name -> text or
``(value, fmt)``), in the order the chapter glues them. Compute is in FLOP or petaflop/s-days
(pfs-days), time in GPU-days and wall-clock days, as each docstring says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...catalog import datasets, hardware
from ...core import validate
from ...formulas import cluster, flops
from ...running import serving, stages
from .. import chapter_parameters as parameters
from ..tables import format_number, table

PPO_TERM_NAMES = {
    "generation": "generation by the policy (2P)",
    "reward": "scoring by the reward model (2P_rm)",
    "reference": "reference model for the KL penalty (2P)",
    "value": "value model, forward (2P_v)",
    "policy_training": "policy training, per PPO epoch (6P)",
    "value_training": "value training, per PPO epoch (6P_v)",
}
"""Reader names of the terms of :func:`llmcost.stages.ppo_flops_per_token`."""

POLICY_TERMS = ("generation", "reference", "policy_training")
"""The PPO terms that run the policy-sized models (the policy and its frozen reference)."""

CALIBRATION_STAGES = {"pretraining": "pretraining (GPT-3)", "sft": "SFT (175B)", "rl": "PPO-ptx (175B)"}
"""Reader names of the stages of :func:`llmcost.stages.instructgpt_calibration`."""

POST_TRAINING = ("sft", "reward_model", "rl")
"""The stages after pretraining."""


def check_parameters(params, pretrain_tokens, sft_epochs, rm_params, rm_responses_per_prompt, value_params,
                     ppo_episodes, ppo_epochs, ptx_ratio, tokens_per_sequence, gpu, precision, mfu, pretrain_gpus,
                     finetune_gpus) -> None:
    """Check the chapter's parameters (raises :class:`llmcost.validate.InputError` naming the bad one).

    Parameters as in :func:`stage_table`: counts of parameters, tokens, rollouts, epochs and GPUs within :data:`llmcost.parameters.QUANTITIES`' bounds; 2 to 100
    responses ranked per prompt; at least one rollout per PPO prompt; 0 to 1,000 pretraining
    examples per rollout; 1 to 10 million tokens per sequence; an accelerator with a peak rate
    at ``precision``; ``mfu`` a fraction in (0, 1].
    """
    parameters.check_quantity("params", params, "params")
    parameters.check_quantity("pretrain_tokens", pretrain_tokens, "tokens")
    parameters.check_quantity("sft_epochs", sft_epochs, "epochs")
    parameters.check_quantity("rm_params", rm_params, "params")
    parameters.check_number("rm_responses_per_prompt", rm_responses_per_prompt, validate.check_positive, 2, 100,
                            why="a ranking compares at least 2 responses; InstructGPT ranks 4 to 9")
    parameters.check_quantity("value_params", value_params, "params")
    parameters.check_quantity("ppo_episodes", ppo_episodes, "examples")
    parameters.check_above("ppo_episodes", ppo_episodes, "ppo_prompts", stages.INSTRUCTGPT["ppo_prompts"], equal=True,
                           why="each of InstructGPT's prompts is rolled out at least once")
    parameters.check_quantity("ppo_epochs", ppo_epochs, "epochs")
    parameters.check_number("ptx_ratio", ptx_ratio, validate.check_non_negative, high=1000, why="pretraining examples per rollout; InstructGPT mixes in 8")
    parameters.check_number("tokens_per_sequence", tokens_per_sequence, validate.check_positive, 1, 1e7, why="tokens in one sequence")
    parameters.check_name("gpu", gpu, "gpu", precision=precision)
    parameters.check_quantity("mfu", mfu, "utilization")
    parameters.check_quantity("pretrain_gpus", pretrain_gpus, "gpus")
    parameters.check_quantity("finetune_gpus", finetune_gpus, "gpus")


def pipeline_table() -> pd.DataFrame:
    """:data:`llmcost.stages.PIPELINE` (the talk's table of the four stages) with reader stage names."""
    pipeline = pd.DataFrame(stages.PIPELINE)
    pipeline["stage"] = pipeline["stage"].map(stages.STAGE_NAMES)
    return pipeline


def ppo_terms_table(terms: dict) -> pd.DataFrame:
    """The terms of :func:`llmcost.stages.ppo_flops_per_token`'s result ``terms``: reader name,
    FLOPs per rollout token and share of the sum."""
    per_token = pd.DataFrame({"term": [PPO_TERM_NAMES[k] for k in terms], "FLOPs per token": list(terms.values())})
    per_token["share"] = per_token["FLOPs per token"] / per_token["FLOPs per token"].sum()
    return per_token


def ppo_example(terms: dict, params, rm_params) -> dict:
    """The share of a PPO iteration's FLOPs spent in the policy-sized models (:data:`POLICY_TERMS`)
    and the policy's and reward model's parameter counts."""
    policy_share = sum(terms[k] for k in POLICY_TERMS) / sum(terms.values())
    return {"c2_policy_share": (policy_share, ".1%"), "c2_params": (params, "words"), "c2_rm_params": (rm_params, "words")}


def calibration_example(check: pd.DataFrame, tokens_per_sequence, rm_responses_per_prompt) -> dict:
    """InstructGPT's published compute against the formulas (``check``: the rows of
    :func:`llmcost.stages.instructgpt_calibration`, pfs-days), the sequence lengths that reproduce
    it, the paper's data sizes and the share of PPO-ptx's estimate spent on the pretraining mix."""
    check = check.set_index("stage")
    igpt = stages.INSTRUCTGPT
    ptx = flops.to_pfs_days(stages.ptx_flops(igpt["params"], igpt["ppo_episodes"], igpt["ptx_ratio"], tokens_per_sequence))
    return {
        "c2_igpt_sft": (check.loc["sft", "published"], ".2g"),
        "c2_igpt_rl": (check.loc["rl", "published"], ",.0f"),
        "c2_igpt_gpt3": (check.loc["pretraining", "published"], ",.0f"),
        "c2_est_sft": (check.loc["sft", "estimate"], ".3g"),
        "c2_est_rl": (check.loc["rl", "estimate"], ".3g"),
        "c2_est_gpt3": (check.loc["pretraining", "estimate"], ",.0f"),
        "c2_ratio_sft": (check.loc["sft", "ratio"], ".3f"),
        "c2_ratio_rl": (check.loc["rl", "ratio"], ".3f"),
        "c2_implied_sft": (check.loc["sft", "implied_tokens"], ",.0f"),
        "c2_implied_rl": (check.loc["rl", "implied_tokens"], ",.0f"),
        "c2_seq": (tokens_per_sequence, ",.0f"),
        "c2_k": (rm_responses_per_prompt, ",.3g"),
        "c2_context": (igpt["context"], ",.0f"),
        "c2_igpt_sft_n": (igpt["sft_examples"], ",.0f"),
        "c2_igpt_rm_n": (igpt["rm_prompts"], ",.0f"),
        "c2_igpt_ppo_n": (igpt["ppo_prompts"], ",.0f"),
        "c2_igpt_episodes": (igpt["ppo_episodes"], ",.0f"),
        "c2_igpt_epochs": (igpt["sft_epochs"], ",.0f"),
        "c2_igpt_ptx": (igpt["ptx_ratio"], ",.0f"),
        "c2_pfs_day": (flops.PETAFLOP_S_DAY, "sci"),
        "c2_ptx_share": (ptx / check.loc["rl", "estimate"], ".0%"),
    }


def calibration_table(check: pd.DataFrame) -> pd.DataFrame:
    """:func:`llmcost.stages.instructgpt_calibration`'s rows ``check`` with reader stage names."""
    return check.assign(stage=check["stage"].map(CALIBRATION_STAGES))


def stage_table(params, pretrain_tokens, sft_epochs, rm_params, rm_responses_per_prompt, value_params, ppo_episodes,
                ppo_epochs, ptx_ratio, tokens_per_sequence, gpu, precision, mfu, pretrain_gpus, finetune_gpus) -> pd.DataFrame:
    """Every stage's compute and time, one row per stage of :data:`llmcost.stages.STAGES`: stage
    (reader name), data (its size in words), flop (FLOP, :func:`llmcost.stages.pipeline_flops`),
    share (of pretraining), gpu_days, gpus, days (wall clock, :func:`llmcost.stages.stage_time`).

    params, rm_params, value_params: parameters of the policy, reward and value models;
    pretrain_tokens: pretraining tokens; ppo_episodes: PPO rollouts; sft_epochs, ppo_epochs:
    passes; InstructGPT's data sizes (demonstrations, ranked prompts, PPO prompts) and its one
    reward-model epoch come from :data:`llmcost.stages.INSTRUCTGPT`; ptx_ratio:
    pretraining examples per rollout; tokens_per_sequence: tokens of every sequence; gpu,
    precision, mfu: the accelerator, the precision of its dense peak and the utilization;
    pretrain_gpus, finetune_gpus: GPUs of pretraining and of each later stage.
    """
    igpt = stages.INSTRUCTGPT
    sft_examples, rm_prompts, rm_epochs, ppo_prompts = (igpt[k] for k in ("sft_examples", "rm_prompts", "rm_epochs", "ppo_prompts"))
    per_stage = stages.pipeline_flops(params, pretrain_tokens, sft_examples, sft_epochs, rm_params, rm_prompts,
                                      rm_responses_per_prompt, rm_epochs, value_params, ppo_episodes, ppo_epochs,
                                      ptx_ratio, tokens_per_sequence)
    data = {"pretraining": f"{format_number(pretrain_tokens, 'words')} tokens",
            "sft": f"{sft_examples:,} demos, {sft_epochs} epoch(s)",
            "reward_model": f"{rm_prompts:,} prompts × {rm_responses_per_prompt:g}, {rm_epochs} epoch(s)",
            "rl": f"{ppo_episodes:,} rollouts of {ppo_prompts:,} prompts, ptx × {ptx_ratio:g}"}
    gpus = {"pretraining": pretrain_gpus, **{stage: finetune_gpus for stage in POST_TRAINING}}
    timed = stages.stage_time(per_stage, hardware.peak_flops(gpu, precision), mfu, gpus)
    return pd.DataFrame([{"stage": stages.STAGE_NAMES[s], "data": data[s], **timed[s]} for s in stages.STAGES])


def estimate_example(estimate: pd.DataFrame, gpu, precision, mfu, pretrain_tokens) -> dict:
    """What the chapter quotes from :func:`stage_table`'s rows ``estimate``: the accelerator, its
    precision and utilization, the pretraining tokens, post-training compute as a share of
    pretraining and of the total, pretraining's GPU-days, days and GPUs, the later stages' GPUs,
    and the days of RL and of SFT."""
    rows = estimate.set_index(pd.Index(stages.STAGES))
    post = sum(rows.loc[s, "flop"] for s in POST_TRAINING)
    return {
        "c2_gpu": gpu,
        "c2_gpu_name": datasets.accelerator(gpu)["name"],
        "c2_precision": precision,
        "c2_mfu": (mfu, ".1%"),
        "c2_pretrain_tokens": (pretrain_tokens, "words"),
        "c2_post_share": (post / rows.loc["pretraining", "flop"], ".2%"),
        "c2_post_of_total": (post / sum(rows["flop"]), ".2%"),
        "c2_pretrain_gpu_days": (rows.loc["pretraining", "gpu_days"], "sig3"),
        "c2_pretrain_days": (rows.loc["pretraining", "days"], "sig3"),
        "c2_pretrain_gpus": (rows.loc["pretraining", "gpus"], ",.0f"),
        "c2_finetune_gpus": (rows.loc["sft", "gpus"], ",.0f"),
        "c2_rl_days": (rows.loc["rl", "days"], "sig3"),
        "c2_sft_days": (rows.loc["sft", "days"], ",.2g"),
    }


def share_chart(estimate: pd.DataFrame, params):
    """Each stage's compute as a share of pretraining (:func:`stage_table`'s ``share``), on a log
    axis from a decade below the smallest share to 10, each dot labelled in per cent."""
    import altair as alt

    bars = estimate[["stage", "share"]].assign(label=[format_number(100 * v, ".3g", "%") for v in estimate["share"]])
    floor = 10 ** np.floor(np.log10(bars["share"].min()) - 1)
    base = alt.Chart(bars).encode(
        y=alt.Y("stage:N", sort=list(bars["stage"]), title=None),
        x=alt.X("share:Q", scale=alt.Scale(type="log", domain=[floor, 10]), title="compute as a share of pretraining (log scale)"),
    )
    return alt.layer(base.mark_point(filled=True, size=90), base.mark_text(align="left", dx=8).encode(text="label:N")).properties(
        width=460, height=160, title=f"Compute of each stage relative to pretraining ({format_number(params, 'words')} parameters)")


# --- reasoning models: GRPO, calibrated on DeepSeek-R1-Zero ---------------------------------------

R1_MEAN_TOKENS = (2_000, 4_000, 8_000, 16_000)
"""Mean tokens per sampled output tried for DeepSeek-R1-Zero's run: the paper gives the limits
(32,768, then 65,536) and a growing length, not the mean."""


R1_ROLLOUT = {"outputs_per_rollout": 8_192, "group_gpus": 32, "prompt_tokens": 500}
"""How DeepSeek-R1-Zero's sampling is laid out for the serving roofline. 8,192 outputs per rollout
(16 training steps' worth, Guo et al. 2025, Methods) are published; the 32-GPU expert-parallel
groups (16 of them on the 512 GPUs, each decoding 512 sequences, like DeepSeek-V3's decode units)
and the 500-token prompts are this book's assumptions."""


def rollout_hours(mean_tokens) -> float:
    """Hours that DeepSeek-R1-Zero's sampling takes at the serving roofline
    (:func:`llmcost.serving.serving_estimate`, DeepSeek-V3 on H800s in FP8, expert layout, laid
    out as :data:`R1_ROLLOUT`) when every output is ``mean_tokens`` long: a lower bound of the
    run's time, since real engines reach only part of the roofline and training comes on top."""
    run, layout = stages.deepseek_r1_zero(), R1_ROLLOUT
    groups = run["gpus"] // layout["group_gpus"]
    batch = layout["outputs_per_rollout"] // groups
    rollouts = run["steps"] * run["questions_per_step"] * run["samples_per_question"] / layout["outputs_per_rollout"]
    served = serving.serving_estimate("deepseek-v3", "h800", gpus=layout["group_gpus"], batch=batch, layout="expert",
                                      prompt_tokens=layout["prompt_tokens"], output_tokens=int(mean_tokens), precision="fp8")
    return rollouts * (served["prefill_s"] + served["decode_s"]) / cluster.SECONDS_PER_HOUR


def grpo_rows(tokens=R1_MEAN_TOKENS) -> pd.DataFrame:
    """DeepSeek-R1-Zero's GRPO run (:data:`llmcost.stages.DEEPSEEK_R1_ZERO`) at each mean output
    length: tokens sampled, FLOP (:func:`llmcost.stages.grpo_flops`) and the share of the H800's
    dense BF16 peak that its published 101 K GPU-hours imply, with the tokens sampled per
    GPU-second that those hours allow."""
    run = stages.deepseek_r1_zero()
    samples = run["steps"] * run["questions_per_step"] * run["samples_per_question"]
    peak = hardware.peak_flops("h800", "bf16")
    rows = []
    for mean in tokens:
        work = stages.grpo_flops(run["params_active"], run["questions_per_step"], run["samples_per_question"], run["steps"], mean)
        rows.append({"mean tokens per output": mean, "tokens": samples * mean, "flop": work,
                     "per_gpu_s": samples * mean / (run["gpu_hours"] * cluster.SECONDS_PER_HOUR),
                     "implied": cluster.implied_utilization(work, peak, run["gpu_hours"]),
                     "rollout_hours": rollout_hours(mean)})
    return pd.DataFrame(rows)


def grpo_findings(rows: pd.DataFrame) -> dict:
    """Glue names ``c2_r1_implied_*``, ``c2_r1_mean_*``, ``c2_r1_rollout_*``: the range of
    :func:`grpo_rows`' implied share of the peak and of its sampling hours at the roofline, the
    mean lengths they are at, and the layout assumed (:data:`R1_ROLLOUT`)."""
    first, last = rows.iloc[0], rows.iloc[-1]
    return {"c2_r1_implied_low": (first["implied"], ".1%"), "c2_r1_mean_low": (first["mean tokens per output"], ",.0f"),
            "c2_r1_implied_high": (last["implied"], ".1%"), "c2_r1_mean_high": (last["mean tokens per output"], ",.0f"),
            "c2_r1_rollout_low": (first["rollout_hours"], ",.0f"), "c2_r1_rollout_high": (last["rollout_hours"], ",.0f"),
            "c2_r1_group_gpus": (R1_ROLLOUT["group_gpus"], ",.0f"), "c2_r1_prompt": (R1_ROLLOUT["prompt_tokens"], ",.0f"),
            "c2_r1_per_rollout": (R1_ROLLOUT["outputs_per_rollout"], ",.0f")}


def grpo_table(rows: pd.DataFrame):
    """:func:`grpo_rows` for display."""
    return table(rows, {"mean tokens per output": ",.0f", "tokens": "sci", "flop": "sci", "per_gpu_s": ",.0f", "implied": ".1%",
                        "rollout_hours": ",.0f"},
                 {"tokens": "tokens sampled", "flop": "FLOP", "per_gpu_s": "tokens per GPU-second",
                  "implied": "implied share of the H800's BF16 peak", "rollout_hours": "sampling at the roofline (hours)"})


def grpo_example() -> dict:
    """Glue names ``c2_r1_*``: DeepSeek-R1-Zero's settings, samples, GPU-hours, the GRPO and PPO
    FLOPs per token for the same policy, and DeepSeek-R1's post-training against DeepSeek-V3's
    training (GPU-hours and USD)."""
    run = stages.deepseek_r1_zero()
    r1, v3 = datasets.model("deepseek-r1"), datasets.model("deepseek-v3")
    v3_hours = datasets.published_value("deepseek-v3", "gpu_hours", "deepseek2024v3", "(total)")  # the bill's hours
    grpo = sum(stages.grpo_flops_per_token(run["params_active"]).values())
    ppo = sum(stages.ppo_flops_per_token(run["params_active"], run["params_active"], run["params_active"]).values())
    return {
        "c2_r1_questions": (run["questions_per_step"], ",.0f"),
        "c2_r1_group": (run["samples_per_question"], ",.0f"),
        "c2_r1_steps": (run["steps"], ",.0f"),
        "c2_r1_samples": (run["steps"] * run["questions_per_step"] * run["samples_per_question"], "words"),
        "c2_r1_max_early": (run["max_tokens_early"], ",.0f"),
        "c2_r1_max_late": (run["max_tokens_late"], ",.0f"),
        "c2_r1_switch": (run["switch_step"], ",.0f"),
        "c2_r1_gpus": (run["gpus"], ",.0f"),
        "c2_r1_hours": (run["hours"], ",.0f"),
        "c2_r1_zero_gpu_hours": (run["gpu_hours"], ",.0f"),
        "c2_r1_grpo_per_token": (grpo / run["params_active"], ",.0f"),
        "c2_r1_ppo_per_token": (ppo / run["params_active"], ",.0f"),
        "c2_r1_gpu_hours": (r1["gpu_hours"], ",.0f"),
        "c2_r1_cost": (r1["cost_usd"] / 1e3, ",.0f", "thousand USD"),
        "c2_v3_gpu_hours": (v3_hours, ",.0f"),
        "c2_v3_cost": (v3["cost_usd"] / 1e6, ",.3f", "million USD"),
        "c2_r1_share": (r1["gpu_hours"] / v3_hours, ".1%"),
    }
