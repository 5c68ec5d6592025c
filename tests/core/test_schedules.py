"""Schedules: values by hand, validation, round trips, and how simulate() applies them.

The torch equality of the learning-rate schedules is in test_torch_schedules.py.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz import OPTIMIZERS, simulate
from optviz.core.engine import EXTRA_INPUTS
from optviz.core.presets import PRESETS
from optviz.core.schedules import (
    LR_SCHEDULES,
    MOMENTUM_SCHEDULES,
    SCHEDULES,
    Constant,
    Cosine,
    Exponential,
    Ramp,
    StepDecay,
    Warmup,
    schedule_from_dict,
)
from surfaces import SURFACES

EXAMPLES = [Constant(), StepDecay(3, 0.5), Exponential(0.9), Cosine(4, 0.01), Warmup(4, 0.25, 1.0), Ramp(0.5, 4)]


def test_values_by_hand():
    np.testing.assert_allclose(StepDecay(3, 0.5).values(8, 0.2), [0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05])
    np.testing.assert_allclose(Exponential(0.9).values(4, 2.0), [2.0, 1.8, 1.62, 1.458])
    # cos(pi t / 4): 1, 1/sqrt2, 0, -1/sqrt2, -1, then back up (torch's CosineAnnealingLR does the same).
    c = (1 + np.array([1, math.sqrt(0.5), 0, -math.sqrt(0.5), -1, -math.sqrt(0.5)])) / 2
    np.testing.assert_allclose(Cosine(4, 0.01).values(6, 1.0), 0.01 + 0.99 * c)
    np.testing.assert_allclose(Warmup(4, 0.25).values(6, 0.4), [0.1, 0.175, 0.25, 0.325, 0.4, 0.4])
    np.testing.assert_allclose(Warmup(2, 1.0, 0.5).values(4, 0.4), [0.4, 0.3, 0.2, 0.2])
    np.testing.assert_allclose(Ramp(0.5, 4).values(6, 0.9), [0.5, 0.6, 0.7, 0.8, 0.9, 0.9])
    np.testing.assert_array_equal(Constant().values(3, 0.7), [0.7, 0.7, 0.7])


def test_ramp_ends_exactly_at_the_runs_value():
    values = Ramp(0.5, 7).values(20, 0.99)
    assert np.all(values[7:] == 0.99)
    assert values[0] == 0.5 and np.all(np.diff(values[:8]) > 0)


@pytest.mark.parametrize("schedule", EXAMPLES, ids=lambda s: s.key)
def test_per_start_bases_give_one_column_each(schedule):
    bases = np.array([0.1, 0.3, 0.6])
    table = schedule.values(9, bases)
    assert table.shape == (9, 3)
    for i, b in enumerate(bases):
        np.testing.assert_array_equal(table[:, i], schedule.values(9, b))
    assert schedule.values(0, 0.1).shape == (0,)
    assert schedule.value(5, 0.3) == schedule.values(6, 0.3)[5]


@pytest.mark.parametrize("schedule", EXAMPLES, ids=lambda s: s.key)
def test_frozen_hashable_and_round_trip(schedule):
    assert hash(schedule) == hash(schedule_from_dict(schedule.to_dict()))
    assert schedule_from_dict(schedule.to_dict()) == schedule
    with pytest.raises(AttributeError):
        schedule.key = "x"  # a ClassVar on a frozen class: not settable on the instance
    assert schedule.latex(r"\eta").startswith(r"\eta_t = ")
    assert SCHEDULES[schedule.key] is type(schedule)


def test_latex_and_description_carry_the_numbers():
    assert StepDecay(30, 0.5).latex(r"\eta") == r"\eta_t = \eta \cdot 0.5^{\lfloor t / 30 \rfloor}"
    assert "25" in Cosine(25, 0.001).latex() and "0.001" in Cosine(25, 0.001).latex()
    assert Ramp(0.5, 100).describe("γ", 0.99) == "γ: 0.5→0.99"
    assert Constant().describe() == ""
    assert set(LR_SCHEDULES) | set(MOMENTUM_SCHEDULES) == set(SCHEDULES)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: StepDecay(0, 0.5), "step_size"),
        (lambda: StepDecay(2.5, 0.5), "step_size"),
        (lambda: StepDecay(3, 0.0), "gamma"),
        (lambda: StepDecay(3, 1.5), "gamma"),
        (lambda: Exponential(float("nan")), "gamma"),
        (lambda: Cosine(0), "duration"),
        (lambda: Cosine(10, -0.1), "final"),
        (lambda: Warmup(5, 0.0), "start_factor"),
        (lambda: Warmup(5, 0.5, 1.2), "end_factor"),
        (lambda: Ramp(float("inf"), 10), "start"),
        (lambda: Ramp(0.5, True), "duration"),
        (lambda: schedule_from_dict({"key": "warp"}), "unknown schedule"),
        (lambda: schedule_from_dict({"key": "step", "step_size": 3, "eval": "x"}), "unknown: eval"),
        (lambda: schedule_from_dict("step"), "unknown schedule"),
    ],
)
def test_bad_parameters_raise_naming_them(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# --- inside simulate() ------------------------------------------------------------------------


def stepwise(surface, key, start, steps, hparams, schedules):
    """The definition: step t is the optimizer built from step t's values, the state carried over."""
    spec = OPTIMIZERS[key]
    tables = {name: s.values(steps, hparams[name]) for name, s in schedules.items()}
    p = np.array([start], dtype=float)
    state = spec.build(**hparams).init(p)
    path = [p[0].copy()]
    for t in range(steps):
        opt = spec.factory(**{**hparams, **{name: float(v[t]) for name, v in tables.items()}})
        at = p if opt.eval_point is None else opt.eval_point(p, state)
        inputs = {name: EXTRA_INPUTS[name](surface, at) for name in opt.inputs}  # Newton's Hessian
        delta, state = opt.update(surface.grad(at), state, p, **inputs)
        p = p + delta
        path.append(p[0].copy())
    return np.array(path)


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_every_optimizer_follows_its_schedules_step_by_step(key):
    s = SURFACES["himmelblau"]
    hp = PRESETS["himmelblau"].hparams_for(key)
    schedules = {"lr": StepDecay(7, 0.5)}
    second = next((h.name for h in OPTIMIZERS[key].hparams if h.name in ("momentum", "beta1", "rho")), None)
    if second:
        schedules[second] = Ramp(0.3, 15)
    t = simulate(s, key, s.start, 40, schedules=schedules, **hp)
    np.testing.assert_allclose(t.path, stepwise(s, key, s.start, 40, hp, schedules), rtol=1e-13, atol=1e-15)
    assert t.schedules == tuple(sorted(schedules.items()))
    plain = simulate(s, key, s.start, 40, **hp)
    if key in LR_AT_INIT_ONLY and not second:
        np.testing.assert_array_equal(plain.path, t.path)  # as in torch: an lr schedule does nothing
    elif second or np.any(plain.path[8:] != plain.path[7]):
        assert np.abs(plain.path - t.path).max() > 1e-6  # the schedule changed the path
    else:  # stopped before step 7, where lr first changes (Newton lands on the central maximum in 6 steps)
        np.testing.assert_array_equal(plain.path, t.path)


# torch.optim.Rprop reads lr once, as every coordinate's first step size, when its state is made;
# its schedulers then change nothing. Ours does the same (init keeps step 0's values).
LR_AT_INIT_ONLY = {"rprop"}


def test_rprop_takes_lr_once_as_torch_does():
    """Its step sizes start at step 0's lr (a warm-up's first value, as torch's LinearLR sets the
    param group before Rprop's first step; also in the torch schedule fixture); later values are
    ignored, so the run equals a plain run at that first lr."""
    s = SURFACES["himmelblau"]
    start = np.array([-0.5, -0.5])
    t = simulate(s, "rprop", start, 30, lr=0.05, schedules={"lr": Warmup(10, 0.1)})
    np.testing.assert_allclose(np.abs(t.path[1] - start), [0.005, 0.005], rtol=1e-14)
    np.testing.assert_array_equal(t.path, simulate(s, "rprop", start, 30, lr=0.05 * 0.1).path)


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_constant_schedule_is_bitwise_the_plain_run(key):
    hp = PRESETS["beale"].hparams_for(key)
    plain = simulate("beale", key, None, 60, **hp)
    scheduled = simulate("beale", key, None, 60, schedules={h: Constant() for h in hp}, **hp)
    np.testing.assert_array_equal(plain.path, scheduled.path)


def test_a_ramp_reaches_the_runs_value_and_stays():
    """The values each step used (recorded): 0.5, 0.52, ... then the run's own momentum, exactly."""
    t = simulate("ravine", "momentum", None, 50, record_state=True, lr=0.01, momentum=0.9,
                 schedules={"momentum": Ramp(0.5, 20)})
    assert np.all(t.record.hparams["momentum"][20:] == 0.9)
    np.testing.assert_allclose(t.record.hparams["momentum"][:3], [0.5, 0.52, 0.54])


def test_schedules_with_many_starts_equal_each_start_alone():
    starts = np.array([[1.0, 1.5], [-1.0, 2.0], [2.5, 0.2]])
    schedules = {"lr": Cosine(30, 1e-4), "beta1": Ramp(0.5, 10)}
    many = simulate("beale", "adam", starts, 50, schedules=schedules, lr=0.05, noise=0.2, seed=4)
    for i, point in enumerate(starts):
        one = simulate("beale", "adam", point, 50, schedules=schedules, lr=0.05, noise=0.2, seed=4)
        np.testing.assert_array_equal(many.path[:, i], one.path)


def test_schedule_errors_are_clear():
    with pytest.raises(ValueError, match="no hyperparameter 'momentum'"):
        simulate("beale", "adam", None, 10, schedules={"momentum": Ramp(0.5, 5)})
    with pytest.raises(ValueError, match="must be a Schedule"):
        simulate("beale", "adam", None, 10, schedules={"lr": 0.5})
    with pytest.raises(ValueError, match=r"ramp schedule for momentum.*Invalid momentum: 1\.5"):
        simulate("beale", "momentum", None, 10, schedules={"momentum": Ramp(1.5, 5)})
    with pytest.raises(ValueError, match="schedules must map"):
        simulate("beale", "adam", None, 10, schedules=[Ramp(0.5, 5)])
    from optviz.core import optimizers

    with pytest.raises(ValueError, match="not to simulate"):
        simulate("beale", optimizers.sgd(0.1), None, 10, schedules={"lr": StepDecay(3)})


def test_a_person_cannot_set_lr_zero_but_a_schedule_may_reach_it():
    with pytest.raises(ValueError, match=r"lr: 0\.0"):
        simulate("bowl", "sgd", None, 10, lr=0.0)
    t = simulate("bowl", "sgd", (1.0, 1.0), 12, lr=0.1, record_state=True, schedules={"lr": Cosine(5, 0.0)})
    assert t.record.hparams["lr"][5] == 0.0
    np.testing.assert_array_equal(t.path[6], t.path[5])  # a zero step does not move
    assert not np.array_equal(t.path[7], t.path[6])  # and the cosine rises again
    long = simulate("bowl", "sgd", (1.0, 1.0), 3000, lr=0.1, schedules={"lr": Exponential(0.5)})
    assert np.all(np.isfinite(long.path))  # 0.5**t underflows to 0 and that is allowed


# --- any schedule in range: finite numbers, no warnings ------------------------------------------


LR_SCHEDULE = st.one_of(
    st.builds(Constant),
    st.builds(StepDecay, st.integers(1, 50), st.floats(1e-3, 1.0)),
    st.builds(Exponential, st.floats(0.5, 1.0)),
    st.builds(Cosine, st.integers(1, 100), st.floats(0.0, 1e-3)),
    st.builds(Warmup, st.integers(1, 50), st.floats(1e-3, 1.0), st.floats(0.0, 1.0)),
)


@st.composite
def scheduled_scenarios(draw):
    surface = SURFACES[draw(st.sampled_from(list(SURFACES)))]
    spec = OPTIMIZERS[draw(st.sampled_from(list(OPTIMIZERS)))]
    hp = {h.name: h.default for h in spec.hparams}
    lr = spec.hparam("lr")
    hp["lr"] = float(10 ** draw(st.floats(np.log10(lr.low), np.log10(lr.high))))
    schedules = {"lr": draw(LR_SCHEDULE)}
    for h in spec.hparams:
        if h.name in ("momentum", "beta1", "rho"):
            schedules[h.name] = Ramp(draw(st.floats(0.0, 0.999)), draw(st.integers(1, 100)))
    (x0, x1), (y0, y1) = surface.domain
    start = (draw(st.floats(x0, x1)), draw(st.floats(y0, y1)))
    return surface, spec.key, hp, schedules, start, draw(st.sampled_from([0.0, 0.5]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scheduled_scenarios(), st.integers(0, 120))
def test_any_schedule_in_range_gives_finite_numbers(scenario, steps):
    surface, key, hp, schedules, start, noise = scenario
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = simulate(surface, key, start, steps, noise=noise, schedules=schedules, **hp)
    assert np.all(np.isfinite(t.path)) and np.all(np.isfinite(t.loss))
    assert bool(t.diverged) == (t.diverged_at >= 0)
