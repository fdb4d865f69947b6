"""Calibration: llmcost's formulas against what each model's authors published.

For every model of the dataset that has the inputs, the tables below put a formula's value next
to the published one and their ratio (published / formula):

* :func:`flops_table`: ``6PD`` (Kaplan et al. 2020) and its variants (``8PD`` with recomputation,
  ``6PD`` + attention, PaLM's MFU convention) vs the published ``train_flops``;
* :func:`gpu_hours_table`: ``6PD / (peak x utilization)`` vs the published accelerator-hours;
* :func:`energy_table`: accelerator-hours x power x PUE vs the published MWh;
* :func:`implied_utilization_table`: the utilization at which ``6PD`` fits in the published
  accelerator-hours at the accelerator's dense peak at its training precision
  (:func:`training_precision`), next to the MFU or TFLOP/s per GPU the authors reported;
* :func:`convention_table`: what each FLOP-counting convention gives for one model;
* :func:`serving_table`: ``llmcost.serving``'s roofline vs published serving measurements and
  peer tools' figures (decode time per token, prefill time, output tokens/s per GPU);
* :func:`summary`: median and worst ratio of a table.

Every table is a pandas DataFrame (pandas is imported inside the functions only); a missing
input is NaN, never a guess. Used by chapters 3 and 6 and by the audit appendix.
"""

from __future__ import annotations

import math

import numpy as np

from ..running import architecture, serving
from ..formulas import cluster, energy, flops
from ..catalog import defaults
from ..catalog.datasets import (accelerator, accelerator_by_id, model, model_by_id, model_facts, model_ids, models,
                                resolve_accelerator, serving_measurements)
from ..catalog.hardware import PRECISIONS, TERA, peak_flops, training_precision
from ..core.validate import InputError, check_at_least_one, check_choice, check_flag, check_fraction, check_positive

TRAINED_IN = {"deepseek-v3": "fp8"}
"""Models whose matrix products ran below the accelerator's 16-bit rate, and the precision they
used: DeepSeek-V3's GEMMs in FP8 (DeepSeek-AI 2024, ``deepseek2024v3``, Section 3.3). Pass it as
``precision`` to the tables below to measure each model against the peak it trained at;
without it, every model is measured at :func:`training_precision` (16-bit), comparable across
generations."""


def _precision_for(ident: str, gpu: str, precision) -> str:
    if precision is None:
        return training_precision(gpu)
    if isinstance(precision, dict):
        return check_choice("precision", precision[ident], PRECISIONS) if ident in precision else training_precision(gpu)
    return check_choice("precision", precision, PRECISIONS)


def _ratio(published, formula):
    published = np.asarray(published, dtype=float)
    formula = np.asarray(formula, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((formula > 0) & np.isfinite(published), published / formula, np.nan)


def _known(table, *columns):
    mask = np.ones(len(table), dtype=bool)
    for column in columns:
        mask &= table[column].notna().to_numpy()
    return mask


def flops_table(causal: bool = False):
    """Training FLOP by formula vs published, one row per model with parameters and tokens.

    Columns: id, release, kind, params_active, tokens, ``flops_6pd`` (6 x active params x tokens),
    ``flops_8pd`` (with activation recomputation), ``flops_attention`` (6PD + the attention matmuls
    of the architecture, ``12 L (heads x head_dim) T`` per token, NaN without layers, heads and
    context; ``causal=True`` counts half the score matrix), ``published`` (``train_flops``, NaN if none) and ``ratio``
    (published / 6PD) and ``ratio_attention`` (published / flops_attention).
    """
    causal = check_flag("causal", causal)
    table = models()
    table = table[_known(table, "params_active", "tokens")].copy()
    table["flops_6pd"] = flops.training_flops(table["params_active"].to_numpy(), table["tokens"].to_numpy())
    table["flops_8pd"] = flops.training_flops(table["params_active"].to_numpy(), table["tokens"].to_numpy(), recompute=True)
    convention = "6PD+causal-attention" if causal else "6PD+attention"
    per_token = [
        architecture.attention_for_convention(convention, ident) if architecture.has_attention_dims(ident) else np.nan
        for ident in table["id"]
    ]
    table["flops_attention"] = table["flops_6pd"] + np.asarray(per_token) * table["tokens"].to_numpy()
    table["published"] = table["train_flops"]
    table["ratio"] = _ratio(table["published"], table["flops_6pd"])
    table["ratio_attention"] = _ratio(table["published"], table["flops_attention"])
    columns = ["id", "release", "kind", "params_active", "tokens", "flops_6pd", "flops_8pd", "flops_attention",
               "published", "ratio", "ratio_attention"]
    return table[columns].reset_index(drop=True)


def gpu_hours_table(utilization=None, default_utilization: float | None = None, precision=None):
    """Accelerator-hours by formula vs published, one row per model with an accelerator.

    Formula: ``cluster.gpu_hours(6PD, peak, utilization)``. utilization: a fraction for every
    model; None uses each model's reported MFU where there is one, else ``default_utilization``
    (default: the book's, :data:`llmcost.defaults.BOOK`, PaLM's 46.2 % that seed 000 uses). precision: None (:func:`training_precision`), one
    precision for all, or a dict model id -> precision.
    Columns: id, accelerator, precision, peak_tflops, utilization, flops_6pd, gpu_hours (formula),
    published (``gpu_hours``), ratio (published / formula).
    """
    import pandas as pd

    default_utilization = check_fraction("default_utilization", defaults.REFERENCE_MFU.value if default_utilization is None else default_utilization)
    if utilization is not None:
        check_fraction("utilization", utilization)
    table = models()
    table = table[_known(table, "params_active", "tokens", "accelerator")]
    rows = []
    for row in table.itertuples(index=False):
        prec = _precision_for(row.id, row.accelerator, precision)
        peak = peak_flops(row.accelerator, prec)
        util = utilization if utilization is not None else (row.mfu if not math.isnan(row.mfu) else default_utilization)
        work = flops.training_flops(row.params_active, row.tokens)
        hours = cluster.gpu_hours(work, peak, util)
        rows.append((row.id, row.accelerator, prec, peak / TERA, util, work, hours, row.gpu_hours))
    out = pd.DataFrame(rows, columns=["id", "accelerator", "precision", "peak_tflops", "utilization", "flops_6pd",
                                      "gpu_hours", "published"])
    out["ratio"] = _ratio(out["published"], out["gpu_hours"])
    return out


def energy_table(power_w=None, pue=None):
    """Training energy by formula vs published MWh, one row per model with published GPU-hours.

    Formula: ``energy.energy_mwh(published gpu_hours, power, PUE)``. power_w: W per accelerator
    for every model, or None for each model's ``power_w`` (else its accelerator's TDP); pue:
    one PUE, or None for each model's ``pue`` (else 1, i.e. accelerators only).
    Columns: id, gpu_hours, power_w, pue, energy_mwh (formula), published (``energy_mwh``), boundary
    (what the formula's power and PUE include, in words), ratio.
    Sources differ on whether the published MWh includes PUE: see each row's note in
    ``model_facts.csv``.
    """
    import pandas as pd

    if power_w is not None:
        check_positive("power_w", power_w)
    if pue is not None:
        check_at_least_one("pue", pue)
    table = models()
    table = table[_known(table, "gpu_hours")]
    rows = []
    for row in table.itertuples(index=False):
        watts = power_w
        if watts is None:
            watts = row.power_w
            if math.isnan(watts) and isinstance(row.accelerator, str):
                watts = accelerator(row.accelerator).get("tdp_w", float("nan"))
        overhead = pue if pue is not None else (row.pue if not math.isnan(row.pue) else 1.0)
        mwh = energy.energy_mwh(row.gpu_hours, watts, overhead) if watts == watts else float("nan")
        rows.append((row.id, row.gpu_hours, watts, overhead, mwh, row.energy_mwh,
                     _boundary(power_w is None and not math.isnan(row.power_w), overhead)))
    out = pd.DataFrame(rows, columns=["id", "gpu_hours", "power_w", "pue", "energy_mwh", "published", "boundary"])
    out["ratio"] = _ratio(out["published"], out["energy_mwh"])
    return out


def _boundary(published_power: bool, pue: float) -> str:
    """What an energy row of :func:`energy_table` counts: the model's published power per accelerator
    (whatever its authors measured or assumed) or the accelerator's TDP, and the PUE or none."""
    power = "the published power per accelerator" if published_power else "accelerators at TDP"
    return f"{power} x PUE {pue:g}" if pue != 1 else f"{power}, no PUE"


def _implied_rows(precision=None):
    """Per model with published accelerator-hours, in file order: its record, accelerator record,
    precision, peak (FLOP/s), 6PD FLOPs and implied utilization (standard library, ids only)."""
    for ident in model_ids():
        record = model_by_id(ident)
        if any(record.get(key) is None for key in ("params_active", "tokens", "accelerator", "gpu_hours")):
            continue
        gpu = accelerator_by_id(record["accelerator"])
        prec = _precision_for(ident, gpu, precision)
        peak = peak_flops(gpu, prec)
        work = flops.training_flops(record["params_active"], record["tokens"])
        yield record, gpu, prec, peak, work, cluster.implied_utilization(work, peak, record["gpu_hours"])


def implied_utilization_table(precision=None):
    """Utilization implied by each model's published accelerator-hours, next to what was reported.

    ``implied = cluster.implied_utilization(6PD, peak, published gpu_hours)``: the share of the
    accelerator's dense peak at its training precision that 6PD model FLOPs needed to fit in the
    published hours (an MFU-like quantity averaged over the whole run, downtime included).
    precision: None (:func:`training_precision`: V100 fp16; A100, H100, H800, TPU bf16), one
    precision, or a dict model id -> precision (e.g. ``{"deepseek-v3": "fp8"}``).
    Columns: id, accelerator, precision, peak_tflops, flops_6pd, gpu_hours, implied,
    reported_mfu, mfu_source (BibTeX key of that MFU: for GPT-3, Gopher and MT-NLG it is PaLM's
    Table 3, not their authors), reported_tflops_per_gpu, reported_share (reported TFLOP/s /
    peak), reported (reported_share if given, a throughput measured on the run itself, else the
    MFU: GPT-3's 21.3% is PaLM's authors' computation, its 19.7% Patterson et al.'s measurement),
    ratio (implied / reported).
    """
    import pandas as pd

    rows = []
    for record, gpu, prec, peak, work, implied in _implied_rows(precision):
        mfu = record.get("mfu", math.nan)
        tflops = record.get("tflops_per_gpu", math.nan)
        share = tflops * TERA / peak
        rows.append((record["id"], gpu["id"], prec, peak / TERA, work, record["gpu_hours"], implied, mfu,
                     tflops, share, share if not math.isnan(share) else mfu))
    out = pd.DataFrame(rows, columns=["id", "accelerator", "precision", "peak_tflops", "flops_6pd", "gpu_hours",
                                      "implied", "reported_mfu", "reported_tflops_per_gpu", "reported_share",
                                      "reported"])
    out["ratio"] = _ratio(out["implied"], out["reported"])
    out.insert(out.columns.get_loc("reported_mfu") + 1, "mfu_source", out["id"].map(primary_sources("mfu")))
    return out


def implied_utilization_bounds(ident: str, precisions=("fp8", "bf16")) -> dict:
    """The utilization ``ident``'s published accelerator-hours imply at each of ``precisions``'
    peaks, on 6PD and on 6PD plus its causal attention (the convention of a kernel that skips the
    masked half; :func:`llmcost.running.architecture.attention_training_flops_per_token` at the
    model's pre-training context): ``{"attention_share": attention / 6PD, "<precision>":
    implied on 6PD, "<precision>_attention": with attention}``. For a run whose matmuls were not
    all at one precision (DeepSeek-V3: FP8 GEMMs, some operators in BF16) the two peaks bound it."""
    record = model(ident)
    share = architecture.attention_training_flops_per_token(ident, causal=True) / (
        flops.flops_per_param_per_token(True) * record["params_active"])
    bounds = {"attention_share": float(share)}
    for precision in precisions:
        table = implied_utilization_table({record["id"]: precision}).set_index("id")
        bounds[precision] = float(table.loc[record["id"], "implied"])
        bounds[f"{precision}_attention"] = bounds[precision] * (1 + share)
    return bounds


def primary_sources(quantity: str) -> dict:
    """Model id -> BibTeX key of the primary row of ``quantity`` in ``model_facts.csv``."""
    facts = model_facts()
    rows = facts[(facts["quantity"] == quantity) & facts["primary"]]
    return dict(zip(rows["subject"], rows["source"]))


def convention_table(name: str):
    """Training FLOP of one model under each counting convention, and its ratio to 6PD.

    Rows (``convention``): 6PD with the active parameters (the baseline); + the attention of the
    architecture over the full score matrix (PaLM) and over its causal half (Megatron); 8PD with
    recomputation; 6PD with total instead of active parameters (MoE); 6PD with the active
    parameters counted from the architecture record with embeddings
    (``architecture.parameter_counts``) and without (Kaplan's N). A row whose inputs the
    dataset lacks is NaN. Columns: convention, flops, ratio (to 6PD), source (BibTeX key).
    """
    import pandas as pd

    facts = model(name)
    params, tokens = facts.get("params_active"), facts.get("tokens")
    if params is None or tokens is None:
        raise InputError(f"model {facts['id']!r} lacks params_active or tokens; pick one with both")
    base = flops.training_flops(params, tokens)
    has_attention = architecture.has_attention_dims(facts["id"])

    def attention(convention):
        if not has_attention:
            return float("nan")
        return base + architecture.attention_for_convention(convention, facts["id"]) * tokens

    counted = architecture.counts_if_complete(facts["id"]) or {"active": float("nan"), "embeddings": float("nan")}
    total = facts.get("params_total", params)
    rows = [
        ("6PD, active parameters (baseline)", base, "kaplan2020scaling"),
        ("6PD + attention, full score matrix", attention("6PD+attention"), "chowdhery2022palm"),
        ("6PD + attention, causal half", attention("6PD+causal-attention"), "nvidia2026megatronlmcode"),
        ("8PD, activation recomputation", flops.training_flops(params, tokens, recompute=True), "narayanan2021megatron"),
        ("6PD, total parameters (all experts)", flops.training_flops(total, tokens), "patel2023gpt4"),
        ("6ND, N counted with embeddings", 6 * counted["active"] * tokens, "kaplan2020scaling"),
        ("6ND, N counted without embeddings", 6 * (counted["active"] - counted["embeddings"]) * tokens, "kaplan2020scaling"),
    ]
    out = pd.DataFrame(rows, columns=["convention", "flops", "source"])
    out["ratio"] = out["flops"] / base
    return out[["convention", "flops", "ratio", "source"]]


SPEED_METRICS = ("output_tokens_per_s_per_gpu",)
"""Metrics where more is faster; the others (seconds) are faster when smaller."""

METRIC_LABELS = {"decode_s_per_step": "one decode step (s)", "prefill_s": "prefill (s)",
                 "output_tokens_per_s_per_gpu": "output tokens/s per GPU"}
"""Each serving metric (a key of :func:`serving.serving_estimate`) as a table shows it, with its unit."""


def serving_table():
    """The serving roofline (``llmcost.serving``) against each row of ``serving_measurements.csv``.

    ``llmcost`` is :func:`serving.serving_estimate`'s value of the row's metric at the row's
    configuration (efficiencies: the row's where a peer tool assumed them, else llmcost's
    defaults); where the source states no batch, a throughput is the roofline's highest over every
    batch that fits in memory (:func:`serving.batch_sweep`), a decode step the HBM floor at batch 1
    (:func:`serving.hbm_read_seconds`): bounds for any batch (``basis`` says which).
    Columns: id, model, accelerator, accelerators, batch, prompt_tokens, output_tokens, metric,
    kind, published, llmcost, basis, ratio (published / llmcost) and ``achieved`` (the share of
    the roofline's speed the system reached: ratio for tokens/s, 1 / ratio for seconds), source.
    """
    table = serving_measurements().copy()
    values, bases = [], []
    for row in table.itertuples(index=False):
        value, basis = _roofline(row)
        values.append(value)
        bases.append(basis)
    table["published"] = table["value"]
    table["llmcost"] = values
    table["basis"] = bases
    table["ratio"] = _ratio(table["published"], table["llmcost"])
    speed = table["metric"].isin(SPEED_METRICS)
    table["achieved"] = np.where(speed, table["ratio"], 1 / table["ratio"])
    return table[["id", "model", "accelerator", "accelerators", "batch", "prompt_tokens", "output_tokens", "precision", "metric",
                  "kind", "published", "llmcost", "basis", "ratio", "achieved", "source"]]


def _roofline(row) -> tuple[float, str]:
    """llmcost's value of one measurement row's metric, and how it was obtained (the row's model and
    accelerator are dataset ids: their records are taken by id, not resolved as names)."""
    model, gpu = architecture.architecture(model_by_id(row.model)), accelerator_by_id(row.accelerator)
    if math.isnan(row.batch) and row.metric in SPEED_METRICS:
        sweep = serving.batch_sweep(model, gpu, gpus=row.accelerators, prompt_tokens=row.prompt_tokens,
                                    output_tokens=row.output_tokens, precision=row.precision,
                                    weight_precision=row.weight_precision, kv_precision=row.kv_precision)
        return float(np.max(sweep[row.metric])), "roofline at its fastest batch that fits"
    if math.isnan(row.batch):
        if row.metric != "decode_s_per_step":
            raise InputError(f"serving measurement {row.id!r}: a {row.metric} without a batch cannot be estimated")
        floor = serving.hbm_read_seconds(model, gpu, gpus=row.accelerators, batch=1,
                                         context=row.prompt_tokens + (row.output_tokens + 1) / 2,
                                         weight_precision=row.weight_precision, kv_precision=row.kv_precision)
        return floor, "HBM floor at batch 1"
    efficiencies = {key: getattr(row, key) for key in ("compute_efficiency", "memory_efficiency") if not math.isnan(getattr(row, key))}
    estimate = serving.serving_estimate(
        model, gpu, gpus=row.accelerators, batch=int(row.batch), prompt_tokens=row.prompt_tokens,
        output_tokens=row.output_tokens, precision=row.precision, weight_precision=row.weight_precision,
        kv_precision=row.kv_precision, **efficiencies,
    )
    return estimate[row.metric], "roofline" + (" at the peer's efficiencies" if efficiencies else "")


SERVING_QUANTILES = (0.1, 0.5, 0.9)
"""The low, central and high share of the roofline a serving group expects: its measurements' 10th
percentile, median and 90th percentile (numpy's linear interpolation)."""

SERVING_MIN_ROWS = 3
"""Fewest measurements of a group (generation, precision) to calibrate serving on."""

SERVING_CEILING = 1.0
"""The share of the roofline's speed that no measurement reaches where the roofline holds: a row
above it (a speed-up the roofline does not model, or a figure that cannot be reproduced) is kept in
the dataset but left out of :func:`serving_groups`, whose high end would otherwise expect more than
the ceiling."""

SERVING_PHASES = {"prefill": ("prefill_s",), "throughput": ("output_tokens_per_s_per_gpu", "decode_s_per_step")}
"""The two phases a serving group is calibrated in, by the metrics measured: time to the first
token, and generation (whole requests' throughput and decode steps)."""


def serving_shares(table=None):
    """Each measured row of :func:`serving_table` (peer tools' figures left out) with its accelerator
    ``generation``, its ``phase`` (:data:`SERVING_PHASES`) and ``achieved``, the share of the
    roofline's speed it reached. Columns: id, source, model, accelerator, generation, precision,
    phase, metric, published, llmcost, achieved."""
    table = serving_table() if table is None else table
    rows = table[table["kind"] == "measured"].copy()
    rows["generation"] = [ACCELERATOR_GENERATIONS[ident] for ident in rows["accelerator"]]  # dataset ids
    phase_of = {metric: phase for phase, metrics in SERVING_PHASES.items() for metric in metrics}
    rows["phase"] = rows["metric"].map(phase_of)
    return rows[["id", "source", "model", "accelerator", "generation", "precision", "phase", "metric", "published", "llmcost",
                 "achieved"]].reset_index(drop=True)


def _quantiles(values) -> dict:
    """:data:`SERVING_QUANTILES` of ``values`` as ``{"low", "central", "high"}``."""
    low, central, high = np.quantile(np.asarray(values, dtype=float), SERVING_QUANTILES)
    return {"low": float(low), "central": float(central), "high": float(high)}


def serving_groups(shares=None):
    """The serving calibration: per accelerator generation, precision and phase with at least
    :data:`SERVING_MIN_ROWS` measurements at or below :data:`SERVING_CEILING`, the share of the
    roofline's speed reached (:data:`SERVING_QUANTILES`: low, central, high), the number of rows and
    their sources. shares: :func:`serving_shares` (default: all measurements)."""
    import pandas as pd

    shares = serving_shares() if shares is None else shares
    shares = shares[shares["achieved"] <= SERVING_CEILING]
    out = []
    for (generation, precision, phase), part in shares.groupby(["generation", "precision", "phase"], sort=True):
        if len(part) >= SERVING_MIN_ROWS:
            out.append({"generation": generation, "precision": precision, "phase": phase, "rows": len(part),
                        **_quantiles(part["achieved"]), "sources": ", ".join(dict.fromkeys(part["source"]))})
    return pd.DataFrame(out, columns=["generation", "precision", "phase", "rows", "low", "central", "high", "sources"])


def serving_calibration(gpu, precision: str, groups=None) -> dict:
    """The calibration group of serving on ``gpu`` (a name or its record) at ``precision`` (of the
    arithmetic): ``generation``, ``precision`` and per phase of :data:`SERVING_PHASES` the share of
    the roofline reached (``low``, ``central``, ``high``, ``rows``, ``sources``), or None where the
    group measured only the other phase. A group measured at a precision of equal peak on ``gpu``
    stands in (the A100's fp16 for bf16; ``precision`` names the one used). Raises :class:`InputError` naming the calibrated groups when
    none applies. groups: :func:`serving_groups` (default: all measurements)."""
    record = gpu if isinstance(gpu, dict) and "id" in gpu else accelerator(gpu)
    generation = accelerator_generation(record["id"])
    precision = check_choice("precision", precision, PRECISIONS)
    groups = serving_groups() if groups is None else groups
    same_peak = [p for p in dict.fromkeys(groups.loc[groups["generation"] == generation, "precision"])
                 if p == precision or _same_peak(record, p, precision)]
    mine = groups[(groups["generation"] == generation) & (groups["precision"] == (same_peak[0] if same_peak else precision))]
    if mine.empty:
        known = ", ".join(sorted({f"{g} {p}" for g, p in zip(groups["generation"], groups["precision"])}))
        raise InputError(f"no serving calibration for {record['id']} ({generation}) at {precision}: fewer than "
                         f"{SERVING_MIN_ROWS} measurements; calibrated: {known}")
    phases = {row.phase: {"low": row.low, "central": row.central, "high": row.high, "rows": int(row.rows),
                          "sources": row.sources.split(", ")} for row in mine.itertuples(index=False)}
    return {"generation": generation, "precision": str(mine["precision"].iloc[0]),
            **{phase: phases.get(phase) for phase in SERVING_PHASES}}


def _same_peak(record: dict, one: str, other: str) -> bool:
    """True when ``record``'s datasheet gives ``one`` and ``other`` the same dense peak (the A100's fp16 and bf16)."""
    try:
        return peak_flops(record, one) == peak_flops(record, other)
    except InputError:
        return False


EXPECTED_SERVING = {"prefill_s": ("prefill", "seconds"), "decode_s_per_step": ("throughput", "seconds"),
                    "output_tokens_per_s": ("throughput", "speed"), "usd_per_1k_output_tokens": ("throughput", "seconds")}
"""The roofline keys :func:`expected_serving` scales: key -> (phase whose share applies, and whether
the value goes as 1 / share, "seconds" and costs, or as the share, "speed")."""


def expected_serving(estimate: dict, calibration: dict) -> dict:
    """What a serving configuration is expected to reach: each key of :data:`EXPECTED_SERVING` that
    ``estimate`` (:func:`llmcost.serving.serving_estimate`, scalars or arrays over a batch sweep) has,
    as ``{"low", "central", "high"}`` (ordered by value), the roofline divided (seconds, USD) or multiplied (tokens/s) by the
    calibration's share of its phase; a phase the group has not measured takes the other's share,
    and ``phases`` says which share each key used. calibration: :func:`serving_calibration`."""
    out, used = {}, {}
    for key, (phase, kind) in EXPECTED_SERVING.items():
        if key not in estimate:
            continue
        chosen = phase if calibration.get(phase) else next(p for p in SERVING_PHASES if calibration.get(p))
        share, value = calibration[chosen], estimate[key]
        if kind == "speed":
            out[key] = {end: value * share[end] for end in ("low", "central", "high")}
        else:  # the highest share gives the lowest time or cost
            out[key] = {"low": value / share["high"], "central": value / share["central"], "high": value / share["low"]}
        used[key] = chosen
    return {**out, "phases": used}


def held_out_serving(shares=None):
    """Leave-one-source-out check of the serving calibration: each source of measurements is held out
    in turn, the groups are fitted on the others (:func:`serving_groups`), and each held-out row is
    predicted as the roofline times (tokens/s) or over (seconds) its group's central share, the
    range from its low and high. Rows whose group (generation, precision, phase) the other sources
    do not calibrate are left out. Columns: source, id, generation, precision, phase, published,
    predicted, low, high (the row's unit), error (``|predicted / published - 1|``), covered."""
    import pandas as pd

    shares = serving_shares() if shares is None else shares
    rows = []
    for source in dict.fromkeys(shares["source"]):
        groups = serving_groups(shares[shares["source"] != source]).set_index(["generation", "precision", "phase"])
        for row in shares[shares["source"] == source].itertuples(index=False):
            key = (row.generation, row.precision, row.phase)
            if key not in groups.index:
                continue
            group = groups.loc[key]
            speed = row.metric in SPEED_METRICS
            predicted = {end: row.llmcost * group[end] if speed else row.llmcost / group[end] for end in ("low", "central", "high")}
            low, high = sorted((predicted["low"], predicted["high"]))
            rows.append((source, row.id, row.generation, row.precision, row.phase, row.published, predicted["central"], low, high,
                         abs(predicted["central"] / row.published - 1), bool(low <= row.published <= high)))
    return pd.DataFrame(rows, columns=["source", "id", "generation", "precision", "phase", "published", "predicted", "low", "high",
                                       "error", "covered"])


def summary(table, column: str = "ratio", label: str = "id") -> dict:
    """Median and worst of a ratio column: ``count``, ``median``, ``worst``, ``worst_id``, ``min``, ``max``.

    The worst ratio is the one farthest from 1 on a log scale (0.5 and 2 are equally bad).
    NaN rows are skipped; an empty column raises ``InputError``.
    """
    values = table[[label, column]].dropna()
    if values.empty:
        raise InputError(f"column {column!r} has no values to summarize")
    ratios = values[column].to_numpy(dtype=float)
    worst = int(np.argmax(np.abs(np.log(ratios))))
    return {
        "count": int(ratios.size),
        "median": float(np.median(ratios)),
        "worst": float(ratios[worst]),
        "worst_id": str(values[label].iloc[worst]),
        "min": float(ratios.min()),
        "max": float(ratios.max()),
    }


ACCELERATOR_GENERATIONS = {
    "v100-sxm2-32gb": "Volta",
    "a100-40gb-sxm": "Ampere",
    "a100-80gb-sxm": "Ampere",
    "a100-40gb-pcie": "Ampere",
    "a100-80gb-pcie": "Ampere",
    "l40s": "Ada Lovelace",
    "h100-sxm": "Hopper",
    "h100-pcie": "Hopper",
    "h800-sxm": "Hopper",
    "h200-sxm": "Hopper",
    "b200": "Blackwell",
    "gb200": "Blackwell",
    "b300": "Blackwell",
    "gb300": "Blackwell",
    "tpu-v3": "TPU",
    "tpu-v4": "TPU",
    "tpu-v5p": "TPU",
    "tpu-v5e": "TPU",
    "tpu-v6e": "TPU",
    "tpu7x": "TPU",
    "mi300x": "CDNA 3",
    "mi325x": "CDNA 3",
    "mi355x": "CDNA 4",
    "trainium2": "Trainium",
    "gaudi3": "Gaudi",
}
"""Accelerator id (``accelerators.csv``) -> generation, in release order within each vendor.

NVIDIA parts by the architecture their datasheets name (``nvidia2017v100``: Volta;
``nvidia2020a100``: Ampere; ``nvidia2022h100``, ``nvidia2023h800``, ``nvidia2023h200``: Hopper;
``nvidia2023l40s``: Ada Lovelace; ``nvidia2024dgxb200``, ``nvidia2024gb200nvl72``, ``nvidia2025hgxb300``:
Blackwell, B300 and GB300 being Blackwell Ultra); AMD's MI300X and MI325X are CDNA 3
(``amd2023mi300x``, ``amd2024mi325x``), the MI355X CDNA 4 (``amd2025matrixcoresblog``). Google's
TPUs are grouped as one generation, "TPU": the dataset has a single TPU-trained model with
published hours (PaLM, TPU v4), too few to split."""


def accelerator_generation(name) -> str:
    """Generation of an accelerator (``"Volta"``, ``"Ampere"``, ``"Hopper"``, ``"TPU"``, ...).

    name: an accelerator id or alias (``"a100"``, ``"H800"``); see :data:`ACCELERATOR_GENERATIONS`
    for the grouping and its sources. Raises ``InputError`` for an unknown accelerator.
    """

    ident = resolve_accelerator(name)
    if ident not in ACCELERATOR_GENERATIONS:
        raise InputError(f"gpu {name!r} has no generation in llmcost.calibration.ACCELERATOR_GENERATIONS")
    return ACCELERATOR_GENERATIONS[ident]


def default_utilization_by_generation(table=None, column: str = "implied", precision=None):
    """Median, min and max utilization per accelerator generation, from the published hours.

    table: a table with ``id``, ``accelerator`` and ``column`` (default: :func:`implied_utilization_table`
    with ``precision``); column: the utilization column to group (``implied``, ``reported``, ...).
    Rows whose value is NaN are skipped; generations follow :data:`ACCELERATOR_GENERATIONS`
    (V100 = Volta; A100 = Ampere; H100, H800 = Hopper; TPU v3, v4 = TPU).

    Published accelerator-hours count the whole run, restarts after failures, checkpoints,
    evaluation and idle time included, while 6PD counts only the useful model FLOPs; so the
    implied utilization is a lower bound of the MFU the run achieved while it was computing
    (e.g. PaLM: 30 % implied against 46.2 % reported, ``chowdhery2022palm`` Table 3; Llama 3.1
    405B: 35 % against 38-43 %, ``dubey2024llama3`` Table 4). A default for estimates that start
    from a cluster's wall-clock time belongs near the median; one for the speed of a running job,
    near the reported MFU.
    Columns: generation, count, median, min, max (fractions of the dense peak), models (ids,
    comma-separated), accelerators (ids).
    """
    import pandas as pd

    if table is None:
        table = implied_utilization_table(precision)
    for required in ("id", "accelerator"):
        if required not in table.columns:
            raise InputError(f"table must have an {required!r} column")
    column = check_choice("column", column, [name for name in table.columns if name not in ("id", "accelerator")])
    rows = table[["id", "accelerator", column]].dropna()
    if rows.empty:
        raise InputError(f"column {column!r} has no values to group")
    values = rows[column].to_numpy(dtype=float)
    check_fraction(column, values)
    generations = [accelerator_generation(name) for name in rows["accelerator"]]
    order = list(dict.fromkeys(ACCELERATOR_GENERATIONS.values()))
    out = []
    for generation in sorted(set(generations), key=order.index):
        mask = np.array([g == generation for g in generations])
        chosen = values[mask]
        out.append((generation, int(chosen.size), float(np.median(chosen)), float(chosen.min()), float(chosen.max()),
                    ", ".join(rows["id"][mask]), ", ".join(dict.fromkeys(rows["accelerator"][mask]))))
    return pd.DataFrame(out, columns=["generation", "count", "median", "min", "max", "models", "accelerators"])


def training_utilization(gpu, precision: str = "bf16") -> dict:
    """The utilization to plan a training run on ``gpu`` (a name, or its record) at ``precision``
    with, from the runs that published their accelerator-hours on its generation (as
    :func:`default_utilization_by_generation` groups them, without pandas): ``central`` (their
    median implied utilization), ``low`` and ``high`` (their lowest and highest), ``generation``,
    ``count``, ``models`` (ids) and ``precision``. Fractions of the dense peak on the 6PD convention,
    downtime included: what wall-clock planning needs (a running job's MFU is higher).

    Raises :class:`InputError` naming why when no calibration applies: no published run on the
    generation, or a ``precision`` whose peak differs from the one its runs are measured at (their
    training precision, :func:`llmcost.hardware.training_precision`; the A100's fp16 and bf16 peaks
    are equal, its fp8 one does not exist)."""
    record = gpu if isinstance(gpu, dict) and "id" in gpu else accelerator(gpu)
    if record["id"] not in ACCELERATOR_GENERATIONS:
        raise InputError(f"gpu {record['id']!r} has no generation in llmcost.calibration.ACCELERATOR_GENERATIONS")
    generation = ACCELERATOR_GENERATIONS[record["id"]]
    runs = [(row[0]["id"], row[5]) for row in _implied_rows() if ACCELERATOR_GENERATIONS.get(row[1]["id"]) == generation]
    if not runs:
        calibrated = sorted({ACCELERATOR_GENERATIONS[row[1]["id"]] for row in _implied_rows()})
        raise InputError(f"gpu {record['id']!r} ({generation}) has no published training run with accelerator-hours in the "
                         f"dataset to calibrate on; calibrated generations: {', '.join(calibrated)}")
    measured_at = training_precision(record)
    precision = check_choice("precision", precision, PRECISIONS)
    if precision != measured_at and peak_flops(record, precision) != peak_flops(record, measured_at):
        raise InputError(f"the {generation} runs are measured at {measured_at}, not {precision}: their utilization does not "
                         f"carry over to another peak")
    values = np.array([implied for _, implied in runs])
    return {"central": float(np.median(values)), "low": float(values.min()), "high": float(values.max()),
            "generation": generation, "count": len(runs), "models": ", ".join(ident for ident, _ in runs),
            "precision": measured_at}


def busy_share() -> dict:
    """The share of a run's wall-clock time its accelerators computed, as the runs that published both
    their hours and a utilization imply: the ``ratio`` of :func:`implied_utilization_table`, implied
    (whole run) over reported (while computing). A run whose hours imply its reported throughput or
    more has hours computed from that throughput, not a calendar (GPT-3's: Patterson et al.'s
    days are its FLOPs at their measured rate), and is left out. Keys: central (median), low,
    high, count, models (ids)."""
    table = implied_utilization_table().dropna(subset=["ratio"])
    table = table[table["ratio"] < 1]
    shares = table["ratio"].to_numpy(dtype=float)
    return {"central": float(np.median(shares)), "low": float(shares.min()), "high": float(shares.max()),
            "count": int(shares.size), "models": ", ".join(table["id"])}


PLANNING_BASES = ("given", "calibrated", "reference")
"""Where :func:`planning_utilization` takes its value: the caller's ``mfu``, the calibration of the
accelerator's generation, or PaLM's published MFU where no calibration applies."""


def planning_utilization(gpu, precision: str = "bf16", mfu=None) -> dict:
    """The utilization to plan a training run on ``gpu`` at ``precision`` with, on the 6PD convention.

    mfu: a fraction in (0, 1] that the caller sets (then low = central = high = ``mfu``), or None:
    the calibrated median of the generation's runs and their lowest and highest
    (:func:`training_utilization`); where no calibration applies (no run on the generation, or
    another precision), PaLM 540B's published MFU restated without attention
    (:func:`llmcost.architecture.reference_mfu`), with the range of every published run.
    Keys: central, low, high (fractions of the dense peak), basis (:data:`PLANNING_BASES`),
    source (a phrase naming where the value comes from) and why (why not calibrated, else "")."""
    if mfu is not None:
        value = float(check_fraction("mfu", mfu))
        return {"central": value, "low": value, "high": value, "basis": "given", "source": "the utilization given (mfu)",
                "why": ""}
    try:
        calibrated = training_utilization(gpu, precision)
    except InputError as error:
        everything = np.array([row[5] for row in _implied_rows()])
        return {"central": architecture.reference_mfu("6PD"), "low": float(everything.min()), "high": float(everything.max()),
                "basis": "reference", "why": str(error),
                "source": "PaLM 540B's published MFU restated without attention, since no published run calibrates "
                          f"this accelerator at this precision (range: all {everything.size} runs with published hours)"}
    return {**{key: calibrated[key] for key in ("central", "low", "high")}, "basis": "calibrated", "why": "",
            "source": f"the median that the {calibrated['count']} {calibrated['generation']} runs with published hours "
                      "imply (range: their lowest and highest)"}


def held_out_training():
    """Leave-one-source-out check of :func:`training_utilization`: each source of published
    accelerator-hours (the BibTeX key of a run's primary ``gpu_hours`` row) is held out in turn, and
    its runs are predicted from the other sources' runs on the same generation: the central hours at
    their median implied utilization, the range at their highest and lowest. Runs whose generation
    has no run from another source are left out.

    Columns: source, id, generation, published, predicted, low, high (accelerator-hours), error
    (``|predicted / published - 1|``) and covered (the published hours within low-high)."""
    import pandas as pd

    sources = primary_sources("gpu_hours")
    runs = [(sources[record["id"]], record["id"], ACCELERATOR_GENERATIONS[gpu["id"]], record["gpu_hours"], implied)
            for record, gpu, _, _, _, implied in _implied_rows()]
    rows = []
    for source, ident, generation, published, implied in runs:
        others = np.array([u for s, _, g, _, u in runs if g == generation and s != source])
        if others.size == 0:
            continue
        # hours go as 1 / utilization: the run at ``implied`` took ``published`` hours
        hours = {name: published * implied / u for name, u in (("predicted", np.median(others)), ("low", others.max()),
                                                                ("high", others.min()))}
        rows.append((source, ident, generation, published, hours["predicted"], hours["low"], hours["high"],
                     abs(hours["predicted"] / published - 1), bool(hours["low"] <= published <= hours["high"])))
    return pd.DataFrame(rows, columns=["source", "id", "generation", "published", "predicted", "low", "high", "error", "covered"])


def held_out_summary(table) -> "pd.DataFrame":
    """:func:`held_out_training` per source, then over all runs (source ``all``): rows, median and
    worst error, and the share of runs whose published hours the range covers."""
    import pandas as pd

    groups = [(source, part) for source, part in table.groupby("source", sort=False)] + [("all", table)]
    return pd.DataFrame([(source, len(part), float(part["error"].median()), float(part["error"].max()), float(part["covered"].mean()))
                         for source, part in groups], columns=["source", "rows", "median_error", "worst_error", "coverage"])


def source_disagreements(quantities=None):
    """Every (model, quantity) of ``model_facts.csv`` with more than one published value.

    One row per value: subject, quantity, value, unit, source (BibTeX key), locator, primary
    (the value llmcost uses), ratio (value / the primary value of the same pair) and note (why
    the values differ: PUE included or not, a different accounting, a later model version,
    rounding...). quantities: None for all, or a list of quantity names to keep
    (``"co2_t"``, ``"train_flops"``, ...). Sorted by subject, quantity, primary first.
    """
    import pandas as pd


    facts = model_facts()
    if quantities is not None:
        known = sorted(set(facts["quantity"]))
        quantities = [check_choice("quantities", name, known) for name in ([quantities] if isinstance(quantities, str) else quantities)]
        facts = facts[facts["quantity"].isin(quantities)]
    counts = facts.groupby(["subject", "quantity"])["value"].transform("size")
    rows = facts[counts > 1].copy()
    rows["primary"] = rows["primary"].astype(str).str.lower().isin(["true", "1"])
    primary = rows[rows["primary"]].set_index(["subject", "quantity"])["value"]
    keys = pd.MultiIndex.from_frame(rows[["subject", "quantity"]])
    rows["ratio"] = rows["value"].to_numpy(dtype=float) / primary.reindex(keys).to_numpy(dtype=float)
    rows = rows.assign(_order=~rows["primary"]).sort_values(["subject", "quantity", "_order"], kind="stable")
    columns = ["subject", "quantity", "value", "unit", "source", "locator", "primary", "ratio", "note"]
    return rows[columns].reset_index(drop=True)
