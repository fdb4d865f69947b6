"""A reader's own edition of the book: chosen chapters re-run with the reader's parameters, as HTML.

:func:`edition` checks the parameters against every chosen chapter's validation cell before
anything runs, and the output folder (:mod:`llmcost.folders`: new, empty, or written by an
earlier edition; never the repository, its sources or the published build). It then executes
the chapters with papermill, ``jobs`` at a time (one process and kernel each), and renders them
with the book's own configuration, theme, bibliography and offline charts, all in a temporary
folder beside the target, which the complete edition then replaces (default
``_build/what-if/``). A chapter that fails, or Ctrl-C, leaves the target as it was. Every page of an edition opens with a banner listing the
parameters that differ from the published book, with both values and a link to the published
page, and each glued number that changed is highlighted, its published value in its tooltip.

The committed chapters (the nbval baselines) and the published build (``_build/html``) are only
read. An edition needs the book's sources, so it runs from a clone of the repository.
"""

from __future__ import annotations

import ast
import functools
import html
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..catalog.defaults import BOOK
from .folders import check_target, move_into_place, staging_beside
from .tables import format_number, glued_values
from ..core.validate import DECIMAL_TEXT, WHOLE_NUMBER_TEXT, InputError, RunFailed, is_config_path

ROOT = Path(__file__).resolve().parents[2]
"""The repository: the book's sources (``_config.yml``, ``_toc.yml``, ``chapters/``)."""

BOOK_WIDE_PARAMETERS = {name: default.meaning for name, default in BOOK.items()}
"""The assumptions shared by the book: every chapter that has one calls it by this name, so one
``--set`` changes it everywhere."""

FRAME_PAGES = ("start_here", "glossary")
"""Pages without parameters that every edition carries, so that the chapters' links to them hold."""

BOOK_FILES = ("_config.yml", "references.bib", "bibliography.md", "_ext", *(f"{page}.md" for page in FRAME_PAGES))
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


def toc_parts() -> dict[str, str]:
    """Every page of ``_toc.yml`` in reading order, as its ``file`` (``chapters/04_memory_parallelism``),
    -> the caption of its part ("" for the root, which opens the book before any part)."""
    import yaml

    toc = yaml.safe_load((book_root() / "_toc.yml").read_text(encoding="utf-8"))
    return {toc["root"]: "", **{entry["file"]: part.get("caption", "") for part in toc.get("parts", [])
                                for entry in part.get("chapters", [])}}


def toc_files() -> list[str]:
    """Every page of ``_toc.yml`` in reading order, as its ``file``: the root, then each part's chapters."""
    return list(toc_parts())


def chapter_ids() -> list[str]:
    """Ids (file stems) of the book's chapters, in the order of ``_toc.yml``."""
    return [file.split("/", 1)[1] for file in toc_files() if file.startswith("chapters/")]


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
    """The committed notebook of ``chapter``, read once per process while the file is unchanged
    (callers only read it; a validation run reads it several times)."""
    path = book_root() / "chapters" / f"{chapter}.ipynb"
    return _read_notebook(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _read_notebook(path: Path, mtime_ns: int):
    import nbformat

    return nbformat.read(path, as_version=4)


def _code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def declared_parameters(chapter: str) -> dict:
    """A chapter's parameters and their published defaults (its ``parameters`` cell holds literals only)."""
    cell = _code_cells(_notebook(chapter))[0]
    return {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body}


MAX_SETTING_CHARS = 10_000
"""Longest ``--set`` value, characters: a list of every model's name fits many times over."""
MAX_PARAMS_BYTES = 1_000_000
"""Largest ``--params`` file, bytes (read no further: ``/dev/zero`` is refused at once)."""


def _plain_scalar(text: str):
    """An unquoted value as a person means it: true/false, null, a decimal whole number (``010``
    is ten, never octal; ``1:30`` is text, never base 60), a decimal number (``1e3``), else text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "~", ""):
        return None
    if WHOLE_NUMBER_TEXT.fullmatch(text) and len(text) <= 30:
        return int(text, 10)
    if DECIMAL_TEXT.fullmatch(text):
        return float(text)
    return text


def _typed(node, seen: set):
    """Python values of a composed YAML node: mappings, lists and :func:`_plain_scalar` values
    (quoted scalars stay text). Anchors and aliases are refused (a few bytes can stand for
    gigabytes), and so are tags' meanings: ``!!python/...`` is read as text, never run."""
    import yaml

    if id(node) in seen:
        raise InputError("anchors and aliases (&name, *name) are not accepted; write each value out")
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        return _plain_scalar(node.value) if node.style is None else node.value
    if isinstance(node, yaml.SequenceNode):
        return [_typed(item, seen) for item in node.value]
    mapping = {}
    for key_node, value_node in node.value:
        key = _typed(key_node, seen)
        if not isinstance(key, str) or key in mapping:
            raise InputError(f"each name must be a distinct word; got {key!r} " + ("twice" if key in mapping else ""))
        mapping[key] = _typed(value_node, seen)
    return mapping


def _load_values(text: str):
    """The value YAML ``text`` holds, typed by :func:`_typed`; InputError with the line on bad YAML."""
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        where = f"line {exc.problem_mark.line + 1}, column {exc.problem_mark.column + 1}: " if exc.problem_mark else ""
        raise InputError(f"{where}{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(str(exc).splitlines()[0]) from None
    except RecursionError:
        raise InputError("values are nested too deeply") from None
    if node is None:
        return None
    try:
        return _typed(node, set())
    except RecursionError:
        raise InputError("values are nested too deeply") from None


def _read_params_file(params_file) -> dict:
    """The mapping a ``--params`` YAML file holds (UTF-8, at most :data:`MAX_PARAMS_BYTES`)."""
    try:
        with open(params_file, "rb") as handle:
            raw = handle.read(MAX_PARAMS_BYTES + 1)
    except OSError as exc:
        raise InputError(f"--params: cannot read {params_file}: {exc.strerror or exc}") from None
    if len(raw) > MAX_PARAMS_BYTES:
        raise InputError(f"--params: {params_file} is larger than {MAX_PARAMS_BYTES:,} bytes; a parameters file is a few lines")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"--params: {params_file} is not UTF-8 text (byte {exc.start})") from None
    try:
        loaded = _load_values(text)
    except InputError as exc:
        raise InputError(f"--params: {params_file} {exc}") from None
    if not isinstance(loaded, dict):
        raise InputError(f"--params: {params_file} must hold a mapping of NAME: VALUE, got {type(loaded).__name__}")
    return loaded


def parse_settings(settings=(), params_file=None) -> dict:
    """Parameters from a YAML file and ``NAME=VALUE`` texts (the texts win), each value read as a
    person types it: ``0.4`` and ``1e3`` are numbers, ``010`` is ten, ``true`` a flag, ``h100``
    and ``1:30`` text, ``[a, b]`` a list; quote a value to keep it text."""
    params = _read_params_file(params_file) if params_file is not None else {}
    for text in settings:
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise InputError(f"--set expects NAME=VALUE, got {text[:60]!r}")
        if len(value) > MAX_SETTING_CHARS:
            raise InputError(f"--set {name}: the value has {len(value):,} characters, more than {MAX_SETTING_CHARS:,}")
        try:
            params[name] = _load_values(value)
        except InputError as exc:
            raise InputError(f"--set {name}: cannot read the value {value[:60]!r}: {exc}") from None
    return {name: _absolute_config(value) for name, value in params.items()}


def _absolute_config(value):
    """A ``.json`` path that exists from here made absolute, since chapters run in their own
    folders (``--set model=my/config.json``); any other value as it is."""
    if isinstance(value, str) and is_config_path(value) and Path(value).is_file():
        return str(Path(value).resolve())
    return value


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
    """Text of every value a notebook glued, by name, as the page shows it."""
    return {name: value if isinstance(value, str) else repr(value) for name, value in glued_values(nb).items()}


def _published_link(chapter: str, out: Path) -> str:
    target = PUBLISHED / "chapters" / f"{chapter}.html"
    return Path(os.path.relpath(target, out / "chapters")).as_posix()


def parameter_text(value) -> str:
    """A parameter's value as a reader writes it in ``--set``: ``h100``, ``0.4``, ``gpt-3, llama-65b``;
    ``None`` as what it means in every chapter, a value taken from the data."""
    if value is None:
        return "from the data"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return ", ".join(parameter_text(item) for item in value)
    if isinstance(value, float):
        return f"{value:g}" if "e" not in f"{value:g}" else format_number(value, "sci")
    return str(value)


def _banner(chapter: str, differences: dict, out: Path) -> str:
    """The markdown cell that opens an edition's page: what differs from the published book."""
    link = f'<a href="{html.escape(_published_link(chapter, out))}">the published page</a>'
    if not differences:
        rows = "This page uses the published book's parameters."
    else:
        rows = "| parameter | published | this edition |\n| --- | --- | --- |\n" + "\n".join(
            f"| `{name}` | {parameter_text(published)} | {parameter_text(yours)} |" for name, (published, yours) in differences.items())
    return (f":::{{admonition}} Your edition of this page\n:class: {BANNER_CLASS}\n\n"
            f"This page was re-run with `llmcost book`.\n\n{rows}\n\n"
            f"Numbers that differ from the published book are <span class=\"{CHANGED_CLASS}\">highlighted</span> "
            f"(the published value is in their tooltip). Compare with {link}.\n{STYLE}\n:::")


def _start(chapter: str, values: dict, source: Path, log: Path) -> subprocess.Popen:
    """Execute one chapter with papermill in a process of its own session (Ctrl-C in the
    terminal reaches this process alone, which then ends it); its output goes to ``log``."""
    import yaml

    command = [sys.executable, "-m", "papermill", str(book_root() / "chapters" / f"{chapter}.ipynb"),
               str(source / "chapters" / f"{chapter}.ipynb"), "-y", yaml.safe_dump(values), "--cwd", str(source / "chapters"),
               "-k", "python3", "--no-progress-bar", "--log-level", "ERROR"]
    scratch = log.parent / f"{chapter}.tmp"  # the kernel's connection file and temporary files: removed with the staging
    scratch.mkdir()
    with log.open("wb") as handle:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, "TMPDIR": str(scratch)})


def _error_line(chapter: str, source: Path, log: Path) -> str:
    """The first line of the error that stopped a chapter: from its output notebook, else its log."""
    import nbformat

    try:
        nb = nbformat.read(source / "chapters" / f"{chapter}.ipynb", as_version=4)
        for cell in _code_cells(nb):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    return f"{output.get('ename')}: {output.get('evalue', '')}".splitlines()[0]
    except (OSError, ValueError):
        pass
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return lines[-1] if lines else "papermill failed without a message"


def _stage(staging: Path, chapters: list[str], differences: dict, params: dict) -> None:
    """The book skeleton of an edition: configuration without execution, a toc of the chosen chapters."""
    import yaml

    root = book_root()
    for name in BOOK_FILES:
        source = root / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, staging / name)
    config = yaml.safe_load((staging / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["execute_notebooks"] = "off"
    config["title"] += " (your edition)"
    (staging / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    toc = {"format": "jb-book", "root": "edition",
           "chapters": [{"file": f"chapters/{c}"} for c in chapters] + [{"file": page} for page in (*FRAME_PAGES, "bibliography")]}
    (staging / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")
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


class EditionFailed(RunFailed):
    """A chapter or the HTML build of an edition failed: not bad input, and nothing was replaced."""


PROTECTED = [
    ("the repository", ROOT, ROOT / "_build"),
    ("the published build", PUBLISHED, None),
    ("the editions' chart cache", VEGA_CACHE.parent, None),
]
"""Folders an edition never writes into or replaces: (what, folder, the one folder strictly
below which it may write). An edition may go under ``_build/`` (the default is
``_build/what-if``), never over the published build or the sources."""


def _stop(processes) -> None:
    """End chapter processes and everything they started (their kernels run in sessions of
    their own): SIGTERM, then SIGKILL after 3 s."""
    import psutil

    tree = []
    for process in processes:
        try:
            parent = psutil.Process(process.pid)
            tree += [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    for process in tree:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(tree, timeout=3)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    for process in processes:
        process.wait()


def _run_chapters(chosen: list[str], params: dict, values: dict, source: Path, jobs: int) -> dict[str, str]:
    """Execute the chosen chapters into ``source/chapters``, ``jobs`` at a time; returns the
    first error line of the chapter that failed (the others are then ended: nothing is written).
    On any exception (Ctrl-C included) every chapter process is ended before it propagates."""
    from tqdm.auto import tqdm

    pending, running, failures = list(chosen), {}, {}
    logs = source.parent / "logs"
    logs.mkdir(exist_ok=True)
    overall = tqdm(total=len(chosen), desc="llmcost book", unit="chapter", leave=True)
    try:
        while pending or running:
            while pending and len(running) < jobs and not failures:
                chapter = pending.pop(0)
                chosen_values = {k: v for k, v in params.items() if k in values[chapter]}
                running[chapter] = _start(chapter, chosen_values, source, logs / f"{chapter}.log")
            for chapter, process in list(running.items()):
                if process.poll() is not None:
                    del running[chapter]
                    if process.returncode != 0:
                        failures[chapter] = _error_line(chapter, source, logs / f"{chapter}.log")
                        pending.clear()  # nothing will be written: end the others too
                        _stop(list(running.values()))
                        running.clear()
                    overall.update(1)
            time.sleep(0.05)
    except BaseException:
        _stop(list(running.values()))
        raise
    finally:
        overall.close()
    return failures


def _insert_banners(chosen: list[str], source: Path, differences: dict, out: Path) -> dict:
    """Open each executed chapter with its banner; returns, per chapter, the glued texts that
    changed (name -> (published, yours)) and, under ``_unchanged``, the texts that did not."""
    import nbformat

    changes = {}
    for chapter in chosen:
        path = source / "chapters" / f"{chapter}.ipynb"
        nb = nbformat.read(path, as_version=4)
        published, yours = _glued(_notebook(chapter)), _glued(nb)
        changes[chapter] = {k: (published[k], v) for k, v in yours.items() if k in published and published[k] != v}
        changes[chapter]["_unchanged"] = {v for k, v in yours.items() if published.get(k) == v}
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(_banner(chapter, differences[chapter], out)))
        nbformat.write(nb, path)
    return changes


def _build_html(source: Path) -> Path:
    """Render the staged book in ``source`` to HTML; returns its folder."""
    build = subprocess.run([_jupyter_book(), "build", str(source), "--builder", "html", "--keep-going"],
                           capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": "0", "LLMCOST_VEGA_CACHE": str(VEGA_CACHE)})
    html_dir = source / "_build" / "html"
    if build.returncode != 0 or not (html_dir / "index.html").is_file():
        raise EditionFailed(f"the edition's HTML build failed: {(build.stdout + build.stderr).strip().splitlines()[-1]}")
    return html_dir


def edition(params: dict | None = None, chapters=None, out=None, jobs: int | None = None) -> Path:
    """Re-run ``chapters`` (ids or numbers; all if None) with ``params`` and render them into ``out``.

    params: parameter name -> value, set in every chosen chapter that declares the name.
    out: output folder (default ``_build/what-if``): new, empty, or written by an earlier
    edition, which it replaces only once the new one is complete (see :mod:`llmcost.folders`).
    jobs: chapters run at once (default: the number of cores). Returns ``out``; its
    ``index.html`` opens the edition. Raises InputError for bad input before anything runs, and
    EditionFailed, leaving ``out`` as it was, when a chapter or the build fails.
    """
    params = dict(params or {})
    chosen = select_chapters(chapters)
    values = check_parameters(params, chosen)
    out = check_target(out or DEFAULT_OUT, "--out", PROTECTED)
    jobs = int(jobs or os.cpu_count() or 1)
    if jobs < 1:
        raise InputError(f"--jobs must be a whole number >= 1, got {jobs}")
    differences = {c: {k: (d, values[c][k]) for k, d in declared_parameters(c).items() if values[c][k] != d} for c in chosen}

    with staging_beside(out) as staging:
        source = staging / "book"
        (source / "chapters").mkdir(parents=True)
        _stage(source, chosen, differences, params)
        failures = _run_chapters(chosen, params, values, source, jobs)
        if failures:
            first = next(iter(failures))
            raise EditionFailed(f"chapter {first} failed: {failures[first]}; nothing was written ({out} is as it was)")
        changes = _insert_banners(chosen, source, differences, out)
        html_dir = _build_html(source)
        for chapter in chosen:
            unchanged = changes[chapter].pop("_unchanged")
            _mark_changes(html_dir / "chapters" / f"{chapter}.html", changes[chapter], unchanged)
            _link_left_out_chapters(html_dir / "chapters" / f"{chapter}.html", set(chosen), out)
        move_into_place(html_dir, out, staging)
    return out
