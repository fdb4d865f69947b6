"""Helpers for the book's chapters: numbers quoted in prose come from code, never by hand.

A chapter computes a value with ``llmcost`` and glues it under a name; its prose quotes it
with the MyST role ``{glue:text}`name```. :func:`glue_number` formats the value in code so that
the prose carries no format spec and nbval compares exactly the text a reader sees.

Committed outputs are nbval's baseline, so they must be the same on every CPU. The last bits of
a float are not: numpy's SIMD kernels (AVX-512, AVX2, SSE) and OpenBLAS's kernel choice differ
between machines by up to about 1e-13 relative. This module is the one place that rounds what
outputs carry: :func:`format_number` and :func:`table` first drop a float's digits beyond
:data:`DENOISE_DIGITS`, and ``llmcost.charts`` rounds the data embedded in a chart to
:data:`CHART_DIGITS` (:func:`round_floats`).

``myst_nb`` is imported lazily, so ``import llmcost`` (the CLI) never loads it.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from ..catalog import datasets


DENOISE_DIGITS = 12
"""Significant digits a float keeps before it is formatted: far above what any output shows, far
below the ~16 digits whose last ones depend on the CPU, so a value on a rounding boundary
formats the same everywhere."""

CHART_DIGITS = 7
"""Significant digits of every float embedded in a chart. A reader sees at most four; seven keep
a change of one part in a million visible to the nbval regression (it moves the seventh digit),
while CPU noise (~1e-13 relative) changes a rounded value with odds of about one in a million."""


def round_significant(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant digits (decimal, via its ``%g`` text)."""
    return float(f"{value:.{digits}g}")


def round_floats(obj, digits: int):
    """A copy of a JSON-like ``obj`` (dicts, lists, numbers, strings) with every float rounded.

    ints and bools are left alone; non-finite floats are rejected, since JSON cannot carry them.
    """
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"cannot embed a non-finite number: {obj!r}")
        return round_significant(obj, digits)
    if isinstance(obj, dict):
        return {key: round_floats(item, digits) for key, item in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [round_floats(item, digits) for item in obj]
    return obj


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")
_SCALE_WORDS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def _scientific(number: float) -> str:
    mantissa, exponent = f"{number:.2e}".split("e")
    return mantissa if int(exponent) == 0 else f"{mantissa} \u00d7 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def _words(number: float) -> str:
    for scale, word in _SCALE_WORDS:
        if abs(number) >= scale:
            return f"{number / scale:.3g} {word}"
    return format_number(number, "sig3")


def format_number(value, fmt: str = ",.3g", unit: str = "") -> str:
    """Text of a number for prose and labels, plus an optional unit after a space.

    fmt: a format spec of the mini-language (``",.0f"``, ``".3g"``, ``".1%"``, ...), or
    ``"sci"`` (3 significant digits, ``3.15 × 10²³``), ``"words"`` (``175 billion``) or
    ``"auto"`` (4 significant digits from 0.001 to 1,000, whole numbers with thousands separators up to a
    million, ``"sci"`` outside: never ``e+``) or ``"sig3"`` (3 significant digits, thousands separators:
    ``1,210,000``, ``892``, ``0.0124``; ``"sci"`` from 10¹⁵) or ``"sig3%"`` (a fraction as a percentage
    of 3 significant digits: ``100%``, ``58%``, ``0.139%``).
    Rejects NaN and infinities.
    """
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"cannot quote a non-finite number: {value!r}")
    number = round_significant(number, DENOISE_DIGITS)
    if fmt == "auto":
        size = abs(round_significant(number, 4))
        fmt = ",.0f" if 1e3 <= size < 1e6 else ",.4g" if size == 0 or 1e-3 <= size < 1e3 else "sci"
    if fmt == "sig3%":
        percent = round_significant(number * 100, 3)
        text = format(percent, ",.0f" if abs(percent) >= 100 else ".3g") + "%"
        return f"{text} {unit}" if unit else text
    if fmt == "sig3":
        number = round_significant(number, 3)
        fmt = "sci" if abs(number) >= 1e15 else ",.0f" if abs(number) >= 100 else ".3g"
    if fmt == "sci":
        text = _scientific(number)
    elif fmt == "words":
        text = _words(number)
    else:
        text = format(number, fmt)
    return f"{text} {unit}" if unit else text


def number_texts(frame, formats: dict):
    """``frame`` (a DataFrame) with a column ``<column>_text`` for each ``column: fmt`` of
    ``formats``: its numbers as :func:`format_number` writes them, for a chart's tooltip (d3's
    formats write 3.15e+23 where the text writes 3.15 × 10²³)."""
    return frame.assign(**{f"{column}_text": [format_number(v, fmt) for v in frame[column]] for column, fmt in formats.items()})


def significant_digits(value) -> int:
    """The significant digits a number was written with (``3072`` 4, ``606700`` 4, ``1.5e22`` 2)."""
    mantissa = f"{abs(float(value)):.15g}".split("e")[0].replace(".", "").lstrip("0")
    return max(1, len(mantissa.rstrip("0")))


def _with_digits(value: float, digits: int) -> str:
    number = round_significant(float(value), digits)
    if abs(number) >= 1e15:
        return format_number(number, "sci")
    if abs(number) >= 1e9:
        return format_number(number, "words")
    return f"{number:,.0f}" if number == int(number) else f"{number:,.{digits}g}"


def format_like(value, reference) -> str:
    """``value`` beside the figure ``reference`` it checks: with ``reference``'s significant digits
    (3 to 8) when it agrees with it to those digits, so that agreement reads as agreement (``3,072``
    beside 3,072, not ``3,070``), else to 3. From a billion on in words (``277 billion``), from 10^15
    in powers of ten."""
    digits = min(8, max(3, significant_digits(reference)))
    text = _with_digits(value, digits)
    return text if text == _with_digits(reference, digits) else _with_digits(value, 3)


def hours_text(hours, hours_from: str) -> str:
    """Accelerator-hours as a reader should read them: a published count with all its digits, a
    computed one (``hours_from`` other than ``"published"``) to 3 significant figures."""
    return format_number(hours, ",.0f" if hours_from == "published" else "sig3")


def price_text(usd, per: str, date: str | None, fmt: str = ",.2f") -> str:
    """A price as the book prints it, with the date it was quoted: ``"1.84 USD per GPU-hour (as of
    2024-12)"``. ``date`` None: a price that no dated quote has (a reader's own), said so."""
    when = f"as of {date}" if date else "a price set for this edition, not a dated quote"
    return f"{format_number(usd, fmt)} USD per {per} ({when})"


def dated_price(usd, per: str = "GPU-hour", accelerator: str | None = None, fmt: str = ",.2f") -> str:
    """:func:`price_text` of a price per accelerator-hour, dated by the newest quote of the
    dataset at that price (:func:`llmcost.market.quote_date`; of ``accelerator`` if given)."""
    from ..analysis.market import quote_date

    return price_text(usd, per, quote_date(usd, accelerator), fmt)


def glue_number(name: str, value, fmt: str = ",.3g", unit: str = "") -> None:
    """Glue ``value`` formatted with ``fmt`` (and ``unit``) under ``name``.

    In prose: ``{glue:text}`name```. The glued object is a ``str``, so MyST-NB pastes it without
    quotes and papermill/scrapbook readers get the same text back. Returns ``None`` so that a
    call ending a cell prints nothing; use :func:`format_number` for the text itself.
    """
    from myst_nb import glue

    glue(name, format_number(value, fmt, unit), display=False)


def glued_values(nb) -> dict:
    """Every value an executed notebook (an ``nbformat`` node) glued, by name, later glues winning:
    the text/plain that ``glue`` stored (under scrapbook's ``application/papermill.record/``)
    read as a Python literal, else the text itself. A string glued by :func:`glue_number` comes
    back as that string."""
    import ast

    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook", {})
            if record.get("name"):
                data = output.get("data", {})
                text = data.get(f"{record.get('mime_prefix', '')}text/plain", data.get("text/plain", ""))
                try:
                    values[record["name"]] = ast.literal_eval(text)
                except (SyntaxError, ValueError):
                    values[record["name"]] = text
    return values


def glue_all(values: dict) -> None:
    """Glue every entry of ``values``, in order: name -> text (a ``str``, glued as it is) or name ->
    ``(value, fmt)`` / ``(value, fmt, unit)`` (formatted by :func:`glue_number`). One call glues a
    chapter's worked example, so that a cell holds the computation's call, not a list of glues. A
    text that is a dataset id is glued as the name a reader knows ("gpt-3" -> "GPT-3 175B")."""
    from myst_nb import glue

    for name, entry in values.items():
        if isinstance(entry, str):
            glue(name, _reader_names([entry])[0], display=False)
        elif isinstance(entry, tuple) and len(entry) in (2, 3):
            glue_number(name, *entry)
        else:
            raise TypeError(f"glue_all: {name} must be a text or (value, fmt[, unit]), got {entry!r}")


BIBTEX_KEY = r"[A-Za-z][A-Za-z0-9_:\-]*\d{4}[A-Za-z0-9_:\-]*"
"""What a BibTeX key of ``references.bib`` looks like (``touvron2023llama``); the source
documents' keys (``seed000``) are matched apart."""

CITATION_COLUMNS = ("source", "sources", "input_sources")
"""Table columns whose BibTeX keys :func:`table` writes as short citations ("Rae et al. 2021")."""


@functools.lru_cache(maxsize=1)
def _short_citations() -> dict:
    """BibTeX key -> "Author et al. Year" (or the organization's name) for every entry of ``references.bib``;
    the year carries the entry's ``yearsuffix`` (2024a) where two sources share author and year."""
    from pybtex.database import parse_file

    from ..catalog.datasets import bibliography_path

    path = bibliography_path()
    if path is None:
        return {}
    short = {}
    for key, entry in parse_file(str(path)).entries.items():
        people = entry.persons.get("author", [])
        names = [" ".join(person.last_names).replace("{", "").replace("}", "") for person in people]
        who = names[0] + (" et al." if len(names) > 2 else f" and {names[1]}" if len(names) == 2 else "") if names else key
        short[key] = f"{who} {entry.fields.get('year', '')}{entry.fields.get('yearsuffix', '')}".strip()
        if re.fullmatch(r"seed\d{3}", key):
            short[key] = f"seed {key[4:]}"  # the source documents, as the book names them
    return short


def cite_text(text: str) -> str:
    """``text`` with each BibTeX key of ``references.bib`` in it replaced by its short citation."""
    citations = _short_citations()
    return re.sub(rf"{BIBTEX_KEY}|\bseed\d{{3}}\b", lambda m: citations.get(m.group(0), m.group(0)), str(text))


def table(frame, formats: dict | None = None, columns: dict | None = None):
    """A display copy of ``frame`` for a chapter: every cell as reader text, first column as index.

    formats: column -> format accepted by :func:`format_number`; float columns without one take
    ``"auto"`` (no ``e+`` notation). Missing values show as "—", booleans as "✓" or nothing, and
    the BibTeX keys of a :data:`CITATION_COLUMNS` column as short citations (:func:`cite_text`); a
    dataset id (a model's or an accelerator's) shows as its name (:func:`_reader_names`).
    columns: column -> header to show (e.g. with its unit); columns not named keep their name.
    The result is a plain DataFrame, whose HTML is the same on every run (pandas' Styler is not:
    it embeds a random id), so nbval can compare it.
    """
    shown = frame.copy()
    formats = dict(formats or {})
    for column in shown.columns:
        if column not in formats and shown[column].dtype.kind == "f":
            formats[column] = "auto"
    for column in shown.columns:
        fmt = formats.get(column)
        shown[column] = [_cell(value, fmt) for value in _reader_names(list(shown[column]))]
        if column in CITATION_COLUMNS:
            shown[column] = [cite_text(value) if isinstance(value, str) else value for value in shown[column]]
    shown = shown.rename(columns=columns or {})
    _show_whole_cells()
    first = shown.columns[0]
    shown = shown.set_index(first)
    # The first column's header goes in the header row's corner, not on a row of its own.
    shown.index.name, shown.columns.name = None, first
    return shown


@functools.lru_cache(maxsize=1)
def _dataset_names() -> dict:
    """Every model and accelerator id of the datasets -> its name (read once; cleared with the datasets)."""
    return {**{ident: datasets.accelerator_by_id(ident)["name"] for ident in datasets.accelerator_ids()},
            **{ident: datasets.model_by_id(ident)["name"] for ident in datasets.model_ids()}}


datasets.ON_CLEAR.append(_dataset_names.cache_clear)


@functools.lru_cache(maxsize=1)
def _dataset_makers() -> dict:
    """Every model and accelerator id of the datasets -> its maker (vendor, organization), read once."""
    return {**{ident: datasets.accelerator_by_id(ident).get("vendor") or "" for ident in datasets.accelerator_ids()},
            **{ident: datasets.model_by_id(ident).get("organization") or "" for ident in datasets.model_ids()}}


datasets.ON_CLEAR.append(_dataset_makers.cache_clear)


def short_name(ident: str) -> str:
    """A model's or accelerator's name without its maker, for a chart label: "LLaMA 65B" for
    ``llama-65b`` (Meta LLaMA 65B), "A100 80GB SXM4" for ``a100-80gb-sxm``; an unknown id as it is."""
    name, maker = _dataset_names().get(ident, ident), _dataset_makers().get(ident, "")
    for prefix in (maker, maker.split(" ")[0]) if maker else ():
        if name.startswith(prefix + " "):
            return name[len(prefix) + 1:]
    return name


def short_names(values) -> list:
    """:func:`short_name` of each id of ``values``."""
    return [short_name(value) for value in values]


def _reader_names(values: list) -> list:
    """``values`` with each dataset id, alone or in a comma-separated list, replaced by the name a
    reader knows ("gpt-3" -> "GPT-3 175B", "h100-sxm, h800-sxm" -> "NVIDIA H100 SXM5 80GB, NVIDIA H800
    SXM5 80GB"); other values unchanged."""
    names = _dataset_names()

    def named(value):
        if not isinstance(value, str):
            return value
        parts = value.split(", ")
        return ", ".join(names[part] for part in parts) if all(part in names for part in parts) else value

    return [named(value) for value in values]


NUMBER_CELL_CLASS = "llmcost-num"
"""Class of a table cell that holds only a number, a range, a date or "—": the book's CSS never
breaks it and aligns it right."""

NO_BREAK_CLASS = "llmcost-nobreak"
"""Class of a ``span`` around a number inside a text cell (``3.15 × 10²³``, ``25–283``), which
the book's CSS keeps on one line while the words around it wrap."""

_NUMBER = r"[-\u2212+]?[$]?[\d.,]*\d(?:\s*\u00d7\s*10[\u2070\u00b9\u00b2\u00b3\u2074-\u2079\u207b]+)?(?:\s?%)?"
_RANGE = rf"{_NUMBER}(?:\s*\u2013\s*{_NUMBER})?"
_NUMBER_CELL = re.compile(rf"<td>(\s*(?:\u2014|\d{{4}}-\d{{2}}(?:-\d{{2}})?|{_RANGE})\s*)</td>")
_TEXT_CELL = re.compile(r"<td>([^<]*)</td>")
_BREAKABLE_NUMBER = re.compile(rf"(?<![\w.,]){_RANGE}(?![\w])")


def _protect_numbers(match: re.Match) -> str:
    """A text cell with each number that holds a space or a dash wrapped in a no-break span."""
    def wrap(number: re.Match) -> str:
        text = number.group(0)
        return f'<span class="{NO_BREAK_CLASS}">{text}</span>' if re.search(r"[\s\u2013]", text) else text

    return f"<td>{_BREAKABLE_NUMBER.sub(wrap, match.group(1))}</td>"


def mark_number_cells(page: str) -> str:
    """The HTML ``page`` with each table cell that is only a number (``1,979``, ``46.2%``,
    ``3.15 × 10²³``), a range (``1,231–14,119``), a date (``2024-12``) or "—" given the class
    :data:`NUMBER_CELL_CLASS`, and each number with a space or a dash inside a text cell
    (``30 (25–283)``, ``at 50 % utilization``) wrapped in a :data:`NO_BREAK_CLASS` span."""
    page = _NUMBER_CELL.sub(rf'<td class="{NUMBER_CELL_CLASS}">\1</td>', page)
    return _TEXT_CELL.sub(_protect_numbers, page)


@functools.lru_cache(maxsize=None)
def _show_whole_cells() -> None:
    """Let pandas display every character and row of a chapter's tables (its defaults cut cells
    at 50 characters with "..." and tables at 60 rows): set once per process, when the first
    table is made (the options must hold when the kernel displays it, after :func:`table`)."""
    import pandas as pd

    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", None)


def _cell(value, fmt):
    """One table cell as text: a formatted number, "—" for a missing value, "✓" or "" for a flag."""
    if isinstance(value, (bool, np.bool_)):
        return "\u2713" if value else ""
    if value is None or (isinstance(value, float) and value != value):
        return "\u2014"
    if fmt is None and isinstance(value, (float, np.floating)):
        fmt = "auto"  # a float in a column of mixed types
    if fmt is not None:
        return format_number(value, fmt)
    return value

