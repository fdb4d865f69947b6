"""The computations of chapters 3 (FLOP accounting) and 4 (memory and parallelism), in
``llmcost.book.pages``: each worked example, table and chart against hand arithmetic on the
dataset's figures or the library's formulas."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import llmcost
from llmcost import audit, calibration, memory, trends
from llmcost.book.pages import flop_accounting as ch03
from llmcost.book import format_number
from llmcost.book.pages import memory_parallelism as ch04

GPT3 = {"params": 175e9, "tokens": 300e9, "layers": 96, "d_model": 12288, "heads": 96, "context": 2048}
"""GPT-3 175B as Brown et al. 2020 give it (Table 2.1)."""


@pytest.fixture(scope="module")
def claims():
    return {row["id"]: row for row in audit.recompute_all()}


@pytest.fixture(scope="module")
def totals():
    return calibration.flops_table()


def values(example: dict) -> dict:
    """The numbers (or texts) of a glue dict, without their formats."""
    return {name: entry if isinstance(entry, str) else entry[0] for name, entry in example.items()}


def spec(chart) -> dict:
    return chart.to_dict()


def datasets_of(chart) -> list[list[dict]]:
    return list(spec(chart)["datasets"].values())


# --- chapter 3 -------------------------------------------------------------------------------


def test_flop_factors_are_6_2_and_8():
    assert values(ch03.flop_factors()) == {"c3_k_train": 6, "c3_k_infer": 2, "c3_k_recompute": 8}
    assert all(fmt == ",.0f" for _, fmt in ch03.flop_factors().values())


def test_units_example_gpt3(claims):
    v = values(ch03.units_example(claims))
    assert v["c3_pfs_day"] == 1e15 * 86400
    assert v["c3_pfs_stated"] == 3640
    assert v["c3_gpt3_published"] == pytest.approx(3640 * 8.64e19)
    assert v["c3_gpt3_6pd"] == pytest.approx(6 * 175e9 * 300e9)
    assert v["c3_pfs_recomputed"] == pytest.approx(6 * 175e9 * 300e9 / 8.64e19)  # 3,646
    assert (v["c3_gpt3_params"], v["c3_gpt3_tokens"]) == (175e9, 300e9)
    assert list(v)[0] == "c3_pfs_day" and list(v)[-1] == "c3_gpt3_tokens"


def test_totals_table_shows_each_model_once(totals):
    shown = ch03.totals_table(totals)
    assert list(shown.index) == [llmcost.model(ident)["name"] for ident in totals["id"]]  # names, not ids
    assert shown.columns.name == "model"
    assert "published / 6PD" in shown.columns and "kind" not in shown.columns and "release" not in shown.columns
    assert shown.loc["GPT-3 175B", "6PD (FLOP)"] == "3.15 × 10²³"
    assert shown.loc["GPT-3 175B", "active parameters"] == "175 billion"


def test_published_comparison(totals):
    v = values(ch03.published_comparison(totals))
    gopher = 6 * 280e9 * 300e9
    assert v["c3_gopher_ratio"] == pytest.approx(6.31e23 / gopher)
    assert v["c3_gopher_chinchilla_ratio"] == pytest.approx(5.76e23 / gopher)
    assert v["c3_t5_ratio"] == pytest.approx(4.05e22 / (6 * 11e9 * 1e12))
    assert v["c3_worst_ratio"] == v["c3_t5_ratio"]  # the encoder-decoder is the farthest from 1
    assert v["c3_llama405_6pd_ratio"] == pytest.approx(3.8e25 / (6 * 405e9 * 15.6e12))
    assert v["c3_n_published"] == totals["published"].notna().sum()
    assert v["c3_median_ratio"] == pytest.approx(totals["ratio"].dropna().median())
    assert (v["c3_llama405_context"], v["c3_llama405_final_context"], v["c3_gopher_context"]) == (8192, 128000, 2048)
    # attention's share is what 6PD + attention adds to 6PD; the ratio to it is smaller by as much
    share = v["c3_gopher_attention_share"]
    assert 0 < share < 0.05
    assert v["c3_gopher_attention_ratio"] == pytest.approx(v["c3_gopher_ratio"] / (1 + share))


def test_log_decades():
    assert ch03.log_decades(3e22, 2e25) == pytest.approx([1e22, 1e23, 1e24, 1e25, 1e26])
    assert ch03.log_decades(1e3, 1e4) == pytest.approx([1e3, 1e4])


def test_published_chart(totals):
    chart = spec(ch03.published_chart(totals))
    assert chart["title"] == "Published training compute against 6PD (dashed: y = x)"
    assert len(chart["layer"]) == 4
    points = max(datasets_of(ch03.published_chart(totals)), key=len)
    assert len(points) == totals["published"].notna().sum()
    assert {row["side"] for row in points} <= {"left", "right"}
    low, high = chart["layer"][1]["encoding"]["x"]["scale"]["domain"]
    assert low == pytest.approx(min(min(r["flops_6pd"], r["published"]) for r in points) / 2, rel=1e-6)
    assert high == pytest.approx(max(max(r["flops_6pd"], r["published"]) for r in points) * 2, rel=1e-6)


def test_gpt4_example(claims):
    v = values(ch03.gpt4_example(claims))
    active = 2 * 111e9 + 55e9
    assert v["c3_gpt4_active"] == pytest.approx(active)
    assert v["c3_gpt4_6pd"] == pytest.approx(6 * active * 13e12)
    assert v["c3_gpt4_6pd_leak"] == pytest.approx(6 * 280e9 * 13e12)
    assert v["c3_gpt4_total_flops"] == pytest.approx(6 * 1.8e12 * 13e12)
    assert v["c3_gpt4_overcount"] == pytest.approx(1.8e12 / active)
    assert (v["c3_gpt4_routed"], v["c3_gpt4_experts"], v["c3_gpt4_reported"]) == (2, 16, 2.15e25)


def test_convention_example_and_table():
    conventions = pd.DataFrame({"convention": ["a", "b", "c", "d"], "flops": [1e23, np.nan, 1.333e23, 0.994e23],
                                "ratio": [1.0, np.nan, 1.333, 0.994], "source": ["kaplan2020scaling"] * 4})
    assert ch03.convention_example("palm", conventions) == {
        "c3_model": "palm", "c3_conv_min": (0.994, ".3f"), "c3_conv_max": (1.333, ".3f")}
    shown = ch03.conventions_table(conventions)
    assert list(shown.columns) == ["training compute (FLOP)", "ratio to 6PD", "convention of"]
    assert shown.loc["c", "ratio to 6PD"] == "1.333"
    assert shown.loc["a", "convention of"] == "Kaplan et al. 2020"


def test_growth_points(totals):
    growth = ch03.growth_points(totals, "2020-06")
    compute, params = growth["flops"], growth["param"]
    assert list(growth) == ["flops", "param"]
    assert (compute["year"] >= 2020 + 5 / 12).all() and (params["year"] >= 2020 + 5 / 12).all()
    gpt4 = compute.set_index("id").loc["gpt-4"]
    assert (gpt4["value"], gpt4["basis"]) == (2.15e25, "published")
    opt = compute.set_index("id").loc["opt-175b"]
    assert opt["basis"] == "6PD" and opt["value"] == pytest.approx(6 * opt["params_active"] * opt["tokens"])
    assert (params["value"] == params["params_total"]).all() and set(params["basis"]) == {"total parameters"}
    assert "gpt-3" not in set(compute["id"])  # released 2020-05


def synthetic_growth() -> dict:
    """Compute quadrupling and parameters doubling in a year."""
    frame = pd.DataFrame({"id": ["a", "b"], "release": ["2020-01", "2021-01"], "year": [2020.0, 2021.0],
                          "basis": ["published", "published"]})
    return {"flops": frame.assign(value=[1e20, 4e20]), "param": frame.assign(value=[1e9, 2e9])}


def test_growth_fits():
    fits = ch03.growth_fits(synthetic_growth())
    assert fits["flops"].doubling_months == pytest.approx(6)
    assert fits["param"].doubling_months == pytest.approx(12)
    assert fits["flops"].factor_per(12) == pytest.approx(4)


def test_growth_example():
    inputs = {"from_model": "gpt-1", "to_model": "gpt-4", "quantity": "params_total", "period_months": 18}
    claims = {"003-param-growth": {"stated_value": 340.0, "recomputed": 21.0, "inputs": inputs}}
    example = ch03.growth_example(claims, synthetic_growth(), "2020-01", 12)
    v = values(example)
    assert list(example)[:5] == ["c3_claim_growth", "c3_claim_recomputed", "c3_claim_audit", "c3_trend_from", "c3_period"]
    # GPT-1 (117 million, 2018-06) to GPT-3 (175 billion, 2020-05): the two years where 340x holds
    gpt1, gpt3 = llmcost.model("gpt-1"), llmcost.model("gpt-3")
    years = (llmcost.trends.decimal_year(gpt3["release"]) - llmcost.trends.decimal_year(gpt1["release"]))
    assert v["c3_claim_recomputed"] == pytest.approx((gpt3["params_total"] / gpt1["params_total"]) ** (1.5 / years))
    assert v["c3_claim_audit"] == 21.0
    assert v["c3_trend_from"] == "2020-01" and v["c3_period"] == 12
    assert v["c3_flops_doubling"] == pytest.approx(6) and v["c3_flops_factor"] == pytest.approx(4)
    assert v["c3_param_doubling"] == pytest.approx(12) and v["c3_param_factor"] == pytest.approx(2)
    assert v["c3_flops_points"] == v["c3_param_points"] == 2
    # Sevilla et al.: 6 and 10 months; over 12 months 2**2 and 2**1.2
    assert (v["c3_sevilla_dl"], v["c3_sevilla_ls"]) == (6, 10)
    assert v["c3_sevilla_dl_factor"] == pytest.approx(4)
    assert v["c3_sevilla_ls_factor"] == pytest.approx(2 ** 1.2)


def test_trend_panel_draws_the_fit():
    frame = synthetic_growth()["flops"]
    panel = ch03.trend_panel(frame, trends.fit_trend(frame["release"], frame["value"]), "title", "FLOP")
    chart = panel.to_dict()
    assert chart["title"] == "title" and len(chart["layer"]) == 2
    line = next(d for d in datasets_of(panel) if len(d) == 20)
    assert line[0]["value"] == pytest.approx(1e20, rel=1e-6) and line[-1]["value"] == pytest.approx(4e20, rel=1e-6)


def test_growth_chart():
    chart = ch03.growth_chart(synthetic_growth(), "2020-01").to_dict()
    assert len(chart["vconcat"]) == 2
    assert chart["vconcat"][0]["title"] == "Training compute since 2020-01, with the fitted exponential trend"
    assert chart["vconcat"][1]["layer"][1]["encoding"]["y"]["title"] == "parameters"


# --- chapter 4 -------------------------------------------------------------------------------


def test_model_dimensions():
    assert ch04.model_dimensions("gpt-3") == {k: GPT3[k] for k in ("layers", "d_model", "heads", "context")}
    assert all(isinstance(v, int) for v in ch04.model_dimensions("gpt3").values())


def test_overview():
    assert ch04.overview("gpt-3", "a100") == {"c4_model": "GPT-3 175B", "c4_gpu_name": "NVIDIA A100 80GB SXM4",
                                              "c4_gpu_memory": (80.0, ",.0f", "GB"), "c4_params": (175e9, "words")}


def test_state_bytes_rows_and_table():
    rows = ch04.state_bytes_rows().set_index(["optimizer", "precision"])
    assert len(rows) == 8
    # mixed precision: 2 + 2 + (4 master + 8 Adam); fp32: 4 + 4 + 8
    assert rows.loc[("adam", "bf16")].tolist() == [2, 2, 12, 16]
    assert rows.loc[("adam", "fp32")].tolist() == [4, 4, 8, 16]
    assert rows.loc[("sgd", "fp32")].tolist() == [4, 4, 4, 12]
    assert rows.loc[("adam8bit", "bf16"), "total"] == 10
    assert rows.loc[("adafactor", "fp32"), "total"] == 8
    shown = ch04.state_bytes_table()
    assert list(shown.columns) == ["precision", "weights (B)", "gradients (B)", "optimizer states (B)", "total (B/param)"]


def test_model_states(claims):
    v = values(ch04.model_states("gpt-3", "a100", "bf16", "adam", claims))
    assert v["c4_bytes_per_param"] == 16
    assert v["c4_states_tb"] == pytest.approx(16 * 175e9 / 1e12)  # 2.8 TB
    assert v["c4_states_gpus"] == pytest.approx(2.8e12 / 80e9)  # 35
    assert (v["c4_precision"], v["c4_optimizer"]) == ("bf16", "adam")
    assert v["c4_200b_weights_gb"] == pytest.approx(4 * 200)
    assert v["c4_200b_states_stated_tb"] == 3 and v["c4_200b_states_tb"] == pytest.approx(3.2)
    assert v["c4_200b_gpus"] == pytest.approx(40)
    fp32_sgd = values(ch04.model_states("gpt-3", "h200", "fp32", "sgd", claims))
    assert fp32_sgd["c4_bytes_per_param"] == 12 and fp32_sgd["c4_states_gpus"] == pytest.approx(12 * 175e9 / 141e9)


def test_wall_data():
    models_t, gpus = ch04.wall_models(), ch04.wall_gpus()
    assert ch04.wall_state_bytes() == 16
    assert (models_t["release"] >= "2018").all() and models_t["params_total"].notna().all()
    assert {"gpt-1", "gpt-4"} <= set(models_t["id"])  # June 2018 and March 2023
    assert set(gpus["vendor"]) == {"NVIDIA"} and gpus["form_factor"].str.startswith("SXM").all()
    # the same GPUs as the memory trend of llmcost.trends
    fit = trends.fit_trend(gpus["release_year"].astype(float), gpus["memory_gb"])
    assert fit.slope == pytest.approx(trends.accelerator_trend("memory_gb").slope)
    points = ch04.wall_points()
    assert len(points) == len(models_t) + len(gpus)
    gpt4 = points[points["name"] == "gpt-4"].iloc[0]
    assert gpt4["gb"] == pytest.approx(1.8e12 * 16 / 1e9) and gpt4["year"] == pytest.approx(2023 + 2 / 12)
    assert set(points["what"]) == {"model states of a published model (16 bytes per parameter)", ch04.WALL_GPUS}


def test_wall_example():
    v = values(ch04.wall_example())
    assert v["c4_wall_state_bytes"] == 16
    assert v["c4_wall_models"] == len(ch04.wall_models()) and v["c4_wall_gpus"] == len(ch04.wall_gpus())
    assert v["c4_wall_gap"] == pytest.approx(1.8e12 * 16 / 1e9 / ch04.wall_gpus()["memory_gb"].max())
    assert v["c4_wall_memory_growth"] == pytest.approx(trends.accelerator_trend("memory_gb").factor_per(18))
    assert 1 < v["c4_wall_memory_growth"] < v["c4_wall_chip_growth"] < v["c4_wall_param_growth"]


def test_wall_chart():
    chart = ch04.wall_chart()
    assert chart.to_dict()["title"].startswith("The memory wall")
    assert len(datasets_of(chart)[0]) == len(ch04.wall_points())


def test_zero_rows_and_table():
    rows = ch04.zero_rows("gpt-3", "a100", 64, "bf16", "adam")
    p = 175e9 / 1e9
    # 16 Psi, 4 Psi + 12 Psi / N, 2 Psi + 14 Psi / N, 16 Psi / N
    assert rows["gb"].tolist() == pytest.approx([16 * p, (4 + 12 / 64) * p, (2 + 14 / 64) * p, 16 * p / 64])
    assert rows["comm"].tolist() == [2, 2, 2, 3]
    assert rows["min_ranks"].tolist()[:3] == [math.inf] * 3 and rows["min_ranks"].iloc[3] == 35
    shown = ch04.zero_table("gpt-3", "a100", 64, "bf16", "adam")
    assert shown["ranks to fit in 80 GB"].tolist() == ["never", "never", "never", "35"]
    assert shown.loc["3: + weights", "GB per GPU at N = 64"] == "43.8"


def test_zero_curves_and_chart():
    curves = ch04.zero_curves("gpt-3", "bf16", "adam")
    assert len(curves) == 4 * 13 and curves["ranks"].max() == 4096
    stage3 = curves[curves["stage"] == ch04.ZERO_STAGE_NAMES[3]].set_index("ranks")["gb"]
    assert stage3[1] == pytest.approx(2800) and stage3[4096] == pytest.approx(2800 / 4096)
    chart = ch04.zero_chart("gpt-3", "a100", "bf16", "adam").to_dict()
    assert chart["title"] == "ZeRO: model states of GPT-3 175B per GPU" and len(chart["layer"]) == 3
    assert {"gb": 80.0, "label": "NVIDIA A100 80GB SXM4: 80 GB"} in [row for d in chart["datasets"].values() for row in d]


def test_zero_offload():
    v = values(ch04.zero_offload("gpt-3", "a100", "bf16", "adam"))
    assert v["c4_zero3_ranks"] == 35  # 2.8 TB over 80 GB
    assert v["c4_offload_gpu_gb"] == pytest.approx(2 * 175)
    assert v["c4_offload_cpu_tb"] == pytest.approx(14 * 175e9 / 1e12)
    assert v["c4_replicated_stage1_gb"] == pytest.approx(4 * 175, rel=1e-6)


def test_offload_link():
    v = values(ch04.offload_link("gpt-3", "a100", "bf16", "adam"))
    assert v["c4_pcie_gbps"] == 32 and v["c4_hbm_gbps"] == 2039
    assert v["c4_hbm_over_pcie"] == pytest.approx(2039 / 32)
    assert v["c4_offload_seconds"] == pytest.approx(2 * 350e9 / 32e9)  # 21.9 s, one direction after the other
    assert v["c4_offload_seconds_duplex"] == pytest.approx(350e9 / 32e9)  # both directions at once


def test_activation_rows_and_table():
    sbh = 2048 * 1 * 12288
    rows = ch04.activation_rows("gpt-3", 8, 1)
    # none: sbh (10 + 24/t + 5as/(ht)) with 5as/(ht) = 5 x 96 x 2048 / (12288 x 8) = 10
    assert rows["layer_mb"].iloc[0] == pytest.approx(sbh * 23 / 1e6)
    assert rows["model_gb"].iloc[0] == pytest.approx(sbh * 23 * 96 / 1e9)
    # sequence parallel: sbh (34 + 5as/h) / t; selective drops the scores; full keeps 2sbh / t
    assert rows["layer_mb"].tolist()[1:] == pytest.approx([sbh * (34 + 80) / 8 / 1e6, sbh * 34 / 8 / 1e6, 2 * sbh / 8 / 1e6])
    assert rows["setting"].tolist() == ["none recompute", "none recompute, sequence parallel",
                                        "selective recompute, sequence parallel", "full recompute, sequence parallel"]
    assert "all 96 layers (GB)" in ch04.activation_table("gpt-3", 8, 1).columns


def test_activation_example():
    sbh = 2048 * 12288
    v = values(ch04.activation_example("gpt-3", 8, 1))
    assert (v["c4_tp"], v["c4_seq"], v["c4_mbs"], v["c4_segment"], v["c4_recompute_flops"]) == (8, 2048, 1, 10, 8)
    assert v["c4_act_none_gb"] == pytest.approx(sbh * 23 * 96 / 1e9)
    assert v["c4_act_selective_gb"] == pytest.approx(sbh * 34 / 8 * 96 / 1e9)
    assert v["c4_act_all_none_gb"] == pytest.approx(sbh * 114 * 96 / 1e9)
    # a checkpoint every 10 layers: 10 stored inputs of 2sbh, one segment of 10 layers
    assert v["c4_sqrt_gb"] == pytest.approx((10 * 2 * sbh + 10 * sbh * 114) / 1e9)
    doubled = values(ch04.activation_example("gpt-3", 8, 2))
    assert doubled["c4_act_none_gb"] == pytest.approx(2 * v["c4_act_none_gb"])


def test_kv_cache_example():
    v = values(ch04.kv_cache_example("gpt-3", "a100", 16))
    per_token = 2 * 96 * 12288 * 2
    assert v["c4_kv_token_mb"] == pytest.approx(per_token / 1e6)
    assert v["c4_kv_gb"] == pytest.approx(per_token * 2048 * 16 / 1e9)
    assert v["c4_weights_bf16_gb"] == pytest.approx(350)
    assert v["c4_serving_gpus"] == pytest.approx((350e9 + per_token * 2048 * 16) / 80e9)
    assert v["c4_serving_batch"] == 16


def test_parallelism_comparison():
    table = ch04.parallelism_comparison()
    assert table["kind"].tolist() == ["data", "tensor", "pipeline"]
    assert list(table.columns) == ["kind", "splits", "generality", "compute", "memory", "communication"]


def test_tensor_vs_data_traffic():
    v = values(ch04.tensor_vs_data_traffic("gpt-3", "bf16", 1, 32, 8))
    # each GPU sends 8 b s h (t - 1) / t 2-byte values per layer (Narayanan et al. 2021, section 3.2)
    assert v["c4_tp_gb"] == pytest.approx(8 * 2048 * 12288 * 7 / 8 * 2 * 96 / 1e9)
    assert v["c4_mbs_words"] == "1 sequence"
    assert v["c4_tp_batch_gb"] == pytest.approx(32 * v["c4_tp_gb"])
    assert v["c4_dp_gb"] == pytest.approx(2 * 175e9 * 2 / 1e9)


def test_tensor_split_blocks_and_chart():
    blocks = ch04.tensor_split_blocks(8)
    assert len(blocks) == 2 * 64
    a = blocks[blocks["matrix"].str.startswith("A")]
    b = blocks[blocks["matrix"].str.startswith("B")]
    assert (a["GPU"] == "GPU " + (a["col"] // 2).astype(str)).all()  # 16 columns over 8 GPUs
    assert (b["GPU"] == "GPU " + (b["row"] // 2).astype(str)).all()
    assert blocks["GPU"].value_counts().tolist() == [16] * 8
    chart = ch04.tensor_split_chart(8).to_dict()
    assert chart["title"] == "Megatron-LM's MLP on 8 GPUs: who holds which block"
    assert [(c["width"], c["height"]) for c in chart["hconcat"]] == [(320, 80), (80, 320)]


def test_bubble_example_curves_and_chart():
    v = values(ch04.bubble_example(8, 32))
    assert v["c4_bubble_overhead"] == pytest.approx(7 / 32) and v["c4_bubble_fraction"] == pytest.approx(7 / 39)
    assert (v["c4_pp"], v["c4_m"]) == (8, 32)
    curves = ch04.bubble_curves(8)
    assert set(curves["stages"]) == {"p = 4", "p = 8", "p = 16", "p = 64"} and (curves["share"] <= 2).all()
    overhead = curves[(curves["stages"] == "p = 8") & curves["measure"].str.startswith("overhead")].set_index("micro-batches m")
    assert overhead.loc[7, "share"] == pytest.approx(1) and overhead.index.max() == 128
    assert ch04.bubble_chart(8).to_dict()["title"] == "Pipeline bubble vs micro-batches per batch"


def test_schedules_and_schedule_example():
    assert list(ch04.schedules(4, 8)) == ["gpipe", "1f1b"]
    v = values(ch04.schedule_example(4, 8))
    assert v["c4_sched_bubble"] == pytest.approx(3 / 11) and v["c4_sched_bubble_1f1b"] == pytest.approx(3 / 11)
    assert v["c4_sched_formula"] == pytest.approx(3 / 11)
    assert v["c4_sched_makespan"] == 3 * (8 + 4 - 1)  # a forward 1 and a backward 2 per slot
    assert (v["c4_inflight_gpipe"], v["c4_inflight_1f1b"]) == (8, 4)


def test_schedule_timeline_and_chart():
    timeline = ch04.schedule_timeline(4, 8)
    assert len(timeline) == 2 * 4 * 8 * 2  # schedules x stages x micro-batches x passes
    assert set(timeline["schedule"]) == set(ch04.SCHEDULE_LABELS.values())
    assert set(timeline["stage_label"]) == {"stage 0", "stage 1", "stage 2", "stage 3"}
    chart = ch04.schedule_chart(4, 8).to_dict()
    assert chart["title"] == "One batch through 4 stages in 8 micro-batches"
    assert chart["spec"]["height"] == 96


def test_gradients_and_allreduce():
    assert ch04.gradient_bytes("gpt-3", "bf16") == 350e9
    assert ch04.allreduce_example("gpt-3", "fp32") == {"c4_grad_gb": (700.0, ",.0f", "GB")}
    rows = ch04.allreduce_rows("gpt-3", "bf16").set_index("ranks")
    assert rows.index.tolist() == [2, 8, 64, 512, 4096]
    assert rows.loc[2, "ring"] == pytest.approx(350) and rows.loc[8, "ring"] == pytest.approx(2 * 7 / 8 * 350)
    assert rows.loc[64, "server"] == pytest.approx(2 * 64 * 350)
    shown = ch04.allreduce_table("gpt-3", "bf16")
    assert shown.loc["4,096", "parameter server: GB through the server"] == format_number(2 * 4096 * 350, "sig3") == "2,870,000"


def test_megatron_layout(claims):
    v = values(ch04.megatron_layout(claims))
    assert (v["c4_layout_tensor_parallel"], v["c4_layout_pipeline_parallel"], v["c4_layout_data_parallel"]) == (8, 64, 6)
    assert (v["c4_layout_gpus"], v["c4_layout_model_gpus"], v["c4_layout_servers"]) == (3072, 512, 384)
    assert v["c4_layout_per_gpu"] == pytest.approx(502e3 / 3072)
    assert v["c4_layout_share"] == pytest.approx(502e15 / 3072 / 312e12)
    assert v["c4_layout_states_gb"] == pytest.approx(16 * 1e12 / 512 / 1e9)  # 31 GB
    assert llmcost.peak_flops("a100", "bf16") == 312e12


def test_frontier_and_the_models_since():
    from llmcost import calibration
    from llmcost.book.pages import flop_accounting as ch03

    growth = ch03.growth_points(calibration.flops_table(causal=False), "2018-01")
    rows = ch03.frontier_rows(growth)
    assert rows["value"].is_monotonic_increasing and rows.iloc[-1]["model"] == "Meta Llama 3.1 405B"
    since = ch03.since_frontier(growth, rows)
    assert 0 < since["c3_since_low"][0] <= since["c3_since_high"][0] < 1  # no published run since 2025 beats it
    assert "Kimi K2" in since["c3_since_models"]


def test_kv_cache_counts_grouped_query_attention_as_chapter_8_does():
    """Issue 21: chapter 4 used d_model for every model ("GQA, which this dataset does not record");
    Llama 2 70B's 8 key/value heads cache an eighth of that, as chapter 8's serving model counts."""
    from llmcost.running import architecture

    v = values(ch04.kv_cache_example("llama-2-70b", "a100", 1))
    per_token = architecture.kv_cache_bytes_per_token("llama-2-70b", "bf16")
    assert v["c4_kv_token_mb"] == pytest.approx(per_token / 1e6)
    assert per_token == pytest.approx(memory.kv_cache_bytes(80, 8192, 1, 1) / 8)
    assert v["c4_kv_attention"].startswith("grouped-query attention, 8 key/value heads")
