"""Encoder–decoder accounting (llmcost.running.encoder_decoder), checked on T5-11B."""

import pytest

import llmcost
from llmcost import InputError
from llmcost.running import encoder_decoder


def test_block_params_of_t5_11b_add_up_to_its_eleven_billion():
    """Raffel et al. 2020, section 3.7: 24 blocks each, d_model 1,024, d_ff 65,536, 128 heads of 128."""
    parts = encoder_decoder.block_params(24, 1024, 65536, 128 * 128)
    assert parts["encoder"] == 24 * (4 * 1024 * 16384 + 2 * 1024 * 65536)
    assert parts["decoder"] == parts["encoder"] + 24 * 4 * 1024 * 16384
    assert parts["cross_kv"] == 24 * 2 * 1024 * 16384
    assert 10.5e9 < parts["encoder"] + parts["decoder"] < 11.5e9


def test_training_flops_count_each_token_through_its_half():
    # equal halves and equal token counts: 6PD over the whole model
    assert encoder_decoder.training_flops(5, 5, 1, 10, 10) == 6 * 10 * 10
    # no target tokens would be free for the decoder except its cross-attention keys and values
    assert encoder_decoder.training_flops(4, 6, 1, 100, 1e-9) == pytest.approx(6 * 5 * 100)
    with pytest.raises(InputError, match="target_tokens"):
        encoder_decoder.training_flops(4, 6, 1, 100, 0)


def test_t5_11b_published_compute_is_the_encoder_decoder_count_not_6pd():
    """Patterson et al. 2021 (Table 4): 4.05e22 FLOPs; 6PD overstates it by 1.6x, the split count is within 5 %."""
    t5 = llmcost.model("t5-11b")
    parts = encoder_decoder.block_params(t5["layers"], t5["d_model"], t5["ffn_dim"], t5["heads"] * t5["head_dim"])
    lengths = encoder_decoder.SPAN_CORRUPTION_LENGTHS
    counted = encoder_decoder.training_flops(parts["encoder"], parts["decoder"], parts["cross_kv"], t5["tokens"],
                                             t5["tokens"] * lengths["targets"] / lengths["inputs"])
    published = 4.05e22
    assert published / (6 * t5["params_total"] * t5["tokens"]) == pytest.approx(0.614, abs=0.001)
    assert published / counted == pytest.approx(1, abs=0.05)
