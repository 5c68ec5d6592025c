"""The app's figures in a notebook (Jupyter, JupyterLab, VS Code, Colab): one call each, a plotly
`go.Figure` back, no Streamlit.

    import optviz
    optviz.figure("beale", ["adam", "momentum"])              # animated 3-D + contour view
    optviz.step_chart("beale", ["adam", "momentum"], "loss")  # or "distance", "x", "y"
    optviz.basin_map("himmelblau", ["gd"])
    optviz.sensitivity_curve("rosenbrock", ["adam"])
    optviz.lessons.get_lesson("ravine").figure()

A run is a `Run` or an optimizer key (that optimizer with the surface's preset hyperparameters, as
the app opens it). Start and steps default to the surface's preset. Each figure is the one the app
draws, from the same functions (optviz/plot/trajectory.py, step_charts.py, analysis_plots.py), with the same run
labels and colours. The app's animation is built in the browser by optviz/web/figure.js; here its
Python twin (`expand_frames`) builds the frames, and plotly's own Play/Pause buttons and
step slider play them, so the figure needs nothing but plotly.js.
"""

from __future__ import annotations

from collections.abc import Sequence

from surfaces import SURFACES, Surface, get_surface

from ..core.engine import Trajectory
from ..core.presets import preset_for
from ..core.runs import Run, labels
from . import step_charts, styles
from .camera import SCENE_ASPECT
from .frames import expand_frames
from .grid import surface_grid
from .trajectory import optimizer_traces, trajectory_figure

PLOT_EXTRA = "optviz's figures need plotly: pip install 'optviz[plot]'"
CHART_KINDS = ("loss", "distance", "x", "y")
CONTROLS_MARGIN = 96  # px under the plot for the Play/Pause buttons and the step slider


def _go():
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise ImportError(PLOT_EXTRA) from None
    return go


def as_runs(surface: Surface, runs: Run | str | Sequence[Run | str]) -> list[Run]:
    """`runs` as Runs: an optimizer key becomes that optimizer with the surface's preset settings."""
    if isinstance(runs, (Run, str)):
        runs = [runs]
    preset = _preset(surface)
    out = []
    for run in runs:
        if isinstance(run, str):
            run = Run(run, preset.hparams_for(run) if preset else ())
        if not isinstance(run, Run):
            raise ValueError(f"a run is a Run or an optimizer key, got {run!r}")
        out.append(run)
    if not out:
        raise ValueError("give at least one run (a Run or an optimizer key)")
    return out


class Setup:
    """A surface, its runs, the shared start, steps and seed, and each run's label, style and trajectory."""

    def __init__(self, surface, runs, start=None, steps: int | None = None, seed: int = 0, *, paths: bool = True):
        _go()
        self.surface = get_surface(surface)
        self.runs = [r for r in as_runs(self.surface, runs) if not r.hidden]
        if not self.runs:
            raise ValueError("every run is hidden: nothing to draw")
        preset = _preset(self.surface)
        self.start = tuple(float(v) for v in (start if start is not None else
                                               preset.start if preset else self.surface.start))
        self.steps = int(steps if steps is not None else preset.steps if preset else 200)
        self.seed = int(seed)
        self.names = labels(self.runs)
        self.styles = styles.run_styles([f"r{i}" for i in range(len(self.runs))], self.names,
                                          [r.optimizer for r in self.runs])
        self.trajectories: list[Trajectory] = [r.simulate(self.surface, self.start, self.steps, self.seed)
                                               for r in self.runs] if paths else []


def _preset(surface: Surface):
    """The surface's preset (start, steps, hyperparameters); None for a surface of one's own."""
    return preset_for(surface.key) if surface.key in SURFACES else None


def controls(frame_names: Sequence[str], duration_ms: int) -> dict:
    """plotly's own Play/Pause buttons and a step slider over the frames (layout keys), the slider
    on the last frame (the figure opens with the whole paths drawn)."""
    still = {"mode": "immediate", "transition": {"duration": 0}}
    return {
        "updatemenus": [{
            "type": "buttons", "direction": "left", "showactive": False,
            "x": 0, "xanchor": "left", "y": 0, "yanchor": "top", "pad": {"t": 48, "r": 10},
            "buttons": [
                {"label": "▶ Play", "method": "animate",
                 "args": [None, {**still, "frame": {"duration": duration_ms, "redraw": True}, "fromcurrent": True}]},
                {"label": "❚❚ Pause", "method": "animate",
                 "args": [[None], {**still, "frame": {"duration": 0, "redraw": False}}]},
            ],
        }],
        "sliders": [{
            "active": len(frame_names) - 1, "x": 0.16, "len": 0.84, "y": 0, "yanchor": "top", "pad": {"t": 36},
            "currentvalue": {"prefix": "step ", "visible": True},
            "steps": [{"label": name, "method": "animate",
                       "args": [[name], {**still, "frame": {"duration": 0, "redraw": True}}]} for name in frame_names],
        }],
    }


def figure_spec(surface, runs, start=None, steps: int | None = None, seed: int = 0, *, view: str = "both",
                contour: str = "filled", camera: Sequence[float] | None = None, speed_ms: int = 60,
                height: int = 640) -> dict:
    """`figure()` as a plain dict (data, layout, frames)."""
    _go()
    if view not in SCENE_ASPECT and view != "contour":
        raise ValueError(f"view must be 'both', '3d' or 'contour', got {view!r}")
    s = Setup(surface, runs, start, steps, seed)
    grid = surface_grid(s.surface)
    compact = trajectory_figure(
        s.surface, grid, [optimizer_traces(s.surface, grid, t, style, view)
                          for style, t in zip(s.styles, s.trajectories, strict=True)],
        steps=s.steps, view=view, speed_ms=speed_ms, camera=camera, height=height, contour=contour)
    out = expand_frames(compact)
    _scatter_as_webgl(out, {style.key: style.dash for style in s.styles})
    layout = out["layout"]
    layout["margin"] = {**layout.get("margin", {}), "b": CONTROLS_MARGIN}
    layout["height"] = height + CONTROLS_MARGIN
    layout.update(controls([f["name"] for f in out["frames"]], speed_ms))
    return out


def _scatter_as_webgl(spec: dict, dashes: dict[str, str]) -> None:
    """The contour cell's scatter traces (paths, markers, minima) drawn as scattergl, in place.

    plotly.js #4596: while Play runs, a frame's transition redraws only the cartesian traces that
    can be tweened (SVG scatter) and drops every other layer of the subplot, so the contour map
    vanished until the next full redraw (the app's figure.js patches plotly.js instead; a notebook
    figure cannot carry code). scattergl traces are not tweened: each frame is a full redraw, which
    keeps the contour. WebGL lines take named dashes only: each run's own (`PathStyle.dash`); SVG-only
    properties (`cliponaxis`) are left out."""
    valid = _go().Scattergl()._valid_props
    for i, trace in enumerate(spec["data"]):
        if trace.get("type") != "scatter":
            continue
        for key in [k for k in trace if k not in valid]:
            del trace[key]
        trace["type"] = "scattergl"
        if "line" in trace and trace.get("legendgroup") in dashes:
            trace["line"] = {**trace["line"], "dash": dashes[trace["legendgroup"]]}
        for frame in spec["frames"]:
            for j, k in enumerate(frame["traces"]):
                if k == i:
                    frame["data"][j]["type"] = "scattergl"


def figure(surface, runs, start=None, steps: int | None = None, seed: int = 0, *, view: str = "both",
           contour: str = "filled", camera: Sequence[float] | None = None, speed_ms: int = 60, height: int = 640):
    """The app's animated trajectory view of `runs` on `surface` as a plotly Figure.

    `view`: "both" (3-D and contour side by side), "3d" or "contour"; `contour`: "filled" or
    "lines"; `camera`: the 3-D eye (x, y, z), default the surface's. One frame per step up to
    150 frames (`frame_steps`), as the app's Play button shows them; the figure opens on
    the last step, with every path drawn whole."""
    return _go().Figure(figure_spec(surface, runs, start, steps, seed, view=view, contour=contour, camera=camera,
                                    speed_ms=speed_ms, height=height))


def step_chart(surface, runs, kind: str = "loss", start=None, steps: int | None = None, seed: int = 0, *,
               axis: str = "steps"):
    """A step chart as the app draws it under the view: "loss" (the gap f − f*, log; symlog where
    f is unbounded below), "distance" (to the nearest minimum), "x" or "y" against the step (or,
    on a data surface, `axis` "samples" or "epochs")."""
    _go()
    if kind not in CHART_KINDS:
        raise ValueError(f"kind must be one of {', '.join(CHART_KINDS)}, got {kind!r}")
    if axis not in step_charts.WORK_AXES:
        raise ValueError(f"axis must be one of {', '.join(step_charts.WORK_AXES)}, got {axis!r}")
    s = Setup(surface, runs, start, steps, seed)
    pairs = list(zip(s.styles, s.trajectories, strict=True))
    if kind == "loss":
        spec = step_charts.loss_figure(s.surface, pairs, axis)
    elif kind == "distance":
        spec = step_charts.distance_figure(pairs, axis)
        if spec is None:
            raise ValueError(f"{s.surface.title} has no known minimum: no distance to draw")
    else:
        spec = step_charts.coordinate_figure(pairs, "xy".index(kind), axis)
    return _go().Figure(spec)


def basin_map(surface, runs, grid: int | None = None, steps: int | None = None, seed: int = 0, *,
              mode: str = "minimum"):
    """Basin maps, one panel per run: each start of a grid × grid map over the plot coloured by
    the minimum the run reached from it (`mode` "minimum") or by the step it converged at ("steps")."""
    _go()
    from ..analysis.basins import DEFAULT_GRID
    from ..analysis.basins import basin_map as compute
    from .analysis_plots import basin_figure

    surf = get_surface(surface)
    run_list = as_runs(surf, runs)
    preset = _preset(surf)
    steps = int(steps if steps is not None else preset.steps if preset else 200)
    maps = [(name, compute(surf, run, grid or DEFAULT_GRID, steps, seed))
            for name, run in zip(labels(run_list), run_list, strict=True)]
    return _go().Figure(basin_figure(surf, maps, mode=mode))


def sensitivity_curve(surface, runs, start=None, steps: int | None = None, seed: int = 0, *, metric: str = "gap",
                      lrs: Sequence[float] | None = None):
    """The final loss gap (`metric` "gap") or the steps to converge ("steps") against the learning
    rate, one curve per run that has one, each run's best learning rate starred."""
    _go()
    from ..analysis.sensitivity import lr_sensitivity, tune
    from .analysis_plots import sensitivity_figure

    s = Setup(surface, runs, start, steps, seed, paths=False)  # the runs' labels and colours, start and steps
    named = [(st, r) for st, r in zip(s.styles, s.runs, strict=True) if "lr" in r.hparam_dict]
    if not named:
        raise ValueError("none of these runs has a learning rate to sweep")
    results = [lr_sensitivity(s.surface, r, s.start, s.steps, s.seed, lrs=lrs) for _, r in named]
    return _go().Figure(sensitivity_figure(results, metric=metric, names=[st.name for st, _ in named],
                                           colors=[st.color for st, _ in named], picks=tune(results)))
