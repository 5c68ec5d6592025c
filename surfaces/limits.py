"""The limits of what a person may type or upload to make a surface: one place, read by the parsers.

`surfaces.formula` (a typed formula f(x, y)) and `surfaces.regression` (uploaded, pasted or linked
data) enforce these, whoever calls them: the app's widgets, a hand-edited link, a notebook. They
live here, in the surfaces package, because surfaces never import optviz; `optviz.core.limits` imports
them, so every limit of the project is listed there, and the README's "Limits" table is written from
that list (`optviz.core.limits.limits_table`, checked by tests/core/test_limits.py). Change a number here and
nowhere else.
"""

from __future__ import annotations

# --- a typed formula f(x, y) (surfaces.formula.parse_formula, formula_surface, parse_range) ------------
MAX_FORMULA_CHARS = 200  # characters of the formula's text
MAX_FORMULA_NODES = 150  # syntax-tree nodes: room for a two-line formula, not for a generated monster
MAX_FORMULA_DEPTH = 50  # nesting of the syntax tree; Python's own parser gives up near 200
MAX_FORMULA_EXPONENT = 10  # |a constant exponent|: x**10 is a steep wall already
MAX_FORMULA_CONSTANT = 1e9  # the largest number literal
MAX_DOMAIN_ABS = 1e4  # the x and y ranges lie within ±MAX_DOMAIN_ABS

# --- data for the regression surface (surfaces.regression) -----------------------------------------------
MAX_SAMPLES = 100_000  # rows of any regression surface (make_mse_surface)
MAX_UPLOAD_BYTES = 1_000_000  # an uploaded or pasted table (also .streamlit/config.toml server.maxUploadSize, in MB)
MAX_UPLOAD_ROWS = 10_000  # rows of (x, y) of an uploaded or pasted table
MAX_DATA_ABS = 1e6  # every x and y lies within ±MAX_DATA_ABS
MAX_LINK_ROWS = 200  # rows of data that travel inside a share link
MAX_LINK_CHARS = 5_000  # the longest encoded data a link may carry (200 rows in binary form: 4,268)
