"""Step charts: loss, distance to the nearest minimum and x(t), y(t) against the step (or samples
seen, or epochs), each line up to its run's divergence step; a symmetric log axis for a loss that
is unbounded below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surfaces import Surface

from ..core.engine import Trajectory
from .grid import inside_plot
from .styles import FONT, PathStyle

SYMLOG_FRACTION = 0.01  # symlog's linear zone: 1% of the surface's range of f over the plot
WORK_AXES = {"steps": "step", "samples": "samples seen", "epochs": "epochs"}
WORK_LOG_RATIO = 10.0
"""A step chart's horizontal axis turns logarithmic when one run's work (samples seen or epochs at
its last step) exceeds another's by more than this factor: on the mini-batch lesson's epochs axis
SGD's 250 steps at b = 1 are one epoch of 240 points and GD's are 250, and a linear axis squeezed
SGD's whole curve into the first 0.4 % of the width. On a log axis each run of 250 steps spans as
many decades as the others; the start (work 0) has no place on it and is left out."""


def work_axis(t: Trajectory, axis: str = "steps") -> np.ndarray:
    """The horizontal axis of a step chart: steps, or on a data surface the samples seen or the
    epochs at each step (`Trajectory.samples_seen`, `.epochs`); steps where those are undefined."""
    if axis == "samples" and t.samples_seen is not None:
        return np.asarray(t.samples_seen)
    if axis == "epochs" and t.epochs is not None:
        return np.asarray(t.epochs, dtype=float)
    return np.arange(t.steps + 1)


@dataclass(frozen=True)
class StepSeries:
    """One run's line in a step chart: the values it computed, where it stopped and why."""

    style: PathStyle
    values: np.ndarray  # (T,) per step; only values[:end] are drawn
    end: int  # the divergence step (the frozen tail after it is not drawn), or T
    diverged_at: int | None
    escaped_at: int | None = None  # unbounded surfaces: first step outside the plot
    x: np.ndarray | None = None  # (T,) the horizontal axis (steps, samples seen or epochs); None: steps


def _series(style: PathStyle, values, t: Trajectory, surface: Surface | None = None,
            axis: str = "steps") -> StepSeries:
    values = np.asarray(values, dtype=float)
    diverged_at = int(t.diverged_at) if bool(t.diverged) else None
    end = len(values) if diverged_at is None else max(diverged_at, 1)
    escaped_at = None
    if surface is not None and surface.f_min is None:
        outside = ~inside_plot(surface, np.asarray(t.path)[:end])
        escaped_at = int(np.argmax(outside)) if outside.any() else None
    return StepSeries(style, values, end, diverged_at, escaped_at, work_axis(t, axis))


def symlog(values, scale: float) -> np.ndarray:
    """sign(f) · log10(1 + |f| / scale): linear within ±scale, logarithmic beyond, any sign."""
    v = np.asarray(values, dtype=float)
    return np.sign(v) * np.log10(1.0 + np.abs(v) / scale)


def symlog_scale(surface: Surface, n: int = 101) -> float:
    """The linear zone of the symlog loss axis: SYMLOG_FRACTION of the range of f over the plot,
    so that a change of f that is visible on the surface is visible on the loss axis."""
    (x0, x1), (y0, y1) = surface.domain
    f = surface.f(np.stack(np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n)), axis=-1))
    finite = f[np.isfinite(f)]  # where a typed formula has a value
    if not finite.size:
        return 1.0
    with np.errstate(over="ignore"):
        span = float(finite.max() - finite.min())  # beyond the largest float when f spans ±1e308: capped
    scale = SYMLOG_FRACTION * min(span, np.finfo(float).max)
    # A span of a few subnormal numbers (5e-324 * x) has no 1 %: such an f is 0 on any chart.
    return scale if scale >= np.finfo(float).tiny else 1.0


def _real_label(v: float) -> str:
    if v == 0:
        return "0"
    sign = "−" if v < 0 else ""
    a = abs(v)
    if 1e-3 <= a < 1e4:
        return sign + f"{a:g}"
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return sign + "10" + str(round(np.log10(a))).translate(sup)


def symlog_ticks(lo: float, hi: float, scale: float, max_ticks: int = 9) -> tuple[list[float], list[str]]:
    """Ticks at round real values (0, ±10^k from the linear zone's edge on) between the real
    values lo and hi, placed on the symlog axis and labelled with the real values. At most
    `max_ticks`, never closer than 1/max_ticks of the axis: 0 first, then the largest decades
    (on a 300-px chart, ±0.1 and ±1 next to 0 would print on top of each other)."""
    top = max(abs(lo), abs(hi), scale)
    decades = range(int(np.ceil(np.log10(scale))), int(np.ceil(np.log10(top))) + 1)
    candidates = [s * 10.0**k for k in decades for s in (-1.0, 1.0)]
    candidates = [v for v in candidates if lo - 1e-12 <= v <= hi + 1e-12]
    t_lo, t_hi = float(symlog(min(lo, 0.0), scale)), float(symlog(max(hi, 0.0), scale))
    gap = (t_hi - t_lo) / max_ticks
    kept = [0.0]
    for v in sorted(candidates, key=lambda v: -abs(v)):
        if len(kept) < max_ticks and all(abs(symlog(v, scale) - symlog(w, scale)) >= gap for w in kept):
            kept.append(v)
    kept.sort()
    return [float(symlog(v, scale)) for v in kept], [_real_label(v) for v in kept]


F32_NORMAL = (float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max))
SPAN_TOLERANCE = 1e-5  # of a linear axis's span: a hundredth of a pixel on a 1000-px chart


def display_values(values, *, linear: bool) -> np.ndarray:
    """A step chart's values in float32, half the bytes on every change (each moved slider
    resends that run's four step-chart lines), where that draws the same chart and hovers the
    same 4 significant digits; float64 otherwise. float32 when every finite nonzero value lies in
    float32's normal range (relative rounding under 6e-8: a loss gap that has fallen to 1e-60
    would become 0 and vanish from a log axis, so it stays float64), and, for a linear axis,
    when no value moves by more than SPAN_TOLERANCE of the values' span (x(t) of a run that
    barely moves around x = 3 stays float64: its steps of 1e-9 would otherwise be rounded away)."""
    v = np.asarray(values, dtype=float)
    finite = v[np.isfinite(v)]
    size = np.abs(finite[finite != 0])
    if size.size and (size.min() < F32_NORMAL[0] or size.max() > F32_NORMAL[1]):
        return v
    compact = v.astype(np.float32)
    if linear and finite.size:
        rounding = float(np.max(np.abs(compact[np.isfinite(v)].astype(float) - finite)))
        if rounding > SPAN_TOLERANCE * float(np.ptp(finite)):
            return v
    return compact


def _step_chart(series: Sequence[StepSeries], *, title: str, y_title: str, axis: str,
                scale: float = 1.0, height: int = 300, x_title: str = "step") -> dict:
    """Lines against the step. `axis` is "log", "linear" or "symlog" (y drawn as symlog(y, scale),
    ticks and hover at the real values). Each line stops where its run diverged (the frozen tail
    the engine keeps is not drawn) with a ✕ and "diverged at step k" at its last value; on an
    unbounded surface a ○ "escaped (step j)" marks where the run left the plot. The horizontal
    axis is logarithmic when the runs' work differs by more than `WORK_LOG_RATIO`."""
    data = []
    drawn = []
    work = [float(s.x[-1]) for s in series if s.x is not None and len(s.x) > 1]
    log_x = len(work) > 1 and min(work) > 0 and max(work) > WORK_LOG_RATIO * min(work)
    for s in series:
        real = s.values[: s.end].copy()
        if axis == "log":
            real = np.where(real > 0, real, np.nan)
        y = symlog(real, scale) if axis == "symlog" else real
        drawn.append(real)
        steps = np.arange(s.end) if s.x is None else np.asarray(s.x)[: s.end]
        first = int(np.count_nonzero(steps <= 0)) if log_x else 0  # work 0 has no place on a log axis
        kept = slice(first, None)
        name = s.style.name
        if s.escaped_at is not None:
            name += f" — escaped (step {s.escaped_at})"
        elif s.diverged_at is not None:
            name += f" — diverged at step {s.diverged_at}"
        hover_value = "%{customdata:.4g}" if axis == "symlog" else "%{y:.4g}"
        line = {
            "type": "scatter", "mode": "lines", "name": name, "legendgroup": s.style.key,
            # numpy arrays: plotly validates them in bulk and sends them as compact typed arrays
            "x": steps[kept], "y": display_values(y[kept], linear=axis != "log"),
            "line": {"color": s.style.color, "width": 2, "dash": s.style.dash},
            "hovertemplate": f"<b>{s.style.name}</b><br>{x_title} %{{x}}<br>{y_title} {hover_value}<extra></extra>",
        }
        if axis == "symlog":
            line["customdata"] = display_values(real[kept], linear=False)  # hover only: 4 significant digits
        data.append(line)
        marks = []
        if s.escaped_at is not None and s.escaped_at < s.end:
            marks.append((s.escaped_at, "circle-open", f"escaped (step {s.escaped_at})"))
        if s.diverged_at is not None and s.escaped_at is None:
            marks.append((s.end - 1, "x", f"diverged at step {s.diverged_at}"))
        elif s.diverged_at is not None:
            marks.append((s.end - 1, "line-ns", f"followed to step {s.end - 1}; step {s.diverged_at} "
                                                 "was beyond 100× the plot"))
        for step, symbol, label in marks:
            if not np.isfinite(y[step]) or step < first:
                continue
            data.append({
                "type": "scatter", "mode": "markers", "name": label, "legendgroup": s.style.key,
                "showlegend": False, "x": [steps[step].item()], "y": [float(y[step])],
                "marker": {"color": s.style.color, "size": 12, "symbol": symbol,
                           "line": {"color": s.style.color, "width": 2.5}},
                "hovertemplate": f"<b>{s.style.name}</b><br>{label}<br>{y_title} {real[step]:.4g}<extra></extra>",
            })
    yaxis: dict = {"title": {"text": y_title}, "exponentformat": "power"}
    if axis == "log":
        yaxis.update(type="log", minorloglabels="none")
    elif axis == "symlog":
        finite = np.concatenate([r[np.isfinite(r)] for r in drawn]) if drawn else np.zeros(1)
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        tickvals, ticktext = symlog_ticks(lo, hi, scale)
        yaxis.update(type="linear", tickmode="array", tickvals=tickvals, ticktext=ticktext)
    return {
        "data": data,
        "layout": {
            # plotly.js leaves axis margins fixed unless told (plotly.py's template used to say so):
            # automargin keeps the tick labels and titles inside the chart. The legend sits at the
            # chart's bottom edge (the container's), below the x axis's title, so that neither a
            # second row nor a longer title can meet it.
            "title": {"text": title, "font": {"size": 15}},
            "height": height, "font": FONT,
            "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "hovermode": "x unified",
            "xaxis": {"title": {"text": f"{x_title} (log scale)" if log_x else x_title}, "automargin": True,
                      **({"type": "log", "minorloglabels": "none"} if log_x else {})},
            "yaxis": {**yaxis, "automargin": True},
            "legend": {"orientation": "h", "x": 0, "xref": "container", "y": 0, "yref": "container",
                       "yanchor": "bottom", "itemclick": False, "itemdoubleclick": False},
        },
    }


def loss_figure(surface: Surface, runs: Sequence[tuple[PathStyle, Trajectory]], axis: str = "steps") -> dict:
    """Loss against step (or samples seen, or epochs: `axis`), up to each run's divergence step.

    Where f* is known: the gap f − f* on a log scale. Unbounded below (f_min None): f on a
    symlog axis, sign(f) · log10(1 + |f|/c) with c = 1% of f's range over the plot. Chosen over
    clipping f to the plotted range because the lesson of an unbounded surface is *how fast*
    each method runs off to −∞, which clipping would flatten into one line at the clip; a
    linear axis cannot show it either (on the saddle it spans −1.4e5 … 3 and GD's whole crawl
    3 → −0.3 is a flat line at 0). With c from the surface's own range, the early steps
    (|f| of the order of the plot's values) keep a visible share of the axis while every decade
    of the escape gets the same height. Ticks and hover give the real f."""
    x_title = WORK_AXES[axis]
    if surface.f_min is not None:
        series = [_series(s, np.asarray(t.loss) - surface.f_min, t, axis=axis) for s, t in runs]
        return _step_chart(series, title="Loss gap f − f* (log scale)", y_title="f − f*", axis="log",
                           x_title=x_title)
    series = [_series(s, t.loss, t, surface, axis=axis) for s, t in runs]
    return _step_chart(series, title="Loss f (unbounded below; symmetric log scale)", y_title="f",
                       axis="symlog", scale=symlog_scale(surface), x_title=x_title)


def distance_figure(runs: Sequence[tuple[PathStyle, Trajectory]], axis: str = "steps") -> dict | None:
    """Distance to the nearest minimum against step (or work), up to each run's divergence step."""
    series = [_series(s, t.distance, t, axis=axis) for s, t in runs if t.distance is not None]
    if not series:
        return None
    return _step_chart(series, title="Distance to the nearest minimum (log scale)", y_title="distance", axis="log",
                       x_title=WORK_AXES[axis])


def coordinate_figure(runs: Sequence[tuple[PathStyle, Trajectory]], coordinate: int, axis: str = "steps") -> dict:
    """x(t) (coordinate 0) or y(t) (coordinate 1) of each run against step (or work), up to each
    run's divergence step (✕ there), on a linear axis."""
    name = "xy"[coordinate]
    series = [_series(s, np.asarray(t.path)[:, coordinate], t, axis=axis) for s, t in runs]
    return _step_chart(series, title=f"{name}(t)", y_title=name, axis="linear", x_title=WORK_AXES[axis])
