"""Chapters as programs: re-run them with papermill and read their glued numbers back.

Helpers for one test per chapter:

* :func:`run_chapter` executes ``chapters/<name>.ipynb`` with papermill and the given parameters
  in a fresh kernel whose working directory is a temporary folder (a chapter must not depend
  on where it is run from), and returns the executed notebook;
* :func:`glued` returns what the notebook glued (``myst_nb.glue``), by name, as Python values;
* :func:`parameters_of` returns a chapter's parameters and their descriptions.

The checks at the bottom hold for every chapter: the first code cell is the ``parameters``
cell, holding literals only, each with a ``# description``; the next code cell calls llmcost's
validators; committed outputs load nothing from a CDN and carry no random chart ids.

To add a chapter's test::

    def test_training_flops_with_recompute(tmp_path):
        nb = run_chapter("10_training_flops", tmp_path, recompute=True)
        assert glued(nb)["gpt3_flops"] == "4.2e+23"
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

import llmcost
from conftest import CHAPTERS
from llmcost.book import glued_values

ALL_CHAPTERS = sorted(path.stem for path in CHAPTERS.glob("*.ipynb"))


def chapter_path(name: str) -> Path:
    """``chapters/<name>.ipynb`` (``name`` with or without the suffix)."""
    path = CHAPTERS / (name if name.endswith(".ipynb") else f"{name}.ipynb")
    if not path.is_file():
        raise FileNotFoundError(f"no chapter {path}")
    return path


def run_chapter(name: str, tmp_path: Path, timeout: int = 600, **parameters) -> nbformat.NotebookNode:
    """Execute a chapter with papermill and ``parameters``; cwd and output in ``tmp_path``.

    Raises ``papermill.exceptions.PapermillExecutionError`` (whose ``evalue`` is the message of
    the exception) when a cell fails.
    """
    output = tmp_path / f"{chapter_path(name).stem}.out.ipynb"
    return papermill.execute_notebook(
        str(chapter_path(name)),
        str(output),
        parameters=parameters,
        cwd=str(tmp_path),
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
        execution_timeout=timeout,
    )


def assert_rejected(chapter: str, tmp_path: Path, message: str, **parameters) -> None:
    """Run ``chapter`` with a bad parameter: it must stop in its validation cell with ``message``."""
    with pytest.raises(PapermillExecutionError) as failure:
        run_chapter(chapter, tmp_path, **parameters)
    assert message in failure.value.evalue
    nb = nbformat.read(chapter_path(chapter), as_version=4)
    parameters_cell = next(i for i, cell in enumerate(nb.cells) if "parameters" in cell.metadata.get("tags", []))
    # papermill inserts the injected parameters right after the parameters cell; the validation cell follows
    assert failure.value.cell_index <= parameters_cell + 2, "the chapter failed after its validation cell"


def glued(nb: nbformat.NotebookNode) -> dict:
    """Every value a notebook glued with ``myst_nb.glue``, by name (``llmcost.book.glued_values``)."""
    return glued_values(nb)


def parameters_of(name: str) -> dict:
    """A chapter's parameters as papermill sees them: name -> {default, inferred_type_name, help}."""
    return papermill.inspect_notebook(str(chapter_path(name)))


def defaults_of(name: str) -> dict:
    """A chapter's parameters at their defaults (the values the built book was made with): name -> value."""
    return {key: ast.literal_eval(spec["default"]) for key, spec in parameters_of(name).items()}


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
    assert values["gpu_hours"] == f"{hours:,.0f}"
    assert values["usd"] == f"{llmcost.rental_cost(hours, 3.5):,.0f}"
    assert values["mwh"] == f"{llmcost.energy_mwh(hours, 400.0, 1.25):,.0f}"
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
def test_intro_rejects_a_bad_parameter(tmp_path, parameters, message):
    """A bad parameter stops the intro in its validation cell, with a message that names it."""
    assert_rejected("00_intro", tmp_path, message, **parameters)


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
    from llmcost.book import format_number
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
