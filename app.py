"""optviz: watch gradient-descent optimizers walk 2-D loss surfaces.

A thin Streamlit layer: widgets -> cached simulate() -> figures. The math lives in optviz/ and
surfaces/; the view's settings are declared once in optviz/app/settings.py, and the view lives in the
URL (optviz/app/share.py) so a link reproduces it.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlencode

import streamlit as st

# First: imports and exercises what reruns reach lazily, once per process, while sessions that
# arrive meanwhile wait on the import lock (a half-imported pandas broke simultaneous sessions).
import optviz.app.warmup  # noqa: F401  (isort: keep above the other optviz imports)
from optviz import OPTIMIZERS
from optviz.analysis.export import export_filename, to_csv
from optviz.analysis.gradient_spread import SPREAD_BATCH, gradient_spread, spread_figure
from optviz.analysis.results import LINE as RESULT_LINE
from optviz.analysis.results import OUTCOME as RESULT_OUTCOME
from optviz.analysis.results import RESULTS_HELP, results_rows
from optviz.app import classroom_ui, inspector_ui, present, share
from optviz.app import settings as decl
from optviz.app.cached import step_chart, trajectories, trajectory_payload
from optviz.app.custom_surface_ui import render_surface_inputs
from optviz.app.figure_component import clicked_point, encode_figure, plotly_chart, plotly_view, view_event
from optviz.app.share import ViewState
from optviz.app.tools_ui import render_tools_panel
from optviz.core import runs as runs_mod
from optviz.core.engine import CONVERGENCE_RULE
from optviz.core.presets import preset_for
from optviz.core.runs import Run
from optviz.core.schedules import SCHEDULES
from optviz.plot import plotting
from optviz.plot.export_page import export_html
from optviz.plot.gif import animation_gif
from optviz.plot.lessons import load_lessons, run_notes, seed_words
from optviz.plot.sparkline import data_url, schedule_svg, style_svg
from surfaces import SURFACES

RUN_STARTED = time.perf_counter()
st.set_page_config(page_title="optviz: optimizer trajectories", page_icon="🏔️", layout="wide")

RESET_HELP = ("Back to this surface's preset for the start, the number of steps and every run's "
              "hyperparameters. The runs themselves (optimizers, batch sizes or noise, schedules, labels), "
              "the seed, view and camera stay as they are.")
RUN_KEY = re.compile(r"r\d+\..+")
SWEEP_FACTORS = (1 / 3, 1.0, 3.0)


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


def state_from_widgets() -> ViewState:
    settle_run_picks()
    return ViewState.from_values(current_values())


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


# --- runs: add, duplicate, remove, sweep, one learning rate for all ------------------------------


# The panels that pick one of the view's runs keep a position: the sweep's box in the view's runs,
# the inspector's (inspector_ui.RUN_KEY) 1 + a position in the shown runs, 0 off. A select box
# travels between page and server as the label it shows, and the page keeps the label it last
# showed until the server sets the box: after a sweep, a removal or a changed η had changed the
# labels, it sent a label that named no run (Streamlit then hands back that text: the traceback
# of "Sweep twice") or another run. So every reading of the view first settles each pick against
# the runs as they are (`settle_run_picks`, in `state_from_widgets`: before any widget exists), and
# `set_runs` moves each pick with its run.
SWEEP_RUN = "sweep.run"
RUN_PICKS = (SWEEP_RUN, inspector_ui.RUN_KEY)


def run_pick_options(runs) -> dict[str, tuple[list[str], list[int | None]]]:
    """Each picker's options as the page shows them (labels), and the run (its position in the
    view's runs; None: off) each option stands for."""
    names = runs_mod.labels(runs)
    shown = [i for i, r in enumerate(runs) if not r.hidden]
    return {SWEEP_RUN: (names, list(range(len(runs)))),
            inspector_ui.RUN_KEY: ([inspector_ui.OFF, *(names[i] for i in shown)], [None, *shown])}


def pick_position(value, options) -> int:
    """The position in `options` a picker's value names: a position in range, or a label the page
    sent that is one of the options; 0 (the first option) otherwise."""
    if isinstance(value, str):
        return options.index(value) if value in options else 0
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return value if 0 <= value < len(options) else 0


def settle_run_picks() -> None:
    """Each pick made the position of the run it stood for when last drawn (a run hidden before the
    inspected one moves it), or its first option; and written back, so that the page shows it,
    whenever the label the page holds is no longer that option's."""
    ss = st.session_state
    values = {k: v for k, v in current_values().items() if k not in RUN_PICKS}
    runs = [share.run_from_values(values, i, SURFACES[ss["surface"]]) for i in range(values["runs"])]
    drawn = ss.setdefault("run_picks_drawn", {})  # each picker's options and their runs, as last drawn
    for key, (options, runs_at) in run_pick_options(runs).items():
        if key in ss and options:  # no runs: no sweep box
            value = ss[key]
            before, before_runs = drawn.get(key, (options, runs_at))
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(before):
                held, run = before[value], before_runs[value]
                now = runs_at.index(run) if run in runs_at else pick_position(value, options)
            else:  # a label the page sent that the options did not have, or a stray value
                held, now = value, pick_position(value, options)
            if value != now or held != options[now]:
                ss[key] = now
        drawn[key] = (options, runs_at)


def set_runs(runs, moved: Mapping[int, int] | None = None) -> None:
    """Replace the view's runs (their widgets' values follow). `moved` maps the old position of each
    run that stays to its new one (None: every run keeps its position); a picked run that is gone
    leaves its picker at its first option."""
    ss = st.session_state
    state = ViewState.from_values(current_values())
    for key in [k for k in ss if isinstance(k, str) and RUN_KEY.fullmatch(k)]:
        del ss[key]
    new = replace(state, runs=tuple(runs))
    load_values(new.values())
    ss.get("run_picks_drawn", {}).clear()  # the picks below are positions in the new runs
    moved = {i: i for i in range(len(new.runs))} if moved is None else moved
    if SWEEP_RUN in ss:
        ss[SWEEP_RUN] = moved.get(pick_position(ss[SWEEP_RUN], runs_mod.labels(state.runs)), 0)
    if ss.get(inspector_ui.RUN_KEY):
        old_shown, new_shown = [i for i, _ in state.visible_runs], [i for i, _ in new.visible_runs]
        position = moved.get(old_shown[ss[inspector_ui.RUN_KEY] - 1]) if ss[inspector_ui.RUN_KEY] <= len(
            old_shown) else None
        ss[inspector_ui.RUN_KEY] = new_shown.index(position) + 1 if position in new_shown else 0


def say(message: str) -> None:
    st.session_state["runs_message"] = message


def on_run_optimizer_change(index: int) -> None:
    """A run given another optimizer gets that optimizer's preset hyperparameters on this surface
    (what the person had if this run had it before), no schedules, and keeps its gradient source."""
    ss = st.session_state
    optimizers = optimizers_now()
    recalled = recall(ss["surface"], optimizers)
    prefix = decl.run_key(index, "")
    fresh = share.run_values(index, Run(optimizers[index]), SURFACES[ss["surface"]])
    load_values({k: v for k, v in fresh.items() if k.startswith(prefix + "sched")})
    load_values({k: v for k, v in recalled.items() if k.startswith(prefix) and k[len(prefix):] in
                 OPTIMIZERS[optimizers[index]].defaults})


def on_schedule_kind_change(index: int, name: str) -> None:
    """A newly chosen schedule starts from its own defaults."""
    ss = st.session_state
    kind = ss[decl.run_key(index, f"sched.{name}")]
    load_values({decl.run_key(index, f"sched.{name}.{p}"): v for p, v in SCHEDULES[kind]().params().items()})


def on_add_run() -> None:
    ss = st.session_state
    runs = list(state_from_widgets().runs)
    if len(runs) >= decl.MAX_RUNS:
        return say(f"A view holds at most {decl.MAX_RUNS} runs: remove one first.")
    key = ss.get("add_optimizer") or decl.default_optimizer(len(runs))
    runs.append(Run(key, preset_for(ss["surface"]).hparams_for(key)))
    set_runs(runs)


def on_duplicate_run(index: int) -> None:
    runs = list(state_from_widgets().runs)
    if len(runs) >= decl.MAX_RUNS:
        return say(f"A view holds at most {decl.MAX_RUNS} runs: remove one first.")
    runs.insert(index + 1, runs[index].replace(hidden=False))
    set_runs(runs, {i: i + (i > index) for i in range(len(runs) - 1)})


def on_remove_run(index: int) -> None:
    runs = list(state_from_widgets().runs)
    runs.pop(index)
    set_runs(runs, {i: i - (i > index) for i in range(len(runs) + 1) if i != index})


def sweep_values(run: Run, name: str, mode: str, text: str) -> list[float]:
    """The values of a sweep of `name`: ×⅓, ×1, ×3 of the run's value (of 1 − β for a decay rate,
    the scale such a rate is thought in), or the numbers typed. ValueError with a message."""
    h = run.spec.hparam(name)
    base = run.hparam(name)
    if mode == "factors" and h.integer:  # a switch: one run per setting, off and on
        values = [float(v) for v in h.grid()]
    elif mode == "factors":
        if h.scale == "nines":
            values = [1.0 - (1.0 - base) * f for f in SWEEP_FACTORS]
        else:
            values = [base * f for f in SWEEP_FACTORS]
        values = [float(f"{v:.6g}") for v in values]
    else:
        try:
            values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"type numbers separated by commas, e.g. 0.001, 0.01, 0.1 (got {text[:40]!r})") from None
        if not 2 <= len(values) <= decl.MAX_SWEEP_VALUES:
            raise ValueError(f"a sweep takes 2 to {decl.MAX_SWEEP_VALUES} values, got {len(values)}")
    outside = [v for v in values if not h.number.contains(v)]
    if outside and h.integer:
        raise ValueError(f"{name} is a switch: 0 (off) or 1 (on); {', '.join(share.format_number(v) for v in outside)} "
                         "is not")
    if outside:
        raise ValueError(f"{name} must lie in [{share.format_number(h.low)}, {share.format_number(h.high)}]; "
                         f"{', '.join(share.format_number(v) for v in outside)} does not")
    return values


def on_sweep() -> None:
    """The chosen run becomes one run per value of the chosen hyperparameter, in its place."""
    ss = st.session_state
    runs = list(state_from_widgets().runs)
    index = ss.get(SWEEP_RUN, 0)  # settled by state_from_widgets
    run = runs[index]
    name = ss.get("sweep.name") or "lr"
    if name not in run.hparam_dict:
        return say(f"Sweep not made: {run.optimizer} has no hyperparameter {name}.")
    try:
        values = sweep_values(run, name, ss.get("sweep.mode", "factors"), ss.get("sweep.values", ""))
        swept = runs_mod.sweep(run.replace(label=""), name, values)
    except ValueError as error:
        return say(f"Sweep not made: {error}.")
    if len(runs) - 1 + len(swept) > decl.MAX_RUNS:
        return say(f"Sweep not made: {len(swept)} runs would make {len(runs) - 1 + len(swept)}, "
                   f"more than the {decl.MAX_RUNS} a view holds.")
    set_runs([*runs[:index], *swept, *runs[index + 1:]],
             {i: i if i <= index else i + len(swept) - 1 for i in range(len(runs))})


def on_same_lr() -> None:
    """"One learning rate for all": every run's η set to one value (clamped to a run's range)."""
    ss = st.session_state
    lr = float(ss["lr_for_all"])
    runs, clamped = [], []
    before = state_from_widgets().runs
    for r, name in zip(before, runs_mod.labels(before), strict=True):
        if "lr" in r.hparam_dict:
            number = r.spec.hparam("lr").number
            if not number.contains(lr):
                clamped.append(name)
            r = runs_mod.same_lr([r], number.clamp(lr))[0]
        runs.append(r)
    set_runs(runs)
    if clamped:
        say(f"η = {share.format_number(lr)} is outside the range of {', '.join(clamped)}: set to the nearest end.")


# --- lessons -----------------------------------------------------------------------------------------
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


PRESENT_STRIP = "present_strip."  # the presentation strip's controls: this prefix and the run's setting key


def on_strip_change(key: str) -> None:
    """A control of the presentation strip sets the run's own setting (the sidebar's slider, the link)."""
    st.session_state[key] = st.session_state[PRESENT_STRIP + key]


def presentation_strip(where, shown, names) -> None:
    """Presentation mode folds the sidebar away: each shown run's η stays a click away (a popover,
    so the chart keeps the screen), a control of its own key bound both ways to the run's setting,
    so that a lecture changes η without leaving presentation (Play is under the chart)."""
    ss = st.session_state
    strip = where.popover("η of each run", icon=":material/tune:", key="present_strip", width="content",
                          help="Change a run's learning rate η without leaving presentation mode.")
    for i, run in shown:
        if "lr" not in run.hparam_dict:
            continue
        setting = next(s for s in decl.run_settings(i, run.optimizer, SURFACES[ss["surface"]])
                       if s.key == decl.run_key(i, "lr"))
        # Drawn first with the run's η as its default (nothing forced on a link's first page, see
        # draw()); written only to follow a change made elsewhere (the sidebar, a sweep).
        lr = run.hparam("lr")
        mirror = replace(setting, key=PRESENT_STRIP + setting.key, label=f"η · {names[i]}", default=lambda ctx, v=lr: v,
                         help=f"The learning rate η of {names[i]}, as in the sidebar.")
        if mirror.key in ss and ss[mirror.key] != lr:
            ss[mirror.key] = lr
        draw(mirror, strip.container(width=320), on_change=on_strip_change, args=(setting.key,))


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


@functools.lru_cache(maxsize=1)
def _context(surface_key: str) -> decl.Context:
    return decl.Context.of(surface_key)


def draw(setting: decl.Setting, where=None, **callbacks) -> None:
    """The setting's widget, derived from its declaration."""
    ss = st.session_state
    where = where or st
    ctx = _context(ss["surface"])
    # classroom (1/4): a control an exercise link locks is drawn disabled
    common = {"key": setting.key, "help": setting.help or None, "disabled": classroom_ui.is_locked(setting.key),
              **callbacks}
    # The widget's default is its current value: a page that draws it for the first time shows
    # it, and a widget whose value did not change sends the very same message on the next run,
    # which the browser already holds (a reference of ~75 bytes instead of the element).
    value = ss[setting.key] if setting.key in ss else setting.default(ctx)
    if setting.kind == "number":
        number = setting.number(ctx)
        if setting.widget == "number" or ss.get("exact"):
            cast = int if number.integer else float
            step = number.step if number.scale == "linear" else (number.low if number.scale == "log" else 0.001)
            where.number_input(setting.label, min_value=cast(number.low), max_value=cast(number.high),
                               step=cast(step) or 1, format=setting.input_format, value=cast(value), **common)
        else:
            # A finger needs notches far enough apart (the trajectory view reports a touch screen).
            touch = bool(view_event(ss.get("trajectory_view"), "touch"))
            where.select_slider(setting.label, options=number.positions(value, touch=touch), value=value,
                                format_func=decl.format_number, **common)
        return
    if setting.kind == "text":
        where.text_input(setting.label, max_chars=decl.MAX_LABEL_CHARS, value="" if value is None else str(value),
                         **common)
        return
    if setting.kind == "flag":
        where.toggle(setting.label, value=bool(value), **common)
        return
    choices = list(setting.choices(ctx))
    labels = setting.labels(ctx) if setting.labels else {}
    fmt = {"format_func": lambda c: labels.get(c, str(c))}
    if setting.widget in ("select", "radio"):
        picked = {"index": decl.index_of(choices, value)}
    elif setting.widget == "multiselect":
        picked = {"default": [v for v in value if v in choices]}
    else:  # select_slider, segmented
        picked = {"default" if setting.widget == "segmented" else "value": value if value in choices else choices[0]}
    widget = {"select": where.selectbox, "multiselect": where.multiselect, "radio": where.radio,
              "select_slider": where.select_slider, "segmented": where.segmented_control}[setting.widget]
    extra = {"horizontal": True} if setting.widget == "radio" else {}
    widget(setting.label, choices, **fmt, **picked, **extra, **common)


def run_editor(index: int, run: Run, style: plotting.PathStyle, steps: int, expanded: bool) -> None:
    """One run in the sidebar: its style, optimizer, label, hide switch, hyperparameters, gradient
    source, schedules (each with a small chart of its values), and duplicate / remove / sweep."""
    ss = st.session_state
    surface = SURFACES[ss["surface"]]
    by_key = {s.key: s for s in decl.run_settings(index, run.optimizer, surface)}
    key = functools.partial(decl.run_key, index)
    title = f"{':material/visibility_off: ' if run.hidden else ''}{style.name}"
    # A stable key keeps the expander open while its label follows a slider.
    with st.expander(title, expanded=expanded, key=f"run.{index}"):
        # One control a line: side by side in the sidebar's width they were cut ("Gradient de", "H.").
        draw(by_key[key("opt")], on_change=on_run_optimizer_change, args=(index,))
        draw(by_key[key("hidden")])
        st.image(style_svg(style.color, style.dash, style.symbol, style.casing))
        st.text_input("Label", key=key("label"), max_chars=decl.MAX_LABEL_CHARS, placeholder=style.name,
                      value=ss.get(key("label")) or "", help=by_key[key("label")].help)
        for h in run.spec.hparams:
            draw(by_key[key(h.name)])
        draw(by_key[key("batch" if surface.has_data else "noise")])
        for name in decl.schedulable(run.optimizer):
            kind_setting = by_key[key(f"sched.{name}")]
            draw(kind_setting, on_change=on_schedule_kind_change, args=(index, name))
            schedule = run.schedule_dict.get(name)
            if schedule is None:
                continue
            chosen = {key(f"sched.{name}"): schedule.key}
            params = [s for s in by_key.values() if s.key.startswith(key(f"sched.{name}.")) and s.is_active(chosen)]
            cols = st.columns(len(params))
            for col, s in zip(cols, params, strict=True):
                draw(s, col)
            symbol = runs_mod.symbol(run.spec.hparam(name).symbol, name)
            st.image(schedule_svg(schedule.values(steps, run.hparam(name)), symbol, style.color))
        # A wrapping row: each button as wide as its label, never cut ("Duplic…" in two columns).
        buttons = st.container(horizontal=True, gap="small")
        buttons.button(":material/content_copy: Duplicate", key=f"duplicate.{index}", help="Duplicate this run",
                       on_click=on_duplicate_run, args=(index,), width="content")
        buttons.button(":material/delete: Remove", key=f"remove.{index}", help="Remove this run",
                       on_click=on_remove_run, args=(index,), width="content")


def sweep_controls(runs, names) -> None:
    """One place for sweeps (not one per run: the sidebar stays short at 8 runs): pick a run and one
    of its hyperparameters; the run becomes one run per value, in its place."""
    ss = st.session_state
    picked = ss.get(SWEEP_RUN, 0)  # settled against these runs by state_from_widgets
    st.selectbox("Run", range(len(runs)), index=picked, key=SWEEP_RUN, format_func=lambda i: names[i])
    hparams = [h.name for h in runs[picked].spec.hparams]
    name = ss.get("sweep.name")
    if name not in hparams:  # first drawn, or the run's optimizer has other hyperparameters
        name = "lr" if "lr" in hparams else hparams[0]
        if "sweep.name" in ss:
            ss["sweep.name"] = name
    c1, c2 = st.columns(2)
    c1.selectbox("Hyperparameter", hparams, index=hparams.index(name), key="sweep.name")
    c2.radio("Values", ["factors", "typed"], key="sweep.mode", format_func={"factors": "×⅓ ×1 ×3",
                                                                             "typed": "typed:"}.get,
             help=f"×⅓, ×1, ×3 of the run's value (of 1 − β for a decay rate β), or 2 to {decl.MAX_SWEEP_VALUES} "
             "values you type.")
    st.text_input("Values (comma-separated)", key="sweep.values", placeholder="0.001, 0.01, 0.1",
                  disabled=ss.get("sweep.mode", "factors") != "typed")
    st.button(":material/stacks: Sweep", key="sweep.go", on_click=on_sweep, type="primary", width="stretch")


# --- first run of a session: the link decides ----------------------------------------------------


def settle_session_state() -> None:
    """What the first run loaded becomes the session's settled state, as Streamlit does between two
    runs (the page's next rerun request would do it). Values set through st.session_state go to the
    page marked "set_value" on the run that set them and unmarked afterwards, so every widget of the
    first page would be sent again, changed, by the first change after a load (~20 KB, every widget
    re-rendered: 1.1 s against 0.85 s for later changes). Settled, they are drawn unmarked with
    their value as the default (see draw()), the same messages as on the next runs, which the page
    then holds. Streamlit's own step, reached through its state object; if another version moves
    it, the first change is slower again and nothing else changes (tests/app/test_app.py notices)."""
    try:
        from streamlit.runtime.state.session_state_proxy import get_session_state

        get_session_state().on_script_will_rerun(None)
    except (ImportError, AttributeError, TypeError):
        pass


if "initialised" not in st.session_state:
    link_query = st.query_params.to_dict()
    # A debug/benchmark flag, not part of the view: shows the server's time per run.
    st.session_state["debug"] = link_query.pop("debug", "") == "1" or os.environ.get("OPTVIZ_DEBUG") == "1"
    link_query = classroom_ui.expand_short_link(link_query)  # classroom (2/4): ?s=<code> is a short link
    lesson_key = link_query.pop("lesson", None)
    link_state = share.parse_query(link_query)
    load_values(link_state.values())
    st.session_state["link_notices"] = list(link_state.notices)
    st.session_state["link_state"] = link_state
    if lesson_key in LESSONS:  # the lesson's view; of the link's other view parameters only the display fields
        st.session_state["link_notices"] = []
        open_lesson(lesson_key)
        st.session_state["link_state"] = st.session_state["lesson_state"]
    elif lesson_key is not None:
        st.session_state["link_notices"].append(f"unknown lesson '{lesson_key[:24]}': showing the link's view")
    settle_run_picks()  # a link's inspect_run beyond its runs is off from the first page, and its link says so
    opened = replace(st.session_state.pop("link_state"), inspect_run=st.session_state.get(inspector_ui.RUN_KEY, 0))
    # What the notices need is only whether the view is still the link's: its hash (a class's sessions
    # each kept the whole view of a 24-run link otherwise).
    st.session_state["link_view"] = hash(replace(opened, camera=None))
    st.session_state["initialised"] = True
    settle_session_state()

ss = st.session_state
surface = SURFACES[ss["surface"]]
present.keep_settings(ss)  # the inspector's and presentation mode's settings, also while their widgets are not drawn
state = state_from_widgets()
run_names = runs_mod.labels(state.runs)
run_styles = plotting.run_styles([f"r{i}" for i in range(len(state.runs))], run_names,
                                 [r.optimizer for r in state.runs])


# --- sidebar ---------------------------------------------------------------------------------------

with st.sidebar:
    st.title("optviz")
    classroom_ui.sidebar(state, run_names)  # classroom (3/4): an exercise's locks, the teacher's panel
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

    st.subheader(f"Runs ({len(state.runs)} of at most {decl.MAX_RUNS})")
    if ss.get("runs_message"):
        st.warning(ss.pop("runs_message"), icon=":material/info:")
    for i, run in enumerate(state.runs):
        run_editor(i, run, run_styles[i], state.steps, expanded=len(state.runs) <= 2)
    # One control a line: side by side, the sidebar's width cut the optimizer's name and the buttons' labels.
    st.selectbox("Optimizer of a new run", list(OPTIMIZERS), key="add_optimizer",
                 format_func=lambda k: OPTIMIZERS[k].name)
    st.button(":material/add: Add run", key="add_run", on_click=on_add_run, width="stretch",
              disabled=len(state.runs) >= decl.MAX_RUNS)
    if state.runs:
        with st.expander(":material/stacks: Sweep a run's hyperparameter", key="sweep_panel"):
            sweep_controls(state.runs, run_names)
    st.number_input("One learning rate η for all", min_value=1e-5, max_value=1000.0, format="%g",
                    key="lr_for_all", value=ss.get("lr_for_all", 0.01), step=0.001)
    st.button("Apply to all runs", key="apply_lr_for_all", on_click=on_same_lr, width="stretch",
              disabled=not state.runs,
              help="Every run's η set to this value: the teaching material's comparison at one global rate.")


# --- main area --------------------------------------------------------------------------------------

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
                st.button("Open", key=f"lesson.{item.key}", on_click=open_lesson, args=(item.key,),
                          help=f"Opens the lesson's view (link: ?lesson={item.key}).")

if lesson is not None:
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
# classroom (4/4): a question before Play (the page waits for the answer), a goal's verdict, a board's counts
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

top = st.columns([3, 2, 3, 2])
# Each widget shows its session value (a link's, on a first page) as its default: see draw().
top[0].radio("View", share.VIEWS, index=share.VIEWS.index(state.view), key="view", format_func=share.VIEW_LABELS.get,
             horizontal=True)
top[1].radio("Contours", share.CONTOUR_STYLES, index=share.CONTOUR_STYLES.index(state.contour), key="contour",
             format_func=str.capitalize, horizontal=True, disabled=state.view == "3d")
top[2].segmented_control("Camera", list(plotting.CAMERA_PRESETS), key="camera_preset", on_change=on_camera_preset,
                         disabled=state.view == "contour")
top[3].radio("Presentation", list(present.PRESENT_LABELS), key="present", format_func=present.PRESENT_LABELS.get,
             index=decl.index_of(present.PRESENT_LABELS, ss.get("present")), horizontal=True,
             help=present.PRESENT_HELP)

uirevision = f"{surface.key}:{ss.get('camera_nonce', 0)}"
figure, encoded = trajectory_payload(surface.key, styled, state.start, state.steps, state.seed, state.view,
                                     state.contour, state.speed, ss.get("figure_camera"), uirevision, 640)
inspect_runs = [inspector_ui.InspectableRun(style.name, style.color, surface.key, run, tuple(state.start), state.steps,
                                            state.seed, casing=style.casing) for style, run in styled]
inspection, inspect_message = inspector_ui.current_inspection(inspect_runs)
arrows, arrows_key = inspector_ui.arrows_for(inspection, inspect_runs) if state.view != "3d" else ([], {})
figure, encoded, height = present.decorate(figure, encoded, state.present, arrows, encode_figure,
                                           show_step=None if inspection is None else inspection.k,
                                           extra_layout=arrows_key, extra_bottom=inspector_ui.KEY_BAND,
                                           above=present.LESSON_LINE if lesson is not None else 0)
# Presenting a step: the chart and the inspector's numbers side by side, on one screen (the chart
# wide enough to keep its cells side by side: figure.js NARROW).
beside = bool(state.present) and bool(ss.get(inspector_ui.RUN_KEY))
chart_area, panel_area = st.columns([2, 1]) if beside else (st.container(), st.container())
with chart_area:
    plotly_view(key="trajectory_view", height=height, on_camera=on_plot_event, on_click=on_plot_event, encoded=encoded)
with panel_area:
    inspector_ui.render_inspector(inspect_runs, inspection, inspect_message, state.view, compact=beside,
                                  height=present.numbers_height(state.present))

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


render_tools_panel(surface, [(run_names[i], run) for i, run in shown], state.start, state.steps, state.seed,
                   on_start=set_start, on_apply_lrs=lambda lrs, idx=tuple(i for i, _ in shown): apply_lrs(idx, lrs),
                   draw=draw, colors=[style.color for style, _ in styled],
                   on_set_hparams=lambda pos, values, idx=tuple(i for i, _ in shown): set_run_hparams(idx[pos], values))

st.markdown("#### Results")
shown_names = [style.name for style, _ in styled]
result_rows = results_rows(surface, list(zip(shown_names, shown_trajectories, strict=True)),
                           [data_url(style_svg(s.color, s.dash, s.symbol, s.casing)) for s, _ in styled])
st.container(key="results_table").dataframe(
    result_rows, hide_index=True, width="stretch",
    column_config={c: st.column_config.ImageColumn("", help=h, width=76) if c == RESULT_LINE
                   else st.column_config.TextColumn(c, help=h) for c, h in RESULTS_HELP.items()})

st.markdown("#### Share and export")
base = st.context.url or ""
link = f"{base}?{urlencode(query)}"
st.markdown(f"[:material/link: Share this view]({link}) — the link carries every setting, so it opens the same paths.")
st.code(link, language=None)
export_colors = [style.color for style, _ in styled]
e1, e2, e3, e4 = st.columns(4)
e1.download_button(
    "Animation (standalone HTML)", file_name=export_filename(shown_trajectories, "html"), mime="text/html",
    on_click="ignore", data=lambda: export_html(plotting.standalone_html(figure, surface.title), surface,
                                                shown_trajectories, shown_names, export_colors, link))
e2.download_button("Trajectories (CSV)", data=lambda: to_csv(shown_trajectories, shown_names),
                   file_name=export_filename(shown_trajectories, "csv"), mime="text/csv", on_click="ignore")
e3.download_button("Animation for slides (GIF)", file_name=export_filename(shown_trajectories, "gif"),
                   mime="image/gif", on_click="ignore",
                   data=lambda: animation_gif(surface, list(zip(shown_names, export_colors, shown_trajectories,
                                                                 strict=True))),
                   help="The contour view's animation, at most 60 frames, 480 px wide.")
e4.caption("PNG of a still frame: the camera icon in the chart's toolbar.")

st.markdown("#### Update rules")
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


st.session_state["render_ms"] = (time.perf_counter() - RUN_STARTED) * 1e3
if ss.get("debug"):
    st.caption(f"Computed and drawn on the server in {st.session_state['render_ms']:.0f} ms.")
