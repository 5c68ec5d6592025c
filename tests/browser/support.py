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

import math
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np

from optviz.app.share import parse_query

ROOT = Path(__file__).resolve().parents[2]  # the repository (tests/browser/ is two below it)
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


def _close(a: dict, b: dict, tol: float) -> bool:
    return all(math.isclose(a[c], b[c], abs_tol=tol) for c in "xyz")


# --- tests --------------------------------------------------------------------------------------


# The step slider shows at least two new positions (Play is running).
WAIT_TWO_NEW_STEPS = f"""(last) => {{
  const k = Number(document.querySelector('{STEP_INPUT}').value);
  window.__active = window.__active || new Set();
  if (k !== last) window.__active.add(k);
  return window.__active.size >= 2;
}}"""


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
    from optviz.plot.grid import inside_plot
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
  // The larger markers beneath the moving markers are their casing (trajectory.MARKER_CASING): probed too.
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

# The same, only where a casing drawn is not already `colour` (a rerun may have drawn the figure again).
JS_3D_CASING_COLOUR_KEPT = """async (colour) => {
  const gd = document.querySelector('div.optviz-plot');
  // Drawn ones only: a trace not drawn (a run with no point on the plot) has no line or marker here.
  const casings = gd._fullData.filter((t) => t.type === 'scatter3d' && t.visible === true
    && (t.meta === 'casing' || t.meta === 'marker casing'));
  const own = (t) => ((t.meta === 'casing' ? t.line : t.marker) || {}).color;
  if (casings.every((t) => own(t) === colour)) return false;
  await (""" + JS_3D_CASING_COLOUR + """)(colour);
  return true;
}"""

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
# tests/plot/test_plotting_casing.py). At most PATH_MAX_SHARE_BLENDING of a path's pixels may blend in
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


JS_BASIN_MAP = """() => {
  const gd = document.querySelectorAll('div.optviz-plot')[1];
  const maps = gd._fullData.filter(t => t.type === 'heatmap');
  return {heatmaps: maps.length, columns: [...new Set(maps.map(t => t.x.length))],
          rows: [...new Set(maps.map(t => t.z.length))], panels: [...new Set(maps.map(t => t.xaxis))].length,
          coloraxis: !!gd._fullLayout.coloraxis, images: gd.querySelectorAll('.hm image').length};
}"""


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


# --- issue 10: screens, presentation mode, the step inspector, self-explanatory exports (ui-inspect) ---

DOCS = ROOT / "docs"

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
    """Open run `index`'s editor if it is closed (from three runs on, editors open closed; a closed
    one draws no widgets)."""
    slider = app.range_input(f"r{index}.lr")
    app.page.locator(f'[data-testid="stSidebar"] .st-key-run-{index} summary').wait_for(state="attached")
    if not slider.is_visible():
        app.page.locator(f'[data-testid="stSidebar"] .st-key-run-{index} summary').click()
    slider.wait_for(state="visible")


JS_MAIN_TO_TOP = """() => {  // Streamlit scrolls its main area, not the window
  const gd = document.querySelector('div.optviz-plot');
  let box = gd && gd.parentElement;
  while (box && !(box.scrollHeight > box.clientHeight + 1 && /auto|scroll/.test(getComputedStyle(box).overflowY))) {
    box = box.parentElement;
  }
  (box || document.scrollingElement).scrollTo(0, 0);
}"""


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


