"""Every surface, from the registry: gradients, minima, shapes, data handling."""

import dataclasses

import numpy as np
import pytest

from surfaces import SURFACES, get_surface, make_mse_surface
from surfaces.regression import load_bundled_data

ALL = list(SURFACES.values())
ids = [s.key for s in ALL]


def random_points(surface, n=200, seed=0):
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = surface.domain
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


@pytest.mark.parametrize("surface", ALL, ids=ids)
def test_gradient_matches_central_differences(surface):
    pts = random_points(surface)
    h = 1e-6 * surface.extent
    numeric = np.empty_like(pts)
    for axis in range(2):
        step = np.zeros(2)
        step[axis] = h
        numeric[:, axis] = (surface.f(pts + step) - surface.f(pts - step)) / (2 * h)
    analytic = surface.grad(pts)
    scale = np.maximum(1.0, np.abs(analytic))
    np.testing.assert_array_less(np.abs(analytic - numeric) / scale, 1e-5)


@pytest.mark.parametrize("surface", ALL, ids=ids)
def test_hessian_matches_central_differences_of_the_gradient(surface):
    """Column j of the Hessian is d(grad)/d(p_j): central differences of the analytic gradient
    at random points agree, and the matrix is symmetric."""
    assert surface.hessian is not None, f"{surface.key} has no Hessian"
    pts = random_points(surface, seed=1)
    h = 1e-5 * surface.extent
    numeric = np.empty((len(pts), 2, 2))
    for axis in range(2):
        step = np.zeros(2)
        step[axis] = h
        numeric[:, :, axis] = (surface.grad(pts + step) - surface.grad(pts - step)) / (2 * h)
    analytic = surface.hessian(pts)
    assert analytic.shape == (len(pts), 2, 2)
    np.testing.assert_array_equal(analytic, np.swapaxes(analytic, -1, -2))
    scale = np.maximum(1.0, np.abs(analytic))
    np.testing.assert_array_less(np.abs(analytic - numeric) / scale, 1e-5)


@pytest.mark.parametrize("surface", ALL, ids=ids)
def test_hessian_acts_on_the_last_axis(surface):
    grid = np.zeros((3, 4, 2)) + surface.center
    assert surface.hessian(grid).shape == (3, 4, 2, 2)
    point = np.asarray(surface.start)
    assert surface.hessian(point).shape == (2, 2)
    np.testing.assert_array_equal(surface.hessian(grid)[1, 2], surface.hessian(surface.center))
    pts = random_points(surface, 7, seed=2)
    np.testing.assert_array_equal(surface.hessian(pts)[3], surface.hessian(pts[3]))


def test_hessians_of_the_quadratics_are_their_constant_curvatures():
    for key, expected in [("bowl", [[2, 0], [0, 2]]), ("saddle", [[2, 0], [0, -2]]), ("ravine", [[0.2, 0], [0, 4]])]:
        np.testing.assert_array_equal(SURFACES[key].hessian(random_points(SURFACES[key], 5)),
                                      np.broadcast_to(expected, (5, 2, 2)))
    mse = SURFACES["mse"]
    x, _ = mse.data
    design = np.column_stack([x, np.ones_like(x)])
    np.testing.assert_allclose(mse.hessian(np.array([0.3, -2.0])), 2 * design.T @ design / x.size, rtol=1e-12)
    # Rosenbrock at its minimum: [[802, -400], [-400, 200]] (eigenvalues 1001.6 and 0.4).
    np.testing.assert_allclose(SURFACES["rosenbrock"].hessian(np.array([1.0, 1.0])), [[802, -400], [-400, 200]])


@pytest.mark.parametrize("surface", ALL, ids=ids)
def test_known_minima_have_zero_gradient_and_stated_value(surface):
    for m in surface.minima:
        g = surface.grad(np.array([m.x, m.y]))
        np.testing.assert_allclose(g, 0.0, atol=1e-9)
        assert surface.f(np.array([m.x, m.y])) == pytest.approx(m.value, abs=1e-12, rel=1e-12)
        assert surface.contains((m.x, m.y))
    if surface.f_min is None:
        assert not surface.minima
    else:
        global_values = [m.value for m in surface.minima if m.is_global]
        assert global_values and min(global_values) == pytest.approx(surface.f_min)
        # Nothing on a fine grid of the domain lies below the stated global minimum.
        (x0, x1), (y0, y1) = surface.domain
        xs, ys = np.meshgrid(np.linspace(x0, x1, 401), np.linspace(y0, y1, 401))
        assert surface.f(np.stack([xs, ys], axis=-1)).min() >= surface.f_min - 1e-9


@pytest.mark.parametrize("surface", ALL, ids=ids)
def test_minima_are_minima(surface):
    """A known minimum is lower than every point on a small ring around it (second-order check)."""
    angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    ring = 1e-3 * surface.extent * np.column_stack([np.cos(angles), np.sin(angles)])
    for m in surface.minima:
        assert np.all(surface.f(np.array([m.x, m.y]) + ring) > m.value)


@pytest.mark.parametrize("surface", ALL, ids=ids)
def test_last_axis_contract(surface):
    grid = np.zeros((3, 4, 2)) + surface.center
    assert surface.f(grid).shape == (3, 4)
    assert surface.grad(grid).shape == (3, 4, 2)
    point = np.asarray(surface.start)
    assert np.ndim(surface.f(point)) == 0
    assert surface.grad(point).shape == (2,)
    np.testing.assert_allclose(surface.f(grid)[1, 2], surface.f(surface.center))
    assert surface.contains(surface.start)


@pytest.mark.parametrize("surface", ALL, ids=ids)
def test_surface_describes_itself(surface):
    assert surface.title and surface.latex and surface.description
    assert get_surface(surface.key) is surface
    with pytest.raises(dataclasses.FrozenInstanceError):
        surface.key = "other"


def test_unknown_surface_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown surface 'nope'"):
        get_surface("nope")


def test_saddle_is_unbounded_and_has_no_minima():
    saddle = SURFACES["saddle"]
    assert saddle.f_min is None and saddle.minima == ()
    assert saddle.f(np.array([0.0, 1e3])) < -1e5


def test_two_minima_has_a_local_and_a_global_minimum():
    s = SURFACES["two_minima"]
    kinds = sorted((m.is_global, m.value) for m in s.minima)
    assert kinds[0][0] is False and kinds[1][0] is True
    assert kinds[1][1] < kinds[0][1]
    # The ridge between them is flat: the gradient there vanishes to third order.
    assert np.abs(s.grad(np.array([0.5 + 0.1, 0.0]))[0]) < 1e-3


def test_mse_minimum_is_the_least_squares_fit():
    x, y = load_bundled_data()
    assert x.size == 240
    w, b = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y, rcond=None)[0]
    mse = SURFACES["mse"]
    np.testing.assert_allclose(mse.minima_points[0], [w, b], rtol=1e-12, atol=1e-12)
    # The closed-form surface equals the loss computed from the raw data.
    for p in random_points(mse, 20):
        direct = np.mean((p[0] * x + p[1] - y) ** 2)
        assert mse.f(p) == pytest.approx(direct, rel=1e-12)


def test_mse_full_minibatch_equals_full_gradient_and_batches_differ():
    mse = SURFACES["mse"]
    pts = random_points(mse, 5)
    all_rows = np.tile(np.arange(mse.n_samples), (5, 1))
    np.testing.assert_allclose(mse.minibatch_grad(pts, all_rows), mse.grad(pts), rtol=1e-10, atol=1e-12)
    one = mse.minibatch_grad(pts, np.zeros((5, 1), dtype=int))
    assert not np.allclose(one, mse.grad(pts))


def test_mse_accepts_caller_data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=50)
    y = -3 * x + 0.5 + rng.normal(scale=0.1, size=50)
    s = make_mse_surface(x, y, key="mine", title="Mine")
    assert s.key == "mine" and s.n_samples == 50
    assert s.minima[0].x == pytest.approx(-3, abs=0.1)
    assert s.contains(s.start) and s.contains((s.minima[0].x, s.minima[0].y))


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([1, 2, 3], [1, 2], "same length"),
        ([1], [1], "at least 2"),
        ([1, np.nan], [1, 2], "NaN"),
        ([2, 2, 2], [1, 2, 3], "all x values are equal"),
        (["a", "b"], [1, 2], "numbers"),
        ([1, 1e9], [1, 2], "1e6"),
    ],
)
def test_mse_rejects_bad_data_clearly(x, y, message):
    with pytest.raises(ValueError, match=message):
        make_mse_surface(x, y)


@pytest.mark.parametrize("surface", [s for s in ALL if s.value_and_grad], ids=lambda s: s.key)
def test_value_and_grad_is_exactly_f_and_grad(surface):
    pts = random_points(surface, 50)
    for p in (pts, pts[0], pts.reshape(5, 10, 2)):
        value, grad = surface.value_and_grad(p)
        np.testing.assert_array_equal(value, surface.f(p))
        np.testing.assert_array_equal(grad, surface.grad(p))
