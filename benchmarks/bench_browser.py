"""The default view in a real browser, optviz against a typical Streamlit app, side by side.

Starts `streamlit run app.py` and `streamlit run benchmarks/baseline_app.py` (the same figures
drawn with st.plotly_chart, whole figure and frames on every rerun) on free loopback ports,
opens each in headless Chromium (/usr/bin/chromium, software WebGL) and, alternating between the
two apps, measures:
- first page -> settled (every chart drawn, the script idle) and the bytes it took (HTTP bodies
  as received, plus websocket messages); for optviz also a second load in the same browser;
- a learning-rate change (Adam, one notch down each time, so every value is new to both apps)
  -> settled (Adam's redrawn path in the animation's last frame steps by the new rate), and the
  websocket bytes it took; the first change after a page load against the later ones;
- the same change while the animation plays;
- the animation's real time per frame against the set speed (60 ms).
Medians; ratios optviz / baseline. Run under the shared browser lock:
  flock /tmp/optviz-browser.lock .venv/bin/python benchmarks/bench_browser.py [--changes 12]
"""

from __future__ import annotations

import argparse
import itertools
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

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
JS_ADAM_STEP = """() => {
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
    if (t && t.type === 'scatter' && t.mode === 'lines' && t.legendgroup === 'adam' && x && x.length > 1) {
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(script: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true", "--server.port", str(port),
           "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=tempfile.TemporaryFile(), stderr=subprocess.STDOUT)
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


class Page:
    """One app in one browser context, with byte counters."""

    def __init__(self, browser, name: str, base: str, context=None):
        self.name, self.base = name, base
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

    def _on_request(self, request):
        try:
            sizes = request.sizes()
            self.http += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        except Exception:
            pass

    def _on_frame(self, payload):
        self.ws += len(payload) if isinstance(payload, (bytes, str)) else 0

    def bytes(self) -> int:
        return self.http + self.ws

    def settle(self) -> None:
        self.page.wait_for_function(JS_IDLE, timeout=TIMEOUT)
        self.page.evaluate(JS_SETTLE)
        self.page.wait_for_function(JS_IDLE, timeout=TIMEOUT)

    def load(self) -> tuple[float, int]:
        before = self.bytes()
        t0 = time.perf_counter()
        self.page.goto(self.base + "/", wait_until="commit")
        self.page.wait_for_function(JS_DRAWN, timeout=TIMEOUT)
        self.settle()
        self.page.wait_for_function(JS_DRAWN, timeout=TIMEOUT)
        elapsed = time.perf_counter() - t0
        self.lr = 0.2
        summary = self.page.locator('[data-testid="stSidebar"] [data-testid="stExpander"] summary',
                                    has_text="Adam").first
        summary.click()
        self.page.locator(".st-key-hp-adam-lr input[type='range']").wait_for(state="visible")
        self.settle()
        return elapsed, self.bytes() - before

    def change_lr(self) -> tuple[float, int, float]:
        """One notch down on Adam's learning rate; time to settled, websocket bytes, new value."""
        slider = self.page.locator(".st-key-hp-adam-lr input[type='range']")
        slider.focus()
        before = self.ws
        t0 = time.perf_counter()
        self.page.keyboard.press("ArrowLeft")
        self.page.wait_for_function("(v) => document.querySelector(\".st-key-hp-adam-lr input[type='range']\")"
                                    ".getAttribute('aria-valuetext') !== v", arg=f"{self.lr:g}", timeout=TIMEOUT)
        new = float(slider.get_attribute("aria-valuetext"))
        self.page.wait_for_function(f"() => {{ const s = ({JS_ADAM_STEP})(); return s !== null && "
                                    f"Math.abs(s - {new}) < 1e-4 * Math.max(1, {new}); }}", timeout=TIMEOUT)
        self.settle()
        elapsed = time.perf_counter() - t0
        self.lr = new
        return elapsed, self.ws - before, new

    def button(self, label: str):
        """optviz's HTML Play/Pause toggle, or the baseline's plotly updatemenu button."""
        own = self.page.locator(".optviz-controls .optviz-play")
        return own.first if own.count() else self.page.locator(
            ".js-plotly-plot g.updatemenu-button", has_text=label).first

    def play(self) -> None:
        self.button("Play").click()
        self.page.wait_for_function(JS_PLAYING, timeout=TIMEOUT)

    def pause(self) -> None:
        if self.page.evaluate(JS_PLAYING):
            self.button("Pause").click()
        self.page.wait_for_timeout(300)

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


def median(values):
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=12, help="learning-rate changes per app (>= 10)")
    parser.add_argument("--loads", type=int, default=3, help="fresh page loads per app")
    args = parser.parse_args()
    servers = [start("app.py"), start("benchmarks/baseline_app.py")]
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            names = ("optviz", "baseline")
            bases = dict(zip(names, (base for _, base in servers), strict=True))
            loads = {n: [] for n in names}
            load_bytes = {n: [] for n in names}
            first_change = {n: [] for n in names}
            first_bytes = {n: [] for n in names}
            for _ in range(args.loads):  # fresh contexts: nothing cached
                for name in names:
                    p = Page(browser, name, bases[name])
                    t, b = p.load()
                    loads[name].append(t)
                    load_bytes[name].append(b)
                    t, b, _lr = p.change_lr()
                    first_change[name].append(t)
                    first_bytes[name].append(b)
                    p.context.close()
            # A second load of optviz in the same browser: plotly.js from the browser's cache.
            p = Page(browser, "optviz", bases["optviz"])
            p.load()
            p2 = Page(browser, "optviz", bases["optviz"], context=p.context)
            _t, cached_bytes = p2.load()
            p.context.close()

            pages = {n: Page(browser, n, bases[n]) for n in names}
            for page in pages.values():
                page.load()
                page.change_lr()  # the first change after the load is measured above
            later = {n: [] for n in names}
            later_bytes = {n: [] for n in names}
            for _ in range(args.changes):
                for name in names:
                    t, b, _lr = pages[name].change_lr()
                    later[name].append(t)
                    later_bytes[name].append(b)
            playing = {n: [] for n in names}
            for _ in range(max(3, args.changes // 3)):
                for name in names:
                    pages[name].play()
                    t, _b, _lr = pages[name].change_lr()
                    playing[name].append(t)
                    pages[name].pause()
            frame_ms = {}
            for name in names:
                fresh = Page(browser, name, bases[name])
                fresh.load()
                frame_ms[name] = fresh.frame_time()
                fresh.context.close()
            errors = {n: pages[n].errors for n in names}
            browser.close()
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=20)

    def row(label, o, b, unit, fmt="{:.0f}"):
        ratio = o / b if b else float("nan")
        print(f"  {label:<46} {fmt.format(o):>9} {fmt.format(b):>9} {unit:<3} {ratio:6.2f}")

    print(f"default view (Beale, 5 optimizers), headless Chromium, software WebGL; medians; "
          f"{args.loads} fresh loads, {args.changes} learning-rate changes and {max(3, args.changes // 3)} during "
          "Play per app, alternating")
    print(f"  {'':<46} {'optviz':>9} {'baseline':>9} {'':<3} {'ratio':>6}")
    row("first page -> settled", median(loads["optviz"]) * 1e3, median(loads["baseline"]) * 1e3, "ms")
    row("first-load bytes", median(load_bytes["optviz"]) / 1e6, median(load_bytes["baseline"]) / 1e6, "MB",
        "{:.2f}")
    print(f"  {'second load, same browser (bytes)':<46} {cached_bytes / 1e6:>9.2f} {'':>9} MB")
    row("learning-rate change -> settled", median(later["optviz"]) * 1e3, median(later["baseline"]) * 1e3, "ms")
    row("bytes per change", median(later_bytes["optviz"]) / 1e3, median(later_bytes["baseline"]) / 1e3, "KB")
    row("first change after a load -> settled", median(first_change["optviz"]) * 1e3,
        median(first_change["baseline"]) * 1e3, "ms")
    row("bytes of the first change after a load", median(first_bytes["optviz"]) / 1e3,
        median(first_bytes["baseline"]) / 1e3, "KB")
    row("the same change while playing -> settled", median(playing["optviz"]) * 1e3,
        median(playing["baseline"]) * 1e3, "ms")
    row("animation: real ms per frame (set: 60)", frame_ms["optviz"], frame_ms["baseline"], "ms")
    o_first, o_later = median(first_change["optviz"]), median(later["optviz"])
    print("aims:")
    print(f"  change settles <= 1/3 of the baseline's: {median(later['optviz']) / median(later['baseline']):.2f}")
    print(f"  <= 40 KB per change: {median(later_bytes['optviz']) / 1e3:.1f} KB")
    print(f"  first-load bytes <= half of 16.8 MB (8.4 MB): {median(load_bytes['optviz']) / 1e6:.2f} MB")
    ratio = median(loads["optviz"]) / median(loads["baseline"])
    print(f"  first page settled no later than the baseline's: ratio {ratio:.2f}")
    print(f"  first change after a load no slower than later ones: {o_first * 1e3:.0f} vs {o_later * 1e3:.0f} ms")
    print(f"  page errors: optviz {len(errors['optviz'])}, baseline {len(errors['baseline'])}")


if __name__ == "__main__":
    main()
