"""In the browser: a typed formula and pasted data.

The helpers are in tests/browser/support.py.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.support import DOCS, App

pytestmark = pytest.mark.e2e


def test_a_typed_formula_is_drawn_with_its_minima_and_lands_in_the_link(app):
    app.open({"surface": "custom"})
    page = app.page
    field = page.locator(".st-key-formula_text input")
    field.fill("(x - 1)**2 + (y + 1)**2")
    page.locator("[data-testid='stFormSubmitButton'] button").click()
    q = app.wait_query(lambda q: q.get("f") == "(x - 1)**2 + (y + 1)**2", "the formula in the link")
    assert q["surface"] == "custom"
    app.wait("""() => {
      const gd = document.querySelector('div.optviz-plot');
      const m = (gd._fullData || []).find((t) => t.name === 'minima' && t.type === 'scatter');
      return !!m && Math.abs(m.x[0] - 1) < 1e-6 && Math.abs(m.y[0] + 1) < 1e-6;
    }""")
    field.fill("__import__('os')")
    page.locator("[data-testid='stFormSubmitButton'] button").click()
    page.locator("[data-testid='stAlert']", has_text="Unknown function").wait_for()
    assert app.query()["f"] == "(x - 1)**2 + (y + 1)**2"
    app.assert_clean()


def test_pasted_data_become_the_regression_and_travel_in_the_link(app):
    app.open({"surface": "mse", "opt": "sgd,adam"})
    page = app.page
    page.get_by_text("Your own data").click()  # the expander is closed while the bundled data are shown
    page.locator(".st-key-data_paste textarea").fill("1, 2.1\n2, 3.9\n3, 6.2\n4, 8.1\n")
    page.locator(".st-key-data_paste_button button").click()
    q = app.wait_query(lambda q: "data" in q, "data in the link")
    page.get_by_text("carries these 4 rows").wait_for()
    fresh = app.page.context.new_page()
    try:
        other = App(fresh, app.base).open(q)
        assert other.query()["data"] == q["data"]
        other.assert_clean()
    finally:
        fresh.close()
    app.assert_clean()


@pytest.mark.skipif(not os.environ.get("OPTVIZ_DOCS"), reason="re-takes the README's pictures (OPTVIZ_DOCS=1)")
@pytest.mark.parametrize(("picture", "query", "drawn"), [
    ("formula", {"surface": "custom", "f": "sin(x)*cos(y) + 0.1*x**2", "xr": "-4,4", "yr": "-3,3",
                 "opt": "sgd,momentum,adam", "view": "contour", "steps": "150"},
     "(gd) => gd._fullData.some((t) => t.name === 'minima' && t.type === 'scatter' && t.x.length >= 2)"),
    # plain GD just under its largest stable rate (2 / the curvature across the valley: 4.1e-4
    # diverges) moves 0.04 of the 25 along the valley in 1000 steps; Adam (lr 2) 18 of them
    ("data", {"surface": "mse", "view": "contour", "steps": "1000", "r0.opt": "sgd", "r0.lr": "0.00039",
              "r1.opt": "adam", "r1.lr": "2", "data": "d:" + ";".join(f"{x},{y}" for x, y in zip(
                  range(45, 55), (2.4, 3.1, 3.3, 4.2, 4.4, 5.1, 5.6, 5.9, 6.6, 7.0), strict=True))},
     "(gd) => gd._fullData.filter((t) => t.type === 'scatter' && t.legendgroup && (t.mode || '').startsWith('lines')"
     " && t.meta !== 'casing').length === 2 && !gd._fullData.some((t) => t.mode === 'markers+text')"),
])
def test_readme_pictures_of_a_typed_formula_and_of_pasted_data(app, picture, query, drawn):
    """docs/formula.png and docs/data.png: the trajectory view of a typed formula (its minima
    found and starred) and of ten pasted points with x near 50, not standardized."""
    app.open(query)
    app.wait(f"() => ({drawn})(document.querySelector('div.optviz-plot'))")
    app.wait_idle()
    app.assert_clean()
    app.page.locator("div.optviz-plot").locator("xpath=..").screenshot(path=str(DOCS / f"{picture}.png"))
