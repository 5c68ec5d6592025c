"""In the browser: runs built in the sidebar.

The helpers are in tests/browser/support.py.
"""

from __future__ import annotations

import json
import os

import pytest

from tests.browser.support import (
    DOCS,
    JS_ANIMATING,
    JS_MAIN_TO_TOP,
    JS_RUN_LINES,
    JS_SLIDER,
    PLAY_BUTTON,
    VIEWPORT,
    WAIT_TWO_NEW_STEPS,
    _add_run,
    _open_run,
    _wait_runs,
)

pytestmark = pytest.mark.e2e


def test_gd_vs_sgd_vs_minibatch_built_in_the_sidebar_plays(app):
    """The teaching material's first comparison, built as a teacher would: one SGD run on the
    regression, duplicated twice in the sidebar, the copies given batch sizes 1 and 16; then Play."""
    app.open({"surface": "mse", "r0.opt": "sgd", "steps": "200"})
    page = app.page
    sidebar = page.locator('[data-testid="stSidebar"]')

    def duplicate(index: int, count: int) -> None:
        sidebar.locator(f".st-key-duplicate-{index} button").first.click()
        # the runs' expanders (the sidebar holds other expanders too: sweep, your own data ...)
        app.wait(f"() => Array.from(document.querySelectorAll('[data-testid=\"stSidebar\"] [class*=\"st-key-run-\"]'))"
                 f".filter((e) => Array.from(e.classList).some((c) => /^st-key-run-\\d+$/.test(c))).length === {count}")
        app.wait_idle()

    def batch(index: int, key: str, presses: int, want: str) -> None:
        """Batch options are 1, 2, 4, ..., 128, 240 (the full batch)."""
        slider = app.range_input(f"r{index}.batch")
        slider.wait_for(state="attached")
        if not slider.is_visible():  # from three runs on, a new run's editor opens closed
            sidebar.locator(f".st-key-run-{index} summary").click()
        slider.wait_for(state="visible")
        app.press(slider, key, presses)
        app.wait_query(lambda q: q.get(f"r{index}.batch") == want, f"r{index}.batch={want}")
        app.wait_idle()

    duplicate(0, 2)  # two runs: both expanders open
    batch(1, "ArrowLeft", 4, "16")  # the copy becomes mini-batch 16 (240 -> 128 -> 64 -> 32 -> 16) ...
    duplicate(1, 3)  # ... is duplicated (the new run 2 keeps 16) ...
    batch(1, "Home", 1, "1")  # ... and run 1, its slider moved before the rerun, becomes SGD (b = 1)
    q = app.query()
    assert q["r0.batch"] == "240" and q["r1.batch"] == "1" and q["r2.batch"] == "16"
    assert q["r0.opt"] == q["r1.opt"] == q["r2.opt"] == "sgd"
    app.wait("() => document.querySelector('div.optviz-plot')._fullData"
             ".filter((d) => d.type === 'scatter' && d.mode === 'lines' && d.legendgroup && d.meta !== 'casing')"
             ".length === 3")
    paths = app.paths()
    contour = {k: p for k, p in paths.items() if k.startswith("scatter:")}
    assert set(contour) == {"scatter:r0", "scatter:r1", "scatter:r2"}
    assert len({json.dumps(p) for p in contour.values()}) == 3, "three different paths"
    # Three labels that tell the runs apart, in the legend.
    names = page.evaluate("() => document.querySelector('div.optviz-plot')._fullData"
                          ".filter((d) => d.type === 'scatter' && d.mode === 'lines' && d.legendgroup"
                          " && d.meta !== 'casing')"
                          ".map((d) => d.name)")
    assert sorted(n.split(" η=")[0] for n in names) == ["GD", "Mini-batch SGD b=16", "SGD"], names

    start = page.evaluate(JS_SLIDER)
    page.locator(PLAY_BUTTON, has_text="Play").click()
    app.wait(WAIT_TWO_NEW_STEPS, arg=start["active"])
    page.locator(PLAY_BUTTON, has_text="Pause").click()
    app.wait(f"() => !({JS_ANIMATING})()")
    app.errors = [e for e in app.errors if e != "page error: undefined"]  # plotly's own (see above)
    stopped = page.evaluate(JS_SLIDER)
    k = int(stopped["label"])
    for key, path in app.paths().items():  # the frame shows every run up to its step
        assert len(path["x"]) == k + 1, (key, len(path["x"]), k)
    app.assert_clean()


def test_a_slider_moved_before_a_run_is_added_moves_again_after(app):
    """A person moves a run's slider, adds a run (or duplicates one, or removes one), then moves
    the same slider again: it takes the keys again, every time (arrow keys and Home), and the link
    follows. (An earlier version of the GD vs SGD vs mini-batch test saw a moved slider stop taking
    keys after a rerun that added a run; with the run editors keyed by run (expander run.<i>,
    widgets r<i>.*, ids from the key alone) it does not happen.)"""
    app.open({"surface": "mse", "r0.opt": "sgd", "r1.opt": "sgd", "steps": "50"})

    def move(index: int, presses: int, want: str) -> None:
        _open_run(app, index)
        app.press(app.range_input(f"r{index}.batch"), "ArrowLeft", presses)
        app.wait_query(lambda q: q.get(f"r{index}.batch") == want, f"r{index}.batch={want}")
        app.wait_idle()

    move(1, 4, "16")  # 240 (the full batch) -> 128 -> 64 -> 32 -> 16
    _add_run(app, 3)
    move(1, 1, "8")  # the same slider, after a rerun that added a run
    app.page.locator('[data-testid="stSidebar"] .st-key-duplicate-1 button').first.click()
    _wait_runs(app, 4)
    move(1, 1, "4")  # ... after one that duplicated its own run (the copy, run 2, keeps 8)
    move(2, 1, "4")
    app.page.locator('[data-testid="stSidebar"] .st-key-remove-0 button').first.click()
    _wait_runs(app, 3)
    move(0, 1, "2")  # ... after one that removed the run above it: it is run 0 now
    q = app.query()
    assert (q["r0.batch"], q["r1.batch"], q["r2.batch"]) == ("2", "4", "240"), q
    _open_run(app, 2)  # an editor's open state follows its run: this one (added above) was never opened
    app.press(app.range_input("r2.batch"), "Home", 1)  # a slider moved before two reruns that added runs
    app.wait_query(lambda q: q.get("r2.batch") == "1", "r2.batch=1")
    app.wait_idle()
    app.assert_clean()


def test_eight_runs_built_in_the_sidebar_are_told_apart(app, tmp_path):
    """Issue 9, as a person checks it: eight runs built from the sidebar (added, duplicated, a swept
    learning rate, four GD runs) on Beale; the legend, the trajectory view, the loss chart and the table name the
    same eight runs, no two drawn alike (colour or dash), and the sidebar lists them. Screenshots at
    1500x1000 and 1280x720 in tmp_path; with OPTVIZ_DOCS set, the first is saved as docs/runs-8.png."""
    from optviz.plot.trajectory import PATH_WIDTH_2D, dash_px

    page = app.page
    app.open({"surface": "beale", "r0.opt": "sgd", "r1.opt": "adam", "r2.opt": "momentum", "r3.opt": "nesterov"})
    _open_run(app, 1)  # from three runs on, the editors open closed
    page.locator('[data-testid="stSidebar"] .st-key-duplicate-1 button').first.click()  # a second Adam (run 2)
    _wait_runs(app, 5)
    _open_run(app, 2)
    app.press(app.range_input("r2.lr"), "ArrowRight", 3)  # ... with a larger learning rate
    app.wait_query(lambda q: q.get("r2.lr") != q.get("r1.lr"), "r2.lr != r1.lr")
    app.wait_idle()
    page.locator('[data-testid="stSidebar"] .st-key-sweep_panel summary').click()
    page.locator(".st-key-sweep-go button").click()  # run 0 (GD), its learning rate x1/3, x1, x3
    _wait_runs(app, 7)
    _add_run(app, 8)  # a fourth GD run, at the preset's learning rate
    q = app.query()
    assert [q[f"r{i}.opt"] for i in range(8)] == ["sgd", "sgd", "sgd", "adam", "adam", "momentum", "nesterov",
                                                  "sgd"], q
    assert len({q[f"r{i}.lr"] for i in range(3)}) == 3  # the sweep

    lines = page.evaluate(JS_RUN_LINES, "div.optviz-plot")
    contour = [line for line in lines if line[0].startswith("r")]
    groups = {g for g, *_ in contour}
    assert groups == {f"r{i}" for i in range(8)}, contour
    names = {g: n for g, n, *_ in contour}
    assert len(set(names.values())) == 8, names  # eight different labels in the legend
    looks = {g: (c, d) for g, _, c, d in contour}
    assert len(set(looks.values())) == 8, looks  # no two runs drawn alike
    count = page.evaluate("() => document.querySelectorAll('div.optviz-chart').length")
    assert count >= 4, count  # loss, distance, x(t), y(t): the same runs in the same styles
    for n in range(count):
        drawn = page.evaluate(
            "(n) => (document.querySelectorAll('div.optviz-chart')[n]._fullData || []).filter((t) => t.type === "
            "'scatter' && (t.mode || '').startsWith('lines') && t.legendgroup && t.hoverinfo !== 'skip')"
            ".map((t) => [t.legendgroup, t.name, t.line.color, t.line.dash])", n)
        # (a chart's name may add " — diverged at step k"; the contour's paths carry their dash as
        # explicit lengths, so that their casing's dashes lie under them: the same pattern, spelled out)
        assert {g: (nm.split(" — ")[0], (c, dash_px(d, PATH_WIDTH_2D))) for g, nm, c, d in drawn} == {
            g: (names[g], looks[g]) for g in groups}, (n, drawn)
    table = page.locator(".st-key-results_table")
    table.scroll_into_view_if_needed()
    app.wait("() => document.querySelectorAll('.st-key-results_table [role=\"row\"]').length >= 9 || "
             "document.querySelectorAll('.st-key-results_table canvas').length > 0")
    sidebar_text = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "Runs (8 of at most 24)" in sidebar_text
    for name in names.values():
        assert name in sidebar_text, name  # each run's editor carries its legend label

    page.evaluate(JS_MAIN_TO_TOP)
    shots = {}
    for size in ({"width": 1500, "height": 1000}, {"width": 1280, "height": 720}):
        page.set_viewport_size(size)
        app.wait_idle()
        shots[size["width"]] = tmp_path / f"runs-8-{size['width']}x{size['height']}.png"
        page.screenshot(path=str(shots[size["width"]]))
        page.locator('[data-testid="stSidebar"] [data-testid="stSidebarContent"]').evaluate(
            "(e) => e.scrollTo(0, e.scrollHeight)")
        page.screenshot(path=str(tmp_path / f"runs-8-{size['width']}-sidebar-end.png"))
        page.locator('[data-testid="stSidebar"] [data-testid="stSidebarContent"]').evaluate("(e) => e.scrollTo(0, 0)")
    if os.environ.get("OPTVIZ_DOCS"):
        page.set_viewport_size(VIEWPORT)
        app.wait_idle()
        page.evaluate(JS_MAIN_TO_TOP)
        page.wait_for_timeout(300)
        page.locator('[data-testid="stSidebar"] [data-testid="stSidebarContent"]').evaluate(
            "(e) => e.scrollTo(0, e.querySelector('.st-key-add_run').getBoundingClientRect().top "
            "+ e.scrollTop - e.clientHeight + 80)")
        page.screenshot(path=str(DOCS / "runs-8.png"))
    app.assert_clean()
