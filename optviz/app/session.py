"""A session's first run: the link decides the view (or the lesson it names)."""

from __future__ import annotations

import os
from dataclasses import replace

import streamlit as st

from . import classroom_ui, inspector_ui, share
from .lessons_ui import LESSONS, open_lesson
from .run_picks import settle_run_picks
from .state import load_values

# --- first run of a session: the link decides ----------------------------------------------------


def settle_session_state() -> None:
    """What the first run loaded becomes the session's settled state, as Streamlit does between two
    runs (the page's next rerun request would do it). Values set through st.session_state go to the
    page marked "set_value" on the run that set them and unmarked afterwards, so every widget of the
    first page would be sent again, changed, by the first change after a load (~20 KB, every widget
    re-rendered: a first change slower than the later ones). Settled, they are drawn unmarked with
    their value as the default (see draw()), the same messages as on the next runs, which the page
    then holds. Streamlit's own step, reached through its state object; if another version moves
    it, the first change is slower again and nothing else changes (tests/app/test_app.py notices)."""
    try:
        from streamlit.runtime.state.session_state_proxy import get_session_state

        get_session_state().on_script_will_rerun(None)
    except (ImportError, AttributeError, TypeError):
        pass


def open_link() -> None:
    """On the first run of a session, the view from the link's parameters (or its lesson's), with its notices."""
    if "initialised" not in st.session_state:
        link_query = st.query_params.to_dict()
        # A debug/benchmark flag, not part of the view: shows the server's time per run.
        st.session_state["debug"] = link_query.pop("debug", "") == "1" or os.environ.get("OPTVIZ_DEBUG") == "1"
        link_query = classroom_ui.expand_short_link(link_query)  # ?s=<code> is a short link
        lesson_key = link_query.pop("lesson", None)
        link_state = share.parse_query(link_query)
        load_values(link_state.values())
        st.session_state["link_notices"] = list(link_state.notices)
        st.session_state["link_state"] = link_state
        if lesson_key in LESSONS:  # the lesson's view; of the link's other view parameters only the display fields
            st.session_state["link_notices"] = []
            open_lesson(lesson_key)
            st.session_state["link_state"] = st.session_state["lesson_state"]
        elif lesson_key is not None:
            st.session_state["link_notices"].append(f"unknown lesson '{lesson_key[:24]}': showing the link's view")
        settle_run_picks()  # a link's inspect_run beyond its runs is off from the first page, and its link says so
        opened = replace(st.session_state.pop("link_state"), inspect_run=st.session_state.get(inspector_ui.RUN_KEY, 0))
        # What the notices need is only whether the view is still the link's: its hash (a class's sessions
        # each kept the whole view of a 24-run link otherwise).
        st.session_state["link_view"] = hash(replace(opened, camera=None))
        st.session_state["initialised"] = True
        settle_session_state()
