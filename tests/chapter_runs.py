"""Helpers for the chapters' tests: run a chapter, read what it glued, check that a bad parameter
stops it in its validation cell.

* :func:`run_chapter` executes ``chapters/<name>.ipynb`` with papermill and the given parameters
  in a fresh kernel whose working directory is a temporary folder (a chapter must not depend
  on where it is run from), and returns the executed notebook;
* :func:`glued` returns what the notebook glued (``myst_nb.glue``), by name, as Python values;
* :func:`parameters_of` / :func:`defaults_of` return a chapter's parameters;
* :func:`assert_refused` runs a chapter's validation cell in-process with a bad parameter (a
  few milliseconds); :func:`assert_rejected` runs the whole chapter with papermill (seconds),
  for the one case per chapter that proves the validation cell stops a real run.

To add a chapter's test::

    def test_training_flops_with_recompute(tmp_path):
        nb = run_chapter("10_training_flops", tmp_path, recompute=True)
        assert glued(nb)["gpt3_flops"] == "4.2e+23"
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from conftest import CHAPTERS
from llmcost.book import glued_values
from llmcost.book.editions import check_parameters
from llmcost.core.validate import InputError

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


def assert_refused(chapter: str, message: str, **parameters) -> None:
    """The chapter's validation cell, run in-process on its parameters with ``parameters`` in
    place, must raise InputError whose first line holds ``message``."""
    with pytest.raises(InputError) as failure:
        check_parameters(parameters, [chapter_path(chapter).stem])
    assert message in str(failure.value), str(failure.value)
