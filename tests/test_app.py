"""The Streamlit app, driven as a person would through streamlit.testing.v1.AppTest."""

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from optviz import OPTIMIZERS, plotting, simulate
from optviz.figure_component import CHART_NAME, figure_from_element
from optviz.presets import PRESETS
from optviz.registry import DEFAULT_SELECTION
from optviz.share import format_number, parse_query
from surfaces import SURFACES

TIMEOUT = 120
APP = str(Path(__file__).resolve().parent.parent / "app.py")


def app(query=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def trajectory_figure(at: AppTest) -> dict:
    views = [e for e in at.get("bidi_component") if e.proto.component_name == "optviz.plotly_view"]
    assert len(views) == 1
    return figure_from_element(views[0])


def paths(at: AppTest, kind="scatter3d") -> dict[str, tuple]:
    """Each optimizer's drawn path in one cell of the trajectory figure."""
    out = {}
    for trace in trajectory_figure(at)["data"]:
        if trace["type"] == kind and trace.get("mode") == "lines":
            out[trace["legendgroup"]] = (tuple(decode(trace["x"]).tolist()), tuple(decode(trace["y"]).tolist()))
    return out


def decode(values) -> np.ndarray:
    """A plotly JSON array: a plain list, or a base64 typed array {"dtype", "bdata"}."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.array(values, dtype=float)


def step_charts(at: AppTest) -> dict[str, dict]:
    """The loss and distance charts (drawn by optviz's chart component), by widget key."""
    return {e.proto.id.rsplit("-", 1)[-1]: figure_from_element(e)
            for e in at.get("bidi_component") if e.proto.component_name == CHART_NAME}


def loss_lines(at: AppTest) -> dict[str, tuple]:
    spec = step_charts(at)["loss_chart"]
    return {t["legendgroup"]: tuple(decode(t["y"]).tolist()) for t in spec["data"]}


def query_value(at: AppTest, key: str) -> str:
    value = at.query_params[key]
    return value[-1] if isinstance(value, list) else value


def assert_clean(at: AppTest):
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface_renders_with_the_default_optimizers(surface):
    at = app({"surface": surface})
    assert_clean(at)
    assert not at.warning
    drawn = paths(at)
    assert set(drawn) == set(DEFAULT_SELECTION)
    # What is drawn is the engine's path with the surface's preset.
    preset = PRESETS[surface]
    for key in DEFAULT_SELECTION:
        t = simulate(surface, key, preset.start, preset.steps, **preset.hparams_for(key))
        xs = np.array(drawn[key][0])
        xs = xs[: np.argmax(np.isnan(xs))] if np.isnan(xs).any() else xs  # drawn until it leaves the plot
        np.testing.assert_allclose(xs, t.path[: len(xs), 0], rtol=1e-6, atol=1e-6 * SURFACES[surface].extent)
        assert len(xs) >= 2
    assert set(step_charts(at)) == ({"loss_chart"} if surface == "saddle" else {"loss_chart", "distance_chart"})
    assert at.dataframe[0].value.shape[0] == len(DEFAULT_SELECTION)


def test_changing_a_learning_rate_changes_that_path_and_no_other():
    at = app({"surface": "ravine"})
    before, loss_before = paths(at), loss_lines(at)
    lr = at.select_slider(key="hp.momentum.lr")
    options = OPTIMIZERS["momentum"].hparam("lr").grid()
    lr.set_value(options[options.index(lr.value) - 3]).run()
    assert_clean(at)
    after, loss_after = paths(at), loss_lines(at)
    assert after["momentum"] != before["momentum"] and loss_after["momentum"] != loss_before["momentum"]
    for key in set(before) - {"momentum"}:
        assert after[key] == before[key] and loss_after[key] == loss_before[key], key
    assert query_value(at, "momentum.lr") == format_number(at.select_slider(key="hp.momentum.lr").value)


def test_selecting_every_optimizer_at_once():
    at = app({"surface": "beale"})
    at.multiselect(key="optimizers").set_value(list(OPTIMIZERS)).run()
    assert_clean(at)
    assert set(paths(at)) == set(OPTIMIZERS) == set(paths(at, "scatter"))
    assert at.dataframe[0].value.shape[0] == len(OPTIMIZERS)
    colours: dict[str, set] = {}
    for t in trajectory_figure(at)["data"]:
        if t.get("legendgroup"):
            colours.setdefault(t["legendgroup"], set()).add((t.get("line") or t.get("marker"))["color"])
    assert colours == {k: {s.color} for k, s in OPTIMIZERS.items()}  # one optimizer, one colour
    charts = step_charts(at)
    assert charts
    for chart in charts.values():
        for t in chart["data"]:
            assert t["line"]["color"] == OPTIMIZERS[t["legendgroup"]].color


def test_share_link_round_trip_reproduces_the_view():
    teacher = app({"surface": "mse"})
    teacher.multiselect(key="optimizers").set_value(["sgd", "adam", "nadam"]).run()
    teacher.select_slider(key="batch").set_value(8).run()
    teacher.number_input(key="seed").set_value(42).run()
    teacher.slider(key="hp.adam.beta2").set_value(0.9991).run()
    teacher.slider(key="steps").set_value(120).run()
    assert_clean(teacher)
    link = {k: query_value(teacher, k) for k in teacher.query_params}
    assert link["batch"] == "8" and link["adam.beta2"] == "0.9991" and link["seed"] == "42"

    student = app(link)
    assert_clean(student)
    assert not student.warning
    assert trajectory_figure(student)["data"] == trajectory_figure(teacher)["data"]  # byte for byte
    assert loss_lines(student) == loss_lines(teacher)
    assert student.slider(key="hp.adam.beta2").value == 0.9991
    assert student.select_slider(key="batch").value == 8


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


def test_switching_surface_applies_its_preset_and_reset_restores_it():
    at = app({"surface": "beale"})
    at.selectbox(key="surface").set_value("himmelblau").run()
    assert_clean(at)
    preset = PRESETS["himmelblau"]
    assert (at.number_input(key="x0").value, at.number_input(key="y0").value) == preset.start
    assert at.select_slider(key="hp.adam.lr").value == preset.hparams_for("adam")["lr"]
    at.select_slider(key="hp.adam.lr").set_value(0.001).run()
    at.number_input(key="x0").set_value(1.0).run()
    at.button[0].click().run()
    assert_clean(at)
    assert at.select_slider(key="hp.adam.lr").value == preset.hparams_for("adam")["lr"]
    assert at.number_input(key="x0").value == preset.start[0]


def test_no_optimizer_selected_is_a_message():
    at = app()
    at.multiselect(key="optimizers").set_value([]).run()
    assert_clean(at)
    assert any("at least one optimizer" in i.value for i in at.info)


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
    assert (eye["x"], eye["y"], eye["z"]) == plotting.CAMERA_PRESETS["Top"]
    assert query_value(at, "cam") == ",".join(format_number(v) for v in plotting.CAMERA_PRESETS["Top"])


def test_values_are_shown_at_their_precision():
    at = app({"surface": "bowl", "opt": "adam,sgd", "adam.lr": "0.0003", "adam.beta2": "0.999"})
    assert_clean(at)
    lr = at.select_slider(key="hp.adam.lr")
    assert lr.value == 0.0003 and lr.format_func(lr.value) == "0.0003"
    beta2 = at.slider(key="hp.adam.beta2")
    assert beta2.value == 0.999 and beta2.proto.format == "%.4f"


def test_line_contours_from_the_link_and_the_control():
    at = app({"contour": "lines", "surface": "rosenbrock"})
    assert_clean(at)
    contour = next(t for t in trajectory_figure(at)["data"] if t["type"] == "contour")
    assert contour["contours"]["coloring"] == "lines"
    at.radio(key="contour").set_value("filled").run()
    contour = next(t for t in trajectory_figure(at)["data"] if t["type"] == "contour")
    assert contour["contours"]["coloring"] == "fill" and query_value(at, "contour") == "filled"


@pytest.mark.parametrize("end", ["low", "high"])
@pytest.mark.parametrize("surface", ["beale", "saddle", "mse"])
def test_every_slider_at_its_extreme(surface, end):
    """Every hyperparameter of every optimizer at the end of its range, 1000 steps, full noise:
    paths blow up, and the page says so in numbers, never NaN and never a traceback."""
    query = {"surface": surface, "opt": ",".join(OPTIMIZERS), "steps": "1000", "seed": "2147483647"}
    for key, spec in OPTIMIZERS.items():
        for h in spec.hparams:
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
                assert np.isfinite(decode(trace[dim])).any()
    charts = [e for e in at.get("bidi_component") if e.proto.component_name == CHART_NAME]
    assert charts
    for chart in charts:
        json.loads(bytes(chart.proto.bytes))  # strict JSON
