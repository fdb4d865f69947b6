"""The pieces of a transformer's forward pass that the book shows at toy size.

Inference turns text into next-token probabilities in five steps (seed 000, section 1.3;
seed 004, section 2): tokenize, look up embeddings, add a positional encoding, run the
transformer layers (whose core is attention), and apply a softmax over the vocabulary. This
module holds the three formulas the book computes on small arrays:

* :func:`sinusoidal_positional_encoding`, ``PE(pos, 2i) = sin(pos / 10000^(2i/d))``,
  ``PE(pos, 2i+1) = cos(pos / 10000^(2i/d))`` (Vaswani et al. 2017, section 3.5,
  ``vaswani2017attention``);
* :func:`softmax`, numerically stable (the largest entry is subtracted first);
* :func:`scaled_dot_product_attention`, ``softmax(Q K^T / sqrt(d_k)) V`` with an optional
  causal mask (Vaswani et al. 2017, section 3.2.1, equation 1).

Everything is dimensionless (activations, probabilities); nothing here counts FLOPs, which is
:mod:`llmcost.flops`' job.
"""

from __future__ import annotations

import numpy as np

from ..core.validate import (InputError, as_number, check_choice, check_count, check_flag, check_non_negative, check_one_count,
                              check_positive)

SEED_SENTENCE = "Write a story about number 1234567."
"""The example sentence of seed 000 (section 1.3, step 1: tokenize)."""

SEED_TOKEN_IDS = (16594, 257, 1621, 546, 1271, 17031, 2231, 3134, 13)
"""Token ids of :data:`SEED_SENTENCE` as quoted by seed 000 (GPT-2/GPT-3 byte-pair encoding).

Quoted, not recomputed: the BPE vocabulary cannot be downloaded where the book is built.
"""

PE_BASE = 10000.0
"""Base of the wavelengths of the sinusoidal encoding (Vaswani et al. 2017, section 3.5)."""


def sinusoidal_positional_encoding(positions, d_model, base=PE_BASE):
    """Sinusoidal positional encoding, shape ``np.shape(positions) + (d_model,)``, dimensionless.

    ``PE(pos, 2i) = sin(pos / base^(2i/d_model))`` and ``PE(pos, 2i+1) = cos(...)``, with
    ``base`` = 10000 (Vaswani et al. 2017, section 3.5; seed 004, section 2). Each pair of
    columns ``(2i, 2i+1)`` is a point on the unit circle, whose angle turns with the position
    at a wavelength from ``2 pi`` (i = 0) to ``base x 2 pi``.

    positions: token position(s) in the sequence, 0, 1, 2, ... (scalar or array; need not be
    whole numbers). d_model: width of the embedding, an even whole number >= 2.
    """
    positions = check_non_negative("positions", positions)
    d_model = check_count("d_model", d_model)
    if np.ndim(d_model) != 0 or int(d_model) % 2 != 0:
        raise InputError(f"d_model must be an even whole number >= 2, got {d_model!r}")
    base = check_positive("base", base)
    pairs = np.arange(int(d_model) // 2)
    angles = np.asarray(positions, dtype=float)[..., None] / base ** (2 * pairs / int(d_model))
    encoding = np.empty(np.shape(positions) + (int(d_model),))
    encoding[..., 0::2] = np.sin(angles)
    encoding[..., 1::2] = np.cos(angles)
    return encoding


def softmax(x, axis=-1):
    """Softmax along ``axis``: ``exp(x_j) / sum_k exp(x_k)``, dimensionless, sums to 1.

    Numerically stable: the largest entry of each slice is subtracted before ``exp`` (which
    leaves the result unchanged, since softmax is invariant to adding a constant), so logits
    of 1000 do not overflow. ``-inf`` entries (masked positions) get probability 0; a slice
    must hold at least one finite entry. Turns a model's output scores (logits) over the
    vocabulary into next-token probabilities (seed 000, section 1.3, step 5).
    """
    x = as_number("x", x)
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0:
        raise InputError("x must be an array with at least one axis, got a scalar")
    if np.isposinf(arr).any():
        raise InputError("x must not contain +inf")
    top = np.max(arr, axis=axis, keepdims=True)
    if np.isneginf(top).any():
        raise InputError(f"x must have at least one finite entry along axis {axis}")
    weights = np.exp(arr - top)
    return weights / np.sum(weights, axis=axis, keepdims=True)


def causal_mask(queries, keys):
    """Boolean ``(queries, keys)`` array, True where query ``i`` may attend to key ``j``.

    A decoder sees only the past: query ``i`` (the i-th of the last ``queries`` positions of
    a ``keys``-long sequence) may attend to key ``j`` when ``j <= i + keys - queries``. With
    ``queries == keys`` that is the lower triangle ``j <= i`` (Vaswani et al. 2017,
    section 3.2.3); with fewer queries than keys it is the mask of decoding with a KV cache.
    """
    queries = check_one_count("queries", queries)
    keys = check_one_count("keys", keys)
    if queries > keys:
        raise InputError(f"queries must be at most keys ({keys}) for a causal mask, got {queries}")
    return np.arange(keys)[None, :] <= np.arange(queries)[:, None] + (keys - queries)


def attention_weights(q, k, causal=False):
    """Attention weights ``softmax(Q K^T / sqrt(d_k))``, shape ``(..., n_q, n_k)``, rows sum to 1.

    q: queries ``(..., n_q, d_k)``; k: keys ``(..., n_k, d_k)`` (leading axes broadcast, e.g.
    heads). causal: mask the future (see :func:`causal_mask`), so a masked weight is exactly 0.
    Dividing by ``sqrt(d_k)`` keeps the scores' spread independent of the width
    (Vaswani et al. 2017, section 3.2.1).
    """
    causal = check_flag("causal", causal)
    q, k = _matrix("q", q), _matrix("k", k)
    if q.shape[-1] != k.shape[-1]:
        raise InputError(f"q and k must have the same last dimension d_k, got {q.shape[-1]} and {k.shape[-1]}")
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if causal:
        scores = np.where(causal_mask(q.shape[-2], k.shape[-2]), scores, -np.inf)
    return softmax(scores, axis=-1)


def scaled_dot_product_attention(q, k, v, causal=False):
    """Scaled dot-product attention ``softmax(Q K^T / sqrt(d_k)) V``, shape ``(..., n_q, d_v)``.

    Each output row is a weighted average of the rows of ``v``, with the weights of
    :func:`attention_weights` (Vaswani et al. 2017, section 3.2.1, equation 1).
    q: ``(..., n_q, d_k)``; k: ``(..., n_k, d_k)``; v: ``(..., n_k, d_v)``; dimensionless.
    causal: each query sees only keys at or before its own position.
    """
    v = _matrix("v", v)
    weights = attention_weights(q, k, causal)
    if v.shape[-2] != weights.shape[-1]:
        raise InputError(f"v must have one row per key ({weights.shape[-1]}), got {v.shape[-2]}")
    return weights @ v


def split_heads(projected, heads):
    """An ``(n, d)`` projection as ``heads`` heads of ``d / heads`` columns, shape ``(heads, n, d / heads)``."""
    projected = _matrix("projected", projected)
    heads = check_one_count("heads", heads)
    n, width = projected.shape[-2:]
    if width % heads:
        raise InputError(f"heads must divide the projection width {width}, got {heads}")
    return projected.reshape(n, heads, width // heads).transpose(1, 0, 2)


def multi_head_attention(x, w_q, w_k, w_v, heads, causal=False):
    """Multi-head attention without the output projection, shape ``(n, d)``: the ``d``-wide
    projections ``x W_q``, ``x W_k``, ``x W_v`` split into ``heads`` heads (:func:`split_heads`),
    each attends on its own (:func:`scaled_dot_product_attention`), and the heads' outputs are
    concatenated back to ``d`` (Vaswani et al. 2017, section 3.2.2). x: ``(n, d_model)``; w_q, w_k,
    w_v: ``(d_model, d)``; heads: dividing d; causal: as :func:`attention_weights`. The matmuls
    cost the same FLOPs for any number of heads."""
    causal = check_flag("causal", causal)
    x = _matrix("x", x)
    q, k, v = (split_heads(x @ _matrix(name, w), heads) for name, w in (("w_q", w_q), ("w_k", w_k), ("w_v", w_v)))
    out = scaled_dot_product_attention(q, k, v, causal)
    return out.transpose(1, 0, 2).reshape(x.shape[0], -1)


MASKS = ("bidirectional", "causal", "cross")
"""Attention masks: an encoder's (every token sees every token: BERT, T5's encoder), a decoder's
(each token sees itself and the past: GPT), and cross-attention's (each decoder token sees every
encoder token: T5's decoder)."""


def attention_mask(kind: str, queries, keys):
    """Boolean ``(queries, keys)`` array of the ``kind`` of :data:`MASKS`, True where a query may
    attend to a key (causal: :func:`causal_mask`)."""
    kind = check_choice("kind", kind, MASKS)
    queries, keys = check_one_count("queries", queries), check_one_count("keys", keys)
    if kind == "causal":
        return causal_mask(queries, keys)
    if kind == "bidirectional" and queries != keys:
        raise InputError(f"a bidirectional (self-attention) mask needs as many queries as keys, got {queries} and {keys}")
    return np.ones((queries, keys), dtype=bool)


def _matrix(name: str, value) -> np.ndarray:
    arr = np.asarray(as_number(name, value), dtype=float)
    if arr.ndim < 2:
        raise InputError(f"{name} must be an array of shape (..., tokens, width), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InputError(f"{name} must hold finite numbers")
    return arr
