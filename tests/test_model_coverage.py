"""Every chapter that takes a model, for every model of the dataset: its validation cell either
accepts the model or stops with one line that names it and what it lacks (issue 18's coverage
matrix). The cells run in-process (``llmcost.book.editions.check_parameters``), so the whole
matrix takes seconds; :func:`coverage` prints it for a report."""

from __future__ import annotations

from pathlib import Path

import pytest

import llmcost
from chapter_runs import ALL_CHAPTERS
from llmcost.book.editions import check_parameters, declared_parameters
from llmcost.core.validate import InputError

OWN_MODEL = "09_own_model"  # its model is a config.json: tested with every family's file below
MODEL_CHAPTERS = [chapter for chapter in ALL_CHAPTERS if "model" in declared_parameters(chapter) and chapter != OWN_MODEL]
CONFIGS = sorted((Path(__file__).parent / "data" / "hf_configs").glob("*.json"))
MODELS = list(llmcost.models()["id"])


def coverage() -> dict[tuple[str, str], str]:
    """(chapter, model) -> "ok", or the first line of the validation cell's refusal."""
    matrix = {}
    for chapter in MODEL_CHAPTERS:
        for model in MODELS:
            try:
                check_parameters({"model": model}, [chapter])
                matrix[chapter, model] = "ok"
            except InputError as error:
                matrix[chapter, model] = str(error)
    return matrix


@pytest.mark.parametrize("chapter", MODEL_CHAPTERS)
def test_a_chapter_takes_each_model_or_says_in_one_line_why_not(chapter):
    for model in MODELS:
        try:
            check_parameters({"model": model}, [chapter])
        except InputError as error:
            message = str(error)
            assert "\n" not in message and model in message, f"{chapter} x {model}: {message!r}"


def test_the_models_with_a_complete_architecture_run_everywhere_but_beyond_their_context():
    """Llama 2 7B, which every chapter refused before its record was completed, passes all."""
    matrix = coverage()
    assert all(matrix[chapter, "llama-2-7b"] == "ok" for chapter in MODEL_CHAPTERS), \
        {chapter: matrix[chapter, "llama-2-7b"] for chapter in MODEL_CHAPTERS}


def test_opt_175b_serves_in_chapter_8():
    """OPT-175B, one of the six models the book explains, with a 2,048-token context: chapter 8's
    prompt fills it (issue 18)."""
    assert coverage()["08_serving", "opt-175b"] == "ok"


@pytest.mark.parametrize("config", CONFIGS, ids=lambda path: path.stem)
def test_every_config_family_is_costed_or_refused_in_one_line(config):
    """Chapters 8 and 9 take a config.json: each family's file runs, or (a model too large for the
    default group, heads that 8 accelerators do not split, GPT-2's 1,024-token context) stops
    naming the parameter."""
    for chapter in ("08_serving", OWN_MODEL):
        try:
            check_parameters({"model": str(config)}, [chapter])
        except InputError as error:
            message = str(error)
            assert "\n" not in message and any(word in message for word in ("tensor_parallel", "serving_gpus", "at most the context")), \
                f"{chapter} x {config.stem}: {message}"
