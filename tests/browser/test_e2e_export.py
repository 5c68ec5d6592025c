"""In the browser: the exported HTML page and its animation, offline.

The helpers are in tests/browser/support.py.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.support import LIGHT, TIMEOUT_MS, VIEWPORT

pytestmark = pytest.mark.e2e


def test_the_exported_animation_plays_offline(app, browser, tmp_path):
    """The 'Animation (standalone HTML)' button gives a file that plays with no network at all,
    its contour kept on screen through the animation."""
    app.open(LIGHT)
    page = app.page
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.get_by_role("button", name="Animation (standalone HTML)").click()
    target = tmp_path / "animation.html"
    info.value.save_as(target)
    html = target.read_text()
    assert "<title>" in html and not re.search(r"<script[^>]*\bsrc=", html)

    offline = browser.new_context(viewport=VIEWPORT, offline=True)
    try:
        view = offline.new_page()
        errors = []
        view.on("pageerror", lambda e: errors.append(str(e)))
        view.goto(target.as_uri())
        gd = "document.querySelector('.js-plotly-plot')"
        view.wait_for_function(f"() => {gd} && {gd}._fullLayout && ({gd}._transitionData._frames || []).length > 0",
                               timeout=TIMEOUT_MS)
        contour = f"() => {gd}.querySelectorAll('.contourlayer path').length"
        assert view.evaluate(contour) > 0
        step = "() => Number(document.querySelector('.optviz-controls input.optviz-slider').value)"
        last = view.evaluate(step)
        view.get_by_role("button", name="▶ Play").click()
        seen = set()
        deadline = time.monotonic() + 60
        while len(seen) < 3 and time.monotonic() < deadline:
            active = view.evaluate(step)
            if active != last:
                seen.add(active)
                assert view.evaluate(contour) > 0, "the contour vanished while the export played"
            view.wait_for_timeout(100)
        assert len(seen) >= 3, "Play did not animate the exported file"
        assert not [e for e in errors if "undefined" not in e], errors
    finally:
        offline.close()


def test_the_exported_animation_plays_pauses_and_plays_again_without_errors(app, browser, tmp_path):
    """The export embeds plotly.js and optviz/web/figure.js and builds its frames from the same
    compact figure as the live view: it plays offline, Pause stops it, Play goes on, and no
    interruption surfaces as a page error."""
    app.open(LIGHT)
    with app.page.expect_download(timeout=TIMEOUT_MS) as info:
        app.page.get_by_role("button", name="Animation (standalone HTML)").click()
    target = tmp_path / "animation.html"
    info.value.save_as(target)
    html = target.read_text()
    assert "optvizFigure" in html and '"animation"' in html and '"frames":[{' not in html
    offline = browser.new_context(viewport=VIEWPORT, offline=True)
    try:
        view = offline.new_page()
        errors = []
        view.on("pageerror", lambda e: errors.append(str(e)))
        view.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        view.goto(target.as_uri())
        gd = "document.querySelector('.js-plotly-plot')"
        view.wait_for_function(f"() => {gd} && ({gd}._transitionData._frames || []).length > 1", timeout=TIMEOUT_MS)
        view.evaluate(f"() => {{ window.__seen = []; "
                      f"{gd}.on('plotly_animatingframe', (e) => window.__seen.push(e.name)); }}")
        for _ in range(2):
            view.get_by_text("▶ Play").click()
            view.wait_for_function("() => new Set(window.__seen).size >= 3", timeout=TIMEOUT_MS)
            view.get_by_text("❚❚ Pause").click()
            view.wait_for_timeout(300)
            view.evaluate("() => { window.__seen = []; }")
        assert view.evaluate(f"() => {gd}.querySelectorAll('.contourlayer path').length") > 0
        assert not errors, errors
    finally:
        offline.close()


def test_the_exported_html_names_its_settings_and_links_back(app, tmp_path):
    app.open({**LIGHT, "adam.lr": "0.05"})
    page = app.page
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.get_by_role("button", name="Animation (standalone HTML)").click()
    assert re.fullmatch(r"optviz-himmelblau-sgd-adam-[0-9a-f]{6}\.html", info.value.suggested_filename)
    target = tmp_path / "page.html"
    info.value.save_as(target)
    html = target.read_text()
    assert "Himmelblau" in html and "Open this view live" in html
    assert "lr = 0.05" in html, "the runs' settings are named"
    live = html.replace("&amp;", "&")
    assert all(f"{key}={value}" in live or f"{key}=" in live for key, value in app.query().items()), app.query()
    with page.expect_download(timeout=TIMEOUT_MS) as gif:
        page.get_by_role("button", name="Animation for slides (GIF)").click()
    from PIL import Image

    gif_path = tmp_path / gif.value.suggested_filename
    gif.value.save_as(gif_path)
    image = Image.open(gif_path)
    assert image.format == "GIF" and image.n_frames > 1
    app.assert_clean()
