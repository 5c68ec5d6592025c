"""Runs in the app (issue 9): add, duplicate, remove, hide, sweep, one learning rate for all,
coordinate charts, work axes, schedules chosen in the sidebar, links with runs and old links,
and one run's slider recomputing that run only. Driven through streamlit.testing.v1.AppTest.

What is drawn is compared with what the engine computes for the same Run (`Run.simulate`), so
these tests fail if the UI builds a different run than the one it shows in its controls."""

import base64
import json
import re
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest
import streamlit as st
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import InitialValue

from optviz import OPTIMIZERS
from optviz.analysis.results import LINE as RESULT_LINE
from optviz.app.settings import MAX_RUNS, default_optimizer
from optviz.app.share import parse_query, to_query
from optviz.core.presets import preset_for
from optviz.core.runs import Run, labels
from optviz.core.schedules import Cosine, Exponential, Ramp, StepDecay, Warmup
from optviz.plot import sparkline, trajectory
from optviz.plot.lessons import check, load_lessons
from optviz.plot.styles import run_styles
from surfaces import SURFACES
from tests.apptest_support import app, clean, decode, open_run_editor, step_charts
from tests.apptest_support import trajectory_figure as figure

LINKS_V1 = json.loads((Path(__file__).parents[1] / "fixtures" / "links_v1.json").read_text())["links"]





def drawn(at: AppTest, kind: str = "scatter") -> dict[str, dict]:
    """Each run's drawn path in one cell, by legend group (r<i>): name, x, y, line style."""
    out = {}
    for t in figure(at)["data"]:
        if (t["type"] == kind and str(t.get("mode", "")).startswith("lines")  # lines+markers: isolated points
                and t.get("meta") != trajectory.CASING):  # not the casing beneath it
            out[t["legendgroup"]] = {"name": t["name"], "x": decode(t["x"]), "y": decode(t["y"]), "line": t["line"]}
    return out



def chart(at: AppTest, key: str) -> dict[str, dict]:
    """A step chart's lines by legend group: name, x, y, line style."""
    spec = step_charts(at)[key]
    return {t["legendgroup"]: {"name": t["name"], "x": decode(t["x"]), "y": decode(t["y"]), "line": t["line"]}
            for t in spec["data"] if t.get("mode") == "lines"}  # not the ✕ / ○ end marks


def svgs(at: AppTest) -> list[str]:
    """The SVG text of every image (st.image sends SVG text as a base64 data URL)."""
    out = []
    for element in at.get("image"):
        for img in element.proto.imgs:
            if img.url.startswith("data:image/svg+xml;base64,"):
                out.append(base64.b64decode(img.url.split(",", 1)[1]).decode())
    return out


def link(at: AppTest) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def state(at: AppTest):
    return parse_query(link(at))


def assert_path(line: dict, run: Run, surface: str, start, steps: int, seed: int = 0):
    """The drawn path is the run's computed one (float32 display precision; gaps only outside the
    plot; a diverged run drawn up to its divergence step)."""
    t = run.simulate(surface, start, steps, seed)
    xs, ys = line["x"], line["y"]
    end = int(t.diverged_at) if bool(t.diverged) else t.steps + 1
    assert len(xs) == end
    inside = ~np.isnan(xs)
    assert inside.sum() >= 1  # at least the start (a path may leave the plot at once)
    tol = 1e-6 * SURFACES[surface].extent
    np.testing.assert_allclose(xs[inside], t.path[:end][inside, 0], rtol=1e-6, atol=tol)
    np.testing.assert_allclose(ys[inside], t.path[:end][inside, 1], rtol=1e-6, atol=tol)


def one_run_query(surface: str, optimizer: str, **run) -> dict[str, str]:
    q = {"surface": surface, "r0.opt": optimizer}
    q.update({f"r0.{k}": str(v) for k, v in run.items()})
    return q


# --- add, duplicate, remove ---------------------------------------------------------------------


def test_add_duplicate_and_remove_runs():
    at = clean(app({"surface": "ravine"}))
    before = state(at)
    assert len(before.runs) == 5 and set(drawn(at)) == {f"r{i}" for i in range(5)}

    at.selectbox(key="add_optimizer").set_value("adam").run()
    at.button(key="add_run").click().run()
    clean(at)
    after = state(at)
    assert len(after.runs) == 6 and after.runs[:5] == before.runs
    assert after.runs[5] == Run("adam", preset_for("ravine").hparams_for("adam"))
    assert link(at)["r5.opt"] == "adam" and set(drawn(at)) == {f"r{i}" for i in range(6)}

    open_run_editor(at, 1)
    at.select_slider(key="r1.lr").set_value(0.02).run()  # the duplicate copies what was set
    at.button(key="duplicate.1").click().run()
    clean(at)
    dup = state(at)
    assert len(dup.runs) == 7 and dup.runs[1] == dup.runs[2] and dup.runs[1].hparam("lr") == 0.02
    assert dup.runs[3:] == after.runs[2:]
    lines = drawn(at)
    np.testing.assert_array_equal(lines["r1"]["x"], lines["r2"]["x"])  # the same path ...
    assert lines["r1"]["line"]["color"] != lines["r2"]["line"]["color"]  # ... told apart by shade
    assert lines["r1"]["line"]["dash"] != lines["r2"]["line"]["dash"]  # ... and by dash
    assert lines["r1"]["name"] != lines["r2"]["name"]
    assert_path(lines["r2"], dup.runs[2], "ravine", dup.start, dup.steps)

    open_run_editor(at, 0)
    at.button(key="remove.0").click().run()
    clean(at)
    removed = state(at)
    assert removed.runs == dup.runs[1:] and "r6.opt" not in link(at)
    assert at.select_slider(key="r0.lr").value == 0.02  # the widgets followed their runs
    assert len(at.dataframe[0].value) == 6


def test_adding_stops_at_the_limit_with_a_message():
    query = {"surface": "bowl", **{f"r{i}.opt": "sgd" for i in range(MAX_RUNS)}}
    at = clean(app(query))
    assert len(state(at).runs) == MAX_RUNS
    assert at.button(key="add_run").disabled
    open_run_editor(at, 0)
    at.button(key="duplicate.0").click().run()
    clean(at)
    assert len(state(at).runs) == MAX_RUNS
    assert any("at most" in w.value for w in at.sidebar.warning)


def test_changing_a_runs_optimizer_brings_that_optimizers_preset():
    at = open_run_editor(clean(app({"surface": "beale"})), 0)
    at.selectbox(key="r0.opt").set_value("adam").run()
    clean(at)
    s = state(at)
    assert s.runs[0].optimizer == "adam" and s.runs[0].hparam_dict == preset_for("beale").hparams_for("adam")
    assert_path(drawn(at)["r0"], s.runs[0], "beale", s.start, s.steps)


def test_removing_every_run_is_a_message():
    at = clean(app(one_run_query("bowl", "sgd")))
    at.button(key="remove.0").click().run()
    clean(at)
    assert any("Add a run" in i.value for i in at.info)


# --- panels that pick a run: the sweep's and the inspector's boxes (issue 19) -----------------------


class Page:
    """What the browser holds of the select boxes that pick a run: the label each last showed (a
    select box travels as its label, not its position). The page keeps that label until the server
    sets the box again, and sends it with every rerun; AppTest sends the label of the box's current
    value instead, so a test run through `Page.run` sends what a browser would."""

    def __init__(self, at: AppTest, keys=("sweep.run", "inspect_run")):
        self.at, self.keys = at, keys
        self.held = {k: self._shown(at.selectbox(key=k)) for k in keys}

    @staticmethod
    def _shown(box) -> str:
        if box.proto.set_value and box.proto.HasField("raw_value"):
            return box.proto.raw_value
        return box.options[box.index]

    def run(self, action=None) -> AppTest:
        at, picked = self.at, {}
        for k in self.keys:
            box = at.selectbox(key=k)
            if not isinstance(box._value, InitialValue):  # the person picked a run: the page sends it
                picked[k] = box.options[box.index]
                continue

            class Held(type(box)):
                @property
                def _widget_state(self, held=self.held[k]):
                    return WidgetState(id=self.id, string_value=held)

            box.__class__ = Held
        (action or at).run()
        clean(at)
        for k in self.keys:
            box = at.selectbox(key=k)
            self.held[k] = self._shown(box) if box.proto.set_value else picked.get(k, self.held[k])
        return at


def assert_boxes_name_the_runs(page: Page):
    """The boxes offer the current runs, their values are positions in them, and the page shows
    the label of that position."""
    at = page.at
    names = labels(state(at).runs)
    shown = [names[i] for i, _ in state(at).visible_runs]
    assert at.selectbox(key="sweep.run").options == names
    assert at.selectbox(key="inspect_run").options == ["— off —", *shown]
    for key in ("sweep.run", "inspect_run"):
        box = at.selectbox(key=key)
        assert isinstance(box.value, int) and 0 <= box.value < len(box.options)
        assert page.held[key] == box.options[box.value]


def test_sweeping_twice_in_a_lesson_keeps_the_page():
    page = Page(clean(app({"lesson": "three-learning-rates"})))
    page.run(page.at.button(key="sweep.go").click())
    assert len(state(page.at).runs) == 5
    assert_boxes_name_the_runs(page)
    page.run(page.at.button(key="sweep.go").click())
    assert len(state(page.at).runs) == 7
    assert_boxes_name_the_runs(page)


def test_removing_a_run_then_sweeping_keeps_the_page():
    page = Page(open_run_editor(clean(app({"lesson": "three-learning-rates"})), 0))
    page.run(page.at.button(key="remove.0").click())
    assert len(state(page.at).runs) == 2
    before = state(page.at).runs
    page.run(page.at.button(key="sweep.go").click())
    assert_boxes_name_the_runs(page)
    assert len(state(page.at).runs) == 4 and state(page.at).runs[3] == before[1]


def test_the_picked_run_removed_then_a_sweep_sweeps_a_run_that_exists():
    at = clean(app({"lesson": "three-learning-rates"}))
    at.selectbox(key="sweep.run").set_value(2).run()
    at.selectbox(key="inspect_run").set_value(3).run()
    page = Page(open_run_editor(clean(at), 2))
    page.run(at.button(key="remove.2").click())
    assert_boxes_name_the_runs(page)
    assert at.selectbox(key="inspect_run").value == 0  # the inspected run is gone: the inspector is off
    before = state(at).runs
    page.run(at.button(key="sweep.go").click())
    assert_boxes_name_the_runs(page)
    assert len(state(at).runs) == 4 and before[0] not in state(at).runs[3:]


def test_picks_follow_their_run_when_runs_before_them_go():
    at = clean(app({"lesson": "three-learning-rates"}))
    at.selectbox(key="sweep.run").set_value(2).run()
    at.selectbox(key="inspect_run").set_value(3).run()
    page = Page(open_run_editor(clean(at), 0))
    picked = state(at).runs[2]
    page.run(at.button(key="remove.0").click())
    assert_boxes_name_the_runs(page)
    assert state(at).runs[at.selectbox(key="sweep.run").value] == picked
    assert state(at).runs[at.selectbox(key="inspect_run").value - 1] == picked
    open_run_editor(at, 0, rerun=page.run)
    page.run(at.toggle(key="r0.hidden").set_value(True))  # a run hidden before it: the inspector stays on it
    assert_boxes_name_the_runs(page)
    assert state(at).visible_runs[at.selectbox(key="inspect_run").value - 1][1] == picked


def test_the_sweeps_pick_stays_on_its_run_when_labels_change_or_collide():
    at = clean(app({"surface": "himmelblau", "r0.opt": "sgd", "r0.lr": "0.001", "r1.opt": "sgd"}))
    other = next(v for v in at.select_slider(key="r0.lr").options if v not in (0.001, state(at).runs[1].hparam("lr")))
    at.select_slider(key="r1.lr").set_value(other).run()
    at.selectbox(key="sweep.run").set_value(1).run()
    page = Page(clean(at))
    page.run(at.select_slider(key="r0.lr").set_value(other))  # now both runs have one η: "GD η=…", "GD η=… (2)"
    assert_boxes_name_the_runs(page)
    assert at.selectbox(key="sweep.run").value == 1 and page.held["sweep.run"].endswith("(2)")


# --- hide ------------------------------------------------------------------------------------------


def test_a_hidden_run_is_hidden_everywhere_and_in_the_link():
    at = clean(app({"surface": "himmelblau"}))
    lr = state(at).runs[2].hparam("lr")
    name = drawn(at)["r2"]["name"]
    open_run_editor(at, 2)
    at.toggle(key="r2.hidden").set_value(True).run()
    clean(at)
    assert "r2" not in drawn(at, "scatter") and "r2" not in drawn(at, "scatter3d")
    assert not any(t.get("legendgroup") == "r2" for t in figure(at)["data"])  # no marker either
    for key in ("loss_chart", "distance_chart", "x_chart", "y_chart"):
        assert set(chart(at, key)) == {"r0", "r1", "r3", "r4"}, key
    table = at.dataframe[0].value
    assert len(table) == 4 and name not in set(table["run"])
    assert link(at)["r2.hidden"] == "1"

    student = clean(app(link(at)))  # kept hidden in the link, with its settings
    assert state(student).runs[2].hidden and state(student).runs[2].hparam("lr") == lr
    assert "r2" not in drawn(student)
    open_run_editor(student, 2)
    student.toggle(key="r2.hidden").set_value(False).run()
    clean(student)
    assert drawn(student)["r2"]["name"] == name and "r2.hidden" not in link(student)

    for i in range(5):  # every run hidden: a message, no exception
        open_run_editor(student, i)
        student.toggle(key=f"r{i}.hidden").set_value(True).run()
    assert any("hidden" in i.value for i in clean(student).info)


def test_labels_are_automatic_editable_and_the_same_in_legend_charts_and_table():
    at = clean(app({"surface": "mse", "r0.opt": "sgd", "r1.opt": "sgd", "r1.batch": "1", "r2.opt": "sgd",
                    "r2.batch": "16"}))
    names = [drawn(at)[f"r{i}"]["name"] for i in range(3)]
    assert names == labels(state(at).runs) and len(set(names)) == 3
    assert [n.split(" η=")[0] for n in names] == ["GD", "SGD", "Mini-batch SGD b=16"]  # full batch, 1, 16 points
    open_run_editor(at, 1)
    at.text_input(key="r1.label").input("SGD, one sample").run()
    clean(at)
    assert drawn(at)["r1"]["name"] == "SGD, one sample"
    assert chart(at, "loss_chart")["r1"]["name"] == "SGD, one sample"
    assert list(at.dataframe[0].value["run"]) == [names[0], "SGD, one sample", names[2]]
    assert link(at)["r1.label"] == "SGD, one sample"
    assert drawn(clean(app(link(at))))["r1"]["name"] == "SGD, one sample"


# --- sweeps and one learning rate for all ------------------------------------------------------------


def test_sweeping_the_learning_rate_gives_runs_equal_to_separate_simulations():
    at = clean(app(one_run_query("ravine", "momentum")))
    base = state(at).runs[0]
    at.button(key="sweep.go").click().run()  # the default: lr ×⅓ ×1 ×3
    clean(at)
    s = state(at)
    assert [r.hparam("lr") for r in s.runs] == pytest.approx([base.hparam("lr") / 3, base.hparam("lr"),
                                                             base.hparam("lr") * 3], rel=1e-5)
    assert all(r.hparam("momentum") == base.hparam("momentum") for r in s.runs)
    lines = drawn(at)
    for i, run in enumerate(s.runs):
        assert_path(lines[f"r{i}"], run, "ravine", s.start, s.steps)
    assert len({lines[f"r{i}"]["name"] for i in range(3)}) == 3


def test_sweeping_the_second_of_three_runs_keeps_the_others():
    at = clean(app({"surface": "beale", "opt": "sgd,adam,nesterov"}))
    before = state(at).runs
    at.selectbox(key="sweep.run").set_value(1).run()
    assert at.selectbox(key="sweep.name").options == ["lr", "beta1", "beta2", "eps", "weight_decay", "bias_correction"]
    at.button(key="sweep.go").click().run()
    s = state(clean(at))
    assert s.runs[0] == before[0] and s.runs[4] == before[2] and len(s.runs) == 5
    assert [r.hparam("lr") for r in s.runs[1:4]] == pytest.approx([before[1].hparam("lr") * f for f in (1 / 3, 1, 3)])


def test_sweeping_any_hyperparameter_with_typed_values():
    at = clean(app(one_run_query("two_minima", "momentum")))
    at.selectbox(key="sweep.name").set_value("momentum").run()
    at.radio(key="sweep.mode").set_value("typed").run()
    at.text_input(key="sweep.values").input("0.5, 0.9, 0.95").run()
    at.button(key="sweep.go").click().run()
    clean(at)
    s = state(at)
    assert [r.hparam("momentum") for r in s.runs] == [0.5, 0.9, 0.95]
    for i, run in enumerate(s.runs):
        assert_path(drawn(at)[f"r{i}"], run, "two_minima", s.start, s.steps)
    # Bad input: a message, nothing changed.
    at.text_input(key="sweep.values").input("0.5, banana").run()
    at.button(key="sweep.go").click().run()
    assert any("Sweep not made" in w.value for w in clean(at).sidebar.warning)
    assert state(at).runs == s.runs
    at.text_input(key="sweep.values").input("0.5, 1.5").run()
    at.button(key="sweep.go").click().run()
    assert any("must lie in" in w.value for w in clean(at).sidebar.warning)


def test_adams_bias_correction_is_a_slider_of_off_and_on_and_l2_a_slider_from_zero():
    at = clean(app(one_run_query("bowl", "adam", lr="0.1")))
    switch = at.select_slider(key="r0.bias_correction")
    assert list(switch.options) == ["0", "1"] and switch.value == 1
    assert at.select_slider(key="r0.weight_decay").value == 0.0
    switch.set_value(0).run()
    at.select_slider(key="r0.weight_decay").set_value(0.1).run()
    clean(at)
    run = state(at).runs[0]
    assert run.hparam("bias_correction") == 0 and run.hparam("weight_decay") == 0.1
    assert link(at)["r0.bias_correction"] == "0" and link(at)["r0.weight_decay"] == "0.1"
    s = state(at)
    assert_path(drawn(at)["r0"], run, "bowl", s.start, s.steps)


def test_sweeping_adams_bias_correction_makes_a_run_with_it_off_and_one_with_it_on():
    at = clean(app(one_run_query("ravine", "adam", lr="0.3")))
    at.selectbox(key="sweep.name").set_value("bias_correction").run()
    at.button(key="sweep.go").click().run()
    clean(at)
    s = state(at)
    assert [r.hparam("bias_correction") for r in s.runs] == [0, 1]
    assert link(at)["r0.bias_correction"] == "0" and link(at)["r1.bias_correction"] == "1"
    for i, run in enumerate(s.runs):
        assert_path(drawn(at)[f"r{i}"], run, "ravine", s.start, s.steps)
    at.radio(key="sweep.mode").set_value("typed").run()
    at.text_input(key="sweep.values").input("0, 0.5").run()
    at.button(key="sweep.go").click().run()
    assert any("is a switch: 0 (off) or 1 (on); 0.5 is not" in w.value for w in clean(at).sidebar.warning)
    assert state(at).runs == s.runs


def test_sweeping_a_decay_rate_by_factors_acts_on_one_minus_beta():
    at = clean(app(one_run_query("bowl", "adam", beta1="0.9")))
    at.selectbox(key="sweep.name").set_value("beta1").run()
    at.button(key="sweep.go").click().run()
    clean(at)
    assert [r.hparam("beta1") for r in state(at).runs] == pytest.approx([1 - 0.1 / 3, 0.9, 0.7])


def test_one_learning_rate_for_all():
    at = clean(app({"surface": "beale"}))
    at.number_input(key="lr_for_all").set_value(0.005).run()
    at.button(key="apply_lr_for_all").click().run()
    clean(at)
    s = state(at)
    assert all(r.hparam("lr") == 0.005 for r in s.runs)
    assert all(link(at)[f"r{i}.lr"] == "0.005" for i in range(5))
    lines = drawn(at)
    for i, run in enumerate(s.runs):
        assert_path(lines[f"r{i}"], run, "beale", s.start, s.steps)


# --- coordinate charts and work axes ----------------------------------------------------------------


def test_coordinate_charts_show_each_runs_x_and_y():
    at = clean(app({"surface": "rosenbrock", "opt": "sgd,momentum,adam", "sgd.lr": "0.01"}))  # SGD diverges
    s = state(at)
    for i, run in enumerate(s.runs):
        t = run.simulate("rosenbrock", s.start, s.steps)
        end = int(t.diverged_at) if bool(t.diverged) else t.steps + 1
        for key, c in (("x_chart", 0), ("y_chart", 1)):
            line = chart(at, key)[f"r{i}"]
            # float32 where it draws the same (display_values); a diverged run's line stops
            np.testing.assert_allclose(line["y"], t.path[:end, c], rtol=1e-7)
            np.testing.assert_array_equal(line["x"], np.arange(end))
    assert any(bool(r.simulate("rosenbrock", s.start, s.steps).diverged) for r in s.runs)  # the case is tested


GD_SGD_MINIBATCH = {"surface": "mse", "r0.opt": "sgd", "r1.opt": "sgd", "r1.batch": "1", "r2.opt": "sgd",
                    "r2.batch": "16"}


@pytest.mark.parametrize("axis", ["samples", "epochs", "steps"])
def test_work_axis_on_the_regression(axis):
    at = clean(app(GD_SGD_MINIBATCH))
    at.radio(key="axis").set_value(axis).run()
    clean(at)
    s = state(at)
    assert s.axis == axis and link(at)["axis"] == axis
    # GD's work is 240 times SGD's: the work axes are logarithmic (WORK_LOG_RATIO), without work 0
    log = axis != "steps"
    title = {"samples": "samples seen (log scale)", "epochs": "epochs (log scale)", "steps": "step"}[axis]
    for key in ("loss_chart", "x_chart"):
        spec = step_charts(at)[key]
        assert spec["layout"]["xaxis"]["title"]["text"] == title
        assert spec["layout"]["xaxis"].get("type") == ("log" if log else None)
        for i, run in enumerate(s.runs):
            t = run.simulate("mse", s.start, s.steps, s.seed)
            expected = {"samples": t.samples_seen, "epochs": t.epochs, "steps": np.arange(t.steps + 1)}[axis]
            assert not t.diverged
            np.testing.assert_allclose(chart(at, key)[f"r{i}"]["x"], expected[1:] if log else expected)
    n = SURFACES["mse"].n_samples
    if axis == "epochs":  # GD: one step per epoch; SGD b=1: n steps per epoch; b=16: n // 16 (step 0 left out)
        x = {i: chart(at, "loss_chart")[f"r{i}"]["x"] for i in range(3)}
        assert x[0][0] == 1 and x[1][n - 1] == 1 and x[2][n // 16 - 1] == 1
    assert state(clean(app(link(at)))).axis == axis


def test_the_work_axis_is_offered_on_data_surfaces_only():
    at = clean(app({"surface": "beale"}))
    assert not [r for r in at.radio if r.key == "axis"] and "axis" not in link(at)


# --- schedules chosen in the sidebar ------------------------------------------------------------------

LR_CASES = [
    ("step", {"step_size": 20, "gamma": 0.5}, StepDecay(20, 0.5)),
    ("exponential", {"gamma": 0.98}, Exponential(0.98)),
    ("cosine", {"duration": 80, "final": 0.001}, Cosine(80, 0.001)),
    ("warmup", {"duration": 30, "start_factor": 0.1, "end_factor": 1.0}, Warmup(30, 0.1, 1.0)),
]


@pytest.mark.parametrize(("kind", "params", "schedule"), LR_CASES, ids=[c[0] for c in LR_CASES])
def test_each_learning_rate_schedule_chosen_in_the_ui_is_the_engines(kind, params, schedule):
    at = clean(app(one_run_query("ravine", "momentum")))
    at.selectbox(key="r0.sched.lr").set_value(kind).run()
    for name, value in params.items():
        at.number_input(key=f"r0.sched.lr.{name}").set_value(value).run()
    clean(at)
    s = state(at)
    run = s.runs[0]
    assert run.schedule_dict == {"lr": schedule}
    expected = Run("momentum", run.hparam_dict, schedules={"lr": schedule})
    assert_path(drawn(at)["r0"], expected, "ravine", s.start, s.steps)
    # The small chart next to the controls draws the schedule's values over the steps.
    svg = next(text for text in svgs(at) if "polyline" in text)
    points = re.search(r'points="([^"]+)"', svg).group(1)
    want = sparkline.points(schedule.values(s.steps, run.hparam("lr")))
    assert points == " ".join(f"{x},{y}" for x, y in want)
    assert link(at)["r0.sched.lr"] == kind
    assert state(clean(app(link(at)))).runs[0] == run  # and the link keeps it


def test_a_momentum_ramp_chosen_in_the_ui_is_the_engines():
    at = clean(app(one_run_query("two_minima", "momentum", momentum="0.99")))
    at.selectbox(key="r0.sched.momentum").set_value("ramp").run()
    at.number_input(key="r0.sched.momentum.start").set_value(0.5).run()
    at.number_input(key="r0.sched.momentum.duration").set_value(150).run()
    clean(at)
    s = state(at)
    assert s.runs[0].schedule_dict == {"momentum": Ramp(0.5, 150)}
    assert_path(drawn(at)["r0"], s.runs[0], "two_minima", s.start, s.steps)
    assert "γ: 0.5→0.99" in drawn(at)["r0"]["name"]
    at.selectbox(key="r0.sched.momentum").set_value("constant").run()
    assert state(clean(at)).runs[0].schedules == () and "r0.sched.momentum" not in link(at)


def test_adam_beta1_takes_the_momentum_schedule():
    at = clean(app(one_run_query("bowl", "adam")))
    at.selectbox(key="r0.sched.beta1").set_value("ramp").run()
    assert state(clean(at)).runs[0].schedule_dict == {"beta1": Ramp(0.5, 100)}


# --- links -----------------------------------------------------------------------------------------------


def eight_runs() -> dict[str, str]:
    return {
        "surface": "mse", "steps": "120", "seed": "3", "axis": "epochs",
        "r0.opt": "sgd", "r0.lr": "0.1",
        "r1.opt": "sgd", "r1.lr": "0.1", "r1.batch": "1", "r1.label": "SGD, one sample",
        "r2.opt": "sgd", "r2.lr": "0.1", "r2.batch": "16", "r2.hidden": "1",
        "r3.opt": "momentum", "r3.lr": "0.05", "r3.momentum": "0.99", "r3.batch": "16",
        "r3.sched.momentum": "ramp", "r3.sched.momentum.start": "0.5", "r3.sched.momentum.duration": "60",
        "r4.opt": "adam", "r4.lr": "0.05", "r4.sched.lr": "step", "r4.sched.lr.step_size": "30",
        "r4.sched.lr.gamma": "0.5",
        "r5.opt": "adam", "r5.lr": "0.00123", "r5.sched.lr": "cosine", "r5.sched.lr.duration": "100",
        "r5.sched.lr.final": "0.0001",
        "r6.opt": "rmsprop", "r6.sched.lr": "warmup", "r6.sched.lr.duration": "10",
        "r6.sched.lr.start_factor": "0.25", "r6.sched.lr.end_factor": "1",
        "r7.opt": "nesterov", "r7.batch": "4", "r7.sched.lr": "exponential", "r7.sched.lr.gamma": "0.99",
    }


def test_a_link_with_eight_runs_round_trips_exactly():
    teacher = clean(app(eight_runs()))
    assert not teacher.warning
    s = state(teacher)
    assert len(s.runs) == 8 and s.runs[2].hidden and s.runs[1].label == "SGD, one sample"
    assert s.runs[4].schedule_dict == {"lr": StepDecay(30, 0.5)} and s.runs[5].hparam("lr") == 0.00123
    assert s.runs[7].batch_size == 4 and s.axis == "epochs" and s.seed == 3
    shared = link(teacher)
    assert parse_query(shared) == s and to_query(s) == shared
    for key, value in eight_runs().items():  # everything the link said is kept as it said it
        assert shared[key] == value, key
    student = clean(app(shared))
    assert link(student) == shared and state(student) == s
    assert set(drawn(student)) == {f"r{i}" for i in range(8)} - {"r2"}
    for i, run in s.visible_runs:
        assert_path(drawn(student)[f"r{i}"], run, "mse", s.start, s.steps, s.seed)


def test_a_link_with_too_many_runs_or_bad_run_values_gives_notices():
    query = {"surface": "bowl", **{f"r{i}.opt": "sgd" for i in range(MAX_RUNS + 3)},
             "r0.lr": "banana", "r1.opt": "turbo", "r2.hidden": "maybe", "r3.label": "x" * 60,
             "r4.sched.lr": "sawtooth"}
    at = clean(app(query))
    s = state(at)
    assert len(s.runs) == MAX_RUNS and s.runs[1].optimizer == default_optimizer(1)  # unknown: the default
    text = " ".join(w.value for w in at.warning)
    for fragment in (f"kept the first {MAX_RUNS}", "not a number", "unknown optimizer", "not 0 or 1",
                     "shortened", "schedule"):
        assert fragment in text, fragment
    assert len(s.runs[3].label) <= 40


@pytest.mark.parametrize("link_v1", [link for link in LINKS_V1 if link["complete"]],
                         ids=[link["title"] for link in LINKS_V1 if link["complete"]])
def test_old_links_open_the_same_view_in_the_app(link_v1):
    """Links from before runs: one run per optimizer, with the view-wide noise or batch size; the
    paths drawn are the recorded ones."""
    at = clean(app(link_v1["query"]))
    s, view = state(at), link_v1["view"]
    assert s.surface == view["surface"] and list(s.optimizers) == view["optimizers"]
    assert s.steps == view["steps"] and s.seed == view["seed"] and list(s.start) == view["start"]
    for run in s.runs:
        recorded = view["hparams"][run.optimizer]
        # Hyperparameters added since (Adam's weight_decay and bias_correction) take their defaults: the old rule.
        added = {name: v for name, v in run.hparam_dict.items() if name not in recorded}
        assert added == {name: OPTIMIZERS[run.optimizer].defaults[name] for name in added}
        assert {name: v for name, v in run.hparam_dict.items() if name in recorded} == recorded
        assert run.noise == view["noise"] and run.batch_size == view["batch_size"]
        assert run.schedules == () and not run.hidden and run.label == ""
    lines = drawn(at, "scatter3d" if view["view"] == "3d" else "scatter")
    for i, run in enumerate(s.runs):
        t = run.simulate(s.surface, s.start, s.steps, s.seed)
        np.testing.assert_allclose(t.path[-1], [float(v) for v in link_v1["path_ends"][run.optimizer]],
                                   rtol=0, atol=1e-7 * SURFACES[s.surface].extent)
        assert_path(lines[f"r{i}"], run, s.surface, s.start, s.steps, s.seed)
    # The app rewrites the link in the new form, which opens the same view.
    assert parse_query(link(at)) == parse_query(link_v1["query"])


# --- one run's slider recomputes that run only -------------------------------------------------------------


def test_a_slider_change_of_one_run_among_eight_recomputes_only_that_run(monkeypatch):
    import optviz.core.runs

    calls = []
    real = optviz.core.runs.simulate

    def counting(surface, optimizer, *args, **kwargs):
        calls.append(optimizer)
        return real(surface, optimizer, *args, **kwargs)

    monkeypatch.setattr(optviz.core.runs, "simulate", counting)
    st.cache_data.clear()
    st.cache_resource.clear()
    query = {"surface": "beale", **{f"r{i}.opt": k for i, k in enumerate(
        ["sgd", "momentum", "nesterov", "rmsprop", "adam", "adam", "adagrad", "nadam"])}}
    query["r5.lr"] = "0.05"
    at = clean(app(query))
    assert len(calls) == 8
    for i in (3, 4, 6):  # opening an editor computes nothing either
        open_run_editor(at, i)
    assert len(calls) == 8
    lr = at.select_slider(key="r3.lr")
    grid = OPTIMIZERS["rmsprop"].hparam("lr").grid()
    lr.set_value(grid[grid.index(lr.value) + 1]).run()
    clean(at)
    assert calls[8:] == ["rmsprop"]
    at.text_input(key="r4.label").input("Adam, the default").run()  # a label computes nothing
    at.toggle(key="r6.hidden").set_value(True).run()  # nor does hiding
    at.toggle(key="r6.hidden").set_value(False).run()
    clean(at)
    assert calls[9:] == []


def test_run_styles_tell_runs_of_one_optimizer_apart():
    styles = run_styles([f"r{i}" for i in range(4)], list("abcd"), ["sgd", "sgd", "sgd", "momentum"])
    assert len({s.color for s in styles}) == 4 and len({s.dash for s in styles}) == 4
    assert len({s.symbol for s in styles}) == 4
    assert run_styles(["r0", "r1"], ["a", "b"], ["momentum", "sgd"])[:1] == run_styles(
        ["r0"], ["a"], ["momentum"])  # a later run restyles no earlier one


def test_gd_sgd_and_minibatch_keep_one_colour_each_in_every_chart_the_table_and_the_tools():
    at = clean(app({"lesson": "gd-sgd-minibatch", "tool": "sensitivity"}))
    colours = [drawn(at)[f"r{i}"]["line"]["color"] for i in range(3)]
    assert len(set(colours)) == 3
    for i in range(3):  # every run editor open, each with its swatch
        open_run_editor(at, i)
    assert [chart(at, "loss_chart")[f"r{i}"]["line"]["color"] for i in range(3)] == colours
    swatches = [svg for svg in svgs(at) if any(c in svg for c in colours)]
    for c in colours:  # the run editor's swatch
        assert any(c in svg for svg in swatches), c
    results = next(d.value for d in at.dataframe if RESULT_LINE in d.value.columns)
    table = list(results[RESULT_LINE])  # the results table's swatches (data URLs)
    for c, url in zip(colours, table, strict=True):
        assert c in sparkline.svg_of_data_url(url), c
    sensitivity = step_charts(at)["sensitivity_view"]
    lines = [t for t in sensitivity["data"] if str(t.get("mode", "")).startswith("lines")]
    assert [t["line"]["color"] for t in lines] == colours


def test_the_share_link_is_readable():
    at = clean(app(GD_SGD_MINIBATCH))
    text = urlencode(link(at))
    assert "r1.batch=1" in text and "r2.batch=16" in text and len(text) < 1000


# --- lessons -------------------------------------------------------------------------------------------

LESSONS = load_lessons()


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_each_lesson_opens_from_its_link_and_shows_what_it_claims(lesson):
    at = clean(app({"lesson": lesson.key}))
    assert not at.warning, [w.value for w in at.warning]  # every lesson value is one a link carries
    s = state(at)
    v = lesson.view
    assert s.runs == v.runs and s.start == tuple(v.start) and s.steps == v.steps and s.seed == v.seed
    assert s.view == (v.view or "both") and (not SURFACES[v.surface].has_data or s.axis == v.axis)
    assert link(at)["lesson"] == lesson.key
    text = " ".join(m.value for m in at.markdown)
    assert lesson.title in text and lesson.question in text
    # What is drawn is the lesson's runs, and on those the lesson's claims hold.
    cell = "scatter3d" if s.view == "3d" else "scatter"
    lines = drawn(at, cell)
    names = labels(s.runs)  # automatic, as in any view (issue 19.2)
    for i, run in s.visible_runs:
        assert lines[f"r{i}"]["name"] == names[i]
        assert_path(lines[f"r{i}"], run, s.surface, s.start, s.steps, s.seed)
    runs = {n: r.simulate(s.surface, s.start, s.steps, s.seed) for n, r in zip(lesson.names, s.runs, strict=True)}
    assert check(lesson, runs) == []


def test_a_lesson_opens_from_the_gallery_and_a_change_leaves_it():
    at = clean(app({"surface": "bowl"}))
    assert not [b for b in at.button if b.key and b.key.startswith("lesson.")]  # built only while open
    at.session_state["lessons_panel"] = True  # the person opens the gallery
    at.run()
    lesson = LESSONS[1]
    at.button(key=f"lesson.{lesson.key}").click().run()
    clean(at)
    assert state(at).runs == lesson.view.runs and link(at)["lesson"] == lesson.key
    at.select_slider(key="steps").set_value(40).run()  # the person changes the view: no longer the lesson's
    clean(at)
    assert "lesson" not in link(at)
    assert any("changed the lesson" in c.value for c in at.caption)
    at.button(key="lesson_reopen").click().run()
    assert state(clean(at)).steps == lesson.view.steps and link(at)["lesson"] == lesson.key
    at.button(key="lesson_close").click().run()
    assert "lesson" not in link(clean(at)) and not [b for b in at.button if b.key == "lesson_close"]


def test_an_unknown_lesson_is_a_notice():
    at = clean(app({"lesson": "no-such-lesson", "surface": "ravine"}))
    assert any("unknown lesson" in w.value for w in at.warning) and state(at).surface == "ravine"


def test_a_lessons_labels_follow_a_changed_learning_rate():
    """Issue 19.2: in the ravine lesson, GD's η raised from 0.4: the legend and the results table
    say the new η (a lesson's labels are derived from its runs, never frozen in the file)."""
    at = open_run_editor(clean(app({"lesson": "ravine-zigzag"})), 0)
    lr = at.select_slider(key="r0.lr")
    assert lr.value == 0.4
    new = next(v for v in lr.options if float(v) == 0.5)
    lr.set_value(new).run()
    s = state(clean(at))
    assert s.runs[0].hparam("lr") == 0.5
    names = {g: line["name"] for g, line in drawn(at).items()}
    assert "η=0.5" in names["r0"] and "0.4" not in names["r0"], names
    assert names["r0"] == labels(s.runs)[0]
    table = at.dataframe[0].value
    rows = list(table["Run"]) if "Run" in table.columns else list(table.iloc[:, 1])
    assert any("η=0.5" in str(r) for r in rows) and not any("η=0.4" in str(r) for r in rows), rows


def test_opening_a_lesson_closes_the_lessons_panel():
    """Issue 19.9: Open in a lesson's card closes the panel, so the page shows the chart, not 17 cards."""
    at = clean(app({"surface": "bowl"}))
    at.session_state["lessons_panel"] = True
    at.run()
    assert [b for b in at.button if b.key and b.key.startswith("lesson.")]  # the cards are shown
    at.button(key="lesson.ravine-zigzag").click().run()
    clean(at)
    assert link(at)["lesson"] == "ravine-zigzag"
    assert not at.session_state["lessons_panel"]
    assert not [b for b in at.button if b.key and b.key.startswith("lesson.")]  # closed: no cards built


def test_a_lesson_box_says_its_seed_what_converged_means_and_its_notes():
    """Issue 22.4: the lesson box names the seed (and that it draws the batches), states the
    convergence rule next to the outcomes, and puts a run's note after its automatic label."""
    from optviz.core.engine import CONVERGENCE_RULE

    at = clean(app({"lesson": "gd-sgd-minibatch"}))
    captions = " ".join(c.value for c in at.caption)
    assert "Seed 0: it draws the mini-batches" in captions and CONVERGENCE_RULE in captions
    s = state(at)
    text = " ".join(m.value for m in at.markdown)
    assert f"**{labels(s.runs)[0]}**: the whole data set" in text
    at = clean(app({"lesson": "ravine-zigzag"}))
    assert "no run here draws anything at random" in " ".join(c.value for c in at.caption)


def test_the_noise_floor_lesson_shows_single_points_against_mini_batches():
    """Issue 22.3: the picture of the per-sample gradients at the start next to the batch means,
    with its caption computed from it (the view's start and seed)."""
    from optviz.analysis.gradient_spread import SPREAD_BATCH, gradient_spread

    at = clean(app({"lesson": "noise-floor"}))
    s = state(at)
    charts = step_charts(at)
    assert "lesson_picture" in charts
    names = [t["name"] for t in charts["lesson_picture"]["data"]]
    assert "one point's step (SGD), uphill" in names and f"a mini-batch's step (b={SPREAD_BATCH})" in names
    words = gradient_spread(SURFACES[s.surface], s.start, SPREAD_BATCH, s.seed).words()
    assert words in [c.value for c in at.caption]
