"""`simulate()`: run one optimizer from one or many starts on a surface, all starts at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surfaces import Surface, get_surface

from .limits import MAX_STARTS as MAX_STARTS
from .limits import MAX_STEPS as MAX_STEPS
from .optimizers import Optimizer
from .registry import OptimizerSpec, get_spec


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

    def summary(self) -> dict:
        """Final loss, distance to the nearest minimum, and when it converged or diverged
        (None for never), for a single-start trajectory."""
        if np.ndim(self.diverged) != 0:
            raise ValueError("summary() takes a single-start trajectory")
        return {
            "optimizer": self.optimizer,
            "final_loss": float(self.final_loss),
            "distance_to_minimum": None if self.distance is None else float(self.final_distance),
            "converged_at": int(self.converged_at) if self.converged else None,
            "diverged_at": int(self.diverged_at) if self.diverged else None,
        }


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


def _run_one(surf: Surface, optim: Optimizer, path: np.ndarray, steps: int, noise: _NoiseDraws | None) -> None:
    """One start, coordinate by coordinate on numpy scalars: an elementwise optimizer gives the
    same numbers as on arrays, and scalar arithmetic costs a fraction of length-2 array ops."""
    grad, eval_point, update = surf.grad, optim.eval_point, optim.update
    px, py = path[0, 0]
    sx, sy = optim.init(px), optim.init(py)
    xs, ys = [], []
    for t in range(steps):
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


def _run_many(surf: Surface, optim: Optimizer, path: np.ndarray, steps: int, noise: _NoiseDraws | None,
              sampler: _EpochSampler | None) -> tuple[np.ndarray, np.ndarray] | None:
    """All starts at once on (n, 2) arrays. When the gradients it takes are the exact ones at the
    path points (no look-ahead, noise or mini-batch), returns them and the losses there (all but
    the last point's), to spare computing them again."""
    grad, minibatch_grad, eval_point, update = surf.grad, surf.minibatch_grad, optim.eval_point, optim.update
    exact = eval_point is None and noise is None and sampler is None
    grads = np.empty_like(path) if exact else None
    losses = np.empty(path.shape[:2]) if exact and surf.value_and_grad else None
    params = path[0]
    state = optim.init(params)
    for t in range(steps):
        at = params if eval_point is None else eval_point(params, state)
        if losses is not None:
            losses[t], g = surf.value_and_grad(at)
        else:
            g = grad(at) if sampler is None else minibatch_grad(at, sampler.batch(t))
        if exact:
            grads[t] = g
        if noise is not None:
            g = g + noise.at(t)
        delta, state = update(g, state, params)
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
    if np.any(np.abs(starts - surf.center) > surf.escape_radius):
        raise ValueError(f"start lies far outside the domain of {surf.key}: {surf.domain}")
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
    generators = _start_generators(seed, starts) if (noise or batch_size) and steps else []
    sampler = _EpochSampler([g[0] for g in generators], surf.n_samples, batch_size) if batch_size else None
    noise_draws = _NoiseDraws([g[1] for g in generators], steps, noise) if noise else None
    with np.errstate(all="ignore"):
        # Divergence is found after the loop: every operation is per start, so a start that
        # blew up cannot affect another, and the hot loops stay free of checks.
        if single and sampler is None and optim.elementwise:
            kept = None
            _run_one(surf, optim, path, steps, noise_draws)
        else:
            kept = _run_many(surf, optim, path, steps, noise_draws, sampler)
        diverged_at, loss, grad_norm, distance, nearest, converged_at = _finish(surf, path, tol, kept)

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


def _finish(surf: Surface, path: np.ndarray, tol: float, kept: tuple | None):
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

    steps, n = path.shape[:2]
    minima = surf.minima_points
    if len(minima) == 0:
        return diverged_at, loss, grad_norm, None, np.full(n, -1), np.full(n, -1)
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
    # Converged from the first step after which the path never leaves the tolerance again.
    converged_at = np.where((diverged_at >= 0) | (last_outside == steps - 1), -1, last_outside + 1)
    return diverged_at, loss, grad_norm, distance, nearest, converged_at
