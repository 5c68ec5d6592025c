"""In the browser: share links opened in a fresh browser, and a bad link.

The helpers are in tests/browser/support.py.
"""

from __future__ import annotations

import json

import pytest

from optviz.app.share import parse_query
from tests.browser.support import JS_PATHS, LIGHT, TIMEOUT_MS, VIEWPORT, App

pytestmark = pytest.mark.e2e


def test_a_share_link_opens_the_same_view_in_a_fresh_browser(app, browser):
    # Some changes through a link (another surface, a learning rate, fewer steps) ...
    app.open({**LIGHT, "adam.lr": "0.05", "steps": "120"})
    before = app.paths()
    # ... and one through the sidebar: SGD's learning rate one notch up (0.01 -> 0.012).
    app.press(app.range_input("r0.lr"), "ArrowRight", 1)
    app.wait(f"(old) => JSON.stringify(({JS_PATHS})()['scatter:r0']) !== old", arg=json.dumps(before["scatter:r0"]))
    # The app writes the whole view into the URL: that is the share link.
    link_query = app.wait_query(lambda q: q.get("r0.lr") == "0.012" and "x0" in q, "r0.lr=0.012 and the full view")
    assert link_query["r1.lr"] == "0.05" and link_query["steps"] == "120" and link_query["surface"] == "himmelblau"
    app.wait_idle()
    teacher = app.paths()
    assert teacher["scatter:r1"] == before["scatter:r1"] and teacher["scatter:r0"] != before["scatter:r0"]
    link = app.page.url
    teacher_sidebar = app.sidebar()
    assert teacher_sidebar["st-key-steps"] == "120" and teacher_sidebar["st-key-r1-lr"] == "0.05"
    assert teacher_sidebar["st-key-r0-lr"] == "0.012"

    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        student = App(context.new_page(), app.base).open(link)
        student_paths = student.paths()
        assert set(student_paths) == set(teacher) == {"scatter:r0", "scatter3d:r0", "scatter:r1", "scatter3d:r1"}
        assert all(len(p["x"]) == 121 for p in student_paths.values())
        assert student_paths == teacher
        assert student.sidebar() == teacher_sidebar
        assert student.page.locator('[data-testid="stAlert"]').count() == 0
        student.assert_clean()
    finally:
        context.close()
    app.assert_clean()


def test_a_bad_link_shows_a_notice_and_no_exception(app):
    query = {"surface": "nope", "steps": "NaN", "adam.lr": "inf", "cam": "x"}
    app.open(query)
    page = app.page
    alerts = page.locator('[data-testid="stAlert"]', has_text="Share link")
    alerts.first.wait_for(state="visible")
    expected = parse_query(query).notices
    assert alerts.count() == len(expected) >= 4
    shown = " ".join(" ".join(alerts.nth(i).inner_text().split()) for i in range(alerts.count()))
    for notice in expected:
        assert " ".join(notice.split()) in shown, (notice, shown)
    # ... and the app shows the default surface instead, with a clean link.
    assert app.paths(), "no paths drawn"
    assert app.contour_paths() > 0
    q = app.wait_query(lambda q: q.get("surface") == "beale", "surface=beale")
    assert "cam" not in q and q["steps"] != "NaN"
    app.assert_clean()
