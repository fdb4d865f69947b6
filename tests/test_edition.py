"""A reader's edition: chapters re-run with the reader's parameters and rendered as HTML (llmcost book)."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import llmcost
from llmcost.book import format_number
from conftest import CHAPTERS, ROOT
from llmcost.book import editions as edition_module
from llmcost.core.validate import InputError


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
    # values as a reader types them (issue 21: not 'h100' in Python quotes); None is a value from the data
    assert sorted(rows[1:]) == [["gpu", "h100", "b200"], ["mfu", "from the data", "0.4"]]  # unchanged ones not listed
    assert re.search(r'<a href="[^"]*chapters/00_intro\.html">the published page</a>', page)


def test_glued_figures_are_recomputed_and_highlighted(edition_html):
    page = _page(edition_html)
    facts = llmcost.model("gpt-3")
    hours = llmcost.gpu_hours(llmcost.training_flops(facts["params_active"], facts["tokens"]), llmcost.peak_flops("b200", "bf16"), 0.4)
    published = llmcost.gpu_hours(llmcost.training_flops(facts["params_active"], facts["tokens"]), llmcost.peak_flops("h100", "bf16"),
                                  llmcost.calibration.planning_utilization("h100", "bf16")["central"])
    assert (f'<span class="pasted-text llmcost-changed" title="published: {format_number(published, "sig3")}">'
            f'{format_number(hours, "sig3")}</span>') in page
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


@pytest.mark.parametrize(("text", "value"), [
    ("deadline_days=010", 10),  # YAML 1.1 reads 8 (octal)
    ("deadline_days=1:30", "1:30"),  # YAML 1.1 reads 90 (base 60)
    ("usd_per_gpu_hour=1e3", 1000.0),  # YAML 1.1 reads the text '1e3'
    ("usd_per_gpu_hour=-2.5E-1", -0.25),
    ("mfu=.5", 0.5),
    ("gpu=h100", "h100"),
    ("gpu='010'", "010"),
    ("causal=False", False),
    ("models=[gpt-3, 010]", ["gpt-3", 10]),
    ("x=!!python/object:os.system rm", "rm"),  # a tag is not obeyed
])
def test_values_are_read_as_a_person_types_them(text, value):
    name = text.partition("=")[0]
    assert edition_module.parse_settings([text]) == {name: value}


def test_yaml_anchors_are_refused_at_once():
    laughs = "[&a [x,x,x,x,x,x,x,x,x], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b,*b], " \
             "&d [*c,*c,*c,*c,*c,*c,*c,*c,*c], &e [*d,*d,*d,*d,*d,*d,*d,*d,*d], &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]]"
    with pytest.raises(InputError, match=r"anchors and aliases \(&name, \*name\) are not accepted") as failure:
        edition_module.parse_settings([f"models={laughs}"])
    assert len(str(failure.value)) < 300


@pytest.mark.parametrize(("setting", "says"), [
    ("models=" + "[" * 3000 + "]" * 3000, "nested too deeply"),
    ("models=" + "x" * 20_000, "more than 10,000"),
    ("models=[a, b", "line 1, column 6: expected ',' or ']'"),
    ("models={a: 1, a: 2}", "got 'a' twice"),
])
def test_a_setting_that_cannot_be_read_is_one_short_line(setting, says):
    with pytest.raises(InputError, match=re.escape(says)) as failure:
        edition_module.parse_settings([setting])
    assert "\n" not in str(failure.value) and len(str(failure.value)) < 300


@pytest.mark.parametrize(("content", "says"), [
    (None, "larger than 1,000,000 bytes"),  # /dev/zero
    (b"mfu: 0.4\ngpu: \xff\n", "is not UTF-8 text (byte 14)"),
    (b"- mfu\n- gpu\n", "must hold a mapping of NAME: VALUE, got list"),
    (b"mfu: [0.4\n", "line 2, column 1"),
    (b"mfu: &a 0.4\nx: *a\n", "anchors and aliases"),
])
def test_a_params_file_that_cannot_be_read_is_one_line(tmp_path, content, says, capsys):
    from llmcost import cli

    path = Path("/dev/zero") if content is None else tmp_path / "params.yaml"
    if content is not None:
        path.write_bytes(content)
    assert cli.main(["book", "--chapters", "00", "--params", str(path), "--out", str(tmp_path / "e")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0], err
    assert not (tmp_path / "e").exists()


def test_a_params_file_is_typed_like_set(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("deadline_days: 010\nrental_price: 1:30\nusd_per_gpu_hour: 1e3\n", encoding="utf-8")
    assert edition_module.parse_settings([], path) == {"deadline_days": 10, "rental_price": "1:30", "usd_per_gpu_hour": 1000.0}


def test_out_may_not_be_the_published_build():
    with pytest.raises(InputError, match="--out .* would replace the published build"):
        edition_module.edition({"mfu": 0.4}, chapters=["00"], out=ROOT / "_build" / "html")


def test_parameter_values_read_as_typed():
    from llmcost.book.editions import parameter_text

    assert [parameter_text(v) for v in ("h100", 0.4, 1e22, 7, None, True, ["gpt-3", "llama-65b"])] == [
        "h100", "0.4", "1.00 × 10²²", "7", "from the data", "true", "gpt-3, llama-65b"]
