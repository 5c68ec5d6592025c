"""Figures: the only module that imports plotly. Plain dicts and lists, built fast and cached.

The trajectory figure is compact: it holds the surface and each optimizer's whole path once;
its animation frames are derived from `animation` (the frame steps and the full paths) either
in the browser (optviz/app/figure_component.py) or here (`expand_frames`, for the HTML export).
A frame carries only what moves (paths and markers), never the surface, and the number of
frames is capped while the drawn path keeps every step.

What is drawn is what `simulate()` computed: every point up to the divergence step at its own
coordinates, a gap (NaN) only where it lies outside the plot (the closed box `surface.domain`,
which is the axes' range), a ✕ "diverged at step k" where a run blew up and a ○ "escaped
(step j)" where a run left the plot of an unbounded surface; the loss and distance lines stop
at the divergence step. Each surface gets cameras from which its valley is in sight
(`camera_presets`).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import plotly
from numpy.lib.stride_tricks import sliding_window_view

from surfaces import Surface

from .. import web
from ..core.engine import Trajectory

PLOTLY_JS_PATH = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"  # served, never a CDN
MAX_FRAMES = 150
GRID_3D = 100
GRID_2D = 140
ENVELOPE_REFINE = 4  # f's samples per cell side of the 3-D mesh: see _lower_envelope
LOG_FLOOR = 1e-2  # log10(f - f* + LOG_FLOOR): the floor keeps the minimum finite
# The generic presets (eye positions in plotly's scene coordinates: the box spans ±aspect/2
# around the origin and the camera looks at SCENE_CENTER). Each surface gets its own through
# camera_presets(surface): the same names, eyes chosen so that its valley is in sight.
CAMERA_PRESETS = {
    "Default": (1.35, -1.35, 0.95),
    "Top": (0.0, -0.001, 2.3),
    "Along x": (2.2, 0.0, 0.55),
    "Along y": (0.0, -2.2, 0.55),
}
DEFAULT_CAMERA = CAMERA_PRESETS["Default"]
SCENE_ASPECT = {"both": (1.0, 1.0, 0.7), "3d": (1.1, 1.1, 0.65)}
SCENE_CENTER = (0.0, 0.0, -0.1)
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}


@dataclass(frozen=True)
class PathStyle:
    """Who a path belongs to: its legend group and name, and how it is drawn in every chart (the
    3-D and contour paths, the step charts): a colour, a dash pattern and an end-marker symbol
    (`optviz.styles`: each run of a view has its own colour, with the dash as a second cue)."""

    key: str
    name: str
    color: str
    dash: str = "solid"  # plotly line dash, valid in 2-D and 3-D
    symbol: str = "circle"  # plotly marker symbol of the moving end marker
    casing: str = ""  # colour of the wider line beneath the path; "" = `styles.casing_for(color)`

    def __post_init__(self):
        if not self.casing:
            object.__setattr__(self, "casing", _casing_colour(self.color))


def _casing_colour(color: str) -> str:
    from .styles import CASING_DARK, casing_for

    try:
        return casing_for(color)
    except ValueError:  # not '#rrggbb': the usual dark casing
        return CASING_DARK


def run_styles(keys: Sequence[str], names: Sequence[str], optimizers: Sequence[str]) -> list[PathStyle]:
    """One style per run of a view, in order (`optviz.styles.styles_for_runs`): the n-th run of the
    view gets the n-th run colour, dash and marker, whatever its optimizer. A run's style depends on
    its place only, so hiding or adding a later run restyles no other."""
    from .styles import styles_for_runs

    return [PathStyle(key, name, st.color, st.dash, st.marker, st.outline)
            for key, name, st in zip(keys, names, styles_for_runs(optimizers), strict=True)]


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
    from .styles import DASH_PATTERNS

    unit = max(float(width), 3.0)
    pattern = DASH_PATTERNS.get(dash)
    if not pattern:  # "solid", or lengths already
        return dash
    return ",".join(f"{n * unit:g}px" for n in pattern)


F32_MAX = float(np.finfo(np.float32).max)


def _f32(a) -> np.ndarray:
    """Display precision: float32 arrays travel as compact base64 typed arrays; NaN draws a gap.
    A finite value beyond float32's range is held at its edge (a cast would make it infinite),
    which is far outside every drawn range; an infinite one is a gap, as in the encoder."""
    a = np.asarray(a, dtype=float)
    with np.errstate(invalid="ignore"):
        a = np.where(np.isinf(a), np.nan, np.clip(a, -F32_MAX, F32_MAX))
    return np.ascontiguousarray(a, dtype=np.float32)


SHORT_ARRAY = 16


def _gapped(a: np.ndarray):
    """A coordinate array with gaps (NaN) as it can travel: JSON has no NaN, and a short array
    may be sent as a plain list rather than a typed array, so a short one becomes a list with
    None (JSON null, a gap for plotly) where the value is NaN."""
    if len(a) >= SHORT_ARRAY or not np.isnan(a).any():
        return a
    return [None if np.isnan(v) else float(v) for v in a]


# --- the surface ---------------------------------------------------------------------------


def z_transform(surface: Surface, values: np.ndarray) -> np.ndarray:
    """What the z axis shows: log10(f - f* + floor) where the surface spans orders of magnitude."""
    values = np.asarray(values, dtype=float)
    if surface.log_z and surface.f_min is not None:
        return np.log10(np.maximum(values - surface.f_min, 0.0) + LOG_FLOOR)
    return values


def z_title(surface: Surface) -> str:
    return "log₁₀(f − f* + 0.01)" if surface.log_z and surface.f_min is not None else "f(x, y)"


Z_OUTLIER_SPAN = 50.0  # see z_range
Z_LIMIT = 1e30  # the largest |z| drawn: a typed formula can reach 1e308, which no display shows


@dataclass(frozen=True)
class SurfaceGrid:
    x3: np.ndarray
    y3: np.ndarray
    z3: np.ndarray  # transformed
    x2: np.ndarray
    y2: np.ndarray
    z2: np.ndarray  # transformed
    z_range: tuple[float, float]
    clipped: bool = False  # some values lie beyond z_range (a pole, an overflow): drawn at its edge

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

    with np.errstate(all="ignore"):
        x3, y3, z3 = _lower_envelope(surface, GRID_3D)
        x2, y2, z2 = grid(GRID_2D)
    lo, hi = z_range(np.concatenate([z2.ravel(), z3.ravel()]))  # the mesh reaches down to the minima
    # Values beyond the drawn range (a pole of 1/x, an overflow to inf) are drawn at its edge, and
    # the colour bar says so (clip_note); NaN (no value) stays a hole.
    with np.errstate(invalid="ignore"):
        clipped = bool(np.any((z2 < lo) | (z2 > hi)) or np.any((z3 < lo) | (z3 > hi)))
    return SurfaceGrid(x3, y3, np.clip(z3, lo, hi), x2, y2, np.clip(z2, lo, hi), (lo, hi), clipped)


def clip_note(grid: SurfaceGrid) -> str:
    """What the colour bar and the hover add when the drawn surface is clipped, else ""."""
    if not grid.clipped:
        return ""
    lo, hi = grid.z_range
    return f" (drawn clipped to {lo:.3g} … {hi:.3g})"


def _lower_envelope(surface: Surface, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 3-D mesh: n × n nodes, each at the lowest (transformed) f within one grid cell of it.

    A mesh through f's values at its nodes lies above the floor of a valley narrower than a cell
    (Rosenbrock's, in log scale): where the valley passes between nodes the mesh rose into
    saw-teeth up to a quarter of the z range high across it, and the paths along the floor went
    into their troughs and out of sight. With each node at the minimum over the cells around it
    (f sampled ENVELOPE_REFINE times finer, plus the surface's known minima), every corner of the
    cell holding a point lies at or below f there, so the mesh (any interpolation between the
    corners) lies at or below the true surface, up to that finer sampling: a valley is drawn at
    its depth, and a wall at most one cell (1/(n-1) of the plot) nearer the valley than it is.
    A node where f has no value (NaN) stays a gap."""
    (x0, x1), (y0, y1) = surface.domain
    k = ENVELOPE_REFINE
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    fine_x, fine_y = np.linspace(x0, x1, (n - 1) * k + 1), np.linspace(y0, y1, (n - 1) * k + 1)
    fine = z_transform(surface, surface.f(np.stack(np.meshgrid(fine_x, fine_y), axis=-1)))
    at_nodes = fine[::k, ::k]
    low = np.pad(np.where(np.isnan(fine), np.inf, fine), k, constant_values=np.inf)
    # The minimum over the (2k + 1)² fine samples around each node, one axis at a time.
    low = sliding_window_view(low, 2 * k + 1, axis=0)[::k].min(axis=-1)
    low = sliding_window_view(low, 2 * k + 1, axis=1)[:, ::k].min(axis=-1)
    gx, gy = np.meshgrid(xs, ys)
    for m in surface.minima:
        near = (np.abs(gx - m.x) <= xs[1] - xs[0]) & (np.abs(gy - m.y) <= ys[1] - ys[0])
        low = np.where(near, np.minimum(low, z_transform(surface, m.value)), low)
    return xs, ys, np.where(np.isnan(at_nodes), np.nan, np.minimum(low, at_nodes))


def z_range(z: np.ndarray) -> tuple[float, float]:
    """The z range drawn: the finite values' min and max, unless a few extreme values (a pole, as
    of 1/x near 0) stretch it more than `Z_OUTLIER_SPAN` times the central 98 % of the values:
    then the range is the 1st to 99th percentile widened by half its span on each side. NaN (where
    a typed formula has no value) is ignored; no finite value at all gives (0, 1). The range
    stays within ±Z_LIMIT and is never empty: a flat surface gets a span of at least 1e-6 of its
    height (at 1e20, lo + 1 would be lo again)."""
    finite = np.asarray(z, dtype=float)[np.isfinite(z)]
    if not finite.size:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    with np.errstate(over="ignore", invalid="ignore"):
        p1, p99 = (float(v) for v in np.percentile(finite, [1, 99]))
        central = p99 - p1
        if central > 0 and hi - lo > Z_OUTLIER_SPAN * central:
            lo, hi = max(lo, p1 - 0.5 * central), min(hi, p99 + 0.5 * central)
    lo, hi = min(max(lo, -Z_LIMIT), Z_LIMIT), min(max(hi, -Z_LIMIT), Z_LIMIT)
    if hi <= lo:
        span = max(1.0, 1e-6 * abs(lo))
        lo, hi = (hi - span, hi) if hi >= Z_LIMIT else (lo, lo + span)
    return lo, hi


# --- the trajectory figure -----------------------------------------------------------------


def frame_steps(steps: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """Up to `max_frames` steps to show as frames, evenly spread, always 0 and the last."""
    if steps + 1 <= max_frames:
        return list(range(steps + 1))
    return sorted({round(float(v)) for v in np.linspace(0, steps, max_frames)})


def step_ticks(steps: int, max_ticks: int = 6) -> list[int]:
    """Round step numbers to label the step slider 0..steps with: the multiples of the smallest
    spacing of the form 1, 2 or 5 × 10^k that gives at most `max_ticks` intervals (0, 100, ...,
    500 for 500 steps; 0, 50, ..., 200 for 200; 0, 2, 4, 6 for 7). The slider itself reaches
    every step; the label beside it names the exact one."""
    steps = max(int(steps), 0)
    spacing = 1
    while steps / spacing > max_ticks:
        spacing = _next_nice(spacing)
    return list(range(0, steps + 1, spacing))


def _next_nice(spacing: int) -> int:
    """The nice spacing after `spacing`: 1 -> 2 -> 5 -> 10 -> 20 -> 50 -> 100 ..."""
    return spacing * 5 // 2 if str(spacing)[0] == "2" else spacing * 2


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


def inside_plot(surface: Surface, points: np.ndarray) -> np.ndarray:
    """Which points lie in the plotted box `surface.domain` (closed, no margin: the axes' range)."""
    p = np.asarray(points, dtype=float)
    (x0, x1), (y0, y1) = surface.domain
    return (p[..., 0] >= x0) & (p[..., 0] <= x1) & (p[..., 1] >= y0) & (p[..., 1] <= y1)


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
    `_lower_envelope`)."""
    path = np.asarray(t.path, dtype=float)
    diverged_at = int(t.diverged_at) if bool(t.diverged) else None
    end = len(path) if diverged_at is None else max(diverged_at, 1)
    path = path[:end]
    inside = inside_plot(surface, path)
    x = np.where(inside, path[:, 0], np.nan)
    y = np.where(inside, path[:, 1], np.nan)
    with np.errstate(invalid="ignore"):
        on_surface = z_transform(surface, np.asarray(t.loss, dtype=float)[:end])
        z = np.maximum(on_surface, _mesh_height(grid, path[:, 0], path[:, 1]))
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
    x, y, z = _f32(d.x), _f32(d.y), _f32(d.z)
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
        return [float(a[last]) + dz] if dz else [a[last]]  # as frame_at raises a marker: in float64

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
            out.append(_gapped(m))
        return out

    traces, anim = [], []
    gx, gy, gz = _gapped(x), _gapped(y), _gapped(z)
    if view in ("both", "3d"):
        # 3-D paths are solid, casing and all: through a dash's gaps the surface showed, and a path's
        # colour alone can blend into it under a colour-vision deficiency. The dash, the second cue
        # after the colour, is drawn in the contour cell and the step charts, and the legend shows it.
        # Opaque, one DEPTH_STEP apart (see DEPTH_STEP): casing, path, the marker's casing, the marker.
        dz = DEPTH_STEP * grid.lift
        traces.append(casing({"type": "scatter3d", "scene": "scene"}, {"x": gx, "y": gy, "z": _gapped(_f32(z - dz))},
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
            "type": "surface", "scene": "scene", "x": _f32(grid.x3), "y": _f32(grid.y3),
            "z": _f32(grid.z3), "colorscale": "Viridis",  # opaque, as every 3-D trace: see DEPTH_STEP
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
            "showscale": True, "colorbar": {"title": {"text": z_title(surface) + clip_note(grid), "side": "right"},
                                            "len": 0.8, "thickness": 12},
            "name": "surface", "hovertemplate": "x %{x:.4g}, y %{y:.4g}<br>" + z_title(surface)
            + " %{z:.4g}" + clip_note(grid) + "<br><i>click: start here</i><extra></extra>",
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


# --- cameras -------------------------------------------------------------------------------


def _valley_points(surface: Surface, grid: SurfaceGrid) -> np.ndarray:
    """Where paths run, as far as the surface alone tells: the lowest 20 % of the plotted
    heights (the valley floors), and the straight lines from the surface's start to each
    minimum. Data coordinates, z on the drawn scale and lifted like a path."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, 31), np.linspace(y0, y1, 31)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    gz = _mesh_height(grid, gx, gy)
    lo, hi = grid.z_range
    low = gz <= lo + 0.2 * (hi - lo)
    points = [np.column_stack([gx[low], gy[low]])]
    start = np.asarray(surface.start, dtype=float)
    for m in surface.minima_points:
        points.append(start + np.linspace(0, 1, 25)[:, None] * (m - start))
    xy = np.concatenate(points)
    return np.column_stack([xy, _mesh_height(grid, xy[:, 0], xy[:, 1]) + grid.lift])


def _to_scene(surface: Surface, grid: SurfaceGrid, p: np.ndarray, aspect) -> np.ndarray:
    (x0, x1), (y0, y1) = surface.domain
    z0, z1 = grid.z_range[0], grid.z_range[1] + 2 * grid.lift  # the z axis range of the layout
    lo, span = np.array([x0, y0, z0]), np.array([x1 - x0, y1 - y0, z1 - z0])
    return (p - lo) / span * np.asarray(aspect) - np.asarray(aspect) / 2


def visible_fraction(surface: Surface, grid: SurfaceGrid, eye, points: np.ndarray | None = None,
                     aspect=SCENE_ASPECT["both"], samples: int = 64) -> float:
    """The share of `points` (data coordinates, default: the valley) that the camera at `eye`
    sees, i.e. whose line of sight passes above the drawn mesh. Same geometry as plotly's
    scene: the data box scaled to ±aspect/2, a perspective eye in those coordinates."""
    pts = _valley_points(surface, grid) if points is None else np.asarray(points, dtype=float)
    p = _to_scene(surface, grid, pts, aspect)
    e = np.asarray(eye, dtype=float)
    t = np.linspace(0.0, 1.0, samples + 1)[1:]
    ray = p[:, None, :] + t[None, :, None] * (e - p)[:, None, :]  # (n, samples, 3)
    half = np.asarray(aspect) / 2
    over = (np.abs(ray[..., 0]) <= half[0]) & (np.abs(ray[..., 1]) <= half[1])
    (x0, x1), (y0, y1) = surface.domain
    rx = (ray[..., 0] / aspect[0] + 0.5) * (x1 - x0) + x0
    ry = (ray[..., 1] / aspect[1] + 0.5) * (y1 - y0) + y0
    z0, z1 = grid.z_range[0], grid.z_range[1] + 2 * grid.lift
    mesh = (_mesh_height(grid, rx, ry) - z0) / (z1 - z0) * aspect[2] - half[2]
    # A point is hidden when the mesh rises above its line of sight anywhere over the box
    # (the first samples, within the path's own lift of it, are its own neighbourhood).
    near = np.linalg.norm((t[None, :, None] * (e - p)[:, None, :]), axis=-1) < 0.03
    hidden = (over & ~near & (mesh > ray[..., 2])).any(axis=1)
    return float(1.0 - hidden.mean()) if len(pts) else 1.0


def _eye(azimuth_deg: float, elevation_deg: float, distance: float) -> tuple[float, float, float]:
    a, e = np.radians(azimuth_deg), np.radians(elevation_deg)
    c = SCENE_CENTER
    return tuple(round(float(v), 3) for v in (c[0] + distance * np.cos(e) * np.cos(a),
                                                c[1] + distance * np.cos(e) * np.sin(a),
                                                c[2] + distance * np.sin(e)))


ELEVATIONS = (20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80)
ENOUGH_IN_SIGHT = 0.9  # of the valley: the lowest elevation that sees this much is chosen


def _best_eye(surface: Surface, grid: SurfaceGrid, azimuths, distance: float, travel: np.ndarray | None):
    """Among `azimuths`, the eye that sees the valley from the lowest elevation (a low camera
    shows the relief best); ties go to the azimuth most across the direction of travel (start to
    minimum), since a path seen end-on is a vertical dash."""
    points = _valley_points(surface, grid)
    best = None
    for az in azimuths:
        across = 1.0
        if travel is not None:
            view = np.array([np.cos(np.radians(az)), np.sin(np.radians(az))])
            across = 1.0 - abs(float(view @ travel))
        seen = 0.0
        for el in ELEVATIONS:
            eye = _eye(az, el, distance)
            seen = visible_fraction(surface, grid, eye, points)
            if seen >= ENOUGH_IN_SIGHT:
                break
        enough = seen >= ENOUGH_IN_SIGHT
        score = (enough, -el + 15 * across, seen) if enough else (enough, seen, across)
        if best is None or score > best[0]:
            best = (score, eye)
    return best[1]


def _travel(surface: Surface) -> np.ndarray | None:
    """Unit direction from the surface's start to its nearest global minimum, in scene proportions."""
    minima = [m for m in surface.minima if m.is_global] or list(surface.minima)
    if not minima:
        return None
    start = np.asarray(surface.start, dtype=float)
    target = min(((m.x, m.y) for m in minima), key=lambda m: np.hypot(*(np.asarray(m) - start)))
    (x0, x1), (y0, y1) = surface.domain
    d = (np.asarray(target) - start) / np.array([x1 - x0, y1 - y0])
    n = np.linalg.norm(d)
    return d / n if n > 0 else None


@functools.lru_cache(maxsize=32)
def camera_presets(surface: Surface) -> dict[str, tuple[float, float, float]]:
    """The camera presets for one surface, same names as CAMERA_PRESETS ("Default", "Top",
    "Along x", "Along y"): each one the eye from which the surface's valley is in sight.

    A generic camera hides paths: on the ravine and on Beale they run behind the front wall or
    under the mesh, and on the bowl the default looks along the paths. So each preset keeps its
    direction (a diagonal; straight down; along x; along y) but picks, by tracing lines of sight
    over the drawn mesh (`visible_fraction`), the side to look from and the lowest elevation
    that sees ENOUGH_IN_SIGHT of the valley (`_valley_points`); the default diagonal also
    prefers looking across the way from the start to the minimum. Deterministic, computed from
    the surface alone (cached): a surface added later gets its presets with no table to edit."""
    grid = surface_grid(surface)
    travel = _travel(surface)
    return {
        "Default": _best_eye(surface, grid, (-45, 45, 135, 225), 2.13, travel),
        "Top": CAMERA_PRESETS["Top"],
        "Along x": _best_eye(surface, grid, (0, 180), 2.27, None),
        "Along y": _best_eye(surface, grid, (-90, 90), 2.27, None),
    }


def default_camera(surface: Surface) -> tuple[float, float, float]:
    """The eye the trajectory view opens with on this surface."""
    return camera_presets(surface)["Default"]


def frame_at(figure: dict, k: int) -> dict:
    """The frame of step k (any step 0..animation["last"], not only a Play frame): each animated
    path cut to its first k + 1 points (at most to its last drawable one), each moving marker on
    point k (its z raised by the entry's "dz", if any). The twin of figure.js frameAt, which the
    step slider draws (tests/app/test_component.py checks they agree)."""
    data = figure["data"]
    frame_data, indices = [], []
    for entry in figure["animation"]["traces"]:
        i = entry["index"]
        if entry["kind"] == "path":
            stop = min(k, entry["end"] - 1) + 1
            frame_data.append({"type": data[i]["type"], **{dim: data[i][dim][:stop] for dim in entry["dims"]}})
        else:
            src = data[entry["source"]]
            j = max(0, min(k, entry["end"] - 1))
            dz = entry.get("dz", 0.0)
            frame_data.append({"type": data[i]["type"], **{dim: [_raised(src[dim][j], dz if dim == "z" else 0.0)]
                                                           for dim in entry["dims"]}})
        indices.append(i)
    return {"name": str(k), "data": frame_data, "traces": indices}


def _raised(v, dz: float):
    """A marker's coordinate, raised by dz in float64 as figure.js does; a gap (None) stays one."""
    return v if not dz or v is None else float(v) + dz


def expand_frames(figure: dict) -> dict:
    """A self-contained plotly figure: the frames that the browser component would build."""
    frames = [frame_at(figure, k) for k in figure["animation"]["steps"]]
    out = {key: value for key, value in figure.items() if key != "animation"}
    out["frames"] = frames
    return out


def as_figure(spec: dict, validate: bool = False):
    """A plotly Figure from one of our dict specs for st.plotly_chart, which would validate a
    dict on every rerun. Our specs are validated once by the tests (validate=True)."""
    import plotly.graph_objects as go

    return go.Figure(spec) if validate else go.Figure(spec, _validate=False)


def compact_figure(figure: dict) -> dict:
    """The figure as the export embeds it: with its animation spec and without expanded frames."""
    return {k: v for k, v in figure.items() if not (k == "frames" and "animation" in figure)}


def export_figure_json(figure: dict) -> str:
    """The compact figure as the exported page embeds it: each array once, by content id, in
    "arrays" (as the live payload carries them; figure.js resolves them), safe inside <script>."""
    body, arrays = web.to_json_with_arrays(compact_figure(figure))
    text = '{"arrays":' + web.to_json(arrays) + ("," + body[1:] if body != "{}" else "}")
    return text.replace("</", "<\\/")  # "</" would end the <script> early; "<\/" is the same JSON string


def standalone_html(figure: dict, title: str) -> str:
    """The animation as one HTML file that works offline: plotly.js and optviz/web/figure.js are
    embedded, and the page builds the frames from the same compact figure as the live view, each
    array written once by content id as in the live payload (so the file weighs plotly.js plus
    about what the live view receives: benchmarks/bench_export.py)."""
    figure_json = export_figure_json(figure)
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
