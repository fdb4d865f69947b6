"""The whole book as one PDF (scripts/build_pdf.py, run by scripts/build_book.sh): every page of
the table of contents, in order, one bookmark each, and linked from the Start-here page."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import build_pdf  # noqa: E402


def test_the_toc_is_read_in_reading_order():
    pages = build_pdf.toc_pages()
    assert pages[0] == "chapters/00_intro.html" and pages.index("start_here.html") < pages.index("chapters/01_how_training_works.html")
    assert pages[-1] == "bibliography.html" and len(pages) == len(set(pages))


def test_page_titles_drop_the_heading_link(tmp_path: Path):
    page = tmp_path / "p.html"
    page.write_text('<h1>Memory &amp; parallelism<a class="headerlink" href="#m">#</a></h1>', encoding="utf-8")
    assert build_pdf.page_title(page) == "Memory & parallelism"
    # the header bar's title comes first in a built page; the heading carries the chapter's number
    page.write_text('<h1>Memory</h1> <h1><span class="section-number">4. </span>Memory\n and parallelism'
                    '<a class="headerlink" href="#m">#</a></h1>', encoding="utf-8")
    assert build_pdf.page_title(page) == "4. Memory and parallelism"


def test_every_toc_page_has_its_part():
    parts = build_pdf.toc_parts()
    assert list(parts) == build_pdf.toc_pages() and parts["chapters/00_intro.html"] == ""
    assert parts["chapters/05_gpu_days_cost.html"] == parts["chapters/08_serving.html"] != parts["chapters/90_claims_audit.html"]


def bookmarks(reader: PdfReader) -> list[tuple[str, str, int]]:
    """(part, title, first page from 0) of each page's bookmark: a top-level bookmark followed by
    a list is a part, its list the part's pages; any other top-level bookmark is a page outside a part."""
    found, outline = [], reader.outline
    for i, item in enumerate(outline):
        if isinstance(item, list):
            continue
        children = outline[i + 1] if i + 1 < len(outline) and isinstance(outline[i + 1], list) else None
        if children is None:
            found.append(("", item.title, reader.get_destination_page_number(item)))
        else:
            assert reader.get_destination_page_number(item) == reader.get_destination_page_number(children[0]), item.title
            found += [(item.title, child.title, reader.get_destination_page_number(child)) for child in children]
    return found


@pytest.fixture(scope="module")
def book_pdf(book_html: Path) -> Path:
    pdf = book_html / build_pdf.PDF_NAME
    if not pdf.is_file():
        pytest.fail(f"{pdf} was not built: scripts/build_book.sh prints it where Chromium is installed")
    return pdf


def test_pdf_holds_every_page_in_order(book_html: Path, book_pdf: Path):
    reader = PdfReader(book_pdf)
    marks = bookmarks(reader)
    titles = [title for _, title, _ in marks]
    expected = [build_pdf.page_title(book_html / page) for page in build_pdf.toc_pages()]
    assert titles == expected and len(reader.pages) >= 2 * len(expected)
    assert [part for part, _, _ in marks] == list(build_pdf.toc_parts().values())
    assert "5. GPU-days and cost" in titles  # numbered as the HTML book numbers its chapters
    starts = [first for _, _, first in marks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    text = reader.pages[starts[expected.index("Start here")]].extract_text()
    assert "source documents" in text and "Install and re-run" in text


def test_start_page_links_the_pdf(book_html: Path, book_pdf: Path):
    page = (book_html / "start_here.html").read_text(encoding="utf-8")
    note = re.search(r'<p id="llmcost-pdf">(.*?)</p>', page, re.S)
    assert note and f'href="{build_pdf.PDF_NAME}"' in note[1] and f"{len(PdfReader(book_pdf).pages)} pages" in note[1]


def test_pdf_opens_on_a_title_page_and_contents_with_the_right_page_numbers(book_pdf: Path):
    reader = PdfReader(book_pdf)
    assert reader.metadata.title == build_pdf.book_title()
    front = " ".join(page.extract_text() for page in reader.pages[:reader.get_destination_page_number(reader.outline[0])])
    assert "Contents" in front and " ".join(build_pdf.book_title().split()) in " ".join(front.split())
    for part, title, first in bookmarks(reader):  # the contents give each page's page as a reader counts (from 1)
        assert f"{title} {first + 1}" in " ".join(front.split()), title
        assert part in front, part


def visible_code_lines() -> list[str]:
    """Every line of the chapters' code cells that a reader sees unfolded (not hidden, removed or the folded parameters)."""
    import nbformat

    lines = []
    for notebook in sorted((ROOT / "chapters").glob("*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            tags = cell.metadata.get("tags", [])
            if cell.cell_type == "code" and "parameters" not in tags and not any(t.startswith(("hide", "remove")) for t in tags):
                lines += [line for line in cell.source.splitlines() if line.strip()]
    return lines


def test_code_prints_whole(book_pdf: Path):
    """Paper cannot scroll: a long line of a code cell wraps in print instead of being cut at the margin."""
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(book_pdf).pages))
    lines = visible_code_lines()
    cut = [line for line in lines if re.sub(r"\s+", "", line) not in text]
    assert lines and not cut, cut[:5]
