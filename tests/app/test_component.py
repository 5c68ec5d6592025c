"""The view component's Python side, its JavaScript (syntax, frame expansion against Python's),
and the private plotly.js APIs it relies on (checked on the packaged plotly.min.js)."""

import json
import shutil
import subprocess

import numpy as np
import pytest

from optviz import simulate, web
from optviz.app import figure_component
from optviz.core.presets import PRESETS
from optviz.plot import html_export, step_charts, styles, trajectory
from optviz.plot.frames import MAX_FRAMES, expand_frames, frame_at
from optviz.plot.grid import surface_grid
from surfaces import SURFACES

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed; the browser tests exercise the JavaScript")


def node(script: str, stdin: str = "") -> str:
    result = subprocess.run([NODE, "-e", script], input=stdin, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


@needs_node
@pytest.mark.parametrize("name", sorted(p.name for p in web.WEB_DIR.glob("*.js")))
def test_javascript_parses(name):
    code = web.script(name)
    module = "export default" in code
    if name == "loader.js":  # as Streamlit receives it, asset URLs filled in
        code = figure_component._loader_js(figure_component.ASSETS)
        assert "__OPTVIZ_ASSETS__" not in code and figure_component.ASSETS.plotly in code
    result = subprocess.run([NODE, f"--input-type={'module' if module else 'commonjs'}", "--check"], input=code,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@needs_node
def test_javascript_has_no_obvious_slips():
    """A small lint: strict mode, no debugging left, no var, no == (=== only)."""
    for name in ("boot.js", "figure.js", "view.js", "loader.js"):
        code = web.script(name)
        lines = [ln for ln in code.splitlines() if not ln.strip().startswith(("//", "*", "/*"))]
        body = "\n".join(lines)
        assert "debugger" not in body and "console.log" not in body, name
        assert not any(ln.strip().startswith("var ") for ln in lines), name
        assert not [ln for ln in lines if " == " in ln or " != " in ln], name
        if name != "loader.js":
            assert '"use strict"' in code, name


def _figure(surface_key="beale", view="both", steps=None):
    s = SURFACES[surface_key]
    p = PRESETS[surface_key]
    grid = surface_grid(s)
    per = []
    for key in ("sgd", "adam"):
        t = simulate(s, key, p.start, p.steps if steps is None else steps, **p.hparams_for(key))
        per.append(trajectory.optimizer_traces(s, grid, t, styles.PathStyle("#123456", key=key, name=key), view))
    return trajectory.trajectory_figure(s, grid, per, steps=p.steps if steps is None else steps, view=view)


@needs_node
@pytest.mark.parametrize(("surface_key", "view", "steps"), [("beale", "both", 500), ("saddle", "3d", 40),
                                                            ("rosenbrock", "contour", 7)])
def test_browser_frames_equal_python_expand_frames(surface_key, view, steps):
    """figure.js builds the frames the live view and the export play; expand_frames
    (used by the Python tests) must build the same ones."""
    fig = _figure(surface_key, view, steps)
    payload = web.to_json({k: v for k, v in fig.items() if k != "frames"})
    script = web.script("figure.js") + r"""
      globalThis.atob = (s) => Buffer.from(s, "base64").toString("latin1");
      const fig = JSON.parse(require("fs").readFileSync(0, "utf8"));
      fig.data = fig.data.map(optvizFigure.decodeTrace);
      const plain = (f) => ({name: f.name, traces: f.traces,
        data: f.data.map((d) => Object.fromEntries(Object.entries(d).map(([k, v]) =>
          [k, typeof v === "string" ? v : Array.from(v, (x) => (Number.isFinite(x) ? x : null))])))});
      // The Play frames, then the single frames the step slider draws at steps that are no frame.
      const frames = optvizFigure.expandFrames(fig).map(plain);
      const others = fig.others.map((k) => plain(optvizFigure.frameAt(fig.data, fig.animation, k)));
      process.stdout.write(JSON.stringify(frames.concat(others)));
    """
    frames = set(fig["animation"]["steps"])
    others = [k for k in range(fig["animation"]["last"] + 1) if k not in frames][:6]
    assert (steps + 1 > MAX_FRAMES) == bool(others)
    payload = payload[:-1] + ',"others":' + json.dumps(others) + "}"
    js_frames = json.loads(node(script, payload))
    # A marker whose point lies outside the plot is NaN in a plain list (strict to_json refuses it).
    py_list = expand_frames(fig)["frames"] + [frame_at(fig, k) for k in others]
    py_text = json.dumps(py_list, default=web.json_default, allow_nan=True)
    py_frames = json.loads(py_text.replace("NaN", "null"))
    assert len(js_frames) == len(py_frames) > 1
    for js, py in zip(js_frames, py_frames, strict=True):
        assert js["name"] == py["name"] and js["traces"] == py["traces"]
        for jd, pd in zip(js["data"], py["data"], strict=True):
            assert jd.keys() == pd.keys()
            for dim in pd:
                if dim == "type":
                    assert jd[dim] == pd[dim]
                    continue
                want = pd[dim]
                if isinstance(want, dict):  # a typed-array spec from to_json
                    want = np.frombuffer(__import__("base64").b64decode(want["bdata"]), dtype=want["dtype"]).tolist()
                want = [None if (isinstance(v, float) and not np.isfinite(v)) else v for v in want]
                got = [None if v is None else v for v in jd[dim]]
                np.testing.assert_allclose(np.array(got, dtype=float), np.array(want, dtype=float), rtol=0,
                                           atol=0, equal_nan=True)


def test_packaged_plotly_has_the_private_apis_the_view_uses():
    """The view relies on plotly.js internals: _transitionData (frames, the running animation),
    _fullLayout._basePlotModules with the cartesian module's plot(gd, traces, transitionOpts,
    cb) (the #4596 fix), the gl3d scene's getCamera(), the js-plotly-plot class that
    Plotly.react checks, and plotly_animationinterrupted. A plotly release that changes one of
    them fails here (and requirements.txt pins the range these were checked on)."""
    source = html_export.PLOTLY_JS_PATH.read_text(encoding="utf-8")
    for needle in ("_transitionData", "_basePlotModules", "_frameQueue", "_animationRaf", "_currentFrame",
                   "plotly_animationinterrupted", "js-plotly-plot", "getCamera", "plotly_animatingframe"):
        assert needle in source, needle
    # The calls are checked in a real browser on the first page of
    # tests/browser/test_e2e_view.py::test_a_change_while_playing_raises_no_error_and_keeps_playing.
    version = source[:300].split("plotly.js v", 1)[1].split()[0]
    assert version.split(".")[0] in ("3", "4"), f"plotly.js {version}: check the internals above, then widen the pin"


def test_payload_is_strict_json_with_typed_arrays_by_reference():
    figure = {"data": [{"type": "scatter", "x": np.arange(10.0, dtype=np.float32), "y": [np.float64(1.5)]}],
              "layout": {}}
    payload = json.loads(figure_component.encode_payload(figure, 500))
    assert payload["height"] == 500
    trace = payload["figure"]["data"][0]["$v"]
    (aid,) = payload["arrays"]
    assert trace["x"] == {"$arr": aid} and payload["arrays"][aid]["dtype"] == "f4"
    assert trace["y"] == [1.5]


def test_nan_never_reaches_the_page_and_outside_arrays_is_refused_loudly_in_tests():
    # A NaN in a data list is a gap: JSON null, never the NaN that JSON.parse rejects.
    payload = json.loads(figure_component.encode_payload({"data": [{"x": [float("nan"), 1.0]}]}, 500))
    assert payload["figure"]["data"][0]["$v"]["x"] == [None, 1.0]
    # Elsewhere (a range, a level) a non-finite number is a builder's bug: strict mode says where.
    with pytest.raises(ValueError, match=r"range\[0\]"):
        web.to_json({"data": [], "layout": {"xaxis": {"range": [float("nan"), 1.0]}}}, strict=True)


def test_a_second_payload_sends_only_what_changed_and_resolves_to_the_whole_figure():
    fig = _figure()
    first = figure_component.encode_figure(fig)
    sent: dict = {}
    full = figure_component.payload_bytes(first, 640, sent=sent)
    sent.update(dict.fromkeys(first.ids(), True))
    # Adam's learning rate changes: its traces and arrays are new, nothing else.
    s, p = SURFACES["beale"], PRESETS["beale"]
    grid = surface_grid(s)
    per = [trajectory.optimizer_traces(s, grid, simulate(s, k, p.start, p.steps, **{**p.hparams_for(k), **extra}),
                                     styles.PathStyle("#123456", key=k, name=k), "both")
           for k, extra in (("sgd", {}), ("adam", {"lr": 0.05}))]
    second_fig = trajectory.trajectory_figure(s, grid, per, steps=p.steps, view="both")
    second = figure_component.encode_figure(second_fig)
    delta = figure_component.payload_bytes(second, 640, sent=sent)
    assert len(delta) < len(full) / 5, (len(delta), len(full))
    msg = json.loads(delta)
    full_traces = [t["$v"] for t in msg["figure"]["data"] if "$v" in t]
    assert full_traces and all(t.get("legendgroup") == "adam" for t in full_traces)
    assert "$ref" in msg["figure"]["layout"]  # the layout did not change
    # Resolved (as the AppTest helpers do), the delta is the whole second figure.
    resolved = figure_component.decode_payload(delta)
    assert resolved == json.loads(web.to_json(second_fig))


def test_static_assets_are_written_once_atomically(tmp_path):
    assets = figure_component.publish_static_assets(tmp_path)
    gz = tmp_path / assets.plotly
    assert gz.is_file() and gz.stat().st_size < html_export.PLOTLY_JS_PATH.stat().st_size / 2
    import gzip

    assert gzip.decompress(gz.read_bytes()) == html_export.PLOTLY_JS_PATH.read_bytes()
    assert (tmp_path / assets.view).read_text() == web.page_script()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_plotly_js_comes_from_the_plotly_package():
    path = figure_component._PLOTLY_MIN_JS
    assert path.is_file() and path.stat().st_size > 3_000_000
    assert "site-packages" in str(path) or "plotly" in str(path.parent.parent)


def test_a_click_from_the_browser_is_read_only_when_it_is_a_finite_point():
    """The view's click comes back from the page; a malformed one is ignored, never raised."""
    from types import SimpleNamespace

    from optviz.app.figure_component import clicked_point, view_event

    assert clicked_point({"click": {"x": 1.5, "y": "-2"}}) == (1.5, -2.0)
    assert clicked_point(SimpleNamespace(click={"x": 0, "y": 3}, camera=None)) == (0.0, 3.0)
    for bad in (None, {}, {"click": None}, {"click": [1, 2]}, {"click": {"x": 1}}, {"click": {"x": "a", "y": 1}},
                {"click": {"x": float("nan"), "y": 1}}, {"click": {"x": 1, "y": "inf"}}, {"click": {"x": {}, "y": 1}}):
        assert clicked_point(bad) is None, bad
    camera = {"eye": {"x": 1, "y": 2, "z": 3}}
    assert view_event({"camera": camera}, "camera") is camera
    assert view_event(SimpleNamespace(camera=camera), "camera") is camera
    assert view_event(SimpleNamespace(), "camera") is None and view_event(None, "click") is None


@needs_node
def test_a_chart_title_moves_under_the_toolbar_and_keeps_the_chart_s_height():
    """Issue 19: on phones and the tablet the toolbar covered the step charts' titles. Where they
    meet, view.js draws the title in a row of its own under the toolbar (figure.js withTitleRow);
    tests/browser/test_e2e.py checks the boxes on four screens."""
    s, runs = SURFACES["beale"], []
    layout = step_charts.loss_figure(s, runs)["layout"]
    script = web.script("figure.js") + r"""
      const layout = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const F = optvizFigure;
      process.stdout.write(JSON.stringify({moved: F.withTitleRow(layout, 30), kept: F.withTitleRow(layout, 0),
                                           text: F.withTitleRow({title: "t", margin: {t: 40}}, 30).title}));
    """
    out = json.loads(node(script, web.to_json(layout)))
    moved, size = out["moved"], layout["title"]["font"]["size"]
    assert out["kept"] == json.loads(web.to_json(layout))  # nothing met: the layout as it is
    title = moved["title"]
    assert (title["yref"], title["y"], title["yanchor"], title["pad"]["t"]) == ("container", 1, "top", 30)
    assert title["text"] == layout["title"]["text"] and out["text"]["text"] == "t"
    assert moved["margin"]["t"] >= 30 + 1.4 * size and moved["height"] == layout["height"]
