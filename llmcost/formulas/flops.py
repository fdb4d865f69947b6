"""Floating-point operation counts for training and inference.

Conventions (every function states which it uses):

* One multiply-accumulate is 2 FLOPs. A forward pass costs 2 FLOPs per parameter per token,
  the backward pass twice that (gradients w.r.t. activations and w.r.t. weights), so training
  costs 6 FLOPs per parameter per token (Kaplan et al. 2020, ``kaplan2020scaling``); activation
  recomputation re-runs the forward pass, giving 8 (Narayanan et al. 2021).
* The attention score/value matmuls (``QK^T`` and ``AV``) are not proportional to the
  parameter count. PaLM's MFU accounting adds ``12 L H Q T`` FLOPs per token for training
  (``H * Q = d_model``): 4 L T d forward, times 3 for forward + backward, over the full
  ``T x T`` matrix (Chowdhery et al. 2022, appendix B). A causal mask lets a kernel skip
  half of it, the convention of Megatron-LM's current FLOP counter.
* MoE models spend FLOPs only on their *active* parameters: routed experts + shared ones.
"""

from __future__ import annotations

import numpy as np

from ..core.validate import check_count, check_flag, check_non_negative, check_positive, finite_result, plain

FLOPS_PER_MAC = 2
"""FLOPs in one multiply-accumulate: a multiply and an add."""

PETAFLOP_S_DAY = 1e15 * 86400.0
"""FLOP in one petaflop/s-day (8.64e19), the unit of the GPT-3 paper's Table D.1 and of
seed 002's "3640 PFlops" (which is 3,640 petaflop/s-days)."""

CONVENTIONS = ("6PD", "6PD+attention", "6PD+causal-attention")
"""How training FLOPs are counted: ``6 P D`` alone (Kaplan et al. 2020); plus the attention
matmuls over the full ``T x T`` score matrix (PaLM's MFU accounting, Chowdhery et al. 2022,
appendix B); or over its causal half (Megatron-LM's current counter). With activation
recomputation each becomes 8PD (+ 4/3 of the attention term). A utilization is only meaningful
under the convention it was measured in: :func:`llmcost.architecture.reference_mfu` restates PaLM's."""

FORWARD_UNITS = 1
BACKWARD_UNITS = 2
RECOMPUTE_UNITS = 1
RECOMPUTE_FACTOR = (FORWARD_UNITS + BACKWARD_UNITS + RECOMPUTE_UNITS) / (FORWARD_UNITS + BACKWARD_UNITS)
"""How much recomputing the forward pass multiplies a training FLOP count: 4/3 (8PD over 6PD,
and the same for the attention term)."""


def flops_per_param_per_token(training: bool = True, recompute: bool = False) -> int:
    """FLOPs per parameter per token: 2 for inference, 6 for training, 8 with recomputation.

    training, recompute: True or False (:func:`llmcost.validate.check_flag`).
    """
    training, recompute = check_flag("training", training), check_flag("recompute", recompute)
    if not training:
        if recompute:
            raise ValueError("recompute applies to training only; pass training=True")
        return FORWARD_UNITS * FLOPS_PER_MAC
    units = FORWARD_UNITS + BACKWARD_UNITS + (RECOMPUTE_UNITS if recompute else 0)
    return units * FLOPS_PER_MAC


@finite_result
def to_pfs_days(flop):
    """FLOP in petaflop/s-days (1 petaflop/s-day = 8.64e19 FLOP)."""
    return check_non_negative("flop", flop) / PETAFLOP_S_DAY


@finite_result
def training_flops(params, tokens, recompute: bool = False):
    """Training compute ``k * P * D`` in FLOP, k = 6 (or 8 with activation recomputation).

    params: parameters doing work per token (for MoE, the *active* parameters), count.
    tokens: training tokens, count. recompute: True or False.
    """
    params = check_positive("params", params)
    tokens = check_positive("tokens", tokens)
    return flops_per_param_per_token(True, recompute) * params * tokens


@finite_result
def inference_flops(params, tokens):
    """Inference (forward-only) compute ``2 * P * tokens`` in FLOP: every token processed, prompt and
    generated alike, through the weights (attention over the context adds to it)."""
    params = check_positive("params", params)
    tokens = check_non_negative("tokens", tokens)
    return flops_per_param_per_token(training=False) * params * tokens


@finite_result
def moe_active_params(expert_params, experts_routed, shared_params):
    """Parameters active per token in a mixture-of-experts model, count.

    expert_params: parameters of one expert (its MLP), count.
    experts_routed: experts each token is routed through (top-k), count.
    shared_params: parameters every token uses (attention, embeddings, shared experts), count.
    GPT-4 as leaked: 2 x 111e9 + 55e9 = 277e9.
    """
    expert_params = check_positive("expert_params", expert_params)
    experts_routed = check_count("experts_routed", experts_routed)
    shared_params = check_non_negative("shared_params", shared_params)
    return experts_routed * expert_params + shared_params


@finite_result
def attention_flops_per_token(layers, d_model, context, training: bool = True, causal: bool = False):
    """FLOPs per token of the attention matmuls ``QK^T`` and ``AV`` (not in ``6PD``).

    Forward: 2 matmuls x 2 FLOPs x L x T x d_model = ``4 L T d``; training triples it
    (``12 L T d``, PaLM's ``12 L H Q T``). ``causal=True`` halves it, as a kernel that skips
    the masked upper triangle does (Megatron's accounting).
    layers: transformer blocks; d_model: hidden size (= heads x head dim); context: tokens;
    training, causal: True or False.
    """
    training, causal = check_flag("training", training), check_flag("causal", causal)
    layers = check_count("layers", layers)
    d_model = check_count("d_model", d_model)
    context = check_count("context", context)
    passes = (FORWARD_UNITS + BACKWARD_UNITS) if training else FORWARD_UNITS
    full = 2 * FLOPS_PER_MAC * passes * np.asarray(layers, dtype=float) * d_model * context
    result = full / 2 if causal else full
    return plain(result)


@finite_result
def training_flops_with_attention(params, tokens, layers, d_model, context, causal=False, recompute=False):
    """Training FLOP including the attention term: ``(k P + attention per token) x D``.

    Arguments as in :func:`training_flops` and :func:`attention_flops_per_token` (which check the flags).
    """
    per_token = flops_per_param_per_token(True, recompute) * check_positive("params", params)
    attention = attention_flops_per_token(layers, d_model, context, training=True, causal=causal)
    if recompute:
        attention = attention * RECOMPUTE_FACTOR
    return (per_token + attention) * check_positive("tokens", tokens)


@finite_result
def non_embedding_params(layers, d_model, ffn_dim=None):
    """Kaplan's ``N = 2 L d (2 d_attn + d_ff)`` = ``12 L d^2`` when ``d_ff = 4 d``, count."""
    layers = check_count("layers", layers)
    d = np.asarray(check_count("d_model", d_model), dtype=float)
    f = 4 * d if ffn_dim is None else np.asarray(check_count("ffn_dim", ffn_dim), dtype=float)
    total = 2 * layers * d * (2 * d + f)
    return float(total) if np.ndim(total) == 0 else total
