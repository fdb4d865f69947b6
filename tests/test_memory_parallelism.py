"""Memory (ZeRO, activations, KV cache) and parallelism formulas against their papers."""

import numpy as np
import pytest

from llmcost import memory, parallelism, pipeline
from llmcost.core.validate import InputError

PSI = 7.5e9  # the ZeRO paper's running example


def test_zero_paper_figure1_7_5b_on_64_gpus():
    gb = [memory.zero_bytes_per_gpu(PSI, 64, stage) / 1e9 for stage in range(4)]
    assert gb == pytest.approx([120, 31.4, 16.6, 1.875], rel=0.01)


def test_state_bytes_mixed_precision_adam_is_16():
    assert sum(memory.state_bytes_per_param("bf16", "adam").values()) == 16
    assert sum(memory.state_bytes_per_param("fp32", "adam").values()) == 16
    assert memory.state_bytes_per_param("fp32", "sgd") == {"weights": 4, "gradients": 4, "optimizer": 4}


def test_200b_claims_seed003():
    assert 200e9 * memory.bytes_per_value("fp32") == 800e9
    assert memory.zero_bytes_per_gpu(200e9, 1, 0) == 3.2e12


def test_zero_communication():
    assert memory.zero_communication_volume(PSI, 2) == 2 * PSI
    assert memory.zero_communication_volume(PSI, 3) / memory.zero_communication_volume(PSI, 1) == 1.5


def test_offload_moves_gradients_and_optimizer_to_cpu():
    split = memory.zero_offload_bytes(1e9)
    assert split == {"gpu": 2e9, "cpu": 14e9}


def test_activation_memory_korthikanti_gpt3_layer():
    s, b, h, a = 2048, 1, 12288, 96
    none = memory.activation_bytes_per_layer(s, b, h, a)
    assert none == s * b * h * (34 + 5 * a * s / h)
    tp_sp = memory.activation_bytes_per_layer(s, b, h, a, tensor_parallel=8, sequence_parallel=True)
    assert tp_sp == pytest.approx(none / 8)
    selective = memory.activation_bytes_per_layer(s, b, h, a, tensor_parallel=8, sequence_parallel=True, recompute="selective")
    assert selective == pytest.approx(34 * s * b * h / 8)
    assert memory.activation_bytes_per_layer(s, b, h, a, recompute="full") == 2 * s * b * h
    with pytest.raises(InputError, match="recompute must be one of none, selective, full"):
        memory.activation_bytes_per_layer(s, b, h, a, recompute="some")


def test_kv_cache_gpt3_full_context():
    assert memory.kv_cache_bytes(96, 12288, 2048) == 2 * 96 * 12288 * 2048 * 2


def test_gpus_to_hold_200b_training_state_on_80gb():
    assert memory.gpus_to_hold(3.2e12, 80) == pytest.approx(40)


def test_megatron_layout_3072():
    assert parallelism.layout_gpus(8, 64, 6) == 3072
    assert parallelism.data_parallel_size(3072, 8, 64) == 6
    with pytest.raises(InputError, match="multiple of tensor_parallel x pipeline_parallel = 512"):
        parallelism.data_parallel_size(3000, 8, 64)


def test_pipeline_bubble_conventions():
    assert parallelism.bubble_overhead(4, 8) == pytest.approx(3 / 8)
    assert parallelism.bubble_fraction(4, 8) == pytest.approx(3 / 11)
    assert parallelism.bubble_fraction(1, 8) == 0


def test_ring_allreduce_volume_tends_to_twice_the_message():
    assert parallelism.ring_allreduce_bytes(1e9, 2) == 1e9
    np.testing.assert_allclose(parallelism.ring_allreduce_bytes(1e9, np.array([4, 1024])), [1.5e9, 2e9 * 1023 / 1024])
    assert parallelism.parameter_server_bytes(1e9, 16) == 32e9


def test_tensor_parallel_allreduce_volume():
    assert parallelism.tensor_parallel_allreduce_bytes(1, 2048, 12288, 96) == 4 * 2048 * 12288 * 2 * 96


def test_zero_state_split_mixed_precision_adam():
    assert [memory.zero_state_split(stage) for stage in range(4)] == [(16, 0), (4, 12), (2, 14), (0, 16)]


def test_flash_attention_keeps_no_score_matrix():
    s, b, h, a = 2048, 1, 12288, 96
    plain_none = memory.activation_bytes_per_layer(s, b, h, a)
    flash = memory.activation_bytes_per_layer(s, b, h, a, flash_attention=True)
    # the 5 a s^2 b bytes of scores, softmax and dropout mask become a 4-byte log-sum-exp per row
    assert plain_none - flash == pytest.approx(5 * a * s * s * b - 4 * a * s * b)
    assert flash == pytest.approx(s * b * h * 34 + 4 * a * s * b)
    sharded = memory.activation_bytes_per_layer(s, b, h, a, tensor_parallel=8, sequence_parallel=True, flash_attention=True)
    assert sharded == pytest.approx(s * b * h * (34 + 4 * a / h) / 8)
    # it does not matter under full recomputation, and it is never below the selective figure's weights-free part
    assert memory.activation_bytes_per_layer(s, b, h, a, recompute="full", flash_attention=True) == 2 * s * b * h
    assert flash > memory.activation_bytes_per_layer(s, b, h, a, recompute="selective")
    with pytest.raises(InputError, match="flash_attention must be True or False"):
        memory.activation_bytes_per_layer(s, b, h, a, flash_attention="yes")


@pytest.mark.parametrize("schedule", pipeline.SCHEDULES)
@pytest.mark.parametrize(("stages", "microbatches"), [(1, 1), (1, 5), (4, 1), (4, 4), (4, 8), (8, 3), (6, 24)])
def test_laid_out_schedules_have_the_formula_bubble(schedule, stages, microbatches):
    laid = pipeline.pipeline_schedule(stages, microbatches, schedule)
    assert len(laid["stage"]) == 2 * stages * microbatches
    assert laid["end"].max() == pytest.approx(3 * (microbatches + stages - 1))
    assert pipeline.schedule_bubble(laid) == pytest.approx(parallelism.bubble_fraction(stages, microbatches))
    # dependencies: a forward pass follows the same micro-batch's forward on the stage before,
    # a backward pass its backward on the stage after; no stage runs two passes at once
    end = {(p, s, m): e for p, s, m, e in zip(laid["pass"], laid["stage"], laid["microbatch"], laid["end"])}
    for p, s, m, start in zip(laid["pass"], laid["stage"], laid["microbatch"], laid["start"]):
        if p == "forward" and s > 0:
            assert start >= end[("forward", s - 1, m)]
        if p == "backward":
            assert start >= end[("forward", s, m)]
            if s < stages - 1:
                assert start >= end[("backward", s + 1, m)]
    for s in range(stages):
        mine = np.argsort(laid["start"][laid["stage"] == s])
        starts, ends = laid["start"][laid["stage"] == s][mine], laid["end"][laid["stage"] == s][mine]
        assert (starts[1:] >= ends[:-1]).all()


def test_1f1b_holds_fewer_activations_than_gpipe():
    gpipe = pipeline.in_flight_microbatches(pipeline.pipeline_schedule(4, 8, "gpipe"))
    one_f_one_b = pipeline.in_flight_microbatches(pipeline.pipeline_schedule(4, 8, "1f1b"))
    assert list(gpipe) == [8, 8, 8, 8]
    assert list(one_f_one_b) == [4, 3, 2, 1]  # p - s


def test_schedule_rejects_bad_input():
    with pytest.raises(InputError, match="schedule must be one of gpipe, 1f1b"):
        pipeline.pipeline_schedule(4, 8, "interleaved")
    with pytest.raises(InputError, match="stages x microbatches must be at most"):
        pipeline.pipeline_schedule(100, 1000)
    with pytest.raises(InputError, match="stages"):
        pipeline.pipeline_schedule(0, 8)


def test_accelerator_trends_fit_the_dataset():
    from llmcost import trends

    memory_trend = trends.accelerator_trend("memory_gb")
    assert memory_trend.points == 8 and 1.3 < memory_trend.factor_per(18) < 1.6  # V100 to B300
    assert trends.accelerator_trend("fp16_tflops").factor_per(18) == pytest.approx(1.835, abs=0.005)
    with pytest.raises(InputError, match="quantity 'color' is not an accelerator spec"):
        trends.accelerator_trend("color")
