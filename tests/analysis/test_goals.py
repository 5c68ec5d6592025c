"""Goals and questions (optviz/analysis/goals.py): each goal kind met and missed on computed runs,
the link form read back, and hostile link forms refused with a sentence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optviz.analysis import goals as G
from optviz.core.engine import CONVERGED, DIVERGED
from optviz.core.runs import Run
from surfaces import get_surface

BOWL = get_surface("bowl")
TWO = get_surface("two_minima")


def computed(surface, runs, steps):
    return [r.simulate(surface.key, surface.start, steps) for r in runs]


@pytest.fixture(scope="module")
def bowl():
    """GD on the bowl: slow (η 0.1), one step (η 0.5), diverging (η 1.1)."""
    runs = [Run("sgd", {"lr": 0.1}), Run("sgd", {"lr": 0.5}), Run("sgd", {"lr": 1.1})]
    ts = computed(BOWL, runs, 100)
    assert [str(t.outcome) for t in ts] == [CONVERGED, CONVERGED, DIVERGED]
    return ts, ["slow", "one-step", "too-large"]


def test_converge_met_and_missed(bowl):
    ts, names = bowl
    at = int(ts[0].converged_at)
    met = G.verdict(G.Converge(0, at + 5), BOWL, ts, names)
    assert met.met and f"converged at step {at}: 5 steps inside the goal of {at + 5}" in met.text
    missed = G.verdict(G.Converge(0, at - 12), BOWL, ts, names)
    assert not missed.met and f"converged at step {at}: 12 steps over the goal of {at - 12}" in missed.text
    diverged = G.verdict(G.Converge(2, 100), BOWL, ts, names)
    assert not diverged.met and "did not converge" in diverged.text and "diverged" in diverged.text


def test_converge_global_misses_a_local_minimum():
    # GD at η 0.1 from the preset start ends in the local minimum; Momentum at η 0.01 in the global one.
    ts = computed(TWO, [Run("sgd", {"lr": 0.1}), Run("momentum", {"lr": 0.01})], 300)
    assert not TWO.minima[int(ts[0].nearest_minimum)].is_global
    assert TWO.minima[int(ts[1].nearest_minimum)].is_global
    local = G.verdict(G.Converge(0, 300, global_only=True), TWO, ts, ["gd", "momentum"])
    assert not local.met and "local minimum" in local.text
    assert G.verdict(G.Converge(0, 300), TWO, ts, ["gd", "momentum"]).met
    assert G.verdict(G.Converge(1, 300, global_only=True), TWO, ts, ["gd", "momentum"]).met


def test_sooner_met_missed_and_never(bowl):
    ts, names = bowl
    a, b = int(ts[1].converged_at), int(ts[0].converged_at)
    met = G.verdict(G.Sooner(1, 0), BOWL, ts, names)
    assert met.met and f"{b - a} steps before slow" in met.text
    missed = G.verdict(G.Sooner(0, 1), BOWL, ts, names)
    assert not missed.met and f"{b - a} steps later" in missed.text
    assert G.verdict(G.Sooner(0, 2), BOWL, ts, names).met  # the other never converging counts as later
    assert not G.verdict(G.Sooner(2, 0), BOWL, ts, names).met


def test_below_met_and_missed(bowl):
    ts, names = bowl
    loss = ts[0].loss
    first = int((loss < 0.01).nonzero()[0][0])
    met = G.verdict(G.Below(0, 0.01, first), BOWL, ts, names)
    assert met.met and f"first went below 0.01 at step {first}" in met.text
    missed = G.verdict(G.Below(0, 0.01, first - 1), BOWL, ts, names)
    assert not missed.met and "not below 0.01" in missed.text
    # A diverging run's frozen tail is not computed data: it never counts as below.
    assert not G.verdict(G.Below(2, 1e-9, 100), BOWL, ts, names).met


def test_stable_across_a_sweep():
    sweep = [Run("sgd", {"lr": lr}) for lr in (0.1, 0.3, 0.9)]
    ts = computed(BOWL, sweep, 100)
    ok = G.verdict(G.Stable(), BOWL, ts, ["a", "b", "c"])
    assert ok.met and "None of the 3 runs diverged" in ok.text
    ts = computed(BOWL, [*sweep, Run("sgd", {"lr": 1.2})], 100)
    bad = G.verdict(G.Stable(), BOWL, ts, ["a", "b", "c", "d"])
    assert not bad.met and "1 of 4 runs diverged or escaped: d (diverged at step" in bad.text


def test_a_goal_naming_a_run_the_view_lacks_is_missed_with_a_sentence(bowl):
    ts, names = bowl
    v = G.verdict(G.Converge(5, 10), BOWL, ts, names)
    assert not v.met and "cannot be checked" in v.text and "r5" in v.text


@pytest.mark.parametrize("goal", [G.Converge(0, 300), G.Converge(3, 12, True), G.Sooner(1, 0),
                                  G.Below(2, 0.0123, 150), G.Below(0, -1.5, 1), G.Stable()])
def test_goal_link_form_round_trips(goal):
    assert G.parse_goal(G.format_goal(goal)) == goal


@pytest.mark.parametrize("text", ["", "x" * 41, "reach_r0_10", "converge_r0", "converge_r0_0", "converge_r0_10_local",
                                  "converge_q0_10", "converge_r99_10", "sooner_r1_r1", "below_r0_nan_10",
                                  "below_r0_inf_10", "below_r0_abc_3", "stable_1", "converge_r0_99999999",
                                  "converge_r0_1e3", "<script>"])
def test_bad_goals_are_refused_with_a_sentence(text):
    with pytest.raises(G.GoalError) as err:
        G.parse_goal(text)
    assert str(err.value)


@given(st.text(max_size=60))
def test_any_text_is_a_goal_or_a_goal_error(text):
    for parse in (G.parse_goal, G.parse_question):
        try:
            parse(text)
        except G.GoalError:
            pass


# --- questions --------------------------------------------------------------------------------------


def test_first_question_answers_from_the_runs(bowl):
    ts, names = bowl
    q = G.parse_question("first")
    assert q.choices(BOWL, names) == (*names, "None of them")
    assert q.answer(BOWL, ts) == (1,)  # one step at η 0.5
    assert q.answer(BOWL, [ts[2]]) == (1,)  # nothing converges: "None of them"
    assert "diverged at step" in q.explain(BOWL, ts, names)


def test_lowest_question_ignores_a_diverged_runs_frozen_loss(bowl):
    ts, _ = bowl
    q = G.Question("lowest")
    assert q.answer(BOWL, ts) == (1,)  # an exact 0 at η 0.5
    assert q.answer(BOWL, [ts[2], ts[0]]) == (1,)


def test_minimum_question_answers_which_minimum():
    ts = computed(TWO, [Run("sgd", {"lr": 0.1}), Run("momentum", {"lr": 0.01}), Run("sgd", {"lr": 0.3})], 300)
    names = ["gd", "momentum", "gd-large"]
    choices = G.Question("minimum", 0).choices(TWO, names)
    assert len(choices) == len(TWO.minima) + 1 and "local" in choices[1]
    assert G.parse_question("minimum_r0").answer(TWO, ts) == (int(ts[0].nearest_minimum),) == (1,)
    assert G.Question("minimum", 1).answer(TWO, ts) == (0,)
    assert G.Question("minimum", 2).answer(TWO, ts) == (len(TWO.minima),)  # diverged: it does not arrive


def test_diverge_question(bowl):
    ts, _ = bowl
    assert G.Question("diverge").answer(BOWL, ts) == (0,)
    assert G.Question("diverge").answer(BOWL, ts[:2]) == (1,)


@pytest.mark.parametrize("text", ["", "which", "first_r0", "minimum", "minimum_r", "minimum_r0_r1", "minimum_r77"])
def test_bad_questions_are_refused(text):
    with pytest.raises(G.GoalError):
        G.parse_question(text)


def test_question_fits_the_view():
    assert G.question_fits(G.Question("minimum", 2), BOWL, 2) is not None
    assert G.question_fits(G.Question("minimum", 0), get_surface("saddle"), 1) is not None
    assert G.question_fits(G.Question("first"), BOWL, 0) is not None
    assert G.question_fits(G.Question("first"), BOWL, 2) is None


def test_lesson_tables_name_runs_by_name():
    runs = {"gd": 0, "adam": 1}
    assert G.from_fields("converge", {"kind": "converge", "run": "adam", "within": 300, "global": True}, runs) \
        == G.Converge(1, 300, True)
    assert G.from_fields("sooner", {"run": "adam", "than": "gd"}, runs) == G.Sooner(1, 0)
    assert G.from_fields("minimum", {"run": "gd"}, runs, question=True) == G.Question("minimum", 0)
    for kind, data in [("converge", {"run": "sgd", "within": 3}), ("converge", {"run": "gd"}),
                       ("sooner", {"run": "gd", "than": "adam", "extra": 1}), ("nope", {}),
                       ("below", {"run": "gd", "value": "low", "by": 3})]:
        with pytest.raises(G.GoalError):
            G.from_fields(kind, data, runs)
