"""The step inspector's core (optviz/analysis/inspector.py, optviz/core/explain.py): for every optimizer the named
parts add up to the update taken, the per-axis step is the update over the gradient where that is
the rule, the substituted LaTeX carries the recorded numbers, and bad steps get a clear message."""

import dataclasses
import itertools
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from optviz import OPTIMIZERS, simulate
from optviz.analysis.inspector import inspect, inspectable_steps
from optviz.core.explain import StepData, layout, num
from optviz.core.presets import PRESETS
from optviz.core.schedules import Ramp, StepDecay
from surfaces import SURFACES

KEYS = list(OPTIMIZERS)

# Registry entries without a decomposition (they fall back to one part, "update"), each with why.
NO_DECOMPOSITION: dict[str, str] = {}

# The decay hyperparameter each optimizer may ramp in the scheduled scenario.
DECAY = {"momentum": "momentum", "nesterov": "momentum", "qhm": "momentum", "signum": "momentum", "rmsprop": "rho",
         "adadelta": "rho", "adam": "beta1", "amsgrad": "beta1", "adamax": "beta1", "nadam": "beta1",
         "adamw": "beta1", "radam": "beta1", "lion": "beta1", "qhadam": "beta1"}


def _scenarios(key):
    """(name, trajectory) pairs: preset exact gradients, noise, a mini-batch, a schedule."""
    out = []
    for name, surface, kwargs in (
        ("exact", "beale", {}),
        ("saddle", "saddle", {}),
        ("noisy", "rosenbrock", {"noise": 0.5}),
        ("minibatch", "mse", {"batch_size": 8}),
    ):
        s = SURFACES[surface]
        out.append((name, simulate(s, key, s.start, 30, seed=3, record_state=True, **kwargs,
                                   **PRESETS[surface].hparams_for(key))))
    schedules = {"lr": StepDecay(7, 0.5)}
    if key in DECAY:
        schedules[DECAY[key]] = Ramp(0.5, 10)
    s = SURFACES["himmelblau"]
    out.append(("scheduled", simulate(s, key, s.start, 30, seed=1, record_state=True, schedules=schedules,
                                      **PRESETS["himmelblau"].hparams_for(key))))
    return out


def _close(total, update, parts):
    """|Σ parts − update| ≤ 1e-12 × max(1, the largest part or update component)."""
    scale = max(1.0, *(float(np.max(np.abs(p))) for p in parts), float(np.max(np.abs(update))))
    return float(np.max(np.abs(total - update))) <= 1e-12 * scale


@pytest.mark.parametrize("key", KEYS)
def test_parts_add_up_to_the_update_taken(key):
    for name, t in _scenarios(key):
        steps = inspectable_steps(t)
        assert len(steps) > 0, name
        for k in sorted({0, 1, len(steps) // 2, len(steps) - 1}):
            i = inspect(t, k)
            assert i.parts, (name, k)
            vectors = [p.vector for p in i.parts]
            assert all(v.shape == (2,) for v in vectors)
            assert _close(np.sum(vectors, axis=0), t.record.updates[k], vectors), (name, k, i.parts_dict)
            np.testing.assert_array_equal(i.theta, t.path[k])
            np.testing.assert_array_equal(i.grad, t.record.grads[k])
            if k + 1 < len(steps):  # the update lands on the next path point (a frozen tail aside)
                atol = 1e-12 * max(1, abs(t.path[k]).max())
                np.testing.assert_allclose(i.theta_next, t.path[k + 1], rtol=0, atol=atol)
            # the arrows go tip to tail from θ_k to θ_{k+1}
            parts_arrows = [a for a in i.arrows() if a.name in i.parts_dict]
            np.testing.assert_array_equal(parts_arrows[0].start, i.theta)
            for a, b in itertools.pairwise(parts_arrows):
                np.testing.assert_array_equal(a.end, b.start)
            assert _close(parts_arrows[-1].end, i.theta_next, vectors)


@pytest.mark.parametrize("key", KEYS)
def test_parts_come_from_the_state_not_from_the_update(key):
    """A decomposition that read the recorded update back would add up trivially: with a wrong
    update in its input, the declared parts do not change."""
    spec = OPTIMIZERS[key]
    t = simulate("beale", key, None, 12, record_state=True, **PRESETS["beale"].hparams_for(key))
    i = inspect(t, 5)
    prev = type(t.record.states)(*(None if f is None else f[4] for f in t.record.states))
    state = type(t.record.states)(*(None if f is None else f[5] for f in t.record.states))
    hessian = SURFACES["beale"].hessian(t.record.eval_points[5])
    data = StepData(5, t.path[5], t.record.eval_points[5], t.record.grads[5], np.array([123.0, -456.0]), prev, state,
                    {n: float(v[5]) for n, v in t.record.hparams.items()}, hessian)
    again = spec.explain(data)
    for a, b in zip(again.parts, i.parts, strict=True):
        np.testing.assert_array_equal(a.vector, b.vector)


def test_every_registry_optimizer_declares_its_parts_or_is_listed_with_a_reason():
    missing = {key for key, spec in OPTIMIZERS.items() if spec.explain is None}
    assert missing == set(NO_DECOMPOSITION), missing ^ set(NO_DECOMPOSITION)
    assert all(reason.strip() for reason in NO_DECOMPOSITION.values())


def test_an_optimizer_without_a_decomposition_falls_back_to_one_part():
    plain = dataclasses.replace(OPTIMIZERS["momentum"], key="plain_momentum", explain=None)
    t = simulate("ravine", plain, (-4.0, 1.0), 10, record_state=True, lr=0.01)
    i = inspect(t, 3, plain)
    assert [p.name for p in i.parts] == ["update"]
    np.testing.assert_array_equal(i.parts[0].vector, t.record.updates[3])
    assert [row.label for row in i.state] == ["velocity"]
    np.testing.assert_array_equal(i.state[0].value, t.record.states.velocity[3])
    assert num(t.record.updates[3][0]) in i.latex


def test_a_new_entry_with_a_plain_tuple_state_needs_nothing_extra():
    """As docs/extending.md's one-entry example: an optimizer whose state is a plain tuple (not recorded)."""
    from optviz.core.optimizers import Optimizer
    from optviz.core.registry import OptimizerSpec, lr

    def shrinking_sign(lr: float) -> Optimizer:
        return Optimizer(lambda p: (0,), lambda g, s, p: (-lr * 0.9 ** s[0] * np.sign(g), (s[0] + 1,)))

    spec = OptimizerSpec("shrink_test", "Shrinking sign (test)", shrinking_sign, (lr(0.05),), r"\theta", "a test",
                         "#000000")
    t = simulate("bowl", spec, (1.0, -0.5), 6, record_state=True)
    for k in range(6):
        i = inspect(t, k, spec)
        np.testing.assert_array_equal(i.parts_dict["update"], t.record.updates[k])
        assert i.state == ()
    np.testing.assert_allclose(inspect(t, 2, spec).update, [-0.05 * 0.81, 0.05 * 0.81])


def test_recording_for_the_inspector_does_not_change_the_path():
    """Every optimizer, exact, noisy, mini-batch and per-start sweeps (test_runs covers more surfaces)."""
    for key in KEYS:
        hp = PRESETS["mse"].hparams_for(key)
        for kwargs in ({}, {"noise": 0.3}, {"batch_size": 4}):
            a = simulate("mse", key, None, 25, seed=2, **kwargs, **hp)
            b = simulate("mse", key, None, 25, seed=2, record_state=True, **kwargs, **hp)
            np.testing.assert_array_equal(a.path, b.path)
        lrs = np.array([0.5, 1.0, 2.0]) * hp["lr"]
        a = simulate("mse", key, None, 25, **{**hp, "lr": lrs})
        b = simulate("mse", key, None, 25, record_state=True, **{**hp, "lr": lrs})
        np.testing.assert_array_equal(a.path, b.path)


# --- the per-axis effective step ------------------------------------------------------------------

# Rules whose update is −(effective step) ⊙ g exactly, with these settings.
ELEMENTWISE_RULES = [
    ("adagrad", {}), ("rmsprop", {}), ("adadelta", {}),
    ("adam", {"beta1": 0.0}), ("amsgrad", {"beta1": 0.0}), ("adamax", {"beta1": 0.0}), ("nadam", {"beta1": 0.0}),
    ("adamw", {"beta1": 0.0, "weight_decay": 0.0}), ("radam", {"beta1": 0.0}), ("qhadam", {"nu1": 0.0}),
]


@pytest.mark.parametrize(("key", "settings"), ELEMENTWISE_RULES)
def test_effective_step_is_the_update_over_the_gradient(key, settings):
    hp = {**PRESETS["ravine"].hparams_for(key), **settings}
    t = simulate("ravine", key, (-4.0, 1.0), 40, record_state=True, noise=0.2, **hp)
    for k in (0, 1, 5, 20, 39):
        i = inspect(t, k)
        g, update = t.record.grads[k], t.record.updates[k]
        moving = np.abs(g) > 0
        assert moving.any()
        np.testing.assert_allclose(i.effective_step[moving], -update[moving] / g[moving], rtol=1e-12)
        assert np.all(i.effective_step > 0)


def test_radam_effective_step_before_and_after_rectification():
    t = simulate("ravine", "radam", (-4.0, 1.0), 12, record_state=True, beta1=0.0, lr=0.01)
    first, later = inspect(t, 0), inspect(t, 10)
    np.testing.assert_array_equal(first.effective_step, [0.01, 0.01])  # ρ_1 ≤ 5: plain η
    assert "Not rectified" in first.notes[0] and "Rectified" in later.notes[0]
    g = t.record.grads[10]
    np.testing.assert_allclose(later.effective_step, -t.record.updates[10] / g, rtol=1e-12)


def test_rprop_step_sizes_are_the_moves_where_the_sign_held():
    t = simulate("beale", "rprop", None, 30, record_state=True, lr=0.01)
    for k in range(1, 30):
        i = inspect(t, k)
        held = t.record.grads[k] * t.record.grads[k - 1] > 0
        np.testing.assert_array_equal(np.abs(t.record.updates[k])[held], i.effective_step[held])


# --- parts by hand ----------------------------------------------------------------------------------


def test_momentum_and_nesterov_parts_by_hand():
    t = simulate("bowl", "momentum", (1.0, 1.0), 3, lr=0.1, momentum=0.9, record_state=True)
    zero, one = inspect(t, 0), inspect(t, 1)
    np.testing.assert_array_equal(zero.parts_dict["momentum"], [0.0, 0.0])
    np.testing.assert_allclose(one.parts_dict["momentum"], -0.1 * 0.9 * t.record.grads[0], rtol=1e-15)
    np.testing.assert_allclose(one.parts_dict["gradient"], -0.1 * t.record.grads[1], rtol=1e-15)

    n = simulate("ravine", "nesterov", (-4.0, 1.0), 20, lr=0.01, momentum=0.9, record_state=True)
    i = inspect(n, 7)
    np.testing.assert_allclose(i.points["look_ahead"], n.record.eval_points[7], rtol=1e-15)
    np.testing.assert_allclose(i.theta + i.parts_dict["look_ahead"], n.record.eval_points[7], rtol=1e-15)
    np.testing.assert_allclose(i.gradient_step, -0.01 * n.record.grads[7], rtol=1e-15)
    assert [a.name for a in i.arrows()] == ["look_ahead", "gradient", "update", "gradient_step"]
    np.testing.assert_array_equal(i.arrows()[-1].start, n.record.eval_points[7])


def test_weight_decay_parts_by_hand():
    for key, hp in (("adamw", {"lr": 0.01, "weight_decay": 0.1}), ("lion", {"lr": 0.01, "weight_decay": 0.5})):
        t = simulate("beale", key, None, 8, record_state=True, **hp)
        i = inspect(t, 4)
        np.testing.assert_allclose(i.parts_dict["weight_decay"], -hp["lr"] * hp["weight_decay"] * t.path[4],
                                   rtol=1e-15)
    lion = inspect(simulate("beale", "lion", None, 8, record_state=True, lr=0.01), 4)
    assert set(np.abs(lion.parts_dict["sign"])) <= {0.01}


SWITCHED = [("adam", {"bias_correction": 0}), ("amsgrad", {"bias_correction": 0}), ("nadam", {"bias_correction": 0}),
            ("adamax", {"bias_correction": 0}), ("adamw", {"bias_correction": 0, "weight_decay": 0.1}),
            ("adam", {"weight_decay": 0.3}), ("amsgrad", {"weight_decay": 0.3, "bias_correction": 0})]


@pytest.mark.parametrize(("key", "settings"), SWITCHED, ids=[f"{k}-{sorted(s)}" for k, s in SWITCHED])
def test_the_adam_switch_and_l2_parts_add_up_and_show_in_the_rule(key, settings):
    t = simulate("beale", key, None, 12, record_state=True, lr=0.05, **settings)
    for k in (0, 1, 6, 11):
        i = inspect(t, k)
        vectors = [p.vector for p in i.parts]
        assert _close(np.sum(vectors, axis=0), t.record.updates[k], vectors), (k, i.parts_dict)
        if settings.get("bias_correction") == 0:
            assert "1-\\beta_1^" not in i.latex and "not bias-corrected" in " ".join(i.notes)
        if key in ("adam", "amsgrad") and settings.get("weight_decay"):
            wd, theta = settings["weight_decay"], t.path[k]
            assert num((t.record.grads[k] + wd * theta)[0]) in i.latex  # the gradient the moments see
            assert "l2" in i.parts_dict and "L2" in " ".join(i.notes)


def test_newton_lands_on_the_saddle_point_and_says_why():
    t = simulate("saddle", "newton", (0.7, -0.4), 2, record_state=True, lr=1.0)
    i = inspect(t, 0)
    np.testing.assert_allclose(i.parts_dict["newton"], -t.path[0], atol=1e-15)
    assert "indefinite" in i.notes[0]
    np.testing.assert_allclose(i.state[1].value, [-2.0, 2.0])  # eig(H) of x² − y²


def test_lbfgs_first_step_and_a_stopped_start():
    t = simulate("rosenbrock", "lbfgs", None, 20, record_state=True)
    first = inspect(t, 0)
    g = t.record.grads[0]
    np.testing.assert_allclose(first.parts_dict["lbfgs"], -g * min(1.0, 1.0 / np.abs(g).sum()), rtol=1e-15)
    bowl = simulate("bowl", "lbfgs", (0.0, 0.0), 3, record_state=True)  # at the minimum: zero gradient
    still = inspect(bowl, 1)
    np.testing.assert_array_equal(still.parts_dict["lbfgs"], [0.0, 0.0])
    assert "tolerance" in still.notes[0]


# --- the substituted LaTeX -----------------------------------------------------------------------------


def test_number_format_rule():
    assert num(0.001) == "0.001"
    assert num(1e-8) == "10^{-8}"
    assert num(-2.5e-5) == r"-2.5 \times 10^{-5}"
    assert num(123456.0) == r"1.235 \times 10^{5}"
    assert num(0.1234567) == "0.1235"
    assert num(-0.0) == num(0.0) == "0"
    assert num(float("inf")) == r"\infty" and num(float("nan")) == r"\text{undefined}"


def _expected_numbers(key, t, k):
    """Numbers the rule at step k must show, from the record (not from the inspector)."""
    r, hp = t.record, {n: float(v[k]) for n, v in t.record.hparams.items()}
    st = r.states
    vals = [*r.grads[k], *t.path[k], *(t.path[k] + r.updates[k])]
    fields = {"momentum": ["velocity"], "nesterov": ["velocity"], "qhm": ["velocity"], "adagrad": ["sum_sq"],
              "rmsprop": ["square_avg"], "adadelta": ["square_avg", "acc_delta"], "adamax": ["mu", "u"],
              "signum": ["mu"], "lion": ["mu"], "rprop": ["step_size"], "lbfgs": ["direction"]}
    for name in fields.get(key, []):
        vals += list(getattr(st, name)[k])
    if key in ("adam", "amsgrad", "nadam", "adamw", "radam", "qhadam"):
        count = k + 1
        vals += [*st.mu[k], *st.nu[k], *(st.mu[k] / (1 - hp["beta1"] ** count))]
        if key != "radam":
            second = st.nu_max[k] if key == "amsgrad" else st.nu[k]
            vals += list(second / (1 - hp["beta2"] ** count))
    return [v for v in vals]


@pytest.mark.parametrize("key", KEYS)
def test_substituted_rule_shows_the_recorded_numbers(key):
    for _, t in _scenarios(key)[:3:2]:  # exact and noisy
        last = len(inspectable_steps(t)) - 1
        for k in sorted({0, min(4, last), last}):
            i = inspect(t, k)
            for v in _expected_numbers(key, t, k):
                assert num(v) in i.latex, (key, k, num(v), i.latex)
            for name, value in i.hparams.items():
                unused = name == "eps" and any(n.startswith("Not rectified") for n in i.notes)  # RAdam
                if name in ("lr", "beta1", "beta2", "momentum", "rho", "eps") and key not in ("rprop", "lbfgs") \
                        and not unused:
                    assert num(value) in i.latex, (key, name)
            assert f"_{{{k + 1}}}" in i.latex  # the step's own index


def test_substituted_rule_follows_a_schedule():
    t = simulate("ravine", "momentum", (-4.0, 1.0), 30, record_state=True, lr=0.02,
                 schedules={"lr": StepDecay(10, 0.5), "momentum": Ramp(0.5, 20)})
    early, late = inspect(t, 2), inspect(t, 25)
    assert early.hparams == {"lr": 0.02, "momentum": pytest.approx(0.54)}
    assert late.hparams == {"lr": 0.005, "momentum": 0.9}
    assert r"- 0.005\, (" in late.latex and r"0.9\, (" in late.latex
    assert r"- 0.02\, (" in early.latex and r"0.54\, (" in early.latex


def test_state_table_rows_are_the_recorded_state():
    t = simulate("beale", "adam", None, 10, record_state=True, lr=0.05)
    rows = {row.latex: row for row in inspect(t, 3).state}
    np.testing.assert_array_equal(rows["m_{4}"].value, t.record.states.mu[3])
    np.testing.assert_array_equal(rows["v_{3}"].value, t.record.states.nu[2])
    np.testing.assert_allclose(rows[r"\hat m_{4}"].value, t.record.states.mu[3] / (1 - 0.9**4), rtol=1e-15)
    assert rows["m_{4}"].text == f"({t.record.states.mu[3][0]:.4g}, {t.record.states.mu[3][1]:.4g})"


# --- bad input and diverged runs -------------------------------------------------------------------------


def test_bad_steps_and_missing_records_get_a_clear_message():
    t = simulate("beale", "adam", None, 10, record_state=True)
    for k in (-1, 10, 2.0, True, "3"):
        with pytest.raises(ValueError, match=r"step must be an integer in \[0, 9\]"):
            inspect(t, k)
    with pytest.raises(ValueError, match="record_state=True"):
        inspect(simulate("beale", "adam", None, 10), 0)
    with pytest.raises(ValueError, match="not momentum"):
        inspect(t, 0, "momentum")
    with pytest.raises(ValueError, match="no step"):
        inspect(simulate("beale", "adam", None, 0, record_state=True), 0)


def test_a_diverged_run_is_inspectable_up_to_the_step_that_blew_up():
    t = simulate("ravine", "sgd", (-4.0, 1.0), 60, record_state=True, lr=10.0)
    assert t.diverged
    steps = inspectable_steps(t)
    assert steps == range(int(t.diverged_at))
    last = inspect(t, steps[-1])  # no RuntimeWarning (they are errors in this suite), no NaN in the parts
    assert all(np.all(np.isfinite(p.vector)) for p in last.parts)
    with pytest.raises(ValueError):
        inspect(t, int(t.diverged_at))


def test_one_start_of_a_sweep():
    t = simulate("ravine", "adam", (-4.0, 1.0), 20, record_state=True, lr=np.array([0.01, 0.1]))
    with pytest.raises(ValueError, match=r"start=0\.\.1"):
        inspect(t, 3)
    fast = inspect(t, 3, start=1)
    assert fast.hparams["lr"] == 0.1
    alone = inspect(simulate("ravine", "adam", (-4.0, 1.0), 20, record_state=True, lr=0.1), 3)
    np.testing.assert_array_equal(fast.update, alone.update)
    assert fast.latex == alone.latex


# --- KaTeX: the very KaTeX that Streamlit's st.latex uses (its bundled chunk), run by node --------------


def _streamlit_katex():
    """Streamlit's own KaTeX module (one self-contained ES module in its static bundle), or None."""
    import streamlit

    found = sorted((Path(streamlit.__file__).parent / "static" / "static" / "js").glob("katex.*.js"))
    return found[0] if found else None


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node (Debian: apt-get install nodejs)")
def test_substituted_rules_parse_in_katex(tmp_path):
    texts = []
    for key in KEYS:
        for _, t in _scenarios(key)[:2]:
            texts += [inspect(t, k).latex for k in (0, 3)]
            texts += [layout(inspect(t, k).lines) for k in (0, 3)]  # as the panel shows it
        texts.append(OPTIMIZERS[key].rule)
    for key, settings in SWITCHED:  # bias correction off, L2 in the gradient
        t = simulate("beale", key, None, 4, record_state=True, lr=0.05, **settings)
        texts += [layout(inspect(t, k).lines) for k in (0, 3)]
    bundled = _streamlit_katex()
    assert bundled is not None, "Streamlit's static bundle has no katex.*.js: st.latex renders elsewhere now"
    module = tmp_path / "katex.mjs"  # an ES module; node reads .mjs as one whatever the package says
    module.write_bytes(bundled.read_bytes())
    script = ("const katex = (await import(process.argv[1])).default;"
              "const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "for (const t of texts) { katex.renderToString(t, {displayMode: true, throwOnError: true}); }"
              "console.log(katex.version, texts.length);")
    script = "import {createRequire} from 'module'; const require = createRequire(import.meta.url);" + script

    def render(latex):
        return subprocess.run(["node", "--input-type=module", "-e", script, module.as_uri()],
                              input=json.dumps(latex), capture_output=True, text=True, timeout=120)

    out = render(texts)
    assert out.returncode == 0, out.stderr[-2000:]
    version, count = out.stdout.split()
    assert version.startswith("0.") and int(count) == len(texts)
    # ... and it does reject what is not LaTeX, so the loop above could fail
    bad = render([r"\frac{1}{"])
    assert bad.returncode != 0 and "ParseError" in bad.stderr
