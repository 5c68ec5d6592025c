"""A class in the loop, in a real headless Chromium: the teacher makes an exercise with a question
and a class board; its QR code decodes to its short link; two phones open the short link, see the
question before the runs, answer and then see the runs; the teacher's board counts both, live.
Screenshots go to docs/classroom/ (docs/classroom.md shows them)."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import DOCS, TIMEOUT_MS, App

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
SHOTS = DOCS / "classroom"


def _qr_text(locator) -> str:
    """The text of the QR code the page shows, read from a screenshot of it (as a phone's camera would)."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    locator.screenshot(path=str(SHOTS / "qr.png"))
    found = zxingcpp.read_barcodes(Image.open(SHOTS / "qr.png"))
    assert len(found) == 1, found
    return found[0].text


def test_a_class_joins_by_the_qr_code_and_the_board_counts_its_answers(app, browser):
    SHOTS.mkdir(exist_ok=True)
    page = app.page
    app.open({"surface": "bowl"})
    page.get_by_text("Make this an exercise, a challenge or a class board").click()
    page.locator(".st-key-class_ask").wait_for()
    app.wait_idle()  # the panel's rerun done: a rerun still drawing closes an opened list
    page.locator(".st-key-class_ask [role='combobox']").click()
    page.get_by_role("option", name="Which run converges first?").click()
    app.wait_idle()
    page.locator(".st-key-class_board label").first.click()
    app.wait_idle()
    page.locator(".st-key-class_make button").click()
    join = page.locator(".st-key-class_join")
    join.wait_for()
    app.wait_idle()
    short = re.search(r"https?://\S+\?s=[0-9A-Z]{8}", join.inner_text()).group(0)
    assert _qr_text(join.locator("img").first) == short
    board = page.locator('[class*="st-key-class_counts_"]').inner_text()
    code = re.search(r"Class board ([0-9A-Z]{7})", board).group(1)
    page.screenshot(path=str(SHOTS / "teacher-board.png"))

    students = []
    try:
        for pick in (0, 4):
            context = browser.new_context(viewport=PHONE)
            context.set_default_timeout(TIMEOUT_MS)
            students.append(context)
            student = App(context.new_page(), app.base)
            student.page.goto(short, wait_until="domcontentloaded")
            options = student.page.locator(".st-key-class_pick [role='radiogroup'] label")
            options.nth(5).wait_for()  # the five runs and "None of them"
            student.wait_idle()
            assert student.page.locator("div.optviz-plot").count() == 0  # predict first
            assert f"board={code}" in student.page.url or code in student.page.locator(".st-key-class_question")\
                .inner_text()
            if pick == 0:
                student.page.screenshot(path=str(SHOTS / "student-question.png"))
            options.nth(pick).click()
            student.page.get_by_role("button", name="Answer, then see the runs").click()
            student.wait_drawn()
            assert "Your prediction" in student.page.locator(".st-key-class_question").inner_text()
            if pick == 4:
                student.page.screenshot(path=str(SHOTS / "student-after.png"))
            student.assert_clean()
        counts = page.locator(f".st-key-class_counts_{code}")
        app.wait(f"() => (document.querySelector('.st-key-class_counts_{code}') || {{}}).innerText"
                 f"?.includes('2 answered')", timeout=30_000)
        text = counts.inner_text()
        assert re.search(r"GD η=0\.1: 1", text) and re.search(r"Adam η=0\.1: 1", text), text
        page.screenshot(path=str(SHOTS / "teacher-counts.png"))
        app.assert_clean()
    finally:
        for context in students:
            context.close()
