"""Chart builders that several chapters share (altair; not imported by ``import llmcost``)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..core.validate import check_flag

MARGIN = 1.25
"""Room left on each side of the data on a ratio axis, as a factor."""


def ratio_domain(frame: pd.DataFrame, columns) -> list[float]:
    """The log-axis domain that holds every finite positive value of ``columns``, with
    :data:`MARGIN` on each side."""
    values = np.concatenate([frame[c].to_numpy(float) for c in columns])
    values = values[np.isfinite(values) & (values > 0)]
    return [float(min(values.min(), 1.0) / MARGIN), float(max(values.max(), 1.0) * MARGIN)]


def one_two_five(values) -> list[float]:
    """The ticks 1, 2, 5, 10, 20, ... of a log axis from the last one at or below the smallest of
    ``values`` (positive numbers) to the first one at or above the largest: the axis's domain and
    its labels, fewer than a log axis draws by itself."""
    values = np.asarray(values, dtype=float)
    if values.size == 0 or not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"values must be finite positive numbers; got {values.tolist()!r}")
    low, high = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
    ticks = [m * 10.0 ** e for e in np.arange(low, high + 1) for m in (1, 2, 5)]
    first = max(t for t in ticks if t <= values.min())
    last = min(t for t in ticks if t >= values.max())
    return [float(t) for t in ticks if first <= t <= last]


def ratio_dots(frame: pd.DataFrame, label: str, ratio: str, title: str, axis_title: str, *, color: str | None = None,
               low: str | None = None, high: str | None = None, tooltip=(), width: int = 440, row_px: int = 16):
    """A dot per row of ``frame`` at its ``ratio`` (a column of positive numbers) on a log axis,
    one line per ``label``, sorted by ratio, with a dashed rule at 1 (agreement). Where ``low`` and
    ``high`` name columns, a bar spans them. The labels sit on the axis, so none overlap however
    close the ratios are. ``color`` names a column that colours the dots (its legend below) and
    sets them side by side within a line, so that two dots of one label do not hide each other."""
    spans = [low, high] if low and high else []
    scale = alt.Scale(type="log", domain=ratio_domain(frame, [ratio, *spans]))
    base = alt.Chart(frame).encode(
        y=alt.Y(f"{label}:N", sort=alt.EncodingSortField(field=ratio, op="max", order="descending"), title=None,
                axis=alt.Axis(labelLimit=300)))
    if color:
        base = base.encode(yOffset=alt.YOffset(f"{color}:N"))
    x = alt.X(f"{ratio}:Q", scale=scale, title=axis_title, axis=alt.Axis(format="~g"))
    legend = alt.Color(f"{color}:N", legend=alt.Legend(orient="bottom", title=None)) if color else alt.value("#4c78a8")
    layers = [alt.Chart(frame).mark_rule(color="#999", strokeDash=[4, 4]).encode(x=alt.datum(1))]
    if spans:
        layers.append(base.mark_rule(opacity=0.6).encode(x=alt.X(f"{low}:Q", scale=scale), x2=f"{high}:Q", color=legend))
    layers.append(base.mark_point(filled=True, size=60, opacity=1).encode(
        x=x, color=legend, tooltip=[f"{label}:N", alt.Tooltip(f"{ratio}:Q", format=".3f"), *tooltip]))
    return alt.layer(*layers).properties(width=width, height=row_px * frame[label].nunique(), title=title)


def label_sides(x, y, min_distance=0.06, log_x=True, log_y=True):
    """Which side of its point each label goes ("right" or "left") so that labels of nearby
    points do not overlap. Both axes are scaled to [0, 1] over the points' extent (after log10 where
    asked, as the chart draws them); walking the points from left to right, a point closer than
    ``min_distance`` to one labelled on the right is labelled on the left. Returns a list in the
    order of ``x``. log_x, log_y: True or False."""
    log_x, log_y = check_flag("log_x", log_x), check_flag("log_y", log_y)

    def unit(values, log):
        v = np.asarray(values, dtype=float)
        v = np.log10(v) if log else v
        span = np.ptp(v)
        return (v - v.min()) / span if span > 0 else np.zeros_like(v)

    xs, ys = unit(x, log_x), unit(y, log_y)
    sides = ["right"] * len(xs)
    placed = []
    for i in np.argsort(xs, kind="stable"):
        if any(np.hypot(xs[i] - xs[j], ys[i] - ys[j]) < min_distance for j in placed):
            sides[i] = "left"
        else:
            placed.append(i)
    return sides
