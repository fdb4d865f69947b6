"""Offline, deterministic altair output for the book's chapters.

altair's default renderer writes ``text/html`` that loads Vega from a CDN and carries a new
random element id (``altair-viz-<hex>``) on every run, which breaks both the offline book and
nbval's output comparison. :func:`enable` registers and activates the renderer ``llmcost``,
whose mime bundle holds

* ``text/html``: ``<div class="llmcost-chart" id="llmcost-chart-<hash>">`` wrapping the spec as
  ``<script type="application/json">`` and a one-line fallback caption. The id is a hash of the
  spec, so the same chart gives the same bytes on every run, and no URL is emitted: the book's
  Sphinx extension ``_ext/llmcost_vega.py`` serves a Vega bundle built by ``vl_convert`` from
  the book's own ``_static/``, draws every ``.llmcost-chart`` on the page and drops the caption;
* ``text/plain``: the same caption, for terminals.

The data embedded in a spec are rounded to ``llmcost.book.CHART_DIGITS`` significant digits
before anything is written, and each dataset is renamed after its rounded values (altair names
it after the unrounded ones), so a chart's bytes do not depend on the CPU that computed it.

The book adds a static picture of every chart when it is built (:func:`with_static_charts`, called
by ``_ext/llmcost_vega.py``): :func:`static_svg` renders the spec to SVG with ``vl_convert`` and
the SVG replaces the caption, so the chart is visible from disk (``file://``), with JavaScript
off and in print; where scripts run, the bundle swaps it for the interactive chart. The SVG is
made at build time, not stored in the notebooks: ``vl_convert`` lays text out with the fonts of
the machine it runs on, and the committed outputs must be the same on every machine.

There is deliberately no ``application/vnd.vegalite.v<N>+json`` entry: JupyterLab prefers
``text/html`` to it anyway (renderer rank 50 vs 57) and knows Vega-Lite v3-v5 only, while altair 6
writes v6; and MyST-NB warns about the unknown mime type, which fails the strict book build. To
see charts interactively in JupyterLab, ``alt.renderers.enable("jupyter")`` after ``enable()``.

altair is imported lazily, inside the functions: ``import llmcost`` never pays for it.
altair's data transformer (and so its 5,000-row limit, ``MaxRowsError``) is left untouched:
aggregate before charting.
"""

from __future__ import annotations

import hashlib
import html
import json
import re

from .tables import CHART_DIGITS, round_floats

RENDERER_NAME = "llmcost"
"""Name under which :func:`enable` registers the renderer in ``altair.renderers``."""

CHART_CLASS = "llmcost-chart"
"""CSS class of the element that the book's JavaScript turns into a chart."""

STATIC_CLASS = f"{CHART_CLASS}-static"
"""CSS class of the element that holds a chart's static SVG in the built book."""

_PLACEHOLDER = re.compile(
    rf'(<div class="{CHART_CLASS}" id="{CHART_CLASS}-[0-9a-f]{{16}}"[^>]*>)'
    rf'(<script type="application/json" class="{CHART_CLASS}-spec">)(.*?)(</script>)'
    rf'<span class="{CHART_CLASS}-fallback">.*?</span>(</div>)',
    re.DOTALL,
)


def spec_json(spec: dict) -> str:
    """Canonical JSON of a Vega-Lite spec: sorted keys, no whitespace, ASCII only."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def chart_id(spec: dict) -> str:
    """Deterministic element id of a chart: ``llmcost-chart-`` + 16 hex digits of SHA-256 of its spec."""
    return f"{CHART_CLASS}-{hashlib.sha256(spec_json(spec).encode('ascii')).hexdigest()[:16]}"


def _title(spec: dict) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    return str(title) if title else "untitled"


def caption(spec: dict) -> str:
    """One-line stand-in for a chart where no JavaScript draws it (terminals, JupyterLab)."""
    return f"[llmcost chart: {_title(spec)}; drawn in the built book]"


def chart_html(spec: dict) -> str:
    """The ``text/html`` of a chart: a placeholder ``div`` holding its spec as JSON, no URL, no script code.

    ``</`` is escaped as ``<\\/`` (valid JSON) so that the spec cannot close its ``<script>``.
    """
    payload = spec_json(spec).replace("</", "<\\/")
    label = html.escape(_title(spec), quote=True)
    return (
        f'<div class="{CHART_CLASS}" id="{chart_id(spec)}" role="figure" aria-label="{label}">'
        f'<script type="application/json" class="{CHART_CLASS}-spec">{payload}</script>'
        f'<span class="{CHART_CLASS}-fallback">{html.escape(caption(spec))}</span>'
        "</div>"
    )


def mimebundle(spec: dict, **metadata) -> dict:
    """The renderer: mime bundle of a Vega-Lite spec, its floats rounded (see the module docstring)."""
    spec = renamed_datasets(round_floats(spec, CHART_DIGITS))
    return {"text/html": chart_html(spec), "text/plain": caption(spec)}


def renamed_datasets(spec: dict) -> dict:
    """``spec`` with each of its ``datasets`` named by a hash of its rounded values.

    altair names a dataset ``data-<md5>`` of its values *before* the renderer rounds them, so the
    name carries the CPU's last digits; the rounded values are the same everywhere.
    """
    datasets = spec.get("datasets")
    if not isinstance(datasets, dict) or not datasets:
        return spec
    text = spec_json(spec)
    for old, values in datasets.items():
        new = "data-" + hashlib.md5(spec_json(values).encode("ascii")).hexdigest()
        text = text.replace(json.dumps(old), json.dumps(new))
    return json.loads(text)


def vegalite_version(spec: dict) -> str:
    """Vega-Lite ``major.minor`` that a spec's ``$schema`` names (altair writes it), e.g. ``"6.4"``."""
    found = re.search(r"/vega-lite/v(\d+)\.(\d+)", str(spec.get("$schema", "")))
    if not found:
        raise ValueError(f"chart spec has no Vega-Lite $schema: {spec.get('$schema')!r}")
    return f"{found[1]}.{found[2]}"


def static_svg(spec: dict) -> str:
    """The chart drawn as SVG by ``vl_convert``, with the Vega-Lite version its spec names.

    Title, axis titles and legend are text in the SVG. Needs the ``book`` extra (vl-convert-python).
    """
    import vl_convert

    version = vegalite_version(spec)
    if version not in vl_convert.get_vegalite_versions():
        raise ValueError(
            f"vl-convert-python cannot draw Vega-Lite {version} (it has "
            f"{', '.join(vl_convert.get_vegalite_versions())}); align altair and vl-convert-python"
        )
    return vl_convert.vegalite_to_svg(spec, vl_version=version)


def _add_static(match: re.Match) -> str:
    opening, script_open, payload, script_close, closing = match.groups()
    spec = json.loads(payload.replace("<\\/", "</"))
    svg = static_svg(spec)
    return f'{opening}{script_open}{payload}{script_close}<div class="{STATIC_CLASS}">{svg}</div>{closing}'


def with_static_charts(page: str) -> tuple[str, int]:
    """``page`` (HTML) with each chart's caption replaced by its static SVG, and the number of charts.

    Only the exact placeholders that :func:`chart_html` writes are touched.
    """
    return _PLACEHOLDER.subn(_add_static, page)


def enable() -> None:
    """Register the ``llmcost`` renderer with altair and make it the active one.

    Call it once at the top of a chapter (``llmcost.charts.enable()``); it is idempotent.
    """
    import altair as alt

    if RENDERER_NAME not in alt.renderers.names():
        alt.renderers.register(RENDERER_NAME, mimebundle)
    alt.renderers.enable(RENDERER_NAME)



SUPERSCRIPTS = dict(zip("0123456789\u2212-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻"))
"""Digits and minus signs (d3 writes U+2212) as superscripts, for powers of ten written as the prose writes them."""


def power_of_ten_axis(**options):
    """An altair axis for a log scale that labels each power of ten as 10²² (the prose's notation,
    not Vega's 1e+22) and leaves the ticks between powers unlabelled. options: other axis settings."""
    import altair as alt

    exponent = "format(round(log(datum.value) / LN10), 'd')"
    for digit, superscript in SUPERSCRIPTS.items():
        exponent = f"replace({exponent}, regexp('{digit}', 'g'), '{superscript}')"
    is_power = "abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) < 1e-6"
    return alt.Axis(labelExpr=f"{is_power} ? '10' + {exponent} : ''", **options)
