"""simulate(): shapes, determinism, batch == per-start, divergence, convergence with the presets."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz import OPTIMIZERS, simulate
from optviz.engine import _EpochSampler, _start_generators
from optviz.presets import PRESETS, preset_for
from surfaces import SURFACES

OPT_KEYS = list(OPTIMIZERS)


def test_single_start_shapes():
    t = simulate("beale", "adam", (1.0, 1.5), 25, lr=0.01)
    assert t.path.shape == (26, 2) and t.loss.shape == (26,) and t.grad_norm.shape == (26,)
    assert t.distance.shape == (26,)
    assert np.ndim(t.diverged) == 0 and np.ndim(t.converged_at) == 0
    np.testing.assert_array_equal(t.path[0], [1.0, 1.5])
    np.testing.assert_allclose(t.loss, SURFACES["beale"].f(t.path))


def test_many_starts_shapes_and_default_start():
    starts = np.array([[1.0, 1.5], [-1.0, 2.0], [0.5, -0.5]])
    t = simulate("beale", "sgd", starts, 10)
    assert t.path.shape == (11, 3, 2) and t.loss.shape == (11, 3) and t.diverged.shape == (3,)
    t0 = simulate("beale", "sgd", steps=3)
    np.testing.assert_array_equal(t0.path[0], SURFACES["beale"].start)


@pytest.mark.parametrize("key", OPT_KEYS)
@pytest.mark.parametrize(
    ("surface", "kwargs"),
    [("himmelblau", {}), ("rosenbrock", {"noise": 0.5}), ("mse", {"batch_size": 16}), ("mse", {"batch_size": 1})],
)
def test_batch_equals_per_start(key, surface, kwargs):
    s = SURFACES[surface]
    rng = np.random.default_rng(3)
    (x0, x1), (y0, y1) = s.domain
    starts = np.column_stack([rng.uniform(x0, x1, 5), rng.uniform(y0, y1, 5)])
    hp = PRESETS[surface].hparams_for(key)
    batch = simulate(s, key, starts, 60, seed=7, **kwargs, **hp)
    for i, start in enumerate(starts):
        one = simulate(s, key, start, 60, seed=7, **kwargs, **hp)
        np.testing.assert_array_equal(batch.path[:, i], one.path)
        np.testing.assert_array_equal(batch.loss[:, i], one.loss)
        assert batch.diverged_at[i] == one.diverged_at and batch.converged_at[i] == one.converged_at


@pytest.mark.parametrize(("surface", "kwargs"), [("beale", {"noise": 0.3}), ("mse", {"batch_size": 8})])
def test_same_seed_same_path_other_seed_other_path(surface, kwargs):
    a = simulate(surface, "momentum", None, 80, seed=11, **kwargs)
    b = simulate(surface, "momentum", None, 80, seed=11, **kwargs)
    c = simulate(surface, "momentum", None, 80, seed=12, **kwargs)
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.array_equal(a.path, c.path)
    exact = simulate(surface, "momentum", None, 80, seed=11)
    assert not np.array_equal(a.path, exact.path)


def test_full_batch_is_the_exact_gradient():
    s = SURFACES["mse"]
    full = simulate(s, "sgd", None, 50, batch_size=s.n_samples, seed=3)
    exact = simulate(s, "sgd", None, 50)
    np.testing.assert_array_equal(full.path, exact.path)
    assert full.batch_size is None


def test_minibatches_walk_through_epochs_without_replacement():
    """Each epoch is a fresh shuffle: its batches never repeat a row, and every start shuffles on its own."""
    generators = [np.random.default_rng(1), np.random.default_rng(2)]
    sampler = _EpochSampler(generators, n_samples=10, batch_size=3)  # 3 batches an epoch, one row left out
    epoch = [sampler.batch(t) for t in range(3)]
    rows = np.concatenate(epoch, axis=1)
    assert rows.shape == (2, 9)
    for r in rows:
        assert len(set(r.tolist())) == 9 and set(r.tolist()) <= set(range(10))
    assert not np.array_equal(rows[0], rows[1])
    next_epoch = np.concatenate([sampler.batch(t) for t in range(3, 6)], axis=1)
    assert not np.array_equal(next_epoch, rows)


def test_minibatch_gradient_is_the_mean_over_the_drawn_rows():
    s = SURFACES["mse"]
    x, y = s.data
    t = simulate(s, "sgd", None, 1, batch_size=4, seed=9, lr=0.1)
    batch_rng = _start_generators(9, np.array([s.start]))[0][0]  # fresh: the same stream simulate() used
    rows = _EpochSampler([batch_rng], s.n_samples, 4).batch(0)[0]
    w, b = s.start
    residual = w * x[rows] + b - y[rows]
    expected_step = -0.1 * np.array([2 * np.mean(residual * x[rows]), 2 * np.mean(residual)])
    np.testing.assert_allclose(t.path[1] - t.path[0], expected_step, rtol=1e-12, atol=1e-15)


def test_divergence_is_flagged_and_path_stays_finite():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = simulate("rosenbrock", "sgd", (-1.5, 2.0), 200, lr=0.1)
    assert t.diverged and t.diverged_at > 0 and not t.converged
    for arr in (t.path, t.loss, t.grad_norm, t.distance):
        assert np.all(np.isfinite(arr))
    k = int(t.diverged_at)
    np.testing.assert_array_equal(t.path[k:], np.broadcast_to(t.path[k - 1], t.path[k:].shape))
    s = SURFACES["rosenbrock"]
    assert np.all(np.abs(t.path - s.center) <= s.escape_radius)


def test_divergence_of_one_start_leaves_the_others_alone():
    starts = np.array([[4.0, 4.0], [3.05, 0.55]])
    t = simulate("beale", "sgd", starts, 100, lr=0.01)
    alone = simulate("beale", "sgd", starts[1], 100, lr=0.01)
    assert t.diverged[0] and not t.diverged[1]
    np.testing.assert_array_equal(t.path[:, 1], alone.path)


def test_saddle_has_no_distance_and_escapes():
    t = simulate("saddle", "momentum", (-1.8, 0.01), 300, lr=0.05)
    assert t.distance is None and not t.converged and t.nearest_minimum == -1
    assert t.diverged  # escaped to -infinity along y: the lesson
    assert t.summary()["distance_to_minimum"] is None


def test_himmelblau_reports_which_minimum():
    s = SURFACES["himmelblau"]
    starts = s.minima_points + 0.1
    t = simulate(s, "sgd", starts, 300, lr=0.01)
    np.testing.assert_array_equal(t.nearest_minimum, np.arange(4))
    assert np.all(t.converged)


# Only where a preset names the optimizer: an optimizer without an entry is covered by
# tests/test_optimizers.py::test_every_optimizer_can_converge_on_the_bowl (one entry, no preset needed).
@pytest.mark.parametrize(("key", "surface"), [(k, s) for s in ("bowl", "beale") for k in OPT_KEYS
                                              if k in PRESETS[s].hparams])
def test_every_optimizer_converges_with_its_preset(key, surface):
    preset = PRESETS[surface]
    t = simulate(surface, key, preset.start, preset.steps, **preset.hparams_for(key))
    assert t.converged, (key, surface, t.summary())
    assert not t.diverged
    assert t.converged_at <= preset.steps


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface_has_a_valid_preset(surface):
    preset = preset_for(surface)  # its own entry, or the default for a surface without one
    s = SURFACES[surface]
    assert s.contains(preset.start) and 1 <= preset.steps <= 1000
    for key, overrides in preset.hparams.items():
        spec = OPTIMIZERS[key]
        for name, value in overrides.items():
            assert spec.hparam(name).contains(value), (surface, key, name, value)


def test_presets_show_every_optimizer_moving_and_not_blown_away():
    for surface, preset in PRESETS.items():
        for key in preset.hparams:  # what the preset promises for the optimizers it names
            t = simulate(surface, key, preset.start, preset.steps, **preset.hparams_for(key))
            travelled = np.hypot(*(t.path[-1] - t.path[0]))
            assert travelled > 0.05 * SURFACES[surface].extent, (surface, key)
            if surface != "saddle":
                assert not t.diverged, (surface, key)
            else:
                assert not t.diverged or t.diverged_at > 5, (surface, key)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": -1}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"steps": 10**9}, "steps"),
        ({"seed": -3}, "seed"),
        ({"noise": -1.0}, "noise"),
        ({"noise": float("nan")}, "noise"),
        ({"batch_size": 4}, "data surfaces"),
        ({"start": (1.0, float("nan"))}, "NaN"),
        ({"start": (1.0, 2.0, 3.0)}, "shape"),
        ({"start": "here"}, "start"),
        ({"start": (1e9, 0.0)}, "far outside"),
        ({"lr": 0.0}, "lr"),
        ({"momentum": 0.5}, "unknown hyperparameter"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    args = {"steps": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        simulate("beale", "adam", **args)


def test_bad_batch_size_and_unknown_names():
    with pytest.raises(ValueError, match="batch_size"):
        simulate("mse", "sgd", batch_size=0)
    with pytest.raises(ValueError, match="batch_size"):
        simulate("mse", "sgd", batch_size=10**6)
    with pytest.raises(ValueError, match="unknown optimizer"):
        simulate("mse", "adamw")
    with pytest.raises(ValueError, match="unknown surface"):
        simulate("nope", "sgd")


def test_zero_steps():
    t = simulate("bowl", "adam", (1.0, 1.0), 0)
    assert t.path.shape == (1, 2) and not t.diverged


def hparam_values(spec):
    def draw(h):
        if h.log:
            return st.floats(np.log10(h.low), np.log10(h.high)).map(lambda e: float(10.0**e))
        return st.floats(h.low, h.high)

    return st.fixed_dictionaries({h.name: draw(h) for h in spec.hparams})


@st.composite
def scenarios(draw):
    surface = SURFACES[draw(st.sampled_from(list(SURFACES)))]
    spec = OPTIMIZERS[draw(st.sampled_from(OPT_KEYS))]
    hp = draw(hparam_values(spec))
    (x0, x1), (y0, y1) = surface.domain
    start = (draw(st.floats(x0, x1)), draw(st.floats(y0, y1)))
    kwargs = {"noise": draw(st.sampled_from([0.0, 0.1, 10.0]))}
    if surface.has_data and draw(st.booleans()):
        kwargs["batch_size"] = draw(st.integers(1, surface.n_samples))
    return surface, spec.key, hp, start, kwargs, draw(st.integers(0, 2**32))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(0, 80))
def test_any_hyperparameters_in_range_give_finite_numbers(scenario, steps):
    surface, key, hp, start, kwargs, seed = scenario
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning may reach the user
        t = simulate(surface, key, start, steps, seed=seed, **kwargs, **hp)
    arrays = [t.path, t.loss, t.grad_norm] + ([] if t.distance is None else [t.distance])
    assert all(np.all(np.isfinite(a)) for a in arrays)
    assert np.all(np.abs(t.path - surface.center) <= surface.escape_radius)
    assert bool(t.diverged) == (t.diverged_at >= 0)
    if t.diverged:
        k = int(t.diverged_at)
        assert 1 <= k <= steps
        assert np.all(t.path[k:] == t.path[k - 1])
        assert not t.converged


@pytest.mark.parametrize("surface", ["beale", "rosenbrock", "ravine"])
def test_nesterov_look_ahead_points_follow_torchs_nesterov_formula(surface):
    """torch.optim.SGD(nesterov=True): b = mu b + g(p); p -= lr (g(p) + mu b), written out in numpy.
    Our look-ahead points theta_t - gamma v_t must be exactly its iterates (torch itself: see
    test_torch_crosscheck.py)."""
    s = SURFACES[surface]
    lr, mu, steps = 1e-3, 0.9, 80
    start = np.array((0.5, 0.5) if surface == "rosenbrock" else s.start)
    theta = simulate(s, "nesterov", start, steps, lr=lr, momentum=mu).path
    velocity = np.vstack([np.zeros((1, 2)), theta[:-1] - theta[1:]])
    look_ahead = theta - mu * velocity
    p, b, iterates = start.copy(), np.zeros(2), [start.copy()]
    for _ in range(steps):
        g = s.grad(p)
        b = mu * b + g
        p = p - lr * (g + mu * b)
        iterates.append(p)
    np.testing.assert_allclose(look_ahead, np.array(iterates), rtol=1e-10, atol=1e-13)
