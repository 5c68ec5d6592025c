"""The presets' lessons and the surfaces' captions, as assertions on the computed runs.

Every claim in optviz/core/presets.py (module docstring, comments, `EXPECT`) and in each surface's
`description` about the paths is checked here with the preset's start, steps and hyperparameters,
under the engine's convergence rule. A claim that breaks fails here: fix the preset or the words.
"""

import numpy as np
import pytest

from optviz import OPTIMIZERS, simulate
from optviz.core.engine import OUTCOMES
from optviz.core.presets import EXPECT, PRESETS, Expect
from optviz.core.registry import Preset
from surfaces import SURFACES

ADAPTIVE = ("adagrad", "rmsprop", "adadelta", "adam", "amsgrad", "adamax", "nadam")


def run(surface, key, *, steps=None, start=None, **overrides):
    preset = PRESETS[surface]
    hp = {**preset.hparams_for(key), **overrides}
    return simulate(surface, key, preset.start if start is None else start,
                    preset.steps if steps is None else steps, **hp)


def caption_says(surface, *phrases):
    """The test checks the words the app shows: fail loudly if the caption changed."""
    for phrase in phrases:
        assert phrase in SURFACES[surface].description, (surface, phrase)


# --- the data -----------------------------------------------------------------------------------


def test_a_preset_is_still_constructible_as_before():
    p = Preset((0.0, 1.0), 50, {"sgd": {"lr": 0.1}})
    assert p.hparams_for("sgd")["lr"] == 0.1 and Preset((0.0, 1.0), 50).steps == 50


def test_every_preset_has_expectations_that_name_real_things():
    assert set(EXPECT) == set(PRESETS) == set(SURFACES)
    for surface, expectations in EXPECT.items():
        assert set(expectations) == set(PRESETS[surface].hparams), surface
        for key, e in expectations.items():
            assert key in OPTIMIZERS and e.outcome in OUTCOMES
            if e.minimum is not None:
                assert 0 <= e.minimum < len(SURFACES[surface].minima)
            if e.at is not None:
                assert 0 <= e.at[0] <= e.at[1] <= PRESETS[surface].steps


@pytest.mark.parametrize("surface", list(PRESETS))
def test_preset_values_lie_on_the_sliders_grid(surface):
    for key, overrides in PRESETS[surface].hparams.items():
        for name, value in overrides.items():
            assert OPTIMIZERS[key].hparam(name).snap(value) == value, (surface, key, name, value)


CASES = [(s, k, e) for s, by_key in EXPECT.items() for k, e in by_key.items()]


@pytest.mark.parametrize(("surface", "key", "expect"), CASES, ids=[f"{s}-{k}" for s, k, _ in CASES])
def test_each_run_shows_what_its_preset_promises(surface, key, expect: Expect):
    t = run(surface, key)
    s = t.summary()
    assert t.outcome == expect.outcome, s
    if expect.minimum is not None:
        assert t.nearest_minimum == expect.minimum, s
    if expect.at is not None:
        step = t.escaped_at if expect.outcome == "escaped" else t.converged_at
        assert expect.at[0] <= step <= expect.at[1], s
    if expect.distance is not None:
        assert expect.distance[0] <= t.final_distance <= expect.distance[1], s


# --- the curvatures the comments quote ---------------------------------------------------------


def hessian(surface, point, h=1e-5):
    s, p = SURFACES[surface], np.asarray(point, dtype=float)
    return np.column_stack([(s.grad(p + h * e) - s.grad(p - h * e)) / (2 * h) for e in np.eye(2)])


@pytest.mark.parametrize(
    ("surface", "point", "eigenvalues"),
    [
        ("bowl", (0.3, -1.0), (2.0, 2.0)),  # "Curvature 2 in both directions"
        ("beale", (3.0, 0.5), (0.3, 49.0)),  # "Hessian at (3, 0.5): eigenvalues 49 and 0.3"
        ("rosenbrock", (1.0, 1.0), (0.4, 1002.0)),  # "eigenvalues 1002 and 0.4 (condition number 2500)"
        ("ravine", (1.3, -0.7), (0.2, 4.0)),  # caption: "Curvatures 0.2 and 4 (condition number 20)"
    ],
)
def test_curvatures_quoted_in_the_comments(surface, point, eigenvalues):
    found = np.linalg.eigvalsh(hessian(surface, point))
    np.testing.assert_allclose(found, eigenvalues, rtol=0.01)
    if surface == "rosenbrock":
        assert found[1] / found[0] == pytest.approx(2500, rel=0.01)


def test_himmelblau_start_is_near_the_central_hill():
    """"From a start near the central hill": its local maximum at (-0.2708, -0.9230)."""
    hill = np.array([-0.270845, -0.923039])
    assert np.linalg.norm(SURFACES["himmelblau"].grad(hill)) < 1e-4
    assert np.all(np.linalg.eigvalsh(hessian("himmelblau", hill)) < 0)  # a maximum
    assert np.linalg.norm(np.array(PRESETS["himmelblau"].start) - hill) < 0.3


# --- bowl ----------------------------------------------------------------------------------------


def test_bowl_adadelta_needs_a_long_memory():
    """"Adadelta needs rho=0.99: with rho=0.9 it reaches the minimum, is thrown out again (from step
    171 on) and has not converged after 1000 steps.\""""
    t = run("bowl", "adadelta", rho=0.9)
    assert (t.distance[90:170] <= t.tol).any() and np.all(t.distance[171:] > t.tol)
    assert t.outcome == "not yet"
    assert run("bowl", "adadelta", rho=0.9, steps=1000).outcome != "converged"


@pytest.mark.parametrize("surface", ["bowl", "beale"])
def test_robust_to_the_learning_rate(surface):
    """"every one but plain GD on beale keeps converging at 0.8x and 1.25x its lr"; on beale GD
    "at 1.25x (0.0375) diverges and at 0.8x it is not converged within 500 steps"."""
    for key in PRESETS[surface].hparams:
        lr = PRESETS[surface].hparams_for(key)["lr"]
        slow, fast = run(surface, key, lr=0.8 * lr), run(surface, key, lr=1.25 * lr)
        if surface == "beale" and key == "sgd":
            assert not slow.converged and not slow.diverged and fast.outcome == "diverged"
        else:
            assert slow.converged and fast.converged, (surface, key, slow.summary(), fast.summary())


# --- beale ---------------------------------------------------------------------------------------


def test_beale_caption():
    """"Sharp walls and a flat, bent floor; values span many orders of magnitude.\""""
    caption_says("beale", "Sharp walls", "many orders of magnitude")
    s = SURFACES["beale"]
    (x0, x1), (y0, y1) = s.domain
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 181), np.linspace(y0, y1, 181)), axis=-1)
    f = s.f(grid)
    assert f.max() > 1e5 and np.quantile(f, 0.01) < 1.0  # more than five orders of magnitude
    steep = np.linalg.norm(s.grad(grid), axis=-1)
    assert steep.max() > 1e5 and np.median(steep[f < 0.5]) < 10.0  # walls against a flat floor


def test_beale_plain_gd_has_no_margin():
    """"at lr=0.03 it diverges from most of the domain ..., from this start it converges last of all\""""
    s = SURFACES["beale"]
    (x0, x1), (y0, y1) = s.domain
    starts = np.stack(np.meshgrid(np.linspace(x0, x1, 20), np.linspace(y0, y1, 20)), axis=-1).reshape(-1, 2)
    many = simulate(s, "sgd", starts, PRESETS["beale"].steps, **PRESETS["beale"].hparams_for("sgd"))
    assert np.mean(many.outcome == "diverged") > 0.5
    steps = {key: int(run("beale", key).converged_at) for key in PRESETS["beale"].hparams}
    assert max(steps, key=steps.get) == "sgd", steps


@pytest.mark.parametrize("key", ["rmsprop", "adadelta"])
@pytest.mark.parametrize("rho", [0.9, 0.99])
def test_beale_rmsprop_and_adadelta_need_rho_0999(key, rho):
    """"with rho=0.9 they settle into a cycle around the minimum that is wider than the tolerance,
    with rho=0.99 they are thrown in and out of it; neither has converged at step 500\""""
    t = run("beale", key, rho=rho)
    # RMSProp's cycle is steady over the last half of the run (engine.CYCLE_RULE); Adadelta's swings
    # still grow by about a fifth a quarter, and with rho=0.99 both are thrown about: "not yet".
    assert t.outcome == ("cycles" if (key, rho) == ("rmsprop", 0.9) else "not yet") and t.nearest_minimum == 0
    if rho == 0.9:
        assert np.all(t.distance[-100:] > t.tol)
        last = t.path[-100:]  # a cycle: the same few points again and again
        assert np.abs(last[2:] - last[:-2]).max() < 0.05 * np.abs(last[1:] - last[:-1]).max()
    else:
        assert (t.distance[100:] <= t.tol).any() and (t.distance[-100:] > t.tol).any()
    assert t.distance[-100:].max() < 0.1 * SURFACES["beale"].extent  # around it, not lost


# --- saddle --------------------------------------------------------------------------------------


def test_saddle_escapes_are_along_y_and_momentum_overshoots():
    """"leave the plot along y"; "momentum and Nesterov overshoot the saddle point (x changes sign)\""""
    caption_says("saddle", "escapes along y")
    (x0, x1), (y0, y1) = SURFACES["saddle"].domain
    for key in PRESETS["saddle"].hparams:
        t = run("saddle", key)
        if t.outcome != "escaped":
            continue
        x, y = t.path[t.escaped_at]
        assert x0 <= x <= x1 and not (y0 <= y <= y1), key  # out through the top or bottom edge
        crossed = bool((t.path[: t.escaped_at, 0] > 0).any())  # the start has x < 0
        assert crossed == (key in ("momentum", "nesterov")), key


def test_saddle_plain_gd_crawls_to_the_saddle_point_and_starts_to_turn_away():
    """Caption: "a start near y = 0 crawls towards it"; preset: GD "crawls to within 0.2 of the
    saddle point and only starts to turn away"."""
    caption_says("saddle", "crawls towards it")
    t = run("saddle", "sgd")
    r = np.hypot(t.path[:, 0], t.path[:, 1])
    closest = int(r.argmin())
    assert r[closest] < 0.2 and 50 < closest < PRESETS["saddle"].steps - 20  # a crawl, then ...
    assert np.all(np.diff(r[:closest]) < 0)  # ... always towards it until then ...
    assert r[-1] > 2 * r[closest] and np.all(np.diff(np.abs(t.path[closest:, 1])) > 0)  # ... and away along y
    assert t.outcome == "not yet" and t.escaped_at == -1


# --- ravine --------------------------------------------------------------------------------------


def _longest_run_of_y_reversals(t):
    """How many steps in a row reverse the previous y-step (steps smaller than tol ignored)."""
    dy = np.diff(t.path[:, 1])
    visible = np.abs(dy) > t.tol
    reversed_ = (np.sign(dy[1:]) != np.sign(dy[:-1])) & visible[1:] & visible[:-1]
    best = current = 0
    for r in reversed_:
        current = current + 1 if r else 0
        best = max(best, current)
    return best


def _x_run_back(t):
    """How far x moves back towards the start in total (the minimum is at x = 0, the start at x < 0)."""
    dx = np.diff(t.path[:, 0])
    return float(-dx[dx < 0].sum())


def test_ravine_curvatures():
    """"Curvatures 0.2 and 4 (condition number 20)": along x and across y, everywhere."""
    caption_says("ravine", "Curvatures 0.2 and 4")
    np.testing.assert_allclose(hessian("ravine", (1.3, -0.7)), np.diag([0.2, 4.0]), atol=1e-8)


def test_ravine_gd_zig_zags_across_and_crawls_along():
    """"plain gradient descent zig-zags across the ravine": GD's lr "is capped by the stiff y axis (it
    diverges above 0.5)"; at 0.4 "its y-step reverses at ten steps in a row ... and then it crawls
    along x", "converging at step 73"."""
    caption_says("ravine", "plain gradient descent zig-zags across the ravine")
    gd = run("ravine", "sgd")
    assert _longest_run_of_y_reversals(gd) >= 10
    assert _x_run_back(gd) == 0.0
    assert gd.converged and gd.converged_at > 60
    assert run("ravine", "sgd", lr=0.6).outcome == "diverged"
    assert run("ravine", "sgd", lr=0.5).outcome == "cycles"  # the edge: y bounces for ever


def _y_reversals(t):
    """The steps whose y-move reverses the one before (steps smaller than tol ignored)."""
    dy = np.diff(t.path[:, 1])
    visible = np.abs(dy) > t.tol
    return int(np.sum((np.sign(dy[1:]) != np.sign(dy[:-1])) & visible[1:] & visible[:-1]))


def test_ravine_momentum_swings_in_slow_arcs_yet_arrives_in_half_the_steps():
    """"momentum swings across it in slow arcs yet arrives in half the steps": its y turns back several
    times but never at two steps in a row (arcs, not a zig-zag), x never runs back by more than 1 % of
    the plot, and it converges in at most 60 % of GD's steps (about half). (It used to say "rolls
    along it", which the swings, drawn on the contour map, contradicted.)"""
    caption_says("ravine", "momentum swings across it in slow arcs yet arrives in half the steps")
    gd, t = run("ravine", "sgd"), run("ravine", "momentum")
    assert _y_reversals(t) >= 4 and _longest_run_of_y_reversals(t) <= 1
    assert _x_run_back(t) <= 0.01 * 12.0
    assert t.converged and t.converged_at <= 0.6 * gd.converged_at, (t.converged_at, gd.converged_at)


def test_ravine_nesterov_brakes_its_swings():
    """"Nesterov brakes its swings": with the same lr and momentum its y turns back at most once and it
    arrives before Momentum (and in at most 60 % of GD's steps)."""
    caption_says("ravine", "Nesterov brakes its swings")
    gd, heavy, t = run("ravine", "sgd"), run("ravine", "momentum"), run("ravine", "nesterov")
    assert PRESETS["ravine"].hparams["nesterov"] == PRESETS["ravine"].hparams["momentum"]
    assert _y_reversals(t) <= 1 < _y_reversals(heavy)
    assert _x_run_back(t) <= 0.01 * 12.0
    assert t.converged and t.converged_at < heavy.converged_at <= 0.6 * gd.converged_at


def _first_step_aspect(surface, key):
    t = run(surface, key, steps=1)
    dx, dy = np.abs(t.path[1] - t.path[0])
    return dx / dy


def test_ravine_adaptive_methods_rescale_each_axis():
    """"adaptive methods rescale each axis": their first step is diagonal, |dx| = |dy| within 5 %,
    where the gradient (and GD's step) is eight times steeper across than along."""
    caption_says("ravine", "adaptive methods rescale each axis")
    assert _first_step_aspect("ravine", "sgd") == pytest.approx(1 / 8)
    for key in ADAPTIVE:
        assert _first_step_aspect("ravine", key) == pytest.approx(1.0, rel=0.05), key


# --- two minima, Himmelblau ---------------------------------------------------------------------


def test_two_minima_some_get_over_the_plateau_and_some_settle():
    """"who gets over the plateau, and who settles for the nearer valley?": both happen."""
    caption_says("two_minima", "global one at (−2, 0)", "local minimum at (2.5, 0)")
    s = SURFACES["two_minima"]
    assert s.minima[0].is_global and (s.minima[0].x, s.minima[1].x) == (-2.0, 2.5)
    reached = {key: int(run("two_minima", key).nearest_minimum) for key in PRESETS["two_minima"].hparams}
    assert {k for k, m in reached.items() if m == 0} == {"momentum", "nesterov"}
    assert set(reached.values()) == {0, 1}


def test_himmelblau_first_steps():
    """"The adaptive methods first step diagonally, as sign descent would"; GD, momentum and Nesterov
    "follow the gradient"."""
    s = SURFACES["himmelblau"]
    g = s.grad(np.array(PRESETS["himmelblau"].start))
    for key in ("sgd", "momentum", "nesterov"):
        t = run("himmelblau", key, steps=1)
        step = t.path[1] - t.path[0]
        np.testing.assert_allclose(step / np.linalg.norm(step), -g / np.linalg.norm(g), rtol=1e-12)
    for key in ADAPTIVE:
        assert _first_step_aspect("himmelblau", key) == pytest.approx(1.0, rel=0.05), key


def test_himmelblau_the_minimum_depends_on_start_and_dynamics():
    """"which one a method reaches depends on its start and its dynamics\""""
    caption_says("himmelblau", "depends on its start and its dynamics")
    from_preset = {int(run("himmelblau", key).nearest_minimum) for key in PRESETS["himmelblau"].hparams}
    assert len(from_preset) >= 2  # dynamics: one start, different minima
    starts = np.array([(2.5, 2.5), (-2.5, 2.5), (-2.5, -2.5), (2.5, -2.5)])
    t = simulate("himmelblau", "sgd", starts, 200, lr=0.01)
    assert np.all(t.converged) and sorted(t.nearest_minimum) == [0, 1, 2, 3]  # start: four minima


# --- mse, Rosenbrock -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mse_single_sample_sgd_jitters_around_the_optimum(seed):
    """"with batch_size=1 they jitter around the optimum (none diverges, none converges, and over the
    last 50 steps they stay on average within a third of the start's distance)\""""
    preset = PRESETS["mse"]
    for key in preset.hparams:
        t = simulate("mse", key, preset.start, preset.steps, batch_size=1, seed=seed, **preset.hparams_for(key))
        assert t.outcome == "not yet", (key, t.summary())
        assert t.distance[-50:].mean() < t.distance[0] / 3, key
        assert np.ptp(t.path[-50:], axis=0).max() > t.tol  # still moving: jitter, not a stop


def test_rosenbrock_finding_the_valley_is_easy_following_it_is_not():
    """Caption: "finding it is easy, following it to (1, 1) is not"; preset: "Every optimizer reaches
    the valley floor within 10 steps; within 500 steps only momentum then follows it to the minimum";
    "The adaptive methods end in the valley"."""
    caption_says("rosenbrock", "finding it is easy, following it to (1, 1) is not")
    converged = []
    for key in PRESETS["rosenbrock"].hparams:
        t = run("rosenbrock", key)
        x, y = t.path[:, 0], t.path[:, 1]
        assert (np.abs(y - x * x)[:11] < 0.1).any(), key
        if key in ADAPTIVE:
            assert abs(y[-1] - x[-1] ** 2) < 0.05, key
        if t.converged:
            converged.append(key)
    assert converged == ["momentum"]


def test_rosenbrock_gd_diverges_from_lr_00022():
    """"GD diverges from lr=0.0022 on and at lr=0.001 crawls along the floor.\""""
    for lr in (0.0022, 0.003, 0.01):
        assert run("rosenbrock", "sgd", lr=lr).outcome == "diverged", lr
    assert run("rosenbrock", "sgd", lr=0.002).outcome == "not yet"


def test_bowl_caption_every_method_solves_it():
    """"the baseline every method should solve": with the preset, every optimizer it names; the
    others with a learning rate on their own slider (test_optimizers.py::
    test_every_optimizer_can_converge_on_the_bowl, which needs no preset entry)."""
    caption_says("bowl", "the baseline every method should solve")
    named = [key for key in OPTIMIZERS if key in PRESETS["bowl"].hparams]
    assert len(named) >= 10
    for key in named:
        assert run("bowl", key).converged, key
