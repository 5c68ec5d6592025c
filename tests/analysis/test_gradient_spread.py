"""The picture of per-sample gradients against mini-batch means (optviz.analysis.gradient_spread): its
numbers against a direct computation, and what the lessons that show it say."""

import numpy as np
import pytest

from optviz.analysis.gradient_spread import SPREAD_BATCH, gradient_spread, spread_figure
from optviz.plot.lessons import get_lesson
from surfaces import SURFACES

MSE = SURFACES["mse"]


def test_the_spread_is_each_samples_gradient_and_the_batches_are_their_means():
    x, y = MSE.data
    p = np.array(MSE.start)
    s = gradient_spread(MSE, p, 16, seed=3)
    residual = p[0] * x + p[1] - y
    np.testing.assert_allclose(s.samples, np.stack([2 * residual * x, 2 * residual], axis=1))
    np.testing.assert_allclose(s.full, MSE.grad(p), rtol=1e-12, atol=1e-12)  # the mean of the samples
    order = np.random.default_rng(3).permutation(len(x))
    assert len(s.batches) == len(x) // 16
    np.testing.assert_allclose(s.batches[2], s.samples[order[32:48]].mean(axis=0))


@pytest.mark.parametrize("key", ["gd-sgd-minibatch", "noise-floor"])
def test_at_the_lessons_start_single_points_go_uphill_and_batches_do_not(key):
    """What the picture shows a class, on every seed 0-19: many single points' steps go uphill,
    none of the mini-batches' (so 16 points point downhill better than one)."""
    lesson = get_lesson(key)
    assert lesson.picture == "gradient-spread"
    for seed in range(20):
        s = gradient_spread(MSE, lesson.view.start, SPREAD_BATCH, seed)
        assert (~s.downhill(s.samples)).mean() > 0.2 and s.downhill(s.batches).all(), seed
        assert s.words().startswith(f"At ({lesson.view.start[0]:.3g}, ") and "0 of the 15 mini-batches" in s.words()
        spread_sd, batch_sd = s.samples.std(axis=0), s.batches.std(axis=0)
        assert np.all(batch_sd < 0.5 * spread_sd)  # "about 1/√16 as widely" (a quarter, with this few batches)


def test_the_figure_draws_every_step_direction():
    s = gradient_spread(MSE, MSE.start)
    fig = spread_figure(s)
    line, down, up, batch, full = fig["data"]
    uphill = ~s.downhill(s.samples)
    assert 0 < uphill.sum() < len(uphill)
    np.testing.assert_allclose(up["x"], -s.samples[uphill, 0])
    np.testing.assert_allclose(down["y"], -s.samples[~uphill, 1])
    np.testing.assert_allclose(batch["y"], -s.batches[:, 1])
    for axis, k in (("xaxis", 0), ("yaxis", 1)):  # every step and 0 inside the plot
        low, high = fig["layout"][axis]["range"]
        assert low < min(0, (-s.samples[:, k]).min()) and high > max(0, (-s.samples[:, k]).max())
    assert full["x"][1] == pytest.approx(-s.full[0])
    edge = np.array([line["x"][1], line["y"][1]])
    assert abs(edge @ s.full) < 1e-9 * np.linalg.norm(edge) * np.linalg.norm(s.full)  # the no-change line


@pytest.mark.parametrize(("surface", "point", "batch", "message"), [
    ("bowl", (0, 0), 16, "bowl has no data"),
    ("mse", (0, 0), 0, r"batch_size must be an integer in \[1, 240\]"),
    ("mse", (0, np.nan), 16, "a point is two finite numbers"),
])
def test_bad_input_is_a_clear_error(surface, point, batch, message):
    with pytest.raises(ValueError, match=message):
        gradient_spread(SURFACES[surface], point, batch)
