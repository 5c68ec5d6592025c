"""The analysis figures draw what was computed: every basin cell once, in the category and with
the numbers of its result; every sensitivity value on its line, diverged ones as ✕ above the data
and never as values; plotly accepts the dicts."""

import numpy as np
import pytest

from optviz.analysis.basins import basin_map
from optviz.analysis.sensitivity import lr_sensitivity, tune
from optviz.core.engine import CONVERGED, DIVERGED, ESCAPED, INSIDE_AT_THE_END, NOT_YET, OUTCOMES
from optviz.core.runs import Run
from optviz.plot.analysis_plots import GAP_FLOOR, basin_figure, minimum_letter, sensitivity_figure
from optviz.plot.frames import as_figure
from surfaces import SURFACES


@pytest.fixture(scope="module")
def maps():
    return {
        "beale": [("SGD", basin_map("beale", Run("sgd", {"lr": 0.03}), grid=30, steps=300))],
        "himmelblau": [("Momentum", basin_map("himmelblau", Run("momentum", {"lr": 0.01}), grid=30, steps=60)),
                       ("Adam", basin_map("himmelblau", Run("adam", {"lr": 0.1}), grid=25, steps=200)),
                       ("noisy", basin_map("himmelblau", Run("sgd", {"lr": 0.01}, noise=2.0), grid=20, steps=50))],
        "saddle": [("Adam", basin_map("saddle", Run("adam", {"lr": 0.05}), grid=20, steps=100))],
    }


def expected_group(b, mode):
    """Per cell, the legend group its trace must carry."""
    names = np.empty(b.shape, dtype=object)
    code = {name: OUTCOMES.index(name) for name in OUTCOMES}
    for (j, i), o in np.ndenumerate(b.outcome):
        if o == code[CONVERGED]:
            names[j, i] = f"min{b.minimum[j, i]}" if mode == "minimum" else "converged"
        elif o == code[INSIDE_AT_THE_END]:
            names[j, i] = f"min{b.minimum[j, i]}-inside" if mode == "minimum" else "inside"
        else:
            names[j, i] = OUTCOMES[o].replace(" ", "-")
    return names


@pytest.mark.parametrize("surface", ["beale", "himmelblau", "saddle"])
@pytest.mark.parametrize("mode", ["minimum", "steps"])
def test_every_cell_is_drawn_once_as_computed(maps, surface, mode):
    results = maps[surface]
    fig = basin_figure(surface, results, mode=mode)
    as_figure(fig, validate=True)
    for p, (label, b) in enumerate(results):
        xa = "x" if p == 0 else f"x{p + 1}"
        heat = [t for t in fig["data"] if t["type"] == "heatmap" and t["xaxis"] == xa]
        covered = np.zeros(b.shape, dtype=int)
        group = np.empty(b.shape, dtype=object)
        value = np.full(b.shape, np.nan)
        for t in heat:
            np.testing.assert_array_equal(t["x"], b.xs)  # float64: a click reports the exact start
            np.testing.assert_array_equal(t["y"], b.ys)
            assert label in t["hovertemplate"]
            drawn = ~np.isnan(t["z"])
            covered += drawn
            group[drawn] = t["legendgroup"]
            value[drawn] = t["z"][drawn]
        assert (covered == 1).all(), "each cell in exactly one category"
        assert (group == expected_group(b, mode)).all()
        conv = b.outcome == OUTCOMES.index(CONVERGED)
        np.testing.assert_array_equal(value[conv], b.steps[conv])  # the hover's and colour's steps
        stopped = np.isin(b.outcome, [OUTCOMES.index(DIVERGED), OUTCOMES.index(ESCAPED)])
        np.testing.assert_array_equal(value[stopped], b.stopped_at[stopped])
        near = (b.outcome == OUTCOMES.index(NOT_YET)) & (b.nearest >= 0)
        np.testing.assert_allclose(value[near], b.distance[near], rtol=1e-6)  # float32 on screen
    minima = [t for t in fig["data"] if t.get("name") == "minima"]
    assert len(minima) == len(results)
    np.testing.assert_array_equal(minima[0]["x"], SURFACES[surface].minima_points[:, 0])
    assert minima[0]["text"] == [minimum_letter(k) for k in range(len(SURFACES[surface].minima))]


def test_legend_names_each_category_once_and_toggles_all_panels(maps):
    fig = basin_figure("himmelblau", maps["himmelblau"])
    legend = [t for t in fig["data"] if t.get("showlegend")]
    groups = [t["legendgroup"] for t in legend]
    assert len(groups) == len(set(groups))
    drawn = {t["legendgroup"] for t in fig["data"] if t["type"] == "heatmap"}
    assert drawn == set(groups)  # every drawn category has its legend square, no empty one does
    assert any("converged to A (3, 2)" == t["name"] for t in legend)
    # The noisy run converges nowhere (a few starts are near a minimum at the last step by chance):
    # most cells are "not yet", and the hover names the nearest minimum.
    noisy = [t for t in fig["data"] if t["type"] == "heatmap" and t["xaxis"] == "x3"]
    assert not (maps["himmelblau"][2][1].outcome == OUTCOMES.index(CONVERGED)).any()
    assert "not-yet" in {t["legendgroup"] for t in noisy}
    assert not {f"min{k}" for k in range(4)} & {t["legendgroup"] for t in noisy}
    assert any("nearest A (3, 2)" in t["hovertemplate"] for t in noisy)


def test_steps_mode_shares_one_colour_scale():
    runs = [("a", basin_map("bowl", Run("sgd", {"lr": 0.1}), grid=10, steps=100)),
            ("b", basin_map("bowl", Run("sgd", {"lr": 0.01}), grid=10, steps=300))]
    fig = basin_figure("bowl", runs, mode="steps")
    conv = [t for t in fig["data"] if t.get("legendgroup") == "converged"]
    assert conv and all(t["coloraxis"] == "coloraxis" for t in conv)
    assert fig["layout"]["coloraxis"]["cmax"] == 300


def test_basin_figure_refuses_what_it_cannot_draw(maps):
    with pytest.raises(ValueError, match="cannot be drawn"):
        basin_figure("bowl", maps["beale"])
    with pytest.raises(ValueError, match="mode"):
        basin_figure("beale", maps["beale"], mode="colour")
    with pytest.raises(ValueError, match="at least one"):
        basin_figure("beale", [])


@pytest.fixture(scope="module")
def sweeps():
    keys = ("sgd", "momentum", "adam")
    return {
        "beale": [lr_sensitivity("beale", Run(k), steps=300, points=25) for k in keys],
        "saddle": [lr_sensitivity("saddle", Run(k), steps=150, points=25) for k in ("sgd", "adam")],
    }


def y_range(fig):
    lo, hi = fig["layout"]["yaxis"]["range"]
    if fig["layout"]["yaxis"]["type"] == "log":
        return 10.0**lo, 10.0**hi
    return lo, hi


@pytest.mark.parametrize("surface", ["beale", "saddle"])
def test_sensitivity_lines_are_the_values_and_diverged_is_marked_not_drawn(sweeps, surface):
    results = sweeps[surface]
    fig = sensitivity_figure(results, picks=tune(results))
    as_figure(fig, validate=True)
    lines = [t for t in fig["data"] if t["mode"] == "lines+markers"]
    assert len(lines) == len(results)
    lo, hi = y_range(fig)
    ticks = fig["layout"]["yaxis"]["tickvals"]
    for r, line in zip(results, lines, strict=True):
        np.testing.assert_array_equal(line["x"], r.lrs)
        stopped = r.diverged | r.escaped
        assert np.isnan(line["y"][stopped]).all()  # no value where there is none
        finite = line["y"][~stopped]
        expected = np.maximum(r.final_gap[~stopped], GAP_FLOOR) if not r.gap_is_loss else r.final_gap[~stopped]
        np.testing.assert_array_equal(finite, expected)
        assert lo <= finite.min() and finite.max() <= hi
        assert min(ticks) >= np.nanmin(np.concatenate([ln["y"] for ln in lines])) * (1 - 1e-9) - 1e-9
        for mask, symbol, above in ((r.diverged, "x-thin-open", True), (r.escaped, "triangle-down", False)):
            marks = [t for t in fig["data"] if t["mode"] == "markers" and t["marker"]["symbol"] == symbol
                     and t["legendgroup"] == line["legendgroup"]]
            if not mask.any():
                assert not marks
                continue
            (mark,) = marks
            np.testing.assert_array_equal(mark["x"], r.lrs[mask])
            every = np.concatenate([ln["y"][np.isfinite(ln["y"])] for ln in lines])
            if above:
                assert (mark["y"] > every.max()).all() and (mark["y"] > max(ticks)).all()
                assert (mark["y"] <= hi).all()
            else:
                assert (mark["y"] < every.min()).all() and (mark["y"] < min(ticks)).all()
                assert (mark["y"] >= lo).all()
    assert any(r.diverged.any() for r in results) or any(r.escaped.any() for r in results)


def test_steps_metric_marks_runs_that_did_not_converge(sweeps):
    results = sweeps["beale"]
    picks = tune(results)
    fig = sensitivity_figure(results, metric="steps", picks=picks)
    as_figure(fig, validate=True)
    lines = [t for t in fig["data"] if t["mode"] == "lines+markers"]
    for r, line, choice in zip(results, lines, picks, strict=True):
        conv = r.converged_at >= 0
        np.testing.assert_array_equal(line["y"][conv], r.converged_at[conv])
        assert np.isnan(line["y"][~conv]).all()
        open_ = ~conv & ~r.diverged & ~r.escaped
        circles = [t for t in fig["data"] if t["mode"] == "markers" and t["marker"]["symbol"] == "circle-open"
                   and t["legendgroup"] == line["legendgroup"]]
        if open_.any():
            np.testing.assert_array_equal(circles[0]["x"], r.lrs[open_])
            assert (circles[0]["y"] >= r.steps_run).all()
        stars = [t for t in fig["data"] if t["mode"] == "markers" and t["marker"]["symbol"] == "star"
                 and t["legendgroup"] == line["legendgroup"]]
        if choice.index is not None:
            assert stars[0]["x"] == [r.lrs[choice.index]]
    assert max(fig["layout"]["yaxis"]["tickvals"]) <= 300


def test_sensitivity_figure_refuses_mixed_surfaces(sweeps):
    with pytest.raises(ValueError, match="share a surface"):
        sensitivity_figure([sweeps["beale"][0], sweeps["saddle"][0]])
    with pytest.raises(ValueError, match="metric"):
        sensitivity_figure(sweeps["beale"], metric="loss")
