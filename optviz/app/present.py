"""Presentation mode and small-screen layout: CSS for the page and a bolder trajectory figure.

`present` (in the link `present=1` or `present=2`, a switch on the page) folds the sidebar away
(its widgets stay, hidden, so the view keeps every setting), hides Streamlit's header, trims the
page's padding and enlarges the text, and draws the trajectory view at a height that fills a
1280×720 (1) or 1920×1080 (2) screen under the title row, with larger fonts, lines and markers.
A server cannot know the screen's size, hence the two sizes to choose from rather than a guess.

`page_css(present)` also carries the rules for every mode: on narrow screens the results table
scrolls sideways instead of clipping columns.
"""

from __future__ import annotations

import copy

PRESENT_OFF, PRESENT_720, PRESENT_1080 = 0, 1, 2
PRESENT_LABELS = {PRESENT_OFF: "Off", PRESENT_720: "720p", PRESENT_1080: "1080p"}
# The trajectory view's height: what is left of the screen under the title row and the controls
# (measured in tests/browser/test_e2e.py: the whole view is above the fold).
FIGURE_HEIGHT = {PRESENT_OFF: 640, PRESENT_720: 540, PRESENT_1080: 880}
FONT_SCALE = {PRESENT_OFF: 1.0, PRESENT_720: 1.25, PRESENT_1080: 1.5}
LINE_SCALE = {PRESENT_OFF: 1.0, PRESENT_720: 1.6, PRESENT_1080: 2.0}

_ALWAYS = """
/* Narrow screens: the results table scrolls sideways rather than hiding columns. */
@media (max-width: 700px) {
  .st-key-results_table { overflow-x: auto; }
  .st-key-results_table > div { min-width: 560px; }
}
"""

_PRESENT = """
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header[data-testid="stHeader"], .st-key-lessons_panel { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { padding: 0.4rem 1.2rem 1rem 1.2rem !important;
  max-width: 100% !important; }
[data-testid="stMain"] { font-size: 1.2rem; }
[data-testid="stMain"] h3 { font-size: 1.7rem; padding: 0.1rem 0; }
[data-testid="stMain"] .stRadio label p, [data-testid="stMain"] .stSelectbox label p { font-size: 1.05rem; }
"""


def level(value) -> int:
    """The presentation level from a setting's value (anything not 1 or 2 is off)."""
    try:
        value = int(value or 0)
    except (TypeError, ValueError):
        return PRESENT_OFF
    return value if value in PRESENT_LABELS else PRESENT_OFF


def page_css(present: int) -> str:
    return "<style>" + _ALWAYS + (_PRESENT if level(present) else "") + "</style>"


def figure_height(present: int) -> int:
    return FIGURE_HEIGHT[level(present)]


# Presenting a step, the inspector's panel stands beside the chart: its numbers (rule and table)
# scroll in a box of this height under its controls, so that the panel ends where the chart does.
NUMBERS_HEIGHT = {PRESENT_OFF: None, PRESENT_720: 290, PRESENT_1080: 620}


def numbers_height(present: int) -> int | None:
    return NUMBERS_HEIGHT[level(present)]


def _scaled(value, factor: float):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value * factor
    if hasattr(value, "__mul__") and hasattr(value, "dtype"):  # a numpy array of sizes
        return value * factor
    if isinstance(value, list) and all(isinstance(v, (int, float)) for v in value):
        return [v * factor for v in value]
    return value


def _scaled_dash(dash: str, factor: float) -> str:
    """'9px,3px' -> each length times `factor`: a dash pattern as wide lines show it."""
    try:
        return ",".join(f"{float(part.strip().removesuffix('px')) * factor:g}px" for part in dash.split(","))
    except ValueError:
        return dash


def presentation_figure(figure: dict, present: int) -> dict:
    """A copy of the trajectory figure for the screen: larger fonts, wider lines, larger markers.
    The data arrays are shared with the original (only sizes and widths are replaced)."""
    lvl = level(present)
    if lvl == PRESENT_OFF:
        return figure
    font, line = FONT_SCALE[lvl], LINE_SCALE[lvl]
    out = {**figure, "layout": copy.deepcopy(figure["layout"])}
    layout = out["layout"]
    layout["height"] = figure_height(lvl)
    layout["font"] = {**layout.get("font", {}), "size": round(layout.get("font", {}).get("size", 12) * font)}
    data = []
    for trace in figure["data"]:
        if trace.get("type") not in ("scatter", "scatter3d"):
            data.append(trace)
            continue
        trace = dict(trace)
        if isinstance(trace.get("line"), dict) and "width" in trace["line"]:
            trace["line"] = {**trace["line"], "width": _scaled(trace["line"]["width"], line)}
            if "px" in str(trace["line"].get("dash", "")):  # explicit lengths (a path and its casing) grow too
                trace["line"]["dash"] = _scaled_dash(trace["line"]["dash"], line)
        if isinstance(trace.get("marker"), dict) and "size" in trace["marker"]:
            trace["marker"] = {**trace["marker"], "size": _scaled(trace["marker"]["size"], font)}
        data.append(trace)
    out["data"] = data
    return out


PRESENT_HELP = ("For a projector or a big screen: the sidebar folds away (the link keeps every setting), the "
                "trajectory view fills a 1280×720 or 1920×1080 screen with larger fonts, lines and markers.")
SETTING_KEYS = ("present", "inspect_run", "inspect_step")


def keep_settings(session_state) -> None:
    """Session state keeps a widget's value only while the widget is drawn: the settings of
    presentation mode and the inspector get their default (0) back when theirs is not."""
    for key in SETTING_KEYS:
        if session_state.get(key) is None:
            session_state[key] = 0


# The toolbar keeps three buttons (a PNG, reset the axes, reset the 3-D camera): the full bar is
# 312 px wide and covered the legend on tablets and phones, and Tab walked through 28 buttons.
MODEBAR_BUTTONS = [["toImage", "resetScale2d", "resetCameraDefault3d"]]


LESSON_LINE = 56  # px: a lesson's line above the chart in presentation mode, which the chart gives up


def decorate(figure: dict, encoded, present: int, extra_traces: list[dict], encode, show_step: int | None = None,
             extra_layout: dict | None = None, extra_bottom: int = 0, above: int = 0):
    """The trajectory figure as shown: toolbar trimmed, the inspector's traces and, in presentation
    mode, larger (the HTML Play/Pause and step slider under the plot follow its font size).
    `extra_layout` (the inspector's key, a legend under the plot) joins the layout, with `extra_bottom`
    px more margin under the plot for it. `above`: px of the screen that a line above the chart takes
    in presentation mode (LESSON_LINE), taken from the chart's height. `show_step`: the step the view
    opens at (the inspected one; None: the last), as the animation's "show" (optviz/web/figure.js
    setControlsFigure). Returns (figure, encoded, height); `encode` is
    the view component's `encode_figure`, which sends each trace to the page once, by its content."""
    lvl = level(present)
    shown = {**figure, "data": list(figure["data"]) + list(extra_traces),
             "layout": copy.deepcopy(figure["layout"]),
             "config": {**figure.get("config", {}), "modeBarButtons": MODEBAR_BUTTONS}}
    if extra_layout:
        shown["layout"].update(extra_layout)
        margin = shown["layout"].setdefault("margin", {})
        margin["b"] = margin.get("b", 0) + extra_bottom
    if show_step is not None and "animation" in figure:
        shown["animation"] = {**figure["animation"], "show": int(show_step)}
    shown = presentation_figure(shown, lvl)
    height = figure_height(lvl) - (above if lvl else 0)
    if lvl:
        shown["layout"]["height"] = height
    return shown, encode(shown), height
