"""Sphinx extension: serve Vega (and MathJax) from the book itself; draw every ``.llmcost-chart``.

The chapters' charts are placeholders written by ``llmcost.charts`` (a ``div`` holding its
Vega-Lite spec as JSON). On each page this extension

* replaces every placeholder's caption by the chart drawn as static SVG
  (``llmcost.charts.with_static_charts``): the chart is visible from disk (``file://``), with
  JavaScript off and in print;
* adds ``_static/llmcost-vega.js``, a *classic* deferred script (browsers refuse
  ``<script type="module">`` on ``file://``), which swaps each static SVG for the interactive
  chart (tooltips); where it fails, the static SVG stays.

The script is one self-contained bundle of Vega, Vega-Lite and vega-embed from
``vl_convert.javascript_bundle`` (nothing is downloaded: the libraries ship inside the
vl-convert-python wheel) plus a short snippet that calls ``vegaEmbed`` on every placeholder,
wrapped in a function so that its top-level names stay out of the page's global scope. Pages
without charts do not load the ~0.9 MB bundle. The bundle is cached in the doctree directory,
keyed by the versions and the snippet, so that an incremental build does not rebuild it.

It also serves MathJax 3 from ``_static/mathjax`` (copied from the ``django-static-mathjax``
wheel, which has no dependencies) when ``mathjax_path`` is ``mathjax/tex-mml-chtml.js``, so that
pages with math need no CDN either.

The Vega-Lite version of the bundle follows altair's ``SCHEMA_VERSION`` (major.minor), so the
specs the chapters emit are drawn by the library version that wrote them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

from llmcost import charts

logger = logging.getLogger(__name__)

BUNDLE_NAME = "llmcost-vega.js"
CSS_NAME = "llmcost-charts.css"
CHART_CLASS = charts.CHART_CLASS

# A chart wider than the text column (a phone's) is scaled down to it, drawn or static; a chart is not split
# across printed pages. A slider's raw value is hidden: the chart itself prints the value
# formatted (46.2% MFU, 2.00 USD per GPU-hour). (The tables' style is _ext/llmcost_tables.py's.)
CSS = """
.%(cls)s { overflow-x: auto; margin: 1em 0; }
.%(cls)s-static svg, .%(cls)s-view svg { max-width: 100%%; height: auto; }
@media print { .%(cls)s { overflow: visible; break-inside: avoid; } }
.%(cls)s .vega-bindings { text-align: left; margin-left: 1em; }
.%(cls)s .vega-bind-name { display: inline-block; min-width: 13em; }
.%(cls)s .vega-bind input[type=range] + span { display: none; }
""" % {"cls": CHART_CLASS}

# Runs inside the bundle, where vegaEmbed is in scope. A failure is logged to the console
# (the browser test treats console errors as failures) and marked on the element.
SNIPPET = """
const llmcostEmbedOptions = { actions: false, renderer: "svg" };
function llmcostDrawCharts() {
  for (const el of document.querySelectorAll(".%(cls)s:not([data-llmcost-state])")) {
    const source = el.querySelector("script.%(cls)s-spec");
    if (!source) { continue; }
    el.setAttribute("data-llmcost-state", "pending");
    let spec;
    try { spec = JSON.parse(source.textContent); } catch (err) {
      el.setAttribute("data-llmcost-state", "error");
      console.error("llmcost chart " + el.id + ": invalid spec JSON", err);
      continue;
    }
    const view = document.createElement("div");
    view.className = "%(cls)s-view";
    el.appendChild(view);
    vegaEmbed(view, spec, llmcostEmbedOptions).then(
      () => {
        el.setAttribute("data-llmcost-state", "drawn");
        for (const stale of el.querySelectorAll(".%(cls)s-fallback, .%(cls)s-static")) { stale.remove(); }
      },
      (err) => {
        el.setAttribute("data-llmcost-state", "error");
        console.error("llmcost chart " + el.id + ": " + err);
      });
  }
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", llmcostDrawCharts);
} else {
  llmcostDrawCharts();
}
""" % {"cls": CHART_CLASS}


def vegalite_version() -> str:
    """Vega-Lite ``major.minor`` of the installed altair, for ``vl_convert.javascript_bundle``."""
    import altair as alt

    return ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


def build_bundle(cache_dir: Path) -> str:
    """The JavaScript bundle (libraries + snippet), from the cache when it is up to date."""
    import vl_convert

    version = vegalite_version()
    if version not in vl_convert.get_vegalite_versions():
        raise RuntimeError(
            f"vl-convert-python {getattr(vl_convert, '__version__', '?')} cannot bundle Vega-Lite {version} "
            f"(it has {', '.join(vl_convert.get_vegalite_versions())}); align altair and vl-convert-python"
        )
    key = hashlib.sha256(
        "\0".join([version, vl_convert.get_vega_version(), vl_convert.get_vega_embed_version(), SNIPPET]).encode()
    ).hexdigest()[:16]
    cached = cache_dir / f"llmcost-vega-{key}.js"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    # The bundle is an ES module without imports or exports: inside a function it runs as a
    # classic script, which browsers also load from file://.
    bundle = "(function () {\n" + vl_convert.javascript_bundle(SNIPPET, vl_version=version) + "\n})();\n"
    cache_dir.mkdir(parents=True, exist_ok=True)
    for stale in cache_dir.glob("llmcost-vega-*.js"):
        stale.unlink()
    cached.write_text(bundle, encoding="utf-8")
    return bundle


MATHJAX_DIR = "mathjax"
MATHJAX_ENTRY = "tex-mml-chtml.js"
# Top-level MathJax bundles other than the entry point are alternatives to it: not copied.
MATHJAX_KEEP_TOP = {MATHJAX_ENTRY, "core.js", "startup.js", "loader.js", "latest.js"}


def mathjax_source() -> Path | None:
    """MathJax 3's ``es5`` folder from the ``django-static-mathjax`` wheel (import name ``mathjax``)."""
    import importlib.util

    spec = importlib.util.find_spec("mathjax")
    for location in (spec.submodule_search_locations or []) if spec else []:
        es5 = Path(location) / "static" / "mathjax" / "es5"
        if (es5 / MATHJAX_ENTRY).is_file():
            return es5
    return None


def _copy_mathjax(app: Sphinx) -> None:
    """Serve MathJax from ``_static/mathjax`` when ``mathjax_path`` points there (no CDN)."""
    if str(app.config.mathjax_path) != f"{MATHJAX_DIR}/{MATHJAX_ENTRY}":
        return
    source = mathjax_source()
    if source is None:
        logger.warning(
            "llmcost_vega: mathjax_path is local but MathJax is not installed "
            "(pip install django-static-mathjax); pages with math will not render"
        )
        return
    target = Path(app.outdir) / "_static" / MATHJAX_DIR
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        source,
        target,
        ignore=lambda folder, names: [
            n for n in names if Path(folder) == source and n.endswith(".js") and n not in MATHJAX_KEEP_TOP
        ],
    )


def _script_key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    return (str(getattr(script, "filename", script) or ""), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _on_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Draw a page's charts as static SVG and add the bundle to it; drop duplicate scripts.

    jupyter-book 1.0.4 registers sphinx-thebe's and sphinx-togglebutton's inline scripts twice,
    once with ``filename=None`` and once with ``""``; the second ``const THEBE_JS_URL = ...`` is a
    SyntaxError in the console of every page.
    """
    body, count = charts.with_static_charts(context.get("body", ""))
    if f'class="{CHART_CLASS}"' in body:
        if count != body.count(f'class="{CHART_CLASS}"'):
            logger.warning(f"llmcost_vega: {pagename}: a chart placeholder was not recognised; it has no static SVG")
        context["body"] = body
        app.add_js_file(BUNDLE_NAME, loading_method="defer")
        app.add_css_file(CSS_NAME)
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        seen, unique = set(), []
        for script in scripts:
            key = _script_key(script)
            if key not in seen:
                seen.add(key)
                unique.append(script)
        context["script_files"] = unique


def _write_bundle(app: Sphinx) -> None:
    """Before any page is written, put the bundle in ``<outdir>/_static``.

    Written first so that Sphinx finds it when it adds its ``?v=<checksum>`` to the pages.
    """
    if app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    # LLMCOST_VEGA_CACHE keeps the bundle between builds (llmcost book sets it); else the doctree folder.
    cache = Path(os.environ.get("LLMCOST_VEGA_CACHE") or Path(app.doctreedir) / "llmcost_vega")
    (static / BUNDLE_NAME).write_text(build_bundle(cache), encoding="utf-8")
    (static / CSS_NAME).write_text(CSS.lstrip(), encoding="utf-8")
    _copy_mathjax(app)
    logger.info(f"llmcost_vega: wrote _static/{BUNDLE_NAME}")


def setup(app: Sphinx) -> dict:
    """Register the extension (loaded through ``_config.yml`` → ``sphinx: local_extensions:``)."""
    app.connect("html-page-context", _on_page)
    app.connect("builder-inited", _write_bundle)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
