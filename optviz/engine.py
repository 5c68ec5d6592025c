"""`simulate()`: run one optimizer from one or many starts on a surface, all starts at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surfaces import Surface, get_surface

from .optimizers import Optimizer
from .registry import OptimizerSpec, get_spec

MAX_STEPS = 100_000
MAX_STARTS = 1_000_000


@dataclass(frozen=True, eq=False)
class Trajectory:
    """What `simulate()` returns. Shapes: T = steps + 1, n = number of starts; for a single start
    (x, y) the n axis is dropped (`path` is (T, 2), `diverged` a 0-d bool array).

    Every array is finite: a path that diverged (left `surface.escape_radius` or overflowed)
    stays at its last good point from `diverged_at` on.
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
    nearest_minimum: np.ndarray  # (n,): index of the nearest minimum at the end, -1 if none known
    diverged: np.ndarray  # (n,) bool
    diverged_at: np.ndarray  # (n,) int: first step that was not finite / beyond the bound, -1 if never
    converged: np.ndarray  # (n,) bool
    converged_at: np.ndarray  # (n,) int: first step from which the path stays within tol of a minimum

    @property
    def steps(self) -> int:
        return self.path.shape[0] - 1

    @property
    def final_loss(self):
        return self.loss[-1]

    @property
    def final_distance(self):
        return None if self.distance is None else self.distance[-1]


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


def _resolve_optimizer(optimizer, hparams) -> tuple[Optimizer, str, dict]:
    if isinstance(optimizer, Optimizer):
        if hparams:
            raise ValueError("hyperparameters go to the optimizer's factory, not to simulate(), "
                             "when an Optimizer object is given")
        return optimizer, "custom", {}
    if not isinstance(optimizer, (str, OptimizerSpec)):
        raise ValueError(f"optimizer must be a registry key, an OptimizerSpec or an Optimizer, got {optimizer!r}")
    spec = get_spec(optimizer)
    built = spec.build(**hparams)
    return built, spec.key, {**spec.defaults, **{k: float(v) for k, v in hparams.items()}}


def _start_generators(seed: int, starts: np.ndarray) -> list[np.random.Generator]:
    # A start's stream depends on (seed, its coordinates) only, so its path is the same
    # whichever other starts run beside it.
    bits = starts.view(np.uint64)
    return [np.random.default_rng([seed, int(bx), int(by)]) for bx, by in bits]


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
    **hparams: float,
) -> Trajectory:
    """Run `optimizer` for `steps` steps from `start` (a point or an (n, 2) array; default: the
    surface's start) on `surface` (a key or a Surface); hyperparameters by name (`lr=...`).

    `noise` adds N(0, noise²) to each gradient component; `batch_size` (data surfaces only)
    draws mini-batches instead of the full batch. Both are driven by `seed`: the same
    arguments always give the same path, and a start's path does not depend on the others.
    `tol` (default 1e-3 of the domain's larger side) is the distance to a minimum that counts
    as converged.
    """
    surf = get_surface(surface)
    optim, opt_key, full_hparams = _resolve_optimizer(optimizer, hparams)
    starts, single = _as_starts(surf.start if start is None else start)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an integer in [0, {MAX_STEPS}], got {steps!r}")
    steps = int(steps)
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
    stochastic = noise > 0.0 or batch_size is not None
    generators = _start_generators(seed, starts) if stochastic and steps else []
    noise_gens = [np.random.default_rng(g.bit_generator.seed_seq.spawn(1)[0]) for g in generators] if noise else []
    sampler = _EpochSampler(generators, surf.n_samples, batch_size) if batch_size is not None else None
    grad, minibatch_grad, eval_point, update = surf.grad, surf.minibatch_grad, optim.eval_point, optim.update

    params = starts
    state = optim.init(params)
    block = 512
    with np.errstate(all="ignore"):
        # Divergence is found after the loop: every operation is per start, so a start that
        # blew up cannot affect another, and the hot loop stays free of checks.
        for t in range(steps):
            at = params if eval_point is None else eval_point(params, state)
            g = grad(at) if sampler is None else minibatch_grad(at, sampler.batch(t))
            if noise:
                if t % block == 0:
                    size = min(block, steps - t)
                    noise_block = np.stack([ng.standard_normal((size, 2)) for ng in noise_gens], axis=1)
                g = g + noise * noise_block[t % block]
            delta, state = update(g, state, params)
            params = params + delta
            path[t + 1] = params
        diverged_at, loss, grad_norm, distance, nearest, converged_at = _finish(surf, path, tol)

    def along(a):  # (T, n, ...) -> (T, ...) for a single start
        return a[:, 0] if single else a

    def per_start(a):  # (n,) -> 0-d for a single start
        return a[0] if single else a

    return Trajectory(
        surface=surf.key,
        optimizer=opt_key,
        hparams=full_hparams,
        seed=int(seed),
        noise=noise,
        batch_size=batch_size,
        tol=tol,
        path=along(path),
        loss=along(loss),
        grad_norm=along(grad_norm),
        distance=None if distance is None else along(distance),
        nearest_minimum=per_start(nearest),
        diverged=per_start(diverged_at >= 0),
        diverged_at=per_start(diverged_at),
        converged=per_start(converged_at >= 0),
        converged_at=per_start(converged_at),
    )


def _first_true(mask: np.ndarray) -> np.ndarray:
    """Index of the first True along axis 0, -1 where there is none."""
    return np.where(mask.any(axis=0), mask.argmax(axis=0), -1)


def _freeze_after(path: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Hold each path at its last good point from its first bad step on; return that step."""
    first = _first_true(bad)
    for j in np.flatnonzero(first > 0):
        path[first[j] :, j] = path[first[j] - 1, j]
    return first


def _loss_and_grad_norm(surf: Surface, path: np.ndarray):
    grads = surf.grad(path)
    return surf.f(path), np.hypot(grads[..., 0], grads[..., 1])


def _finish(surf: Surface, path: np.ndarray, tol: float):
    # NaN compares False, so this one test catches NaN, inf and escapes alike.
    bad = ~(np.abs(path - surf.center) <= surf.escape_radius).all(axis=-1)
    diverged_at = _freeze_after(path, bad)
    loss, grad_norm = _loss_and_grad_norm(surf, path)
    overflow = ~(np.isfinite(loss) & np.isfinite(grad_norm))
    if overflow.any():  # overflow inside the bound: rare, but it must never leave the engine
        late = _freeze_after(path, overflow)
        diverged_at = np.where((diverged_at < 0) | ((late >= 0) & (late < diverged_at)), late, diverged_at)
        loss, grad_norm = _loss_and_grad_norm(surf, path)

    n = path.shape[1]
    minima = surf.minima_points
    if len(minima) == 0:
        return diverged_at, loss, grad_norm, None, np.full(n, -1), np.full(n, -1)
    # One minimum at a time keeps memory at (T, n) whatever the number of minima.
    distance = np.full(path.shape[:2], np.inf)
    nearest = np.zeros(n, dtype=int)
    for k, m in enumerate(minima):
        d = np.hypot(path[..., 0] - m[0], path[..., 1] - m[1])
        nearest = np.where(d[-1] < distance[-1], k, nearest)
        distance = np.minimum(distance, d)
    # Converged from the first step after which the path never leaves the tolerance again.
    stays = np.logical_and.accumulate((distance <= tol)[::-1], axis=0)[::-1]
    converged_at = np.where(diverged_at >= 0, -1, _first_true(stays))
    return diverged_at, loss, grad_norm, distance, nearest, converged_at
