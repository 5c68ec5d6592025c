"""The surface as drawn: the grids of the 3-D mesh and the contour, what the z axis shows, its
range, and which points lie in the plot (the closed box `surface.domain`, the axes' range).

Display arrays travel as float32 (`f32`); NaN draws a gap (`gapped`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from surfaces import Surface

GRID_3D = 100
GRID_2D = 140
ENVELOPE_REFINE = 4  # f's samples per cell side of the 3-D mesh: see _lower_envelope
LOG_FLOOR = 1e-2  # log10(f - f* + LOG_FLOOR): the floor keeps the minimum finite


F32_MAX = float(np.finfo(np.float32).max)


def f32(a) -> np.ndarray:
    """Display precision: float32 arrays travel as compact base64 typed arrays; NaN draws a gap.
    A finite value beyond float32's range is held at its edge (a cast would make it infinite),
    which is far outside every drawn range; an infinite one is a gap, as in the encoder."""
    a = np.asarray(a, dtype=float)
    with np.errstate(invalid="ignore"):
        a = np.where(np.isinf(a), np.nan, np.clip(a, -F32_MAX, F32_MAX))
    return np.ascontiguousarray(a, dtype=np.float32)


SHORT_ARRAY = 16


def gapped(a: np.ndarray):
    """A coordinate array with gaps (NaN) as it can travel: JSON has no NaN, and a short array
    may be sent as a plain list rather than a typed array, so a short one becomes a list with
    None (JSON null, a gap for plotly) where the value is NaN."""
    if len(a) >= SHORT_ARRAY or not np.isnan(a).any():
        return a
    return [None if np.isnan(v) else float(v) for v in a]


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


def mesh_height(grid: SurfaceGrid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
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
