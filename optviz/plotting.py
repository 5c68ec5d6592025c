"""Figures: the only module that imports plotly. Plain dicts and lists, built fast and cached.

The trajectory figure is compact: it holds the surface and each optimizer's whole path once;
its animation frames are derived from `animation` (the frame steps and the full paths) either
in the browser (optviz/figure_component.py) or here (`expand_frames`, for the HTML export).
A frame carries only what moves (paths and markers), never the surface, and the number of
frames is capped while the drawn path keeps every step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly
import plotly.io as pio

from surfaces import Surface

from .engine import Trajectory

PLOTLY_JS_PATH = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"  # served, never a CDN
MAX_FRAMES = 150
# plotly.js #4596: during a frame transition the cartesian plot gets only the frame's animatable
# (scatter) traces and removes every other layer of the subplot, so a contour that the frames
# leave out vanishes as soon as Play runs. Replotting all 2-D traces during transitions keeps it.
# Used by the browser component and by the standalone HTML export.
KEEP_STATIC_TRACES_JS = r"""
function keepStaticCartesianTraces(gd) {
  // plotly.js #4596: during a frame transition cartesian.plot receives only the
  // animatable (scatter) traces of the frame and removes every other layer of the
  // subplot, so a contour left out of the frames vanishes while Play runs.
  // Replotting all cartesian traces keeps it (window.Plotly is ours alone).
  const mods = (gd._fullLayout && gd._fullLayout._basePlotModules) || [];
  const cart = mods.find((m) => m.name === "cartesian");
  if (!cart || cart._optvizPatched) return;
  const plot = cart.plot;
  cart.plot = function (g, traces, transitionOpts, cb) {
    return plot.call(this, g, transitionOpts ? null : traces, transitionOpts, cb);
  };
  cart._optvizPatched = true;
}
"""
GRID_3D = 100
GRID_2D = 140
LOG_FLOOR = 1e-2  # log10(f - f* + LOG_FLOOR): the floor keeps the minimum finite
CAMERA_PRESETS = {
    "Default": (1.35, -1.35, 0.95),
    "Top": (0.0, -0.001, 2.3),
    "Along x": (2.2, 0.0, 0.55),
    "Along y": (0.0, -2.2, 0.55),
}
DEFAULT_CAMERA = CAMERA_PRESETS["Default"]
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}


@dataclass(frozen=True)
class PathStyle:
    """Who a path belongs to: its legend group and name, and how it is drawn in every chart (the
    3-D and contour paths, the step charts): a colour, a dash pattern and an end-marker symbol.
    Runs of one optimizer share its colour family and differ by shade and dash."""

    key: str
    name: str
    color: str
    dash: str = "solid"  # plotly line dash, valid in 2-D and 3-D
    symbol: str = "circle"  # plotly marker symbol, valid in 2-D and 3-D


DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "cross", "x", "circle-open", "square-open", "diamond-open")
SHADES = (0.0, -0.35, 0.4, -0.6, 0.65, -0.15, 0.2, -0.5)  # < 0 darker, > 0 lighter


def shade(color: str, amount: float) -> str:
    """`#rrggbb` mixed with black (amount < 0) or white (amount > 0)."""
    rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    target = 255 if amount > 0 else 0
    mixed = [round(c + (target - c) * abs(amount)) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def run_styles(keys: Sequence[str], names: Sequence[str], colors: Sequence[str],
               families: Sequence[str]) -> list[PathStyle]:
    """One style per run, in order: run k of its family (optimizer) gets the family's colour at
    shade k, dash k and marker k, so that two runs of one optimizer always differ in colour AND
    pattern. A run's style depends on the runs before it only, so hiding or adding a later run
    does not restyle the others."""
    seen: dict[str, int] = {}
    out = []
    for key, name, color, family in zip(keys, names, colors, families, strict=True):
        k = seen[family] = seen.get(family, -1) + 1
        out.append(PathStyle(key, name, shade(color, SHADES[k % len(SHADES)]), DASHES[k % len(DASHES)],
                             SYMBOLS[k % len(SYMBOLS)]))
    return out


def _f32(a) -> np.ndarray:
    """Display precision: float32 arrays travel as compact base64 typed arrays; NaN draws a gap."""
    return np.ascontiguousarray(a, dtype=np.float32)


# --- the surface ---------------------------------------------------------------------------


def z_transform(surface: Surface, values: np.ndarray) -> np.ndarray:
    """What the z axis shows: log10(f - f* + floor) where the surface spans orders of magnitude."""
    values = np.asarray(values, dtype=float)
    if surface.log_z and surface.f_min is not None:
        return np.log10(np.maximum(values - surface.f_min, 0.0) + LOG_FLOOR)
    return values


def z_title(surface: Surface) -> str:
    return "log₁₀(f − f* + 0.01)" if surface.log_z and surface.f_min is not None else "f(x, y)"


@dataclass(frozen=True)
class SurfaceGrid:
    x3: np.ndarray
    y3: np.ndarray
    z3: np.ndarray  # transformed
    x2: np.ndarray
    y2: np.ndarray
    z2: np.ndarray  # transformed
    z_range: tuple[float, float]

    @property
    def lift(self) -> float:
        """How far 3-D paths and markers float above the surface: 2% of its z range."""
        return 0.02 * (self.z_range[1] - self.z_range[0])


def surface_grid(surface: Surface) -> SurfaceGrid:
    (x0, x1), (y0, y1) = surface.domain

    def grid(n):
        xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
        z = z_transform(surface, surface.f(np.stack(np.meshgrid(xs, ys), axis=-1)))
        return xs, ys, z

    x3, y3, z3 = grid(GRID_3D)
    x2, y2, z2 = grid(GRID_2D)
    lo, hi = float(np.min(z2)), float(np.max(z2))
    return SurfaceGrid(x3, y3, z3, x2, y2, z2, (lo, hi))


# --- the trajectory figure -----------------------------------------------------------------


def frame_steps(steps: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """Up to `max_frames` steps to show as frames, evenly spread, always 0 and the last."""
    if steps + 1 <= max_frames:
        return list(range(steps + 1))
    return sorted({round(float(v)) for v in np.linspace(0, steps, max_frames)})


def _mesh_height(grid: SurfaceGrid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Height of the drawn 3-D mesh at (x, y): bilinear between its nodes (points outside the
    grid take the nearest cell)."""
    xs, ys, z = grid.x3, grid.y3, grid.z3  # z[j, i] is at (xs[i], ys[j]); both axes uniform
    fx = np.clip((x - xs[0]) / (xs[1] - xs[0]), 0, len(xs) - 1)
    fy = np.clip((y - ys[0]) / (ys[1] - ys[0]), 0, len(ys) - 1)
    i = np.minimum(fx.astype(int), len(xs) - 2)
    j = np.minimum(fy.astype(int), len(ys) - 2)
    u, v = fx - i, fy - j
    return (z[j, i] * (1 - u) * (1 - v) + z[j, i + 1] * u * (1 - v) + z[j + 1, i] * (1 - u) * v
            + z[j + 1, i + 1] * u * v)


def _display_path(surface: Surface, grid: SurfaceGrid, t: Trajectory) -> dict[str, np.ndarray]:
    """The path as drawn: cut where it leaves the plotted domain (an escape or a divergence
    goes on off-screen), z on the surface's transformed scale and lifted above the surface.

    Near a minimum the mesh, drawn between grid nodes, lies above the true surface (most
    visibly in the funnels of a log scale), so z is lifted above whichever is higher."""
    path = np.asarray(t.path, dtype=float)
    (x0, x1), (y0, y1) = surface.domain
    mx, my = 0.05 * (x1 - x0), 0.05 * (y1 - y0)
    inside = (path[:, 0] >= x0 - mx) & (path[:, 0] <= x1 + mx) & (path[:, 1] >= y0 - my) & (path[:, 1] <= y1 + my)
    outside = np.flatnonzero(~inside)
    end = int(outside[0]) if outside.size else len(path)
    x = path[:, 0].copy()
    y = path[:, 1].copy()
    with np.errstate(invalid="ignore"):
        z = np.maximum(z_transform(surface, t.loss), _mesh_height(grid, x, y)) + grid.lift
    x[end:], y[end:], z[end:] = np.nan, np.nan, np.nan
    return {"x": x, "y": y, "z": z, "end": end}



def optimizer_traces(
    surface: Surface, grid: SurfaceGrid, t: Trajectory, style: PathStyle, view: str
) -> tuple[list[dict], list[dict]]:
    """The traces of one optimizer (drawn at their final state) and the matching entries of the
    animation spec (full path per trace, sliced per frame in the browser or by expand_frames)."""
    d = _display_path(surface, grid, t)
    x, y, z = _f32(d["x"]), _f32(d["y"]), _f32(d["z"])
    last = min(d["end"], len(x)) - 1  # the marker sits on the last drawn point
    steps = np.arange(len(x), dtype=np.int32)
    common = {"legendgroup": style.key, "name": style.name}
    hover = f"<b>{style.name}</b><br>step %{{customdata}}<br>x %{{x:.4g}}, y %{{y:.4g}}"
    traces, anim = [], []
    if view in ("both", "3d"):
        traces.append({
            "type": "scatter3d", "mode": "lines", "scene": "scene", "x": x, "y": y, "z": z,
            "line": {"color": style.color, "width": 6, "dash": style.dash}, "showlegend": True, **common,
            "customdata": steps, "hovertemplate": hover + "<extra></extra>",
        })
        anim.append({"kind": "path", "dims": ["x", "y", "z", "customdata"]})
        traces.append({
            "type": "scatter3d", "mode": "markers", "scene": "scene", "x": [x[last]], "y": [y[last]], "z": [z[last]],
            "marker": {"color": style.color, "size": 6, "symbol": style.symbol, "line": {"color": "white", "width": 1}},
            "showlegend": False, "hoverinfo": "skip", **common,
        })
        anim.append({"kind": "marker", "dims": ["x", "y", "z"], "source": len(anim) - 1})
    if view in ("both", "contour"):
        xa = {"xaxis": "x", "yaxis": "y"}
        traces.append({
            "type": "scatter", "mode": "lines", **xa, "x": x, "y": y,
            "line": {"color": style.color, "width": 2.5, "dash": style.dash}, "showlegend": view == "contour", **common,
            "customdata": steps, "hovertemplate": hover + "<extra></extra>",
        })
        anim.append({"kind": "path", "dims": ["x", "y", "customdata"]})
        traces.append({
            "type": "scatter", "mode": "markers", **xa, "x": [x[last]], "y": [y[last]],
            "marker": {"color": style.color, "size": 10, "symbol": style.symbol,
                       "line": {"color": "white", "width": 1.5}},
            "showlegend": False, "hoverinfo": "skip", **common,
        })
        anim.append({"kind": "marker", "dims": ["x", "y"], "source": len(anim) - 1})
    for entry in anim:  # the path's last drawable step bounds every slice
        entry["end"] = d["end"]
    return traces, anim


def static_traces(surface: Surface, grid: SurfaceGrid, view: str, contour: str = "filled") -> list[dict]:
    traces = []
    minima = surface.minima_points
    if view in ("both", "3d"):
        traces.append({
            "type": "surface", "scene": "scene", "x": _f32(grid.x3), "y": _f32(grid.y3),
            "z": _f32(grid.z3), "colorscale": "Viridis", "opacity": 0.88,
            "showscale": False, "name": "surface", "hoverinfo": "skip",
            "contours": {"z": {"show": True, "usecolormap": True, "project": {"z": False}, "width": 1}},
            "lighting": {"ambient": 0.75, "diffuse": 0.5, "specular": 0.05},
        })
        if len(minima):
            mz = z_transform(surface, [m.value for m in surface.minima]) + grid.lift
            traces.append({
                "type": "scatter3d", "mode": "markers", "scene": "scene", "x": _f32(minima[:, 0]),
                "y": _f32(minima[:, 1]), "z": _f32(mz), "name": "minima", "showlegend": False,
                "marker": {"symbol": "diamond", "size": 5, "color": "white", "line": {"color": "black", "width": 2}},
                "hovertemplate": "minimum (%{x:.4g}, %{y:.4g})<extra></extra>",
            })
    if view in ("both", "contour"):
        levels = {"start": grid.z_range[0], "end": grid.z_range[1], "size": (grid.z_range[1] - grid.z_range[0]) / 28}
        traces.append({
            "type": "contour", "xaxis": "x", "yaxis": "y", "x": _f32(grid.x2), "y": _f32(grid.y2),
            "z": _f32(grid.z2), "colorscale": "Viridis",
            "contours": {**levels, "coloring": "fill" if contour == "filled" else "lines"},
            "line": {"width": 0.5, "color": "rgba(255,255,255,0.35)"} if contour == "filled" else {"width": 1.5},
            "autocontour": False,
            "showscale": True, "colorbar": {"title": {"text": z_title(surface), "side": "right"}, "len": 0.8,
                                            "thickness": 12},
            "name": "surface", "hovertemplate": "x %{x:.4g}, y %{y:.4g}<br>" + z_title(surface)
            + " %{z:.4g}<br><i>click: start here</i><extra></extra>",
        })
        if len(minima):
            kinds = ["global minimum" if m.is_global else "local minimum" for m in surface.minima]
            traces.append({
                "type": "scatter", "mode": "markers", "xaxis": "x", "yaxis": "y", "x": _f32(minima[:, 0]),
                "y": _f32(minima[:, 1]), "name": "minima", "showlegend": False, "text": kinds,
                "marker": {"symbol": "star", "size": 15, "color": "white", "line": {"color": "black", "width": 1.5}},
                "hovertemplate": "%{text} (%{x:.4g}, %{y:.4g})<extra></extra>",
            })
    return traces


def trajectory_figure(
    surface: Surface,
    grid: SurfaceGrid,
    per_optimizer: Sequence[tuple[list[dict], list[dict]]],
    *,
    steps: int,
    view: str = "both",
    speed_ms: int = 60,
    camera: Sequence[float] | None = None,
    height: int = 640,
    static: list[dict] | None = None,
    contour: str = "filled",
) -> dict:
    """The animated figure: {"data", "layout", "frames": [], "animation": {...}}.

    `per_optimizer` holds optimizer_traces() results. `animation` lists, for every animated
    trace index, how to slice it per frame; `expand_frames` (or the browser) builds the frames.
    """
    data = list(static_traces(surface, grid, view, contour) if static is None else static)
    animated = []
    for traces, anim in per_optimizer:
        base = len(data)
        data.extend(traces)
        for j, entry in enumerate(anim):
            e = {**entry, "index": base + j}
            if entry["kind"] == "marker":
                e["source"] = base + entry["source"]
            animated.append(e)
    fsteps = frame_steps(steps)
    layout = _trajectory_layout(surface, grid, view, fsteps, speed_ms, camera, height)
    return {
        "data": data,
        "layout": layout,
        "frames": [],
        "animation": {"steps": fsteps, "traces": animated, "duration": int(speed_ms)},
    }


def _trajectory_layout(surface, grid, view, fsteps, speed_ms, camera, height) -> dict:
    (x0, x1), (y0, y1) = surface.domain
    eye = dict(zip("xyz", camera or DEFAULT_CAMERA, strict=True))
    layout: dict = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        # A legend click would hide a path in this figure only: a run is hidden by its own switch in
        # the sidebar, everywhere at once and in the link.
        "legend": {"orientation": "h", "x": 0, "y": 1.06, "yanchor": "bottom", "itemclick": False,
                   "itemdoubleclick": False},
        "hovermode": "closest",
        "clickmode": "event",
        "uirevision": surface.key,
    }
    if view in ("both", "3d"):
        layout["scene"] = {
            "domain": {"x": [0.0, 0.5] if view == "both" else [0.0, 1.0], "y": [0.14, 1.0]},
            "xaxis": {"title": {"text": "x"}, "range": [x0, x1]},
            "yaxis": {"title": {"text": "y"}, "range": [y0, y1]},
            "zaxis": {"title": {"text": z_title(surface)}, "range": [grid.z_range[0], grid.z_range[1] + 2 * grid.lift]},
            "aspectmode": "manual",
            # A wider box fills the 3-D-only view, whose cell is much wider than tall.
            "aspectratio": {"x": 1, "y": 1, "z": 0.7} if view == "both" else {"x": 1.1, "y": 1.1, "z": 0.65},
            "camera": {"eye": eye, "up": {"x": 0, "y": 0, "z": 1}, "center": {"x": 0, "y": 0, "z": -0.1}},
            "uirevision": surface.key,
        }
    if view in ("both", "contour"):
        layout["xaxis"] = {
            "domain": [0.56, 0.97] if view == "both" else [0.08, 0.92], "range": [x0, x1], "title": {"text": "x"},
            "anchor": "y", "constrain": "domain",
        }
        layout["yaxis"] = {
            "domain": [0.2, 1.0], "range": [y0, y1], "title": {"text": "y"}, "anchor": "x",
        }
    frame_args = {"frame": {"duration": int(speed_ms), "redraw": True}, "mode": "immediate",
                  "transition": {"duration": 0}, "fromcurrent": True}
    layout["updatemenus"] = [{
        "type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 0.0, "xanchor": "left",
        "yanchor": "top", "pad": {"t": 0, "r": 10},
        "buttons": [
            {"label": "▶ Play", "method": "animate", "args": [None, frame_args]},
            {"label": "❚❚ Pause", "method": "animate",
             "args": [[None], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate",
                               "transition": {"duration": 0}}]},
        ],
    }]
    layout["sliders"] = [{
        "active": len(fsteps) - 1, "x": 0.2, "len": 0.8, "y": 0.0, "yanchor": "top", "pad": {"t": 0, "b": 0},
        "currentvalue": {"prefix": "step ", "visible": True, "xanchor": "left"},
        "transition": {"duration": 0},
        "steps": [
            {"label": str(k), "method": "animate",
             "args": [[str(k)], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate",
                                 "transition": {"duration": 0}}]}
            for k in fsteps
        ],
    }]
    return layout


def expand_frames(figure: dict) -> dict:
    """A self-contained plotly figure: the frames that the browser component would build."""
    anim = figure["animation"]
    data = figure["data"]
    frames = []
    for k in anim["steps"]:
        frame_data, indices = [], []
        for entry in anim["traces"]:
            i = entry["index"]
            if entry["kind"] == "path":
                stop = min(k, entry["end"] - 1) + 1
                frame_data.append({"type": data[i]["type"], **{dim: data[i][dim][:stop] for dim in entry["dims"]}})
            else:
                src = data[entry["source"]]
                j = max(0, min(k, entry["end"] - 1))
                frame_data.append({"type": data[i]["type"], **{dim: [src[dim][j]] for dim in entry["dims"]}})
            indices.append(i)
        frames.append({"name": str(k), "data": frame_data, "traces": indices})
    out = {key: value for key, value in figure.items() if key != "animation"}
    out["frames"] = frames
    return out


def as_figure(spec: dict, validate: bool = False):
    """A plotly Figure from one of our dict specs for st.plotly_chart, which would validate a
    dict on every rerun. Our specs are validated once by the tests (validate=True)."""
    import plotly.graph_objects as go

    return go.Figure(spec) if validate else go.Figure(spec, _validate=False)


def standalone_html(figure: dict, title: str) -> str:
    """The animation as one HTML file that works offline: plotly.js is embedded."""
    full = expand_frames(figure)
    keep_contour = KEEP_STATIC_TRACES_JS + "keepStaticCartesianTraces(document.getElementById('{plot_id}'));"
    html = pio.to_html(full, include_plotlyjs=True, full_html=True, auto_play=False,
                       config={"displaylogo": False, "responsive": True}, validate=False, post_script=keep_contour)
    return html.replace("<head>", f"<head><title>{title}</title>", 1)


# --- step charts ---------------------------------------------------------------------------


WORK_AXES = {"steps": "step", "samples": "samples seen", "epochs": "epochs"}


def work_axis(t: Trajectory, axis: str = "steps") -> np.ndarray:
    """The horizontal axis of a step chart: steps, or on a data surface the samples seen or the
    epochs at each step (`Trajectory.samples_seen`, `.epochs`); steps where those are undefined."""
    if axis == "samples" and t.samples_seen is not None:
        return np.asarray(t.samples_seen)
    if axis == "epochs" and t.epochs is not None:
        return np.asarray(t.epochs, dtype=float)
    return np.arange(t.steps + 1)


def _step_chart(series, *, title: str, y_title: str, log: bool, height: int = 300, x_title: str = "step") -> dict:
    """`series`: (style, x, y) per run."""
    data = []
    for style, x, y in series:
        y = np.asarray(y, dtype=float)
        if log:
            y = np.where(y > 0, y, np.nan)
        data.append({
            "type": "scatter", "mode": "lines", "name": style.name, "legendgroup": style.key,
            # numpy arrays: plotly validates them in bulk and sends them as compact typed arrays
            "x": np.asarray(x), "y": y, "line": {"color": style.color, "width": 2, "dash": style.dash},
            "hovertemplate": f"<b>{style.name}</b><br>{x_title} %{{x}}<br>{y_title} %{{y:.4g}}<extra></extra>",
        })
    return {
        "data": data,
        "layout": {
            "title": {"text": title, "font": {"size": 15}}, "height": height, "font": FONT,
            "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "hovermode": "x unified",
            "xaxis": {"title": {"text": x_title}},
            "yaxis": {"title": {"text": y_title}, "type": "log" if log else "linear", "exponentformat": "power",
                      **({"minorloglabels": "none"} if log else {})},
            "legend": {"orientation": "h", "y": -0.25, "itemclick": False, "itemdoubleclick": False},
        },
    }


def loss_figure(surface: Surface, runs: Sequence[tuple[PathStyle, Trajectory]], axis: str = "steps") -> dict:
    """Loss against step (or work): the gap f − f* on a log scale where f* is known, f itself otherwise."""
    x_title = WORK_AXES[axis]
    if surface.f_min is not None:
        series = [(s, work_axis(t, axis), np.asarray(t.loss) - surface.f_min) for s, t in runs]
        return _step_chart(series, title="Loss gap f − f* (log scale)", y_title="f − f*", log=True, x_title=x_title)
    return _step_chart([(s, work_axis(t, axis), t.loss) for s, t in runs], title="Loss f (unbounded below)",
                       y_title="f", log=False, x_title=x_title)


def distance_figure(runs: Sequence[tuple[PathStyle, Trajectory]], axis: str = "steps") -> dict | None:
    series = [(s, work_axis(t, axis), t.distance) for s, t in runs if t.distance is not None]
    if not series:
        return None
    return _step_chart(series, title="Distance to the nearest minimum (log scale)", y_title="distance", log=True,
                       x_title=WORK_AXES[axis])


def coordinate_figure(runs: Sequence[tuple[PathStyle, Trajectory]], coordinate: int, axis: str = "steps") -> dict:
    """x(t) (coordinate 0) or y(t) (coordinate 1) of each run against step (or work)."""
    name = "xy"[coordinate]
    series = []
    for s, t in runs:
        values = np.array(t.path, dtype=float)[:, coordinate]
        if bool(t.diverged):  # the frozen tail is not computed data: the line stops
            values[int(t.diverged_at):] = np.nan
        series.append((s, work_axis(t, axis), values))
    return _step_chart(series, title=f"{name}(t)", y_title=name, log=False, x_title=WORK_AXES[axis])
