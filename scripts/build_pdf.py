"""Print the built book into one PDF, offline: ``_build/html/llmcost-book.pdf``.

    .venv/bin/python scripts/build_pdf.py [_build/html]     # run by scripts/build_book.sh

Opens every page of ``_toc.yml`` from disk (``file://``) in headless Chromium (Debian's
``chromium`` and ``chromium-driver``; nothing is downloaded), waits until its charts and math are
drawn, prints it with the book's print styles (each chart as its static SVG, no navigation), and
joins the pages in the order of the table of contents, one bookmark per page under one per part. The PDF is written
beside the HTML through a temporary file, so an interrupted run leaves no half-written book; then
the Start-here page's note on the PDF becomes a link to it. Exits 1 with the reason when a page
does not print.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import yaml
from pypdf import PdfReader, PdfWriter
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.print_page_options import PrintOptions

from llmcost.book import format_number
from llmcost.book import editions

ROOT = Path(__file__).resolve().parent.parent
PDF_NAME = "llmcost-book.pdf"
NOTE_ID = "llmcost-pdf"
"""The id of the Start-here paragraph that says whether this build has a PDF (``start_here.md``)."""
READY_TIMEOUT_S = 60

READY = """
    return document.readyState === 'complete'
        && (document.querySelectorAll('.math').length === 0 || document.querySelectorAll('mjx-container').length > 0);
"""
"""A page is ready to print once loaded and its math typeset (a chart prints as its static SVG)."""


def toc_pages() -> list[str]:
    """The built page (``.html``) of every page of ``_toc.yml``, in reading order (:func:`llmcost.book.editions.toc_files`)."""
    return [f"{name}.html" for name in editions.toc_files()]


def toc_parts() -> dict[str, str]:
    """The built page (``.html``) of each page of ``_toc.yml`` -> the caption of its part
    (:func:`llmcost.book.editions.toc_parts`)."""
    return {f"{name}.html": caption for name, caption in editions.toc_parts().items()}


def page_title(page: Path) -> str:
    """The page's own title for the PDF's contents and bookmark: its heading (the ``<h1>`` with a
    heading link, so with its chapter number, "5. GPU-days and cost"), without the link."""
    headings = re.findall(r"<h1[^>]*>(.*?)</h1>", page.read_text(encoding="utf-8"), re.S)
    found = next((h for h in headings if 'class="headerlink"' in h), headings[0] if headings else None)
    return " ".join(html.unescape(re.sub(r"<[^>]+>|¶|#", "", found)).split()) if found else page.stem


def browser() -> webdriver.Chrome:
    """Headless Debian Chromium through its chromedriver; exits 1 when either is missing."""
    for path in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not os.access(path, os.X_OK):
            sys.exit(f"build_pdf: {path} is missing: install Debian's chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def print_page(driver, url: str) -> bytes:
    """One page as PDF bytes (A4, backgrounds on), once it is drawn or after READY_TIMEOUT_S."""
    driver.get(url)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not driver.execute_script(READY) and time.monotonic() < deadline:
        time.sleep(0.25)
    options = PrintOptions()
    options.page_width, options.page_height = 21.0, 29.7
    options.background = True
    return base64.b64decode(driver.print_page(options))


def book_title(root: Path = ROOT) -> str:
    """The book's title, from ``_config.yml``."""
    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))["title"]


def front_matter(title: str, contents: list[tuple[str, str, int]]) -> str:
    """A title page and the book's contents (part caption, page title, the page it starts on), each
    part under its caption, as HTML to print."""
    rows, part = [], ""
    for caption, name, number in contents:
        if caption and caption != part:
            rows.append(f'<tr><th colspan="2">{html.escape(caption)}</th></tr>')
        part = caption
        rows.append(f'<tr><td>{html.escape(name)}</td><td class="n">{number}</td></tr>')
    rows = "".join(rows)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>body{{font-family:sans-serif;margin:3em}}"
            f"h1{{font-size:2em;margin-top:30%}}.cover{{page-break-after:always}}td{{padding:.2em .5em}}"
            f"td.n{{text-align:right}}th{{text-align:left;padding:.8em .5em .2em}}table{{width:100%}}</style></head><body><div class='cover'><h1>{html.escape(title)}</h1>"
            f"<p>Printed from the HTML book by <code>scripts/build_pdf.py</code>. Every number is computed by the "
            f"<code>llmcost</code> package; the HTML book has the interactive charts and the code.</p></div>"
            f"<h2>Contents</h2><table>{rows}</table></body></html>")


def add_bookmarks(writer: PdfWriter, starts: list[tuple[str, str, int]]) -> None:
    """One bookmark per page (part caption, title, first PDF page from 0), each under a bookmark for
    its part that opens on the part's first page; a page outside any part is a top-level bookmark."""
    parent, part = None, ""
    for caption, name, first in starts:
        if caption != part:
            parent = writer.add_outline_item(title=caption, page_number=first) if caption else None
            part = caption
        writer.add_outline_item(title=name, page_number=first, parent=parent)


def build(html_dir: Path) -> Path:
    """Print every toc page of ``html_dir``, put a title page and the contents (with page numbers)
    before them, and join them into ``html_dir / PDF_NAME``; returns it."""
    chapters, starts, parts = [], [], toc_parts()
    driver = browser()
    try:
        for page in toc_pages():
            path = html_dir / page
            if not path.is_file():
                sys.exit(f"build_pdf: {page} is in _toc.yml but not in {html_dir}")
            starts.append((parts[page], page_title(path), sum(len(c.pages) for c in chapters)))
            chapters.append(PdfReader(io.BytesIO(print_page(driver, path.as_uri()))))
        front, front_pages = None, 1
        for _ in range(3):  # the contents' own length shifts every page number
            with tempfile.NamedTemporaryFile("w", suffix=".html", encoding="utf-8", delete=False) as page:
                page.write(front_matter(book_title(), [(part, name, first + front_pages + 1) for part, name, first in starts]))
            front = PdfReader(io.BytesIO(print_page(driver, Path(page.name).as_uri())))
            os.unlink(page.name)
            if len(front.pages) == front_pages:
                break
            front_pages = len(front.pages)
    finally:
        driver.quit()
    writer = PdfWriter()
    for printed in front.pages:
        writer.add_page(printed)
    for chapter in chapters:
        for printed in chapter.pages:
            writer.add_page(printed)
    add_bookmarks(writer, [(part, name, first + len(front.pages)) for part, name, first in starts])
    writer.add_metadata({"/Title": book_title(), "/Creator": "llmcost scripts/build_pdf.py (Chromium)"})
    target = html_dir / PDF_NAME
    with tempfile.NamedTemporaryFile(dir=html_dir, suffix=".pdf.part", delete=False) as part:
        writer.write(part)
    os.chmod(part.name, 0o644)  # a temporary file is private; the book is not
    os.replace(part.name, target)
    return target


def link_from_start_page(html_dir: Path, pdf: Path) -> None:
    """Turn the Start-here page's note (``<p id="llmcost-pdf">``) into a link to the PDF."""
    start = html_dir / "start_here.html"
    pages, size = len(PdfReader(pdf).pages), pdf.stat().st_size / 1e6
    link = (f'<p id="{NOTE_ID}">The whole book is one PDF: <a class="reference external" href="{PDF_NAME}">{PDF_NAME}</a> '
            f"({pages} pages, {format_number(size, 'sig3')} MB), printed from these pages by Chromium when the book was built.</p>")
    text, found = re.subn(rf'<p id="{NOTE_ID}">.*?</p>', link, start.read_text(encoding="utf-8"), count=1, flags=re.S)
    if not found:
        sys.exit(f"build_pdf: start_here.html has no <p id=\"{NOTE_ID}\"> to link the PDF from")
    start.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> None:
    html_dir = Path(argv[0] if argv else ROOT / "_build" / "html").resolve()
    began = time.monotonic()
    pdf = build(html_dir)
    link_from_start_page(html_dir, pdf)
    print(f"build_pdf: {pdf} ({len(PdfReader(pdf).pages)} pages) in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
