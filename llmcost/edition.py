"""A reader's own edition of the book: chosen chapters re-run with the reader's parameters, as HTML.

:func:`edition` checks the parameters against every chosen chapter's validation cell before
anything runs, executes the chapters with papermill in parallel (one kernel each), then renders
them with the book's own configuration, theme, bibliography and offline charts into a folder of
HTML (default ``_build/what-if/``). Every page of an edition opens with a banner listing the
parameters that differ from the published book, with both values and a link to the published
page, and each glued number that changed is highlighted, its published value in its tooltip.

The committed chapters (the nbval baselines) and the published build (``_build/html``) are only
read. An edition needs the book's sources, so it runs from a clone of the repository.
"""

from __future__ import annotations

import ast
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from .defaults import BOOK
from .validate import InputError

ROOT = Path(__file__).resolve().parent.parent
"""The repository: the book's sources (``_config.yml``, ``_toc.yml``, ``chapters/``)."""

BOOK_WIDE_PARAMETERS = {name: default.meaning for name, default in BOOK.items()}
"""The assumptions shared by the book: every chapter that has one calls it by this name, so one
``--set`` changes it everywhere."""

BOOK_FILES = ("_config.yml", "references.bib", "bibliography.md", "_ext")
DEFAULT_OUT = ROOT / "_build" / "what-if"
PUBLISHED = ROOT / "_build" / "html"
VEGA_CACHE = ROOT / "_build" / ".cache" / "llmcost-vega"
"""Where editions keep the Vega bundle between builds (it takes seconds to make)."""
CHANGED_CLASS = "llmcost-changed"
BANNER_CLASS = "llmcost-edition"
STYLE = (f"<style>.{CHANGED_CLASS} {{ background: #fff3bf; border-bottom: 2px solid #f08c00; padding: 0 .15em; }}"
         "</style>")


def book_root() -> Path:
    """The repository holding the book's sources, or an error saying that an edition needs them."""
    if not ((ROOT / "_toc.yml").is_file() and (ROOT / "chapters").is_dir()):
        raise InputError("llmcost book needs the book's sources: install llmcost from a clone of its repository (pip install -e .)")
    return ROOT


def chapter_ids() -> list[str]:
    """Ids (file stems) of the book's chapters, in the order of ``_toc.yml``."""
    toc = (book_root() / "_toc.yml").read_text(encoding="utf-8")
    return re.findall(r"^\s*(?:root|- file):\s*chapters/(\S+?)\s*$", toc, flags=re.MULTILINE)


def select_chapters(wanted=None) -> list[str]:
    """Chapter ids for ``wanted`` (ids or their leading number, e.g. ``05``); every chapter if None."""
    known = chapter_ids()
    if not wanted:
        return known
    chosen = []
    for item in wanted:
        matches = [cid for cid in known if cid == item or cid.split("_", 1)[0] == str(item)]
        if len(matches) != 1:
            raise InputError(f"chapters: unknown chapter {item!r}; known: {', '.join(known)}")
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return [cid for cid in known if cid in chosen]


def _notebook(chapter: str):
    import nbformat

    return nbformat.read(book_root() / "chapters" / f"{chapter}.ipynb", as_version=4)


def _code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def declared_parameters(chapter: str) -> dict:
    """A chapter's parameters and their published defaults (its ``parameters`` cell holds literals only)."""
    cell = _code_cells(_notebook(chapter))[0]
    return {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body}


def parse_settings(settings=(), params_file=None) -> dict:
    """Parameters from ``NAME=VALUE`` texts (VALUE read as YAML: 0.4, h100, [a, b]) and a YAML file."""
    import yaml

    params = {}
    if params_file is not None:
        try:
            loaded = yaml.safe_load(Path(params_file).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"--params: cannot read {params_file}: {exc}".splitlines()[0]) from None
        if not isinstance(loaded, dict):
            raise InputError(f"--params: {params_file} must hold a mapping of NAME: VALUE, got {type(loaded).__name__}")
        params.update(loaded)
    for text in settings:
        name, sep, value = text.partition("=")
        if not sep or not name.strip().isidentifier():
            raise InputError(f"--set expects NAME=VALUE, got {text!r}")
        try:
            params[name.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise InputError(f"--set {name.strip()}: cannot read the value {value!r}") from None
    return params


def check_parameters(params: dict, chapters: list[str]) -> dict[str, dict]:
    """Each chosen chapter's parameters after ``params`` are applied, checked by its validation cell.

    Raises InputError for a name no chosen chapter declares (listing those they accept) and for a
    value a chapter's validation cell refuses (naming the chapter); nothing runs before that.
    """
    declared = {chapter: declared_parameters(chapter) for chapter in chapters}
    accepted = sorted({name for names in declared.values() for name in names})
    unknown = [name for name in params if name not in accepted]
    if unknown:
        raise InputError(f"unknown parameter {unknown[0]!r} for chapters {', '.join(chapters)}; they accept: {', '.join(accepted)}")
    chosen = {}
    for chapter in chapters:
        values = {**declared[chapter], **{k: v for k, v in params.items() if k in declared[chapter]}}
        namespace = dict(values)
        try:
            exec(compile(_code_cells(_notebook(chapter))[1].source, f"{chapter} (validation cell)", "exec"), namespace)
        except Exception as exc:  # the cell raises InputError; anything else is a bad value too
            raise InputError(f"{chapter}: {exc}".splitlines()[0]) from None
        chosen[chapter] = values
    return chosen


def _glued(nb) -> dict[str, str]:
    """Text of every value a notebook glued, by name."""
    values = {}
    for cell in _code_cells(nb):
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook", {})
            if record.get("name"):
                data = output.get("data", {})
                text = data.get(f"{record.get('mime_prefix', '')}text/plain", data.get("text/plain", ""))
                values[record["name"]] = text.strip("'\"")
    return values


def _published_link(chapter: str, out: Path) -> str:
    target = PUBLISHED / "chapters" / f"{chapter}.html"
    return Path(os.path.relpath(target, out / "chapters")).as_posix()


def _banner(chapter: str, differences: dict, out: Path) -> str:
    """The markdown cell that opens an edition's page: what differs from the published book."""
    link = f'<a href="{html.escape(_published_link(chapter, out))}">the published page</a>'
    if not differences:
        rows = "This page uses the published book's parameters."
    else:
        rows = "| parameter | published | this edition |\n| --- | --- | --- |\n" + "\n".join(
            f"| `{name}` | `{published!r}` | `{yours!r}` |" for name, (published, yours) in differences.items())
    return (f":::{{admonition}} Your edition of this page\n:class: {BANNER_CLASS}\n\n"
            f"This page was re-run with `llmcost book`.\n\n{rows}\n\n"
            f"Numbers that differ from the published book are <span class=\"{CHANGED_CLASS}\">highlighted</span> "
            f"(the published value is in their tooltip). Compare with {link}.\n{STYLE}\n:::")


def _run(chapter: str, values: dict, staging: Path, position: int) -> None:
    import papermill

    papermill.execute_notebook(
        str(book_root() / "chapters" / f"{chapter}.ipynb"), str(staging / "chapters" / f"{chapter}.ipynb"),
        parameters=values, cwd=str(staging / "chapters"), kernel_name="python3", log_output=False,
        progress_bar={"desc": f"{chapter:<24}", "position": position, "leave": True},
    )


def _stage(staging: Path, chapters: list[str], differences: dict, params: dict) -> None:
    """The book skeleton of an edition: configuration without execution, a toc of the chosen chapters."""
    root = book_root()
    for name in BOOK_FILES:
        source = root / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, staging / name)
    config = (staging / "_config.yml").read_text(encoding="utf-8")
    config = re.sub(r"execute_notebooks: \w+", "execute_notebooks: \"off\"", config)
    config = re.sub(r'^title: "(.*)"$', r'title: "\1 (your edition)"', config, count=1, flags=re.MULTILINE)
    (staging / "_config.yml").write_text(config, encoding="utf-8")
    toc = ["format: jb-book", "root: edition", "chapters:"] + [f"  - file: chapters/{c}" for c in chapters]
    (staging / "_toc.yml").write_text("\n".join(toc + ["  - file: bibliography", ""]), encoding="utf-8")
    rows = "\n".join(f"| `{name}` | `{value!r}` |" for name, value in params.items()) or "| (none) | |"
    changed = sum(1 for d in differences.values() if d)
    (staging / "edition.md").write_text(
        f"# Your edition\n\nThese pages are the book's chapters re-run with your parameters by `llmcost book`; "
        f"{changed} of {len(chapters)} pages use parameters that differ from the published book. "
        f"Each page opens with what differs, and highlights the numbers that changed.\n\n"
        f"| parameter | value |\n| --- | --- |\n{rows}\n", encoding="utf-8")


def _mark_changes(page: Path, changes: dict[str, tuple[str, str]], unchanged: set[str]) -> int:
    """Highlight each glued number of ``page`` whose text changed; returns how many were marked."""
    text = page.read_text(encoding="utf-8")
    marked = 0
    for published, yours in changes.values():
        if yours in unchanged:
            continue  # the same text also stands for a number that did not change: leave it plain
        old = f'<span class="pasted-text">{html.escape(yours, quote=False)}</span>'
        new = (f'<span class="pasted-text {CHANGED_CLASS}" title="published: {html.escape(published)}">'
               f"{html.escape(yours, quote=False)}</span>")
        marked += text.count(old)
        text = text.replace(old, new)
    page.write_text(text, encoding="utf-8")
    return marked


def _link_left_out_chapters(page: Path, included: set[str], out: Path) -> None:
    """Point the links to chapters this edition left out at their published pages: Sphinx leaves
    a link to a document outside the build as ``#<name>.ipynb``."""
    def published(match: re.Match) -> str:
        chapter = match.group(1)
        return match.group(0) if chapter in included else f'href="{html.escape(_published_link(chapter, out))}"'

    text = page.read_text(encoding="utf-8")
    page.write_text(re.sub(r'href="#([0-9]{2}_[a-z0-9_]+)\.ipynb"', published, text), encoding="utf-8")


def _jupyter_book() -> str:
    beside = Path(sys.executable).parent / "jupyter-book"
    return str(beside) if beside.exists() else (shutil.which("jupyter-book") or "jupyter-book")


def edition(params: dict | None = None, chapters=None, out=None, jobs: int | None = None) -> Path:
    """Re-run ``chapters`` (ids or numbers; all if None) with ``params`` and render them into ``out``.

    params: parameter name -> value, set in every chosen chapter that declares the name.
    out: output folder (default ``_build/what-if``); replaced. jobs: chapters run at once
    (default: the number of cores). Returns ``out``; its ``index.html`` opens the edition.
    """
    import nbformat
    from tqdm.auto import tqdm

    params = dict(params or {})
    chosen = select_chapters(chapters)
    values = check_parameters(params, chosen)
    out = Path(out or DEFAULT_OUT).resolve()
    if out in (ROOT, PUBLISHED, ROOT / "chapters", ROOT / "_build") or ROOT / "chapters" in out.parents:
        raise InputError(f"--out must not be the repository, its chapters or the published build, got {out}")
    jobs = int(jobs or os.cpu_count() or 1)
    if jobs < 1:
        raise InputError(f"--jobs must be a whole number >= 1, got {jobs}")
    differences = {c: {k: (d, values[c][k]) for k, d in declared_parameters(c).items() if values[c][k] != d} for c in chosen}

    with tempfile.TemporaryDirectory(prefix="llmcost-edition-") as tmp:
        staging = Path(tmp)
        (staging / "chapters").mkdir()
        _stage(staging, chosen, differences, params)
        overall = tqdm(total=len(chosen), desc="llmcost book", unit="chapter", position=0, leave=True)
        failures = {}
        # One process per chapter at a time: each kernel client gets its own ZeroMQ context.
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {c: pool.submit(_run, c, {k: v for k, v in params.items() if k in values[c]}, staging, i + 1)
                       for i, c in enumerate(chosen)}
            for chapter, future in futures.items():
                try:
                    future.result()
                except Exception as exc:  # keep the other chapters; report this one
                    failures[chapter] = str(getattr(exc, "evalue", exc)).splitlines()[0]
                overall.update(1)
        overall.close()
        done = [c for c in chosen if c not in failures]
        changes = {}
        for chapter in done:
            path = staging / "chapters" / f"{chapter}.ipynb"
            nb = nbformat.read(path, as_version=4)
            published, yours = _glued(_notebook(chapter)), _glued(nb)
            changes[chapter] = {k: (published[k], v) for k, v in yours.items() if k in published and published[k] != v}
            changes[chapter]["_unchanged"] = {v for k, v in yours.items() if published.get(k) == v}
            nb.cells.insert(1, nbformat.v4.new_markdown_cell(_banner(chapter, differences[chapter], out)))
            nbformat.write(nb, path)
        for chapter in failures:
            toc = (staging / "_toc.yml").read_text(encoding="utf-8").replace(f"  - file: chapters/{chapter}\n", "")
            (staging / "_toc.yml").write_text(toc, encoding="utf-8")
        build = subprocess.run([_jupyter_book(), "build", str(staging), "--builder", "html", "--keep-going"],
                               capture_output=True, text=True,
                               env={**os.environ, "PYTHONHASHSEED": "0", "LLMCOST_VEGA_CACHE": str(VEGA_CACHE)})
        html_dir = staging / "_build" / "html"
        if build.returncode != 0 or not (html_dir / "index.html").is_file():
            raise InputError(f"the edition's HTML build failed: {(build.stdout + build.stderr).strip().splitlines()[-1]}")
        for chapter in done:
            unchanged = changes[chapter].pop("_unchanged")
            _mark_changes(html_dir / "chapters" / f"{chapter}.html", changes[chapter], unchanged)
            _link_left_out_chapters(html_dir / "chapters" / f"{chapter}.html", set(done), out)
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(html_dir, out)
    if failures:
        first = next(iter(failures))
        raise InputError(f"chapter {first} failed: {failures[first]} (the other chapters are in {out})")
    return out
