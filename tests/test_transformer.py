"""Positional encoding, softmax and attention (llmcost.transformer) against their definitions."""

import numpy as np
import pytest

from llmcost import transformer
from llmcost.core.validate import InputError


def test_positional_encoding_matches_vaswani_formula():
    pe = transformer.sinusoidal_positional_encoding(np.arange(50), 64)
    assert pe.shape == (50, 64)
    pos, i = 7, 5
    assert pe[pos, 2 * i] == pytest.approx(np.sin(pos / 10000 ** (2 * i / 64)))
    assert pe[pos, 2 * i + 1] == pytest.approx(np.cos(pos / 10000 ** (2 * i / 64)))
    # position 0: sin 0 = 0 in even columns, cos 0 = 1 in odd ones
    assert np.all(pe[0, 0::2] == 0) and np.all(pe[0, 1::2] == 1)
    # the first pair turns at one radian per position
    assert pe[1, 0] == pytest.approx(np.sin(1.0))


def test_positional_encoding_pairs_are_unit_vectors_and_rows_have_norm_sqrt_half_d():
    pe = transformer.sinusoidal_positional_encoding(np.arange(200), 16)
    np.testing.assert_allclose(pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2, 1.0)
    np.testing.assert_allclose(np.linalg.norm(pe, axis=-1), np.sqrt(8))


def test_positional_encoding_broadcasts_over_positions():
    assert transformer.sinusoidal_positional_encoding(3, 8).shape == (8,)
    grid = transformer.sinusoidal_positional_encoding([[0, 1], [2, 3]], 4)
    assert grid.shape == (2, 2, 4)
    np.testing.assert_allclose(grid[1, 0], transformer.sinusoidal_positional_encoding(2, 4))


def test_relative_position_is_a_rotation():
    """PE(pos + k) is a fixed linear function (a rotation per pair) of PE(pos) (Vaswani et al., 3.5)."""
    d, k = 8, 3
    pe = transformer.sinusoidal_positional_encoding(np.arange(20), d)
    freq = 1 / 10000 ** (2 * np.arange(d // 2) / d)
    for pos in (0, 5, 11):
        sin, cos = pe[pos, 0::2], pe[pos, 1::2]
        np.testing.assert_allclose(pe[pos + k, 0::2], sin * np.cos(k * freq) + cos * np.sin(k * freq), atol=1e-12)
        np.testing.assert_allclose(pe[pos + k, 1::2], cos * np.cos(k * freq) - sin * np.sin(k * freq), atol=1e-12)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"positions": -1, "d_model": 8}, "positions must be a finite number >= 0"),
    ({"positions": 3, "d_model": 7}, "d_model must be an even whole number >= 2"),
    ({"positions": 3, "d_model": 0}, "d_model must be a whole number >= 1"),
])
def test_positional_encoding_rejects_bad_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        transformer.sinusoidal_positional_encoding(**kwargs)


def test_softmax_sums_to_one_and_keeps_order():
    p = transformer.softmax([1.0, 2.0, 3.0])
    assert p.sum() == pytest.approx(1.0)
    assert p[0] < p[1] < p[2]
    np.testing.assert_allclose(p, np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum())
    rows = transformer.softmax(np.arange(12.0).reshape(3, 4), axis=0)
    np.testing.assert_allclose(rows.sum(axis=0), 1.0)


def test_softmax_is_invariant_to_a_constant_and_stable():
    x = np.array([0.5, -1.0, 3.0])
    np.testing.assert_allclose(transformer.softmax(x + 1000.0), transformer.softmax(x))
    big = transformer.softmax([1000.0, 1000.0])
    np.testing.assert_allclose(big, [0.5, 0.5])
    assert transformer.softmax([0.0, -np.inf]).tolist() == [1.0, 0.0]


@pytest.mark.parametrize(("x", "message"), [
    (3.0, "x must be an array with at least one axis"),
    ([-np.inf, -np.inf], "x must have at least one finite entry"),
    ([np.inf, 1.0], "x must not contain \\+inf"),
    ([np.nan, 1.0], "x must be a number, got NaN"),
])
def test_softmax_rejects_bad_input(x, message):
    with pytest.raises(InputError, match=message):
        transformer.softmax(x)


def test_causal_mask_is_lower_triangular_and_aligns_with_a_kv_cache():
    np.testing.assert_array_equal(transformer.causal_mask(3, 3), np.tril(np.ones((3, 3), dtype=bool)))
    # one new query over four cached keys sees all of them
    assert transformer.causal_mask(1, 4).tolist() == [[True, True, True, True]]
    with pytest.raises(InputError, match="queries must be at most keys"):
        transformer.causal_mask(4, 3)


def test_attention_averages_values_with_softmax_weights():
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(4, 8)), rng.normal(size=(5, 8)), rng.normal(size=(5, 3))
    weights = transformer.attention_weights(q, k)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0)
    expected = np.exp(q @ k.T / np.sqrt(8))
    np.testing.assert_allclose(weights, expected / expected.sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(transformer.scaled_dot_product_attention(q, k, v), weights @ v)


def test_causal_attention_zeroes_the_future():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 4))  # two heads, six tokens
    weights = transformer.attention_weights(x, x, causal=True)
    assert np.all(weights[..., np.triu_indices(6, 1)[0], np.triu_indices(6, 1)[1]] == 0)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0)
    assert np.all(weights[:, 0, 0] == 1.0)  # the first token can only attend to itself
    out = transformer.scaled_dot_product_attention(x, x, x, causal=True)
    # changing a later token does not change an earlier output
    changed = x.copy()
    changed[:, 5] += 10.0
    np.testing.assert_allclose(transformer.scaled_dot_product_attention(changed, changed, changed, causal=True)[:, :5], out[:, :5])


@pytest.mark.parametrize(("args", "message"), [
    (([1.0, 2.0], [[1.0, 2.0]], [[1.0]]), "q must be an array of shape"),
    (([[1.0, 2.0]], [[1.0, 2.0, 3.0]], [[1.0]]), "q and k must have the same last dimension"),
    (([[1.0, 2.0]], [[1.0, 2.0]], [[1.0], [2.0]]), "v must have one row per key"),
    (([[1.0, np.inf]], [[1.0, 2.0]], [[1.0]]), "q must hold finite numbers"),
])
def test_attention_rejects_bad_shapes(args, message):
    with pytest.raises(InputError, match=message):
        transformer.scaled_dot_product_attention(*args)


def test_seed_tokens_are_the_quoted_ones():
    assert transformer.SEED_TOKEN_IDS == (16594, 257, 1621, 546, 1271, 17031, 2231, 3134, 13)
    assert len(transformer.SEED_TOKEN_IDS) == 9


def test_multi_head_attention_splits_the_width_and_one_head_is_plain_attention():
    rng = np.random.default_rng(1)
    x, w_q, w_k, w_v = rng.normal(size=(5, 8)), rng.normal(size=(8, 8)), rng.normal(size=(8, 8)), rng.normal(size=(8, 8))
    one = transformer.multi_head_attention(x, w_q, w_k, w_v, 1, causal=True)
    assert np.allclose(one, transformer.scaled_dot_product_attention(x @ w_q, x @ w_k, x @ w_v, causal=True))
    out = transformer.multi_head_attention(x, w_q, w_k, w_v, 4)
    weights = transformer.attention_weights(transformer.split_heads(x @ w_q, 4), transformer.split_heads(x @ w_k, 4))
    assert out.shape == (5, 8) and weights.shape == (4, 5, 5) and np.allclose(weights.sum(-1), 1)
    # head 2 is attention on columns 4-5 of each projection
    q, k, v = (x @ w_q)[:, 4:6], (x @ w_k)[:, 4:6], (x @ w_v)[:, 4:6]
    assert np.allclose(out[:, 4:6], transformer.scaled_dot_product_attention(q, k, v))
    with pytest.raises(InputError, match="heads must divide the projection width 8, got 3"):
        transformer.multi_head_attention(x, w_q, w_k, w_v, 3)


def test_masks_let_through_what_each_attention_sees():
    assert transformer.attention_mask("bidirectional", 4, 4).sum() == 16
    assert transformer.attention_mask("causal", 4, 4).sum() == 4 * 5 / 2
    assert transformer.attention_mask("cross", 3, 7).shape == (3, 7) and transformer.attention_mask("cross", 3, 7).all()
    with pytest.raises(InputError, match="kind"):
        transformer.attention_mask("sideways", 2, 2)
    with pytest.raises(InputError, match="as many queries as keys"):
        transformer.attention_mask("bidirectional", 2, 3)
