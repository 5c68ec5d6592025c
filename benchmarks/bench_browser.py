"""The default view in a real browser, optviz against a typical Streamlit app, side by side.

Starts `streamlit run app.py` and `streamlit run benchmarks/baseline_app.py` (the same figures
drawn with st.plotly_chart, whole figure and frames on every rerun) on free loopback ports,
opens each in headless Chromium (/usr/bin/chromium, software WebGL) and, alternating between the
two apps, measures:
- first page -> settled (every chart drawn, the script idle) and the bytes it took; for optviz
  also a second load in the same browser;
- a learning-rate change (Adam, one notch down each time, so every value is new to both apps)
  -> settled (Adam's redrawn path in the animation's last frame steps by the new rate), and the
  bytes it took; the first change after a page load against the later ones;
- the same change while the animation plays;
- the animation's real time per frame against the set speed (60 ms), and in the same page the same
  Play with the 3-D casings hidden (and, for comparison, with the 3-D traces short of opaque, as the
  casing was first drawn): `browser.frame_with_casing_vs_without`;
- a change of the trivial app's slider (benchmarks/trivial_app.py, Streamlit's floor) -> settled, in
  the same loop as the later changes: `browser.change_settled_vs_trivial`.
Bytes are counted two ways. "wire": what crosses the network from the server to the browser,
counted by a loopback TCP proxy the browser talks through (benchmarks/wire.py): HTTP as sent,
websocket frames after permessage-deflate (negotiated, and printed), framing included. "payload":
the websocket messages as the page receives them once inflated (Streamlit's ForwardMsgs), HTTP
bodies as received. The aim of 40 KB per change is judged on the wire; the payload says how much
the page has to take in. Upstream bytes (the browser's rerun requests) are printed too.
Medians; ratios optviz / baseline. Run under the shared browser lock:
  flock /tmp/optviz-browser.lock .venv/bin/python benchmarks/bench_browser.py [--changes 12]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from budget import record
from wire import WireCounter

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1500, "height": 1000}
TIMEOUT = 120_000

JS_IDLE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED' && !document.querySelector('[data-stale="true"]');
}"""
# Every chart drawn: the trajectory (with its frames) and the two step charts.
JS_DRAWN = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  if (plots.length < 3 || !plots.every((g) => g._fullLayout && g._fullData && g._fullData.length)) return false;
  return plots.some((g) => g._transitionData && (g._transitionData._frames || []).length > 0);
}"""
# Adam's 2-D path in the animation's last frame: its first step equals the learning rate.
JS_ADAM_STEP = """(group) => {
  const g = [...document.querySelectorAll('.js-plotly-plot')].find((p) => (p._transitionData || {})._frames
    && p._transitionData._frames.length);
  if (!g) return null;
  const frames = g._transitionData._frames, last = frames[frames.length - 1];
  const arr = (v) => {  // st.plotly_chart leaves frames as plotly typed-array specs
    if (!v || !v.bdata) return v;
    const b = Uint8Array.from(atob(v.bdata), (c) => c.charCodeAt(0));
    return new ({f4: Float32Array, f8: Float64Array})[v.dtype](b.buffer);
  };
  for (let j = 0; j < last.traces.length; j++) {
    const t = g.data[last.traces[j]], d = last.data[j];
    const x = arr(d.x);
    if (t && t.type === 'scatter' && t.mode === 'lines' && t.legendgroup === group && x && x.length > 1) {
      return Math.abs(x[1] - x[0]);
    }
  }
  return null;
}"""
JS_SETTLE = """async () => {
  for (const gd of document.querySelectorAll('div.optviz-plot, div.optviz-chart')) {
    if (!gd._ov) continue;
    let q;
    do { q = gd._ov.queue; await q; } while (q !== gd._ov.queue);
  }
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""
JS_PLAYING = """() => [...document.querySelectorAll('.js-plotly-plot')].some((g) => g._transitionData
  && (!!g._transitionData._animationRaf || (g._transitionData._frameQueue || []).length > 0))"""


# The 3-D paths as drawn ("casing"), with their casings and the moving markers' casings hidden
# ("without"), or with every 3-D run trace a hair short of opaque as the casing was first drawn
# ("translucent": plotly.js then draws the surface again into its transparency buffer every frame).
JS_CASING_MODE = """async (mode) => {
  const gd = document.querySelector('div.optviz-plot');
  const pick = (f) => gd.data.map((t, i) => (t.type === 'scatter3d' && f(t) ? i : -1)).filter((i) => i >= 0);
  const casings = pick((t) => t.meta === 'casing' || t.meta === 'marker casing'), runs = pick((t) => !!t.legendgroup);
  await Plotly.restyle(gd, {visible: mode !== 'without'}, casings);
  await Plotly.restyle(gd, {opacity: mode === 'translucent' ? 0.99 : 1}, runs);
  await gd._optvizControls.show(0);  // Play from the start: frames enough for every round
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""
CASING_MODES = ("casing", "without", "translucent")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(script: str, cwd: Path = ROOT) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true", "--server.port", str(port),
           "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=tempfile.TemporaryFile(), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(base + "/_stcore/health", timeout=2).read() == b"ok":
                return proc, base
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"{script} did not start")
        time.sleep(0.25)


# The trivial app's one chart, drawn, and its title naming the slider's value `(1 - lr)^t`.
JS_ONE_CHART = """() => { const g = document.querySelector('.js-plotly-plot');
  return !!g && !!g._fullLayout && !!g._fullData && g._fullData.length > 0; }"""
JS_TITLE_VALUE = r"""() => { const g = document.querySelector('.js-plotly-plot');
  const t = g && g._fullLayout && g._fullLayout.title && g._fullLayout.title.text;
  const m = t && /\(1 - ([-+0-9.e]+)\)/.exec(String(t));  // Streamlit's theme wraps it in <b>
  return m ? parseFloat(m[1]) : null; }"""


@dataclass(frozen=True)
class AppUnderTest:
    """Where Adam's learning-rate slider is in an app, and the legend group of Adam's path (the
    trivial app: its one slider, and the value its chart's title names)."""

    script: str
    expander: str | None  # CSS selector of the sidebar expander holding Adam's slider (None: none)
    slider: str  # CSS selector of the slider's keyboard-focusable input
    group: str
    cwd: Path = ROOT  # the checkout it runs from
    drawn: str = JS_DRAWN  # the page is drawn
    shown: str = JS_ADAM_STEP  # (group) -> the value the page shows for the slider (Adam's first step)
    bounce: bool = False  # few notches: turn at either end (the value then repeats)


APPS = {
    # optviz: the default view's fifth run is Adam (run keys r<i>.*, legend group r<i>).
    "optviz": AppUnderTest("app.py", '[data-testid="stSidebar"] .st-key-run-4 summary',
                           ".st-key-r4-lr input[type='range']", "r4"),
    "baseline": AppUnderTest("benchmarks/baseline_app.py",
                             '[data-testid="stSidebar"] [data-testid="stExpander"] summary',
                             ".st-key-hp-adam-lr input[type='range']", "adam"),
    "trivial": AppUnderTest("benchmarks/trivial_app.py", None, ".st-key-lr input[type='range']", "",
                            drawn=JS_ONE_CHART, shown=JS_TITLE_VALUE, bounce=True),
}


@dataclass
class Bytes:
    """Bytes of one step: websocket payload and HTTP bodies as received (inflated), and what
    crossed the network down and up (the proxy's count)."""

    payload: int
    wire: int
    up: int


class Page:
    """One app in one browser context, with byte counters."""

    def __init__(self, browser, name: str, base: str, wire: WireCounter, context=None):
        self.name, self.base, self.wire = name, base, wire
        self.app = APPS[name]
        self.context = context or browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT)
        self.http = 0
        self.ws = 0
        self.errors: list[str] = []
        self.page.on("requestfinished", self._on_request)
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._on_frame))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.lr = 0.2
        self.key = "ArrowLeft"

    def _on_request(self, request):
        try:
            self.http += request.sizes()["responseBodySize"]
        except Exception:
            pass

    def _on_frame(self, payload):
        self.ws += len(payload) if isinstance(payload, (bytes, str)) else 0

    def counters(self) -> tuple[int, int, int]:
        down, up = self.wire.snapshot()
        return self.http + self.ws, down, up

    def since(self, before: tuple[int, int, int]) -> Bytes:
        now = self.counters()
        return Bytes(*(a - b for a, b in zip(now, before, strict=True)))

    def settle(self) -> None:
        self.page.wait_for_function(JS_IDLE, timeout=TIMEOUT)
        self.page.evaluate(JS_SETTLE)
        self.page.wait_for_function(JS_IDLE, timeout=TIMEOUT)

    def load(self) -> tuple[float, Bytes]:
        before = self.counters()
        t0 = time.perf_counter()
        self.page.goto(self.base + "/", wait_until="commit")
        self.page.wait_for_function(self.app.drawn, timeout=TIMEOUT)
        self.settle()
        self.page.wait_for_function(self.app.drawn, timeout=TIMEOUT)
        elapsed = time.perf_counter() - t0
        loaded = self.since(before)
        if self.app.expander is not None:
            self.page.locator(self.app.expander, has_text="Adam").first.click()
        slider = self.page.locator(self.app.slider)
        slider.wait_for(state="visible")
        self.lr = float(slider.get_attribute("aria-valuetext"))
        self.settle()
        return elapsed, loaded

    def change_lr(self) -> tuple[float, Bytes, float]:
        """One notch down on Adam's learning rate (the trivial app: down to its end, then up); time
        to settled, bytes, new value."""
        slider = self.page.locator(self.app.slider)
        slider.focus()
        if self.app.bounce:
            now, low, high = slider.evaluate("(e) => [e.value, e.min, e.max]")
            self.key = {low: "ArrowRight", high: "ArrowLeft"}.get(now, self.key)
        before = self.counters()
        t0 = time.perf_counter()
        self.page.keyboard.press(self.key)
        self.page.wait_for_function(f"(v) => document.querySelector({self.app.slider!r})"
                                    ".getAttribute('aria-valuetext') !== v", arg=f"{self.lr:g}", timeout=TIMEOUT)
        new = float(slider.get_attribute("aria-valuetext"))
        self.page.wait_for_function(f"(g) => {{ const s = ({self.app.shown})(g); return s !== null && "
                                    f"Math.abs(s - {new}) < 1e-4 * Math.max(1, {new}); }}", arg=self.app.group,
                                    timeout=TIMEOUT)
        self.settle()
        elapsed = time.perf_counter() - t0
        self.lr = new
        return elapsed, self.since(before), new

    def button(self, label: str):
        """optviz's HTML Play/Pause toggle, or the baseline's plotly updatemenu button."""
        own = self.page.locator(".optviz-controls .optviz-play")
        return own.first if own.count() else self.page.locator(
            ".js-plotly-plot g.updatemenu-button", has_text=label).first

    def is_playing(self) -> bool:
        """optviz: its Play/Pause toggle's state (a new figure while playing resumes Play, so the
        animation may be between two Plotly.animate calls); the baseline: plotly's frame queue."""
        own = self.page.locator(".optviz-controls .optviz-play")
        if own.count():
            return own.first.get_attribute("aria-pressed") == "true"
        return bool(self.page.evaluate(JS_PLAYING))

    def play(self) -> None:
        if not self.is_playing():  # the toggle: a click on a playing view would pause it
            self.button("Play").click()
        self.page.wait_for_function(JS_PLAYING, timeout=TIMEOUT)

    def pause(self) -> None:
        self.page.wait_for_timeout(300)
        if self.is_playing() or self.page.evaluate(JS_PLAYING):
            self.button("Pause").click()
        self.page.wait_for_function(f"() => !({JS_PLAYING})()", timeout=TIMEOUT)

    def frame_time(self, frames: int = 25) -> float:
        """Median real ms between animation frames while playing from the start."""
        self.page.evaluate("""() => {
          const g = [...document.querySelectorAll('.js-plotly-plot')].find((p) => (p._transitionData || {})._frames
            && p._transitionData._frames.length);
          window.__t = [];
          if (!g.__bench) { g.__bench = true; g.on('plotly_animatingframe', () => window.__t.push(performance.now())); }
        }""")
        self.play()
        self.page.wait_for_function(f"() => window.__t.length >= {frames}", timeout=TIMEOUT)
        times = self.page.evaluate("window.__t")
        self.pause()
        gaps = [b - a for a, b in itertools.pairwise(times[1:])]  # the first frame waits for Play
        return statistics.median(gaps)


def casing_frame_times(page: Page, rounds: int, frames: int) -> dict[str, float]:
    """Median ms per Play frame in one page, the casing modes alternating round by round (so a
    busy machine slows each alike), each measured over `frames` frames."""
    times = {mode: [] for mode in CASING_MODES}
    for _ in range(rounds):
        for mode in CASING_MODES:
            page.page.evaluate(JS_CASING_MODE, mode)
            times[mode].append(page.frame_time(frames))
    page.page.evaluate(JS_CASING_MODE, "casing")
    return {mode: median(v) for mode, v in times.items()}


def median(values):
    return statistics.median(values) if values else float("nan")


def medians(samples: list[Bytes]) -> Bytes:
    return Bytes(*(median([getattr(b, f) for b in samples]) for f in ("payload", "wire", "up")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=12, help="learning-rate changes per app (>= 10)")
    parser.add_argument("--loads", type=int, default=5,
                        help="fresh page loads per app (each followed by its first two changes)")
    parser.add_argument("--play-changes", type=int, default=None,
                        help="changes made during Play per app (default: changes // 3, at least 3; 0 skips them)")
    parser.add_argument("--frame-rounds", type=int, default=3,
                        help="rounds of Play with the 3-D casing, without it and translucent, alternating")
    parser.add_argument("--before", type=Path, default=None,
                        help="another checkout of optviz (e.g. an export of main) measured in the same run, "
                        "alternating, as a third column 'before'")
    args = parser.parse_args()
    if args.before is not None:
        APPS["before"] = replace(APPS["optviz"], cwd=args.before.resolve())
    play_changes = max(3, args.changes // 3) if args.play_changes is None else args.play_changes
    names = tuple(n for n in APPS if n != "trivial")  # the trivial app has no animation: later changes only
    servers = {name: start(APPS[name].script, APPS[name].cwd) for name in APPS}
    try:
        with contextlib.ExitStack() as stack, sync_playwright() as pw:
            wires = {name: stack.enter_context(WireCounter(("127.0.0.1", int(base.rsplit(":", 1)[1]))))
                     for name, (_proc, base) in servers.items()}
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)

            def page(name, context=None):
                return Page(browser, name, wires[name].base, wires[name], context=context)

            loads = {n: [] for n in names}
            load_bytes = {n: [] for n in names}
            first_change = {n: [] for n in names}
            first_bytes = {n: [] for n in names}
            second_change = {n: [] for n in names}
            for _ in range(args.loads):  # fresh contexts: nothing cached
                for name in names:
                    p = page(name)
                    t, b = p.load()
                    loads[name].append(t)
                    load_bytes[name].append(b)
                    t, b, _lr = p.change_lr()
                    first_change[name].append(t)
                    first_bytes[name].append(b)
                    t, _b, _lr = p.change_lr()
                    second_change[name].append(t)
                    p.context.close()
            # A second load of optviz in the same browser: plotly.js from the browser's cache.
            p = page("optviz")
            p.load()
            p2 = page("optviz", context=p.context)
            _t, cached_bytes = p2.load()
            p.context.close()

            pages = {n: page(n) for n in APPS}
            for pg in pages.values():
                pg.load()
                pg.change_lr()  # the first two changes after a load are measured above
                pg.change_lr()
            later = {n: [] for n in APPS}
            later_bytes = {n: [] for n in APPS}
            for _ in range(args.changes):
                for name in APPS:
                    t, b, _lr = pages[name].change_lr()
                    later[name].append(t)
                    later_bytes[name].append(b)
            playing = {n: [] for n in names}
            for _ in range(play_changes):
                for name in names:
                    pages[name].play()
                    t, _b, _lr = pages[name].change_lr()
                    playing[name].append(t)
                    pages[name].pause()
            frame_ms = {}
            for name in names:
                fresh = page(name)
                fresh.load()
                frame_ms[name] = fresh.frame_time()
                fresh.context.close()
            fresh = page("optviz")
            fresh.load()
            casing_ms = casing_frame_times(fresh, args.frame_rounds, 15)
            fresh.context.close()
            errors = {n: pages[n].errors for n in APPS}
            extensions = {n: sorted(set(wires[n].extensions)) for n in APPS}
            browser.close()
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=20)

    columns = [n for n in names if n != "baseline"] + ["baseline"]

    def row(label, values, unit, fmt="{:.0f}"):
        cells = " ".join(f"{fmt.format(values[n]):>9}" for n in columns)
        ratio = values["optviz"] / values["baseline"] if values["baseline"] else float("nan")
        print(f"  {label:<52} {cells} {unit:<3} {ratio:6.2f}")

    def per(samples, scale=1.0, field=None):
        return {n: (median(samples[n]) if field is None else getattr(medians(samples[n]), field)) * scale
                for n in names}

    print(f"default view (Beale, 5 optimizers), headless Chromium, software WebGL; medians; "
          f"{args.loads} fresh loads (each with its first two changes), {args.changes} later learning-rate changes "
          f"and {play_changes} during Play per app, alternating")
    for n in APPS:
        print(f"websocket compression negotiated, {n}: {extensions[n]}")
    if "before" in names:
        print(f"'before' runs from {APPS['before'].cwd}")
    print(f"  {'':<52} " + " ".join(f"{n:>9}" for n in columns) + f" {'':<3} {'optviz/baseline':>6}")
    row("first page -> settled", per(loads, 1e3), "ms")
    row("first-load bytes, wire (down)", per(load_bytes, 1e-6, "wire"), "MB", "{:.2f}")
    row("first-load bytes, payload (HTTP bodies + ws inflated)", per(load_bytes, 1e-6, "payload"), "MB", "{:.2f}")
    print(f"  {'second load, same browser, wire (down)':<52} {cached_bytes.wire / 1e6:>9.2f} MB (optviz)")
    row("learning-rate change -> settled", per(later, 1e3), "ms")
    row("bytes per change, wire (down)", per(later_bytes, 1e-3, "wire"), "KB", "{:.1f}")
    row("bytes per change, payload (ws inflated)", per(later_bytes, 1e-3, "payload"), "KB", "{:.1f}")
    row("bytes per change, wire up (rerun request)", per(later_bytes, 1e-3, "up"), "KB", "{:.1f}")
    row("first change after a load -> settled", per(first_change, 1e3), "ms")
    row("second change after a load -> settled", per(second_change, 1e3), "ms")
    row("first change after a load, wire (down)", per(first_bytes, 1e-3, "wire"), "KB", "{:.1f}")
    row("first change after a load, payload", per(first_bytes, 1e-3, "payload"), "KB", "{:.1f}")
    row("the same change while playing -> settled", per(playing, 1e3), "ms")
    row("animation: real ms per frame (set: 60)", frame_ms, "ms")
    trivial_ms = median(later["trivial"]) * 1e3
    print(f"  {'trivial app: slider change -> settled':<52} {trivial_ms:>9.0f} ms (optviz/trivial "
          f"{median(later['optviz']) * 1e3 / trivial_ms:.2f})")
    print(f"Play in one optviz page, {args.frame_rounds} rounds of 15 frames per mode, alternating "
          "(software WebGL), real ms per frame:")
    for mode, label in zip(CASING_MODES, ("3-D paths as drawn (opaque, with their casing)", "the 3-D casings hidden",
                                          "3-D run traces at opacity 0.99 (as the casing was first drawn)"),
                           strict=True):
        print(f"  {label:<66} {casing_ms[mode]:>6.0f} ms  ({casing_ms[mode] / casing_ms['without']:.2f}x without)")
    o_change, o_load = medians(later_bytes["optviz"]), medians(load_bytes["optviz"])
    first_ms, later_ms = median(first_change["optviz"]) * 1e3, median(later["optviz"]) * 1e3
    print("aims (optviz):")
    print(f"  change settles <= 1/3 of the baseline's: {median(later['optviz']) / median(later['baseline']):.2f}")
    print(f"  <= 40 KB per change (wire): {o_change.wire / 1e3:.1f} KB (payload {o_change.payload / 1e3:.1f} KB)")
    print(f"  first-load bytes <= half of 16.8 MB (8.4 MB): {o_load.wire / 1e6:.2f} MB on the wire")
    ratio = median(loads["optviz"]) / median(loads["baseline"])
    print(f"  first page settled no later than the baseline's: ratio {ratio:.2f}")
    record("browser.change_settled_vs_baseline", median(later["optviz"]) / median(later["baseline"]))
    record("browser.first_page_vs_baseline", ratio)
    print(f"  change settles <= 3x the trivial app's: {median(later['optviz']) / median(later['trivial']):.2f}")
    record("browser.change_settled_vs_trivial", median(later["optviz"]) / median(later["trivial"]))
    print(f"  Play frame with the 3-D casing <= 1.2x without: {casing_ms['casing'] / casing_ms['without']:.2f}")
    record("browser.frame_with_casing_vs_without", casing_ms["casing"] / casing_ms["without"])
    print(f"  first change after a load no slower than later ones: {first_ms:.0f} vs {later_ms:.0f} ms "
          f"(second change: {median(second_change['optviz']) * 1e3:.0f} ms)")
    print("  page errors: " + ", ".join(f"{n} {len(errors[n])}" for n in names))
    for n in names:
        for e in errors[n][:3]:
            print(f"    {n}: {e[:200]}")


if __name__ == "__main__":
    main()
