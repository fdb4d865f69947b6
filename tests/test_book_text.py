"""What a reader sees in the built book: no raw program output in the text of any page.

Scans the HTML of every page of the toc (without its code, scripts and chart SVG) for the
defects a reader should never meet: NaN, a True/False cell, a numpy array repr, a number in
e-notation, a bare BibTeX key, a table cell cut with "...", money typeset as math, a program's
field name (``power_from``) as a table header or cell, and a URL shortened to ``owner/repo``.
Checks too that every chart is a numbered figure and every table a numbered table, each
referred to from the prose.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

import pytest
from test_book_browser import toc_pages

from llmcost import datasets, stages
from llmcost.book import BIBTEX_KEY, tables

HIDDEN = re.compile(r"<(script|style|svg|pre|code)\b[\s\S]*?</\1>")
MATH = re.compile(r'<span class="math[^"]*">([\s\S]*?)</span>')


def _reader_text(page: str) -> tuple[str, str]:
    """The page's HTML without code, scripts and SVG, and the same as plain text."""
    body = HIDDEN.sub(" ", page)
    body = re.sub(r'<div class="highlight[\s\S]*?</div>', " ", body)
    return body, re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", MATH.sub(" ", body))))


def defects(page: str, keys: frozenset[str]) -> dict[str, list[str]]:
    """Each kind of defect -> the offending snippets of one page's HTML."""
    body, text = _reader_text(page)
    found = {
        "NaN": re.findall(r"\bNaN\b|\bnan\b", text),
        "True/False cell": re.findall(r"<td>\s*(?:True|False)\s*</td>", body),
        "array repr": re.findall(r"array\(", text),
        "e-notation": re.findall(r"\b\d+(?:\.\d+)?e[+-]?\d+\b", text),
        "bare BibTeX key": [w for w in re.findall(BIBTEX_KEY, text) if w in keys],
        "cut cell": re.findall(r"<td>[^<]*(?:\.\.\.|…)</td>", body),
        "field name as header or cell": re.findall(r"<t[hd][^>]*>\s*([a-z0-9]+_[a-z0-9_]+)\s*</t[hd]>", body),
        "shortened URL": re.findall(r"URL: <a [^>]*>(?!https?://)([^<]*)</a>", body),
        "money as math": [m for m in MATH.findall(body) if re.search(r"\d,\d{3}", m)
                          or re.search(r"(?<!\\)\b[a-z]{4,}\b", re.sub(r"\\[A-Za-z]+(\{[^}]*\})?|[_^]\{[^}]*\}", " ", m))],
    }
    return {kind: hits for kind, hits in found.items() if hits}


def test_a_defect_is_found():
    """The scan finds each kind of defect it looks for (so an empty result means something)."""
    assert defects("<p>7.933e12 tokens</p>", frozenset()) == {"e-notation": ["7.933e12"]}
    sample = ('<p>x NaN y 3.1e+23 array([1]) kaplan2020scaling <span class="math notranslate">\\(10,000 each\\)</span></p>'
              "<table><tr><th>power_from</th></tr><tr><td>True</td><td>long text...</td></tr></table>"
              '<p>URL: <a class="github reference external" href="https://github.com/a/b/tree/c">a/b</a></p>')
    assert set(defects(sample, frozenset({"kaplan2020scaling"}))) == {
        "NaN", "True/False cell", "array repr", "e-notation", "bare BibTeX key", "cut cell", "money as math",
        "field name as header or cell", "shortened URL"}
    assert defects('<p>3.15 × 10²³ FLOP <span class="math">\\(d_\\text{model} + d_{model}\\)</span></p>', frozenset()) == {}


@pytest.mark.parametrize("page", toc_pages())
def test_pages_show_reader_text_only(book_html: Path, page: str):
    found = defects((book_html / page).read_text(encoding="utf-8"), datasets._bib_keys() or frozenset())
    assert not found, f"{page}: " + "; ".join(f"{kind}: {hits[:3]}" for kind, hits in found.items())


def test_intro_opens_with_key_findings_that_link_to_their_pages(book_html: Path):
    page = (book_html / "chapters" / "00_intro.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="key-findings">([\s\S]*?)</section>', page)
    assert section, "the intro has no Key findings section"
    items = re.findall(r"<li>([\s\S]*?)</li>", section.group(1))
    assert len(items) >= 8
    for item in items:
        links = re.findall(r'href="([^"#]+\.html)', item)
        assert links, f"a key finding links to no page: {html.unescape(re.sub('<[^>]+>', '', item))[:80]}"
        assert all((book_html / "chapters" / link).is_file() for link in links), links
        assert re.search(r'class="pasted-text"', item), "a key finding quotes no computed number"
    assert page.index("key-findings") < page.index('id="overview"')


@pytest.mark.parametrize("page", [p for p in toc_pages() if p.startswith("chapters/") and not p.endswith("00_intro.html")])
def test_each_chapter_opens_with_its_contents_and_ends_with_takeaways(book_html: Path, page: str):
    text = (book_html / page).read_text(encoding="utf-8")
    assert "In this chapter" in text, f"{page}: no 'In this chapter' box"
    assert text.index("In this chapter") < text.index("Parameters of this page"), f"{page}: contents box after the parameters"
    assert 'id="summary"' in text, f"{page}: no Summary section"


@pytest.mark.parametrize("page", [p for p in toc_pages() if p.startswith("chapters/")])
def test_parameters_are_folded_with_a_caption(book_html: Path, page: str):
    text = (book_html / page).read_text(encoding="utf-8")
    assert "Parameters of this page (re-run it with your own: llmcost book or papermill)" in text, page


@pytest.mark.parametrize("page", [p for p in toc_pages() if p.startswith("chapters/")])
def test_every_chart_is_a_numbered_figure_the_prose_refers_to(book_html: Path, page: str):
    text = (book_html / page).read_text(encoding="utf-8")
    charts = text.count('<div class="llmcost-chart"')
    figures = re.findall(r'<figure[^>]*id="(fig-[0-9]+-[0-9]+)"', text)
    assert len(figures) == charts, f"{page}: {charts} charts, {len(figures)} figures"
    numbers = re.findall(r'<span class="caption-number">Fig\. ([0-9.]+)', text)
    assert len(numbers) == len(figures), f"{page}: a figure has no number"
    for name in figures:
        assert f'href="#{name}"' in text, f"{page}: nothing in the text refers to {name}"


DATA_TABLE = re.compile(r'<table[^>]*class="dataframe')


def numbered_tables(text: str) -> list[tuple[str, str, int]]:
    """(name, number, tables inside) of each numbered table of a page: a cell's output table
    (``div.llmcost-table``) or a Markdown table in a ``{table}`` directive."""
    found = []
    for match in re.finditer(r'<div class="llmcost-table" id="(tbl-[\w-]+)">', text):
        inside = text[match.end():text.find("</table>", match.end())]
        number = re.search(r'<span class="caption-number">Table ([0-9.]+) </span>', inside)
        found.append((match.group(1), number.group(1) if number else "", len(DATA_TABLE.findall(inside))))
    for match in re.finditer(r'<table[^>]*id="(tbl-[\w-]+)"[^>]*>\s*<caption>\s*<span class="caption-number">Table ([0-9.]+) </span>', text):
        found.append((match.group(1), match.group(2), 1))
    return found


def test_numbered_tables_are_found():
    """Numbered tables of both kinds are found with their numbers; a table outside one is not."""
    page = ('<div class="llmcost-table" id="tbl-05-1"><p><span class="caption-number">Table 5.1 </span>'
            '<span class="caption-text">x</span></p><table border="1" class="dataframe"></table></div><table class="dataframe"></table>'
            '<table class="table" id="tbl-07-inputs">\n<caption><span class="caption-number">Table 7.1 </span></caption></table>')
    assert numbered_tables(page) == [("tbl-05-1", "5.1", 1), ("tbl-07-inputs", "7.1", 1)]


@pytest.mark.parametrize("page", [p for p in toc_pages() if p.startswith("chapters/")])
def test_every_table_is_a_numbered_table_the_prose_refers_to(book_html: Path, page: str):
    text = (book_html / page).read_text(encoding="utf-8")
    tables, all_tables = numbered_tables(text), text.count("<table")
    assert len(tables) == all_tables, f"{page}: {all_tables} tables, {len(tables)} numbered"
    for name, number, inside in tables:
        assert number and inside == 1, f"{page}: {name} has number {number!r} and {inside} tables"
        assert f'href="#{name}"' in text, f"{page}: nothing in the text refers to {name}"


@pytest.mark.parametrize("page", [p for p in toc_pages() if p.startswith("chapters/")])
def test_each_chapter_links_its_terms_to_the_glossary(book_html: Path, page: str):
    text = (book_html / page).read_text(encoding="utf-8")
    assert re.search(r'href="[^"]*glossary\.html#term-', text), f"{page}: no term linked to the glossary"


def test_a_newcomer_finds_the_sources_the_install_and_the_terms(book_html: Path):
    """Issue 21: a Start-here page names the five source documents, what to read first and how to
    install and re-run; the glossary's terms fill the index; the introduction points to both."""
    page = (book_html / "start_here.html").read_text(encoding="utf-8")
    _, start = _reader_text(page)
    assert all(f"seed 00{n}" in start for n in range(5)) and "What to read first" in start
    assert "Python 3.11, 3.12 or 3.13" in start
    assert "scripts/build_book.sh" in page and "llmcost book --set" in html.unescape(re.sub(r"<[^>]+>", "", page))
    index = (book_html / "genindex.html").read_text(encoding="utf-8")
    assert index.count("glossary.html#term-") >= 25, "the index lists the glossary's terms"
    intro = (book_html / "chapters" / "00_intro.html").read_text(encoding="utf-8")
    assert 'href="../start_here.html"' in intro and 'href="../glossary.html"' in intro


CHART_TEXT = re.compile(r"<text[^>]*>([^<]*)</text>")
E_NOTATION = re.compile(r"\d(?:\.\d+)?e[+\-\u2212]?\d")


def chart_e_notation(page: str) -> list[str]:
    """The texts of a page's static chart pictures written in e-notation (an axis label such as 1e+22)."""
    return [text for svg in re.findall(r'<div class="llmcost-chart-static">([\s\S]*?)</div>', page)
            for text in CHART_TEXT.findall(svg) if E_NOTATION.search(text)]


def test_an_e_notation_axis_is_found():
    assert chart_e_notation('<div class="llmcost-chart-static"><svg><text x="1">1e+22</text><text>10²²</text></svg></div>') == ["1e+22"]


@pytest.mark.parametrize("page", toc_pages())
def test_chart_axes_write_numbers_as_the_text_does(book_html: Path, page: str):
    """Issue 21: a log axis labels its powers of ten 10²², as the prose does, never 1e+22."""
    found = chart_e_notation((book_html / page).read_text(encoding="utf-8"))
    assert not found, f"{page}: {found[:5]}"


CITATION_LINK = re.compile(r'<a class="reference internal" href="[^"]*bibliography\.html#([^"]+)"[^>]*>(.*?)</a>', re.S)


def colliding_citations(pages: dict[str, str]) -> dict[str, set[str]]:
    """Citation texts ("NVIDIA, 2024") that link to more than one bibliography entry, over ``pages``
    (name -> HTML), with the entries' anchors."""
    targets: dict[str, set[str]] = {}
    for page in pages.values():
        for anchor, inner in CITATION_LINK.findall(page):
            text = html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()
            if re.search(r"\D, \d{4}[a-z]?$", text):  # an author-year citation, not a bare year of a textual one
                targets.setdefault(text, set()).add(anchor)
    return {text: anchors for text, anchors in targets.items() if len(anchors) > 1}


def test_colliding_citations_are_found():
    page = ('<a class="reference internal" href="../bibliography.html#id1">Touvron <em>et al.</em>, 2023</a>'
            '<a class="reference internal" href="../bibliography.html#id2">Touvron <em>et al.</em>, 2023</a>')
    assert colliding_citations({"p": page}) == {"Touvron et al., 2023": {"id1", "id2"}}


def test_a_citation_names_one_source(book_html: Path):
    """Issue 21: two sources with the same authors and year are told apart (2024a, 2024b)."""
    pages = {page: (book_html / page).read_text(encoding="utf-8") for page in toc_pages()}
    assert not colliding_citations(pages)


def id_cells(page: str, ids: frozenset[str]) -> list[str]:
    """Table cells (data or header) of a page whose whole text is a dataset id (``gpt-3``, ``a100-80gb-sxm``)."""
    return [cell for cell in re.findall(r"<t[hd][^>]*>\s*([^<]*?)\s*</t[hd]>", page) if cell in ids]


def _dataset_ids() -> frozenset[str]:
    return frozenset(datasets.model_ids()) | frozenset(datasets.accelerator_ids())


def test_an_id_cell_is_found():
    assert id_cells("<table><tr><th>gpt-3</th><td>Meta OPT-175B</td><td> a100-80gb-sxm </td></tr></table>",
                    frozenset({"gpt-3", "a100-80gb-sxm"})) == ["gpt-3", "a100-80gb-sxm"]


@pytest.mark.parametrize("page", toc_pages())
def test_tables_name_models_and_accelerators_as_a_reader_knows_them(book_html: Path, page: str):
    """Issue 21: a table row or cell shows "GPT-3 175B", not the dataset's id "gpt-3"."""
    found = id_cells((book_html / page).read_text(encoding="utf-8"), _dataset_ids())
    assert not found, f"{page}: {sorted(set(found))[:10]}"


NUMBER = re.compile(r"(?<![\w.,\-/])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)(?![\w.]|,\d)")
"""A number as the book writes it: with thousands separators or a decimal point (a bare integer
such as a token id or a year is not a quantity the scan judges)."""

MEANINGFUL = {
    "chapters/01_how_training_works.html": (re.compile(r"0\.\d{8}|1\.000000"),
                                            "the toy network's values, compared with seed 000's printout to 8 decimals"),
    "chapters/05_gpu_days_cost.html": (re.compile(r"1,558\.05"), "the deck's GPU count before it truncates it to 1,558"),
}
"""Page -> (numbers whose digits are the point, why): the only exceptions to three significant figures."""


def _significant_digits(number: str) -> int:
    whole, _, fraction = number.replace(",", "").partition(".")
    if not fraction:
        return len(whole.strip("0"))
    return len((whole + fraction).lstrip("0")) if whole.strip("0") else len(fraction.lstrip("0"))


PUBLISHED_CONSTANTS = (stages.INSTRUCTGPT, stages.DEEPSEEK_R1_ZERO)
"""The library's constants that hold published figures (each cited in its docstring)."""


@functools.lru_cache(maxsize=1)
def published_values() -> frozenset[float]:
    """Every number written in the package's datasets or its published constants
    (:data:`PUBLISHED_CONSTANTS`): a published figure may be shown with all its digits."""
    values = {round(float(v), 9) for constants in PUBLISHED_CONSTANTS for v in constants.values() if isinstance(v, (int, float))}
    for path in datasets.DATA_DIR.glob("*.csv"):
        for token in re.findall(r"\d[\d,]*\.?\d*(?:[eE][+-]?\d+)?", path.read_text(encoding="utf-8")):
            try:
                values.add(round(float(token.replace(",", "")), 9))
            except ValueError:
                continue
    return frozenset(values)


def false_precision(text: str, published: frozenset[float], meaningful: re.Pattern | None = None) -> list[str]:
    """Numbers of a page's reader text shown with more digits than they carry: five or more
    significant digits of a computed value, four of a percentage (published figures keep theirs), a
    whole number written with ".0"."""
    found = []
    for match in NUMBER.finditer(text):
        number, after = match[1], text[match.end():match.end() + 8]
        if re.match(r"\s*×\s*10", after) or re.search(r"(?:\bv|versions? |version [\d.]+ to )$", text[max(0, match.start() - 20):match.start()]):
            continue  # a mantissa of 3.15 × 10²³, a software version
        if meaningful is not None and meaningful.fullmatch(number):
            continue
        percent = after.lstrip().startswith("%")
        digits = _significant_digits(number)
        if (re.fullmatch(r"[\d,]*\d\.0", number) and not percent
                or digits >= (4 if percent else 5) and round(float(number.replace(",", "")), 9) not in published):
            found.append(text[max(0, match.start() - 30):match.end() + 15])
    return found


def test_false_precision_is_found():
    """Issue 21: each kind is caught, published figures and sci mantissas are not."""
    published = frozenset({809472.0})
    text = "costs 1,214,064 USD, 35.0 accelerators, 100.000% of it; OPT took 809,472 hours; 3.15 × 10²³; v1.0; 0.55 and 46.2%"
    found = false_precision(text, published)
    assert len(found) == 3 and all(number in hit for number, hit in zip(["1,214,064", "35.0", "100.000"], found))
    assert false_precision("outputs 0.78438035", published, re.compile(r"0\.\d{8}")) == []


@pytest.mark.parametrize("page", toc_pages())
def test_numbers_carry_the_digits_they_mean(book_html: Path, page: str):
    """Issue 21: three significant figures unless more are meaningful (a published figure, MEANINGFUL)."""
    if page == "bibliography.html":
        pytest.skip("the bibliography quotes its sources' titles")
    _, text = _reader_text((book_html / page).read_text(encoding="utf-8"))
    meaningful = MEANINGFUL.get(page, (None, ""))[0]
    found = false_precision(text, published_values(), meaningful)
    assert not found, f"{page}: {len(found)}: {found[:8]}"


def ids_in_text(text: str, ids: frozenset[str]) -> list[str]:
    """Dataset ids (``a100-80gb-sxm``, ``gpt-3``) anywhere in a page's reader text."""
    if not ids:
        return []
    pattern = re.compile(r"(?<![\w\-./#])(" + "|".join(map(re.escape, sorted(ids, key=len, reverse=True))) + r")(?![\w\-]|\.\d)")
    return [text[max(0, match.start() - 25):match.end() + 15] for match in pattern.finditer(text)]


def _ids_not_names() -> frozenset[str]:
    """Model, accelerator, price and API price ids that are not also (part of) a name: ``gpt-oss-120b`` is what OpenAI calls the model."""
    names = " ".join(tables._dataset_names().values())
    ids = _dataset_ids() | frozenset(datasets.prices()["id"]) | frozenset(datasets.api_prices()["id"])
    return frozenset(ident for ident in ids if ident not in names)


def test_an_id_in_text_is_found():
    found = ids_in_text("For gpt-3 , on a100-80gb-sxm (bf16); not GPT-3 175B nor my-gpt-3x", frozenset({"gpt-3", "a100-80gb-sxm"}))
    assert len(found) == 2 and "For gpt-3" in found[0] and "a100-80gb-sxm (bf16)" in found[1]


def chart_texts(page: str) -> str:
    """The texts of a page's static chart pictures (labels, axis titles, legends), one string."""
    return " ; ".join(text for svg in re.findall(r'<div class="llmcost-chart-static">([\s\S]*?)</div>', page)
                      for text in CHART_TEXT.findall(svg))


@pytest.mark.parametrize("page", toc_pages())
def test_prose_names_models_and_accelerators_as_a_reader_knows_them(book_html: Path, page: str):
    """Issue 21: "for GPT-3 175B", "on NVIDIA A100 80GB SXM4", not "for gpt-3", "(a100-80gb-sxm)";
    in the prose, the tables and the charts' labels."""
    if page == "bibliography.html":
        pytest.skip("the bibliography quotes its sources' titles")
    html_text = (book_html / page).read_text(encoding="utf-8")
    _, text = _reader_text(html_text)
    found = ids_in_text(text + " ; " + html.unescape(chart_texts(html_text)), _ids_not_names())
    assert not found, f"{page}: {len(found)}: {found[:8]}"
