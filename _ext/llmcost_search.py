"""Search results with their text when the book is opened from disk (``file://``).

Sphinx's search page finds pages in ``searchindex.js`` (a script, which loads from disk) and then
fetches each page to show the passage around the words searched for. A browser refuses ``fetch``
on ``file://`` URLs, so from disk the results are bare titles and the console fills with fetch
errors. This extension writes, after the build, the reader text of every page (its main block,
without code, charts or scripts, element ids kept for the section anchors) into
``_static/llmcost-search-pages.js``, and a small script on the search page that answers the
search's fetch of a page of this book from that text when the page is opened from disk. Over
http nothing changes.
"""

from __future__ import annotations

import json
from pathlib import Path

from bs4 import BeautifulSoup
from sphinx.application import Sphinx

PAGES_JS = "llmcost-search-pages.js"
SHIM_JS = "llmcost-search.js"
DROPPED = ("script", "style", "svg", "img", "noscript", "button", "div.cell_input", "div.highlight", ".headerlink",
           "nav", ".prev-next-area", ".llmcost-chart-spec")
"""What a search summary never quotes: code, charts, navigation, buttons."""

SHIM = """// Written by _ext/llmcost_search.py: from disk (file://), answer the search page's fetch of a
// page of this book from the page texts in llmcost-search-pages.js (a browser refuses fetch there).
(function () {
  if (window.location.protocol !== "file:" || !window.fetch) return;
  const pages = window.LLMCOST_SEARCH_PAGES || {};
  const root = new URL(document.documentElement.dataset.content_root || "./", window.location.href);
  const fetchOriginal = window.fetch.bind(window);
  window.fetch = function (input, init) {
    const url = new URL(typeof input === "string" ? input : input.url, window.location.href);
    const path = decodeURIComponent(url.pathname);
    const base = decodeURIComponent(root.pathname);
    const page = path.startsWith(base) ? path.slice(base.length).replace(/\\.html$/, "") : null;
    if (page !== null && Object.prototype.hasOwnProperty.call(pages, page)) {
      return Promise.resolve(new Response(pages[page], {headers: {"Content-Type": "text/html"}}));
    }
    return fetchOriginal(input, init);
  };
})();
"""


def page_text(html: str) -> str:
    """The main block of a built page as the search summary reads it: ``<div role="main">`` with the
    page's text and element ids, nothing else (no attributes but ``id``, no code, charts or scripts)."""
    soup = BeautifulSoup(html, "html.parser")
    main = soup.select_one('[role="main"] article') or soup.select_one('[role="main"]')
    if main is None:
        return ""
    for selector in DROPPED:
        for element in main.select(selector):
            element.decompose()
    for block in main.find_all(["p", "li", "dt", "dd", "td", "th", "h1", "h2", "h3", "h4", "caption", "figcaption"]):
        block.append(" ")  # textContent runs blocks together ("MFUModel FLOPs utilization")
    for element in main.find_all(True):
        element.attrs = {"id": element["id"]} if element.has_attr("id") else {}
    body = " ".join(str(child) for child in main.children)
    return f'<div role="main">{" ".join(body.split())}</div>'


def _write_pages(app: Sphinx, exception) -> None:
    """After a successful html build: every page's text, and the search page's script."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    pages = {}
    for docname in sorted(app.env.found_docs):
        path = out / f"{docname}.html"
        if path.exists():
            pages[docname] = page_text(path.read_text(encoding="utf-8"))
    static = out / "_static"
    static.mkdir(exist_ok=True)
    data = json.dumps(pages, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    (static / PAGES_JS).write_text(f"window.LLMCOST_SEARCH_PAGES = {data};\n", encoding="utf-8")
    (static / SHIM_JS).write_text(SHIM, encoding="utf-8")


def _on_page(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Load the page texts and the script on the search page only."""
    if pagename == "search":
        app.add_js_file(PAGES_JS)
        app.add_js_file(SHIM_JS)


def setup(app: Sphinx) -> dict:
    """Register the extension (loaded through ``_config.yml`` → ``sphinx: local_extensions:``)."""
    # Before the theme's handlers: the event stops at the first that names a template (as the
    # theme does for the search page), and a handler after it is never called.
    app.connect("html-page-context", _on_page, priority=100)
    app.connect("build-finished", _write_pages)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
