"""A reader's own model from a Hugging Face config.json (llmcost.running.hf_config): real config
files of each family (tests/data/hf_configs, sources in SOURCES.md) give their published counts."""

import json
from pathlib import Path

import pytest

from llmcost.core.validate import InputError
from llmcost.running import hf_config
from llmcost.running.architecture import architecture, parameter_counts

CONFIGS = Path(__file__).parent / "data" / "hf_configs"

PUBLISHED = {  # family: (total, active or None); SOURCES.md says where each count is published
    "llama": (8.03e9, None),
    "mistral": (7.24e9, None),
    "mixtral": (46.7e9, 12.9e9),
    "qwen2": (7.61e9, None),
    "gemma": (2_506_434_560, None),
    "gemma2": (9_241_705_984, None),
    "phi3": (3.8e9, None),
    "gpt_neox": (2.8e9, None),
    "gpt2": (124_439_808, None),
    "qwen3_moe": (30.5e9, None),
    "deepseek_v3": (671e9, None),
    "deepseek_v2_236b": (236e9, None),
    "deepseek_v2": (15.7e9, None),
    "opt": (125e6, None),
    "gpt_oss": (116.83e9, None),
    "llama4": (400e9, None),
}


def counts(family):
    return parameter_counts(architecture(str(CONFIGS / f"{family}.json")))


@pytest.mark.parametrize("family", sorted(PUBLISHED))
def test_derived_counts_within_one_percent_of_published(family):
    total, active = PUBLISHED[family]
    derived = counts(family)
    assert derived["total"] == pytest.approx(total, rel=0.01)
    if active is not None:
        assert derived["active"] == pytest.approx(active, rel=0.01)


def test_qwen3_published_to_truncated_tenth_of_billion():
    """Qwen states 1.7B total and 1.4B non-embedding for Qwen3-1.7B (tied), 3.3B active for
    Qwen3-30B-A3B: truncated, so the derived count lies within their last digit."""
    dense = counts("qwen3")
    assert 1.7e9 <= dense["total"] < 1.8e9
    assert dense["total"] - dense["embeddings"] == pytest.approx(1.4e9, rel=0.01)
    moe = counts("qwen3_moe")
    assert 3.3e9 <= moe["active"] < 3.4e9
    assert moe["total"] - moe["embeddings"] == pytest.approx(29.9e9, rel=0.01)


def test_family_specifics():
    gemma = architecture(CONFIGS / "gemma.json")
    assert (gemma.head_dim, gemma.kv_heads, gemma.embedding_matrices) == (256, 1, 1)
    gpt2 = architecture(CONFIGS / "gpt2.json")
    assert (gpt2.position_embeddings, gpt2.linear_biases, gpt2.ffn_dim, gpt2.embedding_matrices) == (1024, 1, 3072, 1)
    neox = architecture(CONFIGS / "gpt_neox.json")
    assert (neox.embedding_matrices, neox.mlp_matrices, neox.linear_biases) == (2, 2, 1)
    mixtral = architecture(CONFIGS / "mixtral.json")
    assert (mixtral.experts, mixtral.experts_routed, mixtral.kv_heads) == (8, 2, 8)
    moe = architecture(CONFIGS / "qwen3_moe.json")
    assert (moe.experts, moe.experts_routed, moe.ffn_dim, moe.head_dim) == (128, 8, 768, 128)


def test_opt_and_falcon_mappings():
    """No published OPT/Falcon config file was found to pin (SOURCES.md); the mappings' specifics."""
    opt = {"model_type": "opt", "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
           "ffn_dim": 3072, "max_position_embeddings": 2048, "vocab_size": 50272, "word_embed_proj_dim": 768}
    record = hf_config.architecture_from_config(opt)
    assert (record.position_embeddings, record.linear_biases, record.embedding_matrices) == (2050, 1, 1)
    with pytest.raises(InputError, match="word_embed_proj_dim"):
        hf_config.architecture_from_config({**opt, "hidden_size": 1024, "word_embed_proj_dim": 512, "num_attention_heads": 16})
    falcon = {"model_type": "falcon", "hidden_size": 4544, "num_hidden_layers": 32, "num_attention_heads": 71,
              "multi_query": True, "new_decoder_architecture": False, "parallel_attn": True, "bias": False, "vocab_size": 65024}
    record = hf_config.architecture_from_config(falcon)
    assert (record.kv_heads, record.linear_biases, record.ffn_dim, record.embedding_matrices) == (1, 0, 4 * 4544, 1)
    wide = hf_config.architecture_from_config({**falcon, "new_decoder_architecture": True, "num_kv_heads": 8,
                                               "num_attention_heads": 128, "hidden_size": 8192})
    assert wide.kv_heads == 8


def test_deepseek_v2_lite_counts_with_latent_attention():
    """15.7 B total, 2.4 B activated (DeepSeek-V2-Lite): no query latent (q_lora_rank null), one
    dense first layer; the activated count leaves out the input embedding (a lookup)."""
    lite = architecture(str(CONFIGS / "deepseek_v2.json"))
    assert (lite.q_lora_rank, lite.kv_lora_rank, lite.head_dim, lite.v_head_dim, lite.dense_layers) == (0, 512, 192, 128, 1)
    derived = counts("deepseek_v2")
    assert 2.4e9 <= derived["matmul_active"] < 2.5e9


def test_deepseek_activated_counts_leave_out_the_input_embedding():
    """DeepSeek's README_WEIGHTS: 'Activation parameters: 36.6B (including 0.9B for the output
    Head)' for V3, stated as 37B in the paper; V2: '21B are activated for each token'."""
    assert counts("deepseek_v3")["matmul_active"] == pytest.approx(36.6e9, rel=0.005)
    assert counts("deepseek_v3")["active"] - counts("deepseek_v3")["matmul_active"] == 129280 * 7168
    assert round(counts("deepseek_v2_236b")["matmul_active"] / 1e9) == 21


def test_gpt_oss_and_llama4_count_as_their_cards_do():
    """gpt-oss-120b's card (Table 1): 116.83 B in all and 5.13 B active, unembedding counted but not
    the input embedding (llmcost's matmul-active). Llama 4 Maverick: MoE every other layer, 24
    dense layers of width intermediate_size_mlp, one shared expert; its card's 400 B total."""
    oss = counts("gpt_oss")
    assert oss["matmul_active"] == pytest.approx(5.13e9, rel=0.001) and oss["total"] == pytest.approx(116.83e9, rel=0.0005)
    maverick = architecture(CONFIGS / "llama4.json")
    assert (maverick.dense_layers, maverick.dense_ffn_dim, maverick.experts_shared) == (24, 16384, 1)
    assert counts("llama4")["matmul_active"] == pytest.approx(17e9, rel=0.05)


def test_falcon_is_multi_query_with_its_embeddings_tied():
    """Falcon-7B-Instruct: multi_query (one key/value head) and tied embeddings, 6.92 B: its card's
    '7B' to the one digit it is stated to (untied, it would count 7.22 B)."""
    falcon = architecture(CONFIGS / "falcon.json")
    assert (falcon.kv_heads, falcon.embedding_matrices, falcon.linear_biases) == (1, 1, 0)
    assert round(counts("falcon")["total"] / 1e9) == 7


@pytest.mark.parametrize("family, changes, dense", [
    # DeepSeek: layer i >= first_k_dense_replace is sparse when i % moe_layer_freq == 0 (27 layers, first 1 dense)
    ("deepseek_v2", {"moe_layer_freq": 2}, 1 + 13),
    ("deepseek_v2", {"moe_layer_freq": 1, "first_k_dense_replace": 0}, 0),
    # Qwen3-MoE: sparse unless in mlp_only_layers, and only when (i + 1) % decoder_sparse_step == 0 (48 layers)
    ("qwen3_moe", {"decoder_sparse_step": 2}, 24),
    ("qwen3_moe", {"mlp_only_layers": [0, 1, 47]}, 3),
    ("qwen3_moe", {"decoder_sparse_step": 2, "mlp_only_layers": [0, 1]}, 25),
])
def test_dense_layers_among_sparse_ones_follow_each_familys_rule(family, changes, dense):
    """Where dense layers sit among the sparse ones, by each family's rule in transformers; the
    record counts them (a count does not depend on where they sit)."""
    values = {**json.loads((CONFIGS / f"{family}.json").read_text()), **changes}
    arch = hf_config.architecture_from_config(values)
    assert arch.dense_layers == dense
    if dense:
        assert arch.dense_ffn_dim == values["intermediate_size"]
    published = architecture(str(CONFIGS / f"{family}.json"))
    # each dense layer here is smaller than a sparse one (all its experts), so the total follows
    assert (parameter_counts(arch)["total"] < counts(family)["total"]) == (dense > published.dense_layers)


def test_a_multimodal_config_is_read_for_its_language_model():
    """Llama 4 and Gemma 3 configs nest the language model in text_config; a config without one
    is refused in one line naming the field."""
    text = json.loads((CONFIGS / "llama.json").read_text())
    text.update({"model_type": "llama4_text", "num_local_experts": 16, "num_experts_per_tok": 1,
                 "interleave_moe_layer_step": 2, "intermediate_size_mlp": 2 * text["intermediate_size"]})
    arch = hf_config.architecture_from_config({"model_type": "llama4", "text_config": text, "vision_config": {}})
    assert (arch.experts, arch.experts_routed, arch.experts_shared) == (16, 1, 1)
    assert (arch.dense_layers, arch.dense_ffn_dim) == (text["num_hidden_layers"] // 2, 2 * text["intermediate_size"])
    listed = hf_config.architecture_from_config({"model_type": "llama4", "text_config": {**text, "moe_layers": [3, 7]}})
    assert listed.dense_layers == text["num_hidden_layers"] - 2
    with pytest.raises(InputError, match="text_config") as error:
        hf_config.architecture_from_config({"model_type": "gemma3", "vision_config": {}})
    assert "\n" not in str(error.value)


def test_missing_field_names_file_and_field(tmp_path):
    values = json.loads((CONFIGS / "llama.json").read_text())
    del values["intermediate_size"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(values))
    with pytest.raises(InputError, match="intermediate_size") as error:
        architecture(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_bad_value_names_field(tmp_path):
    values = json.loads((CONFIGS / "mistral.json").read_text())
    values["num_hidden_layers"] = "32"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(values))
    with pytest.raises(InputError, match="num_hidden_layers"):
        architecture(str(path))


def test_unknown_model_type_lists_supported(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "mamba", "hidden_size": 768}))
    with pytest.raises(InputError, match="not supported") as error:
        architecture(str(path))
    for family in hf_config.SUPPORTED:
        assert family in str(error.value)


def test_unreadable_or_not_json(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        architecture(str(tmp_path / "absent.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not a JSON config"):
        architecture(bad)


def test_architecture_accepts_a_config_path_like_a_name():
    path = CONFIGS / "llama.json"
    assert parameter_counts(str(path)) == parameter_counts(path)
    assert architecture(str(path)).kv_width == 8 * 128


CONFIG_FILES = sorted(CONFIGS.glob("*.json"))


def _cli(*argv) -> int:
    from llmcost import cli

    try:
        return cli.main(list(argv))
    except SystemExit as exc:  # refused while parsing
        return exc.code


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda path: path.stem)
def test_the_cli_trains_a_model_from_its_config(path, capsys):
    counts = parameter_counts(str(path))
    assert _cli("train", "--model", str(path), "--tokens", "1e12", "--json") == 0
    inputs = json.loads(capsys.readouterr().out)["inputs"]
    assert inputs["params"] == counts["total"] and inputs["active_params"] == counts["active"]
    assert _cli("train", "--model", str(path)) == 2
    assert "--tokens is required (a config.json states none)" in capsys.readouterr().err


@pytest.mark.parametrize("config, says", [
    ({"model_type": "llama", "hidden_size": 4096}, "num_attention_heads"),
    ({"model_type": "deepseek_v3", "num_attention_heads": 128}, "qk_rope_head_dim"),
])
def test_the_cli_names_what_a_config_lacks_in_one_line(tmp_path, capsys, config, says):
    broken = tmp_path / "config.json"
    broken.write_text(json.dumps(config), encoding="utf-8")
    assert _cli("train", "--model", str(broken), "--tokens", "1e12") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0] and str(broken) in err[0]
