"""The teacher's path, in one session of a real headless Chromium (issue 19).

What a lecture does, in the order a teacher does it: prepare at a desk (open a lesson from its link,
sweep the learning rate twice, remove a run, open another lesson from the panel and change its η),
give it in presentation mode at 1280x720 (change η there, Play, inspect a step), come back and
export (HTML, GIF, CSV); then three phones and a tablet open the shared link at once. At every
stage: no exception on the page and no page error, the legend's labels are the labels the view's
settings give (`optviz.core.runs.labels` of the link's runs), and the link reproduces what is shown.

Screenshots of every stage go to tmp_path, or to the folder OPTVIZ_LECTURE_SHOTS names.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest

from optviz.app.share import parse_query
from optviz.core import runs as runs_mod
from tests.browser.support import (
    JS_IDLE,
    JS_PATHS,
    JS_RUN_LINES,
    JS_SLIDER,
    JS_STEP,
    PLAY_BUTTON,
    TIMEOUT_MS,
    App,
    _press_pause,
    _wait_runs,
    _watch_errors,
)

pytestmark = pytest.mark.e2e

DESK = {"width": 1400, "height": 900}
PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 768, "height": 1024}


def _shot(page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"))


def _view_labels(app: App) -> list[str]:
    """The labels the link's settings give to the shown runs, as the app computes them for any view."""
    state = parse_query(app.query())
    names = runs_mod.labels(state.runs)
    return [names[i] for i, _ in state.visible_runs]


def _legend(app: App) -> list[str]:
    """The runs' names in the trajectory view's legend (not the inspector's arrows)."""
    return [name for group, name, *_ in app.page.evaluate(JS_RUN_LINES, "div.optviz-plot")
            if re.fullmatch(r"r\d+", group)]


def _assert_labels_follow_settings(app: App, stage: str) -> list[str]:
    want = _view_labels(app)
    assert _legend(app) == want, (stage, _legend(app), want)
    assert len(set(want)) == len(want), (stage, "two runs share a label", want)
    return want


def _assert_clean(app: App, errors: list[str], stage: str) -> None:
    exceptions = app.page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, (stage, exceptions.first.inner_text())
    assert not errors, (stage, errors)


def _set_slider(app: App, key: str, presses: int) -> str:
    """Move a slider (select_slider, by widget key) by arrow presses; returns the value it shows."""
    slider = app.range_input(key)
    slider.scroll_into_view_if_needed()
    before = slider.get_attribute("aria-valuetext")
    app.press(slider, "ArrowRight" if presses > 0 else "ArrowLeft", abs(presses))
    app.wait("([k, v]) => { const i = document.querySelector(`.st-key-${k} input[type=range]`);"
             " return i && i.getAttribute('aria-valuetext') !== v; }", arg=[key.replace(".", "-"), before])
    app.wait_idle()
    return slider.get_attribute("aria-valuetext")


def _run_count(app: App) -> int:
    return len(parse_query(app.query()).runs)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("OPTVIZ_LECTURE_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_lecture_from_preparation_to_the_class_phones(browser, app_url, shots, tmp_path):
    context = browser.new_context(viewport=DESK)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        app = App(context.new_page(), app_url)
        errors = _watch_errors(app)
        page = app.page

        # 1. Prepare at the desk: a lesson from its link; sweep twice; remove a run; sweep again.
        app.open({"lesson": "three-learning-rates"})
        _assert_labels_follow_settings(app, "lesson opened")
        _shot(page, shots, "01-lesson-at-the-desk")
        page.locator(".st-key-sweep_panel summary").click()
        for sweep in range(2):
            before = _run_count(app)
            page.locator(".st-key-sweep-go button").click()
            app.wait_query(lambda q, n=before: len(parse_query(q).runs) == n + 2, f"sweep {sweep + 1}")
            app.wait_drawn()
            _assert_clean(app, errors, f"sweep {sweep + 1}")
            _assert_labels_follow_settings(app, f"sweep {sweep + 1}")
        _shot(page, shots, "02-swept-twice")
        before = _run_count(app)
        remove = page.locator('[data-testid="stSidebar"] .st-key-remove-0 button').first
        if not remove.is_visible():  # from three runs on, the run editors open closed
            page.locator('[data-testid="stSidebar"] .st-key-run-0 summary').click()
        remove.click()
        app.wait_query(lambda q: len(parse_query(q).runs) == before - 1, "a run removed")
        _wait_runs(app, before - 1)
        app.wait_drawn()
        page.locator(".st-key-sweep-go button").click()
        app.wait_query(lambda q: len(parse_query(q).runs) == before + 1, "a sweep after a removal")
        app.wait_drawn()
        _assert_clean(app, errors, "remove, then sweep")
        _assert_labels_follow_settings(app, "remove, then sweep")

        # 2. Another lesson from the panel: the panel closes and the chart is on screen; η changed there.
        page.locator(".st-key-lessons_panel summary").click()
        app.wait_idle()  # the panel's cards are drawn by the rerun its opening asks for
        page.locator(".st-key-lesson-ravine-zigzag button").first.click()
        app.wait_query(lambda q: q.get("lesson") == "ravine-zigzag", "lesson=ravine-zigzag")
        app.wait_drawn()
        assert not page.locator(".st-key-lesson-ravine-zigzag button").first.is_visible(), \
            "the lessons panel stayed open"
        assert page.locator("div.optviz-plot").is_visible()
        labels = _assert_labels_follow_settings(app, "ravine lesson")
        if not app.range_input("r0.lr").is_visible():
            page.locator('[data-testid="stSidebar"] .st-key-run-0 summary').click()
        shown = _set_slider(app, "r0.lr", 1)
        app.wait_query(lambda q: q.get("r0.lr") == shown, f"r0.lr={shown}")
        app.wait_drawn()
        changed = _assert_labels_follow_settings(app, "η changed in the lesson")
        assert changed != labels and shown in changed[0], (labels, changed, shown)
        _shot(page, shots, "03-ravine-lesson-eta-changed")

        # 3. Give it: presentation mode at 1280x720; η changed there, Play, a step inspected.
        page.set_viewport_size(PROJECTOR)
        page.locator(".st-key-back_to_lesson button, .st-key-lesson_reopen button").first.click()
        app.wait_query(lambda q: q.get("lesson") == "ravine-zigzag", "back to the lesson's view")
        app.wait_drawn()
        page.get_by_role("radiogroup", name="Presentation").get_by_text("720p", exact=True).click()
        app.wait_query(lambda q: q.get("present") == "1" and q.get("lesson") == "ravine-zigzag",
                       "presentation with the lesson kept")
        app.wait_drawn()
        assert page.locator(".st-key-lesson_text").is_visible(), "presentation dropped the lesson"
        _shot(page, shots, "04-presentation")
        page.locator(".st-key-present_strip button").first.click()
        strip = app.range_input("present_strip.r0.lr")
        strip.wait_for(state="visible")
        before_lr = parse_query(app.query()).runs[0].hparam("lr")
        app.press(strip, "ArrowRight", 1)
        app.wait_query(lambda q: parse_query(q).runs[0].hparam("lr") != before_lr, "η changed in presentation")
        app.wait_drawn()
        assert app.query().get("present") == "1", "changing η left presentation mode"
        _assert_labels_follow_settings(app, "η changed in presentation")
        page.keyboard.press("Escape")
        _shot(page, shots, "05-presentation-eta-changed")
        before = page.evaluate(JS_SLIDER)["active"]
        page.locator(PLAY_BUTTON, has_text="Play").click()
        app.wait(f"(last) => ({JS_STEP})() !== last", arg=before)
        _shot(page, shots, "06-presentation-playing")
        _press_pause(app)
        option = page.get_by_role("option", name=_legend(app)[0], exact=True)
        picker = page.locator(".st-key-inspect_run input")
        picker.click()  # a click that only closes the η popover opens nothing: then the keyboard opens it
        try:
            option.wait_for(state="visible", timeout=3000)
        except Exception:
            picker.press("ArrowDown")
        option.click()
        app.wait_query(lambda q: q.get("inspect_run") == "1", "a run picked for the inspector")
        app.wait_drawn()
        page.locator(".st-key-inspect_forward button").click()
        app.wait_query(lambda q: q.get("inspect_step") not in (None, "0"), "a step inspected")
        app.wait_drawn()
        step = int(app.query()["inspect_step"])
        # The main chart shows the inspected step, the arrows' key beside the paths.
        app.wait("(k) => (document.querySelector('div.optviz-plot')._optvizControls || {}).step === k", arg=step)
        assert page.locator(".st-key-inspector_numbers").is_visible()
        _shot(page, shots, "07-presentation-inspecting")
        _assert_clean(app, errors, "presentation")

        # 4. Back at the desk: presentation off, the exports.
        page.set_viewport_size(DESK)
        page.get_by_role("radiogroup", name="Presentation").get_by_text("Off", exact=True).click()
        app.wait_query(lambda q: q.get("present") in (None, "0"), "presentation off")
        app.wait_drawn()
        labels = _assert_labels_follow_settings(app, "back at the desk")
        with page.expect_download(timeout=TIMEOUT_MS) as html:
            page.get_by_role("button", name="Animation (standalone HTML)").click()
        html_text = Path(html.value.path()).read_text()
        assert all(label in html_text for label in labels), labels
        with page.expect_download(timeout=TIMEOUT_MS) as table:
            page.get_by_role("button", name="Trajectories (CSV)").click()
        rows = list(csv.DictReader(io.StringIO(Path(table.value.path()).read_text())))
        assert list(dict.fromkeys(r["label"] for r in rows)) == labels
        with page.expect_download(timeout=TIMEOUT_MS) as gif:
            page.get_by_role("button", name="Animation for slides (GIF)").click()
        from PIL import Image

        image = Image.open(gif.value.path())
        assert image.format == "GIF" and image.n_frames > 1
        _shot(page, shots, "08-exports")
        _assert_clean(app, errors, "exports")
        link = page.locator('[data-testid="stCode"] code').first.inner_text().strip()
        desk_paths = app.paths()
        desk_labels = labels
    finally:
        context.close()

    # 5. The class: three phones and a tablet open the link at once.
    contexts, pages = [], []
    try:
        for name, viewport in (("phone-1", PHONE), ("phone-2", PHONE), ("phone-3", PHONE), ("tablet", TABLET)):
            c = browser.new_context(viewport=viewport, has_touch=True, is_mobile=True)
            c.set_default_timeout(TIMEOUT_MS)
            contexts.append(c)
            student = App(c.new_page(), app_url)
            pages.append((name, student, _watch_errors(student)))
        for _, student, _ in pages:  # every request out before any is waited for
            student.page.goto(link, wait_until="commit")
        for name, student, student_errors in pages:
            student.wait_drawn()
            student.page.wait_for_function(JS_IDLE)
            assert _legend(student) == desk_labels, (name, _legend(student), desk_labels)
            assert student.page.evaluate(JS_PATHS) == desk_paths, f"{name}: the link drew other paths"
            _assert_clean(student, student_errors, name)
            _shot(student.page, shots, f"09-{name}")
    finally:
        for c in contexts:
            c.close()
