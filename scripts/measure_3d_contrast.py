"""How the 3-D cell's paths show on the surface beside them, for normal vision and under each
simulated colour-vision deficiency: the numbers behind docs/app.md's section on colours.

For every surface, its default runs are drawn as the app draws them (`trajectory.trajectory_figure`,
the 3-D view, the default camera) in headless Chromium; each path (with its casing, recoloured to
a probe colour so that its pixels can be told apart) is shot alone and against the same view with
no path. `colors.blending_in` then says, per pixel of the path, whether its colour lies within 10
(CIEDE2000) of the surface right beside it (lighting included), and whether no casing is drawn
within 4 px either. Printed per path and vision: the share of its pixels whose colour alone blends
in, and the share that blends in casing included. The contour cell's casing is checked without a
browser (`tests/plot/test_plotting_casing.py`, `colors.casing_standout`).

  flock /tmp/optviz-browser.lock .venv/bin/python scripts/measure_3d_contrast.py [surface,...]
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optviz import OPTIMIZERS, simulate, web
from optviz.core.presets import preset_for
from optviz.core.registry import DEFAULT_SELECTION
from optviz.plot import colors, html_export, trajectory
from optviz.plot.grid import surface_grid
from optviz.plot.styles import run_styles
from surfaces import SURFACES

BLENDS_BELOW = 10.0  # CIEDE2000: a line this close to what lies beside it is hard to follow
CASING_REACH = 4  # px: a casing pixel this near a path pixel outlines it
PROBE = "#ff00ff"  # the casings' colour while measuring: no path or surface has it
VISIONS = (None, *colors.DEFICIENCIES)


def figure_for(key: str) -> tuple[dict, list]:
    surface, preset = SURFACES[key], preset_for(key)
    grid = surface_grid(surface)
    keys = list(DEFAULT_SELECTION)
    styles = run_styles(keys, [OPTIMIZERS[k].name for k in keys], keys)
    per = [trajectory.optimizer_traces(surface, grid, simulate(surface, k, preset.start, preset.steps,
                                                             **preset.hparams_for(k)), st, "3d")
           for k, st in zip(keys, styles, strict=True)]
    figure = trajectory.trajectory_figure(surface, grid, per, steps=preset.steps, view="3d")
    # no legend: its swatches would count as path pixels on white
    layout = {**{k: v for k, v in figure["layout"].items() if k not in ("updatemenus", "sliders")}, "showlegend": False}
    return {"data": figure["data"], "layout": layout}, styles


PAGE = """<html><body style="margin:0"><div id="g" style="width:880px;height:680px"></div>
<script>{plotly}</script><script>
Plotly.newPlot('g', {figure}.data, {figure}.layout).then(() => {{ window.done = 1; }});
</script></body></html>"""

SHOW = """async ([key, probe]) => {
  const gd = document.getElementById('g');
  // key: one run's traces; '' : none of them. Casings in the probe colour.
  const shown = (t) => t.type !== 'scatter3d' || !t.legendgroup || t.legendgroup === key;
  const idx = gd.data.map((t, i) => (t.meta === 'casing' ? i : -1)).filter((i) => i >= 0);
  await Plotly.restyle(gd, {'line.color': probe}, idx);
  await Plotly.restyle(gd, {visible: gd.data.map(shown)});
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))));
}"""


def main(keys: list[str]) -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    plotly_js = html_export.PLOTLY_JS_PATH.read_text(encoding="utf-8")
    head = f"{'surface':<11} {'run':<9}" + "".join(f"{v or 'normal'!s:>16}" for v in VISIONS)
    print(f"Share of a 3-D path's pixels within {BLENDS_BELOW:g} (CIEDE2000) of the surface beside them: "
          f"colour alone / casing included\n{head}")
    worst = {v: [(-1.0, None), (-1.0, None)] for v in VISIONS}  # the largest shares, and where
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

            page.evaluate(SHOW, ["", PROBE])
            bare = shot()
            for style in styles:
                page.evaluate(SHOW, [style.key, PROBE])
                drawn = shot()
                casing = colors.drawn_pixels(drawn, bare, PROBE)
                cells = []
                for vision in VISIONS:
                    alone, outlined = colors.blending_in(drawn, bare, style.color, casing, vision, BLENDS_BELOW,
                                                         CASING_REACH)
                    cased = alone & ~outlined
                    if len(alone) < 20:
                        cells.append(f"{'too few pixels':>16}")
                        continue
                    for i, share in enumerate((alone.mean(), cased.mean())):
                        if share > worst[vision][i][0]:
                            worst[vision][i] = (float(share), f"{key} {style.key}")
                    cells.append(f"{alone.mean():>9.0%} / {cased.mean():>3.0%}")
                print(f"{key:<11} {style.key:<9}" + "".join(cells), flush=True)
        browser.close()
    for vision, ((alone, where), (cased, where_cased)) in worst.items():
        print(f"{vision or 'normal'!s:<13} most pixels blending in: colour alone {alone:.0%} ({where}), "
              f"casing included {cased:.0%} ({where_cased})")


if __name__ == "__main__":
    main(sys.argv[1].split(",") if len(sys.argv) > 1 else list(SURFACES))
