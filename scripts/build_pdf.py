"""Print the built book into one PDF, offline: ``_build/html/llmcost-book.pdf``.

    .venv/bin/python scripts/build_pdf.py [_build/html]     # run by scripts/build_book.sh

Opens every page of ``_toc.yml`` from disk (``file://``) in headless Chromium (Debian's
``chromium`` and ``chromium-driver``; nothing is downloaded), waits until its charts and math are
drawn, prints it with the book's print styles (each chart as its static SVG, no navigation), and
joins the pages in the order of the table of contents, one bookmark per page. The PDF is written
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


def toc_pages(root: Path = ROOT) -> list[tuple[str, str]]:
    """(page, title) of every page of ``_toc.yml`` in reading order: the root, then each part's chapters."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [chapter["file"] for part in toc.get("parts", []) for chapter in part["chapters"]]
    return [(f"{name}.html", name) for name in files]


def page_title(page: Path) -> str:
    """The page's own title (its ``<h1>``, without the heading link), for the PDF's bookmark."""
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page.read_text(encoding="utf-8"), re.S)
    return html.unescape(re.sub(r"<[^>]+>|¶|#", "", found[1])).strip() if found else page.stem


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


def build(html_dir: Path) -> Path:
    """Print every toc page of ``html_dir`` and join them into ``html_dir / PDF_NAME``; returns it."""
    writer = PdfWriter()
    driver = browser()
    try:
        for page, _ in toc_pages():
            path = html_dir / page
            if not path.is_file():
                sys.exit(f"build_pdf: {page} is in _toc.yml but not in {html_dir}")
            first = len(writer.pages)
            for printed in PdfReader(io.BytesIO(print_page(driver, path.as_uri()))).pages:
                writer.add_page(printed)
            writer.add_outline_item(title=page_title(path), page_number=first)
    finally:
        driver.quit()
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
