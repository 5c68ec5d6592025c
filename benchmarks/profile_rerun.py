"""Where a rerun's time goes, and how it compares with Streamlit's own floor.

1. **The page's sections** (AppTest, in this process): `optviz.app.page.main()` and each section it
   calls, timed inside the script's own thread, for three reruns of the default view (Beale, five
   runs): a new session of a link already computed (caches warm), a rerun with nothing changed, and
   a rerun after Adam's learning-rate slider moved one notch (one run not computed before). Median
   of `--rounds`; a section's parts are indented under it.
2. **The libraries under them** (cProfile of the slider-change rerun, same thread): the script's own
   time by where it was spent (Streamlit's elements and widgets, protobuf, plotly, the figure
   encoding, numpy, the engine...), from each function's own time (tottime) by its file.
3. **Over the websocket, side by side with the trivial app** (`--server`, starts two servers, one
   process each, both up while the rounds alternate between them): a new session of a computed link
   and a rerun after one slider moved, server time as a browser's tab sees it (benchmarks/ws_client.py).
   The ratios are the budget's `load.new_session_vs_trivial` and `load.change_rerun_vs_trivial`.

Run: .venv/bin/python benchmarks/profile_rerun.py [--rounds 5] [--server] [--server-rounds 8]
(with --server it starts Streamlit servers: not while browser tests or other benchmarks run).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import pstats
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

import optviz.app.page as page  # noqa: E402
from benchmarks.budget import record  # noqa: E402
from optviz.app import inspector_ui, present  # noqa: E402
from optviz.core.registry import DEFAULT_SELECTION, OPTIMIZERS  # noqa: E402

APP = str(ROOT / "app.py")
TRIVIAL_APP = ROOT / "benchmarks" / "trivial_app.py"
VARIED_LR = f"r{DEFAULT_SELECTION.index('adam')}.lr"  # the slider the change moves (as in load_test.py)
VARIED_EDITOR = f"run.{DEFAULT_SELECTION.index('adam')}"  # its run's editor, open while the slider moves

# What is timed: (name shown, owner, attribute, depth). The page calls its sections by their module-level
# names, so replacing the attribute on the module times every call; depth indents a part under its section.
SECTIONS = [
    ("open_link (first run: the link)", page, "open_link", 0),
    ("state_from_widgets", page, "state_from_widgets", 0),
    ("sidebar", page, "sidebar", 0),
    ("runs_panel (run editors)", page, "runs_panel", 1),
    ("follow_link (query, remember)", page, "follow_link", 0),
    ("lessons_panel", page, "lessons_panel", 0),
    ("heading", page, "heading", 0),
    ("trajectories (cached runs)", page, "trajectories", 0),
    ("trajectory_view", page, "trajectory_view", 0),
    ("trajectory_payload (figure, encoded)", page, "trajectory_payload", 1),
    ("inspector: current_inspection", inspector_ui, "current_inspection", 1),
    ("decorated (cached present.decorate)", page, "decorated", 1),
    ("present.decorate (when not cached)", present, "decorate", 2),
    ("plotly_view (component)", page, "plotly_view", 1),
    ("inspector: render_inspector", inspector_ui, "render_inspector", 1),
    ("step_charts", page, "step_charts", 0),
    ("step_chart (cached figures)", page, "step_chart", 1),
    ("plotly_chart (component)", page, "plotly_chart", 1),
    ("render_tools_panel", page, "render_tools_panel", 0),
    ("results (table)", page, "results", 0),
    ("share_and_export", page, "share_and_export", 0),
    ("update_rules (LaTeX cards)", page, "update_rules", 0),
]

# Where the profiled time went: the first pattern found in a function's file names its place.
PLACES = [
    ("Streamlit: elements and widgets", ("streamlit/elements/", "streamlit/delta_generator", "streamlit/commands/")),
    ("Streamlit: session state, widget ids", ("streamlit/runtime/state/",)),
    ("Streamlit: caches (hashing the arguments)", ("streamlit/runtime/caching/",)),
    ("Streamlit: the rest", ("streamlit/",)),
    ("protobuf", ("google/protobuf",)),
    ("optviz: the figure component (encoding, ids)", ("optviz/app/figure_component",)),
    ("optviz: the rest of the app layer", ("optviz/app/",)),
    ("optviz: figures (optviz.plot)", ("optviz/plot/",)),
    ("optviz: analysis, core, surfaces", ("optviz/analysis/", "optviz/core/", "surfaces/")),
    ("plotly", ("plotly/", "_plotly_utils/")),
    ("numpy", ("numpy/",)),
    ("json, hashlib, base64, copy", ("json/", "hashlib", "base64", "copy.py", "<built-in method _hashlib",
                                     "_json")),
]


class Timers:
    """Seconds per section in the current rerun (only the script's own thread is counted)."""

    def __init__(self):
        self.now: dict[str, float] = defaultdict(float)
        self.thread: int | None = None

    def wrap(self, name, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            if threading.get_ident() != self.thread:
                return fn(*args, **kwargs)
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.now[name] += time.perf_counter() - started
        return timed


TIMERS = Timers()
OUTSIDE = "outside the sections (page config, styles...)"
PROFILE: dict[str, cProfile.Profile | None] = {"next": None}
_MAIN = page.main


def _main_timed():
    """page.main, timed (and profiled when asked) in the script's thread."""
    TIMERS.thread = threading.get_ident()
    TIMERS.now.clear()
    profiler = PROFILE["next"]
    started = time.perf_counter()
    try:
        if profiler is not None:
            profiler.enable()
        _MAIN()
    finally:
        if profiler is not None:
            profiler.disable()
        TIMERS.now["main (the whole script)"] = time.perf_counter() - started


def install() -> None:
    for name, owner, attr, _ in SECTIONS:
        if hasattr(owner, attr):  # an older page (measured before a change) may not have every part
            setattr(owner, attr, TIMERS.wrap(name, getattr(owner, attr)))
    page.main = _main_timed  # app.py looks main up on every rerun


def rerun(at: AppTest, profiler: cProfile.Profile | None = None) -> dict[str, float]:
    PROFILE["next"] = profiler
    at.run()
    PROFILE["next"] = None
    assert not at.exception, [e.value for e in at.exception]
    return dict(TIMERS.now)


def move_slider(at: AppTest, i: int) -> None:
    grid = OPTIMIZERS["adam"].hparam("lr").grid()
    lr = at.select_slider(key=VARIED_LR)
    lr.set_value(grid[(grid.index(lr.value) + 1 + i) % len(grid)])


def sections(rounds: int) -> tuple[dict[str, dict[str, float]], pstats.Stats]:
    """Median seconds per section for each kind of rerun, and the profile of the slider changes."""
    install()
    keeper = AppTest.from_file(APP, default_timeout=120)
    rerun(keeper)  # imports, warm-up and the view's runs: computed once, as on a server that served the link
    keeper.session_state[VARIED_EDITOR] = True  # the person opens Adam's editor to move its slider
    rerun(keeper)
    runs = defaultdict(list)
    profiler = cProfile.Profile()
    for i in range(rounds):
        runs["new session of a computed link"].append(rerun(AppTest.from_file(APP, default_timeout=120)))
        runs["rerun, nothing changed"].append(rerun(keeper))
        move_slider(keeper, i)
        runs["rerun after one lr slider moved"].append(rerun(keeper))
    for i in range(rounds):  # profiled apart: the profiler slows every call it sees
        move_slider(keeper, rounds + i)
        rerun(keeper, profiler)
    top = {s[0] for s in SECTIONS if s[3] == 0}
    table = {}
    for kind, samples in runs.items():
        for sample in samples:
            sample[OUTSIDE] = sample["main (the whole script)"] - sum(v for n, v in sample.items() if n in top)
        names = {n for s in samples for n in s}
        table[kind] = {n: statistics.median(s.get(n, 0.0) for s in samples) for n in names}
    return table, pstats.Stats(profiler)


def places(stats: pstats.Stats, rounds: int) -> list[tuple[str, float]]:
    """Own time per place, per rerun (ms)."""
    out: dict[str, float] = defaultdict(float)
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        where = filename if filename != "~" else func
        place = next((name for name, patterns in PLACES if any(p in where for p in patterns)), "other")
        out[place] += tottime
    return sorted(((k, v / rounds * 1e3) for k, v in out.items()), key=lambda kv: -kv[1])


def top_functions(stats: pstats.Stats, rounds: int, n: int = 15) -> list[str]:
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])
    lines = []
    for (filename, line, func), (_cc, nc, _tt, ct, _callers) in rows:
        if "profile_rerun" in filename or func in ("<module>", "run", "_run_script", "exec_func_with_error_handling"):
            continue
        short = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        lines.append(f"  {ct / rounds * 1e3:7.1f} ms  {nc // rounds:5d} calls  {short}:{line} {func}")
        if len(lines) == n:
            break
    return lines


def section_report(table: dict[str, dict[str, float]]) -> list[str]:
    kinds = list(table)
    lines = [f"{'section (ms, median)':44s}" + "".join(f"{k[:26]:>28s}" for k in kinds)]
    order = [("main (the whole script)", 0)] + [(name, depth + 1) for name, _, _, depth in SECTIONS]
    for name, depth in order:
        values = [table[k].get(name, 0.0) * 1e3 for k in kinds]
        if not any(values):
            continue
        label = "  " * depth + name
        lines.append(f"{label[:44]:44s}" + "".join(f"{v:28.1f}" for v in values))
    lines.append(f"{'  ' + OUTSIDE:44s}" + "".join(f"{table[k].get(OUTSIDE, 0.0) * 1e3:28.1f}" for k in kinds))
    return lines


# --- over the websocket, side by side with the trivial app -------------------------------------------


async def _side_by_side(rounds: int) -> dict[str, dict[str, float]]:
    from benchmarks.load_test import teacher_query
    from benchmarks.ws_client import open_and_run, streamlit_server

    apps = {"optviz": (ROOT / "app.py", urlencode(teacher_query()), VARIED_LR),
            "trivial app": (TRIVIAL_APP, "", "lr")}
    editors = {"optviz": VARIED_EDITOR, "trivial app": None}
    out = {}
    with streamlit_server(apps["optviz"][0]) as optviz_server, streamlit_server(TRIVIAL_APP) as trivial_server:
        servers = {"optviz": optviz_server, "trivial app": trivial_server}
        keepers, samples = {}, {name: defaultdict(list) for name in apps}
        for name, (_, link, _key) in apps.items():
            keeper, first = await open_and_run(servers[name].base, link, timeout=300)
            assert first.ok, first
            await keeper.rerun(timeout=300)  # it holds every cacheable message, as a browser tab does
            if editors[name]:
                await keeper.open_expander(editors[name], timeout=300)  # the slider's editor, open
            keepers[name] = keeper
        for i in range(rounds):
            for name, (_, link, key) in apps.items():
                s, r = await open_and_run(servers[name].base, link, timeout=300)
                await s.close()
                samples[name]["new"].append(r)
                widget = keepers[name].widgets[key].proto
                options = list(widget.options)
                value = options[(int(widget.default[0]) + 1 + i) % len(options)]
                samples[name]["change"].append(await keepers[name].rerun(
                    widgets=[keepers[name].widget_value(key, value)], timeout=300))
        for keeper in keepers.values():
            await keeper.close()
    for name, kinds in samples.items():
        bad = [r for rs in kinds.values() for r in rs if not r.ok]
        assert not bad, (name, bad[:2])
        out[name] = {kind: statistics.median(r.seconds for r in rs) for kind, rs in kinds.items()}
        out[name].update({f"{kind}_bytes": statistics.median(r.bytes for r in rs) for kind, rs in kinds.items()})
    return out


def side_report(side: dict[str, dict[str, float]], rounds: int) -> list[str]:
    o, t = side["optviz"], side["trivial app"]
    record("load.new_session_vs_trivial", o["new"] / t["new"])
    record("load.change_rerun_vs_trivial", o["change"] / t["change"])
    return [
        f"over the websocket, both servers up, alternating, median of {rounds}:",
        f"{'':14s}{'new session':>16s}{'slider change':>16s}{'bytes: new':>14s}{'bytes: change':>15s}",
        *(f"{name:14s}{d['new'] * 1e3:13.0f} ms{d['change'] * 1e3:13.0f} ms{d['new_bytes'] / 1e3:11.1f} KB"
          f"{d['change_bytes'] / 1e3:12.1f} KB" for name, d in side.items()),
        f"{'optviz/trivial':14s}{o['new'] / t['new']:15.2f}×{o['change'] / t['change']:15.2f}×"
        "   (aim ≤ 2× each; budget: load.new_session_vs_trivial, load.change_rerun_vs_trivial)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="AppTest rounds of each rerun")
    parser.add_argument("--server", action="store_true", help="also the websocket side by side with the trivial app")
    parser.add_argument("--server-rounds", type=int, default=8)
    args = parser.parse_args()
    started = time.perf_counter()
    table, stats = sections(args.rounds)
    print(f"The page's sections, AppTest (default view: Beale, 5 runs), median of {args.rounds} rounds:")
    print("\n".join(section_report(table)))
    print(f"\nThe slider-change rerun's own time by place (cProfile, per rerun, mean of {args.rounds}; "
          "the profiler slows every call, so read the shares, not the sums):")
    rows = places(stats, args.rounds)
    total = sum(v for _, v in rows)
    print("\n".join(f"  {name:48s}{v:8.1f} ms  {v / total:6.1%}" for name, v in rows))
    print("\nThe slider-change rerun's calls with the most time under them (cumulative, per rerun):")
    print("\n".join(top_functions(stats, args.rounds)))
    if args.server:
        side = asyncio.run(_side_by_side(args.server_rounds))
        print()
        print("\n".join(side_report(side, args.server_rounds)))
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
