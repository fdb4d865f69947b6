"""Every price the book shows says when it was quoted: the glued prices, the prose around them and
the price tables of the committed chapters (the outputs the built book shows)."""

import html
import json
import re
from pathlib import Path

import pytest

from llmcost.book import dated_price, price_text

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "chapters").glob("*.ipynb"))

PRICE_UNIT = re.compile(r"USD per (?:[\w.]+-hour|1,000 tokens|1M \w+ tokens|1M tokens)")
"""The unit of a price as :func:`llmcost.book.price_text` writes it."""
DATED = re.compile(r"\((?:as of \d{4}-\d{2}(?:-\d{2})?(?: to \d{4}-\d{2}(?:-\d{2})?)?|a price set for this edition, not a dated quote)\)")
PRICE_NAME = re.compile(r"(?<!_factor)_price(?:_(?:low|high|semianalysis|p4d))?$|^c5_rent$|^c5_today_(?:h100|h200|b200|low|high)$"
                        r"|^c5_aws_(?:before|after)$|^c5_seed_(?:instance|gpu_hour)$")
"""Glue names that hold a price."""
UNIT_OUTSIDE = re.compile(r"\{glue:text\}`(\w+)`\s+(?:USD\s+)?(?:per\s+(?:GPU|A100|H100|H800|accelerator|instance|chip)-hour|per\s+hour|an\s+hour)\b")
"""A glued number followed by an hourly price unit in the prose: a price whose date the glue cannot carry."""
PRICE_HEADER = re.compile(r"<th[^>]*>([^<]*(?:USD per GPU-hour|per 1M|quoted \(USD\)|USD per 1k tokens|USD/h)[^<]*)</th>")


def _glues(notebook: dict):
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get("application/papermill.record/text/plain")
            if name and text is not None:
                yield name, text.strip("'\"")


def _tables(notebook: dict):
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            page = output.get("data", {}).get("text/html")
            if page:
                yield "".join(page)


@pytest.fixture(scope="module", params=CHAPTERS, ids=[path.stem for path in CHAPTERS])
def chapter(request):
    return request.param.stem, json.loads(request.param.read_text(encoding="utf-8"))


def test_every_glued_price_has_its_date(chapter):
    name, notebook = chapter
    undated = [(glue, text) for glue, text in _glues(notebook)
               if (PRICE_NAME.search(glue) or PRICE_UNIT.search(text)) and not DATED.search(text)]
    assert not undated, f"{name}: prices glued without their date: {undated}"


def test_no_price_unit_outside_its_glue(chapter):
    name, notebook = chapter
    prose = "".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    outside = [match.group(0) for match in UNIT_OUTSIDE.finditer(prose)]
    assert not outside, f"{name}: a price's unit is typed after its glue, so the date cannot follow it: {outside}"


def test_every_price_table_has_a_date_column(chapter):
    name, notebook = chapter
    for page in _tables(notebook):
        priced = [html.unescape(h) for h in PRICE_HEADER.findall(page)]
        if priced:
            headers = [html.unescape(h) for h in re.findall(r"<th[^>]*>([^<]*)</th>", page)]
            assert "as of" in headers or all("as of" in h for h in priced), f"{name}: a price table without its date: {priced}"


def test_the_checks_catch_an_undated_price():
    assert not DATED.search("1.84 USD") and PRICE_NAME.search("c5_price_low")
    assert DATED.search(price_text(1.844, "GPU-hour", "2024-12"))
    assert DATED.search(price_text(7.0, "GPU-hour", None))
    assert "as of 2024-12" in dated_price(1.84375)  # the AWS p4d capacity block, 14.75 / 8
    assert UNIT_OUTSIDE.search("at {glue:text}`c5_rent` per GPU-hour")
    assert PRICE_HEADER.search("<th>USD per GPU-hour</th>") and PRICE_HEADER.search("<th>rent at 1.84 USD/h</th>")
