"""llmcost: what it takes to train and serve a large language model, with sources.

FLOPs -> GPU-hours -> cluster size -> USD -> MWh -> t CO2e, on scalars or numpy arrays.
The package is built in layers, each a subpackage that imports only the ones below it
(``tests/test_layers.py`` holds the contract):

    core -> catalog -> formulas -> running -> analysis -> book -> cli

The most used functions are re-exported here, and every module is reachable by its short name
(``llmcost.serving``, ``from llmcost import audit``), loaded on first use. Importing llmcost
imports numpy only (pandas when a table is loaded, never plotting).
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys

from .catalog.datasets import (
    DataError,
    accelerator,
    accelerators,
    api_prices,
    claims,
    model,
    models,
    prices,
    resolve_accelerator,
    resolve_model,
    serving_measurements,
)
from .catalog.hardware import PRECISIONS, peak_flops
from .core.validate import InputError
from .formulas.cluster import (
    gpu_days,
    gpu_hours,
    gpus_for_deadline,
    implied_utilization,
    servers,
    wall_days,
    whole,
)
from .formulas.cost import (
    gross_margin,
    purchase_cost,
    rental_cost,
    serving_cost_per_1k_tokens,
    usd_per_gpu_hour,
    utilization_for_serving_cost,
)
from .formulas.demand import inference_accelerators, tokens_per_day
from .formulas.energy import co2_tonnes, energy_mwh
from .formulas.estimate import training_estimate
from .formulas.flops import attention_flops_per_token, inference_flops, moe_active_params, training_flops
from .running.architecture import transformer_params

__version__ = "0.1.0"

MODULES = {
    "validate": "core.validate",
    "datasets": "catalog.datasets",
    "hardware": "catalog.hardware",
    "defaults": "catalog.defaults",
    **{name: f"formulas.{name}" for name in (
        "flops", "memory", "parallelism", "cluster", "cost", "energy", "demand", "sizing", "ranges", "estimate", "decoding")},
    **{name: f"running.{name}" for name in ("architecture", "serving", "serving_practice", "pipeline", "stages", "toynet", "transformer")},
    **{name: f"analysis.{name}" for name in ("audit", "calibration", "trends", "techniques", "market")},
    "charts": "book.charts",
    "figures": "book.figures",
    "sliders": "book.sliders",
    "parameters": "book.chapter_parameters",
    "editions": "book.editions",
    "edition": "book.editions",  # the flat layout's name
    "folders": "book.folders",
    "formula_page": "book.formula_page",
    "claim_tables": "book.claim_tables",
}
"""Each module's short name (``llmcost.serving``) -> its place in the layers."""


class _ShortNameFinder:
    """Imports ``llmcost.<short name>`` (``from llmcost.serving import ...``, the flat layout's
    paths) as the module in its layer: the same module object, kept for one release. A meta path
    finder and loader by duck typing (importing ``importlib.abc`` would cost 10 ms at start-up)."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, short = fullname.partition(".")
        if package == __name__ and short in MODULES:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module(f"{__name__}.{MODULES[spec.name.partition('.')[2]]}")

    def exec_module(self, module):
        pass  # already executed under its own name


if not any(isinstance(finder, _ShortNameFinder) for finder in sys.meta_path):
    sys.meta_path.append(_ShortNameFinder())


def __getattr__(name: str):
    """``llmcost.<module>`` by its short name, imported on first use."""
    if name in MODULES:
        module = importlib.import_module(f".{MODULES[name]}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'llmcost' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *MODULES])
