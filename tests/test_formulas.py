"""The formula summary (``llmcost.formulas``, the appendix page *Formulas*): each formula as written
gives what its function computes, and the page shows the current table."""

import pytest
from conftest import ROOT

from llmcost import datasets, formulas


@pytest.mark.parametrize("formula", formulas.FORMULAS, ids=[f.name for f in formulas.FORMULAS])
def test_function_computes_the_formula_as_written(formula):
    assert formulas.agree(formula), (formula.computed(), formula.by_hand(formula.example))


def test_the_agreement_check_can_fail():
    wrong = formulas.Formula("compute", "x", "", "", "flops.training_flops", "kaplan2020scaling",
                             {"params": 1.0, "tokens": 1.0}, lambda e: 8.0)
    assert not formulas.agree(wrong)


def test_every_source_is_in_the_bibliography():
    assert {f.source for f in formulas.FORMULAS} <= datasets._bib_keys()


def test_the_page_is_current():
    """``formulas.md`` is written by ``llmcost.formulas.page()``; regenerate it after changing the table:
    ``python -c "from llmcost import formulas; open('formulas.md', 'w').write(formulas.page())"``."""
    assert (ROOT / "formulas.md").read_text(encoding="utf-8") == formulas.page()
