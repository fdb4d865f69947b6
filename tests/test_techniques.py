"""llmcost.techniques: the sourced survey table, computed effects and scaling arithmetic."""

import numpy as np
import pytest
from pybtex.database import parse_file

from conftest import ROOT
from llmcost import techniques
from llmcost.core.validate import InputError


def test_every_technique_is_sourced_and_well_formed():
    table = techniques.techniques()
    keys = set(parse_file(str(ROOT / "references.bib")).entries)
    assert set(table["source"]) <= keys, set(table["source"]) - keys
    assert table["id"].is_unique
    assert set(table["category"]) <= set(techniques.CATEGORIES)
    for saves in table["saves"]:
        assert set(saves.split(";")) <= set(techniques.SAVES), saves
    assert (table["effect"].str.len() > 0).all() and (table["locator"].str.len() > 0).all()
    assert {"zero-3", "activation-checkpointing", "ring-allreduce", "eightbit-optimizers", "lamb"} <= set(table["id"])


def test_technique_lookup():
    assert techniques.technique("onebit-adam")["source"] == "tang2021onebitadam"
    with pytest.raises(InputError, match="unknown technique 'warp-drive'; known: data-parallel"):
        techniques.technique("warp-drive")


def test_scaling_speedup_pins_seed003():
    assert techniques.scaling_speedup(10_000, 1_000, 0.9) == pytest.approx(9.0)
    assert techniques.scaling_efficiency(9.0, 10_000, 1_000) == pytest.approx(0.9)
    speedups = techniques.scaling_speedup(np.array([2_000, 4_000]), 1_000, np.array([1.0, 0.5]))
    assert np.allclose(speedups, [2.0, 2.0])
    with pytest.raises(InputError, match="efficiency must be a fraction in \\(0, 1\\]"):
        techniques.scaling_speedup(10_000, 1_000, 1.2)
    with pytest.raises(InputError, match="baseline_gpus must be a whole number >= 1"):
        techniques.scaling_speedup(10_000, 0, 0.9)


def test_computed_effects_pin_zero_paper():
    effects = techniques.computed_effects(7.5e9, 64, 8, 32).set_index(["id", "unit"])
    # ZeRO paper, Figure 1: 7.5B parameters, N = 64 -> 120 GB, 31.4 GB, 16.6 GB, 1.9 GB per GPU.
    assert effects.loc[("zero-1", "GB"), "without"] == pytest.approx(120)
    assert effects.loc[("zero-1", "GB"), "with"] == pytest.approx(31.4, abs=0.05)
    assert effects.loc[("zero-2", "GB"), "with"] == pytest.approx(16.6, abs=0.05)
    assert effects.loc[("zero-3", "GB"), "with"] == pytest.approx(1.875)
    assert effects.loc[("activation-checkpointing", "FLOP"), "with"] == 8
    assert effects.loc[("eightbit-optimizers", "bytes"), "with"] / effects.loc[("eightbit-optimizers", "bytes"), "without"] == 0.25
    assert effects.loc[("pipeline-gpipe", "of compute time"), "with"] == pytest.approx(7 / 32)
    with pytest.raises(InputError, match="stages must be a whole number >= 1"):
        techniques.computed_effects(7.5e9, 64, 0, 32)


def test_loss_scaling_keeps_small_gradients_in_fp16():
    from llmcost import techniques as t

    grads = np.array([1e-9, 1e-8, 1e-6, 1e-3, 0.0])
    kept = t.loss_scaling(grads, 2.0 ** 16)
    assert list(kept["lost_plain"]) == [True, True, False, False, False]  # below 2**-24, fp16 flushes to zero
    assert not kept["lost_scaled"].any() and not kept["overflow"].any()
    assert kept["scaled"][:4] == pytest.approx(grads[:4], rel=1e-3)  # fp16 keeps ~3 decimal digits
    too_big = t.loss_scaling(np.array([1.0]), 2.0 ** 17)
    assert too_big["overflow"].all() and np.isnan(too_big["scaled"]).all()  # 131,072 > 65,504
    with pytest.raises(InputError, match="values must be a finite number"):
        t.loss_scaling(np.array([1.0, np.inf]), 2.0)


def test_fusion_moves_one_read_and_one_write():
    from llmcost import techniques as t

    moved = t.fusion_bytes(1e6, 3, 2.0)
    assert moved == {"unfused": 12e6, "fused": 4e6}
    assert t.fusion_bytes(1e6, 1, 2.0)["unfused"] == t.fusion_bytes(1e6, 1, 2.0)["fused"]


def test_trust_ratio_is_the_norm_ratio():
    from llmcost import techniques as t

    assert t.trust_ratio(np.array([3.0, 4.0]), np.array([0.0, 0.5])) == pytest.approx(10.0)
    assert t.trust_ratio(np.zeros(2), np.ones(2)) == 1.0  # LAMB's convention for a zero norm
