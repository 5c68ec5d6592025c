r"""The curvature lens: the local quadratic model of a surface at a point, and what it predicts for
gradient descent and momentum.

Near a point p a surface is $f(p + d) \approx f(p) + g^\top d + \tfrac12 d^\top H d$, with H the
analytic Hessian (`surface.hessian`, the one Newton's method uses). `numpy.linalg.eigh` splits H into
eigenvalues $\lambda_1 \le \lambda_2$ (the curvatures along the two principal axes) and orthonormal
eigenvectors. On such a model the iterations decouple along the eigenvectors (Polyak 1964; Goh,
"Why Momentum Really Works", Distill 2017): the error $e_t = \theta_t - \theta^*$ along eigenvector i
follows, per step,

- gradient descent $e \leftarrow (1 - \eta\lambda_i)\, e$: stable iff $0 < \eta\lambda_i < 2$;
- heavy ball (torch's form $v \leftarrow \beta v + g$, $\theta \leftarrow \theta - \eta v$)
  $e_{t+1} = (1 + \beta - \eta\lambda_i) e_t - \beta e_{t-1}$: stable iff $0 < \eta\lambda_i < 2 + 2\beta$;
- Nesterov $e_{t+1} = (1+\beta)(1-\eta\lambda_i) e_t - \beta(1-\eta\lambda_i) e_{t-1}$:
  stable iff $0 < \eta\lambda_i < (2 + 2\beta)/(1 + 2\beta)$.

A two-term recurrence is the 2x2 companion matrix `companion(...)`; the modulus of its larger
eigenvalue is the linear rate in that direction, the largest over directions the rate of the run
(`linear_rate`). Its eigenvalues also say how the error goes to zero (`classify`): real and
non-negative, without changing sign ("monotone"); negative or complex, swinging across ("oscillating");
modulus ≥ 1, not at all ("diverging").

With $\kappa = \lambda_{\max}/\lambda_{\min}$, the best constant η for gradient descent is
$2/(\lambda_{\min} + \lambda_{\max})$, rate $(\kappa - 1)/(\kappa + 1)$; the best heavy-ball pair is
$\eta = 4/(\sqrt{\lambda_{\max}} + \sqrt{\lambda_{\min}})^2$, $\beta = ((\sqrt\kappa - 1)/(\sqrt\kappa + 1))^2$,
rate $(\sqrt\kappa - 1)/(\sqrt\kappa + 1)$.

Where a curvature is negative (a saddle, a maximum) there is no minimum to converge to: along that
eigenvector $|1 - \eta\lambda| > 1$ for every η > 0, so the model predicts escape at that growth factor
per step (`escape_factor`).

On a surface whose loss is exactly quadratic (`is_quadratic`: the bowl, the ravine, the saddle and the
regression MSE) all of this is exact, not a model: `milestones` splits the error of a run into its
eigen-directions step by step, and the parts add up to the error.

numpy only: the app's curvature panel (`optviz/app/tools_ui.py`) is a view of these numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surfaces import Surface, get_surface

GD, HEAVY_BALL, NESTEROV = "gd", "heavy_ball", "nesterov"
METHODS = (GD, HEAVY_BALL, NESTEROV)
# The registry's optimizers whose dynamics on a quadratic are one of the recurrences above.
METHOD_OF = {"sgd": GD, "momentum": HEAVY_BALL, "nesterov": NESTEROV}
MONOTONE, OSCILLATING, DIVERGING = "monotone", "oscillating", "diverging"
REGIONS = (MONOTONE, OSCILLATING, DIVERGING)
# A curvature this small relative to the larger one's size is treated as flat (no direction to contract along).
FLAT = 1e-12


def method_for(optimizer: str) -> str | None:
    """The quadratic model's method for a registry optimizer key (None: an adaptive or other rule)."""
    return METHOD_OF.get(optimizer)


@dataclass(frozen=True, eq=False)
class LocalModel:
    r"""The quadratic model at `point`: f(p + d) ≈ value + gradient·d + ½ dᵀ hessian d.

    `eigenvalues` ascending; `eigenvectors[:, i]` belongs to `eigenvalues[i]` (numpy.linalg.eigh)."""

    point: np.ndarray  # (2,)
    value: float
    gradient: np.ndarray  # (2,)
    hessian: np.ndarray  # (2, 2), symmetric
    eigenvalues: np.ndarray  # (2,) ascending
    eigenvectors: np.ndarray  # (2, 2), columns
    exact_hessian: bool = True  # False: from central differences of the gradient (no analytic Hessian)

    @property
    def lam_min(self) -> float:
        return float(self.eigenvalues[0])

    @property
    def lam_max(self) -> float:
        return float(self.eigenvalues[1])

    @property
    def scale(self) -> float:
        return float(np.max(np.abs(self.eigenvalues)))

    @property
    def convex(self) -> bool:
        """Both curvatures positive: a bowl, locally."""
        return self.lam_min > FLAT * max(self.scale, 1.0)

    @property
    def negative(self) -> bool:
        """Some curvature is negative: along it the model has no minimum."""
        return self.lam_min < -FLAT * max(self.scale, 1.0)

    @property
    def condition(self) -> float:
        """κ = λmax / λmin where both are positive; inf where the smaller is zero or negative."""
        return self.lam_max / self.lam_min if self.convex else math.inf

    @property
    def positive_eigenvalues(self) -> np.ndarray:
        return self.eigenvalues[self.eigenvalues > FLAT * max(self.scale, 1.0)]

    def ellipse(self, level: float | None = None, n: int = 121) -> np.ndarray:
        r"""Points (n, 2) of the model's level curve ½ dᵀHd = c around `point` where both curvatures are
        positive (None otherwise). The semi-axes are √(2c/λᵢ), in the ratio √κ whatever c is; the
        default c = λmin/2 makes the longer one 1 (a figure scales it to its own size)."""
        if not self.convex:
            return None
        axes = self.semi_axes(level)
        t = np.linspace(0.0, 2.0 * np.pi, n)
        local = np.stack([axes[0] * np.cos(t), axes[1] * np.sin(t)], axis=-1)
        return self.point + local @ self.eigenvectors.T

    def semi_axes(self, level: float | None = None) -> np.ndarray:
        """The ellipse's semi-axes along the eigenvectors, (2,): the longer one 1 when `level` is None."""
        c = 0.5 * self.lam_min if level is None else level
        return np.sqrt(2.0 * c / self.eigenvalues)


def gradient_differences(surface: Surface, point, rel_step: float = 1e-5) -> np.ndarray:
    """The Hessian at `point` by central differences of the analytic gradient (symmetrised): for a surface
    built without a Hessian (a typed formula). Step `rel_step` times the domain's larger side."""
    p = np.asarray(point, dtype=float).reshape(2)
    h = rel_step * surface.extent
    columns = [(np.asarray(surface.grad(p + h * e), dtype=float) - np.asarray(surface.grad(p - h * e), dtype=float))
               / (2 * h) for e in np.eye(2)]
    hessian = np.stack(columns, axis=-1)
    return 0.5 * (hessian + hessian.T)


def local_model(surface: Surface | str, point) -> LocalModel:
    """The quadratic model of `surface` at `point` from its analytic Hessian, or from differences of its
    gradient where it has none (`LocalModel.exact_hessian` says which); ValueError where it is not finite."""
    surf = get_surface(surface)
    p = np.asarray(point, dtype=float).reshape(2)
    exact = surf.hessian is not None
    hessian = (np.asarray(surf.hessian(p), dtype=float).reshape(2, 2) if exact else gradient_differences(surf, p))
    if not np.all(np.isfinite(hessian)):
        raise ValueError(f"the Hessian of {surf.title} is not finite at ({p[0]:.4g}, {p[1]:.4g})")
    hessian = 0.5 * (hessian + hessian.T)
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    return LocalModel(p, float(surf.f(p)), np.asarray(surf.grad(p), dtype=float).reshape(2), hessian,
                      eigenvalues, eigenvectors, exact)


def is_quadratic(surface: Surface | str, rtol: float = 1e-9) -> bool:
    """Whether the loss is exactly quadratic over its domain: its Hessian is the same at a spread of
    points and the quadratic model at the centre gives the loss there (so every model is the surface)."""
    surf = get_surface(surface)
    if surf.hessian is None:
        return False
    (x0, x1), (y0, y1) = surf.domain
    fractions = (0.0, 0.13, 0.5, 0.77, 1.0)
    points = np.array([(x0 + a * (x1 - x0), y0 + b * (y1 - y0)) for a in fractions for b in fractions])
    model = local_model(surf, surf.center)
    hessians = np.asarray(surf.hessian(points), dtype=float)
    scale = max(model.scale, 1e-300)
    if not np.allclose(hessians, model.hessian, rtol=rtol, atol=rtol * scale):
        return False
    d = points - model.point
    predicted = model.value + d @ model.gradient + 0.5 * np.einsum("ni,ij,nj->n", d, model.hessian, d)
    actual = np.asarray(surf.f(points), dtype=float)
    return bool(np.allclose(actual, predicted, rtol=rtol, atol=rtol * max(np.max(np.abs(actual)), 1.0)))


# --- closed forms ---------------------------------------------------------------------------------------


def _check_beta(beta: float) -> float:
    beta = float(beta)
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"momentum β must be in [0, 1), got {beta}")
    return beta


def max_stable_lr(lam_max: float, method: str = GD, beta: float = 0.0) -> float:
    """The largest η at which the quadratic model still converges along a curvature `lam_max` > 0
    (the boundary itself is not stable): 2/λ for GD, 2(1 + β)/λ for heavy ball, (2 + 2β)/((1 + 2β)λ) for Nesterov."""
    if not lam_max > 0:
        raise ValueError(f"the largest curvature must be positive, got {lam_max}")
    beta = _check_beta(beta)
    if method == GD:
        return 2.0 / lam_max
    if method == HEAVY_BALL:
        return 2.0 * (1.0 + beta) / lam_max
    if method == NESTEROV:
        return (2.0 + 2.0 * beta) / ((1.0 + 2.0 * beta) * lam_max)
    raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")


def optimal_gd(lam_min: float, lam_max: float) -> tuple[float, float]:
    """(η, rate): the constant learning rate that minimises GD's worst contraction, 2/(λmin + λmax),
    and that rate, (κ − 1)/(κ + 1)."""
    _check_convex(lam_min, lam_max)
    kappa = lam_max / lam_min
    return 2.0 / (lam_min + lam_max), (kappa - 1.0) / (kappa + 1.0)


def optimal_heavy_ball(lam_min: float, lam_max: float) -> tuple[float, float, float]:
    """(η, β, rate): Polyak's optimal heavy-ball pair, 4/(√λmax + √λmin)², ((√κ − 1)/(√κ + 1))², and
    its rate (√κ − 1)/(√κ + 1)."""
    _check_convex(lam_min, lam_max)
    root = math.sqrt(lam_max / lam_min)
    rate = (root - 1.0) / (root + 1.0)
    return 4.0 / (math.sqrt(lam_max) + math.sqrt(lam_min)) ** 2, rate * rate, rate


def _check_convex(lam_min: float, lam_max: float) -> None:
    if not 0 < lam_min <= lam_max:
        raise ValueError(f"an optimal rate needs 0 < λmin ≤ λmax, got λmin = {lam_min:g}, λmax = {lam_max:g}")


def companion(lam: float, lr: float, method: str = GD, beta: float = 0.0) -> np.ndarray:
    """The 2x2 matrix taking (e_t, e_{t−1}) to (e_{t+1}, e_t) along a curvature `lam` (GD: β plays no part)."""
    a = 1.0 - lr * lam
    if method == GD:
        return np.array([[a, 0.0], [1.0, 0.0]])
    if method == HEAVY_BALL:
        return np.array([[1.0 + beta - lr * lam, -beta], [1.0, 0.0]])
    if method == NESTEROV:
        return np.array([[(1.0 + beta) * a, -beta * a], [1.0, 0.0]])
    raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")


def roots(lam, lr, method: str = GD, beta=0.0) -> np.ndarray:
    """The companion matrix's eigenvalues (..., 2), complex, in closed form; every argument broadcasts
    (a whole (η, β) map at once). Heavy ball: z² − (1 + β − ηλ) z + β; Nesterov: z² − (1 + β)a z + βa, a = 1 − ηλ."""
    lam, lr, beta = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lam, lr, beta)))
    a = 1.0 - lr * lam
    if method == GD:
        trace, det = a, np.zeros_like(a)
    elif method == HEAVY_BALL:
        trace, det = 1.0 + beta - lr * lam, beta
    elif method == NESTEROV:
        trace, det = (1.0 + beta) * a, beta * a
    else:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    disc = np.sqrt((trace * trace - 4.0 * det).astype(complex))
    return np.stack([(trace + disc) / 2.0, (trace - disc) / 2.0], axis=-1)


def linear_rate(eigenvalues: Sequence[float], lr, method: str = GD, beta=0.0):
    """The predicted contraction per step of the error, the largest over the curvatures: max|1 − ηλ|
    for GD, the companion matrix's spectral radius for momentum. ≥ 1: no convergence (divergence, or
    escape along a negative curvature)."""
    rho = [np.max(np.abs(roots(lam, lr, method, beta)), axis=-1) for lam in np.asarray(eigenvalues, dtype=float)]
    out = np.max(np.stack(rho), axis=0)
    return float(out) if np.ndim(out) == 0 else out


def escape_factor(model: LocalModel, lr: float, method: str = GD, beta: float = 0.0) -> float | None:
    """The growth per step along the most negative curvature, |1 − ηλmin| for GD (the companion's
    spectral radius with momentum); None where no curvature is negative."""
    if not model.negative:
        return None
    return float(np.max(np.abs(roots(model.lam_min, lr, method, beta))))


def classify(eigenvalues: Sequence[float], lr, method: str = GD, beta=0.0):
    """MONOTONE, OSCILLATING or DIVERGING per the model (arrays broadcast: a whole (η, β) map):
    diverging if some direction's spectral radius is ≥ 1; else oscillating if some direction has a
    negative or complex root; else monotone."""
    diverging = oscillating = None
    for lam in np.asarray(eigenvalues, dtype=float):
        z = roots(lam, lr, method, beta)
        tol = 1e-12
        d = np.max(np.abs(z), axis=-1) >= 1.0 - 1e-12
        o = np.any((np.abs(z.imag) > tol) | (z.real < -tol), axis=-1)
        diverging = d if diverging is None else diverging | d
        oscillating = o if oscillating is None else oscillating | o
    out = np.where(diverging, DIVERGING, np.where(oscillating, OSCILLATING, MONOTONE))
    return str(out) if out.ndim == 0 else out


# --- what a run did ---------------------------------------------------------------------------------------


def stationary_point(model: LocalModel) -> np.ndarray:
    """Where the model's gradient is zero, p − H⁻¹g (ValueError where H is singular)."""
    if abs(model.lam_min) <= FLAT * max(model.scale, 1.0):
        raise ValueError("the Hessian is singular here: the quadratic model has no single stationary point")
    return model.point - np.linalg.solve(model.hessian, model.gradient)


@dataclass(frozen=True, eq=False)
class Milestones:
    """The error e_t = θ_t − θ* of a path split along the eigenvectors: `coords[t, i]` is e_t's
    coordinate on eigenvector i, `parts[t, i]` that part as a vector; `parts.sum(axis=1)` is `error`."""

    target: np.ndarray  # θ* (2,)
    eigenvalues: np.ndarray  # (2,)
    eigenvectors: np.ndarray  # (2, 2) columns
    error: np.ndarray  # (T, 2)
    coords: np.ndarray  # (T, 2)
    parts: np.ndarray  # (T, 2, 2): parts[t, i] = coords[t, i] * eigenvectors[:, i]


def milestones(surface: Surface | str, path) -> Milestones:
    """The eigen-decomposition of a path's error on an exactly quadratic surface, where the model at
    any point is the surface and θ* is its one stationary point (the minimum; the saddle's centre)."""
    surf = get_surface(surface)
    if not is_quadratic(surf):
        raise ValueError(f"{surf.title} is not exactly quadratic: the split into eigen-directions holds "
                         "only near a minimum there")
    path = np.asarray(path, dtype=float).reshape(-1, 2)
    model = local_model(surf, surf.center)
    target = stationary_point(model)
    error = path - target
    coords = error @ model.eigenvectors
    parts = coords[:, :, None] * model.eigenvectors.T[None, :, :]
    return Milestones(target, model.eigenvalues, model.eigenvectors, error, coords, parts)


def measured_rate(path, target, window: int = 20, floor: float = 1e-10) -> float | None:
    """The measured contraction per step near `target`: exp of the least-squares slope of log‖e_t‖
    over the last ≤ `window` steps whose error is above `floor` times the first error (below it,
    rounding, not the method, sets the ratio). A fit rather than an end-to-end ratio: with momentum
    the error swings (complex roots), and a window ending in a trough would read as faster. None when
    fewer than three such steps remain in the window, or the path is not finite."""
    path = np.asarray(path, dtype=float).reshape(-1, 2)
    if not np.all(np.isfinite(path)):
        return None
    errors = np.linalg.norm(path - np.asarray(target, dtype=float), axis=-1)
    if errors[0] == 0:
        return None
    above = errors > floor * errors[0]
    if not above.any():
        return None
    end = int(np.flatnonzero(above)[-1])
    steps = np.arange(max(end - window + 1, 0), end + 1)
    steps = steps[above[steps]]  # a swing's trough may dip below the floor between usable steps
    if len(steps) < 3:
        return None
    slope = np.polyfit(steps, np.log(errors[steps]), 1)[0]
    return float(np.exp(slope))


# --- what the panel shows -----------------------------------------------------------------------------------


def best_on_grid(eigenvalues: Sequence[float], method: str, lr_range: tuple[float, float],
                 n: int = 161, rounds: int = 3) -> tuple[float, float, float]:
    """(η, β, rate): the setting with the lowest `linear_rate` found on a grid over `lr_range` (log) and
    β in [0, 0.99], refined `rounds` times around the best cell. For Nesterov, whose optimum has no
    closed form as simple as Polyak's, this is how the panel finds its best pair."""
    lo, hi = math.log10(lr_range[0]), math.log10(lr_range[1])
    b_lo, b_hi = 0.0, 0.99
    for _ in range(rounds):
        lrs, betas = np.meshgrid(np.logspace(lo, hi, n), np.linspace(b_lo, b_hi, n))
        rate = linear_rate(eigenvalues, lrs, method, betas)
        j, i = np.unravel_index(np.argmin(rate), rate.shape)
        best = (float(lrs[j, i]), float(betas[j, i]), float(rate[j, i]))
        dl, db = 2 * (hi - lo) / (n - 1), 2 * (b_hi - b_lo) / (n - 1)
        lo, hi = math.log10(best[0]) - dl, math.log10(best[0]) + dl
        b_lo, b_hi = max(best[1] - db, 0.0), min(best[1] + db, 0.99)
    return best


def map_range(model: LocalModel) -> tuple[float, float]:
    """The learning rates an (η, β) map spans: from a hundredth of GD's largest stable η to 2.5 times it
    (heavy ball's boundary reaches 2 times it as β → 1), over the positive curvatures."""
    top = 2.0 / float(np.max(model.positive_eigenvalues))
    return 0.01 * top, 2.5 * top


def region_map(model: LocalModel, method: str, n_lr: int = 160, n_beta: int = 100):
    """(lrs, betas, regions): `classify` over the map's grid, on the positive curvatures only (a negative
    one escapes at every (η, β): the panel says so in words). ValueError without a positive curvature."""
    if not len(model.positive_eigenvalues):
        raise ValueError("no curvature is positive here: every (η, β) moves away from this point")
    lo, hi = map_range(model)
    lrs, betas = np.geomspace(lo, hi, n_lr), np.linspace(0.0, 0.99, n_beta)
    grid_lr, grid_beta = np.meshgrid(lrs, betas)
    return lrs, betas, classify(model.positive_eigenvalues, grid_lr, method, grid_beta)


@dataclass(frozen=True)
class Setting:
    """One line of the panel: a named (η, β) and the linear rate the model predicts for it."""

    name: str
    lr: float
    beta: float | None  # None: plain gradient descent
    rate: float
    button: str = ""  # "optimal_lr" or "optimal_pair": the panel offers to use it


def settings_for(model: LocalModel, method: str, lr: float, beta: float = 0.0) -> list[Setting]:
    """What the panel lists for a run of `method` at (η, β): the run's own setting and its rate, the
    largest stable η (at the run's β), and the optimal η (GD) or (η, β) (heavy ball, Nesterov) with their
    rates. Where the model has no positive curvature there is nothing stable to list but the run itself."""
    b = None if method == GD else float(beta)
    rows = [Setting("this run", float(lr), b, linear_rate(model.eigenvalues, lr, method, beta or 0.0))]
    if not len(model.positive_eigenvalues):
        return rows
    lam_max = float(np.max(model.positive_eigenvalues))
    top = max_stable_lr(lam_max, method, beta or 0.0)
    rows.append(Setting("largest stable η (the boundary)", top, b, linear_rate(model.eigenvalues, top, method,
                                                                               beta or 0.0)))
    if not model.convex:
        return rows
    gd_lr, _ = optimal_gd(model.lam_min, model.lam_max)
    rows.append(Setting("optimal η for gradient descent", gd_lr, None, linear_rate(model.eigenvalues, gd_lr),
                        "optimal_lr"))
    if method == HEAVY_BALL:
        hb_lr, hb_beta, _ = optimal_heavy_ball(model.lam_min, model.lam_max)
        rows.append(Setting("optimal (η, β) for heavy ball", hb_lr, hb_beta,
                            linear_rate(model.eigenvalues, hb_lr, HEAVY_BALL, hb_beta), "optimal_pair"))
    elif method == NESTEROV:
        nag_lr, nag_beta, rate = best_on_grid(model.eigenvalues, NESTEROV, map_range(model))
        rows.append(Setting("best (η, β) for Nesterov (searched)", nag_lr, nag_beta, rate, "optimal_pair"))
    return rows
