"""In the browser: the analysis tools: basin map, tuned learning rates, the curvature lens.

The helpers are in tests/browser/support.py.
"""

from __future__ import annotations

import math
import os

import pytest

from optviz.app.share import parse_query
from tests.browser.support import (
    DOCS,
    JS_BASIN_BOX,
    JS_BASIN_MAP,
    JS_CURVATURE_MAP_BOX,
    JS_SECOND_DRAWN,
    LIGHT,
    _choose_tool,
)

pytestmark = pytest.mark.e2e


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
