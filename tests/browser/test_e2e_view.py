"""In the browser: the trajectory view: drawing, play and the step slider, the camera, clicks, redraws.

The helpers are in tests/browser/support.py.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pytest

from optviz.app.share import parse_query
from tests.browser.support import (
    DOCS,
    JS_ALL_PATHS,
    JS_ANIMATING,
    JS_CAMERA,
    JS_CONTOUR_BOX,
    JS_END_MARKS,
    JS_FRAME_COUNT,
    JS_GD,
    JS_INSPECTOR,
    JS_RUN_TRACES,
    JS_SCENE_BOX,
    JS_SLIDER,
    JS_WATCH_FRAMES,
    LIGHT,
    PLAY_BUTTON,
    STEP_INPUT,
    VIEWPORT,
    WAIT_TWO_NEW_STEPS,
    _assert_plays,
    _change_steps,
    _close,
    _computed,
    _loss_chart,
    _press_pause,
    _press_play,
    _rotate_camera,
    _wait_step,
    _watch_errors,
)

pytestmark = pytest.mark.e2e


def _assert_default_page_draws_its_charts(app) -> None:
    page = app.page
    # The trajectory view: a WebGL 3-D scene and a drawn 2-D contour.
    assert page.evaluate(f"() => !!{JS_GD}._fullLayout.scene._scene"), "no 3-D scene"
    assert page.locator("div.optviz-plot .gl-container canvas").count() >= 1, "no WebGL canvas for the 3-D scene"
    assert app.contour_paths() > 0, "the 2-D contour is not drawn"
    paths = app.paths()
    default_opts = parse_query({}).optimizers
    assert {k.split(":")[1] for k in paths} == {f"r{i}" for i in range(len(default_opts))}  # one run each
    assert all(len(p["x"]) >= 2 for p in paths.values())
    # The loss chart (optviz's chart component, same plotly.js) is drawn with a line per optimizer.
    loss = page.locator("div.optviz-chart").first
    loss.locator(".scatterlayer .trace").first.wait_for()
    assert loss.locator(".scatterlayer .trace").count() == len(default_opts)
    assert "Loss" in loss.locator(".gtitle").first.text_content()
    assert page.locator(".js-plotly-plot").count() == 5  # trajectory view, loss, distance, x(t), y(t)
    # The results table: a row per optimizer, no NaN anywhere on the page.
    table = page.locator('[data-testid="stDataFrame"]')
    table.wait_for()
    cells = table.locator("[data-testid^='glide-cell']")
    app.wait(f"() => document.querySelectorAll(\"[data-testid='stDataFrame'] [data-testid^='glide-cell']\")"
             f".length >= {len(default_opts)}")
    texts = [cells.nth(i).inner_text() for i in range(cells.count())]
    from optviz.core.runs import labels

    assert set(labels(parse_query({}).runs)) <= set(texts), texts  # each run's label, as the legend names it
    assert not [t for t in texts if re.search(r"\bnan\b|\binf\b", t, re.I)], texts
    assert not re.search(r"\bNaN\b", page.locator('[data-testid="stMain"]').inner_text())
    app.assert_clean()


def test_keyboard_reaches_play_and_the_step_slider(app):
    """Tab reaches Play (with a visible focus ring) a few presses after the view's last control;
    Space plays and pauses; on the step slider the arrows move exactly one step, Home and End go
    to 0 and the last step, and the drawn paths follow."""
    app.open(LIGHT)
    page = app.page
    steps = int(app.query()["steps"])
    runs = sorted({k.split(":")[1] for k in app.paths()})
    page.locator(".st-key-present input[type='radio']").first.focus()
    on_play = f"() => document.activeElement === document.querySelector('{PLAY_BUTTON}')"
    presses = 0
    while presses < 12 and not page.evaluate(on_play):
        page.keyboard.press("Tab")
        presses += 1
    assert page.evaluate(on_play), "12 Tab presses after the Presentation switch never reached Play"
    assert presses <= 6, presses  # the toolbar's three buttons, then Play
    ring = page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                         "return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    assert ring[0] != "none" and ring[1] >= 2, f"no visible focus ring on Play: {ring}"

    page.evaluate(JS_WATCH_FRAMES)
    page.keyboard.press("Space")
    app.wait("() => new Set(window.__seen).size >= 3")  # frame after frame
    assert page.evaluate(JS_SLIDER)["playing"]
    page.keyboard.press("Space")
    app.wait(f"() => !({JS_ANIMATING})()")
    paused = page.evaluate(JS_SLIDER)
    assert not paused["playing"] and paused["count"] == steps + 1, paused
    k = paused["active"]
    assert 0 < k < steps, f"Space did not pause mid-way: {paused}"

    for _ in range(3):  # Play, step back, step forward (skipped when disabled), then the slider
        page.keyboard.press("Tab")
        if page.evaluate(f"() => document.activeElement === document.querySelector('{STEP_INPUT}')"):
            break
    assert page.evaluate(f"() => document.activeElement === document.querySelector('{STEP_INPUT}')")
    full = {r: steps + 1 for r in runs}
    for key, want in (("ArrowLeft", k - 1), ("ArrowLeft", k - 2), ("ArrowRight", k - 1), ("Home", 0),
                      ("ArrowRight", 1), ("End", steps), ("ArrowLeft", steps - 1)):
        page.keyboard.press(key)
        _wait_step(app, want, {r: min(want + 1, n) for r, n in full.items()})
        assert page.evaluate(JS_SLIDER)["active"] == want, key
    app.assert_clean()


def test_the_slider_reaches_every_step_and_draws_what_was_computed(app):
    """Steps that are not Play frames (1, 3, 150, 299 of 300 are not), on a view with a run
    that diverges at step 4 (its ✕ shows from step 3 on) and a noisy SGD run: the slider goes
    there and each path, in both cells, is exactly the computed trajectory up to that step."""
    query = {"surface": "rosenbrock", "r0.opt": "sgd", "r0.lr": "0.01", "r1.opt": "sgd", "r1.noise": "0.5",
             "steps": "300"}
    app.open(query)
    page = app.page
    computed, ends = _computed(query)
    assert ends["r0"] == 4 and ends["r1"] == 301  # r0 diverged at step 4: steps 0..3 are drawn
    frame_steps = set(page.evaluate("() => document.querySelector('div.optviz-plot')._optvizControls.frameSteps"))
    assert page.evaluate(JS_SLIDER)["count"] == 301
    for k in (1, 3, 150, 2, 299):
        page.evaluate("""(k) => {
          const input = document.querySelector('div.optviz-plot + .optviz-controls input.optviz-slider');
          input.value = String(k);
          input.dispatchEvent(new Event('input', {bubbles: true}));
        }""", k)
        lengths = {r: min(k + 1, n) for r, n in ends.items()}
        _wait_step(app, k, lengths)
        traces = page.evaluate(JS_RUN_TRACES)
        for t in traces:
            want = computed[t["group"]][: lengths[t["group"]]]
            got = np.array([[np.nan if v is None else v for v in t[d]] for d in ("x", "y")], dtype=float).T
            if t["mode"].startswith("lines"):
                assert got.shape == want.shape, (k, t["type"], t["group"], got.shape)
                np.testing.assert_array_equal(got, want.astype(float), err_msg=f"step {k} {t['type']} {t['group']}")
            elif t["mode"] == "markers":  # the moving marker sits on the step's point
                np.testing.assert_array_equal(got[0], want[-1].astype(float), err_msg=f"marker at {k}")
            else:  # the ✕ of the diverged run: from step 3 on, at its last point inside the plot
                assert t["group"] == "r0" and "text" in t["mode"]
                shown = np.isfinite(got[:, 0]).any()
                assert shown == (k >= 3), (k, t)
                if shown:
                    inside = computed["r0"][np.isfinite(computed["r0"][:, 0])]
                    np.testing.assert_array_equal(got[np.isfinite(got[:, 0])][-1], inside[-1].astype(float))
        assert {t["group"] for t in traces} == {"r0", "r1"}
    assert {1, 3, 150, 299} & frame_steps == set(), "the steps checked must include ones that are not frames"
    app.assert_clean()


def test_a_learning_rate_slider_redraws_that_path_only(app):
    app.open()
    page = app.page
    before = app.paths()
    # Five runs: their sliders sit in closed expanders. Open Adam's (the fifth run).
    page.locator('[data-testid="stSidebar"] .st-key-run-4 summary').click()
    lr = app.range_input("r4.lr")
    lr.wait_for(state="visible")
    old = float(lr.get_attribute("aria-valuetext"))
    assert old == 0.2, "Beale's preset learning rate for Adam"
    app.press(lr, "ArrowLeft", 3)  # 0.2 -> 0.15 -> 0.12 -> 0.1 on the 1-1.2-1.5-2-2.5-... grid
    app.wait_query(lambda q: q.get("r4.lr") == "0.1", "r4.lr=0.1")
    # Adam's first step moves every coordinate by the learning rate: the redrawn path shows 0.1.
    app.wait("""() => {
      const gd = document.querySelector('div.optviz-plot');
      const t = gd._fullData.find((d) => d.type === 'scatter' && d.mode === 'lines' && d.legendgroup === 'r4');
      return !!t && Math.abs(Math.abs(t.x[1] - t.x[0]) - 0.1) < 1e-4;
    }""")
    app.wait_idle()
    assert lr.get_attribute("aria-valuetext") == "0.1"
    after = app.paths()
    assert set(after) == set(before)
    for key in before:
        if key.endswith(":r4"):
            assert after[key] != before[key], key
            assert abs(abs(after[key]["x"][1] - after[key]["x"][0]) - 0.1) < 1e-4
            assert abs(abs(before[key]["x"][1] - before[key]["x"][0]) - old) < 1e-4
        else:
            assert after[key] == before[key], f"{key} changed with Adam's learning rate"
    app.assert_clean()


def test_the_camera_stays_where_the_user_put_it(app):
    app.open(LIGHT)
    page = app.page
    default = app.camera()
    assert default is not None
    assert "cam" not in app.query()
    # Rotate the 3-D scene with the mouse.
    box = page.evaluate(JS_SCENE_BOX)
    cx, cy = box["left"] + box["width"] / 2, box["top"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(cx + 12 * i, cy + 3 * i)
    page.mouse.up()
    # The camera goes back to Python (debounced) and into the share link.
    app.wait(f"(d) => {{ const c = ({JS_CAMERA})(); return !!c && Math.hypot(c.x - d.x, c.y - d.y, c.z - d.z) > .3; }}",
             arg=default)

    def link_has_live_camera(q):
        cam, live = q.get("cam"), app.camera()
        return cam is not None and _close(dict(zip("xyz", map(float, cam.split(",")), strict=True)), live, 1e-3)

    app.wait_query(link_has_live_camera, "the rotated camera in cam=")
    app.wait_idle()
    rotated = app.camera()
    # Any other control redraws the figure: the camera must not snap back.
    steps = app.range_input("steps")
    old_steps = int(steps.get_attribute("aria-valuetext"))
    app.press(steps, "ArrowLeft", 2)
    new_steps = old_steps - 20
    app.wait(f"""() => {{
      const gd = document.querySelector('div.optviz-plot');
      return gd._fullData.filter((d) => d.mode === 'lines' && d.legendgroup)
        .every((d) => d.x.length === {new_steps + 1});
    }}""")
    app.wait_query(lambda q: q.get("steps") == str(new_steps), f"steps={new_steps}")
    app.wait_idle()
    live = app.camera()
    assert _close(live, rotated, 1e-3), (live, rotated)
    cam = dict(zip("xyz", map(float, app.query()["cam"].split(",")), strict=True))
    assert _close(cam, rotated, 1e-3), (cam, rotated)
    app.assert_clean()


def test_clicking_the_contour_sets_the_start_point(app):
    app.open(LIGHT)
    page = app.page
    x0_input = page.locator(".st-key-x0 input")
    y0_input = page.locator(".st-key-y0 input")
    old = (x0_input.input_value(), y0_input.input_value())
    box = page.evaluate(JS_CONTOUR_BOX)
    # A whole-pixel point at 30% / 25% of the plot area, and its data coordinate from the axis ranges.
    cx, cy = round(box["left"] + 0.3 * box["width"]), round(box["top"] + 0.25 * box["height"])
    (x_lo, x_hi), (y_lo, y_hi) = box["xrange"], box["yrange"]
    want_x = x_lo + (cx - box["left"]) / box["width"] * (x_hi - x_lo)
    want_y = y_hi - (cy - box["top"]) / box["height"] * (y_hi - y_lo)
    tol_x = 1.5 * (x_hi - x_lo) / box["width"]  # a pixel and a half
    tol_y = 1.5 * (y_hi - y_lo) / box["height"]
    page.mouse.move(cx, cy)
    page.mouse.click(cx, cy)
    app.wait("(old) => document.querySelector('.st-key-x0 input').value !== old[0]"
             " && document.querySelector('.st-key-y0 input').value !== old[1]", arg=list(old))
    x0, y0 = float(x0_input.input_value()), float(y0_input.input_value())
    assert abs(x0 - want_x) <= tol_x and abs(y0 - want_y) <= tol_y, ((x0, y0), (want_x, want_y))
    # Every path now starts there.
    app.wait(f"""() => {{
      const gd = document.querySelector('div.optviz-plot');
      return gd._fullData.filter((d) => d.mode === 'lines' && d.legendgroup)
        .every((d) => Math.abs(d.x[0] - {x0}) < 1e-4 && Math.abs(d.y[0] - {y0}) < 1e-4);
    }}""")
    app.wait_idle()
    for key, path in app.paths().items():
        assert abs(path["x"][0] - want_x) <= tol_x and abs(path["y"][0] - want_y) <= tol_y, key
    q = app.query()
    assert abs(float(q["x0"]) - x0) < 1e-9 and abs(float(q["y0"]) - y0) < 1e-9
    app.assert_clean()


def test_screenshot(app, tmp_path):
    """The default page draws its charts (the 3-D scene, the contour, a path per run, the step
    charts, the results table, no NaN); once drawn it is saved to $OPTVIZ_SCREENSHOT when set
    (docs/screenshot.png)."""
    from PIL import Image

    app.open()
    page = app.page
    # One page load for both: the default page's checks read it and change nothing.
    _assert_default_page_draws_its_charts(app)
    page.locator("div.optviz-chart .scatterlayer .trace").first.wait_for()
    page.evaluate("document.fonts.ready.then(() => null)")
    # Two animation frames: the WebGL scene has painted its latest state.
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))))")
    app.wait_idle()
    target = Path(os.environ.get("OPTVIZ_SCREENSHOT") or tmp_path / "screenshot.png")
    target.parent.mkdir(parents=True, exist_ok=True)
    png = page.screenshot(path=str(target))
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (VIEWPORT["width"], VIEWPORT["height"])
    # Not blank: the 3-D scene and the contour regions are full of colours.
    for box in (page.evaluate(JS_SCENE_BOX), page.evaluate(JS_CONTOUR_BOX)):
        region = image.crop((int(box["left"]), int(box["top"]), int(box["left"] + box["width"]),
                             int(min(box["top"] + box["height"], VIEWPORT["height"]))))
        colours = region.getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 500, f"a chart region looks blank: {box}"
    app.assert_clean()


def test_the_page_draws_what_was_computed_gaps_divergence_and_escape(app, tmp_path):
    """Issue 6 in the browser: mini-batch SGD that jitters out of the plot and back is drawn
    again (it was 1 point of 251); a diverged run ends at its step with a ✕ and its label in both
    cells and in the loss chart; the saddle's loss axis is symlog with real tick labels."""
    from optviz import simulate
    from optviz.core.presets import PRESETS
    from optviz.plot.grid import inside_plot
    from surfaces import SURFACES

    # The pictures measured (casings in the probe colour), and with OPTVIZ_CAMERA_SHOTS the view as shown.
    shots_dir = Path(os.environ.get("OPTVIZ_CAMERA_SHOTS") or tmp_path)
    shots_dir.mkdir(parents=True, exist_ok=True)
    page = app.page

    app.open({"surface": "mse", "opt": "sgd,adam", "batch": "1", "seed": "1"})
    mse, preset = SURFACES["mse"], PRESETS["mse"]
    sgd = simulate(mse, "sgd", preset.start, preset.steps, seed=1, batch_size=1, **preset.hparams_for("sgd"))
    inside = inside_plot(mse, sgd.path)
    assert not inside.all()  # the case of the issue: it leaves the plot ...
    paths = page.evaluate(JS_ALL_PATHS)
    for cell in ("scatter", "scatter3d"):
        drawn = [v is not None for v in paths[f"{cell}:r0"]["x"]]  # run 0 is SGD
        assert drawn == inside.tolist(), cell  # ... and every inside point is drawn, only those
    page.screenshot(path=str(shots_dir / "page-mse-batch1-seed1.png"))

    app.open({"surface": "rosenbrock", "opt": "sgd,adam", "sgd.lr": "0.01"})
    marks = page.evaluate(JS_END_MARKS)
    assert sorted(m["type"] for m in marks) == ["scatter", "scatter3d"], marks
    assert all(m["key"] == "r0" and m["text"] == "diverged at step 4" and m["symbol"] == "x" for m in marks)
    assert all(m["x"][-1] is not None for m in marks)
    assert len(page.evaluate(JS_ALL_PATHS)["scatter:r0"]["x"]) == 4  # steps 0-3: the frozen tail is not drawn
    chart = _loss_chart(app)
    line = next(t for t in chart["traces"] if t["key"] == "r0" and t["mode"] == "lines")
    assert line["n"] == 4 and "diverged at step 4" in line["name"], chart
    assert any(t["key"] == "r0" and t["mode"] == "markers" for t in chart["traces"]), chart
    page.screenshot(path=str(shots_dir / "page-rosenbrock-diverged.png"))
    page.locator('div.optviz-chart').first.screenshot(path=str(shots_dir / "loss-rosenbrock-diverged.png"))

    app.open({"surface": "saddle"})
    chart = _loss_chart(app)
    assert "symmetric log" in chart["title"] and "0" in chart["ticks"] and "−10⁵" in chart["ticks"], chart
    assert sum("escaped (step" in t["name"] for t in chart["traces"] if t["mode"] == "lines") >= 4, chart
    assert not any("diverged" in t["name"] for t in chart["traces"]), chart
    page.screenshot(path=str(shots_dir / "page-saddle.png"))
    page.locator('div.optviz-chart').first.screenshot(path=str(shots_dir / "loss-saddle.png"))
    app.assert_clean()


def _assert_play_animates_and_keeps_the_contour(app) -> None:
    """On a page just opened: Play from the last frame moves the slider, the contour stays
    through the frames and after Pause, and the paused frame shows the paths up to its step."""
    page = app.page
    full = app.paths()
    assert all(None not in p["x"] for p in full.values()), "the light view's paths should stay on the plot"
    start = page.evaluate(JS_SLIDER)
    assert start["active"] == start["count"] - 1, "the figure opens on its last frame"
    # Record, at every animation frame, the frame and whether the contour is still on the page
    # (plotly.js #4596: a frame transition removes cartesian traces left out of the frame).
    page.evaluate("""() => {
      const gd = document.querySelector('div.optviz-plot');
      window.__frames = [];
      gd.on('plotly_animatingframe', (e) => window.__frames.push(
        [e.name, gd.querySelectorAll('.contourlayer path').length]));
    }""")
    page.locator(PLAY_BUTTON, has_text="Play").click()
    # The slider moves: at least two new positions, while the animation still runs.
    app.wait(WAIT_TWO_NEW_STEPS, arg=start["active"])
    assert page.evaluate(JS_ANIMATING), "the animation stopped after two frames"
    assert app.contour_paths() > 0, "the contour vanished while playing"
    frames = page.evaluate("window.__frames")
    assert len(frames) >= 2 and all(count > 0 for _, count in frames), frames
    page.locator(PLAY_BUTTON, has_text="Pause").click()
    app.wait(f"() => !({JS_ANIMATING})()")
    stopped = page.evaluate(JS_SLIDER)
    assert stopped["active"] < stopped["count"] - 1, "Pause did not stop before the end"
    assert app.contour_paths() > 0, "the contour vanished after Pause"
    # The paused frame shows the paths up to its step, not the whole paths.
    k = int(stopped["label"])
    for key, path in app.paths().items():
        assert len(path["x"]) == k + 1, (key, len(path["x"]), k)
        assert path["x"] == full[key]["x"][: k + 1]
    app.assert_clean()


def test_play_works_after_every_kind_of_update(app):
    """Play animates and keeps the contour on the first page; it animates after a slider change, a
    view switch, a surface switch, a reset and on a link; the rotated camera survives the slider
    change and Play; no page error."""
    errors = _watch_errors(app)
    app.open(LIGHT)
    page = app.page
    _assert_play_animates_and_keeps_the_contour(app)  # on the first page: one page load fewer
    _assert_plays(app, "first page")
    rotated = _rotate_camera(app)

    _change_steps(app, 2)
    _assert_plays(app, "after the steps slider")
    assert _close(app.camera(), rotated, 1e-3), "the camera moved with a slider or with Play"

    page.get_by_text("Contour only").click()
    app.wait("() => !document.querySelector('div.optviz-plot')._fullLayout.scene")
    app.wait_idle()
    _assert_plays(app, "after switching to the contour view")
    page.get_by_text("3-D + contour").click()
    app.wait("() => !!document.querySelector('div.optviz-plot')._fullLayout.scene")
    app.wait_idle()
    _assert_plays(app, "after switching back to both views")

    page.locator(".st-key-surface [role='combobox']").click()
    page.get_by_role("option", name=re.compile(r"^Rosenbrock")).click()
    app.wait_query(lambda q: q.get("surface") == "rosenbrock", "surface=rosenbrock")
    app.wait("() => { const s = document.querySelector('div.optviz-plot')._fullLayout.scene;"
             " return !!s && s.xaxis.range[0] === -2 && s.xaxis.range[1] === 2; }")  # Rosenbrock's x domain
    app.wait_idle()
    _assert_plays(app, "after a surface switch")

    page.get_by_role("button", name="Reset start, steps and hyperparameters").click()
    app.wait_idle()
    _assert_plays(app, "after a reset")

    link = page.url
    app.open(link)
    _assert_plays(app, "on a reopened link")
    app.assert_clean()
    assert not errors, errors


def _assert_the_private_plotly_apis_are_there(app) -> None:
    """What the view reaches inside plotly.js (requirements.txt pins plotly to where this holds)."""
    found = app.page.evaluate("""() => {
      const gd = document.querySelector('div.optviz-plot'), fl = gd._fullLayout, td = gd._transitionData;
      const cart = (fl._basePlotModules || []).find((m) => m.name === 'cartesian');
      return {frames: Array.isArray(td._frames) && td._frames.length > 0, frameHash: typeof td._frameHash,
              cartesianPlot: !!cart && typeof cart.plot === 'function', patched: !!cart && !!cart._optvizPatched,
              getCamera: !!fl.scene._scene && typeof fl.scene._scene.getCamera === 'function',
              plotClass: gd.classList.contains('js-plotly-plot'), version: window.Plotly.version};
    }""")
    assert found == {"frames": True, "frameHash": "object", "cartesianPlot": True, "patched": True, "getCamera": True,
                     "plotClass": True, "version": found["version"]}, found
    app.assert_clean()


def test_a_change_while_playing_raises_no_error_and_keeps_playing(app):
    """What the view reaches inside plotly.js is there. A slider change during Play: no page error
    or unhandled rejection; the view goes on playing with the new paths (or stops cleanly), and
    Play works again afterwards, camera kept."""
    errors = _watch_errors(app)
    app.open(LIGHT)
    _assert_the_private_plotly_apis_are_there(app)  # on this test's first page: one page load fewer
    page = app.page
    rotated = _rotate_camera(app)
    for round_ in range(2):
        page.evaluate(JS_WATCH_FRAMES)
        _press_play(app)
        app.wait("() => new Set(window.__seen).size >= 2")
        new = _change_steps(app, 1)
        counts = page.evaluate(JS_FRAME_COUNT)
        assert counts["frames"] == counts["steps"] == min(new + 1, 150), counts
        if page.evaluate(JS_ANIMATING):
            # Still playing, now with the new paths: frames keep coming and none is longer than the run.
            page.evaluate("() => { window.__seen = []; }")
            app.wait("() => new Set(window.__seen).size >= 2")
            assert max(int(n) for n in page.evaluate("window.__seen")) <= new
            _press_pause(app)
        _assert_plays(app, f"after a change during Play (round {round_ + 1})")
    # Pause, Play and the step slider in quick succession interrupt plotly's animations.
    _press_play(app)
    page.wait_for_timeout(200)
    _press_pause(app)
    _press_play(app)
    page.wait_for_timeout(200)
    _press_play(app)
    page.wait_for_timeout(200)
    _press_pause(app)
    page.wait_for_timeout(500)
    assert _close(app.camera(), rotated, 1e-3), "the camera moved"
    app.assert_clean()
    assert not errors, errors


def test_one_learning_rate_change_sends_that_optimizer_only(app):
    """After the first page, a learning-rate change crosses the websocket as that optimizer's new
    arrays and traces plus Streamlit's references to the elements the page already holds, not the
    whole figure (surface, contour, other paths) nor the whole sidebar again."""
    received: list[int] = []
    app.page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(
        len(payload) if isinstance(payload, (bytes, str)) else 0)))
    app.open()
    page = app.page
    page.locator('[data-testid="stSidebar"] .st-key-run-4 summary').click()  # Adam, the fifth run
    lr = app.range_input("r4.lr")
    lr.wait_for(state="visible")
    first_load = sum(received)
    sent = []
    for value in ("0.15", "0.12"):
        received.clear()
        app.press(lr, "ArrowLeft", 1)
        app.wait_query(lambda q, v=value: q.get("r4.lr") == v, f"r4.lr={value}")
        app.wait(f"""() => {{
          const gd = document.querySelector('div.optviz-plot');
          const t = gd._fullData.find((d) => d.type === 'scatter' && d.mode === 'lines' && d.legendgroup === 'r4');
          return !!t && Math.abs(Math.abs(t.x[1] - t.x[0]) - {value}) < 1e-4;
        }}""")
        app.wait_idle()
        sent.append(sum(received))
    first_change, change = sent
    assert first_load > 200_000, first_load  # the first page carries the surface and every path
    # The first change after a load also resends every widget once (Streamlit marks the values a
    # link set on the first run), a fraction of the first page all the same.
    assert first_change < first_load / 4, f"the first change sent {first_change} bytes (first page: {first_load})"
    # Bytes as the page receives them, inflated (on the wire, deflated, it is about half:
    # benchmarks/bench_browser.py, aim 40 KB). Measured 56 KB: Adam's pieces of the five charts
    # (~27 KB: its 3-D and 2-D path, four step-chart lines in float32), ~80 references to
    # unchanged elements (~6 KB), the layout blocks Streamlit never caches (~8 KB), the results
    # table, the link and the other elements that do change. Before issue 7's byte work it was
    # 91 KB (every element under 10 KB resent, step charts in float64, a 2.2 KB loader each).
    assert change < 64_000, f"one learning-rate change sent {change} bytes"
    app.assert_clean()


def test_the_inspector_arrows_appear_at_the_step_and_follow_it(app):
    from optviz import simulate
    from optviz.analysis.inspector import inspect
    from optviz.core.presets import preset_for

    app.open({**LIGHT, "inspect_run": "2", "inspect_step": "3", "view": "contour"})
    page = app.page
    preset = preset_for("himmelblau")
    adam = simulate("himmelblau", "adam", tuple(preset.start), preset.steps, record_state=True,
                    **preset.hparams_for("adam"))

    def arrow_at(k):
        drawn = page.evaluate(JS_INSPECTOR)
        assert drawn is not None, "no 'update taken' arrow on the contour view"
        # From θ_k towards θ_k+1, magnified by the scale the key states (issue 19).
        assert drawn["scale"] is not None, "the key does not state the arrows' scale"
        end = adam.path[k] + drawn["scale"] * (adam.path[k + 1] - adam.path[k])
        assert drawn["x"] == pytest.approx([adam.path[k, 0], end[0]], rel=1e-9, abs=1e-12)
        assert drawn["y"] == pytest.approx([adam.path[k, 1], end[1]], rel=1e-9, abs=1e-12)
        assert drawn["step"] == k  # the main chart shows the inspected step
        assert inspect(adam, k).latex  # the step exists in the core too
        return drawn

    first = arrow_at(3)
    page.locator(".st-key-inspector_panel").screenshot(path=str(DOCS / "inspector.png"))
    page.locator(".st-key-inspect_forward button").click()
    app.wait_query(lambda q: q.get("inspect_step") == "4", "inspect_step=4")
    app.wait_drawn()
    app.wait("(x) => { const gd = document.querySelector('div.optviz-plot');"
             " const t = gd._fullData.find((d) => d.name === 'update taken'); return t && t.x[0] !== x; }",
             arg=first["x"][0])
    arrow_at(4)
    page.locator(".st-key-inspect_back button").click()
    app.wait_query(lambda q: q.get("inspect_step") == "3", "inspect_step=3")
    app.wait_drawn()
    app.wait("(x) => { const gd = document.querySelector('div.optviz-plot');"
             " const t = gd._fullData.find((d) => d.name === 'update taken'); return t && t.x[0] === x; }",
             arg=first["x"][0])
    arrow_at(3)
    page.screenshot(path=str(DOCS / "inspector-page.png"))
    app.assert_clean()
