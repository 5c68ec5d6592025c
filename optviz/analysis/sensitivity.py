r"""Learning-rate sensitivity and fair tuning.

`lr_sensitivity(surface, run, start, steps, seed)` runs `run` at every learning rate of a log
grid over its slider's range (the registry's `HParam` for lr: `low` to `high`) from one start,
in one vectorized `simulate()` call (per-start lr values: each equal to its own run, tested),
and keeps per learning rate the final loss gap, the steps to converge and the outcome: a small
frozen `Sensitivity`. The grid is, by default, the lr slider's own positions (1-1.2-1.5-2-...-9
per decade, 73 values over 1e-5 .. 10), so that a tuned value lands exactly on a slider
position and a link carries a round number; `points=40` asks for 40 log-spaced values instead.

`tune(results, criterion)` picks, per run, the learning rate that is best under a stated
criterion (`CRITERIA` holds each one's sentence); `tuned_runs(runs, results, criterion)` gives
the runs with that learning rate applied ("apply"). A run where no learning rate qualifies
(every one diverged, say) keeps its learning rate, and its `Pick` says why.

The final loss gap is f − f* where the surface knows its minimum value f*, else f itself (an
unbounded surface). It is NaN where the run diverged or escaped: a frozen path's last point is
no result of that learning rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from surfaces import Surface, get_surface

from ..core.engine import CONVERGED, DIVERGED, ESCAPED, OUTCOMES
from ..core.limits import MAX_SENSITIVITY_POINTS
from ..core.runs import Run, simulate_sweep

MAX_POINTS = MAX_SENSITIVITY_POINTS  # learning rates in one sweep (optviz.limits)

FEWEST_STEPS = "fewest_steps"
LOWEST_LOSS = "lowest_loss"
FASTEST_ESCAPE = "fastest_escape"
CRITERIA = {
    FEWEST_STEPS: "fewest steps to converge; ties, and runs that do not converge, by the lowest final loss gap; "
                  "never a learning rate that diverged or escaped",
    LOWEST_LOSS: "lowest final loss gap; ties by fewest steps to converge; never a learning rate that diverged "
                 "or escaped",
    FASTEST_ESCAPE: "fewest steps to leave the plotted domain of a surface unbounded below (the saddle); "
                    "never a learning rate that diverged",
}
"""The tuner's criteria, each stated in one sentence (the UI shows it). Remaining ties, under any
criterion, go to the middle one of the tied learning rates: the farthest from both edges of the
tied range, so the least sensitive to a small change."""

_DIVERGED, _ESCAPED, _CONVERGED = (OUTCOMES.index(o) for o in (DIVERGED, ESCAPED, CONVERGED))


@dataclass(frozen=True, eq=False)
class Sensitivity:
    """One run at every learning rate of `lrs` from one start; arrays (k,), one per lr."""

    surface: str
    run: Run
    start: tuple[float, float]
    steps_run: int
    seed: int
    gap_is_loss: bool  # True where the surface has no f* (the gap is f itself)
    lrs: np.ndarray  # ascending
    final_gap: np.ndarray  # f − f* (or f) at the last step; NaN where diverged or escaped
    converged_at: np.ndarray  # -1 where not converged
    outcome: np.ndarray  # int8 index into engine.OUTCOMES
    stopped_at: np.ndarray  # step it diverged or escaped, -1 otherwise

    @property
    def outcome_names(self) -> np.ndarray:
        return np.array(OUTCOMES, dtype=object)[self.outcome]

    @property
    def diverged(self) -> np.ndarray:
        return self.outcome == _DIVERGED

    @property
    def escaped(self) -> np.ndarray:
        return self.outcome == _ESCAPED


def lr_grid(run: Run, points: int | None = None) -> np.ndarray:
    """The learning rates to try: the lr slider's positions (default) or `points` log-spaced
    values over the slider's range [low, high]."""
    try:
        h = run.spec.hparam("lr")
    except KeyError:
        raise ValueError(f"{run.optimizer} has no learning rate to sweep") from None
    if points is None:
        return np.array(h.grid(), dtype=float)
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or not 2 <= points <= MAX_POINTS:
        raise ValueError(f"a sweep takes 2 to {MAX_POINTS} learning rates, got {points!r}")
    return np.geomspace(h.low, h.high, int(points))


def lr_sensitivity(surface: Surface | str, run: Run, start=None, steps: int = 200, seed: int = 0, *,
                   lrs: Sequence[float] | None = None, points: int | None = None) -> Sensitivity:
    """`run` at every learning rate of `lrs` (default `lr_grid(run, points)`) from `start`
    (default: the surface's), in one `simulate()` call."""
    surf = get_surface(surface)
    values = lr_grid(run, points) if lrs is None else np.asarray(lrs, dtype=float)
    if values.ndim != 1 or not 1 <= len(values) <= MAX_POINTS:
        raise ValueError(f"a sweep takes 1 to {MAX_POINTS} learning rates")
    if not (np.all(np.isfinite(values)) and np.all(values > 0)):
        raise ValueError("learning rates must be finite and > 0")
    values = np.sort(values)
    start = surf.start if start is None else start
    t = simulate_sweep(surf, run, "lr", values, start, steps, seed)
    outcome = np.full(len(values), -1, dtype=np.int8)
    for k, name in enumerate(OUTCOMES):
        outcome[t.outcome == name] = k
    stopped = (outcome == _DIVERGED) | (outcome == _ESCAPED)
    f_star = 0.0 if surf.f_min is None else surf.f_min
    gap = np.where(stopped, np.nan, t.loss[-1] - f_star)
    return Sensitivity(surf.key, run, (float(start[0]), float(start[1])), int(steps), int(seed), surf.f_min is None,
                       values, gap, np.asarray(t.converged_at).copy(), outcome,
                       np.where(t.escaped_at >= 0, t.escaped_at, t.diverged_at))


@dataclass(frozen=True)
class Pick:
    """The tuner's choice for one run: `index` into its `lrs` and the learning rate, or None
    when no learning rate qualifies; `reason` says why in one sentence."""

    run: Run
    criterion: str
    index: int | None
    lr: float | None
    reason: str


def _middle(tied: np.ndarray) -> int:
    return int(tied[(len(tied) - 1) // 2])


def pick(result: Sensitivity, criterion: str = FEWEST_STEPS) -> Pick:
    """The best learning rate of one sweep under `criterion` (see `CRITERIA`)."""
    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}; known: {', '.join(CRITERIA)}")
    n = len(result.lrs)
    run = result.run
    if criterion == FASTEST_ESCAPE:
        if not result.gap_is_loss:
            return Pick(run, criterion, None, None, f"{result.surface} is bounded below: nothing escapes there")
        ok = np.flatnonzero(result.escaped)
        if not len(ok):
            return Pick(run, criterion, None, None, f"none of the {n} learning rates escaped within "
                                                    f"{result.steps_run} steps")
        keys = result.stopped_at[ok]
        tied = ok[keys == keys.min()]
        i = _middle(tied)
        return Pick(run, criterion, i, float(result.lrs[i]),
                    f"escaped at step {int(result.stopped_at[i])}" + _tie_words(tied))
    eligible = np.flatnonzero(~(result.diverged | result.escaped))
    if not len(eligible):
        return Pick(run, criterion, None, None,
                    f"every one of the {n} learning rates {_stop_words(result)} within {result.steps_run} steps")
    gap = result.final_gap[eligible]
    steps = np.where(result.converged_at[eligible] >= 0, result.converged_at[eligible], np.iinfo(np.int64).max)
    # lexsort: the last key is the primary one
    order = np.lexsort((gap, steps)) if criterion == FEWEST_STEPS else np.lexsort((steps, gap))
    best = order[0]
    same = (steps == steps[best]) & (gap == gap[best])
    tied = eligible[same]
    i = _middle(tied)
    final = f"final {'loss f' if result.gap_is_loss else 'gap f − f*'} {result.final_gap[i]:.3g}"
    if result.converged_at[i] >= 0:
        what = f"converged at step {int(result.converged_at[i])}, {final}"
    else:
        what = f"did not converge within {result.steps_run} steps; {final}"
    return Pick(run, criterion, i, float(result.lrs[i]), what + _tie_words(tied))


def _tie_words(tied: np.ndarray) -> str:
    return f" ({len(tied)} learning rates tied; the middle one)" if len(tied) > 1 else ""


def _stop_words(result: Sensitivity) -> str:
    if result.escaped.all():
        return "escaped"
    if result.diverged.all():
        return "diverged"
    return "diverged or escaped"


def tune(results: Sequence[Sensitivity], criterion: str = FEWEST_STEPS) -> tuple[Pick, ...]:
    """Per sweep, the best learning rate under `criterion` (one `Pick` each)."""
    return tuple(pick(r, criterion) for r in results)


def tuned_runs(runs: Sequence[Run], results: Sequence[Sensitivity], criterion: str = FEWEST_STEPS
               ) -> tuple[Run, ...]:
    """`runs` with each one's picked learning rate applied; a run whose sweep found none keeps its
    own. `results[i]` must be the sweep of `runs[i]`."""
    if len(runs) != len(results):
        raise ValueError(f"{len(runs)} runs but {len(results)} sweeps")
    out = []
    for run, result in zip(runs, results, strict=True):
        if result.run != run:
            raise ValueError(f"the sweep of {result.run.display_label} does not belong to {run.display_label}")
        choice = pick(result, criterion)
        out.append(run if choice.lr is None else replace(run, hparams=(*run.hparams, ("lr", choice.lr))))
    return tuple(out)
