"""The curvature lens's core (`optviz.analysis.curvature`): the model against numpy and finite differences on
every surface, and its predictions against simulated runs on the exactly quadratic surfaces."""

import math

import numpy as np
import pytest

from optviz import simulate
from optviz.analysis import curvature as cv
from surfaces import SURFACES

ALL = list(SURFACES.values())
ids = [s.key for s in ALL]
QUADRATIC = ["bowl", "ravine", "mse"]  # exactly quadratic with a minimum (the saddle is quadratic too, without one)
BETAS = (0.0, 0.5, 0.9)


def points_of(surface):
    """The start, the centre, the minima and a spread of points of the domain."""
    (x0, x1), (y0, y1) = surface.domain
    spread = [(x0 + a * (x1 - x0), y0 + b * (y1 - y0)) for a, b in ((0.2, 0.3), (0.7, 0.6), (0.45, 0.9))]
    return [surface.start, tuple(surface.center), *[(m.x, m.y) for m in surface.minima], *spread]


@pytest.mark.parametrize("surface", ALL, ids=ids)
def test_eigenvalues_match_eigh_and_finite_differences_of_the_gradient(surface):
    h = 1e-5 * surface.extent
    for p in points_of(surface):
        model = cv.local_model(surface, p)
        expected_values, expected_vectors = np.linalg.eigh(surface.hessian(np.asarray(p, dtype=float)))
        np.testing.assert_allclose(model.eigenvalues, expected_values, rtol=1e-12, atol=1e-12)
        # eigenvectors up to sign: H v = λ v, orthonormal
        np.testing.assert_allclose(model.hessian @ model.eigenvectors, model.eigenvectors * model.eigenvalues,
                                   atol=1e-9 * max(1.0, model.scale))
        np.testing.assert_allclose(model.eigenvectors.T @ model.eigenvectors, np.eye(2), atol=1e-12)
        assert abs(abs(expected_vectors[:, 1] @ model.eigenvectors[:, 1]) - 1) < 1e-9 or np.isclose(
            model.lam_min, model.lam_max)
        numeric = np.empty((2, 2))
        for axis in range(2):
            step = np.zeros(2)
            step[axis] = h
            numeric[:, axis] = (surface.grad(np.asarray(p) + step) - surface.grad(np.asarray(p) - step)) / (2 * h)
        numeric_values = np.linalg.eigvalsh(0.5 * (numeric + numeric.T))
        np.testing.assert_allclose(model.eigenvalues, numeric_values, rtol=1e-5, atol=1e-5 * max(1.0, model.scale))


def test_which_surfaces_are_exactly_quadratic():
    assert {s.key for s in ALL if cv.is_quadratic(s)} == {"bowl", "ravine", "saddle", "mse"}


def test_condition_number_and_curvatures_of_the_ravine():
    model = cv.local_model("ravine", (1.0, -2.0))
    assert model.eigenvalues.tolist() == [0.2, 4.0]
    assert model.condition == pytest.approx(20.0)
    assert cv.max_stable_lr(model.lam_max) == pytest.approx(0.5)
    assert cv.max_stable_lr(model.lam_max, cv.HEAVY_BALL, 0.9) == pytest.approx(0.95)


def _final_error(surface, optimizer, lr, momentum=None, steps=3000):
    hp = {"lr": lr} if momentum is None else {"lr": lr, "momentum": momentum}
    traj = simulate(surface, optimizer, SURFACES[surface].start, steps, **hp)
    target = cv.stationary_point(cv.local_model(surface, SURFACES[surface].center))
    start_error = np.linalg.norm(np.asarray(SURFACES[surface].start) - target)
    return bool(traj.diverged), float(np.linalg.norm(traj.path[-1] - target)) / start_error


@pytest.mark.parametrize("surface", QUADRATIC)
@pytest.mark.parametrize(("optimizer", "beta"), [("sgd", None), *[(m, b) for m in ("momentum", "nesterov")
                                                                    for b in BETAS]])
def test_stability_boundary_against_simulated_runs(surface, optimizer, beta):
    """Just inside the predicted largest stable η a run converges, just outside it diverges."""
    model = cv.local_model(surface, SURFACES[surface].center)
    method = cv.method_for(optimizer)
    boundary = cv.max_stable_lr(model.lam_max, method, beta or 0.0)
    # the model's own verdict on either side
    assert cv.linear_rate(model.eigenvalues, 0.95 * boundary, method, beta or 0.0) < 1.0
    assert cv.linear_rate(model.eigenvalues, 1.05 * boundary, method, beta or 0.0) > 1.0
    assert cv.classify(model.eigenvalues, 0.95 * boundary, method, beta or 0.0) != cv.DIVERGING
    assert cv.classify(model.eigenvalues, 1.05 * boundary, method, beta or 0.0) == cv.DIVERGING
    diverged, ratio = _final_error(surface, optimizer, 0.95 * boundary, beta)
    assert not diverged and ratio < 1e-3, (diverged, ratio)
    diverged, ratio = _final_error(surface, optimizer, 1.05 * boundary, beta)
    assert diverged, ratio


@pytest.mark.parametrize("surface", ["saddle", *QUADRATIC])
def test_milestones_sum_to_the_error(surface):
    traj = simulate(surface, "momentum", SURFACES[surface].start, 60, lr=0.05, momentum=0.8)
    m = cv.milestones(surface, traj.path)
    np.testing.assert_allclose(m.parts.sum(axis=1), m.error, rtol=0, atol=1e-12 * max(1.0, np.abs(m.error).max()))
    np.testing.assert_allclose(m.error, traj.path - m.target, atol=0)
    # each part lies along its eigenvector
    for i in range(2):
        v = m.eigenvectors[:, i]
        cross = m.parts[:, i, 0] * v[1] - m.parts[:, i, 1] * v[0]
        np.testing.assert_allclose(cross, 0, atol=1e-12 * np.abs(m.error).max())


def test_milestones_of_gd_follow_each_curvature_exactly():
    """On the ravine GD's coordinate along eigenvector i is multiplied by exactly 1 − ηλᵢ each step."""
    lr = 0.3
    traj = simulate("ravine", "sgd", (-5.0, -2.0), 30, lr=lr)
    m = cv.milestones("ravine", traj.path)
    for i, lam in enumerate(m.eigenvalues):
        np.testing.assert_allclose(m.coords[1:, i], (1 - lr * lam) * m.coords[:-1, i], rtol=1e-12, atol=1e-15)


def test_milestones_refuse_a_surface_that_is_not_quadratic():
    with pytest.raises(ValueError, match="not exactly quadratic"):
        cv.milestones("rosenbrock", [(0.0, 0.0), (0.1, 0.1)])


@pytest.mark.parametrize("surface", ["ravine", "mse"])
def test_optimal_rates_are_the_measured_contraction(surface):
    model = cv.local_model(surface, SURFACES[surface].center)
    target = cv.stationary_point(model)
    kappa = model.condition
    lr, rate = cv.optimal_gd(model.lam_min, model.lam_max)
    assert rate == pytest.approx((kappa - 1) / (kappa + 1))
    assert cv.linear_rate(model.eigenvalues, lr) == pytest.approx(rate, rel=1e-12)
    traj = simulate(surface, "sgd", SURFACES[surface].start, 150, lr=lr)
    assert cv.measured_rate(traj.path, target) == pytest.approx(rate, rel=1e-6)
    lr, beta, rate = cv.optimal_heavy_ball(model.lam_min, model.lam_max)
    root = math.sqrt(kappa)
    assert rate == pytest.approx((root - 1) / (root + 1))
    assert beta == pytest.approx(rate**2)
    assert cv.linear_rate(model.eigenvalues, lr, cv.HEAVY_BALL, beta) == pytest.approx(rate, rel=1e-6)
    traj = simulate(surface, "momentum", SURFACES[surface].start, 600, lr=lr, momentum=beta)
    # A double root: the error goes as (a + bt)·ρ^t, so a window's mean ratio over steps s..t is ρ·((t+c)/(s+c))^(1/k),
    # which tends to ρ only late in the run: measure far down (the ravine's minimum is 0, so no rounding floor).
    floor = 1e-300 if not np.any(target) else 1e-10
    measured = cv.measured_rate(traj.path, target, window=40, floor=floor)
    assert rate < measured < rate * (1.01 if floor < 1e-200 else 1.05)


@pytest.mark.parametrize(("optimizer", "beta"), [("sgd", 0.0), ("momentum", 0.5), ("nesterov", 0.7)])
def test_predicted_rate_is_the_measured_one_at_any_setting(optimizer, beta):
    model = cv.local_model("ravine", (0.0, 0.0))
    lr = 0.3
    method = cv.method_for(optimizer)
    hp = {"lr": lr} if optimizer == "sgd" else {"lr": lr, "momentum": beta}
    traj = simulate("ravine", optimizer, (-5.0, -2.0), 400, **hp)
    predicted = cv.linear_rate(model.eigenvalues, lr, method, beta)
    assert cv.measured_rate(traj.path, (0.0, 0.0), window=60) == pytest.approx(predicted, rel=1e-2)


def test_classify_regions_on_the_bowl():
    eig = [2.0, 2.0]
    assert cv.classify(eig, 0.25) == cv.MONOTONE  # 1 − ηλ = 0.5
    assert cv.classify(eig, 0.75) == cv.OSCILLATING  # −0.5
    assert cv.classify(eig, 1.1) == cv.DIVERGING
    assert cv.classify(eig, 0.1, cv.HEAVY_BALL, 0.9) == cv.OSCILLATING  # complex roots
    assert cv.classify(eig, 0.1, cv.HEAVY_BALL, 0.1) == cv.MONOTONE  # real positive roots
    lrs, betas = np.meshgrid(np.geomspace(0.01, 3, 30), np.linspace(0, 0.99, 20))
    grid = cv.classify(eig, lrs, cv.HEAVY_BALL, betas)
    assert grid.shape == lrs.shape
    assert set(np.unique(grid)) == set(cv.REGIONS)
    # the divergence region is exactly η ≥ 2(1 + β)/λmax
    np.testing.assert_array_equal(grid == cv.DIVERGING, lrs >= 2 * (1 + betas) / 2.0 * (1 - 1e-12))


def test_classify_agrees_with_the_companion_matrix():
    rng = np.random.default_rng(0)
    for _ in range(200):
        lam, lr, beta = rng.uniform(0.1, 5), rng.uniform(0.01, 2), rng.uniform(0, 0.99)
        for method in cv.METHODS:
            z = np.linalg.eigvals(cv.companion(lam, lr, method, beta))
            assert cv.linear_rate([lam], lr, method, beta) == pytest.approx(np.abs(z).max(), rel=1e-9, abs=1e-12)


def test_negative_curvature_predicts_escape():
    model = cv.local_model("saddle", (0.5, 0.01))
    assert model.negative and model.condition == math.inf
    assert cv.escape_factor(model, 0.1) == pytest.approx(1.2)  # |1 − 0.1·(−2)|
    traj = simulate("saddle", "sgd", (0.5, 0.01), 10, lr=0.1)
    np.testing.assert_allclose(traj.path[1:, 1] / traj.path[:-1, 1], 1.2)
    assert cv.escape_factor(cv.local_model("bowl", (1.0, 1.0)), 0.1) is None
    with pytest.raises(ValueError, match="λmin"):
        cv.optimal_gd(model.lam_min, model.lam_max)


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="β"):
        cv.max_stable_lr(1.0, cv.HEAVY_BALL, 1.5)
    with pytest.raises(ValueError, match="positive"):
        cv.max_stable_lr(-1.0)
    with pytest.raises(ValueError, match="unknown method"):
        cv.companion(1.0, 0.1, "adam")


def test_ellipse_axes_follow_the_eigenvectors():
    model = cv.local_model("ravine", (1.0, 1.0))
    pts = model.ellipse()
    d = pts - model.point
    q = 0.5 * np.einsum("ni,ij,nj->n", d, model.hessian, d)
    np.testing.assert_allclose(q, q[0], rtol=1e-12)  # one level of the model
    assert model.semi_axes()[0] / model.semi_axes()[1] == pytest.approx(math.sqrt(model.condition))
    assert cv.local_model("saddle", (0, 0)).ellipse() is None


def test_settings_for_list_the_closed_forms_with_their_rates():
    model = cv.local_model("ravine", (1.0, 1.0))
    rows = {r.name: r for r in cv.settings_for(model, cv.HEAVY_BALL, 0.1, 0.9)}
    assert rows["this run"].rate == cv.linear_rate(model.eigenvalues, 0.1, cv.HEAVY_BALL, 0.9)
    assert rows["largest stable η (the boundary)"].lr == pytest.approx(0.95)
    assert rows["largest stable η (the boundary)"].rate == pytest.approx(1.0)
    assert rows["optimal η for gradient descent"].lr == pytest.approx(2 / 4.2)
    pair = rows["optimal (η, β) for heavy ball"]
    assert (pair.lr, pair.beta, pair.rate) == pytest.approx(cv.optimal_heavy_ball(0.2, 4.0), rel=1e-6)


def test_nesterovs_searched_pair_beats_every_heavy_ball_free_grid_point():
    model = cv.local_model("ravine", (0.0, 0.0))
    lr, beta, rate = cv.best_on_grid(model.eigenvalues, cv.NESTEROV, cv.map_range(model))
    lrs, betas = np.meshgrid(np.geomspace(*cv.map_range(model), 50), np.linspace(0, 0.99, 50))
    assert rate <= cv.linear_rate(model.eigenvalues, lrs, cv.NESTEROV, betas).min() + 1e-12
    assert rate < cv.optimal_gd(0.2, 4.0)[1]  # momentum's point: faster than the best plain GD
    traj = simulate("ravine", "nesterov", (-5.0, -2.0), 300, lr=lr, momentum=beta)
    assert cv.measured_rate(traj.path, (0, 0), window=60, floor=1e-300) == pytest.approx(rate, rel=3e-2)


def test_region_map_needs_a_positive_curvature():
    lrs, betas, regions = cv.region_map(cv.local_model("saddle", (0, 0)), cv.HEAVY_BALL)
    assert regions.shape == (len(betas), len(lrs))
    with pytest.raises(ValueError, match="no curvature is positive"):
        cv.region_map(cv.local_model("himmelblau", (-0.270845, -0.923039)), cv.GD)


def test_a_surface_without_a_hessian_gets_one_from_differences_of_its_gradient():
    import dataclasses

    bare = dataclasses.replace(SURFACES["rosenbrock"], hessian=None)
    for p in points_of(bare):
        model = cv.local_model(bare, p)
        exact = cv.local_model("rosenbrock", p)
        assert not model.exact_hessian and exact.exact_hessian
        np.testing.assert_allclose(model.eigenvalues, exact.eigenvalues, rtol=1e-6, atol=1e-6 * exact.scale)
    assert not cv.is_quadratic(dataclasses.replace(SURFACES["bowl"], hessian=None))  # no exactness claimed


def test_the_momentum_tuned_lesson_runs_what_the_curvature_lens_prescribes():
    """Issue 24.4: the lesson's GD η and heavy-ball (η, β) are the lens's "use the optimal η" and
    "use the optimal (η, β)" at its start (the ravine is quadratic: the same at every point), to the
    digits the lesson file gives, and its text sends the class to those buttons."""
    from optviz.plot.lessons import get_lesson

    lesson = get_lesson("momentum-tuned")
    model = cv.local_model(lesson.view.surface, lesson.view.start)
    lam_min, lam_max = sorted(model.eigenvalues)
    best_lr, _ = cv.optimal_gd(lam_min, lam_max)
    lr, beta, _ = cv.optimal_heavy_ball(lam_min, lam_max)
    gd, heavy = lesson.run("gd"), lesson.run("heavy-ball")
    assert gd.hparam("lr") == pytest.approx(best_lr, abs=5e-4)
    assert heavy.hparam("lr") == pytest.approx(lr, abs=5e-5)
    assert heavy.hparam("momentum") == pytest.approx(beta, abs=5e-5)
    assert "Curvature tool" in lesson.look
