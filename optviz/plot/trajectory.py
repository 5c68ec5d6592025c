"""The trajectory figure: the surface (3-D mesh and contour), each run's path, casing, moving
marker and end mark, and the layout of the cells.

The figure is compact: it holds the surface and each run's whole path once; its animation frames
are derived from `animation` (the frame steps and the full paths) either in the browser
(optviz/web/figure.js) or in Python (`optviz.plot.frames.expand_frames`, for the notebook). A frame
carries only what moves (paths and markers), never the surface, and the number of frames is capped
while the drawn path keeps every step.

What is drawn is what `simulate()` computed: every point up to the divergence step at its own
coordinates, a gap (NaN) only where it lies outside the plot (the closed box `surface.domain`,
which is the axes' range), a ✕ "diverged at step k" where a run blew up and a ○ "escaped
(step j)" where a run left the plot of an unbounded surface. Each surface gets cameras from which
its valley is in sight (`optviz.plot.camera`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surfaces import Surface

from ..core.engine import Trajectory
from .camera import SCENE_ASPECT, SCENE_CENTER, default_camera
from .frames import frame_steps, step_ticks
from .grid import SurfaceGrid, clip_note, f32, gapped, inside_plot, mesh_height, z_title, z_transform
from .styles import DASH_PATTERNS, FONT, PathStyle

# Every path is drawn over its casing: the same points as a line this much wider, in
# `PathStyle.casing`, just beneath it, so that a path shows on every colour of the surface's scale
# for every colour vision (`optviz/plot/styles.py` has the numbers). In 2-D the casing shares the
# path's arrays (a few hundred bytes of payload). In 3-D everything is opaque and depth-tested:
# WebGL cannot layer two lines at one depth (a casing at the path's z z-fights it), so the casing
# lies DEPTH_STEP of the lift below the path, and the moving marker's casing and the marker that
# much and twice that above it. Seen from above the surface (every camera the paths are seen
# from), each lies behind the next: casing, path, marker casing, marker. The step is a fraction of a
# pixel on the screen and many steps of the depth buffer. A trace short of opaque would make
# plotly.js draw every opaque trace (the surface) a second time in every frame, into its
# transparency buffer: without a GPU that doubles an animation frame's cost
# (benchmarks/RESULTS.md). tests/browser/test_e2e_colors.py counts every path's pixels, and its
# casing's around them, from every camera and colour vision.
PATH_WIDTH_3D, PATH_WIDTH_2D = 6, 2.5
CASING_EXTRA_2D, CASING_EXTRA_3D = 2.5, 4  # px added to the width (half on each side)
DEPTH_STEP = 0.1  # of SurfaceGrid.lift: the 3-D casing below its path, the moving marker's casing above it
CASING = "casing"  # the casing traces' `meta`: how a reader tells them from the paths
MARKER_CASING = "marker casing"  # the `meta` of the larger marker beneath a 3-D moving marker


def dash_px(dash: str, width: float) -> str:
    """A 2-D line's dash as explicit lengths: what plotly.js draws for the named dash at this width
    (its Drawing.dashStyle, which scales the pattern with max(width, 3)). A path and its wider
    casing carry the same explicit pattern, so the casing's dashes lie under the path's."""
    unit = max(float(width), 3.0)
    pattern = DASH_PATTERNS.get(dash)
    if not pattern:  # "solid", or lengths already
        return dash
    return ",".join(f"{n * unit:g}px" for n in pattern)


@dataclass(frozen=True)
class DisplayPath:
    """A path as drawn: every computed point up to the last good one, NaN where it lies outside
    the plot (a gap in the line, a hidden marker), and where its end marks go."""

    x: np.ndarray  # (end,) NaN outside the plot
    y: np.ndarray
    z: np.ndarray  # transformed and lifted above the mesh; NaN outside the plot
    end: int  # number of computed points drawn: the divergence step, or every step
    diverged_at: int | None  # the step that was not finite / beyond the bound (engine's diverged_at)
    escaped_at: int | None  # unbounded surfaces: the first step outside the plot
    shown_before: int | None  # the last drawn (inside) step before the escape / the divergence


def _last_inside(inside: np.ndarray, before: int) -> int | None:
    hits = np.flatnonzero(inside[:before])
    return int(hits[-1]) if hits.size else None


def _display_path(surface: Surface, grid: SurfaceGrid, t: Trajectory) -> DisplayPath:
    """The path exactly as computed: each point where `simulate()` put it, NaN (a gap) only
    where it lies outside the plot, so a path that jitters out and comes back is drawn again
    when it is back. A diverged path ends at its divergence step: the engine holds it at its
    last good point from there on, and that frozen tail is not drawn.

    z is on the surface's transformed scale and lifted above the surface, or above the drawn
    mesh where that is higher (it lies at or below the true surface up to the finer sampling of
    `grid._lower_envelope`)."""
    path = np.asarray(t.path, dtype=float)
    diverged_at = int(t.diverged_at) if bool(t.diverged) else None
    end = len(path) if diverged_at is None else max(diverged_at, 1)
    path = path[:end]
    inside = inside_plot(surface, path)
    x = np.where(inside, path[:, 0], np.nan)
    y = np.where(inside, path[:, 1], np.nan)
    with np.errstate(invalid="ignore"):
        on_surface = z_transform(surface, np.asarray(t.loss, dtype=float)[:end])
        z = np.maximum(on_surface, mesh_height(grid, path[:, 0], path[:, 1]))
    z = np.where(inside, z + grid.lift, np.nan)
    escaped_at = None
    if surface.f_min is None and not inside.all():
        escaped_at = int(np.argmin(inside))
    mark_before = escaped_at if escaped_at is not None else (end if diverged_at is not None else None)
    shown = None if mark_before is None else _last_inside(inside, mark_before)
    return DisplayPath(x, y, z, end, diverged_at, escaped_at, shown)


def _isolated(x: np.ndarray) -> np.ndarray:
    """Drawn points with a gap on both sides: a line draws nothing there, a marker must."""
    ok = ~np.isnan(x)
    before = np.concatenate(([False], ok[:-1]))
    after = np.concatenate((ok[1:], [False]))
    return ok & ~before & ~after


def end_mark_label(d: DisplayPath) -> str | None:
    """What the end mark says: "escaped (step j)" on an unbounded surface, "diverged at step k"."""
    if d.escaped_at is not None:
        return f"escaped (step {d.escaped_at})"
    if d.diverged_at is not None:
        return f"diverged at step {d.diverged_at}"
    return None


def _end_mark(d: DisplayPath, name: str) -> tuple[dict, int] | None:
    """Where the end mark sits (the last drawn point before the escape or the divergence), the
    step from which the animation shows it, and its hover text."""
    label = end_mark_label(d)
    if label is None or d.shown_before is None:
        return None
    i = d.shown_before
    appears = d.escaped_at if d.escaped_at is not None else d.end - 1
    detail = f"last point inside the plot: step {i}"
    if d.escaped_at is None and d.diverged_at is not None:
        detail += f"; step {d.diverged_at} was beyond 100× the plot or not finite"
    return {"i": i, "appears": appears, "label": label, "hover": f"<b>{name}</b><br>{label}<br>{detail}"}, appears


SYMBOLS_3D = ("circle", "circle-open", "cross", "diamond", "diamond-open", "square", "square-open", "x")


def _symbol_3d(symbol: str) -> str:
    """scatter3d knows fewer marker symbols than scatter: the nearest it has."""
    if symbol in SYMBOLS_3D:
        return symbol
    return {"triangle-up": "diamond", "triangle-down": "diamond-open", "pentagon": "square-open"}.get(symbol, "circle")


def optimizer_traces(
    surface: Surface, grid: SurfaceGrid, t: Trajectory, style: PathStyle, view: str
) -> tuple[list[dict], list[dict]]:
    """The traces of one optimizer (drawn at their final state) and the matching entries of the
    animation spec (full path per trace, sliced per frame in the browser or by expand_frames).

    Per cell: the path's casing (the same points, wider, in `style.casing`, `meta` CASING; in 3-D
    a DEPTH_STEP below the path), the path (a line with gaps outside the
    plot; markers on isolated points, which a line alone would not show), the moving marker
    (hidden while its point is outside), and, for a diverged or escaped run, an end mark
    (✕ "diverged at step k", ○ "escaped (step j)") that the animation shows from the step it
    happened on."""
    d = _display_path(surface, grid, t)
    x, y, z = f32(d.x), f32(d.y), f32(d.z)
    last = d.end - 1  # the moving marker sits on the last computed point (hidden if outside)
    steps = np.arange(d.end, dtype=np.int32)
    common = {"legendgroup": style.key, "name": style.name}
    hover = f"<b>{style.name}</b><br>step %{{customdata}}<br>x %{{x:.4g}}, y %{{y:.4g}}"
    isolated = _isolated(d.x)
    mark, _ = _end_mark(d, style.name) or (None, None)
    mark_symbol = "circle-open" if d.escaped_at is not None else "x"

    def point(a, dz=0.0):  # a one-point list, empty when the point is outside the plot (no NaN in JSON)
        if not np.isfinite(a[last]):
            return []
        return [np.float32(float(a[last]) + dz)] if dz else [a[last]]  # display precision, as every array

    def path_mode(size, color=style.color):
        if not isolated.any():
            return {"mode": "lines"}
        return {"mode": "lines+markers", "marker": {"color": color, "size": np.where(isolated, size, 0)}}

    def casing(cell: dict, coords: dict, width: float, dash: str, marker_size: float) -> dict:
        # Beneath the path (just before it), in its legend group: it shows, hides and ends with it.
        return {"type": cell["type"], **path_mode(marker_size, style.casing), **cell, **coords,
                "line": {"color": style.casing, "width": width, "dash": dash}, "showlegend": False,
                "hoverinfo": "skip", "meta": CASING, **common}

    def mark_arrays(*arrays):  # NaN until the step it appears on, so frames before it hide it
        out = []
        for a in arrays:
            m = np.full(mark["appears"] + 1, np.nan, dtype=np.float32)
            m[-1] = a[mark["i"]]
            out.append(gapped(m))
        return out

    traces, anim = [], []
    gx, gy, gz = gapped(x), gapped(y), gapped(z)
    if view in ("both", "3d"):
        # 3-D paths are solid, casing and all: through a dash's gaps the surface showed, and a path's
        # colour alone can blend into it under a colour-vision deficiency. The dash, the second cue
        # after the colour, is drawn in the contour cell and the step charts, and the legend shows it.
        # Opaque, one DEPTH_STEP apart (see DEPTH_STEP): casing, path, the marker's casing, the marker.
        dz = DEPTH_STEP * grid.lift
        traces.append(casing({"type": "scatter3d", "scene": "scene"}, {"x": gx, "y": gy, "z": gapped(f32(z - dz))},
                             PATH_WIDTH_3D + CASING_EXTRA_3D, "solid", 3 + CASING_EXTRA_3D))
        anim.append({"kind": "path", "dims": ["x", "y", "z"], "end": d.end})
        traces.append({
            "type": "scatter3d", **path_mode(3), "scene": "scene", "x": gx, "y": gy, "z": gz,
            "line": {"color": style.color, "width": PATH_WIDTH_3D, "dash": "solid"}, "showlegend": view == "3d",
            **common, "customdata": steps, "hovertemplate": hover + "<extra></extra>",
        })
        anim.append({"kind": "path", "dims": ["x", "y", "z", "customdata"], "end": d.end})
        path_index = len(anim) - 1
        # WebGL draws no marker outline: the moving marker lies on a larger one in the casing colour
        # (MARKER_CASING), each a DEPTH_STEP above the one before, so that the path's end never covers them.
        for color, size, meta, above in ((style.casing, 6 + CASING_EXTRA_3D, {"meta": MARKER_CASING}, dz),
                                         (style.color, 6, {}, 2 * dz)):
            traces.append({
                "type": "scatter3d", "mode": "markers", "scene": "scene", "x": point(x), "y": point(y),
                "z": point(z, above), "marker": {"color": color, "size": size, "symbol": _symbol_3d(style.symbol)},
                "showlegend": False, "hoverinfo": "skip", **meta, **common,
            })
            anim.append({"kind": "marker", "dims": ["x", "y", "z"], "source": path_index, "end": d.end,
                         "dz": float(above)})
        if mark:
            mx, my, mz = mark_arrays(x, y, z + 2 * dz)  # over the path, as the moving marker
            traces.append({
                "type": "scatter3d", "mode": "markers+text", "scene": "scene", "x": mx, "y": my, "z": mz,
                "marker": {"color": style.color, "size": 9, "symbol": mark_symbol},
                "text": mark["label"], "textposition": "top center",
                "textfont": {"color": style.color, "size": 12}, "showlegend": False, **common,
                "hovertext": mark["hover"], "hovertemplate": "%{hovertext}<extra></extra>",
            })
            anim.append({"kind": "path", "dims": ["x", "y", "z"], "end": len(mx)})
    if view in ("both", "contour"):
        xa = {"xaxis": "x", "yaxis": "y"}
        dash = dash_px(style.dash, PATH_WIDTH_2D)
        traces.append(casing({"type": "scatter", **xa}, {"x": gx, "y": gy}, PATH_WIDTH_2D + CASING_EXTRA_2D, dash,
                             5 + CASING_EXTRA_2D))
        anim.append({"kind": "path", "dims": ["x", "y"], "end": d.end})
        traces.append({
            "type": "scatter", **path_mode(5), **xa, "x": gx, "y": gy,
            "line": {"color": style.color, "width": PATH_WIDTH_2D, "dash": dash}, "showlegend": True,
            **common,
            "customdata": steps, "hovertemplate": hover + "<extra></extra>",
        })
        anim.append({"kind": "path", "dims": ["x", "y", "customdata"], "end": d.end})
        traces.append({
            "type": "scatter", "mode": "markers", **xa, "x": point(x), "y": point(y),
            "marker": {"color": style.color, "size": 10, "symbol": style.symbol,
                       "line": {"color": "white", "width": 1.5}},
            "showlegend": False, "hoverinfo": "skip", **common,
        })
        anim.append({"kind": "marker", "dims": ["x", "y"], "source": len(anim) - 1, "end": d.end})
        if mark:
            mx, my = mark_arrays(x, y)
            traces.append({
                "type": "scatter", "mode": "markers+text", **xa, "x": mx, "y": my,
                "marker": {"color": style.color, "size": 13, "symbol": mark_symbol,
                           "line": {"color": style.color, "width": 3}},
                "text": mark["label"], "textposition": "top center", "cliponaxis": False,
                "textfont": {"color": "white", "size": 12}, "showlegend": False, **common,
                "hovertext": mark["hover"], "hovertemplate": "%{hovertext}<extra></extra>",
            })
            anim.append({"kind": "path", "dims": ["x", "y"], "end": len(mx)})
    return traces, anim


def static_traces(surface: Surface, grid: SurfaceGrid, view: str, contour: str = "filled") -> list[dict]:
    traces = []
    minima = surface.minima_points
    if view in ("both", "3d"):
        traces.append({
            "type": "surface", "scene": "scene", "x": f32(grid.x3), "y": f32(grid.y3),
            "z": f32(grid.z3), "colorscale": "Viridis",  # opaque, as every 3-D trace: see DEPTH_STEP
            "showscale": False, "name": "surface", "hoverinfo": "skip",
            "contours": {"z": {"show": True, "usecolormap": True, "project": {"z": False}, "width": 1}},
            "lighting": {"ambient": 0.75, "diffuse": 0.5, "specular": 0.05},
        })
        if len(minima):
            mz = z_transform(surface, [m.value for m in surface.minima]) + grid.lift
            traces.append({
                "type": "scatter3d", "mode": "markers", "scene": "scene", "x": f32(minima[:, 0]),
                "y": f32(minima[:, 1]), "z": f32(mz), "name": "minima", "showlegend": False,
                "marker": {"symbol": "diamond", "size": 5, "color": "white", "line": {"color": "black", "width": 2}},
                "hovertemplate": "minimum (%{x:.4g}, %{y:.4g})<extra></extra>",
            })
    if view in ("both", "contour"):
        levels = {"start": grid.z_range[0], "end": grid.z_range[1], "size": (grid.z_range[1] - grid.z_range[0]) / 28}
        traces.append({
            "type": "contour", "xaxis": "x", "yaxis": "y", "x": f32(grid.x2), "y": f32(grid.y2),
            "z": f32(grid.z2), "colorscale": "Viridis",
            "contours": {**levels, "coloring": "fill" if contour == "filled" else "lines"},
            "line": {"width": 0.5, "color": "rgba(255,255,255,0.35)"} if contour == "filled" else {"width": 1.5},
            "autocontour": False,
            "showscale": True, "colorbar": {"title": {"text": z_title(surface) + clip_note(grid), "side": "right"},
                                            "len": 0.8, "thickness": 12},
            "name": "surface", "hovertemplate": "x %{x:.4g}, y %{y:.4g}<br>" + z_title(surface)
            + " %{z:.4g}" + clip_note(grid) + "<br><i>click: start here</i><extra></extra>",
        })
        if len(minima):
            kinds = ["global minimum" if m.is_global else "local minimum" for m in surface.minima]
            traces.append({
                "type": "scatter", "mode": "markers", "xaxis": "x", "yaxis": "y", "x": f32(minima[:, 0]),
                "y": f32(minima[:, 1]), "name": "minima", "showlegend": False, "text": kinds,
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
    layout = _trajectory_layout(surface, grid, view, camera, height)
    return {
        "data": data,
        "layout": layout,
        "frames": [],
        # steps: the Play frames (capped); last: the slider's end (it reaches every step 0..last,
        # drawn by figure.js frameAt); ticks: the round steps labelled under it.
        "animation": {"steps": fsteps, "traces": animated, "duration": int(speed_ms), "last": int(steps),
                      "ticks": step_ticks(steps)},
    }


def _trajectory_layout(surface, grid, view, camera, height) -> dict:
    """The layout of the cells. No plotly updatemenus or sliders: Play/Pause and the step slider
    are HTML under the plot (optviz/web/figure.js mountControls), reachable by Tab and keys."""
    (x0, x1), (y0, y1) = surface.domain
    eye = dict(zip("xyz", camera or default_camera(surface), strict=True))
    layout: dict = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 48 if view in ("both", "contour") else 10},
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
            "domain": {"x": [0.0, 0.5] if view == "both" else [0.0, 1.0], "y": [0.0, 1.0]},
            "xaxis": {"title": {"text": "x"}, "range": [x0, x1]},
            "yaxis": {"title": {"text": "y"}, "range": [y0, y1]},
            # Beside the contour the z title ran off the canvas's left edge (Beale showed "(.01)" of
            # "log₁₀(f − f* + 0.01)"), and from the default cameras the unnamed z tick labels ran on
            # into the y axis's ("4 2 0 4 2 0 −2 −4" down one edge). There the contour's colour bar,
            # a hand's width away, gives the heights by the same colours, and hovering the surface
            # gives each height; the 3-D-only view keeps its titled z axis.
            "zaxis": {"title": {"text": z_title(surface) if view == "3d" else ""},
                      "range": [grid.z_range[0], grid.z_range[1] + 2 * grid.lift],
                      **({"showticklabels": False} if view == "both" else {})},
            "aspectmode": "manual",
            # A wider box fills the 3-D-only view, whose cell is much wider than tall.
            "aspectratio": dict(zip("xyz", SCENE_ASPECT["both" if view == "both" else "3d"], strict=True)),
            "camera": {"eye": eye, "up": {"x": 0, "y": 0, "z": 1},
                       "center": dict(zip("xyz", SCENE_CENTER, strict=True))},
            "uirevision": surface.key,
        }
    if view in ("both", "contour"):
        layout["xaxis"] = {
            "domain": [0.56, 0.97] if view == "both" else [0.08, 0.92], "range": [x0, x1], "title": {"text": "x"},
            "anchor": "y", "constrain": "domain",
        }
        layout["yaxis"] = {
            "domain": [0.0, 1.0], "range": [y0, y1], "title": {"text": "y"}, "anchor": "x",
        }
    return layout
