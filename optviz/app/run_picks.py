"""The panels that pick one of the view's runs (the sweep's box, the inspector's), kept on the run
they stand for while runs come and go, and the view read from the widgets once they are settled."""

from __future__ import annotations

import streamlit as st

from surfaces import SURFACES

from ..core import runs as runs_mod
from . import inspector_ui, share
from .share import ViewState
from .state import current_values

# The panels that pick one of the view's runs keep a position: the sweep's box in the view's runs,
# the inspector's (inspector_ui.RUN_KEY) 1 + a position in the shown runs, 0 off. A select box
# travels between page and server as the label it shows, and the page keeps the label it last
# showed until the server sets the box: after a sweep, a removal or a changed η had changed the
# labels, it sent a label that named no run (Streamlit then hands back that text: the traceback
# of "Sweep twice") or another run. So every reading of the view first settles each pick against
# the runs as they are (`settle_run_picks`, in `state_from_widgets`: before any widget exists), and
# `set_runs` moves each pick with its run.
SWEEP_RUN = "sweep.run"


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


def settle_run_picks(values: dict[str, object] | None = None) -> None:
    """Each pick made the position of the run it stood for when last drawn (a run hidden before the
    inspected one moves it), or its first option; and written back, so that the page shows it,
    whenever the label the page holds is no longer that option's. `values`: the view's current
    values (read here when None), whose picks follow."""
    ss = st.session_state
    values = current_values() if values is None else values
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
                if key in values:
                    values[key] = now
        drawn[key] = (options, runs_at)


def state_from_widgets() -> ViewState:
    values = current_values()  # once a rerun: it reads every setting of every run
    settle_run_picks(values)
    return ViewState.from_values(values)
