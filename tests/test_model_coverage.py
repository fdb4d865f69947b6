"""Every chapter that takes a model, for every model of the dataset: its validation cell either
accepts the model or stops with one line that names it and what it lacks (issue 18's coverage
matrix). The cells run in-process (``llmcost.book.editions.check_parameters``), so the whole
matrix takes seconds; :func:`coverage` prints it for a report."""

from __future__ import annotations

import pytest

import llmcost
from chapter_runs import ALL_CHAPTERS
from llmcost.book.editions import check_parameters, declared_parameters
from llmcost.core.validate import InputError

MODEL_CHAPTERS = [chapter for chapter in ALL_CHAPTERS if "model" in declared_parameters(chapter)]
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
