"""The analysis tools' settings, declared like every other setting of the view (`optviz/app/settings.py`
registers them): the widgets in `optviz/app/tools_ui.py`, the link and `ViewState`'s fields derive from
these declarations, and the link reader validates and clamps them under the one policy.

    tool=basins                  which tool is open: none (left out), basins, sensitivity
    basin.grid=100               basin map: starts per side, 20 to limits.MAX_BASIN_GRID (200)
    basin.by=steps               basin map: colour by the minimum reached (left out) or the steps to converge
    sens.show=steps              sensitivity: final loss gap (left out) or steps to converge, per learning rate
    sens.tune=lowest_loss        sensitivity: the tuner's criterion (fastest_escape on unbounded surfaces only)
    curv.at=step                 curvature: the model at the start (left out), the inspector's step or a point
    curv.x=1.5 curv.y=-0.5       curvature: the point clicked on the tool's contour (0 is left out)
    curv.run=2                   curvature: which shown run (1 = the first, left out) the numbers are for

Which runs a tool shows are the view's shown runs (`r<i>.hidden`), and a map always covers the
plotted domain, so neither needs a setting of its own; the view's start, steps and seed (already in
the link) are the tools' too.

Unlike the main view's settings, a tool's setting at its default is left out of the link (`omit`),
and one of a tool that is not open is not written at all (`active`): a link to the plain view gets
no longer, and one with a tool names only what differs. A link without these parameters (every link
written before them) opens with the tool closed and the defaults below.
"""

from __future__ import annotations

from surfaces import Surface

from ..analysis.sensitivity import CRITERIA, FASTEST_ESCAPE, FEWEST_STEPS, LOWEST_LOSS
from ..core import limits
from ..core.scales import Number
from .setting import Setting

TOOLS = {"none": "None", "basins": "Basin map", "sensitivity": "Learning-rate sensitivity", "curvature": "Curvature"}
CURVATURE_AT = {"start": "The start", "step": "The inspected step", "point": "A clicked point"}
CURVATURE_RUN = Number(1, limits.MAX_RUNS, "linear", 1, integer=True)
BASIN_MODES = {"minimum": "Minimum reached", "steps": "Steps to converge"}
METRICS = {"gap": "Final loss gap", "steps": "Steps to converge"}
CRITERION_LABELS = {FEWEST_STEPS: "Fewest steps", LOWEST_LOSS: "Lowest final loss", FASTEST_ESCAPE: "Fastest escape"}

MIN_BASIN_GRID = 20  # fewer cells a side show too little of a basin's shape to be worth a map
DEFAULT_BASIN_GRID = 40
BASIN_GRID = Number(MIN_BASIN_GRID, limits.MAX_BASIN_GRID, "linear", 20, integer=True)


def criteria_for(surface: Surface) -> tuple[str, ...]:
    """The tuner's criteria that mean something on this surface (fastest escape: unbounded only)."""
    return tuple(c for c in CRITERIA if c != FASTEST_ESCAPE or surface.f_min is None)


def _domain_number(axis: int):
    """A coordinate inside the surface's domain (as the start's)."""
    def number(ctx) -> Number:
        lo, hi = ctx.surface.domain[axis]
        return Number(float(lo), float(hi), "linear", ctx.surface.extent / 100)

    return number


def _open(tool: str):
    return lambda values: values.get("tool") == tool


def _tool_setting(key: str, link: str, kind: str, label: str, default, **kwargs) -> Setting:
    """A tool's setting: its default is also the value the link leaves out."""
    return Setting(key, link, kind, label, default=lambda ctx: default, omit=default, **kwargs)


TOOL_SETTINGS: tuple[Setting, ...] = (
    _tool_setting("tool", "tool", "choice", "Tool", "none", widget="segmented",
                  choices=lambda ctx: tuple(TOOLS), labels=lambda ctx: TOOLS),
    _tool_setting("basin_grid", "basin.grid", "number", "Starts per side", DEFAULT_BASIN_GRID, widget="slider",
                  number=lambda ctx: BASIN_GRID, input_format="%d", active=_open("basins"),
                  help="The map runs every run from grid × grid starts over the plotted domain, all at once."),
    _tool_setting("basin_mode", "basin.by", "choice", "Colour by", "minimum", widget="radio",
                  choices=lambda ctx: tuple(BASIN_MODES), labels=lambda ctx: BASIN_MODES, active=_open("basins")),
    _tool_setting("sensitivity_metric", "sens.show", "choice", "Show", "gap", widget="radio",
                  choices=lambda ctx: tuple(METRICS), labels=lambda ctx: METRICS, active=_open("sensitivity")),
    _tool_setting("tune_criterion", "sens.tune", "choice", "Tune for", FEWEST_STEPS, widget="radio",
                  choices=lambda ctx: criteria_for(ctx.surface), labels=lambda ctx: CRITERION_LABELS,
                  active=_open("sensitivity")),
    _tool_setting("curvature_at", "curv.at", "choice", "The model at", "start", widget="radio",
                  choices=lambda ctx: tuple(CURVATURE_AT), labels=lambda ctx: CURVATURE_AT, active=_open("curvature"),
                  help="The Hessian's eigen-directions at this point: the local quadratic model of the surface."),
    # Drawn by the panel as a list of the shown runs (their labels are not the setting's to know).
    _tool_setting("curvature_run", "curv.run", "number", "For the run", 1, number=lambda ctx: CURVATURE_RUN,
                  input_format="%d", active=_open("curvature")),
    # Set by a click on the tool's contour (no widget); kept while the model is at the start or a step.
    _tool_setting("curvature_x", "curv.x", "number", "x of the point", 0.0, number=_domain_number(0),
                  active=_open("curvature")),
    _tool_setting("curvature_y", "curv.y", "number", "y of the point", 0.0, number=_domain_number(1),
                  active=_open("curvature")),
)
DEFAULTS = {s.key: s.omit for s in TOOL_SETTINGS}  # ViewState's field defaults (none of them depends on the surface)
