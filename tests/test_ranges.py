"""llmcost.ranges: low / central / high from uncertain inputs, in one vectorized pass."""

from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmcost import cluster, energy, estimate, ranges
from llmcost.core.validate import InputError


def ordered(lo, mid, hi):
    return tuple(sorted((lo, mid, hi)))


spans = lambda lo, hi: st.tuples(st.floats(lo, hi), st.floats(lo, hi), st.floats(lo, hi)).map(lambda t: ordered(*t))


def test_hand_computed_case():
    """GPT-3 on A100: 6 x 175e9 x 300e9 = 3.15e23 FLOP; 312 TFLOP/s at 50 % -> 560,897.4 h."""
    r = ranges.training_range(175e9, 300e9, 312e12, (0.25, 0.5, 1.0), usd_per_gpu_hour=(1.0, 2.0, 4.0),
                              power_w=400, pue=(1.0, 1.1, 1.2), grid_kg_per_kwh=(0.1, 0.4, 0.5))
    hours = 3.15e23 / (312e12 * 0.5) / 3600
    assert r["gpu_hours"].central == pytest.approx(hours, rel=1e-12)
    assert r["gpu_hours"].low == pytest.approx(hours / 2, rel=1e-12)
    assert r["gpu_hours"].high == pytest.approx(hours * 2, rel=1e-12)
    assert r["cost_usd"] == pytest.approx((hours / 2 * 1.0, hours * 2.0, hours * 2 * 4.0), rel=1e-12)
    assert r["energy_mwh"].central == pytest.approx(hours * 400 * 1.1 / 1e6, rel=1e-12)
    assert r["co2_t"].low == pytest.approx(hours / 2 * 400 * 1.0 / 1e6 * 0.1, rel=1e-12)
    assert r["co2_t"].high == pytest.approx(hours * 2 * 400 * 1.2 / 1e6 * 0.5, rel=1e-12)
    assert r["flops"] == (3.15e23, 3.15e23, 3.15e23)


def test_gpt3_published_energy_and_luccioni_without_pue():
    """3,552,000 V100-hours x 330 W: 1,289 MWh with PUE 1.1 (Patterson: 1,287); 503 t without PUE (Luccioni: 502)."""
    r = ranges.energy_range(3_552_000, 330, (1.0, 1.1, 1.1), 0.429)
    assert r["energy_mwh"].central == pytest.approx(1289.376)
    assert r["co2_t"].low == pytest.approx(502.86, abs=0.01)


def brute_force(params, tokens, peak, util, price, power, pue, grid):
    values = {}
    for corner in product(*[(s[0], s[2]) if isinstance(s, tuple) else (s,) for s in (params, tokens, peak, util, price, power, pue, grid)]):
        out = estimate.training_estimate(*corner[:4], usd_per_gpu_hour=corner[4], power_w=corner[5], pue=corner[6], grid_kg_per_kwh=corner[7])
        for key in ("gpu_hours", "cost_usd", "energy_mwh", "co2_t"):
            values.setdefault(key, []).append(out[key])
    return {key: (min(v), max(v)) for key, v in values.items()}


@settings(max_examples=60, deadline=None)
@given(spans(1e9, 1e12), spans(1e10, 1e13), spans(1e13, 1e15), spans(0.05, 1.0), spans(0.5, 5.0),
       spans(100, 800), spans(1.0, 2.0), spans(0.0, 0.9))
def test_low_central_high_ordered_and_equal_to_brute_force(params, tokens, peak, util, price, power, pue, grid):
    r = ranges.training_range(params, tokens, peak, util, usd_per_gpu_hour=price, power_w=power, pue=pue, grid_kg_per_kwh=grid)
    expected = brute_force(params, tokens, peak, util, price, power, pue, grid)
    for key, (lo, hi) in expected.items():
        span = r[key]
        assert span.low <= span.central * (1 + 1e-12) and span.central <= span.high * (1 + 1e-12)
        assert span.low == pytest.approx(lo, rel=1e-9, abs=1e-12)
        assert span.high == pytest.approx(hi, rel=1e-9, abs=1e-12)


def test_many_models_in_one_call_match_one_by_one():
    params = np.array([7e9, 13e9, 70e9])
    own_pue = np.array([1.1, 1.2, 1.05])
    r = ranges.training_range(params, 2e12, 312e12, (0.3, 0.4, 0.5), power_w=400, pue=(1.0, own_pue, 1.5), grid_kg_per_kwh=0.4)
    assert r["co2_t"].low.shape == (3,)
    for k in range(3):
        one = ranges.training_range(params[k], 2e12, 312e12, (0.3, 0.4, 0.5), power_w=400, pue=(1.0, own_pue[k], 1.5), grid_kg_per_kwh=0.4)
        assert tuple(x[k] for x in r["co2_t"]) == pytest.approx(tuple(one["co2_t"]), rel=1e-12)


def test_function_called_once_on_all_corners():
    calls = []

    def spy(**kw):
        calls.append(kw)
        return energy.energy_mwh(**kw)

    r = ranges.corner_range(spy, gpu_hours=(1.0, 2.0, 3.0), power_w=np.array([100.0, 200.0]), pue=(1.0, 1.1, 1.2))
    assert len(calls) == 1 and calls[0]["gpu_hours"].shape[0] == 1 + 4
    assert r.high == pytest.approx([3 * 100 * 1.2 / 1e6, 3 * 200 * 1.2 / 1e6])


def test_no_span_is_a_point_estimate():
    r = ranges.energy_range(1000.0, 400.0, 1.1, 0.5)
    assert r["energy_mwh"] == pytest.approx((0.44, 0.44, 0.44), rel=1e-12)
    assert r["energy_mwh"].low == r["energy_mwh"].central == r["energy_mwh"].high


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pue": (1.2, 1.1, 1.5)}, "pue range must be ordered low <= central <= high"),
        ({"grid_kg_per_kwh": (0.1, 0.5, 0.4)}, "grid_kg_per_kwh range must be ordered"),
        ({"pue": (1.0, 1.1)}, "pue range must be a (low, central, high) tuple"),
        ({"pue": (0.9, 1.1, 1.2)}, "pue must be a finite number >= 1"),
        ({"power_w": (100, "x", 300)}, "power_w central must be a number"),
    ],
)
def test_bad_range_names_the_parameter(kwargs, message):
    args = {"gpu_hours": 1000.0, "power_w": 400.0, "pue": 1.1, "grid_kg_per_kwh": 0.4, **kwargs}
    with pytest.raises(InputError, match=None) as failure:
        ranges.energy_range(**args)
    assert message in str(failure.value)


def test_utilization_range_names_the_parameter():
    with pytest.raises(InputError, match="utilization range must be ordered"):
        ranges.training_range(1e9, 1e10, 1e14, (0.5, 0.4, 0.6))


def test_energy_inputs_provenance():
    gpt3 = ranges.energy_inputs("gpt-3")
    assert (gpt3["gpu_hours"], gpt3["power_w"], gpt3["pue"], gpt3["grid_kg_per_kwh"]) == (3_552_000, 330, 1.1, 0.429)
    assert ranges.energy_inputs("gpt-3", power_source="tdp")["power_w"] == 300  # V100 SXM2 datasheet
    gopher = ranges.energy_inputs("gopher")
    assert gopher["hours_from"] == "count x days"
    assert energy.energy_mwh(gopher["gpu_hours"], gopher["power_w"]) == pytest.approx(1066, rel=1e-3)  # Luccioni Table 4
    assert ranges.energy_inputs("llama-3-8b", pue=1.3)["pue"] == 1.3 and ranges.energy_inputs("llama-3-8b")["pue_from"] == "assumed"
    with pytest.raises(InputError, match="power_source must be one of published, tdp"):
        ranges.energy_inputs("gpt-3", power_source="nameplate")
    with pytest.raises(InputError, match="mfu must be a fraction"):
        ranges.energy_inputs("gpt-3", mfu=2)


def test_cluster_gpu_hours():
    assert cluster.cluster_gpu_hours(512, 20) == 245_760  # T5-11B, Patterson Table 4
    with pytest.raises(InputError, match="days must be a finite number > 0"):
        cluster.cluster_gpu_hours(8, 0)


def test_pue_accounting_is_the_energy_and_emissions_without_and_with_the_pue():
    row = ranges.pue_accounting("gpt-3")
    inputs = ranges.energy_inputs("gpt-3", power_source="published")
    assert row["mwh_without_pue"] == pytest.approx(inputs["gpu_hours"] * inputs["power_w"] / 1e6)
    assert row["mwh_with_pue"] == pytest.approx(row["mwh_without_pue"] * inputs["pue"])
    assert row["t_with_pue"] == pytest.approx(row["mwh_with_pue"] * inputs["grid_kg_per_kwh"])
    assert row["t_without_pue"] == pytest.approx(row["mwh_without_pue"] * inputs["grid_kg_per_kwh"])
