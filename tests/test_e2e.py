"""End-to-end: the real app in a real headless Chromium, driven as a person would.

One Streamlit server and one browser serve the whole module (session fixtures); every test gets
a fresh browser context, i.e. a fresh Streamlit session. Chromium renders WebGL in software
here, so redraws take seconds: every wait is on a condition of the page (the plot div's state,
the script state, the URL), never a fixed sleep.

Run: ``pytest -m e2e``. Skip: ``pytest -m "not e2e"`` (``make test E2E=0``).
``OPTVIZ_CHROMIUM`` points at the browser (default /usr/bin/chromium); with ``OPTVIZ_SCREENSHOT``
set to a path, ``test_screenshot`` saves the default page there (``make screenshot``).
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np
import pytest

from optviz.app.share import parse_query

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
VIEWPORT = {"width": 1500, "height": 1000}
TIMEOUT_MS = 60_000  # software WebGL: a redraw of the 3-D scene takes seconds
# A light view for the interaction tests: two runs (their expanders are open), 200 steps (an old link).
LIGHT = {"surface": "himmelblau", "opt": "sgd,adam"}

# --- page-side helpers (plotly's state on the component's div) ---------------------------------

JS_GD = "document.querySelector('div.optviz-plot')"

JS_IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector('[data-stale="true"]');
}"""

# The component renders through a promise queue: wait until it holds no pending render.
JS_SETTLE = """async () => {
  const gd = document.querySelector('div.optviz-plot');
  if (!gd || !gd._ov) return;
  let q;
  do { q = gd._ov.queue; await q; } while (q !== gd._ov.queue);
}"""

JS_DRAWN = """() => {
  const gd = document.querySelector('div.optviz-plot');
  return !!gd && !!gd._fullLayout && !!gd._fullData && gd._fullData.length > 0
    && !!gd._transitionData && (gd._transitionData._frames || []).length > 0;
}"""

# Each run's drawn path, per cell: {"scatter:r0": {"x": [...], "y": [...]}, "scatter3d:r0": ...}.
# _fullData holds the decoded arrays (gd.data may hold plotly's base64 typed-array specs); NaN -> null.
JS_PATHS = """() => {
  const gd = document.querySelector('div.optviz-plot'), out = {};
  const list = (a) => Array.from(a || [], (v) => (Number.isFinite(v) ? v : null));
  for (const t of gd._fullData || []) {
    if ((t.type === 'scatter' || t.type === 'scatter3d') && (t.mode || '').startsWith('lines') && t.legendgroup
        && t.meta !== 'casing') {  // not the wider line beneath each path
      out[t.type + ':' + t.legendgroup] = {x: list(t.x), y: list(t.y)};
    }
  }
  return out;
}"""

JS_CONTOUR_PATHS = """() => {
  const gd = document.querySelector('div.optviz-plot');
  return gd ? gd.querySelectorAll('.contourlayer path').length : 0;
}"""

JS_CAMERA = """() => {
  const gd = document.querySelector('div.optviz-plot');
  const s = gd && gd._fullLayout && gd._fullLayout.scene;
  if (!s) return null;
  const cam = s._scene ? s._scene.getCamera() : (gd.layout.scene || {}).camera;
  return cam ? {x: cam.eye.x, y: cam.eye.y, z: cam.eye.z} : null;
}"""

# The 3-D scene's box on the page (its domain within the figure's plot area).
JS_SCENE_BOX = """() => {
  const gd = document.querySelector('div.optviz-plot'), fl = gd._fullLayout, s = fl.scene;
  const r = gd.getBoundingClientRect(), sz = fl._size;
  return {left: r.left + sz.l + s.domain.x[0] * sz.w, top: r.top + sz.t + (1 - s.domain.y[1]) * sz.h,
          width: (s.domain.x[1] - s.domain.x[0]) * sz.w, height: (s.domain.y[1] - s.domain.y[0]) * sz.h};
}"""

# The 2-D cell's plot area (plotly's drag cover of subplot xy) and its axis ranges.
JS_CONTOUR_BOX = """() => {
  const gd = document.querySelector('div.optviz-plot');
  const r = gd.querySelector('.nsewdrag[data-subplot="xy"]').getBoundingClientRect();
  return {left: r.left, top: r.top, width: r.width, height: r.height,
          xrange: gd._fullLayout.xaxis.range.slice(), yrange: gd._fullLayout.yaxis.range.slice()};
}"""

# The HTML step slider under the trajectory view (optviz/web/figure.js mountControls): the step on
# screen ("active", also as its "label") and the number of steps it reaches (0..last).
JS_SLIDER = """() => {
  const input = document.querySelector('div.optviz-plot + .optviz-controls input.optviz-slider');
  const play = input.closest('.optviz-controls').querySelector('.optviz-play');
  return {active: Number(input.value), label: input.value, count: Number(input.max) + 1,
          playing: play.getAttribute('aria-pressed') === 'true'};
}"""
CONTROLS = "div.optviz-plot + .optviz-controls"
STEP_INPUT = f"{CONTROLS} input.optviz-slider"
PLAY_BUTTON = f"{CONTROLS} button.optviz-play"
JS_STEP = f"() => Number(document.querySelector('{STEP_INPUT}').value)"

JS_ANIMATING = """() => {
  const td = document.querySelector('div.optviz-plot')._transitionData;
  return !!td && (!!td._animationRaf || (td._frameQueue || []).length > 0);
}"""

# Every field of the sidebar, by widget key: slider values (as shown), number inputs, select texts.
JS_SIDEBAR = """() => {
  const out = {};
  for (const c of document.querySelectorAll('[data-testid="stSidebar"] [data-testid="stElementContainer"]')) {
    const key = [...c.classList].find((k) => k.startsWith('st-key-'));
    if (!key) continue;
    const ranges = [...c.querySelectorAll('input[type="range"]')].map((i) => i.getAttribute('aria-valuetext'));
    const numbers = [...c.querySelectorAll('input[type="number"]')].map((i) => i.value);
    out[key] = ranges.length ? ranges.join('|') : numbers.length ? numbers.join('|') : c.innerText.trim();
  }
  return out;
}"""


class App:
    """One browser page on the app, with the waits and reads the tests share."""

    def __init__(self, page, base: str):
        self.page = page
        self.base = base
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("console", lambda m: self.errors.append(f"console.error: {m.text}")
                if m.type == "error" and "optviz" in m.text else None)

    def open(self, query: dict | str | None = None) -> App:
        if isinstance(query, dict):
            query = "?" + urlencode(query)
        url = query if query and query.startswith("http") else self.base + "/" + (query or "")
        self.page.goto(url, wait_until="domcontentloaded")
        self.wait_drawn()
        return self

    def wait(self, js: str, arg=None, timeout: int = TIMEOUT_MS):
        return self.page.wait_for_function(js, arg=arg, timeout=timeout)

    def wait_idle(self) -> None:
        """The script has finished its run and the component has drawn what it sent."""
        self.wait(JS_IDLE)
        self.page.evaluate(JS_SETTLE)
        self.wait(JS_IDLE)

    def wait_drawn(self) -> None:
        self.wait(JS_DRAWN)
        self.wait_idle()
        self.wait(JS_DRAWN)

    def paths(self) -> dict:
        return self.page.evaluate(JS_PATHS)

    def camera(self) -> dict | None:
        return self.page.evaluate(JS_CAMERA)

    def contour_paths(self) -> int:
        return self.page.evaluate(JS_CONTOUR_PATHS)

    def sidebar(self) -> dict:
        return self.page.evaluate(JS_SIDEBAR)

    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.page.url).query).items()}

    def wait_query(self, predicate, what: str, timeout: float = TIMEOUT_MS / 1000) -> dict[str, str]:
        """Wait until the page URL's query satisfies `predicate` (the app rewrites it after a run)."""
        deadline = time.monotonic() + timeout
        while True:
            q = self.query()
            if predicate(q):
                return q
            if time.monotonic() > deadline:
                raise AssertionError(f"the URL never showed {what}: {self.page.url}")
            self.page.wait_for_timeout(100)

    def range_input(self, key: str):
        """The keyboard-focusable input of st.slider / st.select_slider with this widget key."""
        return self.page.locator(f".st-key-{key.replace('.', '-')} input[type='range']")

    def press(self, locator, key: str, times: int) -> None:
        locator.focus()
        for _ in range(times):
            self.page.keyboard.press(key)

    def assert_clean(self) -> None:
        assert self.page.locator('[data-testid="stException"]').count() == 0, self.page.locator(
            '[data-testid="stException"]').first.inner_text()
        assert not self.errors, self.errors


@pytest.fixture
def app(browser, app_url):
    """A fresh context (a new Streamlit session) at a 1500x1000 window."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield App(context.new_page(), app_url)
    finally:
        context.close()


def _close(a: dict, b: dict, tol: float) -> bool:
    return all(math.isclose(a[c], b[c], abs_tol=tol) for c in "xyz")


# --- tests --------------------------------------------------------------------------------------


def test_default_page_draws_its_charts(app):
    app.open()
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
    assert any(t.startswith("Adam") for t in texts) and "Momentum" in texts, texts
    assert not [t for t in texts if re.search(r"\bnan\b|\binf\b", t, re.I)], texts
    assert not re.search(r"\bNaN\b", page.locator('[data-testid="stMain"]').inner_text())
    app.assert_clean()


# The step slider shows at least two new positions (Play is running).
WAIT_TWO_NEW_STEPS = f"""(last) => {{
  const k = Number(document.querySelector('{STEP_INPUT}').value);
  window.__active = window.__active || new Set();
  if (k !== last) window.__active.add(k);
  return window.__active.size >= 2;
}}"""


def test_play_animates_and_keeps_the_contour(app):
    app.open(LIGHT)
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


# Every run's drawn traces in the trajectory view: paths, moving markers and end marks (✕, ○).
JS_RUN_TRACES = """() => {
  const gd = document.querySelector('div.optviz-plot');
  const list = (a) => Array.from(a || [], (v) => (Number.isFinite(v) ? v : null));
  return (gd._fullData || []).filter((t) => (t.type === 'scatter' || t.type === 'scatter3d') && /^r[0-9]+$/.test(
    t.legendgroup || '')).map((t) => ({type: t.type, group: t.legendgroup, mode: t.mode, x: list(t.x), y: list(t.y)}));
}"""


def _wait_step(app: App, k: int, lengths: dict[str, int]) -> None:
    """The controls show step k and every run's drawn path (both cells) has `lengths[run]` points."""
    app.wait("""([k, lengths]) => {
      const input = document.querySelector('div.optviz-plot + .optviz-controls input.optviz-slider');
      if (Number(input.value) !== k) return false;
      const gd = document.querySelector('div.optviz-plot');
      const paths = gd._fullData.filter((t) => (t.mode || '').startsWith('lines')
        && lengths[t.legendgroup] !== undefined);
      return paths.length > 0 && paths.every((t) => t.x.length === lengths[t.legendgroup]);
    }""", arg=[k, lengths])


def _computed(query: dict[str, str]) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Each run's path as the view must draw it, from the same settings simulated here: float32
    points, NaN outside the plot, up to the divergence step; and its number of drawable points."""
    from optviz.plot.plotting import inside_plot
    from surfaces import SURFACES

    state = parse_query(query)
    surface = SURFACES[state.surface]
    paths, ends = {}, {}
    for i, run in enumerate(state.runs):
        t = run.simulate(state.surface, state.start, state.steps, state.seed)
        end = int(t.diverged_at) if bool(t.diverged) else len(t.path)
        path = np.asarray(t.path[:max(end, 1)], dtype=float)
        inside = inside_plot(surface, path)
        paths[f"r{i}"] = np.where(inside[:, None], path, np.nan).astype(np.float32)
        ends[f"r{i}"] = len(path)
    return paths, ends


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


def test_a_share_link_opens_the_same_view_in_a_fresh_browser(app, browser):
    # Some changes through a link (another surface, a learning rate, fewer steps) ...
    app.open({**LIGHT, "adam.lr": "0.05", "steps": "120"})
    before = app.paths()
    # ... and one through the sidebar: SGD's learning rate one notch up (0.01 -> 0.012).
    app.press(app.range_input("r0.lr"), "ArrowRight", 1)
    app.wait(f"(old) => JSON.stringify(({JS_PATHS})()['scatter:r0']) !== old", arg=json.dumps(before["scatter:r0"]))
    # The app writes the whole view into the URL: that is the share link.
    link_query = app.wait_query(lambda q: q.get("r0.lr") == "0.012" and "x0" in q, "r0.lr=0.012 and the full view")
    assert link_query["r1.lr"] == "0.05" and link_query["steps"] == "120" and link_query["surface"] == "himmelblau"
    app.wait_idle()
    teacher = app.paths()
    assert teacher["scatter:r1"] == before["scatter:r1"] and teacher["scatter:r0"] != before["scatter:r0"]
    link = app.page.url
    teacher_sidebar = app.sidebar()
    assert teacher_sidebar["st-key-steps"] == "120" and teacher_sidebar["st-key-r1-lr"] == "0.05"
    assert teacher_sidebar["st-key-r0-lr"] == "0.012"

    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        student = App(context.new_page(), app.base).open(link)
        student_paths = student.paths()
        assert set(student_paths) == set(teacher) == {"scatter:r0", "scatter3d:r0", "scatter:r1", "scatter3d:r1"}
        assert all(len(p["x"]) == 121 for p in student_paths.values())
        assert student_paths == teacher
        assert student.sidebar() == teacher_sidebar
        assert student.page.locator('[data-testid="stAlert"]').count() == 0
        student.assert_clean()
    finally:
        context.close()
    app.assert_clean()


def test_a_bad_link_shows_a_notice_and_no_exception(app):
    query = {"surface": "nope", "steps": "NaN", "adam.lr": "inf", "cam": "x"}
    app.open(query)
    page = app.page
    alerts = page.locator('[data-testid="stAlert"]', has_text="Share link")
    alerts.first.wait_for(state="visible")
    expected = parse_query(query).notices
    assert alerts.count() == len(expected) >= 4
    shown = " ".join(" ".join(alerts.nth(i).inner_text().split()) for i in range(alerts.count()))
    for notice in expected:
        assert " ".join(notice.split()) in shown, (notice, shown)
    # ... and the app shows the default surface instead, with a clean link.
    assert app.paths(), "no paths drawn"
    assert app.contour_paths() > 0
    q = app.wait_query(lambda q: q.get("surface") == "beale", "surface=beale")
    assert "cam" not in q and q["steps"] != "NaN"
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
    """The default page once drawn; saved to $OPTVIZ_SCREENSHOT when set (docs/screenshot.png)."""
    from PIL import Image

    app.open()
    page = app.page
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


def test_the_exported_animation_plays_offline(app, browser, tmp_path):
    """The 'Animation (standalone HTML)' button gives a file that plays with no network at all,
    its contour kept on screen through the animation."""
    app.open(LIGHT)
    page = app.page
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.get_by_role("button", name="Animation (standalone HTML)").click()
    target = tmp_path / "animation.html"
    info.value.save_as(target)
    html = target.read_text()
    assert "<title>" in html and not re.search(r"<script[^>]*\bsrc=", html)

    offline = browser.new_context(viewport=VIEWPORT, offline=True)
    try:
        view = offline.new_page()
        errors = []
        view.on("pageerror", lambda e: errors.append(str(e)))
        view.goto(target.as_uri())
        gd = "document.querySelector('.js-plotly-plot')"
        view.wait_for_function(f"() => {gd} && {gd}._fullLayout && ({gd}._transitionData._frames || []).length > 0",
                               timeout=TIMEOUT_MS)
        contour = f"() => {gd}.querySelectorAll('.contourlayer path').length"
        assert view.evaluate(contour) > 0
        step = "() => Number(document.querySelector('.optviz-controls input.optviz-slider').value)"
        last = view.evaluate(step)
        view.get_by_role("button", name="▶ Play").click()
        seen = set()
        deadline = time.monotonic() + 60
        while len(seen) < 3 and time.monotonic() < deadline:
            active = view.evaluate(step)
            if active != last:
                seen.add(active)
                assert view.evaluate(contour) > 0, "the contour vanished while the export played"
            view.wait_for_timeout(100)
        assert len(seen) >= 3, "Play did not animate the exported file"
        assert not [e for e in errors if "undefined" not in e], errors
    finally:
        offline.close()


def test_gd_vs_sgd_vs_minibatch_built_in_the_sidebar_plays(app):
    """The teaching material's first comparison, built as a teacher would: one SGD run on the
    regression, duplicated twice in the sidebar, the copies given batch sizes 1 and 16; then Play."""
    app.open({"surface": "mse", "r0.opt": "sgd", "steps": "200"})
    page = app.page
    sidebar = page.locator('[data-testid="stSidebar"]')

    def duplicate(index: int, count: int) -> None:
        sidebar.locator(f".st-key-duplicate-{index} button").first.click()
        # the runs' expanders (the sidebar holds other expanders too: sweep, your own data ...)
        app.wait(f"() => Array.from(document.querySelectorAll('[data-testid=\"stSidebar\"] [class*=\"st-key-run-\"]'))"
                 f".filter((e) => Array.from(e.classList).some((c) => /^st-key-run-\\d+$/.test(c))).length === {count}")
        app.wait_idle()

    def batch(index: int, key: str, presses: int, want: str) -> None:
        """Batch options are 1, 2, 4, ..., 128, 240 (the full batch)."""
        slider = app.range_input(f"r{index}.batch")
        slider.wait_for(state="attached")
        if not slider.is_visible():  # from three runs on, a new run's editor opens closed
            sidebar.locator(f".st-key-run-{index} summary").click()
        slider.wait_for(state="visible")
        app.press(slider, key, presses)
        app.wait_query(lambda q: q.get(f"r{index}.batch") == want, f"r{index}.batch={want}")
        app.wait_idle()

    duplicate(0, 2)  # two runs: both expanders open
    batch(1, "ArrowLeft", 4, "16")  # the copy becomes mini-batch 16 (240 -> 128 -> 64 -> 32 -> 16) ...
    duplicate(1, 3)  # ... is duplicated (the new run 2 keeps 16) ...
    batch(1, "Home", 1, "1")  # ... and run 1, its slider moved before the rerun, becomes SGD (b = 1)
    q = app.query()
    assert q["r0.batch"] == "240" and q["r1.batch"] == "1" and q["r2.batch"] == "16"
    assert q["r0.opt"] == q["r1.opt"] == q["r2.opt"] == "sgd"
    app.wait("() => document.querySelector('div.optviz-plot')._fullData"
             ".filter((d) => d.type === 'scatter' && d.mode === 'lines' && d.legendgroup && d.meta !== 'casing')"
             ".length === 3")
    paths = app.paths()
    contour = {k: p for k, p in paths.items() if k.startswith("scatter:")}
    assert set(contour) == {"scatter:r0", "scatter:r1", "scatter:r2"}
    assert len({json.dumps(p) for p in contour.values()}) == 3, "three different paths"
    # Three labels that tell the runs apart, in the legend.
    names = page.evaluate("() => document.querySelector('div.optviz-plot')._fullData"
                          ".filter((d) => d.type === 'scatter' && d.mode === 'lines' && d.legendgroup"
                          " && d.meta !== 'casing')"
                          ".map((d) => d.name)")
    assert sorted(n.split(" η=")[0] for n in names) == ["GD", "Mini-batch SGD b=16", "SGD"], names

    start = page.evaluate(JS_SLIDER)
    page.locator(PLAY_BUTTON, has_text="Play").click()
    app.wait(WAIT_TWO_NEW_STEPS, arg=start["active"])
    page.locator(PLAY_BUTTON, has_text="Pause").click()
    app.wait(f"() => !({JS_ANIMATING})()")
    app.errors = [e for e in app.errors if e != "page error: undefined"]  # plotly's own (see above)
    stopped = page.evaluate(JS_SLIDER)
    k = int(stopped["label"])
    for key, path in app.paths().items():  # the frame shows every run up to its step
        assert len(path["x"]) == k + 1, (key, len(path["x"]), k)
    app.assert_clean()


# --- issue 6: every path visible in 3-D from every preset camera (helper truth-plot) -----------

# Hides (false) or shows (true) every optimizer's 3-D traces (paths, casings, moving markers, end marks).
# Hidden as 'legendonly', not false: that would shrink the legend, and resize the scene with it.
JS_SHOW_3D_PATHS = """async (visible) => {
  const gd = document.querySelector('div.optviz-plot');
  const idx = gd.data.map((t, i) => (t.type === 'scatter3d' && t.legendgroup ? i : -1)).filter((i) => i >= 0);
  await Plotly.restyle(gd, {visible: visible || 'legendonly'}, idx);
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
}"""

# Only one run's 3-D traces shown (key), or all of them (null): to tell the surface hiding a path
# from another path drawn over it.
JS_SHOW_ONLY_3D_PATH = """async (key) => {
  const gd = document.querySelector('div.optviz-plot');
  const idx = gd.data.map((t, i) => (t.type === 'scatter3d' && t.legendgroup ? i : -1)).filter((i) => i >= 0);
  const shown = (i) => key === null || gd.data[i].legendgroup === key || 'legendonly';
  await Plotly.restyle(gd, {visible: idx.map(shown)}, idx);
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
}"""

JS_3D_PATH_COLOURS = """() => {
  const gd = document.querySelector('div.optviz-plot'), out = {};
  for (const t of gd._fullData) {
    const path = t.type === 'scatter3d' && (t.mode || '').startsWith('lines') && t.legendgroup && t.meta !== 'casing';
    if (path) out[t.legendgroup] = t.line.color;
  }
  return out;
}"""

# Every 3-D casing recoloured to `colour` (a probe colour no path or surface has, so that a black
# path is not counted where another path's black casing is), or back to its own colour (null).
JS_3D_CASING_COLOUR = """async (colour) => {
  const gd = document.querySelector('div.optviz-plot');
  const idx = gd.data.map((t, i) => (t.type === 'scatter3d' && t.meta === 'casing' ? i : -1)).filter((i) => i >= 0);
  // The larger markers beneath the moving markers are their casing (plotting.MARKER_CASING): probed too.
  const marks = gd.data.map((t, i) => (t.type === 'scatter3d' && t.meta === 'marker casing' ? i : -1))
    .filter((i) => i >= 0);
  if (colour !== null) window.__casingColours = window.__casingColours || idx.map((i) => gd.data[i].line.color);
  if (colour !== null) window.__markColours = window.__markColours || marks.map((i) => gd.data[i].marker.color);
  await Plotly.restyle(gd, {'line.color': colour === null ? window.__casingColours : colour}, idx);
  if (marks.length) {
    await Plotly.restyle(gd, {'marker.color': colour === null ? window.__markColours : colour}, marks);
  }
  if (colour === null) { window.__casingColours = undefined; window.__markColours = undefined; }
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
}"""
CASING_PROBE = "#ff00ff"

JS_SET_EYE = """async (eye) => {
  const gd = document.querySelector('div.optviz-plot');
  await Plotly.relayout(gd, {'scene.camera.eye': eye});
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
}"""

PATH_COLOUR_TOLERANCE = 40  # max per-channel distance from the path's colour
PATH_MIN_PIXELS = 20  # a path counts as seen with at least this many pixels of its colour ...
PATH_MIN_SHARE_OF_TOP = 0.2  # ... and at least this share of what the top view shows of it
# A path short of that, shot alone, must show at least this share of what it shows at the same
# camera with the surface hidden: a path seen end-on is short, not hidden. On a valley floor the
# walls cover the sides of a wide line (Rosenbrock's SGD from the default camera: 65 of 195 px);
# a path behind a hill shows next to nothing.
PATH_MIN_SHARE_UNHIDDEN = 0.25

JS_SHOW_SURFACE = """async (visible) => {
  const gd = document.querySelector('div.optviz-plot');
  const idx = gd.data.map((t, i) => (t.type === 'surface' ? i : -1)).filter((i) => i >= 0);
  await Plotly.restyle(gd, {visible}, idx);  // no legend entry: the scene keeps its size
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
}"""


def _path_pixels(shot, without, colour: str) -> int:
    """Pixels of the scene near the path's colour that the path's traces put there (they differ
    from the same view with the paths hidden): viridis blues are not counted as the blue path."""
    from optviz.plot import colors

    return int(colors.drawn_pixels(shot, without, colour, PATH_COLOUR_TOLERANCE).sum())


# How a 3-D path shows on the surface beside it, as drawn (lighting and all), for every colour
# vision: a path pixel blends in where its colour lies within PATH_MIN_SURFACE_DIFFERENCE
# (CIEDE2000) of the surface next to it and no casing is drawn within CASING_REACH px of it (the
# casing's own colour stands out from every Viridis colour under every simulation:
# tests/test_plotting_casing.py). At most PATH_MAX_SHARE_BLENDING of a path's pixels may blend in
# for normal vision (measured: none above 5 %), at most ..._DEFICIENT under a deficiency (measured:
# up to 7.5 %, Adam's purple with protanopia on Rosenbrock's valley floor from the top, where the
# valley's walls hide the casing on both sides; 55-96 % before 3-D paths had a casing).
PATH_MIN_SURFACE_DIFFERENCE = 10.0
PATH_MAX_SHARE_BLENDING, PATH_MAX_SHARE_BLENDING_DEFICIENT = 0.05, 0.1
CASING_REACH = 4
PATHS_MAX_SHARE_OF_SCENE = 0.1  # the paths (with casings, markers, end marks) cover less of the scene
VISIONS = (None, "protanopia", "deuteranopia", "tritanopia")


def _share_blending_in(probe, without, colour: str, casings, deficiency: str | None) -> float | None:
    """The share of a path's pixels (as `_path_pixels` finds them in `probe`, the view with every
    casing in CASING_PROBE, `casings` their pixels) that blend into the surface seen with
    `deficiency`; None when none can be judged."""
    from optviz.plot import colors

    blends, outlined = colors.blending_in(probe, without, colour, casings, deficiency, PATH_MIN_SURFACE_DIFFERENCE,
                                          CASING_REACH, PATH_COLOUR_TOLERANCE)
    return float((blends & ~outlined).mean()) if len(blends) else None


@pytest.mark.parametrize("surface_key", ["bowl", "beale", "saddle", "ravine", "two_minima", "himmelblau", "mse",
                                         "rosenbrock"])
def test_every_path_is_visible_in_3d_from_every_preset_camera(app, surface_key, tmp_path):
    """Issue 6: on Beale and the ravine the default camera hid the paths behind the surface's
    front wall. For every surface, with its default optimizers, each path's colour must show in
    the 3-D cell at the default camera (the one the page opens with) and at each preset, and
    (issue 10) stand out from the surface beside it, by its colour or its casing, for normal
    vision and the three simulated deficiencies."""
    import numpy as np
    from PIL import Image

    from optviz.plot import colors, plotting
    from surfaces import SURFACES

    presets = plotting.camera_presets(SURFACES[surface_key])
    app.open({"surface": surface_key})
    page = app.page
    opened = app.camera()
    assert _close(opened, dict(zip("xyz", presets["Default"], strict=True)), 1e-3), opened
    colours = page.evaluate(JS_3D_PATH_COLOURS)
    assert len(colours) >= 5, colours  # the surface's default optimizers
    # The pictures measured (casings in the probe colour), and with OPTVIZ_CAMERA_SHOTS the view as shown.
    shots_dir = Path(os.environ.get("OPTVIZ_CAMERA_SHOTS") or tmp_path)
    shots_dir.mkdir(parents=True, exist_ok=True)
    counts, shots, blending_in = {}, {}, []
    for name, eye in presets.items():
        if name != "Default":
            page.evaluate(JS_SET_EYE, dict(zip("xyz", eye, strict=True)))
            app.wait_idle()  # the camera goes back to the server (for the link): a rerun
        box = page.evaluate(JS_SCENE_BOX)
        clip = {"x": box["left"], "y": box["top"], "width": box["width"], "height": box["height"]}
        if os.environ.get("OPTVIZ_CAMERA_SHOTS"):
            page.screenshot(clip=clip, path=str(shots_dir / f"{surface_key}-{name.replace(' ', '_')}.png"))
        page.evaluate(JS_3D_CASING_COLOUR, CASING_PROBE)
        probe = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
        page.evaluate(JS_3D_CASING_COLOUR, None)
        page.evaluate(JS_SHOW_3D_PATHS, False)
        without = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
        page.evaluate(JS_SHOW_3D_PATHS, True)
        for suffix, image in (("probe", probe), ("without", without)):  # what was measured
            image.save(shots_dir / f"{surface_key}-{name.replace(' ', '_')}-{suffix}.png")
        # The view without the paths is the same view (the scene did not move or resize): what
        # differs is the paths' few pixels, the surface beside them unchanged.
        changed = float((np.abs(np.asarray(probe, float) - np.asarray(without, float)).max(axis=-1) > 25).mean())
        assert changed < PATHS_MAX_SHARE_OF_SCENE, (name, changed)
        counts[name] = {key: _path_pixels(probe, without, colour) for key, colour in colours.items()}
        shots[name] = (clip, without)
        casings = colors.drawn_pixels(probe, without, CASING_PROBE, PATH_COLOUR_TOLERANCE)
        for key, colour in colours.items():
            if counts[name][key] < PATH_MIN_PIXELS:
                continue  # too few to judge
            for vision in VISIONS:
                blended = _share_blending_in(probe, without, colour, casings, vision)
                bound = PATH_MAX_SHARE_BLENDING if vision is None else PATH_MAX_SHARE_BLENDING_DEFICIENT
                if blended is not None and blended > bound:
                    blending_in.append((name, key, vision or "normal", round(blended, 3)))
    # Where paths run together (Rosenbrock's valley), a later path is drawn over an earlier one,
    # in the contour view as well; that is not the surface hiding it. A path short of pixels is
    # shot again alone at every camera, with the surface and without it: the surface must not
    # hide most of it.
    hidden = []
    for key, colour in colours.items():
        if all(counts[name][key] >= max(PATH_MIN_PIXELS, PATH_MIN_SHARE_OF_TOP * counts["Top"][key])
               for name in presets):
            continue
        page.evaluate(JS_SHOW_ONLY_3D_PATH, key)
        page.evaluate(JS_3D_CASING_COLOUR, CASING_PROBE)
        for name, eye in presets.items():
            page.evaluate(JS_SET_EYE, dict(zip("xyz", eye, strict=True)))
            app.wait_idle()
            clip, without = shots[name]
            alone = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
            page.evaluate(JS_SHOW_SURFACE, False)
            unhidden = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
            page.evaluate(JS_SHOW_3D_PATHS, False)
            blank = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
            page.evaluate(JS_SHOW_ONLY_3D_PATH, key)
            page.evaluate(JS_SHOW_SURFACE, True)
            n, reference = _path_pixels(alone, without, colour), _path_pixels(unhidden, blank, colour)
            if n < PATH_MIN_SHARE_UNHIDDEN * reference or reference == 0:
                hidden.append((name, key, n, reference))
        page.evaluate(JS_3D_CASING_COLOUR, None)
        page.evaluate(JS_SHOW_ONLY_3D_PATH, None)
    assert not hidden, f"{surface_key}: paths hidden (camera, optimizer, pixels, pixels with no surface): {hidden}"
    assert not blending_in, (f"{surface_key}: paths blending into the surface, casing included (camera, optimizer,"
                             f" vision, share): {blending_in}")
    app.assert_clean()


JS_END_MARKS = """() => {
  const gd = document.querySelector('div.optviz-plot');
  return gd._fullData.filter((t) => t.mode === 'markers+text' && t.legendgroup)
    .map((t) => ({type: t.type, key: t.legendgroup, text: t.text, symbol: t.marker.symbol,
                  x: Array.from(t.x, (v) => (Number.isFinite(v) ? v : null))}));
}"""

# The loss chart (optviz's chart component): each trace's name, point count and the y axis' tick labels.
JS_LOSS_CHART = """() => {
  const gd = document.querySelector('div.optviz-chart');  // the first chart: loss
  return {traces: gd._fullData.map((t) => ({name: t.name, key: t.legendgroup, mode: t.mode, n: t._length})),
          ticks: gd._fullLayout.yaxis.ticktext || null, title: gd._fullLayout.title.text};
}"""


# Like JS_PATHS, with the paths whose isolated points (a gap on both sides) carry markers ("lines+markers").
JS_ALL_PATHS = JS_PATHS  # JS_PATHS takes "lines+markers" too (paths with isolated points)


def _loss_chart(app) -> dict:
    page = app.page
    page.locator('div.optviz-chart .scatterlayer .trace').first.wait_for()
    return page.evaluate(JS_LOSS_CHART)


def test_the_page_draws_what_was_computed_gaps_divergence_and_escape(app, tmp_path):
    """Issue 6 in the browser: mini-batch SGD that jitters out of the plot and back is drawn
    again (it was 1 point of 251); a diverged run ends at its step with a ✕ and its label in both
    cells and in the loss chart; the saddle's loss axis is symlog with real tick labels."""
    from optviz import simulate
    from optviz.core.presets import PRESETS
    from optviz.plot.plotting import inside_plot
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


# --- analysis tools and one's own surface or data (issue 11) -------------------------------------

JS_SECOND_DRAWN = """() => {
  const gd = document.querySelectorAll('div.optviz-plot')[1];
  return !!gd && !!gd._fullLayout && !!gd._fullData && gd._fullData.length > 0;
}"""


JS_CHART_COUNT = "() => document.querySelectorAll('div.optviz-chart').length"
JS_MORE_CHARTS = """(n) => {
  const charts = document.querySelectorAll('div.optviz-chart');
  return charts.length > n && !!charts[n]._fullData && charts[n]._fullData.length > 0;
}"""


# The first basin map's plot area on the page (pixels) and its axis ranges (data), for clicks on a cell.
JS_BASIN_BOX = """() => {
  const gd = document.querySelectorAll('div.optviz-plot')[1];
  const r = gd.querySelector('.nsewdrag[data-subplot="xy"]').getBoundingClientRect();
  return {left: r.left, top: r.top, width: r.width, height: r.height,
          xrange: gd._fullLayout.xaxis.range.slice(), yrange: gd._fullLayout.yaxis.range.slice()};
}"""


def _choose_tool(app, label: str) -> None:
    """The basin map is a second view (clicks), the sensitivity curves one more static chart."""
    charts = app.page.evaluate(JS_CHART_COUNT)
    app.page.locator(".st-key-tool button", has_text=label).click()
    app.wait(JS_SECOND_DRAWN if label == "Basin map" else JS_MORE_CHARTS, arg=None if label == "Basin map" else charts)
    app.wait_idle()


def test_a_basin_cell_click_sets_the_main_views_start(app):
    from optviz.app.tools_ui import DEFAULT_BASIN_GRID, cell_start
    from surfaces import SURFACES

    app.open(LIGHT)
    _choose_tool(app, "Basin map")
    page = app.page
    old = (page.locator(".st-key-x0 input").input_value(), page.locator(".st-key-y0 input").input_value())
    box = page.evaluate(JS_BASIN_BOX)
    cx, cy = round(box["left"] + 0.3 * box["width"]), round(box["top"] + 0.4 * box["height"])
    (x_lo, x_hi), (y_lo, y_hi) = box["xrange"], box["yrange"]
    want = cell_start(SURFACES["himmelblau"], DEFAULT_BASIN_GRID,
                      x_lo + (cx - box["left"]) / box["width"] * (x_hi - x_lo),
                      y_hi - (cy - box["top"]) / box["height"] * (y_hi - y_lo))
    page.mouse.move(cx, cy)
    page.mouse.click(cx, cy)
    q = app.wait_query(lambda q: (q.get("x0"), q.get("y0")) != (None, None) and
                       (q["x0"], q["y0"]) != tuple(old) and abs(float(q["x0"]) - want[0]) < 1e-9,
                       "the clicked cell's start")
    assert abs(float(q["y0"]) - want[1]) < 1e-9, (q, want)
    app.wait_idle()
    for key, path in app.paths().items():  # the main view's paths start at the cell
        assert abs(path["x"][0] - want[0]) < 1e-6 and abs(path["y"][0] - want[1]) < 1e-6, key
    app.assert_clean()


JS_BASIN_MAP = """() => {
  const gd = document.querySelectorAll('div.optviz-plot')[1];
  const maps = gd._fullData.filter(t => t.type === 'heatmap');
  return {heatmaps: maps.length, columns: [...new Set(maps.map(t => t.x.length))],
          rows: [...new Set(maps.map(t => t.z.length))], panels: [...new Set(maps.map(t => t.xaxis))].length,
          coloraxis: !!gd._fullLayout.coloraxis, images: gd.querySelectorAll('.hm image').length};
}"""


def test_a_link_opens_the_basin_map_with_its_grid_and_a_click_keeps_it_in_the_link(app, tmp_path):
    from optviz.app.tools_ui import cell_start
    from surfaces import SURFACES

    link = {**LIGHT, "steps": "80", "tool": "basins", "basin.grid": "60", "basin.by": "steps"}
    app.open(link)
    app.wait(JS_SECOND_DRAWN)  # the basin map, drawn from the link alone
    app.wait_idle()
    drawn = app.page.evaluate(JS_BASIN_MAP)
    # Two runs side by side, each 60 × 60 cells, coloured by the steps to converge (one colour axis).
    assert drawn["panels"] == 2 and drawn["columns"] == [60] and drawn["rows"] == [60] and drawn["coloraxis"], drawn
    assert drawn["images"] >= drawn["heatmaps"], drawn  # every heatmap painted
    app.page.locator("div.optviz-plot").nth(1).screenshot(path=str(tmp_path / "basin-from-link.png"))
    box = app.page.evaluate(JS_BASIN_BOX)
    cx, cy = round(box["left"] + 0.7 * box["width"]), round(box["top"] + 0.25 * box["height"])
    (x_lo, x_hi), (y_lo, y_hi) = box["xrange"], box["yrange"]
    want = cell_start(SURFACES["himmelblau"], 60, x_lo + (cx - box["left"]) / box["width"] * (x_hi - x_lo),
                      y_hi - (cy - box["top"]) / box["height"] * (y_hi - y_lo))
    app.page.mouse.move(cx, cy)
    app.page.mouse.click(cx, cy)
    q = app.wait_query(lambda q: abs(float(q.get("x0", "nan")) - want[0]) < 1e-9, "the clicked cell's start")
    # The link's start is the cell's (on the link's 60-cell grid), and the tool stays in the link.
    assert abs(float(q["y0"]) - want[1]) < 1e-9, (q, want)
    assert (q["tool"], q["basin.grid"], q["basin.by"]) == ("basins", "60", "steps"), q
    app.wait_idle()
    assert app.page.evaluate(JS_BASIN_MAP)["columns"] == [60]
    app.assert_clean()


def test_apply_tuned_learning_rates_in_the_browser(app):
    from optviz.analysis.sensitivity import lr_sensitivity, tune

    app.open(LIGHT)
    _choose_tool(app, "Learning-rate sensitivity")
    state = parse_query(app.query())
    picks = tune([lr_sensitivity("himmelblau", run, state.start, state.steps, state.seed) for run in state.runs])
    app.page.get_by_role("button", name="Apply tuned learning rates").click()
    want = {f"r{i}.lr": p.lr for i, p in enumerate(picks) if p.lr is not None}
    assert want
    app.wait_query(lambda q: all(abs(float(q.get(k, "nan")) - v) < 1e-12 for k, v in want.items()),
                   f"the tuned learning rates {want}")
    app.wait_idle()
    app.assert_clean()


def test_a_typed_formula_is_drawn_with_its_minima_and_lands_in_the_link(app):
    app.open({"surface": "custom"})
    page = app.page
    field = page.locator(".st-key-formula_text input")
    field.fill("(x - 1)**2 + (y + 1)**2")
    page.locator("[data-testid='stFormSubmitButton'] button").click()
    q = app.wait_query(lambda q: q.get("f") == "(x - 1)**2 + (y + 1)**2", "the formula in the link")
    assert q["surface"] == "custom"
    app.wait("""() => {
      const gd = document.querySelector('div.optviz-plot');
      const m = (gd._fullData || []).find((t) => t.name === 'minima' && t.type === 'scatter');
      return !!m && Math.abs(m.x[0] - 1) < 1e-6 && Math.abs(m.y[0] + 1) < 1e-6;
    }""")
    field.fill("__import__('os')")
    page.locator("[data-testid='stFormSubmitButton'] button").click()
    page.locator("[data-testid='stAlert']", has_text="Unknown function").wait_for()
    assert app.query()["f"] == "(x - 1)**2 + (y + 1)**2"
    app.assert_clean()


def test_pasted_data_become_the_regression_and_travel_in_the_link(app):
    app.open({"surface": "mse", "opt": "sgd,adam"})
    page = app.page
    page.get_by_text("Your own data").click()  # the expander is closed while the bundled data are shown
    page.locator(".st-key-data_paste textarea").fill("1, 2.1\n2, 3.9\n3, 6.2\n4, 8.1\n")
    page.locator(".st-key-data_paste_button button").click()
    q = app.wait_query(lambda q: "data" in q, "data in the link")
    page.get_by_text("carries these 4 rows").wait_for()
    fresh = app.page.context.new_page()
    try:
        other = App(fresh, app.base).open(q)
        assert other.query()["data"] == q["data"]
        other.assert_clean()
    finally:
        fresh.close()
    app.assert_clean()



@pytest.mark.skipif(not os.environ.get("OPTVIZ_DOCS"), reason="re-takes the README's pictures (OPTVIZ_DOCS=1)")
@pytest.mark.parametrize(("picture", "query", "drawn"), [
    ("formula", {"surface": "custom", "f": "sin(x)*cos(y) + 0.1*x**2", "xr": "-4,4", "yr": "-3,3",
                 "opt": "sgd,momentum,adam", "view": "contour", "steps": "150"},
     "(gd) => gd._fullData.some((t) => t.name === 'minima' && t.type === 'scatter' && t.x.length >= 2)"),
    # plain GD just under its largest stable rate (2 / the curvature across the valley: 4.1e-4
    # diverges) moves 0.04 of the 25 along the valley in 1000 steps; Adam (lr 2) 18 of them
    ("data", {"surface": "mse", "view": "contour", "steps": "1000", "r0.opt": "sgd", "r0.lr": "0.00039",
              "r1.opt": "adam", "r1.lr": "2", "data": "d:" + ";".join(f"{x},{y}" for x, y in zip(
                  range(45, 55), (2.4, 3.1, 3.3, 4.2, 4.4, 5.1, 5.6, 5.9, 6.6, 7.0), strict=True))},
     "(gd) => gd._fullData.filter((t) => t.type === 'scatter' && t.legendgroup && (t.mode || '').startsWith('lines')"
     " && t.meta !== 'casing').length === 2 && !gd._fullData.some((t) => t.mode === 'markers+text')"),
])
def test_readme_pictures_of_a_typed_formula_and_of_pasted_data(app, picture, query, drawn):
    """docs/formula.png and docs/data.png: the trajectory view of a typed formula (its minima
    found and starred) and of ten pasted points with x near 50, not standardized."""
    app.open(query)
    app.wait(f"() => ({drawn})(document.querySelector('div.optviz-plot'))")
    app.wait_idle()
    app.assert_clean()
    app.page.locator("div.optviz-plot").locator("xpath=..").screenshot(path=str(DOCS / f"{picture}.png"))


# --- the view after changes: Play, page errors, camera, bytes (issue 7) ---------------------------

# Every animation frame the trajectory view shows from now on, by name, into window.__seen.
JS_WATCH_FRAMES = """() => {
  const gd = document.querySelector('div.optviz-plot');
  window.__seen = [];
  if (!gd.__optvizWatch) {
    gd.__optvizWatch = true;
    gd.on('plotly_animatingframe', (e) => window.__seen && window.__seen.push(e.name));
  }
}"""

JS_FRAME_COUNT = """() => {
  const gd = document.querySelector('div.optviz-plot');
  return {frames: (gd._transitionData._frames || []).length, steps: gd._optvizControls.frameSteps.length};
}"""


def _watch_errors(app: App) -> list[str]:
    """Every page error, unhandled rejection and console error of the page, from now on."""
    errors: list[str] = []
    app.page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    app.page.on("console", lambda m: errors.append(f"console.error: {m.text}") if m.type == "error" else None)
    return errors


def _release_play(app: App) -> None:
    """Click the Play/Pause toggle until it shows Play. One click can take its effect late: the
    page is busy drawing frames, so the click can land just after a Play that reached its end by
    itself and start a new one (the button read "Pause" before the click, "Play" when it landed)."""
    button = app.page.locator(PLAY_BUTTON)
    for _ in range(3):
        if button.get_attribute("aria-pressed") != "true":
            return
        button.click()
    raise AssertionError("the Play/Pause toggle stays pressed after three clicks")


def _press_play(app: App) -> None:
    """Play (the toggle shows Pause while playing: then it is pressed twice, Pause and Play)."""
    _release_play(app)
    app.page.locator(PLAY_BUTTON, has_text="Play").click()


def _press_pause(app: App) -> None:
    _release_play(app)
    app.wait(f"() => !({JS_ANIMATING})()")


def _assert_plays(app: App, what: str) -> None:
    """Play shows frame after frame (the frame on screen changes over time), then Pause stops it."""
    page = app.page
    counts = page.evaluate(JS_FRAME_COUNT)
    assert counts["frames"] == counts["steps"] > 1, f"{what}: the plot holds {counts['frames']} frames"
    page.evaluate(JS_WATCH_FRAMES)
    _press_play(app)
    app.wait("() => new Set(window.__seen).size >= 3")
    lengths = set()
    for _ in range(3):  # the drawn paths grow while it plays
        lengths.add(len(next(iter(app.paths().values()))["x"]))
        page.wait_for_timeout(150)
    _press_pause(app)
    seen = page.evaluate("window.__seen")
    assert len(set(seen)) >= 3, f"{what}: Play showed {seen}"
    assert len(lengths) >= 2 or page.evaluate(JS_SLIDER)["active"] > 0, f"{what}: the frame did not change"


def _rotate_camera(app: App) -> dict:
    page = app.page
    default = app.camera()
    box = page.evaluate(JS_SCENE_BOX)
    cx, cy = box["left"] + box["width"] / 2, box["top"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(cx - 12 * i, cy + 2 * i)
    page.mouse.up()
    app.wait(f"(d) => {{ const c = ({JS_CAMERA})(); return !!c && Math.hypot(c.x - d.x, c.y - d.y, c.z - d.z) > .3; }}",
             arg=default)
    app.wait_query(lambda q: "cam" in q, "the rotated camera in cam=")
    app.wait_idle()
    # plotly's own record of the camera (what a redraw restores) is the one on screen and in cam=.
    kept = app.page.evaluate("() => { const e = document.querySelector('div.optviz-plot')"
                             "._fullLayout.scene.camera.eye; return {x: e.x, y: e.y, z: e.z}; }")
    assert _close(kept, app.camera(), 1e-3), (kept, app.camera())
    return app.camera()


def _change_steps(app: App, presses: int) -> int:
    steps = app.range_input("steps")
    new = int(steps.get_attribute("aria-valuetext")) - 10 * presses
    app.press(steps, "ArrowLeft", presses)
    app.wait_query(lambda q: q.get("steps") == str(new), f"steps={new}")
    # The new figure is drawn: its step slider ends at the new last step (while playing, the
    # paths on screen are a frame's, so their length tells nothing).
    app.wait(f"() => document.querySelector('{STEP_INPUT}').max === '{new}'")
    app.wait_idle()
    return new


def test_play_works_after_every_kind_of_update(app):
    """Play animates on the first page, after a slider change, a view switch, a surface switch, a
    reset and on a link; the rotated camera survives the slider change and Play; no page error."""
    errors = _watch_errors(app)
    app.open(LIGHT)
    page = app.page
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


def test_a_change_while_playing_raises_no_error_and_keeps_playing(app):
    """A slider change during Play: no page error or unhandled rejection; the view goes on playing
    with the new paths (or stops cleanly), and Play works again afterwards, camera kept."""
    errors = _watch_errors(app)
    app.open(LIGHT)
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


def test_the_private_plotly_apis_are_there(app):
    """What the view reaches inside plotly.js (requirements.txt pins plotly to where this holds)."""
    app.open(LIGHT)
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


def test_the_exported_animation_plays_pauses_and_plays_again_without_errors(app, browser, tmp_path):
    """The export embeds plotly.js and optviz/web/figure.js and builds its frames from the same
    compact figure as the live view: it plays offline, Pause stops it, Play goes on, and no
    interruption surfaces as a page error."""
    app.open(LIGHT)
    with app.page.expect_download(timeout=TIMEOUT_MS) as info:
        app.page.get_by_role("button", name="Animation (standalone HTML)").click()
    target = tmp_path / "animation.html"
    info.value.save_as(target)
    html = target.read_text()
    assert "optvizFigure" in html and '"animation"' in html and '"frames":[{' not in html
    offline = browser.new_context(viewport=VIEWPORT, offline=True)
    try:
        view = offline.new_page()
        errors = []
        view.on("pageerror", lambda e: errors.append(str(e)))
        view.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        view.goto(target.as_uri())
        gd = "document.querySelector('.js-plotly-plot')"
        view.wait_for_function(f"() => {gd} && ({gd}._transitionData._frames || []).length > 1", timeout=TIMEOUT_MS)
        view.evaluate(f"() => {{ window.__seen = []; "
                      f"{gd}.on('plotly_animatingframe', (e) => window.__seen.push(e.name)); }}")
        for _ in range(2):
            view.get_by_text("▶ Play").click()
            view.wait_for_function("() => new Set(window.__seen).size >= 3", timeout=TIMEOUT_MS)
            view.get_by_text("❚❚ Pause").click()
            view.wait_for_timeout(300)
            view.evaluate("() => { window.__seen = []; }")
        assert view.evaluate(f"() => {gd}.querySelectorAll('.contourlayer path').length") > 0
        assert not errors, errors
    finally:
        offline.close()


# --- issue 10: screens, presentation mode, the step inspector, self-explanatory exports (ui-inspect) ---

DOCS = Path(__file__).resolve().parent.parent / "docs"

JS_CONTROL_BOXES = """() => {
  const gd = document.querySelector('div.optviz-plot'), ctl = gd.nextElementSibling;
  const r = (e) => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const g = r(gd), c = r(ctl);
  return {plot: [Math.min(g[0], c[0]), g[1], Math.max(g[2], c[2]), Math.max(g[3], c[3])],
          modebar: [...gd.querySelectorAll('.modebar')].map(r),
          legend: [...gd.querySelectorAll('.legend .traces')].map(r),
          buttons: [...ctl.querySelectorAll('button')].map(r),
          label: [...ctl.querySelectorAll('.optviz-step')].map(r),
          slider: [...ctl.querySelectorAll('input.optviz-slider')].map(r),
          ticks: [...ctl.querySelectorAll('.optviz-ticks span')].map(r)};
}"""

# Each step chart's title and toolbar (issue 19: on phones and the tablet the toolbar covered the
# loss and distance charts' titles). Drawn charts only: every one that has its title.
JS_CHART_TITLES = """() => [...document.querySelectorAll('div.optviz-chart')].map((gd) => {
  const r = (e) => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const title = gd.querySelector('.gtitle');
  return {title: title ? r(title) : null, text: title ? title.textContent : null,
          modebar: [...gd.querySelectorAll('.modebar')].map(r), chart: r(gd)};
})"""

# A select slider's notches: its positions (the range input's max + 1, by index) over its width.
JS_NOTCHES = """(keys) => Object.fromEntries(keys.map((key) => {
  const box = document.querySelector('.st-key-' + key), input = box && box.querySelector('input[type=range]');
  const width = box ? box.getBoundingClientRect().width : 0;
  const notches = input ? Number(input.max) - Number(input.min) : 0;
  return [key, {width, notches, px: notches > 0 ? width / notches : null}];
}))"""
MIN_NOTCH_PX = 10  # a touch slider's notches at least this far apart (a finger's tap lands within one)

JS_INSPECTOR = """() => {
  const gd = document.querySelector('div.optviz-plot');
  const t = (gd._fullData || []).find((d) => d.legendgroup === 'inspector' && d.name === 'update taken'
                                             && d.meta !== 'casing');
  const key = ((gd.layout.legend2 || {}).title || {}).text || '';
  const scale = /arrows ×([0-9.e+]+)/.exec(key);
  return t ? {x: Array.from(t.x), y: Array.from(t.y), color: t.line.color, scale: scale ? Number(scale[1]) : null,
              step: gd._optvizControls.step} : null;
}"""


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


SCREENS = [
    ("1920x1080", {"width": 1920, "height": 1080}, {}, False),
    ("1280x720-presentation", {"width": 1280, "height": 720}, {"present": "1"}, False),
    ("768x1024", {"width": 768, "height": 1024}, {}, True),
    ("390x844", {"width": 390, "height": 844}, {}, True),
]


@pytest.mark.parametrize(("name", "viewport", "query", "touch"), SCREENS, ids=[s[0] for s in SCREENS])
def test_every_screen_nothing_overlaps_and_play_works(browser, app_url, name, viewport, query, touch):
    context = browser.new_context(viewport=viewport, has_touch=touch, is_mobile=touch)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        app = App(context.new_page(), app_url).open(query)
        page = app.page
        boxes = page.evaluate(JS_CONTROL_BOXES)
        assert boxes["legend"] and len(boxes["buttons"]) == 3 and boxes["label"] and boxes["slider"], boxes
        for bar in boxes["modebar"]:
            assert not any(_overlap(bar, entry) for entry in boxes["legend"]), ("toolbar over the legend", boxes)
        controls = boxes["buttons"] + boxes["label"] + boxes["slider"]
        for i, a in enumerate(controls):  # Play/Pause, step back/forward, the step label, the slider
            assert a[2] - a[0] > 10 and a[3] - a[1] > 10, ("a control has no size", boxes)
            for b in controls[i + 1:]:
                assert not _overlap(a, b), ("controls overlap", a, b, boxes)
        ticks = boxes["ticks"]
        assert not any(_overlap(a, b) for a, b in itertools.pairwise(ticks)), ("tick labels", boxes)
        # The step charts (loss, distance, x(t), y(t)): no toolbar over a title.
        app.wait("() => document.querySelectorAll('div.optviz-chart .gtitle').length >= 4")
        app.wait_idle()
        charts = page.evaluate(JS_CHART_TITLES)
        assert len(charts) >= 4 and all(c["title"] and c["modebar"] for c in charts), charts
        for c in charts:
            assert not any(_overlap(bar, c["title"]) for bar in c["modebar"]), ("toolbar over a chart's title", c)
            assert c["chart"][0] - 1 <= c["title"][0] and c["title"][2] <= c["chart"][2] + 1, ("title cut", c)
        if touch:  # the picture shows the trajectory view from its legend down (under Streamlit's header)
            page.evaluate("""() => {
              const gd = document.querySelector('div.optviz-plot');
              let box = gd.parentElement;  // Streamlit scrolls its main area, not the window
              while (box && !(box.scrollHeight > box.clientHeight + 1
                              && /auto|scroll/.test(getComputedStyle(box).overflowY))) box = box.parentElement;
              (box || document.scrollingElement).scrollBy(0, gd.getBoundingClientRect().top - 64);
            }""")
            page.wait_for_timeout(300)
        page.screenshot(path=str(DOCS / f"screen-{name}.png"))
        if touch:
            # Narrow screens: the 3-D cell above the contour, each about the whole width.
            scene, contour = page.evaluate(JS_SCENE_BOX), page.evaluate(JS_CONTOUR_BOX)
            width = boxes["plot"][2] - boxes["plot"][0]
            assert scene["top"] + scene["height"] <= contour["top"] + 1, ("cells side by side", scene, contour)
            assert scene["width"] >= 0.8 * width and contour["width"] >= 0.7 * width, (scene, contour, width)
            assert contour["height"] >= 0.5 * contour["width"], ("the contour is squashed", contour)
            # Every column of the results table is reachable: it fits, or it scrolls sideways (never
            # clipped). Whether it needs to scroll depends on the width and the columns.
            table = page.evaluate("""() => {
              const els = [...document.querySelectorAll('.st-key-results_table, .st-key-results_table *')];
              const wider = els.filter((e) => e.scrollWidth > e.clientWidth + 10);
              return {wider: wider.length, box: document.querySelector('.st-key-results_table').clientWidth,
                      scrolls: wider.some((e) => /auto|scroll/.test(getComputedStyle(e).overflowX))};
            }""")
            assert table["box"] > 0, "no results table"
            assert table["wider"] == 0 or table["scrolls"], ("the results table clips its columns", table)
            if name == "390x844":  # five columns and swatches cannot fit in 358 px: it must scroll
                assert table["scrolls"], ("the results table does not scroll sideways", table)
        if query.get("present"):
            assert page.locator('[data-testid="stSidebar"]').is_hidden()
            assert boxes["plot"][3] <= viewport["height"], ("the chart is not above the fold", boxes)
            assert boxes["plot"][1] >= 0
        # Play, by a tap on a touch screen, a click otherwise: the slider moves.
        before = page.evaluate(JS_SLIDER)["active"]
        play = page.locator(PLAY_BUTTON, has_text="Play")
        play.tap() if touch else play.click()
        app.wait(f"(last) => ({JS_STEP})() !== last", arg=before)
        pause = page.locator(PLAY_BUTTON, has_text="Pause")
        pause.tap() if touch else pause.click()
        app.wait(f"() => !({JS_ANIMATING})()")
        app.assert_clean()
        if touch:
            # Issue 19: the learning rate's 73 notches lay 3 px apart, a tap jumped η from 0.4 to 0.9.
            # The view reports the touch screen, and the sliders offer notches a finger can hit.
            page.locator('[data-testid="stExpandSidebarButton"]').first.tap()
            page.locator(".st-key-run-0 summary").first.tap()  # the first run's settings
            page.locator(".st-key-r0-lr input[type=range]").wait_for()
            app.wait_idle()
            notches = page.evaluate(JS_NOTCHES, ["steps", "r0-lr"])
            for key, n in notches.items():
                assert n["width"] > 100 and n["px"] and n["px"] >= MIN_NOTCH_PX, ("notches too close", key, notches)
            page.screenshot(path=str(DOCS / f"screen-{name}-sidebar.png"))
            app.assert_clean()
        if os.environ.get("OPTVIZ_VIEW_SHOTS"):  # the whole view, controls included, to look at
            page.set_viewport_size({"width": viewport["width"], "height": 3000})
            page.wait_for_timeout(1500)
            page.locator("div.optviz-plot").locator("xpath=..").screenshot(
                path=str(Path(os.environ["OPTVIZ_VIEW_SHOTS"]) / f"view-{name}.png"))
            page.locator(".st-key-results_table").screenshot(
                path=str(Path(os.environ["OPTVIZ_VIEW_SHOTS"]) / f"table-{name}.png"))
    finally:
        context.close()


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


def test_a_lecture_in_presentation_mode_at_720p(browser, app_url):
    """Issue 19: a lesson opens in presentation mode, η changes and Play runs without leaving it, and
    an inspected step shows in the main chart, its numbers beside it on the one 1280x720 screen."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        app = App(context.new_page(), app_url).open({"lesson": "ravine-zigzag", "present": "1"})
        page = app.page
        assert page.locator('[data-testid="stSidebar"]').is_hidden()
        q = app.query()
        assert q["lesson"] == "ravine-zigzag" and q["present"] == "1"
        boxes = page.evaluate(JS_CONTROL_BOXES)  # the lesson's line above, the chart and Play still on the screen
        assert 0 <= boxes["plot"][1] and boxes["plot"][3] <= 720 + 0.5, boxes
        page.screenshot(path=str(DOCS / "presentation-lesson-720p.png"))
        # η of run 0, from the page: the popover beside the formula.
        page.locator(".st-key-present_strip button").first.click()
        lr = app.range_input("present_strip.r0.lr")
        lr.wait_for(state="visible")
        old = lr.get_attribute("aria-valuetext")
        app.press(lr, "ArrowRight", 1)
        q = app.wait_query(lambda q: q.get("r0.lr") not in (None, old), "a new r0.lr")
        assert q["present"] == "1" and float(q["r0.lr"]) > float(old)
        app.wait_drawn()
        assert page.locator('[data-testid="stSidebar"]').is_hidden()
        page.screenshot(path=str(DOCS / "presentation-eta-720p.png"))
        page.keyboard.press("Escape")
        # Play, under the chart.
        before = page.evaluate(JS_SLIDER)["active"]
        page.locator(PLAY_BUTTON, has_text="Play").click()
        app.wait(f"(last) => ({JS_STEP})() !== last", arg=before)
        page.locator(PLAY_BUTTON, has_text="Pause").click()
        app.wait(f"() => !({JS_ANIMATING})()")
        app.assert_clean()

        # The inspector in presentation mode: the main chart at step k, the numbers beside it.
        app.open({**LIGHT, "present": "1", "inspect_run": "2", "inspect_step": "3"})
        app.wait("() => (document.querySelector('div.optviz-plot')._optvizControls || {}).step === 3")
        drawn = page.evaluate(JS_INSPECTOR)
        assert drawn is not None and drawn["step"] == 3 and drawn["scale"] >= 1
        adam_path = page.evaluate("""() => {
          const gd = document.querySelector('div.optviz-plot');
          const t = gd.data.find((d) => d.type === 'scatter' && d.legendgroup === 'r1' && d.meta !== 'casing'
                                        && String(d.mode).startsWith('lines'));
          return {x: Array.from(t.x), y: Array.from(t.y)};
        }""")
        assert len(adam_path["x"]) == 4, "the main chart does not show the path up to the inspected step"
        boxes = page.evaluate("""() => {
          const r = (e) => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
          const gd = document.querySelector('div.optviz-plot');
          return {plot: r(gd), controls: r(gd.nextElementSibling),
                  panel: r(document.querySelector('.st-key-inspector_panel')),
                  numbers: r(document.querySelector('.st-key-inspector_numbers')),
                  rule: r(document.querySelector('.st-key-inspector_numbers .katex-display')),
                  key: [...gd.querySelectorAll('g.legend, g.legend2')].map(r)};
        }""")
        for name in ("plot", "controls", "panel", "numbers"):
            box = boxes[name]
            assert box[1] >= 0 and box[3] <= 720 + 0.5 and box[2] <= 1280 + 0.5, (name, boxes)
        assert boxes["rule"][1] < 720 - 40, ("the rule's numbers are below the screen", boxes)
        assert boxes["panel"][0] >= boxes["plot"][2] - 1, ("the numbers are not beside the chart", boxes)
        assert len(boxes["key"]) == 2, ("the arrows' key is not on the chart", boxes)
        page.screenshot(path=str(DOCS / "presentation-inspector-720p.png"))
        app.assert_clean()
    finally:
        context.close()


def test_the_exported_html_names_its_settings_and_links_back(app, tmp_path):
    app.open({**LIGHT, "adam.lr": "0.05"})
    page = app.page
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.get_by_role("button", name="Animation (standalone HTML)").click()
    assert re.fullmatch(r"optviz-himmelblau-sgd-adam-[0-9a-f]{6}\.html", info.value.suggested_filename)
    target = tmp_path / "page.html"
    info.value.save_as(target)
    html = target.read_text()
    assert "Himmelblau" in html and "Open this view live" in html
    assert "lr = 0.05" in html, "the runs' settings are named"
    live = html.replace("&amp;", "&")
    assert all(f"{key}={value}" in live or f"{key}=" in live for key, value in app.query().items()), app.query()
    with page.expect_download(timeout=TIMEOUT_MS) as gif:
        page.get_by_role("button", name="Animation for slides (GIF)").click()
    from PIL import Image

    gif_path = tmp_path / gif.value.suggested_filename
    gif.value.save_as(gif_path)
    image = Image.open(gif_path)
    assert image.format == "GIF" and image.n_frames > 1
    app.assert_clean()


# --- issue 9: eight runs built from the sidebar; a slider moved again after a run is added ------

# Each run's path or line in one plot, as drawn: [legendgroup, name, colour, dash] of the line traces
# that hover (a casing drawn beneath a line, if any, does not), of the contour cell or a chart.
JS_RUN_LINES = """(selector) => {
  const gd = document.querySelector(selector);
  return (gd._fullData || []).filter((t) => t.type === 'scatter' && (t.mode || '').startsWith('lines')
    && t.legendgroup && t.hoverinfo !== 'skip').map((t) => [t.legendgroup, t.name, t.line.color, t.line.dash]);
}"""


def _wait_runs(app: App, count: int) -> None:
    """The sidebar shows `count` run editors (their expanders, keyed run-<i>) and the script is idle."""
    app.wait("(n) => Array.from(document.querySelectorAll('[data-testid=\"stSidebar\"] [class*=\"st-key-run-\"]'))"
             ".filter((e) => Array.from(e.classList).some((c) => /^st-key-run-\\d+$/.test(c))).length === n",
             arg=count)
    app.wait_idle()


def _add_run(app: App, count: int) -> None:
    """Click Add run (a run of the optimizer chosen beside it, SGD unless changed)."""
    app.page.locator(".st-key-add_run button").click()
    _wait_runs(app, count)


def _open_run(app: App, index: int) -> None:
    """Open run `index`'s editor if it is closed (from three runs on, editors open closed)."""
    slider = app.range_input(f"r{index}.lr")
    slider.wait_for(state="attached")
    if not slider.is_visible():
        app.page.locator(f'[data-testid="stSidebar"] .st-key-run-{index} summary').click()
    slider.wait_for(state="visible")


def test_a_slider_moved_before_a_run_is_added_moves_again_after(app):
    """A person moves a run's slider, adds a run (or duplicates one, or removes one), then moves
    the same slider again: it takes the keys again, every time (arrow keys and Home), and the link
    follows. (An earlier version of the GD vs SGD vs mini-batch test saw a moved slider stop taking
    keys after a rerun that added a run; with the run editors keyed by run (expander run.<i>,
    widgets r<i>.*, ids from the key alone) it does not happen.)"""
    app.open({"surface": "mse", "r0.opt": "sgd", "r1.opt": "sgd", "steps": "50"})

    def move(index: int, presses: int, want: str) -> None:
        _open_run(app, index)
        app.press(app.range_input(f"r{index}.batch"), "ArrowLeft", presses)
        app.wait_query(lambda q: q.get(f"r{index}.batch") == want, f"r{index}.batch={want}")
        app.wait_idle()

    move(1, 4, "16")  # 240 (the full batch) -> 128 -> 64 -> 32 -> 16
    _add_run(app, 3)
    move(1, 1, "8")  # the same slider, after a rerun that added a run
    app.page.locator('[data-testid="stSidebar"] .st-key-duplicate-1 button').first.click()
    _wait_runs(app, 4)
    move(1, 1, "4")  # ... after one that duplicated its own run (the copy, run 2, keeps 8)
    move(2, 1, "4")
    app.page.locator('[data-testid="stSidebar"] .st-key-remove-0 button').first.click()
    _wait_runs(app, 3)
    move(0, 1, "2")  # ... after one that removed the run above it: it is run 0 now
    q = app.query()
    assert (q["r0.batch"], q["r1.batch"], q["r2.batch"]) == ("2", "4", "240"), q
    app.press(app.range_input("r2.batch"), "Home", 1)  # a slider moved before two reruns that added runs
    app.wait_query(lambda q: q.get("r2.batch") == "1", "r2.batch=1")
    app.wait_idle()
    app.assert_clean()


JS_MAIN_TO_TOP = """() => {  // Streamlit scrolls its main area, not the window
  const gd = document.querySelector('div.optviz-plot');
  let box = gd && gd.parentElement;
  while (box && !(box.scrollHeight > box.clientHeight + 1 && /auto|scroll/.test(getComputedStyle(box).overflowY))) {
    box = box.parentElement;
  }
  (box || document.scrollingElement).scrollTo(0, 0);
}"""


def test_eight_runs_built_in_the_sidebar_are_told_apart(app, tmp_path):
    """Issue 9, as a person checks it: eight runs built from the sidebar (added, duplicated, a swept
    learning rate, four GD runs) on Beale; the legend, the trajectory view, the loss chart and the table name the
    same eight runs, no two drawn alike (colour or dash), and the sidebar lists them. Screenshots at
    1500x1000 and 1280x720 in tmp_path; with OPTVIZ_DOCS set, the first is saved as docs/runs-8.png."""
    from optviz.plot.plotting import PATH_WIDTH_2D, dash_px

    page = app.page
    app.open({"surface": "beale", "r0.opt": "sgd", "r1.opt": "adam", "r2.opt": "momentum", "r3.opt": "nesterov"})
    _open_run(app, 1)  # from three runs on, the editors open closed
    page.locator('[data-testid="stSidebar"] .st-key-duplicate-1 button').first.click()  # a second Adam (run 2)
    _wait_runs(app, 5)
    _open_run(app, 2)
    app.press(app.range_input("r2.lr"), "ArrowRight", 3)  # ... with a larger learning rate
    app.wait_query(lambda q: q.get("r2.lr") != q.get("r1.lr"), "r2.lr != r1.lr")
    app.wait_idle()
    page.locator('[data-testid="stSidebar"] .st-key-sweep_panel summary').click()
    page.locator(".st-key-sweep-go button").click()  # run 0 (GD), its learning rate x1/3, x1, x3
    _wait_runs(app, 7)
    _add_run(app, 8)  # a fourth GD run, at the preset's learning rate
    q = app.query()
    assert [q[f"r{i}.opt"] for i in range(8)] == ["sgd", "sgd", "sgd", "adam", "adam", "momentum", "nesterov",
                                                  "sgd"], q
    assert len({q[f"r{i}.lr"] for i in range(3)}) == 3  # the sweep

    lines = page.evaluate(JS_RUN_LINES, "div.optviz-plot")
    contour = [line for line in lines if line[0].startswith("r")]
    groups = {g for g, *_ in contour}
    assert groups == {f"r{i}" for i in range(8)}, contour
    names = {g: n for g, n, *_ in contour}
    assert len(set(names.values())) == 8, names  # eight different labels in the legend
    looks = {g: (c, d) for g, _, c, d in contour}
    assert len(set(looks.values())) == 8, looks  # no two runs drawn alike
    count = page.evaluate("() => document.querySelectorAll('div.optviz-chart').length")
    assert count >= 4, count  # loss, distance, x(t), y(t): the same runs in the same styles
    for n in range(count):
        drawn = page.evaluate(
            "(n) => (document.querySelectorAll('div.optviz-chart')[n]._fullData || []).filter((t) => t.type === "
            "'scatter' && (t.mode || '').startsWith('lines') && t.legendgroup && t.hoverinfo !== 'skip')"
            ".map((t) => [t.legendgroup, t.name, t.line.color, t.line.dash])", n)
        # (a chart's name may add " — diverged at step k"; the contour's paths carry their dash as
        # explicit lengths, so that their casing's dashes lie under them: the same pattern, spelled out)
        assert {g: (nm.split(" — ")[0], (c, dash_px(d, PATH_WIDTH_2D))) for g, nm, c, d in drawn} == {
            g: (names[g], looks[g]) for g in groups}, (n, drawn)
    table = page.locator(".st-key-results_table")
    table.scroll_into_view_if_needed()
    app.wait("() => document.querySelectorAll('.st-key-results_table [role=\"row\"]').length >= 9 || "
             "document.querySelectorAll('.st-key-results_table canvas').length > 0")
    sidebar_text = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "Runs (8 of at most 24)" in sidebar_text
    for name in names.values():
        assert name in sidebar_text, name  # each run's editor carries its legend label

    page.evaluate(JS_MAIN_TO_TOP)
    shots = {}
    for size in ({"width": 1500, "height": 1000}, {"width": 1280, "height": 720}):
        page.set_viewport_size(size)
        app.wait_idle()
        shots[size["width"]] = tmp_path / f"runs-8-{size['width']}x{size['height']}.png"
        page.screenshot(path=str(shots[size["width"]]))
        page.locator('[data-testid="stSidebar"] [data-testid="stSidebarContent"]').evaluate(
            "(e) => e.scrollTo(0, e.scrollHeight)")
        page.screenshot(path=str(tmp_path / f"runs-8-{size['width']}-sidebar-end.png"))
        page.locator('[data-testid="stSidebar"] [data-testid="stSidebarContent"]').evaluate("(e) => e.scrollTo(0, 0)")
    if os.environ.get("OPTVIZ_DOCS"):
        page.set_viewport_size(VIEWPORT)
        app.wait_idle()
        page.evaluate(JS_MAIN_TO_TOP)
        page.wait_for_timeout(300)
        page.locator('[data-testid="stSidebar"] [data-testid="stSidebarContent"]').evaluate(
            "(e) => e.scrollTo(0, e.querySelector('.st-key-add_run').getBoundingClientRect().top "
            "+ e.scrollTop - e.clientHeight + 80)")
        page.screenshot(path=str(DOCS / "runs-8.png"))
    app.assert_clean()


def test_opening_a_lesson_closes_the_panel_and_shows_the_chart(app):
    """Issue 19.9: Open in a lesson's card closes the lessons panel (17+ cards), so the lesson's text
    and chart are what the page shows, and the panel's cards are gone from it."""
    app.open({"surface": "bowl"})
    page = app.page
    page.locator(".st-key-lessons_panel summary").click()
    card = page.locator(".st-key-lesson-ravine-zigzag button:visible").first
    card.wait_for(state="visible")
    card.click()
    app.wait_query(lambda q: q.get("lesson") == "ravine-zigzag", "the lesson's link")
    app.wait("() => !document.querySelector('.st-key-lesson-ravine-zigzag')"
             " && !document.querySelector('.st-key-lessons_panel details[open]')")
    page.locator(".st-key-lesson_text").wait_for(state="visible")
    app.assert_clean()


def test_the_ravine_lesson_opened_from_its_link(app, tmp_path):
    """?lesson=ravine-zigzag: the lesson's text, its three runs on the contour map (the view the
    lesson asks for); with OPTVIZ_DOCS set, saved as docs/lessons.png."""
    from optviz.plot.lessons import get_lesson

    lesson = get_lesson("ravine-zigzag")
    app.open({"lesson": lesson.key})
    page = app.page
    assert lesson.title in page.locator(".st-key-lesson_text").inner_text()
    lines = page.evaluate(JS_RUN_LINES, "div.optviz-plot")
    assert sorted(n for _, n, *_ in lines) == sorted(lesson.labels)
    assert not page.evaluate("() => !!document.querySelector('div.optviz-plot')._fullLayout.scene")  # contour only
    page.set_viewport_size({"width": 1500, "height": 1650})  # the text and the whole contour map in one picture
    app.wait_idle()
    target = DOCS / "lessons.png" if os.environ.get("OPTVIZ_DOCS") else tmp_path / "lessons.png"
    page.screenshot(path=str(target))
    app.assert_clean()


# --- the curvature tool (issue 24) ---------------------------------------------------------------------------

# The (η, β) map's plot area and ranges: the third optviz-plot on the page (after the trajectory view and
# the tool's contour).
JS_CURVATURE_MAP_BOX = """() => {
  const gd = document.querySelectorAll('div.optviz-plot')[2];
  const r = gd.querySelector('.nsewdrag[data-subplot="xy"]').getBoundingClientRect();
  return {left: r.left, top: r.top, width: r.width, height: r.height, images: gd.querySelectorAll('.hm image').length,
          marks: gd._fullData.filter(t => t.mode === 'markers+text').map(t => t.name),
          xrange: gd._fullLayout.xaxis.range.slice(), yrange: gd._fullLayout.yaxis.range.slice()};
}"""


def test_the_curvature_tool_map_click_sets_the_runs_eta_and_beta(app, tmp_path):
    """The curvature tool from a link on the ravine: the model, the numbers and the (η, β) map with
    the momentum run marked; a click on the map gives the momentum run that η and β (in the link), a click
    on the contour moves the model to that point. With
    OPTVIZ_DOCS set, the panel is saved as docs/curvature.png."""
    app.open({"surface": "ravine", "opt": "sgd,momentum", "steps": "120", "view": "contour", "tool": "curvature",
              "curv.run": "2"})
    app.wait(JS_SECOND_DRAWN.replace("[1]", "[2]"))
    app.wait_idle()
    page = app.page
    page.locator("div.optviz-plot").nth(2).evaluate("(e) => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    box = page.evaluate(JS_CURVATURE_MAP_BOX)
    assert box["images"] >= 1 and len(box["marks"]) == 1, box  # the regions painted, the momentum run marked
    assert "Condition number" in page.inner_text("body")
    cx, cy = round(box["left"] + 0.45 * box["width"]), round(box["top"] + 0.3 * box["height"])
    (x_lo, x_hi), (y_lo, y_hi) = box["xrange"], box["yrange"]
    lr = 10 ** (x_lo + (cx - box["left"]) / box["width"] * (x_hi - x_lo))
    beta = y_hi - (cy - box["top"]) / box["height"] * (y_hi - y_lo)
    old = app.query().get("r1.lr")
    page.mouse.move(cx, cy)
    page.mouse.click(cx, cy)
    q = app.wait_query(lambda q: q.get("r1.lr") not in (None, old), "the clicked η")
    assert abs(math.log10(float(q["r1.lr"]) / lr)) < 0.02 * (x_hi - x_lo), (q, lr)
    assert abs(float(q["r1.momentum"]) - beta) < 0.02 * (y_hi - y_lo), (q, beta)
    assert q["tool"] == "curvature" and q["curv.run"] == "2"
    app.wait_idle()
    # A click on the tool's contour moves the model there (in the link too).
    page.locator("div.optviz-plot").nth(1).evaluate("(e) => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    box = page.evaluate(JS_CURVATURE_MAP_BOX.replace("[2]", "[1]"))
    cx, cy = round(box["left"] + 0.7 * box["width"]), round(box["top"] + 0.3 * box["height"])
    (x_lo, x_hi), (y_lo, y_hi) = box["xrange"], box["yrange"]
    x = x_lo + (cx - box["left"]) / box["width"] * (x_hi - x_lo)
    y = y_hi - (cy - box["top"]) / box["height"] * (y_hi - y_lo)
    page.mouse.move(cx, cy)
    page.mouse.click(cx, cy)
    q = app.wait_query(lambda q: q.get("curv.at") == "point", "the clicked point")
    assert abs(float(q["curv.x"]) - x) < 0.02 * (x_hi - x_lo) and abs(float(q["curv.y"]) - y) < 0.02 * (y_hi - y_lo)
    app.wait_idle()
    page.set_viewport_size({"width": 1500, "height": 1500})
    app.wait_idle()
    page.locator(".st-key-tool").scroll_into_view_if_needed()
    page.locator(".st-key-tool").evaluate("(e) => e.scrollIntoView({block: 'start'})")
    page.mouse.move(5, 5)  # no hover label over the picture
    page.wait_for_timeout(300)
    target = DOCS / "curvature.png" if os.environ.get("OPTVIZ_DOCS") else tmp_path / "curvature.png"
    page.screenshot(path=str(target))
    app.assert_clean()
