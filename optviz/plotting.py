"""Figures: the only module that imports plotly. Plain dicts and lists, built fast and cached.

The trajectory figure is compact: it holds the surface and each optimizer's whole path once;
its animation frames are derived from `animation` (the frame steps and the full paths) either
in the browser (optviz/figure_component.py) or here (`expand_frames`, for the HTML export).
A frame carries only what moves (paths and markers), never the surface, and the number of
frames is capped while the drawn path keeps every step.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly

from surfaces import Surface

from . import web
from .engine import Trajectory

PLOTLY_JS_PATH = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"  # served, never a CDN
MAX_FRAMES = 150
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
    """Who a path belongs to: its legend name and its one colour in every chart."""

    key: str
    name: str
    color: str


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
            "line": {"color": style.color, "width": 6}, "showlegend": True, **common,
            "customdata": steps, "hovertemplate": hover + "<extra></extra>",
        })
        anim.append({"kind": "path", "dims": ["x", "y", "z", "customdata"]})
        traces.append({
            "type": "scatter3d", "mode": "markers", "scene": "scene", "x": [x[last]], "y": [y[last]], "z": [z[last]],
            "marker": {"color": style.color, "size": 6, "line": {"color": "white", "width": 1}},
            "showlegend": False, "hoverinfo": "skip", **common,
        })
        anim.append({"kind": "marker", "dims": ["x", "y", "z"], "source": len(anim) - 1})
    if view in ("both", "contour"):
        xa = {"xaxis": "x", "yaxis": "y"}
        traces.append({
            "type": "scatter", "mode": "lines", **xa, "x": x, "y": y,
            "line": {"color": style.color, "width": 2.5}, "showlegend": view == "contour", **common,
            "customdata": steps, "hovertemplate": hover + "<extra></extra>",
        })
        anim.append({"kind": "path", "dims": ["x", "y", "customdata"]})
        traces.append({
            "type": "scatter", "mode": "markers", **xa, "x": [x[last]], "y": [y[last]],
            "marker": {"color": style.color, "size": 10, "line": {"color": "white", "width": 1.5}},
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
        "legend": {"orientation": "h", "x": 0, "y": 1.06, "yanchor": "bottom", "itemclick": "toggle"},
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
    """The animation as one HTML file that works offline: plotly.js and optviz/web/figure.js are
    embedded, and the page builds the frames from the same compact figure as the live view (so
    the file weighs plotly.js plus about what the live view receives)."""
    compact = {k: v for k, v in figure.items() if not (k == "frames" and "animation" in figure)}
    # "</" inside a <script> element would end it early; "<\/" is the same JSON string.
    figure_json = web.to_json(compact).replace("</", "<\\/")
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        "<style>body{margin:0;font-family:Inter,Segoe UI,Helvetica,Arial,sans-serif}</style></head><body>\n"
        '<div id="optviz-figure" style="width:100%"></div>\n'
        f"<script>{PLOTLY_JS_PATH.read_text(encoding='utf-8')}</script>\n"
        f"<script>{web.script('figure.js')}</script>\n"
        f'<script type="application/json" id="optviz-data">{figure_json}</script>\n'
        "<script>optvizFigure.show(window.Plotly, document.getElementById('optviz-figure'),"
        " JSON.parse(document.getElementById('optviz-data').textContent));</script>\n"
        "</body></html>\n"
    )


# --- step charts ---------------------------------------------------------------------------


def _step_chart(series, *, title: str, y_title: str, log: bool, height: int = 300) -> dict:
    data = []
    for style, y in series:
        y = np.asarray(y, dtype=float)
        if log:
            y = np.where(y > 0, y, np.nan)
        data.append({
            "type": "scatter", "mode": "lines", "name": style.name, "legendgroup": style.key,
            # numpy arrays: plotly validates them in bulk and sends them as compact typed arrays
            "x": np.arange(len(y)), "y": y, "line": {"color": style.color, "width": 2},
            "hovertemplate": f"<b>{style.name}</b><br>step %{{x}}<br>{y_title} %{{y:.4g}}<extra></extra>",
        })
    return {
        "data": data,
        "layout": {
            "title": {"text": title, "font": {"size": 15}}, "height": height, "font": FONT,
            "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "hovermode": "x unified",
            "xaxis": {"title": {"text": "step"}},
            "yaxis": {"title": {"text": y_title}, "type": "log" if log else "linear", "exponentformat": "power",
                      **({"minorloglabels": "none"} if log else {})},
            "legend": {"orientation": "h", "y": -0.25},
        },
    }


def loss_figure(surface: Surface, runs: Sequence[tuple[PathStyle, Trajectory]]) -> dict:
    """Loss against step: the gap f − f* on a log scale where f* is known, f itself otherwise."""
    if surface.f_min is not None:
        series = [(s, np.asarray(t.loss) - surface.f_min) for s, t in runs]
        return _step_chart(series, title="Loss gap f − f* (log scale)", y_title="f − f*", log=True)
    return _step_chart([(s, t.loss) for s, t in runs], title="Loss f (unbounded below)", y_title="f", log=False)


def distance_figure(runs: Sequence[tuple[PathStyle, Trajectory]]) -> dict | None:
    series = [(s, t.distance) for s, t in runs if t.distance is not None]
    if not series:
        return None
    return _step_chart(series, title="Distance to the nearest minimum (log scale)", y_title="distance", log=True)
