"""The notebook figure in a real browser: plotly's own Play keeps the contour map (plotly.js #4596).

A notebook figure is plain plotly, with none of the app's browser code; before its contour cell
was drawn in WebGL, the contour vanished from the first frame of Play until the animation
stopped. Written to an HTML file as a notebook would show it, played in headless Chromium.
"""

from __future__ import annotations

import pytest

import optviz

pytestmark = pytest.mark.e2e


def test_play_and_pause_keep_the_contour(browser, tmp_path):
    page_file = tmp_path / "figure.html"
    optviz.figure("beale", ["adam", "momentum"], steps=100).write_html(page_file, include_plotlyjs=True,
                                                                       auto_play=False)
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    try:
        page = context.new_page()
        page.goto(page_file.as_uri())
        page.wait_for_selector(".contourlayer path", timeout=60_000)
        drawn = page.locator(".contourlayer path").count()
        assert drawn > 10
        page.locator(".updatemenu-button").first.click()  # ▶ Play
        during = []
        for _ in range(6):
            page.wait_for_timeout(250)
            during.append(page.locator(".contourlayer path").count())
        page.locator(".updatemenu-button").nth(1).click()  # ❚❚ Pause
        page.wait_for_timeout(1000)
        after = page.locator(".contourlayer path").count()
    finally:
        context.close()
    assert during == [drawn] * len(during) and after == drawn, (drawn, during, after)
