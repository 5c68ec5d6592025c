"""Every optimizer in the registry: first steps worked out by hand, validation, registry contract."""

import math

import numpy as np
import pytest

from optviz import OPTIMIZERS, optimizers, simulate
from optviz.presets import PRESETS, preset_for
from optviz.registry import DEFAULT_SELECTION
from surfaces import SURFACES

P0 = np.array([[1.0, 1.0]])
G1 = np.array([[2.0, -4.0]])
G2 = np.array([[1.0, 3.0]])


def two_steps(opt, g1=G1, g2=G2):
    state = opt.init(P0)
    d1, state = opt.update(g1, state, P0)
    d2, state = opt.update(g2, state, P0 + d1)
    return d1[0], d2[0], state


def test_sgd_by_hand():
    d1, d2, _ = two_steps(optimizers.sgd(lr=0.1))
    np.testing.assert_allclose(d1, [-0.2, 0.4])
    np.testing.assert_allclose(d2, [-0.1, -0.3])


def test_momentum_by_hand():
    # torch's buffer: v1 = g1 = (2, -4); v2 = 0.9 v1 + g2 = (2.8, -0.6); delta = -lr v.
    d1, d2, state = two_steps(optimizers.momentum(lr=0.1, momentum=0.9))
    np.testing.assert_allclose(d1, [-0.2, 0.4])
    np.testing.assert_allclose(d2, [-0.28, 0.06])
    np.testing.assert_allclose(state.velocity[0], [2.8, -0.6])


def test_nesterov_by_hand_and_its_look_ahead_point():
    opt = optimizers.nesterov(lr=0.1, momentum=0.9)
    state = opt.init(P0)
    np.testing.assert_allclose(opt.eval_point(P0, state), P0)  # no velocity yet
    d1, state = opt.update(G1, state, P0)
    np.testing.assert_allclose(d1[0], [-0.2, 0.4])
    theta1 = P0 + d1  # (0.8, 1.4)
    # look-ahead: theta1 - 0.9 v1 = (0.8 - 0.18, 1.4 + 0.36)
    np.testing.assert_allclose(opt.eval_point(theta1, state)[0], [0.62, 1.76])


def test_adagrad_by_hand():
    # G1 = (4, 16): delta1 = -0.1 (2/2, -4/4); G2 = (5, 25): delta2 = -0.1 (1/sqrt5, 3/5).
    d1, d2, _ = two_steps(optimizers.adagrad(lr=0.1, eps=1e-10))
    np.testing.assert_allclose(d1, [-0.1, 0.1], rtol=1e-9)
    np.testing.assert_allclose(d2, [-0.1 / math.sqrt(5), -0.06], rtol=1e-9)


def test_rmsprop_by_hand():
    # E1 = 0.1 g1^2 = (0.4, 1.6); E2 = 0.9 E1 + 0.1 g2^2 = (0.46, 2.34); eps outside the root.
    d1, d2, _ = two_steps(optimizers.rmsprop(lr=0.01, rho=0.9, eps=1e-8))
    np.testing.assert_allclose(d1, [-0.01 * 2 / (math.sqrt(0.4) + 1e-8), 0.01 * 4 / (math.sqrt(1.6) + 1e-8)])
    np.testing.assert_allclose(d2, [-0.01 * 1 / (math.sqrt(0.46) + 1e-8), -0.01 * 3 / (math.sqrt(2.34) + 1e-8)])


def test_adadelta_by_hand():
    # E[g2]1 = (0.4, 1.6); Delta1 = sqrt(0 + eps)/sqrt(E + eps) g; E[D2]1 = 0.1 Delta1^2; step = -lr Delta.
    eps = 1e-6
    d1, d2, state = two_steps(optimizers.adadelta(lr=0.5, rho=0.9, eps=eps))
    delta1 = np.array([math.sqrt(eps) / math.sqrt(0.4 + eps) * 2, math.sqrt(eps) / math.sqrt(1.6 + eps) * -4])
    np.testing.assert_allclose(d1, -0.5 * delta1)
    acc1 = 0.1 * delta1**2
    delta2 = np.sqrt(acc1 + eps) / np.sqrt(np.array([0.46, 2.34]) + eps) * np.array([1.0, 3.0])
    np.testing.assert_allclose(d2, -0.5 * delta2)
    np.testing.assert_allclose(state.acc_delta[0], 0.9 * acc1 + 0.1 * delta2**2)


def test_adam_by_hand():
    # m1 = (0.2, -0.4), v1 = (0.004, 0.016): m_hat = g1, v_hat = g1^2, so the first step is -lr sign(g).
    d1, d2, _ = two_steps(optimizers.adam(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8))
    np.testing.assert_allclose(d1, [-0.1 * 2 / (2 + 1e-8), 0.1 * 4 / (4 + 1e-8)])
    m2 = np.array([0.28, -0.06])
    v2 = np.array([0.999 * 0.004 + 0.001 * 1, 0.999 * 0.016 + 0.001 * 9])
    expected = -0.1 / (1 - 0.9**2) * m2 / (np.sqrt(v2) / math.sqrt(1 - 0.999**2) + 1e-8)
    np.testing.assert_allclose(d2, expected)


def test_amsgrad_keeps_the_max_of_the_raw_second_moment():
    # g2 = 0.01 makes v2 = 0.999 * 0.004 + 0.001 * 1e-4 < v1: AMSGrad keeps v1 = 0.004, Adam does not.
    g2 = np.array([[0.01, 3.0]])
    ams = two_steps(optimizers.amsgrad(lr=0.1), G1, g2)[1]
    plain = two_steps(optimizers.adam(lr=0.1), G1, g2)[1]
    m2x = 0.9 * 0.2 + 0.1 * 0.01
    expected_x = -0.1 / (1 - 0.9**2) * m2x / (math.sqrt(0.004) / math.sqrt(1 - 0.999**2) + 1e-8)
    assert ams[0] == pytest.approx(expected_x, rel=1e-12)
    assert abs(ams[0]) < abs(plain[0])
    assert ams[1] == pytest.approx(plain[1], rel=1e-12)  # y's v grew: max is v itself


def test_adamax_by_hand():
    # u1 = |g1| + eps; delta1 = -lr/(1-0.9) m1/u1 = -(0.2/2, -0.4/4); u2 = max(0.999 u1, |g2| + eps).
    eps = 1e-8
    d1, d2, _ = two_steps(optimizers.adamax(lr=0.1, beta1=0.9, beta2=0.999, eps=eps))
    np.testing.assert_allclose(d1, [-0.2 / (2 + eps), 0.4 / (4 + eps)])
    u2 = np.array([max(0.999 * (2 + eps), 1 + eps), max(0.999 * (4 + eps), 3 + eps)])
    np.testing.assert_allclose(d2, -0.1 / (1 - 0.81) * np.array([0.28, -0.06]) / u2)


def test_nadam_by_hand():
    # Step 1: m_hat = g, v_hat = g^2; direction = 0.9 g + 0.1 g / (1 - 0.9) = 1.9 g; delta = -lr 1.9 sign(g).
    d1, d2, _ = two_steps(optimizers.nadam(lr=0.1, eps=1e-8))
    np.testing.assert_allclose(d1, [-0.1 * 3.8 / (2 + 1e-8), 0.1 * 7.6 / (4 + 1e-8)])
    m2 = np.array([0.28, -0.06])
    v2 = np.array([0.999 * 0.004 + 0.001, 0.999 * 0.016 + 0.009])
    m_hat, v_hat = m2 / (1 - 0.81), v2 / (1 - 0.999**2)
    direction = 0.9 * m_hat + 0.1 * np.array([1.0, 3.0]) / (1 - 0.81)
    np.testing.assert_allclose(d2, -0.1 * direction / (np.sqrt(v_hat) + 1e-8))


def test_updates_are_pure():
    for spec in OPTIMIZERS.values():
        opt = spec.build()
        state = opt.init(P0)
        snapshot = [np.copy(a) if isinstance(a, np.ndarray) else a for a in state]
        grads = G1.copy()
        opt.update(grads, state, P0)
        np.testing.assert_array_equal(grads, G1)
        for before, after in zip(snapshot, state, strict=True):
            np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_registry_entry_is_complete(key):
    spec = OPTIMIZERS[key]
    assert spec.key == key and spec.name and spec.rule and spec.reference
    assert spec.color.startswith("#") and len(spec.color) == 7
    names = [h.name for h in spec.hparams]
    assert names[0] == "lr" and len(set(names)) == len(names)
    # Any name will do if it can be a link key (`<optimizer>.<name>`) and a keyword argument.
    assert all(name.isidentifier() for name in names)
    assert "." not in key and "," not in key
    for h in spec.hparams:
        assert h.low < h.high and h.contains(h.default), h
        assert h.symbol and h.help
        assert not h.log or h.low > 0
        grid = h.grid()
        assert grid[0] == h.low and grid[-1] == h.high and h.default in grid
        assert all(h.contains(v) for v in grid)
    opt = spec.build()
    delta, _ = opt.update(G1, opt.init(P0), P0)
    assert delta.shape == P0.shape and np.all(np.isfinite(delta))
    assert len({s.color for s in OPTIMIZERS.values()}) == len(OPTIMIZERS)


def test_default_selection_is_in_the_registry():
    assert set(DEFAULT_SELECTION) <= set(OPTIMIZERS)


BAD_VALUES = [
    ("lr", 0.0), ("lr", -0.1), ("lr", float("nan")), ("lr", float("inf")),
    ("momentum", 1.0), ("momentum", -0.1),
    ("beta1", 1.0), ("beta2", 1.5), ("beta2", -0.5),
    ("eps", 0.0), ("eps", -1e-8),
    ("rho", 1.0), ("rho", float("nan")),
]


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_invalid_hyperparameters_raise_naming_the_value(key):
    spec = OPTIMIZERS[key]
    checked = 0
    for name, value in BAD_VALUES:
        if name in spec.defaults:
            with pytest.raises(ValueError, match=rf"{name}.*{value}"):
                spec.build(**{name: value})
            checked += 1
    assert checked >= 2
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        spec.build(learning_rate=0.1)


# --- what the registry promises without a preset entry ------------------------------------------


def lr_that_converges_on_the_bowl(key: str) -> float | None:
    """The bowl preset's learning rate, or for an optimizer without one, the first on its slider
    (searched from the default outwards) with which it converges on the bowl."""
    preset = preset_for("bowl")
    if key in preset.hparams:
        return preset.hparams_for(key)["lr"]
    spec = OPTIMIZERS[key]
    grid = spec.hparam("lr").grid()
    at = grid.index(spec.hparam("lr").default)
    for lr in sorted(grid, key=lambda v: abs(grid.index(v) - at)):
        t = simulate("bowl", key, preset.start, preset.steps, **{**spec.defaults, "lr": lr})
        if t.converged and not t.diverged:
            return lr
    return None


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_every_optimizer_can_converge_on_the_bowl(key):
    """Registry-driven: a setting on the optimizer's own lr slider reaches the bowl's minimum,
    with or without a preset entry."""
    lr = lr_that_converges_on_the_bowl(key)
    assert lr is not None, f"{key}: no learning rate on its slider converges on the bowl"
    t = simulate("bowl", key, preset_for("bowl").start, preset_for("bowl").steps,
                 **{**preset_for("bowl").hparams_for(key), "lr": lr})
    assert t.converged and t.distance[-1] < 1e-3 * SURFACES["bowl"].extent


def test_the_search_finds_a_rate_for_an_optimizer_without_a_preset(monkeypatch):
    monkeypatch.delitem(PRESETS["bowl"].hparams, "sgd")  # as if sgd had no bowl entry
    lr = lr_that_converges_on_the_bowl("sgd")
    assert lr is not None and lr < 1.0  # GD on the bowl (curvature 2) needs lr < 2/L = 1


def left_the_plot(surface, path) -> bool:
    (x0, x1), (y0, y1) = SURFACES[surface].domain
    xs, ys = path[:, 0], path[:, 1]
    return bool(np.any((xs < x0) | (xs > x1) | (ys < y0) | (ys > y1)))


@pytest.mark.parametrize("key", list(OPTIMIZERS))
@pytest.mark.parametrize("surface", list(PRESETS))
def test_the_top_of_the_learning_rate_slider_is_too_large(key, surface):
    """A student can show 'too large a learning rate' on every preset surface. Plain gradient
    steps grow with lr and diverge; adaptive methods' steps are bounded by about lr, so they do
    not blow up: too large an lr shows as a path thrown out of the plot (sometimes coming back)."""
    preset = preset_for(surface)
    top = OPTIMIZERS[key].hparam("lr").high
    t = simulate(surface, key, preset.start, preset.steps, **{**preset.hparams_for(key), "lr": top})
    assert t.diverged or left_the_plot(surface, t.path), (key, surface)


@pytest.mark.parametrize("key", ["sgd", "momentum", "nesterov"])
@pytest.mark.parametrize("surface", list(PRESETS))
def test_gradient_steps_diverge_at_the_top_of_the_slider(key, surface):
    preset = preset_for(surface)
    top = OPTIMIZERS[key].hparam("lr").high
    t = simulate(surface, key, preset.start, preset.steps, **{**preset.hparams_for(key), "lr": top})
    assert t.diverged and not t.converged, (key, surface)


def test_gd_on_the_bowl_diverges_just_above_two_over_l():
    """Curvature 2: GD is stable for lr < 1 and diverges above; both sides lie on the slider."""
    grid = OPTIMIZERS["sgd"].hparam("lr").grid()
    assert 0.9 in grid and 1.2 in grid and grid[-1] >= 5
    start, steps = preset_for("bowl").start, preset_for("bowl").steps
    assert simulate("bowl", "sgd", start, steps, lr=0.9).converged
    assert simulate("bowl", "sgd", start, steps, lr=1.2).diverged


def test_the_log_grid_and_the_nines_scale():
    lr = OPTIMIZERS["sgd"].hparam("lr")
    decade = [v for v in lr.grid() if 0.1 <= v < 1.0]
    assert decade == [0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    beta = OPTIMIZERS["adam"].hparam("beta1")
    grid = beta.grid()
    for value in (0.0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999):
        assert value in grid
    nines = [-math.log10(1 - v) for v in grid if v > 0]
    gaps = np.diff(nines)
    assert np.all(gaps > 0) and gaps.max() < 0.35  # evenly spread in the number of nines
    assert beta.snap(0.9449) == 0.95 and beta.snap(0.99) == 0.99


def test_a_slider_shows_a_typed_value_as_an_extra_position():
    number = OPTIMIZERS["adam"].hparam("lr").number
    assert 0.00123 not in number.grid()
    positions = number.positions(0.00123)
    assert 0.00123 in positions and len(positions) == len(number.grid()) + 1 and list(positions) == sorted(positions)
    assert number.positions(0.001) == number.grid()  # already a position
    assert number.positions(50.0) == number.grid()  # out of range: not offered
