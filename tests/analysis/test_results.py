"""optviz.analysis.results: the results table's rows, in words, for every outcome."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from optviz import simulate
from optviz.analysis.results import COLUMNS, DISTANCE, FINAL_LOSS, MINIMUM, OUTCOME, RESULTS_HELP, RUN, results_rows
from optviz.core.presets import PRESETS
from surfaces import SURFACES


def preset_run(surface, key, **overrides):
    p = PRESETS[surface]
    kwargs = {"start": p.start, "steps": p.steps, **p.hparams_for(key), **overrides}
    return simulate(surface, key, **kwargs)


def test_converged_and_inside_at_the_end():
    bowl = SURFACES["bowl"]
    long, short = preset_run("bowl", "momentum"), preset_run("bowl", "momentum", steps=60)
    rows = results_rows(bowl, [("Momentum", long), ("Momentum, 60 steps", short)])
    assert [r[RUN] for r in rows] == ["Momentum", "Momentum, 60 steps"]
    assert rows[0][OUTCOME] == f"converged at step {int(long.converged_at)}"
    assert rows[1][OUTCOME] == (f"inside the tolerance at the end (from step {int(short.inside_since)}), "
                                "not yet for 10 steps")
    assert float(rows[0][FINAL_LOSS]) == pytest.approx(float(long.final_loss), rel=1e-3)
    assert float(rows[1][DISTANCE]) == pytest.approx(float(short.final_distance), rel=1e-2)
    assert MINIMUM not in rows[0]  # one minimum: nothing to tell apart
    assert set(rows[0]) == {RUN, FINAL_LOSS, DISTANCE, OUTCOME}


def test_a_diverged_run_shows_its_last_finite_loss_and_no_distance():
    t = simulate("rosenbrock", "sgd", (-1.5, 2.0), 500, lr=0.01)
    (row,) = results_rows(SURFACES["rosenbrock"], [("GD", t)])
    assert row[OUTCOME] == "diverged at step 4"
    last = float(SURFACES["rosenbrock"].f(t.path[3]))
    assert row[FINAL_LOSS] == f"{last:.4g} (at step 3)"
    assert row[DISTANCE] == ""


def test_the_saddle_escapes_in_words_and_has_no_distance_column():
    surface = SURFACES["saddle"]
    runs = [(key, preset_run("saddle", key)) for key in ("sgd", "momentum", "adam")]
    rows = {r[RUN]: r for r in results_rows(surface, runs)}
    assert rows["sgd"][OUTCOME] == "not yet: still inside the plot"
    assert rows["momentum"][OUTCOME] == "escaped the plot at step 56"
    assert rows["adam"][OUTCOME] == "escaped the plot at step 20"
    # Momentum was later stopped at the engine's escape radius: its loss is marked as the last computed.
    assert rows["momentum"][FINAL_LOSS].endswith(f"(at step {int(runs[1][1].diverged_at) - 1})")
    assert "(" not in rows["adam"][FINAL_LOSS] and float(rows["adam"][FINAL_LOSS]) < -100
    assert all(DISTANCE not in r and MINIMUM not in r for r in rows.values())


def test_which_minimum_on_a_surface_with_several():
    surface = SURFACES["two_minima"]
    runs = [("Momentum", preset_run("two_minima", "momentum")), ("GD", preset_run("two_minima", "sgd")),
            ("GD, 5 steps", preset_run("two_minima", "sgd", steps=5))]
    rows = results_rows(surface, runs)
    assert [r[MINIMUM] for r in rows] == ["(-2, 0) global", "(2.5, 0) local", "none yet (nearest (2.5, 0) local)"]
    assert rows[2][OUTCOME] == "not yet"
    blown = simulate("himmelblau", "sgd", (4.9, 4.9), 50, lr=0.5)
    assert blown.outcome == "diverged"
    (row,) = results_rows(SURFACES["himmelblau"], [("GD", blown)])
    assert row[MINIMUM] == "" and row[DISTANCE] == ""


def test_every_cell_is_text_and_nothing_prints_negative_zero():
    surface = SURFACES["himmelblau"]
    runs = [(k, preset_run("himmelblau", k)) for k in PRESETS["himmelblau"].hparams]
    for row in results_rows(surface, runs):
        assert list(row) == [c for c in COLUMNS if c in row]
        assert all(isinstance(v, str) for v in row.values())
        assert "-0," not in row[MINIMUM] and "-0)" not in row[MINIMUM]


def test_a_run_on_another_surface_is_refused():
    with pytest.raises(ValueError, match="bowl"):
        results_rows(SURFACES["bowl"], [("GD", simulate("beale", "sgd", steps=3))])
    with pytest.raises(ValueError, match="single-start"):
        results_rows(SURFACES["bowl"], [("GD", simulate("bowl", "sgd", np.zeros((2, 2)), 3))])


def test_help_has_one_sentence_per_column_and_states_the_rule_once():
    assert set(RESULTS_HELP) == set(COLUMNS)
    for column, text in RESULTS_HELP.items():
        assert text.endswith(".") and text.count(". ") == 0, column
    assert sum("10 % of the run's steps" in text for text in RESULTS_HELP.values()) == 1
    for word in ("inside the tolerance at the end", "not yet", "diverged", "escaped"):
        assert word in RESULTS_HELP[OUTCOME]


def test_the_module_is_pure():
    code = "import sys, optviz.analysis.results; sys.exit(any(m in sys.modules for m in ('streamlit', 'plotly')))"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_a_run_that_bounces_for_ever_cycles_and_its_neighbours_do_not():
    # The ravine's steep curvature is L = 4: GD at eta = 2/L maps y to -y, so from the ravine lesson's
    # start it jumps between y = 2 and y = -2 at every step and never arrives.
    ravine, start = SURFACES["ravine"], (-5.0, -2.0)
    L = float(np.max(np.linalg.eigvalsh(ravine.hessian(np.array(start)))))
    at, under, over = (simulate("ravine", "sgd", start, 250, lr=c * 2 / L) for c in (1.0, 0.95, 1.05))
    assert np.allclose(np.abs(at.path[-20:, 1]), 2.0)
    assert at.outcome == "cycles"
    assert under.outcome == "converged" and over.outcome == "diverged"
    slow = simulate("ravine", "sgd", start, 250, lr=0.01)  # still arriving along the floor
    assert slow.outcome == "not yet"
    rows = results_rows(ravine, [("GD at 2/L", at), ("GD slow", slow)])
    assert rows[0][OUTCOME] == "cycles" and rows[1][OUTCOME] == "not yet"
    # The outcome is per start and vectorized like the others (a sweep of eta from one start).
    sweep = simulate("ravine", "sgd", start, 250, lr=np.array([0.01, 0.95, 1.0, 1.05]) * 2 / L)
    assert list(sweep.outcome) == ["not yet", "converged", "cycles", "diverged"]


def test_a_short_run_or_a_noisy_one_is_not_called_cycling():
    # Too few steps to tell a cycle from a slow arrival; noise bounces a run without any cycle.
    assert simulate("ravine", "sgd", (-5.0, -2.0), 12, lr=0.5).outcome == "not yet"
    assert simulate("ravine", "sgd", (-5.0, -2.0), 250, lr=0.5, noise=0.5).outcome != "cycles"


def test_the_cycle_rule_is_stated_next_to_the_others():
    assert '"cycles"' in RESULTS_HELP[OUTCOME]
    assert "back and forth" in RESULTS_HELP[OUTCOME]


@pytest.mark.parametrize("steps", [40, 100, 250, 1000])
def test_a_slow_spiral_is_not_a_cycle(steps):
    # Heavy ball with momentum 0.99 swings across the ravine every few steps while its swings shrink by
    # half a percent a step: it arrives, slowly, and is never said to cycle, however long it is watched.
    t = simulate("ravine", "momentum", (-5.0, -2.0), steps, lr=0.45, momentum=0.99)
    assert t.outcome != "cycles"
