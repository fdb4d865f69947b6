"""llmcost: what it takes to train and serve a large language model, with sources.

FLOPs -> GPU-hours -> cluster size -> USD -> MWh -> t CO2e, on scalars or numpy arrays.
Formulas live in modules named for what they hold; the most used are re-exported here.
Importing llmcost imports numpy only (pandas when a table is loaded, never plotting).
"""

from .cluster import (
    gpu_days,
    gpu_hours,
    gpus_for_deadline,
    implied_utilization,
    servers,
    wall_days,
    whole,
)
from .cost import (
    gross_margin,
    purchase_cost,
    rental_cost,
    serving_cost_per_1k_tokens,
    usd_per_gpu_hour,
    utilization_for_serving_cost,
)
from .datasets import (
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
from .demand import inference_accelerators, tokens_per_day
from .energy import co2_tonnes, energy_mwh
from .estimate import training_estimate
from .flops import (
    attention_flops_per_token,
    inference_flops,
    moe_active_params,
    training_flops,
    transformer_params,
)
from .hardware import PRECISIONS, peak_flops
from .validate import InputError

__version__ = "0.1.0"
