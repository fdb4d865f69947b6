"""Count, page by page, the reader-facing defects the book's text and browser checks look for, in
one or more built books, and print a Markdown table: one row per page and class, one column per
book. Used to report an issue's before/after (a book built from an older commit beside today's).

    .venv/bin/python scripts/census.py before=/path/to/old/_build/html after=_build/html [--phone]

Classes (the detectors are the tests' own, ``tests/test_book_text.py`` and ``tests/test_book_browser.py``):
raw program output, numbers with more digits than they carry, dataset ids where a reader expects a
name, e-notation on chart axes, citation texts that link to two sources, bibliography entries that
point at the source documents' files, "hover" wording for touch screens, and (with ``--phone``, in
headless Chromium) what scrolls sideways on a 390-px screen.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "scripts")]

from test_book_text import (CITATION_LINK, MEANINGFUL, _ids_not_names, _reader_text, chart_e_notation,  # noqa: E402
                            chart_texts, colliding_citations, defects, false_precision, ids_in_text, published_values)

from llmcost import datasets  # noqa: E402


def _pages(html_dir: Path) -> dict[str, str]:
    """Every page of the book's table of contents in ``html_dir`` (name -> HTML); pages it lacks are left out."""
    from build_pdf import toc_pages

    return {page: (html_dir / page).read_text(encoding="utf-8") for page in toc_pages() if (html_dir / page).is_file()}


def _collisions(page: str, colliding: dict[str, set[str]]) -> int:
    texts = [re.sub(r"<[^>]+>", "", inner).strip() for _, inner in CITATION_LINK.findall(page)]
    return sum(text in colliding for text in texts)


def text_counts(html_dir: Path) -> dict[str, dict[str, int]]:
    """Page -> class -> number of defects found in its HTML."""
    pages = _pages(html_dir)
    colliding = colliding_citations(pages)
    keys, ids, published = datasets._bib_keys() or frozenset(), _ids_not_names(), published_values()
    counts = {}
    for name, page in pages.items():
        _, text = _reader_text(page)
        meaningful = MEANINGFUL.get(name, (None, ""))[0]
        counts[name] = {
            "raw program output": sum(len(hits) for hits in defects(page, keys).values()),
            "more digits than meant": 0 if name == "bibliography.html" else len(false_precision(text, published, meaningful)),
            "dataset ids in text, tables and charts": 0 if name == "bibliography.html" else len(ids_in_text(text + " ; " + html.unescape(chart_texts(page)), ids)),
            "e-notation on chart axes": len(chart_e_notation(page)),
            "citation text naming two sources": _collisions(page, colliding),
            "bibliography pointing at shared/seeds": page.count("shared/seeds"),
            "'hover' on a touch screen": len(re.findall(r"\bhover\b", text, re.I)),
        }
    return counts


def phone_counts(html_dir: Path) -> dict[str, int]:
    """Page -> what scrolls sideways at 390 px (the page itself, and each chart wider than its box)."""
    from build_pdf import browser
    from test_book_browser import NARROW_SCRIPT, PHONE, narrow_defects, wait_for_charts

    driver = browser()
    counts = {}
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
        for name in _pages(html_dir):
            driver.get((html_dir / name).as_uri())
            wait_for_charts(driver)
            counts[name] = len(narrow_defects(driver.execute_script(NARROW_SCRIPT)))
    finally:
        driver.quit()
    return counts


def main(argv: list[str]) -> None:
    phone = "--phone" in argv
    books = dict(arg.split("=", 1) for arg in argv if arg != "--phone")
    books = {label: Path(path).resolve() for label, path in books.items()}
    counts = {label: text_counts(path) for label, path in books.items()}
    if phone:
        for label, path in books.items():
            for page, n in phone_counts(path).items():
                counts[label][page]["sideways at 390 px"] = n
    labels = list(books)
    pages = list(dict.fromkeys(page for label in labels for page in counts[label]))
    classes = list(dict.fromkeys(c for label in labels for page in counts[label].values() for c in page))
    print("| page | defect | " + " | ".join(labels) + " |")
    print("| --- | --- | " + " | ".join("---:" for _ in labels) + " |")
    totals = {label: {c: 0 for c in classes} for label in labels}
    for page in pages:
        for c in classes:
            values = [counts[label].get(page, {}).get(c) for label in labels]
            for label, value in zip(labels, values):
                totals[label][c] += value or 0
            if any(values):
                print(f"| {page} | {c} | " + " | ".join("—" if v is None else str(v) for v in values) + " |")
    for c in classes:
        print(f"| **all pages** | {c} | " + " | ".join(str(totals[label][c]) for label in labels) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
