"""Editions without traps (issue 21): a book-wide parameter set for an edition reaches every chapter
that declares it, and every chapter that uses its quantity declares it.

For each book-wide parameter (``llmcost.defaults.BOOK``) and each chapter that declares it, the
chapter is run with another value: the glued figures named below change as their formula says
(a price, a power, a PUE, a grid intensity or a utilization scales them), and for the names that
select a record (model, accelerator, precision) at least one glued figure changes. Every declaration
has a case, so a new one cannot slip through. The runs take a minute or two, so they run where the
book is built.
"""

from __future__ import annotations

import os
import re

import pytest
from chapter_runs import ALL_CHAPTERS, defaults_of, glued, parameters_of, run_chapter
from conftest import ROOT

import llmcost
from llmcost import defaults
from llmcost.book.chapter_parameters import follow_accelerator

pytestmark = pytest.mark.skipif(os.environ.get("LLMCOST_NO_BOOK") == "1",
                                reason="scripts/test.sh --no-book: editions are tested by the run that builds the book")


def _number(text: str) -> float:
    """The first number of a glued text (``"1,330,000"``, ``"2.02 million USD"``, ``"25.9%"``)."""
    match = re.search(r"-?\d[\d,]*\.?\d*(?:e[-+]?\d+)?", text)
    assert match, f"no number in {text!r}"
    return float(match.group(0).replace(",", ""))


def _price(chapter: str) -> float:
    """The price per accelerator-hour a chapter uses at its defaults."""
    p = defaults_of(chapter)
    if p.get("usd_per_gpu_hour") is not None:
        return p["usd_per_gpu_hour"]
    if chapter == "05_gpu_days_cost":
        return llmcost.cost.gpu_hour_price(p["rental_price"])
    return follow_accelerator(p["gpu"])["usd_per_gpu_hour"]


def _power(chapter: str) -> float:
    p = defaults_of(chapter)
    return p["power_w"] if p.get("power_w") is not None else llmcost.accelerator(p["gpu"])["tdp_w"]


def _utilization(chapter: str) -> float:
    p = defaults_of(chapter)
    return llmcost.calibration.planning_utilization(p["gpu"], p["precision"], p["mfu"])["central"]


# name -> (value for the edition, {chapter: [(glued name, new / published as a function of the chapter)]})
SCALED = {
    "usd_per_gpu_hour": (2.5, {
        "00_intro": [("usd", lambda c: 2.5 / _price(c))],
        "05_gpu_days_cost": [("c5_gpt3_rent_usd", lambda c: 2.5 / _price(c))],
        "08_serving": [("c8_usd_out", lambda c: 2.5 / _price(c))],
        "09_own_model": [("c9_cost", lambda c: 2.5 / _price(c)), ("c9_usd_out", lambda c: 2.5 / _price(c))],
    }),
    "power_w": (500.0, {
        "00_intro": [("mwh", lambda c: 500.0 / _power(c))],
        "09_own_model": [("c9_mwh", lambda c: 500.0 / _power(c)), ("c9_wh_out", lambda c: 500.0 / _power(c))],
    }),
    "pue": (1.5, {
        "00_intro": [("mwh", lambda c: 1.5 / 1.1)],
        "08_serving": [("c8_wh_out", lambda c: 1.5 / 1.1)],
        "09_own_model": [("c9_mwh", lambda c: 1.5 / 1.1)],
    }),
    "grid_kg_per_kwh": (0.2, {
        "00_intro": [("tco2", lambda c: 0.2 / 0.385)],
        "09_own_model": [("c9_co2", lambda c: 0.2 / 0.385)],
    }),
    "mfu": (0.3, {
        "00_intro": [("gpu_hours", lambda c: _utilization(c) / 0.3)],
        "02_training_stages": [("c2_mfu", lambda c: 0.3 / 0.462)],
        "05_gpu_days_cost": [("c5_gpt3_hours_mine", lambda c: _utilization(c) / 0.3)],
        "07_energy_carbon": [("c7_run_hours", lambda c: _utilization(c) / 0.3)],
        "09_own_model": [("c9_gpu_hours", lambda c: 0.462 / 0.3)],
        "91_calibration": [("c91_default_mfu", lambda c: 0.3 / 0.462)],
    }),
}

# name -> {chapter: another valid value}; the chapter must show at least one different figure
SELECTED = {
    "gpu": {c: "b200" for c in ("00_intro", "02_training_stages", "04_memory_parallelism", "05_gpu_days_cost", "06_utilization",
                                "07_energy_carbon", "08_serving", "09_own_model")},
    "model": {**{c: "llama-2-70b" for c in ("00_intro", "01_how_training_works", "03_flop_accounting", "04_memory_parallelism",
                                             "06_utilization", "07_energy_carbon")}, "08_serving": "llama-3.1-70b",
              "09_own_model": str(ROOT / "tests" / "data" / "hf_configs" / "llama.json")},
    "precision": {**{c: "fp8" for c in ("00_intro", "07_energy_carbon", "09_own_model")}, "02_training_stages": "fp16",
                  "05_gpu_days_cost": "fp32", "04_memory_parallelism": "fp16", "06_utilization": "tf32", "08_serving": "int8"},
    # one power and one PUE for every model of the calibration appendix: no single factor, but its energy fit moves;
    # chapter 7 assumes its PUE and grid only where a model publishes none (GPT-3 publishes both): its tables move
    "power_w": {"91_calibration": 500.0},
    "pue": {"91_calibration": 1.2, "07_energy_carbon": 1.5, "92_models_at_a_glance": 1.5},
    "grid_kg_per_kwh": {"07_energy_carbon": 0.2, "92_models_at_a_glance": 0.2},
    "mfu": {"92_models_at_a_glance": 0.3},
}

CASES = [(name, chapter) for name, (_, chapters) in SCALED.items() for chapter in chapters] + \
        [(name, chapter) for name, chapters in SELECTED.items() for chapter in chapters]


def test_every_declaration_is_exercised():
    """Each (book-wide name, chapter that declares it) pair has a case above, so a new chapter or
    parameter cannot slip through untested."""
    declared = {(name, chapter) for chapter in ALL_CHAPTERS for name in parameters_of(chapter) if name in defaults.BOOK}
    assert declared == set(CASES), f"not exercised: {sorted(declared - set(CASES))}; stale: {sorted(set(CASES) - declared)}"


def _shown(nb) -> list[str]:
    """Everything a notebook shows: the text of each code cell's outputs, in order."""
    return [str(output.get("data", output.get("text", ""))) for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Each chapter run once at its defaults, as the edition's runs are (lazily, by chapter): its
    glued values and what it shows."""
    runs = {}

    def at_defaults(chapter: str) -> dict:
        if chapter not in runs:
            nb = run_chapter(chapter, tmp_path_factory.mktemp(chapter))
            runs[chapter] = {"glued": glued(nb), "shown": _shown(nb)}
        return runs[chapter]

    return at_defaults


@pytest.mark.parametrize(("name", "chapter"), CASES, ids=[f"{n}-{c}" for n, c in CASES])
def test_a_book_wide_parameter_changes_the_chapter_as_its_formula_says(name, chapter, published, tmp_path):
    if chapter in SCALED.get(name, (None, {}))[1]:
        value, chapters = SCALED[name]
        values, before = glued(run_chapter(chapter, tmp_path, **{name: value})), published(chapter)["glued"]
        for key, factor in chapters[chapter]:
            got = _number(values[key]) / _number(before[key])
            assert got == pytest.approx(factor(chapter), rel=0.01), f"{chapter}: {key} {before[key]!r} -> {values[key]!r}"
    else:
        shown = _shown(run_chapter(chapter, tmp_path, **{name: SELECTED[name][chapter]}))
        assert shown != published(chapter)["shown"], f"{chapter}: setting {name} changed nothing it shows"
