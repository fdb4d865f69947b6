"""The formula summary (``llmcost.book.formula_page``, the appendix page *Formulas*): each formula as written
gives what its function computes, and the page shows the current table."""

import pytest
from conftest import ROOT

from llmcost import datasets
from llmcost.book import formula_page


@pytest.mark.parametrize("formula", formula_page.FORMULAS, ids=[f.name for f in formula_page.FORMULAS])
def test_function_computes_the_formula_as_written(formula):
    assert formula_page.agree(formula), (formula.computed(), formula.by_hand(formula.example))


def test_the_agreement_check_can_fail():
    wrong = formula_page.Formula("compute", "x", "", "", "flops.training_flops", "kaplan2020scaling",
                             {"params": 1.0, "tokens": 1.0}, lambda e: 8.0)
    assert not formula_page.agree(wrong)


def test_every_source_is_in_the_bibliography():
    assert {f.source for f in formula_page.FORMULAS} <= datasets._bib_keys()


def test_the_page_is_current():
    """``formulas.md`` is written by ``llmcost.formula_page.page()``; regenerate it after changing the table:
    ``python -c "from llmcost.book import formula_page; open('formulas.md', 'w').write(formula_page.page())"``."""
    assert (ROOT / "formulas.md").read_text(encoding="utf-8") == formula_page.page()
