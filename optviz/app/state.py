"""The view in session state: widgets keyed by their setting's key, read back as a flat mapping of
values, remembered per surface, and the callbacks that set those values (a new surface, a reset,
exact values, the camera, a click on the view, the analysis tools' one-click settings)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import streamlit as st

from surfaces import SURFACES

from ..core.registry import OPTIMIZERS
from ..plot.camera import camera_presets
from . import settings as decl
from . import share
from .figure_component import clicked_point, view_event

RESET_HELP = ("Back to this surface's preset for the start, the number of steps and every run's "
              "hyperparameters. The runs themselves (optimizers, batch sizes or noise, schedules, labels), "
              "the seed, view and camera stay as they are.")
RUN_KEY = re.compile(r"r\d+\..+")


# --- view state <-> widgets <-> URL -----------------------------------------------------------
# Widgets are keyed by their setting's key, so session state holds the view as a flat mapping of
# values (see optviz/app/settings.py): the view-wide settings, "runs" (how many) and each run's
# r<i>.* settings. ss["remembered"][surface] keeps what the person set on each surface, so that
# switching surfaces and back gives it back.


def load_values(values: Mapping[str, object]) -> None:
    ss = st.session_state
    for key, value in values.items():
        ss[key] = value
    if "camera" in values:
        # The camera the figure is drawn with. The live camera (ss["camera"], for the link) is not
        # put back into the figure on every run: a new figure would stop a running animation, and
        # the browser keeps the live camera by itself.
        ss["figure_camera"] = values["camera"]


def optimizers_now() -> tuple[str, ...]:
    ss = st.session_state
    return tuple(ss[decl.run_key(i, "opt")] for i in range(ss.get("runs", 0)))


def current_values() -> dict[str, object]:
    """The view as a flat mapping; a widget not drawn on the last run (a schedule's parameters
    while another schedule is chosen) has its declared default."""
    ss = st.session_state
    ctx = decl.Context.of(ss["surface"])
    values = {"surface": ss["surface"], "runs": ss.get("runs", 0)}
    for s in decl.settings_for(ctx.surface, optimizers_now()):
        values[s.key] = ss[s.key] if s.key in ss else s.default(ctx)
    return values


def remember(values: Mapping[str, object]) -> None:
    """Keep what the person has on this surface (start, steps, camera, each run's hyperparameters
    and gradient source, with the run's optimizer so that they only come back to the same one)."""
    memory = st.session_state.setdefault("remembered", {}).setdefault(values["surface"], {})
    surface = SURFACES[values["surface"]]
    optimizers = decl.run_layout(values)
    memory.update({_memory_key(s.key, optimizers): values[s.key] for s in decl.settings_for(surface, optimizers)
                   if s.remembered})


def _memory_key(key: str, optimizers) -> str:
    """A run's setting is remembered with its optimizer (r2.beta1@adam), so that a run switched to
    another optimizer and back gets back what it had."""
    if RUN_KEY.fullmatch(key):
        return f"{key}@{optimizers[int(key[1:].split('.', 1)[0])]}"
    return key


def recall(surface_key: str, optimizers) -> dict[str, object]:
    """The remembered settings of a surface: what the person had there (for a run: if it had the
    same optimizer), its preset for the rest."""
    memory = st.session_state.get("remembered", {}).get(surface_key, {})
    fresh = decl.defaults(surface_key, optimizers)
    out = {}
    for s in decl.settings_for(SURFACES[surface_key], optimizers):
        if s.remembered:
            out[s.key] = memory.get(_memory_key(s.key, optimizers), fresh[s.key])
    return out


def on_surface_change() -> None:
    """A new surface brings its preset the first time, and what the person had there afterwards."""
    ss = st.session_state
    load_values(recall(ss["surface"], optimizers_now()))
    ss["camera_nonce"] = ss.get("camera_nonce", 0) + 1  # apply that surface's camera


def on_reset() -> None:
    """The settings that come from the surface's preset (start, steps, hyperparameters) back to it,
    as RESET_HELP tells the person; nothing else."""
    ss = st.session_state
    surface = SURFACES[ss["surface"]]
    fresh = decl.defaults(surface.key, optimizers_now())
    load_values({s.key: fresh[s.key] for s in decl.settings_for(surface, optimizers_now()) if s.from_preset})
    # What was remembered of the preset's settings goes too (runs of other optimizers included).
    memory = ss.get("remembered", {}).get(surface.key, {})
    for key in list(memory):
        setting, _, optimizer = key.partition("@")  # r2.beta1@adam, or x0
        name = setting.split(".", 1)[-1]
        if (optimizer in OPTIMIZERS and name in OPTIMIZERS[optimizer].defaults) or (
                not optimizer and decl.BY_KEY.get(key) and decl.BY_KEY[key].from_preset):
            memory.pop(key)


def on_exact_change() -> None:
    """Sliders become number inputs (or back): the widgets change kind, the values stay."""
    load_values({k: v for k, v in current_values().items() if k != "camera"})


# --- what else sets the view: the camera presets, the trajectory view, your own surface, the tools --


def on_camera_preset() -> None:
    ss = st.session_state
    name = ss.get("camera_preset")
    if name:
        ss["camera"] = ss["figure_camera"] = camera_presets(SURFACES[ss["surface"]])[name]
        ss["camera_nonce"] = ss.get("camera_nonce", 0) + 1
        ss["camera_preset"] = None


def on_plot_event() -> None:
    """The trajectory view reports a rotated camera or a click on the contour."""
    ss = st.session_state
    result = ss.get("trajectory_view")
    if result is None:
        return
    camera = view_event(result, "camera")
    if isinstance(camera, dict) and isinstance(camera.get("eye"), dict):
        try:
            eye = tuple(round(float(camera["eye"][c]), 4) for c in "xyz")
            if all(abs(v) <= share.CAMERA_LIMIT for v in eye) and eye != ss.get("camera"):
                ss["camera"] = eye
        except (TypeError, ValueError, KeyError):
            pass
    point = clicked_point(result)
    if point is not None and SURFACES[ss["surface"]].contains(point):
        ss["x0"], ss["y0"] = round(point[0], 4), round(point[1], 4)


def switch_surface(key: str) -> None:
    """A formula or data of one's own became a new surface (optviz.app.custom_surface_ui)."""
    st.session_state["surface"] = key
    on_surface_change()


def set_start(x: float, y: float) -> None:
    """A click on a basin-map cell: the main view starts there."""
    ss = st.session_state
    if SURFACES[ss["surface"]].contains((x, y)):
        ss["x0"], ss["y0"] = float(x), float(y)


def apply_lrs(indices, lrs) -> None:
    """The tuner's learning rates (None: keep the run's own) become the runs' sliders."""
    for i, lr in zip(indices, lrs, strict=True):
        if lr is not None:
            st.session_state[decl.run_key(i, "lr")] = float(lr)


def set_run_hparams(index: int, values: dict) -> None:
    """The curvature tool's one-click settings (an optimal η, a point of its (η, β) map) become run
    `index`'s sliders, so the link carries them."""
    for name, value in values.items():
        st.session_state[decl.run_key(index, name)] = float(value)
