"""The page, laid out top to bottom: the sidebar (the surface, what every run shares, the runs), then
the main area (the link, lessons, the heading, the trajectory view and the inspector, the step
charts, the analysis tools, the results, share and export, the update rules).

app.py calls `main()` on every rerun; this module is imported once per process, so everything a
rerun does happens inside the functions.
"""

from __future__ import annotations

import time
from dataclasses import replace
from urllib.parse import urlencode

import streamlit as st

from surfaces import SURFACES

from ..analysis.export import export_filename, to_csv
from ..analysis.results import LINE as RESULT_LINE
from ..analysis.results import RESULTS_HELP, results_rows
from ..core import runs as runs_mod
from ..core.registry import OPTIMIZERS
from ..plot import html_export
from ..plot.camera import CAMERA_PRESETS
from ..plot.export_page import export_html
from ..plot.gif import animation_gif
from ..plot.sparkline import data_url, style_svg
from . import classroom_ui, inspector_ui, present, share
from . import settings as decl
from .cached import decorated, step_chart, trajectories, trajectory_payload
from .cached import run_styles as cached_run_styles
from .custom_surface_ui import render_surface_inputs
from .figure_component import plotly_chart, plotly_view
from .lessons_ui import LESSONS, lesson_text, lessons_panel
from .present_ui import presentation_strip
from .run_picks import state_from_widgets
from .runs_ui import runs_panel
from .session import open_link
from .state import (
    RESET_HELP,
    apply_lrs,
    on_camera_preset,
    on_exact_change,
    on_plot_event,
    on_reset,
    on_surface_change,
    remember,
    set_run_hparams,
    set_start,
    switch_surface,
)
from .tools_ui import render_tools_panel
from .widgets import draw


def main() -> None:
    """One run of the page."""
    run_started = time.perf_counter()
    st.set_page_config(page_title="optviz: optimizer trajectories", page_icon="🏔️", layout="wide")
    open_link()

    ss = st.session_state
    surface = SURFACES[ss["surface"]]
    # the inspector's and presentation mode's settings, also while their widgets are not drawn
    present.keep_settings(ss)
    state = state_from_widgets()
    run_names = runs_mod.labels(state.runs)
    run_styles = cached_run_styles(tuple(f"r{i}" for i in range(len(state.runs))), tuple(run_names),
                                   tuple(r.optimizer for r in state.runs))

    sidebar(surface, state, run_names, run_styles)
    query, lesson, lesson_is_shown = follow_link(state)
    if not state.present:  # presentation mode folds the panel away: a fragment's block would still take a gap
        lessons_panel()
    if lesson is not None:
        lesson_text(lesson, lesson_is_shown, state, run_names, surface)
    heading(surface, state, run_names)
    # A question before Play (the page waits for the answer), a goal's verdict, a board's counts.
    if classroom_ui.above_chart(state, surface, run_names):
        st.stop()

    shown = state.visible_runs
    if not state.runs:
        st.info("Add a run in the sidebar (an optimizer with its own settings).")
        st.stop()
    if not shown:
        st.info("Every run is hidden: switch one back on in the sidebar (its settings were kept).")
        st.stop()

    # What is drawn: the shown runs, each with its style; the same list feeds every figure and the table.
    styled = tuple((run_styles[i], run) for i, run in shown)
    shown_trajectories = trajectories(surface.key, [r for _, r in styled], state.start, state.steps, state.seed)

    figure = trajectory_view(surface, state, styled, lesson)
    step_charts(surface, state, styled)

    render_tools_panel(surface, [(run_names[i], run) for i, run in shown], state.start, state.steps, state.seed,
                       on_start=set_start, on_apply_lrs=lambda lrs, idx=tuple(i for i, _ in shown): apply_lrs(idx, lrs),
                       draw=draw, colors=[style.color for style, _ in styled],
                       on_set_hparams=lambda pos, values, idx=tuple(i for i, _ in shown): set_run_hparams(
                           idx[pos], values))
    results(surface, styled, shown_trajectories)
    share_and_export(surface, query, styled, shown_trajectories, figure)
    update_rules(styled)

    st.session_state["render_ms"] = (time.perf_counter() - run_started) * 1e3
    if ss.get("debug"):
        st.caption(f"Computed and drawn on the server in {st.session_state['render_ms']:.0f} ms.")


def sidebar(surface, state, run_names, run_styles) -> None:
    """The surface, what every run shares, and the runs."""
    with st.sidebar:
        st.title("optviz")
        classroom_ui.sidebar(state, run_names)  # an exercise's locks (before any widget), the teacher's panel
        draw(decl.BY_KEY["surface"], on_change=on_surface_change)
        render_surface_inputs(surface, on_surface=switch_surface)  # a formula or data of one's own
        st.button("Reset start, steps and hyperparameters", key="reset", on_click=on_reset, width="stretch",
                  help=RESET_HELP)
        st.toggle("Exact values", key="exact", on_change=on_exact_change,
                  help="Type numbers instead of choosing slider positions; the link keeps them exactly.")

        st.subheader("Shared by every run")
        c1, c2 = st.columns(2)
        draw(decl.BY_KEY["x0"], c1)
        draw(decl.BY_KEY["y0"], c2)
        st.caption("Or click on the contour view to start there.")
        for key in ("steps", "seed", "speed"):
            draw(decl.BY_KEY[key])
        runs_panel(state, run_names, run_styles)


def follow_link(state):
    """The link follows the view (with its lesson while the view is the lesson's); the link's notices
    go once the view is no longer the link's. Returns the query, the open lesson and whether it is shown."""
    ss = st.session_state
    remember(state.values())
    query = share.to_query(state)
    lesson = LESSONS.get(ss.get("lesson"))
    lesson_is_shown = lesson is not None and share.same_paths(state, ss["lesson_state"])
    if lesson_is_shown:
        query = {"lesson": lesson.key, **query}
    if ss.get("debug"):
        query["debug"] = "1"
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)

    # Link notices hold until the person changes the view (the camera turning by itself does not count).
    if "link_view" in ss and hash(replace(state, camera=None)) != ss["link_view"]:
        ss["link_notices"] = []
        del ss["link_view"]
    return query, lesson, lesson_is_shown


def heading(surface, state, run_names) -> None:
    """The surface's title and formula (with presentation mode's strip), and the link's notices."""
    ss = st.session_state
    st.markdown(present.page_css(state.present), unsafe_allow_html=True)
    heading = st.columns([2, 4, 1], vertical_alignment="center") if state.present else (st.container(), st.container())
    heading[0].markdown(f"### {surface.title}")
    heading[1].latex(surface.latex)
    if state.present:
        presentation_strip(heading[2], state.visible_runs, run_names)
    if not state.present:
        st.caption(surface.description)
    for notice in ss.get("link_notices", []):
        st.warning(f"Share link: {notice}", icon=":material/link_off:")


def trajectory_view(surface, state, styled, lesson) -> dict:
    """The view's controls, the trajectory view and the step inspector; returns the figure drawn."""
    ss = st.session_state
    top = st.columns([3, 2, 3, 2])
    # Each widget shows its session value (a link's, on a first page) as its default: see draw().
    top[0].radio("View", share.VIEWS, index=share.VIEWS.index(state.view), key="view",
                 format_func=share.VIEW_LABELS.get, horizontal=True)
    top[1].radio("Contours", share.CONTOUR_STYLES, index=share.CONTOUR_STYLES.index(state.contour), key="contour",
                 format_func=str.capitalize, horizontal=True, disabled=state.view == "3d")
    top[2].segmented_control("Camera", list(CAMERA_PRESETS), key="camera_preset", on_change=on_camera_preset,
                             disabled=state.view == "contour")
    top[3].radio("Presentation", list(present.PRESENT_LABELS), key="present", format_func=present.PRESENT_LABELS.get,
                 index=decl.index_of(present.PRESENT_LABELS, ss.get("present")), horizontal=True,
                 help=present.PRESENT_HELP)

    uirevision = f"{surface.key}:{ss.get('camera_nonce', 0)}"
    figure, encoded = trajectory_payload(surface.key, styled, state.start, state.steps, state.seed, state.view,
                                         state.contour, state.speed, ss.get("figure_camera"), uirevision, 640)
    inspect_runs = [inspector_ui.InspectableRun(style.name, style.color, surface.key, run, tuple(state.start),
                                                state.steps, state.seed, casing=style.casing) for style, run in styled]
    inspection, inspect_message = inspector_ui.current_inspection(inspect_runs)
    arrows, arrows_key = inspector_ui.arrows_for(inspection, inspect_runs) if state.view != "3d" else ([], {})
    figure, encoded, height = decorated(figure, encoded, state.present, arrows,
                                        show_step=None if inspection is None else inspection.k,
                                        extra_layout=arrows_key, extra_bottom=inspector_ui.KEY_BAND,
                                        above=present.LESSON_LINE if lesson is not None else 0)
    # Presenting a step: the chart and the inspector's numbers side by side, on one screen (the chart
    # wide enough to keep its cells side by side: figure.js NARROW).
    beside = bool(state.present) and bool(ss.get(inspector_ui.RUN_KEY))
    chart_area, panel_area = st.columns([2, 1]) if beside else (st.container(), st.container())
    with chart_area:
        plotly_view(key="trajectory_view", height=height, on_camera=on_plot_event, on_click=on_plot_event,
                    encoded=encoded)
    with panel_area:
        inspector_ui.render_inspector(inspect_runs, inspection, inspect_message, state.view, compact=beside,
                                      height=present.numbers_height(state.present))
    return figure


def step_charts(surface, state, styled) -> None:
    """Loss, distance to the minimum, x(t) and y(t) of the shown runs."""
    # Drawn by the same component as the trajectory view: one plotly.js for the page, and a change
    # of one run sends that run's lines only.
    if surface.has_data:
        draw(decl.BY_KEY["axis"])
    chart_args = (surface.key, styled, state.start, state.steps, state.seed, state.axis)
    charts = st.columns(2)
    with charts[0]:
        plotly_chart(key="loss_chart", height=300, encoded=step_chart("loss", *chart_args))
    distance = step_chart("distance", *chart_args)
    if distance is None:
        charts[1].info("This surface has no minimum (it is unbounded below), so there is no distance to one.")
    else:
        with charts[1]:
            plotly_chart(key="distance_chart", height=300, encoded=distance)
    coords = st.columns(2)
    with coords[0]:
        plotly_chart(key="x_chart", height=300, encoded=step_chart("x", *chart_args))
    with coords[1]:
        plotly_chart(key="y_chart", height=300, encoded=step_chart("y", *chart_args))


def results(surface, styled, shown_trajectories) -> None:
    """The results table: words and numbers per shown run."""
    st.markdown("#### Results")
    shown_names = [style.name for style, _ in styled]
    result_rows = results_rows(surface, list(zip(shown_names, shown_trajectories, strict=True)),
                               [data_url(style_svg(s.color, s.dash, s.symbol, s.casing)) for s, _ in styled])
    st.container(key="results_table").dataframe(
        result_rows, hide_index=True, width="stretch",
        column_config={c: st.column_config.ImageColumn("", help=h, width=76) if c == RESULT_LINE
                       else st.column_config.TextColumn(c, help=h) for c, h in RESULTS_HELP.items()})


def share_and_export(surface, query, styled, shown_trajectories, figure) -> None:
    """The share link and the downloads (built on click)."""
    st.markdown("#### Share and export")
    shown_names = [style.name for style, _ in styled]
    base = st.context.url or ""
    link = f"{base}?{urlencode(query)}"
    st.markdown(f"[:material/link: Share this view]({link}) — the link carries every setting, so it opens the "
                "same paths.")
    st.code(link, language=None)
    export_colors = [style.color for style, _ in styled]
    e1, e2, e3, e4 = st.columns(4)
    e1.download_button(
        "Animation (standalone HTML)", file_name=export_filename(shown_trajectories, "html"), mime="text/html",
        on_click="ignore", data=lambda: export_html(html_export.standalone_html(figure, surface.title), surface,
                                                    shown_trajectories, shown_names, export_colors, link))
    e2.download_button("Trajectories (CSV)", data=lambda: to_csv(shown_trajectories, shown_names),
                       file_name=export_filename(shown_trajectories, "csv"), mime="text/csv", on_click="ignore")
    e3.download_button("Animation for slides (GIF)", file_name=export_filename(shown_trajectories, "gif"),
                       mime="image/gif", on_click="ignore",
                       data=lambda: animation_gif(surface, list(zip(shown_names, export_colors, shown_trajectories,
                                                                     strict=True))),
                       help="The contour view's animation, at most 60 frames, 480 px wide.")
    e4.caption("PNG of a still frame: the camera icon in the chart's toolbar.")


def update_rules(styled) -> None:
    """Each shown optimizer's update rule, its hyperparameters and its reference."""
    # Lazy, like the lessons panel: some forty elements (LaTeX and the hyperparameters' lines) that
    # every rerun would send while nobody reads them; drawn while the panel is open (a rerun each time
    # it opens or closes).
    rules = st.expander(":material/functions: Update rules: each optimizer's step, its hyperparameters and paper",
                        key="update_rules", on_change="rerun")
    if not rules.open:
        return
    with rules:
        shown_optimizers = list(dict.fromkeys(r.optimizer for _, r in styled))
        cards = st.columns(min(3, len(shown_optimizers)))
        for i, opt in enumerate(shown_optimizers):
            spec = OPTIMIZERS[opt]
            with cards[i % len(cards)].container(border=True):
                st.markdown(f"**{spec.name}**: " + ", ".join(style.name for style, r in styled if r.optimizer == opt))
                st.latex(r"\begin{gathered}" + spec.rule + r"\end{gathered}")
                for h in spec.hparams:
                    st.markdown(f"${h.symbol}$ — {h.help}")
                st.caption(spec.reference)
