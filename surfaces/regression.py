r"""Mean squared error of the linear regression y_hat = w x + b, as a surface over (w, b).

The full-batch loss and gradient use the data's sufficient statistics around the closed-form
optimum, so they are exact quadratics, cheap on any grid and numerically stable:

    L(w, b) = L* + dw^2 <x^2> + 2 dw db <x> + db^2,   dw = w - w*, db = b - b*.

`minibatch_grad` averages over the sampled rows instead: that is what makes batch GD,
mini-batch GD and SGD (batch of one) different paths on the same surface.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from .base import Minimum, Surface, pack, pack_hessian

MAX_SAMPLES = 100_000


def load_bundled_data() -> tuple[np.ndarray, np.ndarray]:
    """The shipped, seeded data set (240 rows; see the CSV's first line for how it was drawn)."""
    text = resources.files(__package__).joinpath("data/regression.csv").read_text()
    table = np.loadtxt(text.splitlines(), delimiter=",", comments="#", skiprows=2)
    return table[:, 0].copy(), table[:, 1].copy()


def validate_data(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Return (x, y) as float arrays or raise ValueError saying what is wrong with them."""
    try:
        x = np.asarray(x, dtype=float).ravel()
        y = np.asarray(y, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"data must be numbers: {exc}") from None
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if x.size < 2:
        raise ValueError(f"need at least 2 samples, got {x.size}")
    if x.size > MAX_SAMPLES:
        raise ValueError(f"at most {MAX_SAMPLES} samples, got {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("data contain NaN or infinite values")
    if np.max(np.abs(np.concatenate([x, y]))) > 1e6:
        raise ValueError("data values must lie within ±1e6")
    if np.ptp(x) <= 1e-9 * max(1.0, float(np.max(np.abs(x)))):
        raise ValueError("all x values are equal: the regression has no unique optimum")
    return x, y


def make_mse_surface(x, y, *, key: str = "mse", title: str | None = None) -> Surface:
    """The MSE surface of the given data (validated; raises ValueError on bad data)."""
    x, y = validate_data(x, y)
    n = x.size
    mean_x, mean_y = float(x.mean()), float(y.mean())
    w_opt = float(np.mean((x - mean_x) * (y - mean_y)) / np.mean((x - mean_x) ** 2))
    b_opt = mean_y - w_opt * mean_x
    loss_opt = float(np.mean((w_opt * x + b_opt - y) ** 2))
    mean_xx = float(np.mean(x * x))

    def f(p):
        p = np.asarray(p, dtype=float)
        dw = p[..., 0] - w_opt
        db = p[..., 1] - b_opt
        return loss_opt + dw * dw * mean_xx + 2.0 * mean_x * dw * db + db * db

    def grad(p):
        p = np.asarray(p, dtype=float)
        dw = p[..., 0] - w_opt
        db = p[..., 1] - b_opt
        return pack(2.0 * (dw * mean_xx + db * mean_x), 2.0 * (dw * mean_x + db))

    def hessian(p):
        # A quadratic: the full-batch Hessian 2 [[<x²>, <x>], [<x>, 1]] is the same everywhere.
        shape = np.shape(p)[:-1]
        return pack_hessian(np.full(shape, 2.0 * mean_xx), np.full(shape, 2.0 * mean_x), np.full(shape, 2.0))

    def minibatch_grad(p, idx):
        # p: (n_starts, 2); idx: (n_starts, batch) row indices, one batch per start.
        xs, ys = x[idx], y[idx]
        residual = p[:, :1] * xs + p[:, 1:2] - ys
        return pack(2.0 * np.mean(residual * xs, axis=1), 2.0 * np.mean(residual, axis=1))

    # A box around the optimum wide enough to show the valley and a start far from it.
    half_w = max(2.0, 1.5 * abs(w_opt) + 1.0)
    half_b = max(2.0, 1.5 * abs(b_opt) + 1.0)
    domain = ((w_opt - half_w, w_opt + half_w), (b_opt - half_b, b_opt + half_b))
    start = (w_opt - 0.8 * half_w, b_opt + 0.8 * half_b)
    return Surface(
        key=key,
        title=title or f"Linear-regression MSE ({n} points)",
        f=f,
        grad=grad,
        hessian=hessian,
        domain=domain,
        minima=(Minimum(w_opt, b_opt, loss_opt),),
        f_min=loss_opt,
        latex=r"L(w, b) = \frac{1}{N}\sum_{i=1}^{N} \left(w\,x_i + b - y_i\right)^2",
        start=start,
        description=(
            f"Fit ŷ = w·x + b to {n} points; x is the weight w, y the bias b. The optimum is the "
            f"least-squares fit w* = {w_opt:.4g}, b* = {b_opt:.4g}. Batch size 1 is SGD, "
            "a full batch is plain gradient descent."
        ),
        minibatch_grad=minibatch_grad,
        n_samples=n,
        data=(x, y),
    )


MSE = make_mse_surface(*load_bundled_data())
