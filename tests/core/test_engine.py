"""simulate(): shapes, determinism, batch == per-start, divergence, convergence with the presets."""

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz import OPTIMIZERS, Optimizer, simulate
from optviz.core.engine import OUTCOMES, _EpochSampler, _start_generators, min_stay
from optviz.core.presets import PRESETS, preset_for
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
        assert batch.outcome[i] == one.outcome and batch.escaped_at[i] == one.escaped_at
        assert batch.inside_since[i] == one.inside_since


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
    # It escapes along y (the lesson), and later reaches the escape radius where the engine
    # freezes it: that is still the escape, not a divergence.
    assert t.outcome == "escaped" and 0 < t.escaped_at < t.diverged_at
    s = t.summary()
    assert s["distance_to_minimum"] is None and s["nearest_minimum"] is None
    assert s["outcome"] == "escaped" and s["escaped_at"] == t.escaped_at and s["diverged_at"] == t.diverged_at


def test_himmelblau_reports_which_minimum():
    s = SURFACES["himmelblau"]
    starts = s.minima_points + 0.1
    t = simulate(s, "sgd", starts, 300, lr=0.01)
    np.testing.assert_array_equal(t.nearest_minimum, np.arange(4))
    assert np.all(t.converged)


# Only where a preset names the optimizer: an optimizer without an entry is covered by
# tests/core/test_optimizers.py::test_every_optimizer_can_converge_on_the_bowl (one entry, no preset needed).
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
        simulate("mse", "adamz")
    with pytest.raises(ValueError, match="unknown surface"):
        simulate("nope", "sgd")


def test_zero_steps():
    t = simulate("bowl", "adam", (1.0, 1.0), 0)
    assert t.path.shape == (1, 2) and not t.diverged


def hparam_values(spec):
    def draw(h):
        if h.integer:  # a switch: 0 or 1
            return st.sampled_from(h.grid()).map(float)
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
    # The outcome agrees with the fields it summarizes.
    assert t.outcome in OUTCOMES and t.min_stay == min_stay(steps)
    assert t.converged == (t.outcome == "converged") == (t.converged_at >= 0)
    if t.outcome == "escaped":
        assert surface.f_min is None and 1 <= t.escaped_at <= steps
        assert not t.diverged or t.escaped_at <= t.diverged_at
        assert _outside_box(surface, t.path[t.escaped_at]) or t.escaped_at == t.diverged_at
    else:
        assert t.escaped_at == -1
        if surface.f_min is None:
            assert not _outside_box(surface, t.path).any()
    assert (t.outcome == "diverged") == (t.diverged and t.escaped_at < 0)
    if t.outcome in ("converged", "inside at the end"):
        assert 0 <= t.inside_since <= steps and np.all(t.distance[t.inside_since :] <= t.tol)
        assert t.inside_since == 0 or t.distance[t.inside_since - 1] > t.tol
        assert (steps - t.inside_since >= t.min_stay) == (t.outcome == "converged")
    elif t.outcome == "not yet" and t.distance is not None:
        assert t.distance[-1] > t.tol


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


# --- outcomes: converged, inside at the end, not yet, diverged, escaped -------------------------


def _outside_box(surface, path):
    (x0, x1), (y0, y1) = surface.domain
    x, y = path[..., 0], path[..., 1]
    return (x < x0) | (x > x1) | (y < y0) | (y > y1)


def test_min_stay_is_ten_percent_of_the_run_and_at_least_ten_steps():
    assert [min_stay(s) for s in (0, 5, 60, 100, 101, 200, 1000)] == [10, 10, 10, 10, 11, 20, 100]


def test_passing_into_the_tolerance_at_the_last_step_is_not_convergence():
    """Issue 6: the bowl's Momentum preset cut at 60 steps used to say "converged at 60"."""
    preset = PRESETS["bowl"]
    hp = preset.hparams_for("momentum")
    short = simulate("bowl", "momentum", preset.start, 60, **hp)
    assert short.distance[-1] <= short.tol  # inside at the last step ...
    assert short.outcome == "inside at the end" and not short.converged and short.converged_at == -1
    assert short.inside_since == 60 - int(np.argmax(short.distance[::-1] > short.tol)) + 1
    full = simulate("bowl", "momentum", preset.start, 200, **hp)
    # ... but it stays inside only from step 120 on (checked here on the distances themselves).
    k = int(full.converged_at)
    assert full.outcome == "converged" and 115 <= k <= 125
    assert np.all(full.distance[k:] <= full.tol) and full.distance[k - 1] > full.tol
    assert full.summary()["converged_at"] == k and full.summary()["outcome"] == "converged"


def test_a_run_thrown_out_of_the_tolerance_late_has_not_converged_early():
    """Issue 6: RMSProp on the bowl is inside from step 47 but thrown out to 0.36 at step 946."""
    preset = PRESETS["bowl"]
    t = simulate("bowl", "rmsprop", preset.start, 1000, **preset.hparams_for("rmsprop"))
    assert t.distance[47] <= t.tol and t.distance[946] > 0.3  # what the old rule missed
    assert t.converged_at != 47
    # Back inside for the last 51 steps only: fewer than the 100 (10 % of 1000) it needs.
    assert t.outcome == "inside at the end" and t.inside_since == 950 and t.min_stay == 100
    assert not t.converged


def _jump_to_origin_at(step):
    """A custom optimizer that stands still, then jumps exactly to (0, 0) at `step`."""

    def init(params):
        return 0

    def update(grads, count, params):
        count += 1
        return (-params if count == step else np.zeros_like(params)), count

    return Optimizer(init, update)


@pytest.mark.parametrize(
    ("jump", "outcome"), [(90, "converged"), (91, "inside at the end"), (100, "inside at the end")]
)
def test_the_stay_is_counted_exactly(jump, outcome):
    """100 steps need 10 steps inside: arriving at step 90 stays 10, at 91 only 9."""
    t = simulate("bowl", _jump_to_origin_at(jump), (1.0, 1.0), 100)
    assert t.inside_since == jump and t.outcome == outcome
    assert t.converged == (outcome == "converged")
    assert t.converged_at == (jump if outcome == "converged" else -1)


def test_runs_shorter_than_the_stay_cannot_converge():
    t = simulate("bowl", "sgd", (0.0, 0.0), 5)  # at the minimum all along, for 5 steps
    assert t.outcome == "inside at the end" and t.inside_since == 0 and not t.converged
    assert simulate("bowl", "sgd", (0.0, 0.0), 0).outcome == "inside at the end"
    assert simulate("bowl", "sgd", (2.0, 2.0), 0).outcome == "not yet"


def test_not_yet_and_which_minimum():
    t = simulate("bowl", "sgd", (-2.5, 2.0), 10, lr=0.01)
    assert t.outcome == "not yet" and t.inside_since == -1 and t.summary()["nearest_minimum"] == 0


def test_divergence_on_a_bounded_surface_is_diverged_not_escaped():
    t = simulate("rosenbrock", "sgd", (-1.5, 2.0), 200, lr=0.01)
    assert t.outcome == "diverged" and t.diverged_at == 4 and t.escaped_at == -1
    assert t.nearest_minimum == -1  # no "nearest minimum" for a path that blew up
    s = t.summary()
    assert s["nearest_minimum"] is None and s["diverged_at"] == 4 and s["escaped_at"] is None
    assert s["converged_at"] is None


@pytest.mark.parametrize("key", OPT_KEYS)
def test_the_saddle_escape_is_detected_alike_for_every_optimizer(key):
    """Issue 6: Momentum, Nesterov and Adadelta were "diverged" on the saddle, Adam was not."""
    s = SURFACES["saddle"]
    preset = PRESETS["saddle"]
    t = simulate(s, key, preset.start, preset.steps, **preset.hparams_for(key))
    outside = _outside_box(s, t.path)
    assert t.outcome in ("escaped", "not yet")
    if t.outcome == "escaped":
        k = int(t.escaped_at)
        assert k == int(np.argmax(outside)) and not outside[:k].any()  # first step outside the plot
        assert not t.diverged or t.diverged_at > k  # frozen later, if at all
    else:
        assert not outside.any() and t.escaped_at == -1 and not t.diverged
    assert t.summary()["nearest_minimum"] is None and t.summary()["outcome"] == t.outcome


def test_a_jump_straight_beyond_the_escape_radius_is_an_escape_and_nan_is_a_divergence():
    def jumper(value):
        return Optimizer(lambda p: None, lambda g, s, p: (np.full_like(p, value), s))

    far = simulate("saddle", jumper(1e6), (0.0, 0.0), 20)
    assert far.outcome == "escaped" and far.escaped_at == 1 and far.diverged_at == 1
    assert np.all(np.isfinite(far.path)) and np.all(np.isfinite(far.loss))
    nan = simulate("saddle", jumper(np.nan), (0.0, 0.0), 20)
    assert nan.outcome == "diverged" and nan.escaped_at == -1 and nan.diverged_at == 1
    bounded = simulate("bowl", jumper(1e6), (0.0, 0.0), 20)
    assert bounded.outcome == "diverged" and bounded.escaped_at == -1


def test_outcomes_of_many_starts_at_once():
    s = SURFACES["saddle"]
    starts = np.array([[-1.8, 0.0], [-1.8, 0.01], [1.9, 1.9]])
    t = simulate(s, "sgd", starts, 100, lr=0.1)
    assert t.outcome.shape == (3,) and t.escaped_at.shape == (3,)
    # y = 0 exactly stays on the stable axis and converges to the saddle point: never escapes.
    assert t.outcome[0] == "not yet" and list(t.outcome[1:]) == ["escaped", "escaped"]
    assert t.escaped_at[2] == 1 and t.escaped_at[1] > 10


# --- elementwise is an opt-in ------------------------------------------------------------------


def normalized_gd(lr=0.1, elementwise=False):
    """delta = -lr g / ||g||: couples the coordinates through the norm."""

    def init(params):
        return None

    def update(grads, state, params):
        norm = np.sqrt(np.sum(grads * grads, axis=-1, keepdims=True))
        return -lr * grads / norm, state

    return Optimizer(init, update, elementwise=elementwise)


def test_a_coupled_custom_optimizer_gives_the_same_path_alone_and_in_a_batch():
    assert Optimizer(lambda p: None, lambda g, s, p: (g, s)).elementwise is False  # the default
    starts = np.array([[1.0, 1.5], [-1.0, 2.0], [3.5, -0.5]])
    batch = simulate("beale", normalized_gd(), starts, 40)
    for i, start in enumerate(starts):
        one = simulate("beale", normalized_gd(), start, 40)
        np.testing.assert_array_equal(one.path, batch.path[:, i])
        steps = np.linalg.norm(np.diff(one.path, axis=0), axis=1)
        np.testing.assert_allclose(steps, 0.1, rtol=1e-12)  # every step has length lr: the norm is 2-D
    # The test can fail: the same rule wrongly declared elementwise is run coordinate by
    # coordinate (the norm of one coordinate is its absolute value: sign descent).
    wrong = simulate("beale", normalized_gd(elementwise=True), starts[0], 40)
    assert not np.allclose(wrong.path, batch.path[:, 0])


@pytest.mark.parametrize("key", OPT_KEYS)
def test_elementwise_is_declared_truthfully(key):
    """A registry optimizer that declares elementwise=True gives, coordinate by coordinate on numpy
    scalars, bit for bit what it gives on (n, 2) arrays (the single-start fast path relies on it).
    Those that couple the coordinates (Newton, L-BFGS: see test_optimizers.py) do not declare it."""
    opt = OPTIMIZERS[key].build()
    if not opt.elementwise:
        assert opt.inputs or key == "lbfgs", key  # a coupled rule: named, and tested for coupling
        return
    rng = np.random.default_rng(4)
    params = rng.normal(size=(1, 2))
    state, states = opt.init(params), [opt.init(params[0, 0]), opt.init(params[0, 1])]
    for _ in range(6):
        g = rng.normal(size=(1, 2))
        delta, state = opt.update(g, state, params)
        for i in range(2):
            d, states[i] = opt.update(g[0, i], states[i], params[0, i])
            assert d == delta[0, i], (key, i)
        params = params + delta


# --- what an optimizer may ask for besides the gradient (Optimizer.inputs) -------------------------


def polyak_step(f_min=0.0):
    """Polyak's step size (f - f*) / |g|², a coupled rule that asks the engine for the loss."""

    def update(grads, state, params, *, loss):
        norm2 = np.sum(grads * grads, axis=-1, keepdims=True)
        return -((loss[..., None] - f_min) / norm2) * grads, state

    return Optimizer(lambda p: None, update, inputs=("loss",))


def test_an_optimizer_that_asks_for_the_loss_gets_it():
    # On the bowl f = |p|², g = 2p: the Polyak step is -(|p|² / 4|p|²) 2p = -p/2, halving p.
    t = simulate("bowl", polyak_step(), (2.0, -1.0), 6)
    np.testing.assert_allclose(t.path, np.outer(0.5 ** np.arange(7), [2.0, -1.0]), rtol=1e-15)


def spy(log):
    """Takes its gradient at a shifted point, asks for the Hessian and the loss, and logs them."""

    def update(grads, state, params, *, hessian, loss):
        log.append((params + 0.1, grads, hessian, loss))
        return -0.001 * grads, state

    return Optimizer(lambda p: None, update, eval_point=lambda p, s: p + 0.1, inputs=("hessian", "loss"))


@pytest.mark.parametrize(("surface", "kwargs"), [("rosenbrock", {}), ("beale", {"noise": 0.5}),
                                                 ("mse", {"batch_size": 4})])
def test_the_inputs_are_the_surfaces_exact_values_at_the_gradients_point(surface, kwargs):
    """Mini-batches and noise change the gradient only: the Hessian and loss are the full-batch ones."""
    s, log = SURFACES[surface], []
    starts = np.array([[0.5, 0.5], [-1.0, 1.5]])
    t = simulate(s, spy(log), starts, 5, seed=1, **kwargs)
    assert len(log) == 5
    for at, grads, hessian, loss in log:
        np.testing.assert_array_equal(hessian, s.hessian(at))
        np.testing.assert_array_equal(loss, s.f(at))
        assert hessian.shape == (2, 2, 2) and loss.shape == (2,)
        assert np.array_equal(grads, s.grad(at)) == (not kwargs)
    np.testing.assert_allclose(log[-1][0], t.path[-2] + 0.1)


def test_a_surface_without_what_an_optimizer_needs_is_a_clear_error():
    flat = dataclasses.replace(SURFACES["bowl"], key="no_hessian", hessian=None)
    with pytest.raises(ValueError, match="newton needs the surface's Hessian, and no_hessian does not give one"):
        simulate(flat, "newton", (1.0, 1.0), 5)
    assert simulate(flat, "lbfgs", (1.0, 1.0), 5).path.shape == (6, 2)  # L-BFGS needs the gradient only
    odd = Optimizer(lambda p: None, lambda g, s, p, **kw: (g, s), inputs=("third_derivative",))
    with pytest.raises(ValueError, match="'third_derivative', which the engine cannot give"):
        simulate("bowl", odd, (1.0, 1.0), 5)
