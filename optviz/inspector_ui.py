r"""The step inspector's panel: pick a run and a step k, see why it moved.

The numbers come from `optviz.inspector.inspect` (the core); this module only draws them:

- `arrow_traces(inspection, color)` gives plotly trace dicts for the contour view (x/y axes): each
  named part of the update as an arrow tip to tail from θ_k (so the last ends at θ_{k+1}), the
  update taken (thick), the plain gradient step −η g (dotted, from where the gradient was taken),
  Nesterov's look-ahead point, and for the adaptive rules a box centred on θ_k whose half-sides
  are the per-axis effective step size η/(√v̂+ε) (numbers in the panel). The app appends them to
  the trajectory figure's data: they are static traces, the animation never touches them.
- `render_inspector(runs, inspection)` draws the controls (run, step slider, step back/forward)
  and, beside them, the rule with this step's numbers (st.latex, laid out by `explain.layout`: one
  side of an equation a row, so that it fits the column) and the state table.

Where the picture could lie, it does not draw: a part whose vector is not finite (the step that
diverged) is left out and the panel says so; everything drawn is exactly the inspection's numbers.

The run and step live in the link (`inspect_run`, `inspect_step`, declared in
`optviz/ui_settings.py`); run 0 means the inspector is off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import streamlit as st

from . import explain as ex
from . import limits
from .engine import Trajectory
from .inspector import StepInspection, inspect, inspectable_steps
from .settings import index_of

RUN_KEY, STEP_KEY = "inspect_run", "inspect_step"
OFF = "— off —"  # the run picker's first option
# How each kind of arrow is drawn (all in the run's colour): the update taken solid and thick,
# the gradient step dotted, the parts dashed (momentum) or dash-dotted (the others).
ARROW_DASH = {"update": "solid", "gradient_step": "dot", "momentum": "dash", "velocity": "dash"}
ARROW_WIDTH = {"update": 4.5}
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


def arrow_traces(insp: StepInspection, color: str) -> list[dict]:
    """The inspection drawn on the contour view: plotly scatter dicts on axes x/y, finite numbers only."""
    traces: list[dict] = []
    common = {"type": "scatter", "xaxis": "x", "yaxis": "y", "legendgroup": "inspector", "cliponaxis": True}
    if insp.effective_step is not None and _finite(insp.effective_step, insp.theta):
        (cx, cy), (hx, hy) = insp.theta, np.abs(insp.effective_step)
        traces.append({
            **common, "mode": "lines", "name": "effective step η/(√v̂+ε) per axis",
            "x": [cx - hx, cx + hx, cx + hx, cx - hx, cx - hx], "y": [cy - hy, cy - hy, cy + hy, cy + hy, cy - hy],
            "line": {"color": color, "width": 2, "dash": "longdash"}, "fill": "toself", "opacity": 0.35,
            "showlegend": False, "hovertemplate": (f"effective step per axis: {_xy(insp.effective_step)}"
                                                  "<extra></extra>"),
        })
    for arrow in insp.arrows():
        if not _finite(arrow.start, arrow.end):
            continue
        vector = arrow.end - arrow.start
        (x0, y0), (x1, y1) = arrow.start, arrow.end
        traces.append({
            **common, "mode": "lines+markers", "name": arrow.label, "x": [x0, x1], "y": [y0, y1],
            "line": {"color": color, "width": ARROW_WIDTH.get(arrow.name, 2.5),
                     "dash": ARROW_DASH.get(arrow.name, "dashdot")},
            # The head: an arrow marker at the tip, pointing along the segment (none at the tail).
            "marker": {"symbol": "arrow", "angleref": "previous", "size": [0, 15], "color": color,
                       "line": {"color": "black", "width": 1}},
            "showlegend": False,
            "hovertemplate": f"<b>{arrow.label}</b><br>step k = {insp.k}<br>vector {_xy(vector)}<extra></extra>",
        })
    look_ahead = insp.points.get("look_ahead")
    if look_ahead is not None and _finite(look_ahead):
        traces.append({
            **common, "mode": "markers", "name": "look-ahead point", "x": [float(look_ahead[0])],
            "y": [float(look_ahead[1])], "showlegend": False,
            "marker": {"symbol": "x-thin-open", "size": 14, "color": color, "line": {"color": color, "width": 3}},
            "hovertemplate": f"<b>look-ahead point</b> {_xy(look_ahead)}<extra></extra>",
        })
    if _finite(insp.theta):
        traces.append({
            **common, "mode": "markers", "name": f"θ_{insp.k}", "x": [float(insp.theta[0])],
            "y": [float(insp.theta[1])], "showlegend": False,
            "marker": {"symbol": "circle-open", "size": 16, "color": color, "line": {"color": color, "width": 3}},
            "hovertemplate": f"<b>θ_{insp.k}</b> {_xy(insp.theta)}<extra></extra>",
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


def render_inspector(runs: Sequence[InspectableRun], insp: StepInspection | None, message: str | None,
                     view: str) -> None:
    """The panel: run picker, step slider and buttons on the left, the rule with numbers and the
    state table on the right."""
    ss = st.session_state
    options = list(range(len(runs) + 1))
    labels = {0: OFF, **{i + 1: r.label for i, r in enumerate(runs)}}
    with st.container(border=True, key="inspector_panel"):
        left, right = st.columns([2, 3])
        left.markdown("#### :material/search: Why did it move?")
        # Each widget shows its session value (a link's, on a first page) as its default, as the
        # app's draw() does: the first page's values are not forced (app.settle_session_state).
        left.selectbox("Inspect a step of", options, key=RUN_KEY, format_func=labels.get,
                       index=index_of(options, ss.get(RUN_KEY, 0)),
                       help="Draws at θ_k, in the run's colour: the update taken (solid), its parts tip to tail "
                            "(momentum dashed, others dash-dotted), the plain gradient step −η∇f (dotted), "
                            "Nesterov's look-ahead point (×) and, for adaptive methods, a box whose half-sides "
                            "are the effective step size per axis.")
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
        left.markdown(f"<span style='color:{run.color}'>●</span> **{run.label}**, step k = {insp.k} "
                      f"(t = {insp.t} in the rule)", unsafe_allow_html=True)
        if view == "3d":
            left.caption("The arrows are drawn on the contour view: choose '3-D + contour' or 'Contour only'.")
        if insp.effective_step is not None:
            left.markdown(f"Effective step per axis ${insp.effective_step_latex}$ = `{_xy(insp.effective_step)}`"
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


def arrows_for(insp: StepInspection | None, runs: Sequence[InspectableRun]) -> list[dict]:
    """The traces to add to the trajectory view for the session's inspection (none when off)."""
    if insp is None:
        return []
    n = int(st.session_state.get(RUN_KEY) or 0)
    return arrow_traces(insp, runs[n - 1].color) if 1 <= n <= len(runs) else []
