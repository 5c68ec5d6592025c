r"""Find the minima of a surface numerically: the engine from many starts, then Newton polishing.

Used for surfaces whose minima nobody wrote down (a typed formula, `surfaces.formula`).

1. Starts: an `n × n` grid over the domain (cell centres, slightly jittered by a fixed seed so no
   start sits exactly on a symmetry line or a ridge), minus those where f or its gradient is
   undefined.
2. Descent: `simulate()` with Adam, all starts in one call, at three learning rates (1e-2, 1e-3
   and 1e-5 of the domain's larger side), each phase starting where the last one ended. Adam's
   step is about its learning rate whatever the gradient's size, so it crosses flat regions and
   settles into kinks (|x|) as well as smooth minima.
3. Polish: Newton steps with the Hessian from central differences of the analytic gradient,
   taken only where that Hessian is positive definite and the step lowers f.
4. Check, per candidate: inside the domain; f there is not above f on a small ring of 64 points
   around it (radius 1e-4 of the extent: not a slope, not a saddle) and is strictly below f on a
   wider ring and along the Hessian's flattest direction (radius 1e-2: an isolated minimum, not a
   point of a valley floor such as f = x², which ignores y, or f = (x - y)²); where the gradient is
   ~0, the Hessian has no clearly negative eigenvalue (not a saddle). A valley floor that is both
   oblique and a kink (f = |x - 2y|) can slip through this test and give a row of minima.
   Candidates closer than 1e-3 of the extent are one minimum (the lowest is kept).
5. Classify: the lowest minimum is global (with all within a relative 1e-8 of it) only if
   nothing on the domain, its edges included, is lower (checked on a dense grid). When the lowest
   value lies on the edge of the domain (f = x + y, or a minimum just outside), every minimum
   found is marked local and `f_min` is None: the surface has no global minimum on this domain.

Minima outside the domain are not reported. Non-isolated minima (lines, flat regions) are not
reported either. At most `MAX_MINIMA` are kept, the lowest first.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from surfaces import Minimum, Surface

from ..core.engine import simulate
from ..core.optimizers import adam

MAX_MINIMA = 32
PHASES = ((1e-2, 600), (1e-3, 300), (1e-5, 200))  # (learning rate / extent, steps)


def _grid_starts(surface: Surface, n: int, seed: int) -> np.ndarray:
    (x0, x1), (y0, y1) = surface.domain
    frac = (np.arange(n) + 0.5) / n
    jitter = np.random.default_rng(seed).uniform(-0.05, 0.05, (n * n, 2)) / n
    fx, fy = np.meshgrid(frac, frac)
    u = np.column_stack([fx.ravel(), fy.ravel()]) + jitter
    return np.column_stack([x0 + u[:, 0] * (x1 - x0), y0 + u[:, 1] * (y1 - y0)])


def _finite_rows(surface: Surface, p: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.isfinite(surface.f(p)) & np.all(np.isfinite(surface.grad(p)), axis=-1)


def _hessian(surface: Surface, p: np.ndarray, h: float) -> np.ndarray:
    """(n, 2, 2) Hessians by central differences of the analytic gradient, symmetrized."""
    hess = np.empty((p.shape[0], 2, 2))
    for j in range(2):
        step = np.zeros(2)
        step[j] = h
        hess[:, :, j] = (surface.grad(p + step) - surface.grad(p - step)) / (2.0 * h)
    return 0.5 * (hess + np.swapaxes(hess, 1, 2))


def _polish(surface: Surface, p: np.ndarray, iterations: int = 25) -> np.ndarray:
    """Newton steps where the Hessian is positive definite and the step lowers f."""
    h = 1e-5 * surface.extent
    max_step = 0.1 * surface.extent
    p = p.copy()
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            g = surface.grad(p)
            hess = _hessian(surface, p, h)
            a, b, d = hess[:, 0, 0], hess[:, 0, 1], hess[:, 1, 1]
            det = a * d - b * b
            ok = (a > 0) & (det > 0) & np.all(np.isfinite(g), axis=1) & np.isfinite(det)
            sx = np.where(ok, -(d * g[:, 0] - b * g[:, 1]) / np.where(ok, det, 1.0), 0.0)
            sy = np.where(ok, -(a * g[:, 1] - b * g[:, 0]) / np.where(ok, det, 1.0), 0.0)
            step = np.column_stack([sx, sy])
            length = np.hypot(sx, sy)
            step *= np.minimum(1.0, max_step / np.maximum(length, 1e-300))[:, None]
            trial = p + step
            f0, f1 = surface.f(p), surface.f(trial)
            better = ok & np.isfinite(f1) & (f1 <= f0)
            if not better.any():
                break
            p[better] = trial[better]
    return p


def _ring_min(surface: Surface, p: np.ndarray, radius: float, extra: np.ndarray | None = None,
              k: int = 64) -> np.ndarray:
    """Per point, the lowest f on a ring of k points around it (the axes and diagonals among
    them), plus at ±`extra` (n, 2) unit directions; NaN where f is undefined there."""
    angles = 2 * np.pi * np.arange(k) / k
    ring = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    offsets = np.broadcast_to(ring, (p.shape[0], k, 2))
    if extra is not None:
        offsets = np.concatenate([offsets, radius * extra[:, None, :], -radius * extra[:, None, :]], axis=1)
    values = surface.f(p[:, None, :] + offsets)
    return np.where(np.all(np.isfinite(values), axis=1), values.min(axis=1), np.nan)


def _domain_low(surface: Surface) -> float:
    """The lowest value of f on a dense grid of the domain and along its edges (NaN-free)."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, 201), np.linspace(y0, y1, 201)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    ex, ey = np.linspace(x0, x1, 2001), np.linspace(y0, y1, 2001)
    edges = np.concatenate([
        np.column_stack([ex, np.full_like(ex, y0)]), np.column_stack([ex, np.full_like(ex, y1)]),
        np.column_stack([np.full_like(ey, x0), ey]), np.column_stack([np.full_like(ey, x1), ey]),
    ])
    with np.errstate(all="ignore"):
        values = surface.f(np.concatenate([grid, edges]))
    values = values[np.isfinite(values)]
    return float(values.min()) if values.size else np.inf


def find_minima(surface: Surface, *, grid: int = 16, seed: int = 0) -> tuple[Minimum, ...]:
    """The isolated local minima of `surface` inside its domain, global ones first, then by value.

    `grid` × `grid` starts (at most 100 × 100). See the module docstring for the method and for
    when a minimum counts as global.
    """
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or not 2 <= grid <= 100:
        raise ValueError(f"grid must be an integer in [2, 100], got {grid!r}")
    extent = surface.extent
    starts = _grid_starts(surface, int(grid), seed)
    starts = starts[_finite_rows(surface, starts)]
    if starts.shape[0] == 0:
        return ()
    points = starts
    for lr_fraction, steps in PHASES:
        run = simulate(surface, adam(lr=lr_fraction * extent), points, steps)
        keep = ~np.asarray(run.diverged)
        points = run.path[-1][keep]
        if points.shape[0] == 0:
            return ()
    points = _polish(surface, points)

    (x0, x1), (y0, y1) = surface.domain
    with np.errstate(all="ignore"):
        inside = (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)
        points = points[inside & _finite_rows(surface, points)]
        if points.shape[0] == 0:
            return ()
        values = surface.f(points)
        tol = 1e-11 * (1.0 + np.abs(values))
        g = surface.grad(points)
        hess = _hessian(surface, points, 1e-5 * extent)
        eigenvalues, eigenvectors = np.linalg.eigh(np.where(np.isfinite(hess), hess, 0.0))
        eig_low, flattest = eigenvalues[:, 0], eigenvectors[:, :, 0]
        not_lower_near = _ring_min(surface, points, 1e-4 * extent) >= values - tol
        # Strictly higher all around, also along the Hessian's flattest direction: a valley floor
        # (f = x², f = (x - y)²) is a line of equal values, not isolated minima.
        isolated = _ring_min(surface, points, 1e-2 * extent, flattest) > values + tol
        scale = np.maximum(1.0, np.abs(hess).max(axis=(1, 2)))
        stationary = np.hypot(g[:, 0], g[:, 1]) <= 1e-6 * max(1.0, extent)
        saddle = stationary & (eig_low < -1e-6 * scale)
    accepted = not_lower_near & isolated & ~saddle
    points, values = points[accepted], values[accepted]

    order = np.argsort(values, kind="stable")
    kept: list[int] = []
    for i in order:  # the lowest first: a neighbour within the merge distance is the same minimum
        if all(np.hypot(*(points[i] - points[j])) > 1e-3 * extent for j in kept):
            kept.append(int(i))
        if len(kept) == MAX_MINIMA:
            break
    if not kept:
        return ()
    best = float(values[kept[0]])
    band = 1e-8 * (1.0 + abs(best))
    has_global = best <= _domain_low(surface) + band
    return tuple(
        Minimum(float(points[i, 0]), float(points[i, 1]), float(values[i]),
                is_global=bool(has_global and values[i] <= best + band))
        for i in kept
    )


def with_minima(surface: Surface, **options) -> Surface:
    """`surface` with `minima` and `f_min` from `find_minima` (f_min: the global minimum's value,
    None when the lowest value on the domain lies on its edge or no minimum was found)."""
    minima = find_minima(surface, **options)
    global_values = [m.value for m in minima if m.is_global]
    return dataclasses.replace(surface, minima=minima, f_min=min(global_values) if global_values else None)
