"""Chapter 9, cost your own model: the page's numbers are those of ``llmcost train`` and
``llmcost serve`` for the same config.json, and the commands it prints run."""

import json
import shlex
from pathlib import Path

import pytest

from llmcost import cli
from llmcost.book.pages import own_model as ch09
from llmcost.core.validate import InputError
from llmcost.running.architecture import parameter_counts

DEFAULTS = dict(model=None, tokens=18e12, context=4096, gpu="a100", precision="bf16", gpus=1024, mfu=0.462, usd_per_gpu_hour=2.0,
                power_w=400.0, pue=1.1, grid_kg_per_kwh=0.385, serving_gpus=1, batch=16, prompt_tokens=1024, output_tokens=256)


def _cli_json(command: str, capsys) -> dict:
    capsys.readouterr()
    assert cli.main(shlex.split(command)[1:] + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_page_gives_the_numbers_of_its_printed_commands(capsys):
    config, gpu = ch09.check_parameters(**DEFAULTS)
    training_keys = ("model", "tokens", "context", "gpu", "precision", "gpus", "mfu", "grid_kg_per_kwh", "usd_per_gpu_hour", "power_w", "pue")
    run = ch09.training(config, **{k: v for k, v in DEFAULTS.items() if k in training_keys and k != "model"} | {"gpu": gpu})
    serve = ch09.served(config, gpu, **{k: DEFAULTS[k] for k in ("serving_gpus", "batch", "prompt_tokens", "output_tokens", "precision",
                                                                  "usd_per_gpu_hour", "power_w", "pue")})
    train_line, serve_line, book_line = ch09.commands(str(config), **{k: v for k, v in DEFAULTS.items() if k != "model"}).splitlines()
    printed = _cli_json(train_line, capsys)
    for key in ("flops", "gpu_hours", "wall_days", "cost_usd", "energy_mwh", "co2_t"):
        assert printed[key] == pytest.approx(run[key], rel=1e-12), key
    assert printed["inputs"]["params"] == parameter_counts(config)["total"] == pytest.approx(7.61e9, rel=0.01)
    served = _cli_json(serve_line, capsys)
    for key in ("decode_s_per_step", "usd_per_1k_output_tokens", "usd_per_1k_input_tokens", "wh_per_1k_output_tokens"):
        assert served[key] == pytest.approx(serve[key], rel=1e-12), key
    assert book_line.startswith(f"llmcost book --set model={config} --chapters 09_own_model 08_serving")


@pytest.mark.parametrize(("change", "message"), [
    ({"model": "qwen2.5-7b"}, "model must be a path to a Hugging Face config.json (or None for the worked example), got 'qwen2.5-7b'"),
    ({"model": "/nonexistent/config.json"}, "model '/nonexistent/config.json': /nonexistent/config.json: cannot read the config"),
    ({"context": 0}, "context"),
    ({"serving_gpus": 3}, "serving_gpus must split the 28 query heads and the 4 key/value heads"),
    ({"prompt_tokens": 200_000}, "prompt_tokens + output_tokens must be at most the context"),
    ({"model": str(Path(__file__).parent / "data" / "hf_configs" / "deepseek_v3.json")}, "serving_gpus=1 with batch=16: gpus must hold the weights"),
])
def test_a_bad_parameter_is_refused_naming_it(change, message):
    with pytest.raises(InputError, match=None) as error:
        ch09.check_parameters(**{**DEFAULTS, **change})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_broken_config_names_the_file_and_the_field(tmp_path):
    broken = tmp_path / "config.json"
    broken.write_text(json.dumps({"model_type": "llama", "hidden_size": 4096}), encoding="utf-8")
    with pytest.raises(InputError, match=rf"model '{broken}': {broken}: config has no 'num_attention_heads'"):
        ch09.check_parameters(**{**DEFAULTS, "model": str(broken)})
