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

Three extensions, each off by default:

* **Multi-head latent attention** (DeepSeek-V2/V3, Kimi K2; ``kv_lora_rank`` > 0): keys and
  values are rebuilt from a latent of ``r_kv`` values per token, and only that latent plus one
  shared rotary key of ``e_R`` = ``qk_rope_head_dim`` values is cached. Per layer: queries
  ``d r_q + r_q + r_q h e`` through a latent of ``r_q`` = ``q_lora_rank`` (or ``d h e`` without
  one), keys/values ``d (r_kv + e_R) + r_kv + r_kv h (e - e_R + e_v)``, output ``h e_v d``, where
  ``e`` is the query/key head width (non-rotary + rotary parts) and ``e_v`` = ``v_head_dim``
  (DeepSeek-AI 2024, ``deepseek2024v3``, section 2.1.1, equations 1-11).
* **Dense layers** of a mixture-of-experts model (``dense_layers``, MLP width
  ``dense_ffn_dim``): DeepSeek-V3's first 3 of 61, Kimi K2's first 1, Llama 4 Maverick's every
  other one (24 of 48). Where they sit does not change a count, so the record holds how many.
* **Relative positions** (Transformer-XL, Gopher, Chinchilla; ``relative_position_projection``
  = 1): a ``d x (h e)`` matrix per layer projecting the relative position encodings to keys
  (Dai et al. 2019, ``dai2019transformerxl``, section 3.3, ``W_{k,R}``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

from ..catalog import datasets
from ..formulas.estimate import utilization_in_convention
from ..formulas.flops import CONVENTIONS, attention_flops_per_token
from ..formulas.memory import bytes_per_value
from ..core.validate import (InputError, as_number, check_choice, check_count, check_flag, check_non_negative, finite_result,
                             is_config_path, plain)

DEFAULTS = {
    "kv_heads": "heads",  # multi-head attention unless the record says otherwise
    "head_dim": "d_model / heads",
    "position_embeddings": 0,
    "linear_biases": 0,
    "experts": 1,
    "experts_routed": "experts",
    "experts_shared": 0,
    "v_head_dim": "head_dim",
    "q_lora_rank": 0,
    "kv_lora_rank": 0,
    "qk_rope_head_dim": 0,
    "dense_layers": 0,
    "dense_ffn_dim": "ffn_dim",
    "relative_position_projection": 0,
}
"""Fields a record may leave out, and what they then are (papers state the exceptions)."""

CHOICES = {"mlp_matrices": (2, 3), "embedding_matrices": (1, 2), "linear_biases": (0, 1), "relative_position_projection": (0, 1)}
"""Fields that take one of a few values: plain or gated MLP, tied or untied embeddings, biases or none."""

WHOLE_OR_ZERO = ("position_embeddings", "experts_shared", "q_lora_rank", "kv_lora_rank", "qk_rope_head_dim", "dense_layers")
"""Fields that are whole numbers that may be 0 (the others, but the choices, are counts >= 1)."""


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
    v_head_dim: object = None
    q_lora_rank: object = 0
    kv_lora_rank: object = 0
    qk_rope_head_dim: object = 0
    dense_layers: object = 0
    dense_ffn_dim: object = None
    relative_position_projection: object = 0
    stated: tuple = ()  # the fields the record gave (the others took DEFAULTS)
    gap: str = ""  # why the record is incomplete, as the dataset says (models.csv architecture_gap)

    @property
    def kv_width(self):
        """``kv_heads x head_dim``: the width of the keys each layer computes, count (the values'
        is ``kv_heads x v_head_dim``)."""
        return self.require("kv_heads", "head_dim") and self.kv_heads * self.head_dim

    @property
    def latent(self):
        """True (or a boolean array) where the record has multi-head latent attention."""
        return np.asarray(self.kv_lora_rank) > 0

    @functools.cached_property
    def cached_values_per_layer(self):
        """Values one token leaves in one layer's cache, count: ``kv_heads x (head_dim +
        v_head_dim)`` (keys and values), or with latent attention the latent and the shared
        rotary key, ``kv_lora_rank + qk_rope_head_dim`` (576 for DeepSeek-V3, not 32,768)."""
        self.require("kv_heads", "head_dim")
        return plain(np.where(self.latent, self.kv_lora_rank + self.qk_rope_head_dim,
                              self.kv_heads * (self.head_dim + self.v_head_dim)))

    def attention_flops_width(self, decode: bool = False):
        """The width ``w`` in the attention FLOP per token ``4 L w x context`` (``2 L x context``
        per score width and per value width), count: the mean of the query-key width ``h e`` and
        the value width ``h e_v`` (``h e`` when they are equal). With latent attention a decode
        step works on the cached latent itself, as serving kernels do (keys' up-projection
        absorbed into the queries, values' into the output; FlashMLA): scores over
        ``r_kv + e_R`` and values of ``r_kv`` per head (``decode=True``); training and prefill
        rebuild full keys and values."""
        self.require("heads", "head_dim")
        h = np.asarray(self.heads, dtype=float)
        full = h * (self.head_dim + self.v_head_dim) / 2
        if not decode:
            return plain(full)
        absorbed = h * (2 * np.asarray(self.kv_lora_rank, dtype=float) + self.qk_rope_head_dim) / 2
        return plain(np.where(self.latent, absorbed, full))

    @property
    def moe_layers(self):
        """Layers whose MLP is a mixture of experts (a dense model's MLP counts as one expert), count."""
        return self.layers - self.dense_layers

    @functools.cached_property
    def counts(self) -> dict:
        """:func:`parameter_counts` of this record, computed on first use (do not mutate)."""
        return _counted(self)

    def require(self, *names: str) -> bool:
        """Raise InputError naming the model and each missing field (or, for a record its dataset
        calls incomplete, why); True when all are there."""
        if self.gap:
            raise InputError(f"model {self.name!r} has no architecture llmcost can count with: {self.gap}")
        missing = [name for name in names if getattr(self, name) is None]
        if missing:
            raise InputError(
                f"model {self.name!r} has no {', '.join(missing)} in its architecture record"
                + f"; it states {', '.join(self.stated) or 'none'} of llmcost.architecture.FIELDS"
            )
        return True


FIELDS = tuple(f.name for f in fields(Architecture) if f.name not in ("name", "stated", "gap"))
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
    if is_config_path(model):
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


def _built(name: str, given: dict, gap: str = "") -> Architecture:
    """A checked record from ``given`` fields, the others from :data:`DEFAULTS`; ``gap``: why it
    is incomplete, when its source says."""
    values = {key: _checked(key, value) for key, value in given.items() if value is not None}
    stated = tuple(key for key in FIELDS if key in values)
    _fill_defaults(values)
    _check_relations(name, values)
    return Architecture(name=name, stated=stated, gap=gap, **values)


@lru_cache(maxsize=None)
def _of_model(ident: str) -> Architecture:
    """The record of a dataset model, built once per process (frozen, so shared safely; its
    derived counts are cached on it): a name is resolved to its record once."""
    record = datasets.model(ident)
    return _built(record["id"], {k: record[k] for k in FIELDS if k in record}, record.get("architecture_gap") or "")


datasets.ON_CLEAR.append(_of_model.cache_clear)


def _checked(key: str, value):
    if key in CHOICES:
        number = as_number(key, value)
        if not np.all(np.isin(np.asarray(number), CHOICES[key])):
            raise InputError(f"{key} must be one of {', '.join(map(str, CHOICES[key]))}; got {value!r}")
        return number
    if key in WHOLE_OR_ZERO:
        number = check_non_negative(key, value)
        if np.any(np.asarray(number) != np.round(number)):
            raise InputError(f"{key} must be a whole number >= 0, got {value!r}")
        return number
    return check_count(key, value)


def _fill_defaults(values: dict) -> None:
    values.setdefault("kv_heads", values.get("heads"))
    values.setdefault("experts_routed", values.get("experts", 1))
    values.setdefault("dense_ffn_dim", values.get("ffn_dim"))
    if "head_dim" not in values and values.get("d_model") is not None and values.get("heads") is not None:
        head_dim = np.asarray(values["d_model"], dtype=float) / values["heads"]
        if np.any(head_dim != np.round(head_dim)):
            raise InputError("head_dim must be given when heads does not divide d_model")
        values["head_dim"] = float(head_dim) if np.ndim(head_dim) == 0 else head_dim
    values.setdefault("v_head_dim", values.get("head_dim"))


def _check_relations(name: str, values: dict) -> None:
    heads, kv = values.get("heads"), values.get("kv_heads")
    if heads is not None and kv is not None and np.any(np.mod(heads, kv) != 0):
        raise InputError(f"kv_heads must divide heads for {name}: got kv_heads={kv!r}, heads={heads!r}")
    if np.any(np.asarray(values.get("experts_routed", 1)) > np.asarray(values.get("experts", 1))):
        raise InputError(f"experts_routed must be at most experts for {name}")
    if np.any(np.asarray(values.get("dense_layers", 0)) > 0) and (
            np.any(np.asarray(values.get("experts", 1)) == 1)
            or (values.get("layers") is not None and np.any(np.asarray(values["dense_layers"]) >= values["layers"]))):
        raise InputError(f"dense_layers must be fewer than layers, and only a mixture-of-experts model has them, for {name}; "
                         f"got dense_layers={values['dense_layers']!r}")
    rope, head_dim = values.get("qk_rope_head_dim", 0), values.get("head_dim")
    if head_dim is not None and np.any(np.asarray(rope) >= head_dim):
        raise InputError(f"qk_rope_head_dim must be less than head_dim (the rotary part of a query/key head) for {name}; "
                         f"got {rope!r} of {head_dim!r}")
    if np.any((np.asarray(values.get("q_lora_rank", 0)) > 0) & (np.asarray(values.get("kv_lora_rank", 0)) == 0)):
        raise InputError(f"q_lora_rank needs kv_lora_rank (latent attention) for {name}; got q_lora_rank={values['q_lora_rank']!r}")


def _norm_params(arch: Architecture):
    """Parameters of one norm: a scale of ``d`` (RMSNorm, no biases), plus a shift with biases."""
    return arch.d_model * (1 + arch.linear_biases)


def parameter_counts(model) -> dict:
    """Parameters of ``model`` by part, counts: ``attention``, ``mlp`` (all experts), ``router``,
    ``norms``, ``embeddings`` (incl. a learned position table), ``total``, ``active`` (per token:
    routed + shared experts only), ``routed_experts`` (all routed experts, 0 for a dense model)
    and ``matmul_active`` (active minus tables only looked up: the
    position table and, when untied, the input embedding), the ``P`` of ``2 P`` FLOP per token.
    Computed once per record (:attr:`Architecture.counts`); a new dict each call.
    """
    return dict(architecture(model).counts)


def expert_params(arch: Architecture):
    """Parameters of one expert's MLP in one layer (of a dense model: its MLP), count:
    ``m d f`` weights plus ``(m - 1) f + d`` biases when the model has them."""
    arch.require("d_model", "ffn_dim", "mlp_matrices")
    return _mlp_params(arch, arch.ffn_dim)


def _mlp_params(arch: Architecture, width):
    d, m = arch.d_model, arch.mlp_matrices
    return m * d * width + arch.linear_biases * ((m - 1) * width + d)


def routed_expert_params(arch: Architecture):
    """Parameters of all routed experts of all mixture-of-experts layers, count (0 for a dense
    model, whose one MLP per layer every token uses); computed once per record."""
    return arch.counts["routed_experts"]


def _attention_params(arch: Architecture):
    """Parameters of one layer's attention, count: Q, K, V, O (with biases), or the latent
    projections of multi-head latent attention; plus a relative-position key projection."""
    d, h, k, e, ev = arch.d_model, arch.heads, arch.kv_heads, arch.head_dim, arch.v_head_dim
    q_rank, kv_rank, rope = (np.asarray(x, dtype=float) for x in (arch.q_lora_rank, arch.kv_lora_rank, arch.qk_rope_head_dim))
    queries = np.where(q_rank > 0, d * q_rank + q_rank + q_rank * h * e, d * h * e)
    latent_kv = d * (kv_rank + rope) + kv_rank + kv_rank * h * (e - rope + ev)
    plain_kv = d * k * (e + ev) + arch.linear_biases * (h * e + k * (e + ev) + d)
    relative = arch.relative_position_projection * d * h * e
    return queries + np.where(arch.latent, latent_kv, plain_kv) + h * ev * d + relative


@finite_result
def _counted(arch: Architecture) -> dict:
    """:func:`parameter_counts` of one record, computed."""
    arch.require("layers", "d_model", "heads", "head_dim", "kv_heads", "ffn_dim", "mlp_matrices", "vocab", "embedding_matrices")
    d = arch.d_model
    expert = expert_params(arch)
    router = np.where(np.asarray(arch.experts) > 1, d * arch.experts, 0.0)
    embedding_table = arch.vocab * d
    parts = {
        "attention": arch.layers * _attention_params(arch),
        "dense_mlp": arch.dense_layers * _mlp_params(arch, arch.dense_ffn_dim),
        "router": arch.moe_layers * router,
        "norms": (2 * arch.layers + 1) * _norm_params(arch),  # two a layer and the final one
        "embeddings": embedding_table * arch.embedding_matrices + arch.position_embeddings * d,
    }
    shared = sum(parts.values())
    total = shared + arch.moe_layers * expert * (arch.experts + arch.experts_shared)
    active = shared + arch.moe_layers * expert * (arch.experts_routed + arch.experts_shared)
    looked_up = arch.position_embeddings * d + np.where(np.asarray(arch.embedding_matrices) == 2, embedding_table, 0.0)
    parts["mlp"] = parts.pop("dense_mlp") + arch.moe_layers * expert * (arch.experts + arch.experts_shared)
    parts.update(total=total, active=active, matmul_active=active - looked_up,
                 routed_experts=np.where(np.asarray(arch.experts) > 1, arch.moe_layers * expert * arch.experts, 0.0))
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
    return attention_flops_per_token(arch.layers, arch.attention_flops_width(), _context(arch, context), training=True, causal=causal)


def forward_flops_per_token(model, context, causal=True, decode=False):
    """Forward FLOP per token at ``context`` tokens of attention span: ``2 x matmul_active``
    plus ``4 L w x context`` (``w``: :meth:`Architecture.attention_flops_width`, ``h e`` for
    ordinary attention; ``context`` = the keys it attends to; halved when ``causal`` and
    ``context`` is a whole sequence processed at once). decode: a decode step (latent attention
    then works on the cached latent)."""
    arch = architecture(model)
    matmuls = 2 * parameter_counts(arch)["matmul_active"]
    width = arch.attention_flops_width(decode=check_flag("decode", decode))
    attention = attention_flops_per_token(arch.layers, width, check_count("context", context), training=False, causal=causal)
    return plain(matmuls + attention)


def kv_cache_bytes_per_token(model, precision="bf16"):
    """Bytes of keys and values one token leaves in the cache: ``layers x kv_heads x (head_dim +
    v_head_dim) x bytes`` (``2 x layers x kv_heads x head_dim x bytes`` when the widths agree).

    Grouped-query attention divides it by ``heads / kv_heads`` (8 for Llama-2-70B), multi-query
    attention by ``heads`` (48 for PaLM); latent attention caches ``kv_lora_rank +
    qk_rope_head_dim`` values per layer instead (DeepSeek-V3: 576, 70 KB a token in BF16 where
    its 128 heads of 192 + 128 would take 4.9 MB).
    """
    arch = architecture(model)
    arch.require("layers")
    return plain(np.asarray(arch.layers, dtype=float) * arch.cached_values_per_layer * bytes_per_value(precision))


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


def display_name(model) -> str:
    """A model's name for a reader: the dataset's display name, or a config's record name."""
    if isinstance(model, str) and not is_config_path(model):
        return datasets.model(model)["name"]
    return architecture(model).name
