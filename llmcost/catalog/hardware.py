"""Accelerator peak throughput by precision, from the vendor-sourced dataset."""

from __future__ import annotations

from .datasets import accelerator
from ..core.validate import InputError, check_choice

PRECISIONS = ("fp32", "tf32", "fp16", "bf16", "fp8")
"""Precisions with a dense peak rate in ``accelerator_specs.csv`` (column ``<precision>_tflops``)."""

TERA = 1e12


def supported_precisions(gpu: str) -> list[str]:
    """Precisions for which the dataset lists a dense peak rate for ``gpu``."""
    spec = accelerator(gpu)
    return [p for p in PRECISIONS if spec.get(f"{p}_tflops") is not None]


def peak_flops(gpu: str, precision: str = "bf16") -> float:
    """Dense peak throughput of one accelerator at ``precision``, in FLOP/s.

    gpu: a name or alias from ``accelerators.csv`` (case-insensitive).
    precision: one of ``PRECISIONS``. fp16/bf16/fp8/tf32 are tensor-core rates, no sparsity.
    """
    precision = check_choice("precision", precision, PRECISIONS)
    spec = accelerator(gpu)
    tflops = spec.get(f"{precision}_tflops")
    if tflops is None:
        allowed = ", ".join(supported_precisions(gpu)) or "none"
        raise InputError(f"precision {precision!r} has no peak rate for gpu {spec['id']!r}; allowed: {allowed}")
    return float(tflops) * TERA


def training_precision(gpu: str) -> str:
    """Precision whose dense peak is the denominator of a model's utilization on ``gpu``.

    ``bf16`` where the accelerator has a BF16 tensor rate (A100, H100, H800, TPU v3/v4, ...),
    else ``fp16`` (V100, which has no BF16 rate; Patterson et al. 2021 quote its 125 TFLOP/s FP16 peak), else the
    fastest listed precision. Rates from ``accelerator_specs.csv`` (vendor datasheets).
    """
    available = supported_precisions(gpu)
    for precision in ("bf16", "fp16", "tf32", "fp32"):
        if precision in available:
            return precision
    raise InputError(f"gpu {accelerator(gpu)['id']!r} has no training precision in the dataset")
