"""Figures of the analysis tools: basin maps and learning-rate sensitivity, as plain plotly figure
dicts (no plotly import: `optviz.plot.frames.as_figure` turns a dict into a Figure for Streamlit).

Basin map (`basin_figure`): one heatmap panel per run, side by side, over the surface's domain.
Each category of cell is its own heatmap trace holding NaN elsewhere (so each has one colour, its
own hover words and a legend entry that hides it in every panel): per minimum "converged" (full
colour) and "inside at the end" (a pale tint of it: there at the last step, not yet for long
enough to count as converged), then "not yet", "cycles", "escaped" and "diverged" in greys. The "steps"
mode colours converged cells by the step they converged at (one colour scale shared by the
panels) and keeps the greys for the rest. Minima are stars labelled A, B, ... A click on a cell
reports the cell centre's x and y (float64, the exact start the map ran): the app can make it
the main view's start.

Sensitivity (`sensitivity_figure`): per run a line of the final loss gap (log) or the steps to
converge against the learning rate (log), with gaps where a learning rate gave no such value.
Diverged learning rates are ✕ in a shaded band above the data, escaped ones ▽ below it, runs that
did not converge (steps mode) ○ on the line of the step budget: never a plateau of made-up values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from surfaces import Surface, get_surface

from ..analysis.basins import BasinResult
from ..analysis.sensitivity import Pick, Sensitivity
from ..core.engine import CONVERGED, CYCLES, DIVERGED, ESCAPED, INSIDE_AT_THE_END, NOT_YET, OUTCOMES, min_stay

FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}
MINIMUM_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4")
GREYS = {NOT_YET: "#dcdcdc", INSIDE_AT_THE_END: "#a9a9a9", CYCLES: "#c2c2c2", ESCAPED: "#7a7a7a", DIVERGED: "#2b2b2b"}
STEPS_COLORSCALE = "Viridis"
GAP_FLOOR = 1e-16  # gaps below this (or ≤ 0 through rounding) are drawn on the floor; hover shows the value
MAX_COLUMNS = 3


def minimum_letter(k: int) -> str:
    return chr(ord("A") + k) if k < 26 else str(k)


def minimum_name(surface: Surface, k: int) -> str:
    """"A (3, 2)": the letter the stars carry and the point."""
    m = surface.minima[k]
    return f"{minimum_letter(k)} ({m.x:.3g}, {m.y:.3g})"


def _tint(color: str, amount: float = 0.6) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    r, g, b = (round(c + (255 - c) * amount) for c in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def _panel_axes(count: int, columns: int):
    """(x domain, y domain) per panel, row by row, with room for a title above each."""
    rows = math.ceil(count / columns)
    gap_x, gap_y = 0.06, 0.12
    width = (1 - gap_x * (columns - 1)) / columns
    height = (1 - gap_y * (rows - 1)) / rows
    out = []
    for p in range(count):
        r, c = divmod(p, columns)
        x0 = c * (width + gap_x)
        y1 = 1 - r * (height + gap_y)
        out.append(([x0, x0 + width], [y1 - height, y1 - 0.02]))
    return out


def _share_words(surface: Surface, b: BasinResult) -> str:
    words = []
    for name, share in b.shares().items():
        if share <= 0:
            continue
        label = minimum_letter(int(name.split()[1])) if name.startswith("minimum") else name
        words.append(f"{label} {100 * share:.0f}%" if share >= 0.005 else f"{label} <1%")  # never "0%"
    return ", ".join(words)


def basin_figure(surface: Surface | str, results: Sequence[tuple[str, BasinResult]], *, mode: str = "minimum",
                 height: int | None = None) -> dict:
    """Basin maps of several runs side by side: `mode` "minimum" colours each start by the
    minimum it reached, "steps" by the step it converged at."""
    if mode not in ("minimum", "steps"):
        raise ValueError(f"mode must be 'minimum' or 'steps', got {mode!r}")
    surf = get_surface(surface)
    if not results:
        raise ValueError("a basin figure needs at least one basin map")
    for _, b in results:
        if b.surface != surf.key:
            raise ValueError(f"a basin map of {b.surface} cannot be drawn on {surf.key}")
    columns = min(len(results), MAX_COLUMNS)
    rows = math.ceil(len(results) / columns)
    domains = _panel_axes(len(results), columns)
    (x0, x1), (y0, y1) = surf.domain
    data: list[dict] = []
    layout: dict = {
        "height": height or 150 + 380 * rows,
        "font": FONT,
        "margin": {"l": 50, "r": 20, "t": 50, "b": 90},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "white",
        "hovermode": "closest",
        "clickmode": "event",
        "legend": {"orientation": "h", "x": 0, "y": -0.04 - 0.1 / rows, "yanchor": "top", "itemclick": "toggle",
                   "itemdoubleclick": "toggleothers"},
        "annotations": [],
        "uirevision": surf.key,
    }
    if mode == "steps":
        top = max(b.steps_run for _, b in results)
        layout["coloraxis"] = {"colorscale": STEPS_COLORSCALE, "cmin": 0, "cmax": max(top, 1),
                               "colorbar": {"title": {"text": "converged at step", "side": "right"},
                                            "thickness": 12, "len": 0.8}}
    in_legend: set[str] = set()
    for p, ((label, b), (xd, yd)) in enumerate(zip(results, domains, strict=True)):
        suffix = "" if p == 0 else str(p + 1)
        xa, ya = f"x{suffix}", f"y{suffix}"
        layout[f"xaxis{suffix}"] = {"domain": xd, "range": [x0, x1], "anchor": ya, "title": {"text": "x"},
                                    "constrain": "domain", "showgrid": False, "zeroline": False}
        layout[f"yaxis{suffix}"] = {"domain": yd, "range": [y0, y1], "anchor": xa, "title": {"text": "y"},
                                    "scaleanchor": xa, "constrain": "domain", "showgrid": False,
                                    "zeroline": False}
        layout["annotations"].append({
            "text": f"<b>{label}</b><br><span style='font-size:11px'>{_share_words(surf, b)}</span>",
            "x": (xd[0] + xd[1]) / 2, "y": yd[1] + 0.01, "xref": "paper", "yref": "paper",
            "xanchor": "center", "yanchor": "bottom", "showarrow": False,
        })
        for cat in _categories(surf, b, mode):
            # Every trace spans the whole map: traces cropped to their cells would save bytes, but
            # the browser rounds each heatmap image's edges apart and leaves white seams between them.
            z = np.where(cat["mask"], cat["value"], np.nan).astype(np.float32)
            trace = {
                "type": "heatmap", "xaxis": xa, "yaxis": ya, "x": b.xs, "y": b.ys, "z": z,
                "name": cat["name"], "legendgroup": cat["key"], "showlegend": False, "hoverongaps": False,
                "hovertemplate": f"<b>{label}</b><br>start (%{{x:.4g}}, %{{y:.4g}})<br>{cat['hover']}"
                                 "<br><i>click: start the main view here</i><extra></extra>",
            }
            if cat["color"] is None:
                trace["coloraxis"] = "coloraxis"
            else:
                trace.update(colorscale=[[0, cat["color"]], [1, cat["color"]]], zmin=0, zmax=1, showscale=False)
            data.append(trace)
            if cat["key"] not in in_legend and cat["color"] is not None:
                in_legend.add(cat["key"])
                data.append(_legend_entry(cat))
        data.append(_minima_trace(surf, xa, ya))
    # Legend order: minima first, then the greys, whatever panel met them first.
    order = [c["key"] for c in _category_specs(surf, mode)]
    legend = sorted((t for t in data if t.get("_legend")), key=lambda t: order.index(t["legendgroup"]))
    data = [t for t in data if not t.get("_legend")] + [{k: v for k, v in t.items() if k != "_legend"}
                                                          for t in legend]
    return {"data": data, "layout": layout}


def _legend_entry(cat: dict) -> dict:
    """A legend square for a heatmap category (heatmaps draw no legend symbol of their own)."""
    return {"type": "scatter", "mode": "markers", "x": [None], "y": [None], "name": cat["name"],
            "legendgroup": cat["key"], "showlegend": True, "hoverinfo": "skip", "_legend": True,
            "marker": {"symbol": "square", "size": 12, "color": cat["color"],
                       "line": {"color": "#555555", "width": 0.5}}}


def _minima_trace(surf: Surface, xa: str, ya: str) -> dict:
    pts = surf.minima_points
    kinds = ["global" if m.is_global else "local" for m in surf.minima]
    return {"type": "scatter", "mode": "markers+text", "xaxis": xa, "yaxis": ya, "x": pts[:, 0], "y": pts[:, 1],
            "text": [minimum_letter(k) for k in range(len(pts))], "textposition": "top right",
            "textfont": {"color": "black", "size": 13}, "customdata": kinds, "showlegend": False,
            "name": "minima", "marker": {"symbol": "star", "size": 14, "color": "white",
                                         "line": {"color": "black", "width": 1.5}},
            "hovertemplate": "%{customdata} minimum %{text} (%{x:.4g}, %{y:.4g})<extra></extra>"}


def _category_specs(surf: Surface, mode: str) -> list[dict]:
    specs = []
    if mode == "minimum":
        for k in range(len(surf.minima)):
            color = MINIMUM_COLORS[k % len(MINIMUM_COLORS)]
            specs.append({"key": f"min{k}", "name": f"converged to {minimum_name(surf, k)}", "color": color})
            specs.append({"key": f"min{k}-inside", "name": f"at {minimum_letter(k)} at the end only",
                          "color": _tint(color)})
    else:
        specs.append({"key": "converged", "name": "converged", "color": None})
        specs.append({"key": "inside", "name": "at a minimum at the end only", "color": GREYS[INSIDE_AT_THE_END]})
    specs += [{"key": name.replace(" ", "-"), "name": name, "color": GREYS[name]} for name in (NOT_YET, CYCLES,
                                                                                                ESCAPED, DIVERGED)]
    return specs


def _categories(surf: Surface, b: BasinResult, mode: str) -> list[dict]:
    """The non-empty categories of one map: mask, value (z, shown in the hover) and words."""
    code = {name: OUTCOMES.index(name) for name in OUTCOMES}
    specs = {s["key"]: s for s in _category_specs(surf, mode)}
    stay = min_stay(b.steps_run)
    out = []

    def add(key, mask, value, hover):
        if mask.any():
            out.append({**specs[key], "mask": mask, "value": value, "hover": hover})

    conv, inside = b.outcome == code[CONVERGED], b.outcome == code[INSIDE_AT_THE_END]
    inside_words = (f"within the tolerance at the last step, not yet for the {stay} steps that "
                    "convergence needs")
    if mode == "minimum":
        for k in range(len(surf.minima)):
            name = minimum_name(surf, k)
            add(f"min{k}", conv & (b.minimum == k), b.steps, f"converged to {name} from step %{{z}}")
            add(f"min{k}-inside", inside & (b.minimum == k), 1, f"near {name}: {inside_words}")
    else:
        names = np.array([minimum_name(surf, k) for k in range(len(surf.minima))] or [""], dtype=object)
        for k in range(len(surf.minima)):  # one trace per minimum keeps the minimum's name in the hover
            add("converged", conv & (b.minimum == k), b.steps, f"converged to {names[k]} from step %{{z}}")
        add("inside", inside, 1, f"near a minimum: {inside_words}")
    not_yet, words = b.outcome == code[NOT_YET], f"not at a minimum after {b.steps_run} steps"
    for k in range(len(surf.minima)):  # one trace per nearest minimum: its name in the hover
        add("not-yet", not_yet & (b.nearest == k), b.distance,
            f"{words}; nearest {minimum_name(surf, k)}, %{{z:.3g}} away")
    add("not-yet", not_yet & (b.nearest < 0), 1, words)
    add("cycles", b.outcome == code[CYCLES], 1, f"bounces without settling after {b.steps_run} steps")
    add("escaped", b.outcome == code[ESCAPED], b.stopped_at, "left the plotted domain at step %{z} "
        "(the surface is unbounded below)")
    add("diverged", b.outcome == code[DIVERGED], b.stopped_at, "diverged at step %{z}")
    return out


# --- sensitivity ------------------------------------------------------------------------------


def sensitivity_figure(results: Sequence[Sensitivity], *, metric: str = "gap", names: Sequence[str] | None = None,
                       colors: Sequence[str] | None = None, picks: Sequence[Pick] | None = None,
                       height: int = 440) -> dict:
    """Final loss gap (`metric="gap"`, log) or steps to converge (`"steps"`) against the learning
    rate (log), one line per run. `names`/`colors` default to the run's label and its optimizer's
    colour; `picks` (from `tune`) are starred."""
    if metric not in ("gap", "steps"):
        raise ValueError(f"metric must be 'gap' or 'steps', got {metric!r}")
    if not results:
        raise ValueError("a sensitivity figure needs at least one sweep")
    if len({r.surface for r in results}) > 1:
        raise ValueError("the sweeps of one figure must share a surface")
    names = list(names) if names is not None else [r.run.display_label for r in results]
    colors = list(colors) if colors is not None else [r.run.spec.color for r in results]
    unbounded = results[0].gap_is_loss
    log_y = metric == "gap" and not unbounded
    y_title = ("steps to converge" if metric == "steps" else "final loss f" if unbounded else "final loss gap f − f*")

    values = [_metric_values(r, metric) for r in results]
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.array([])
    if log_y:
        finite = np.log10(np.maximum(finite, GAP_FLOOR))  # the floor's tick reads "≤ 10⁻¹⁶"
    if metric == "steps":
        budget = max(r.steps_run for r in results)
        lo, hi = 0.0, float(budget)
    elif finite.size:
        lo, hi = float(finite.min()), float(finite.max())
    else:
        lo, hi = (-1.0, 1.0)
    span = max(hi - lo, 1.0 if log_y else abs(hi) * 0.2 or 1.0)
    top0, bottom0 = hi + 0.08 * span, lo - 0.08 * span

    def row(base, i, sign):  # run i's marker row in a band: one row per run, so markers do not hide each other
        return base + sign * 0.06 * span * (i + 1)

    def show(v):  # axis coordinate -> data value
        return 10.0**v if log_y else v

    data: list[dict] = []
    any_div = any_esc = any_open = False
    for i, (r, v, name, color) in enumerate(zip(results, values, names, colors, strict=True)):
        drawn = np.maximum(v, GAP_FLOOR) if log_y else v
        custom = np.stack([v, r.outcome_names.astype(str)], axis=1) if len(v) else np.empty((0, 2))
        value_words = "steps %{customdata[0]}" if metric == "steps" else f"{y_title} %{{customdata[0]:.4g}}"
        data.append({
            "type": "scatter", "mode": "lines+markers", "name": name, "legendgroup": f"run{i}",
            "x": r.lrs, "y": drawn.astype(float), "connectgaps": False, "customdata": custom,
            "line": {"color": color, "width": 2}, "marker": {"color": color, "size": 5},
            "hovertemplate": f"<b>{name}</b><br>η %{{x:.4g}}<br>{value_words}<br>%{{customdata[1]}}<extra></extra>",
        })
        for mask, kind, y, symbol in (
            (r.diverged, DIVERGED, show(row(top0, i, +1)), "x-thin-open"),
            (r.escaped, ESCAPED, show(row(bottom0, i, -1)), "triangle-down"),
            ((r.converged_at < 0) & ~r.diverged & ~r.escaped if metric == "steps" else np.zeros(len(v), bool),
             "not converged", float(r.steps_run) + min(i, 5) * 0.012 * span, "circle-open"),  # rows apart
        ):
            if not mask.any():
                continue
            any_div |= kind == DIVERGED
            any_esc |= kind == ESCAPED
            any_open |= kind == "not converged"
            at = r.stopped_at[mask]
            words = {DIVERGED: "diverged at step %{customdata}", ESCAPED: "escaped at step %{customdata}",
                     "not converged": f"not converged within {r.steps_run} steps (%{{customdata}})"}[kind]
            data.append({
                "type": "scatter", "mode": "markers", "name": f"{name}: {kind}", "legendgroup": f"run{i}",
                "showlegend": False, "x": r.lrs[mask], "y": np.full(int(mask.sum()), y),
                "customdata": at if kind != "not converged" else r.outcome_names[mask].astype(str),
                "marker": {"symbol": symbol, "size": 10 if kind == DIVERGED else 8, "color": color,
                           "line": {"color": color, "width": 2}},
                "hovertemplate": f"<b>{name}</b><br>η %{{x:.4g}}<br>{words}<extra></extra>",
            })
        if picks is not None and i < len(picks) and picks[i].index is not None:
            j = picks[i].index
            data.append({
                "type": "scatter", "mode": "markers", "name": f"{name}: tuned", "legendgroup": f"run{i}",
                "showlegend": False, "x": [r.lrs[j]], "y": [float(drawn[j]) if np.isfinite(drawn[j]) else
                                                             float(r.steps_run)],
                "marker": {"symbol": "star", "size": 16, "color": color, "line": {"color": "black", "width": 1}},
                "hovertemplate": f"<b>{name}</b>: tuned η %{{x:.4g}}<br>{picks[i].reason}<extra></extra>",
            })

    y_lo = row(bottom0, len(results), -1) if any_esc else lo - 0.05 * span
    y_hi = row(top0, len(results), +1) if any_div else hi + 0.05 * span
    if metric == "steps" and any_open:
        y_hi = max(y_hi, hi + 0.05 * span)
    shapes, annotations = [], []
    if any_div:  # shapes take data values on a log axis, annotations its log10 coordinate
        shapes.append(_band(show(top0), show(y_hi), "rgba(200,0,0,0.07)"))
        annotations.append(_band_label("✕ diverged", y_hi, "top"))  # annotations: axis (log) units
    if any_esc:
        shapes.append(_band(show(y_lo), show(bottom0), "rgba(0,0,200,0.06)"))
        annotations.append(_band_label("▽ escaped (f → −∞)", y_lo, "bottom"))
    if metric == "steps":
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": hi, "y1": hi,
                       "line": {"color": "#888888", "width": 1, "dash": "dot"}})
        annotations.append({"text": f"○ not converged within {int(hi)} steps", "xref": "paper", "x": 1,
                            "xanchor": "right", "yref": "y", "y": hi, "yanchor": "bottom", "showarrow": False,
                            "font": {"size": 11, "color": "#555555"}})
    title = ("Steps to converge" if metric == "steps" else y_title[0].upper() + y_title[1:]) + \
        " against the learning rate"
    return {
        "data": data,
        "layout": {
            "title": {"text": title, "font": {"size": 15}}, "height": height, "font": FONT,
            "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "hovermode": "closest",
            "paper_bgcolor": "rgba(0,0,0,0)",
            "xaxis": {"title": {"text": "learning rate η"}, "type": "log", "exponentformat": "power"},
            "yaxis": {"title": {"text": y_title}, "type": "log" if log_y else "linear",
                      "exponentformat": "power", "range": [y_lo, y_hi], **_ticks(lo, hi, log_y)},
            "legend": {"orientation": "h", "y": -0.2},
            "shapes": shapes, "annotations": annotations,
        },
    }


def _ticks(lo: float, hi: float, log: bool) -> dict:
    """Tick values within the data's range only: the marker bands above and below carry no
    numbers, so a ✕ does not read as a value."""
    if log:
        first, last = math.ceil(lo), math.floor(hi)
        stride = max(1, math.ceil((last - first + 1) / 8))
        powers = list(range(last, first - 1, -stride))[::-1] or [round((lo + hi) / 2)]
        floor = round(math.log10(GAP_FLOOR))
        if first == floor and powers[0] != floor:
            powers = [floor, *powers[1:]] if powers[0] - floor < stride else [floor, *powers]
        # The floor holds every gap at or below it (rounding can even make f − f* negative): say so.
        text = [("≤ " if k == floor else "") + f"10<sup>{k}</sup>" for k in powers]
        return {"tickvals": [10.0**k for k in powers], "ticktext": text}
    raw = (hi - lo) / 6 or 1.0
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if m * step >= raw)
    first, last = math.ceil(lo / step), math.floor(hi / step)
    if last - first > 12:  # values far from 0 and closer together than floats tell apart: plotly's own ticks
        return {}
    return {"tickvals": [float(k * step) for k in range(first, last + 1)]}


def _metric_values(r: Sensitivity, metric: str) -> np.ndarray:
    """Per lr, the value on the line; NaN where there is none (diverged, escaped, not converged)."""
    if metric == "gap":
        return np.asarray(r.final_gap, dtype=float)
    return np.where(r.converged_at >= 0, r.converged_at, np.nan).astype(float)


def _band(y0: float, y1: float, color: str) -> dict:
    return {"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": y0, "y1": y1,
            "fillcolor": color, "line": {"width": 0}, "layer": "below"}


def _band_label(text: str, y: float, where: str) -> dict:
    return {"text": text, "xref": "paper", "x": 0, "xanchor": "left", "yref": "y", "y": y,
            "yanchor": "top" if where == "top" else "bottom", "showarrow": False,
            "font": {"size": 11, "color": "#555555"}}


# --- the curvature lens (optviz.curvature) ---------------------------------------------------------------

# Pale regions, so that the runs' marks (in their own, saturated colours) stand out on every one of them.
REGION_COLORS = {"monotone": "#b7e1c4", "oscillating": "#fbe3a4", "diverging": "#8c8c8c"}
REGION_NAMES = {"monotone": "converges monotonically", "oscillating": "converges, oscillating",
                "diverging": "diverges"}
AXIS_COLORS = ("#d95f02", "#7570b3")  # the flatter and the steeper eigen-direction
CONTOUR_GRID = 90


def _contour_values(surf: Surface, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    z = np.asarray(surf.f(np.stack(np.meshgrid(xs, ys), axis=-1)), dtype=float)
    if surf.log_z:  # the same levels a reader sees on the main view: log of the gap above the lowest value
        z = np.log10(np.maximum(z - np.nanmin(z), 0) + 1e-3)
    return z


def curvature_figure(surface: Surface | str, model, *, height: int = 440) -> dict:
    """The surface's contour with the local quadratic model at `model.point` (an
    `optviz.curvature.LocalModel`): its level ellipse where both curvatures are positive, and its two
    principal axes, each labelled with its curvature λ (a negative one drawn dashed: the escape direction).
    The longer semi-axis is drawn a quarter of the domain's shorter side long, the other in the model's ratio."""
    surf = get_surface(surface)
    (x0, x1), (y0, y1) = surf.domain
    xs, ys = np.linspace(x0, x1, CONTOUR_GRID), np.linspace(y0, y1, CONTOUR_GRID)
    p = np.asarray(model.point, dtype=float)
    length = min(x1 - x0, y1 - y0) / 4.0
    data: list[dict] = [{"type": "contour", "x": xs, "y": ys, "z": _contour_values(surf, xs, ys),
                         "colorscale": "Greys", "reversescale": True, "showscale": False, "ncontours": 24,
                         "contours": {"coloring": "lines"}, "line": {"width": 1}, "name": "loss",
                         # hoverable: plotly reports clicks only on a trace that hovers
                         "hovertemplate": "(%{x:.3g}, %{y:.3g})<br><i>click: the model here</i><extra></extra>"}]
    if model.convex:
        ring = p + (model.ellipse() - p) * length
        data.append({"type": "scatter", "mode": "lines", "x": ring[:, 0], "y": ring[:, 1], "name": "quadratic model",
                     "line": {"color": "#1f78b4", "width": 2.5}, "hoverinfo": "skip"})
        half = model.semi_axes() * length
    else:
        size = np.sqrt(np.abs(model.eigenvalues) / max(model.scale, 1e-300))
        half = length / np.maximum(size / max(size.max(), 1e-300), 0.25) * 0.5  # flat or negative: a readable cross
    for i in range(2):
        lam = float(model.eigenvalues[i])
        v = model.eigenvectors[:, i] * half[i]
        negative = lam < 0
        name = f"λ{'₁₂'[i]} = {lam:.4g}"
        data.append({"type": "scatter", "mode": "lines+text", "x": [p[0] - v[0], p[0] + v[0]],
                     "y": [p[1] - v[1], p[1] + v[1]], "text": ["", name], "textposition": "top center",
                     "name": name + (" (escape)" if negative else ""),
                     "line": {"color": "#c0392b" if negative else AXIS_COLORS[i], "width": 3,
                              "dash": "dash" if negative else "solid"}, "hoverinfo": "name"})
    data.append({"type": "scatter", "mode": "markers", "x": [p[0]], "y": [p[1]], "name": "point",
                 "marker": {"color": "black", "size": 9, "symbol": "x"},
                 "hovertemplate": "(%{x:.4g}, %{y:.4g})<extra></extra>"})
    if surf.minima:
        m = surf.minima_points
        data.append({"type": "scatter", "mode": "markers", "x": m[:, 0], "y": m[:, 1], "name": "minima",
                     "marker": {"symbol": "star", "size": 12, "color": "#e7298a"}, "hoverinfo": "skip"})
    layout = {"height": height, "font": FONT, "margin": {"l": 50, "r": 20, "t": 20, "b": 40},
              "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "white", "hovermode": "closest",
              "clickmode": "event", "showlegend": True,
              "legend": {"orientation": "h", "x": 0, "y": -0.12, "yanchor": "top"},
              "xaxis": {"range": [x0, x1], "title": {"text": "x"}, "constrain": "domain", "showgrid": False,
                        "zeroline": False},
              "yaxis": {"range": [y0, y1], "title": {"text": "y"}, "scaleanchor": "x", "constrain": "domain",
                        "showgrid": False, "zeroline": False},
              "uirevision": surf.key}
    return {"data": data, "layout": layout}


def regions_figure(lrs: np.ndarray, betas: np.ndarray, regions: np.ndarray, *, marks=(), boundary=None,
                   title: str = "", height: int = 420) -> dict:
    """The (η, β) map of the quadratic model: `regions[j, i]` (one of optviz.curvature.REGIONS) at
    η = lrs[i], β = betas[j], each region one colour. The horizontal axis is log10 η on a linear axis
    (ticks read as η), so a click reports log10 η exactly. `marks`: (label, η, β, colour, same_method)
    per run, filled where the map is its method's, open otherwise; `boundary`: (η, β) arrays of the
    largest stable η, drawn as a line."""
    lx = np.log10(np.asarray(lrs, dtype=float))
    codes = {name: k for k, name in enumerate(REGION_COLORS)}
    z = np.vectorize(codes.get)(regions).astype(float)
    n = len(REGION_COLORS)
    # stepped: code k (zmin −½, zmax n − ½) falls in [k/n, (k + 1)/n], one colour each
    scale = [[edge / n, color] for k, color in enumerate(REGION_COLORS.values()) for edge in (k, k + 1)]
    hover = np.vectorize(REGION_NAMES.get)(regions)
    data: list[dict] = [{"type": "heatmap", "x": lx, "y": betas, "z": z, "zmin": -0.5, "zmax": n - 0.5,
                         "colorscale": scale, "showscale": False, "customdata": hover, "name": "regions",
                         "text": np.vectorize(lambda v: f"{v:.4g}")(np.broadcast_to(lrs, regions.shape)),
                         "hovertemplate": "η = %{text}<br>β = %{y:.3f}<br>%{customdata}<br>"
                                          "<i>click: use this (η, β)</i><extra></extra>"}]
    for name, color in REGION_COLORS.items():  # legend squares (a heatmap draws none)
        data.append({"type": "scatter", "mode": "markers", "x": [None], "y": [None], "name": REGION_NAMES[name],
                     "marker": {"symbol": "square", "size": 12, "color": color}, "hoverinfo": "skip"})
    if boundary is not None:
        bl, bb = boundary
        data.append({"type": "scatter", "mode": "lines", "x": np.log10(bl), "y": bb, "name": "largest stable η",
                     "line": {"color": "black", "width": 1.5, "dash": "dot"}, "hoverinfo": "skip"})
    for label, lr, beta, color, same in marks:
        data.append({"type": "scatter", "mode": "markers+text", "x": [math.log10(lr)], "y": [beta],
                     "text": [label], "textposition": "top center", "name": label, "showlegend": False,
                     "textfont": {"color": "black"},
                     "marker": {"size": 13, "color": color if same else "white", "symbol": "circle",
                                "line": {"color": "black" if same else color, "width": 2}},
                     "hovertemplate": f"<b>{label}</b><br>η = {lr:.4g}, β = {beta:.4g}<extra></extra>"})
    decades = range(math.floor(lx.min()), math.ceil(lx.max()) + 1)
    ticks = [d + math.log10(m) for d in decades for m in (1, 2, 5) if lx.min() <= d + math.log10(m) <= lx.max()]
    layout = {"height": height, "font": FONT, "margin": {"l": 60, "r": 20, "t": 40 if title else 20, "b": 80},
              "title": {"text": title, "font": {"size": 14}} if title else None,
              "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "white", "hovermode": "closest",
              "clickmode": "event", "legend": {"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top"},
              "xaxis": {"title": {"text": "learning rate η"}, "range": [lx.min(), lx.max()], "tickvals": ticks,
                        "ticktext": [f"{10 ** t:.3g}" for t in ticks], "showgrid": False, "zeroline": False},
              "yaxis": {"title": {"text": "momentum β (the run's γ)"}, "range": [float(betas[0]), float(betas[-1])],
                        "showgrid": False, "zeroline": False},
              "uirevision": "curvature_map"}
    if layout["title"] is None:
        del layout["title"]
    return {"data": data, "layout": layout}


def prediction_figure(steps: np.ndarray, errors: np.ndarray, predicted: float, anchor: int, *, label: str,
                      color: str, height: int = 320) -> dict:
    """‖θ_t − θ*‖ of a run per step (log scale) with the line the model predicts, C·ρ^t through the
    run's error at step `anchor`: parallel lines mean the prediction holds."""
    steps = np.asarray(steps)
    errors = np.asarray(errors, dtype=float)
    shown = errors > 0
    line = errors[anchor] * predicted ** (steps - steps[anchor]).astype(float)
    keep = (line > 0) & np.isfinite(line)
    data = [{"type": "scatter", "mode": "lines", "x": steps[shown], "y": errors[shown], "name": f"{label}: measured",
             "line": {"color": color, "width": 2.5}},
            {"type": "scatter", "mode": "lines", "x": steps[keep], "y": line[keep],
             "name": f"predicted ρ = {predicted:.4g} per step",
             "line": {"color": "black", "width": 1.5, "dash": "dash"}}]
    layout = {"height": height, "font": FONT, "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
              "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "white", "hovermode": "x unified",
              "legend": {"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top"},
              "xaxis": {"title": {"text": "step"}}, "yaxis": {"title": {"text": "distance to the minimum"},
                                                              "type": "log", "exponentformat": "power"}}
    if shown.any():
        low = max(float(errors[shown].min()), float(errors[shown].max()) * 1e-16)
        layout["yaxis"]["range"] = [math.log10(low), math.log10(float(errors[shown].max())) + 0.2]
    return {"data": data, "layout": layout}


def milestones_figure(ms, *, label: str, color: str, height: int = 320) -> dict:
    """The error of a run on an exactly quadratic surface split along the eigenvectors
    (`optviz.curvature.Milestones`): per direction its signed coordinate per step (each follows its own
    curvature, the flat one slowly, the steep one fast or swinging), with the distance to the minimum."""
    steps = np.arange(len(ms.coords))
    data = []
    for i in range(2):
        data.append({"type": "scatter", "mode": "lines+markers", "x": steps, "y": ms.coords[:, i],
                     "name": f"along λ{'₁₂'[i]} = {float(ms.eigenvalues[i]):.4g}", "marker": {"size": 4},
                     "line": {"color": AXIS_COLORS[i], "width": 2}})
    data.append({"type": "scatter", "mode": "lines", "x": steps, "y": np.linalg.norm(ms.error, axis=-1),
                 "name": f"{label}: distance to the minimum", "line": {"color": color, "width": 1.5, "dash": "dot"}})
    layout = {"height": height, "font": FONT, "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
              "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "white", "hovermode": "x unified",
              "legend": {"orientation": "h", "x": 0, "y": -0.2, "yanchor": "top"},
              "xaxis": {"title": {"text": "step"}},
              "yaxis": {"title": {"text": "error along each direction"}, "zeroline": True, "zerolinecolor": "#999"}}
    return {"data": data, "layout": layout}
