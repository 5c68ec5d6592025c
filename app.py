"""optviz: watch gradient-descent optimizers walk 2-D loss surfaces.

A thin Streamlit layer: widgets -> cached simulate() -> figures. The math lives in optviz/ and
surfaces/; the view state lives in the URL (optviz/share.py) so a link reproduces the view.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import streamlit as st

from optviz import OPTIMIZERS, plotting, share
from optviz.cached import run, step_chart, trajectory_payload
from optviz.export import to_csv
from optviz.figure_component import plotly_chart, plotly_view
from optviz.presets import PRESETS
from optviz.share import ViewState
from surfaces import SURFACES

RUN_STARTED = time.perf_counter()
st.set_page_config(page_title="optviz: optimizer trajectories", page_icon="🏔️", layout="wide")


# --- view state <-> widgets <-> URL -----------------------------------------------------------


def hp_key(opt: str, name: str) -> str:
    return f"hp.{opt}.{name}"


def load_state_into_widgets(state: ViewState) -> None:
    ss = st.session_state
    ss["surface"] = state.surface
    ss["optimizers"] = list(state.optimizers)
    for opt in state.optimizers:
        for name, value in state.hparams[opt].items():
            ss[hp_key(opt, name)] = value
    ss["x0"], ss["y0"] = state.start
    ss["steps"] = state.steps
    ss["seed"] = state.seed
    ss["noise"] = state.noise
    ss["batch"] = state.batch_size or SURFACES[state.surface].n_samples
    ss["view"] = state.view
    ss["contour"] = state.contour
    ss["speed"] = state.speed
    ss["camera"] = state.camera
    # The camera the figure is drawn with. The live camera (ss["camera"], for the link) is not
    # put back into the figure: a new figure would stop a running animation, and the browser
    # keeps the live camera by itself.
    ss["figure_camera"] = state.camera


def state_from_widgets() -> ViewState:
    ss = st.session_state
    surface = SURFACES[ss["surface"]]
    optimizers = tuple(ss["optimizers"])
    hparams = {opt: {h.name: float(ss[hp_key(opt, h.name)]) for h in OPTIMIZERS[opt].hparams} for opt in optimizers}
    batch = int(ss["batch"]) if surface.has_data else None
    return ViewState(
        surface=surface.key,
        optimizers=optimizers,
        hparams=hparams,
        start=(float(ss["x0"]), float(ss["y0"])),
        steps=int(ss["steps"]),
        seed=int(ss["seed"]),
        noise=float(ss["noise"]) if not surface.has_data else 0.0,
        batch_size=None if batch in (None, surface.n_samples) else batch,
        view=ss["view"],
        contour=ss["contour"],
        speed=int(ss["speed"]),
        camera=ss.get("camera"),
    )


def load_preset(seed: int) -> None:
    ss = st.session_state
    load_state_into_widgets(share.preset_view(ss["surface"], ss["optimizers"], view=ss["view"],
                                              contour=ss["contour"], speed=ss["speed"], seed=seed))


def on_surface_change() -> None:
    """A new surface brings its preset: start, steps and the hyperparameters that suit it."""
    load_preset(seed=st.session_state["seed"])


def on_optimizers_change() -> None:
    ss = st.session_state
    preset = PRESETS[ss["surface"]]
    for opt in ss["optimizers"]:
        for name, value in preset.hparams_for(opt).items():
            ss.setdefault(hp_key(opt, name), value)


def on_reset() -> None:
    load_preset(seed=0)
    st.session_state["camera_nonce"] = st.session_state.get("camera_nonce", 0) + 1


def on_camera_preset() -> None:
    ss = st.session_state
    name = ss.get("camera_preset")
    if name:
        ss["camera"] = ss["figure_camera"] = plotting.CAMERA_PRESETS[name]
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


# --- first run of a session: the link decides ----------------------------------------------------

if "initialised" not in st.session_state:
    link_state = share.parse_query(st.query_params.to_dict())
    load_state_into_widgets(link_state)
    st.session_state["link_notices"] = list(link_state.notices)
    st.session_state["initialised"] = True

ss = st.session_state
surface = SURFACES[ss["surface"]]


# --- sidebar ---------------------------------------------------------------------------------------

with st.sidebar:
    st.title("optviz")
    st.selectbox("Surface", list(SURFACES), key="surface", format_func=lambda k: SURFACES[k].title,
                 on_change=on_surface_change)
    st.multiselect("Optimizers", list(OPTIMIZERS), key="optimizers", format_func=lambda k: OPTIMIZERS[k].name,
                   on_change=on_optimizers_change, help="Each gets its own colour and its own sliders below.")
    st.button("Reset to the surface's preset", on_click=on_reset, width="stretch")

    st.subheader("Run")
    (x_lo, x_hi), (y_lo, y_hi) = surface.domain
    c1, c2 = st.columns(2)
    c1.number_input("start x", min_value=float(x_lo), max_value=float(x_hi), step=surface.extent / 100,
                    format="%.4f", key="x0")
    c2.number_input("start y", min_value=float(y_lo), max_value=float(y_hi), step=surface.extent / 100,
                    format="%.4f", key="y0")
    st.caption("Or click on the contour view to start there.")
    st.slider("Steps", *share.STEPS_RANGE, step=share.STEPS_STEP, key="steps")
    if surface.has_data:
        options = share.batch_options(surface)
        st.select_slider(
            "Batch size", options=options, key="batch",
            format_func=lambda b: {1: "1 (SGD)", surface.n_samples: f"{b} (full batch)"}.get(b, str(b)),
            help="Rows per gradient: 1 is SGD, the full batch is plain gradient descent. Batches are drawn by "
            "reshuffling the data every epoch.",
        )
    else:
        st.slider("Gradient noise σ", *share.NOISE_RANGE, step=share.NOISE_STEP, key="noise", format="%.2f",
                  help="Standard deviation of Gaussian noise added to every gradient component.")
    st.number_input("Random seed", min_value=0, max_value=share.SEED_MAX, step=1, key="seed",
                    help="Drives the noise and the mini-batches: the same seed gives the same paths.")
    st.slider("Animation: ms per frame", *share.SPEED_RANGE, step=10, key="speed")

    for opt in ss["optimizers"]:
        spec = OPTIMIZERS[opt]
        with st.expander(f":material/tune: {spec.name}", expanded=len(ss["optimizers"]) <= 3):
            for h in spec.hparams:
                label = f"{h.name} (${h.symbol}$)"
                if h.log:
                    st.select_slider(label, options=h.grid(), key=hp_key(opt, h.name), format_func=lambda v: f"{v:g}",
                                     help=h.help)
                else:
                    fmt = "%.4f" if h.step < 0.001 else "%.3f"
                    st.slider(label, min_value=h.low, max_value=h.high, step=h.step, format=fmt,
                              key=hp_key(opt, h.name), help=h.help)


# --- main area --------------------------------------------------------------------------------------

state = state_from_widgets()
query = share.to_query(state)
if st.query_params.to_dict() != query:
    st.query_params.from_dict(query)

st.markdown(f"### {surface.title}")
st.latex(surface.latex)
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

top = st.columns([3, 2, 3])
top[0].radio("View", share.VIEWS, key="view", format_func=share.VIEW_LABELS.get, horizontal=True)
top[1].radio("Contours", share.CONTOUR_STYLES, key="contour", format_func=str.capitalize, horizontal=True,
             disabled=state.view == "3d")
top[2].segmented_control("Camera", list(plotting.CAMERA_PRESETS), key="camera_preset", on_change=on_camera_preset,
                         disabled=state.view == "contour")

uirevision = f"{surface.key}:{ss.get('camera_nonce', 0)}"
figure_camera = ss.get("figure_camera")
view_key = repr((runs_key, state.view, state.contour, state.speed, figure_camera, uirevision))
figure, encoded = trajectory_payload(view_key, runs, surface.key, state.view, state.contour, state.speed, figure_camera,
                                     uirevision, 640)
plotly_view(key="trajectory_view", height=640, on_camera=on_plot_event, on_click=on_plot_event, encoded=encoded)

# Drawn by the same component as the trajectory view: one plotly.js for the page, and a change
# of one optimizer sends that optimizer's lines only.
charts = st.columns(2)
with charts[0]:
    plotly_chart(key="loss_chart", height=300, encoded=step_chart("loss", runs_key, runs, surface.key))
distance = step_chart("distance", runs_key, runs, surface.key)
if distance is None:
    charts[1].info("This surface has no minimum (it is unbounded below), so there is no distance to one.")
else:
    with charts[1]:
        plotly_chart(key="distance_chart", height=300, encoded=distance)


def fmt(value, spec=".4g"):
    return "—" if value is None else format(value, spec)


st.markdown("#### Results")
rows = []
for opt in state.optimizers:
    traj = trajectories[opt]
    s = traj.summary()
    row = {
        "optimizer": OPTIMIZERS[opt].name,
        "final loss": fmt(s["final_loss"]),
        "distance to nearest minimum": fmt(s["distance_to_minimum"]),
        "converged at step": fmt(s["converged_at"], "d"),
        "diverged at step": fmt(s["diverged_at"], "d"),
    }
    if len(surface.minima) > 1:
        m = surface.minima[int(traj.nearest_minimum)]
        row["nearest minimum"] = f"({m.x:.3g}, {m.y:.3g}) {'global' if m.is_global else 'local'}"
    rows.append(row)
st.dataframe(rows, hide_index=True, width="stretch")

st.markdown("#### Share and export")
base = st.context.url or ""
link = f"{base}?{urlencode(query)}"
st.markdown(f"[:material/link: Share this view]({link}) — the link carries every setting, so it opens the same paths.")
st.code(link, language=None)
e1, e2, e3 = st.columns(3)
e1.download_button("Animation (standalone HTML)", data=lambda: plotting.standalone_html(figure, surface.title),
                   file_name=f"optviz-{surface.key}.html", mime="text/html", on_click="ignore")
e2.download_button("Trajectories (CSV)", data=lambda: to_csv([trajectories[o] for o in state.optimizers]),
                   file_name=f"optviz-{surface.key}.csv", mime="text/csv", on_click="ignore")
e3.caption("PNG of a still frame: the camera icon in the chart's toolbar.")

st.markdown("#### Update rules")
cards = st.columns(min(3, len(state.optimizers)))
for i, opt in enumerate(state.optimizers):
    spec = OPTIMIZERS[opt]
    with cards[i % len(cards)].container(border=True):
        st.markdown(f"<span style='color:{spec.color}'>●</span> **{spec.name}**", unsafe_allow_html=True)
        st.latex(r"\begin{gathered}" + spec.rule + r"\end{gathered}")
        for h in spec.hparams:
            st.markdown(f"${h.symbol}$ = `{state.hparams[opt][h.name]:g}` — {h.help}")
        st.caption(spec.reference)

st.session_state["render_ms"] = (time.perf_counter() - RUN_STARTED) * 1e3
st.caption(f"Computed and drawn on the server in {st.session_state['render_ms']:.0f} ms.")
