"""Corrupted datasets fail to load, with a DataError naming file, line and column.

Each test copies ``data/`` (and ``references.bib`` beside it) into a temporary directory,
breaks one thing, points the loaders at the copy with ``datasets.use_data_dir`` and checks that
every entry point reading that file (stdlib lookups and pandas loaders alike) raises a
``DataError`` whose message starts ``<file> line <n>, column <name>:``. A bare KeyError or
ValueError would fail the test: ``pytest.raises(DataError)`` does not catch them.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from llmcost import cli, datasets, techniques
from llmcost.catalog.datasets import DataError

ROOT = Path(__file__).resolve().parents[1]

READERS = {
    "models.csv": [lambda: datasets.resolve_model("gpt-3"), datasets.model_ids, datasets.models],
    "model_facts.csv": [lambda: datasets.model("gpt-3"), datasets.models, datasets.model_facts],
    "accelerators.csv": [lambda: datasets.resolve_accelerator("a100"), datasets.accelerators],
    "accelerator_specs.csv": [lambda: datasets.accelerator("a100"), datasets.accelerators, datasets.accelerator_specs],
    "quantities.csv": [datasets.quantities, lambda: datasets.model("gpt-3")],
    "prices.csv": [datasets.prices],
    "api_prices.csv": [lambda: datasets.api_price("openai-davinci-2022"), datasets.api_prices],
    "serving_measurements.csv": [datasets.serving_measurements],
    "library_support.csv": [datasets.library_support],
    "claims.csv": [datasets.claim_rows, datasets.claims],
    "techniques.csv": [lambda: techniques.technique("data-parallel"), techniques.techniques],
}
"""Entry points that read each file: every one must reject a corrupted copy."""


@pytest.fixture
def data(tmp_path):
    """A copy of ``data/`` with ``references.bib`` beside it, read by the loaders during the test."""
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy)
    shutil.copy(ROOT / "references.bib", tmp_path / "references.bib")
    with datasets.use_data_dir(copy):
        yield copy


def line_of(path: Path, **cells) -> int:
    """Line (header = 1) where the first record whose cells equal ``cells`` starts."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header, end = next(reader), reader.line_num
        for row in reader:
            if all(dict(zip(header, row))[column] == value for column, value in cells.items()):
                return end + 1
            end = reader.line_num
    raise LookupError(f"no row of {path.name} with {cells}")


def _lines(path: Path) -> tuple[list[str], list[str]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    return lines, next(csv.reader([lines[0]]))


def _joined(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def set_cell(path: Path, line: int, column: str, text: str) -> None:
    """Replace one cell of the one-line record at ``line``."""
    lines, header = _lines(path)
    cells = next(csv.reader([lines[line - 1]]))
    cells[header.index(column)] = text
    lines[line - 1] = _joined(cells)
    path.write_text("\n".join(lines), encoding="utf-8")


def append_copy(path: Path, line: int, **changes) -> int:
    """Append a copy of the record at ``line`` with some cells changed; returns the new line."""
    lines, header = _lines(path)
    cells = next(csv.reader([lines[line - 1]]))
    for column, text in changes.items():
        cells[header.index(column)] = text
    body = [text for text in lines if text]
    path.write_text("\n".join([*body, _joined(cells), ""]), encoding="utf-8")
    return len(body) + 1


def assert_rejected(filename: str, line: int, column: str, says: str) -> None:
    """Every reader of ``filename`` (and check_all) raises DataError naming file, line and column."""
    pattern = rf"^{re.escape(filename)} line {line}, column {re.escape(column)}: .*{re.escape(says)}"
    for read in [*READERS[filename], datasets.check_all]:
        with pytest.raises(DataError, match=pattern):
            read()


# --- the real data ----------------------------------------------------------------------------


def test_real_data_loads_through_every_entry_point():
    assert set(datasets.check_all()) == {path.name for path in (ROOT / "data").glob("*.csv")}
    for readers in READERS.values():
        for read in readers:
            read()
    assert datasets.model("gpt-3")["train_flops"] == 3.14e23


def test_use_data_dir_reads_the_copy_then_the_package_again(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy)
    line = line_of(copy / "model_facts.csv", subject="gpt-3", quantity="train_flops")
    set_cell(copy / "model_facts.csv", line, "value", "3.15e+24")
    assert datasets.model("gpt-3")["train_flops"] == 3.14e23
    with datasets.use_data_dir(copy) as directory:
        assert directory == copy
        assert datasets.model("gpt-3")["train_flops"] == 3.15e24
    assert datasets.model("gpt-3")["train_flops"] == 3.14e23


# --- numbers: inf, 1e400, nan, 175e9x ---------------------------------------------------------

NUMERIC_CELLS = [
    ("model_facts.csv", {"subject": "gpt-3", "quantity": "train_flops"}, "value"),
    ("accelerator_specs.csv", {"subject": "a100-80gb-sxm", "quantity": "bf16_tflops"}, "value"),
    ("prices.csv", {"id": "aws-p4d-24xlarge-on-demand"}, "usd"),
    ("api_prices.csv", {"id": "openai-davinci-2022"}, "usd_per_1m_output"),
    ("serving_measurements.csv", {"id": "trtllm-h200-llama-70b-b32-tp1-2048-128"}, "value"),
    ("claims.csv", {"id": "000-toynet-out-h2"}, "stated_value"),
    ("accelerators.csv", {"id": "a100-80gb-sxm"}, "release_year"),  # integer
    ("prices.csv", {"id": "aws-p4d-24xlarge-on-demand"}, "gpus_per_instance"),  # integer
]
BAD_NUMBERS = {
    "inf": (["inf", "-inf", "Infinity"], "is not a finite number"),
    "1e400": (["1e400", "-1e400", "1e309"], "is not a finite number"),
    "nan": (["nan", "NaN", "-nan"], "is not a finite number"),
    "175e9x": (["175e9x", "1_000", "0x1f"], "is not a number"),
}
INTEGER_COLUMNS = {"release_year", "gpus_per_instance"}


@pytest.mark.parametrize("filename, where, column", NUMERIC_CELLS, ids=lambda v: v if isinstance(v, str) else "")
@pytest.mark.parametrize("text, says", [(t, says) for texts, says in BAD_NUMBERS.values() for t in texts])
def test_bad_number_is_rejected(data, filename, where, column, text, says):
    line = line_of(data / filename, **where)
    set_cell(data / filename, line, column, text)
    assert_rejected(filename, line, column, "is not a whole number" if column in INTEGER_COLUMNS else says)


@pytest.mark.parametrize("inputs", ['{"params": Infinity}', '{"params": 1e400}', '{"params": NaN}', '["params"]'])
def test_bad_json_inputs_are_rejected(data, inputs):
    line = line_of(data / "claims.csv", id="000-toynet-out-h2")
    set_cell(data / "claims.csv", line, "inputs", inputs)
    assert_rejected("claims.csv", line, "inputs", "JSON")


# --- the primary rule -------------------------------------------------------------------------


@pytest.mark.parametrize("filename, subject, quantity, value", [
    ("model_facts.csv", "gpt-3", "train_flops", "3.15e+24"),
    ("accelerator_specs.csv", "a100-80gb-sxm", "bf16_tflops", "624"),
])
def test_second_primary_row_appended(data, filename, subject, quantity, value):
    first = line_of(data / filename, subject=subject, quantity=quantity, primary="true")
    line = append_copy(data / filename, first, value=value, locator="a second reading")
    assert_rejected(filename, line, "primary", f"a second primary row for ('{subject}', '{quantity}'); line {first}")


@pytest.mark.parametrize("filename", ["model_facts.csv", "accelerator_specs.csv"])
def test_alternative_row_marked_primary(data, filename):
    rows = list(csv.DictReader((data / filename).open(encoding="utf-8")))
    alternative = next(row for row in rows if row["primary"] == "false")
    line = line_of(data / filename, **{c: alternative[c] for c in ("subject", "quantity", "source", "locator")})
    set_cell(data / filename, line, "primary", "true")
    assert_rejected(filename, line, "primary", "a second primary row")


def test_second_primary_row_stops_the_cli(data, capsys):
    """The bug that motivated the rule: GPT-3 would cost 3.15e24 FLOP in the CLI. Exit 2, one line."""
    first = line_of(data / "model_facts.csv", subject="gpt-3", quantity="train_flops")
    append_copy(data / "model_facts.csv", first, value="3.15e+24", locator="a second reading")
    assert cli.main(["train", "--model", "gpt-3", "--json"]) == 2
    captured = capsys.readouterr()
    assert not captured.out
    assert re.fullmatch(r"llmcost train: error in the dataset: model_facts.csv line \d+, column primary: "
                        r"a second primary row .*\n", captured.err)


@pytest.mark.parametrize("filename, subject, quantity", [
    ("model_facts.csv", "gpt-3", "train_flops"),  # the only row of the pair
    ("model_facts.csv", "gpt-3", "co2_t"),  # the pair has an alternative row
    ("accelerator_specs.csv", "a100-80gb-sxm", "bf16_tflops"),
])
def test_pair_without_primary_row(data, filename, subject, quantity):
    line = line_of(data / filename, subject=subject, quantity=quantity, primary="true")
    set_cell(data / filename, line, "primary", "false")
    first = line_of(data / filename, subject=subject, quantity=quantity)
    assert_rejected(filename, first, "primary", f"no row for ('{subject}', '{quantity}') is primary")


@pytest.mark.parametrize("filename, subject", [("model_facts.csv", "gpt-3"), ("accelerator_specs.csv", "h100-sxm")])
def test_subject_without_any_primary_row(data, filename, subject):
    path = data / filename
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        if row["subject"] == subject and row["primary"] == "true":
            set_cell(path, line_of(path, **{c: row[c] for c in ("subject", "quantity", "source", "locator")}), "primary", "false")
    first = line_of(path, subject=subject)
    assert_rejected(filename, first, "primary", f"no row for ('{subject}', ")


# --- encoding and structure -------------------------------------------------------------------


@pytest.mark.parametrize("filename", sorted(READERS))
def test_byte_order_mark_is_rejected(data, filename):
    path = data / filename
    first_column = path.read_text(encoding="utf-8").split(",", 1)[0]
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert_rejected(filename, 1, first_column, "byte-order mark")


def test_bytes_that_are_not_utf8(data):
    path = data / "models.csv"
    line = line_of(path, id="gpt-3")
    set_cell(path, line, "name", "GPT-3 placeholder")
    path.write_bytes(path.read_bytes().replace(b"GPT-3 placeholder", b"GPT-3 \xe9"))  # Latin-1 e-acute
    assert_rejected("models.csv", line, "name", "is not UTF-8")


@pytest.mark.parametrize("filename, column", [
    ("models.csv", "aliases"),
    ("model_facts.csv", "value"),
    ("model_facts.csv", "primary"),
    ("accelerator_specs.csv", "unit"),
    ("claims.csv", "inputs"),
    ("api_prices.csv", "usd_per_1m_input"),
    ("techniques.csv", "source"),
])
def test_missing_column(data, filename, column):
    path = data / filename
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    position = rows[0].index(column)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([cells[:position] + cells[position + 1:] for cells in rows])
    assert_rejected(filename, 1, column, "is missing from the header")


@pytest.mark.parametrize("filename, old, new", [("model_facts.csv", "value", "Value"), ("models.csv", "aliases", "alias")])
def test_renamed_column(data, filename, old, new):
    path = data / filename
    lines, header = _lines(path)
    lines[0] = _joined([new if name == old else name for name in header])
    path.write_text("\n".join(lines), encoding="utf-8")
    assert_rejected(filename, 1, new, "is not a column")


@pytest.mark.parametrize("filename, where, kept, column", [
    ("models.csv", {"id": "gpt-3"}, 10, "note"),
    ("model_facts.csv", {"subject": "gpt-3", "quantity": "train_flops"}, 2, "value"),
])
def test_row_with_missing_cells(data, filename, where, kept, column):
    path = data / filename
    line = line_of(path, **where)
    lines, _ = _lines(path)
    lines[line - 1] = _joined(next(csv.reader([lines[line - 1]]))[:kept])
    path.write_text("\n".join(lines), encoding="utf-8")
    assert_rejected(filename, line, column, f"the line has {kept} cells")


# --- names, subjects and sources --------------------------------------------------------------


def _names_after(path: Path, ident: str) -> dict:
    """A row that comes after ``ident``'s row in the file (so the clash is reported on it)."""
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    position = next(i for i, row in enumerate(rows) if row["id"] == ident)
    return rows[position + 1]


@pytest.mark.parametrize("filename, ident, column, clash", [
    ("models.csv", "gpt-3", "aliases", "gpt 3"),  # normalizes to the id gpt-3
    ("models.csv", "gpt-3", "name", "GPT-3"),
    ("accelerators.csv", "a100-80gb-sxm", "aliases", "a100"),  # a100's alias
    ("accelerators.csv", "a100-80gb-sxm", "name", "A100"),
])
def test_name_or_alias_naming_two_ids(data, filename, ident, column, clash):
    path = data / filename
    other = _names_after(path, ident)
    line = line_of(path, id=other["id"])
    text = f"{other['aliases']};{clash}" if column == "aliases" and other["aliases"] else clash
    set_cell(path, line, column, text)
    assert_rejected(filename, line, column, f"{clash!r} also names {ident!r}")


@pytest.mark.parametrize("filename, where, column, text", [
    ("model_facts.csv", {"subject": "gpt-3", "quantity": "train_flops"}, "source", "nobody2099"),
    ("accelerator_specs.csv", {"subject": "a100-80gb-sxm", "quantity": "bf16_tflops"}, "source", "nobody2099"),
    ("models.csv", {"id": "gpt-3"}, "source", "nobody2099"),
    ("prices.csv", {"id": "aws-p4d-24xlarge-on-demand"}, "source", "nobody2099"),
    ("claims.csv", {"id": "000-toynet-out-h2"}, "input_sources", "brown2020gpt3;nobody2099"),
    ("techniques.csv", {"id": "data-parallel"}, "source", "nobody2099"),
])
def test_unknown_citation_key(data, filename, where, column, text):
    line = line_of(data / filename, **where)
    set_cell(data / filename, line, column, text)
    assert_rejected(filename, line, column, "'nobody2099' is not a key in references.bib")


def test_citations_are_not_checked_without_a_bibliography(data):
    """An installed wheel ships data/ without references.bib: the check is skipped, the rest still runs."""
    (data.parent / "references.bib").unlink()
    line = line_of(data / "model_facts.csv", subject="gpt-3", quantity="train_flops")
    set_cell(data / "model_facts.csv", line, "source", "nobody2099")
    assert datasets.model("gpt-3")["train_flops"] == 3.14e23


@pytest.mark.parametrize("filename, where, column, text, says", [
    ("model_facts.csv", {"subject": "gpt-3", "quantity": "train_flops"}, "subject", "gpt-9", "'gpt-9' matches no id in models.csv"),
    ("accelerator_specs.csv", {"subject": "a100-80gb-sxm", "quantity": "bf16_tflops"}, "subject", "z80", "'z80' matches no id in accelerators.csv"),
    ("prices.csv", {"id": "aws-p4d-24xlarge-on-demand"}, "accelerator", "z80", "'z80' matches no id in accelerators.csv"),
    ("models.csv", {"id": "gpt-3"}, "accelerator", "z80", "'z80' matches no id in accelerators.csv"),
    ("model_facts.csv", {"subject": "gpt-3", "quantity": "train_flops"}, "unit", "W", "('train_flops', 'W') matches no quantity, unit"),
])
def test_reference_to_an_unknown_row(data, filename, where, column, text, says):
    line = line_of(data / filename, **where)
    set_cell(data / filename, line, column, text)
    shown = "quantity, unit" if column == "unit" else column
    assert_rejected(filename, line, shown, says)


# --- what the schema itself rejects (frictionless) --------------------------------------------


def test_frictionless_rejects_what_the_schema_states(data):
    from frictionless import validate

    facts = data / "model_facts.csv"
    train = line_of(facts, subject="gpt-3", quantity="train_flops")
    duplicate = append_copy(facts, train)  # same primary key (subject, quantity, source, locator)
    unknown = line_of(facts, subject="gpt-3", quantity="tokens")
    set_cell(facts, unknown, "subject", "gpt-9")
    infinite = line_of(facts, subject="gpt-3", quantity="layers")
    set_cell(facts, infinite, "value", "inf")
    wrong_unit = line_of(facts, subject="gpt-3", quantity="heads")
    set_cell(facts, wrong_unit, "unit", "W")
    api = line_of(data / "api_prices.csv", id="openai-davinci-2022")
    set_cell(data / "api_prices.csv", api, "usd_per_1m_output", "20000")  # x1000: above the schema's maximum 1000
    vocabulary = line_of(data / "quantities.csv", quantity="layers")
    set_cell(data / "quantities.csv", vocabulary, "type", "float")  # not integer or number
    report = validate(str(data / "datapackage.json"))
    found = {(row, kind) for row, kind in report.flatten(["rowNumber", "type"])}
    assert {(duplicate, "primary-key"), (unknown, "foreign-key"), (infinite, "constraint-error"), (wrong_unit, "foreign-key")} <= found
    cells = {(row, field) for row, field, kind in report.flatten(["rowNumber", "fieldName", "type"]) if kind == "constraint-error"}
    assert {(api, "usd_per_1m_output"), (vocabulary, "type")} <= cells
    with pytest.raises(DataError, match=rf"^api_prices.csv line {api}, column usd_per_1m_output: '20000' is above the maximum 1000$"):
        datasets.api_prices()
    # The loader stops at the first problem: cells are checked row by row before keys across rows.
    with pytest.raises(DataError, match=rf"^model_facts.csv line {infinite}, column value: 'inf' is not a finite number"):
        datasets.model_facts()


# --- plausible values, counts and rules across cells, rows and files (issue 16) ----------------
# Each corruption below loaded without an error before these rules: a wrong number that is still a
# finite number in its column's schema range. The plausible range of each quantity is stated once,
# in quantities.csv (long tables) or in datapackage.json (a column of one quantity, or prices.usd
# by its unit).


def set_fact(path: Path, subject: str, quantity: str, text: str) -> int:
    """Set the primary value of (subject, quantity) in a long facts table; returns its line."""
    line = line_of(path, subject=subject, quantity=quantity, primary="true")
    set_cell(path, line, "value", text)
    return line


@pytest.mark.parametrize("filename, subject, quantity, text, says", [
    ("accelerator_specs.csv", "a100-80gb-sxm", "bf16_tflops", "312000", "'312000' is above the maximum"),  # x1000
    ("accelerator_specs.csv", "a100-80gb-sxm", "bf16_tflops", "0.312", "'0.312' is below the minimum"),  # /1000
    ("accelerator_specs.csv", "a100-80gb-sxm", "bandwidth_gbps", "0", "'0' is below the minimum"),
    ("model_facts.csv", "gpt-3", "params_total", "175000000000000", "'175000000000000' is above the maximum"),  # x1000
    ("model_facts.csv", "palm-540b", "mfu", "46.2", "'46.2' is above the maximum 1; mfu in fraction is a number from 0.01 to 1"),  # a percentage
], ids=["bf16-x1000", "bf16-div1000", "bandwidth-0", "gpt3-params-x1000", "palm-mfu-percent"])
def test_implausible_value_for_its_quantity(data, filename, subject, quantity, text, says):
    line = set_fact(data / filename, subject, quantity, text)
    assert_rejected(filename, line, "value", says)
    with pytest.raises(DataError, match=r" is a number from .* \(quantities.csv line \d+\)$"):
        datasets.check_all()


@pytest.mark.parametrize("subject, quantity, text", [("gpt-3", "layers", "96.5"), ("opt-175b", "accelerator_count", "992.5")])
def test_fractional_count(data, subject, quantity, text):
    line = set_fact(data / "model_facts.csv", subject, quantity, text)
    assert_rejected("model_facts.csv", line, "value", f"'{text}' is not a whole number; {quantity} in count is a whole number from 1 to ")


def test_active_parameters_above_total(data):
    line = set_fact(data / "model_facts.csv", "gpt-4", "params_active", "2000000000000")
    total = line_of(data / "model_facts.csv", subject="gpt-4", quantity="params_total", primary="true")
    assert_rejected("model_facts.csv", line, "value", f"params_active 2e+12 of gpt-4 must be at most its params_total 1.8e+12 (line {total})")


@pytest.mark.parametrize("subject, text", [("llama-2-70b", "7"), ("gpt-3", "64")])
def test_kv_heads_that_do_not_divide_the_heads(data, subject, text):
    line = set_fact(data / "model_facts.csv", subject, "kv_heads", text)
    assert_rejected("model_facts.csv", line, "value", f"kv_heads {text} of {subject} must divide its heads")


@pytest.mark.parametrize("ident, kind, says", [
    ("gpt-3", "moe", "'moe', but gpt-3 has no params_active in model_facts.csv; an moe model needs params_active below params_total"),
    ("mixtral-8x7b", "dense", "'dense', but mixtral-8x7b's params_active 1.29e+10 (model_facts.csv line "),
])
def test_model_kind_that_its_facts_contradict(data, ident, kind, says):
    line = line_of(data / "models.csv", id=ident)
    set_cell(data / "models.csv", line, "kind", kind)
    assert_rejected("models.csv", line, "kind", says)


def test_dense_model_with_experts(data):
    """A fact that contradicts the kind is reported on the model's kind by every reader of either file."""
    facts = data / "model_facts.csv"
    append_copy(facts, line_of(facts, subject="mixtral-8x7b", quantity="experts"), subject="llama-7b")
    line = line_of(data / "models.csv", id="llama-7b")
    for corrupted in ("models.csv", "model_facts.csv"):
        for read in READERS[corrupted]:
            with pytest.raises(DataError, match=rf"^models.csv line {line}, column kind: 'dense', but model_facts.csv line \d+ gives llama-7b experts"):
                read()


def _set_input(path: Path, ident: str, name: str, value) -> int:
    line = line_of(path, id=ident)
    lines, header = _lines(path)
    inputs = json.loads(next(csv.reader([lines[line - 1]]))[header.index("inputs")])
    set_cell(path, line, "inputs", json.dumps({**inputs, name: value}))
    return line


@pytest.mark.parametrize("ident, name, value, says", [
    ("000-gpt3-published-flops", "model", "gpt-9", "model 'gpt-9' is no id, name or alias in models.csv"),
    ("000-gpt3-a100-hours", "gpu", "z80", "gpu 'z80' is no id, name or alias in accelerators.csv"),
    ("002-gpt35-price", "id", "openai-gpt-9", "id 'openai-gpt-9' is no id in api_prices.csv"),
    ("002-llama-tokens", "quantity", "tokenz", "quantity 'tokenz' is no quantity in quantities.csv"),
])
def test_claim_naming_what_does_not_exist(data, ident, name, value, says):
    line = _set_input(data / "claims.csv", ident, name, value)
    assert_rejected("claims.csv", line, "inputs", says)


@pytest.mark.parametrize("ident, unit, gpus, column, says", [
    # An 8-GPU instance price relabelled per GPU (8x too dear): the accelerator count gives it away...
    ("aws-p4d-capacity-block", "usd_per_gpu_hour", "8", "gpus_per_instance", "'8' is given for a usd_per_gpu_hour price"),
    # ...and without it, the price is above any GPU-hour rate.
    ("aws-p4d-24xlarge-on-demand", "usd_per_gpu_hour", "", "usd", "'32.77' is above the maximum 30; usd_per_gpu_hour is a number from 0.05 to 30"),
    ("aws-p5-48xlarge-on-demand", "usd_per_instance_hour", "", "gpus_per_instance", "is empty, but a usd_per_instance_hour price"),
], ids=["relabelled", "relabelled-count-dropped", "instance-without-count"])
def test_price_with_the_wrong_unit(data, ident, unit, gpus, column, says):
    path = data / "prices.csv"
    line = line_of(path, id=ident)
    set_cell(path, line, "unit", unit)
    set_cell(path, line, "gpus_per_instance", gpus)
    assert_rejected("prices.csv", line, column, says)


@pytest.mark.parametrize("ident, text, says", [
    ("aws-p5-48xlarge-on-demand", "98320", "'98320' is above the maximum 2000; usd_per_instance_hour is a number from"),  # x1000
    ("seed002-a100-purchase", "10", "'10' is below the minimum 100; usd_per_unit is a number from"),  # /1000
])
def test_price_implausible_for_its_unit(data, ident, text, says):
    line = line_of(data / "prices.csv", id=ident)
    set_cell(data / "prices.csv", line, "usd", text)
    assert_rejected("prices.csv", line, "usd", says)


def test_api_price_x1000(data):
    line = line_of(data / "api_prices.csv", id="openai-davinci-2022")
    set_cell(data / "api_prices.csv", line, "usd_per_1m_output", "20000")
    assert_rejected("api_prices.csv", line, "usd_per_1m_output", "'20000' is above the maximum 1000")


@pytest.mark.parametrize("filename", sorted(READERS))
def test_table_emptied_to_its_header(data, filename):
    path = data / filename
    header = path.read_text(encoding="utf-8").split("\n", 1)[0]
    path.write_text(header + "\n", encoding="utf-8")
    assert_rejected(filename, 2, next(csv.reader([header]))[0], "no rows under the header")
