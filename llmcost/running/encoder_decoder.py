"""Encoder–decoder transformers (T5): where the parameters sit and what a training token costs.

A decoder-only model runs every token through all its parameters, so training costs ``6PD``. An
encoder–decoder splits them: the encoder reads the input tokens, the decoder writes the target
tokens and, through cross-attention, reads the encoder's output. Each input token then passes
through the encoder's parameters and the decoder's cross-attention keys and values; each target
token through the rest of the decoder. ``6PD`` with D the input tokens counts every parameter
for every input token, too much when the targets are shorter than the inputs (Raffel et al.
2020's span corruption: 512 input and 114 target tokens).
"""

from __future__ import annotations

from ..core.validate import check_count, check_positive, finite_result
from ..formulas.flops import flops_per_param_per_token

SPAN_CORRUPTION_LENGTHS = {"inputs": 512, "targets": 114}
"""Tokens per sequence of T5's span-corruption pre-training, input and target, as Google's T5X
states them for the C4 span-corruption task (``google2022t5xc4pretrain``:
``TASK_FEATURE_LENGTHS = {"inputs": 512, "targets": 114}``): 15 % of the input's tokens, in
spans of mean length 3, are replaced by sentinels and become the target."""


@finite_result
def block_params(layers, d_model, ffn_dim, attention_width, mlp_matrices=2) -> dict:
    """Parameters of a T5-style encoder and decoder of ``layers`` blocks each, without embeddings,
    biases or norms: an encoder block has self-attention (``4 d w``: queries, keys, values, output)
    and an MLP (``m d f``); a decoder block adds cross-attention (``4 d w``). Returns ``encoder``,
    ``decoder`` and ``cross_kv`` (the decoder's cross-attention keys and values, ``2 d w`` a block,
    which run over the encoder's tokens). attention_width: heads x head width (T5's ``d_kv``)."""
    layers = check_count("layers", layers)
    d = check_count("d_model", d_model)
    f = check_count("ffn_dim", ffn_dim)
    w = check_count("attention_width", attention_width)
    m = check_count("mlp_matrices", mlp_matrices)
    attention = 4 * d * w
    encoder = layers * (attention + m * d * f)
    return {"encoder": encoder, "decoder": layers * (2 * attention + m * d * f), "cross_kv": layers * 2 * d * w}


@finite_result
def training_flops(encoder_params, decoder_params, cross_kv_params, input_tokens, target_tokens):
    """Training FLOPs of an encoder–decoder: ``6 (P_enc + P_kv) D_in + 6 (P_dec - P_kv) D_out``,
    each input token through the encoder and the cross-attention keys and values, each target token
    through the rest of the decoder (attention scores left out, as in ``6PD``). Tokens: counts over
    the run; parameters: counts (:func:`block_params`)."""
    encoder = check_positive("encoder_params", encoder_params)
    decoder = check_positive("decoder_params", decoder_params)
    cross_kv = check_positive("cross_kv_params", cross_kv_params)
    per = flops_per_param_per_token(training=True)
    return per * ((encoder + cross_kv) * check_positive("input_tokens", input_tokens)
                  + (decoder - cross_kv) * check_positive("target_tokens", target_tokens))
