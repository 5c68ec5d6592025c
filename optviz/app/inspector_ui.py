r"""The step inspector's panel: pick a run and a step k, see why it moved.

The numbers come from `optviz.inspector.inspect` (the core); this module only draws them:

- `arrow_traces(inspection, color, domain)` gives plotly trace dicts for the contour view (x/y
  axes): each named part of the update as an arrow tip to tail from θ_k (so the last ends where the
  update taken ends), the update taken (thick), the plain gradient step −η g (dotted, from where the
  gradient was taken), Nesterov's look-ahead point, and for the adaptive rules a box centred on θ_k
  whose half-sides are the per-axis effective step size η/(√v̂+ε). All of it is magnified about θ_k
  by `arrow_scale` (1, 2, 5, 10, ...: a step's arrow is often a few pixels long), which the chart's
  key and the panel state; θ_{k+1} itself is marked unmagnified. Each arrow is a legend entry (the
  key to the styles) over a casing of the other of black and white than its path's. The app
  appends them to the trajectory figure's data: static traces, the animation never touches them.
- `render_inspector(runs, inspection)` draws the controls (run, step slider, step back/forward)
  and, beside them, the rule with this step's numbers (st.latex, laid out by `explain.layout`: one
  side of an equation a row, so that it fits the column) and the state table (words, the symbols
  in their own column). In presentation mode it is compact, beside the chart.

Where the picture could lie, it does not draw: a part whose vector is not finite (the step that
diverged) is left out and the panel says so; the numbers are the inspection's, and the only change
to what is drawn is the one stated factor.

The run and step live in the link (`inspect_run`, `inspect_step`, declared in
`optviz/app/ui_settings.py`); run 0 means the inspector is off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import streamlit as st

from surfaces import SURFACES

from ..analysis.inspector import StepInspection, inspect, inspectable_steps
from ..core import explain as ex
from ..core import limits
from ..core.engine import Trajectory
from .settings import index_of

RUN_KEY, STEP_KEY = "inspect_run", "inspect_step"
OFF = "— off —"  # the run picker's first option
# How each kind of arrow is drawn (all in the run's colour, over a casing): the update taken solid
# and thick, the plain gradient step dotted, momentum dashed, the other parts dash-dotted. The key
# (the chart's legend) and the panel's help say the same.
ARROW_DASH = {"update": "solid", "gradient_step": "dot", "momentum": "dash", "velocity": "dash", "look_ahead": "dash"}
ARROW_WIDTH = {"update": 5.0}
PART_WIDTH = 3.5
CASING_EXTRA = 3.0  # px of casing around an arrow (half on each side)
# An arrow of one step is often a few pixels long. The arrows (and the effective-step box with them)
# are drawn magnified about θ_k, by the smallest of 1, 2, 5, 10, 20, ... that makes the longest arrow
# at least this fraction of the axes' span; the chart's key and the panel state the factor.
MIN_ARROW_SPAN = 0.15
# Where a row of the rule is still wider than the column (a phone), it scrolls instead of being cut.
RULE_CSS = ("<style>.st-key-inspector_panel .katex-display { overflow-x: auto; overflow-y: hidden; "
            "padding-bottom: 2px; }</style>")


@dataclass(frozen=True)
class InspectableRun:
    """One shown run of the view as the inspector needs it: its label and colour, and what its
    trajectory is computed from (surface, `optviz.runs.Run`, the shared start, steps and seed)."""

    label: str
    color: str
    surface: str
    run: object  # optviz.runs.Run (hashable)
    start: tuple
    steps: int
    seed: int
    casing: str = ""  # the casing beneath the run's path (optviz.plot.styles.Style.casing)

    @property
    def key(self) -> str:
        return repr((self.surface, self.run, self.start, self.steps, self.seed))


@st.cache_data(max_entries=limits.CACHE_RUNS, show_spinner=False)
def _recorded(key: str, _run: InspectableRun) -> Trajectory:
    r = _run
    return r.run.simulate(r.surface, r.start, r.steps, r.seed, record_state=True)


def recorded_run(run: InspectableRun) -> Trajectory:
    """The run again with every step's state recorded (the path is the same as without)."""
    return _recorded(run.key, run)


def _finite(*vectors) -> bool:
    return all(np.all(np.isfinite(np.asarray(v, dtype=float))) for v in vectors)


def _xy(v) -> str:
    a, b = np.asarray(v, dtype=float).reshape(2)
    return f"({ex.text(a)}, {ex.text(b)})"


def arrow_scale(insp: StepInspection, domain) -> float:
    """The factor the arrows are drawn at (see MIN_ARROW_SPAN); 1 when the longest already reaches
    it, when nothing finite is drawn, or when there is no domain to measure against."""
    if domain is None:
        return 1.0
    (x0, x1), (y0, y1) = domain
    span = np.array([x1 - x0, y1 - y0], dtype=float)
    vectors = [a.end - a.start for a in insp.arrows() if _finite(a.start, a.end)]
    longest = max((float(np.hypot(*(v / span))) for v in vectors), default=0.0)
    if not longest > 0 or longest >= MIN_ARROW_SPAN:
        return 1.0
    need, decade = MIN_ARROW_SPAN / longest, 1.0
    while True:
        for m in (1, 2, 5):
            if m * decade >= need:
                return m * decade
        decade *= 10


KEY_LEGEND = "legend2"
KEY_BAND = 76  # px under the plot for the key: the contour's x axis title, then up to two rows of entries


def key_layout(insp: StepInspection | None, domain) -> dict:
    """The layout entries of the arrows' key: a horizontal legend under the plot whose title states
    the scale; {} when nothing is inspected."""
    if insp is None:
        return {}
    # traceorder "normal": one legend group would be a column; the entries go in rows instead.
    return {KEY_LEGEND: {"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "bottom",
                         "yref": "container", "itemclick": False, "itemdoubleclick": False, "traceorder": "normal",
                         "title": {"text": f"Step k = {insp.k}, arrows ×{arrow_scale(insp, domain):g}:",
                                   "side": "left"}}}


def arrow_casing(path_casing: str) -> str:
    """The casing beneath an arrow: the other of black and white than its run's path's casing, so
    that an arrow drawn over its own path does not melt into it."""
    from ..plot.styles import CASING_DARK, CASING_LIGHT

    return CASING_LIGHT if path_casing.lower() == CASING_DARK else CASING_DARK


def arrow_traces(insp: StepInspection, color: str, domain=None, path_casing: str = "") -> list[dict]:
    """The inspection drawn on the contour view: plotly scatter dicts on axes x/y, finite numbers only,
    magnified about θ_k by `arrow_scale(insp, domain)` (the plot's axes' ranges; None: as they are).
    Each arrow is a legend entry (the key: its style and what it is), over a casing that stands out
    from the run's path's casing (`path_casing`, by default the one `color` gets)."""
    from ..plot.styles import Style
    from ..plot.trajectory import CASING, dash_px

    path_casing = path_casing or Style(color).casing

    scale = arrow_scale(insp, domain)
    theta = np.asarray(insp.theta, dtype=float)

    def at(p):  # a point of the picture, magnified about θ_k
        return theta + scale * (np.asarray(p, dtype=float) - theta)

    drawn = "" if scale == 1 else f" (drawn ×{scale:g})"
    casing_color = arrow_casing(path_casing)
    traces: list[dict] = []
    # The key is a legend of its own under the plot (KEY_LEGEND, `key_layout`), apart from the runs'.
    common = {"type": "scatter", "xaxis": "x", "yaxis": "y", "legendgroup": "inspector", "cliponaxis": True,
              "legend": KEY_LEGEND}
    if insp.effective_step is not None and _finite(insp.effective_step, insp.theta):
        (cx, cy), (hx, hy) = insp.theta, scale * np.abs(insp.effective_step)
        traces.append({
            **common, "mode": "lines", "name": "effective step η/(√v̂+ε) per axis (box)",
            "x": [cx - hx, cx + hx, cx + hx, cx - hx, cx - hx], "y": [cy - hy, cy - hy, cy + hy, cy + hy, cy - hy],
            "line": {"color": color, "width": 2, "dash": "longdash"}, "fill": "toself", "opacity": 0.25,
            "showlegend": True, "hovertemplate": (f"effective step per axis: {_xy(insp.effective_step)}{drawn}"
                                                 "<extra></extra>"),
        })
    for arrow in insp.arrows():
        if not _finite(arrow.start, arrow.end):
            continue
        vector = arrow.end - arrow.start
        (x0, y0), (x1, y1) = at(arrow.start), at(arrow.end)
        width = ARROW_WIDTH.get(arrow.name, PART_WIDTH)
        dash = dash_px(ARROW_DASH.get(arrow.name, "dashdot"), width)
        line = {"mode": "lines+markers", "name": arrow.label, "x": [x0, x1], "y": [y0, y1]}
        # The head: an arrow marker at the tip, pointing along the segment (none at the tail).
        traces.append({
            **common, **line, "meta": CASING, "showlegend": False, "hoverinfo": "skip",
            "line": {"color": casing_color, "width": width + CASING_EXTRA, "dash": dash},
            "marker": {"symbol": "arrow", "angleref": "previous", "size": [0, 17 + CASING_EXTRA],
                       "color": casing_color},
        })
        traces.append({
            **common, **line, "showlegend": True,
            "line": {"color": color, "width": width, "dash": dash},
            "marker": {"symbol": "arrow", "angleref": "previous", "size": [0, 17], "color": color,
                       "line": {"color": casing_color, "width": 1}},
            "hovertemplate": f"<b>{arrow.label}</b><br>step k = {insp.k}<br>vector {_xy(vector)}{drawn}<extra></extra>",
        })
    look_ahead = insp.points.get("look_ahead")
    if look_ahead is not None and _finite(look_ahead):
        (lx, ly) = at(look_ahead)
        traces.append({
            **common, "mode": "markers", "name": "look-ahead point", "x": [float(lx)], "y": [float(ly)],
            "showlegend": True,
            "marker": {"symbol": "x-thin-open", "size": 14, "color": color, "line": {"color": color, "width": 3}},
            "hovertemplate": f"<b>look-ahead point</b> {_xy(look_ahead)}{drawn}<extra></extra>",
        })
    if _finite(insp.theta):
        traces.append({
            **common, "mode": "markers", "name": f"θ_{insp.k}", "x": [float(insp.theta[0])],
            "y": [float(insp.theta[1])], "showlegend": False,
            "marker": {"symbol": "circle-open", "size": 16, "color": color, "line": {"color": color, "width": 3}},
            "hovertemplate": f"<b>θ_{insp.k}</b> {_xy(insp.theta)}<extra></extra>",
        })
    if _finite(insp.theta_next):  # where the step landed, never magnified
        traces.append({
            **common, "mode": "markers", "name": f"θ_{insp.k + 1}, where the step landed",
            "x": [float(insp.theta_next[0])], "y": [float(insp.theta_next[1])], "showlegend": scale != 1,
            "marker": {"symbol": "diamond-open", "size": 12, "color": color,
                       "line": {"color": color, "width": 2.5}},
            "hovertemplate": f"<b>θ_{insp.k + 1}</b> {_xy(insp.theta_next)}<extra></extra>",
        })
    return traces


def table_rows(insp: StepInspection) -> list[tuple[str, str, str]]:
    """(LaTeX symbol, what it is, value) rows: the point, gradient and update, then the rule's state
    (exactly `insp.state`), then each part and the effective step, all at 4 significant digits."""
    rows = [(r"\theta_k", f"position at step k = {insp.k}", _xy(insp.theta)),
            (r"g", "gradient used", _xy(insp.grad))]
    rows += [(row.latex, row.label, row.text) for row in insp.state]
    rows += [(p.latex, p.label, _xy(p.vector)) for p in insp.parts]
    rows.append((r"\Delta\theta", "update taken", _xy(insp.update)))
    if insp.effective_step is not None:
        rows.append((insp.effective_step_latex or r"\eta_{\text{eff}}", "effective step per axis",
                     _xy(insp.effective_step)))
    return rows


def _markdown_table(rows: Sequence[tuple[str, str, str]]) -> str:
    lines = ["| | | value |", "|---|---|---|"]
    for symbol, label, value in rows:
        # A '|' would end the cell: |g| in a label is written \|, in LaTeX \vert.
        symbol, label = symbol.replace("|", r"\vert "), label.replace("|", r"\|")
        lines.append(f"| ${symbol}$ | {label} | `{value}` |")
    return "\n".join(lines)


def _clamp_step(runs: Sequence[InspectableRun]) -> tuple[int, range | None]:
    """The chosen run (0: off) and its inspectable steps; the step in session state kept inside them."""
    ss = st.session_state
    n = int(ss.get(RUN_KEY) or 0)
    if not 0 <= n <= len(runs):
        n = 0
        ss[RUN_KEY] = 0
    if n == 0:
        return 0, None
    valid = inspectable_steps(recorded_run(runs[n - 1]))
    if len(valid):
        step = int(min(max(int(ss.get(STEP_KEY) or 0), 0), valid.stop - 1))
        if ss.get(STEP_KEY) != step:  # a write would force the slider's value on the page every run
            ss[STEP_KEY] = step
    return n, valid


def current_inspection(runs: Sequence[InspectableRun]) -> tuple[StepInspection | None, str | None]:
    """The inspection the session asks for (or None), and a message when there is none to show."""
    n, valid = _clamp_step(runs)
    if n == 0:
        return None, None
    if not valid:
        return None, "This run has no step to inspect (it diverged at its first step or has no steps)."
    run = runs[n - 1]
    return inspect(recorded_run(run), int(st.session_state[STEP_KEY])), None


def _shift(delta: int, last: int) -> None:
    ss = st.session_state
    ss[STEP_KEY] = int(min(max(int(ss.get(STEP_KEY) or 0) + delta, 0), last))


KEY_HELP = ("Drawn at θ_k, in the run's colour over a casing: the update taken (solid, thick), its parts tip to "
            "tail (momentum dashed, the others dash-dotted), the plain gradient step −η∇f (dotted), Nesterov's "
            "look-ahead point (×), where the step landed (◇) and, for adaptive methods, a box whose half-sides are "
            "the effective step size per axis.")


def render_inspector(runs: Sequence[InspectableRun], insp: StepInspection | None, message: str | None,
                     view: str, compact: bool = False, height: int | None = None) -> None:
    """The panel: run picker, step slider and buttons on the left, the rule with numbers and the
    state table on the right. `compact` (presentation mode, beside the chart): one above the other,
    the numbers in a box of `height` px that scrolls, so that chart and numbers share one screen."""
    ss = st.session_state
    options = list(range(len(runs) + 1))
    labels = {0: OFF, **{i + 1: r.label for i, r in enumerate(runs)}}
    with st.container(border=True, key="inspector_panel"):
        if compact:
            left = st.container()
            right = st.container(height=height, border=False, key="inspector_numbers") if height else st.container()
        else:
            left, right = st.columns([2, 3])
            left.markdown("#### :material/search: Why did it move?")
        # Each widget shows its session value (a link's, on a first page) as its default, as the
        # app's draw() does: the first page's values are not forced (session.settle_session_state).
        left.selectbox("Inspect a step of" if not compact else ":material/search: Why did it move? Inspect a step of",
                       options, key=RUN_KEY, format_func=labels.get, index=index_of(options, ss.get(RUN_KEY, 0)),
                       help=KEY_HELP)
        if ss.get(RUN_KEY, 0) == 0:
            left.caption("Pick a run to see one step's gradient, momentum and update as arrows on the contour "
                         "view, with the update rule's numbers.")
            return
        run = runs[int(ss[RUN_KEY]) - 1]
        valid = inspectable_steps(recorded_run(run))
        if message or insp is None:
            left.info(message or "Nothing to inspect.")
            return
        last = valid.stop - 1
        if last > 0:
            left.slider("Step k (the update from θ_k to θ_k+1)", 0, last, key=STEP_KEY,
                        value=min(max(insp.k, 0), last))
        b1, b2 = left.columns(2)
        b1.button(":material/chevron_left: step back", key="inspect_back", on_click=_shift, args=(-1, last),
                  disabled=insp.k <= 0, width="stretch")
        b2.button("step forward :material/chevron_right:", key="inspect_forward", on_click=_shift, args=(1, last),
                  disabled=insp.k >= last, width="stretch")
        scale = arrow_scale(insp, SURFACES[run.surface].domain)
        with right if compact else left:
            st.markdown(f"<span style='color:{run.color}'>●</span> **{run.label}**, step k = {insp.k} "
                        f"(t = {insp.t} in the rule)", unsafe_allow_html=True)
            if view == "3d":
                st.caption("The arrows are drawn on the contour view: choose '3-D + contour' or 'Contour only'.")
            elif scale != 1:
                st.caption(f"The arrows are drawn ×{scale:g} around θ_k, to be seen; the numbers are the "
                           f"step's own. ◇ marks θ_k+1, where the step landed.")
            else:
                st.caption("The arrows are drawn to scale (×1).")
            if insp.effective_step is not None:
                st.markdown(f"Effective step per axis ${insp.effective_step_latex}$ = `{_xy(insp.effective_step)}`"
                            + (f", times ${insp.applies_to}$" if insp.applies_to else ""))
        with right:
            st.latex(ex.layout(insp.lines))  # one side of an equation a row: nothing cut in a narrow column
            st.html(RULE_CSS)
            st.markdown(_markdown_table(table_rows(insp)))
            for note in insp.notes:
                st.caption(note)
            if not _finite(insp.update):
                st.warning("This step's update is not a finite number: the run diverged here, so its arrows "
                           "are not drawn.", icon=":material/warning:")


def arrows_for(insp: StepInspection | None, runs: Sequence[InspectableRun]) -> tuple[list[dict], dict]:
    """The traces to add to the trajectory view for the session's inspection, and the layout of their
    key (none when off)."""
    n = int(st.session_state.get(RUN_KEY) or 0)
    if insp is None or not 1 <= n <= len(runs):
        return [], {}
    run = runs[n - 1]
    domain = SURFACES[run.surface].domain
    return arrow_traces(insp, run.color, domain, run.casing), key_layout(insp, domain)
