"""A reader's own model from a Hugging Face ``config.json``, read from a local file (nothing is
downloaded): :func:`architecture_from_config` maps it onto an architecture record
(:class:`llmcost.running.architecture.Architecture`), so that every count llmcost derives from a
record (parameters, FLOP per token, KV-cache bytes) works for it.

Families, by ``model_type`` (see :data:`SUPPORTED`):

* ``llama``, ``mistral``, ``mixtral``, ``qwen2``, ``qwen3``, ``qwen3_moe``, ``gemma``, ``gemma2``,
  ``phi3``: RMSNorm, rotary positions, gated MLP (3 matrices); ``head_dim`` when stated (Gemma:
  256, wider than ``hidden_size / heads``); untied embeddings unless ``tie_word_embeddings``
  (Gemma and Gemma 2 tie them by default). Phi-3 fuses Q, K, V (and gate and up) into one matrix:
  the same parameters. Mixtral: ``num_local_experts`` experts, ``num_experts_per_tok`` routed;
  Qwen3-MoE: ``num_experts`` of width ``moe_intermediate_size``, ``num_experts_per_tok`` routed;
  the layers listed in ``mlp_only_layers`` or skipped by ``decoder_sparse_step`` are dense, of
  width ``intermediate_size``.
* ``llama4`` / ``llama4_text`` (Llama 4; of a multimodal config, its ``text_config``):
  ``num_local_experts`` experts of width ``intermediate_size`` with ``num_experts_per_tok``
  routed and one shared expert in every MoE layer; the MoE layers are ``moe_layers`` if listed,
  else every ``interleave_moe_layer_step``-th layer, and the others are dense of width
  ``intermediate_size_mlp``.
* ``gpt_oss``: ``num_local_experts`` experts of width ``intermediate_size``,
  ``num_experts_per_tok`` (or ``experts_per_token``) routed; biases on the attention and expert
  matrices (``attention_bias``); the per-head attention sinks (one value a head) are not counted.
* ``gemma3`` / ``gemma3_text`` (of a multimodal config, its ``text_config``), ``olmo2``: as
  ``llama``; Gemma 3 ties its embeddings. A field that ``gemma3_text`` configs leave to
  transformers' defaults (``vocab_size``) takes the default of its ``Gemma3TextConfig``
  (:data:`FAMILY_DEFAULTS`).

Multimodal configs are read for their language model only: a vision encoder (Llama 4's, Gemma 3's
~0.4 B SigLIP) is not counted.
* ``gpt2``: ``n_layer``, ``n_embd``, ``n_head``, ``n_inner`` (default ``4 n_embd``), a learned
  table of ``n_positions``, biases, LayerNorm, tied embeddings.
* ``opt``: learned positions of ``max_position_embeddings + 2`` (OPT's offset of 2), biases
  (``enable_bias``), ReLU MLP of ``ffn_dim``, tied embeddings. A ``word_embed_proj_dim`` other
  than ``hidden_size`` (OPT-350m: embeddings of 512 projected in and out of 1024) is refused:
  the record has no projection. ``do_layer_norm_before`` false (post-norm, OPT-350m) drops the
  final norm, which the record still counts (``2 d``, negligible).
* ``falcon``: key/value heads ``num_kv_heads`` with ``new_decoder_architecture``, else 1 with
  ``multi_query``, else as many as the query heads; no linear biases (``bias``), ALiBi or rotary
  (no position table), plain MLP of ``ffn_hidden_size`` (default ``4 d``), tied embeddings.
  Falcon's LayerNorms (one per layer with ``parallel_attn`` in Falcon-7B) have shifts that the
  record, having no linear biases, counts as RMSNorm-like scales: off by a few ``d`` per layer.
* ``gpt_neox``: biases (``attention_bias``, default true), LayerNorm, plain MLP of
  ``intermediate_size``, rotary, untied ``embed_out`` unless ``tie_word_embeddings``;
  ``use_parallel_residual`` does not change the count.

Approximations (each far under 1 % of the total): Qwen2's Q/K/V biases are counted as all
linear biases (an O, MLP and norm-shift bias more, ``~0.02 %``); Qwen3's per-head Q/K norms,
Gemma 2's extra pre/post norms and a router's absence of bias are ignored or counted as the
record's two norms per layer.
* ``deepseek_v2``, ``deepseek_v3``, ``kimi_k2`` (Kimi K2 is a DeepSeek-V3 layout): multi-head
  latent attention (``kv_lora_rank``, ``q_lora_rank`` or none, ``qk_nope_head_dim`` +
  ``qk_rope_head_dim`` = the query/key head width, ``v_head_dim``), ``n_routed_experts`` of width
  ``moe_intermediate_size`` with ``num_experts_per_tok`` routed and ``n_shared_experts`` shared,
  the first ``first_k_dense_replace`` layers dense (``intermediate_size``), untied embeddings;
  with a ``moe_layer_freq`` of k, of the others only every k-th is sparse (DeepSeek's rule). DeepSeek-V3's
  multi-token-prediction module (``num_nextn_predict_layers``), 14 B parameters used only in
  training, is not counted: the 671 B DeepSeek-AI state leaves it out too.

Every field that a family needs and the config lacks or states in a form that is not a whole
number raises :class:`~llmcost.core.validate.InputError` naming the file and the field.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..core.validate import InputError
from . import architecture as _architecture

LLAMA_LIKE = ("llama", "mistral", "mixtral", "qwen2", "qwen3", "qwen3_moe", "gemma", "gemma2", "gemma3_text", "phi3",
              "olmo2", "llama4_text", "gpt_oss")
LATENT = ("deepseek_v2", "deepseek_v3", "kimi_k2")
MULTIMODAL = {"llama4": "llama4_text", "gemma3": "gemma3_text"}
"""Multimodal ``model_type`` -> the ``model_type`` of its ``text_config``, the part that is read."""
SUPPORTED = LLAMA_LIKE + ("gpt2", "opt", "falcon", "gpt_neox") + LATENT + tuple(MULTIMODAL)
"""The ``model_type`` values :func:`architecture_from_config` reads."""

FAMILY_DEFAULTS = {"gemma3_text": {"vocab_size": 262208}}
"""Fields a family's published configs may leave out, at transformers' default for the family
(``Gemma3TextConfig``: vocab_size=262_208, huggingface2025gemma3config)."""

ARCHITECTURE_TYPES = {
    "LlamaForCausalLM": "llama", "MistralForCausalLM": "mistral", "MixtralForCausalLM": "mixtral",
    "Qwen2ForCausalLM": "qwen2", "Qwen3ForCausalLM": "qwen3", "Qwen3MoeForCausalLM": "qwen3_moe",
    "GemmaForCausalLM": "gemma", "Gemma2ForCausalLM": "gemma2", "Phi3ForCausalLM": "phi3",
    "GPT2LMHeadModel": "gpt2", "OPTForCausalLM": "opt", "FalconForCausalLM": "falcon",
    "GPTNeoXForCausalLM": "gpt_neox", "DeepseekV2ForCausalLM": "deepseek_v2", "DeepseekV3ForCausalLM": "deepseek_v3",
    "KimiK2ForCausalLM": "kimi_k2", "Llama4ForConditionalGeneration": "llama4", "Llama4ForCausalLM": "llama4_text",
    "GptOssForCausalLM": "gpt_oss", "Gemma3ForConditionalGeneration": "gemma3", "Gemma3ForCausalLM": "gemma3_text",
    "Olmo2ForCausalLM": "olmo2",
}
"""``architectures`` entries, for a config that states no ``model_type``."""

TIED_BY_DEFAULT = {"gemma": True, "gemma2": True, "gemma3_text": True, "gpt2": True, "opt": True, "falcon": True}
"""``tie_word_embeddings`` when the config does not state it (transformers' defaults); others False."""


class _Config:
    """A config dict and where it came from, for one-line errors naming the file and the field."""

    def __init__(self, values: dict, source: str):
        self.values, self.source = values, source

    def fail(self, message: str):
        raise InputError(f"{self.source}: {message}")

    def count(self, *names: str, default=None, family: str = ""):
        """The first of ``names`` the config states, a whole number >= 1 (or ``default``)."""
        for name in names:
            value = self.values.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
                self.fail(f"field {name!r} must be a whole number >= 1, got {value!r}")
            return int(value)
        if default is not None:
            return default
        self.fail(f"config has no {' or '.join(repr(n) for n in names)}, which a {family} model needs")

    def flag(self, name: str, default: bool) -> bool:
        value = self.values.get(name, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(f"field {name!r} must be true or false, got {value!r}")
        return value


def load_config(config) -> tuple[dict, str]:
    """The dict of ``config`` (a dict, or a path to a ``.json`` file) and a name for errors."""
    if isinstance(config, dict):
        return config, "the given config"
    if not isinstance(config, (str, os.PathLike)):
        raise InputError(f"config must be a dict or a path to a config.json, got {config!r}")
    path = Path(config)
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"{path}: cannot read the config ({error.strerror or error})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a JSON config ({str(error).splitlines()[0]})") from None
    if not isinstance(values, dict):
        raise InputError(f"{path}: a config.json holds a JSON object, got {type(values).__name__}")
    return values, str(path)


def model_type(values: dict, source: str) -> str:
    """The family of a config: its ``model_type``, else its first known ``architectures`` entry."""
    kind = values.get("model_type")
    if not kind:
        for name in values.get("architectures") or ():
            if name in ARCHITECTURE_TYPES:
                return ARCHITECTURE_TYPES[name]
        raise InputError(f"{source}: config has no 'model_type' (nor a known 'architectures' entry); supported: {', '.join(SUPPORTED)}")
    return str(kind)


def record_from_config(config) -> dict:
    """The architecture fields (a dict with ``name``) that ``config`` maps onto."""
    values, source = load_config(config)
    kind = model_type(values, source)
    cfg = _Config(values, source)
    if kind not in SUPPORTED:
        cfg.fail(f"model_type {kind!r} is not supported; supported: {', '.join(SUPPORTED)}")
    name = values.get("_name_or_path") or (_file_name(Path(source)) if source != "the given config" else "") or kind
    fields = {"name": f"{name} ({kind} config)"}
    if kind in MULTIMODAL:
        cfg, kind = _text_config(cfg, kind)
    family = "llama" if kind in LLAMA_LIKE else "deepseek" if kind in LATENT else kind
    fields.update(_FAMILIES[family](cfg, kind))
    tied = cfg.flag("tie_word_embeddings", TIED_BY_DEFAULT.get(kind, False))
    fields["embedding_matrices"] = 1 if tied else 2
    return fields


def _text_config(cfg: _Config, kind: str) -> tuple[_Config, str]:
    """The language model's config of a multimodal ``kind`` config, with the family's defaults."""
    text = cfg.values.get("text_config")
    if not isinstance(text, dict):
        cfg.fail(f"a {kind} config holds its language model in 'text_config', which this config lacks")
    inner = MULTIMODAL[kind]
    values = {**FAMILY_DEFAULTS.get(inner, {}), **text}
    if "tie_word_embeddings" in cfg.values and "tie_word_embeddings" not in text:
        values["tie_word_embeddings"] = cfg.values["tie_word_embeddings"]
    return _Config(values, f"{cfg.source} (text_config)"), inner


def _file_name(path: Path) -> str:
    """A model's name from its config's path: the file's stem, or its folder's for ``config.json``."""
    return path.parent.name if path.stem == "config" else path.stem


def architecture_from_config(config) -> _architecture.Architecture:
    """The architecture record of a Hugging Face ``config.json`` (a dict, or a path to the file)."""
    fields = record_from_config(config)
    source = config if not isinstance(config, dict) else "the given config"
    try:
        return _architecture.architecture(fields)
    except InputError as error:
        raise InputError(f"{source}: {error}") from None


def model_record(config) -> dict:
    """A model record like the dataset's (:func:`llmcost.model`) for a ``config.json``: ``id``
    (the path as given), ``name``, ``kind`` (dense or moe), ``params_total`` and ``params_active``
    derived from the architecture (counts), and the architecture fields; no training facts
    (tokens, hours), which a config does not state."""
    arch = architecture_from_config(config)
    counts = _architecture.parameter_counts(arch)
    fields = {name: getattr(arch, name) for name in _architecture.FIELDS if getattr(arch, name) is not None}
    kind = "moe" if arch.experts > 1 else "dense"
    return {**fields, "id": str(config), "name": arch.name, "kind": kind,
            "params_total": counts["total"], "params_active": counts["active"]}


def _llama_like(cfg: _Config, kind: str) -> dict:
    heads = cfg.count("num_attention_heads", family=kind)
    d = cfg.count("hidden_size", family=kind)
    fields = {
        "layers": cfg.count("num_hidden_layers", family=kind), "d_model": d, "heads": heads,
        "kv_heads": cfg.count("num_key_value_heads", default=heads), "head_dim": cfg.count("head_dim", default=0) or None,
        "ffn_dim": cfg.count("intermediate_size", family=kind), "mlp_matrices": 3,
        "vocab": cfg.count("vocab_size", family=kind), "position_embeddings": 0,
        "linear_biases": 1 if (kind == "qwen2" or cfg.flag("attention_bias", False)) else 0,
        "context": cfg.count("max_position_embeddings", default=0) or None,
    }
    if fields["head_dim"] is None and d % heads:
        cfg.fail(f"config has no 'head_dim' and num_attention_heads ({heads}) does not divide hidden_size ({d})")
    if kind == "mixtral":
        fields["experts"] = cfg.count("num_local_experts", family=kind)
        fields["experts_routed"] = cfg.count("num_experts_per_tok", family=kind)
    if kind == "qwen3_moe":
        fields["experts"] = cfg.count("num_experts", family=kind)
        fields["experts_routed"] = cfg.count("num_experts_per_tok", family=kind)
        fields["ffn_dim"] = cfg.count("moe_intermediate_size", family=kind)
        dense_only = set(cfg.values.get("mlp_only_layers") or ())
        step = cfg.count("decoder_sparse_step", default=1)
        sparse = [i for i in range(fields["layers"]) if i not in dense_only and (i + 1) % step == 0]
        _dense_layers(cfg, fields, fields["layers"] - len(sparse), "intermediate_size")
    if kind == "llama4_text":
        fields["experts"] = cfg.count("num_local_experts", family=kind)
        fields["experts_routed"] = cfg.count("num_experts_per_tok", family=kind)
        fields["experts_shared"] = 1
        step = cfg.count("interleave_moe_layer_step", default=1)
        listed = cfg.values.get("moe_layers")
        sparse = listed if isinstance(listed, list) else list(range(step - 1, fields["layers"], step))
        _dense_layers(cfg, fields, fields["layers"] - len(sparse), "intermediate_size_mlp")
    if kind == "gpt_oss":
        fields["experts"] = cfg.count("num_local_experts", family=kind)
        fields["experts_routed"] = cfg.count("num_experts_per_tok", "experts_per_token", family=kind)
        fields["linear_biases"] = 1 if cfg.flag("attention_bias", True) else 0
    return fields


def _dense_layers(cfg: _Config, fields: dict, dense: int, width_field: str) -> None:
    """Record ``dense`` dense layers of a mixture of experts, of width ``width_field``, if any."""
    if dense:
        fields["dense_layers"] = dense
        fields["dense_ffn_dim"] = cfg.count(width_field, family="mixture-of-experts")


def _gpt2(cfg: _Config, kind: str) -> dict:
    d = cfg.count("n_embd", "hidden_size", family=kind)
    return {
        "layers": cfg.count("n_layer", "num_hidden_layers", family=kind), "d_model": d,
        "heads": cfg.count("n_head", "num_attention_heads", family=kind), "ffn_dim": cfg.count("n_inner", default=4 * d),
        "mlp_matrices": 2, "vocab": cfg.count("vocab_size", family=kind),
        "position_embeddings": cfg.count("n_positions", family=kind), "linear_biases": 1,
        "context": cfg.count("n_ctx", "n_positions", family=kind),
    }


def _opt(cfg: _Config, kind: str) -> dict:
    d = cfg.count("hidden_size", family=kind)
    projection = cfg.count("word_embed_proj_dim", default=d)
    if projection != d:
        cfg.fail(f"field 'word_embed_proj_dim' ({projection}) differs from hidden_size ({d}): "
                 "projected embeddings are not expressible in the record")
    positions = cfg.count("max_position_embeddings", family=kind)
    return {
        "layers": cfg.count("num_hidden_layers", family=kind), "d_model": d,
        "heads": cfg.count("num_attention_heads", family=kind), "ffn_dim": cfg.count("ffn_dim", family=kind),
        "mlp_matrices": 2, "vocab": cfg.count("vocab_size", family=kind),
        "position_embeddings": positions + 2,  # OPT's learned positions are offset by 2
        "linear_biases": 1 if cfg.flag("enable_bias", True) else 0, "context": positions,
    }


def _falcon(cfg: _Config, kind: str) -> dict:
    d = cfg.count("hidden_size", "n_embed", family=kind)
    heads = cfg.count("num_attention_heads", "n_head", family=kind)
    if cfg.flag("new_decoder_architecture", False):
        kv = cfg.count("num_kv_heads", "n_head_kv", family=kind)
    elif cfg.flag("multi_query", True):
        kv = 1
    else:
        kv = heads
    return {
        "layers": cfg.count("num_hidden_layers", "n_layer", family=kind), "d_model": d, "heads": heads,
        "kv_heads": kv, "ffn_dim": cfg.count("ffn_hidden_size", default=4 * d), "mlp_matrices": 2,
        "vocab": cfg.count("vocab_size", family=kind), "position_embeddings": 0,
        "linear_biases": 1 if cfg.flag("bias", False) else 0,
        "context": cfg.count("max_position_embeddings", default=2048),
    }


def _gpt_neox(cfg: _Config, kind: str) -> dict:
    return {
        "layers": cfg.count("num_hidden_layers", family=kind), "d_model": cfg.count("hidden_size", family=kind),
        "heads": cfg.count("num_attention_heads", family=kind), "ffn_dim": cfg.count("intermediate_size", family=kind),
        "mlp_matrices": 2, "vocab": cfg.count("vocab_size", family=kind), "position_embeddings": 0,
        "linear_biases": 1 if cfg.flag("attention_bias", True) else 0,
        "context": cfg.count("max_position_embeddings", default=0) or None,
    }


def _deepseek(cfg: _Config, kind: str) -> dict:
    heads = cfg.count("num_attention_heads", family=kind)
    rope = cfg.count("qk_rope_head_dim", family=kind)
    fields = {
        "layers": cfg.count("num_hidden_layers", family=kind), "d_model": cfg.count("hidden_size", family=kind),
        "heads": heads, "kv_heads": heads, "head_dim": cfg.count("qk_nope_head_dim", family=kind) + rope,
        "v_head_dim": cfg.count("v_head_dim", family=kind), "qk_rope_head_dim": rope,
        "kv_lora_rank": cfg.count("kv_lora_rank", family=kind), "q_lora_rank": cfg.count("q_lora_rank", default=0),
        "ffn_dim": cfg.count("moe_intermediate_size", family=kind), "mlp_matrices": 3,
        "vocab": cfg.count("vocab_size", family=kind), "position_embeddings": 0,
        "linear_biases": 1 if cfg.flag("attention_bias", False) else 0,
        "context": cfg.count("max_position_embeddings", default=0) or None,
        "experts": cfg.count("n_routed_experts", family=kind), "experts_routed": cfg.count("num_experts_per_tok", family=kind),
        "experts_shared": cfg.count("n_shared_experts", default=0),
    }
    first = cfg.count("first_k_dense_replace", default=0) if cfg.values.get("first_k_dense_replace") else 0
    every = cfg.count("moe_layer_freq", default=1)
    sparse = [i for i in range(first, fields["layers"]) if i % every == 0]
    _dense_layers(cfg, fields, fields["layers"] - len(sparse), "intermediate_size")
    return fields


_FAMILIES = {"llama": _llama_like, "gpt2": _gpt2, "opt": _opt, "falcon": _falcon, "gpt_neox": _gpt_neox, "deepseek": _deepseek}
