"""Any link, however hand-edited or hostile, gives a valid view plus notices, and nothing outside
the declared ranges (optviz/core/limits.py, the registry's HParam ranges, share's ranges) reaches the
engine. Fuzzed with hypothesis over the share-link decoder, then a sample rendered through AppTest
with a spy on every simulate() the app makes.
"""

from __future__ import annotations

import math
import os
import sys
from contextlib import ExitStack
from dataclasses import fields
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import optviz.app.cached
import optviz.app.warmup  # noqa: F401
from optviz import OPTIMIZERS, web
from optviz.analysis import goals
from optviz.analysis.sensitivity import CRITERIA
from optviz.app import settings as decl
from optviz.app import share, tools_ui
from optviz.app.class_settings import BOARD_ALPHABET, CLASS_SETTINGS, LOCK_GROUPS
from optviz.app.share import ViewState, parse_query, to_query
from optviz.app.tool_settings import (
    BASIN_GRID,
    BASIN_MODES,
    CURVATURE_AT,
    METRICS,
    TOOL_SETTINGS,
    TOOLS,
    criteria_for,
)
from optviz.core import engine, limits
from optviz.core.runs import Run
from optviz.core.schedules import SCHEDULES, Schedule
from surfaces import SURFACES
from tests.apptest_support import assert_page_finite, open_run_editor

APP = str(Path(__file__).resolve().parents[2] / "app.py")

# --- hostile query strings --------------------------------------------------------------------------

# Runs' keys (r<i>.*): the optimizer, every hyperparameter name, the gradient source, schedules and
# their parameters, label and hidden, for a few run indices (a link's indices need not be 0, 1, ...).
RUN_NAMES = sorted({h.name for spec in OPTIMIZERS.values() for h in spec.hparams}
                   | {"opt", "batch", "noise", "label", "hidden", "sched.lr", "sched.momentum", "sched.beta1"}
                   | {f"sched.{h}.{p}" for h in ("lr", "momentum", "beta1")
                      for p in ("step_size", "gamma", "duration", "final", "start_factor", "end_factor", "start")})
KNOWN_KEYS = ["surface", "opt", "x0", "y0", "steps", "seed", "noise", "batch", "view", "contour", "speed", "cam",
              "axis", *(f"{k}.{h.name}" for k, spec in OPTIMIZERS.items() for h in spec.hparams),
              *(s.link for s in TOOL_SETTINGS),  # the analysis tools (optviz/app/tool_settings.py)
              *(s.link for s in CLASS_SETTINGS),  # a class's fields (optviz/app/class_settings.py)
              *(f"r{i}.{name}" for i in (0, 1, 7) for name in RUN_NAMES)]
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "1e308", "1e309", "-1e308", "5e-324", "-0", "0x10",
                     "1_000", "１２", "١٢", "1e3", "  7 ", "+3", "1.", ".5", "1e-400", "9" * 400, "", " ", "0,0,0",
                     "1,2,3", "nan,1,1", "1e9,1e9,1e9", "0.1,-2,1.5"]),
)
TEXT = st.text(max_size=40) | st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
VALUES = st.one_of(
    NUMBERS, TEXT,
    st.sampled_from([*SURFACES, *OPTIMIZERS, *share.VIEWS, *share.CONTOUR_STYLES, *SCHEDULES, "steps", "epochs",
                     "samples", "1", "0", "true", *TOOLS, *BASIN_MODES, *METRICS, *CRITERIA]),
    st.lists(st.sampled_from([*OPTIMIZERS, "adam", "nope", "", " ", "__import__('os')"]), max_size=30).map(",".join),
)
KEYS = st.one_of(st.sampled_from(KNOWN_KEYS), TEXT, st.sampled_from(["adam.", ".lr", "adam.nope", "sgd.lr.x", "opt "]))
# A value or, as a browser may send for a repeated key, a list of them.
ENTRY = st.one_of(VALUES, st.lists(VALUES, min_size=0, max_size=4))
QUERIES = st.dictionaries(KEYS, ENTRY, max_size=40)
# Queries that mostly name known keys, so the ranges of every field get hit, not only "unknown key".
FOCUSED = st.dictionaries(st.sampled_from(KNOWN_KEYS), ENTRY, max_size=len(KNOWN_KEYS)).flatmap(
    lambda q: st.sampled_from(list(SURFACES)).map(lambda s: {**q, "surface": s}))


# --- what a valid view is --------------------------------------------------------------------------


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _finite(v) -> bool:
    return isinstance(v, float) and math.isfinite(v)


def _check_hparams(opt: str, values) -> None:
    spec = OPTIMIZERS[opt]
    assert set(values) == {h.name for h in spec.hparams}, (opt, values)
    for h in spec.hparams:
        v = values[h.name]
        assert _finite(v) and h.low <= v <= h.high, (opt, h.name, v, h.low, h.high)


def _check_run(run: Run, surface) -> None:
    assert isinstance(run, Run) and run.optimizer in OPTIMIZERS
    _check_hparams(run.optimizer, run.hparam_dict)
    assert _finite(run.noise) and share.NOISE_RANGE[0] <= run.noise <= share.NOISE_RANGE[1]
    assert run.noise == 0.0 or not surface.has_data
    if surface.has_data:
        options = share.batch_options(surface)
        assert run.batch_size is None or (_is_int(run.batch_size) and run.batch_size in options
                                          and run.batch_size < surface.n_samples)
    else:
        assert run.batch_size is None
    offered = decl.schedulable(run.optimizer)
    for hparam, schedule in run.schedules:
        assert hparam in offered and schedule.key in offered[hparam]
        numbers = decl.schedule_parameter_numbers(schedule.key, run.spec.hparam(hparam))
        for param, v in schedule.params().items():
            assert numbers[param].contains(v), (hparam, schedule, param, v)
    assert isinstance(run.label, str) and len(run.label) <= decl.MAX_LABEL_CHARS and run.label.isprintable()
    assert isinstance(run.hidden, bool)


def _check_field(state: ViewState, name: str) -> None:
    surface = SURFACES[state.surface]
    value = getattr(state, name)
    if name == "surface":
        assert value in SURFACES
    elif name == "optimizers":
        assert isinstance(value, tuple) and 1 <= len(value) <= limits.MAX_RUNS
        assert len(set(value)) == len(value) and all(k in OPTIMIZERS for k in value)
    elif name == "hparams":
        assert set(value) == set(state.optimizers)
        for opt, values in value.items():
            _check_hparams(opt, values)
    elif name == "runs":
        assert isinstance(value, tuple) and 1 <= len(value) <= limits.MAX_RUNS
        for run in value:
            _check_run(run, surface)
    elif name == "axis":
        assert value in decl.AXIS_LABELS and (value == "steps" or surface.has_data)
    elif name == "start":
        (x_lo, x_hi), (y_lo, y_hi) = surface.domain
        assert len(value) == 2 and all(_finite(v) for v in value)
        assert x_lo <= value[0] <= x_hi and y_lo <= value[1] <= y_hi
    elif name == "steps":
        assert _is_int(value) and limits.APP_MIN_STEPS <= value <= limits.APP_MAX_STEPS <= limits.MAX_STEPS
    elif name == "seed":
        assert _is_int(value) and 0 <= value <= share.SEED_MAX
    elif name == "noise":
        assert _finite(value) and share.NOISE_RANGE[0] <= value <= share.NOISE_RANGE[1]
        assert value == 0.0 or not surface.has_data
    elif name == "batch_size":
        if surface.has_data:
            options = share.batch_options(surface)
            assert value is None or (_is_int(value) and value in options and value < surface.n_samples)
        else:
            assert value is None
    elif name == "view":
        assert value in share.VIEWS
    elif name == "contour":
        assert value in share.CONTOUR_STYLES
    elif name == "speed":
        assert _is_int(value) and share.SPEED_RANGE[0] <= value <= share.SPEED_RANGE[1]
    elif name == "camera":
        assert value is None or (len(value) == 3 and all(_finite(v) and abs(v) <= share.CAMERA_LIMIT for v in value)
                                 and math.hypot(*value) >= 1e-3)
    elif name == "present":
        assert _is_int(value) and value in (0, 1, 2)
    elif name == "inspect_run":
        assert _is_int(value) and 0 <= value <= limits.MAX_RUNS
    elif name == "inspect_step":
        assert _is_int(value) and 0 <= value <= limits.APP_MAX_STEPS
    elif name == "tool":
        assert value in TOOLS
    elif name == "basin_grid":
        assert _is_int(value) and BASIN_GRID.low <= value <= limits.MAX_BASIN_GRID and BASIN_GRID.low >= 2
        assert state.tool == "basins" or value == ViewState.basin_grid  # a closed tool's grid is its default
    elif name == "basin_mode":
        assert value in BASIN_MODES and (state.tool == "basins" or value == ViewState.basin_mode)
    elif name == "sensitivity_metric":
        assert value in METRICS and (state.tool == "sensitivity" or value == ViewState.sensitivity_metric)
    elif name == "tune_criterion":
        assert value in criteria_for(surface) and (state.tool == "sensitivity" or value == ViewState.tune_criterion)
    elif name == "curvature_at":
        assert value in CURVATURE_AT and (state.tool == "curvature" or value == ViewState.curvature_at)
    elif name == "curvature_run":
        assert _is_int(value) and 1 <= value <= limits.MAX_RUNS
        assert state.tool == "curvature" or value == ViewState.curvature_run
    elif name in ("curvature_x", "curvature_y"):
        lo, hi = surface.domain[name == "curvature_y"]
        assert _finite(value) and (lo <= value <= hi or value == getattr(ViewState, name))
        assert state.tool == "curvature" or value == getattr(ViewState, name)
    elif name in ("lock", "hide"):
        assert isinstance(value, str) and value == ",".join(g for g in LOCK_GROUPS if g in value.split(","))
    elif name == "goal":
        assert value == "" or goals.format_goal(goals.parse_goal(value)) == value
    elif name == "ask":
        assert value == "" or goals.format_question(goals.parse_question(value)) == value
    elif name == "board":
        assert value == "" or (6 <= len(value) <= 10 and set(value) <= set(BOARD_ALPHABET))
    elif name == "notices":
        assert isinstance(value, tuple) and len(value) <= limits.MAX_NOTICES
        assert all(isinstance(n, str) and 0 < len(n) <= 2 * limits.MAX_PARAM_CHARS + 100 for n in value)
    else:
        pytest.fail(f"ViewState has a field '{name}' that this fuzz test does not check: declare its range here")


def assert_valid(state: ViewState) -> None:
    for f in fields(ViewState):
        _check_field(state, f.name)


# --- the decoder --------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(QUERIES)
def test_any_query_gives_a_valid_view(query):
    assert_valid(parse_query(query))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FOCUSED)
def test_any_values_of_the_known_keys_give_a_valid_view_that_round_trips(query):
    state = parse_query(query)
    assert_valid(state)
    # What the app writes back into the URL opens the same view, silently.
    again = parse_query(to_query(state))
    assert again == state and again.notices == ()


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(KNOWN_KEYS), st.sampled_from(["nan", "inf", "-inf", "1e308", "-1e308", "x", "", "9" * 400]))
def test_a_bad_value_of_a_known_key_is_named_in_a_notice(key, bad):
    # A tool's setting means something while its tool is open: the link opens it.
    tool = next((t for t in TOOLS for s in TOOL_SETTINGS if s.link == key and s.active and s.active({"tool": t})), None)
    state = parse_query({"surface": "beale", "opt": ",".join(OPTIMIZERS), key: bad, **({"tool": tool} if tool else {})})
    assert_valid(state)
    # An empty view, contour style or camera means the default, as an absent key does; beale has no data,
    # so a batch size means nothing there.
    # axis is the data surfaces' too; any short text is a valid label, and an empty hidden means shown.
    # An empty class field (lock=, goal=, ...) makes no exercise, as an absent one does: nothing to name.
    empty_means_default = ("view", "contour", "cam", *(s.link for s in CLASS_SETTINGS))
    if (bad == "" and (key in empty_means_default or key.endswith(".hidden"))) or key in ("batch", "axis"):
        return
    if key.endswith(".label") and len(bad) <= decl.MAX_LABEL_CHARS:
        return
    assert state.notices, (key, bad)


def test_a_link_with_thousands_of_bad_keys_gets_a_bounded_list_of_notices():
    query = {f"junk{i}": "1" for i in range(5000)} | {"steps": "1e9", "adam.lr": "nan"}
    state = parse_query(query)
    assert_valid(state)
    assert len(state.notices) == limits.MAX_NOTICES and "more" in state.notices[-1]


def test_every_optimizer_fits_in_one_view():
    # A view of every registered optimizer must open whole; raise MAX_RUNS when the registry outgrows it.
    assert len(OPTIMIZERS) <= limits.MAX_RUNS
    assert parse_query({"opt": ",".join(OPTIMIZERS)}).optimizers == tuple(OPTIMIZERS)


def test_runs_beyond_the_limit_are_cut_with_a_notice():
    notices: list[str] = []
    assert limits.cap_runs(tuple(range(limits.MAX_RUNS + 3)), notices) == tuple(range(limits.MAX_RUNS))
    assert len(notices) == 1 and str(limits.MAX_RUNS) in notices[0]


def test_steps_from_a_link_never_exceed_the_apps_limit():
    for text in ("1000000", "1e9", "100000", str(limits.MAX_STEPS)):
        assert parse_query({"steps": text}).steps == limits.APP_MAX_STEPS


def test_the_engine_refuses_what_the_limits_refuse():
    with pytest.raises(ValueError, match="steps"):
        engine.simulate("bowl", "sgd", None, limits.MAX_STEPS + 1)
    with pytest.raises(ValueError, match="starts"):
        engine.simulate("bowl", "sgd", np.zeros((limits.MAX_STARTS + 1, 2)), 1)
    with pytest.raises(ValueError, match="points"):
        limits.check_path_points(limits.MAX_BASIN_GRID**2, limits.APP_MAX_STEPS)
    limits.check_path_points(1, limits.APP_MAX_STEPS)  # one run of the longest a session may ask for


# --- the whole app: a sample of links rendered, every simulate() call checked ----------------------


class EngineSpy:
    """Wraps simulate() wherever the app's modules hold it; records and checks every call."""

    def __init__(self):
        self.calls = 0
        self.basin_work = 0  # start-steps of the basin maps of one render
        self.real = engine.simulate

    def __call__(self, surface, optimizer, start=None, steps=200, **kw):
        self.calls += 1
        surf = SURFACES[surface] if isinstance(surface, str) else surface
        opt = optimizer if isinstance(optimizer, str) else getattr(optimizer, "key", None)
        starts = np.atleast_2d(np.asarray(surf.start if start is None else start, dtype=float))
        (x_lo, x_hi), (y_lo, y_hi) = surf.domain
        assert np.all(np.isfinite(starts))
        assert np.all((x_lo <= starts[:, 0]) & (starts[:, 0] <= x_hi) & (y_lo <= starts[:, 1]) & (starts[:, 1] <= y_hi))
        assert _is_int(steps) and limits.APP_MIN_STEPS <= steps <= limits.APP_MAX_STEPS, steps
        limits.check_path_points(len(starts), steps)
        noise, batch = kw.pop("noise", 0.0), kw.pop("batch_size", None)
        assert math.isfinite(noise) and share.NOISE_RANGE[0] <= noise <= share.NOISE_RANGE[1]
        assert batch is None or (surf.has_data and 1 <= batch <= surf.n_samples)
        seed = kw.pop("seed", 0)
        assert _is_int(seed) and 0 <= seed <= share.SEED_MAX
        kw.pop("tol", None)
        kw.pop("record_state", None)
        for name, schedule in (kw.pop("schedules", None) or {}).items():  # each value finite and >= 0
            assert isinstance(schedule, Schedule)
            values = schedule.values(steps, kw[name])
            assert np.all(np.isfinite(values)) and np.all(values >= 0), (name, schedule)
        if opt in OPTIMIZERS:  # a learning-rate sweep passes one value per start: each in range
            for values in _per_start(kw):
                _check_hparams(opt, values)
        return self.real(surface, optimizer, start, steps, noise=noise, batch_size=batch, seed=seed, **kw)

    def patch_everywhere(self, stack: ExitStack) -> None:
        for name, module in list(sys.modules.items()):
            if (name == "optviz" or name.startswith("optviz.")) and getattr(module, "simulate", None) is self.real:
                stack.enter_context(mock.patch.object(module, "simulate", self))
        stack.enter_context(mock.patch.object(tools_ui, "basin_map", self.basin_map))

    def basin_map(self, surface, run, grid, steps, seed):
        """The analysis panel's basin maps: the grid inside its declared range, each map and all of
        one view's maps within their limits (the starts then go through simulate() above)."""
        from optviz.analysis.basins import MAX_WORK, basin_map

        assert _is_int(grid) and BASIN_GRID.low <= grid <= limits.MAX_BASIN_GRID, grid
        self.basin_work += grid * grid * steps
        assert grid * grid * steps <= MAX_WORK and self.basin_work <= limits.MAX_BASIN_PANEL_WORK
        return basin_map(surface, run, grid=grid, steps=steps, seed=seed)


def _per_start(hparams: dict) -> list[dict[str, float]]:
    """One mapping of hyperparameters per start: scalars as they are, per-start arrays element by element."""
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in hparams.items()}
    n = max((len(a) for a in arrays.values()), default=1)
    assert all(len(a) in (1, n) for a in arrays.values())
    return [{k: float(a[i % len(a)]) for k, a in arrays.items()} for i in range(n)]


def _render(query: dict) -> tuple[AppTest, EngineSpy]:
    import streamlit

    streamlit.cache_data.clear()  # every link computes, so every simulate() goes through the spy
    streamlit.cache_resource.clear()
    spy = EngineSpy()
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    with ExitStack() as stack:
        spy.patch_everywhere(stack)
        # Strict JSON: a figure with a non-finite number where plotly needs one is an exception here.
        stack.enter_context(mock.patch.dict(os.environ, {web.STRICT_ENV: "1"}))
        at.run()
    return at, spy


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(FOCUSED)
def test_a_sample_of_hostile_links_renders_without_exception(query):
    at, spy = _render(query)
    assert not at.exception, [e.value for e in at.exception]
    assert spy.calls >= 1  # the view was computed, through the spy
    assert_page_finite(at)
    # The URL the app shows is a valid view of its own, without notices.
    shown = parse_query({k: at.query_params[k] for k in at.query_params})
    assert_valid(shown)
    assert shown.notices == (), shown.notices
    # Every run's widgets drawn from the link's values (from three runs on, once their editors open).
    open_run_editor(at, *range(len(shown.runs)))
    assert_page_finite(at)


# Links that open a tool: the grid, colouring, metric and criterion fuzzed with the view's steps and
# runs, so that the basin maps and sweeps they ask for are checked (the sample above rarely opens one).
TOOL_KEYS = [s.link for s in TOOL_SETTINGS if s.link != "tool"]
TOOL_QUERIES = st.fixed_dictionaries(
    {"tool": st.sampled_from(["basins", "sensitivity"]), "surface": st.sampled_from(list(SURFACES))},
    optional={**{k: ENTRY for k in TOOL_KEYS}, "steps": NUMBERS, "opt": VALUES,
              "basin.grid": st.one_of(NUMBERS, st.integers(-500, 500).map(str))},
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(TOOL_QUERIES)
def test_hostile_links_that_open_a_tool_render_within_the_limits(query):
    at, spy = _render(query)
    assert not at.exception, [e.value for e in at.exception]
    assert_page_finite(at)
    shown = parse_query({k: at.query_params[k] for k in at.query_params})
    assert_valid(shown)
    assert shown.notices == () and shown.tool == parse_query(query).tool
    # A basin map on the page went through the spy; one the limits refuse is a message instead.
    drawn = any((e.proto.id or "").endswith("-basin_view") for e in at.get("bidi_component"))
    refused = any("start-steps" in w.value for w in at.warning)
    if shown.tool == "basins":
        assert drawn == (spy.basin_work > 0) and drawn != refused
