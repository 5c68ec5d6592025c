"""The standalone HTML export against what the live view sends for the same animation.

Issue 10 measured 16 MB for the exported HTML of a 250-step ravine run (frames written out in full)
against a few hundred KB sent by the live view. The export now carries the compact figure (the
paths once, the frames built in the page by optviz/web/figure.js, as in the live view). Printed,
for the ravine's default runs at 250 steps (and a second, heavier view):

- the live view's first draw of the trajectory figure (the component's payload: every piece in
  full, arrays once by content id), and plotly.js + the view code it loads once per browser;
- the export: the whole file, and its parts: plotly.js, figure.js, the heading block, the figure;
- the ratios export figure ÷ live payload (aim: at most 1.25) and whole file ÷ (live payload +
  plotly.js) (aim: at most 1.1: the file is what a browser gets from the live app, plus a heading).

The figure is built by the same functions as the app (`optviz.app.cached.trajectory_payload`, then
`present.decorate` as the page shows it), outside Streamlit. Run: .venv/bin/python benchmarks/bench_export.py
"""

from __future__ import annotations

import gzip
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optviz import web  # noqa: E402
from optviz.app import present, share  # noqa: E402
from optviz.app.cached import trajectories, trajectory_payload  # noqa: E402
from optviz.app.figure_component import encode_figure, payload_bytes  # noqa: E402
from optviz.core import runs  # noqa: E402
from optviz.plot import html_export  # noqa: E402
from optviz.plot.export_page import export_html  # noqa: E402
from optviz.plot.styles import run_styles  # noqa: E402
from surfaces import SURFACES  # noqa: E402

VIEWS = {
    "ravine, default runs, 250 steps": {"surface": "ravine", "steps": "250"},
    "beale, 8 runs, 500 steps": {"surface": "beale", "steps": "500",
                                 **{f"r{i}.opt": k for i, k in enumerate(["sgd", "momentum", "nesterov", "rmsprop",
                                                                          "adam", "adam", "adagrad", "nadam"])},
                                 "r5.lr": "0.05"},
}
AIM_FIGURE, AIM_FILE = 1.25, 1.1


def measure(query: dict) -> dict[str, int]:
    state = share.parse_query(query)
    names = runs.labels(state.runs)
    styles = run_styles([f"r{i}" for i in range(len(state.runs))], names, [r.optimizer for r in state.runs])
    styled = tuple((styles[i], run) for i, run in state.visible_runs)
    surface = SURFACES[state.surface]
    figure, _ = trajectory_payload(state.surface, styled, state.start, state.steps, state.seed, state.view,
                                   state.contour, state.speed, None, state.surface, 640)
    figure, encoded, height = present.decorate(figure, None, state.present, [], encode_figure)
    live = len(payload_bytes(encoded, height))
    shown = trajectories(state.surface, [r for _, r in styled], state.start, state.steps, state.seed)
    page = export_html(html_export.standalone_html(figure, surface.title), surface, shown, [s.name for s, _ in styled],
                       [s.color for s, _ in styled], "http://localhost:8501/?" + "&".join(f"{k}={v}" for k, v in
                                                                                          share.to_query(state).items()))
    plotly_js = html_export.PLOTLY_JS_PATH.read_bytes()
    figure_js = web.script("figure.js").encode()
    figure_part = len(html_export.export_figure_json(figure).encode())
    whole = len(page.encode())
    return {"live": live, "plotly_js": len(plotly_js), "plotly_js_gz": len(gzip.compress(plotly_js, 9)),
            "view_js": len(web.page_script().encode()), "export": whole,
            "export_gz": len(gzip.compress(page.encode(), 6)),
            "figure_js": len(figure_js), "figure": figure_part,
            "heading": whole - len(plotly_js) - len(figure_js) - figure_part}


def main() -> None:
    warnings.filterwarnings("ignore")
    worst = 0.0
    for title, query in VIEWS.items():
        m = measure(query)
        figure_ratio = m["figure"] / m["live"]
        file_ratio = m["export"] / (m["live"] + m["plotly_js"] + m["view_js"])
        worst = max(worst, figure_ratio / AIM_FIGURE, file_ratio / AIM_FILE)
        print(f"{title}:")
        print(f"  live view, first draw of the trajectory figure: {m['live'] / 1e3:9.1f} KB"
              f"   (+ plotly.js {m['plotly_js'] / 1e6:.2f} MB, {m['plotly_js_gz'] / 1e6:.2f} MB gzipped, and the "
              f"view code {m['view_js'] / 1e3:.1f} KB, once per browser)")
        print(f"  exported HTML, whole file:                      {m['export'] / 1e3:9.1f} KB"
              f"   ({m['export_gz'] / 1e6:.2f} MB gzipped)")
        print(f"    plotly.js {m['plotly_js'] / 1e3:.1f} KB, figure.js {m['figure_js'] / 1e3:.1f} KB, heading "
              f"{m['heading'] / 1e3:.1f} KB, figure {m['figure'] / 1e3:.1f} KB")
        print(f"  export's figure / live payload:  {figure_ratio:5.2f}   (aim <= {AIM_FIGURE})")
        print(f"  export / (live payload + plotly.js + view code): {file_ratio:5.2f}   (aim <= {AIM_FILE})")
    print("aims met" if worst <= 1.0 else "AIM MISSED")


if __name__ == "__main__":
    main()
