"""Transformer architectures as they are built, and the counts derived from them.

A model's *architecture record* holds what its paper or released configuration states:
layers, ``d_model``, query heads, key/value heads (grouped-query and multi-query attention
have fewer than the query heads), head width (``heads x head_dim`` need not be ``d_model``:
PaLM), the MLP's width and number of matrices (2 plain, 3 gated: SwiGLU/GeGLU), vocabulary,
tied or untied embeddings, a learned position table or none, biases, context, and experts
(total, routed per token, shared). :func:`architecture` reads it from the models dataset (a
name) or from a dict of the same fields; every derived count here takes either.

Counts, per layer (``h`` query heads, ``k`` key/value heads, ``e`` = head_dim, ``d`` =
d_model, ``f`` = ffn_dim, ``m`` = MLP matrices):

* attention ``d h e + 2 d k e + h e d`` (Q, K, V, O) + biases ``h e + 2 k e + d``;
* each expert's MLP ``m d f`` + biases ``(m - 1) f + d``; a router ``d x experts`` (MoE);
* two norms of ``d`` (RMSNorm, no biases) or ``2 d`` (LayerNorm with a shift, biases).

Embeddings add ``vocab x d`` per embedding matrix (1 tied, 2 untied) and ``positions x d``
for a learned position table; the final norm adds one more norm. Dense published counts are
reproduced to well under 1 % (tests: GPT-3, BLOOM, LLaMA, Llama 2 and 3, PaLM, Mixtral).
DeepSeek-V3's multi-head latent attention and dense first layers are not expressible here: its
record lacks the fields, and asking for its count says so.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

from ..catalog import datasets
from ..formulas.estimate import utilization_in_convention
from ..formulas.flops import CONVENTIONS, attention_flops_per_token
from ..formulas.memory import bytes_per_value
from ..core.validate import InputError, as_number, check_choice, check_count, check_flag, check_non_negative, finite_result, plain

DEFAULTS = {
    "kv_heads": "heads",  # multi-head attention unless the record says otherwise
    "head_dim": "d_model / heads",
    "position_embeddings": 0,
    "linear_biases": 0,
    "experts": 1,
    "experts_routed": "experts",
    "experts_shared": 0,
}
"""Fields a record may leave out, and what they then are (papers state the exceptions)."""

CHOICES = {"mlp_matrices": (2, 3), "embedding_matrices": (1, 2), "linear_biases": (0, 1)}
"""Fields that take one of a few values: plain or gated MLP, tied or untied embeddings, biases or none."""

NOT_EXPRESSIBLE = {
    "deepseek-v3": "its multi-head latent attention (compressed keys and values), its dense first three "
    "layers and its multi-token-prediction module are not expressible in this record",
}


@dataclass(frozen=True)
class Architecture:
    """A decoder-only transformer as its paper or configuration describes it; ``None`` = not stated."""

    name: str
    layers: object = None
    d_model: object = None
    heads: object = None
    kv_heads: object = None
    head_dim: object = None
    ffn_dim: object = None
    mlp_matrices: object = None
    vocab: object = None
    embedding_matrices: object = None
    position_embeddings: object = 0
    linear_biases: object = 0
    context: object = None
    experts: object = 1
    experts_routed: object = None
    experts_shared: object = 0
    stated: tuple = ()  # the fields the record gave (the others took DEFAULTS)

    @property
    def attention_width(self):
        """``heads x head_dim``: the width of the queries (and of the attention output), count."""
        return self.require("heads", "head_dim") and self.heads * self.head_dim

    @property
    def kv_width(self):
        """``kv_heads x head_dim``: the width of the keys and of the values each layer caches, count."""
        return self.require("kv_heads", "head_dim") and self.kv_heads * self.head_dim

    @functools.cached_property
    def counts(self) -> dict:
        """:func:`parameter_counts` of this record, computed on first use (do not mutate)."""
        return _counted(self)

    def require(self, *names: str) -> bool:
        """Raise InputError naming the model and each missing field; True when all are there."""
        why = NOT_EXPRESSIBLE.get(self.name)
        if why:
            raise InputError(f"model {self.name!r} has no architecture llmcost can count with: {why}")
        missing = [name for name in names if getattr(self, name) is None]
        if missing:
            raise InputError(
                f"model {self.name!r} has no {', '.join(missing)} in its architecture record"
                + f"; it states {', '.join(self.stated) or 'none'} of llmcost.architecture.FIELDS"
            )
        return True


FIELDS = tuple(f.name for f in fields(Architecture)[1:-1])
"""The fields of an architecture record (the quantities of ``model_facts.csv`` of the same names)."""


def architecture(model) -> Architecture:
    """The architecture record of ``model``: a name from the models dataset (resolved once and
    built once per process), a model's dataset record (a dict with ``id``, as :func:`llmcost.model`
    returns it), a dict of :data:`FIELDS` (values may be numpy arrays, for sweeps), a path to a
    Hugging Face ``config.json`` (a ``str`` or ``Path`` ending in ``.json``:
    :func:`llmcost.running.hf_config.architecture_from_config`), or an :class:`Architecture`
    (returned as is).

    Fields left out take :data:`DEFAULTS`; each given value is checked (whole counts; ``kv_heads``
    dividing ``heads``; ``experts_routed`` at most ``experts``; choices in :data:`CHOICES`).
    """
    if isinstance(model, Architecture):
        return model
    if isinstance(model, (str, os.PathLike)) and os.fspath(model).endswith(".json"):
        from .hf_config import architecture_from_config  # hf_config builds on this module

        return architecture_from_config(model)
    if isinstance(model, str):
        return _of_model(datasets.resolve_model(model))
    if isinstance(model, dict) and "id" in model:  # a dataset record (llmcost.model): its own fields
        return _built(model["id"], {k: model[k] for k in FIELDS if k in model})
    if isinstance(model, dict):
        unknown = sorted(set(model) - set(FIELDS) - {"name"})
        if unknown:
            raise InputError(f"model has unknown architecture field(s) {', '.join(unknown)}; allowed: {', '.join(FIELDS)}")
        name, given = model.get("name", "the given architecture"), {k: v for k, v in model.items() if k != "name"}
    else:
        raise InputError(f"model must be a model name or a dict of architecture fields, got {model!r}")
    return _built(name, given)


def _built(name: str, given: dict) -> Architecture:
    """A checked record from ``given`` fields, the others from :data:`DEFAULTS`."""
    values = {key: _checked(key, value) for key, value in given.items() if value is not None}
    stated = tuple(key for key in FIELDS if key in values)
    _fill_defaults(values)
    _check_relations(name, values)
    return Architecture(name=name, stated=stated, **values)


@lru_cache(maxsize=None)
def _of_model(ident: str) -> Architecture:
    """The record of a dataset model, built once per process (frozen, so shared safely; its
    derived counts are cached on it): a name is resolved to its record once."""
    record = datasets.model(ident)
    return _built(record["id"], {k: record[k] for k in FIELDS if k in record})


datasets.ON_CLEAR.append(_of_model.cache_clear)


def _checked(key: str, value):
    if key in CHOICES:
        number = as_number(key, value)
        if not np.all(np.isin(np.asarray(number), CHOICES[key])):
            raise InputError(f"{key} must be one of {', '.join(map(str, CHOICES[key]))}; got {value!r}")
        return number
    if key in ("position_embeddings", "experts_shared"):
        number = check_non_negative(key, value)
        if np.any(np.asarray(number) != np.round(number)):
            raise InputError(f"{key} must be a whole number >= 0, got {value!r}")
        return number
    return check_count(key, value)


def _fill_defaults(values: dict) -> None:
    values.setdefault("kv_heads", values.get("heads"))
    values.setdefault("experts_routed", values.get("experts", 1))
    if "head_dim" not in values and values.get("d_model") is not None and values.get("heads") is not None:
        head_dim = np.asarray(values["d_model"], dtype=float) / values["heads"]
        if np.any(head_dim != np.round(head_dim)):
            raise InputError("head_dim must be given when heads does not divide d_model")
        values["head_dim"] = float(head_dim) if np.ndim(head_dim) == 0 else head_dim


def _check_relations(name: str, values: dict) -> None:
    heads, kv = values.get("heads"), values.get("kv_heads")
    if heads is not None and kv is not None and np.any(np.mod(heads, kv) != 0):
        raise InputError(f"kv_heads must divide heads for {name}: got kv_heads={kv!r}, heads={heads!r}")
    if np.any(np.asarray(values.get("experts_routed", 1)) > np.asarray(values.get("experts", 1))):
        raise InputError(f"experts_routed must be at most experts for {name}")


def _norm_params(arch: Architecture):
    """Parameters of one norm: a scale of ``d`` (RMSNorm, no biases), plus a shift with biases."""
    return arch.d_model * (1 + arch.linear_biases)


def parameter_counts(model) -> dict:
    """Parameters of ``model`` by part, counts: ``attention``, ``mlp`` (all experts), ``router``,
    ``norms``, ``embeddings`` (incl. a learned position table), ``total``, ``active`` (per token:
    routed + shared experts only) and ``matmul_active`` (active minus tables only looked up: the
    position table and, when untied, the input embedding), the ``P`` of ``2 P`` FLOP per token.
    Computed once per record (:attr:`Architecture.counts`); a new dict each call.
    """
    return dict(architecture(model).counts)


def expert_params(arch: Architecture):
    """Parameters of one expert's MLP in one layer (of a dense model: its MLP), count:
    ``m d f`` weights plus ``(m - 1) f + d`` biases when the model has them."""
    arch.require("d_model", "ffn_dim", "mlp_matrices")
    d, f, m = arch.d_model, arch.ffn_dim, arch.mlp_matrices
    return m * d * f + arch.linear_biases * ((m - 1) * f + d)


@finite_result
def _counted(arch: Architecture) -> dict:
    """:func:`parameter_counts` of one record, computed."""
    arch.require("layers", "d_model", "heads", "head_dim", "kv_heads", "ffn_dim", "mlp_matrices", "vocab", "embedding_matrices")
    d, b = arch.d_model, arch.linear_biases
    attention = 2 * d * arch.attention_width + 2 * d * arch.kv_width + b * (arch.attention_width + 2 * arch.kv_width + d)
    expert = expert_params(arch)
    router = np.where(np.asarray(arch.experts) > 1, d * arch.experts, 0.0)
    norms = 2 * _norm_params(arch)
    embedding_table = arch.vocab * d
    embeddings = embedding_table * arch.embedding_matrices + arch.position_embeddings * d
    final_norm = _norm_params(arch)
    per_layer_fixed = attention + router + norms
    total = arch.layers * (per_layer_fixed + expert * (arch.experts + arch.experts_shared)) + embeddings + final_norm
    active = arch.layers * (per_layer_fixed + expert * (arch.experts_routed + arch.experts_shared)) + embeddings + final_norm
    looked_up = arch.position_embeddings * d + np.where(np.asarray(arch.embedding_matrices) == 2, embedding_table, 0.0)
    parts = {
        "attention": arch.layers * attention,
        "mlp": arch.layers * expert * (arch.experts + arch.experts_shared),
        "router": arch.layers * router,
        "norms": arch.layers * norms + final_norm,
        "embeddings": embeddings,
        "total": total,
        "active": active,
        "matmul_active": active - looked_up,
    }
    return {key: plain(value) for key, value in parts.items()}


def params_from_architecture(model):
    """Total parameters derived from ``model``'s architecture record (a name or a dict), count."""
    return parameter_counts(model)["total"]


def active_params_from_architecture(model):
    """Parameters a token goes through (MoE: routed + shared experts, not all), count."""
    return parameter_counts(model)["active"]


def _context(arch: Architecture, context):
    if context is None:
        arch.require("context")
        return arch.context
    return check_count("context", context)


def attention_training_flops_per_token(model, context=None, causal=False):
    """Training FLOP per token of the attention matmuls ``QK^T`` and ``AV``: ``12 L (h e) T``,
    halved when ``causal`` (a kernel that skips the masked half). Not in ``6PD``.

    Uses the attention width ``heads x head_dim`` (PaLM's ``H x Q``), which for PaLM is 12,288,
    not d_model = 18,432. context: tokens per sequence (default: the record's pre-training context).
    """
    arch = architecture(model)
    arch.require("layers")
    return attention_flops_per_token(arch.layers, arch.attention_width, _context(arch, context), training=True, causal=causal)


def forward_flops_per_token(model, context, causal=True):
    """Forward FLOP per token at ``context`` tokens of attention span: ``2 x matmul_active``
    plus ``4 L (h e) x context`` (``context`` = the keys it attends to; halved when ``causal``
    and ``context`` is a whole sequence processed at once)."""
    arch = architecture(model)
    matmuls = 2 * parameter_counts(arch)["matmul_active"]
    attention = attention_flops_per_token(arch.layers, arch.attention_width, check_count("context", context), training=False, causal=causal)
    return plain(matmuls + attention)


def kv_cache_bytes_per_token(model, precision="bf16"):
    """Bytes of keys and values one token leaves in the cache: ``2 x layers x kv_heads x head_dim x bytes``.

    Grouped-query attention divides it by ``heads / kv_heads`` (8 for Llama-2-70B), multi-query
    attention by ``heads`` (48 for PaLM).
    """
    arch = architecture(model)
    arch.require("layers")
    return plain(2.0 * arch.layers * arch.kv_width * bytes_per_value(precision))


def counts_if_complete(model) -> dict | None:
    """:func:`parameter_counts` of ``model``, or None when its record lacks a field they need (or
    cannot be expressed): for tables and checks that go over every model of the dataset."""
    try:
        return parameter_counts(model)
    except InputError:
        return None


def has_attention_dims(model) -> bool:
    """True when ``model``'s record states what the attention term needs: layers, heads, context
    and the head width (head_dim, or d_model to divide by heads), and is expressible at all."""
    try:
        return architecture(model).require("layers", "heads", "context", "head_dim")
    except InputError:
        return False


REFERENCE_MODEL = "palm-540b"
"""The model whose published MFU (46.2 %, with full attention; Chowdhery et al. 2022, Table 3)
is the default utilization of the CLI and the chapters."""


def attention_for_convention(convention, model=None, context=None):
    """Training FLOP per token that ``convention`` adds to ``6P`` for ``model`` (0 for 6PD).

    model: a name or an architecture dict (layers, heads, head_dim or d_model, context);
    context: tokens per training sequence (default: the model's pre-training context).
    """
    convention = check_choice("convention", convention, CONVENTIONS)
    if context is not None:
        context = check_count("context", context)
    if convention == "6PD":
        return 0.0
    if model is None:
        raise InputError(f"convention {convention!r} needs the model's architecture (layers, heads, head width, context); use 6PD without one")
    return attention_training_flops_per_token(model, context, causal=convention == "6PD+causal-attention")


def reference_mfu(convention="6PD+attention"):
    """PaLM 540B's published MFU (46.2 %, full attention counted) restated in ``convention``, fraction.

    Restated without attention it gives 45.7 %, the figure PaLM's section 4.1 states.
    """
    return _reference_mfu(check_choice("convention", convention, CONVENTIONS))


@lru_cache(maxsize=None)
def _reference_mfu(convention: str) -> float:
    palm = datasets.model_by_id(REFERENCE_MODEL)
    arch = architecture(palm)
    published = attention_for_convention("6PD+attention", arch)
    wanted = attention_for_convention(convention, arch)
    return float(utilization_in_convention(palm["mfu"], palm["params_active"], published, wanted))


datasets.ON_CLEAR.append(_reference_mfu.cache_clear)


@finite_result
def transformer_params(layers, d_model, vocab, ffn_dim=None, context=0, tied_embeddings=True):
    """Parameter count of a decoder-only transformer from its architecture, count.

    Per block: attention ``4 d^2 + 4 d`` (Q, K, V, O with biases), MLP ``2 d f + f + d``,
    two layer norms ``4 d``. Embeddings: ``vocab x d`` (+ ``context x d`` learned positions
    when ``context`` > 0; pass 0 for rotary/sinusoidal), plus a final layer norm ``2 d``.
    An untied output projection adds another ``vocab x d``. ``ffn_dim`` defaults to ``4 d``.
    GPT-3 (96, 12288, 50257, context 2048) gives about 175e9. The multi-head, plain-MLP case of
    :func:`parameter_counts`, which also covers GQA, gated MLPs and MoE.
    tied_embeddings: True or False.
    """
    from ..running.architecture import params_from_architecture  # architecture builds on this module

    tied_embeddings = check_flag("tied_embeddings", tied_embeddings)
    d = check_count("d_model", d_model)
    context = check_non_negative("context", context)
    if np.any(np.asarray(context) != np.round(context)):
        raise InputError(f"context must be a whole number of positions >= 0, got {context!r}")
    record = {
        "layers": layers, "d_model": d, "heads": 1, "ffn_dim": 4 * np.asarray(d, dtype=float) if ffn_dim is None else ffn_dim,
        "vocab": vocab, "mlp_matrices": 2, "embedding_matrices": 1 if tied_embeddings else 2,
        "position_embeddings": context, "linear_biases": 1,
    }
    return params_from_architecture(record)
