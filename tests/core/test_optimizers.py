"""Every optimizer in the registry: first steps worked out by hand, validation, registry contract."""

import math

import numpy as np
import pytest

from optviz import OPTIMIZERS, simulate
from optviz.core import optimizers
from optviz.core.engine import EXTRA_INPUTS
from optviz.core.presets import PRESETS, preset_for
from optviz.core.registry import DEFAULT_SELECTION
from optviz.core.schedules import Cosine
from surfaces import SURFACES

P0 = np.array([[1.0, 1.0]])
G1 = np.array([[2.0, -4.0]])
G2 = np.array([[1.0, 3.0]])


def inputs(opt, params, surface="bowl"):
    """What the engine passes besides the gradient (`Optimizer.inputs`): here the bowl's values."""
    return {name: EXTRA_INPUTS[name](SURFACES[surface], params) for name in opt.inputs}


def two_steps(opt, g1=G1, g2=G2):
    state = opt.init(P0)
    d1, state = opt.update(g1, state, P0, **inputs(opt, P0))
    d2, state = opt.update(g2, state, P0 + d1, **inputs(opt, P0 + d1))
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
        opt.update(grads, state, P0, **inputs(opt, P0))
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
    delta, _ = opt.update(G1, opt.init(P0), P0, **inputs(opt, P0))
    assert delta.shape == P0.shape and np.all(np.isfinite(delta))
    # 19 optimizers exceed a colour-blind-safe palette: colour and dash together tell them apart
    # (tests/plot/test_styles.py checks the colour differences).
    assert len({(s.color, s.dash) for s in OPTIMIZERS.values()}) == len(OPTIMIZERS)


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


# --- the optimizers after the textbook ----------------------------------------------------------
# AdamW, RAdam, Rprop and L-BFGS also match torch.optim step for step (tests/core/test_torch_crosscheck.py);
# Lion, QHM, QHAdam, sign descent and Newton are checked here against their papers' pseudo-code.


def test_adamw_is_adam_plus_a_decoupled_decay():
    # Step 1: Adam's step is -lr sign(g) (m_hat = g, v_hat = g^2); the decay adds -lr wd theta = -0.05 (1, 1).
    d1, d2, _ = two_steps(optimizers.adamw(lr=0.1, weight_decay=0.5))
    np.testing.assert_allclose(d1, [-0.1 - 0.05, 0.1 - 0.05], rtol=1e-7)
    adam_d2 = two_steps(optimizers.adam(lr=0.1))[1]
    theta1 = P0[0] + d1
    np.testing.assert_allclose(d2, adam_d2 - 0.05 * theta1, rtol=1e-12)  # the moments never see the decay
    no_decay = two_steps(optimizers.adamw(lr=0.1, weight_decay=0.0))
    np.testing.assert_array_equal(no_decay[1], adam_d2)


# --- Adam's bias correction switch and its L2 term in the gradient ------------------------------
# Step 1 from m_0 = v_0 = 0: m_1 = (1 - b1) g, v_1 = (1 - b2) g^2. With the correction m_hat = g,
# v_hat = g^2 and the step is -lr g / (|g| + eps); without it the step is
# -lr (1 - b1) g / (sqrt(1 - b2) |g| + eps): (1 - b1) / sqrt(1 - b2) = 0.1 / 0.0316 = 3.16 times lr.
M1 = 0.1 * G1[0]
V1 = 0.001 * G1[0] ** 2
M2 = 0.9 * M1 + 0.1 * G2[0]
V2 = 0.999 * V1 + 0.001 * G2[0] ** 2


def test_adam_without_bias_correction_by_hand():
    d1, d2, _ = two_steps(optimizers.adam(lr=0.1, bias_correction=0))
    np.testing.assert_allclose(d1, -0.1 * M1 / (np.sqrt(V1) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(np.abs(d1), 0.1 * 0.1 / math.sqrt(0.001), rtol=1e-6)  # 3.16 lr on each axis
    np.testing.assert_allclose(d2, -0.1 * M2 / (np.sqrt(V2) + 1e-8), rtol=1e-12)
    # On (the default, 1) is Adam as before, to the last bit.
    np.testing.assert_array_equal(two_steps(optimizers.adam(lr=0.1, bias_correction=1))[1],
                                  two_steps(optimizers.adam(lr=0.1))[1])


def test_the_adam_family_without_bias_correction_by_hand():
    eps = 1e-8
    # AMSGrad: the running max of the raw v, not divided by 1 - b2^t.
    g2 = np.array([[0.01, 3.0]])
    d2 = two_steps(optimizers.amsgrad(lr=0.1, bias_correction=0), G1, g2)[1]
    m2x, v1x = 0.9 * 0.2 + 0.1 * 0.01, 0.004
    assert d2[0] == pytest.approx(-0.1 * m2x / (math.sqrt(v1x) + eps), rel=1e-12)
    # Nadam: direction b1 m + (1 - b1) g, no division by 1 - b1^t.
    d1, d2, _ = two_steps(optimizers.nadam(lr=0.1, bias_correction=0))
    np.testing.assert_allclose(d1, -0.1 * (0.9 * M1 + 0.1 * G1[0]) / (np.sqrt(V1) + eps), rtol=1e-12)
    np.testing.assert_allclose(d2, -0.1 * (0.9 * M2 + 0.1 * G2[0]) / (np.sqrt(V2) + eps), rtol=1e-12)
    # Adamax corrects only m: without it the first step is -lr (1 - b1) g / (|g| + eps), a tenth of lr.
    d1, d2, _ = two_steps(optimizers.adamax(lr=0.1, bias_correction=0))
    np.testing.assert_allclose(d1, -0.1 * M1 / (np.abs(G1[0]) + eps), rtol=1e-12)
    u2 = np.array([max(0.999 * (2 + eps), 1 + eps), max(0.999 * (4 + eps), 3 + eps)])
    np.testing.assert_allclose(d2, -0.1 * M2 / u2, rtol=1e-12)
    # AdamW: Adam's uncorrected step plus the decoupled decay.
    d1 = two_steps(optimizers.adamw(lr=0.1, weight_decay=0.5, bias_correction=0))[0]
    np.testing.assert_allclose(d1, -0.1 * M1 / (np.sqrt(V1) + eps) - 0.05 * P0[0], rtol=1e-12)


def test_bias_correction_is_a_switch():
    for factory in (optimizers.adam, optimizers.amsgrad, optimizers.nadam, optimizers.adamax, optimizers.adamw):
        for bad in (0.5, -1.0, 2.0, float("nan")):
            with pytest.raises(ValueError, match=r"bias_correction.*must be 0 \(off\) or 1 \(on\)"):
                factory(bias_correction=bad)
    for key in ("adam", "amsgrad", "nadam", "adamax", "adamw"):
        h = OPTIMIZERS[key].hparam("bias_correction")
        assert h.default == 1 and h.grid() == (0, 1) and not h.contains(0.5)
    assert "bias_correction" not in OPTIMIZERS["radam"].defaults  # its rectification presumes the correction


def test_bias_correction_per_start_values_give_each_start_its_own_path():
    one = [simulate("ravine", "adam", (-4.0, 1.0), 30, lr=0.3, bias_correction=c).path for c in (0.0, 1.0)]
    both = simulate("ravine", "adam", (-4.0, 1.0), 30, lr=0.3, bias_correction=np.array([0.0, 1.0]))
    assert not np.array_equal(one[0], one[1])
    for i in range(2):
        np.testing.assert_array_equal(both.path[:, i], one[i])


def test_adam_with_l2_in_the_gradient_by_hand():
    """torch.optim.Adam(weight_decay=wd): g <- g + wd theta before the moments (coupled, L2)."""
    eps, wd = 1e-8, 0.5
    d1, d2, state = two_steps(optimizers.adam(lr=0.1, weight_decay=wd))
    g1 = G1[0] + wd * P0[0]  # (2.5, -3.5)
    np.testing.assert_allclose(d1, -0.1 * g1 / (np.abs(g1) + eps), rtol=1e-12)  # still -lr sign(g~)
    theta1 = P0[0] + d1
    g2 = G2[0] + wd * theta1
    m2, v2 = 0.9 * 0.1 * g1 + 0.1 * g2, 0.999 * 0.001 * g1**2 + 0.001 * g2**2
    np.testing.assert_allclose(state.mu[0], m2, rtol=1e-12)
    np.testing.assert_allclose(d2, -0.1 / (1 - 0.81) * m2 / (np.sqrt(v2) / math.sqrt(1 - 0.999**2) + eps),
                               rtol=1e-12)
    # AMSGrad takes it the same way; 0 (the default) is Adam as before, to the last bit.
    np.testing.assert_allclose(two_steps(optimizers.amsgrad(lr=0.1, weight_decay=wd))[0], d1, rtol=1e-12)
    np.testing.assert_array_equal(two_steps(optimizers.adam(lr=0.1, weight_decay=0.0))[1],
                                  two_steps(optimizers.adam(lr=0.1))[1])
    with pytest.raises(ValueError, match=r"weight_decay.*-0\.1"):
        optimizers.adam(weight_decay=-0.1)
    for key in ("adam", "amsgrad"):
        h = OPTIMIZERS[key].hparam("weight_decay")
        assert h.default == 0.0 and h.low == 0.0


def test_radam_warms_up_by_rectification():
    """With beta2 = 0.999, rho_t = 4.99 at t = 5 and 5.99 at t = 6: five momentum-SGD steps on
    m_hat, then the rectified adaptive step. A constant gradient makes m_hat = g exactly."""
    lr, g = 0.1, np.array([[2.0, -4.0]])
    opt = optimizers.radam(lr=lr)
    state, deltas = opt.init(P0), []
    for _ in range(6):
        delta, state = opt.update(g, state, P0)
        deltas.append(delta[0])
    for d in deltas[:5]:
        np.testing.assert_allclose(d, -lr * g[0], rtol=1e-12)
    rho_inf = 2 / 0.001 - 1
    rho6 = rho_inf - 2 * 6 * 0.999**6 / (1 - 0.999**6)
    assert 5.9 < rho6 < 6.0
    rect = math.sqrt((rho6 - 4) * (rho6 - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho6))
    v6 = (1 - 0.999**6) * g[0] ** 2  # the second moment of a constant gradient
    np.testing.assert_allclose(deltas[5], -lr * g[0] * rect * math.sqrt(1 - 0.999**6) / (np.sqrt(v6) + 1e-8),
                               rtol=1e-9)
    assert 0.0 < rect < 0.05  # the first rectified steps are small: the warm-up


def test_rprop_by_hand_in_torchs_form():
    opt = optimizers.rprop(lr=0.1, eta_minus=0.5, eta_plus=1.2, step_min=1e-6, step_max=0.13)
    state = opt.init(P0)
    d1, state = opt.update(G1, state, P0)  # no previous gradient: step size lr, -lr sign(g)
    np.testing.assert_allclose(d1[0], [-0.1, 0.1])
    d2, state = opt.update(G2, state, P0)  # x kept its sign: 0.12; y flipped: 0.05 and no move
    np.testing.assert_allclose(d2[0], [-0.12, 0.0])
    np.testing.assert_allclose(state.step_size[0], [0.12, 0.05])
    np.testing.assert_array_equal(state.prev[0], [1.0, 0.0])  # the flipped gradient is stored as 0
    d3, state = opt.update(G2, state, P0)  # x: 0.144 clipped to 0.13; y: after a 0, no change (0.05)
    np.testing.assert_allclose(d3[0], [-0.13, -0.05])


def test_sign_descent_and_signum_by_hand():
    # signSGD (beta = 0): every coordinate moves by exactly lr against its gradient's sign.
    d1, d2, _ = two_steps(optimizers.signum(lr=0.1))
    np.testing.assert_array_equal(d1, [-0.1, 0.1])
    np.testing.assert_array_equal(d2, [-0.1, -0.1])
    # Signum (beta = 0.9): m2 = 0.9 (0.2, -0.4) + 0.1 (1, 3) = (0.28, -0.06): y keeps moving up.
    d1, d2, state = two_steps(optimizers.signum(lr=0.1, momentum=0.9))
    np.testing.assert_array_equal(d1, [-0.1, 0.1])
    np.testing.assert_array_equal(d2, [-0.1, 0.1])
    np.testing.assert_allclose(state.mu[0], [0.28, -0.06])
    zero = optimizers.signum(lr=0.1)
    np.testing.assert_array_equal(zero.update(np.zeros((1, 2)), zero.init(P0), P0)[0], 0.0)  # sign(0) = 0


def test_lion_by_hand():
    """Chen et al. (2023), Algorithm 2: c = b1 m + (1 - b1) g; theta -= lr (sign(c) + wd theta);
    m = b2 m + (1 - b2) g."""
    opt = optimizers.lion(lr=0.1, beta1=0.9, beta2=0.99, weight_decay=0.5)
    d1, d2, state = two_steps(opt)
    np.testing.assert_allclose(d1, [-0.1 * (1 + 0.5), -0.1 * (-1 + 0.5)])  # c1 = 0.1 g1 = (0.2, -0.4)
    theta1 = np.array([0.85, 1.05])
    # c2 = 0.9 (0.02, -0.04) + 0.1 (1, 3) = (0.118, 0.264): both signs +1.
    np.testing.assert_allclose(d2, -0.1 * (np.array([1.0, 1.0]) + 0.5 * theta1))
    np.testing.assert_allclose(state.mu[0], [0.99 * 0.02 + 0.01, 0.99 * -0.04 + 0.03])
    # The sign is of the interpolation with beta1, not of the gradient: g2x = -0.15 < 0 but
    # c2x = 0.018 - 0.015 > 0, so x still steps down.
    d2 = two_steps(optimizers.lion(lr=0.1), G1, np.array([[-0.15, 3.0]]))[1]
    np.testing.assert_allclose(d2, [-0.1, -0.1])


def test_qhm_by_hand_and_its_special_cases():
    """Ma & Yarats (2019), Algorithm 1: b = beta b + (1 - beta) g; theta -= lr ((1 - nu) g + nu b)."""
    d1, d2, state = two_steps(optimizers.qhm(lr=0.1, momentum=0.9, nu=0.7))
    np.testing.assert_allclose(d1, [-0.074, 0.148])  # b1 = (0.2, -0.4); 0.3 g1 + 0.7 b1 = (0.74, -1.48)
    np.testing.assert_allclose(d2, [-0.0496, -0.0858])  # b2 = (0.28, -0.06); 0.3 g2 + 0.7 b2
    np.testing.assert_allclose(state.velocity[0], [0.28, -0.06])
    np.testing.assert_array_equal(two_steps(optimizers.qhm(lr=0.1, nu=0.0))[1], two_steps(optimizers.sgd(lr=0.1))[1])
    # nu = 1 is momentum on an averaged buffer: torch's momentum with lr (1 - beta) lr.
    qhm1 = two_steps(optimizers.qhm(lr=0.1, momentum=0.9, nu=1.0))[1]
    np.testing.assert_allclose(qhm1, two_steps(optimizers.momentum(lr=0.01, momentum=0.9))[1], rtol=1e-12)


def test_qhadam_by_hand_and_adam_as_a_special_case():
    """Ma & Yarats (2019), Algorithm 2, with nu2 = 0.5 so that both mixtures show."""
    eps = 1e-8
    d1, d2, _ = two_steps(optimizers.qhadam(lr=0.1, beta1=0.9, beta2=0.999, nu1=0.7, nu2=0.5, eps=eps))
    # Step 1: m_hat = g, v_hat = g^2, so numerator g and denominator sqrt(g^2) + eps.
    np.testing.assert_allclose(d1, [-0.1 * 2 / (2 + eps), 0.1 * 4 / (4 + eps)])
    m_hat = np.array([0.28, -0.06]) / (1 - 0.9**2)
    v_hat = np.array([0.999 * 0.004 + 0.001 * 1, 0.999 * 0.016 + 0.001 * 9]) / (1 - 0.999**2)
    g2 = np.array([1.0, 3.0])
    np.testing.assert_allclose(d2, -0.1 * (0.3 * g2 + 0.7 * m_hat) / (np.sqrt(0.5 * g2**2 + 0.5 * v_hat) + eps))
    as_adam = two_steps(optimizers.qhadam(lr=0.1, beta1=0.9, nu1=1.0, nu2=1.0))
    adam = two_steps(optimizers.adam(lr=0.1))
    np.testing.assert_allclose(as_adam[1], adam[1], rtol=1e-12)


def test_newton_by_hand():
    # Rosenbrock at (-1.5, 2): g = (-155, -50), H = [[1902, 600], [600, 200]], det = 20400;
    # H^-1 g = ((200 (-155) - 600 (-50)) / 20400, (1902 (-50) - 600 (-155)) / 20400) = (-1000, -2100) / 20400.
    t = simulate("rosenbrock", "newton", (-1.5, 2.0), 1)
    np.testing.assert_allclose(t.path[1], [-1.5 + 1000 / 20400, 2.0 + 2100 / 20400], rtol=1e-14)
    # Damped on the bowl (H = 2I): theta -= lr g / (2 + lambda).
    opt = optimizers.newton(lr=0.5, damping=3.0)
    delta, _ = opt.update(G1, opt.init(P0), P0, hessian=SURFACES["bowl"].hessian(P0))
    np.testing.assert_allclose(delta[0], -0.5 * G1[0] / 5.0)


@pytest.mark.parametrize("surface", ["bowl", "ravine", "mse", "saddle"])
def test_newton_lands_on_a_quadratics_stationary_point_in_one_step(surface):
    """Including the saddle's: plain Newton jumps to the saddle point and stays, where gradient
    descent slides off along y (why plain Newton is not used on non-convex losses)."""
    s = SURFACES[surface]
    t = simulate(s, "newton", s.start, 10)
    target = s.minima_points[0] if s.minima else np.zeros(2)
    np.testing.assert_allclose(t.path[1:], np.broadcast_to(target, (10, 2)), atol=1e-12)
    if surface == "saddle":
        assert t.outcome == "not yet" and simulate(s, "sgd", s.start, 200, lr=0.1).outcome == "escaped"


def test_newton_with_enough_damping_descends_where_plain_newton_does_not():
    """On the saddle (H = diag(2, -2)) λ = 3 makes H + λI = diag(5, 1) positive definite: each step
    x ← x - 2x/5 and y ← y + 2y = 3y, so the path slides off along y and leaves the plot at step 5."""
    s = SURFACES["saddle"]
    damped = simulate(s, "newton", s.start, 10, damping=3.0)
    np.testing.assert_allclose(damped.path[:6], [[-1.8 * 0.6**k, 0.01 * 3**k] for k in range(6)], rtol=1e-12)
    assert damped.outcome == "escaped" and damped.escaped_at == 5


def test_newton_and_lbfgs_couple_the_coordinates():
    """The x-step depends on the y-gradient: neither may be run coordinate by coordinate."""
    h = SURFACES["rosenbrock"].hessian(P0)  # off-diagonal -400
    newton = optimizers.newton()
    a = newton.update(G1, None, P0, hessian=h)[0]
    b = newton.update(np.array([[2.0, 5.0]]), None, P0, hessian=h)[0]
    assert a[0, 0] != b[0, 0]
    lbfgs = optimizers.lbfgs()
    first = [lbfgs.update(G1, lbfgs.init(P0), P0) for _ in range(2)]
    a = lbfgs.update(G2, first[0][1], P0 + first[0][0])[0]
    b = lbfgs.update(np.array([[1.0, -3.0]]), first[1][1], P0 + first[1][0])[0]
    assert a[0, 0] != b[0, 0]
    assert not newton.elementwise and not lbfgs.elementwise and newton.inputs == ("hessian",)


def test_lbfgs_by_hand():
    """torch's LBFGS(max_iter=1): step 1 is -g scaled to lr min(1, 1/|g|_1); step 2 the two-loop
    recursion with one pair: s = (-1/3, 2/3), y = g2 - g1 = (-1, 7), y.s = 5, H0 = y.s / y.y = 0.1."""
    opt = optimizers.lbfgs(lr=1.0, history_size=5)
    state = opt.init(P0)
    d1, state = opt.update(G1, state, P0)
    np.testing.assert_allclose(d1[0], [-2 / 6, 4 / 6])
    d2, state = opt.update(G2, state, P0 + d1)
    # q = -g2 - alpha y with alpha = s.(-g2) / 5 = -1/3: (-4/3, -2/3); r = 0.1 q; beta = y.r / 5 = -1/15;
    # d = r + (alpha - beta) s = (-2/45, -11/45).
    np.testing.assert_allclose(d2[0], [-2 / 45, -11 / 45], rtol=1e-12)
    assert int(state.count[0, 0]) == 1 and state.h_diag[0, 0] == pytest.approx(0.1)


def test_lbfgs_stops_where_torch_stops():
    opt = optimizers.lbfgs()
    state = opt.init(P0)
    delta, after = opt.update(np.array([[1e-8, -5e-8]]), state, P0)  # largest |g| <= 1e-7: nothing happens
    np.testing.assert_array_equal(delta, 0.0)
    for before, kept in zip(state, after, strict=True):
        np.testing.assert_array_equal(before, kept)
    t = simulate("bowl", "lbfgs", (-2.5, 2.0), 20)
    assert t.converged and np.all(t.path[3:] == t.path[3])  # exact on the bowl from step 2 (H0 = I/2), then stops


def test_lbfgs_keeps_only_its_history():
    """history_size m: at most m pairs; per-start values each keep their own."""
    starts = np.array([[-1.5, 2.0], [-1.5, 2.0]])
    both = simulate("rosenbrock", "lbfgs", starts, 40, history_size=np.array([1.0, 5.0]), record_state=True)
    assert both.record.states.count[:, 0].max() == 1 and both.record.states.count[:, 1].max() == 5
    for i, m in enumerate((1.0, 5.0)):
        np.testing.assert_array_equal(both.path[:, i], simulate("rosenbrock", "lbfgs", starts[0], 40,
                                                                 history_size=m).path)
    assert not np.array_equal(both.path[:, 0], both.path[:, 1])


def test_sign_methods_converge_only_as_their_step_shrinks():
    """signSGD and Lion (without decay) move every coordinate by exactly lr, or 0, each step, so at a
    constant lr they end circling the minimum at about lr; a decaying lr (cosine to 0) brings sign
    descent in. Rprop shrinks its own steps after each sign flip."""
    bowl, start, lr = SURFACES["bowl"], (-2.3, 1.7), 0.02
    for key in ("signum", "lion"):
        constant = simulate(bowl, key, start, 400, lr=lr)
        steps = np.abs(np.diff(constant.path, axis=0))
        assert np.all(np.isclose(steps, lr, rtol=1e-9) | (steps == 0)), key
        assert not constant.converged and constant.distance[-50:].max() > 0.5 * lr, key
    decayed = simulate(bowl, "signum", start, 400, lr=lr, schedules={"lr": Cosine(400)})
    assert decayed.converged and decayed.distance[-1] < 1e-5
    assert simulate(bowl, "rprop", start, 200, lr=0.1).converged


def test_plain_newton_climbs_to_himmelblaus_central_maximum():
    """README: from Himmelblau's start, plain Newton goes to the stationary point nearby, the maximum."""
    s = SURFACES["himmelblau"]
    t = simulate(s, "newton", s.start, 10)
    end = t.path[-1]
    np.testing.assert_allclose(s.grad(end), 0.0, atol=1e-9)
    assert np.all(np.linalg.eigvalsh(s.hessian(end)) < 0)  # a maximum
    assert t.loss[-1] > t.loss[0]


def test_radam_with_a_short_second_moment_memory_is_never_rectified():
    """rho_inf = 2 / (1 - beta2) - 1 <= 5 for beta2 <= 2/3: every step is momentum SGD on m_hat."""
    g = np.array([[2.0, -4.0]])
    for beta2 in (0.6, 0.66):
        opt = optimizers.radam(lr=0.1, beta2=beta2)
        state = opt.init(P0)
        for _ in range(50):
            delta, state = opt.update(g, state, P0)
            np.testing.assert_allclose(delta[0], -0.1 * g[0], rtol=1e-12)
    opt = optimizers.radam(lr=0.1, beta2=0.7)  # rho_inf = 5.67: rectified once rho_t passes 5
    state = opt.init(P0)
    for _ in range(60):
        delta, state = opt.update(g, state, P0)
    assert not np.allclose(delta, -0.1 * g)


# --- what the registry promises without a preset entry ------------------------------------------


def lr_that_converges_on_the_bowl(key: str, schedules=None) -> float | None:
    """The bowl preset's learning rate, or for an optimizer without one, the first on its slider
    (searched from the default outwards) with which it converges on the bowl (with `schedules`)."""
    preset = preset_for("bowl")
    if key in preset.hparams and not schedules:
        return preset.hparams_for(key)["lr"]
    spec = OPTIMIZERS[key]
    grid = spec.hparam("lr").grid()
    at = grid.index(spec.hparam("lr").default)
    for lr in sorted(grid, key=lambda v: abs(grid.index(v) - at)):
        t = simulate("bowl", key, preset.start, preset.steps, schedules=schedules, **{**spec.defaults, "lr": lr})
        if t.converged and not t.diverged:
            return lr
    return None


# Sign-based rules move every coordinate by about lr at every step, so at a constant lr they end
# circling the minimum (tests/core/test_optimizers.py::test_sign_methods_converge_only_as_their_step_shrinks);
# for them the bowl is solved with the learning rate decayed to 0 (cosine), as they are used.
DECAY_TO_CONVERGE = {"lion"}


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_every_optimizer_can_converge_on_the_bowl(key):
    """Registry-driven: a setting on the optimizer's own lr slider reaches the bowl's minimum,
    with or without a preset entry."""
    preset = preset_for("bowl")
    schedules = {"lr": Cosine(preset.steps)} if key in DECAY_TO_CONVERGE else None
    lr = lr_that_converges_on_the_bowl(key, schedules)
    assert lr is not None, f"{key}: no learning rate on its slider converges on the bowl"
    t = simulate("bowl", key, preset.start, preset.steps, schedules=schedules,
                 **{**preset.hparams_for(key), "lr": lr})
    assert t.converged and t.distance[-1] < 1e-3 * SURFACES["bowl"].extent
    if schedules:  # and it truly needs the decay
        assert not simulate("bowl", key, preset.start, preset.steps, **{**preset.hparams_for(key), "lr": lr}).converged


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


def test_a_touch_slider_offers_notches_a_finger_can_hit():
    """Issue 19: on a phone the learning-rate slider's 73 notches lay 3 px apart, and a tap jumped
    η from 0.4 to 0.9. On a touch screen every numeric slider offers at most TOUCH_POSITIONS
    notches, values people think in (positions of the full grid), both ends included."""
    from optviz.app import settings as decl
    from optviz.core.scales import TOUCH_POSITIONS
    from surfaces import SURFACES

    numbers = {}
    for surface in SURFACES.values():
        ctx = decl.Context.of(surface.key)
        for setting in decl.settings_for(surface, OPTIMIZERS):
            if setting.kind == "number" and setting.widget != "number":
                numbers[setting.key.split(".", 1)[-1], surface.key] = setting.number(ctx)
    assert len(numbers) > 10
    for key, number in numbers.items():
        fine, touch = number.grid(), number.grid(touch=True)
        assert len(touch) <= min(TOUCH_POSITIONS, len(fine)), (key, len(touch))
        assert set(touch) <= set(fine) and list(touch) == sorted(touch), key
        assert touch[0] == fine[0] and touch[-1] == fine[-1], key
        assert len(touch) >= min(len(fine), 5), key  # still a slider
        value = fine[len(fine) // 3]  # a value of the full grid stays where it is, an extra notch
        assert value in number.positions(value, touch=True)
    lr = OPTIMIZERS["sgd"].hparam("lr").number
    assert [v for v in lr.grid(touch=True) if 0.1 <= v < 10] == [0.1, 0.2, 0.5, 1.0, 2.0, 5.0]  # 1-2-5 a decade
    assert lr.positions(0.4, touch=True) == tuple(sorted((*lr.grid(touch=True), 0.4)))
