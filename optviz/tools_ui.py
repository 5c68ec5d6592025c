"""The analysis tools under the main view: the basin map, and learning-rate sensitivity with a tuner.

`render_tools_panel(surface, runs, start, steps, seed, on_start=..., on_apply_lrs=..., draw=...)`
draws a tool chooser ("None" by default, so the main view costs nothing extra) and the chosen tool
for the view's shown runs (`(label, Run)` pairs, in the order of the view):

- Basin map: `optviz.basins.basin_map` of every run over a grid of starts (the grid is chosen
  here; the steps and seed are the view's), drawn by `analysis_plots.basin_figure`. A click on a
  cell calls `on_start(x, y)` with the cell's centre: the app makes it the main view's start.
- Learning-rate sensitivity: `optviz.sensitivity.lr_sensitivity` of every run that has a learning
  rate, from the view's start, over the lr slider's positions; `tune` under the chosen criterion
  stars each run's pick, and "Apply tuned learning rates" calls `on_apply_lrs(lrs)` with one
  learning rate per run (None: keep its own), so the picks become the runs' sliders and the link's.

The chooser and each tool's settings are declared in `optviz/tool_settings.py` and drawn by the
app's `draw` (the widget every setting derives from its declaration), so they are in the link and
in `ViewState` like the rest of the view: a link opens the same tool with the same grid, colouring,
metric and criterion. A tool's settings keep their values while another tool is open.

Both computations are cached per process (st.cache_data keyed by a short string, like
optviz/cached.py). A map or sweep the limits refuse shows the limit's sentence instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import streamlit as st

from surfaces import SURFACES, Surface

from . import analysis_plots, limits
from .basins import MAX_WORK, basin_map, grid_starts
from .figure_component import clicked_point, plotly_chart, plotly_view
from .runs import Run
from .sensitivity import CRITERIA, lr_sensitivity, tune
from .settings import Context, Setting
from .tool_settings import (  # noqa: F401  (re-exported: the tests and callers read them here)
    BASIN_GRID,
    BASIN_MODES,
    CRITERION_LABELS,
    DEFAULT_BASIN_GRID,
    METRICS,
    TOOL_SETTINGS,
    TOOLS,
    criteria_for,
)

SETTINGS = {s.key: s for s in TOOL_SETTINGS}
# A tool's widgets are drawn only while it is open; their values stay in the session meanwhile, so
# that coming back to a tool finds its grid as the person left it.
KEEP = {"persist_state": "page"}
Draw = Callable[..., None]  # the app's draw(setting, where=None, **widget_kwargs)


@st.cache_data(max_entries=32, show_spinner=False)
def cached_basin(key: str, _surface_key: str, _run: Run, _grid: int, _steps: int, _seed: int):
    return basin_map(SURFACES[_surface_key], _run, grid=_grid, steps=_steps, seed=_seed)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_sweep(key: str, _surface_key: str, _run: Run, _start: tuple, _steps: int, _seed: int):
    return lr_sensitivity(SURFACES[_surface_key], _run, _start, _steps, _seed)


def basin_maps(surface: Surface, runs: Sequence[tuple[str, Run]], grid: int, steps: int, seed: int):
    """(label, BasinResult) per run, cached; what the panel draws."""
    return [(label, cached_basin(repr((surface.key, run, grid, steps, seed)), surface.key, run, grid, steps, seed))
            for label, run in runs]


def sweeps(surface: Surface, runs: Sequence[tuple[str, Run]], start, steps: int, seed: int):
    """(label, Sensitivity) per run that has a learning rate, cached."""
    start = (float(start[0]), float(start[1]))
    return [(label, cached_sweep(repr((surface.key, run, start, steps, seed)), surface.key, run, start, steps, seed))
            for label, run in runs if "lr" in run.hparam_dict]


def value(key: str, surface: Surface):
    """A tool setting's value in the session, valid under its declaration: a number inside its
    range, a choice this surface offers, else the default (a cleared button, a surface switch)."""
    setting: Setting = SETTINGS[key]
    ctx = Context(surface, None)
    current = st.session_state.get(key)
    if setting.kind == "number":
        number = setting.number(ctx)
        try:
            return int(number.clamp(float(current))) if number.integer else number.clamp(float(current))
        except (TypeError, ValueError, OverflowError):
            return setting.default(ctx)
    return current if current in setting.choices(ctx) else setting.default(ctx)


def _ready(key: str, surface: Surface) -> None:
    """Before a tool setting's widget is drawn: its session value is a valid one (the widget shows it)."""
    if st.session_state.get(key) != value(key, surface):
        st.session_state[key] = value(key, surface)


def _on_tool_change() -> None:
    """A click on the open tool's button clears the choice: that is "None"."""
    if st.session_state.get("tool") is None:
        st.session_state["tool"] = "none"


def cell_start(surface: Surface, grid: int, x: float, y: float) -> tuple[float, float]:
    """The start of the basin cell under the point (x, y): the cell's centre, exactly what the map
    ran from that cell (the browser reports the cursor's position, anywhere in the cell)."""
    xs, ys, _ = grid_starts(surface, grid)
    return float(xs[np.abs(xs - x).argmin()]), float(ys[np.abs(ys - y).argmin()])


def _on_basin_click(surface_key: str, grid: int, on_start: Callable[[float, float], None]) -> None:
    point = clicked_point(st.session_state.get("basin_view"))
    surface = SURFACES[surface_key]
    if point is not None and surface.contains(point):
        on_start(*cell_start(surface, grid, *point))


def basin_panel(surface: Surface, runs, steps: int, seed: int, on_start, draw: Draw) -> None:
    c1, c2 = st.columns(2)
    for key, where in (("basin_grid", c1), ("basin_mode", c2)):
        _ready(key, surface)
        draw(SETTINGS[key], where, **KEEP)
    grid, mode = value("basin_grid", surface), value("basin_mode", surface)
    if grid * grid * steps > MAX_WORK:
        st.warning(f"{grid} × {grid} starts × {steps} steps is more than one map computes "
                   f"({MAX_WORK:,} start-steps): choose fewer starts per side or fewer steps.")
        return
    if grid * grid * steps * len(runs) > limits.MAX_BASIN_PANEL_WORK:
        st.warning(f"{len(runs)} maps of {grid} × {grid} starts × {steps} steps are more than one view computes "
                   f"({limits.MAX_BASIN_PANEL_WORK:,} start-steps): choose fewer starts per side or fewer steps, "
                   "or hide some runs.")
        return
    try:
        with st.spinner("Running every start…"):
            maps = basin_maps(surface, runs, grid, steps, seed)
    except ValueError as exc:
        st.warning(str(exc))
        return
    figure = analysis_plots.basin_figure(surface, maps, mode=mode)
    height = int(figure.get("layout", {}).get("height") or 420)
    plotly_view(figure, key="basin_view", height=height,
                on_click=lambda key=surface.key, grid=grid: _on_basin_click(key, grid, on_start))
    st.caption(f"Each cell is the run from that start, {steps} steps, seed {seed}. Click a cell to start the "
               "main view there.")


def _on_apply(labels, lrs, on_apply_lrs) -> None:
    on_apply_lrs(lrs)
    st.session_state["tuned_note"] = "Applied: " + ", ".join(
        f"{label} lr = {lr:g}" for label, lr in zip(labels, lrs, strict=True) if lr is not None)


def sensitivity_panel(surface: Surface, runs, start, steps: int, seed: int, on_apply_lrs, draw: Draw,
                      colors: Sequence[str] | None = None) -> None:
    ss = st.session_state
    c1, c2 = st.columns(2)
    for key, where in (("sensitivity_metric", c1), ("tune_criterion", c2)):
        _ready(key, surface)
        draw(SETTINGS[key], where, **KEEP)
    try:
        results = sweeps(surface, runs, start, steps, seed)
    except ValueError as exc:  # a limit, or a setting the sweep cannot vary
        st.warning(str(exc))
        return
    skipped = [label for label, run in runs if "lr" not in run.hparam_dict]
    if skipped:
        st.caption(f"No learning rate to sweep: {', '.join(skipped)}.")
    if not results:
        st.info("None of the runs has a learning rate.")
        return
    criterion = value("tune_criterion", surface)
    picks = tune([r for _, r in results], criterion)
    color_of = dict(zip((label for label, _ in runs), colors, strict=True)) if colors is not None else None
    figure = analysis_plots.sensitivity_figure([r for _, r in results], metric=value("sensitivity_metric", surface),
                                               names=[label for label, _ in results], picks=picks,
                                               colors=[color_of[label] for label, _ in results] if color_of else None)
    plotly_chart(figure, key="sensitivity_view", height=int(figure["layout"].get("height") or 440))
    st.caption(f"Tune: {CRITERIA[criterion]}. ★ marks each run's pick.")
    rows = []
    for (label, r), p in zip(results, picks, strict=True):
        rows.append({"Run": label, "Learning rate now": f"{r.run.hparam_dict['lr']:g}",
                     "Tuned learning rate": "—" if p.lr is None else f"{p.lr:g}", "Why": p.reason})
    st.dataframe(rows, hide_index=True, width="stretch")
    labelled = dict(zip((label for label, _ in results), picks, strict=True))
    per_run = [labelled.get(label) for label, _ in runs]
    # The callback's arguments, not session state, carry the picks: a session keeps a few KB (one float a run).
    lrs = [None if p is None else p.lr for p in per_run]
    st.button("Apply tuned learning rates", key="apply_tuned", on_click=_on_apply,
              args=([label for label, _ in runs], lrs, on_apply_lrs),
              help="Sets each run's learning rate to its pick (the sliders and the share link follow).")
    if ss.get("tuned_note"):
        st.success(ss.pop("tuned_note"))


def render_tools_panel(surface: Surface, runs: Sequence[tuple[str, Run]], start, steps: int, seed: int, *,
                       on_start: Callable[[float, float], None],
                       on_apply_lrs: Callable[[list[float | None]], None], draw: Draw,
                       colors: Sequence[str] | None = None) -> None:
    """The tool chooser and the chosen tool (see the module docstring); `colors`: each run's colour
    in the view's charts (`plotting.run_styles`), so that a run keeps it in the tools."""
    st.markdown("#### Analysis tools")
    _ready("tool", surface)
    draw(SETTINGS["tool"], on_change=_on_tool_change, label_visibility="collapsed")
    tool = value("tool", surface)
    if not runs:
        return
    if tool == "basins":
        basin_panel(surface, runs, steps, seed, on_start, draw)
    elif tool == "sensitivity":
        sensitivity_panel(surface, runs, start, steps, seed, on_apply_lrs, draw, colors)
