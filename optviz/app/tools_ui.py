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

The chooser and each tool's settings are declared in `optviz/app/tool_settings.py` and drawn by the
app's `draw` (the widget every setting derives from its declaration), so they are in the link and
in `ViewState` like the rest of the view: a link opens the same tool with the same grid, colouring,
metric and criterion. A tool's settings keep their values while another tool is open.

Both computations are cached per process, on the Surface the panel is given (never looked up
again by its key) and keyed by its key, which names its content (a formula's text and ranges, data's
digest). A map or sweep the limits refuse shows the limit's sentence instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import streamlit as st

from surfaces import Surface

from ..analysis import curvature as cv
from ..analysis.basins import MAX_WORK, basin_map, grid_starts
from ..analysis.sensitivity import CRITERIA, lr_sensitivity, tune
from ..core import limits
from ..core.engine import CONVERGED, INSIDE_AT_THE_END
from ..core.runs import Run
from ..plot import analysis_plots
from .figure_component import clicked_point, plotly_chart, plotly_view
from .settings import Context, Setting
from .tool_settings import (  # noqa: F401  (re-exported: the tests and callers read them here)
    BASIN_GRID,
    BASIN_MODES,
    CRITERION_LABELS,
    CURVATURE_AT,
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


# A surface by its key (custom ones: a formula's text and ranges, data's digest), a run by its settings.
_HASH = {Surface: lambda surface: surface.key, Run: repr}


@st.cache_data(max_entries=32, show_spinner=False, hash_funcs=_HASH)
def cached_basin(surface: Surface, run: Run, grid: int, steps: int, seed: int):
    return basin_map(surface, run, grid=grid, steps=steps, seed=seed)


@st.cache_data(max_entries=64, show_spinner=False, hash_funcs=_HASH)
def cached_sweep(surface: Surface, run: Run, start: tuple[float, float], steps: int, seed: int):
    return lr_sensitivity(surface, run, start, steps, seed)


def basin_maps(surface: Surface, runs: Sequence[tuple[str, Run]], grid: int, steps: int, seed: int):
    """(label, BasinResult) per run, cached; what the panel draws."""
    return [(label, cached_basin(surface, run, int(grid), int(steps), int(seed))) for label, run in runs]


def sweeps(surface: Surface, runs: Sequence[tuple[str, Run]], start, steps: int, seed: int):
    """(label, Sensitivity) per run that has a learning rate, cached."""
    start = (float(start[0]), float(start[1]))
    return [(label, cached_sweep(surface, run, start, int(steps), int(seed)))
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


def _on_basin_click(surface: Surface, grid: int, on_start: Callable[[float, float], None]) -> None:
    point = clicked_point(st.session_state.get("basin_view"))
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
                on_click=lambda surface=surface, grid=grid: _on_basin_click(surface, grid, on_start))
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
                       colors: Sequence[str] | None = None,
                       on_set_hparams: Callable[[int, dict], None] | None = None) -> None:
    """The tool chooser and the chosen tool (see the module docstring); `colors`: each run's colour
    in the view's charts (`styles.run_styles`), so that a run keeps it in the tools; `on_set_hparams(i,
    {name: value})`: the curvature tool's one-click settings for the i-th shown run."""
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
    elif tool == "curvature":
        curvature_panel(surface, runs, start, steps, seed, on_set_hparams, draw, colors)


# --- the curvature lens ---------------------------------------------------------------------------------------

REGION_WORDS = {cv.MONOTONE: "converges without swinging", cv.OSCILLATING: "converges, swinging across",
                cv.DIVERGING: "does not converge"}
METHOD_NAMES = {cv.GD: "gradient descent", cv.HEAVY_BALL: "heavy-ball momentum", cv.NESTEROV: "Nesterov"}


def curvature_point(surface: Surface, runs, start, steps: int, seed: int) -> tuple[np.ndarray, str]:
    """The point the panel models and the words for it: the start, or θ_k of the inspector's run and step
    (the start, with a note, when the inspector is off)."""
    from .inspector_ui import RUN_KEY, STEP_KEY, InspectableRun, recorded_run  # the inspector's own cache

    start = np.asarray(start, dtype=float)
    at = value("curvature_at", surface)
    if at == "point":
        point = np.array([value("curvature_x", surface), value("curvature_y", surface)])
        return point, f"the point ({point[0]:.4g}, {point[1]:.4g})"
    if at != "step":
        return start, f"the start ({start[0]:.4g}, {start[1]:.4g})"
    n = int(st.session_state.get(RUN_KEY) or 0)
    if not 1 <= n <= len(runs):
        st.info("Pick a run and a step in “Why did it move?” above: until then the model is at the start.")
        return start, f"the start ({start[0]:.4g}, {start[1]:.4g})"
    label, run = runs[n - 1]
    traj = recorded_run(InspectableRun(label, "", surface.key, run, tuple(start), steps, seed))
    last = int(traj.diverged_at) - 1 if traj.diverged_at >= 0 else traj.steps
    k = int(min(max(int(st.session_state.get(STEP_KEY) or 0), 0), max(last, 0)))
    theta = np.asarray(traj.path[k], dtype=float)
    return theta, f"θ_{k} of {label} ({theta[0]:.4g}, {theta[1]:.4g})"


def _on_run_pick() -> None:
    pick = st.session_state.get("curvature_run_pick")
    if isinstance(pick, int):
        st.session_state["curvature_run"] = pick


def _on_point_click(surface: Surface) -> None:
    """A click on the tool's contour: the model moves to that point (and the link carries it)."""
    point = clicked_point(st.session_state.get("curvature_view"))
    if point is not None and surface.contains(point):
        st.session_state["curvature_at"] = "point"
        st.session_state["curvature_x"], st.session_state["curvature_y"] = float(point[0]), float(point[1])


def _set(on_set_hparams, position: int, run: Run, values: dict, note: str) -> None:
    spec = run.spec
    clamped = {name: spec.hparam(name).clamp(float(v)) for name, v in values.items()}
    on_set_hparams(position, clamped)
    st.session_state["curvature_note"] = note + ": " + ", ".join(
        f"{'η' if n == 'lr' else 'β'} = {v:.4g}" for n, v in clamped.items())


def _on_map_click(position: int, run: Run, on_set_hparams) -> None:
    point = clicked_point(st.session_state.get("curvature_map"))
    if point is None:
        return
    lr, beta = 10.0 ** point[0], point[1]
    if not (np.isfinite(lr) and 0.0 <= beta < 1.0):
        return
    _set(on_set_hparams, position, run, {"lr": lr, "momentum": beta}, "Set from the map")


def _rate_words(rate: float) -> str:
    """ρ and what it means, short enough for a narrow column."""
    if not np.isfinite(rate):
        return "—"
    if rate < 1.0 - 1e-9:
        return f"{rate:.4g} · converges"
    if rate <= 1.0 + 1e-9:
        return f"{rate:.4g} · the edge"
    return f"{rate:.4g} · grows"


def curvature_panel(surface: Surface, runs, start, steps: int, seed: int, on_set_hparams, draw: Draw,
                    colors: Sequence[str] | None = None) -> None:
    ss = st.session_state
    # each run in its colour of the view's charts (its optimizer's where the app gives none)
    colors = list(colors) if colors is not None else [r.spec.color for _, r in runs]
    _ready("curvature_at", surface)
    c1, c2 = st.columns(2)
    draw(SETTINGS["curvature_at"], c1, **KEEP)
    position = min(value("curvature_run", surface), len(runs)) - 1
    if ss.get("curvature_run") != position + 1:
        ss["curvature_run"] = position + 1
    # The list has a key of its own: the browser keeps a list's choice as its label, and a label changes
    # with the run's η (a click on the map); the setting keeps the run's number, whatever the list sent.
    if ss.get("curvature_run_pick") != position + 1:
        ss["curvature_run_pick"] = position + 1
    c2.selectbox("For the run", list(range(1, len(runs) + 1)), key="curvature_run_pick",
                 format_func=lambda i: runs[i - 1][0], on_change=_on_run_pick, **KEEP)
    label, run = runs[position]
    point, where = curvature_point(surface, runs, start, steps, seed)
    try:
        model = cv.local_model(surface, point)
    except ValueError as exc:
        st.warning(str(exc))
        return
    quadratic = cv.is_quadratic(surface)
    st.caption(("The surface is exactly quadratic: the model below is the surface itself, everywhere."
                if quadratic else
                "The map and the numbers are the local quadratic model at this point: they hold near it, "
                "and change as the run moves.") + f" Model at {where}."
               + ("" if model.exact_hessian else " This surface has no analytic Hessian: it is taken from "
                  "central differences of the gradient."))
    left, right = st.columns([1, 1])
    with left:
        figure = analysis_plots.curvature_figure(surface, model)
        plotly_view(figure, key="curvature_view", height=int(figure["layout"]["height"]),
                    on_click=lambda surface=surface: _on_point_click(surface))
        st.caption("Click the contour to model the surface at another point.")
    method = cv.method_for(run.optimizer)
    hp = run.hparam_dict
    with right:
        kappa = "∞ (a curvature is not positive)" if not model.convex else f"{model.condition:.4g}"
        st.markdown(f"**Curvatures** λ₁ = `{model.lam_min:.4g}`, λ₂ = `{model.lam_max:.4g}`  \n"
                    f"**Condition number** κ = λ₂/λ₁ = `{kappa}`")
        if model.negative:
            gd_lr = hp.get("lr", 0.01)
            grow = cv.escape_factor(model, gd_lr, method or cv.GD, hp.get("momentum", 0.0) if method != cv.GD else 0.0)
            v = model.eigenvectors[:, 0]
            st.warning(f"Negative curvature (λ₁ = {model.lam_min:.4g}): this is no minimum. Along the direction "
                       f"({v[0]:.3g}, {v[1]:.3g}) the model predicts escape, not convergence: the distance along it "
                       f"grows × {grow:.4g} per step at this run's η = {gd_lr:.4g} (|1 − ηλ₁| = "
                       f"{abs(1 - gd_lr * model.lam_min):.4g} for plain gradient descent).",
                       icon=":material/trending_up:")
        elif not model.convex:
            st.info("One curvature is zero here: along it the model is flat, and no step size contracts the error.")
        if "lr" not in hp:
            st.info(f"{label} has no learning rate: the model's step sizes do not apply to it.")
            return
        if method is None:
            st.caption(f"{run.spec.name} rescales its steps, so the model's rates are those of gradient descent "
                       "at its η, for comparison.")
        shown_method = method or cv.GD
        beta = hp.get("momentum", 0.0) if shown_method != cv.GD else 0.0
        rows = cv.settings_for(model, shown_method, hp["lr"], beta)
        st.markdown(f"**{label}** as {METHOD_NAMES[shown_method]}: "
                    + REGION_WORDS[cv.classify(model.eigenvalues, hp["lr"], shown_method, beta)] + " per the model.")
        st.dataframe([{"Setting": r.name, "η": f"{r.lr:.4g}", "β": "—" if r.beta is None else f"{r.beta:.4g}",
                       "Predicted rate ρ": _rate_words(r.rate)} for r in rows],
                     hide_index=True, width="stretch", key="curvature_table")
        st.caption("ρ: the error is multiplied by at most ρ per step, near this point (the worse of the two "
                   "directions). β is the run's momentum, γ in its update rule.")
        if run.schedule_dict:
            st.caption("This run has schedules: the rates are for its base η and β, step 1's.")
        buttons = {r.button: r for r in rows if r.button}
        b1, b2 = st.columns(2)
        best_lr = buttons.get("optimal_lr")
        b1.button("Use the optimal η", key="curvature_use_lr", disabled=best_lr is None or on_set_hparams is None,
                  on_click=_set, args=(on_set_hparams, position, run, {"lr": best_lr.lr} if best_lr else {},
                                       "Used the optimal η"),
                  help="Sets this run's η to gradient descent's optimal 2/(λ₁ + λ₂) here (the slider and the link "
                       "follow).")
        pair = buttons.get("optimal_pair")
        b2.button("Use the optimal (η, β)", key="curvature_use_pair", disabled=pair is None or on_set_hparams is None,
                  on_click=_set, args=(on_set_hparams, position, run,
                                       {"lr": pair.lr, "momentum": pair.beta} if pair else {},
                                       "Used the optimal (η, β)"),
                  help="Sets this momentum run's η and β to the pair the model predicts fastest here.")
        if ss.get("curvature_note"):
            st.success(ss.pop("curvature_note"))
    _curvature_map(surface, model, runs, position, shown_method, on_set_hparams, quadratic, colors)
    _prediction(surface, model, runs, position, start, steps, seed, shown_method, quadratic, colors[position])
    if quadratic:
        _milestones(surface, runs[position], start, steps, seed, colors[position])


def _milestones(surface, labelled, start, steps: int, seed: int, color: str) -> None:
    """On an exactly quadratic surface: the run's error split along the eigenvectors, step by step."""
    label, run = labelled
    traj = run.simulate(surface, tuple(float(v) for v in start), steps, seed)
    end = int(traj.diverged_at) if traj.diverged_at >= 0 else traj.steps + 1
    try:
        ms = cv.milestones(surface, traj.path[:end])
    except ValueError:  # a singular Hessian: no one point to measure from
        return
    st.markdown(f"##### The error along each eigen-direction: {label}")
    figure = analysis_plots.milestones_figure(ms, label=label, color=color)
    plotly_chart(figure, key="curvature_milestones", height=int(figure["layout"]["height"]))
    st.caption("θ_t − θ* = (its part along the flat direction) + (its part along the steep one), exactly, at every "
               "step: each part follows its own curvature. Gradient descent multiplies the part along λ by 1 − ηλ "
               "per step; momentum mixes in the last step's.")


def _curvature_map(surface, model, runs, position, method, on_set_hparams, quadratic, colors) -> None:
    label, run = runs[position]
    map_method = method if method != cv.GD else cv.HEAVY_BALL
    st.markdown(f"##### The (η, β) map of {METHOD_NAMES[map_method]}")
    try:
        lrs, betas, regions = cv.region_map(model, map_method)
    except ValueError as exc:
        st.info(f"No map here: {exc}.")
        return
    family = [(lab, r, c) for (lab, r), c in zip(runs, colors, strict=True)
              if cv.method_for(r.optimizer) in (cv.HEAVY_BALL, cv.NESTEROV)]
    marks = [(lab, r.hparam("lr"), r.hparam("momentum"), c, cv.method_for(r.optimizer) == map_method)
             for lab, r, c in family]
    lam = float(np.max(model.positive_eigenvalues))
    boundary = np.array([cv.max_stable_lr(lam, map_method, b) for b in betas]), betas
    figure = analysis_plots.regions_figure(lrs, betas, regions, marks=marks, boundary=boundary)
    clickable = method in (cv.HEAVY_BALL, cv.NESTEROV) and on_set_hparams is not None
    plotly_view(figure, key="curvature_map", height=int(figure["layout"]["height"]),
                on_click=(lambda p=position, r=run: _on_map_click(p, r, on_set_hparams)) if clickable else None)
    words = [("Exact on this quadratic surface." if quadratic else
              "This is the local model at the point above, not the whole surface.")]
    if model.negative:
        words.append("The map covers the positive curvature only: along the negative one every (η, β) escapes.")
    if clickable:
        words.append(f"Click the map to give {label} that η and β.")
    else:
        words.append(f"{label} is not a momentum run: pick one under “For the run” to set it from the map.")
    if any(not same for *_, same in marks):
        words.append("Open circles: runs of the other momentum method, whose regions differ.")
    st.caption(" ".join(words))


def _prediction(surface, model, runs, position, start, steps, seed, method, quadratic, color: str) -> None:
    """The run's distance to the minimum it reached against the model's rate there."""
    label, run = runs[position]
    if "lr" not in run.hparam_dict or cv.method_for(run.optimizer) is None or run.schedule_dict:
        return
    traj = run.simulate(surface, tuple(float(v) for v in start), steps, seed)
    if quadratic and model.convex:
        target = cv.stationary_point(model)
        at_target = model
    else:
        k = int(traj.nearest_minimum)
        if k < 0 or traj.outcome not in (CONVERGED, INSIDE_AT_THE_END):
            # far from a minimum the model there says nothing about the steps taken
            st.caption(f"{label} does not end near a minimum: no rate to compare with the model's there.")
            return
        m = surface.minima[k]
        target = np.array([m.x, m.y])
        at_target = cv.local_model(surface, target)
        if not at_target.convex:
            return
    beta = run.hparam_dict.get("momentum", 0.0) if method != cv.GD else 0.0
    predicted = cv.linear_rate(at_target.eigenvalues, run.hparam("lr"), method, beta)
    end = int(traj.diverged_at) if traj.diverged_at >= 0 else traj.steps + 1
    path = np.asarray(traj.path[:end], dtype=float)
    measured = cv.measured_rate(path, target)
    errors = np.linalg.norm(path - target, axis=-1)
    st.markdown(f"##### Prediction against the run: {label}")
    usable = np.flatnonzero(errors > 1e-10 * errors[0]) if errors[0] > 0 else np.array([], dtype=int)
    if not len(usable):
        st.caption("The run starts at the minimum: nothing to measure.")
        return
    figure = analysis_plots.prediction_figure(np.arange(len(errors)), errors, predicted, int(usable[-1]),
                                              label=label, color=color)
    plotly_chart(figure, key="curvature_prediction", height=int(figure["layout"]["height"]))
    where = "" if quadratic else " (the model at the minimum the run reached)"
    said = "—" if measured is None else f"{measured:.4g}"
    st.caption(f"Predicted rate at the minimum{where}: ρ = {predicted:.4g} per step; measured over the run's last "
               f"steps: {said}. Parallel lines: the model explains the run's end.")
