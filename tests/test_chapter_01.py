"""Chapter 1 (how training and inference work) re-run with other parameters, and its parameter checks."""

import pytest
from chapter_runs import assert_refused, assert_rejected, glued, run_chapter

import llmcost
from llmcost import audit, flops, toynet
from llmcost.book import format_number


def test_training_chapter_follows_its_parameters(tmp_path):
    params = {"learning_rate": 1.0, "steps": 200, "inputs": [0.1, 0.2], "targets": [0.9, 0.1],
              "positions": 40, "d_model": 32, "model": "llama-3-70b"}
    values = glued(run_chapter("01_how_training_works", tmp_path, **params))

    first = toynet.step(toynet.Network(), [0.1, 0.2], [0.9, 0.1], 1.0)
    assert values["c1_loss0"] == format_number(first.loss, ".8f")
    assert values["c1_o1"] == format_number(first.output_out[0], ".8f")
    # the update is w - learning_rate x gradient: twice the seed's rate, for this gradient
    assert values["c1_w4_new"] == format_number(0.5 - 1.0 * first.grad_output[0, 0], ".8f")
    losses, _ = toynet.train(200, None, [0.1, 0.2], [0.9, 0.1], 1.0)
    assert values["c1_steps"] == "200"
    assert values["c1_loss1"] == format_number(losses[1], ".8f")
    assert values["c1_loss_last"] == format_number(losses[-1], "sci")
    # the seed comparison does not depend on the parameters
    assert values["c1_seed_loss1"] == "0.36277389"
    seed_rows = [r for r in audit.recompute_all() if r["id"].startswith("000-toynet")]
    assert values["c1_max_diff"] == format_number(max(abs(r["stated_value"] - r["recomputed"]) for r in seed_rows), "sci")
    # the attention check follows the model
    facts = llmcost.model("llama-3-70b")
    shape = (facts["layers"], facts["d_model"], facts["context"])
    ratio = (flops.training_flops_with_attention(facts["params_active"], facts["tokens"], *shape)
             / flops.training_flops(facts["params_active"], facts["tokens"]))
    assert values["c1_full_extra"] == format_number(ratio - 1, ".1%")
    assert values["c1_d_model"] == "32" and values["c1_positions"] == "40"
    assert values["c1_k_train"] == "6"


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"learning_rate": 0}, "learning_rate must be a finite number > 0"),
        ({"targets": [0.25, 1.5]}, "targets must lie strictly between 0 and 1"),
        ({"d_model": 63}, "d_model must be an even whole number >= 2"),
        ({"positions": 100, "d_model": 128}, "positions x d_model must be at most 5000 cells"),
    ],
)
def test_training_chapter_rejects_a_bad_parameter(parameters, message):
    assert_refused("01_how_training_works", message, **parameters)  # in-process: the validation cell alone


def test_how_training_works_stops_a_real_run_in_its_validation_cell(tmp_path):
    assert_rejected("01_how_training_works", tmp_path, "learning_rate must be a finite number > 0", **{"learning_rate": 0})
