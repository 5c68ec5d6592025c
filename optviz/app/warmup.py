"""Imports and exercises, once per server process, everything a rerun of app.py reaches lazily.

Streamlit runs every session's script in its own thread, and the libraries under the app import
their heavy parts on first use: Streamlit imports pandas and pyarrow on the first `st.dataframe`,
plotly its Figure class, its validators' table and, to encode numpy arrays, looks for pandas with
`sys.modules.get` (`_plotly_utils.optional_imports.get_module(..., should_load=False)`). When a
class opens a link on a fresh server, one session's thread can be half-way through `import pandas`
while another's plotly finds the half-initialised module: "AttributeError: partially initialized
module 'pandas' has no attribute 'Series'" inside `is_homogeneous_array` (seen in 1 to 4 of 8
simultaneous sessions, tests/app/test_concurrency.py).

app.py imports this module before anything else. Python's import lock makes every other session
that arrives meanwhile wait until the first has run it to the end, so no script goes on while a
lazy import is half done; later sessions find it in sys.modules and pay nothing.

What is warmed: pandas, pyarrow and PIL.Image imported whole; every optimizer's update and the
engine's noise and mini-batch paths; every surface's plotting grid; a figure with every trace
type the app draws turned into a plotly Figure, a dict and JSON (numpy arrays as typed arrays);
Streamlit's table conversion to Arrow. It takes about a second, once, at the first session.
"""

from __future__ import annotations

import colorsys  # noqa: F401  (plotly's colour helpers)
import time

import numpy as np
import pandas  # noqa: F401  (whole, before any thread's plotly looks for it)
import PIL.Image  # (plotly looks for it with sys.modules.get too)
import PIL.ImageColor
import PIL.ImageDraw
import PIL.ImageFile
import PIL.ImageFont  # noqa: F401
import pyarrow  # noqa: F401  (st.dataframe's wire format)
from streamlit import dataframe_util

from surfaces import SURFACES

from .. import classroom  # noqa: F401  (the class board's store: sqlite3)
from ..core.engine import simulate
from ..core.registry import OPTIMIZERS
from ..plot import export_page, frames, sparkline  # noqa: F401  (sparkline: html; export_page: latex2mathml, xml.etree)
from ..plot.grid import surface_grid

WARM_STEPS = 5


def _warm_engine() -> None:
    analytic = next(s for s in SURFACES.values() if not s.has_data)
    for key in OPTIMIZERS:
        simulate(analytic, key, analytic.start, WARM_STEPS)
        simulate(analytic, key, np.array([analytic.start, analytic.start]), WARM_STEPS, noise=0.1, seed=1)
    for data in (s for s in SURFACES.values() if s.has_data):
        simulate(data, next(iter(OPTIMIZERS)), data.start, WARM_STEPS, batch_size=1, seed=1)


def _warm_figures() -> None:
    for surface in SURFACES.values():
        surface_grid(surface)
    xs = np.linspace(0.0, 1.0, 16)
    z = np.outer(xs, xs)
    spec = {
        "data": [
            {"type": "surface", "x": xs, "y": xs, "z": z, "showscale": False, "scene": "scene"},
            {"type": "scatter3d", "mode": "lines+markers", "x": xs, "y": xs, "z": xs, "scene": "scene"},
            {"type": "contour", "x": xs, "y": xs, "z": z, "xaxis": "x", "yaxis": "y"},
            {"type": "scatter", "mode": "lines", "x": np.arange(16), "y": np.where(xs > 0, xs, np.nan)},
        ],
        "layout": {"scene": {"zaxis": {"type": "log"}}, "yaxis": {"type": "log"}, "xaxis": {"title": {"text": "x"}},
                   "legend": {"orientation": "h"}, "updatemenus": [], "sliders": []},
    }
    for validate in (False, True):
        figure = frames.as_figure(spec, validate=validate)
        figure.to_dict()
        figure.to_json()


def _warm_formulas() -> None:
    """Your own surface: sympy (and mpmath under it) builds and lambdifies a typed formula, and
    the basin-map / GIF code reach colorsys; all imported here, not half-way in a session."""
    from surfaces.formula import formula_surface

    formula_surface("x**2 + y**2", ((-1.0, 1.0), (-1.0, 1.0)))


def _warm_tables() -> None:
    dataframe_util.convert_anything_to_arrow_bytes([{"optimizer": "Adam", "final loss": "1e-3"}])


def warm() -> float:
    """Runs the warm-up; returns the seconds it took."""
    started = time.perf_counter()
    _warm_engine()
    _warm_figures()
    _warm_formulas()
    _warm_tables()
    return time.perf_counter() - started


WARM_SECONDS = warm()
