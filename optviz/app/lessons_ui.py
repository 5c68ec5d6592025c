"""Lessons on the page: the panel of lesson cards, opening and closing a lesson, and its text above
the charts."""

from __future__ import annotations

import streamlit as st

from ..analysis.gradient_spread import SPREAD_BATCH, gradient_spread, spread_figure
from ..analysis.results import OUTCOME as RESULT_OUTCOME
from ..analysis.results import RESULTS_HELP
from ..core.engine import CONVERGENCE_RULE
from ..plot.lessons import load_lessons, run_notes, seed_words
from . import share
from .figure_component import plotly_chart
from .state import RUN_KEY, load_values

# A lesson opens as a view like any other (its runs, start, steps, seed, and its display choices);
# its text stays above the charts, and the link says `lesson=<key>`, as long as the view is the
# lesson's (the camera, presentation mode and the analysis tool aside: share.DISPLAY_FIELDS). A link with `lesson=<key>`
# opens that lesson's view, whatever other view parameters it carries (those display fields excepted).

LESSONS = {lesson.key: lesson for lesson in load_lessons()}


def open_lesson(key: str) -> None:
    ss = st.session_state
    lesson_view = share.lesson_state(LESSONS[key].view)
    for k in [k for k in ss if isinstance(k, str) and RUN_KEY.fullmatch(k)]:
        del ss[k]
    # The camera, presentation mode and the open analysis tool stay: they show the view, they are not the lesson's.
    load_values({**lesson_view.values(), **share.display_values(ss)})
    ss["lesson"] = key
    ss["lesson_state"] = lesson_view
    ss["camera_nonce"] = ss.get("camera_nonce", 0) + 1
    ss["lessons_panel"] = False  # the panel closes, so the page shows the lesson's chart, not the cards
    if lesson_view.notices:
        ss["link_notices"] = [f"lesson {key}: {n}" for n in lesson_view.notices]


def on_close_lesson() -> None:
    st.session_state.pop("lesson", None)


FROM_PANEL = "lesson_opened_from_panel"  # set by a card's Open: the page, not only the panel, must follow


def lessons_panel() -> None:
    """The panel of lesson cards, each opening its lesson. A fragment: opening or closing the panel
    reruns the panel alone; opening a lesson, the whole page (it changes the whole view)."""
    st.session_state.pop(FROM_PANEL, None)  # a run of the whole page draws the opened lesson anyway
    _lessons_panel()


def _open_from_panel(key: str) -> None:
    open_lesson(key)
    st.session_state[FROM_PANEL] = True


@st.fragment
def _lessons_panel() -> None:
    if st.session_state.pop(FROM_PANEL, False):  # only on the panel's own rerun, after a card's Open
        st.rerun(scope="app")
    # Lazy: the lesson cards are built only while the panel is open (a rerun each time it opens or closes).
    lessons_panel = st.expander(":material/school: Lessons: prepared views for a class", key="lessons_panel",
                                on_change="rerun")
    if lessons_panel.open:
        with lessons_panel:
            st.caption("Each lesson opens a view with its runs, says what to look for and asks the class one question. "
                       "A link with `?lesson=<key>` opens it.")
            cells = st.columns(3)
            for n, item in enumerate(LESSONS.values()):
                with cells[n % 3].container(border=True):
                    st.markdown(f"**{item.title}**")
                    st.caption(item.look)
                    st.markdown(f"*{item.question}*")
                    st.button("Open", key=f"lesson.{item.key}", on_click=_open_from_panel, args=(item.key,),
                              help=f"Opens the lesson's view (link: ?lesson={item.key}).")


def lesson_text(lesson, lesson_is_shown: bool, state, run_names, surface) -> None:
    """The open lesson's text above the charts: what to look for, the question, its notes on the runs."""
    # In presentation mode, one line above the chart (which fills the screen): text and buttons a click away.
    with st.container(border=not state.present, key="lesson_text"):
        if state.present:
            changed = "" if lesson_is_shown else " (you have changed its view)"
            box = st.expander(f":material/school: **{lesson.title}**: the question for the class, what to look for"
                              + changed)
            box.markdown(f"**Question for the class:** {lesson.question}")
        else:
            box = st.container()
            box.markdown(f"#### :material/school: {lesson.title}")
        box.markdown(lesson.look)
        # The runs' labels are the view's automatic ones (they follow a change); a lesson adds words only.
        notes = run_notes(lesson, state.runs)
        if notes:
            box.markdown("  \n".join(f"**{run_names[i]}**: {note}" for i, note in notes.items()))
        if lesson.picture == "gradient-spread" and surface.has_data:
            spread = gradient_spread(surface, state.start, SPREAD_BATCH, state.seed)
            with box:
                plotly_chart(spread_figure(spread), key="lesson_picture", height=360)
            box.caption(spread.words())
        if not state.present:
            box.markdown(f"**Question for the class:** {lesson.question}")
        box.caption(f"{seed_words(lesson, state.seed)} {CONVERGENCE_RULE}", help=RESULTS_HELP[RESULT_OUTCOME])
        b1, b2 = box.columns([1, 4])
        if not lesson_is_shown:
            if not state.present:
                st.caption("You have changed the lesson's view.")
            b1.button("Back to the lesson's view", key="lesson_reopen", on_click=open_lesson, args=(lesson.key,))
        b2.button("Close the lesson", key="lesson_close", on_click=on_close_lesson)
