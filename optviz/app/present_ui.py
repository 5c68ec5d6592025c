"""Presentation mode's strip: each shown run's η a click away while the sidebar is folded away."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from surfaces import SURFACES

from . import settings as decl
from .widgets import draw

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
