"""The app's server-side cost, measured side by side in one run; prints the ratios.

- cold rerun of the default view (caches cleared) against a rerun after one optimizer's slider
  moved (aim: under a third of the cold rerun) and an unchanged rerun;
- the default view's rerun time (aim: under 150 ms);
- the JSON the default view sends for its figures (aim: under 1.5 MB in all).

Timed with streamlit.testing.v1.AppTest (the script runs as on a server, without a browser);
median of several rounds. Run: .venv/bin/python benchmarks/bench_app.py
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optviz.figure_component import figure_from_element  # noqa: E402
from optviz.registry import OPTIMIZERS  # noqa: E402

ROUNDS = 5


def timed(at: AppTest) -> float:
    """The script's own time for one rerun (app.py records it), without AppTest's polling."""
    at.run()
    return at.session_state["render_ms"] / 1e3


def main() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()  # imports and first-session set-up are not part of a rerun
    grid = OPTIMIZERS["adam"].hparam("lr").grid()

    first, cold, warm, slider = [], [], [], []
    for i in range(ROUNDS):
        # A student opening a link: a new session, nothing cached, plotly.js sent along.
        st.cache_data.clear()
        st.cache_resource.clear()
        first.append(timed(AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)))
        st.cache_data.clear()
        st.cache_resource.clear()
        cold.append(timed(at))
        warm.append(timed(at))
        lr = at.select_slider(key="hp.adam.lr")
        lr.set_value(grid[(grid.index(lr.value) + 1 + i) % len(grid)])
        slider.append(timed(at))
    assert not at.exception, at.exception

    view = next(e for e in at.get("bidi_component") if e.proto.component_name == "optviz.plotly_view")
    trajectory_bytes = len(bytes(view.proto.bytes))
    chart_bytes = sum(len(bytes(c.proto.bytes)) for c in at.get("bidi_component")
                      if c.proto.component_name == "optviz.plotly_chart")
    figure = figure_from_element(view)
    frames = len(figure["animation"]["steps"])

    f, c, w, s = (statistics.median(v) * 1e3 for v in (first, cold, warm, slider))
    print(f"default view (Beale, 5 optimizers), median of {ROUNDS} rounds, AppTest (no browser);")
    print("times are the script's own (app.py records them), from its first line to its last")
    print(f"  cold: a new session, caches empty  {f:7.1f} ms")
    print(f"  cold: same session, caches cleared {c:7.1f} ms")
    print(f"  rerun, nothing changed             {w:7.1f} ms   aim < 150 ms: {'met' if w < 150 else 'NOT met'}")
    print(f"  rerun after one lr slider moved    {s:7.1f} ms   ratio to cold (new session) {s / f:4.2f}, "
          f"(same session) {s / c:4.2f}   aim < 0.33: {'met' if s / f < 0.33 else 'NOT met'}")
    total = (trajectory_bytes + chart_bytes) / 1e6
    print(f"  figure JSON (what this session sends for the last change; a new session gets it all): "
          f"trajectory view {trajectory_bytes / 1e3:.0f} KB ({frames} frames, built in the browser), "
          f"step charts {chart_bytes / 1e3:.0f} KB, in all {total:.2f} MB   aim < 1.5 MB: "
          f"{'met' if total < 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
