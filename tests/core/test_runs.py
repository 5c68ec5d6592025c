"""Runs and the core under them: per-start hyperparameter arrays, Run values, sweeps, labels,
the samples-seen and epoch axes, and opt-in state recording."""

import re

import numpy as np
import pytest

from optviz import OPTIMIZERS, simulate
from optviz.core.engine import _EpochSampler, _start_generators
from optviz.core.presets import PRESETS
from optviz.core.runs import (
    Run,
    labels,
    same_lr,
    short_name,
    short_number,
    simulate_run,
    simulate_sweep,
    sweep,
    sweep_factors,
    symbol,
)
from optviz.core.schedules import Constant, Cosine, Ramp, StepDecay, Warmup
from optviz.plot.lessons import load_lessons
from surfaces import SURFACES

OPT_KEYS = list(OPTIMIZERS)
MSE = SURFACES["mse"]


# --- per-start hyperparameters ----------------------------------------------------------------


def sweep_values(h):
    """Three values inside the slider's range, around the default."""
    if h.integer:  # a switch: off, on and the default
        return np.array([h.low, h.high, h.default], dtype=float)
    if h.log:
        return np.array([h.default / 3, h.default, min(h.default * 3, h.high)])
    return np.clip(np.array([h.default - 0.2, h.default, h.default + 0.05]), h.low, h.high)


@pytest.mark.parametrize("key", OPT_KEYS)
@pytest.mark.parametrize(("surface", "kwargs"), [("himmelblau", {}), ("rosenbrock", {"noise": 0.3}),
                                                 ("mse", {"batch_size": 16})])
def test_per_start_arrays_equal_separate_runs(key, surface, kwargs):
    """One vectorized call with one value per start equals one simulate() per value, bit for bit,
    for every hyperparameter of every optimizer."""
    s = SURFACES[surface]
    base = PRESETS[surface].hparams_for(key)
    for h in OPTIMIZERS[key].hparams:
        values = sweep_values(h)
        many = simulate(s, key, s.start, 50, seed=5, **kwargs, **{**base, h.name: values})
        assert many.path.shape == (51, 3, 2)
        np.testing.assert_array_equal(many.hparams[h.name], values)
        for i, v in enumerate(values):
            one = simulate(s, key, s.start, 50, seed=5, **kwargs, **{**base, h.name: float(v)})
            np.testing.assert_array_equal(many.path[:, i], one.path)
            assert many.diverged_at[i] == one.diverged_at


def test_per_start_arrays_pair_with_many_starts_and_with_each_other():
    starts = np.array([[1.0, 1.5], [-1.0, 2.0], [2.5, 0.2]])
    lrs, betas = np.array([0.01, 0.03, 0.1]), np.array([0.5, 0.9, 0.95])
    many = simulate("beale", "adam", starts, 40, lr=lrs, beta1=betas)
    for i in range(3):
        one = simulate("beale", "adam", starts[i], 40, lr=lrs[i], beta1=betas[i])
        np.testing.assert_array_equal(many.path[:, i], one.path)


def test_per_start_arrays_with_schedules():
    lrs = np.array([0.01, 0.05])
    schedules = {"lr": Warmup(5, 0.2), "momentum": Ramp(0.5, 10)}
    many = simulate("ravine", "nesterov", (-4.0, 1.0), 30, schedules=schedules, lr=lrs, record_state=True)
    assert many.record.hparams["lr"].shape == (30, 2)
    for i, lr in enumerate(lrs):
        one = simulate("ravine", "nesterov", (-4.0, 1.0), 30, schedules=schedules, lr=float(lr))
        np.testing.assert_array_equal(many.path[:, i], one.path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": np.array([0.1, -0.2])}, r"lr: -0\.2"),
        ({"lr": np.array([0.1, np.nan])}, r"lr: nan"),
        ({"momentum": np.array([0.5, 1.0])}, r"momentum: 1\.0"),
        ({"lr": np.array([0.1, 0.2]), "momentum": np.array([0.5, 0.6, 0.7])}, "one length"),
        ({"lr": np.zeros((2, 2)) + 0.1}, "1-d"),
        ({"lr": np.array([])}, "1-d"),
        ({"lr": "fast"}, "number"),
        ({"lr": True}, "number"),
        ({"start": np.zeros((3, 2)), "lr": np.array([0.1, 0.2])}, "2 per-start"),
    ],
)
def test_bad_per_start_values_raise_naming_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate("ravine", "momentum", **{"steps": 5, **kwargs})


# --- Run --------------------------------------------------------------------------------------


SETTINGS = [
    ({}, {}),
    ({"hparams": {"lr": 0.05}}, {"lr": 0.05}),
    ({"hparams": {"lr": 0.02, "momentum": 0.5}}, {"lr": 0.02, "momentum": 0.5}),
    ({"batch_size": 1}, {"batch_size": 1}),
    ({"batch_size": 7, "hparams": {"lr": 0.03}}, {"batch_size": 7, "lr": 0.03}),
    ({"noise": 0.4}, {"noise": 0.4}),
    ({"schedules": {"lr": StepDecay(10, 0.5)}}, {"schedules": {"lr": StepDecay(10, 0.5)}}),
    ({"schedules": {"momentum": Ramp(0.5, 20)}, "hparams": {"momentum": 0.95}},
     {"schedules": {"momentum": Ramp(0.5, 20)}, "momentum": 0.95}),
]


@pytest.mark.parametrize("key", ["sgd", "momentum", "adam"])
def test_runs_of_one_optimizer_equal_separate_simulate_calls(key):
    runs, expected = [], []
    for run_kwargs, sim_kwargs in SETTINGS:
        hp = {k: v for k, v in run_kwargs.get("hparams", {}).items() if k in OPTIMIZERS[key].defaults}
        scheds = {k: v for k, v in run_kwargs.get("schedules", {}).items() if k in OPTIMIZERS[key].defaults}
        runs.append(Run(key, hp, run_kwargs.get("batch_size"), run_kwargs.get("noise", 0.0), scheds))
        kw = {k: v for k, v in sim_kwargs.items() if k in ("batch_size", "noise")}
        kw.update({k: v for k, v in sim_kwargs.items() if k in OPTIMIZERS[key].defaults})
        expected.append(simulate("mse", key, (-2.0, 3.0), 60, seed=9, schedules=scheds or None, **kw))
    trajectories = [simulate_run("mse", r, (-2.0, 3.0), 60, seed=9) for r in runs]
    for run, mine, theirs in zip(runs, trajectories, expected, strict=True):
        np.testing.assert_array_equal(mine.path, theirs.path, err_msg=run.auto_label)
        np.testing.assert_array_equal(mine.loss, theirs.loss)
    # the same optimizer several times, with settings that differ: different paths
    assert len({tuple(t.path[-1]) for t in trajectories}) == len({r for r in runs})


def test_run_is_a_frozen_hashable_value_with_every_hyperparameter():
    a = Run("adam", {"lr": 0.1})
    b = Run("adam", [("lr", 0.1), ("beta1", 0.9)])
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert dict(a.hparams) == {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0,
                               "bias_correction": 1}
    assert [n for n, _ in a.hparams] == sorted(n for n, _ in a.hparams)
    with pytest.raises(AttributeError):
        a.noise = 1.0
    assert Run("adam", schedules={"lr": Constant()}) == Run("adam")  # a constant schedule is none
    hidden = a.replace(hidden=True)
    assert hidden.hidden and hidden != a and hidden.hparams == a.hparams
    assert Run.from_dict(hidden.to_dict()) == hidden
    fancy = Run("momentum", {"momentum": 0.99}, 8, 0.1, {"momentum": Ramp(0.5, 50), "lr": Cosine(100)}, "mine")
    assert Run.from_dict(fancy.to_dict()) == fancy


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Run("adamz"), "unknown optimizer"),
        (lambda: Run("adam", {"momentum": 0.9}), "unknown hyperparameter"),
        (lambda: Run("adam", {"lr": -1.0}), r"lr: -1\.0"),
        (lambda: Run("adam", {"lr": "x"}), "must be a number"),
        (lambda: Run("sgd", batch_size=0), "batch_size"),
        (lambda: Run("sgd", batch_size=2.5), "batch_size"),
        (lambda: Run("sgd", noise=-0.1), "noise"),
        (lambda: Run("sgd", noise=float("inf")), "noise"),
        (lambda: Run("sgd", schedules={"momentum": Ramp(0.5, 10)}), "no hyperparameter 'momentum'"),
        (lambda: Run("sgd", schedules={"lr": 0.1}), "must be a Schedule"),
        (lambda: Run.from_dict({"optimizer": "sgd", "colour": "red"}), "unknown run field"),
        (lambda: Run.from_dict({"optimizer": "sgd", "schedules": {"lr": {"key": "nope"}}}), "unknown schedule"),
    ],
)
def test_bad_runs_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_batch_size_on_an_analytic_surface_is_refused_when_run():
    with pytest.raises(ValueError, match="data surfaces only"):
        Run("sgd", batch_size=4).simulate("beale", steps=5)


def test_automatic_labels():
    assert Run("adam", {"lr": 0.1}).auto_label == "Adam η=0.1"
    assert Run("momentum", {"momentum": 0.99}, schedules={"momentum": Ramp(0.5, 100)}).auto_label == \
        "Momentum γ: 0.5→0.99"
    assert Run("nesterov").auto_label == "NAG"
    assert Run("adam", {"beta1": 0.8}).auto_label == "Adam β₁=0.8"
    assert Run("adam", label="  my Adam ").display_label == "my Adam"
    assert symbol(r"\epsilon", "eps") == "ε" and symbol(r"\rho", "rho") == "ρ" and symbol("", "weight_decay") == \
        "weight_decay"
    assert short_name(OPTIMIZERS["sgd"]) == "SGD" and short_name(OPTIMIZERS["adam"]) == "Adam"


def test_the_plain_gradient_step_is_named_by_its_gradient_source():
    """Full batch (or no data) is GD, one point SGD, b points mini-batch; noise is noisy GD, never SGD."""
    assert Run("sgd").auto_label == "GD"
    assert Run("sgd", batch_size=1).auto_label == "SGD"
    assert Run("sgd", batch_size=16).auto_label == "Mini-batch SGD b=16"
    assert Run("sgd", noise=0.5).auto_label == "Noisy GD σ=0.5"
    assert Run("sgd", {"lr": 0.03}).auto_label == "GD η=0.03"  # full-batch descent on Beale is not "SGD η=0.03"
    assert Run("momentum", batch_size=16).auto_label == "Momentum, mini-batch b=16"
    assert Run("momentum", batch_size=1).auto_label == "Momentum, stochastic b=1"
    assert Run("adam", noise=0.25).auto_label == "Adam, noise σ=0.25"
    assert labels([Run("momentum"), Run("momentum", batch_size=16)]) == ["Momentum, full batch",
                                                                         "Momentum, mini-batch b=16"]


def test_view_labels_tell_runs_apart():
    assert labels(sweep_factors(Run("adam"), "lr")) == ["Adam η=0.000333", "Adam η=0.001", "Adam η=0.003"]
    gd_sgd = [Run("sgd"), Run("sgd", batch_size=1), Run("sgd", batch_size=16)]
    assert labels(gd_sgd) == ["GD", "SGD", "Mini-batch SGD b=16"]
    assert labels([Run("adam"), Run("adam")]) == ["Adam", "Adam (2)"]
    assert labels([Run("sgd", label="GD one"), Run("sgd", batch_size=1)]) == ["GD one", "SGD"]
    assert labels([Run("sgd", label="  typed  η=0.0003333 "), Run("sgd")]) == ["typed  η=0.0003333", "GD"]
    views = [sweep(Run("momentum"), "momentum", [0.5, 0.9, 0.99]),
             [Run("momentum", {"momentum": 0.99}), Run("momentum", {"momentum": 0.99},
                                                       schedules={"momentum": Ramp(0.5, 100)})]]
    for runs in views:
        texts = labels(runs)
        assert len(set(texts)) == len(texts), texts


def test_every_label_names_eta_when_the_views_runs_differ_in_it():
    """Not only among runs of one optimizer: GD η=0.4 swept beside Momentum, or one η for all runs
    (RMSProp's default 0.01 kept its η off the label while Adam's showed)."""
    assert labels([Run("sgd", {"lr": 0.1}), Run("momentum", {"lr": 0.01}), Run("nesterov", {"lr": 0.01})]) == \
        ["GD η=0.1", "Momentum η=0.01", "NAG η=0.01"]
    assert labels([Run("rmsprop", {"lr": 0.01}), Run("adam", {"lr": 0.01})]) == ["RMSProp η=0.01", "Adam η=0.01"]
    swept = [*sweep(Run("sgd"), "lr", [0.4 / 3, 0.4, 1.2]), Run("momentum", {"lr": 0.4})]
    assert labels(swept) == ["GD η=0.133", "GD η=0.4", "GD η=1.2", "Momentum η=0.4"]
    # three significant digits, more only where two values would read alike
    assert labels(sweep(Run("adam"), "lr", [0.01, 0.01001])) == ["Adam η=0.01", "Adam η=0.01001"]
    assert labels([Run("adam", {"lr": 1e-5})]) == ["Adam η=1e-5"]
    assert labels(sweep(Run("sgd"), "lr", [1000.0, 2.5])) == ["GD η=1000", "GD η=2.5"]


def test_sweeps_and_one_learning_rate_for_all():
    run = Run("adam", {"lr": 0.03}, noise=0.1, schedules={"lr": StepDecay(10, 0.5)}, label="custom")
    runs = sweep_factors(run, "lr")
    np.testing.assert_allclose([r.hparam("lr") for r in runs], [0.01, 0.03, 0.09])
    assert all(r.noise == 0.1 and r.schedules == run.schedules and r.label == "" for r in runs)
    assert [r.hparam("beta1") for r in sweep(run, "beta1", [0.5, 0.8])] == [0.5, 0.8]
    with pytest.raises(ValueError, match=r"momentum: 2\.7"):
        sweep_factors(Run("momentum"), "momentum")  # 0.9 x 3 is not a momentum
    with pytest.raises(ValueError, match="no hyperparameter"):
        sweep(run, "rho", [0.9])
    with pytest.raises(ValueError, match="at least one"):
        sweep(run, "lr", [])
    everyone = same_lr([Run("adam"), Run("sgd", batch_size=1), Run("adadelta", {"rho": 0.95})], 0.1)
    assert [r.hparam("lr") for r in everyone] == [0.1, 0.1, 0.1]
    assert everyone[1].batch_size == 1 and everyone[2].hparam("rho") == 0.95


@pytest.mark.parametrize(("surface", "run"), [
    ("beale", Run("adam", noise=0.2, schedules={"beta1": Ramp(0.5, 20)})),
    ("mse", Run("momentum", batch_size=10, schedules={"lr": Cosine(40)})),
    ("himmelblau", Run("adadelta")),
])
def test_a_sweep_in_one_call_equals_its_runs(surface, run):
    values = [0.01, 0.1, 1.0] if run.optimizer == "adadelta" else [0.003, 0.01, 0.03]
    together = simulate_sweep(surface, run, "lr", values, steps=60, seed=2)
    for i, r in enumerate(sweep(run, "lr", values)):
        alone = r.simulate(surface, steps=60, seed=2)
        np.testing.assert_array_equal(together.path[:, i], alone.path)


def test_runs_with_the_same_batch_size_see_the_same_batches():
    """Batches come from (seed, start) only: with the same batch size, SGD and Momentum take their
    gradients on the same rows at every step; the recorded gradient at the first step (taken at
    the common start) is therefore the same, and so is every step's batch for a second SGD run."""
    a = Run("sgd", batch_size=5).simulate("mse", steps=30, seed=3, record_state=True)
    b = Run("momentum", {"momentum": 0.5}, batch_size=5).simulate("mse", steps=30, seed=3, record_state=True)
    c = Run("sgd", {"lr": 0.002}, batch_size=5).simulate("mse", steps=30, seed=3, record_state=True)
    np.testing.assert_array_equal(a.record.grads[0], b.record.grads[0])
    rows = [_EpochSampler([_start_generators(3, np.array([MSE.start]))[0][0]], MSE.n_samples, 5).batch(t)
            for t in range(1)]
    w, bias = MSE.start
    x, y = MSE.data
    r = w * x[rows[0][0]] + bias - y[rows[0][0]]
    np.testing.assert_allclose(c.record.grads[0], [2 * np.mean(r * x[rows[0][0]]), 2 * np.mean(r)], rtol=1e-12)
    other = Run("sgd", batch_size=5).simulate("mse", steps=30, seed=4, record_state=True)
    assert not np.array_equal(other.record.grads[0], a.record.grads[0])


# --- work axes --------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", range(1, MSE.n_samples + 1))
def test_samples_seen_and_epochs_for_every_batch_size(batch_size):
    n = MSE.n_samples
    per_epoch = n // batch_size
    steps = 2 * per_epoch + 1
    t = simulate(MSE, "sgd", None, steps, batch_size=batch_size, seed=1)
    k = np.arange(steps + 1)
    if batch_size == n:  # the full batch
        np.testing.assert_array_equal(t.samples_seen, k * n)
        np.testing.assert_array_equal(t.epochs, k)
        return
    np.testing.assert_array_equal(t.samples_seen, k * batch_size)
    np.testing.assert_allclose(t.epochs, k / per_epoch, rtol=0, atol=0)
    # The sampler agrees: a fresh shuffle exactly where a whole epoch starts, and one epoch uses
    # per_epoch * batch_size distinct rows, the n % batch_size rows at the shuffle's end dropped.
    sampler = _EpochSampler([np.random.default_rng(0)], n, batch_size)
    perms, used = [], []
    for step in range(steps):
        rows = sampler.batch(step)[0]
        if not perms or sampler.perms is not perms[-1]:
            perms.append(sampler.perms)
            used.append([])
        used[-1].extend(rows.tolist())
    starts_of_epochs = [step for step in range(steps) if float(t.epochs[step]).is_integer()]
    assert len(perms) == len(starts_of_epochs) == 3
    for epoch_rows in used[:2]:
        assert len(epoch_rows) == len(set(epoch_rows)) == per_epoch * batch_size
    assert sum(len(u) for u in used) == t.samples_seen[steps]


def test_full_batch_and_analytic_surfaces():
    gd = simulate(MSE, "sgd", None, 10)
    np.testing.assert_array_equal(gd.samples_seen, np.arange(11) * MSE.n_samples)
    np.testing.assert_array_equal(gd.epochs, np.arange(11))
    beale = simulate("beale", "sgd", None, 10, noise=0.1)
    assert beale.samples_seen is None and beale.epochs is None


def test_gd_and_sgd_compared_at_equal_work():
    """10 full-batch steps and 100 steps of 24 rows are both 10 epochs of the 240 rows."""
    gd = Run("sgd", {"lr": 0.05}).simulate(MSE, steps=10)
    sgd = Run("sgd", {"lr": 0.05}, batch_size=24).simulate(MSE, steps=100)
    assert gd.epochs[-1] == sgd.epochs[-1] == 10
    assert gd.samples_seen[-1] == sgd.samples_seen[-1] == 2400


# --- recording --------------------------------------------------------------------------------


@pytest.mark.parametrize("key", OPT_KEYS)
@pytest.mark.parametrize(("surface", "kwargs"), [
    ("beale", {}), ("rosenbrock", {"noise": 0.5}), ("mse", {"batch_size": 8}),
    ("himmelblau", {"schedules": {"lr": StepDecay(5, 0.7)}}),
])
def test_recording_state_does_not_change_the_path(key, surface, kwargs):
    s = SURFACES[surface]
    hp = PRESETS[surface].hparams_for(key)
    plain = simulate(s, key, s.start, 40, seed=3, **kwargs, **hp)
    rec = simulate(s, key, s.start, 40, seed=3, record_state=True, **kwargs, **hp)
    np.testing.assert_array_equal(plain.path, rec.path)
    np.testing.assert_array_equal(plain.loss, rec.loss)
    assert plain.record is None
    r = rec.record
    assert r.grads.shape == r.updates.shape == r.eval_points.shape == (40, 2)
    good = 40 if not rec.diverged else int(rec.diverged_at) - 1
    np.testing.assert_allclose(rec.path[1:good + 1] - rec.path[:good], r.updates[:good], rtol=1e-12, atol=1e-12)
    if key != "nesterov":
        np.testing.assert_array_equal(r.eval_points[:good], rec.path[:good])
    if not kwargs:  # exact gradients, where the path is still computed
        np.testing.assert_array_equal(r.grads[:good], s.grad(r.eval_points[:good]))
    assert set(r.hparams) == set(hp)
    for field in r.states:
        assert field is None or len(field) == 40


def test_recorded_state_by_hand_for_momentum_and_adam():
    s = SURFACES["bowl"]
    t = simulate(s, "momentum", (1.0, 1.0), 3, lr=0.1, momentum=0.9, record_state=True)
    g = t.record.grads
    np.testing.assert_allclose(t.record.states.velocity[0], g[0])
    np.testing.assert_allclose(t.record.states.velocity[1], 0.9 * g[0] + g[1])
    np.testing.assert_allclose(t.record.updates[1], -0.1 * t.record.states.velocity[1])
    a = simulate(s, "adam", np.array([[1.0, 1.0], [0.5, -0.5]]), 4, lr=0.1, record_state=True)
    np.testing.assert_array_equal(a.record.states.count, [1, 2, 3, 4])
    assert a.record.states.mu.shape == (4, 2, 2) and a.record.states.nu_max is None
    np.testing.assert_allclose(a.record.states.mu[0], 0.1 * a.record.grads[0])


def test_nesterov_records_its_look_ahead_points():
    t = simulate("ravine", "nesterov", (-4.0, 1.0), 20, lr=0.01, momentum=0.9, record_state=True)
    r = t.record
    np.testing.assert_allclose(r.eval_points[1:], t.path[1:20] - r.states.momentum_step[:-1], rtol=1e-15)
    # the update is the momentum part plus a gradient step from the look-ahead point
    np.testing.assert_allclose(r.updates[1:], -r.states.momentum_step[:-1] - 0.01 * r.grads[1:], rtol=1e-13)


LESSONS = load_lessons()


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_every_lessons_runs_read_well_without_their_written_labels(lesson):
    """A lesson's labels derived by `labels` (its `label` fields dropped): unique without "(2)",
    GD / SGD / mini-batch named by gradient source, η on every run when the runs differ in η, and
    numbers short (3 significant digits where they suffice)."""
    runs = [r.replace(label="") for r in lesson.view.runs]
    texts = labels(runs)
    assert len(set(texts)) == len(texts) and not any(re.search(r"\(\d+\)$", t) for t in texts), texts
    with_lr = [(r, t) for r, t in zip(runs, texts, strict=True) if "lr" in r.hparam_dict]
    if len({r.hparam("lr") for r, _ in with_lr}) > 1:
        for r, t in with_lr:
            eta = symbol(r.spec.hparam("lr").symbol, "lr")  # η, or Rprop's first step Δ₀
            assert f"{eta}={short_number(r.hparam('lr'))}" in t.split(), (t, r.hparam("lr"))
    for r, t in zip(runs, texts, strict=True):
        if r.optimizer == "sgd":
            name = {None: "Noisy GD" if r.noise else "GD", 1: "SGD"}.get(r.batch_size, "Mini-batch SGD")
            assert t.split(" η=")[0].split(" σ=")[0].split(" b=")[0] == name, t
        for number in re.findall(r"=(-?[\d.]+(?:e-?\d+)?)", t):
            mantissa = number.split("e")[0].replace("-", "").replace(".", "").lstrip("0")
            assert len(mantissa) <= 3, (t, number)


def test_a_switch_reads_as_words_in_a_label():
    """An on/off hyperparameter (Adam's bias correction) is named in words, not as "bias_correction=0"."""
    off, on = labels([Run("adam", {"bias_correction": 0}), Run("adam")])
    assert off == "Adam bias correction off" and on == "Adam bias correction on"
    assert labels([Run("adam", {"bias_correction": 0})]) == ["Adam bias correction off"]
