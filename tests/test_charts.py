"""The ``llmcost`` altair renderer: deterministic, offline, and altair's row limit still on."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT

alt = pytest.importorskip("altair")
pd = pytest.importorskip("pandas")

from llmcost import charts  # noqa: E402


@pytest.fixture
def llmcost_renderer():
    """Enable the llmcost renderer for one test, then restore the previous one."""
    previous = alt.renderers.active
    charts.enable()
    yield
    alt.renderers.enable(previous)


def _chart(values=(1.0, 2.0, 3.0)):
    data = pd.DataFrame({"stage": ["a", "b", "c"][: len(values)], "value": list(values)})
    return alt.Chart(data).mark_bar().encode(x="stage:N", y="value:Q").properties(title="test chart")


def test_bundle_is_deterministic_and_offline(llmcost_renderer):
    first, second = _chart()._repr_mimebundle_(), _chart()._repr_mimebundle_()
    first = first[0] if isinstance(first, tuple) else first
    second = second[0] if isinstance(second, tuple) else second
    assert first == second
    assert set(first) == {"text/html", "text/plain"}
    page = first["text/html"]
    spec = charts.renamed_datasets(_chart().to_dict())
    assert f'id="{charts.chart_id(spec)}"' in page
    assert 'class="llmcost-chart"' in page
    assert "altair-viz" not in page and "<script src" not in page and "cdn" not in page
    payload = page.split('<script type="application/json" class="llmcost-chart-spec">')[1].split("</script>")[0]
    assert json.loads(payload.replace("<\\/", "</")) == spec
    assert first["text/plain"] == "[llmcost chart: test chart; drawn in the built book]"
    assert first["text/plain"] in page


def test_id_changes_with_the_data(llmcost_renderer):
    assert charts.chart_id(_chart().to_dict()) != charts.chart_id(_chart((1.0, 2.0, 4.0)).to_dict())


def test_spec_cannot_close_its_script():
    page = charts.chart_html({"title": "</script><script>alert(1)</script>", "mark": "bar"})
    assert page.count("</script>") == 1


def test_max_rows_limit_is_kept(llmcost_renderer):
    """altair refuses more than 5,000 inline rows: charts.enable() must not lift the limit."""
    big = pd.DataFrame({"x": range(5001), "y": range(5001)})
    with pytest.raises(alt.MaxRowsError):
        alt.Chart(big).mark_point().encode(x="x:Q", y="y:Q").to_dict()


def test_import_llmcost_loads_no_plotting():
    """The CLI imports llmcost: it must not import altair or myst_nb."""
    code = "import sys, llmcost; print(sorted(m for m in ('altair', 'myst_nb', 'vl_convert') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_sphinx_extension_bundle():
    """The book's extension bundles the Vega-Lite version that altair writes, plus the drawing snippet."""
    spec = importlib.util.spec_from_file_location("llmcost_vega", ROOT / "_ext" / "llmcost_vega.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import vl_convert

    assert module.vegalite_version() in vl_convert.get_vegalite_versions()
    assert f".{charts.CHART_CLASS}" in module.SNIPPET and "vegaEmbed(" in module.SNIPPET


def test_chart_data_are_rounded_to_chart_digits(llmcost_renderer):
    """Floats embedded in a chart keep CHART_DIGITS significant digits; ints and strings are untouched."""
    from llmcost.book import CHART_DIGITS

    bundle = _chart((1 / 3, 2.0, 123456789.123))._repr_mimebundle_()
    page = (bundle[0] if isinstance(bundle, tuple) else bundle)["text/html"]
    spec = json.loads(page.split('class="llmcost-chart-spec">')[1].split("</script>")[0].replace("<\\/", "</"))
    rows = next(iter(spec["datasets"].values()))
    assert [row["value"] for row in rows] == [0.3333333, 2.0, 123456800.0]
    assert CHART_DIGITS == 7 and spec["title"] == "test chart"


def test_chart_bytes_do_not_carry_cpu_noise(llmcost_renderer):
    """Data that differ in the last bits (SIMD noise) give the same bytes: values, dataset names, id."""
    exact = _chart((0.1, 0.2, 0.3))._repr_mimebundle_()
    noisy = _chart((0.1, 0.2, 0.30000000000000004))._repr_mimebundle_()
    exact, noisy = (b[0] if isinstance(b, tuple) else b for b in (exact, noisy))
    assert _chart((0.1, 0.2, 0.3)).to_dict()["datasets"].keys() != _chart((0.1, 0.2, 0.30000000000000004)).to_dict()["datasets"].keys()
    assert exact == noisy
    assert exact != (lambda b: b[0] if isinstance(b, tuple) else b)(_chart((0.1, 0.2, 0.4))._repr_mimebundle_())


def test_renamed_datasets_keeps_references():
    spec = {"data": {"name": "data-a"}, "layer": [{"data": {"name": "data-a"}}], "datasets": {"data-a": [{"x": 1}]}}
    renamed = charts.renamed_datasets(spec)
    (name,) = renamed["datasets"]
    assert name.startswith("data-") and name != "data-a"
    assert renamed["data"]["name"] == renamed["layer"][0]["data"]["name"] == name


def test_round_floats_rejects_non_finite():
    from llmcost.book import round_floats

    assert round_floats({"a": [1, 2.123456789, "x", True]}, 3) == {"a": [1, 2.12, "x", True]}
    with pytest.raises(ValueError, match="non-finite"):
        round_floats({"a": [float("nan")]}, 3)


def test_format_number_is_the_same_for_cpu_noise():
    """A value on a rounding boundary formats the same whatever its last bits (SIMD noise)."""
    from llmcost.book import format_number

    assert format_number(0.125, ".2f") == format_number(0.12500000000000003, ".2f") == format_number(0.12499999999999997, ".2f")
    assert format_number(2.5, ".0f") == format_number(2.5000000000000004, ".0f") == "2"
    assert format(2.5000000000000004, ".0f") == "3"  # what the noise would print without denoising
    assert format_number(0.1234567, ".8f") != format_number(0.1234567 * (1 + 1e-6), ".8f")


def test_static_svg_carries_title_axis_titles_and_legend():
    """The static picture of a chart has its title, axis titles (with units) and legend as text."""
    data = pd.DataFrame({"gpu": ["a100", "h100", "a100", "h100"], "year": [2020, 2022, 2021, 2023],
                         "tflops": [312.0, 989.0, 312.0, 989.0]})
    chart = alt.Chart(data).mark_point().encode(
        x=alt.X("year:Q", title="release year"),
        y=alt.Y("tflops:Q", title="dense BF16 peak (TFLOP/s)"),
        color=alt.Color("gpu:N", title="accelerator"),
    ).properties(title="Peak throughput by release year")
    svg = charts.static_svg(chart.to_dict())
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for text in ("Peak throughput by release year", "release year", "dense BF16 peak (TFLOP/s)", "accelerator", "a100", "h100"):
        assert f">{text}<" in svg, text


def test_with_static_charts_replaces_each_caption(llmcost_renderer):
    """The book's pages: every placeholder gets its SVG in place of the caption; other HTML is untouched."""
    bundle = _chart()._repr_mimebundle_()
    placeholder = (bundle[0] if isinstance(bundle, tuple) else bundle)["text/html"]
    page = f"<p>before</p>{placeholder}<p>between</p>{placeholder}<p>after</p>"
    drawn, count = charts.with_static_charts(page)
    assert count == 2
    assert drawn.count(f'<div class="{charts.STATIC_CLASS}"><svg') == 2
    assert charts.caption(_chart().to_dict()) not in drawn
    assert drawn.startswith("<p>before</p>") and drawn.endswith("<p>after</p>") and "<p>between</p>" in drawn
    assert drawn.count('class="llmcost-chart-spec"') == 2
    assert charts.with_static_charts("<p>no chart</p>") == ("<p>no chart</p>", 0)


def test_static_svg_needs_a_known_vegalite_version():
    with pytest.raises(ValueError, match=r"\$schema"):
        charts.static_svg({"mark": "bar"})
    with pytest.raises(ValueError, match="cannot draw Vega-Lite 1.0"):
        charts.static_svg({"$schema": "https://vega.github.io/schema/vega-lite/v1.0.0.json", "mark": "bar"})


def test_auto_format_never_writes_e_notation():
    from llmcost.book import format_number

    cases = {0: "0", 606_700: "606,700", 999.96: "1,000", 0.31862: "0.3186", 24.7: "24.7", 1.2e6: "1.20 × 10⁶",
             3.14e23: "3.14 × 10²³", -1.6e-10: "-1.60 × 10⁻¹⁰", 0.0004: "4.00 × 10⁻⁴"}
    for value, text in cases.items():
        assert format_number(value, "auto") == text


def test_number_texts_write_a_tooltip_as_the_text_does():
    from llmcost.book.tables import number_texts

    frame = pd.DataFrame({"flops": [3.1415e23, 1.234e22], "params": [175e9, 117e6]})
    shown = number_texts(frame, {"flops": "sig3", "params": "words"})
    assert shown["flops_text"].tolist() == ["3.14 × 10²³", "1.23 × 10²²"] and shown["params_text"].tolist() == ["175 billion", "117 million"]
    assert list(frame.columns) == ["flops", "params"]  # the frame given is left as it was


def test_table_cells_are_reader_text():
    import numpy as np
    from llmcost.book import table

    shown = table(pd.DataFrame({"id": ["a", "b"], "x": [2.8e3, np.nan], "flag": [True, False], "note": ["n", None],
                                "mixed": [1.5e11, "text"]}))
    assert list(shown["x"]) == ["2,800", "—"] and list(shown["flag"]) == ["✓", ""]
    assert list(shown["note"]) == ["n", "—"] and list(shown["mixed"]) == ["1.50 × 10¹¹", "text"]


def test_one_two_five_spans_the_values_with_few_ticks():
    from llmcost.book.figures import one_two_five

    assert one_two_five([123, 2500]) == [100, 200, 500, 1000, 2000, 5000]
    assert one_two_five([100, 1000]) == [100, 200, 500, 1000]  # a value on a tick needs no more
    assert one_two_five([0.03, 0.3]) == pytest.approx([0.02, 0.05, 0.1, 0.2, 0.5])
    for bad in ([], [0.0, 1.0], [1.0, float("nan")]):
        with pytest.raises(ValueError, match="finite positive"):
            one_two_five(bad)


def test_label_sides_move_crowded_labels():
    from llmcost.book.figures import label_sides

    # Gopher (5.04e23, 6.31e23) and Chinchilla (5.88e23, 5.76e23) sit together on a log-log chart
    x = [5.04e23, 5.88e23, 3.15e23, 2.5e24, 6.6e22, 3.79e25]
    y = [6.31e23, 5.76e23, 3.14e23, 2.56e24, 4.05e22, 3.8e25]
    assert label_sides(x, y) == ["right", "left", "right", "right", "right", "right"]
    assert label_sides([2017, 2017, 2024], [125, 123, 2250], log_x=False) == ["right", "left", "right"]
    assert label_sides([1.0, 1e10], [1.0, 1e10]) == ["right", "right"]  # far apart: nothing moves


def test_ratio_dots_draw_ratios_on_a_log_axis_with_agreement_marked():
    import pandas as pd

    from llmcost import figures

    frame = pd.DataFrame({"model": ["a", "b", "c"], "ratio": [0.5, 1.0, 2.5], "low": [0.4, 0.9, 2.0], "high": [0.6, 1.1, 3.0]})
    spec = figures.ratio_dots(frame, "model", "ratio", "t", "x", low="low", high="high").to_dict()
    layers = spec["layer"]
    assert layers[0]["encoding"]["x"] == {"datum": 1} and "y" not in layers[0]["encoding"]
    assert layers[1]["encoding"]["x2"]["field"] == "high"
    dots = layers[-1]["encoding"]
    assert dots["x"]["scale"]["type"] == "log" and dots["y"]["sort"]["field"] == "ratio"
    assert spec["height"] == 3 * 16
    assert len(figures.ratio_dots(frame, "model", "ratio", "t", "x").to_dict()["layer"]) == 2


NUMBER_CELLS = ["1,979", "46.2%", "3.15 × 10²³", "1,231–14,119", "\u2014", "-2.5", "2024-12", "2024-12-01", "0.6306"]
TEXT_CELLS = ["NVIDIA 2021", "a100-40gb", "\u2713", "7.933e12", "24.7 t CO2e", "Luccioni et al. 2022, Table 4"]


@pytest.mark.parametrize("cell, number", [(c, True) for c in NUMBER_CELLS] + [(c, False) for c in TEXT_CELLS])
def test_number_cells_are_marked_so_that_they_never_break(cell: str, number: bool):
    from llmcost.book import NUMBER_CELL_CLASS, mark_number_cells

    marked = mark_number_cells(f"<tr><td>{cell}</td></tr>")
    assert (f'<td class="{NUMBER_CELL_CLASS}">{cell}</td>' in marked) is number


@pytest.mark.parametrize("cell, kept", [("30 (25–283)", ["25–283"]), ("GPT-3 on 1,000 A100 at 50 % utilization", ["50 %"]),
                                        ("3.15 × 10²³ FLOP, 6PD", ["3.15 × 10²³"]), ("24.7 t CO2e", []), ("a100-40gb-sxm", [])])
def test_numbers_inside_text_cells_are_kept_whole(cell: str, kept: list):
    from llmcost.book import NO_BREAK_CLASS, mark_number_cells

    marked = mark_number_cells(f"<td>{cell}</td>")
    assert re.findall(rf'<span class="{NO_BREAK_CLASS}">([^<]*)</span>', marked) == kept


def test_cite_text_names_papers_and_the_source_documents():
    from llmcost.book import cite_text

    assert cite_text("touvron2023llama, Table 15") == "Touvron et al. 2023a, Table 15"  # Llama 2's paper is 2023b
    assert cite_text("touvron2023llama2") == "Touvron et al. 2023b" and cite_text("kaplan2020scaling") == "Kaplan et al. 2020"
    assert cite_text("seed000") == "seed 000" and cite_text("seed0001") == "seed0001"
    assert cite_text("no key here 2023") == "no key here 2023"


def test_ratio_domain_holds_the_data_and_agreement_with_a_margin():
    import pandas as pd

    from llmcost import figures

    frame = pd.DataFrame({"r": [0.5, 2.0, float("nan")], "hi": [0.6, 8.0, 3.0]})
    assert figures.ratio_domain(frame, ["r", "hi"]) == [0.5 / figures.MARGIN, 8.0 * figures.MARGIN]
    assert figures.ratio_domain(frame[["r"]].iloc[:1] * 4, ["r"]) == [1 / figures.MARGIN, 2.0 * figures.MARGIN]


def test_glue_all_glues_texts_and_formatted_numbers_in_order(monkeypatch):
    import myst_nb

    from llmcost.book import glue_all

    glued = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: glued.append((name, value, display)))
    glue_all({"a": "text", "b": (1234.5, ",.0f"), "c": (0.5, ".0%", "of peak")})
    assert glued == [("a", "text", False), ("b", "1,234", False), ("c", "50% of peak", False)]
    with pytest.raises(TypeError, match="glue_all: d must be a text or"):
        glue_all({"d": 3.0})
