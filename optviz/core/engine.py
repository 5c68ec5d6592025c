"""`simulate()`: run one optimizer from one or many starts on a surface, all starts at once."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from surfaces import Surface, get_surface

from .limits import MAX_STARTS as MAX_STARTS
from .limits import MAX_STEPS as MAX_STEPS
from .optimizers import Optimizer, already_checked, scheduled_values
from .registry import OptimizerSpec, get_spec
from .schedules import Schedule

MIN_STAY_STEPS = 10
MIN_STAY_FRACTION = 0.1

CONVERGENCE_RULE = (
    "A run has converged at step k when it stays within the tolerance (by default 10⁻³ × the domain's larger side) "
    "of a minimum at every step from k to the last one, and that for at least 10 % of the run's steps "
    "(at least 10 steps)."
)
"""The convergence rule, stated once (one sentence): `min_stay` and `_finish` apply it, the results
table's help (`optviz.results.RESULTS_HELP`) and docs/math.md quote it."""

CONVERGED = "converged"
INSIDE_AT_THE_END = "inside at the end"
NOT_YET = "not yet"
DIVERGED = "diverged"
ESCAPED = "escaped"
CYCLES = "cycles"
OUTCOMES = (CONVERGED, INSIDE_AT_THE_END, NOT_YET, DIVERGED, ESCAPED, CYCLES)
"""`Trajectory.outcome`, one per start:

- "converged": `CONVERGENCE_RULE` holds (from `converged_at`);
- "inside at the end": within the tolerance at the last step, but not for `min_stay` steps;
- "not yet": outside the tolerance at the last step (or the surface lists no minimum);
- "diverged": the path blew up (not finite, or beyond the escape radius) on a surface that is
  bounded below, or overflowed inside the domain;
- "escaped": on a surface unbounded below (`f_min is None`), the path left the closed box
  `surface.domain` (the plotted range); this wins over "diverged" when the path later also
  reaches the escape radius and is frozen there;
- "cycles": outside the tolerance at the last step and `CYCLE_RULE` holds: the run bounces for
  ever rather than arriving (GD at η = 2/L on the ravine jumps between y = ±2).
"""

CYCLE_QUARTERS = 4
CYCLE_MIN_STEPS = 5
CYCLE_STEADY = 0.99
CYCLE_BACK_AND_FORTH = 0.25
CYCLE_RULE = (
    'A run without noise or mini-batches that is outside the tolerance at the end "cycles" when it moves back '
    "and forth without settling: in the last quarter of its steps (at least 5 steps) the steps are as long "
    "in total as in the quarter before, within 1 %, and the quarter's first and last points lie less than "
    "a quarter of that length apart."
)
"""When a run cycles, stated once: `_cycles` applies it, the results table's help quotes it. Step
lengths and the distance travelled are compared with each other, so the rule holds at any scale;
a slow arrival moves one way (its first and last points are far apart), a shrinking zig-zag takes
shorter steps, a growing one longer steps. Noise and mini-batches keep a run moving without a
cycle, so their runs stay "not yet"."""


def min_stay(steps: int) -> int:
    """How many steps a run must stay within the tolerance to count as converged:
    max(10, ceil(10 % of the steps))."""
    return max(MIN_STAY_STEPS, math.ceil(MIN_STAY_FRACTION * steps))


@dataclass(frozen=True, eq=False)
class Trajectory:
    """What `simulate()` returns. Shapes: T = steps + 1, n = number of starts; for a single start
    (x, y) the n axis is dropped (`path` is (T, 2), `diverged` a 0-d bool array).

    Every array is finite: a path that left `surface.escape_radius` or overflowed stays at its
    last good point from `diverged_at` on. So `diverged`/`diverged_at` mean "frozen from this
    step": that is a divergence on a surface bounded below, but on an unbounded surface it
    happens only after an escape, and `outcome` then says "escaped" (see `OUTCOMES`). The
    frozen tail is not computed data: plots and exports stop at `diverged_at`.

    Convergence follows `CONVERGENCE_RULE` (with `min_stay` steps).
    """

    surface: str
    optimizer: str
    hparams: dict
    seed: int
    noise: float
    batch_size: int | None
    tol: float
    path: np.ndarray  # (T, n, 2): path[0] is the start
    loss: np.ndarray  # (T, n): full-batch loss along the path
    grad_norm: np.ndarray  # (T, n): norm of the full-batch gradient along the path
    distance: np.ndarray | None  # (T, n): distance to the nearest known minimum; None if none known
    nearest_minimum: np.ndarray  # (n,): index of the nearest minimum at the end; -1 if none is known or
    #   the run diverged or escaped (a frozen point is near nothing it reached)
    diverged: np.ndarray  # (n,) bool: diverged_at >= 0 (frozen; see the docstring for escapes)
    diverged_at: np.ndarray  # (n,) int: first step that was not finite / beyond the bound, -1 if never;
    #   the path is frozen from it
    converged: np.ndarray  # (n,) bool: outcome == "converged"
    converged_at: np.ndarray  # (n,) int: the step k of CONVERGENCE_RULE, -1 if not converged
    # Fields added for the outcome (defaults keep Trajectory constructible as before):
    outcome: str | np.ndarray = ""  # per start, one of OUTCOMES: a str for a single start, else an
    #   (n,) object array of str ("" only in a Trajectory built by hand)
    escaped_at: np.ndarray | int = -1  # (n,) int: first step outside surface.domain on an unbounded
    #   surface (f_min is None), -1 if it never left, if the surface is bounded, or if it diverged first
    inside_since: np.ndarray | int = -1  # (n,) int: first step of the final stretch within tol of a
    #   minimum (the last step included), -1 if outside at the end or diverged
    min_stay: int = MIN_STAY_STEPS  # the steps within tol that convergence needs: min_stay(steps)
    # Added for runs (defaults keep Trajectory constructible as before):
    schedules: tuple = ()  # ((hyperparameter, Schedule), ...) sorted by name
    samples_per_step: int | None = None  # data surfaces: batch size (n_samples for the full batch)
    steps_per_epoch: int | None = None  # data surfaces: n_samples // batch size (1 for the full batch)
    record: StepRecord | None = None  # simulate(..., record_state=True): what each step used

    @property
    def steps(self) -> int:
        return self.path.shape[0] - 1

    @property
    def samples_seen(self) -> np.ndarray | None:
        """(T,) on a data surface: the samples whose gradients were taken before step t's point,
        t × batch size (t × n_samples for the full batch); None on an analytic surface."""
        if self.samples_per_step is None:
            return None
        return np.arange(self.steps + 1) * self.samples_per_step

    @property
    def epochs(self) -> np.ndarray | None:
        """(T,) on a data surface: t / (n_samples // batch size), the passes through the shuffled
        data made by step t. With drop_last the n_samples % batch size rows left at the end of
        each shuffle are not used, so one epoch is (n_samples // b) × b samples, a little fewer
        than n_samples when b does not divide it. None on an analytic surface."""
        if self.steps_per_epoch is None:
            return None
        return np.arange(self.steps + 1) / self.steps_per_epoch

    @property
    def final_loss(self):
        return self.loss[-1]

    @property
    def final_distance(self):
        return None if self.distance is None else self.distance[-1]

    def summary(self) -> dict:
        """For a single-start trajectory: the outcome (one of `OUTCOMES`), the final loss and
        distance to the nearest minimum (of the last computed point: a frozen path's last good
        one), the step it converged at, escaped at (left the plotted domain of an unbounded
        surface) and was frozen at (`diverged_at`), and the index into `surface.minima` of the
        minimum it ended nearest to (None when it diverged or escaped, or none is known).
        None means never."""
        if np.ndim(self.diverged) != 0:
            raise ValueError("summary() takes a single-start trajectory")
        nearest = int(self.nearest_minimum)
        return {
            "optimizer": self.optimizer,
            "outcome": str(self.outcome),
            "final_loss": float(self.final_loss),
            "distance_to_minimum": None if self.distance is None else float(self.final_distance),
            "converged_at": int(self.converged_at) if self.converged else None,
            "diverged_at": int(self.diverged_at) if self.diverged else None,
            "escaped_at": int(self.escaped_at) if self.escaped_at >= 0 else None,
            "nearest_minimum": nearest if nearest >= 0 else None,
        }


class StepRecord(NamedTuple):
    """What `simulate(..., record_state=True)` keeps of every step t = 0 .. steps - 1, the update
    that goes from path[t] to path[t + 1]. Shapes (steps, n, 2), the n axis dropped for a single
    start as in `Trajectory`. Recorded as computed, before a diverged path is frozen."""

    eval_points: np.ndarray  # where the gradient was taken (Nesterov: the look-ahead point)
    grads: np.ndarray  # the gradient the update received (mini-batch and noise included)
    updates: np.ndarray  # the update taken, `delta` of the optimizer: path[t + 1] - path[t]
    states: tuple | None  # the optimizer's state NamedTuple after step t, each array field stacked
    #   along a leading steps axis (ints such as Adam's count: (steps,)); None if no step was taken
    #   or the state is not a NamedTuple
    hparams: dict  # name -> the value step t used: (steps,) or, per start, (steps, n)


def _as_starts(start) -> tuple[np.ndarray, bool]:
    try:
        starts = np.array(start, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"start must be a point (x, y) or an array of points, got {start!r}") from None
    single = starts.shape == (2,)
    starts = np.atleast_2d(starts)
    if starts.ndim != 2 or starts.shape[1] != 2 or starts.shape[0] == 0:
        raise ValueError(f"start must have shape (2,) or (n, 2), got {np.shape(start)}")
    if starts.shape[0] > MAX_STARTS:
        raise ValueError(f"at most {MAX_STARTS} starts, got {starts.shape[0]}")
    if not np.all(np.isfinite(starts)):
        raise ValueError("start contains NaN or infinite values")
    return starts, single


class _Hyper(NamedTuple):
    """The optimizer as the loops use it: `optim` for step 0 (and for every step when nothing is
    scheduled), `at(t)` building step t's optimizer when something is."""

    optim: Optimizer
    key: str
    values: dict  # name -> float, or (k,) per-start values
    per_start: int | None  # k, the length of the per-start values, if any
    at: Callable[[int], Optimizer] | None
    schedules: tuple
    scheduled: dict  # name -> (steps,) or (steps, k) values


def _hparam_value(name: str, value):
    """A float, or a 1-d float array of per-start values."""
    if isinstance(value, float):
        return value
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        arr = np.array(value, dtype=float)  # a copy: the Trajectory keeps it
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers (one per start), got {value!r}") from None
    if arr.ndim == 0:
        return float(arr)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a number or a 1-d array of per-start values, got shape {arr.shape}")
    if arr.size > MAX_STARTS:
        raise ValueError(f"at most {MAX_STARTS} per-start values of {name}, got {arr.size}")
    return arr


def _column(value):
    """Per-start values (k,) as (k, 1), to broadcast against (k, 2) parameters."""
    return value[:, None] if isinstance(value, np.ndarray) else value


def _resolve_optimizer(optimizer, hparams: dict, schedules, steps: int) -> _Hyper:
    schedules = dict(schedules or {})
    if isinstance(optimizer, Optimizer):
        if hparams or schedules:
            raise ValueError("hyperparameters and schedules go to the optimizer's factory, not to "
                             "simulate(), when an Optimizer object is given")
        return _Hyper(optimizer, "custom", {}, None, None, (), {})
    if not isinstance(optimizer, (str, OptimizerSpec)):
        raise ValueError(f"optimizer must be a registry key, an OptimizerSpec or an Optimizer, got {optimizer!r}")
    spec = get_spec(optimizer)
    names = set(spec.defaults)
    unknown = set(hparams) - names
    if unknown:
        raise ValueError(
            f"{spec.key} takes {', '.join(spec.defaults)}; unknown hyperparameter(s): {', '.join(sorted(unknown))}"
        )
    values = {**spec.defaults, **{k: _hparam_value(k, v) for k, v in hparams.items()}}
    lengths = {k: v.size for k, v in values.items() if isinstance(v, np.ndarray)}
    if len(set(lengths.values())) > 1:
        raise ValueError("per-start hyperparameter arrays must have one length, got "
                         + ", ".join(f"{k}: {n}" for k, n in sorted(lengths.items())))
    per_start = next(iter(lengths.values()), None)
    if per_start == 1:  # one value for one start: a float (keeps the single-start fast path)
        values = {k: float(v[0]) if isinstance(v, np.ndarray) else v for k, v in values.items()}
        per_start = None
    base = {k: _column(v) for k, v in values.items()}
    optim = spec.factory(**base)  # validates every value, naming a bad one

    for name, schedule in schedules.items():
        if name not in names:
            raise ValueError(
                f"{spec.key} has no hyperparameter {name!r} to schedule; it takes {', '.join(spec.defaults)}"
            )
        if not isinstance(schedule, Schedule):
            raise ValueError(f"the schedule for {name} must be a Schedule (optviz.schedules), got {schedule!r}")
    scheduled = {name: sched.values(steps, values[name]) for name, sched in schedules.items()}
    scalars = {k: float(np.ravel(v)[0]) for k, v in values.items()}  # valid: checked above
    for name, vals in scheduled.items():
        try:
            with scheduled_values():
                spec.factory(**{**scalars, name: vals.ravel()})
        except ValueError as err:
            raise ValueError(f"the {schedules[name].name} schedule for {name} gives an invalid value: {err}") from None

    at = None
    if scheduled:
        # Python floats for one start (scalar arithmetic on the fast path), (k, 1) columns per start.
        per_step = {name: (vals.tolist() if vals.ndim == 1 else vals[..., None]) for name, vals in scheduled.items()}
        factory = spec.factory

        def at(t: int) -> Optimizer:  # called inside already_checked(): every value was checked above
            return factory(**{**base, **{name: vals[t] for name, vals in per_step.items()}})

    return _Hyper(optim, spec.key, values, per_start, at, tuple(sorted(schedules.items())), scheduled)


EXTRA_INPUTS: dict[str, Callable[[Surface, np.ndarray], np.ndarray]] = {
    "hessian": lambda surf, points: surf.hessian(points),  # (n, 2, 2)
    "loss": lambda surf, points: surf.f(points),  # (n,)
}
"""What an optimizer may ask for besides the gradient (`Optimizer.inputs`), by name: each is the
surface's exact (full-batch) value at the point where the gradient is taken, passed to `update`
as a keyword argument. Mini-batches and noise change the gradient only."""


def _check_inputs(surf: Surface, optim: Optimizer, key: str) -> None:
    for name in optim.inputs:
        if name not in EXTRA_INPUTS:
            raise ValueError(f"{key} asks for {name!r}, which the engine cannot give; it gives "
                             f"{', '.join(EXTRA_INPUTS)}")
        if name == "hessian" and surf.hessian is None:
            raise ValueError(f"{key} needs the surface's Hessian, and {surf.key} does not give one")


def _start_generators(seed: int, starts: np.ndarray) -> list[tuple[np.random.Generator, np.random.Generator]]:
    """Per start, a generator for its mini-batches and one for its gradient noise.

    A start's streams depend on (seed, its coordinates) only, so its path is the same whichever
    other starts run beside it, and optimizers compared from one start see the same batches."""
    bits = np.ascontiguousarray(starts).view(np.uint64)
    out = []
    for bx, by in bits:
        batches, noise = np.random.SeedSequence([seed, int(bx), int(by)]).spawn(2)
        out.append((np.random.default_rng(batches), np.random.default_rng(noise)))
    return out


class _EpochSampler:
    """Mini-batches as a shuffling DataLoader draws them (shuffle=True, drop_last=True):
    each start reshuffles the rows every epoch and walks through them batch by batch."""

    def __init__(self, generators, n_samples: int, batch_size: int):
        self.generators = generators
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.per_epoch = n_samples // batch_size
        self.perms = None

    def batch(self, t: int) -> np.ndarray:
        pos = t % self.per_epoch
        if pos == 0:
            self.perms = np.stack([g.permutation(self.n_samples) for g in self.generators])
        return self.perms[:, pos * self.batch_size : (pos + 1) * self.batch_size]


class _NoiseDraws:
    """N(0, noise²) per start and step, drawn a block of steps at a time from each start's stream."""

    block = 256

    def __init__(self, generators, steps: int, noise: float):
        self.generators, self.steps, self.noise = generators, steps, noise
        self.draws = None

    def at(self, t: int) -> np.ndarray:
        """(n, 2) noise for step t."""
        if t % self.block == 0:
            size = min(self.block, self.steps - t)
            self.draws = self.noise * np.stack([g.standard_normal((size, 2)) for g in self.generators], axis=1)
        return self.draws[t % self.block]


def _run_one(surf: Surface, hyper: _Hyper, path: np.ndarray, steps: int, noise: _NoiseDraws | None) -> None:
    """One start, coordinate by coordinate on numpy scalars: an elementwise optimizer gives the
    same numbers as on arrays, and scalar arithmetic costs a fraction of length-2 array ops."""
    grad, optim, at = surf.grad, hyper.optim, hyper.at
    eval_point, update = optim.eval_point, optim.update
    px, py = path[0, 0]
    if at is not None and steps:  # init with step 0's values (Rprop's step sizes: torch's first lr)
        optim = at(0)
    sx, sy = optim.init(px), optim.init(py)
    xs, ys = [], []
    for t in range(steps):
        if at is not None:  # a schedule: this step's hyperparameters
            optim = at(t)
            eval_point, update = optim.eval_point, optim.update
        if eval_point is None:
            g = grad(np.array((px, py)))
        else:
            g = grad(np.array((eval_point(px, sx), eval_point(py, sy))))
        gx, gy = g[0], g[1]
        if noise is not None:
            nx, ny = noise.at(t)[0]
            gx, gy = gx + nx, gy + ny
        dx, sx = update(gx, sx, px)
        dy, sy = update(gy, sy, py)
        px, py = px + dx, py + dy
        xs.append(px)
        ys.append(py)
    if steps:
        path[1:, 0, 0] = xs
        path[1:, 0, 1] = ys


class _Recorder:
    """Collects each step's evaluation point, gradient, update and state for `StepRecord`."""

    def __init__(self):
        self.points, self.grads, self.updates, self.states = [], [], [], []

    def add(self, at, g, delta, state):
        self.points.append(np.array(at, dtype=float))  # copies: the path is frozen in place later
        self.grads.append(np.array(g, dtype=float))
        self.updates.append(np.array(delta, dtype=float))
        self.states.append(state)

    def record(self, hyper: _Hyper, steps: int, n: int, single: bool) -> StepRecord:
        def stack(items, shape):
            return np.stack(items) if items else np.empty(shape)

        def along(a):
            return a[:, 0] if single and a.ndim >= 2 and a.shape[1] == 1 else a

        states = None
        if self.states and _is_namedtuple(self.states[0]):
            fields = []
            for i in range(len(self.states[0])):
                column = [s[i] for s in self.states]
                if column[0] is None:
                    fields.append(None)
                else:
                    fields.append(along(np.stack([np.broadcast_to(np.asarray(c, dtype=float), np.shape(column[0]))
                                                  for c in column])))
            states = type(self.states[0])(*fields)
        hparams = {}
        for name, value in hyper.values.items():
            if name in hyper.scheduled:
                vals = hyper.scheduled[name]
            else:
                vals = np.broadcast_to(np.asarray(value, dtype=float), (steps, *np.shape(value))).copy()
            hparams[name] = vals[:, 0] if single and vals.ndim == 2 else vals
        return StepRecord(
            eval_points=along(stack(self.points, (0, n, 2))),
            grads=along(stack(self.grads, (0, n, 2))),
            updates=along(stack(self.updates, (0, n, 2))),
            states=states,
            hparams=hparams,
        )


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _run_many(surf: Surface, hyper: _Hyper, path: np.ndarray, steps: int, noise: _NoiseDraws | None,
              sampler: _EpochSampler | None, recorder: _Recorder | None = None
              ) -> tuple[np.ndarray, np.ndarray] | None:
    """All starts at once on (n, 2) arrays. When the gradients it takes are the exact ones at the
    path points (no look-ahead, noise or mini-batch), returns them and the losses there (all but
    the last point's), to spare computing them again."""
    grad, minibatch_grad, optim, at_step = surf.grad, surf.minibatch_grad, hyper.optim, hyper.at
    eval_point, update, inputs = optim.eval_point, optim.update, optim.inputs
    exact = eval_point is None and noise is None and sampler is None
    grads = np.empty_like(path) if exact else None
    losses = np.empty(path.shape[:2]) if exact and surf.value_and_grad else None
    params = path[0]
    if at_step is not None and steps:  # init with step 0's values (Rprop's step sizes: torch's first lr)
        optim = at_step(0)
    state = optim.init(params)
    for t in range(steps):
        if at_step is not None:  # a schedule: this step's hyperparameters
            optim = at_step(t)
            eval_point, update, inputs = optim.eval_point, optim.update, optim.inputs
        at = params if eval_point is None else eval_point(params, state)
        if losses is not None:
            losses[t], g = surf.value_and_grad(at)
        else:
            g = grad(at) if sampler is None else minibatch_grad(at, sampler.batch(t))
        if exact:
            grads[t] = g
        if noise is not None:
            g = g + noise.at(t)
        if inputs:
            delta, state = update(g, state, params, **{name: EXTRA_INPUTS[name](surf, at) for name in inputs})
        else:
            delta, state = update(g, state, params)
        if recorder is not None:
            recorder.add(at, g, delta, state)
        params = np.add(params, delta, out=path[t + 1])  # written straight into the path
    return None if grads is None else (grads, losses)


def simulate(
    surface: str | Surface,
    optimizer: str | OptimizerSpec | Optimizer,
    start=None,
    steps: int = 200,
    *,
    seed: int = 0,
    noise: float = 0.0,
    batch_size: int | None = None,
    tol: float | None = None,
    schedules: Mapping[str, Schedule] | None = None,
    record_state: bool = False,
    **hparams,
) -> Trajectory:
    """Run `optimizer` for `steps` steps from `start` (a point or an (n, 2) array; default: the
    surface's start) on `surface` (a key or a Surface); hyperparameters by name (`lr=...`).

    A hyperparameter may be an array of per-start values (`lr=np.geomspace(1e-3, 1, 40)`): start
    i runs with value i, in the same vectorized loop, exactly as its own simulate() call would.
    With a single start and k values the start is repeated k times (a sweep from one point).
    `schedules` maps hyperparameter names to `optviz.schedules` objects (`{"lr": StepDecay(30, 0.5),
    "momentum": Ramp(0.5, 100)}`): step t's update uses the schedule's value t, computed from the
    run's own value (or per-start values) of that hyperparameter.

    `noise` adds N(0, noise²) to each gradient component; `batch_size` (data surfaces only)
    draws mini-batches instead of the full batch. Both are driven by `seed`: the same
    arguments always give the same path, and a start's path does not depend on the others,
    nor on the optimizer: every run from one start with one seed sees the same batches and the
    same standard-normal draws (scaled by its noise), so a comparison isolates its settings.
    `tol` (default 1e-3 of the domain's larger side) is the distance to a minimum that counts
    as converged. `record_state=True` keeps every step's gradient, update and optimizer state in
    `Trajectory.record` (a `StepRecord`); the path is the same with or without it.
    """
    surf = get_surface(surface)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an integer in [0, {MAX_STEPS}], got {steps!r}")
    steps = int(steps)
    if schedules is not None and not isinstance(schedules, Mapping):
        raise ValueError(f"schedules must map hyperparameter names to schedules, got {schedules!r}")
    hyper = _resolve_optimizer(optimizer, hparams, schedules, steps)
    _check_inputs(surf, hyper.optim, hyper.key)
    starts, single = _as_starts(surf.start if start is None else start)
    if hyper.per_start is not None:
        if starts.shape[0] == 1:
            starts = np.repeat(starts, hyper.per_start, axis=0)
        elif starts.shape[0] != hyper.per_start:
            raise ValueError(f"{hyper.per_start} per-start hyperparameter values for {starts.shape[0]} starts")
        single = False
    if np.any(np.abs(starts - surf.center) > surf.escape_radius):
        raise ValueError(f"start lies far outside the domain of {surf.key}: {surf.domain}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    noise = float(noise)
    if not (np.isfinite(noise) and noise >= 0.0):
        raise ValueError(f"noise must be a finite standard deviation >= 0, got {noise}")
    if batch_size is not None:
        if not surf.has_data:
            raise ValueError(f"batch_size applies to data surfaces only; {surf.key} has no data")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not (
            1 <= batch_size <= surf.n_samples
        ):
            raise ValueError(f"batch_size must be an integer in [1, {surf.n_samples}], got {batch_size!r}")
        batch_size = int(batch_size)
        if batch_size == surf.n_samples:
            batch_size = None  # the full batch: the exact gradient
    tol = 1e-3 * surf.extent if tol is None else float(tol)
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be > 0, got {tol}")

    n = starts.shape[0]
    path = np.empty((steps + 1, n, 2))
    path[0] = starts
    generators = _start_generators(seed, starts) if (noise or batch_size) and steps else []
    sampler = _EpochSampler([g[0] for g in generators], surf.n_samples, batch_size) if batch_size else None
    noise_draws = _NoiseDraws([g[1] for g in generators], steps, noise) if noise else None
    with np.errstate(all="ignore"), already_checked():
        # Divergence is found after the loop: every operation is per start, so a start that
        # blew up cannot affect another, and the hot loops stay free of checks.
        recorder = _Recorder() if record_state else None
        if single and sampler is None and recorder is None and hyper.optim.elementwise and not hyper.optim.inputs:
            kept = None
            _run_one(surf, hyper, path, steps, noise_draws)
        else:
            kept = _run_many(surf, hyper, path, steps, noise_draws, sampler, recorder)
        end = _finish(surf, path, tol, kept, stochastic=bool(noise) or batch_size is not None)

    def along(a):  # (T, n, ...) -> (T, ...) for a single start
        return a[:, 0] if single else a

    def per_start(a):  # (n,) -> 0-d for a single start
        return a[0] if single else a

    if not surf.has_data:
        samples_per_step = steps_per_epoch = None
    elif batch_size is None:
        samples_per_step, steps_per_epoch = surf.n_samples, 1
    else:
        samples_per_step, steps_per_epoch = batch_size, surf.n_samples // batch_size

    return Trajectory(
        surface=surf.key,
        optimizer=hyper.key,
        hparams=hyper.values,
        seed=int(seed),
        noise=noise,
        batch_size=batch_size,
        tol=tol,
        path=along(path),
        loss=along(end.loss),
        grad_norm=along(end.grad_norm),
        distance=None if end.distance is None else along(end.distance),
        nearest_minimum=per_start(end.nearest),
        diverged=per_start(end.diverged_at >= 0),
        diverged_at=per_start(end.diverged_at),
        converged=per_start(end.converged_at >= 0),
        converged_at=per_start(end.converged_at),
        outcome=str(end.outcome[0]) if single else end.outcome,
        escaped_at=per_start(end.escaped_at),
        inside_since=per_start(end.inside_since),
        min_stay=min_stay(steps),
        schedules=hyper.schedules,
        samples_per_step=samples_per_step,
        steps_per_epoch=steps_per_epoch,
        record=None if recorder is None else recorder.record(hyper, steps, n, single),
    )


def _first_true(mask: np.ndarray) -> np.ndarray:
    """Index of the first True along axis 0, -1 where there is none."""
    return np.where(mask.any(axis=0), mask.argmax(axis=0), -1)


def _freeze_after(path: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Hold each path at its last good point from its first bad step on; return that step."""
    first = _first_true(bad)
    _freeze(path, first)
    return first


def _norm(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sqrt(x² + y²): np.hypot is many times slower; it is kept only where the squares overflow."""
    r = np.sqrt(x * x + y * y)
    if np.isinf(r).any():
        r = np.where(np.isinf(r), np.hypot(x, y), r)
    return r


def _blocks(steps: int, n: int):
    """Slices of whole steps holding about 64k points: temporaries that stay in cache."""
    rows = max(1, 65_536 // n)
    return [slice(a, min(a + rows, steps)) for a in range(0, steps, rows)]


def _diverged_at(surf: Surface, path: np.ndarray) -> np.ndarray:
    """Per start, the first step that is not finite or lies beyond the escape radius (-1: none)."""
    (cx, cy), radius = surf.center, surf.escape_radius
    # Two reductions find the starts that ever left (NaN propagates through min and max);
    # only those are scanned step by step.
    low, high = path.min(axis=0), path.max(axis=0)
    ok = (low[:, 0] >= cx - radius) & (high[:, 0] <= cx + radius) & (low[:, 1] >= cy - radius) & (
        high[:, 1] <= cy + radius
    )
    first = np.full(path.shape[1], -1)
    for j in np.flatnonzero(~ok):
        x, y = path[:, j, 0], path[:, j, 1]
        # NaN compares False, so this one test catches NaN, inf and escapes alike.
        bad = ~((np.abs(x - cx) <= radius) & (np.abs(y - cy) <= radius))
        first[j] = int(bad.argmax())
    return first


def _freeze(path: np.ndarray, first: np.ndarray) -> None:
    """Hold each path at its last good point from its first bad step on."""
    for j in np.flatnonzero(first > 0):
        path[first[j] :, j] = path[first[j] - 1, j]


def _loss_and_grad_norm(surf: Surface, path: np.ndarray, kept: tuple | None):
    """Loss and gradient norm along the path. `kept` holds the loop's exact gradients and, where
    the surface gives them together, its losses, for every point but the last."""
    steps, n = path.shape[:2]
    grads, losses = kept if kept is not None else (None, None)
    if grads is not None:
        grads[-1] = surf.grad(path[-1])
    loss = losses if losses is not None else np.empty((steps, n))
    if losses is not None:
        loss[-1] = surf.f(path[-1])
    grad_norm = np.empty((steps, n))
    for rows in _blocks(steps, n):
        if losses is None:
            loss[rows] = surf.f(path[rows])
        g = surf.grad(path[rows]) if grads is None else grads[rows]
        grad_norm[rows] = _norm(g[..., 0], g[..., 1])
    return loss, grad_norm


class _Ending(NamedTuple):
    """What `_finish` finds, per start (n,) or along the path (T, n)."""

    loss: np.ndarray
    grad_norm: np.ndarray
    distance: np.ndarray | None
    nearest: np.ndarray
    diverged_at: np.ndarray
    escaped_at: np.ndarray
    inside_since: np.ndarray
    converged_at: np.ndarray
    outcome: np.ndarray


def _escaped_at(surf: Surface, path: np.ndarray) -> np.ndarray:
    """Per start, the first step outside the closed box `surf.domain` (±inf counts as outside,
    NaN does not), on a surface unbounded below; -1 if it never leaves or the surface is bounded.
    Run on the path before it is frozen, so a path that jumps from inside the box straight to
    beyond the escape radius still escapes at that step."""
    first = np.full(path.shape[1], -1)
    if surf.f_min is not None:
        return first
    (x0, x1), (y0, y1) = surf.domain
    for rows in _blocks(*path.shape[:2]):
        x, y = path[rows, :, 0], path[rows, :, 1]
        # NaN compares False: a path that turns NaN inside the box has diverged, not escaped.
        outside = (x < x0) | (x > x1) | (y < y0) | (y > y1)
        new = outside.any(axis=0) & (first < 0)
        first[new] = rows.start + outside[:, new].argmax(axis=0)
    return first


def _cycles(path: np.ndarray) -> np.ndarray:
    """Per start, whether `CYCLE_RULE`'s motion holds over the path's last two quarters."""
    last, n = path.shape[0] - 1, path.shape[1]
    q = last // CYCLE_QUARTERS
    if q < CYCLE_MIN_STEPS:
        return np.zeros(n, dtype=bool)
    first = last - 2 * q  # steps first .. last - 1: the quarter before, then the last quarter
    before, after = np.zeros(n), np.zeros(n)
    for rows in _blocks(2 * q, n):  # a basin map's 40,000 starts: no (steps, n) temporaries
        a, b = path[first + rows.start : first + rows.stop], path[first + rows.start + 1 : first + rows.stop + 1]
        lengths = _norm(b[..., 0] - a[..., 0], b[..., 1] - a[..., 1])
        split = min(max(q - rows.start, 0), len(lengths))
        before += lengths[:split].sum(axis=0)
        after += lengths[split:].sum(axis=0)
    net = path[last] - path[last - q]
    apart = _norm(net[:, 0], net[:, 1])
    steady = (after >= CYCLE_STEADY * before) & (CYCLE_STEADY * after <= before)
    return (before > 0) & np.isfinite(after) & steady & (apart < CYCLE_BACK_AND_FORTH * after)


def _finish(surf: Surface, path: np.ndarray, tol: float, kept: tuple | None,
            stochastic: bool = False) -> _Ending:
    """Freeze what blew up, then loss, gradient norm, distances and each start's outcome."""
    escaped_at = _escaped_at(surf, path)
    diverged_at = _diverged_at(surf, path)
    _freeze(path, diverged_at)
    if kept is not None and (diverged_at > 0).any():
        kept = None  # the frozen points' values must be recomputed: start afresh
    loss, grad_norm = _loss_and_grad_norm(surf, path, kept)
    overflow = ~(np.isfinite(loss) & np.isfinite(grad_norm))
    if overflow.any():  # overflow inside the bound: rare, but it must never leave the engine
        late = _freeze_after(path, overflow)
        diverged_at = np.where((diverged_at < 0) | ((late >= 0) & (late < diverged_at)), late, diverged_at)
        loss, grad_norm = _loss_and_grad_norm(surf, path, None)
    # A path frozen before it left the box never escaped (it overflowed inside the plot).
    escaped_at = np.where((diverged_at >= 0) & (diverged_at < escaped_at), -1, escaped_at)

    steps, n = path.shape[:2]
    last = steps - 1  # the index of the last point
    distance, nearest, inside_since = None, np.full(n, -1), np.full(n, -1)
    minima = surf.minima_points
    if len(minima):
        distance = np.empty((steps, n))
        nearest = np.zeros(n, dtype=np.intp)
        last_outside = np.full(n, -1)  # the last step farther than tol from every minimum
        for rows in _blocks(steps, n):
            x, y = path[rows, :, 0], path[rows, :, 1]
            best = None
            for k, (mx, my) in enumerate(minima):  # one minimum at a time: memory stays (rows, n)
                dx, dy = x - mx, y - my
                d = np.sqrt(dx * dx + dy * dy)  # bounded by the escape radius: no overflow
                if best is None:
                    best = d
                    continue
                if rows.stop == steps:
                    nearest = np.where(d[-1] < best[-1], k, nearest)
                best = np.minimum(best, d)
            distance[rows] = best
            outside = best > tol
            last_in_block = rows.stop - 1 - outside[::-1].argmax(axis=0)
            last_outside = np.where(outside.any(axis=0), last_in_block, last_outside)
        inside_since = np.where(last_outside == last, -1, last_outside + 1)

    diverged = diverged_at >= 0
    escaped = escaped_at >= 0
    blown_up = diverged & ~escaped
    inside_since = np.where(diverged, -1, inside_since)
    converged_at = np.where((inside_since >= 0) & (last - inside_since >= min_stay(last)), inside_since, -1)
    nearest = np.where(diverged | escaped, -1, nearest)
    code = np.full(n, OUTCOMES.index(NOT_YET))
    if not stochastic:
        code[_cycles(path) & (inside_since < 0) & ~diverged & ~escaped] = OUTCOMES.index(CYCLES)
    code[inside_since >= 0] = OUTCOMES.index(INSIDE_AT_THE_END)
    code[converged_at >= 0] = OUTCOMES.index(CONVERGED)
    code[blown_up] = OUTCOMES.index(DIVERGED)
    code[escaped] = OUTCOMES.index(ESCAPED)
    # An object array of the six shared str objects: 8 bytes a start (a '<U17' array takes 68),
    # and `t.outcome == "escaped"` still compares element by element.
    outcome = np.array(OUTCOMES, dtype=object)[code]
    return _Ending(loss, grad_norm, distance, nearest, diverged_at, escaped_at, inside_since, converged_at, outcome)
