"""The `Surface` type: a 2-D loss with its analytic gradient and what a plot needs to know."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

Array = np.ndarray


class Minimum(NamedTuple):
    """A known (local or global) minimum and the loss there."""

    x: float
    y: float
    value: float
    is_global: bool = True


@dataclass(frozen=True, eq=False)
class Surface:
    r"""A loss over (x, y).

    `f` and `grad` act on the last axis: `f(p)` has shape `p.shape[:-1]`, `grad(p)` has the
    shape of `p`, so one function serves a plotting grid, a batch of starts and a point.

    `value_and_grad(p)`, where given, returns exactly `(f(p), grad(p))` computed together.

    `hessian(p)` is the analytic Hessian, also on the last axis: `(..., 2) -> (..., 2, 2)`
    (symmetric). Every bundled surface gives it (Newton's method needs it); None on a surface
    built without one, and an optimizer that needs it then says so.

    Surfaces that are built on data (the regression MSE) also carry `minibatch_grad(p, idx)`,
    the gradient over the samples `idx` (shape `(n, batch)`, one row per start in `p` shaped
    `(n, 2)`), and `n_samples`; this is what lets batch GD, SGD and mini-batch GD differ.
    """

    key: str
    title: str
    f: Callable[[Array], Array]
    grad: Callable[[Array], Array]
    domain: tuple[tuple[float, float], tuple[float, float]]
    minima: tuple[Minimum, ...]
    f_min: float | None
    latex: str
    start: tuple[float, float]
    log_z: bool = False
    description: str = ""
    minibatch_grad: Callable[[Array, Array], Array] | None = None
    # Optional (f(p), grad(p)) in one pass, sharing subexpressions: a speed-up, never a new value.
    value_and_grad: Callable[[Array], tuple[Array, Array]] | None = None
    hessian: Callable[[Array], Array] | None = None
    n_samples: int = 0
    data: tuple[Array, Array] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        (x0, x1), (y0, y1) = self.domain
        if not (x0 < x1 and y0 < y1):
            raise ValueError(f"{self.key}: empty domain {self.domain}")
        if not self.contains(self.start):
            raise ValueError(f"{self.key}: default start {self.start} outside the domain")

    @property
    def center(self) -> Array:
        (x0, x1), (y0, y1) = self.domain
        return np.array([(x0 + x1) / 2, (y0 + y1) / 2])

    @property
    def extent(self) -> float:
        """The larger side of the domain: the length scale of this surface."""
        (x0, x1), (y0, y1) = self.domain
        return float(max(x1 - x0, y1 - y0))

    @property
    def escape_radius(self) -> float:
        """A path farther than this from the domain's centre has diverged (or escaped)."""
        return 100.0 * self.extent

    @property
    def minima_points(self) -> Array:
        return np.array([(m.x, m.y) for m in self.minima], dtype=float).reshape(-1, 2)

    @property
    def has_data(self) -> bool:
        return self.minibatch_grad is not None

    def contains(self, point) -> bool:
        (x0, x1), (y0, y1) = self.domain
        x, y = (float(v) for v in point)
        return x0 <= x <= x1 and y0 <= y <= y1


def pack(gx: Array, gy: Array) -> Array:
    """Stack two components on a new last axis (cheaper than np.stack for tiny arrays)."""
    if not getattr(gx, "ndim", 0) and not getattr(gy, "ndim", 0):
        return np.array((gx, gy), dtype=float)  # one point: numpy scalars in, (2,) out
    gx = np.asarray(gx)
    out = np.empty((*gx.shape, 2), dtype=np.result_type(gx, gy, float))
    out[..., 0] = gx
    out[..., 1] = gy
    return out


def pack_hessian(hxx, hxy, hyy) -> Array:
    """The symmetric 2x2 matrices [[hxx, hxy], [hxy, hyy]] on two new last axes; the entries
    broadcast against each other (a constant entry may be a float)."""
    hxx, hxy, hyy = np.broadcast_arrays(np.asarray(hxx, dtype=float), np.asarray(hxy, dtype=float),
                                        np.asarray(hyy, dtype=float))
    out = np.empty((*hxx.shape, 2, 2))
    out[..., 0, 0] = hxx
    out[..., 0, 1] = hxy
    out[..., 1, 0] = hxy
    out[..., 1, 1] = hyy
    return out
