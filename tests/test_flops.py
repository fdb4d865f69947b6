"""FLOP formulas pinned to the source documents' and papers' numbers."""

import numpy as np
import pytest

from llmcost import architecture, flops
from llmcost.core.validate import InputError


def test_units_per_param_per_token():
    assert flops.flops_per_param_per_token(training=False) == 2
    assert flops.flops_per_param_per_token() == 6
    assert flops.flops_per_param_per_token(recompute=True) == 8
    with pytest.raises(ValueError, match="recompute applies to training"):
        flops.flops_per_param_per_token(training=False, recompute=True)


def test_gpt3_training_flops_seed000():
    assert flops.training_flops(175e9, 300e9) == pytest.approx(3.15e23)
    assert flops.training_flops(175e9, 300e9, recompute=True) == pytest.approx(4.2e23)


def test_gpt4_moe_active_params_and_flops():
    active = flops.moe_active_params(111e9, 2, 55e9)
    assert active == 277e9
    assert flops.training_flops(active, 13e12) == pytest.approx(2.16e25, rel=1e-3)


def test_inference_flops():
    assert flops.inference_flops(175e9, 7.933e12) == pytest.approx(2.7766e24, rel=1e-4)
    assert flops.inference_flops(175e9, 0) == 0


def test_attention_term_palm_and_causal():
    # 12 L d T per token in training (PaLM appendix B), 4 L d T forward, half when causal.
    full = flops.attention_flops_per_token(96, 12288, 2048)
    assert full == 12 * 96 * 12288 * 2048
    assert flops.attention_flops_per_token(96, 12288, 2048, training=False) == full / 3
    assert flops.attention_flops_per_token(96, 12288, 2048, causal=True) == full / 2


def test_attention_adds_a_few_percent_for_gpt3():
    base = flops.training_flops(175e9, 300e9)
    with_attention = flops.training_flops_with_attention(175e9, 300e9, 96, 12288, 2048)
    assert 1.02 < with_attention / base < 1.035  # 12 L d T / 6 P = 2.8 %


def test_transformer_params_from_architecture_gpt3():
    assert architecture.transformer_params(96, 12288, 50257, context=2048) == pytest.approx(175e9, rel=0.01)
    assert flops.non_embedding_params(96, 12288) == 12 * 96 * 12288**2


def test_vectorized_broadcasting():
    params = np.array([1e9, 7e9, 70e9])
    out = flops.training_flops(params, 2e12)
    assert out.shape == (3,)
    np.testing.assert_allclose(out, 6 * params * 2e12)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "abc", None, True])
def test_bad_params_named(bad):
    with pytest.raises(InputError, match="params"):
        flops.training_flops(bad, 1e9)


def test_bad_element_in_array_is_reported():
    with pytest.raises(InputError, match=r"tokens must be a finite number > 0 \(at most 1e\+17\), got an array containing -5.0"):
        flops.training_flops(1e9, np.array([1.0, -5.0]))


def test_moe_routed_must_be_whole():
    with pytest.raises(InputError, match="experts_routed must be a whole number"):
        flops.moe_active_params(1e9, 1.5, 0)

