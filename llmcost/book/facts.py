"""Facts the book states on more than one page: each is computed once and glued under these names,
and ``tests/test_one_value.py`` fails when two pages show it differently.

A fact stated with other inputs on purpose (GPT-3's rental on the H100 in the introduction, on the
A100 in chapter 5) is not listed: each page says which inputs it uses.
"""

from __future__ import annotations

SAME_FACT = {
    "GPT-4: all parameters over active ones": (("00_intro", "kf_gpt4_overcount"), ("03_flop_accounting", "c3_gpt4_overcount")),
    "GPT-3: utilization its published hours imply": (("06_utilization", "c6_gpt3_implied"), ("91_calibration", "c91_gpt3_implied")),
    "DeepSeek-V3: utilization of the FP8 peak its hours imply": (("05_gpu_days_cost", "c5_ds_implied"), ("06_utilization", "c6_ds_fp8"),
                                                                 ("91_calibration", "c91_dsv3_fp8")),
    "DeepSeek-V3: utilization of the BF16 peak its hours imply": (("05_gpu_days_cost", "c5_ds_implied_bf16"),
                                                                  ("06_utilization", "c6_ds_bf16"), ("91_calibration", "c91_dsv3_implied")),
    "DeepSeek-V3: with its attention, FP8 and BF16 peaks": (("05_gpu_days_cost", "c5_ds_implied_fp8_attn"), ("06_utilization", "c6_ds_fp8_attention")),
    "the planning utilization of the H100 at BF16": (("00_intro", "mfu"), ("03_flop_accounting", "c3_frontier_utilization"),
                                                     ("07_energy_carbon", "c7_mfu"), ("91_calibration", "c91_hopper_median")),
    "claims the audit finds consistent": (("00_intro", "kf_consistent"), ("90_claims_audit", "c90_consistent")),
}
"""Fact -> the (chapter, glued name) pairs that state it; every pair must show the same text."""
