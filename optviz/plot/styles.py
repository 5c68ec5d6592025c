r"""How each run is drawn: a colour-blind-safe palette with a second cue (dash and marker).

The palette (`PALETTE`) takes six colours from Okabe & Ito (2008) and Paul Tol's schemes, chosen
so that, by CIEDE2000 (`optviz/plot/colors.py`):

- every two of them differ by at least `MIN_DIFFERENCE` (18) for normal vision AND under the
  simulated protanopia, deuteranopia and tritanopia of Machado et al. (2009) (measured minimum:
  18.6, sky blue vs grey under protanopia). The five default runs (SGD, Momentum, Nesterov,
  RMSProp, Adam) use five of them and differ by at least `MIN_DEFAULT_DIFFERENCE` (20; measured
  22.2);
- each stands out from the surfaces' Viridis colour scale for normal vision: at least
  `MIN_VIRIDIS_DIFFERENCE` (20) from every Viridis sample (measured minimum 20.1, green). Under a
  deficiency no colour can be far from all of Viridis (its blue-to-yellow ramp is the axis those
  viewers keep), so every path is drawn over a casing (a line a few px wider beneath it, in every
  cell and frame, `optviz/plot/trajectory.py`): black, or white for a colour too dark to show on black
  (`casing_for`). Wherever the path crosses the colour scale, the colour or its casing differs from
  the scale's colour there by at least `MIN_CASING_STANDOUT` (15) under every simulation, and the
  colour differs from its casing by at least `MIN_CASING_CONTRAST` (25), so the line shows inside
  it (measured over every optimizer's first six runs: 19.1 and 27.6).

19 optimizers exceed any palette a deficiency can tell apart, hence the second cue: each registry
entry declares a `dash` ("solid", "dash", "dot", "dashdot", ...); the entries that share a dash
all have different colours, so any two optimizers differ in colour by `MIN_DIFFERENCE` or in dash
(and marker, which follows the dash) — `tests/plot/test_styles.py` checks it for the whole registry.
The registry's `color` values are these colours, so anything reading `spec.color` (the app, the
CSV swatches) gets the palette.

`style_for(key, index)` gives the style of the index-th run of one optimizer in a view: index 0 is
the registry's style; later ones keep the colour's hue, lightened (darkened for light colours)
step by step, and walk on through the dashes, so two runs of one optimizer never look alike.

A view's runs are coloured by run, not by optimizer (`run_style(i)`, `styles_for_runs`): GD, SGD
and mini-batch SGD are one optimizer and must not be one colour family told apart by dash. The i-th
run of a view gets `RUN_COLORS[i % 13]` and `DASHES[i % 6]` (with its marker), so the same run has
one style in every chart, the results table, the tools and the exports, and no two of the 24 runs a
view holds share both colour and dash. `RUN_COLORS` is the palette above, in the order the default
runs use it, then seven colours each chosen (from an sRGB grid, greedily) to be as far as possible
from those before it under the worst of the four visions, among the colours that keep the palette's
other checks: `MIN_VIRIDIS_DIFFERENCE` from Viridis, a casing that passes `MIN_CASING_STANDOUT` and
`MIN_CASING_CONTRAST`, and `MIN_WHITE_DIFFERENCE` from the white step charts. Stated minima, CIEDE2000
between any two of the first n run colours for normal vision and each simulated deficiency
(`RUN_DIFFERENCES`, n: minimum, measured in brackets): 7 runs 18 (18.6), 8 runs 17.5 (17.6), 9 runs
16.5 (16.99), 10 runs 14 (14.2: dark green and dark grey under deuteranopia, which also differ in
dash), 13 runs 13 (13.1). Beyond 13 runs colours repeat, always with another dash and marker: the
dash is then the cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.palette import PALETTE
from ..core.registry import get_spec
from . import colors

CASING_DARK, CASING_LIGHT = "#000000", "#ffffff"
# The runs of a view, in order (module docstring): the palette, then the colours found after it.
RUN_COLORS: tuple[str, ...] = (*PALETTE.values(), "#873cff", "#003c0f", "#968778", "#3c3c3c", "#c36996", "#f0004b",
                               "#e1c396")

# plotly's dash names, in the order runs of one optimizer walk through them.
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
# Each dash as plotly.js draws it on a 2-D line (Drawing.dashStyle): lengths in units of
# max(line width, 3) px. `trajectory.dash_px` and the table's swatches read it.
DASH_PATTERNS = {"solid": (), "dot": (1, 1), "dash": (3, 3), "longdash": (5, 5), "dashdot": (3, 1, 1, 1),
                 "longdashdot": (5, 2, 1, 2)}
# the marker that goes with each dash (legend and the path's end marker): a third cue.
MARKERS = {"solid": "circle", "dash": "square", "dot": "diamond", "dashdot": "triangle-up",
           "longdash": "triangle-down", "longdashdot": "pentagon"}

MIN_DIFFERENCE = 18.0  # CIEDE2000, normal vision and each simulated deficiency: any two palette colours
MIN_DEFAULT_DIFFERENCE = 20.0  # the same, between the default runs
MIN_VIRIDIS_DIFFERENCE = 20.0  # CIEDE2000 from every Viridis sample, normal vision
MIN_CASING_STANDOUT = 15.0  # the colour or its casing from each Viridis colour, every vision (casing_standout)
MIN_CASING_CONTRAST = 25.0  # a colour from its casing, every vision
MIN_WHITE_DIFFERENCE = 15.0  # a run colour from the step charts' white, every vision
# (n, minimum): CIEDE2000 between any two of the first n run colours, normal vision and each deficiency
RUN_DIFFERENCES = ((7, 18.0), (8, 17.5), (9, 16.5), (10, 14.0), (len(RUN_COLORS), 13.0))


FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}  # every figure's


@dataclass(frozen=True)
class Style:
    """How a run is drawn in every chart (the 3-D and contour paths, the step charts, the table's
    swatch): a colour, a dash and a marker symbol (the second and third cues), and the casing
    beneath the line."""

    color: str  # '#rrggbb'
    dash: str = "solid"  # a plotly line dash, valid in 2-D and 3-D
    symbol: str = "circle"  # a plotly marker symbol: the moving end marker, the legend
    casing: str = ""  # colour of the wider line beneath the path; "" = `casing_for(color)`

    def __post_init__(self):
        if not self.casing:
            try:
                casing = casing_for(self.color)
            except ValueError:  # not '#rrggbb': the usual dark casing
                casing = CASING_DARK
            object.__setattr__(self, "casing", casing)


@dataclass(frozen=True, kw_only=True)
class PathStyle(Style):
    """A run's style with who it belongs to: its legend group (`key`) and its name."""

    key: str
    name: str


def run_styles(keys: Sequence[str], names: Sequence[str], optimizers: Sequence[str]) -> list[PathStyle]:
    """One style per run of a view, in order (`styles_for_runs`): the n-th run of the view gets the
    n-th run colour, dash and marker, whatever its optimizer. A run's style depends on its place
    only, so hiding or adding a later run restyles no other."""
    return [PathStyle(**vars(st), key=key, name=name)
            for key, name, st in zip(keys, names, styles_for_runs(optimizers), strict=True)]


def casing_for(color: str) -> str:
    """The casing drawn beneath a path of `color`: black, unless the colour differs from black by
    less than `MIN_CASING_CONTRAST` for normal vision or a simulated deficiency (black, dark
    shades, dark grey): then white. A dark casing for most colours keeps the look of one family;
    the white ones keep dark paths visible on Viridis' dark end."""
    visions = (None, *colors.DEFICIENCIES)
    if min(colors.difference(color, CASING_DARK, d) for d in visions) >= MIN_CASING_CONTRAST:
        return CASING_DARK
    return CASING_LIGHT


SHADES = (0.0, 0.5, -0.4, 0.8, -0.7, 0.25)  # the n-th run of one optimizer: + towards white, − towards black


def shade(color: str, index: int) -> str:
    """The index-th shade of `color` (0: itself): `SHADES[index % 6]` of the way towards white
    (positive) or black (negative); a dark colour (L* < 30) only lightens and a light one (L* > 70)
    only darkens, by the same amounts. Alternating, so that runs differ clearly; the seventh run of
    one optimizer looks like the first (with the same dash too: six runs of one optimizer are told
    apart by style, more by their labels)."""
    amount = SHADES[index % len(SHADES)]
    if amount == 0.0:
        return color.lower()
    rgb = colors.hex_to_rgb(color)
    lightness = float(colors.lab(rgb)[0])
    if lightness < 30:
        amount = abs(amount)
    elif lightness > 70:
        amount = -abs(amount)
    target = np.ones(3) if amount > 0 else np.zeros(3)
    return colors.rgb_to_hex(rgb + (target - rgb) * abs(amount))


def style_for(optimizer_key: str, index: int = 0) -> Style:
    """The style of the index-th run (0, 1, ...) of `optimizer_key` in a view."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise ValueError(f"index must be an integer >= 0, got {index!r}")
    spec = get_spec(optimizer_key)
    base = DASHES.index(spec.dash) if spec.dash in DASHES else 0
    dash = DASHES[(base + int(index)) % len(DASHES)]
    color = shade(spec.color, int(index))
    return Style(color, dash, MARKERS[dash])


def run_style(index: int) -> Style:
    """The style of the index-th run (0, 1, ...) of a view, whatever its optimizer (module docstring)."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise ValueError(f"index must be an integer >= 0, got {index!r}")
    color, dash = RUN_COLORS[int(index) % len(RUN_COLORS)], DASHES[int(index) % len(DASHES)]
    return Style(color, dash, MARKERS[dash])


def styles_for_runs(optimizer_keys) -> list[Style]:
    """One style per run of a view, in order: the n-th run gets `run_style(n)`, so a run's style
    depends on its place in the view only (hiding or adding a later run restyles no other)."""
    return [run_style(i) for i in range(len(list(optimizer_keys)))]
