"""One set of book-wide defaults (``llmcost.defaults``): every chapter uses it, and it comes from the data."""

import pytest
from chapter_runs import ALL_CHAPTERS, defaults_of, parameters_of

import llmcost
from conftest import ROOT
from llmcost import datasets, defaults

DECLARED = [(chapter, name) for chapter in ALL_CHAPTERS for name in parameters_of(chapter) if name in defaults.BOOK]


def test_book_wide_names_are_declared_by_several_chapters():
    for name in defaults.BOOK:
        assert sum(1 for _, declared in DECLARED if declared == name) >= 2, name


@pytest.mark.parametrize(("chapter", "name"), DECLARED, ids=[f"{c}-{n}" for c, n in DECLARED])
def test_each_chapter_takes_the_book_wide_default(chapter, name):
    given = defaults_of(chapter)[name]
    if (chapter, name) in defaults.EXCEPTIONS:
        assert given != defaults.value(name), f"{chapter}: stale exception for {name}"
    else:
        assert given == defaults.value(name), f"{chapter} gives {name} = {given!r}; the book-wide default is {defaults.value(name)!r}"


def test_defaults_are_the_dataset_figures_they_cite():
    for name, (kind, ident, quantity) in defaults.FROM_DATA.items():
        record = llmcost.model(ident) if kind == "model" else llmcost.accelerator(ident)
        assert record[quantity] == defaults.value(name), name
    assert llmcost.model("palm-540b")["mfu"] == defaults.REFERENCE_MFU.value
    assert llmcost.resolve_model(defaults.value("model")) == "gpt-3"
    assert llmcost.peak_flops(defaults.value("gpu"), defaults.value("precision")) == 989.5e12


def test_the_default_price_and_power_follow_the_accelerator():
    """None: the median of the accelerator's newest 2025-26 quotes (3.90 USD for the H100, the quote
    the default cites) and its TDP; another accelerator brings its own."""
    from llmcost.book.chapter_parameters import follow_accelerator

    assert defaults.value("usd_per_gpu_hour") is None and defaults.value("power_w") is None
    followed = follow_accelerator(defaults.value("gpu"))
    summary = llmcost.market.rental_summary(defaults.value("gpu"), since="2025-01")
    assert followed["usd_per_gpu_hour"] == summary["median"] == 3.9 and summary["quotes"] >= 10
    median_row = datasets.prices().set_index("id").loc[summary["median_id"]]
    assert median_row["source"] == defaults.BOOK["usd_per_gpu_hour"].source
    assert followed["power_w"] == llmcost.accelerator("h100")["tdp_w"] == 700
    b200 = follow_accelerator("b200")
    assert b200["power_w"] == 1000 and b200["usd_per_gpu_hour"] == llmcost.market.rental_summary("b200")["median"]
    assert follow_accelerator("b200", usd_per_gpu_hour=2.5, power_w=900.0)["usd_per_gpu_hour"] == 2.5
    a100 = follow_accelerator("a100")  # quoted since 2025 (AWS p4de, RunPod, Lambda)
    assert a100["usd_per_gpu_hour"] == llmcost.market.rental_summary("a100")["median"]
    # no quote since 2025 for the V100: the reader is asked to set the price, not given a guess
    with pytest.raises(llmcost.validate.InputError, match="usd_per_gpu_hour must be set"):
        follow_accelerator("v100")


def test_every_default_cites_a_reference():
    keys = datasets._bib_keys()
    assert keys and {d.source for d in defaults.BOOK.values()} <= keys


DISTINCT = {name: default.value for name, default in {**defaults.BOOK, "reference_mfu": defaults.REFERENCE_MFU}.items()
            if isinstance(default.value, float) and default.value not in (1.1, 2.0, 3.9, 400.0, 700.0)}
"""The book-wide defaults whose text (0.462, 0.385) stands for nothing else in the code."""


def _code_cells_after_parameters(path):
    import nbformat

    cells = [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    return [cell.source for cell in cells[1:]]


def test_a_default_is_typed_only_in_defaults():
    """0.462 (PaLM's MFU) and 0.385 (the US grid) live in llmcost.catalog.defaults alone: the CLI,
    calibration, the formula page and every chapter cell after the parameters cell read them."""
    typed = []
    package = ROOT / "llmcost"
    for path in sorted(package.rglob("*.py")):
        if path.name == "defaults.py":
            continue
        text = path.read_text(encoding="utf-8")
        typed += [f"{path.relative_to(ROOT)}: {name} {value}" for name, value in DISTINCT.items() if repr(value) in text]
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        for source in _code_cells_after_parameters(path):
            typed += [f"{path.name}: {name} {value}" for name, value in DISTINCT.items() if repr(value) in source]
    assert not typed, typed


def test_the_cli_takes_its_defaults_from_the_book():
    from llmcost import cli

    text = (ROOT / "llmcost" / "cli.py").read_text(encoding="utf-8")
    for name in ("gpu", "precision"):
        assert repr(defaults.value(name)) not in text, f"cli.py types the default {name}"
    assert repr(defaults.REFERENCE_MFU.value) not in text
    assert (cli.DEFAULT_GPU, cli.DEFAULT_PRECISION, cli.DEFAULT_MFU) == (defaults.value("gpu"), defaults.value("precision"),
                                                                         defaults.REFERENCE_MFU.value)
