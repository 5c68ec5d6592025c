"""The runs in the sidebar: each run's editor, and adding, duplicating, removing, sweeping and one
learning rate for all, each a callback that replaces the view's runs."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace

import streamlit as st

from surfaces import SURFACES

from ..core import runs as runs_mod
from ..core.presets import preset_for
from ..core.registry import OPTIMIZERS
from ..core.runs import Run
from ..core.schedules import SCHEDULES
from ..plot import styles
from ..plot.sparkline import schedule_svg, style_svg
from . import inspector_ui, share
from . import settings as decl
from .run_picks import SWEEP_RUN, pick_position, state_from_widgets
from .share import ViewState
from .state import RUN_KEY, current_values, load_values, optimizers_now, recall
from .widgets import draw

SWEEP_FACTORS = (1 / 3, 1.0, 3.0)
# A run's widgets are drawn only while its editor is open; Streamlit keeps the value of a widget with
# persist_state="session" under its key while the widget is not drawn (a widget without it loses its
# value at the end of the first run that does not draw it), so the run's settings hold while its
# editor is closed, and session state writes to them (a sweep, one η for all, a lesson, a link) keep.
KEEP = {"persist_state": "session"}


def editor_key(index: int) -> str:
    """The session key of run `index`'s expander: True while its editor is open."""
    return f"run.{index}"


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
    # An open editor stays open with its run; a new run's editor opens as the view's size says.
    opened = {moved[i]: ss[editor_key(i)] for i in range(len(state.runs)) if editor_key(i) in ss and i in moved}
    for i in range(max(len(state.runs), len(new.runs))):
        if editor_key(i) in ss:
            del ss[editor_key(i)]
    for i, is_open in opened.items():
        if i < len(new.runs):
            ss[editor_key(i)] = is_open
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


def run_editor(index: int, run: Run, style: styles.PathStyle, steps: int, expanded: bool) -> None:
    """One run in the sidebar: its style, optimizer, label, hide switch, hyperparameters, gradient
    source, schedules (each with a small chart of its values), and duplicate / remove / sweep; its
    widgets only while the editor is open (`expanded`: open until the person closes it)."""
    ss = st.session_state
    is_open = bool(ss.get(editor_key(index), expanded))
    # The expander's id follows its title and its default, and the page draws an expander of a new id
    # afresh (a slider in it loses the keyboard's focus). So an open editor's title is one its own
    # sliders do not change (the run's name, which follows them, is the caption under it), and
    # the default is whether the editor is open now (a new id starts from it).
    title = (f"{run.spec.name} · run {index + 1}" if is_open
             else f"{':material/visibility_off: ' if run.hidden else ''}{style.name}")
    editor = st.expander(title, expanded=is_open, key=editor_key(index), on_change="rerun")
    if not editor.open:
        return
    surface = SURFACES[ss["surface"]]
    by_key = {s.key: s for s in decl.run_settings(index, run.optimizer, surface)}
    key = functools.partial(decl.run_key, index)
    with editor:
        # One control a line: side by side in the sidebar's width they were cut ("Gradient de", "H.").
        draw(by_key[key("opt")], on_change=on_run_optimizer_change, args=(index,), **KEEP)
        draw(by_key[key("hidden")], **KEEP)
        st.caption(style.name)  # the run's name as the legend says it (the title stays put while it changes)
        st.image(style_svg(style.color, style.dash, style.symbol, style.casing))
        st.text_input("Label", key=key("label"), max_chars=decl.MAX_LABEL_CHARS, placeholder=style.name,
                      value=ss.get(key("label")) or "", help=by_key[key("label")].help, **KEEP)
        for h in run.spec.hparams:
            draw(by_key[key(h.name)], **KEEP)
        draw(by_key[key("batch" if surface.has_data else "noise")], **KEEP)
        for name in decl.schedulable(run.optimizer):
            kind_setting = by_key[key(f"sched.{name}")]
            draw(kind_setting, on_change=on_schedule_kind_change, args=(index, name), **KEEP)
            schedule = run.schedule_dict.get(name)
            if schedule is None:
                continue
            chosen = {key(f"sched.{name}"): schedule.key}
            params = [s for s in by_key.values() if s.key.startswith(key(f"sched.{name}.")) and s.is_active(chosen)]
            cols = st.columns(len(params))
            for col, s in zip(cols, params, strict=True):
                draw(s, col, **KEEP)
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


def runs_panel(state, run_names, run_styles) -> None:
    """The sidebar's runs: an editor per run, a new run, the sweep, one learning rate for all."""
    ss = st.session_state

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
