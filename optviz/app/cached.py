"""The app's cached computations, in a module so they are defined once, not on every rerun.

One cache entry per run: the cache's argument is the `Run` itself (frozen and hashable) with the
view's shared start, steps and seed, so moving one run's slider recomputes that run alone, and a
run's label or hidden switch (which change nothing computed) are set aside before the lookup.
Streamlit hashes a `Run` by its repr (`_HASH`): exact (floats in full), and cheaper than its
generic recursive hashing of a dataclass.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import streamlit as st

from surfaces import SURFACES

from ..core import limits
from ..core.engine import Trajectory
from ..core.runs import Run
from ..plot import step_charts, styles
from ..plot.grid import SurfaceGrid, surface_grid
from ..plot.trajectory import optimizer_traces, trajectory_figure
from ..plot.trajectory import static_traces as surface_traces
from . import present
from .figure_component import EncodedFigure, encode_figure

_HASH = {Run: repr, styles.PathStyle: repr}


def computed(run: Run) -> Run:
    """What a run's trajectory depends on: its label and hidden switch set aside."""
    return run.replace(label="", hidden=False) if run.label or run.hidden else run


@st.cache_data(max_entries=limits.CACHE_RUNS, show_spinner=False, hash_funcs=_HASH)
def _simulate(surface_key: str, run: Run, start: tuple[float, float], steps: int, seed: int) -> Trajectory:
    return run.simulate(surface_key, start, steps, seed)


def trajectory(surface_key: str, run: Run, start, steps: int, seed: int) -> Trajectory:
    """The run's trajectory from the shared start, steps and seed (cached per computed run)."""
    return _simulate(surface_key, computed(run), tuple(float(v) for v in start), int(steps), int(seed))


@st.cache_data(max_entries=limits.CACHE_GRIDS, show_spinner=False)
def grid(surface_key: str) -> SurfaceGrid:
    return surface_grid(SURFACES[surface_key])


@st.cache_data(max_entries=limits.CACHE_TRACES, show_spinner=False, hash_funcs=_HASH)
def traces_for(surface_key: str, style: styles.PathStyle, run: Run, start, steps: int, seed: int, view: str):
    t = trajectory(surface_key, run, start, steps, seed)
    return optimizer_traces(SURFACES[surface_key], grid(surface_key), t, style, view)


@st.cache_data(max_entries=limits.CACHE_STATIC, show_spinner=False)
def static_traces(surface_key: str, view: str, contour: str) -> list[dict]:
    return surface_traces(SURFACES[surface_key], grid(surface_key), view, contour)


@st.cache_data(max_entries=limits.CACHE_FIGURES, show_spinner=False, hash_funcs=_HASH)
def trajectory_payload(surface_key: str, styled: tuple[tuple[styles.PathStyle, Run], ...], start, steps: int,
                       seed: int, view: str, contour: str, speed: int, camera, uirevision: str, height: int):
    """The trajectory figure of the shown runs, built and encoded once per distinct view (reruns
    that change nothing else, such as the camera coming back from the browser, reuse the bytes)."""
    figure = trajectory_figure(
        SURFACES[surface_key], grid(surface_key),
        [traces_for(surface_key, style, run, start, steps, seed, view) for style, run in styled],
        steps=steps, view=view, speed_ms=speed, camera=camera, static=static_traces(surface_key, view, contour),
    )
    # A new uirevision makes the component apply the figure's camera (a preset or a reset).
    figure["layout"]["uirevision"] = uirevision
    return figure, encode_figure(figure)


@functools.lru_cache(maxsize=limits.CACHE_FIGURES)
def run_styles(keys: tuple[str, ...], names: tuple[str, ...], optimizers: tuple[str, ...]
               ) -> tuple[styles.PathStyle, ...]:
    """`styles.run_styles` once per distinct list of runs (a style depends on the run's place,
    name and optimizer only), not again on every rerun."""
    return tuple(styles.run_styles(keys, names, optimizers))


def decorated(figure: dict, encoded: EncodedFigure, level: int, extra_traces: list[dict], show_step: int | None = None,
              extra_layout: dict | None = None, extra_bottom: int = 0, above: int = 0):
    """`present.decorate` once per distinct figure and decoration (by their content ids): a rerun
    that changes neither reuses the decorated figure and its encoding instead of encoding every trace
    of the view again. Returns (figure, encoded, height)."""
    extras = encode_figure({"data": list(extra_traces), "layout": extra_layout or {}}).id
    return _decorated(encoded.id, extras, int(level), None if show_step is None else int(show_step), int(extra_bottom),
                      int(above), figure, encoded, extra_traces, extra_layout)


# A resource, not data: one object shared by the sessions that show the same view, not a copy per
# rerun (unpickling a whole figure would cost what it saves); nothing changes it after it is made.
@st.cache_resource(max_entries=limits.CACHE_FIGURES, show_spinner=False)
def _decorated(figure_id: str, extras_id: str, level: int, show_step: int | None, extra_bottom: int, above: int,
               _figure: dict, _encoded: EncodedFigure, _extra_traces: list[dict], _extra_layout: dict | None):
    # The view's own traces are kept as they are: their encoding is reused, only the decoration's is new.
    encode = functools.partial(encode_figure, base=(_figure, _encoded))
    return present.decorate(_figure, _encoded, level, _extra_traces, encode, show_step=show_step,
                            extra_layout=_extra_layout, extra_bottom=extra_bottom, above=above)


STEP_CHARTS = ("loss", "distance", "x", "y")


@st.cache_data(max_entries=limits.CACHE_CHARTS, show_spinner=False, hash_funcs=_HASH)
def step_chart(kind: str, surface_key: str, styled: tuple[tuple[styles.PathStyle, Run], ...], start, steps: int,
               seed: int, axis: str = "steps"):
    """A step chart (loss, distance, x(t) or y(t)), built and encoded once per set of runs;
    None where it does not apply (the distance on a surface without a known minimum)."""
    runs = [(style, trajectory(surface_key, run, start, steps, seed)) for style, run in styled]
    if kind == "loss":
        spec = step_charts.loss_figure(SURFACES[surface_key], runs, axis)
    elif kind == "distance":
        spec = step_charts.distance_figure(runs, axis)
    else:
        spec = step_charts.coordinate_figure(runs, "xy".index(kind), axis)
    return None if spec is None else encode_figure(spec)


def trajectories(surface_key: str, runs: Sequence[Run], start, steps: int, seed: int) -> list[Trajectory]:
    return [trajectory(surface_key, r, start, steps, seed) for r in runs]
