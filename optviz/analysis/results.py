"""The results table under the charts: one row of words and numbers per run. Pure: no Streamlit, no
plotly; the app shows `results_rows(...)` as its table and `RESULTS_HELP` as the columns' help.

Decisions: a run that diverged shows the loss at its last computed step, marked "(at step k)" (the
frozen tail is not computed data), and no distance or minimum; a run that escaped the plot of a surface unbounded
below shows its final loss (marked the same way if the engine froze it far out) and no minimum.
The distance column appears only on surfaces with a known minimum, the minimum column only on
surfaces with several.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from surfaces import Surface

from ..core.engine import (
    CONVERGED,
    CONVERGENCE_RULE,
    CYCLE_RULE,
    CYCLES,
    DIVERGED,
    ESCAPED,
    INSIDE_AT_THE_END,
    Trajectory,
)

LINE = "line"
RUN = "run"
FINAL_LOSS = "final loss"
DISTANCE = "distance to nearest minimum"
OUTCOME = "outcome"
MINIMUM = "minimum reached"
COLUMNS = (LINE, RUN, FINAL_LOSS, DISTANCE, OUTCOME, MINIMUM)

RESULTS_HELP: dict[str, str] = {
    LINE: "The run's line as the legend and every chart draw it: its colour over its casing, its dash and its marker.",
    RUN: "The run: its optimizer and settings, in the colour of its path.",
    FINAL_LOSS: "The loss at the last step; a run that diverged, or was stopped far outside the plot, shows "
    'the loss at its last computed step, marked "(at step k)".',
    DISTANCE: "How far the last point lies from the nearest known minimum (blank for a run that diverged).",
    OUTCOME: CONVERGENCE_RULE[:-1] + "; a run within the tolerance at the last step but not for that long "
    'is "inside the tolerance at the end", one outside it "not yet", one whose values blew up has '
    '"diverged", one that left the plot of a surface without a lowest point has "escaped"; '
    + CYCLE_RULE[0].lower() + CYCLE_RULE[1:],
    MINIMUM: "Which of the surface's minima the run converged to or is inside the tolerance of at the end "
    "(blank for a run that diverged or escaped).",
}
"""One sentence per column; the convergence rule is stated once, in the outcome's help."""


def _number(value: float, spec: str = ".4g") -> str:
    text = format(value, spec)
    return "0" if text in ("-0", "-0.0") else text


def _point(x: float, y: float) -> str:
    return f"({_number(x, '.3g')}, {_number(y, '.3g')})"


def outcome_words(t: Trajectory, surface: Surface | None = None) -> str:
    """The outcome of a single-start run in words, with the step it happened at. A run still inside
    the plot of a surface unbounded below (given `surface`) is "still inside the plot"."""
    s = t.summary()
    outcome = s["outcome"]
    if outcome == CONVERGED:
        return f"converged at step {s['converged_at']}"
    if outcome == INSIDE_AT_THE_END:
        return f"inside the tolerance at the end (from step {int(t.inside_since)}), not yet for {t.min_stay} steps"
    if outcome == DIVERGED:
        return f"diverged at step {s['diverged_at']}"
    if outcome == ESCAPED:
        return f"escaped the plot at step {s['escaped_at']}"
    if outcome == CYCLES:
        return CYCLES
    if surface is not None and surface.f_min is None:
        return "not yet: still inside the plot"
    return "not yet"


def _final_loss(t: Trajectory) -> str:
    if not math.isfinite(float(t.final_loss)):  # f overflowed (or has no value) where the run was held
        where = "the start" if int(t.diverged_at) <= 0 else f"step {int(t.diverged_at) - 1}"
        return f"overflowed: f is not a finite number at {where}"
    loss = _number(float(t.final_loss))
    if bool(t.diverged):  # frozen: the last computed point is the one before diverged_at
        return f"{loss} (at step {int(t.diverged_at) - 1})"
    return loss


def _minimum(surface: Surface, t: Trajectory) -> str:
    if t.outcome in (DIVERGED, ESCAPED):
        return ""
    m = surface.minima[int(t.nearest_minimum)]
    name = f"{_point(m.x, m.y)} {'global' if m.is_global else 'local'}"
    if t.outcome == CYCLES:  # it will not arrive: "yet" would promise it
        return f"none (nearest {name})"
    return name if t.outcome in (CONVERGED, INSIDE_AT_THE_END) else f"none yet (nearest {name})"


def results_rows(surface: Surface, runs: Sequence[tuple[str, Trajectory]],
                 swatches: Sequence[str] | None = None) -> list[dict[str, str]]:
    """One row per (label, single-start trajectory on `surface`), in the order given: the columns of
    `COLUMNS`, without the line when no `swatches` are given (one picture per run, e.g.
    `styles.swatch_data_url`), without the distance on a surface with no known minimum and without
    the minimum on a surface with fewer than two. Every cell is a string ("" where nothing applies)."""
    if swatches is not None and len(swatches) != len(runs):
        raise ValueError(f"{len(swatches)} swatches for {len(runs)} runs")
    rows = []
    for n, (label, t) in enumerate(runs):
        if t.surface != surface.key:
            raise ValueError(f"run {label!r} is on {t.surface}, not on {surface.key}")
        s = t.summary()
        row = {} if swatches is None else {LINE: swatches[n]}
        row.update({RUN: label, FINAL_LOSS: _final_loss(t)})
        if surface.minima:
            row[DISTANCE] = "" if s["outcome"] == DIVERGED else _number(s["distance_to_minimum"], ".3g")
        row[OUTCOME] = outcome_words(t, surface)
        if len(surface.minima) > 1:
            row[MINIMUM] = _minimum(surface, t)
        rows.append(row)
    return rows
