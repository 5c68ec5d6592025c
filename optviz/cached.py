"""The app's cached computations, in a module so they are defined once, not on every rerun.

One cache entry per optimizer run, so moving one optimizer's slider recomputes that optimizer
alone. Each function takes a short string key and its real arguments under a leading "_":
Streamlit then hashes only the key (its recursive hashing of nested tuples cost ~25 ms a rerun).
A run's key is repr() of its arguments: (surface, optimizer, sorted hparams, start, steps, seed,
noise, batch size).
"""

from __future__ import annotations

import streamlit as st

from surfaces import SURFACES

from . import limits, plotting
from .engine import simulate
from .figure_component import encode_figure
from .registry import OPTIMIZERS


@st.cache_data(max_entries=limits.CACHE_RUNS, show_spinner=False)
def run(key: str, _args: tuple):
    surface_key, opt_key, hparams, start, steps, seed, noise, batch_size = _args
    return simulate(surface_key, opt_key, start, steps, seed=seed, noise=noise, batch_size=batch_size,
                    **dict(hparams))


@st.cache_data(max_entries=limits.CACHE_GRIDS, show_spinner=False)
def grid(surface_key: str) -> plotting.SurfaceGrid:
    return plotting.surface_grid(SURFACES[surface_key])


@st.cache_data(max_entries=limits.CACHE_TRACES, show_spinner=False)
def traces_for(key: str, view: str, _args: tuple):
    surface_key, opt_key = _args[:2]
    return plotting.optimizer_traces(SURFACES[surface_key], grid(surface_key), run(key, _args), style(opt_key), view)


@st.cache_data(max_entries=limits.CACHE_STATIC, show_spinner=False)
def static_traces(surface_key: str, view: str, contour: str) -> list[dict]:
    return plotting.static_traces(SURFACES[surface_key], grid(surface_key), view, contour)


@st.cache_data(max_entries=limits.CACHE_FIGURES, show_spinner=False)
def trajectory_payload(key: str, _runs: dict, _surface_key: str, _view: str, _contour: str, _speed: int, _camera,
                       _uirevision: str, _height: int):
    """The trajectory figure, built and encoded once per distinct view (reruns that change
    nothing else, such as the camera coming back from the browser, reuse the encoding; each
    trace's content id lets the page keep the traces that did not change)."""
    steps = next(iter(_runs.values()))[4]
    figure = plotting.trajectory_figure(
        SURFACES[_surface_key], grid(_surface_key), [traces_for(k, _view, args) for k, args in _runs.items()],
        steps=steps, view=_view, speed_ms=_speed, camera=_camera, static=static_traces(_surface_key, _view, _contour),
    )
    # A new uirevision makes the component apply the figure's camera (a preset or a reset).
    figure["layout"]["uirevision"] = _uirevision
    return figure, encode_figure(figure)


@st.cache_data(max_entries=limits.CACHE_CHARTS, show_spinner=False)
def step_chart(kind: str, key: str, _runs: dict, _surface_key: str):
    """Loss or distance chart, built and encoded once per set of runs (None: no such chart)."""
    styled = [(style(args[1]), run(k, args)) for k, args in _runs.items()]
    if kind == "loss":
        return encode_figure(plotting.loss_figure(SURFACES[_surface_key], styled))
    spec = plotting.distance_figure(styled)
    return None if spec is None else encode_figure(spec)


def style(key: str) -> plotting.PathStyle:
    spec = OPTIMIZERS[key]
    return plotting.PathStyle(key, spec.name, spec.color)


