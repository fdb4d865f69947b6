"""Data, tensor and pipeline parallelism: layouts, pipeline bubbles, communication volume."""

from __future__ import annotations

import numpy as np

from ..core.validate import RANGES, InputError, check_count, check_flag, check_positive, finite_result


@finite_result
def layout_gpus(tensor_parallel, pipeline_parallel, data_parallel):
    """GPUs in a ``t x p x d`` layout (Megatron's 3,072-GPU run: 8 x 64 x 6)."""
    t = check_count("tensor_parallel", tensor_parallel)
    p = check_count("pipeline_parallel", pipeline_parallel)
    d = check_count("data_parallel", data_parallel)
    gpus = t * p * d
    most = RANGES["gpus"][1]
    if np.any(np.asarray(gpus, dtype=float) > most):
        raise InputError(f"tensor_parallel x pipeline_parallel x data_parallel must be at most {most:g} GPUs, got {gpus!r}")
    return gpus


@finite_result
def data_parallel_size(gpus, tensor_parallel, pipeline_parallel):
    """Data-parallel ranks left when ``gpus`` are split into ``t x p`` model replicas."""
    gpus = check_count("gpus", gpus)
    replica = check_count("tensor_parallel", tensor_parallel) * check_count("pipeline_parallel", pipeline_parallel)
    if np.any(np.asarray(gpus) % np.asarray(replica)):
        raise InputError(f"gpus must be a multiple of tensor_parallel x pipeline_parallel = {replica}, got {gpus}")
    return gpus // replica


@finite_result
def bubble_overhead(stages, microbatches):
    """Pipeline bubble time relative to the ideal compute time: ``(p - 1) / m``.

    The convention of GPipe and Megatron-LM (Narayanan et al. 2021, section 2.2): p stages,
    m micro-batches per batch, synchronous flush (GPipe or 1F1B schedules alike).
    """
    p = check_count("stages", stages)
    m = check_count("microbatches", microbatches)
    return (np.asarray(p, dtype=float) - 1) / m


@finite_result
def bubble_fraction(stages, microbatches):
    """Share of each device's wall time spent idle in the bubble: ``(p - 1) / (m + p - 1)``."""
    overhead = bubble_overhead(stages, microbatches)
    return overhead / (1 + overhead)


@finite_result
def ring_allreduce_bytes(message_bytes, ranks):
    """Bytes each rank sends (and receives) in a ring all-reduce: ``2 (n - 1) / n x size``.

    A reduce-scatter then an all-gather, each moving ``(n - 1) / n`` of the message; the
    volume per rank is almost independent of n, which is why rings scale (Patarasuk & Yuan 2009).
    """
    message_bytes = check_positive("message_bytes", message_bytes)
    n = np.asarray(check_count("ranks", ranks), dtype=float)
    return 2 * (n - 1) / n * message_bytes


@finite_result
def parameter_server_bytes(message_bytes, workers):
    """Bytes the parameter server receives and sends per step: ``2 x workers x size``.

    Every worker pushes its gradients and pulls the update; the server's link is the
    bottleneck, growing linearly with the number of workers.
    """
    message_bytes = check_positive("message_bytes", message_bytes)
    workers = check_count("workers", workers)
    return 2.0 * workers * message_bytes


@finite_result
def tensor_parallel_allreduce_bytes(batch, seq, hidden, layers, bytes_per_value=2.0, training=True):
    """Activation bytes all-reduced per step by Megatron tensor parallelism (whole model).

    Each layer all-reduces its ``b x s x h`` output twice in the forward pass (after
    attention and after the MLP) and twice in the backward pass (Shoeybi et al. 2019).
    batch, seq: sequences and tokens each; hidden: width, count; bytes_per_value: bytes per
    activation; training: True (forward and backward) or False (forward only). Bytes.
    """
    training = check_flag("training", training)
    b = check_positive("batch", batch)
    s = check_positive("seq", seq)
    h = check_positive("hidden", hidden)
    layers = check_count("layers", layers)
    bytes_per_value = check_positive("bytes_per_value", bytes_per_value)
    per_pass = 2 * b * s * h * bytes_per_value
    return per_pass * (2 if training else 1) * layers


@finite_result
def tensor_parallel_traffic_bytes(batch, seq, hidden, tensor_parallel, bytes_per_value=2.0):
    """Bytes each device sends per layer and micro-batch under Megatron tensor parallelism, forward
    and backward: ``8 b s h (t - 1) / t`` values (Narayanan et al. 2021, section 3.2): four ring
    all-reduces of the ``b x s x h`` output, each moving ``2 (t - 1) / t`` of it. Sequence
    parallelism moves the same (all-gathers and reduce-scatters replace the all-reduces;
    Korthikanti et al. 2022). batch, seq, hidden: micro-batch sequences, tokens, width; tensor_parallel: t.
    """
    t = check_count("tensor_parallel", tensor_parallel)
    message = tensor_parallel_allreduce_bytes(batch, seq, hidden, 1, bytes_per_value)  # 4 b s h values a layer
    return ring_allreduce_bytes(message, t)


@finite_result
def ring_self_attention_bytes(batch, seq, heads, head_dim, devices, bytes_per_value=2.0):
    """Bytes each device sends per layer for ring self-attention, the sequence parallelism of Li et
    al. 2023 (``li2023sequence``, section 3.2.2): ``8 (N - 1) B Z (L / N) A`` values, forward
    ``2 (N - 1) B Z (L / N) A`` and backward three times that, with the sequence L split over N
    devices. batch: B; seq: L; heads: Z; head_dim: A; devices: N.
    """
    b = check_positive("batch", batch)
    length = check_positive("seq", seq)
    z = check_count("heads", heads)
    a = check_count("head_dim", head_dim)
    n = np.asarray(check_count("devices", devices), dtype=float)
    bytes_per_value = check_positive("bytes_per_value", bytes_per_value)
    return 8 * (n - 1) * b * z * (length / n) * a * bytes_per_value


@finite_result
def expert_alltoall_bytes(tokens, hidden, experts_routed, moe_layers, expert_parallel, bytes_per_value=2.0, training=True):
    """Bytes one accelerator sends per step in the all-to-alls of expert parallelism.

    Each mixture-of-experts layer sends every routed copy of a token's hidden vector to the
    accelerator holding its expert (dispatch) and back (combine); with the experts spread over
    ``expert_parallel`` accelerators and routing even, ``(ep - 1) / ep`` of the copies leave:
    ``2 x tokens x k x hidden x bytes x (ep - 1) / ep`` per layer and pass (the dispatch and
    combine all-to-alls of Lepikhin et al. 2021, ``lepikhin2021gshard``). The backward pass repeats both.
    tokens: tokens this accelerator holds per step; hidden: width (d_model); experts_routed: k;
    moe_layers: layers with experts; training: True (forward and backward) or False. Bytes.
    """
    training = check_flag("training", training)
    tokens = check_positive("tokens", tokens)
    hidden = check_count("hidden", hidden)
    k = check_count("experts_routed", experts_routed)
    layers = check_count("moe_layers", moe_layers)
    ep = np.asarray(check_count("expert_parallel", expert_parallel), dtype=float)
    per_pass = 2 * tokens * k * hidden * check_positive("bytes_per_value", bytes_per_value) * (ep - 1) / ep
    return per_pass * (2 if training else 1) * layers


@finite_result
def expert_parallel_params_per_gpu(total_params, routed_params, expert_parallel, tensor_parallel=1, pipeline_parallel=1):
    """Parameters one accelerator holds when the routed experts are spread over
    ``expert_parallel`` accelerators and everything is split ``tensor_parallel x
    pipeline_parallel`` ways: ``(total - routed) / (t p) + routed / (t p ep)``, count. The rest
    (attention, shared experts, embeddings) is replicated across the expert-parallel ranks, as
    the data-parallel ranks they are. Mixtral 8x7B on 8 ranks: 46.7 B -> 7.2 B.
    """
    total = check_positive("total_params", total_params)
    routed = check_positive("routed_params", routed_params)
    if np.any(np.asarray(routed) > np.asarray(total)):
        raise InputError(f"routed_params must be at most total_params, got {routed!r} of {total!r}")
    split = check_count("tensor_parallel", tensor_parallel) * np.asarray(check_count("pipeline_parallel", pipeline_parallel), dtype=float)
    return ((total - routed) + routed / check_count("expert_parallel", expert_parallel)) / split
