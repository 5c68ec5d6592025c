r"""Why a mini-batch points downhill better than one point: the spread of the per-sample gradients
at a point of a data surface, next to the means of mini-batches and the full gradient.

`gradient_spread(surface, point, batch_size, seed)` computes, at `point`, each sample's gradient
g_i (the gradient of its own squared error), the mean over each of the disjoint batches of one
shuffle of the data (as an epoch of mini-batch SGD draws them) and the full gradient ∇L, the mean
of all g_i. A step −η g moves downhill (lowers the full loss, to first order) exactly when
g · ∇L > 0. `spread_figure` draws the step directions −g_i, −ḡ_B and −∇L with the line where a
step leaves the loss unchanged; `GradientSpread.words()` says what the picture shows, in numbers
computed from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surfaces import Surface

SPREAD_BATCH = 16  # the batch the lessons' picture compares with single points


@dataclass(frozen=True, eq=False)
class GradientSpread:
    point: tuple[float, float]
    samples: np.ndarray  # (n, 2): each sample's gradient
    batches: np.ndarray  # (k, 2): each disjoint batch's mean gradient
    full: np.ndarray  # (2,): the full-batch gradient, the mean of `samples`
    batch_size: int

    def downhill(self, g: np.ndarray) -> np.ndarray:
        """Whether a step −η g lowers the full loss to first order: g · ∇L > 0."""
        return np.asarray(g) @ self.full > 0.0

    def words(self) -> str:
        n, k = len(self.samples), len(self.batches)
        single, batch = int(self.downhill(self.samples).sum()), int(self.downhill(self.batches).sum())
        return (f"At ({self.point[0]:.3g}, {self.point[1]:.3g}), {n - single} of the {n} single points' steps "
                f"({100 * (n - single) / n:.0f} %) go uphill; {k - batch} of the {k} mini-batches of "
                f"{self.batch_size} do. The batch means scatter about 1/√{self.batch_size} as widely.")


def gradient_spread(surface: Surface, point, batch_size: int = SPREAD_BATCH, seed: int = 0) -> GradientSpread:
    """The per-sample gradients at `point`, the means of the disjoint batches of one shuffle (by
    `seed`) and the full gradient; ValueError for a surface without data or a bad batch size."""
    if not surface.has_data:
        raise ValueError(f"{surface.key} has no data: no per-sample gradients")
    n = int(surface.n_samples)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be an integer in [1, {n}], got {batch_size!r}")
    p = np.asarray(point, dtype=float)
    if p.shape != (2,) or not np.all(np.isfinite(p)):
        raise ValueError(f"a point is two finite numbers (x, y), got {point!r}")
    samples = surface.minibatch_grad(np.repeat(p[None], n, axis=0), np.arange(n)[:, None])
    order = np.random.default_rng(seed).permutation(n)
    k = n // batch_size
    batches = samples[order[: k * batch_size]].reshape(k, batch_size, 2).mean(axis=1)
    return GradientSpread((float(p[0]), float(p[1])), samples, batches, samples.mean(axis=0), int(batch_size))


def spread_figure(spread: GradientSpread, height: int = 360) -> dict:
    """The step directions −g of single points (uphill ones apart), of mini-batch means and of the
    full batch, with the line through 0 where a step leaves the loss unchanged, on equal axes (so
    the angles are true), as a plain plotly figure dict (drawn by `figure_component.plotly_chart`)."""
    single, batch, full = -spread.samples, -spread.batches, -spread.full
    uphill = ~spread.downhill(spread.samples)
    every = np.concatenate([single, batch, full[None], np.zeros((1, 2))])
    low, high = every.min(axis=0), every.max(axis=0)
    pad = 0.08 * (high - low).max()
    low, high = low - pad, high + pad
    normal = full / (np.linalg.norm(full) or 1.0)
    edge = np.array([-normal[1], normal[0]]) * 2.0 * float(np.abs(np.concatenate([low, high])).max())
    point = {"type": "scatter", "mode": "markers"}
    data = [
        {"type": "scatter", "x": [-edge[0], edge[0]], "y": [-edge[1], edge[1]], "mode": "lines",
         "line": {"color": "#888888", "dash": "dash", "width": 1}, "hoverinfo": "skip",
         "name": "no change in the loss (first order)"},
        {**point, "x": single[~uphill, 0], "y": single[~uphill, 1], "name": "one point's step (SGD), downhill",
         "marker": {"color": "#9e9e9e", "size": 5, "opacity": 0.6}},
        {**point, "x": single[uphill, 0], "y": single[uphill, 1], "name": "one point's step (SGD), uphill",
         "marker": {"color": "#cc79a7", "size": 6, "symbol": "x"}},
        {**point, "x": batch[:, 0], "y": batch[:, 1], "name": f"a mini-batch's step (b={spread.batch_size})",
         "marker": {"color": "#d55e00", "size": 9, "symbol": "diamond"}},
        {"type": "scatter", "x": [0.0, float(full[0])], "y": [0.0, float(full[1])], "mode": "lines+markers",
         "name": "the full batch's step (GD)", "line": {"color": "#000000", "width": 3},
         "marker": {"size": [0, 12], "symbol": "star"}},
    ]
    axis = {"zeroline": True, "constrain": "domain"}
    layout = {"height": height, "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
              "title": {"text": "Step directions −g at the start, before η", "font": {"size": 14}},
              "xaxis": {**axis, "title": {"text": "along x"}, "range": [low[0], high[0]]},
              "yaxis": {**axis, "title": {"text": "along y"}, "range": [low[1], high[1]], "scaleanchor": "x"},
              "legend": {"orientation": "h", "y": -0.25}}
    return {"data": data, "layout": layout}
