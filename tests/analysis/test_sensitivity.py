"""Learning-rate sensitivity and the tuner: the sweep equals separate runs, the pick is the best
of separate runs under the stated criterion, ties and all-diverged sweeps give a clear result."""

import numpy as np
import pytest

from optviz.analysis.sensitivity import (
    CRITERIA,
    FASTEST_ESCAPE,
    FEWEST_STEPS,
    LOWEST_LOSS,
    Sensitivity,
    lr_grid,
    lr_sensitivity,
    pick,
    tune,
    tuned_runs,
)
from optviz.core.engine import CONVERGED, DIVERGED, ESCAPED, NOT_YET, OUTCOMES
from optviz.core.registry import get_spec
from optviz.core.runs import Run
from surfaces import SURFACES


def separate_runs(surface, run, lrs, start=None, steps=200, seed=0):
    s = SURFACES[surface]
    start = s.start if start is None else start
    return [run.with_hparams(lr=float(v)).simulate(s, start, steps, seed) for v in lrs]


def summary_of(surface, t):
    """(outcome, converged_at, gap or NaN, stopped_at) of a separate run, as the sweep states it."""
    s = SURFACES[surface]
    outcome = str(t.outcome)
    stopped = outcome in (DIVERGED, ESCAPED)
    gap = np.nan if stopped else float(t.loss[-1]) - (0.0 if s.f_min is None else s.f_min)
    at = int(t.escaped_at) if t.escaped_at >= 0 else int(t.diverged_at)
    return outcome, int(t.converged_at), gap, at


@pytest.mark.parametrize(("surface", "run", "steps"), [
    ("beale", Run("sgd"), 300),
    ("beale", Run("adam"), 300),
    ("saddle", Run("momentum"), 150),
    ("rosenbrock", Run("rmsprop", noise=0.5), 200),
    ("mse", Run("sgd", batch_size=8), 100),
])
def test_sweep_equals_separate_runs(surface, run, steps):
    result = lr_sensitivity(surface, run, steps=steps, points=9)
    assert len(result.lrs) == 9
    for k, t in enumerate(separate_runs(surface, run, result.lrs, steps=steps)):
        outcome, conv, gap, at = summary_of(surface, t)
        assert result.outcome_names[k] == outcome
        assert result.converged_at[k] == conv
        assert result.stopped_at[k] == at
        np.testing.assert_array_equal(result.final_gap[k], gap)  # NaN == NaN here


def test_default_grid_is_the_slider_and_points_span_its_range():
    run = Run("adadelta")
    h = get_spec("adadelta").hparam("lr")
    np.testing.assert_array_equal(lr_grid(run), h.grid())
    forty = lr_grid(run, 40)
    assert len(forty) == 40 and forty[0] == pytest.approx(h.low) and forty[-1] == pytest.approx(h.high)
    np.testing.assert_allclose(np.diff(np.log(forty)), np.log(h.high / h.low) / 39)
    for bad in (1, 0, 10_000, 2.5, True):
        with pytest.raises(ValueError, match="learning rates"):
            lr_grid(run, bad)
    with pytest.raises(ValueError, match="learning rates"):
        lr_sensitivity("bowl", run, lrs=[0.1, -1.0])


def reference_pick(summaries, lrs, criterion):
    """The tuner's rule written the plain way, over separate runs."""
    rows = [(o, c, g, a, i) for i, (o, c, g, a) in enumerate(summaries)]
    if criterion == FASTEST_ESCAPE:
        ok = [r for r in rows if r[0] == ESCAPED]
        best = min(r[3] for r in ok)
        tied = [r[4] for r in ok if r[3] == best]
    else:
        ok = [r for r in rows if r[0] not in (DIVERGED, ESCAPED)]
        big = 10**18

        def key(r):
            steps = r[1] if r[1] >= 0 else big
            return (steps, r[2]) if criterion == FEWEST_STEPS else (r[2], steps)

        best = min(key(r) for r in ok)
        tied = [r[4] for r in ok if key(r) == best]
    return lrs[tied[(len(tied) - 1) // 2]]


@pytest.mark.parametrize(("surface", "keys", "criterion"), [
    ("beale", ("sgd", "momentum", "adam"), FEWEST_STEPS),
    ("beale", ("sgd", "adagrad"), LOWEST_LOSS),
    ("rosenbrock", ("momentum",), FEWEST_STEPS),
    ("saddle", ("sgd", "adam"), FASTEST_ESCAPE),
])
def test_the_pick_is_the_best_of_separate_runs(surface, keys, criterion):
    runs = [Run(k) for k in keys]
    results = [lr_sensitivity(surface, r, steps=250, points=16) for r in runs]
    picks = tune(results, criterion)
    for run, result, choice in zip(runs, results, picks, strict=True):
        summaries = [summary_of(surface, t) for t in separate_runs(surface, run, result.lrs, steps=250)]
        assert choice.lr == reference_pick(summaries, result.lrs, criterion)
        assert choice.index is not None and result.lrs[choice.index] == choice.lr
        assert summaries[choice.index][0] not in ((DIVERGED, ESCAPED) if criterion != FASTEST_ESCAPE
                                                  else (DIVERGED,))


def test_the_beale_pick_converges_where_the_default_does_not():
    """The sweep is of use: plain GD's default lr does not reach Beale's minimum in 500 steps,
    the tuned one does, and the tuned run is that run with only its lr changed."""
    run = Run("sgd")
    result = lr_sensitivity("beale", run, steps=500)
    (tuned,) = tuned_runs([run], [result])
    assert tuned.hparam_dict.keys() == run.hparam_dict.keys() and tuned.hparam("lr") != run.hparam("lr")
    assert str(run.simulate("beale", steps=500).outcome) != CONVERGED
    assert str(tuned.simulate("beale", steps=500).outcome) == CONVERGED


def made_up(outcomes, converged_at, gaps, gap_is_loss=False, stopped_at=None):
    n = len(outcomes)
    return Sensitivity("bowl", Run("sgd"), (0.0, 0.0), 100, 0, gap_is_loss, np.geomspace(1e-3, 1, n),
                       np.array(gaps, dtype=float), np.array(converged_at),
                       np.array([OUTCOMES.index(o) for o in outcomes], dtype=np.int8),
                       np.array(stopped_at if stopped_at is not None else [-1] * n))


def test_ties_go_to_the_middle_of_the_tied_learning_rates():
    r = made_up([CONVERGED] * 5 + [DIVERGED], [50, 40, 40, 40, 40, -1], [1e-6, 1e-7, 1e-7, 1e-7, 1e-7, np.nan])
    choice = pick(r, FEWEST_STEPS)
    assert choice.index == 2  # indices 1-4 tie: the lower middle
    assert "4 learning rates tied" in choice.reason
    # Ties on steps are broken by the gap before the middle rule.
    r = made_up([CONVERGED] * 3, [40, 40, 40], [1e-6, 1e-9, 1e-7])
    assert pick(r, FEWEST_STEPS).index == 1
    # Without convergence the lowest gap wins; a diverged lr never does.
    r = made_up([NOT_YET, NOT_YET, DIVERGED], [-1, -1, -1], [0.5, 0.1, np.nan])
    assert pick(r, FEWEST_STEPS).index == 1
    assert pick(r, LOWEST_LOSS).index == 1


def test_all_diverged_keeps_the_run_and_says_why():
    r = made_up([DIVERGED] * 4, [-1] * 4, [np.nan] * 4, stopped_at=[3, 2, 2, 1])
    for criterion in (FEWEST_STEPS, LOWEST_LOSS):
        choice = pick(r, criterion)
        assert choice.index is None and choice.lr is None
        assert "diverged" in choice.reason and "4" in choice.reason
    assert tuned_runs([r.run], [r]) == (r.run,)
    assert pick(r, FASTEST_ESCAPE).lr is None  # the bowl is bounded below: nothing escapes


def test_real_all_diverged_sweep():
    """Plain GD at lr in [3, 10] diverges on Beale from its start: no pick, a sentence."""
    result = lr_sensitivity("beale", Run("sgd"), steps=100, lrs=[3.0, 5.0, 10.0])
    assert result.diverged.all() and np.isnan(result.final_gap).all()
    choice = tune([result])[0]
    assert choice.lr is None and "every one of the 3 learning rates diverged" in choice.reason


def test_tuned_runs_checks_that_sweeps_belong_to_runs():
    a, b = Run("sgd"), Run("adam")
    ra = lr_sensitivity("bowl", a, steps=50, points=5)
    with pytest.raises(ValueError, match="does not belong"):
        tuned_runs([b], [ra])
    with pytest.raises(ValueError, match="2 runs but 1"):
        tuned_runs([a, b], [ra])
    with pytest.raises(ValueError, match="criterion"):
        tune([ra], "fastest")
    assert set(CRITERIA) == {FEWEST_STEPS, LOWEST_LOSS, FASTEST_ESCAPE}
