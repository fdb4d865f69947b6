"""What a reader reads when they point at a chart: the tooltips of the built book's charts.

The text scans of ``test_book_text`` read prose, tables and the static pictures' labels; a
tooltip is read too, on every interactive chart. Each tooltip is rendered here as Vega-Lite
renders it (the field's title, its value through its d3 format) for every row of the data the
chart draws, and held to the same rules as the text: names, not dataset ids; three significant
figures unless the figure is published; no e-notation; labels in words, not field names.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import pytest
from test_book_browser import toc_pages
from test_book_text import E_NOTATION, _ids_not_names, false_precision, ids_in_text, published_values

SPEC = re.compile(r'<script type="application/json" class="llmcost-chart-spec">([\s\S]*?)</script>')
D3_FORMAT = re.compile(r"(?P<comma>,)?(?:\.(?P<precision>\d+))?(?P<trim>~)?(?P<kind>[efgr%])?")


def _trim(text: str) -> str:
    """d3's ``~``: trailing zeros of the fraction (and a bare point) removed, exponent kept."""
    mantissa, e, exponent = text.partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return mantissa + e + exponent


def _js_exponential(value: float, decimals: int) -> str:
    """JavaScript's ``toExponential``: 3.150e+23, 1.5e-7 (no zero-padded exponent)."""
    mantissa, exponent = f"{value:.{decimals}e}".split("e")
    return f"{mantissa}e{int(exponent):+d}"


def d3_number(fmt: str, value: float) -> str:
    """``value`` as d3-format writes it with the specifier ``fmt`` (the subset the book uses:
    an optional thousands comma, precision, ``~`` and one of e f g r %; "" is d3's default)."""
    match = D3_FORMAT.fullmatch(fmt)
    if match is None:
        raise ValueError(f"d3 format {fmt!r} is not one the book uses; extend d3_number")
    comma = "," if match["comma"] else ""
    kind, precision = match["kind"], match["precision"]
    if kind is None:  # d3's default: up to 12 significant digits, trailing zeros trimmed
        text = f"{value:{comma}.{precision or 12}g}"
        return text if "e" not in text else _trim(_js_exponential(value, 11))
    digits = int(precision) if precision is not None else 6
    if kind == "f":
        text = f"{value:{comma}.{digits}f}"
    elif kind == "%":
        text = f"{value * 100:{comma}.{digits}f}%"
    elif kind == "e":
        text = _js_exponential(value, digits)
    else:  # g is JavaScript's toPrecision; r is the same digits always in decimal notation
        exponent = math.floor(math.log10(abs(value))) if value else 0
        rounded = float(f"{value:.{max(digits, 1) - 1}e}")
        if kind == "g" and (exponent < -6 or exponent >= digits):
            text = _js_exponential(value, digits - 1)
        else:
            text = f"{rounded:{comma}.{max(digits - 1 - exponent, 0)}f}"
    return _trim(text) if match["trim"] else text


def test_d3_number_writes_as_d3_does():
    """Reference values from d3-format's documentation and JavaScript's toPrecision."""
    assert d3_number(",.0f", 1234567.8) == "1,234,568"
    assert d3_number(".1%", 0.1970721) == "19.7%"
    assert d3_number(".3~e", 3.15e23) == "3.15e+23"
    assert d3_number(",.4g", 1515152.0) == "1.515e+6"
    assert d3_number(".3g", 1.190179) == "1.19"
    assert d3_number(",.3r", 1515152.0) == "1,520,000"
    assert d3_number(".5f", 0.01497285) == "0.01497"
    assert d3_number("", 0.1970721) == "0.1970721"
    assert d3_number("", 2018.0) == "2018"
    assert d3_number("", 3.15e23) == "3.15e+23"


def _tooltips(node, data: str | None, found: list):
    """(data name, tooltip field definitions) of every mark of a Vega-Lite spec; a layer inherits its parent's data."""
    if isinstance(node, list):
        for item in node:
            _tooltips(item, data, found)
        return
    if not isinstance(node, dict):
        return
    data = (node.get("data") or {}).get("name", data) if isinstance(node.get("data"), dict) else data
    tooltip = (node.get("encoding") or {}).get("tooltip")
    if tooltip:
        found.append((data, tooltip if isinstance(tooltip, list) else [tooltip]))
    for key, value in node.items():
        if key not in ("encoding", "data", "datasets"):
            _tooltips(value, data, found)


def tooltip_lines(spec: dict) -> tuple[list[str], list[str]]:
    """The labels of a chart's tooltips, and each tooltip as it reads for each row it shows
    ("label: value; label: value")."""
    found: list = []
    _tooltips(spec, None, found)
    labels, lines = [], []
    for data, fields in found:
        fields = [{"field": f} if isinstance(f, str) else f for f in fields]
        labels += [f.get("title", f.get("field", "")) for f in fields]
        for row in spec.get("datasets", {}).get(data, []):
            parts = []
            for f in fields:
                name = f.get("field", "").split(":")[0]
                if name not in row or f.get("type") == "temporal":
                    continue
                value = row[name]
                shown = d3_number(f.get("format", ""), value) if isinstance(value, (int, float)) else str(value)
                parts.append(f"{f.get('title', name)}: {shown}")
            lines.append("; ".join(parts))
    return labels, lines


def tooltip_defects(page: str) -> dict[str, list[str]]:
    """Each kind of tooltip defect -> examples, over every chart of one page's HTML."""
    labels, lines = [], []
    for payload in SPEC.findall(page):
        more_labels, more_lines = tooltip_lines(json.loads(html.unescape(payload).replace("<\\/", "</")))
        labels += more_labels
        lines += more_lines
    text = " | ".join(dict.fromkeys(lines))
    found = {
        "field name as label": sorted({label for label in labels if re.fullmatch(r"\w+_\w+", label)}),
        "e-notation": [line for line in lines if E_NOTATION.search(line)],
        "false precision": false_precision(text, published_values()),
        "dataset id": ids_in_text(text, _ids_not_names()),
    }
    return {kind: list(dict.fromkeys(hits)) for kind, hits in found.items() if hits}


def test_a_tooltip_defect_is_found():
    """Each kind is caught in a spec written the way a chart page embeds it."""
    spec = {"datasets": {"d": [{"id": "gpt-3", "flops": 3.15e23, "usd_per_hour": 1.8412345, "hours": 3552000.0}]},
            "data": {"name": "d"}, "mark": "point",
            "encoding": {"tooltip": [{"field": "id", "type": "nominal"}, {"field": "flops", "format": ".3~e"},
                                     {"field": "usd_per_hour", "format": ".5f", "title": "USD per hour"},
                                     {"field": "hours", "format": ",.0f", "title": "GPU-hours (published)"}]}}
    page = f'<script type="application/json" class="llmcost-chart-spec">{json.dumps(spec)}</script>'
    found = tooltip_defects(page)
    assert set(found) == {"e-notation", "false precision", "dataset id"}
    assert "1.84123" in found["false precision"][0] and "3552000" not in " ".join(found["false precision"])
    spec["layer"] = [{"mark": "bar", "encoding": {"tooltip": [{"field": "usd_per_hour", "format": ".3g"}]}}]
    page = f'<script type="application/json" class="llmcost-chart-spec">{json.dumps(spec)}</script>'
    assert tooltip_defects(page)["field name as label"] == ["usd_per_hour"]


@pytest.mark.parametrize("page", toc_pages())
def test_tooltips_read_as_the_text_does(book_html: Path, page: str):
    """A tooltip names models as the text does, shows three significant figures unless published,
    writes no e-notation and labels its values in words."""
    found = tooltip_defects((book_html / page).read_text(encoding="utf-8"))
    assert not found, f"{page}: {found}"
