"""A rerun does what is on screen and what changed, no more (issue 23, item 1).

The update rules' cards are drawn only while their panel is open; an unchanged rerun encodes no
trace of the trajectory view again (the decorated figure and its encoding are reused by content);
the lessons panel is a fragment: opening it reruns the panel alone, and a lesson it opens reruns
the whole page. The last test starts a server and speaks Streamlit's own websocket protocol
(benchmarks/ws_client.py), since AppTest always runs the whole script: run it alone, under the
shared lock, like the other server tests (`-m "not concurrency"` skips it).
"""

from __future__ import annotations

import asyncio

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from benchmarks.ws_client import Session, streamlit_server
from optviz import OPTIMIZERS, web
from optviz.core.registry import DEFAULT_SELECTION
from optviz.plot.lessons import load_lessons
from tests.apptest_support import app, clean, open_run_editor


def rules_shown(at) -> list[str]:
    return [e.value for e in at.latex if r"\begin{gathered}" in e.value]


def test_update_rules_are_drawn_only_while_their_panel_is_open():
    at = clean(app())
    assert rules_shown(at) == []
    at.session_state["update_rules"] = True  # the person opens the panel
    clean(at.run())
    rules = rules_shown(at)
    assert len(rules) == len(set(DEFAULT_SELECTION))
    for key in DEFAULT_SELECTION:
        assert any(OPTIMIZERS[key].rule in r for r in rules), key
    at.session_state["update_rules"] = False
    assert rules_shown(clean(at.run())) == []


def test_an_unchanged_rerun_encodes_no_trace_of_the_view_again(monkeypatch):
    at = clean(app())
    encoded = []
    real = web.to_json

    def counting(value, *args, **kwargs):
        if isinstance(value, dict) and "type" in value:
            encoded.append(value["type"])
        return real(value, *args, **kwargs)

    monkeypatch.setattr(web, "to_json", counting)
    clean(at.run())
    assert encoded == []
    at.session_state["present"] = 1  # another decoration of the same figure: encoded once
    clean(at.run())
    assert encoded


def test_an_unchanged_rerun_does_not_style_the_runs_again(monkeypatch):
    from optviz.plot import styles

    at = open_run_editor(clean(app()), 0)
    calls = []
    real = styles.run_styles
    monkeypatch.setattr(styles, "run_styles", lambda *args: calls.append(args) or real(*args))
    clean(at.run())
    assert calls == []
    at.text_input(key="r0.label").set_value("mine")  # a new name: styled once more
    clean(at.run())
    assert len(calls) == 1


class Recording(Session):
    """A tab that also notes the fragments its elements belong to and the expanders' widget ids."""

    def __init__(self, ws, query_string: str):
        super().__init__(ws, query_string)
        self.fragments: set[str] = set()
        self.expanders: dict[str, str] = {}
        self.elements: list[str] = []  # the element types of the last run
        self.ids: list[str] = []  # every widget id seen (a key may hold "-", which Session.widgets cuts at)

    async def rerun(self, **kwargs):
        self.elements = []
        return await super().rerun(**kwargs)

    def _read(self, fwd, result) -> bool:
        if fwd.WhichOneof("type") == "delta":
            delta = fwd.delta
            if delta.fragment_id:
                self.fragments.add(delta.fragment_id)
            if delta.WhichOneof("type") == "add_block" and delta.add_block.WhichOneof("type") == "expandable":
                expander = delta.add_block.expandable
                if expander.id:
                    self.expanders[expander.id.rsplit("-", 1)[-1]] = expander.id
            elif delta.WhichOneof("type") == "new_element":
                kind = delta.new_element.WhichOneof("type")
                self.elements.append(kind)
                widget_id = getattr(getattr(delta.new_element, kind), "id", "")
                if isinstance(widget_id, str) and widget_id.startswith("$$ID"):
                    self.ids.append(widget_id)
        return super()._read(fwd, result)


async def _lessons_panel(base: str) -> None:
    tab = await Recording.open(base, "")
    try:
        first = await tab.rerun(timeout=120)
        assert first.ok, first
        assert len(tab.fragments) == 1, tab.fragments  # the lessons panel, and nothing else
        (panel,) = tab.fragments
        opened = WidgetState(id=tab.expanders["lessons_panel"], bool_value=True)
        run = await tab.rerun(widgets=[opened], fragment_id=panel, timeout=120)
        assert run.ok, run
        lesson = load_lessons()[0]
        button = [i for i in tab.ids if i.endswith(f"-lesson.{lesson.key}")]
        assert button  # the cards were drawn...
        assert "bidi_component" not in tab.elements and "dataframe" not in tab.elements  # ...and nothing else
        click = WidgetState(id=button[-1], trigger_value=True)
        run = await tab.rerun(widgets=[opened, click], fragment_id=panel, timeout=120)
        assert run.ok, run
        assert "bidi_component" in tab.elements  # the whole page ran again, with the lesson's view
        assert run.query_string and f"lesson={lesson.key}" in run.query_string, run.query_string
    finally:
        await tab.close()


@pytest.mark.concurrency
@pytest.mark.timeout(240)
def test_the_lessons_panel_reruns_alone_and_a_lesson_it_opens_reruns_the_page():
    with streamlit_server() as server:
        asyncio.run(_lessons_panel(server.base))
        log = server.log()
    assert "Traceback" not in log, log
