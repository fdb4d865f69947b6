"""The datasets: schema, units, sources, and the loaders' independence from the working directory."""

import json
import shutil
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pybtex.database import parse_file

from llmcost import audit, cost, datasets
from llmcost.core.validate import InputError

ROOT = Path(__file__).resolve().parents[1]
FACT_TABLES = {"model_facts.csv": "models.csv", "accelerator_specs.csv": "accelerators.csv"}


@pytest.fixture(scope="module")
def bib_keys():
    return set(parse_file(ROOT / "references.bib").entries.keys())


def test_datapackage_is_valid():
    from frictionless import validate

    report = validate(str(ROOT / "data" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_loader_reads_the_bibtex_keys_pybtex_reads(bib_keys):
    """The loader finds references.bib's keys with a regular expression (no pybtex at run time)."""
    assert datasets._bib_keys() == bib_keys


def test_datapackage_describes_every_csv():
    package = json.loads((ROOT / "data" / "datapackage.json").read_text())
    described = {resource["path"] for resource in package["resources"]}
    assert described == {p.name for p in (ROOT / "data").glob("*.csv")}


@pytest.mark.parametrize("facts_file, identity_file", FACT_TABLES.items())
def test_facts_have_known_subject_unit_source_and_one_primary(facts_file, identity_file, bib_keys):
    facts = pd.read_csv(ROOT / "data" / facts_file, keep_default_na=False)
    ids = set(pd.read_csv(ROOT / "data" / identity_file)["id"])
    vocabulary = datasets.quantities()
    vocabulary = vocabulary[vocabulary["table"] == facts_file.removesuffix(".csv")]
    units = dict(zip(vocabulary["quantity"], vocabulary["unit"]))
    assert set(facts["subject"]) <= ids
    assert set(facts["quantity"]) <= set(units), set(facts["quantity"]) - set(units)
    assert (facts["unit"] == facts["quantity"].map(units)).all(), facts[facts["unit"] != facts["quantity"].map(units)]
    assert set(facts["source"]) <= bib_keys, set(facts["source"]) - bib_keys
    assert (facts["locator"].str.len() > 0).all()
    primaries = facts[facts["primary"].astype(str).str.lower() == "true"].groupby(["subject", "quantity"]).size()
    all_pairs = facts.groupby(["subject", "quantity"]).size()
    assert (primaries.reindex(all_pairs.index, fill_value=0) == 1).all()


@pytest.mark.parametrize("filename", ["models.csv", "accelerators.csv", "prices.csv", "api_prices.csv", "serving_measurements.csv", "library_support.csv", "claims.csv", "techniques.csv"])
def test_every_row_cites_an_existing_reference(filename, bib_keys):
    table = pd.read_csv(ROOT / "data" / filename, keep_default_na=False)
    assert set(table["source"]) <= bib_keys, set(table["source"]) - bib_keys


@pytest.mark.parametrize("filename", ["models.csv", "accelerators.csv"])
def test_ids_and_aliases_are_unique(filename):
    table = pd.read_csv(ROOT / "data" / filename, keep_default_na=False)
    names = [datasets.normalize_name(n) for row in table.itertuples() for n in {row.id, row.name, *filter(None, row.aliases.split(";"))}]
    duplicated = {n for n in names if names.count(n) > 1}
    assert not duplicated


def test_fractions_and_counts_are_plausible():
    facts = datasets.model_facts()
    for quantity in ("mfu", "hfu"):
        assert facts.loc[facts["quantity"] == quantity, "value"].between(0, 1, inclusive="right").all()
    assert (facts.loc[facts["quantity"] == "pue", "value"] >= 1).all()
    may_be_zero = {"position_embeddings", "linear_biases", "experts_shared", "dense_layers"}  # rotary, no biases, no shared expert, all layers sparse
    assert (facts.loc[~facts["quantity"].isin(may_be_zero), "value"] > 0).all()
    assert facts.loc[facts["quantity"].isin(may_be_zero), "value"].notna().all()


SLIP_CAUGHT = {
    "accelerator_specs.csv": None,  # every quantity
    "model_facts.csv": {"layers", "d_model", "heads", "ffn_dim", "head_dim", "experts", "experts_routed", "mfu", "hfu",
                        "tflops_per_gpu", "power_w", "pue", "grid_kg_per_kwh", "train_days"},
}
"""Quantities whose plausible range in quantities.csv rejects every real value times or divided by 1000.
The others (parameters, tokens, FLOP, energy, cost...) span more than 1000x across the models, so
one range cannot: it only bounds them to what 2018-2026 hardware and models reach."""


@pytest.mark.parametrize("filename, quantities", SLIP_CAUGHT.items())
def test_plausible_ranges_catch_a_thousandfold_slip(filename, quantities):
    vocabulary = datasets.quantities().set_index("quantity")
    facts = pd.read_csv(ROOT / "data" / filename)
    facts = facts if quantities is None else facts[facts["quantity"].isin(quantities)]
    low, high = (facts["quantity"].map(vocabulary[bound]) for bound in ("minimum", "maximum"))
    assert facts["value"].between(low, high).all()
    assert (facts["value"] * 1000 > high).all(), facts[facts["value"] * 1000 <= high]
    assert (facts["value"] / 1000 < low).all(), facts[facts["value"] / 1000 >= low]


def test_required_models_and_accelerators_present():
    assert {"gpt-3", "gpt-4", "opt-175b", "bloom-176b", "llama-7b", "llama-65b", "llama-2-70b", "palm-540b"} <= set(datasets.model_ids())
    assert {"v100-sxm2-32gb", "a100-40gb-sxm", "a100-80gb-sxm", "a100-40gb-pcie", "a100-80gb-pcie", "h100-sxm", "h100-pcie", "h800-sxm", "h200-sxm", "b200", "tpu-v4"} <= set(datasets.accelerator_ids())


def test_gpt4_is_marked_as_leak_and_moe():
    gpt4 = datasets.model("gpt-4")
    assert gpt4["status"] == "leak" and gpt4["kind"] == "moe"
    assert gpt4["params_active"] < gpt4["params_total"]


def test_a100_datasheet_rates():
    a100 = datasets.accelerator("A100")
    assert (a100["fp32_tflops"], a100["tf32_tflops"], a100["bf16_tflops"]) == (19.5, 156, 312)


@pytest.mark.parametrize("alias", ["A100", "a100-80gb", "A100 80GB", "a100_80gb"])
def test_accelerator_aliases_resolve(alias):
    assert datasets.resolve_accelerator(alias) == "a100-80gb-sxm"


def test_unknown_names_list_the_known_ones():
    with pytest.raises(InputError, match=r"unknown model 'gpt-9'; known: gpt-1, .*gpt-3"):
        datasets.model("gpt-9")
    with pytest.raises(InputError, match=r"unknown gpu 'z80'; known: .*h100-sxm"):
        datasets.accelerator("z80")


def test_wide_tables_agree_with_lookups():
    table = datasets.models().set_index("id")
    assert table.loc["gpt-3", "params_total"] == datasets.model("gpt-3")["params_total"]
    assert table.loc["llama-7b", "params_active"] == table.loc["llama-7b", "params_total"]
    specs = datasets.accelerators().set_index("id")
    assert specs.loc["h100-sxm", "bf16_tflops"] == datasets.accelerator("h100")["bf16_tflops"]


def test_loaders_do_not_depend_on_the_working_directory(tmp_path):
    code = "import llmcost; print(len(llmcost.models()), llmcost.model('gpt-3')['params_total'])"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[1] == "175000000000.0"


def test_prices_have_dates_and_units():
    prices = datasets.prices()
    assert prices["date"].astype(str).str.fullmatch(r"\d{4}-\d{2}(-\d{2})?").all()
    assert set(prices["unit"]) <= {"usd_per_gpu_hour", "usd_per_instance_hour", "usd_per_unit"}
    assert (prices["usd"] > 0).all()


def test_every_claim_recomputes_with_a_known_recipe():
    rows = audit.recompute_all()
    assert len(rows) >= 50
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["document"] in {p.stem for p in (ROOT.parent / "shared" / "seeds").glob("*.txt")} or not (ROOT.parent / "shared").exists()
        assert row["recomputed"] > 0 or row["recipe"] == "not_reproducible", row["id"]


def test_claim_input_sources_exist(bib_keys):
    keys = {key for row in datasets.claim_rows() for key in row["input_sources"].split(";") if key}
    assert keys and keys <= bib_keys, keys - bib_keys


def test_claims_cover_every_source_document():
    documents = {r["document"][:3] for r in datasets.claim_rows()}
    assert documents >= {"000", "002", "003", "004"}


def test_claim_ids_are_slugs():
    for row in datasets.claim_rows():
        assert re.fullmatch(r"\d{3}-[a-z0-9-]+", row["id"]), row["id"]


def test_library_support_rows_quote_their_page():
    table = datasets.library_support()
    stated = table[table["supported"] != "not documented"]
    assert (stated["url"].str.startswith("https://")).all() and (stated["quote"].str.len() > 10).all()
    assert table.loc[table["supported"] == "not documented", "url"].isna().all()
    assert len(table) == 4 * table["technique"].nunique()  # every library answers every technique


def test_the_book_offers_every_dataset_for_download(book_html):
    """data_downloads.md lists every file of the data package with its description, and each
    link of the built page serves the repository's own file, byte for byte."""
    package = json.loads((ROOT / "data" / "datapackage.json").read_text())
    page = (ROOT / "data_downloads.md").read_text(encoding="utf-8")
    for resource in package["resources"]:
        assert f"{{download}}`{resource['path']} <data/{resource['path']}>`" in page, resource["path"]
        assert resource["description"] in page, f"{resource['path']}: description differs from datapackage.json"
    built = (book_html / "data_downloads.html").read_text(encoding="utf-8")
    links = re.findall(r'href="(_downloads/[0-9a-f]+/([^"/]+))"', built)
    assert {name for _, name in links} == {r["path"] for r in package["resources"]} | {"datapackage.json", "README.md"}
    for href, name in links:
        assert (book_html / href).read_bytes() == (ROOT / "data" / name).read_bytes(), name


def test_published_value_picks_one_row_by_source_and_locator():
    facts = datasets.model_facts()
    rows = facts[(facts["subject"] == "bloom-176b") & (facts["quantity"] == "co2_t") & (facts["source"] == "luccioni2022bloomcarbon")]
    table4 = rows[rows["locator"].str.contains("Table 4", regex=False)]
    assert datasets.published_value("bloom-176b", "co2_t", "luccioni2022bloomcarbon", "Table 4") == table4["value"].iloc[0]
    with pytest.raises(KeyError, match="3 values of co2_t .*Table 4"):
        datasets.published_value("bloom-176b", "co2_t", "luccioni2022bloomcarbon")
    with pytest.raises(KeyError, match="its locators: none"):
        datasets.published_value("gpt-3", "co2_t", "nosuchsource2099")


def test_quantity_label_reads_the_vocabulary():
    assert datasets.quantity_label("co2_t") == "training emissions"
    assert datasets.quantity_label("utilization_share") == "utilization share"
    assert datasets.quantity_label("params") == "parameters"
    labels = datasets.quantities()["label"]
    assert labels.is_unique and not labels.str.contains("_").any()


def test_gpu_hour_price_divides_an_instance_price_by_its_accelerators():
    prices = datasets.prices().set_index("id")
    instance = prices.loc["aws-p4d-capacity-block"]
    assert cost.gpu_hour_price("aws-p4d-capacity-block") == pytest.approx(instance["usd"] / instance["gpus_per_instance"])
    assert cost.gpu_hour_price("deepseek-v3-h800-rental") == prices.loc["deepseek-v3-h800-rental", "usd"]
    purchase = prices.index[prices["unit"] == "usd_per_unit"][0]
    with pytest.raises(InputError, match=f"unknown rental price '{purchase}'; known: aws-p4d"):
        cost.gpu_hour_price(purchase)


def test_validated_tables_are_kept_between_processes_for_the_same_bytes(tmp_path, monkeypatch):
    """A table validated once is read back by the next process (the CLI starts faster), but only
    for the same bytes of every data file, the bibliography and the loader's code."""
    import pickle

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("LLMCOST_NO_DATA_CACHE", raising=False)
    datasets._clear_caches()
    fresh = datasets._table("models.csv")
    cache = tmp_path / "llmcost" / "validated-data.pickle"
    stored = pickle.loads(cache.read_bytes())
    assert stored["key"] == datasets._content_key() and stored["tables"]["models.csv"] == fresh
    datasets._clear_caches()
    assert datasets._validated()["models.csv"] == fresh  # a new process would read it back
    stored["key"] = "another content"
    cache.write_bytes(pickle.dumps(stored))
    datasets._clear_caches()
    assert datasets._validated() == {}, "tables of other bytes were read back"
    cache.write_bytes(b"not a pickle")
    datasets._clear_caches()
    assert datasets._validated() == {} and datasets.model("gpt-3")["params_total"] == 175e9
    datasets._clear_caches()


def test_a_copy_of_the_data_is_always_validated_afresh(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    copy = tmp_path / "data"
    shutil.copytree(ROOT / "data", copy)
    with datasets.use_data_dir(copy):
        assert datasets._cache_file() is None
        datasets.model("gpt-3")
    assert not (tmp_path / "cache").exists()


def test_third_party_sources_are_inputs_of_the_claim():
    """Issue 21: a verdict resting on a third party's figures names them among the claim's inputs,
    and every claim on the GPT-4 leak is marked (the leak is SemiAnalysis's estimate, not OpenAI's)."""
    rows = datasets.claim_rows()
    for row in rows:
        third = set(filter(None, row["third_party_sources"].split(";")))
        assert third <= set(row["input_sources"].split(";")), row["id"]
        if "patel2023gpt4" in row["input_sources"].split(";"):
            assert "patel2023gpt4" in third, row["id"]
    assert sum(bool(row["third_party_sources"]) for row in rows) >= 10


def test_a_claim_copied_from_a_dataset_names_the_facts_source():
    """A ``model_fact`` claim rests on the dataset row it copies: that row's source is among its inputs."""
    import json

    for row in datasets.claim_rows():
        if row["recipe"] == "model_fact":
            inputs = json.loads(row["inputs"]) if isinstance(row["inputs"], str) else row["inputs"]
            facts = datasets.model_facts()
            source = facts[(facts["subject"] == datasets.resolve_model(inputs["model"])) & (facts["quantity"] == inputs["quantity"])
                           & facts["primary"]]["source"].iloc[0]
            assert source in row["input_sources"].split(";"), row["id"]
