"""Checks that hold for every chapter: the first code cell is the ``parameters`` cell, holding
literals only, each with a ``# description``; the next code cell calls llmcost's validators;
committed outputs load nothing from a CDN and carry no random chart ids; captions state no
parameter's default. The helpers for the chapters' own tests are in ``chapter_runs``."""

from __future__ import annotations

import ast
import json
import re

import nbformat
import pytest

import llmcost
from llmcost.book import format_number
from chapter_runs import ALL_CHAPTERS, assert_refused, assert_rejected, chapter_path, defaults_of, glued, parameters_of, run_chapter  # noqa: F401 (re-exported for the chapters' tests)


def _code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


# --- the introduction ------------------------------------------------------------------------


def test_intro_with_other_parameters(tmp_path, monkeypatch):
    """The intro recomputes its chain for other inputs, run from an unrelated working directory."""
    monkeypatch.chdir(tmp_path)
    params = {"gpu": "h100", "precision": "fp8", "mfu": 0.35, "usd_per_gpu_hour": 3.5, "pue": 1.25}
    nb = run_chapter("00_intro", tmp_path, **params)
    values = glued(nb)

    facts = llmcost.model("gpt-3")
    hours = llmcost.gpu_hours(
        llmcost.training_flops(facts["params_active"], facts["tokens"]), llmcost.peak_flops("h100", "fp8"), 0.35
    )
    assert values["mfu"] == "35.0%"
    assert values["gpu_hours"] == format_number(hours, "sig3")
    assert values["usd"] == format_number(llmcost.rental_cost(hours, 3.5), "sig3")
    assert values["mwh"] == format_number(llmcost.energy_mwh(hours, 700.0, 1.25), "sig3")  # the default power: the H100's TDP
    injected = [cell for cell in nb.cells if "injected-parameters" in cell.metadata.get("tags", [])]
    assert len(injected) == 1 and "mfu = 0.35" in injected[0].source


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"mfu": 1.5}, "mfu must be a fraction in (0, 1]"),
        ({"pue": 0.9}, "pue must be a finite number >= 1"),
        ({"gpu": "abacus"}, "unknown gpu 'abacus'; known: "),
    ],
)
def test_intro_rejects_a_bad_parameter(parameters, message):
    """A bad parameter stops the intro in its validation cell, with a message that names it."""
    assert_refused("00_intro", message, **parameters)


def test_intro_stops_a_real_run_in_its_validation_cell(tmp_path):
    assert_rejected("00_intro", tmp_path, "mfu must be a fraction in (0, 1]", mfu=1.5)


# --- every chapter ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_CHAPTERS)
def test_parameters_cell_is_literals_with_descriptions(name):
    """First code cell: tagged ``parameters``, one literal per line, each with a ``# description``."""
    nb = nbformat.read(chapter_path(name), as_version=4)
    cell = _code_cells(nb)[0]
    assert "parameters" in cell.metadata.get("tags", []), f"{name}: first code cell is not tagged parameters"
    names = []
    for statement in ast.parse(cell.source).body:
        assert isinstance(statement, ast.Assign) and len(statement.targets) == 1, ast.unparse(statement)
        ast.literal_eval(statement.value)  # raises for anything but a literal
        names.append(statement.targets[0].id)
    described = parameters_of(name)
    # papermill skips a line holding more than one "=" (even in its comment: write "at least").
    assert sorted(described) == sorted(names), f"{name}: papermill cannot parse {set(names) - set(described)}"
    missing = [key for key, spec in described.items() if not spec["help"].strip()]
    assert not missing, f"{name}: parameters without a '# description' comment: {missing}"


@pytest.mark.parametrize("name", ALL_CHAPTERS)
def test_validation_cell_follows_parameters(name):
    """Second code cell validates the parameters with llmcost, computes nothing else and shows nothing."""
    nb = nbformat.read(chapter_path(name), as_version=4)
    cell = _code_cells(nb)[1]
    assert "llmcost" in cell.source and ("validate" in cell.source or "check_" in cell.source), cell.source
    assert not cell.outputs, f"{name}: the validation cell shows output in the book: {cell.outputs}"


@pytest.mark.parametrize("name", ALL_CHAPTERS)
def test_committed_outputs_are_offline_and_deterministic(name):
    """Committed outputs: no CDN, no random altair id, no error output."""
    nb = nbformat.read(chapter_path(name), as_version=4)
    outputs = [output for cell in _code_cells(nb) for output in cell.outputs]
    assert outputs, f"{name}: no committed outputs (run scripts/refresh_baselines.sh)"
    assert not [o for o in outputs if o.output_type == "error"], f"{name}: committed error output"
    text = json.dumps(outputs)
    for marker in ("altair-viz-", "cdn.jsdelivr", "unpkg.com", "<script src"):
        assert marker not in text, f"{name}: committed output contains {marker!r}"


def _default_texts(value) -> set[str]:
    """How a parameter's default could appear in a caption: its text, a model's or accelerator's
    name, a number as written in prose."""
    from llmcost.core.validate import InputError

    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, str):
        texts = {value}
        for lookup in (llmcost.model, llmcost.accelerator):
            try:
                texts.add(lookup(value)["name"])
            except InputError:  # not a model (or not an accelerator) name
                pass
        return texts
    if isinstance(value, (int, float)):
        texts = {f"{value:g}", format_number(value, ",.0f")}
        if 0 < value < 1:
            texts.add(format_number(value, ".1%"))
        if value >= 1e6:
            texts.add(format_number(value, "words"))
        return texts
    return set()


@pytest.mark.parametrize("name", ALL_CHAPTERS)
def test_captions_do_not_state_a_parameter_default(name: str):
    """A caption is fixed text (cell metadata), so it must not state what a parameter sets: in a
    reader's edition with other parameters it would be wrong ("per 1,000 tokens" is a unit, not a value)."""
    defaults = defaults_of(name)
    notebook = json.loads(chapter_path(name).read_text(encoding="utf-8"))
    captions = [c["metadata"]["mystnb"]["figure"]["caption"] for c in notebook["cells"]
                if c.get("metadata", {}).get("mystnb", {}).get("figure")]
    stated = [(caption, key, text) for caption in captions for key, value in defaults.items() for text in _default_texts(value)
              if re.search(rf"(?<![\w.,])(?<!per ){re.escape(text)}(?![\w%]|[.,]\d)", caption)]
    assert not stated, f"{name}: captions that state a parameter's default: {stated}"


MAX_CELL_LINES = 15
"""The longest code cell a chapter may hold: logic past that belongs in ``llmcost`` (thin notebooks)."""


def long_cells(nb) -> list[tuple[int, int]]:
    """(cell index, lines) of each code cell of ``nb`` longer than :data:`MAX_CELL_LINES`."""
    return [(i, len(cell.source.splitlines())) for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and len(cell.source.splitlines()) > MAX_CELL_LINES]


def test_a_long_cell_is_found():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1\n" * 16), nbformat.v4.new_code_cell("y = 2")])
    assert long_cells(nb) == [(0, 16)]


@pytest.mark.parametrize("name", ALL_CHAPTERS)
def test_code_cells_stay_short(name: str):
    """Thin notebooks: no code cell over MAX_CELL_LINES lines (chapter 4's parameter checks were 21)."""
    assert not long_cells(nbformat.read(chapter_path(name), as_version=4)), name
