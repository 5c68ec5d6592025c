"""How the 3-D cell's paths show on the surface beside them, for normal vision and under each
simulated colour-vision deficiency: the numbers behind the README's "Colours" section.

For every surface, its default runs are drawn as the app draws them (`plotting.trajectory_figure`,
the 3-D view, the default camera) in headless Chromium; each path is shot alone and against the
same view with no path, and for each of its pixels `colors.difference_from_surroundings` gives the
CIEDE2000 between the path's colour and the surface right beside it (lighting included). Printed
per path and vision: the 5th percentile of that difference, and the share of pixels under 10
(where the line blends in). The contour cell needs no such measurement: every path there lies on
its casing (`tests/test_plotting_casing.py`, `colors.casing_standout`).

  flock /tmp/optviz-browser.lock .venv/bin/python scripts/measure_3d_contrast.py [surface,...]
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optviz import OPTIMIZERS, colors, plotting, simulate, web
from optviz.presets import preset_for
from optviz.registry import DEFAULT_SELECTION
from surfaces import SURFACES

BLENDS_BELOW = 10.0  # CIEDE2000: a line this close to what lies beside it is hard to follow
VISIONS = (None, *colors.DEFICIENCIES)


def figure_for(key: str) -> tuple[dict, list]:
    surface, preset = SURFACES[key], preset_for(key)
    grid = plotting.surface_grid(surface)
    keys = list(DEFAULT_SELECTION)
    styles = plotting.run_styles(keys, [OPTIMIZERS[k].name for k in keys], keys)
    per = [plotting.optimizer_traces(surface, grid, simulate(surface, k, preset.start, preset.steps,
                                                             **preset.hparams_for(k)), st, "3d")
           for k, st in zip(keys, styles, strict=True)]
    figure = plotting.trajectory_figure(surface, grid, per, steps=preset.steps, view="3d")
    # no legend: its swatches would count as path pixels on white
    layout = {**{k: v for k, v in figure["layout"].items() if k not in ("updatemenus", "sliders")}, "showlegend": False}
    return {"data": figure["data"], "layout": layout}, styles


PAGE = """<html><body style="margin:0"><div id="g" style="width:880px;height:680px"></div>
<script>{plotly}</script><script>
Plotly.newPlot('g', {figure}.data, {figure}.layout).then(() => {{ window.done = 1; }});
</script></body></html>"""

SHOW = """async (key) => {
  const gd = document.getElementById('g');
  // key: one run's traces; '' : none of them
  const shown = (t) => t.type !== 'scatter3d' || !t.legendgroup || t.legendgroup === key;
  await Plotly.restyle(gd, {visible: gd.data.map(shown)});
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
}"""


def main(keys: list[str]) -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    plotly_js = plotting.PLOTLY_JS_PATH.read_text(encoding="utf-8")
    head = f"{'surface':<11} {'run':<9}" + "".join(f"{v or 'normal'!s:>22}" for v in VISIONS)
    print(f"CIEDE2000 from a 3-D path's colour to the surface beside it: 5th percentile / share of pixels under "
          f"{BLENDS_BELOW:g}\n{head}")
    worst = {v: (-1.0, None) for v in VISIONS}  # the largest share under BLENDS_BELOW, and where
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                     args=["--headless=new", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 880, "height": 680})
        for key in keys:
            figure, styles = figure_for(key)
            page.set_content(PAGE.format(plotly=plotly_js, figure=web.to_json(figure)))
            page.wait_for_function("window.done === 1")

            def shot():
                return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"), dtype=float)

            page.evaluate(SHOW, "")
            bare = shot()
            for style in styles:
                page.evaluate(SHOW, style.key)
                drawn = shot()
                mask = colors.drawn_pixels(drawn, bare, style.color)
                cells = []
                for vision in VISIONS:
                    de = colors.difference_from_surroundings(drawn, bare, mask, style.color, vision)
                    de = de[np.isfinite(de)]
                    if len(de) < 20:
                        cells.append(f"{'too few pixels':>22}")
                        continue
                    p5, share = float(np.percentile(de, 5)), float((de < BLENDS_BELOW).mean())
                    if share > worst[vision][0]:
                        worst[vision] = (share, f"{key} {style.key}")
                    cells.append(f"{p5:>13.1f} / {share:>5.0%}")
                print(f"{key:<11} {style.key:<9}" + "".join(cells), flush=True)
        browser.close()
    for vision, (share, where) in worst.items():
        print(f"{vision or 'normal'!s:<13} most pixels under {BLENDS_BELOW:g}: {share:.0%} ({where})")


if __name__ == "__main__":
    main(sys.argv[1].split(",") if len(sys.argv) > 1 else list(SURFACES))
