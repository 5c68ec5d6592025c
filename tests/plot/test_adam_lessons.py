"""The two Adam lessons (optviz/plot/lessons.toml) against what their words say, worked out independently of
their claims: the bias-correction lesson's step lengths from the first step's formula, the L2 lesson's
end point from the regularised loss's minimum (the MSE is quadratic: a linear solve)."""

import math

import numpy as np

from optviz.plot.lessons import get_lesson
from surfaces import SURFACES


def _steps(path):
    return np.linalg.norm(np.diff(path, axis=0), axis=1)


def test_the_bias_correction_lesson_compares_one_switch():
    lesson = get_lesson("adam-bias-correction")
    on, off = lesson.view.runs
    assert on.optimizer == off.optimizer == "adam"
    assert on.hparam("bias_correction") == 1 and off.hparam("bias_correction") == 0
    assert {k: v for k, v in on.hparams if k != "bias_correction"} == \
        {k: v for k, v in off.hparams if k != "bias_correction"}  # the same η, β₁, β₂, ε
    assert on.noise == off.noise == 0.0 and on.batch_size is None


def test_the_bias_correction_lessons_numbers():
    lesson = get_lesson("adam-bias-correction")
    on_run = lesson.view.runs[0]
    lr, b1, b2, eps = (on_run.hparam(n) for n in ("lr", "beta1", "beta2", "eps"))
    runs = lesson.compute()
    on, off = (runs[n] for n in lesson.names)
    g = SURFACES[lesson.view.surface].grad(np.array(lesson.view.start))
    assert np.all(np.abs(g) > 1.0)  # both axes move: the "η along each axis" of the text
    # Corrected: η g / (|g| + ε) per axis. Uncorrected: η (1 - β₁) g / (√(1 - β₂) |g| + ε) per axis.
    np.testing.assert_allclose(off.path[1] - off.path[0], -lr * (1 - b1) * g / (math.sqrt(1 - b2) * abs(g) + eps),
                               rtol=1e-12)
    np.testing.assert_allclose(on.path[1] - on.path[0], -lr * g / (abs(g) + eps), rtol=1e-12)
    np.testing.assert_allclose(_steps(on.path)[0], lr * math.sqrt(2), rtol=1e-8)  # "length η√2"
    ratio = (1 - b1) / math.sqrt(1 - b2)
    np.testing.assert_allclose(_steps(off.path)[0], ratio * lr * math.sqrt(2), rtol=1e-6)
    assert round(ratio, 1) == 3.2 and round(math.sqrt(1 - b2), 2) == 0.03  # "3.2 times", "√v₁ ≈ 0.03 |g|"
    assert round(_steps(off.path)[3] / lr) == 7  # "the fourth about 7 η"
    assert np.all(_steps(on.path) <= lr * math.sqrt(2) * (1 + 1e-12))  # corrected: never longer than the first
    assert round(off.path[:, 0].max(), 1) == 1.3 and round(on.path[:, 0].max(), 1) == 0.2  # "x ≈ 1.3", "x ≈ 0.2"
    assert on.outcome == off.outcome == "converged"


def test_the_l2_lesson_compares_where_the_decay_enters():
    lesson = get_lesson("adam-l2-vs-adamw")
    l2, decoupled = lesson.view.runs
    assert (l2.optimizer, decoupled.optimizer) == ("adam", "adamw")
    assert l2.hparam_dict == decoupled.hparam_dict  # the same η, λ, β₁, β₂, ε and bias correction
    assert l2.noise == decoupled.noise == 0.0 and l2.batch_size is decoupled.batch_size is None


def test_adam_with_l2_stops_at_the_regularised_minimum_and_adamw_does_not():
    lesson = get_lesson("adam-l2-vs-adamw")
    surface = SURFACES[lesson.view.surface]
    l2_run = lesson.view.runs[0]
    lam = l2_run.hparam("weight_decay")
    best = np.array([surface.minima[0].x, surface.minima[0].y])
    hessian = np.asarray(surface.hessian(best))  # constant: the loss is quadratic
    ridge = np.linalg.solve(hessian + lam * np.eye(2), hessian @ best)  # ∇f(θ) + λθ = 0
    runs = lesson.compute()
    l2_name, adamw_name = lesson.names
    l2, adamw = runs[l2_name], runs[adamw_name]
    np.testing.assert_allclose(l2.path[-1], ridge, atol=1e-6)
    for claim in lesson.claims:  # the claims' windows hold that point
        if claim.run == l2_name and claim.series in ("x", "y") and claim.at is None and claim.over is None:
            assert claim.min <= ridge["xy".index(claim.series)] <= claim.max
    assert np.linalg.norm(adamw.path[-1] - ridge) > 0.05
    # The question: twice as long, Adam with L2 stays put and AdamW moves on, towards the loss's minimum.
    steps = lesson.view.steps
    longer = {n: lesson.run(n).simulate(surface, lesson.view.start, 2 * steps) for n in lesson.names}
    assert np.linalg.norm(longer[l2_name].path[-1] - l2.path[-1]) < 1e-6
    moved = longer[adamw_name].path[-1]
    assert np.linalg.norm(moved - adamw.path[-1]) > 0.05
    assert np.linalg.norm(moved - best) < np.linalg.norm(adamw.path[-1] - best)
