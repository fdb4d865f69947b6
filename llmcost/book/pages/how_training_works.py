"""Chapter 1, how training and inference work: its parameter checks, the 2-2-2 network's worked
step and seed comparison, the toy attention head, the FLOPs-per-parameter table and the charts.

Worked examples return dicts of glued values for :func:`llmcost.book.glue_all` (name -> text or
``(value, fmt)``), in the order the chapter glues them. Everything is dimensionless (activations,
losses, probabilities) unless a docstring gives a unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...analysis import audit
from ...catalog import datasets
from ...core import validate
from ...formulas import flops
from ...running import toynet, transformer
from .. import chapter_parameters as parameters
from .. import charts

MAX_GRID_CELLS = 5000
"""Largest positions x d_model drawn in the positional-encoding heatmap (altair's row limit)."""

MAX_STEPS = 100_000
"""Most training steps of the 2-2-2 network a reader may ask for (about 0.1 ms each)."""

MODEL_FACTS = ["layers", "d_model", "context", "vocab", "params_active", "tokens"]
"""Facts the chapter reads from its ``model``'s record."""

TOLERANCE = 1e-12
"""Largest rounding error allowed where attention rows must sum to 1 and softmax must ignore a shift."""

SOFTMAX_SHIFT = 1000
"""Added to every logit to show that softmax depends only on the logits' differences."""

SEED_LABELS = {"loss": "loss before the update", "loss_after": "loss after one update", "out_h2": "hidden output h2",
               "out_o1": "output o1", "out_o2": "output o2"}
"""Reader labels of seed 000's toynet values (``claims.csv`` inputs ``value``); weights ``wN_new``
read "weight wN after the update"."""

SEED_PREFIX = "000-toynet"
"""Id prefix of seed 000's 2-2-2 network claims in ``claims.csv``."""


def check_parameters(learning_rate, steps, inputs, targets, positions, d_model, model) -> str:
    """Check the chapter's parameters (raises :class:`llmcost.validate.InputError` naming the bad one).

    learning_rate: step size of gradient descent, > 0; steps: training steps, 1 to
    :data:`MAX_STEPS`; inputs, targets: two numbers each, targets strictly between 0 and 1
    (sigmoid outputs); positions, d_model: whole numbers, d_model even, at most
    :data:`MAX_GRID_CELLS` cells together; model: a model name whose record holds
    :data:`MODEL_FACTS`. Returns the model's canonical id.
    """
    parameters.check_number("learning_rate", learning_rate, validate.check_positive)
    parameters.check_count("steps", steps, MAX_STEPS, why="each step takes about 0.1 ms: 100,000 take about 10 s")
    parameters.check_list("inputs", inputs, 2, parameters.check_number)
    parameters.check_list("targets", targets, 2, parameters.check_number)
    if not all(0 < t < 1 for t in targets):
        raise validate.InputError(f"targets must lie strictly between 0 and 1 (sigmoid outputs), got {targets!r}")
    parameters.check_count("positions", positions)
    parameters.check_count("d_model", d_model)
    if positions * d_model > MAX_GRID_CELLS:
        raise validate.InputError(f"positions x d_model must be at most {MAX_GRID_CELLS} cells to chart, got {positions} x {d_model}")
    transformer.sinusoidal_positional_encoding(0, d_model)  # d_model must be even
    return parameters.check_name("model", model, facts=MODEL_FACTS)


# --- the 2-2-2 network ----------------------------------------------------------------------


def forward_table(inputs, targets) -> pd.DataFrame:
    """The seed network's outputs o1, o2 and loss E after one forward pass on ``inputs`` against ``targets``."""
    _, out = toynet.forward(toynet.Network(), inputs)
    return pd.DataFrame({"quantity": ["output o1", "output o2", "loss E"],
                         "after the forward pass": [*out, toynet.loss(out, targets)]})


def step_example(inputs, targets, learning_rate) -> dict:
    """One training step of the seed network worked by hand: its starting weights and biases, inputs,
    outputs, targets, loss, the gradient of w4 and w4 after the update (glued ``c1_*``)."""
    net = toynet.Network()
    first = toynet.step(net, inputs, targets, learning_rate)
    weights = net.weights
    return {
        "c1_w_first": (weights[0], ".1f"),
        "c1_w_last": (weights[-1], ".1f"),
        "c1_w_step": (weights[1] - weights[0], ".1f"),
        "c1_b1": (net.b1, ".1f"),
        "c1_b2": (net.b2, ".1f"),
        "c1_lr": (learning_rate, ".2g"),
        "c1_x1": (inputs[0], ".3g"),
        "c1_x2": (inputs[1], ".3g"),
        "c1_o1": (first.output_out[0], ".8f"),
        "c1_o2": (first.output_out[1], ".8f"),
        "c1_t1": (targets[0], ".3g"),
        "c1_t2": (targets[1], ".3g"),
        "c1_loss0": (first.loss, ".8f"),
        "c1_grad_w4": (first.grad_output[0, 0], ".8f"),
        "c1_w4_new": (first.updated.weights[4], ".8f"),
        "c1_w4_old": (weights[4], ".1f"),
    }


def seed_comparison() -> pd.DataFrame:
    """Seed 000's printed values of the 2-2-2 network next to :mod:`llmcost.toynet`'s (through
    :func:`llmcost.audit.recompute_all`): quantity, seed, recomputed, difference (seed - recomputed)."""
    rows = [row for row in audit.recompute_all() if row["id"].startswith(SEED_PREFIX)]
    names = [row["inputs"]["value"] for row in rows]
    return pd.DataFrame({
        "quantity": [SEED_LABELS.get(n, n.replace("_new", "").replace("w", "weight w") + " after the update") for n in names],
        "seed": [r["stated_value"] for r in rows],
        "recomputed": [r["recomputed"] for r in rows],
        "difference": [r["stated_value"] - r["recomputed"] for r in rows],
    })


def seed_example(comparison: pd.DataFrame) -> dict:
    """The largest gap of :func:`seed_comparison` and the quantity it is for, the number of values
    compared and the seed's loss after one update."""
    largest = comparison.loc[comparison["difference"].abs().idxmax()]
    after = comparison.loc[comparison["quantity"] == SEED_LABELS["loss_after"], "seed"]
    return {
        "c1_max_diff": (abs(largest["difference"]), "sci"),
        "c1_max_diff_quantity": largest["quantity"],
        "c1_n_seed_values": (len(comparison), ",.0f"),
        "c1_seed_loss1": (after.iloc[0], ".8f"),
    }


def training_example(losses, steps) -> dict:
    """The number of steps, the loss after the first step and the last loss of
    :func:`llmcost.toynet.train`'s ``losses``."""
    return {"c1_steps": (steps, ",.0f"), "c1_loss1": (losses[1], ".8f"), "c1_loss_last": (losses[-1], "sci")}


def loss_chart(losses, steps, learning_rate):
    """Loss before each of ``steps`` steps on a log axis (at most 400 steps drawn, evenly spaced on a log scale)."""
    import altair as alt

    shown = np.unique(np.round(np.geomspace(1, steps + 1, 400)).astype(int) - 1)
    curve = pd.DataFrame({"step": shown, "loss": losses[shown]})
    return alt.Chart(curve).mark_line().encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("loss:Q", scale=alt.Scale(type="log"), title="loss ½ Σ (target − out)²", axis=charts.power_of_ten_axis()),
    ).properties(width=520, height=280, title=f"The 2-2-2 network's loss over {steps:,} steps (learning rate {learning_rate})")


# --- inference ------------------------------------------------------------------------------


def token_table() -> pd.DataFrame:
    """Seed 000's token ids of its example sentence, one column per position."""
    ids = transformer.SEED_TOKEN_IDS
    return pd.DataFrame({"position": range(len(ids)), "token id": ids}).set_index("position").T


def embedding_example(model: str, d_model, positions) -> dict:
    """The model's vocabulary, width and embedding-table size (vocab x d_model parameters), the
    number of tokens of the example sentence, and the toy width and positions the chapter draws."""
    facts = datasets.model(model)
    return {
        "c1_model": model,
        "c1_n_tokens": (len(transformer.SEED_TOKEN_IDS), ",.0f"),
        "c1_vocab": (facts["vocab"], ",.0f"),
        "c1_model_d": (facts["d_model"], ",.0f"),
        "c1_embed_params": (facts["vocab"] * facts["d_model"], "words"),
        "c1_d_model": (d_model, ",.0f"),
        "c1_positions": (positions, ",.0f"),
    }


def positional_encoding_chart(positions, d_model):
    """Heatmap of :func:`llmcost.transformer.sinusoidal_positional_encoding` over ``positions`` x ``d_model``."""
    import altair as alt

    pe = transformer.sinusoidal_positional_encoding(np.arange(positions), d_model)
    grid = pd.DataFrame([(p, j, pe[p, j]) for p in range(positions) for j in range(d_model)],
                        columns=["position", "dimension", "value"])
    return alt.Chart(grid).mark_rect().encode(
        x=alt.X("dimension:O", title="dimension (even: sin, odd: cos)", axis=alt.Axis(values=list(range(0, d_model, 8)))),
        y=alt.Y("position:O", title="position", axis=alt.Axis(values=list(range(0, positions, 5)))),
        color=alt.Color("value:Q", scale=alt.Scale(scheme="redblue", domain=[-1, 1]), title="PE"),
    ).properties(width=430, height=340, title=f"Sinusoidal positional encoding: {positions} positions × {d_model} dimensions")


@dataclass(frozen=True)
class Head:
    """One causal attention head with random projections over the example sentence.

    embeddings: random token embeddings (tokens x d_model); weights: attention weights (tokens x
    tokens, rows sum to 1); output: the embeddings plus positional encoding plus the head's output.
    """

    embeddings: np.ndarray
    weights: np.ndarray
    output: np.ndarray


def random_head(d_model, seed: int = 0) -> Head:
    """A :class:`Head` of width ``d_model``: embeddings and the query, key and value projections
    drawn from N(0, 1/d_model) with numpy's generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    n = len(transformer.SEED_TOKEN_IDS)
    embeddings = rng.normal(0, d_model ** -0.5, (n, d_model))
    x = embeddings + transformer.sinusoidal_positional_encoding(np.arange(n), d_model)
    w_q, w_k, w_v = (rng.normal(0, d_model ** -0.5, (d_model, d_model)) for _ in range(3))
    weights = transformer.attention_weights(x @ w_q, x @ w_k, causal=True)
    output = x + transformer.scaled_dot_product_attention(x @ w_q, x @ w_k, x @ w_v, causal=True)
    return Head(embeddings, weights, output)


def attention_example(head: Head) -> dict:
    """The tolerance to which every row of the head's weights sums to 1 (checked: raises
    ``ArithmeticError`` otherwise) and the largest weight on a future token (0 under the causal mask)."""
    if np.abs(head.weights.sum(axis=-1) - 1).max() >= TOLERANCE:
        raise ArithmeticError(f"attention weights must sum to 1 within {TOLERANCE}")
    n = head.weights.shape[0]
    return {"c1_tolerance": (TOLERANCE, "sci"), "c1_future_weight": (head.weights[np.triu_indices(n, 1)].max(), ".0f")}


def attention_chart(weights):
    """Heatmap of an attention-weight matrix over the example sentence's tokens, each cell labelled."""
    import altair as alt

    n = len(transformer.SEED_TOKEN_IDS)
    labels = [f"{i}: {t}" for i, t in enumerate(transformer.SEED_TOKEN_IDS)]
    cells = pd.DataFrame([(labels[i], labels[j], weights[i, j]) for i in range(n) for j in range(n)],
                         columns=["query", "key", "weight"])
    order = alt.Sort(labels)
    heat = alt.Chart(cells).encode(x=alt.X("key:N", sort=order, title="key: position and token id"),
                                   y=alt.Y("query:N", sort=order, title="query"))
    return alt.layer(
        heat.mark_rect().encode(color=alt.Color("weight:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]), title="weight")),
        heat.mark_text(fontSize=9).encode(text=alt.Text("weight:Q", format=".2f"),
                                          color=alt.condition("datum.weight > 0.5", alt.value("white"), alt.value("black"))),
    ).properties(width=380, height=340, title="Causal attention weights of one random head over the example sentence")


def next_token_logits(head: Head) -> np.ndarray:
    """Logits of the next token over the sentence's tokens: the last position's output times each
    token's embedding (a vocabulary of the sentence's tokens, with tied embeddings)."""
    return head.output[-1] @ head.embeddings.T


def softmax_example(logits) -> dict:
    """The sum of the softmax of ``logits`` and the shift that leaves it unchanged (checked within
    :data:`TOLERANCE`: raises ``ArithmeticError`` otherwise)."""
    probabilities = transformer.softmax(logits)
    if np.abs(transformer.softmax(logits + SOFTMAX_SHIFT) - probabilities).max() >= TOLERANCE:
        raise ArithmeticError(f"softmax must not change when {SOFTMAX_SHIFT} is added to every logit")
    return {"c1_prob_sum": (probabilities.sum(), ".6f"), "c1_shift": (SOFTMAX_SHIFT, ",.0f")}


def next_token_table(logits) -> pd.DataFrame:
    """Token id, logit and softmax probability of each token of the example sentence."""
    return pd.DataFrame({"token id": [str(t) for t in transformer.SEED_TOKEN_IDS], "logit": logits,
                         "probability": transformer.softmax(logits)})


# --- FLOPs per parameter per token ----------------------------------------------------------


def flops_units_table() -> pd.DataFrame:
    """Inference, training and training with recomputation: units of forward-pass work
    (:data:`llmcost.flops.FORWARD_UNITS` etc.) and FLOPs per parameter per token."""
    f, b, r = flops.FORWARD_UNITS, flops.BACKWARD_UNITS, flops.RECOMPUTE_UNITS
    rows = [("inference (forward only)", f, flops.flops_per_param_per_token(training=False)),
            ("training (forward + backward)", f + b, flops.flops_per_param_per_token()),
            ("training with activation recomputation", f + b + r, flops.flops_per_param_per_token(recompute=True))]
    return pd.DataFrame(rows, columns=["work", "units", "FLOPs per parameter per token"])


def flops_units_example(units: pd.DataFrame) -> dict:
    """FLOPs per parameter per token of inference, training and training with recomputation
    (the rows of :func:`flops_units_table`)."""
    k = units["FLOPs per parameter per token"]
    return {"c1_k_infer": (k[0], ",.0f"), "c1_k_train": (k[1], ",.0f"), "c1_k_recompute": (k[2], ",.0f")}


def attention_flops_example(model: str) -> dict:
    """The model's training compute with and without attention: active parameters, tokens, layers,
    context, 6PD and 6PD plus full attention (FLOP), the extra share of full and of causal
    attention, and the attention and parameter FLOPs per token."""
    facts = datasets.model(model)
    params, tokens = facts["params_active"], facts["tokens"]
    shape = (facts["layers"], facts["d_model"], facts["context"])
    dense = flops.training_flops(params, tokens)
    full = flops.training_flops_with_attention(params, tokens, *shape)
    causal = flops.training_flops_with_attention(params, tokens, *shape, causal=True)
    return {
        "c1_params": (params, "words"),
        "c1_tokens": (tokens, "words"),
        "c1_layers": (shape[0], ",.0f"),
        "c1_context": (shape[2], ",.0f"),
        "c1_dense": (dense, "sci"),
        "c1_full": (full, "sci"),
        "c1_full_extra": (full / dense - 1, ".1%"),
        "c1_causal_extra": (causal / dense - 1, ".1%"),
        "c1_attn_per_token": (flops.attention_flops_per_token(*shape), "sci"),
        "c1_param_per_token": (flops.flops_per_param_per_token() * params, "sci"),
    }


# --- multi-head attention, masks, encoder–decoder (seed 004) ---------------------------------

MULTI_HEADS = (8, 4, 2, 1)
"""Head counts tried for the toy multi-head example: the largest that divides ``d_model``."""


def multi_head_example(d_model: int, seed: int = 0) -> dict:
    """The toy sentence through multi-head attention (:func:`llmcost.transformer.multi_head_attention`)
    with random projections of width ``d_model``: the heads used and their width, and the largest
    difference between the first and last head's weights; checks (``ArithmeticError`` otherwise)
    that one head is :func:`llmcost.transformer.scaled_dot_product_attention` and that every head's
    weights are a causal softmax, within :data:`TOLERANCE`. Glue names ``c1_mh_*``."""
    rng = np.random.default_rng(seed)
    n = len(transformer.SEED_TOKEN_IDS)
    x = rng.normal(0, d_model ** -0.5, (n, d_model)) + transformer.sinusoidal_positional_encoding(np.arange(n), d_model)
    w_q, w_k, w_v = (rng.normal(0, d_model ** -0.5, (d_model, d_model)) for _ in range(3))
    heads = next(h for h in MULTI_HEADS if d_model % h == 0)
    one = transformer.multi_head_attention(x, w_q, w_k, w_v, 1, causal=True)
    single = transformer.scaled_dot_product_attention(x @ w_q, x @ w_k, x @ w_v, causal=True)
    weights = transformer.attention_weights(transformer.split_heads(x @ w_q, heads), transformer.split_heads(x @ w_k, heads), causal=True)
    if np.abs(weights.sum(axis=-1) - 1).max() >= TOLERANCE or weights[:, np.triu_indices(n, 1)[0], np.triu_indices(n, 1)[1]].max() > 0:
        raise ArithmeticError("every head's weights must be a causal softmax")
    if np.abs(one - single).max() >= TOLERANCE:
        raise ArithmeticError(f"one head of multi-head attention must be single-head attention within {TOLERANCE}")
    return {
        "c1_mh_heads": (heads, ",.0f"),
        "c1_mh_width": (d_model // heads, ",.0f"),
        "c1_mh_distinct": (float(np.abs(weights[0] - weights[-1]).max()), "sig3"),
    }


def mask_rows(lengths: dict | None = None) -> pd.DataFrame:
    """The three attention masks of :data:`llmcost.transformer.MASKS` at T5's span-corruption lengths
    (``lengths``: inputs and targets, default :data:`llmcost.running.encoder_decoder.SPAN_CORRUPTION_LENGTHS`):
    where each runs, its queries and keys, the query-key pairs it lets through and their share of all."""
    from ...running.encoder_decoder import SPAN_CORRUPTION_LENGTHS

    lengths = lengths or SPAN_CORRUPTION_LENGTHS
    n_in, n_out = lengths["inputs"], lengths["targets"]
    settings = (("encoder self-attention (T5's encoder; BERT's layers use this mask)", "bidirectional", n_in, n_in),
                ("decoder self-attention (T5's decoder; GPT's layers use this mask)", "causal", n_out, n_out),
                ("cross-attention (T5's decoder reading the encoder)", "cross", n_out, n_in))
    rows = []
    for where, kind, queries, keys in settings:
        mask = transformer.attention_mask(kind, queries, keys)
        rows.append({"where": where, "mask": kind, "queries": queries, "keys": keys, "pairs": int(mask.sum()),
                     "share": mask.mean()})
    return pd.DataFrame(rows)


def mask_example(masks: pd.DataFrame) -> dict:
    """What the causal mask saves at T5's lengths (``masks``: :func:`mask_rows`): the share of the
    decoder's own pairs it lets through, and the decoder self-attention's share of all the
    query-key pairs of a T5 layer stack. Glue names ``c1_mask_*``."""
    causal = masks.set_index("mask").loc["causal"]
    return {"c1_mask_causal_share": (causal["share"], ".1%"),
            "c1_mask_decoder_share": (causal["queries"] * causal["keys"] / (masks["queries"] * masks["keys"]).sum(), ".1%")}


def encoder_decoder_example() -> dict:
    """T5-11B's training compute three ways: ``6PD`` with D its input tokens, the encoder–decoder
    count (:func:`llmcost.running.encoder_decoder.training_flops`, at the span-corruption lengths),
    and the published total (Patterson et al. 2021, Table 4), with the ratios. Glue names ``c1_t5_*``."""
    from ...running import encoder_decoder

    t5 = datasets.model("t5-11b")
    parts = encoder_decoder.block_params(t5["layers"], t5["d_model"], t5["ffn_dim"], t5["heads"] * t5["head_dim"])
    lengths = encoder_decoder.SPAN_CORRUPTION_LENGTHS
    targets = t5["tokens"] * lengths["targets"] / lengths["inputs"]
    counted = encoder_decoder.training_flops(parts["encoder"], parts["decoder"], parts["cross_kv"], t5["tokens"], targets)
    dense = flops.training_flops(t5["params_total"], t5["tokens"])
    published = datasets.published_value("t5-11b", "train_flops", "patterson2021carbon")
    return {
        "c1_t5_encoder": (parts["encoder"], "words"),
        "c1_t5_decoder": (parts["decoder"], "words"),
        "c1_t5_cross": (parts["cross_kv"], "words"),
        "c1_t5_inputs": (lengths["inputs"], ",.0f"),
        "c1_t5_targets": (lengths["targets"], ",.0f"),
        "c1_t5_tokens": (t5["tokens"], "words"),
        "c1_t5_6pd": (dense, "sci"),
        "c1_t5_counted": (counted, "sci"),
        "c1_t5_published": (published, "sci"),
        "c1_t5_6pd_ratio": (published / dense, ".2f"),
        "c1_t5_counted_ratio": (published / counted, ".2f"),
    }
