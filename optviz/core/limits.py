"""Every resource limit in one place: what one call, one session, one link, one formula or upload may ask for.

One server is shared by a class (30 students and a teacher on a 2-core machine), and a link
bypasses every widget, so each limit is enforced where the value enters, not by a slider's range:

- the engine (`simulate()`, for any caller: the app, the command line, a notebook) refuses more
  than `MAX_STEPS` steps or `MAX_STARTS` starts (or per-start values) with a ValueError;
- a session of the app (widgets and links alike, through `share.parse_query`) gets at most
  `APP_MAX_STEPS` steps per run and `MAX_RUNS` runs per view; a link's values are at most
  `MAX_PARAM_CHARS` characters each, and the notices about a bad link are at most `MAX_NOTICES`;
- the tools that run many starts or many settings in one go: a basin map (`optviz.basins`) has at
  most `MAX_BASIN_GRID` cells a side and `MAX_BASIN_WORK` start-steps, and holds at most
  `MAX_PATH_POINTS` starts × (steps + 1) in one simulate() call (a larger map runs in blocks); a
  learning-rate sensitivity curve (`optviz.sensitivity`) has at most `MAX_SENSITIVITY_POINTS` values;
- a typed formula and uploaded, pasted or linked data are refused above the sizes in
  `surfaces/limits.py` (the surfaces package never imports optviz, so its parsers' limits live
  there and are imported here), with a message.

`limits_table()` writes docs/deploying.md's "Limits" table from these names; tests/core/test_limits.py checks
that docs/deploying.md states exactly it and that every row is enforced, and tests/app/test_fuzz.py that no
link gets past them. Change a limit here (or in surfaces/limits.py) and nowhere else, then paste the
output of `python -c "from optviz.core.limits import limits_table; print(limits_table())"` into docs/deploying.md.
"""

from __future__ import annotations

from surfaces.limits import (
    MAX_DATA_ABS,
    MAX_DOMAIN_ABS,
    MAX_FORMULA_CHARS,
    MAX_FORMULA_CONSTANT,
    MAX_FORMULA_DEPTH,
    MAX_FORMULA_EXPONENT,
    MAX_FORMULA_NODES,
    MAX_LINK_CHARS,
    MAX_LINK_ROWS,
    MAX_SAMPLES,
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_ROWS,
)

# --- the engine: any caller ---------------------------------------------------------------------
MAX_STEPS = 100_000  # steps of one simulate() call
MAX_STARTS = 1_000_000  # starts (and per-start hyperparameter values) of one simulate() call
MAX_PATH_POINTS = 8_000_000  # starts × (steps + 1) of one call made by a tool: about 0.5 GB while it runs

# --- a session of the app (widgets and links) ------------------------------------------------------
APP_MIN_STEPS = 10
APP_MAX_STEPS = 1_000  # the steps slider's top; a link asking for more is clamped with a notice
MAX_RUNS = 24  # runs in one view: every registered optimizer once (19 on main today) still fits
MAX_SWEEP_VALUES = 5  # values a one-click sweep adds (the runs it makes still count in MAX_RUNS)
MAX_SENSITIVITY_POINTS = 200  # learning rates of one sensitivity curve (the app uses the lr slider's positions)
MAX_BASIN_GRID = 200  # starts per side of a basin map (200 × 200 = 40,000 starts)
MAX_BASIN_WORK = 20_000_000  # start-steps of one basin map: 200 × 200 starts × 500 steps

# --- a link ---------------------------------------------------------------------------------------
MAX_PARAM_CHARS = 200  # one value of a query parameter (formula and data have their own caps); longer: ignored
MAX_NOTICES = 12  # notices shown for one link; the rest are summed up in one line

# --- the server's caches (optviz/app/cached.py), shared by every session -------------------------------------
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

# --- the analysis tools' panel (added with the tools' link settings, optviz/app/tool_settings.py) -----------
# A basin map is at most MAX_BASIN_WORK start-steps; one view maps each shown run, so the panel's maps
# together stay under this (8 runs at 100 × 100 starts and 500 steps; 2 maps at 200 × 200 and 500 steps):
# a link asking for more gets a message, not minutes of the server's time.
MAX_BASIN_PANEL_WORK = 40_000_000

def limits_table() -> str:
    """docs/deploying.md's "Limits" table, written from the constants above (tests/core/test_limits.py checks
    that docs/deploying.md holds exactly this text)."""

    def n(value: float) -> str:
        return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"

    rows = [
        ("steps of one `simulate()` call / starts (or per-start values) of one call",
         f"{n(MAX_STEPS)} / {n(MAX_STARTS)}", "the engine (`ValueError`)"),
        ("steps of a run in the app", f"{n(APP_MIN_STEPS)} to {n(APP_MAX_STEPS)}",
         "the link decoder (clamped, with a notice) and the slider"),
        ("runs (optimizers) in one view", f"{MAX_RUNS} (every registered optimizer fits)",
         "the link decoder (the first ones kept, with a notice)"),
        ("values of a one-click sweep", f"{MAX_SWEEP_VALUES} (its runs count among the {MAX_RUNS})",
         "the sweep form"),
        ("one value in a link / notices shown for one link",
         f"{n(MAX_PARAM_CHARS)} characters / {MAX_NOTICES} (the rest summed up in one line)",
         "the link decoder (a longer value is ignored, with a notice)"),
        ("basin map: cells a side / start-steps of one map",
         f"2 to {MAX_BASIN_GRID} / {MAX_BASIN_WORK:,}", "`optviz.analysis.basins.basin_map` (`ValueError`)"),
        ("basin maps of one view (one per shown run), together",
         f"{MAX_BASIN_PANEL_WORK:,} start-steps", "the tools panel (`optviz/app/tools_ui.py`, with a message)"),
        ("starts × (steps + 1) in one `simulate()` call of a tool",
         f"{MAX_PATH_POINTS:,} (about 0.5 GB while it runs)",
         "`optviz.analysis.basins` (a larger map runs in blocks), `limits.check_path_points`"),
        ("learning rates of one sensitivity curve",
         f"the lr slider's positions; 2 to {MAX_SENSITIVITY_POINTS} when asked for",
         "`optviz.analysis.sensitivity` (`ValueError`)"),
        ("a typed formula f(x, y), from the field or a link",
         f"{MAX_FORMULA_CHARS} characters, {MAX_FORMULA_NODES} syntax nodes, nesting {MAX_FORMULA_DEPTH}, "
         f"constant exponents up to {MAX_FORMULA_EXPONENT}, numbers up to {n(MAX_FORMULA_CONSTANT)}, "
         f"x and y ranges within ±{n(MAX_DOMAIN_ABS)}",
         "`surfaces.formula` (refused with a message; a link gets the default formula and a notice)"),
        ("uploaded or pasted data",
         f"{n(MAX_UPLOAD_BYTES)} bytes (also `server.maxUploadSize`), {n(MAX_UPLOAD_ROWS)} rows, "
         f"values within ±{n(MAX_DATA_ABS)}", "`surfaces.regression.parse_xy` (refused with a message)"),
        ("data in a link", f"{MAX_LINK_ROWS} rows, {n(MAX_LINK_CHARS)} characters",
         "`surfaces.regression.decode_data` (a link gets the bundled data and a notice)"),
        ("samples of any regression surface", n(MAX_SAMPLES), "`surfaces.regression.make_mse_surface`"),
        ("hyperparameters, start, noise, batch size, seed, speed, camera",
         "the registry's and the view's declared ranges",
         "the link decoder (clamped to the range, or the default for a value that is not a number; with a notice)"),
    ]
    lines = ["| what | limit | where it is enforced |", "|---|---|---|"]
    lines += [f"| {what} | {limit} | {where} |" for what, limit, where in rows]
    return "\n".join(lines)
