"""The analysis tools and "your own surface / data" in the app, driven through AppTest."""


import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from optviz.analysis import custom
from optviz.analysis.basins import basin_map
from optviz.analysis.sensitivity import lr_sensitivity, tune
from optviz.app.custom_surface_ui import data_surface_from
from optviz.app.share import parse_query, to_query
from optviz.core.engine import CONVERGED, OUTCOMES
from optviz.core.runs import Run
from optviz.plot.grid import surface_grid, z_range
from surfaces import SURFACES, make_mse_surface
from surfaces.regression import parse_xy
from tests import apptest_support
from tests.apptest_support import CSV, choose_tool, clean, decode, paste, query

TIMEOUT = 180  # the tools run whole grids of starts


def app(query=None) -> AppTest:
    return apptest_support.app(query, timeout=TIMEOUT)


def app_runs(at: AppTest) -> list[Run]:
    """The view's shown runs, read back from its link."""
    return [run for _, run in parse_query(query(at)).visible_runs]


# --- basin map ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("surface", ["himmelblau", "beale"])
def test_basin_map_draws_exactly_what_basin_map_computes(surface):
    at = clean(app({"surface": surface, "opt": "sgd,adam", "steps": "100"}))
    choose_tool(at, "basins")
    at.select_slider(key="basin_grid").set_value(20).run()
    clean(at)
    figure = apptest_support.component_figure(at, "basin_view")
    state = parse_query(query(at))
    runs = app_runs(at)
    panels = sorted({t["xaxis"] for t in figure["data"] if t["type"] == "heatmap"})
    assert len(panels) == len(runs) == 2
    converged = OUTCOMES.index(CONVERGED)
    for axis, run in zip(panels, runs, strict=True):
        expected = basin_map(SURFACES[state.surface], run, grid=20, steps=state.steps, seed=state.seed)
        heatmaps = [t for t in figure["data"] if t["type"] == "heatmap" and t["xaxis"] == axis]
        covered = np.zeros(expected.shape, dtype=int)
        for t in heatmaps:
            z = decode(t["z"]).reshape(expected.shape)
            mask = np.isfinite(z)
            covered += mask
            group = t["legendgroup"]
            if group.startswith("min") and not group.endswith("inside"):
                k = int(group[3:])
                np.testing.assert_array_equal(mask, (expected.outcome == converged) & (expected.minimum == k))
        assert np.all(covered == 1)  # every cell drawn exactly once
        np.testing.assert_allclose(decode(heatmaps[0]["x"]), expected.xs)


def test_basin_map_grid_too_large_for_the_steps_is_a_message():
    at = clean(app({"surface": "himmelblau", "opt": "adam", "steps": "1000"}))
    choose_tool(at, "basins")
    at.select_slider(key="basin_grid").set_value(200).run()
    clean(at)
    assert any("start-steps" in w.value for w in at.warning)


# --- learning-rate sensitivity -------------------------------------------------------------------------


@pytest.mark.parametrize("surface", ["beale", "rosenbrock"])
def test_sensitivity_renders_and_apply_sets_the_tuned_learning_rates(surface):
    at = clean(app({"surface": surface, "opt": "sgd,adam", "steps": "150"}))
    choose_tool(at, "sensitivity")
    figure = apptest_support.component_figure(at, "sensitivity_view")
    assert figure["data"]
    state = parse_query(query(at))
    runs = app_runs(at)
    picks = tune([lr_sensitivity(SURFACES[state.surface], r, state.start, state.steps, state.seed) for r in runs],
                 at.radio(key="tune_criterion").value)
    assert any(p.lr is not None for p in picks)
    at.button(key="apply_tuned").click().run()
    clean(at)
    after = parse_query(query(at))
    for i, (p, before) in enumerate(zip(picks, runs, strict=True)):
        expected = before.hparam_dict["lr"] if p.lr is None else p.lr
        assert after.runs[i].hparam_dict["lr"] == expected
        assert float(query(at)[f"r{i}.lr"]) == expected  # the link carries it


# --- your own formula -------------------------------------------------------------------------------------


def test_a_typed_formula_renders_marks_its_minima_and_its_link_reopens_it():
    at = clean(app({"surface": "custom"}))
    at.text_input(key="formula_text").set_value("(x - 1)**2 + 2*(y + 0.5)**2 + 0.3*sin(3*x)")
    at.text_input(key="formula_xr").set_value("-2, 3")
    at.text_input(key="formula_yr").set_value("-2, 2")
    at.button[[b.label for b in at.button].index("Draw this surface")].click().run()
    clean(at)
    q = query(at)
    assert q["surface"] == "custom" and q["f"] == "(x - 1)**2 + 2*(y + 0.5)**2 + 0.3*sin(3*x)"
    assert q["xr"] == "-2,3" and q["yr"] == "-2,2"
    surface = SURFACES[parse_query(q).surface]
    assert surface.minima, "the minimum was found"
    figure = apptest_support.component_figure(at, "trajectory_view")
    marks = [t for t in figure["data"] if t.get("name") == "minima"]
    assert marks, "the minima are marked"
    for t in marks:  # 3-D and contour: each found minimum, where it was found
        np.testing.assert_allclose(decode(t["x"]), [m.x for m in surface.minima])
        np.testing.assert_allclose(decode(t["y"]), [m.y for m in surface.minima])
    # the link reopens the same view
    again = clean(app(q))
    assert query(again) == q
    assert apptest_support.component_figure(again, "trajectory_view")["data"] == figure["data"]


@pytest.mark.parametrize("text", ["__import__('os')", "x.__class__", "9**9**9", "x" * 10_000, "lambda: 1",
                                  "[x for x in y]", "'abc'", "x**x**x**x"])
def test_hostile_formulas_show_a_message_and_keep_the_surface(text):
    at = clean(app({"surface": "custom"}))
    before = query(at)
    at.text_input(key="formula_text").set_value(text)
    at.button[[b.label for b in at.button].index("Draw this surface")].click().run()
    clean(at)
    assert at.error, "a message next to the field"
    assert query(at) == before


def test_a_formula_with_gaps_draws_without_nan_ranges():
    at = clean(app({"surface": "custom", "f": "log(x) + y**2", "xr": "-1,3", "yr": "-2,2"}))
    assert not at.warning
    figure = apptest_support.component_figure(at, "trajectory_view")
    assert figure["data"]
    surface = SURFACES[parse_query(query(at)).surface]
    lo, hi = surface_grid(surface).z_range
    assert np.isfinite(lo) and np.isfinite(hi) and lo < hi


# --- your own data --------------------------------------------------------------------------------------

def test_upload_handler_builds_the_same_surface_as_make_mse_surface():
    x, y = parse_xy(CSV.encode())
    for standardize in (False, True):
        got = data_surface_from(CSV.encode(), standardize)
        want = make_mse_surface(x, y, standardize=standardize)
        p = np.random.default_rng(0).normal(size=(50, 2))
        np.testing.assert_array_equal(got.f(p), want.f(p))
        np.testing.assert_array_equal(got.grad(p), want.grad(p))
        assert got.minima == want.minima and got.domain == want.domain


def test_pasted_data_build_the_surface_and_the_link_carries_them():
    at = clean(app({"surface": "mse"}))
    paste(at, CSV)
    q = query(at)
    surface = SURFACES[parse_query(q).surface]
    want = make_mse_surface(*parse_xy(CSV))
    assert surface.minima == want.minima and "data" in q
    assert any("carries these 30 rows" in c.value for c in at.caption)
    again = clean(app(q))
    assert query(again) == q
    # standardize x: another surface, in the link too
    again.toggle(key="data_std").set_value(True).run()
    clean(again)
    q2 = query(again)
    assert q2["std"] == "1"
    assert SURFACES[parse_query(q2).surface].minima == make_mse_surface(*parse_xy(CSV), standardize=True).minima


def test_large_data_say_the_link_does_not_carry_them():
    rows = "\n".join(f"{i},{i * 0.5}" for i in range(500))
    at = paste(clean(app({"surface": "mse"})), rows)
    assert "data" not in query(at)
    assert any("does not carry these 500 rows" in c.value for c in at.caption)


@pytest.mark.parametrize("bad", ["x,y\n1,2\n3,abc", "1\n2\n3", "", "1,2\n" * 10_001, "1,\n2,3"])
def test_malformed_data_show_a_message_and_keep_the_previous_data(bad):
    at = paste(clean(app({"surface": "mse"})), CSV)
    before = query(at)
    paste(at, bad)
    assert at.error
    assert query(at) == before


def test_tools_render_on_a_typed_formula_and_on_own_data():
    at = clean(app({"surface": "custom", "f": "x**2 + y**2 - x*y", "opt": "adam"}))
    choose_tool(at, "basins")
    assert apptest_support.component_figure(at, "basin_view")["data"]
    at = paste(clean(app({"surface": "mse", "opt": "sgd"})), CSV)
    choose_tool(at, "sensitivity")
    assert apptest_support.component_figure(at, "sensitivity_view")["data"]


def test_custom_keys_resolve_and_stay_out_of_the_surface_list():
    key = custom.formula_surface_key("x**2 + y**2", (-1, 1), (-1, 1))
    assert key not in list(SURFACES)
    assert SURFACES[key].minima[0].value == pytest.approx(0.0, abs=1e-12)


# --- plotting a surface with gaps and poles -------------------------------------------------------------


def test_z_range_ignores_nan_and_clips_a_pole_but_not_a_bundled_surface():
    z = np.linspace(0.0, 1.0, 10_000)
    z[:50] = np.nan  # where f has no value
    z[-3:] = 1e12  # a pole
    lo, hi = z_range(z)
    assert lo == float(np.nanmin(z[:-3])) and 1.0 < hi < 2.0
    assert z_range(np.full(10, np.nan)) == (0.0, 1.0)
    for surface in SURFACES.values():  # the bundled surfaces keep their full range (the contour's and the mesh's)
        grid = surface_grid(surface)
        both = np.concatenate([grid.z2.ravel(), grid.z3.ravel()])
        assert grid.z_range == (float(np.nanmin(both)), float(np.nanmax(both)))


def test_surface_grid_of_a_pole_is_finite_where_defined_and_a_gap_elsewhere():
    surface = SURFACES[custom.formula_surface_key("1/x + y**2", (-1, 1), (-1, 1))]
    grid = surface_grid(surface)
    lo, hi = grid.z_range
    assert np.isfinite(lo) and np.isfinite(hi) and hi - lo < 1e6
    finite = grid.z2[np.isfinite(grid.z2)]
    assert finite.min() >= lo and finite.max() <= hi


def test_a_formula_link_round_trips_and_a_bad_one_gives_a_notice():
    q = {"surface": "custom", "f": "x**2 + 3*y**2", "xr": "-2,2", "yr": "-1,3"}
    state = parse_query(q)
    assert not state.notices and SURFACES[state.surface].domain == ((-2.0, 2.0), (-1.0, 3.0))
    assert parse_query(to_query(state)) == state
    bad = parse_query({"surface": "custom", "f": "__import__('os').system('true')", "xr": "3,-3"})
    assert len(bad.notices) == 2 and custom.is_formula(bad.surface)
    broken = parse_query({"surface": "mse", "data": "d:1,2;x,3"})
    assert broken.notices and broken.surface == "mse"


def test_a_formula_surface_title_has_no_markdown_in_it():
    at = clean(app({"surface": "custom", "f": "x*y*x + y**2"}))
    titles = [m.value for m in at.markdown if m.value.startswith("### ")]
    assert titles == ["### Your own formula f(x, y)"]


def test_the_tools_compute_on_the_surface_they_are_given_and_cache_by_its_content(monkeypatch):
    """The panel passes the resolved Surface down (issue 20: it travelled as a key and was looked up
    again): a surface the registry cannot resolve by its key is computed all the same; a surface's key
    names its content (a formula's text and ranges), so an equal surface built again is a cache hit
    and another formula never meets the first one's results."""
    import dataclasses

    from optviz.app import tools_ui

    runs = [("GD", Run("sgd", (("lr", 0.1),)))]
    alone = dataclasses.replace(SURFACES["bowl"], key="bowl, not registered")
    with pytest.raises(KeyError):
        SURFACES[alone.key]
    [(label, result)] = tools_ui.basin_maps(alone, runs, 5, 20, 0)
    direct = basin_map(alone, runs[0][1], grid=5, steps=20, seed=0)
    assert label == "GD" and np.array_equal(result.minimum, direct.minimum)
    np.testing.assert_array_equal(result.distance, direct.distance)
    [(_, sweep)] = tools_ui.sweeps(alone, runs, (1.0, 1.0), 20, 0)
    np.testing.assert_array_equal(sweep.final_gap, lr_sensitivity(alone, runs[0][1], (1.0, 1.0), 20, 0).final_gap)

    one, other = (SURFACES[custom.formula_surface_key(text, (-2, 2), (-2, 2))] for text in ("x^2 + y^2", "x^2 + 4*y^2"))
    again = dataclasses.replace(one)  # the same formula, another object
    computed = []
    monkeypatch.setattr(tools_ui, "lr_sensitivity", lambda *a: computed.append(a[0]) or lr_sensitivity(*a))
    first = tools_ui.sweeps(one, runs, (1.0, 1.0), 20, 0)[0][1]
    assert computed == [one]
    assert again is not one and tools_ui.sweeps(again, runs, (1.0, 1.0), 20, 0)[0][1].surface == first.surface
    assert computed == [one]  # the same content, built again: a hit
    theirs = tools_ui.sweeps(other, runs, (1.0, 1.0), 20, 0)[0][1]
    assert computed == [one, other]
    np.testing.assert_array_equal(theirs.final_gap, lr_sensitivity(other, runs[0][1], (1.0, 1.0), 20, 0).final_gap)
    assert not np.array_equal(theirs.final_gap, first.final_gap, equal_nan=True)
