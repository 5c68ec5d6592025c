"""Every resource limit in one place: what one call, one session and one link may ask for.

One server is shared by a class (30 students and a teacher on a 2-core machine), and a link
bypasses every widget, so each limit is enforced where the value enters, not by a slider's range:

- the engine (`simulate()`, for any caller: the app, the command line, a notebook) refuses more
  than `MAX_STEPS` steps or `MAX_STARTS` starts with a ValueError;
- a session of the app (widgets and links alike, through `share.parse_query`) gets at most
  `APP_MAX_STEPS` steps per run and `MAX_RUNS` runs per view; a link's values are at most
  `MAX_PARAM_CHARS` characters each, and the notices about a bad link are at most `MAX_NOTICES`;
- tools that run many starts or many settings in one call (basin maps, learning-rate sweeps)
  stay under `MAX_PATH_POINTS` starts × (steps + 1), about 128 MB of float64 path while it runs;
- a typed formula and uploaded data are refused above the sizes below, with a message.

The numbers are stated in the README's "Limits" section; tests/test_fuzz.py checks that no link
gets past them. Change a limit here and nowhere else.
"""

from __future__ import annotations

# --- the engine: any caller ---------------------------------------------------------------------
MAX_STEPS = 100_000  # steps of one simulate() call
MAX_STARTS = 1_000_000  # starts of one simulate() call
MAX_PATH_POINTS = 8_000_000  # starts × (steps + 1) of one call made for a session: 128 MB of float64

# --- a session of the app (widgets and links) ------------------------------------------------------
APP_MIN_STEPS = 10
APP_MAX_STEPS = 1_000  # the steps slider's top; a link asking for more is clamped with a notice
MAX_RUNS = 24  # runs in one view: every registered optimizer once (19 on main today) still fits
MAX_SWEEP_VALUES = 5  # values a one-click sweep adds (the runs it makes still count in MAX_RUNS)
MAX_SENSITIVITY_POINTS = 40  # learning rates of a sensitivity curve, per run
MAX_BASIN_GRID = 200  # starts per side of a basin map (200 × 200 = 40,000 starts)

# --- a link ---------------------------------------------------------------------------------------
MAX_PARAM_CHARS = 200  # one value of a query parameter; longer ones are ignored with a notice
MAX_NOTICES = 12  # notices shown for one link; the rest are summed up in one line

# --- a typed formula f(x, y) --------------------------------------------------------------------------
MAX_FORMULA_CHARS = 200  # fits a link value (MAX_PARAM_CHARS)
MAX_FORMULA_NODES = 100  # syntax-tree nodes
MAX_FORMULA_DEPTH = 12  # nesting of the syntax tree
MAX_FORMULA_EXPONENT = 10  # |a literal exponent|; an exponent must be a literal number

# --- uploaded or pasted data (the regression surface) ----------------------------------------------------
MAX_UPLOAD_BYTES = 1_000_000  # also .streamlit/config.toml server.maxUploadSize (in MB)
MAX_UPLOAD_ROWS = 10_000
MAX_LINK_DATA_ROWS = 50  # data carried in a link; larger data gets a notice that the link does not carry it

# --- the server's caches (optviz/cached.py), shared by every session -------------------------------------
# Sized for a class: 30 students on a few links, each moving a few sliders, keep their views cached,
# and the least recently used entries go beyond these counts, so memory stays bounded. Measured sizes
# of one entry: a run 20 KB (40 KB at APP_MAX_STEPS), an optimizer's traces 10 KB (17 KB), a surface
# grid 240 KB, a surface's static traces 120 KB, a trajectory figure with its encoded bytes 0.5 MB
# (0.9 MB with all 11 optimizers at 1,000 steps), a step chart 0.14 MB: about 150 MB when all are full.
CACHE_RUNS = 1024  # one optimizer run each
CACHE_TRACES = 1024  # one optimizer's drawn traces each
CACHE_GRIDS = 16  # one surface's plotting grid each
CACHE_STATIC = 48  # surface × view × contour style
CACHE_FIGURES = 64  # one whole trajectory view each (about two per student of a class)
CACHE_CHARTS = 128  # loss and distance charts, two per view


def cap_runs(keys: tuple, notices: list[str]) -> tuple:
    """At most MAX_RUNS runs of a link, with a notice when some are dropped."""
    if len(keys) <= MAX_RUNS:
        return keys
    notices.append(f"at most {MAX_RUNS} runs in one view: kept the first {MAX_RUNS} of {len(keys)}")
    return tuple(keys[:MAX_RUNS])


def cap_notices(notices: list[str]) -> list[str]:
    """At most MAX_NOTICES notices: a link with thousands of bad keys gets a few lines, not thousands."""
    if len(notices) <= MAX_NOTICES:
        return list(notices)
    return [*notices[: MAX_NOTICES - 1], f"and {len(notices) - MAX_NOTICES + 1} more problems with this link"]


def check_path_points(starts: int, steps: int) -> None:
    """Refuses a many-starts call (basin map, sweep) that would hold more than MAX_PATH_POINTS points."""
    points = int(starts) * (int(steps) + 1)
    if points > MAX_PATH_POINTS:
        raise ValueError(
            f"{starts} starts × {steps} steps is more than this server computes in one go "
            f"({MAX_PATH_POINTS:,} points); use fewer starts or fewer steps"
        )

# --- the analysis tools' panel (added with the tools' link settings, optviz/tool_settings.py) -----------
# A basin map is at most basins.MAX_WORK start-steps; one view maps each shown run, so the panel's maps
# together stay under this (8 runs at 100 × 100 starts and 500 steps; 2 maps at 200 × 200 and 500 steps):
# a link asking for more gets a message, not minutes of the server's time.
MAX_BASIN_PANEL_WORK = 40_000_000
