"""Basin maps: each cell is exactly the run from its start (separate simulate() calls), for
diverging, escaping, noisy and mini-batch runs; grids and limits."""

import numpy as np
import pytest

from optviz.analysis import basins
from optviz.analysis.basins import MAX_GRID, BasinResult, basin_map, grid_starts
from optviz.core.engine import CONVERGED, DIVERGED, ESCAPED, INSIDE_AT_THE_END, NOT_YET, OUTCOMES
from optviz.core.runs import Run
from optviz.core.schedules import StepDecay
from surfaces import SURFACES


def separate(surface, run, b: BasinResult, j, i):
    """The cell's start run on its own."""
    return run.simulate(surface, b.start(j, i), b.steps_run, b.seed)


def assert_cell_matches(surface, run, b, j, i):
    t = separate(surface, run, b, j, i)
    outcome = str(t.outcome)
    assert OUTCOMES[b.outcome[j, i]] == outcome, (j, i)
    reached = outcome in (CONVERGED, INSIDE_AT_THE_END)
    assert b.minimum[j, i] == (int(t.nearest_minimum) if reached else -1), (j, i)
    assert b.steps[j, i] == int(t.converged_at), (j, i)
    stopped = int(t.escaped_at) if t.escaped_at >= 0 else int(t.diverged_at)
    assert b.stopped_at[j, i] == stopped, (j, i)
    assert b.nearest[j, i] == int(t.nearest_minimum), (j, i)
    if t.distance is None or t.nearest_minimum < 0:
        assert np.isnan(b.distance[j, i])
    else:
        assert b.distance[j, i] == t.distance[-1]
    return outcome


def sample_cells(b, rng, count, must=()):
    """`count` random cells plus one of each outcome in `must` (asserted present)."""
    cells = [tuple(c) for c in rng.integers(0, b.shape, size=(count, 2))]
    for name in must:
        found = np.argwhere(b.outcome == OUTCOMES.index(name))
        assert len(found), f"the case has no {name} cell"
        cells.append(tuple(found[len(found) // 2]))
    return cells


def test_basin_map_equals_per_start_runs_with_divergence():
    """Beale with plain GD at lr 0.03: most of the domain diverges, the middle converges."""
    run = Run("sgd", {"lr": 0.03})
    b = basin_map("beale", run, grid=24, steps=300)
    seen = {assert_cell_matches("beale", run, b, j, i)
            for j, i in sample_cells(b, np.random.default_rng(0), 8, must=(DIVERGED, CONVERGED))}
    assert {DIVERGED, CONVERGED} <= seen


def test_basin_map_names_the_minimum_each_start_reaches():
    run = Run("momentum", {"lr": 0.01})
    b = basin_map("himmelblau", run, grid=20, steps=200)
    assert {0, 1, 2, 3} <= set(np.unique(b.minimum).tolist())  # all four minima have a basin
    for j, i in sample_cells(b, np.random.default_rng(1), 10):
        assert_cell_matches("himmelblau", run, b, j, i)
    # Reached minima are where the runs ended: a converged cell's run ends within tol of it.
    j, i = np.argwhere(b.outcome == OUTCOMES.index(CONVERGED))[0]
    t = separate("himmelblau", run, b, j, i)
    m = SURFACES["himmelblau"].minima[b.minimum[j, i]]
    assert np.hypot(t.path[-1, 0] - m.x, t.path[-1, 1] - m.y) <= b.tol


def test_basin_map_of_an_unbounded_surface_marks_escapes():
    run = Run("adam", {"lr": 0.05})
    b = basin_map("saddle", run, grid=12, steps=100)
    assert (b.outcome == OUTCOMES.index(ESCAPED)).any()
    assert (b.minimum == -1).all()  # the saddle lists no minimum
    for j, i in sample_cells(b, np.random.default_rng(2), 5, must=(ESCAPED,)):
        assert_cell_matches("saddle", run, b, j, i)


@pytest.mark.parametrize(("surface", "run"), [
    ("himmelblau", Run("sgd", {"lr": 0.01}, noise=3.0)),
    ("mse", Run("sgd", {"lr": 0.05}, batch_size=4)),
])
def test_noisy_and_minibatch_maps_are_deterministic_per_start(surface, run):
    """A start's noise and batches come from (seed, start) alone: the map equals separate runs and
    a second map, and another seed gives another map."""
    b = basin_map(surface, run, grid=10, steps=80, seed=3)
    again = basin_map(surface, run, grid=10, steps=80, seed=3)
    for name in ("minimum", "steps", "outcome", "stopped_at", "nearest", "distance"):
        np.testing.assert_array_equal(getattr(b, name), getattr(again, name))
    for j, i in sample_cells(b, np.random.default_rng(3), 6):
        assert_cell_matches(surface, run, b, j, i)
    other = basin_map(surface, run, grid=10, steps=80, seed=4)
    assert not np.array_equal(b.distance, other.distance)


def test_blocks_of_calls_equal_one_call(monkeypatch):
    """A map above the per-call budget runs in blocks of rows: the same result."""
    run = Run("sgd", {"lr": 0.03})
    whole = basin_map("beale", run, grid=16, steps=100)
    monkeypatch.setattr(basins, "CALL_BUDGET", 101 * 37)  # 37 starts a call: blocks end mid-row
    split = basin_map("beale", run, grid=16, steps=100)
    for name in ("minimum", "steps", "outcome", "stopped_at", "nearest", "distance"):
        np.testing.assert_array_equal(getattr(whole, name), getattr(split, name))


def test_grid_covers_the_domain_with_cell_centres():
    s = SURFACES["ravine"]
    xs, ys, starts = grid_starts(s, (8, 4))
    (x0, x1), (y0, y1) = s.domain
    np.testing.assert_allclose(xs, np.linspace(x0, x1, 17)[1::2])
    np.testing.assert_allclose(ys, np.linspace(y0, y1, 9)[1::2])
    assert starts.shape == (32, 2)
    np.testing.assert_array_equal(starts[:8, 0], xs)  # row order: all xs of ys[0] first
    assert (starts[:8, 1] == ys[0]).all()
    b = basin_map(s, "sgd", grid=(8, 4), steps=5)
    assert b.shape == (4, 8)
    assert b.cell(xs[3], ys[2]) == (2, 3)
    assert b.start(2, 3) == (xs[3], ys[2])


def test_shares_sum_to_one_and_name_what_they_count():
    b = basin_map("beale", Run("sgd", {"lr": 0.03}), grid=20, steps=200)
    shares = b.shares()
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares[DIVERGED] == pytest.approx(np.mean(b.outcome == OUTCOMES.index(DIVERGED)))
    assert shares["minimum 0"] == pytest.approx(np.mean(b.minimum == 0))
    not_yet = np.mean(b.outcome == OUTCOMES.index(NOT_YET))
    assert shares.get(NOT_YET, 0.0) == pytest.approx(not_yet)


@pytest.mark.parametrize("grid", [1, MAX_GRID + 1, 2.5, True, "100", (10, 0)])
def test_bad_grids_are_refused(grid):
    with pytest.raises(ValueError, match="grid"):
        basin_map("bowl", "sgd", grid=grid, steps=10)


def test_too_much_work_is_refused_before_running():
    with pytest.raises(ValueError, match="start-steps"):
        basin_map("bowl", "sgd", grid=MAX_GRID, steps=basins.MAX_WORK // MAX_GRID**2 + 1)
    with pytest.raises(ValueError, match="steps"):
        basin_map("bowl", "sgd", grid=10, steps=-1)
    with pytest.raises(ValueError, match="Run"):
        basin_map("bowl", 3, grid=10)


@pytest.mark.parametrize("run", [
    Run("adam", {"lr": 0.1}, schedules={"lr": StepDecay(30, 0.5)}),
    Run("newton"),  # asks the engine for the Hessian
    Run("lbfgs"),  # not elementwise: the update couples x and y
])
def test_scheduled_and_second_order_maps_equal_per_start_runs(run):
    b = basin_map("himmelblau", run, grid=12, steps=120)
    for j, i in sample_cells(b, np.random.default_rng(4), 6):
        assert_cell_matches("himmelblau", run, b, j, i)
