"""The page modules of chapters 1 and 2 and of the audit and calibration appendices
(``llmcost.book.pages.how_training_works``, ``training_stages``, ``claims_audit``, ``calibration``):
their tables, worked examples and charts, checked against hand arithmetic and the library's formulas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import llmcost
from llmcost import audit, calibration, flops, hardware, stages, transformer
from llmcost.book import format_number
from llmcost.book.tables import short_names
from llmcost.book.pages import calibration as ch91
from llmcost.book.pages import claims_audit as ch90
from llmcost.book.pages import how_training_works as ch01
from llmcost.book.pages import training_stages as ch02
from llmcost.core.validate import InputError


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# Seed 000's 2-2-2 network at its inputs (0.05, 0.05), worked by hand: w0..w7 = 0.1..0.8, b1 = 0.5, b2 = 0.6.
H1 = _sigmoid(0.1 * 0.05 + 0.2 * 0.05 + 0.5)
H2 = _sigmoid(0.3 * 0.05 + 0.4 * 0.05 + 0.5)
O1 = _sigmoid(0.5 * H1 + 0.6 * H2 + 0.6)
O2 = _sigmoid(0.7 * H1 + 0.8 * H2 + 0.6)


# --- chapter 1 --------------------------------------------------------------------------------


def test_ch01_check_parameters_returns_the_model_id_and_refuses_bad_values():
    assert ch01.check_parameters(0.5, 1000, [0.05, 0.05], [0.25, 0.15], 50, 64, "GPT-3") == "gpt-3"
    bad = [
        ((0, 10, [0.1, 0.1], [0.2, 0.2], 5, 4, "gpt-3"), "learning_rate"),
        ((0.5, 10, [0.1, 0.1], [0.2, 1.5], 5, 4, "gpt-3"), "targets must lie strictly between 0 and 1"),
        ((0.5, 10, [0.1, 0.1], [0.2, 0.2], 100, 64, "gpt-3"), "positions x d_model must be at most 5000 cells"),
        ((0.5, 10, [0.1, 0.1], [0.2, 0.2], 5, 7, "gpt-3"), "d_model must be an even whole number"),
        ((0.5, 10, [0.1, 0.1], [0.2, 0.2], 5, 4, "gpt-4"), "model"),  # gpt-4 has no d_model
    ]
    for args, message in bad:
        with pytest.raises(InputError, match=message):
            ch01.check_parameters(*args)


def test_ch01_forward_table_is_the_hand_computed_forward_pass():
    frame = ch01.forward_table([0.05, 0.05], [0.25, 0.15])
    assert list(frame["quantity"]) == ["output o1", "output o2", "loss E"]
    loss = 0.5 * ((0.25 - O1) ** 2 + (0.15 - O2) ** 2)
    assert frame["after the forward pass"].tolist() == pytest.approx([O1, O2, loss], rel=1e-12)
    assert format_number(O1, ".8f") == "0.78438035"  # the value the chapter prints


def test_ch01_step_example_updates_w4_by_the_chain_rule():
    values = ch01.step_example([0.05, 0.05], [0.25, 0.15], 0.5)
    grad_w4 = (O1 - 0.25) * O1 * (1 - O1) * H1  # dE/dw4 = (o1 - t1) o1 (1 - o1) h1
    assert values["c1_grad_w4"] == (pytest.approx(grad_w4, rel=1e-12), ".8f")
    assert values["c1_w4_new"][0] == pytest.approx(0.5 - 0.5 * grad_w4, rel=1e-12)
    assert values["c1_w4_old"] == (0.5, ".1f") and values["c1_lr"] == (0.5, ".2g")
    assert values["c1_w_first"][0] == 0.1 and values["c1_w_last"][0] == 0.8
    assert values["c1_w_step"][0] == pytest.approx(0.1)
    assert values["c1_b1"] == (0.5, ".1f") and values["c1_b2"] == (0.6, ".1f")
    assert values["c1_loss0"][0] == pytest.approx(0.5 * ((0.25 - O1) ** 2 + (0.15 - O2) ** 2))
    assert list(values)[:2] == ["c1_w_first", "c1_w_last"] and list(values)[-1] == "c1_w4_old"


def test_ch01_seed_comparison_and_its_example():
    frame = ch01.seed_comparison()
    seed_rows = [r for r in audit.recompute_all() if r["id"].startswith("000-toynet")]
    assert len(frame) == len(seed_rows) > 3
    assert (frame["difference"] == frame["seed"] - frame["recomputed"]).all()
    assert {"hidden output h2", "output o1", "loss after one update"} <= set(frame["quantity"])
    assert any(q.startswith("weight w") and q.endswith(" after the update") for q in frame["quantity"])
    values = ch01.seed_example(frame)
    assert format_number(*values["c1_seed_loss1"]) == "0.36277389"  # seed 000 prints it
    assert values["c1_max_diff"][0] == pytest.approx(max(abs(r["stated_value"] - r["recomputed"]) for r in seed_rows))
    assert values["c1_n_seed_values"] == (len(seed_rows), ",.0f")
    hand = pd.DataFrame({"quantity": ["loss after one update", "output o1"], "seed": [0.3, 0.7], "recomputed": [0.3, 0.6],
                         "difference": [0.0, 0.1]})
    assert ch01.seed_example(hand)["c1_max_diff_quantity"] == "output o1"


def test_ch01_training_example_and_loss_chart():
    losses = np.array([3.0, 2.0, 1.0, 1e-5])
    values = ch01.training_example(losses, 3)
    assert values == {"c1_steps": (3, ",.0f"), "c1_loss1": (2.0, ".8f"), "c1_loss_last": (1e-5, "sci")}
    long, _ = llmcost.toynet.train(1000)
    chart = ch01.loss_chart(long, 1000, 0.5)
    assert chart.data["step"].iloc[0] == 0 and chart.data["step"].iloc[-1] == 1000 and len(chart.data) <= 400
    assert chart.data["loss"].tolist() == long[chart.data["step"]].tolist()
    assert chart.title == "The 2-2-2 network's loss over 1,000 steps (learning rate 0.5)"


def test_ch01_token_table_and_embedding_example():
    tokens = ch01.token_table()
    assert tokens.shape == (1, 9) and tokens.loc["token id"].tolist() == list(transformer.SEED_TOKEN_IDS)
    values = ch01.embedding_example("gpt-3", 64, 50)
    assert values["c1_model"] == "gpt-3" and values["c1_n_tokens"] == (9, ",.0f")
    assert format_number(*values["c1_embed_params"]) == "618 million"  # 50,257 x 12,288 = 617,558,016
    assert values["c1_d_model"] == (64, ",.0f") and values["c1_positions"] == (50, ",.0f")


def test_ch01_positional_encoding_chart_holds_sin_and_cos():
    chart = ch01.positional_encoding_chart(10, 8)
    grid = chart.data.set_index(["position", "dimension"])["value"]
    assert len(grid) == 80
    assert grid[(0, 0)] == 0 and grid[(0, 1)] == 1  # sin 0, cos 0
    assert grid[(3, 2)] == pytest.approx(math.sin(3 / 10000 ** (2 / 8)))  # pair i = 1: wavelength 10000^(2/8)
    assert grid[(3, 3)] == pytest.approx(math.cos(3 / 10000 ** (2 / 8)))


def test_ch01_random_head_is_causal_reproducible_and_its_rows_sum_to_one():
    head = ch01.random_head(16)
    assert head.weights.shape == (9, 9) and head.embeddings.shape == (9, 16) and head.output.shape == (9, 16)
    assert np.allclose(head.weights.sum(axis=1), 1) and not np.triu(head.weights, 1).any()
    assert head.weights[0, 0] == 1  # the first token sees only itself
    assert np.array_equal(ch01.random_head(16).weights, head.weights)
    assert not np.array_equal(ch01.random_head(16, seed=1).weights, head.weights)
    values = ch01.attention_example(head)
    assert values == {"c1_tolerance": (1e-12, "sci"), "c1_future_weight": (0.0, ".0f")}
    with pytest.raises(ArithmeticError):
        ch01.attention_example(ch01.Head(head.embeddings, head.weights * 1.01, head.output))
    chart = ch01.attention_chart(head.weights)
    cells = chart.data if isinstance(chart.data, pd.DataFrame) else chart.layer[0].data
    assert len(cells) == 81 and cells["weight"].sum() == pytest.approx(9)


def test_ch01_next_token_logits_softmax_and_table():
    head = ch01.Head(embeddings=np.eye(2), weights=np.eye(2), output=np.array([[0.0, 0.0], [3.0, 4.0]]))
    assert ch01.next_token_logits(head).tolist() == [3.0, 4.0]  # the last output times each embedding
    values = ch01.softmax_example(np.array([0.0, math.log(3)]))
    assert format_number(*values["c1_prob_sum"]) == "1.000000" and values["c1_shift"] == (1000, ",.0f")
    logits = np.arange(9.0)
    frame = ch01.next_token_table(logits)
    assert frame["token id"].tolist() == [str(t) for t in transformer.SEED_TOKEN_IDS]
    assert frame["probability"].tolist() == pytest.approx((np.exp(logits) / np.exp(logits).sum()).tolist())


def test_ch01_flops_units_are_2_6_and_8():
    units = ch01.flops_units_table()
    assert units["units"].tolist() == [1, 3, 4] and units["FLOPs per parameter per token"].tolist() == [2, 6, 8]
    values = ch01.flops_units_example(units)
    assert [format_number(*values[k]) for k in ("c1_k_infer", "c1_k_train", "c1_k_recompute")] == ["2", "6", "8"]


def test_ch01_attention_flops_example_follows_the_formulas():
    values = ch01.attention_flops_example("gpt-3")
    facts = llmcost.model("gpt-3")
    shape = (facts["layers"], facts["d_model"], facts["context"])
    dense = 6 * facts["params_active"] * facts["tokens"]
    full = flops.training_flops_with_attention(facts["params_active"], facts["tokens"], *shape)
    assert values["c1_dense"][0] == pytest.approx(dense)
    assert values["c1_full_extra"][0] == pytest.approx(full / dense - 1)
    assert 0 < values["c1_causal_extra"][0] < values["c1_full_extra"][0]
    assert values["c1_param_per_token"][0] == pytest.approx(6 * 175e9)
    assert values["c1_layers"] == (96, ",.0f") and values["c1_context"] == (2048, ",.0f")


# --- chapter 2 --------------------------------------------------------------------------------

DEFAULTS_02 = dict(params=175e9, pretrain_tokens=300e9, sft_epochs=16, rm_params=6e9, rm_responses_per_prompt=9,
                   value_params=6e9, ppo_episodes=256000, ppo_epochs=1, ptx_ratio=8, tokens_per_sequence=2048, gpu="a100",
                   precision="bf16", mfu=0.462, pretrain_gpus=1024, finetune_gpus=64)


def test_ch02_check_parameters_refuses_bad_values():
    assert ch02.check_parameters(**DEFAULTS_02) is None
    for change, message in [({"ppo_episodes": 1000}, "ppo_episodes must be at least ppo_prompts"),
                            ({"mfu": 1.5}, "mfu must be a fraction in"), ({"rm_responses_per_prompt": 1}, "rm_responses_per_prompt"),
                            ({"gpu": "abacus"}, "unknown gpu 'abacus'"), ({"sft_epochs": 2.5}, "sft_epochs")]:
        with pytest.raises(InputError, match=message):
            ch02.check_parameters(**{**DEFAULTS_02, **change})


def test_ch02_pipeline_table_names_the_four_stages():
    frame = ch02.pipeline_table()
    assert frame["stage"].tolist() == ["pretraining", "supervised fine-tuning", "reward modelling", "reinforcement learning (PPO)"]


def test_ch02_ppo_terms_and_policy_share_by_hand():
    terms = stages.ppo_flops_per_token(175e9, 6e9, 6e9, 1)
    frame = ch02.ppo_terms_table(terms)
    # 2P, 2P_rm, 2P, 2P_v, 6P, 6P_v with P = 175e9 and P_rm = P_v = 6e9: 1,810e9 FLOP per token in all
    assert frame["FLOPs per token"].tolist() == [350e9, 12e9, 350e9, 12e9, 1050e9, 36e9]
    assert frame["share"].tolist() == pytest.approx([350 / 1810, 12 / 1810, 350 / 1810, 12 / 1810, 1050 / 1810, 36 / 1810])
    assert frame["term"].iloc[0] == "generation by the policy (2P)"
    values = ch02.ppo_example(terms, 175e9, 6e9)
    assert values["c2_policy_share"][0] == pytest.approx(1750 / 1810)
    assert [format_number(*values[k]) for k in ("c2_params", "c2_rm_params")] == ["175 billion", "6 billion"]


def test_ch02_calibration_example_and_table():
    check = stages.instructgpt_calibration(2048, 9)
    values = ch02.calibration_example(check, 2048, 9)
    sft_pfs_days = 6 * 175e9 * 12725 * 2048 * 16 / (1e15 * 86400)
    assert values["c2_est_sft"][0] == pytest.approx(sft_pfs_days)
    assert values["c2_ratio_sft"][0] == pytest.approx(4.9 / sft_pfs_days)
    assert format_number(*values["c2_igpt_sft"]) == "4.9" and format_number(*values["c2_implied_sft"]) == "1,980"
    # PPO-ptx: 1,810e9 FLOP per rollout token for PPO, 6 x 175e9 x 8 = 8,400e9 for the pretraining mix
    assert values["c2_ptx_share"][0] == pytest.approx(8400 / (1810 + 8400))
    assert values["c2_seq"] == (2048, ",.0f") and values["c2_k"] == (9, ",.3g")
    assert values["c2_pfs_day"] == (8.64e19, "sci")
    shown = ch02.calibration_table(check)
    assert shown["stage"].tolist() == ["pretraining (GPT-3)", "SFT (175B)", "PPO-ptx (175B)"]
    assert shown["estimate"].tolist() == check["estimate"].tolist()


def test_ch02_stage_table_and_estimate_example_by_hand():
    inputs = {**DEFAULTS_02, "params": 1e9, "pretrain_tokens": 1e10, "gpu": "h100", "mfu": 0.5, "pretrain_gpus": 100,
              "finetune_gpus": 10}
    estimate = ch02.stage_table(**inputs)
    peak = hardware.peak_flops("h100", "bf16")
    assert estimate["flop"][0] == 6e19
    assert estimate["gpu_days"][0] == pytest.approx(6e19 / (peak * 0.5 * 86400))
    assert estimate["days"][0] == pytest.approx(estimate["gpu_days"][0] / 100)
    assert estimate["gpus"].tolist() == [100, 10, 10, 10]
    assert estimate["flop"][1] == pytest.approx(6 * 1e9 * 12725 * 2048 * 16)
    assert estimate["data"][1] == "12,725 demos, 16 epoch(s)" and estimate["data"][0] == "10 billion tokens"
    values = ch02.estimate_example(estimate, "h100", "bf16", 0.5, 1e10)
    post = estimate["flop"][1:].sum()
    assert values["c2_post_share"][0] == pytest.approx(post / 6e19)
    assert values["c2_post_of_total"][0] == pytest.approx(post / (post + 6e19))
    assert values["c2_gpu"] == "h100" and values["c2_pretrain_gpus"] == (100, ",.0f") and values["c2_finetune_gpus"] == (10, ",.0f")
    assert values["c2_rl_days"][0] == pytest.approx(estimate["gpu_days"][3] / 10)


def test_ch02_share_chart_spans_a_decade_below_the_smallest_share():
    estimate = ch02.stage_table(**DEFAULTS_02)
    chart = ch02.share_chart(estimate, 175e9)
    spec = chart.to_dict()
    smallest = estimate["share"].min()
    assert spec["layer"][0]["encoding"]["x"]["scale"]["domain"] == [10 ** (math.floor(math.log10(smallest)) - 1), 10]
    assert chart.data["label"].iloc[0] == "100 %"
    assert "175 billion parameters" in spec["title"]


# --- the claims audit ---------------------------------------------------------------------------

CLAIMS = pd.DataFrame({
    "id": ["a", "b", "c", "d"],
    "source": ["seed000", "seed000", "seed002", "seed002"],
    "claim": ["one", "two", "three", "four"],
    "kind": ["exact", "range", "exact", "exact"],
    "stated_value": [1.0, 2.0, 3.0, 4.0],
    "stated_low": [float("nan"), 1.5, float("nan"), float("nan")],
    "stated_high": [float("nan"), 2.5, float("nan"), float("nan")],
    "unit": ["FLOP"] * 4,
    "recomputed": [1.0, 1.0, float("nan"), 5.0],
    "ratio": [1.0, 2.0, float("nan"), 0.8],
    "third_party_sources": ["", "patel2023gpt4", "", ""],
    "verdict": ["consistent", "off", "not reproducible", "off"],
})


def test_ch90_verdict_counts_and_example_by_hand():
    counts = ch90.verdict_counts(CLAIMS)
    assert list(counts.columns) == list(audit.VERDICTS)
    assert counts.loc["seed000"].tolist() == [1, 1, 0] and counts.loc["seed002"].tolist() == [0, 1, 1]
    values = ch90.verdict_example(CLAIMS, 0.05)
    assert values["c90_tolerance"] == (0.05, ".0%") and values["c90_approximate"] == (0.25, ".0%")
    assert values["c90_claims"] == (4, ",.0f") and values["c90_off"][0] == 2 and values["c90_nr"][0] == 1
    assert values["c90_seed002_off"][0] == 1 and values["c90_seed000_all"][0] == 2
    assert values["c90_third_party"] == (1, ",.0f")
    assert ch90.verdict_example(CLAIMS, 0.3)["c90_approximate"] == (0.3, ".0%")
    assert list(values)[3:6] == ["c90_consistent", "c90_seed000_consistent", "c90_seed002_consistent"]


def test_ch90_summary_table_names_each_document():
    summary = ch90.summary_table(CLAIMS)
    assert summary["total"].tolist() == [2, 2] and "source" not in summary
    assert summary["document"][0].startswith("compute estimation for training and inference (")


def test_ch90_charted_claims_and_their_example():
    points = ch90.charted_claims(CLAIMS)
    assert points["id"].tolist() == ["a", "b", "d"]  # c cannot be recomputed
    assert points["document"].tolist() == [ch90.DOCUMENTS["seed000"]] * 2 + [ch90.DOCUMENTS["seed002"]]
    # the tooltip's texts are the audit table's: stated as stated (a range as one), recomputed beside it
    assert points["stated"].tolist() == ["1 FLOP", "1.5–2.5 FLOP", "4 FLOP"] and points["recomputed_text"].tolist() == ["1 FLOP", "1 FLOP", "5 FLOP"]
    assert ch90.chart_example(points) == {"c90_charted": (3, ",.0f"), "c90_ratio_low": (0.8, ".2f"), "c90_ratio_high": (2.0, ".2f")}
    chart = ch90.claims_chart(points)
    assert chart.title == "Every claim: stated over recomputed, by document" and len(chart.layer[1].data) == 3


def test_ch90_implied_table_writes_each_input_in_its_unit():
    implied = pd.DataFrame({"claim": ["x", "y"], "input": ["utilization", "params"], "used": [0.462, 175e9],
                            "implied": [0.3, 1.2e12], "input_unit": ["fraction", "parameters"]})
    shown = ch90.implied_table(implied)
    assert list(shown.columns) == ["claim", "input", "used", "implied", "input_unit"]
    assert shown["used"].tolist() == ["46.2%", "175 billion"] and shown["implied"].tolist() == ["30.0%", "1.2 trillion"]


def test_ch90_implied_example_by_hand():
    implied = audit.implied_inputs_table(0.05)
    values = ch90.implied_example(implied)
    rows = {r["id"]: r for r in audit.recompute_all()}
    co2 = rows["002-gpt3-co2"]
    # 1 MWh at g kg per kWh emits g t: the energy behind the stated tonnes is stated / g
    assert values["c90_co2_energy"][0] == pytest.approx(co2["stated_value"] / co2["inputs"]["grid_kg_per_kwh"])
    deck = rows["004-infer-flops"]["inputs"]
    tokens_per_day = deck["requests_per_day"] * deck["queries_per_request"] * deck["words_per_query"] * deck["tokens_per_word"]
    assert values["c90_deck_flop_per_token"][0] == pytest.approx(rows["004-infer-flops"]["stated_value"] / tokens_per_day)
    # inference FLOP are 2 per parameter per token: the implied parameters are half the stated FLOP per token
    assert values["c90_deck_params"][0] == pytest.approx(values["c90_deck_flop_per_token"][0] / 2)
    assert values["c90_gpt4_util_used"] == (0.462, ".1%") and values["c90_implied_rows"] == (len(implied), ",.0f")
    gpt4 = rows["000-gpt4-a100-hours"]["inputs"]
    hours = 6 * gpt4["params"] * gpt4["tokens"] / (hardware.peak_flops("a100", "fp16") * values["c90_gpt4_util"][0] * 3600)
    assert hours == pytest.approx(rows["000-gpt4-a100-hours"]["stated_value"])


# --- the calibration appendix --------------------------------------------------------------------

FIT = pd.DataFrame({"id": ["a", "b", "c"], "flops": [10.0, 20.0, 30.0], "published": [10.5, 10.0, None],
                    "ratio": [1.05, 0.5, float("nan")]})


def test_ch91_settings_and_fit_example_by_hand():
    assert ch91.settings_example(0.2, 0.1) == {"c91_default_mfu": (0.2, ".1%"), "c91_tolerance": (0.1, ".0%"),
                                               "c91_cli_mfu": (0.462, ".1%")}
    values = ch91.fit_example("x", FIT, 0.1)
    assert values["c91_x_count"] == (2, ",.0f") and values["c91_x_median"][0] == pytest.approx(0.775)
    assert values["c91_x_worst"] == (0.5, ".3f") and values["c91_x_worst_id"] == "b"  # |log 0.5| > |log 1.05|
    assert values["c91_x_within"][0] == 1 and ch91.fit_example("x", FIT, 0.5)["c91_x_within"][0] == 2


def test_ch91_comparison_points_and_parity_chart():
    points = ch91.comparison_points(FIT, "flops", "compute")
    assert points.to_dict("list") == {"comparison": ["compute"] * 2, "id": ["a", "b"], "formula": [10.0, 20.0],
                                      "published": [10.5, 10.0], "ratio": [1.05, 0.5],
                                      "formula_text": ["10", "20"], "published_text": ["10.5", "10"]}
    chart = ch91.parity_chart([points, points.assign(comparison="again")])
    assert len(chart.vconcat) == 2 and chart.title == "Published over formula, by model"


def test_ch91_energy_example_without_pue():
    values = ch91.energy_example(calibration.energy_table(pue=1.0))
    assert values["c91_bloom_pue"] == (1.0, ".2f") and values["c91_opt_pue"] == (1.0, ".2f")
    assert values["c91_opt_energy_ratio"][0] == pytest.approx(324 / (809_472 * 400 / 1e6))  # OPT: 324 MWh published
    assert values["c91_opt_power"] == (400, ",.0f")


def test_ch91_implied_table_utilization_example_and_chart():
    implied = ch91.implied_table()
    assert list(implied.columns[:3]) == ["id", "accelerator", "generation"]
    assert implied.set_index("id").loc["gpt-3", "generation"] == "Volta" and implied.set_index("id").loc["palm-540b", "generation"] == "TPU"
    values = ch91.utilization_example(implied)
    reported = implied.dropna(subset=["reported"])
    assert values["c91_reported_count"] == (len(reported), ",.0f")
    assert values["c91_below_count"][0] == (reported["implied"] < reported["reported"]).sum()
    assert values["c91_palm_reported"] == (0.462, ".1%") and "c91_dsv3_reported" not in values  # DeepSeek-V3 reports none
    # GPT-3's reported figure is Patterson et al.'s measured throughput; the MFU beside it is the PaLM authors'
    assert values["c91_gpt3_mfu"] == (llmcost.model("gpt-3")["mfu"], ".1%") and values["c91_gpt3_reported"][0] < values["c91_gpt3_mfu"][0]
    # DeepSeek-V3 trained in FP8 on H800s, whose FP8 peak is twice their BF16 one: half the implied utilization
    assert values["c91_dsv3_fp8"][0] == pytest.approx(values["c91_dsv3_implied"][0] / 2)
    palm = llmcost.model("palm-540b")
    hours = 6 * palm["params_active"] * palm["tokens"] / (hardware.peak_flops("tpu-v4", "bf16") * values["c91_palm_implied"][0] * 3600)
    assert hours == pytest.approx(palm["gpu_hours"])
    chart = ch91.utilization_chart(implied, 0.4)
    order = chart.to_dict()["layer"][1]["encoding"]["y"]["sort"]
    assert order[0] == "GPT-3 175B" and order[-1] == "PaLM 540B" and sorted(order) == sorted(short_names(implied["id"]))
    assert chart.layer[0].data["utilization"].tolist() == [0.4]


def test_ch91_generation_table_and_example():
    generations = ch91.generation_table()
    assert generations["cli_over_median"].tolist() == pytest.approx((0.462 / generations["median"]).tolist())
    values = ch91.generation_example(generations)
    ampere = generations.set_index("generation").loc["Ampere"]
    assert values["c91_ampere_median"] == (ampere["median"], ".1%") and values["c91_ampere_count"][0] == ampere["count"]
    assert values["c91_volta_factor"][0] == pytest.approx(0.462 / values["c91_volta_median"][0])
    assert format_number(*values["c91_hopper_peak_gain"]) == "3.2"  # 989 / 312 TFLOP/s dense BF16


def test_ch91_disagreements_by_hand():
    disagreements = calibration.source_disagreements()
    values = ch91.disagreement_example(disagreements, calibration.flops_table())
    assert values["c91_pairs"][0] == len(disagreements[["subject", "quantity"]].drop_duplicates())
    assert values["c91_pair_rows"] == (len(disagreements), ",.0f")
    assert values["c91_bloom_hours"][0] == 1_082_990 and values["c91_bloom_hours_llama"][0] == 1_082_880
    assert values["c91_bloom_hours_gap"] == (110, ",.0f")
    t5 = llmcost.model("t5-11b")
    assert values["c91_t5_half_6pd"][0] == pytest.approx(3 * t5["params_active"] * t5["tokens"])
    shown = ch91.disagreement_table(disagreements)
    assert list(shown.columns) == ["subject", "quantity", "value", "source", "primary", "ratio", "note"]
    assert set(shown["primary"]) == {"yes", ""} and shown["value"][0] == "24.7 t CO2e"


def test_ch91_value_text_by_hand():
    assert ch91.value_text(0.5, "fraction") == "50.0%"
    assert ch91.value_text(3.14e23, "FLOP") == "3.14 × 10²³ FLOP"
    assert ch91.value_text(1500, "MWh") == "1,500 MWh"
    assert ch91.value_text(2e9, "FLOP") == "2,000,000,000 FLOP"  # below 1e10: a whole number
    assert ch91.value_text(24.7, "t CO2e") == "24.7 t CO2e"
