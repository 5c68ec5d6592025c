"""Nothing a student types breaks a page: typed formulas and their ranges, pasted data and links, fuzzed
with hypothesis through everything that draws them, in strict JSON mode (optviz.web.STRICT_ENV), so a
figure that would carry an infinite number, or a NaN where plotly needs a number, fails here rather
than in the browser.

Budget per run (derandomized, so CI sees the same cases every time; a case it found stays below as a
regular test or an @example):
- figure level, fast (no Streamlit): FORMULA_EXAMPLES typed formulas on fuzzed ranges and
  DATA_EXAMPLES data sets, each drawn with extreme hyperparameters: the trajectory figure, the four
  step charts, a basin map, a learning-rate sweep, the HTML export, the CSV and the GIF;
- app level (AppTest, about 1-3 s each): APP_FORMULAS formulas typed into the formula field,
  APP_DATA data sets pasted into the data field, APP_LINKS hostile links; every case ends with the
  view, plus a message next to the field when the input was refused, never an exception.
"""

from __future__ import annotations

import json
import math
import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from optviz import OPTIMIZERS, web
from optviz.analysis import custom
from optviz.analysis.basins import basin_map
from optviz.analysis.export import to_csv
from optviz.analysis.sensitivity import lr_sensitivity
from optviz.app import settings as decl
from optviz.app.custom_surface_ui import formula_key_from_text
from optviz.core.runs import Run
from optviz.core.schedules import SCHEDULES
from optviz.plot import html_export, step_charts
from optviz.plot.analysis_plots import basin_figure, sensitivity_figure
from optviz.plot.export_page import export_html
from optviz.plot.gif import animation_gif
from optviz.plot.grid import surface_grid
from optviz.plot.styles import run_styles
from optviz.plot.trajectory import optimizer_traces, trajectory_figure
from surfaces import SURFACES
from surfaces.formula import ALIASES, FUNCTIONS, FormulaError
from surfaces.limits import MAX_DATA_ABS, MAX_FORMULA_CONSTANT, MAX_FORMULA_EXPONENT
from surfaces.regression import DataError, parse_xy
from tests.app.test_fuzz import FOCUSED
from tests.apptest_support import app, assert_finite_json, assert_page_finite, clean, type_formula

FORMULA_EXAMPLES = 150
DATA_EXAMPLES = 40
APP_FORMULAS = 16
APP_DATA = 8
APP_LINKS = 8
FAST = settings(max_examples=FORMULA_EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(autouse=True, scope="module")
def strict_json():
    """Every figure this module builds is encoded strictly (the app's encoder reads the variable)."""
    before = os.environ.get(web.STRICT_ENV)
    os.environ[web.STRICT_ENV] = "1"
    yield
    if before is None:
        os.environ.pop(web.STRICT_ENV, None)
    else:
        os.environ[web.STRICT_ENV] = before


# --- what a student types -------------------------------------------------------------------------

# Large and tiny constants, up to the literal cap and a little beyond it (refused, with a message).
CONSTANTS = st.sampled_from(["0", "1", "2", "0.5", "3", "10", "1e-9", "1e-300", "5e-324", "1e9", "1e3", "123456789",
                             f"{MAX_FORMULA_CONSTANT:g}", "1e10", "pi", "e", "0.001", "7.5", "236.5", "700", "100"])
LEAVES = st.one_of(st.sampled_from(["x", "y", "x", "y", "(x*y)", "(x - y)"]), CONSTANTS)
FUNCTION_NAMES = st.sampled_from(sorted([*FUNCTIONS, *ALIASES]))
EXPONENTS = st.integers(-MAX_FORMULA_EXPONENT - 2, MAX_FORMULA_EXPONENT + 2).map(str) | st.sampled_from(
    ["0.5", "x", "y"])


def _extend(inner):
    return st.one_of(
        st.tuples(FUNCTION_NAMES, inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.sampled_from([" + ", " - ", " * ", " / ", "/"]), inner).map(
            lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(inner, st.sampled_from(["**", "^"]), EXPONENTS).map(lambda t: f"({t[0]}){t[1]}{t[2]}"),
        inner.map(lambda a: f"-{a}"),
    )


# A formula without x or y is refused at once ("nothing to minimize"): most get an x.
FORMULAS = st.recursive(LEAVES, _extend, max_leaves=8).map(lambda f: f if re.search(r"\b[xy]\b", f) else f"({f})*x")
# The field's help says "two numbers separated by a comma, the smaller first, within ±10000".
RANGE_ENDS = st.sampled_from([-10000.0, -1000.0, -3.0, -1.0, -1e-3, 0.0, 1e-3, 0.5, 1.0, 3.0, 20.0, 710.0, 10000.0])
# Mostly ranges the field accepts (so that most formulas get drawn), and some it refuses.
VALID_RANGES = st.lists(RANGE_ENDS, min_size=2, max_size=2, unique=True).map(sorted).map(
    lambda r: f"{r[0]:g}, {r[1]:g}")
RANGES = st.one_of(
    st.just("-3, 3"), VALID_RANGES, VALID_RANGES,
    st.sampled_from(["0.001, 0.002", "9999, 10000", "-1e4, 1e4", "5, -5", "1, 1", "", "nan, 1", "-inf, 0"]),
)

# Data: values up to the caps, near-constant x, huge y, few rows.
_VALUE = st.one_of(st.floats(-MAX_DATA_ABS, MAX_DATA_ABS, allow_nan=False),
                   st.sampled_from([MAX_DATA_ABS, -MAX_DATA_ABS, 0.0, 1e-300, 5e-324, 1.0]))


@st.composite
def datasets(draw):
    n = draw(st.integers(2, 40))
    kind = draw(st.sampled_from(["any", "near-constant x", "huge y", "line"]))
    if kind == "near-constant x":
        c = draw(_VALUE)
        x = c + np.arange(n) * draw(st.sampled_from([1e-12, 1e-9, 1e-6, 1.0])) * max(1.0, abs(c))
    else:
        x = np.array(draw(st.lists(_VALUE, min_size=n, max_size=n)))
    if kind == "huge y":
        y = np.array(draw(st.lists(st.sampled_from([MAX_DATA_ABS, -MAX_DATA_ABS, 0.0]), min_size=n, max_size=n)))
    elif kind == "line":
        y = draw(_VALUE) * x / MAX_DATA_ABS + draw(_VALUE)
    else:
        y = np.array(draw(st.lists(_VALUE, min_size=n, max_size=n)))
    return np.clip(x, -MAX_DATA_ABS, MAX_DATA_ABS), np.clip(y, -MAX_DATA_ABS, MAX_DATA_ABS)


def _pasted(x, y) -> str:
    return "\n".join(f"{float(a)!r}, {float(b)!r}" for a, b in zip(x, y, strict=True))


def _extreme(opt: str, which: str) -> Run:
    """A run of `opt` with every hyperparameter at its lowest, its highest or its default."""
    spec = OPTIMIZERS[opt]
    values = {h.name: {"low": h.low, "high": h.high, "default": h.default}[which] for h in spec.hparams}
    return Run(opt, tuple(values.items()))


def _scheduled(run: Run, pick: int, which: str) -> Run:
    """`run` with one of the schedules the UI offers it (if any), its parameters at one end of their ranges."""
    offered = [(h, kind) for h, kinds in decl.schedulable(run.optimizer).items() for kind in kinds]
    if not offered:
        return run
    hparam, kind = offered[pick % len(offered)]
    numbers = decl.schedule_parameter_numbers(kind, run.spec.hparam(hparam))
    params = {p: n.low if which == "low" else n.high for p, n in numbers.items()}
    return run.with_schedule(hparam, SCHEDULES[kind](**params))


RUN = st.one_of(
    st.tuples(st.sampled_from(sorted(OPTIMIZERS)), st.sampled_from(["low", "high", "default"])).map(
        lambda t: _extreme(*t)),
    st.tuples(st.sampled_from(sorted(OPTIMIZERS)), st.sampled_from(["low", "high", "default"]), st.integers(0, 9),
              st.sampled_from(["low", "high"])).map(lambda t: _scheduled(_extreme(t[0], t[1]), t[2], t[3])),
)
RUNS = st.lists(RUN, min_size=1, max_size=3)


# --- the figure-level check --------------------------------------------------------------------------


def _strict(figure: dict) -> None:
    assert_finite_json(figure)
    json.loads(web.to_json(figure, strict=True))  # what the page parses


def draw_everything(surface, runs: list[Run], steps: int = 60, tools: bool = True) -> None:
    """Every figure and export of a view of `runs` on `surface`: finite where plotly needs it."""
    grid = surface_grid(surface)
    lo, hi = grid.z_range
    assert math.isfinite(lo) and math.isfinite(hi) and lo < hi
    start = tuple(surface.start)
    styles = run_styles([f"r{i}" for i in range(len(runs))], [r.optimizer for r in runs],
                                 [r.optimizer for r in runs])
    trajectories = [r.simulate(surface.key, start, steps, 0) for r in runs]
    pairs = list(zip(styles, trajectories, strict=True))
    figure = trajectory_figure(
        surface, grid, [optimizer_traces(surface, grid, t, s, "both") for s, t in pairs], steps=steps)
    _strict(figure)
    for chart in (step_charts.loss_figure(surface, pairs), step_charts.distance_figure(pairs),
                  step_charts.coordinate_figure(pairs, 0), step_charts.coordinate_figure(pairs, 1)):
        if chart is not None:
            _strict(chart)
    labels = [r.optimizer for r in runs]
    page = export_html(html_export.standalone_html(figure, surface.title), surface, trajectories, labels,
                       [s.color for s in styles], "https://example.invalid/?surface=x")
    assert page.startswith("<!DOCTYPE html>")  # its figure JSON went through the strict encoder
    csv = to_csv(trajectories, labels)
    assert csv.count("\n") >= len(runs) + 1  # a header and a row per run at least (a diverged run stops)
    gif = animation_gif(surface, [(label, s.color, t) for label, (s, t) in zip(labels, pairs, strict=True)],
                        max_frames=3, size=120)
    assert gif[:6] == b"GIF89a"
    if tools:
        result = basin_map(surface, runs[0], grid=5, steps=30)
        _strict(basin_figure(surface, [("run", result)], mode="minimum"))
        _strict(basin_figure(surface, [("run", result)], mode="steps"))
        sweep = lr_sensitivity(surface, runs[0], start, steps=30, points=6)
        for metric in ("gap", "steps"):
            _strict(sensitivity_figure([sweep], metric=metric))


def formula_surface_or_message(text: str, xr: str, yr: str):
    """The surface the formula field would draw, or None when it shows a message instead."""
    try:
        key = formula_key_from_text(text, xr, yr)
    except FormulaError as exc:
        assert exc.message and "Traceback" not in exc.message
        return None
    return SURFACES[key]


OVERFLOW = "exp(exp(exp(exp(x))))"


@FAST
@given(FORMULAS, RANGES, RANGES, RUNS)
@example(OVERFLOW, "-3, 3", "-3, 3", [Run("sgd"), Run("momentum")])
@example("((x / 1e9))**-3", "-3, 3", "-3, 3", [_extreme("adadelta", "low")])  # found: the sweep's ticks overflowed
@example("x", "-3, 3", "-3, 3", [_extreme("newton", "low")])  # found: Newton on a formula had no Hessian
@example("(2 * sinh((x * 236.5)))", "-3, 3", "-3, 3", [Run("sgd")])  # f spans all floats: symlog scale, GIF
@example("(5e-324)*x", "-3, 3", "-3, 3", [_extreme("adadelta", "low")])  # found: a symlog scale of 0
def test_any_typed_formula_draws_finite_figures_and_exports(text, xr, yr, runs):
    surface = formula_surface_or_message(text, xr, yr)
    event("drawn" if surface is not None else "refused with a message")
    if surface is not None:
        draw_everything(surface, runs)


@settings(FAST, max_examples=DATA_EXAMPLES)
@given(datasets(), st.booleans(), RUNS)
def test_any_data_draw_finite_figures_and_exports(data, standardize, runs):
    x, y = data
    try:
        x, y = parse_xy(_pasted(x, y))
        surface = custom.data_surface(x, y, standardize)
    except (DataError, ValueError) as exc:
        assert str(exc)
        event("refused with a message")
        return
    event("drawn")
    draw_everything(surface, runs)


def test_a_run_that_diverges_at_step_one_and_a_view_of_24_runs_of_1000_steps():
    surface = SURFACES[custom.formula_surface_key(OVERFLOW, (-3, 3), (-3, 3))]
    sgd = _extreme("sgd", "high")
    t = sgd.simulate(surface.key, (0.5, 0.0), 5, 0)
    assert int(t.diverged_at) <= 1
    draw_everything(surface, [sgd])
    runs = [_extreme(opt, which) for opt in sorted(OPTIMIZERS) for which in ("high", "low")][:24]
    draw_everything(SURFACES["rosenbrock"], runs, steps=1000, tools=False)


# --- the app --------------------------------------------------------------------------------------------

APP_SETTINGS = settings(max_examples=APP_FORMULAS, derandomize=True, deadline=None, database=None,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _view_shown(at) -> bool:
    return any((e.proto.id or "").endswith("-trajectory_view") for e in at.get("bidi_component"))


@pytest.fixture(scope="module")
def formula_page():
    # The basin map is open: each formula is drawn by it too (the sensitivity curve: the test below).
    return clean(app({"surface": "custom", "opt": "sgd,momentum,adam", "tool": "basins"}))


@APP_SETTINGS
@given(FORMULAS, RANGES, RANGES)
@example(OVERFLOW, "-3, 3", "-3, 3")
def test_any_formula_typed_into_the_app_gives_the_view_or_a_message(formula_page, text, xr, yr):
    at = formula_page  # one session, as a class types one formula after another
    type_formula(at, text, xr, yr)
    clean(at)
    accepted = formula_surface_or_message(text, xr, yr) is not None
    event("drawn" if accepted else "refused with a message")
    assert bool(at.error) != accepted, [e.value for e in at.error]
    assert _view_shown(at)
    assert_page_finite(at)


@settings(APP_SETTINGS, max_examples=APP_DATA)
@given(datasets())
def test_any_data_pasted_into_the_app_give_the_view_or_a_message(data):
    x, y = data
    at = clean(app({"surface": "mse", "opt": "sgd,adam"}))
    at.text_area(key="data_paste").set_value(_pasted(x, y))
    at.button(key="data_paste_button").click().run()
    clean(at)
    try:
        custom.data_surface(*parse_xy(_pasted(x, y)), False)
        refused = False
    except (DataError, ValueError):
        refused = True
    event("refused with a message" if refused else "drawn")
    assert bool(at.error) == refused, [e.value for e in at.error]
    assert _view_shown(at)
    assert_page_finite(at)


@settings(APP_SETTINGS, max_examples=APP_LINKS)
@given(FOCUSED)
def test_any_link_gives_a_view_whose_figures_are_finite(query):
    at = clean(app(query))
    assert _view_shown(at)
    assert_page_finite(at)


@pytest.mark.parametrize("text", [OVERFLOW, "1/x + y", "((x / 1e9))**-3", "x**-10*1e9 + sinh(y*1e3)", "log(x*y)"])
def test_hostile_formulas_with_the_sensitivity_curve_open(text):
    at = clean(app({"surface": "custom", "opt": "sgd,adam,newton", "tool": "sensitivity"}))
    clean(type_formula(at, text, "-3, 3", "-3, 3"))
    assert not at.error and text in at.session_state["surface"]
    assert any((e.proto.id or "").endswith("-sensitivity_view") for e in at.get("bidi_component"))
    assert_page_finite(at)


@pytest.mark.parametrize("standardize", [False, True])
def test_data_at_the_caps_draw_finite_figures(standardize):
    from surfaces.limits import MAX_UPLOAD_ROWS

    i = np.arange(MAX_UPLOAD_ROWS)
    x = MAX_DATA_ABS - 1e-3 * i  # 10,000 rows, x near-constant at the cap, y jumping between the caps
    y = np.where(i % 2, MAX_DATA_ABS, -MAX_DATA_ABS)
    surface = custom.data_surface(*parse_xy(_pasted(x, y)), standardize)
    draw_everything(surface, [_extreme("sgd", "high"), Run("adam"), _extreme("newton", "low")], steps=200)
