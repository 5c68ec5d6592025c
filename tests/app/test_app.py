"""The Streamlit app, driven as a person would through streamlit.testing.v1.AppTest."""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from optviz import OPTIMIZERS, simulate
from optviz.app.figure_component import CHART_NAME
from optviz.app.settings import MAX_RUNS
from optviz.app.share import format_number, parse_query
from optviz.core.presets import PRESETS, preset_for
from optviz.core.registry import DEFAULT_SELECTION
from optviz.plot import camera, styles
from optviz.plot.trajectory import CASING, MARKER_CASING
from surfaces import SURFACES
from tests.apptest_support import app, decode, open_run_editor, step_charts, trajectory_figure
from tests.apptest_support import clean as assert_clean


def run_optimizers(at: AppTest) -> dict[str, str]:
    """Legend group (r<i>) -> the run's optimizer, from the app's link."""
    state = parse_query({k: query_value(at, k) for k in at.query_params})
    return {f"r{i}": r.optimizer for i, r in enumerate(state.runs)}


def hp(at: AppTest, optimizer: str, name: str) -> str:
    """The key (widget and link) of a hyperparameter of the first run of `optimizer`."""
    index = next(g for g, o in run_optimizers(at).items() if o == optimizer)
    return f"{index}.{name}"


def paths(at: AppTest, kind="scatter3d") -> dict[str, tuple]:
    """Each run's drawn path in one cell of the trajectory figure, by its optimizer (one run each)."""
    out, optimizer = {}, run_optimizers(at)
    for trace in trajectory_figure(at)["data"]:
        if trace["type"] == kind and trace.get("mode") == "lines" and trace.get("meta") != CASING:
            out[optimizer[trace["legendgroup"]]] = (tuple(decode(trace["x"]).tolist()),
                                                    tuple(decode(trace["y"]).tolist()))
    return out




def loss_lines(at: AppTest) -> dict[str, tuple]:
    spec = step_charts(at)["loss_chart"]
    optimizer = run_optimizers(at)
    return {optimizer[t["legendgroup"]]: tuple(decode(t["y"]).tolist()) for t in spec["data"]}


def query_value(at: AppTest, key: str) -> str:
    value = at.query_params[key]
    return value[-1] if isinstance(value, list) else value



@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface_renders_with_the_default_optimizers(surface):
    at = app({"surface": surface})
    assert_clean(at)
    assert not at.warning
    drawn = paths(at)
    assert set(drawn) == set(DEFAULT_SELECTION)
    # What is drawn is the engine's path with the surface's preset.
    preset = preset_for(surface)
    for key in DEFAULT_SELECTION:
        t = simulate(surface, key, preset.start, preset.steps, **preset.hparams_for(key))
        xs = np.array(drawn[key][0])
        xs = xs[: np.argmax(np.isnan(xs))] if np.isnan(xs).any() else xs  # drawn until it leaves the plot
        np.testing.assert_allclose(xs, t.path[: len(xs), 0], rtol=1e-6, atol=1e-6 * SURFACES[surface].extent)
        assert len(xs) >= 2
    # loss, distance (where a minimum is known), x(t) and y(t)
    expected = {"loss_chart", "x_chart", "y_chart"} | (set() if surface == "saddle" else {"distance_chart"})
    assert set(step_charts(at)) == expected
    assert at.dataframe[0].value.shape[0] == len(DEFAULT_SELECTION)


def test_changing_a_learning_rate_changes_that_path_and_no_other():
    at = app({"surface": "ravine"})
    before, loss_before = paths(at), loss_lines(at)
    open_run_editor(at, int(hp(at, "momentum", "lr")[1:].split(".")[0]))
    lr = at.select_slider(key=hp(at, "momentum", "lr"))
    options = OPTIMIZERS["momentum"].hparam("lr").grid()
    lr.set_value(options[options.index(lr.value) - 3]).run()
    assert_clean(at)
    after, loss_after = paths(at), loss_lines(at)
    assert after["momentum"] != before["momentum"] and loss_after["momentum"] != loss_before["momentum"]
    for key in set(before) - {"momentum"}:
        assert after[key] == before[key] and loss_after[key] == loss_before[key], key
    key = hp(at, "momentum", "lr")
    assert query_value(at, key) == format_number(at.select_slider(key=key).value)


# Every optimizer, in views of at most MAX_RUNS runs (a view holds that many).
OPTIMIZER_GROUPS = [list(OPTIMIZERS)[i:i + MAX_RUNS] for i in range(0, len(OPTIMIZERS), MAX_RUNS)]


@pytest.mark.parametrize("group", OPTIMIZER_GROUPS, ids=[g[0] for g in OPTIMIZER_GROUPS])
def test_a_run_of_every_optimizer(group):
    at = app({"surface": "beale", "opt": group[0]})
    for key in group[1:]:  # added in the sidebar
        at.selectbox(key="add_optimizer").set_value(key).run()
        at.button(key="add_run").click().run()
    assert_clean(at)
    assert set(paths(at)) == set(group) == set(paths(at, "scatter"))
    assert at.dataframe[0].value.shape[0] == len(group)
    colours: dict[str, set] = {}
    casings: dict[str, set] = {}
    for t in trajectory_figure(at)["data"]:
        if t.get("legendgroup"):
            into = casings if t.get("meta") in (CASING, MARKER_CASING) else colours
            into.setdefault(t["legendgroup"], set()).add((t.get("line") or t.get("marker"))["color"])
    optimizer = run_optimizers(at)
    # each run its own colour (the view's i-th run colour, whatever its optimizer), everywhere;
    # beneath each path its casing
    colour = {g: styles.run_style(int(g[1:])).color for g in optimizer}
    assert len({(c, styles.run_style(int(g[1:])).dash) for g, c in colour.items()}) == len(colour)
    assert colours == {g: {colour[g]} for g in optimizer}
    assert casings == {g: {styles.casing_for(colour[g])} for g in optimizer}
    charts = step_charts(at)
    assert charts
    for chart in charts.values():
        for t in chart["data"]:
            assert t["line"]["color"] == colour[t["legendgroup"]]


def test_share_link_round_trip_reproduces_the_view():
    teacher = app({"surface": "mse", "opt": "sgd,adam,nadam"})
    for i in range(3):
        open_run_editor(teacher, i)
        teacher.select_slider(key=f"r{i}.batch").set_value(8).run()
    teacher.number_input(key="seed").set_value(42).run()
    teacher.select_slider(key=hp(teacher, "adam", "beta2")).set_value(0.9995).run()
    teacher.select_slider(key="steps").set_value(120).run()
    assert_clean(teacher)
    link = {k: query_value(teacher, k) for k in teacher.query_params}
    assert link["r0.batch"] == link["r1.batch"] == "8" and link["r1.beta2"] == "0.9995" and link["seed"] == "42"

    student = app(link)
    assert_clean(student)
    assert not student.warning
    assert trajectory_figure(student)["data"] == trajectory_figure(teacher)["data"]  # byte for byte
    assert loss_lines(student) == loss_lines(teacher)
    for i in (1, 2):
        open_run_editor(student, i)
    assert student.select_slider(key=hp(student, "adam", "beta2")).value == 0.9995
    assert student.select_slider(key="r2.batch").value == 8


def test_a_typed_exact_learning_rate_survives_the_link():
    teacher = app({"surface": "bowl", "opt": "sgd,adam"})
    teacher.toggle(key="exact").set_value(True).run()
    assert_clean(teacher)
    assert teacher.number_input(key=hp(teacher, "adam", "lr")).value == PRESETS["bowl"].hparams_for("adam")["lr"]
    teacher.number_input(key=hp(teacher, "adam", "lr")).set_value(0.0123457).run()
    teacher.number_input(key="steps").set_value(137).run()
    teacher.number_input(key="r1.noise").set_value(0.33).run()
    assert_clean(teacher)
    link = {k: query_value(teacher, k) for k in teacher.query_params}
    assert link["r1.lr"] == "0.0123457" and link["steps"] == "137" and link["r1.noise"] == "0.33"
    expected = simulate("bowl", "adam", PRESETS["bowl"].start, 137, noise=0.33, lr=0.0123457,
                        **{k: v for k, v in OPTIMIZERS["adam"].defaults.items() if k != "lr"})
    drawn = np.array(paths(teacher, "scatter")["adam"][0])  # drawn in float32
    np.testing.assert_allclose(drawn, expected.path[:, 0], rtol=1e-6)

    # Back to sliders: the typed values stay, shown as an extra slider position.
    teacher.toggle(key="exact").set_value(False).run()
    assert teacher.select_slider(key=hp(teacher, "adam", "lr")).value == 0.0123457
    assert "0.0123457" in teacher.select_slider(key=hp(teacher, "adam", "lr")).options

    student = app(link)  # a student opens it with sliders: the exact values, no notice
    assert_clean(student)
    assert not student.warning
    assert student.select_slider(key=hp(student, "adam", "lr")).value == 0.0123457
    assert student.select_slider(key="steps").value == 137 and student.select_slider(key="r1.noise").value == 0.33
    assert paths(student, "scatter") == paths(teacher, "scatter")


def test_decay_rates_move_on_the_nines_scale():
    at = app({"surface": "saddle", "opt": "momentum,adam"})
    momentum = at.select_slider(key=hp(at, "momentum", "momentum"))
    options = [float(o) for o in momentum.options]
    for value in (0.0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999):
        assert value in options, value
    assert options.index(0.99) - options.index(0.9) <= 6  # a few key presses, not 90
    assert options.index(0.999) - options.index(0.99) <= 6
    assert "0.9995" in [momentum.format_func(o) for o in momentum.options]  # read as typed
    momentum.set_value(0.9999).run()
    assert_clean(at)
    assert query_value(at, hp(at, "momentum", "momentum")) == "0.9999"


@pytest.mark.parametrize(
    "query",
    [
        {"surface": "garbage", "opt": "sgd,,🙂", "steps": "NaN", "x0": "1e999"},
        {"adam.lr": "nan", "adam.beta2": "7", "seed": "-1", "cam": "a,b,c", "zzz": "1"},
        {"steps": "1e308", "noise": "inf", "view": "<script>", "speed": "1e12"},
        {"surface": "mse", "batch": "-5", "opt": "sgd", "sgd.lr": "0"},
    ],
)
def test_bad_links_give_a_notice_and_no_exception(query):
    at = app(query)
    assert_clean(at)
    assert at.warning, "the person is told what was replaced"
    expected = parse_query(query)
    assert len(at.warning) == len(expected.notices)
    assert paths(at)


def test_switching_surface_brings_its_preset_and_back_brings_what_was_set():
    at = app({"surface": "saddle", "opt": "sgd,momentum,adam"})
    for i in range(3):
        open_run_editor(at, i)
    at.select_slider(key=hp(at, "momentum", "momentum")).set_value(0.999).run()
    at.number_input(key="x0").set_value(-1.5).run()
    at.number_input(key="y0").set_value(0.3).run()
    at.select_slider(key="r0.noise").set_value(0.5).run()
    at.select_slider(key=hp(at, "adam", "beta1")).set_value(0.95).run()
    at.selectbox(key="r2.opt").set_value("nesterov").run()  # adam set aside ...
    at.selectbox(key="surface").set_value("beale").run()
    assert_clean(at)
    beale = PRESETS["beale"]  # the first visit: the preset
    assert (at.number_input(key="x0").value, at.number_input(key="y0").value) == beale.start
    assert at.select_slider(key=hp(at, "momentum", "momentum")).value == beale.hparams_for("momentum")["momentum"]
    assert at.select_slider(key="r0.noise").value == 0.0
    at.select_slider(key=hp(at, "sgd", "lr")).set_value(0.02).run()

    at.selectbox(key="surface").set_value("saddle").run()  # back: what the person had there
    assert_clean(at)
    assert at.select_slider(key=hp(at, "momentum", "momentum")).value == 0.999
    assert (at.number_input(key="x0").value, at.number_input(key="y0").value) == (-1.5, 0.3)
    assert at.select_slider(key="r0.noise").value == 0.5
    at.selectbox(key="r2.opt").set_value("adam").run()  # ... and back
    assert at.select_slider(key=hp(at, "adam", "beta1")).value == 0.95
    assert at.select_slider(key=hp(at, "adam", "lr")).value == PRESETS["saddle"].hparams_for("adam")["lr"]
    assert query_value(at, hp(at, "adam", "beta1")) == "0.95"

    at.selectbox(key="surface").set_value("beale").run()
    assert at.select_slider(key=hp(at, "sgd", "lr")).value == 0.02
    assert query_value(at, hp(at, "sgd", "lr")) == "0.02" and query_value(at, "surface") == "beale"


def test_reset_says_what_it_resets_and_resets_only_that():
    at = app({"surface": "himmelblau", "opt": "sgd,adam"})
    preset = PRESETS["himmelblau"]
    at.select_slider(key=hp(at, "adam", "lr")).set_value(0.001).run()
    at.number_input(key="x0").set_value(1.0).run()
    at.select_slider(key="steps").set_value(400).run()
    at.number_input(key="seed").set_value(7).run()
    at.select_slider(key="r1.noise").set_value(0.2).run()
    at.radio(key="contour").set_value("lines").run()
    reset = at.button(key="reset")
    assert reset.label.startswith("Reset start, steps and hyperparameters")
    assert "seed" in reset.help and "stay" in reset.help
    reset.click().run()
    assert_clean(at)
    assert at.select_slider(key=hp(at, "adam", "lr")).value == preset.hparams_for("adam")["lr"]
    assert at.number_input(key="x0").value == preset.start[0]
    assert at.select_slider(key="steps").value == preset.steps
    # and nothing else
    assert at.number_input(key="seed").value == 7 and at.select_slider(key="r1.noise").value == 0.2
    assert at.radio(key="contour").value == "lines"
    assert [at.selectbox(key=f"r{i}.opt").value for i in range(2)] == ["sgd", "adam"]


def test_link_notices_disappear_once_the_person_changes_something():
    at = app({"surface": "bowl", "steps": "abc", "zzz": "1"})
    assert len(at.warning) == 2
    at.run()  # a rerun that changes nothing keeps them
    assert len(at.warning) == 2
    at.select_slider(key="steps").set_value(300).run()
    assert_clean(at)
    assert not at.warning


def test_gd_on_the_bowl_diverges_at_the_top_of_its_slider():
    """The baseline lesson: too large a learning rate diverges (2/L = 1 on the bowl)."""
    at = app({"surface": "bowl", "opt": "sgd"})
    lr = at.select_slider(key=hp(at, "sgd", "lr"))
    lr.set_value(float(lr.options[-1])).run()
    assert_clean(at)
    top = OPTIMIZERS["sgd"].hparam("lr").high
    assert at.select_slider(key=hp(at, "sgd", "lr")).value == top >= 2.0
    assert simulate("bowl", "sgd", PRESETS["bowl"].start, PRESETS["bowl"].steps, lr=top).diverged
    # The table says so, whatever its layout: a "diverged" column with a step, or a cell saying it.
    row = {str(k): str(v) for k, v in at.dataframe[0].value.iloc[0].items()}
    assert any("diverg" in k.lower() and v.strip() not in ("—", "", "None", "nan") for k, v in row.items()) or any(
        "diverg" in v.lower() for v in row.values()), row


def test_server_timing_only_with_the_debug_flag():
    at = app()
    assert at.session_state["render_ms"] > 0
    assert not any("Computed and drawn" in c.value for c in at.caption)
    debug = app({"debug": "1"})
    assert any("Computed and drawn" in c.value for c in debug.caption)
    assert not debug.warning  # the flag is not an unknown parameter
    assert query_value(debug, "debug") == "1"


def test_one_entry_each_a_new_optimizer_and_a_new_surface(monkeypatch):
    """The promise of docs/extending.md: a registry entry and a surface entry are all the app needs."""
    from optviz.core.optimizers import Optimizer
    from optviz.core.registry import HParam, OptimizerSpec, lr
    from surfaces import Minimum, Surface

    def sign_descent(lr: float, shrink: float) -> Optimizer:
        def init(params):
            return (0,)  # the step count

        def update(grads, state, params):
            (count,) = state
            return -lr * shrink**count * np.sign(grads), (count + 1,)

        return Optimizer(init, update)

    spec = OptimizerSpec("sign_test", "Sign descent (test)", sign_descent,
                         (lr(0.05), HParam("shrink", 0.99, 0.5, 0.9999, scale="nines", symbol="s", help="step decay")),
                         r"\theta_t = \theta_{t-1} - \eta s^t \operatorname{sign}(g_t)", "a test", "#123456")
    flat = Surface(key="cone_test", title="A test cone", f=lambda p: np.sqrt((p**2).sum(-1) + 1.0),
                   grad=lambda p: p / np.sqrt((p**2).sum(-1, keepdims=True) + 1.0),
                   domain=((-2.0, 2.0), (-2.0, 2.0)), minima=(Minimum(0.0, 0.0, 1.0),), f_min=1.0,
                   latex=r"\sqrt{x^2+y^2+1}", start=(1.5, -1.0), description="a test surface")
    monkeypatch.setitem(OPTIMIZERS, "sign_test", spec)
    monkeypatch.setitem(SURFACES, "cone_test", flat)

    at = app({"surface": "cone_test", "opt": "sign_test,adam"})
    assert_clean(at)
    assert not at.warning
    assert (at.number_input(key="x0").value, at.number_input(key="y0").value) == (1.5, -1.0)
    assert at.select_slider(key="steps").value == 200
    assert at.select_slider(key=hp(at, "sign_test", "shrink")).value == 0.99
    drawn = paths(at, "scatter")
    expected = simulate(flat, spec, (1.5, -1.0), 200, lr=0.05, shrink=0.99)
    np.testing.assert_allclose(np.array(drawn["sign_test"][0]), expected.path[:, 0])
    at.select_slider(key=hp(at, "sign_test", "shrink")).set_value(0.9).run()
    assert_clean(at)
    assert query_value(at, hp(at, "sign_test", "shrink")) == "0.9"
    at.button(key="reset").click().run()  # Reset on a surface without a preset
    assert at.select_slider(key=hp(at, "sign_test", "shrink")).value == 0.99


def test_no_run_is_a_message():
    at = app({"opt": "sgd,adam"})
    at.button(key="remove.1").click().run()
    at.button(key="remove.0").click().run()
    assert_clean(at)
    assert any("Add a run" in i.value for i in at.info)


@pytest.mark.parametrize("view", ["3d", "contour"])
def test_single_views(view):
    at = app({"view": view, "surface": "himmelblau"})
    assert_clean(at)
    kinds = {t["type"] for t in trajectory_figure(at)["data"]}
    assert ("surface" in kinds) == (view == "3d") and ("contour" in kinds) == (view == "contour")


def test_camera_from_the_link_and_from_a_preset_button():
    at = app({"cam": "0.5,-2,1"})
    eye = trajectory_figure(at)["layout"]["scene"]["camera"]["eye"]
    assert (eye["x"], eye["y"], eye["z"]) == (0.5, -2.0, 1.0)
    at.button_group[0].set_value("Top").run()
    assert_clean(at)
    eye = trajectory_figure(at)["layout"]["scene"]["camera"]["eye"]
    assert (eye["x"], eye["y"], eye["z"]) == camera.CAMERA_PRESETS["Top"]
    assert query_value(at, "cam") == ",".join(format_number(v) for v in camera.CAMERA_PRESETS["Top"])


def test_values_are_shown_at_their_precision():
    at = app({"surface": "bowl", "opt": "adam,sgd", "adam.lr": "0.0003", "adam.beta2": "0.999"})
    assert_clean(at)
    lr = at.select_slider(key=hp(at, "adam", "lr"))
    assert lr.value == 0.0003 and lr.format_func(lr.value) == "0.0003"
    beta2 = at.select_slider(key=hp(at, "adam", "beta2"))
    assert beta2.value == 0.999 and beta2.format_func(beta2.value) == "0.999"
    eps = at.select_slider(key=hp(at, "adam", "eps"))
    assert eps.format_func(1e-8) == "1e-08"


def test_line_contours_from_the_link_and_the_control():
    at = app({"contour": "lines", "surface": "rosenbrock"})
    assert_clean(at)
    contour = next(t for t in trajectory_figure(at)["data"] if t["type"] == "contour")
    assert contour["contours"]["coloring"] == "lines"
    at.radio(key="contour").set_value("filled").run()
    contour = next(t for t in trajectory_figure(at)["data"] if t["type"] == "contour")
    assert contour["contours"]["coloring"] == "fill" and query_value(at, "contour") == "filled"


@pytest.mark.parametrize("group", OPTIMIZER_GROUPS, ids=[g[0] for g in OPTIMIZER_GROUPS])
@pytest.mark.parametrize("end", ["low", "high"])
@pytest.mark.parametrize("surface", ["beale", "saddle", "mse"])
def test_every_slider_at_its_extreme(surface, end, group):
    """Every hyperparameter of every optimizer at the end of its range, 1000 steps, full noise:
    paths blow up, and the page says so in numbers, never NaN and never a traceback."""
    query = {"surface": surface, "opt": ",".join(group), "steps": "1000", "seed": "2147483647"}
    for key in group:
        for h in OPTIMIZERS[key].hparams:
            query[f"{key}.{h.name}"] = format_number(getattr(h, end))
    query.update({"batch": "1"} if surface == "mse" else {"noise": "10"})
    at = app(query)
    assert_clean(at)
    assert not at.warning  # all values were legal
    table = at.dataframe[0].value
    assert not table.astype(str).apply(lambda col: col.str.contains("nan", case=False)).any().any()
    for trace in trajectory_figure(at)["data"]:
        for dim in ("x", "y", "z"):
            if dim in trace and trace["type"] != "surface":
                values = decode(trace[dim])
                assert not np.isinf(values).any()  # gaps are NaN (outside the plot), never infinities
                if str(trace.get("mode", "")).startswith("lines"):
                    # a path: its start lies inside the plot. A marker may be empty (its point is outside).
                    assert np.isfinite(values).any(), trace.get("name")
    charts = [e for e in at.get("bidi_component") if e.proto.component_name == CHART_NAME]
    assert charts
    for chart in charts:
        json.loads(bytes(chart.proto.bytes))  # strict JSON


def test_results_table_says_what_was_computed():
    """The table shows the engine's outcomes: on the saddle every optimizer that leaves the plot
    is 'escaped' (none 'diverged'); on Rosenbrock with a too-large GD step, 'diverged' and no minimum."""
    at = app({"surface": "saddle", "opt": "sgd,momentum,adam"})
    assert_clean(at)
    table = at.dataframe[0].value
    outcomes = dict(zip(("sgd", "momentum", "adam"), table["outcome"], strict=True))  # rows in the runs' order
    for key in ("momentum", "adam"):
        assert outcomes[key].startswith("escaped the plot at step"), outcomes
    assert not any("diverged" in o for o in outcomes.values()), outcomes

    at = app({"surface": "rosenbrock", "opt": "sgd", "sgd.lr": "0.01"})
    assert_clean(at)
    row = at.dataframe[0].value.iloc[0]
    t = simulate("rosenbrock", "sgd", PRESETS["rosenbrock"].start, PRESETS["rosenbrock"].steps, lr=0.01)
    assert t.diverged
    assert row["outcome"] == f"diverged at step {int(t.diverged_at)}"


@pytest.mark.parametrize("group", OPTIMIZER_GROUPS, ids=[g[0] for g in OPTIMIZER_GROUPS])
def test_exact_values_for_every_hyperparameter_and_back_to_sliders(group):
    at = app({"surface": "saddle", "opt": ",".join(group)})
    at.toggle(key="exact").set_value(True).run()
    for i in range(len(group)):
        open_run_editor(at, i)
    keys = {w.key for w in at.number_input}
    assert {f"r{i}.{h.name}" for i, k in enumerate(group) for h in OPTIMIZERS[k].hparams} <= keys
    assert {"steps", "r0.noise", "speed"} <= keys
    if not {"adadelta", "rmsprop"} <= set(group):
        return
    at.number_input(key=hp(at, "adadelta", "eps")).set_value(3.3e-7).run()
    at.number_input(key=hp(at, "rmsprop", "rho")).set_value(0.91234).run()
    assert query_value(at, hp(at, "adadelta", "eps")) == "3.3e-07"
    assert query_value(at, hp(at, "rmsprop", "rho")) == "0.91234"
    at.toggle(key="exact").set_value(False).run()
    assert_clean(at)
    assert at.select_slider(key=hp(at, "adadelta", "eps")).value == 3.3e-7
    assert at.select_slider(key=hp(at, "rmsprop", "rho")).value == 0.91234
    assert not at.warning


def _widget_messages(at: AppTest) -> dict[str, bytes]:
    """Every keyed widget on the page, as the message Streamlit sends for it."""
    out = {}

    def walk(node):
        for child in getattr(node, "children", {}).values():
            walk(child)
        proto = getattr(node, "proto", None)
        if getattr(node, "key", None) and proto is not None and hasattr(proto, "set_value"):
            out[node.key] = proto
    walk(at._tree)
    return out


@pytest.mark.parametrize("query", [{}, {"s": "ravine", "steps": "80", "r1.lr": "0.05"}])
def test_the_first_change_after_a_load_resends_only_the_widgets_it_changed(query):
    """A widget the change did not touch is the same message as on the first page (which the page
    then holds, so it goes as a short reference), with or without a link's values; the first
    page forces no widget's value (settle_session_state in optviz/app/session.py)."""
    at = assert_clean(app(query))
    first_page = _widget_messages(at)
    assert not [k for k, p in first_page.items() if p.set_value]  # drawn with its value as the default
    for i in range(5):  # the run editors (closed on a first page of five runs) draw theirs once opened
        open_run_editor(at, i)
    opened = _widget_messages(at)
    # ... also with its value as the default; and opening an editor changed no other widget (but the
    # sweep's values field, forced on every rerun: see below)
    assert not [k for k, p in opened.items() if p.set_value and k != "sweep.values"]
    assert {k: opened[k].SerializeToString() for k in first_page if k != "sweep.values"} == {
        k: p.SerializeToString() for k, p in first_page.items() if k != "sweep.values"}
    first = {**opened, **first_page}  # each widget's message on the first page that drew it
    assert len(first) > 30 and set(first_page) < set(first)
    lr = at.select_slider(key="r0.lr")
    lr.set_value(lr.options[3]).run()
    assert_clean(at)
    after = _widget_messages(at)
    assert set(after) == set(first)
    changed = {k for k in first if first[k].SerializeToString() != after[k].SerializeToString()}
    # the slider moved, run 0's label field (its placeholder is the automatic label "SGD η=…"),
    # the two run pickers that list the runs by label, and the sweep's values field: disabled (the
    # sweep is by factors), so Streamlit discards the state the page reports for it and sends it
    # back forced on every rerun (the same ~200 bytes each time, in the browser too)
    assert changed == {"r0.lr", "r0.label", "inspect_run", "sweep.run", "sweep.values"}, changed
    # A run picker whose picked run's label changed is set to the new label (the page would otherwise
    # hold, and send back, a label no option has: issue 19); nothing else is forced.
    relabelled = {k for k in ("sweep.run", "inspect_run")
                  if first[k].options[first[k].default] != after[k].options[after[k].default]}
    assert {k for k, p in after.items() if p.set_value and k != "sweep.values"} == relabelled
    assert all(after[k].raw_value == after[k].options[after[k].default] for k in relabelled)
    # ... and a second change resends what it changed and nothing else (the forced values field is
    # now the message of the run before)
    lr = at.select_slider(key="r0.lr")
    lr.set_value(lr.options[4]).run()
    again = _widget_messages(at)
    assert {k for k in after if after[k].SerializeToString() != again[k].SerializeToString()} == \
        changed - {"sweep.values"}


def _shown_on_a_new_page(el) -> object:
    """What the browser shows for a widget it draws for the first time: the forced value if the
    message forces one, else the widget's default; as the widget's options or value."""
    p = el.proto
    kind = type(el).__name__
    if kind in ("Radio", "Selectbox"):
        return el.options[p.default] if not p.set_value else p.raw_value
    if kind == "SelectSlider":
        return el.options[int(p.default[0])] if not p.set_value else p.raw_value
    if kind == "Slider":
        return int(p.default[0]) if not p.set_value else int(p.value[0])
    return p.value if p.set_value else p.default  # number and text inputs, toggles


def test_a_link_s_first_page_shows_the_link_s_values_in_every_widget():
    """The first page forces no value (see the test above; Streamlit would force a value that
    differs from the widget's default), so each widget's default is the link's value: a view,
    contour style, presentation mode, label, exact hyperparameters, a schedule, a hidden run and
    the inspector's run and step, all different from the defaults."""
    at = assert_clean(app())
    for i in (1, 2, 4):
        open_run_editor(at, i)
    at.radio(key="view").set_value("contour").run()
    at.radio(key="contour").set_value("lines").run()
    at.radio(key="present").set_value(1).run()
    at.text_input(key="r1.label").input("heavy ball").run()
    at.toggle(key="r2.hidden").set_value(True).run()
    at.selectbox(key="r4.sched.lr").set_value("cosine").run()
    at.toggle(key="exact").set_value(True).run()
    at.number_input(key="r4.lr").set_value(0.123).run()
    at.selectbox(key="inspect_run").set_value(2).run()
    at.slider(key="inspect_step").set_value(7).run()
    assert_clean(at)
    link = {k: query_value(at, k) for k in at.query_params}
    fresh = assert_clean(app(link))
    checked = {}
    # The first page, then each run's editor as it is opened (the first page of a run's widgets).
    for opened in (None, 0, 1, 2, 3, 4):
        if opened is not None:
            open_run_editor(fresh, opened)
        for kind in ("radio", "selectbox", "select_slider", "slider", "number_input", "text_input", "toggle"):
            for el in getattr(fresh, kind):
                if not el.key or el.proto.disabled:
                    continue
                assert not el.proto.set_value, el.key  # not forced: its default is the link's value
                shown = _shown_on_a_new_page(el)
                value = fresh.session_state[el.key]
                if type(el).__name__ in ("Radio", "Selectbox", "SelectSlider"):
                    value = el.format_func(value)
                assert shown == value, (el.key, shown, value)
                checked[el.key] = value
    assert checked["view"] == "Contour only" and checked["contour"] == "Lines" and fresh.session_state["present"] == 1
    assert checked["r1.label"] == "heavy ball" and checked["r2.hidden"] is True
    assert checked["r4.lr"] == "0.123" and checked["inspect_step"] == 7  # a slider again: "exact" is not in links
    assert checked["r4.sched.lr"] != at.selectbox(key="r4.sched.lr").format_func("constant")


def test_on_a_touch_screen_the_sliders_offer_notches_a_finger_can_hit():
    """Issue 19: a tap on a phone's learning-rate slider jumped η from 0.4 to 0.9 (73 notches,
    3 px apart). Once the trajectory view reports a touch screen (view.js: `(pointer: coarse)`),
    every numeric slider offers at most scales.TOUCH_POSITIONS notches, and keeps its value."""
    from optviz.core.scales import TOUCH_POSITIONS

    at = app({"surface": "ravine", "opt": "sgd,adam", "r0.lr": "0.4"})
    lr = hp(at, "sgd", "lr")
    fine = {s.key: len(s.options) for s in at.select_slider}
    assert fine[lr] > 3 * TOUCH_POSITIONS // 2  # the mouse's fine grid: 12 a decade
    at.session_state["trajectory_view"] = {"touch": True}
    at.run()
    assert_clean(at)
    sliders = {s.key: s for s in at.select_slider}
    numbers = [k for k in sliders if k in fine and fine[k] > TOUCH_POSITIONS]
    assert lr in numbers and hp(at, "adam", "lr") in numbers
    for key in numbers:
        assert len(sliders[key].options) <= TOUCH_POSITIONS + 1, (key, len(sliders[key].options))  # + the value
    assert sliders[lr].value == 0.4 and query_value(at, lr) == "0.4"
    sliders[lr].set_value(0.5).run()  # the next notch up
    assert_clean(at)
    assert query_value(at, lr) == "0.5"
