"""One value per fact (issue 21): a fact the book states on several pages shows the same text on each
(``llmcost.book.facts.SAME_FACT``), read from the committed chapters, which nbval keeps equal to
what the built book shows."""

from __future__ import annotations

import nbformat
import pytest

from conftest import CHAPTERS
from llmcost.book import glued_values
from llmcost.book.facts import SAME_FACT


@pytest.fixture(scope="module")
def glued_by_chapter():
    chapters = {chapter for pairs in SAME_FACT.values() for chapter, _ in pairs}
    return {chapter: glued_values(nbformat.read(CHAPTERS / f"{chapter}.ipynb", as_version=4)) for chapter in chapters}


def shown(pairs, glued_by_chapter) -> dict:
    """Each (chapter, name) of a fact -> the text its page shows."""
    return {pair: glued_by_chapter[pair[0]][pair[1]] for pair in pairs}


@pytest.mark.parametrize("fact", sorted(SAME_FACT))
def test_a_fact_has_one_value_in_the_book(fact, glued_by_chapter):
    values = shown(SAME_FACT[fact], glued_by_chapter)
    assert len(set(values.values())) == 1, f"{fact}: {values}"


def test_a_second_value_is_caught():
    """The check fails on the defect it looks for: two pages showing one fact differently."""
    book = {"a": {"x": "6.4"}, "b": {"y": "6.5"}}
    assert len(set(shown((("a", "x"), ("b", "y")), book).values())) == 2
