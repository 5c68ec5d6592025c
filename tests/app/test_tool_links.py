"""The analysis tools travel in the share link like the rest of the view (issue 11: "shared by link
like any view"): the tool that is open and each tool's settings, declared once in
optviz/app/tool_settings.py, round-trip through the link, are validated and clamped like every other
parameter, stay out of the link at their defaults, and a link opens the same tool with the same grid
and the same picture."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from optviz.analysis import custom
from optviz.analysis.basins import basin_map
from optviz.analysis.sensitivity import CRITERIA, FASTEST_ESCAPE, FEWEST_STEPS, LOWEST_LOSS, lr_sensitivity, tune
from optviz.app import settings as decl
from optviz.app import share
from optviz.app.share import ViewState, parse_query, to_query
from optviz.app.tool_settings import DEFAULTS, TOOL_SETTINGS, criteria_for
from optviz.core import limits
from optviz.plot.analysis_plots import basin_figure, sensitivity_figure
from surfaces import SURFACES
from tests import apptest_support
from tests.apptest_support import choose_tool, clean, component_figure, decode, query

LINKS_V1 = json.loads((Path(__file__).parents[1] / "fixtures" / "links_v1.json").read_text())["links"]
TOOL_LINKS = {s.link for s in TOOL_SETTINGS}
OPENS = {"basin_grid": "basins", "basin_mode": "basins", "sensitivity_metric": "sensitivity",
         "tune_criterion": "sensitivity", "curvature_at": "curvature", "curvature_run": "curvature",
         "curvature_x": "curvature", "curvature_y": "curvature", "tool": None}


def app(q=None):
    return apptest_support.app(q, timeout=180)


def other_values(setting, surface_key: str) -> list:
    """Every value of a tool setting other than its default (a few for a number range)."""
    ctx = decl.Context.of(surface_key)
    if setting.kind == "number":
        number = setting.number(ctx)
        return [v for v in (number.low, 73, number.high)
                if v != setting.default(ctx) and number.low <= v <= number.high]
    return [c for c in setting.choices(ctx) if c != setting.default(ctx)]


# --- the link: ViewState -> query -> ViewState -------------------------------------------------------


def test_every_field_of_viewstate_for_the_tools_is_declared_once():
    # The fields and their defaults come from the declarations (nothing listed twice).
    assert set(DEFAULTS) == {s.key for s in TOOL_SETTINGS} == set(OPENS)
    for setting in TOOL_SETTINGS:
        assert getattr(ViewState, setting.key) == setting.default(decl.Context.of("beale")) == setting.omit
        assert decl.BY_LINK[setting.link] is setting and decl.BY_KEY[setting.key] is setting


CASES = [(surface, s.key, v) for surface in ("himmelblau", "saddle") for s in TOOL_SETTINGS
         for v in other_values(s, surface)]


@pytest.mark.parametrize(("surface", "key", "value"), CASES)
def test_each_tool_setting_round_trips_through_the_link(surface, key, value):
    setting = decl.BY_KEY[key]
    tool = OPENS[key] or value
    state = replace(share.default_state(surface), tool=tool, **({key: value} if key != "tool" else {}))
    q = to_query(state)
    assert q[setting.link] == decl.write(setting, value)  # a value other than the default is written
    assert q["tool"] == tool
    again = parse_query(q)
    assert again == state and again.notices == ()
    assert getattr(again, key) == value


def test_tool_settings_at_their_defaults_stay_out_of_the_link():
    state = share.default_state("himmelblau")
    assert not TOOL_LINKS & set(to_query(state))  # the tool closed: nothing of the tools
    for tool in ("basins", "sensitivity"):
        q = to_query(replace(state, tool=tool))
        assert {k for k in q if k in TOOL_LINKS} == {"tool"}, q


def test_a_closed_tools_settings_are_not_written_and_a_link_sets_them_in_vain():
    # The basin map's settings while sensitivity is open: not in the link...
    state = replace(share.default_state("himmelblau"), tool="sensitivity", basin_grid=100, basin_mode="steps")
    q = to_query(state)
    assert "basin.grid" not in q and "basin.by" not in q
    # ... and a link that names them with another tool open (or none) reads the defaults, silently:
    # they mean nothing in that view, as another surface's noise does.
    for tool in ("none", "sensitivity"):
        read = parse_query({"surface": "himmelblau", "tool": tool, "basin.grid": "1e9", "basin.by": "x"})
        assert (read.basin_grid, read.basin_mode, read.notices) == (DEFAULTS["basin_grid"], "minimum", ())
    read = parse_query({"surface": "himmelblau", "tool": "basins", "sens.show": "nope", "sens.tune": "nope"})
    assert (read.sensitivity_metric, read.tune_criterion, read.notices) == ("gap", FEWEST_STEPS, ())


@pytest.mark.parametrize(("text", "grid", "notice"), [
    ("60", 60, None), ("73", 73, None),  # any whole number in range is kept, on a slider position or not
    ("500", limits.MAX_BASIN_GRID, "outside [20, 200]"), ("1e9", limits.MAX_BASIN_GRID, "outside"),
    ("1", 20, "outside"), ("-40", 20, "outside"), ("55.5", 56, "whole number"),
    ("nan", DEFAULTS["basin_grid"], "not a finite number"), ("inf", DEFAULTS["basin_grid"], "not a finite number"),
    ("forty", DEFAULTS["basin_grid"], "not a number"), ("9" * 400, DEFAULTS["basin_grid"], "too long"),
])
def test_a_hand_edited_grid_is_clamped_to_its_range_with_a_notice(text, grid, notice):
    state = parse_query({"surface": "himmelblau", "tool": "basins", "basin.grid": text})
    assert state.basin_grid == grid and isinstance(state.basin_grid, int)
    assert 20 <= state.basin_grid <= limits.MAX_BASIN_GRID
    if notice is None:
        assert state.notices == ()
    else:
        assert len(state.notices) == 1 and notice in state.notices[0], state.notices


def test_unknown_tool_colouring_metric_and_criterion_give_the_default_with_a_notice():
    state = parse_query({"surface": "beale", "tool": "rm -rf", "basin.by": "x"})
    assert state.tool == "none" and any("'rm -rf'" in n for n in state.notices)
    state = parse_query({"surface": "beale", "tool": "basins", "basin.by": "loss"})
    assert state.basin_mode == "minimum" and len(state.notices) == 1
    state = parse_query({"surface": "beale", "tool": "sensitivity", "sens.show": "gaps", "sens.tune": "best"})
    assert (state.sensitivity_metric, state.tune_criterion) == ("gap", FEWEST_STEPS) and len(state.notices) == 2


def test_fastest_escape_only_where_the_surface_is_unbounded():
    assert FASTEST_ESCAPE in criteria_for(SURFACES["saddle"]) and FASTEST_ESCAPE not in criteria_for(SURFACES["beale"])
    saddle = parse_query({"surface": "saddle", "tool": "sensitivity", "sens.tune": FASTEST_ESCAPE})
    assert saddle.tune_criterion == FASTEST_ESCAPE and saddle.notices == ()
    beale = parse_query({"surface": "beale", "tool": "sensitivity", "sens.tune": FASTEST_ESCAPE})
    assert beale.tune_criterion == FEWEST_STEPS and len(beale.notices) == 1
    # A view whose values hold a criterion the surface does not offer (kept from the saddle) reads
    # the default, as its link does.
    values = {**share.default_state("beale").values(), "tool": "sensitivity", "tune_criterion": FASTEST_ESCAPE}
    assert ViewState.from_values(values).tune_criterion == FEWEST_STEPS


@pytest.mark.parametrize("link", LINKS_V1, ids=[link["title"] for link in LINKS_V1])
def test_links_without_the_tools_open_with_the_tools_closed_and_their_defaults(link):
    state = parse_query(link["query"])
    for setting in TOOL_SETTINGS:
        assert getattr(state, setting.key) == DEFAULTS[setting.key]
    assert not TOOL_LINKS & set(to_query(state))


def test_formula_and_data_travel_with_a_tool():
    key = custom.formula_surface_key("x**2 + 3*y**2 - x*y", (-2.0, 2.0), (-1.0, 1.0))
    state = replace(share.default_state(key), tool="basins", basin_grid=20, basin_mode="steps")
    q = to_query(state)
    assert q["surface"] == "custom" and q["f"] == "x**2 + 3*y**2 - x*y" and q["xr"] == "-2,2" and q["yr"] == "-1,1"
    assert (q["tool"], q["basin.grid"], q["basin.by"]) == ("basins", "20", "steps")
    assert parse_query(q) == state
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.5])
    data_key = custom.data_surface(x, 2 * x + 1, True).key
    state = replace(share.default_state(data_key), tool="sensitivity", sensitivity_metric="steps")
    q = to_query(state)
    assert q["surface"] == "mse" and "data" in q and q["std"] == "1" and q["sens.show"] == "steps"
    assert parse_query(q) == state


# --- the app: a link opens the same tool, and a change of a tool setting lands in the link ----------

RUNS = {"r0.opt": "sgd", "r0.lr": "0.01", "r1.opt": "adam", "r1.lr": "0.05", "r1.hidden": "1",
        "r2.opt": "momentum", "r2.lr": "0.005"}


def shown_link(at) -> str:
    return next(c.value for c in at.code if "surface=" in c.value)


def heatmaps(figure: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for t in figure["data"]:
        if t["type"] == "heatmap":
            out.setdefault(t["xaxis"], []).append(t)
    return out


def test_a_basin_link_opens_the_map_with_its_grid_colouring_and_runs():
    link = {"surface": "himmelblau", "steps": "60", **RUNS, "tool": "basins", "basin.grid": "60",
            "basin.by": "steps"}
    at = clean(app(link))
    assert at.button_group(key="tool").value == "basins"
    assert at.select_slider(key="basin_grid").value == 60 and at.radio(key="basin_mode").value == "steps"
    state = parse_query(query(at))
    assert (state.tool, state.basin_grid, state.basin_mode) == ("basins", 60, "steps")
    figure = component_figure(at, "basin_view")
    panels = heatmaps(figure)
    shown = [run for _, run in state.visible_runs]
    assert [r.optimizer for r in shown] == ["sgd", "momentum"] and len(panels) == 2  # the hidden Adam is not mapped
    expected = basin_figure(state.surface, [(str(i), basin_map(state.surface, r, grid=60, steps=60, seed=0))
                                            for i, r in enumerate(shown)], mode="steps")
    assert "coloraxis" in figure["layout"]  # coloured by steps: one colour scale of "converged at step"
    want = heatmaps(expected)
    for axis, traces in panels.items():
        assert len(traces) == len(want[axis])
        for got, exp in zip(traces, want[axis], strict=True):
            z = decode(got["z"]).reshape(60, 60)  # the link's grid: 60 × 60 cells
            np.testing.assert_array_equal(np.isnan(z), np.isnan(exp["z"]))
            np.testing.assert_allclose(z[~np.isnan(z)], exp["z"][~np.isnan(exp["z"])])
            np.testing.assert_allclose(decode(got["x"]), exp["x"])
            assert got["name"] == exp["name"]
    assert "tool=basins" in shown_link(at) and "basin.grid=60" in shown_link(at)


def test_a_sensitivity_link_opens_the_chart_with_its_metric_and_criterion():
    link = {"surface": "beale", "steps": "120", **RUNS, "tool": "sensitivity", "sens.show": "steps",
            "sens.tune": LOWEST_LOSS}
    at = clean(app(link))
    assert at.radio(key="sensitivity_metric").value == "steps" and at.radio(key="tune_criterion").value == LOWEST_LOSS
    state = parse_query(query(at))
    shown = [run for _, run in state.visible_runs]
    sweeps = [lr_sensitivity(state.surface, r, state.start, state.steps, state.seed) for r in shown]
    picks = tune(sweeps, LOWEST_LOSS)
    expected = sensitivity_figure(sweeps, metric="steps", names=["a", "b"], picks=picks)
    figure = component_figure(at, "sensitivity_view")
    lines = [t for t in figure["data"] if t.get("mode") == "lines+markers"]
    want = [t for t in expected["data"] if t.get("mode") == "lines+markers"]
    assert len(lines) == len(want) == 2
    for got, exp in zip(lines, want, strict=True):
        np.testing.assert_allclose(decode(got["x"]), np.asarray(exp["x"], dtype=float))
        np.testing.assert_allclose(decode(got["y"]), np.asarray(exp["y"], dtype=float), equal_nan=True)
    assert "teps" in figure["layout"]["yaxis"]["title"]["text"]
    assert any(CRITERIA[LOWEST_LOSS] in c.value for c in at.caption)
    # Applying the picks moves the runs' learning rates in the link; the tool stays open in it.
    at.button(key="apply_tuned").click().run()
    q = query(clean(at))
    assert q["tool"] == "sensitivity" and q["sens.tune"] == LOWEST_LOSS
    for (i, _), p in zip(state.visible_runs, picks, strict=True):
        assert float(q[f"r{i}.lr"]) == (p.lr if p.lr is not None else state.runs[i].hparam_dict["lr"])
    assert any(s.value.startswith("Applied:") for s in at.success)


def test_changing_a_tool_setting_puts_it_in_the_link_and_its_default_takes_it_out():
    at = clean(app({"surface": "himmelblau", "steps": "40", "r0.opt": "adam"}))
    assert not TOOL_LINKS & set(query(at))
    choose_tool(at, "basins")
    assert query(at)["tool"] == "basins" and "basin.grid" not in query(at)
    at.select_slider(key="basin_grid").set_value(100).run()
    assert query(clean(at))["basin.grid"] == "100" and "basin.grid=100" in shown_link(at)
    heat = next(iter(heatmaps(component_figure(at, "basin_view")).values()))[0]
    assert decode(heat["z"]).size == 100 * 100
    at.radio(key="basin_mode").set_value("steps").run()
    assert query(clean(at))["basin.by"] == "steps" and "basin.by=steps" in shown_link(at)
    at.select_slider(key="basin_grid").set_value(40).run()
    assert "basin.grid" not in query(clean(at)) and "basin.grid" not in shown_link(at)
    choose_tool(at, "sensitivity")
    q = query(at)
    assert q["tool"] == "sensitivity" and "basin.by" not in q and "basin.grid" not in q
    at.radio(key="tune_criterion").set_value(LOWEST_LOSS).run()
    assert query(clean(at))["sens.tune"] == LOWEST_LOSS and f"sens.tune={LOWEST_LOSS}" in shown_link(at)
    # Back to the basin map: its colouring is as the person left it, and the link says so again.
    choose_tool(at, "basins")
    assert at.radio(key="basin_mode").value == "steps" and query(at)["basin.by"] == "steps"
    # A click on the open tool's button closes it: "None", and nothing of the tools in the link.
    at.button_group(key="tool").set_value(None).run()
    assert not TOOL_LINKS & set(query(clean(at))) and not [e for e in at.get("bidi_component")
                                                          if (e.proto.id or "").endswith("-basin_view")]
    # The link the app wrote opens the same view.
    assert parse_query(query(at)) == parse_query(query(clean(app(query(at)))))


def test_a_typed_grid_with_exact_values_is_kept_and_drawn():
    at = clean(app({"surface": "himmelblau", "steps": "30", "r0.opt": "sgd", "tool": "basins"}))
    at.toggle(key="exact").set_value(True).run()
    at.number_input(key="basin_grid").set_value(37).run()
    assert query(clean(at))["basin.grid"] == "37"
    heat = next(iter(heatmaps(component_figure(at, "basin_view")).values()))[0]
    assert decode(heat["x"]).size == 37 and decode(heat["z"]).size == 37 * 37


def test_an_old_link_opens_with_the_tools_closed_and_the_defaults_when_opened():
    at = clean(app(LINKS_V1[0]["query"]))
    assert at.button_group(key="tool").value == "none"
    tools_drawn = [e for e in at.get("bidi_component")
                   if (e.proto.id or "").endswith(("-basin_view", "-sensitivity_view"))]
    assert not tools_drawn
    assert not TOOL_LINKS & set(query(at)) and not at.warning
    choose_tool(at, "basins")
    assert at.select_slider(key="basin_grid").value == DEFAULTS["basin_grid"]
    assert at.radio(key="basin_mode").value == "minimum"


def test_a_hand_edited_grid_in_the_app_is_clamped_with_a_notice():
    at = clean(app({"surface": "himmelblau", "steps": "20", "r0.opt": "sgd", "tool": "basins", "basin.grid": "5000"}))
    assert any("basin.grid=5000" in w.value and "used 200" in w.value for w in at.warning)
    assert at.select_slider(key="basin_grid").value == limits.MAX_BASIN_GRID
    assert query(at)["basin.grid"] == str(limits.MAX_BASIN_GRID)
    heat = next(iter(heatmaps(component_figure(at, "basin_view")).values()))[0]
    assert decode(heat["z"]).size == limits.MAX_BASIN_GRID ** 2


def test_a_grid_too_large_for_every_run_together_is_a_message():
    # Each map is within basins.MAX_WORK; all the shown runs' maps together are not.
    runs = {f"r{i}.opt": "sgd" for i in range(4)} | {f"r{i}.lr": str(0.001 * (i + 1)) for i in range(4)}
    at = clean(app({"surface": "himmelblau", "steps": "300", **runs, "tool": "basins", "basin.grid": "200"}))
    assert 200 * 200 * 300 <= 20_000_000 < 4 * 200 * 200 * 300
    assert any("hide some runs" in w.value for w in at.warning)
    assert not [e for e in at.get("bidi_component") if (e.proto.id or "").endswith("-basin_view")]


def test_a_lesson_link_keeps_its_tool_and_stays_the_lessons_view():
    at = clean(app({"lesson": "three-learning-rates", "tool": "basins", "basin.grid": "20"}))
    q = query(at)
    assert q["lesson"] == "three-learning-rates" and q["tool"] == "basins" and q["basin.grid"] == "20"
    assert not any("changed the lesson" in c.value for c in at.caption)
    heat = next(iter(heatmaps(component_figure(at, "basin_view")).values()))[0]
    assert decode(heat["z"]).size == 20 * 20
    at.radio(key="basin_mode").set_value("steps").run()  # a tool setting does not change the lesson's view
    assert query(clean(at))["lesson"] == "three-learning-rates"


def test_a_formula_link_with_a_basin_map_draws_the_formulas_map():
    link = {"surface": "custom", "f": "x**2 + 3*y**2 - x*y", "xr": "-2,2", "yr": "-1,1", "steps": "30",
            "r0.opt": "sgd", "tool": "basins", "basin.grid": "20"}
    at = clean(app(link))
    q = query(at)
    assert (q["f"], q["xr"], q["yr"], q["tool"], q["basin.grid"]) == ("x**2 + 3*y**2 - x*y", "-2,2", "-1,1", "basins",
                                                                       "20")
    heat = next(iter(heatmaps(component_figure(at, "basin_view")).values()))[0]
    xs = decode(heat["x"])
    assert xs.size == 20 and -2 < xs[0] < xs[-1] < 2  # over the formula's own range


def test_switching_from_the_saddle_keeps_no_criterion_the_new_surface_lacks():
    at = clean(app({"surface": "saddle", "steps": "40", "r0.opt": "sgd", "tool": "sensitivity",
                    "sens.tune": FASTEST_ESCAPE}))
    assert at.radio(key="tune_criterion").value == FASTEST_ESCAPE and query(at)["sens.tune"] == FASTEST_ESCAPE
    at.selectbox(key="surface").set_value("beale").run()
    clean(at)
    assert at.radio(key="tune_criterion").value == FEWEST_STEPS
    assert "sens.tune" not in query(at) and parse_query(query(at)).notices == ()


def test_a_tools_grid_is_kept_while_another_tool_is_open_and_the_runs_change():
    at = clean(app({"surface": "himmelblau", "steps": "30", "r0.opt": "sgd", "tool": "basins", "basin.grid": "100"}))
    choose_tool(at, "sensitivity")
    assert "basin.grid" not in query(at)
    at.button(key="add_run").click().run()  # the runs are rebuilt from the view: the map's grid must survive
    assert parse_query(query(clean(at))).runs[1:] and "basin.grid" not in query(at)
    choose_tool(at, "basins")
    assert at.select_slider(key="basin_grid").value == 100 and query(at)["basin.grid"] == "100"
    assert len(heatmaps(component_figure(at, "basin_view"))) == 2
