"""Accelerator peak throughput by precision, from the vendor-sourced dataset."""

from __future__ import annotations

from .datasets import accelerator
from ..core.validate import InputError, check_choice

PRECISIONS = ("fp32", "tf32", "fp16", "bf16", "fp8", "fp4", "int8", "int4")
"""Precisions with a dense peak rate in ``accelerator_specs.csv``: column ``<precision>_tflops``
for the floating-point formats, ``<precision>_tops`` (operations per second) for the integer ones."""

TERA = 1e12


def _spec(gpu) -> dict:
    """An accelerator's record: ``gpu`` itself when it is one (a dict with ``id``), else looked up by name."""
    return gpu if isinstance(gpu, dict) and "id" in gpu else accelerator(gpu)


def supported_precisions(gpu) -> list[str]:
    """Precisions for which the dataset lists a dense peak rate for ``gpu`` (a name or a record)."""
    spec = _spec(gpu)
    return [p for p in PRECISIONS if spec.get(rate_column(p)) is not None]


def rate_column(precision: str) -> str:
    """The ``accelerator_specs.csv`` quantity holding the dense peak at ``precision``:
    ``fp8_tflops`` (TFLOP/s), ``int8_tops`` (TOP/s)."""
    precision = check_choice("precision", precision, PRECISIONS)
    return f"{precision}_tops" if precision.startswith("int") else f"{precision}_tflops"


def peak_flops(gpu, precision: str = "bf16") -> float:
    """Dense peak throughput of one accelerator at ``precision``, in FLOP/s.

    gpu: a name or alias from ``accelerators.csv`` (case-insensitive), or its record
    (:func:`llmcost.accelerator`).
    precision: one of ``PRECISIONS``. fp16/bf16/fp8/fp4/tf32 are tensor-core rates, no sparsity;
    int8/int4 are operations per second, counted like FLOP/s.
    """
    spec = _spec(gpu)
    tflops = spec.get(rate_column(precision))
    if tflops is None:
        allowed = ", ".join(supported_precisions(spec)) or "none"
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


NODE_LINKS = (
    # (node, tier or link, GB/s one way per accelerator or socket, what it measures, source, how read)
    ("DGX A100", "CPU memory (DDR4-3200), per socket", 8 * 3200 * 8 / 1000, "8 channels x 3,200 MT/s x 8 B, theoretical",
     "tomshardware2021genoa", "secondary source; arithmetic"),
    ("DGX A100", "PCIe Gen4 x16, CPU to GPU", 64 / 2, "half the datasheet's 64 GB/s both ways", "nvidia2020a100", "datasheet"),
    ("DGX A100", "InfiniBand HDR, per GPU", 200 / 8, "one 200 Gb/s port per GPU", "nvidia2020dgxa100guide", "user guide"),
    ("DGX H100", "CPU memory (DDR5-4800), per socket", 8 * 4800 * 8 / 1000, "8 channels x 4,800 MT/s x 8 B, theoretical",
     "servethehome2023xeonmax", "secondary source; arithmetic"),
    ("DGX H100", "PCIe Gen5 x16, CPU to GPU", 504 / 8, "504 GB/s GPU-PCIe for 8 GPUs", "mlcommons2024nvidiav40systems",
     "NVIDIA's system description"),
    ("DGX H100", "InfiniBand NDR, per GPU", 400 / 8, "one 400 Gb/s port per GPU", "nvidia2022dgxh100guide", "user guide"),
    ("DGX H100", "NVMe drive (Kioxia CM6), sequential read", 6.9, "the drive family's top rate; 8 per node",
     "heise2020kioxiacm6", "secondary source"),
)
"""The memory tiers and links of a training node below the accelerator's own HBM and NVLink (which
``accelerator_specs.csv`` holds): GB/s one way. How each was read is part of the row: a rate
computed from channels and transfer rate, or quoted by a secondary source, is said to be."""

NODE_ACCELERATORS = {"DGX A100": "a100-80gb-sxm", "DGX H100": "h100-sxm"}
"""The accelerator of each node of :data:`NODE_LINKS`."""

GPUS_PER_NODE = 8
"""Accelerators sharing one NVLink domain: a DGX/HGX server's 8."""

GPUS_PER_SOCKET = GPUS_PER_NODE // 2
"""Accelerators sharing one CPU socket's memory in both nodes: 8 GPUs and 2 CPUs
(``nvidia2020dgxa100guide``: "2x AMD EPYC 7742"; ``nvidia2022dgxh100guide``: "2 x Intel Xeon 8480C")."""


def _node_network_gbps(node: str) -> float:
    """The InfiniBand GB/s per accelerator, one way, of ``node`` in :data:`NODE_LINKS`."""
    return next(gbps for name, link, gbps, *_ in NODE_LINKS if name == node and "InfiniBand" in link)


NETWORK_GBPS_PER_GPU = _node_network_gbps("DGX A100")
"""Inter-node bandwidth per accelerator where the accelerator's node is not known, GB/s one way: a
DGX A100's, one 200 Gb/s HDR InfiniBand port per GPU (``nvidia2020dgxa100guide``)."""


def default_network_gbps(gpu) -> float:
    """Inter-node GB/s per accelerator, one way: the InfiniBand of ``gpu``'s DGX node
    (:data:`NODE_LINKS`), else :data:`NETWORK_GBPS_PER_GPU`."""
    ident = _spec(gpu)["id"]
    node = next((name for name, accelerator in NODE_ACCELERATORS.items() if accelerator == ident), None)
    return NETWORK_GBPS_PER_GPU if node is None else _node_network_gbps(node)
