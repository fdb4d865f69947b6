"""Architectures as they are built: parameter counts derived from the sourced architecture
records against each model's published count, and against the library's simpler formulas where
they model the same thing (KV cache, attention FLOPs, 6PD); the FLOP conventions they give."""


import json

import numpy as np
import pytest

from llmcost import architecture as arch
from llmcost import cli, datasets, memory
from llmcost.formulas.estimate import training_estimate, utilization_in_convention
from llmcost.formulas.flops import attention_flops_per_token, training_flops
from llmcost.core.validate import InputError


PUBLISHED = {
    # model: (published total, relative tolerance); the published figure is the dataset's params_total
    "llama-2-70b": (69.0e9, 0.002),  # "about 69.0e9" (issue 8); the paper's "70B" is nominal
    "palm-540b": (None, 0.001),  # 540.35e9, Chowdhery et al. 2022 Table 1
    "llama-65b": (None, 0.002),  # 65.2e9
    "llama-7b": (None, 0.01),  # 6.7e9
    "gpt-3": (None, 0.003),  # 175e9
    "bloom-176b": (None, 0.001),  # 176.247e9
    "mixtral-8x7b": (None, 0.001),  # 46.7e9
    "llama-3.1-405b": (None, 0.003),
    "llama-3-70b": (70.6e9, 0.002),  # the model card's 70.6B; the dataset holds the nominal 70e9
    "llama-3-8b": (8.03e9, 0.002),
    "opt-175b": (None, 0.003),  # 175e9, Zhang et al. 2022 Table 1 (same shape as GPT-3, vocab 50272, 2050 positions)
    "llama-13b": (None, 0.002),  # 13.0e9
    "llama-33b": (None, 0.002),  # 32.5e9
    "llama-2-7b": (6.7e9, 0.01),  # LLaMA 7B's 6.7B (Touvron et al. 2023a Table 2), the same shape; the dataset holds the nominal 7e9
    "llama-2-13b": (None, 0.002),  # 13e9 nominal; 13.016e9 counted
    "gpt-1": (None, 0.005),  # 117e6 (Radford et al. 2019 Table 2); the released weights hold 116.53e6
}



@pytest.mark.parametrize("model", sorted(PUBLISHED))
def test_parameter_count_from_architecture_matches_the_published_one(model):
    published, tolerance = PUBLISHED[model]
    published = published or datasets.model(model)["params_total"]
    assert arch.params_from_architecture(model) == pytest.approx(published, rel=tolerance)



def test_llama2_70b_and_palm_no_longer_count_as_multi_head_4d_models():
    # The old multi-head, 4d-MLP formula gave 78.4e9 and 646e9 (issue 8).
    assert arch.params_from_architecture("llama-2-70b") == pytest.approx(68.98e9, rel=1e-3)
    assert arch.params_from_architecture("palm-540b") == pytest.approx(540.35e9, rel=1e-3)



def test_moe_active_parameters_follow_the_routed_experts():
    counts = arch.parameter_counts("mixtral-8x7b")
    assert counts["active"] == pytest.approx(datasets.model("mixtral-8x7b")["params_active"], rel=0.002)
    expert = (counts["mlp"]) / (8 * 32)
    assert counts["total"] - counts["active"] == pytest.approx(6 * 32 * expert)



def test_a_record_that_cannot_be_expressed_says_why():
    with pytest.raises(InputError, match=r"t5-11b.*no architecture llmcost can count with: Encoder-decoder"):
        arch.params_from_architecture("t5-11b")
    with pytest.raises(InputError, match=r"gpt-4.*OpenAI published no architecture"):
        arch.kv_cache_bytes_per_token("gpt-4")


def test_every_dataset_model_is_complete_or_says_why():
    for ident in datasets.model_ids():
        gap = datasets.model(ident).get("architecture_gap")
        assert (arch.counts_if_complete(ident) is None) == bool(gap), ident


def test_deepseek_v3_counts_its_latent_attention_and_dense_first_layers():
    """671 B total and 37 B activated (DeepSeek-AI 2024, abstract); the activated count leaves out
    the input embedding, a lookup: 36.6 B, which is '37B' to the figure's precision."""
    counts = arch.parameter_counts("deepseek-v3")
    assert counts["total"] == pytest.approx(671e9, rel=0.001)
    assert 36.5e9 <= counts["matmul_active"] < 37.5e9
    record = arch.architecture("deepseek-v3")
    per_layer_attention = (7168 * 1536 + 1536 + 1536 * 128 * 192 + 7168 * 576 + 512 + 512 * 128 * 256 + 128 * 128 * 7168)
    assert counts["attention"] == 61 * per_layer_attention
    assert counts["mlp"] == 3 * 3 * 7168 * 18432 + 58 * 257 * 3 * 7168 * 2048
    assert arch.kv_cache_bytes_per_token("deepseek-v3", "bf16") == 61 * (512 + 64) * 2
    assert record.attention_flops_width() == 128 * (192 + 128) / 2
    assert record.attention_flops_width(decode=True) == 128 * (512 + 64 + 512) / 2


def test_relative_position_projection_explains_gopher_and_chinchilla():
    """12 L d^2 falls 22 B short of Gopher's 280 B; Transformer-XL's per-layer W_kR (d x d) closes it."""
    for model, published in (("gopher-280b", 280e9), ("chinchilla-70b", 70e9)):
        record = arch.architecture(model)
        assert record.relative_position_projection == 1
        counts = arch.parameter_counts(model)
        assert counts["total"] == pytest.approx(published, rel=0.01)
        without = arch.parameter_counts({f: getattr(record, f) for f in arch.FIELDS} | {"relative_position_projection": 0})
        assert counts["total"] - without["total"] == record.layers * record.d_model ** 2
        assert without["total"] < 0.95 * published



def test_a_dict_gives_the_same_counts_as_the_dataset_record():
    record = datasets.model("llama-2-70b")
    given = {key: record[key] for key in arch.FIELDS if key in record}
    assert arch.parameter_counts(given) == arch.parameter_counts("llama-2-70b")



def test_dict_defaults_are_multi_head_and_head_dim_from_d_model():
    base = {"layers": 2, "d_model": 64, "heads": 4, "ffn_dim": 256, "vocab": 100, "mlp_matrices": 2, "embedding_matrices": 1}
    record = arch.architecture(base)
    assert (record.kv_heads, record.head_dim) == (4, 16)
    # Multi-head, plain 4d MLP, tied, no biases: 12 d^2 per layer (+ norms 2 d) + vocab d + final norm d.
    assert arch.params_from_architecture(base) == 2 * (12 * 64**2 + 2 * 64) + 100 * 64 + 64



@pytest.mark.parametrize(("field", "value", "message"), [
    ("kv_heads", 3, "kv_heads must divide heads"),
    ("mlp_matrices", 4, "mlp_matrices must be one of 2, 3"),
    ("embedding_matrices", 0, "embedding_matrices must be one of 1, 2"),
    ("layers", 0.5, "layers must be a whole number"),
    ("experts_routed", 9, "experts_routed must be at most experts"),
    ("colour", 1, "unknown architecture field"),
])
def test_bad_architecture_fields_are_named(field, value, message):
    base = {"layers": 2, "d_model": 64, "heads": 4, "ffn_dim": 256, "vocab": 100, "mlp_matrices": 2,
            "embedding_matrices": 1, "experts": 8}
    with pytest.raises(InputError, match=message):
        arch.params_from_architecture({**base, field: value})



def test_counts_are_vectorized_over_a_field():
    base = {"d_model": 64, "heads": 4, "ffn_dim": 256, "vocab": 100, "mlp_matrices": 3, "embedding_matrices": 2}
    layers = np.array([1, 2, 8])
    together = arch.params_from_architecture({**base, "layers": layers})
    assert together.tolist() == [arch.params_from_architecture({**base, "layers": int(n)}) for n in layers]



def test_kv_cache_per_token_agrees_with_the_memory_formula():
    # GQA: 8 KV heads of 128 instead of 64; memory.kv_cache_bytes is unchanged.
    assert arch.kv_cache_bytes_per_token("llama-2-70b") == memory.kv_cache_bytes(80, 8 * 128, 1) == 327_680
    assert arch.kv_cache_bytes_per_token("palm-540b") == memory.kv_cache_bytes(118, 256, 1)



def test_attention_uses_heads_times_head_dim_not_d_model():
    palm = arch.attention_training_flops_per_token("palm-540b")
    assert palm == attention_flops_per_token(118, 48 * 256, 2048, training=True)
    assert arch.attention_training_flops_per_token("palm-540b", causal=True) == palm / 2



def test_palm_mfu_restated_without_attention_is_palms_own_457():
    facts = datasets.model_facts()
    stated = facts[(facts.subject == "palm-540b") & (facts.quantity == "mfu") & ~facts.primary]["value"].item()
    assert arch.reference_mfu("6PD") == pytest.approx(stated, abs=0.0005)
    assert arch.reference_mfu("6PD+attention") == datasets.model("palm-540b")["mfu"]
    assert arch.reference_mfu("6PD") < arch.reference_mfu("6PD+causal-attention") < arch.reference_mfu("6PD+attention")



def test_the_same_run_takes_the_same_time_in_every_convention():
    params, tokens, peak = 175e9, 300e9, 312e12
    hours = {}
    for convention in ("6PD", "6PD+attention", "6PD+causal-attention"):
        attention = arch.attention_for_convention(convention, "gpt-3")
        mfu = utilization_in_convention(0.5, params, 0.0, attention)
        hours[convention] = training_estimate(params, tokens, peak, mfu, attention_flops_per_token=attention)["gpu_hours"]
    assert max(hours.values()) == pytest.approx(min(hours.values()), rel=1e-12)



def test_attention_in_the_estimate_adds_its_flops_and_scales_with_recomputation():
    attention = arch.attention_for_convention("6PD+attention", "gpt-3")
    plain = training_estimate(175e9, 300e9, 312e12, 0.5)["flops"]
    assert plain == training_flops(175e9, 300e9)
    assert training_estimate(175e9, 300e9, 312e12, 0.5, attention_flops_per_token=attention)["flops"] == pytest.approx(plain + attention * 300e9)
    recomputed = training_estimate(175e9, 300e9, 312e12, 0.5, attention_flops_per_token=attention, recompute=True)["flops"]
    assert recomputed == pytest.approx(training_flops(175e9, 300e9, recompute=True) + 4 / 3 * attention * 300e9)



def test_attention_share_of_gpt3_training_is_a_few_per_cent():
    share = arch.attention_for_convention("6PD+attention", "gpt-3") / (6 * datasets.model("gpt-3")["params_total"])
    assert 0.02 < share < 0.04  # 2.3-3.7 % for the 2,048-context models (issue 8)



def test_cli_train_names_its_convention_and_pairs_the_utilization(capsys):
    """On an accelerator without a calibration group (the B200: no published Blackwell run) the
    default utilization is PaLM's, in the convention the estimate counts."""
    cli.main(["train", "--model", "gpt-3", "--gpu", "b200", "--json"])
    with_attention = json.loads(capsys.readouterr().out)
    cli.main(["train", "--model", "gpt-4", "--gpu", "b200", "--json"])
    without = json.loads(capsys.readouterr().out)
    assert with_attention["inputs"]["convention"] == "6PD+attention" and with_attention["inputs"]["mfu"] == 0.462
    assert without["inputs"]["convention"] == "6PD" and without["inputs"]["mfu"] == pytest.approx(0.457, abs=0.0005)



def test_an_inexpressible_model_has_no_attention_term():
    assert not arch.has_attention_dims("t5-11b")
    assert arch.has_attention_dims("palm-540b") and arch.has_attention_dims("deepseek-v3")
    with pytest.raises(InputError, match="Encoder-decoder"):
        arch.attention_for_convention("6PD+attention", "t5-11b")



def test_convention_table_counts_attention_with_the_head_width():
    from llmcost import calibration

    palm = calibration.convention_table("palm-540b").set_index("convention")
    base = palm.loc["6PD, active parameters (baseline)", "flops"]
    # PaLM: 12 L (H Q) T = 12 x 118 x (48 x 256) x 2048 per token, not 12 L d T with d = 18,432.
    per_token = 12 * 118 * 48 * 256 * 2048
    assert palm.loc["6PD + attention, full score matrix", "flops"] == pytest.approx(base + per_token * 780e9)
    assert palm.loc["6PD + attention, causal half", "flops"] == pytest.approx(base + per_token / 2 * 780e9)
    counts = arch.parameter_counts("palm-540b")
    assert palm.loc["6ND, N counted without embeddings", "flops"] == pytest.approx(6 * (counts["active"] - counts["embeddings"]) * 780e9)
    gpt4 = calibration.convention_table("gpt-4").set_index("convention")
    assert np.isnan(gpt4.loc["6PD + attention, full score matrix", "flops"])



def test_counts_if_complete_is_none_for_an_incomplete_or_inexpressible_record():
    assert arch.counts_if_complete("llama-2-70b") == arch.parameter_counts("llama-2-70b")
    assert arch.counts_if_complete("gpt-4") is None  # no d_model, heads, ... in its record
    assert arch.counts_if_complete("t5-11b") is None  # an encoder-decoder

