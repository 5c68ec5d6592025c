r"""Basin maps: where a run ends up from every start of a grid over the surface's domain.

`basin_map(surface, run, grid=100, steps=200)` runs the run from grid × grid starts (the centres
of grid × grid equal cells covering `surface.domain`, so the heatmap spans exactly the plotted
range) in one vectorized `simulate()` call, and keeps per cell what the engine found for that
start (`Trajectory.outcome`, `converged_at`, `nearest_minimum`, `diverged_at`, `escaped_at`): a
small frozen `BasinResult`. Each cell is exactly what `run.simulate(surface, (x, y), steps, seed)`
gives for its start (tested): a start's noise and mini-batches depend on (seed, start) only.

Which minimum a cell reaches: `nearest_minimum` where the outcome is "converged" or "inside at
the end" (within the tolerance at the last step), -1 otherwise: a start that has not arrived
("not yet"), diverged or escaped reached no minimum, even if it ended nearest to one.

Limits: at most `MAX_GRID` cells a side, and at most `MAX_WORK` start-steps (grid² × steps) in
one map, so that a hand-edited link cannot ask for an hour of work. The engine keeps every
step of every start (about 64 bytes a start-step); a map larger than `CALL_BUDGET` start-steps
runs as a few calls over blocks of rows, each still vectorized, so memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surfaces import Surface, get_surface

from ..core.engine import CONVERGED, CYCLES, DIVERGED, ESCAPED, INSIDE_AT_THE_END, NOT_YET, OUTCOMES
from ..core.limits import MAX_BASIN_GRID, MAX_BASIN_WORK, MAX_PATH_POINTS
from ..core.runs import Run

# The limits are optviz.limits' (listed there with every other limit, and in docs/deploying.md).
MAX_GRID = MAX_BASIN_GRID
DEFAULT_GRID = 100
MAX_WORK = MAX_BASIN_WORK  # start-steps in one map
CALL_BUDGET = MAX_PATH_POINTS  # starts × (steps + 1) in one simulate() call

REACHED = (OUTCOMES.index(CONVERGED), OUTCOMES.index(INSIDE_AT_THE_END))


@dataclass(frozen=True, eq=False)
class BasinResult:
    """One run's basin map. Cell (j, i) is the start (xs[i], ys[j]); arrays are (ny, nx), row j
    along y (a heatmap's z layout).

    - `minimum`: index into `surface.minima` of the minimum the start reached (outcome
      "converged" or "inside at the end"), -1 if it reached none;
    - `steps`: `converged_at` (the step from which it stayed within the tolerance), -1 if not
      converged;
    - `outcome`: index into `engine.OUTCOMES` (`outcome_names` gives the words);
    - `stopped_at`: the step it diverged (was frozen) or escaped (left the plotted domain of an
      unbounded surface), -1 otherwise;
    - `nearest` and `distance`: the minimum nearest to the last point and the distance to it
      (-1 and NaN where it diverged or escaped, or the surface lists no minimum): what a "not
      yet" cell, a noisy run's above all, was heading for.
    """

    surface: str
    run: Run
    steps_run: int  # the number of steps each start ran
    seed: int
    tol: float
    xs: np.ndarray  # (nx,) cell centres
    ys: np.ndarray  # (ny,)
    minimum: np.ndarray  # (ny, nx) int
    steps: np.ndarray  # (ny, nx) int
    outcome: np.ndarray  # (ny, nx) int8
    stopped_at: np.ndarray  # (ny, nx) int
    nearest: np.ndarray  # (ny, nx) int
    distance: np.ndarray  # (ny, nx) float

    @property
    def shape(self) -> tuple[int, int]:
        return self.minimum.shape

    @property
    def outcome_names(self) -> np.ndarray:
        """(ny, nx) object array of `engine.OUTCOMES` words."""
        return np.array(OUTCOMES, dtype=object)[self.outcome]

    def start(self, j: int, i: int) -> tuple[float, float]:
        return float(self.xs[i]), float(self.ys[j])

    def cell(self, x: float, y: float) -> tuple[int, int]:
        """(j, i) of the cell holding the point (x, y) (the nearest cell for a point outside)."""
        return int(np.abs(self.ys - y).argmin()), int(np.abs(self.xs - x).argmin())

    def shares(self) -> dict[str, float]:
        """Fraction of the starts per minimum ("minimum 0", ...) and per outcome that reached no
        minimum ("not yet", "cycles", "diverged", "escaped"); the fractions sum to 1."""
        n = self.minimum.size
        out = {f"minimum {k}": float(np.sum(self.minimum == k)) / n for k in range(int(self.minimum.max()) + 1)}
        for name in (NOT_YET, CYCLES, DIVERGED, ESCAPED):
            count = np.sum((self.minimum < 0) & (self.outcome == OUTCOMES.index(name)))
            if count:
                out[name] = float(count) / n
        return out


def grid_starts(surface: Surface | str, grid: int | tuple[int, int] = DEFAULT_GRID
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, starts): the centres of grid × grid equal cells over the domain, and the (ny·nx, 2)
    starts in row order (all xs of ys[0] first), the order `BasinResult`'s arrays are reshaped in."""
    surf = get_surface(surface)
    nx, ny = (grid, grid) if np.ndim(grid) == 0 else grid
    for n in (nx, ny):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= MAX_GRID:
            raise ValueError(f"a basin map's grid has 2 to {MAX_GRID} cells a side, got {n!r}")
    (x0, x1), (y0, y1) = surf.domain
    xs = x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx
    ys = y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)


def basin_map(surface: Surface | str, run: Run | str, grid: int | tuple[int, int] = DEFAULT_GRID,
              steps: int = 200, seed: int = 0, *, tol: float | None = None) -> BasinResult:
    """`run` (a `Run`, or a registry key for its defaults) from every cell of a grid × grid map
    over the domain, `steps` steps each; see the module docstring."""
    surf = get_surface(surface)
    if isinstance(run, str):
        run = Run(run)
    if not isinstance(run, Run):
        raise ValueError(f"a basin map needs a Run or an optimizer key, got {run!r}")
    xs, ys, starts = grid_starts(surf, grid)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    work = len(starts) * int(steps)
    if work > MAX_WORK:
        raise ValueError(f"a basin map of {len(xs)} × {len(ys)} starts and {steps} steps is {work:,} start-steps; "
                         f"the limit is {MAX_WORK:,}: use a coarser grid or fewer steps")
    n = len(starts)
    minimum = np.empty(n, dtype=np.intp)
    converged_at = np.empty(n, dtype=np.intp)
    outcome = np.empty(n, dtype=np.int8)
    stopped_at = np.empty(n, dtype=np.intp)
    nearest = np.empty(n, dtype=np.intp)
    distance = np.full(n, np.nan)
    block = max(1, CALL_BUDGET // (int(steps) + 1))
    used_tol = None
    for a in range(0, n, block):  # one call unless the map exceeds CALL_BUDGET
        t = run.simulate(surf, starts[a : a + block], steps, seed, tol=tol)
        b = a + len(t.outcome)
        outcome[a:b] = _codes(t.outcome)
        reached = np.isin(outcome[a:b], REACHED)
        minimum[a:b] = np.where(reached, t.nearest_minimum, -1)
        converged_at[a:b] = t.converged_at
        stopped_at[a:b] = np.where(t.escaped_at >= 0, t.escaped_at, t.diverged_at)
        nearest[a:b] = t.nearest_minimum
        if t.distance is not None:
            distance[a:b] = np.where(t.nearest_minimum >= 0, t.distance[-1], np.nan)
        used_tol = t.tol
    shape = (len(ys), len(xs))
    return BasinResult(surf.key, run, int(steps), int(seed), float(used_tol), xs, ys, minimum.reshape(shape),
                       converged_at.reshape(shape), outcome.reshape(shape), stopped_at.reshape(shape),
                       nearest.reshape(shape), distance.reshape(shape))


def _codes(outcome: np.ndarray) -> np.ndarray:
    """Outcome words -> indices into OUTCOMES."""
    out = np.full(np.shape(outcome), -1, dtype=np.int8)
    for k, name in enumerate(OUTCOMES):
        out[outcome == name] = k
    if (out < 0).any():
        raise RuntimeError("the engine returned an outcome outside OUTCOMES")
    return out
