"""Compute of the four stages that turn a pretrained model into an assistant.

Pretraining, supervised fine-tuning (SFT), reward modelling (RM) and reinforcement learning
with PPO: the pipeline of Karpathy's "State of GPT" talk (Microsoft Build 2023,
``karpathy2023stateofgpt``), as retold by seed 002 (section 1), and of InstructGPT
(Ouyang et al. 2022, ``ouyang2022instructgpt``), whose published data sizes and compute
calibrate it.

Every stage is counted with the dense-transformer rule of :mod:`llmcost.flops`: 2 FLOPs per
parameter per token for a forward pass, 6 for a training step (forward + backward)
(Kaplan et al. 2020). Per stage, in FLOP:

* pretraining ``6 P D`` (:func:`pretraining_flops`);
* SFT ``6 P x examples x tokens per example x epochs`` (:func:`sft_flops`);
* reward model ``6 P_rm x comparisons x responses per comparison x tokens x epochs``
  (:func:`reward_model_flops`);
* PPO, per rollout token: generation by the policy ``2 P``, scoring by the reward model
  ``2 P_rm``, the frozen reference (SFT) model for the KL penalty ``2 P``, the value model
  ``2 P_v``, then training policy and value ``(6 P + 6 P_v)`` per PPO epoch
  (:func:`ppo_flops_per_token`); plus, for InstructGPT's PPO-ptx, language-model training on
  pretraining data mixed in (:func:`ptx_flops`).

The formulas count the model's arithmetic (model FLOPs), not what an implementation executes:
token-by-token generation runs at a far lower utilization than training, which
:func:`llmcost.cluster.gpu_days` only sees through the utilization it is given.
"""

from __future__ import annotations

from ..catalog import datasets
from ..formulas import cluster, flops
from ..core.validate import check_count, check_flag, check_non_negative, check_positive, finite_result

STAGES = ("pretraining", "sft", "reward_model", "rl")
"""The four stages, in pipeline order."""

STAGE_NAMES = {
    "pretraining": "pretraining",
    "sft": "supervised fine-tuning",
    "reward_model": "reward modelling",
    "rl": "reinforcement learning (PPO)",
}

PIPELINE = (
    {
        "stage": "pretraining",
        "data": "raw internet text: web pages, books, code, papers, Q&A sites",
        "data_size": "trillions of words",
        "algorithm": "language modelling (predict the next token)",
        "gpus": "thousands",
        "time": "months (seed 002: tens of days)",
        "output": "base model",
    },
    {
        "stage": "sft",
        "data": "demonstrations: prompts with ideal responses, written by contractors",
        "data_size": "10k-100k prompt-response pairs",
        "algorithm": "language modelling on the demonstrations",
        "gpus": "1-100 (seed 002: tens)",
        "time": "days",
        "output": "SFT model",
    },
    {
        "stage": "reward_model",
        "data": "comparisons: human rankings of several responses to one prompt",
        "data_size": "100k-1M comparisons (seed 002: millions)",
        "algorithm": "binary classification (predict which response is preferred)",
        "gpus": "1-100 (seed 002: tens)",
        "time": "days",
        "output": "reward model (RM)",
    },
    {
        "stage": "rl",
        "data": "prompts, without responses",
        "data_size": "10k-100k prompts (seed 002: about 100k)",
        "algorithm": "reinforcement learning: generate tokens that maximize the reward",
        "gpus": "1-100 (seed 002: tens)",
        "time": "days",
        "output": "RL model (the assistant)",
    },
)
"""The pipeline as Karpathy's talk tabulates it (``karpathy2023stateofgpt``), with seed 002's
wording where it differs (seed 002, section 1). Orders of magnitude, not measurements."""

# --- InstructGPT's published inputs (Ouyang et al. 2022) -----------------------------------

INSTRUCTGPT = {
    "params": 175e9,
    "sft_examples": 11_295 + 1_430,
    "sft_epochs": 16,
    "rm_params": 6e9,
    "rm_prompts": 6_623 + 26_584,
    "rm_responses_min": 4,
    "rm_responses_max": 9,
    "rm_epochs": 1,
    "value_params": 6e9,
    "ppo_prompts": 31_144,
    "ppo_episodes": 256_000,
    "ppo_epochs": 1,
    "ptx_ratio": 8,
    "context": 2048,
}
"""InstructGPT's training inputs, from Ouyang et al. 2022 (arXiv:2203.02155):

* ``sft_examples``, ``rm_prompts``, ``ppo_prompts``: training splits of Table 6
  (Appendix A.3; section 3.2 rounds them to "about 13k", "33k" and "31k" prompts);
* ``sft_epochs`` 16 (section 3.5, "Supervised fine-tuning"); ``rm_epochs`` 1 and the 6B reward
  model (section 3.5 and Appendix C.2); K = 4 to 9 responses ranked per prompt, each
  completion scored by one forward pass (section 3.5, "Reward modeling");
* ``value_params``: the value function is initialized from the 6B RM (section 3.5);
* ``ppo_episodes`` 256k, one inner PPO epoch per batch, 8 pretraining examples per RL
  episode for PPO-ptx (Appendix C.4);
* ``context`` 2,048 tokens (GPT-3's context; Appendix C: prompts over 1k tokens filtered,
  responses capped at 1k tokens).
"""

INSTRUCTGPT_PUBLISHED_PFS_DAYS = {"pretraining": 3640.0, "sft": 4.9, "rl": 60.0}
"""Training compute in petaflop/s-days published by Ouyang et al. 2022, section 5.1
("Implications for alignment research", page 17 of arXiv v1): "training our 175B SFT model
requires 4.9 petaflops/s-days and training our 175B PPO-ptx model requires 60 petaflops/s-days,
compared to 3,640 petaflops/s-days for GPT-3". The 3,640 is GPT-3's Table D.1 figure
(Brown et al. 2020)."""


@finite_result
def pretraining_flops(params, tokens):
    """Pretraining compute ``6 P D`` in FLOP (Kaplan et al. 2020; seed 002's ``C = 6PD``).

    params: model parameters (active ones for MoE), count; tokens: training tokens, count.
    """
    return flops.training_flops(params, tokens)


@finite_result
def sft_flops(params, examples, tokens_per_example, epochs=1):
    """Supervised fine-tuning compute ``6 P x examples x tokens_per_example x epochs``, FLOP.

    SFT trains the same next-token objective as pretraining, on demonstrations (prompt and
    ideal response) instead of web text (Ouyang et al. 2022, section 3.5; seed 002).
    params: parameters being fine-tuned, count; examples: demonstrations, count;
    tokens_per_example: tokens per demonstration as trained (padded or packed length), count;
    epochs: passes over the demonstrations (InstructGPT: 16), count.
    """
    examples = check_positive("examples", examples)
    tokens_per_example = check_positive("tokens_per_example", tokens_per_example)
    epochs = check_positive("epochs", epochs)
    return flops.training_flops(params, examples * tokens_per_example * epochs)


@finite_result
def reward_model_flops(rm_params, comparisons, tokens_per_response, epochs=1, responses_per_comparison=2):
    """Reward-model training compute ``6 P_rm x comparisons x responses x tokens x epochs``, FLOP.

    The RM reads a prompt and one response and outputs a scalar; a comparison of two
    responses costs two passes (forward and backward) over prompt + response. InstructGPT
    ranks K = 4 to 9 responses per prompt and trains on all K(K-1)/2 pairs of a prompt as one
    batch element, with one pass per completion (Ouyang et al. 2022, section 3.5): pass the
    prompts as ``comparisons`` and K as ``responses_per_comparison``.
    rm_params: reward-model parameters (InstructGPT: 6e9), count; comparisons: labelled
    comparisons (or ranked prompts), count; tokens_per_response: prompt + response tokens, count;
    epochs: passes over the data (InstructGPT: 1), count.
    """
    rm_params = check_positive("rm_params", rm_params)
    comparisons = check_positive("comparisons", comparisons)
    tokens_per_response = check_positive("tokens_per_response", tokens_per_response)
    epochs = check_positive("epochs", epochs)
    responses_per_comparison = check_positive("responses_per_comparison", responses_per_comparison)
    return flops.training_flops(rm_params, comparisons * responses_per_comparison * tokens_per_response * epochs)


@finite_result
def ppo_flops_per_token(params, rm_params, value_params, ppo_epochs=1):
    """FLOPs per rollout token of one PPO iteration, term by term: dict of name -> FLOP/token.

    A rollout token is a prompt or response token of one episode (one prompt, one sampled
    response). Per token (Ouyang et al. 2022, section 3.5 and equation 2; PPO:
    Schulman et al. 2017, ``schulman2017ppo``):

    * ``generation``: the policy samples the response, a forward pass, ``2 P``;
    * ``reward``: the reward model scores prompt + response, a forward pass, ``2 P_rm``;
    * ``reference``: the frozen SFT model gives the log-probabilities of the per-token KL
      penalty, a forward pass, ``2 P``;
    * ``value``: the value model estimates the advantages' baseline, a forward pass, ``2 P_v``;
    * ``policy_training`` and ``value_training``: forward + backward of the clipped PPO loss
      and of the value loss, ``6 P`` and ``6 P_v`` per PPO epoch over the batch
      (InstructGPT: one epoch, Appendix C.4).

    Each forward pass is counted at 2 FLOPs per parameter per token (:mod:`llmcost.flops`);
    generation's re-reading of the prompt is within the same 2 P per token with a KV cache.
    params: policy (and reference) parameters; rm_params: reward model; value_params: value
    model (InstructGPT initializes it from the 6B RM), counts. ppo_epochs: passes per batch.
    """
    params = check_positive("params", params)
    rm_params = check_positive("rm_params", rm_params)
    value_params = check_positive("value_params", value_params)
    ppo_epochs = check_count("ppo_epochs", ppo_epochs)
    forward = flops.flops_per_param_per_token(training=False)
    train = flops.flops_per_param_per_token(training=True)
    return {
        "generation": forward * params,
        "reward": forward * rm_params,
        "reference": forward * params,
        "value": forward * value_params,
        "policy_training": train * params * ppo_epochs,
        "value_training": train * value_params * ppo_epochs,
    }


@finite_result
def ppo_flops(params, rm_params, value_params, episodes, tokens_per_episode, ppo_epochs=1):
    """PPO compute in FLOP: the sum of :func:`ppo_flops_per_token` x episodes x tokens per episode.

    episodes: rollouts (prompt + sampled response; InstructGPT: 256k), count;
    tokens_per_episode: prompt + response tokens, count. Other arguments as in
    :func:`ppo_flops_per_token`. Does not include :func:`ptx_flops`.
    """
    episodes = check_positive("episodes", episodes)
    tokens_per_episode = check_positive("tokens_per_episode", tokens_per_episode)
    per_token = sum(ppo_flops_per_token(params, rm_params, value_params, ppo_epochs).values())
    return per_token * episodes * tokens_per_episode


@finite_result
def ptx_flops(params, episodes, ptx_ratio, tokens_per_example):
    """Compute of the pretraining mix of PPO-ptx, FLOP: ``6 P x ptx_ratio x episodes x tokens``.

    InstructGPT's PPO-ptx adds the pretraining log-likelihood to the PPO objective (equation 2)
    and uses "8 times more pretraining examples than the number of the RL training episodes"
    (Ouyang et al. 2022, Appendix C.4): a language-modelling step on ``ptx_ratio`` pretraining
    examples per episode. ptx_ratio: pretraining examples per episode, 0 for plain PPO;
    tokens_per_example: tokens per pretraining example (a full context for GPT-3 data), count.
    """
    ptx_ratio = check_non_negative("ptx_ratio", ptx_ratio)
    episodes = check_positive("episodes", episodes)
    tokens_per_example = check_positive("tokens_per_example", tokens_per_example)
    params = check_positive("params", params)
    return flops.flops_per_param_per_token(training=True) * params * ptx_ratio * episodes * tokens_per_example


# --- Reasoning models: RL with verifiable rewards (GRPO) -------------------------------------

DEEPSEEK_R1_ZERO = {
    "questions_per_step": 32,
    "samples_per_question": 16,
    "steps": 10_400,
    "max_tokens_early": 32_768,
    "max_tokens_late": 65_536,
    "switch_step": 8_200,
    "hours": 198,
    "gpu_hours": 101_000,
}
"""DeepSeek-R1-Zero's reinforcement learning, from Guo et al. 2025 (``guo2025deepseekr1nature``):
GRPO from DeepSeek-V3-Base; Methods, "Training details": 16 outputs
sampled per question, 32 unique questions per step (a batch of 512), 10,400 steps, a maximum
length of 32,768 tokens raised to 65,536 after step 8,200, the reference model replaced by the
policy every 400 steps; Supplementary Information 2.4.4 ("Training cost"): 64 x 8 H800 GPUs for
about 198 hours, 101 K GPU-hours (147 K with the SFT data and DeepSeek-R1's own RL). The active
parameters and the accelerators are the dataset's facts of DeepSeek-R1 (:func:`deepseek_r1_zero`)."""


def deepseek_r1_zero() -> dict:
    """:data:`DEEPSEEK_R1_ZERO` with ``params_active`` and ``gpus`` (accelerators) from the
    dataset's record of DeepSeek-R1 (``model_facts.csv``), their one source."""
    record = datasets.model_by_id("deepseek-r1")
    return {**DEEPSEEK_R1_ZERO, "params_active": record["params_active"], "gpus": int(record["accelerator_count"])}


@finite_result
def grpo_flops_per_token(params, ppo_epochs=1, reference=True):
    """FLOPs per generated token of one GRPO iteration, term by term: dict of name -> FLOP/token.

    Group relative policy optimization (Shao et al. 2024, ``shao2024deepseekmath``, Section
    4.1.1) samples a group of outputs per question and takes each output's advantage from the
    group's rewards: no value model. With rule-based rewards (DeepSeek-R1-Zero: accuracy and
    format) no reward model runs either. Per token of a sampled output:

    * ``generation``: the policy samples it, a forward pass, ``2 P``;
    * ``reference``: the reference model's log-probability for the KL term, ``2 P`` (0 without one);
    * ``policy_training``: forward and backward of the clipped objective, ``6 P`` per epoch.

    params: the policy's parameters per token (active parameters for a mixture of experts), count.
    """
    params = check_positive("params", params)
    ppo_epochs = check_count("ppo_epochs", ppo_epochs)
    forward = flops.flops_per_param_per_token(training=False)
    return {
        "generation": forward * params,
        "reference": forward * params * (1 if check_flag("reference", reference) else 0),
        "policy_training": flops.flops_per_param_per_token(training=True) * params * ppo_epochs,
    }


@finite_result
def grpo_flops(params, questions_per_step, samples_per_question, steps, tokens_per_sample, ppo_epochs=1, reference=True):
    """GRPO compute in FLOP: :func:`grpo_flops_per_token` x the tokens sampled
    (``steps x questions_per_step x samples_per_question x tokens_per_sample``, the last a mean
    over the run, prompt included), count arguments."""
    per_token = sum(grpo_flops_per_token(params, ppo_epochs, reference).values())
    samples = check_positive("steps", steps) * check_positive("questions_per_step", questions_per_step) \
        * check_positive("samples_per_question", samples_per_question)
    return per_token * samples * check_positive("tokens_per_sample", tokens_per_sample)


@finite_result
def pipeline_flops(
    params,
    pretrain_tokens,
    sft_examples,
    sft_epochs,
    rm_params,
    rm_prompts,
    rm_responses_per_prompt,
    rm_epochs,
    value_params,
    ppo_episodes,
    ppo_epochs,
    ptx_ratio,
    tokens_per_sequence,
):
    """Compute of each stage in FLOP, dict ``{stage: FLOP}`` in the order of :data:`STAGES`.

    Every sequence (demonstration, prompt + response, rollout, pretraining example) is taken
    to be ``tokens_per_sequence`` tokens long; ``rl`` is PPO plus the pretraining mix
    (:func:`ppo_flops` + :func:`ptx_flops`). Arguments as in the per-stage functions.
    """
    # Checked here under the names the caller gave; the per-stage functions name theirs.
    params, pretrain_tokens, sft_examples, sft_epochs, rm_params, rm_prompts, rm_responses_per_prompt, rm_epochs, \
        value_params, ppo_episodes, ppo_epochs, tokens_per_sequence = (
            check_positive(name, value) for name, value in (
                ("params", params), ("pretrain_tokens", pretrain_tokens), ("sft_examples", sft_examples),
                ("sft_epochs", sft_epochs), ("rm_params", rm_params), ("rm_prompts", rm_prompts),
                ("rm_responses_per_prompt", rm_responses_per_prompt), ("rm_epochs", rm_epochs),
                ("value_params", value_params), ("ppo_episodes", ppo_episodes), ("ppo_epochs", ppo_epochs),
                ("tokens_per_sequence", tokens_per_sequence)))
    ptx_ratio = check_non_negative("ptx_ratio", ptx_ratio)
    return {
        "pretraining": pretraining_flops(params, pretrain_tokens),
        "sft": sft_flops(params, sft_examples, tokens_per_sequence, sft_epochs),
        "reward_model": reward_model_flops(rm_params, rm_prompts, tokens_per_sequence, rm_epochs, rm_responses_per_prompt),
        "rl": ppo_flops(params, rm_params, value_params, ppo_episodes, tokens_per_sequence, ppo_epochs)
        + ptx_flops(params, ppo_episodes, ptx_ratio, tokens_per_sequence),
    }


def instructgpt_pipeline_flops(tokens_per_sequence=INSTRUCTGPT["context"], rm_responses_per_prompt=INSTRUCTGPT["rm_responses_max"],
                               pretrain_tokens=300e9):
    """:func:`pipeline_flops` with InstructGPT's 175B inputs (:data:`INSTRUCTGPT`), FLOP per stage.

    The paper does not give sequence lengths or the mean number of responses ranked per
    prompt; the defaults are their upper bounds (the 2,048-token context, K = 9).
    """
    i = INSTRUCTGPT
    return pipeline_flops(
        i["params"], pretrain_tokens, i["sft_examples"], i["sft_epochs"], i["rm_params"], i["rm_prompts"],
        rm_responses_per_prompt, i["rm_epochs"], i["value_params"], i["ppo_episodes"], i["ppo_epochs"], i["ptx_ratio"],
        tokens_per_sequence,
    )


def instructgpt_calibration(tokens_per_sequence=INSTRUCTGPT["context"], rm_responses_per_prompt=INSTRUCTGPT["rm_responses_max"]):
    """InstructGPT's published compute against :func:`instructgpt_pipeline_flops`, a DataFrame.

    One row per stage with a published figure (pretraining, SFT, RL = PPO-ptx): ``estimate``
    and ``published`` in petaflop/s-days, ``ratio`` = published / estimate, and
    ``implied_tokens``: the sequence length at which the estimate equals the published figure
    (every term but pretraining is proportional to it; NaN for pretraining). For SFT and
    PPO-ptx both come out near 1,980 tokens, close to GPT-3's 2,048-token context.
    """
    import pandas as pd

    tokens_per_sequence = check_positive("tokens_per_sequence", tokens_per_sequence)
    estimate = instructgpt_pipeline_flops(tokens_per_sequence, rm_responses_per_prompt)
    per_token = instructgpt_pipeline_flops(1.0, rm_responses_per_prompt)
    rows = []
    for stage, published in INSTRUCTGPT_PUBLISHED_PFS_DAYS.items():
        implied = published * flops.PETAFLOP_S_DAY / per_token[stage] if stage != "pretraining" else float("nan")
        rows.append({"stage": stage, "estimate": flops.to_pfs_days(estimate[stage]), "published": published,
                     "ratio": published / flops.to_pfs_days(estimate[stage]), "implied_tokens": implied})
    return pd.DataFrame(rows)


def stage_time(per_stage: dict, peak_flops, utilization, gpus: dict) -> dict:
    """Time of each stage of :func:`pipeline_flops`'s result ``per_stage`` (FLOP by stage) at
    ``utilization`` of ``peak_flops`` (FLOP/s per accelerator) on ``gpus[stage]`` accelerators:
    ``{stage: {"flop", "share" (of pretraining), "gpu_days", "gpus", "days" (wall clock)}}``."""
    result = {}
    for stage in STAGES:
        gpu_days = cluster.gpu_days(per_stage[stage], peak_flops, utilization)
        count = check_count(f"gpus[{stage!r}]", gpus[stage])
        result[stage] = {"flop": per_stage[stage], "share": per_stage[stage] / per_stage["pretraining"], "gpu_days": gpu_days,
                         "gpus": count, "days": gpu_days / count}
    return result
