"""The llmcost command: its JSON contract, its errors and its start-up cost."""

import json
import subprocess
import sys

import pytest

from llmcost import cli


def run(*argv, expect=0):
    proc = subprocess.run([sys.executable, "-m", "llmcost.cli", *argv], capture_output=True, text=True, timeout=60)
    assert proc.returncode == expect, proc.stderr
    return proc


def call_json(capsys, *argv):
    assert cli.main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_train_gpt3_from_dataset_matches_seed000(capsys):
    out = call_json(capsys, "train", "--model", "GPT-3", "--gpu", "A100", "--precision", "fp16", "--mfu", "0.462", "--convention", "6PD")
    assert out["flops"] == pytest.approx(3.15e23, rel=0.01)
    assert out["gpu_hours"] == pytest.approx(606_700, rel=0.01)
    assert out["inputs"]["gpu"] == "a100-80gb-sxm"
    assert {"wall_days", "cost_usd", "energy_mwh"}.isdisjoint(out)


def test_train_explicit_params_full_chain(capsys):
    out = call_json(
        capsys, "train", "--params", "175e9", "--tokens", "300e9", "--gpu", "a100-80gb", "--mfu", "0.462",
        "--gpus", "1000", "--price", "2", "--power-w", "400", "--pue", "1.1", "--grid", "0.429",
    )
    assert out["flops"] == 3.15e23
    assert out["wall_days"] == pytest.approx(out["gpu_days"] / 1000)
    assert out["servers"] == 125
    assert out["cost_usd"] == pytest.approx(out["gpu_hours"] * 2)
    assert out["energy_mwh"] == pytest.approx(out["gpu_hours"] * 400 * 1.1 / 1e6)
    assert out["co2_t"] == pytest.approx(out["energy_mwh"] * 0.429)


def test_train_moe_active_params_and_deadline(capsys):
    out = call_json(capsys, "train", "--params", "1.8e12", "--active-params", "277e9", "--tokens", "13e12", "--days", "90", "--recompute")
    assert out["flops"] == pytest.approx(8 * 277e9 * 13e12)
    assert out["gpus"] >= out["gpu_days"] / 90
    assert out["servers"] * 8 >= out["gpus"]


def test_train_grid_without_power_uses_tdp_and_says_so(capsys):
    out = call_json(capsys, "train", "--model", "llama-2-70b", "--gpu", "h100", "--grid", "0.4")
    assert out["inputs"]["power_w"] > 0
    assert out["co2_t"] == pytest.approx(out["energy_mwh"] * 0.4)


def test_infer_deck_fleet_seed004(capsys):
    out = call_json(capsys, "infer", "--params", "175e9", "--tokens-per-day", "7.933e12", "--gpu", "a100", "--precision", "tf32", "--mfu", "0.5", "--price", "2.4025")
    assert out["flops_per_day"] == pytest.approx(2 * 175e9 * 7.933e12)
    assert out["gpus"] == pytest.approx(411_981, rel=1e-3)
    assert out["usd_per_1k_tokens"] > 0


def test_infer_from_requests(capsys):
    out = call_json(capsys, "infer", "--params", "175e9", "--requests-per-day", "3.5e9", "--queries-per-request", "4", "--words-per-query", "425")
    assert out["tokens_per_day"] == pytest.approx(7.933e12, rel=1e-4)


def test_listings(capsys):
    models = call_json(capsys, "models")
    assert {"gpt-3", "gpt-4", "palm-540b"} <= {m["id"] for m in models}
    gpus = call_json(capsys, "gpus")
    assert {"a100-80gb-sxm", "h100-sxm", "v100-sxm2-32gb"} <= {g["id"] for g in gpus}


def test_text_output_names_units(capsys):
    assert cli.main(["train", "--model", "gpt-3"]) == 0
    text = capsys.readouterr().out
    assert "accelerator-hours" in text and "inputs" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--model", "gpt-5"], "--model: unknown model 'gpt-5'; known: "),
        (["train", "--model", "gpt-3", "--gpu", "tpu-v9"], "--gpu: unknown gpu 'tpu-v9'; known: "),
        (["train", "--model", "gpt-3", "--mfu", "1.5"], r"--mfu: must be a fraction in (0, 1] (at least 0.0001), got 1.5"),
        (["train", "--model", "gpt-3", "--mfu", "0"], r"--mfu: must be a fraction in (0, 1] (at least 0.0001), got 0.0"),
        (["train", "--params", "-5", "--tokens", "1e9"], "--params: must be a finite number > 0 (at most 1e+15), got -5.0"),
        (["train", "--params", "abc", "--tokens", "1e9"], "--params: must be a number, got 'abc'"),
        (["train", "--model", "gpt-3", "--gpus", "2.5"], "--gpus: must be a whole number >= 1 (at most 1e+08), got 2.5"),
        (["train", "--model", "gpt-3", "--precision", "fp6"], "--precision: must be one of fp32, tf32, fp16, bf16, fp8, fp4, int8, int4"),
        (["train", "--model", "gpt-3", "--gpu", "v100", "--precision", "bf16"], "precision 'bf16' has no peak rate for gpu 'v100-sxm2-32gb'; allowed: "),
        (["train", "--model", "gpt-3", "--gpus", "8", "--days", "3"], "not allowed with argument --gpus"),
        (["train", "--tokens", "1e9"], "needs --model or --params"),
        (["infer", "--params", "1e9"], "give --tokens-per-day"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, message):
    proc = run(*argv, expect=2)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert message in lines[0]
    assert proc.stdout == ""


def test_console_script_answers_quickly_without_heavy_imports():
    code = (
        "import sys, time; t = time.perf_counter(); from llmcost.cli import main; "
        "main(['train', '--model', 'gpt-3', '--json']); "
        "heavy = [m for m in ('pandas', 'altair', 'myst_nb', 'matplotlib') if m in sys.modules]; "
        "print('HEAVY', heavy)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stdout


def test_custom_peak_needs_explicit_power_for_energy(capsys):
    out = call_json(capsys, "train", "--params", "7e9", "--tokens", "2e12", "--peak-tflops", "500", "--mfu", "0.5")
    assert out["gpu_hours"] == pytest.approx(6 * 7e9 * 2e12 / (500e12 * 0.5) / 3600)
    assert out["inputs"]["gpu"] is None
    proc = run("train", "--params", "7e9", "--tokens", "2e12", "--peak-tflops", "500", "--grid", "0.4", expect=2)
    assert "--power-w is required" in proc.stderr


def test_active_params_cannot_exceed_total():
    proc = run("train", "--params", "7e9", "--active-params", "8e9", "--tokens", "1e12", expect=2)
    assert "--active-params (8e+09) must not exceed the total parameters (7e+09, option --params)" in proc.stderr


def test_train_without_mfu_uses_the_calibrated_utilization_of_its_generation(capsys):
    """Issue 20's first step: Llama 3.1 405B on H100s without --mfu takes the median utilization that
    the Hopper runs with published hours imply (not PaLM's 0.462), names it, and prints the range
    of GPU-hours between the group's lowest and highest."""
    from llmcost import calibration

    hopper = calibration.training_utilization("h100")
    cli.main(["train", "--model", "llama-3.1-405b", "--gpu", "h100", "--price", "3.9", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["inputs"]["mfu"] == hopper["central"] != 0.462 and out["inputs"]["convention"] == "6PD"
    assert out["input_sources"]["mfu"].startswith(f"calibration: the median utilization that the {hopper['count']} Hopper runs")
    assert out["gpu_hours_low"] == pytest.approx(out["gpu_hours"] * hopper["central"] / hopper["high"])
    assert out["gpu_hours_low"] < out["gpu_hours"] < out["gpu_hours_high"]
    assert out["cost_usd_high"] == pytest.approx(out["gpu_hours_high"] * 3.9)
    # the published 30.84 M H100-hours lie in the range (this run is one of the group: not held out)
    assert out["gpu_hours_low"] <= 30.84e6 <= out["gpu_hours_high"]
    # an explicit --mfu, or a precision the runs were not measured at, is not calibrated, and says why
    cli.main(["train", "--model", "llama-3.1-405b", "--gpu", "h100", "--precision", "fp8", "--json"])
    fp8 = json.loads(capsys.readouterr().out)
    assert "gpu_hours_low" not in fp8 and "measured at bf16, not fp8" in fp8["input_sources"]["mfu"]
    cli.main(["train", "--model", "llama-3.1-405b", "--gpu", "h100", "--mfu", "0.4", "--json"])
    assert "gpu_hours_high" not in json.loads(capsys.readouterr().out)


def test_serve_json_has_expected_values_from_its_calibration_group(capsys):
    """Issue 20: `serve --json` keeps the roofline's keys and adds `expected` (low, central, high),
    scaled by the measured shares of its accelerator generation and precision, and names the group."""
    from llmcost import calibration

    argv = ["serve", "--model", "llama-3.1-70b", "--gpu", "h100", "--gpus", "2", "--batch", "16", "--prompt-tokens", "1000",
            "--output-tokens", "1000", "--precision", "fp8", "--price", "3.9"]
    out = call_json(capsys, *argv)
    expected, group = out["expected"], calibration.serving_calibration("h100", "fp8")
    assert expected["group"]["generation"] == "Hopper" and expected["group"]["throughput"]["rows"] == group["throughput"]["rows"]
    share = group["throughput"]
    assert expected["output_tokens_per_s"]["central"] == pytest.approx(out["output_tokens_per_s"] * share["central"])
    assert expected["usd_per_1k_output_tokens"]["high"] == pytest.approx(out["usd_per_1k_output_tokens"] / share["low"])
    for key in ("prefill_s", "decode_s_per_step", "output_tokens_per_s", "usd_per_1k_output_tokens"):
        assert expected[key]["low"] <= expected[key]["central"] <= expected[key]["high"]
    assert expected["prefill_s"]["central"] == pytest.approx(out["prefill_s"] / group["prefill"]["central"])
    # no group at bf16 on Hopper, and a hand-set efficiency changes the roofline measured against: both say why
    assert "at bf16" in call_json(capsys, *argv[:-4], "--price", "3.9")["expected"]["why"]
    assert "--memory-efficiency" in call_json(capsys, *argv, "--memory-efficiency", "0.8")["expected"]["why"]


def test_layout_prints_the_searchs_winner_and_why(capsys):
    """``llmcost layout``: the fastest layout that fits, as the library finds it, with its reasons."""
    from llmcost.running import layout_search

    out = call_json(capsys, "layout", "--model", "gpt-3", "--gpu", "a100", "--gpus", "1024", "--batch", "1536")
    table = layout_search.search_layouts("gpt-3", "a100", 1024, 1536)
    best = layout_search.best_layout(table, 80)
    assert (out["tensor_parallel"], out["pipeline_parallel"], out["data_parallel"]) == (8, 8, 16)
    assert out["step_s"] == pytest.approx(best["step_s"]) and out["layouts_fit"] == int(table["fits"].sum())
    assert out["inputs"]["network_gbps"] == 25 and [row["choice"] for row in out["why"]] == list(layout_search.KNOBS.values())
    h100 = call_json(capsys, "layout", "--model", "gpt-3", "--gpus", "1024", "--batch", "1536")
    assert h100["inputs"]["gpu"] == "h100-sxm" and h100["inputs"]["network_gbps"] == 50


def test_library_words_become_option_words_and_nothing_else():
    from llmcost.cli import LAYOUT_PARAMETERS, _options_named

    said = _options_named("raise gpus or lower global_batch or seq; sequences of gpus_per_node=8 at gpus=16", LAYOUT_PARAMETERS)
    assert said == "raise --gpus or lower --batch or --seq; sequences of --gpus-per-node 8 at --gpus 16"


@pytest.mark.parametrize(("argv", "message"), [
    (["--gpus", "1024", "--batch", "7"], "no layout tiles --gpus 1024 and --batch 7"),
    (["--gpus", "8", "--batch", "8"], "no layout fits: the smallest needs 350 GB per accelerator, which has 80 GB; raise --gpus"),
    (["--gpus", "0", "--batch", "8"], "--gpus"),
    (["--gpus", "8", "--batch", "8", "--optimizer", "lion"], "--optimizer"),
])
def test_layout_refuses_bad_input_in_option_words(argv, message):
    proc = run("layout", "--model", "gpt-3", *argv, expect=2)
    assert message in proc.stderr and proc.stderr.count("\n") == 1
