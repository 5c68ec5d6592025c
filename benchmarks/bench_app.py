"""The app's server-side cost, measured side by side in one run; prints the ratios.

- cold rerun of the default view (caches cleared) against a rerun after one optimizer's slider
  moved (aim: under a third of the cold rerun) and an unchanged rerun;
- the default view's rerun time (aim: under 150 ms);
- the JSON the default view sends for its figures (aim: under 1.5 MB in all);
- with 8 runs on the default surface (issue 9): how many runs one run's slider change recomputes
  (aim: exactly one; counted by wrapping the engine's simulate()), that rerun's time against a
  cold one, and the figures' JSON (aim: under 1.5 MB in all).

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

import optviz.core.runs  # noqa: E402
from benchmarks.budget import record  # noqa: E402
from optviz.app.figure_component import figure_from_element  # noqa: E402
from optviz.core.registry import OPTIMIZERS  # noqa: E402

# Eight runs on the default surface: the default five, a second Adam, Adagrad and Nadam, two with
# schedules; what a teacher's comparison looks like.
EIGHT_RUNS = {
    "surface": "beale",
    **{f"r{i}.opt": k for i, k in enumerate(["sgd", "momentum", "nesterov", "rmsprop", "adam", "adam", "adagrad",
                                             "nadam"])},
    "r5.lr": "0.05", "r5.sched.lr": "step", "r5.sched.lr.step_size": "100", "r5.sched.lr.gamma": "0.5",
    "r1.sched.momentum": "ramp", "r1.sched.momentum.start": "0.5", "r1.sched.momentum.duration": "200",
}

ROUNDS = 5


def timed(at: AppTest) -> float:
    """The script's own time for one rerun (app.py records it), without AppTest's polling."""
    at.run()
    return at.session_state["render_ms"] / 1e3


def main() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()  # imports and first-session set-up are not part of a rerun
    at.session_state["run.4"] = True  # Adam's editor open: its widgets are drawn only then
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
        lr = at.select_slider(key="r4.lr")  # Adam, the fifth run of the default view
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
    record("app.change_rerun_vs_new_session", s / f)
    print(f"  rerun after one lr slider moved    {s:7.1f} ms   ratio to cold (new session) {s / f:4.2f}, "
          f"(same session) {s / c:4.2f}   aim < 0.33: {'met' if s / f < 0.33 else 'NOT met'}")
    total = (trajectory_bytes + chart_bytes) / 1e6
    print(f"  figure JSON (what this session sends for the last change; a new session gets it all): "
          f"trajectory view {trajectory_bytes / 1e3:.0f} KB ({frames} frames, built in the browser), "
          f"step charts {chart_bytes / 1e3:.0f} KB, in all {total:.2f} MB   aim < 1.5 MB: "
          f"{'met' if total < 1.5 else 'NOT met'}")



def figure_bytes(at: AppTest) -> tuple[int, int]:
    view = next(e for e in at.get("bidi_component") if e.proto.component_name == "optviz.plotly_view")
    return len(bytes(view.proto.bytes)), sum(len(c.proto.spec) for c in at.get("plotly_chart"))


def eight_runs() -> None:
    """Issue 9: with 8 runs, a slider change of one run recomputes that run only."""
    calls: list[str] = []
    real = optviz.core.runs.simulate

    def counting(surface, optimizer, *args, **kwargs):
        calls.append(optimizer)
        return real(surface, optimizer, *args, **kwargs)

    optviz.core.runs.simulate = counting
    try:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        for key, value in EIGHT_RUNS.items():
            at.query_params[key] = value
        at.session_state["run.3"] = True  # RMSProp's editor open, as the person moving its slider has it
        cold = timed(at)
        first_calls = len(calls)
        at.session_state["trajectory_view"] = {"plotly_ready": True, "camera": None}
        grid = OPTIMIZERS["rmsprop"].hparam("lr").grid()
        times, per_change = [], []
        for i in range(ROUNDS):
            lr = at.select_slider(key="r3.lr")  # RMSProp, the fourth run
            lr.set_value(grid[(grid.index(lr.value) + 1 + i) % len(grid)])
            before = len(calls)
            times.append(timed(at))
            per_change.append(calls[before:])
        assert not at.exception, at.exception
        trajectory_bytes, chart_bytes = figure_bytes(at)
    finally:
        optviz.core.runs.simulate = real
    s = statistics.median(times) * 1e3
    recomputed = {len(c) for c in per_change}
    only_that = all(c == ["rmsprop"] for c in per_change)
    print(f"8 runs on Beale (two with schedules), {ROUNDS} changes of the fourth run's learning rate:")
    print(f"  first run: {first_calls} runs computed, {cold * 1e3:7.1f} ms")
    print(f"  runs recomputed per change: {sorted(recomputed)} ({'only that run' if only_that else 'OTHERS TOO'}) "
          f"  aim: exactly one: {'met' if only_that else 'NOT met'}")
    print(f"  rerun after the change {s:7.1f} ms   ratio to the first run {s / (cold * 1e3):4.2f}")
    total = (trajectory_bytes + chart_bytes) / 1e6
    print(f"  figure JSON: trajectory view {trajectory_bytes / 1e3:.0f} KB, step charts (loss, distance, x(t), y(t)) "
          f"{chart_bytes / 1e3:.0f} KB, in all {total:.2f} MB   aim < 1.5 MB: {'met' if total < 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
    eight_runs()
