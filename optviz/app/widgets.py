"""A setting's widget, derived from its declaration (optviz/app/settings.py)."""

from __future__ import annotations

import functools

import streamlit as st

from . import classroom_ui
from . import settings as decl
from .figure_component import view_event


@functools.lru_cache(maxsize=1)
def _context(surface_key: str) -> decl.Context:
    return decl.Context.of(surface_key)


def draw(setting: decl.Setting, where=None, **callbacks) -> None:
    """The setting's widget, derived from its declaration."""
    ss = st.session_state
    where = where or st
    ctx = _context(ss["surface"])
    # A control an exercise link locks is drawn disabled.
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
