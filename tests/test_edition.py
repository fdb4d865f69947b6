"""A reader's edition: chapters re-run with the reader's parameters and rendered as HTML (llmcost book)."""

from __future__ import annotations

import html
import re
import subprocess
import sys

import nbformat
import pytest

import llmcost
from conftest import CHAPTERS, ROOT
from llmcost import edition as edition_module
from llmcost.validate import InputError


def _page(edition_html):
    return (edition_html / "chapters" / "00_intro.html").read_text(encoding="utf-8")


def _banner_rows(page: str) -> list[list[str]]:
    banner = page[page.index("llmcost-edition"):]
    banner = banner[: banner.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", banner, re.DOTALL)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)]
            for row in rows]


def test_banner_names_each_changed_parameter_with_both_values(edition_html):
    page = _page(edition_html)
    rows = _banner_rows(page)
    assert rows[0] == ["parameter", "published", "this edition"]
    assert sorted(rows[1:]) == [["gpu", "'a100'", "'h100'"], ["mfu", "0.462", "0.4"]]  # unchanged ones not listed
    assert re.search(r'<a href="[^"]*chapters/00_intro\.html">the published page</a>', page)


def test_glued_figures_are_recomputed_and_highlighted(edition_html):
    page = _page(edition_html)
    facts = llmcost.model("gpt-3")
    hours = llmcost.gpu_hours(llmcost.training_flops(facts["params_active"], facts["tokens"]), llmcost.peak_flops("h100", "bf16"), 0.4)
    published = llmcost.gpu_hours(llmcost.training_flops(facts["params_active"], facts["tokens"]), llmcost.peak_flops("a100", "bf16"), 0.462)
    assert (f'<span class="pasted-text llmcost-changed" title="published: {published:,.0f}">{hours:,.0f}</span>') in page
    assert f'<span class="pasted-text">{facts["tokens"] / 1e9:.0f} billion</span>' in page  # unchanged: plain


def test_edition_holds_the_index_bibliography_and_static_charts(edition_html):
    assert (edition_html / "index.html").is_file() and (edition_html / "bibliography.html").is_file()
    page = _page(edition_html)
    assert page.count('class="llmcost-chart"') == page.count('<div class="llmcost-chart-static"><svg') >= 1
    assert not (edition_html / "chapters" / "01_how_training_works.html").exists()


def test_committed_chapters_are_untouched(edition_html):
    nb = nbformat.read(CHAPTERS / "00_intro.ipynb", as_version=4)
    assert "injected-parameters" not in str([c.metadata for c in nb.cells])
    assert not any("llmcost-edition" in c.source for c in nb.cells)


@pytest.mark.parametrize(("argv", "message"), [
    (["--set", "nonsense=1"], "unknown parameter 'nonsense' for chapters 00_intro; they accept: "),
    (["--set", "mfu=1.5"], "00_intro: mfu must be"),
    (["--set", "gpu=abacus"], "unknown gpu 'abacus'; known: "),
    (["--set", "mfu"], "--set expects NAME=VALUE, got 'mfu'"),
    (["--chapters", "42"], "unknown chapter '42'"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, argv, message):
    out = tmp_path / "never"
    proc = subprocess.run([sys.executable, "-m", "llmcost.cli", "book", "--chapters", "00", *argv, "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert not out.exists()


def test_book_wide_names_are_the_same_in_every_chapter():
    """A book-wide assumption has one name everywhere: no chapter declares an old synonym of one."""
    synonyms = {"utilization", "default_mfu", "pue_default", "grid_default", "grid", "price", "usd_per_hour"}
    for chapter in edition_module.chapter_ids():
        declared = set(edition_module.declared_parameters(chapter))
        assert not declared & synonyms, f"{chapter} declares {declared & synonyms}"
    users = {name: [c for c in edition_module.chapter_ids() if name in edition_module.declared_parameters(c)]
             for name in edition_module.BOOK_WIDE_PARAMETERS}
    assert all(users.values()), f"book-wide names no chapter uses: {[n for n, u in users.items() if not u]}"
    assert len(users["mfu"]) >= 4 and len(users["pue"]) >= 3


def test_settings_are_read_as_yaml():
    params = edition_module.parse_settings(["mfu=0.4", "gpu=h100", "models=[gpt-3, llama-2-70b]", "causal=true"])
    assert params == {"mfu": 0.4, "gpu": "h100", "models": ["gpt-3", "llama-2-70b"], "causal": True}
    with pytest.raises(InputError, match="--set expects NAME=VALUE"):
        edition_module.parse_settings(["=4"])


def test_out_may_not_be_the_published_build():
    with pytest.raises(InputError, match="--out must not be"):
        edition_module.edition({"mfu": 0.4}, chapters=["00"], out=ROOT / "_build" / "html")
