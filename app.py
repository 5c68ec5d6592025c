"""optviz: watch gradient-descent optimizers walk 2-D loss surfaces.

A thin Streamlit layer: widgets -> cached simulate() -> figures. The math lives in optviz/ and
surfaces/; the view's settings are declared once in optviz/settings.py, and the view lives in the
URL (optviz/share.py) so a link reproduces it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from urllib.parse import urlencode

import streamlit as st

# First: imports and exercises what reruns reach lazily, once per process, while sessions that
# arrive meanwhile wait on the import lock (a half-imported pandas broke simultaneous sessions).
import optviz.warmup  # noqa: F401  (isort: keep above the other optviz imports)
from optviz import OPTIMIZERS, inspector_ui, plotting, present, share
from optviz import settings as decl
from optviz.cached import run, step_chart, trajectory_payload
from optviz.export import export_filename, to_csv
from optviz.export_page import export_html
from optviz.figure_component import plotly_view
from optviz.gif import animation_gif
from optviz.results import RESULTS_HELP, results_rows
from optviz.share import ViewState
from surfaces import SURFACES

RUN_STARTED = time.perf_counter()
st.set_page_config(page_title="optviz: optimizer trajectories", page_icon="🏔️", layout="wide")

RESET_HELP = ("Back to this surface's preset for the start, the number of steps and every optimizer's "
              "hyperparameters. The optimizers, noise or batch size, seed, view and camera stay as they are.")


# --- view state <-> widgets <-> URL -----------------------------------------------------------
# Widgets are keyed by their setting's key, so session state holds the view as a flat mapping of
# values (see optviz/settings.py). ss["remembered"][surface] keeps what the person set on each
# surface, so that switching surfaces and back gives it back.


def load_values(values: Mapping[str, object]) -> None:
    ss = st.session_state
    for key, value in values.items():
        ss[key] = list(value) if key == "optimizers" else value
    if "camera" in values:
        # The camera the figure is drawn with. The live camera (ss["camera"], for the link) is not
        # put back into the figure on every run: a new figure would stop a running animation, and
        # the browser keeps the live camera by itself.
        ss["figure_camera"] = values["camera"]


def current_values() -> dict[str, object]:
    ss = st.session_state
    surface = SURFACES[ss["surface"]]
    return {s.key: ss.get(s.key) for s in decl.settings_for(surface, ss["optimizers"])}


def state_from_widgets() -> ViewState:
    return ViewState.from_values(current_values())


def remember(values: Mapping[str, object]) -> None:
    """Keep what the person has on this surface (start, steps, noise or batch, hyperparameters, camera)."""
    memory = st.session_state.setdefault("remembered", {}).setdefault(values["surface"], {})
    surface = SURFACES[values["surface"]]
    memory.update({s.key: values[s.key] for s in decl.settings_for(surface, values["optimizers"]) if s.remembered})


def recall(surface_key: str, optimizers) -> dict[str, object]:
    """The remembered settings of a surface: what the person had there, its preset for the rest."""
    memory = st.session_state.get("remembered", {}).get(surface_key, {})
    fresh = decl.defaults(surface_key, optimizers)
    surface = SURFACES[surface_key]
    return {s.key: memory.get(s.key, fresh[s.key]) for s in decl.settings_for(surface, optimizers) if s.remembered}


def on_surface_change() -> None:
    """A new surface brings its preset the first time, and what the person had there afterwards."""
    ss = st.session_state
    load_values(recall(ss["surface"], ss["optimizers"]))
    ss["camera_nonce"] = ss.get("camera_nonce", 0) + 1  # apply that surface's camera


def on_optimizers_change() -> None:
    """An optimizer added back comes with the hyperparameters it had on this surface."""
    ss = st.session_state
    added = [k for k in ss["optimizers"] if k not in ss.get("shown_optimizers", ())]
    values = recall(ss["surface"], added)
    load_values({s.key: values[s.key] for k in added for s in decl.optimizer_settings(k)})


def on_reset() -> None:
    """The settings that come from the surface's preset (start, steps, hyperparameters) back to it,
    as RESET_HELP tells the person; nothing else."""
    ss = st.session_state
    surface = SURFACES[ss["surface"]]
    fresh = decl.defaults(surface.key, ss["optimizers"])
    load_values({s.key: fresh[s.key] for s in decl.settings_for(surface, ss["optimizers"]) if s.from_preset})
    # Optimizers not shown now come back with the preset too.
    memory = ss.get("remembered", {}).get(surface.key, {})
    for s in decl.settings_for(surface, OPTIMIZERS):
        if s.from_preset:
            memory.pop(s.key, None)


def on_exact_change() -> None:
    """Sliders become number inputs (or back): the widgets change kind, the values stay."""
    load_values({k: v for k, v in current_values().items() if k != "camera"})


def on_camera_preset() -> None:
    ss = st.session_state
    name = ss.get("camera_preset")
    if name:
        ss["camera"] = ss["figure_camera"] = plotting.camera_presets(SURFACES[ss["surface"]])[name]
        ss["camera_nonce"] = ss.get("camera_nonce", 0) + 1
        ss["camera_preset"] = None


def on_plot_event() -> None:
    """The trajectory view reports a rotated camera or a click on the contour."""
    ss = st.session_state
    result = ss.get("trajectory_view")
    if result is None:
        return
    camera = result.get("camera") if hasattr(result, "get") else getattr(result, "camera", None)
    if isinstance(camera, dict) and isinstance(camera.get("eye"), dict):
        try:
            eye = tuple(round(float(camera["eye"][c]), 4) for c in "xyz")
            if all(abs(v) <= share.CAMERA_LIMIT for v in eye) and eye != ss.get("camera"):
                ss["camera"] = eye
        except (TypeError, ValueError, KeyError):
            pass
    click = result.get("click") if hasattr(result, "get") else getattr(result, "click", None)
    if isinstance(click, dict):
        try:
            x, y = float(click["x"]), float(click["y"])
        except (TypeError, ValueError, KeyError):
            return
        surface = SURFACES[ss["surface"]]
        if surface.contains((x, y)):
            ss["x0"], ss["y0"] = round(x, 4), round(y, 4)


def draw(setting: decl.Setting, where=None, **callbacks) -> None:
    """The setting's widget, derived from its declaration."""
    ss = st.session_state
    where = where or st
    ctx = decl.Context.of(ss["surface"])
    common = {"key": setting.key, "help": setting.help or None, **callbacks}
    if setting.kind == "number":
        number = setting.number(ctx)
        if setting.widget == "number" or ss.get("exact"):
            cast = int if number.integer else float
            step = number.step if number.scale == "linear" else (number.low if number.scale == "log" else 0.001)
            where.number_input(setting.label, min_value=cast(number.low), max_value=cast(number.high),
                               step=cast(step) or 1, format=setting.input_format, **common)
        else:
            where.select_slider(setting.label, options=number.positions(ss.get(setting.key)),
                                format_func=decl.format_number, **common)
        return
    choices = setting.choices(ctx)
    labels = setting.labels(ctx) if setting.labels else {}
    widget = {"select": where.selectbox, "multiselect": where.multiselect, "radio": where.radio,
              "select_slider": where.select_slider}[setting.widget]
    extra = {"horizontal": True} if setting.widget == "radio" else {}
    widget(setting.label, list(choices), format_func=lambda c: labels.get(c, str(c)), **extra, **common)


# --- first run of a session: the link decides ----------------------------------------------------

if "initialised" not in st.session_state:
    link_query = st.query_params.to_dict()
    # A debug/benchmark flag, not part of the view: shows the server's time per run.
    st.session_state["debug"] = link_query.pop("debug", "") == "1" or os.environ.get("OPTVIZ_DEBUG") == "1"
    link_state = share.parse_query(link_query)
    load_values(link_state.values())
    st.session_state["link_notices"] = list(link_state.notices)
    st.session_state["link_state"] = link_state
    st.session_state["initialised"] = True

ss = st.session_state
surface = SURFACES[ss["surface"]]


# --- sidebar ---------------------------------------------------------------------------------------

with st.sidebar:
    st.title("optviz")
    draw(decl.BY_KEY["surface"], on_change=on_surface_change)
    draw(decl.BY_KEY["optimizers"], on_change=on_optimizers_change)
    st.button("Reset start, steps and hyperparameters", on_click=on_reset, width="stretch", help=RESET_HELP)
    st.toggle("Exact values", key="exact", on_change=on_exact_change,
              help="Type numbers instead of choosing slider positions; the link keeps them exactly.")

    st.subheader("Run")
    c1, c2 = st.columns(2)
    draw(decl.BY_KEY["x0"], c1)
    draw(decl.BY_KEY["y0"], c2)
    st.caption("Or click on the contour view to start there.")
    for setting in decl.VIEW_SETTINGS:
        if setting.applies(surface) and setting.key in ("steps", "noise", "batch", "seed", "speed"):
            draw(setting)

    for opt in ss["optimizers"]:
        spec = OPTIMIZERS[opt]
        with st.expander(f":material/tune: {spec.name}", expanded=len(ss["optimizers"]) <= 3):
            for setting in decl.optimizer_settings(opt):
                draw(setting)


# --- main area --------------------------------------------------------------------------------------

present.keep_settings(ss)  # the inspector's and presentation mode's settings, also while their widgets are not drawn
state = state_from_widgets()
remember(state.values())
ss["shown_optimizers"] = state.optimizers
query = share.to_query(state)
if ss.get("debug"):
    query["debug"] = "1"
if st.query_params.to_dict() != query:
    st.query_params.from_dict(query)

# Link notices hold until the person changes the view (the camera turning by itself does not count).
if "link_state" in ss and ViewState.from_values({**state.values(), "camera": None}) != ViewState.from_values(
        {**ss["link_state"].values(), "camera": None}):
    ss["link_notices"] = []
    del ss["link_state"]

st.markdown(present.page_css(state.present), unsafe_allow_html=True)
heading = st.columns([2, 3]) if state.present else (st.container(), st.container())
heading[0].markdown(f"### {surface.title}")
heading[1].latex(surface.latex)
if not state.present:
    st.caption(surface.description)
for notice in ss.get("link_notices", []):
    st.warning(f"Share link: {notice}", icon=":material/link_off:")

if not state.optimizers:
    st.info("Pick at least one optimizer in the sidebar.")
    st.stop()

runs = {}
for opt in state.optimizers:
    args = (surface.key, opt, tuple(sorted(state.hparams[opt].items())), tuple(state.start), state.steps, state.seed,
            state.noise, state.batch_size)
    runs[repr(args)] = args
trajectories = {args[1]: run(key, args) for key, args in runs.items()}
runs_key = repr(tuple(runs))

top = st.columns([3, 2, 3, 2])
top[0].radio("View", share.VIEWS, key="view", format_func=share.VIEW_LABELS.get, horizontal=True)
top[1].radio("Contours", share.CONTOUR_STYLES, key="contour", format_func=str.capitalize, horizontal=True,
             disabled=state.view == "3d")
top[2].segmented_control("Camera", list(plotting.CAMERA_PRESETS), key="camera_preset", on_change=on_camera_preset,
                         disabled=state.view == "contour")
top[3].radio("Presentation", list(present.PRESENT_LABELS), key="present", format_func=present.PRESENT_LABELS.get,
             horizontal=True, help=present.PRESENT_HELP)

uirevision = f"{surface.key}:{ss.get('camera_nonce', 0)}"
figure_camera = ss.get("figure_camera")
view_key = repr((runs_key, state.view, state.contour, state.speed, figure_camera, uirevision))
figure, payload = trajectory_payload(view_key, runs, surface.key, state.view, state.contour, state.speed, figure_camera,
                                     uirevision, 640)
inspect_runs = [inspector_ui.InspectableRun(OPTIMIZERS[args[1]].name, OPTIMIZERS[args[1]].color, key, args)
                for key, args in runs.items()]
inspection, inspect_message = inspector_ui.current_inspection(inspect_runs)
figure, payload, height = present.decorate(view_key, figure, payload, state.present, inspector_ui.arrows_for(inspection,
                                                                                                  inspect_runs))
plotly_view(figure, key="trajectory_view", height=height, on_camera=on_plot_event, on_click=on_plot_event,
            encoded=payload)
inspector_ui.render_inspector(inspect_runs, inspection, inspect_message, state.view)

charts = st.columns(2)
loss_chart = step_chart("loss", runs_key, runs, surface.key)
charts[0].plotly_chart(loss_chart, key="loss_chart", config={"displaylogo": False})
distance = step_chart("distance", runs_key, runs, surface.key)
if distance is None:
    charts[1].info("This surface has no minimum (it is unbounded below), so there is no distance to one.")
else:
    charts[1].plotly_chart(distance, key="distance_chart", config={"displaylogo": False})


st.markdown("#### Results")
result_rows = results_rows(surface, [(OPTIMIZERS[opt].name, trajectories[opt]) for opt in state.optimizers])
st.container(key="results_table").dataframe(
    result_rows, hide_index=True, width="stretch",
    column_config={c: st.column_config.TextColumn(c, help=h) for c, h in RESULTS_HELP.items()})

st.markdown("#### Share and export")
base = st.context.url or ""
link = f"{base}?{urlencode(query)}"
st.markdown(f"[:material/link: Share this view]({link}) — the link carries every setting, so it opens the same paths.")
st.code(link, language=None)
export_runs = [trajectories[o] for o in state.optimizers]
export_labels = [OPTIMIZERS[o].name for o in state.optimizers]
export_colors = [OPTIMIZERS[o].color for o in state.optimizers]
e1, e2, e3, e4 = st.columns(4)
e1.download_button(
    "Animation (standalone HTML)", file_name=export_filename(export_runs, "html"), mime="text/html", on_click="ignore",
    data=lambda: export_html(plotting.standalone_html(figure, surface.title), surface, export_runs, export_labels,
                             export_colors, link))
e2.download_button("Trajectories (CSV)", data=lambda: to_csv(export_runs, export_labels),
                   file_name=export_filename(export_runs, "csv"), mime="text/csv", on_click="ignore")
e3.download_button("Animation for slides (GIF)", file_name=export_filename(export_runs, "gif"), mime="image/gif",
                   on_click="ignore", data=lambda: animation_gif(surface, list(zip(export_labels, export_colors,
                                                                                    export_runs, strict=True))),
                   help="The contour view's animation, at most 60 frames, 480 px wide.")
e4.caption("PNG of a still frame: the camera icon in the chart's toolbar.")

st.markdown("#### Update rules")
cards = st.columns(min(3, len(state.optimizers)))
for i, opt in enumerate(state.optimizers):
    spec = OPTIMIZERS[opt]
    with cards[i % len(cards)].container(border=True):
        st.markdown(f"<span style='color:{spec.color}'>●</span> **{spec.name}**", unsafe_allow_html=True)
        st.latex(r"\begin{gathered}" + spec.rule + r"\end{gathered}")
        for h in spec.hparams:
            st.markdown(f"${h.symbol}$ = `{share.format_number(state.hparams[opt][h.name])}` — {h.help}")
        st.caption(spec.reference)


st.session_state["render_ms"] = (time.perf_counter() - RUN_STARTED) * 1e3
if ss.get("debug"):
    st.caption(f"Computed and drawn on the server in {st.session_state['render_ms']:.0f} ms.")
