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


@pytest.fixture(scope="module")
def book_pdf(book_html: Path) -> Path:
    pdf = book_html / build_pdf.PDF_NAME
    if not pdf.is_file():
        pytest.fail(f"{pdf} was not built: scripts/build_book.sh prints it where Chromium is installed")
    return pdf


def test_pdf_holds_every_page_in_order(book_html: Path, book_pdf: Path):
    reader = PdfReader(book_pdf)
    titles = [item.title for item in reader.outline]
    expected = [build_pdf.page_title(book_html / page) for page in build_pdf.toc_pages()]
    assert titles == expected and len(reader.pages) >= 2 * len(expected)
    starts = [reader.get_destination_page_number(item) for item in reader.outline]
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
    for item in reader.outline:  # the contents give each part's page as a reader counts (from 1)
        assert f"{item.title} {reader.get_destination_page_number(item) + 1}" in " ".join(front.split()), item.title
