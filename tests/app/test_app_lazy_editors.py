"""The run editors draw their widgets only while open (issue 23): a closed editor registers no
widget, its run's settings hold (reruns, a surface switch and back, the link, writes from a sweep,
one η for all, the reset) and come back in its widgets when it opens; an editor the person opened
stays open. And a rerun reads the view's values once, and the decorated figure reuses the view's
encoding. Driven through streamlit.testing.v1.AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from optviz.app import figure_component, present, run_picks
from optviz.app.runs_ui import editor_key
from optviz.app.state import RUN_KEY
from optviz.core.registry import DEFAULT_SELECTION
from tests.apptest_support import app, clean, open_run_editor, query

ADAM = DEFAULT_SELECTION.index("adam")  # the default view has five runs: every editor opens closed


def run_widget_keys(at: AppTest) -> set[str]:
    """The keys of every run setting's widget on the page (r<i>.*), and of the run buttons."""
    widgets = [*at.select_slider, *at.slider, *at.number_input, *at.selectbox, *at.toggle, *at.text_input,
               *at.radio, *at.button]
    return {w.key for w in widgets if w.key and (RUN_KEY.fullmatch(w.key) or w.key.split(".")[0] in (
        "duplicate", "remove"))}


def drawn_runs(at: AppTest) -> set[int]:
    """The runs whose editors draw widgets."""
    return {int(k.split(".")[0].lstrip("r")) if RUN_KEY.fullmatch(k) else int(k.split(".")[1])
            for k in run_widget_keys(at)}


def test_closed_editors_register_no_widgets_and_open_ones_all_theirs():
    at = clean(app())
    assert query(at)["r4.opt"] and not run_widget_keys(at)
    open_run_editor(at, ADAM)
    assert drawn_runs(at) == {ADAM}
    wanted = {f"r{ADAM}.lr", f"r{ADAM}.opt", f"r{ADAM}.label", f"r{ADAM}.hidden", f"duplicate.{ADAM}"}
    assert wanted <= run_widget_keys(at)


def test_with_two_runs_the_editors_open_and_an_opened_one_stays_open():
    two = clean(app({"r0.opt": "gd", "r1.opt": "adam"}))
    assert drawn_runs(two) == {0, 1}
    three = clean(app({"r0.opt": "gd", "r1.opt": "momentum", "r2.opt": "adam"}))
    assert drawn_runs(three) == set()
    open_run_editor(three, 2)
    for _ in range(3):  # reruns, a slider moved elsewhere, and its own title following its η
        clean(three.select_slider(key="steps").set_value(three.select_slider(key="steps").value - 10).run())
        assert drawn_runs(three) == {2}
    before = three.session_state["r2.lr"]
    lr = three.select_slider(key="r2.lr")
    clean(lr.set_value(lr.options[0] if lr.value != lr.options[0] else lr.options[-1]).run())
    assert three.session_state["r2.lr"] != before and drawn_runs(three) == {2}
    three.session_state[editor_key(2)] = False  # the person closes it
    assert drawn_runs(clean(three.run())) == set()


def test_a_closed_editor_keeps_its_run_through_reruns_a_surface_switch_and_the_link():
    at = clean(app())
    open_run_editor(at, ADAM)
    lr = at.select_slider(key=f"r{ADAM}.lr")
    lr.set_value(lr.options[1]).run()
    at.text_input(key=f"r{ADAM}.label").input("mine").run()
    at.toggle(key=f"r{ADAM}.hidden").set_value(True).run()
    wanted = {k: v for k, v in query(clean(at)).items() if k.startswith(f"r{ADAM}.")}
    assert wanted[f"r{ADAM}.label"] == "mine" and wanted[f"r{ADAM}.hidden"] == "1"
    at.session_state[editor_key(ADAM)] = False
    clean(at.run())
    assert not run_widget_keys(at)
    for steps in (150, 160, 170):  # reruns in which its widgets are not drawn
        clean(at.select_slider(key="steps").set_value(steps).run())
        assert {k: v for k, v in query(at).items() if k.startswith(f"r{ADAM}.")} == wanted
    surface = at.selectbox(key="surface").value
    clean(at.selectbox(key="surface").set_value("rosenbrock" if surface != "rosenbrock" else "himmelblau").run())
    clean(at.selectbox(key="surface").set_value(surface).run())
    assert {k: v for k, v in query(at).items() if k.startswith(f"r{ADAM}.")} == wanted
    # The link: a new session of it has the run, closed, and its editor shows it once opened.
    fresh = clean(app(query(at)))
    assert {k: v for k, v in query(fresh).items() if k.startswith(f"r{ADAM}.")} == wanted
    assert not run_widget_keys(fresh)
    open_run_editor(fresh, ADAM)
    assert fresh.select_slider(key=f"r{ADAM}.lr").value == at.session_state[f"r{ADAM}.lr"]
    assert fresh.text_input(key=f"r{ADAM}.label").value == "mine" and fresh.toggle(key=f"r{ADAM}.hidden").value


def test_a_slider_in_an_open_editor_changes_its_run_only_and_the_others_stay_closed():
    at = clean(app())
    before = query(at)
    open_run_editor(at, ADAM)
    lr = at.select_slider(key=f"r{ADAM}.lr")
    lr.set_value(lr.options[0] if lr.value != lr.options[0] else lr.options[-1]).run()
    after = query(clean(at))
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed == {f"r{ADAM}.lr"}, changed
    assert drawn_runs(at) == {ADAM}


def test_writes_while_closed_hold_and_show_when_the_editor_opens():
    at = clean(app())
    open_run_editor(at, 2)  # drawn once, then closed: Streamlit knows its widgets' keys
    at.session_state[editor_key(2)] = False
    clean(at.run())
    at.number_input(key="lr_for_all").set_value(0.005)
    clean(at.button(key="apply_lr_for_all").click().run())
    lrs = {k: v for k, v in query(at).items() if k.endswith(".lr")}
    assert lrs and set(lrs.values()) == {"0.005"}, lrs
    clean(at.select_slider(key="steps").set_value(150).run())  # a rerun in which no editor is open
    open_run_editor(at, 2)
    assert at.select_slider(key="r2.lr").value == 0.005
    assert {k: v for k, v in query(at).items() if k.endswith(".lr")} == lrs
    # The reset puts the preset back, in closed editors too.
    clean(at.button(key="reset").click().run())
    assert all(v != "0.005" for k, v in query(at).items() if k.endswith(".lr"))
    assert at.select_slider(key="r2.lr").value != 0.005


def test_an_open_editor_moves_with_its_run_when_runs_come_and_go():
    at = clean(app())
    runs = len([k for k in query(at) if k.endswith(".opt")])
    open_run_editor(at, 3)
    open_run_editor(at, 1)
    assert drawn_runs(at) == {1, 3}
    clean(at.button(key="remove.1").click().run())  # run 1 goes: run 3 is now run 2, still open
    assert drawn_runs(at) == {2} and len([k for k in query(at) if k.endswith(".opt")]) == runs - 1
    clean(at.button(key="duplicate.2").click().run())  # its copy comes after it, closed (more than two runs)
    assert drawn_runs(at) == {2}
    assert query(at)["r3.opt"] == query(at)["r2.opt"]


def test_a_rerun_reads_the_view_s_values_once(monkeypatch):
    at = clean(app())
    calls = []
    real = run_picks.current_values
    monkeypatch.setattr(run_picks, "current_values", lambda: calls.append(1) or real())
    clean(at.select_slider(key="steps").set_value(150).run())
    assert len(calls) == 1


def test_the_decorated_view_reuses_the_view_s_encoding(monkeypatch):
    figure = {"data": [{"type": "surface", "z": [[1.0, 2.0], [3.0, 4.0]]}, {"type": "scatter", "x": [1.0, 2.0]}],
              "layout": {"height": 640}, "config": {}}
    base = figure_component.encode_figure(figure)
    encoded = []
    real = figure_component.web.to_json
    monkeypatch.setattr(figure_component.web, "to_json", lambda value, default: encoded.append(value) or real(
        value, default))
    extra = [{"type": "scatter", "x": [0.5], "name": "arrow"}]
    for level in (present.PRESENT_OFF, present.PRESENT_720):
        encoded.clear()
        shown, reused, _ = present.decorate(figure, base, level, extra, lambda f: figure_component.encode_figure(
            f, base=(figure, base)), show_step=None)
        assert not any(value is figure["data"][0] for value in encoded)  # the surface is not encoded again
        monkeypatch.setattr(figure_component.web, "to_json", real)
        full = figure_component.encode_figure(shown)
        monkeypatch.setattr(figure_component.web, "to_json", lambda value, default: encoded.append(value) or real(
            value, default))
        assert (reused.id, reused.traces, reused.parts) == (full.id, full.traces, full.parts)
        assert dict(reused.arrays) == dict(full.arrays)


@pytest.mark.parametrize("index", [0, ADAM])
def test_open_run_editor_opens_only_that_editor(index):
    at = clean(app())
    assert drawn_runs(open_run_editor(at, index)) == {index}


def test_a_locked_learning_rate_is_kept_while_its_editor_is_closed_and_drawn_disabled_once_open():
    at = clean(app({"surface": "bowl", "r0.opt": "sgd", "r0.lr": "0.1", "r1.opt": "momentum", "r2.opt": "adam",
                    "lock": "lr"}))
    assert not run_widget_keys(at)
    at.session_state["r1.lr"] = 0.5  # changed by other means (a tool's one-click η) while the editor is closed
    clean(at.run())
    assert at.session_state["r1.lr"] != 0.5 and query(at)["r0.lr"] == "0.1"
    open_run_editor(at, 1)
    assert at.select_slider(key="r1.lr").disabled and not at.select_slider(key="r1.momentum").disabled
    assert at.select_slider(key="r1.lr").value == at.session_state["r1.lr"]


def test_an_open_editor_keeps_its_id_while_its_sliders_rename_its_run():
    """The page draws an expander of a new id afresh, and a slider in it loses the keyboard's focus:
    the η in the run's name follows the slider, the open editor's title and id do not."""
    at = open_run_editor(clean(app()), ADAM)

    def editor_id() -> str:
        (found,) = [e.proto.id for e in at.expander if e.proto.id.endswith(f"-{editor_key(ADAM)}")]
        return found

    before, name = editor_id(), at.text_input(key=f"r{ADAM}.label").placeholder
    lr = at.select_slider(key=f"r{ADAM}.lr")
    clean(lr.set_value(lr.options[0] if lr.value != lr.options[0] else lr.options[-1]).run())
    renamed = at.text_input(key=f"r{ADAM}.label").placeholder
    assert renamed != name and "η=" in renamed  # the run's name says the new η ...
    assert renamed in [c.value for c in at.sidebar.caption]  # ... under the editor's title
    assert editor_id() == before  # ... in the same editor
    at.session_state[editor_key(ADAM)] = False
    clean(at.run())
    assert any(e.label == renamed for e in at.expander)  # closed, its title is the run's name
