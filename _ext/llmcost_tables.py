"""Sphinx extension: number the chapters' tables (Table N.k) and let the prose refer to them.

MyST-NB wraps a cell's output in a captioned figure when the cell's metadata holds
``mystnb.figure`` (caption, name); Sphinx then numbers it as a *figure*. A chapter marks a
table's cell the same way and adds the class :data:`TABLE_CLASS`
(``"mystnb": {"figure": {"caption": ..., "name": "tbl-05-1", "classes": "llmcost-table",
"caption_before": true}}``); this extension turns each such figure into a :class:`table_output`
node, which Sphinx numbers in the ``table`` sequence, so ``{numref}`tbl-05-1``` reads
"Table 5.1" and the caption starts with that number. In HTML the table is a
``<div class="llmcost-table">`` whose caption, above the table, is a paragraph that starts with
``<span class="caption-number">Table N.k </span>``.

Every table fits the text column (the browser test measures it): its text cells wrap at spaces
and hyphens and, as a last resort, hyphenate or break a long word (``overflow-wrap: anywhere``, so a
long path or identifier does not set a column's least width); cells that hold only a number
and the numbers inside text cells (both marked by :func:`llmcost.book.mark_number_cells` as each
page is written) never break.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

from llmcost.book import NO_BREAK_CLASS, NUMBER_CELL_CLASS, mark_number_cells

TABLE_CLASS = "llmcost-table"
CSS_NAME = "llmcost-tables.css"
# Tables fit the text column on a laptop (long cells wrap); on a phone they keep readable columns
# and scroll inside their box. Long inline code and links wrap instead of widening the page.
CSS = f"""
div.cell_output table.dataframe {{ font-size: 0.8em; max-width: 100%; }}
div.cell_output table.dataframe th, div.cell_output table.dataframe td {{
  white-space: normal; word-break: normal; overflow-wrap: normal; padding: 0.25em 0.4em; }}
div.cell_output table.dataframe td {{ hyphens: auto; overflow-wrap: anywhere; }}
div.cell_output table.dataframe td.{NUMBER_CELL_CLASS} {{ white-space: nowrap; overflow-wrap: normal; hyphens: none; text-align: right; }}
div.cell_output table.dataframe span.{NO_BREAK_CLASS} {{ white-space: nowrap; }}
div.{TABLE_CLASS} table.dataframe {{ margin-left: 0; margin-right: auto; }}
div.{TABLE_CLASS} > p:first-child {{ margin-bottom: 0.4em; }}
@media (max-width: 640px) {{
  /* a wide table scrolls in its box: a visible scrollbar, a shadow on the side with more to see,
     and the row labels kept in view */
  div.cell_output {{ overflow-x: auto; scrollbar-width: thin; scrollbar-color: #888 #eee;
    background: linear-gradient(to right, var(--pst-color-background, #fff) 30%, transparent) left / 2em 100% no-repeat local,
                linear-gradient(to left, var(--pst-color-background, #fff) 30%, transparent) right / 2em 100% no-repeat local,
                radial-gradient(farthest-side at 0 50%, rgba(0,0,0,.2), transparent) left / 0.8em 100% no-repeat scroll,
                radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.2), transparent) right / 0.8em 100% no-repeat scroll; }}
  div.cell_output::-webkit-scrollbar {{ height: 6px; }}
  div.cell_output::-webkit-scrollbar-thumb {{ background: #888; border-radius: 3px; }}
  div.cell_output table.dataframe tbody th {{ position: sticky; left: 0; background: var(--pst-color-background, #fff); z-index: 1; }}
  div.cell_output table.dataframe {{ max-width: none; }}
  div.cell_output table.dataframe td {{ overflow-wrap: normal; hyphens: manual; min-width: 4em; }}
}}
article code.literal span.pre {{ white-space: normal; overflow-wrap: anywhere; }}
@media print {{ details.hide.above-input {{ display: none !important; }} }}  /* a folded cell prints as nothing, not as a toggle */
@media print {{ div.highlight pre {{ white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; }} }}  /* paper cannot scroll: long code lines wrap */
article p, article li, article dd {{ overflow-wrap: break-word; }}
"""


class table_output(nodes.General, nodes.Element):  # noqa: N801 (docutils names nodes in lower case)
    """A cell's table output with its caption, numbered as a table."""


class NumberTables(SphinxTransform):
    """Replace each figure of class :data:`TABLE_CLASS` by a :class:`table_output`."""

    # Before SphinxDomains (850) records the labels and their node types.
    default_priority = 500

    def apply(self, **kwargs) -> None:
        for figure in list(self.document.findall(nodes.figure)):
            if TABLE_CLASS not in figure["classes"]:
                continue
            table = table_output("", *figure.children, ids=figure["ids"], names=figure["names"], classes=figure["classes"])
            figure.replace_self(table)
            for ident in table["ids"]:
                self.document.ids[ident] = table  # labels resolve to the new node


def visit_table_output(self, node: table_output) -> None:
    self.body.append(self.starttag(node, "div"))


def depart_table_output(self, node: table_output) -> None:
    self.body.append("</div>\n")


def _write_css(app: Sphinx) -> None:
    if app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        (static / CSS_NAME).write_text(CSS.lstrip(), encoding="utf-8")


def _mark_numbers(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if "body" in context:
        context["body"] = mark_number_cells(context["body"])


def setup(app: Sphinx) -> dict:
    app.add_enumerable_node(table_output, "table", html=(visit_table_output, depart_table_output))
    app.add_transform(NumberTables)
    app.add_css_file(CSS_NAME)
    app.connect("builder-inited", _write_css)
    app.connect("html-page-context", _mark_numbers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
