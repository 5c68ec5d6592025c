"""In the browser: lessons opened from the panel and from a link.

The helpers are in tests/browser/support.py.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.support import DOCS, JS_RUN_LINES

pytestmark = pytest.mark.e2e


def test_opening_a_lesson_closes_the_panel_and_shows_the_chart(app):
    """Issue 19.9: Open in a lesson's card closes the lessons panel (17+ cards), so the lesson's text
    and chart are what the page shows, and the panel's cards are gone from it."""
    app.open({"surface": "bowl"})
    page = app.page
    page.locator(".st-key-lessons_panel summary").click()
    card = page.locator(".st-key-lesson-ravine-zigzag button:visible").first
    card.wait_for(state="visible")
    card.click()
    app.wait_query(lambda q: q.get("lesson") == "ravine-zigzag", "the lesson's link")
    app.wait("() => !document.querySelector('.st-key-lesson-ravine-zigzag')"
             " && !document.querySelector('.st-key-lessons_panel details[open]')")
    page.locator(".st-key-lesson_text").wait_for(state="visible")
    app.assert_clean()


def test_the_ravine_lesson_opened_from_its_link(app, tmp_path):
    """?lesson=ravine-zigzag: the lesson's text, its three runs on the contour map (the view the
    lesson asks for); with OPTVIZ_DOCS set, saved as docs/lessons.png."""
    from optviz.plot.lessons import get_lesson

    lesson = get_lesson("ravine-zigzag")
    app.open({"lesson": lesson.key})
    page = app.page
    assert lesson.title in page.locator(".st-key-lesson_text").inner_text()
    lines = page.evaluate(JS_RUN_LINES, "div.optviz-plot")
    assert sorted(n for _, n, *_ in lines) == sorted(lesson.labels)
    assert not page.evaluate("() => !!document.querySelector('div.optviz-plot')._fullLayout.scene")  # contour only
    page.set_viewport_size({"width": 1500, "height": 1650})  # the text and the whole contour map in one picture
    app.wait_idle()
    target = DOCS / "lessons.png" if os.environ.get("OPTVIZ_DOCS") else tmp_path / "lessons.png"
    page.screenshot(path=str(target))
    app.assert_clean()
