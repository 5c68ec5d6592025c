"""The step inspector, presentation mode and the exports, driven through AppTest (issue 10)."""

import io
import re

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from optviz import OPTIMIZERS, simulate
from optviz.analysis.inspector import inspect
from optviz.app.figure_component import figure_from_element
from optviz.app.present import FIGURE_HEIGHT, LESSON_LINE
from optviz.app.share import parse_query
from optviz.core import explain as ex
from optviz.plot import frames, html_export, styles, trajectory
from optviz.plot.export_page import export_html
from optviz.plot.gif import MAX_BYTES, MAX_FRAMES, animation_gif
from optviz.plot.grid import surface_grid
from surfaces import SURFACES
from tests.apptest_support import app, open_run_editor, view_element


def trajectory_figure(at: AppTest) -> tuple[dict, object]:
    """The view's figure and its element."""
    view = view_element(at)
    return figure_from_element(view), view


def panel_latex(at: AppTest) -> str:
    """The substituted rule: the st.latex inside the inspector panel."""
    found = [e.value for e in at.latex if r"\begin{array}{l}" in e.value and re.search(r"_\{\d+\}", e.value)]
    assert len(found) == 1, found
    return found[0]


def state_table(at: AppTest) -> dict[str, str]:
    table = next(m.value for m in at.markdown if m.value.startswith("| | | value |"))
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip("|"))]
        assert len(cells) == 3, line
        rows[cells[1]] = cells[2].strip("`")
    return rows


def xy(v) -> str:
    a, b = np.asarray(v, dtype=float).reshape(2)
    return f"({ex.text(a)}, {ex.text(b)})"


def inspector_traces(figure: dict) -> list[dict]:
    return [t for t in figure["data"] if t.get("legendgroup") == "inspector"]


def recorded(opt: str, steps: int, surface: str = "beale"):
    from optviz.core.presets import preset_for

    preset = preset_for(surface)
    return simulate(surface, opt, tuple(preset.start), steps, record_state=True, **preset.hparams_for(opt))


def app_state(at: AppTest):
    return parse_query({k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()})


def check_step(at: AppTest, opt: str, steps: int, k: int) -> None:
    """What the panel and the figure show equals the recorded state of step k."""
    assert not at.exception
    assert at.session_state["inspect_step"] == k
    t = recorded(opt, steps)
    insp = inspect(t, k)
    record = t.record
    # The rule with this step's numbers is the core's, and its numbers are the recorded ones.
    # (laid out one side of an equation a row, for the narrow column: issue 10, the rule was cut off)
    assert panel_latex(at).strip("$\n") == ex.layout(insp.lines)
    rows = state_table(at)
    assert rows[f"position at step k = {k}"] == xy(t.path[k])
    assert rows["gradient used"] == xy(record.grads[k])
    assert rows["update taken"] == xy(record.updates[k])
    np.testing.assert_allclose(t.path[k] + record.updates[k], t.path[k + 1], rtol=1e-12, atol=1e-12)
    for row in insp.state:
        assert rows[row.label] == row.text
    # Every (2,)-shaped field of the recorded state appears in the panel (table or rule), after step
    # k or as the step found it (Nesterov's momentum_step is the look-ahead this step used).
    shown = " ".join(rows.values()) + panel_latex(at)
    if record.states is not None:
        for field, values in zip(record.states._fields, record.states, strict=True):
            v = np.asarray(values)
            if v.ndim == 2 and v.shape[1] == 2 and np.all(np.isfinite(v[k])):
                candidates = [v[k], v[k - 1] if k > 0 else np.zeros(2)]
                assert any(all(ex.text(c) in shown for c in value) for value in candidates), (opt, field, v[k], shown)
    # The arrows: the update taken goes from θ_k towards θ_{k+1}, in the run's colour, magnified about
    # θ_k by the scale the chart states (issue 19: a step's arrow was a few pixels long); θ_{k+1} is marked.
    figure, _ = trajectory_figure(at)
    traces = [tr for tr in inspector_traces(figure) if tr.get("meta") != trajectory.CASING]
    scale = arrow_scale_of(figure) if traces else 1.0
    update = next(tr for tr in traces if tr["name"] == "update taken")
    np.testing.assert_allclose([update["x"][0], update["y"][0]], t.path[k], rtol=1e-12)
    np.testing.assert_allclose([update["x"][1], update["y"][1]], t.path[k] + scale * (t.path[k + 1] - t.path[k]),
                               rtol=1e-9, atol=1e-12)
    landed = next(tr for tr in traces if tr["name"].startswith(f"θ_{k + 1}"))
    np.testing.assert_allclose([landed["x"][0], landed["y"][0]], t.path[k + 1], rtol=1e-9, atol=1e-12)
    shown = [i for i, r in enumerate(app_state(at).runs) if not r.hidden]
    assert update["line"]["color"] == styles.run_style(shown[at.session_state["inspect_run"] - 1]).color
    names = {tr["name"] for tr in traces}
    for arrow in insp.arrows():
        if np.all(np.isfinite(arrow.end)):
            assert arrow.label in names
    if "look_ahead" in insp.points:
        la = next(tr for tr in traces if tr["name"] == "look-ahead point")
        magnified = t.path[k] + scale * (insp.points["look_ahead"] - t.path[k])
        np.testing.assert_allclose([la["x"][0], la["y"][0]], magnified, rtol=1e-12)
    if insp.effective_step is not None and np.all(np.isfinite(insp.effective_step)):
        box = next(tr for tr in traces if tr["name"].startswith("effective step"))
        np.testing.assert_allclose(max(box["x"]) - t.path[k][0], scale * abs(insp.effective_step[0]), rtol=1e-9)
        np.testing.assert_allclose(max(box["y"]) - t.path[k][1], scale * abs(insp.effective_step[1]), rtol=1e-9)


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_inspector_renders_for_every_optimizer(opt):
    steps = 20
    at = app({"opt": opt, "steps": str(steps), "inspect_run": "1", "inspect_step": "4", "view": "contour"})
    k = at.session_state["inspect_step"]
    assert k == min(4, len(range(k + 1)) + 3)  # kept at 4 unless the run diverged before
    check_step(at, opt, steps, k)


def test_inspector_follows_the_step_forward_and_back():
    at = app({"opt": "sgd,nesterov,adam", "steps": "30"})
    assert not inspector_traces(trajectory_figure(at)[0])  # off by default: nothing drawn
    at.selectbox(key="inspect_run").set_value(2).run()  # Nesterov
    check_step(at, "nesterov", 30, 0)
    at.button(key="inspect_forward").click().run()
    at.button(key="inspect_forward").click().run()
    check_step(at, "nesterov", 30, 2)
    before = trajectory_figure(at)[0]
    at.button(key="inspect_back").click().run()
    check_step(at, "nesterov", 30, 1)
    assert inspector_traces(before) != inspector_traces(trajectory_figure(at)[0])
    at.slider(key="inspect_step").set_value(17).run()
    check_step(at, "nesterov", 30, 17)
    assert at.query_params["inspect_step"] in ("17", ["17"])
    at.selectbox(key="inspect_run").set_value(3).run()  # Adam, at the same step
    check_step(at, "adam", 30, 17)
    at.selectbox(key="inspect_run").set_value(0).run()
    assert not at.exception and not inspector_traces(trajectory_figure(at)[0])


def test_inspector_link_out_of_range_is_clamped_with_a_message():
    at = app({"opt": "sgd", "steps": "30", "inspect_run": "7", "inspect_step": "999999"})
    assert not at.exception
    assert at.session_state["inspect_run"] == 0  # more than the view's runs: off
    assert any("inspect_step" in w.value for w in at.warning)
    at = app({"opt": "sgd", "steps": "30", "inspect_run": "1", "inspect_step": "500"})
    assert not at.exception and at.session_state["inspect_step"] == 29  # the last step of the run
    check_step(at, "sgd", 30, 29)


def test_inspector_on_a_diverging_run_draws_only_finite_numbers():
    # SGD with a huge learning rate on Beale overflows within a few steps.
    at = app({"opt": "sgd", "sgd.lr": "5", "steps": "50", "inspect_run": "1", "inspect_step": "49"})
    assert not at.exception
    from optviz.core.presets import preset_for

    run = simulate("beale", "sgd", tuple(preset_for("beale").start), 50, record_state=True, lr=5.0)
    assert run.diverged
    k = at.session_state["inspect_step"]
    assert k == int(run.diverged_at) - 1
    figure, _ = trajectory_figure(at)
    for trace in inspector_traces(figure):
        assert np.all(np.isfinite(np.asarray(trace["x"], dtype=float)))
        assert np.all(np.isfinite(np.asarray(trace["y"], dtype=float)))


def css(at: AppTest) -> str:
    return "".join(m.value for m in at.markdown if m.value.startswith("<style>"))


def test_presentation_mode_from_the_link_and_the_switch():
    at = app({"opt": "sgd,adam", "present": "1"})
    assert not at.exception
    assert "stSidebar" in css(at) and "display: none" in css(at)
    figure, _ = trajectory_figure(at)
    assert figure["layout"]["height"] == FIGURE_HEIGHT[1]
    assert figure["layout"]["font"]["size"] > styles.FONT.get("size", 12)
    assert at.caption[0].value != SURFACES["beale"].description  # the description gives way to the chart
    # Everything keeps working: the surface, an optimizer's slider, the inspector, Play's figure.
    at.selectbox(key="surface").set_value("rosenbrock").run()
    assert not at.exception and "stSidebar" in css(at)
    at.selectbox(key="inspect_run").set_value(1).run()
    assert not at.exception and inspector_traces(trajectory_figure(at)[0])
    assert at.query_params["present"] in ("1", ["1"])
    at.radio(key="present").set_value(2).run()
    assert trajectory_figure(at)[0]["layout"]["height"] == FIGURE_HEIGHT[2]
    at.radio(key="present").set_value(0).run()
    assert not at.exception and "stSidebar" not in css(at)
    assert trajectory_figure(at)[0]["layout"]["height"] == FIGURE_HEIGHT[0]
    # And on, from a normal start, by the switch.
    at = app({"opt": "sgd"})
    assert "stSidebar" not in css(at)
    at.radio(key="present").set_value(1).run()
    assert not at.exception and "stSidebar" in css(at)


def test_present_link_with_a_bad_value_falls_back_with_a_notice():
    at = app({"present": "yes"})
    assert not at.exception and at.session_state["present"] == 0
    assert any("present" in w.value for w in at.warning)


def test_export_buttons_are_there_and_names_tell_two_views_apart():
    # The buttons' data and file names are deferred (built on click), so AppTest sees their labels
    # only; the names are the ones export_filename gives the app's runs.
    from optviz.analysis.export import export_filename

    at = app({"surface": "ravine", "opt": "sgd,momentum"})
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Animation (standalone HTML)", "Trajectories (CSV)", "Animation for slides (GIF)"]
    one = [t for _, _, t in _runs("ravine", ["sgd", "momentum"], 100)]
    other = [simulate("ravine", "sgd", one[0].path[0], 100, lr=0.02), one[1]]
    for kind in ("html", "csv", "gif"):
        name = export_filename(one, kind)
        assert re.fullmatch(rf"optviz-ravine-sgd-momentum-[0-9a-f]{{6}}\.{kind}", name), name
        assert export_filename(other, kind) != name


def _runs(surface, opts, steps):
    from optviz.core.presets import preset_for

    p = preset_for(surface)
    return [(OPTIMIZERS[o].name, OPTIMIZERS[o].color,
             simulate(surface, o, tuple(p.start), steps, **p.hparams_for(o))) for o in opts]


@pytest.mark.parametrize("surface", ["ravine", "saddle"])
def test_gif_is_a_valid_bounded_animation(surface):
    runs = _runs(surface, ["sgd", "momentum", "nesterov", "rmsprop", "adam"], 250)
    data = animation_gif(SURFACES[surface], runs)
    assert data[:6] == b"GIF89a" and len(data) < MAX_BYTES
    image = Image.open(io.BytesIO(data))
    assert image.is_animated and 1 < image.n_frames <= MAX_FRAMES
    # The last frame shows each run's end point in its colour (where it is inside the plot).
    image.seek(image.n_frames - 1)
    rgb = np.asarray(image.convert("RGB"), dtype=int)
    first_frame = Image.open(io.BytesIO(data)).convert("RGB")
    assert not np.array_equal(rgb, np.asarray(first_frame, dtype=int))


def test_gif_of_a_diverging_run_does_not_fail():
    runs = _runs("beale", ["sgd"], 60)
    runs = [(n, c, simulate("beale", "sgd", (3.0, -0.75), 60, lr=5.0)) for n, c, _ in runs]
    assert runs[0][2].diverged
    image = Image.open(io.BytesIO(animation_gif(SURFACES["beale"], runs)))
    assert image.n_frames > 1


def test_html_export_names_its_settings_and_links_back():
    runs = _runs("ravine", ["sgd", "adam"], 250)
    trajectories = [t for _, _, t in runs]
    surface = SURFACES["ravine"]
    grid = surface_grid(surface)
    per = [trajectory.optimizer_traces(surface, grid, t, styles.PathStyle(c, key=t.optimizer, name=n), "both")
           for n, c, t in runs]
    figure = trajectory.trajectory_figure(surface, grid, per, steps=250)
    link = "http://localhost:8501/?surface=ravine&opt=sgd%2Cadam"
    page = export_html(html_export.standalone_html(figure, SURFACES["ravine"].title), SURFACES["ravine"], trajectories,
                       [n for n, _, _ in runs], [c for _, c, _ in runs], link)
    assert f"<h1>{SURFACES['ravine'].title}</h1>" in page or SURFACES["ravine"].title in page
    assert "Open this view live" in page and "surface=ravine&amp;opt=sgd%2Cadam" in page
    for name, _, t in runs:
        assert name in page
        for key in t.hparams:
            assert f"{key} = " in page
    assert "seed 0" in page and "250 steps" in page
    assert not re.search(r"<script[^>]+src=[\"']https?://", page)  # offline: nothing fetched


# --- issue 19: a lecture in presentation mode -----------------------------------------------------------


def link(at: AppTest) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def test_a_lesson_opens_in_presentation_mode_and_stays_through_the_switch():
    at = app({"lesson": "ravine-zigzag", "present": "1"})
    assert not at.exception and at.session_state["present"] == 1
    assert "stSidebar" in css(at) and trajectory_figure(at)[0]["layout"]["height"] == FIGURE_HEIGHT[1] - LESSON_LINE
    assert link(at)["lesson"] == "ravine-zigzag" and link(at)["present"] == "1"
    assert not any("changed the lesson" in c.value for c in at.caption)
    for level in (2, 0, 1):  # presentation on, off and on again: the lesson stays, in the link too
        at.radio(key="present").set_value(level).run()
        assert not at.exception and at.session_state["lesson"] == "ravine-zigzag"
        assert link(at)["lesson"] == "ravine-zigzag" and link(at)["present"] == str(level)
        assert not any("changed the lesson" in c.value for c in at.caption)
        # In presentation mode the lesson's line takes its height from the chart's: the chart still fits the screen.
        assert trajectory_figure(at)[0]["layout"]["height"] == FIGURE_HEIGHT[level] - (LESSON_LINE if level else 0)


def r0_path(at: AppTest) -> np.ndarray:
    """Run 0's path on the contour cell, as drawn (the casing beneath it left out)."""
    from tests.apptest_support import decode

    trace = next(t for t in trajectory_figure(at)[0]["data"] if t.get("legendgroup") == "r0" and t["type"] == "scatter"
                 and str(t.get("mode", "")).startswith("lines") and t.get("meta") != trajectory.CASING)
    return np.column_stack([decode(trace["x"]), decode(trace["y"])])


def test_in_presentation_each_runs_learning_rate_is_on_the_page():
    """A teacher changes η during the lecture without leaving presentation mode."""
    from optviz.app.share import parse_query

    at = app({"lesson": "ravine-zigzag", "present": "1"})
    shown = parse_query(link(at)).visible_runs
    strip = {w.key: w for w in at.select_slider if (w.key or "").startswith("present_strip.")}
    assert set(strip) == {f"present_strip.r{i}.lr" for i, r in shown if "lr" in r.hparam_dict}, strip
    control = strip["present_strip.r0.lr"]
    old = control.value
    before = r0_path(at)
    new = next(float(v) for v in control.options if float(v) != float(old) and float(v) > float(old))
    control.set_value(new).run()
    assert not at.exception and at.session_state["present"] == 1
    view = parse_query(link(at))
    assert view.runs[0].hparam("lr") == new and float(link(at)["r0.lr"]) == new
    assert at.session_state["r0.lr"] == new  # the sidebar's slider follows
    after = simulate(view.surface, "sgd", view.start, view.steps, lr=new).path  # what the chart draws now
    assert view.runs[0].optimizer == "sgd" and not np.array_equal(r0_path(at), before)
    np.testing.assert_allclose(r0_path(at)[: len(after)], after[: len(r0_path(at))], rtol=1e-6, atol=1e-6)
    # And the other way: the sidebar's slider changed, the strip shows it.
    open_run_editor(at, 0)
    at.select_slider(key="r0.lr").set_value(old).run()
    assert not at.exception and float(at.select_slider(key="present_strip.r0.lr").value) == float(old)
    # Out of presentation the strip is gone (the sidebar has the controls).
    at.radio(key="present").set_value(0).run()
    assert not at.exception and not [w for w in at.select_slider if (w.key or "").startswith("present_strip.")]


# --- issue 19: the inspector as a teaching view ----------------------------------------------------------


def test_the_main_chart_shows_the_inspected_step():
    at = app({"opt": "sgd,adam", "steps": "30", "inspect_run": "2", "inspect_step": "7", "view": "contour"})
    figure, _ = trajectory_figure(at)
    assert figure["animation"]["show"] == 7  # the view opens at this frame (figure.js setControlsFigure)
    from tests.apptest_support import decode

    decoded = {**figure, "data": [{**t, **{d: decode(t[d]) for d in ("x", "y", "z", "customdata")
                                                    if isinstance(t.get(d), (dict, list))}} for t in figure["data"]]}
    frame = frames.frame_at(decoded, figure["animation"]["show"])
    adam = recorded("adam", 30)
    ends = [(d["x"][-1], d["y"][-1]) for d in frame["data"] if d["type"] == "scatter" and len(d["x"]) > 1]
    assert any(np.allclose(end, adam.path[7], rtol=1e-6) for end in ends), ends  # Adam's path ends at θ_7
    at.button(key="inspect_forward").click().run()
    assert trajectory_figure(at)[0]["animation"]["show"] == 8
    at.selectbox(key="inspect_run").set_value(0).run()  # off: the view shows the last step again
    assert "show" not in trajectory_figure(at)[0]["animation"]


def arrow_scale_of(figure: dict) -> float:
    """The scale the arrows are drawn at, as the chart states it ("arrows ×20")."""
    key = figure["layout"].get(inspector_traces(figure)[0].get("legend", "legend"), {})
    found = re.search(r"arrows ×([0-9.e+]+)", key.get("title", {}).get("text", ""))
    assert found, ("the key does not state the arrows' scale", key)
    return float(found.group(1))


@pytest.mark.parametrize("opt", ["sgd", "nesterov", "adam", "rmsprop", "lion"])
def test_the_inspectors_arrows_are_long_cased_and_keyed(opt):
    steps, k = 40, 12
    at = app({"opt": opt, "steps": str(steps), "inspect_run": "1", "inspect_step": str(k), "view": "contour"})
    assert not at.exception
    figure, _ = trajectory_figure(at)
    insp = inspect(recorded(opt, steps), k)
    scale = arrow_scale_of(figure)
    (x0, x1), (y0, y1) = SURFACES["beale"].domain
    span = np.array([x1 - x0, y1 - y0])
    traces = inspector_traces(figure)
    path_casing = next(t["line"]["color"] for t in figure["data"] if t.get("legendgroup") == "r0"
                       and t.get("meta") == trajectory.CASING and t["type"] == "scatter")
    arrows = {t["name"]: t for t in traces if t.get("meta") != trajectory.CASING and t["name"] in
              {a.label for a in insp.arrows()}}
    assert arrows.keys() == {a.label for a in insp.arrows()}
    longest = 0.0
    for a in insp.arrows():  # each drawn magnified about θ_k by the stated scale, the numbers the true ones
        t = arrows[a.label]
        start, end = (insp.theta + scale * (p - insp.theta) for p in (a.start, a.end))
        np.testing.assert_allclose([t["x"][0], t["y"][0]], start, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose([t["x"][1], t["y"][1]], end, rtol=1e-9, atol=1e-12)
        longest = max(longest, float(np.hypot(*((end - start) / span))))
        assert t["showlegend"] and t["legend"] != "legend"  # the key, apart from the runs': its style and what it is
        # Beneath it, a casing in a colour that is not the run's path's casing: it stands out from its path.
        casing = next(c for c in traces if c.get("meta") == trajectory.CASING and c["name"] == a.label)
        assert casing["line"]["width"] >= t["line"]["width"] + 2 and casing["line"]["dash"] == t["line"]["dash"]
        assert casing["line"]["color"] != path_casing
        assert traces.index(casing) < traces.index(t)
    assert longest >= 0.15 or (scale == 1 and longest > 0)  # readable: at least 15 % of the axes' span
    assert scale == 1 or longest <= 0.15 * 2.5 * 1.0001  # the smallest of 1, 2, 5, 10, 20, ... that does it
    # What a style means is the same in every view: the update solid, the plain gradient step dotted, parts dashed.
    by_kind = {a.name: arrows[a.label]["line"]["dash"] for a in insp.arrows()}
    assert by_kind["update"] == "solid"
    if "gradient_step" in by_kind:
        assert by_kind["gradient_step"] == trajectory.dash_px("dot", arrows["plain gradient step"]["line"]["width"])
    if "momentum" in by_kind:
        assert by_kind["momentum"] not in (by_kind["update"], by_kind.get("gradient_step"))
    # The run's own step lands where the run went: θ_k+1 is marked, unscaled.
    landed = next(t for t in traces if t["name"].startswith(f"θ_{k + 1}"))
    np.testing.assert_allclose([landed["x"][0], landed["y"][0]], insp.theta_next, rtol=1e-9, atol=1e-12)
    caption = " ".join(m.value for m in [*at.markdown, *at.caption])
    assert f"×{scale:g}" in caption  # the panel says it too


@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_the_inspector_table_speaks_words(opt):
    insp = inspect(recorded(opt, 12), 5)
    from optviz.app.inspector_ui import table_rows

    for _, label, _ in table_rows(insp):
        assert not re.search(r"_\{|\\[a-z]|\^|torch", label), (opt, label)
    for arrow in insp.arrows():
        assert not re.search(r"_\{|\\[a-z]|torch|−η", arrow.label), (opt, arrow.label)
    for note in insp.notes:
        assert "torch" not in note or "L-BFGS" in note, note
