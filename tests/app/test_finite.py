"""Every number that becomes JSON for the browser goes through one policy (optviz.web.finite_for_json):
a gap where a data array has no value, a clipped surface whose colour bar says so, ranges from finite
values only, and in tests (OPTVIZ_STRICT_JSON) an error naming where a builder left a non-finite
number. The whole-app fuzzer is tests/app/test_fuzz_finite.py; these are the cases it, and a class, found."""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest

from optviz import OPTIMIZERS, simulate, web
from optviz.analysis import custom
from optviz.app.share import parse_query
from optviz.core import limits
from optviz.core.runs import Run
from optviz.plot import step_charts, styles, trajectory
from optviz.plot.grid import F32_MAX, Z_LIMIT, clip_note, surface_grid, z_range
from surfaces import SURFACES
from tests.apptest_support import app, assert_finite_json, assert_page_finite, clean, type_formula


@pytest.fixture
def strict(monkeypatch):
    monkeypatch.setenv("OPTVIZ_STRICT_JSON", "1")  # web.STRICT_ENV


# --- the encoder ----------------------------------------------------------------------------------


def test_the_encoder_makes_gaps_of_non_finite_array_values_and_null_of_other_non_finite_numbers():
    long = np.array([0.0, np.inf, 2.0, np.nan, -np.inf, 5.0, 6.0, 7.0, 8.0], dtype=np.float32)
    short = np.array([1.0, np.nan, np.inf])
    obj = json.loads(web.to_json({"x": long, "y": short, "range": [float("nan"), 1.0], "n": np.float64("inf")},
                                 strict=False))
    assert obj["y"] == [1.0, None, None] and obj["range"] == [None, 1.0] and obj["n"] is None
    decoded = np.frombuffer(base64.b64decode(obj["x"]["bdata"]), dtype=obj["x"]["dtype"])
    assert np.isnan(decoded[[1, 3, 4]]).all() and decoded[[0, 2, 5]].tolist() == [0, 2, 5]


def test_the_strict_encoder_names_where_a_number_is_not_finite():
    with pytest.raises(web.NonFiniteError, match=r"\.layout\.yaxis\.range\[1\]"):
        web.to_json({"layout": {"yaxis": {"range": [0, float("inf")]}}}, strict=True)
    with pytest.raises(web.NonFiniteError, match=r"\.data\[0\]\.z: 1 infinite"):
        web.to_json({"data": [{"z": np.array([1.0, np.inf])}]}, strict=True)
    # NaN in a data array is a gap, on purpose: allowed.
    web.to_json({"data": [{"x": [1.0, float("nan")], "y": np.array([np.nan, 1.0])}]}, strict=True)


def test_assert_finite_json_sees_inside_typed_arrays_of_a_payload():
    from optviz.app.figure_component import decode_payload, encode_payload

    raw = np.array([1.0, np.inf] * 4, dtype="<f4")  # as a page would get it from an encoder without the policy
    spec = {"dtype": "f4", "bdata": base64.b64encode(raw.tobytes()).decode("ascii")}
    with pytest.raises(AssertionError, match="infinite"):
        assert_finite_json({"data": [{"y": spec}]})
    figure = {"data": [{"type": "scatter", "x": np.arange(10.0), "y": np.full(10, 1e39)}], "layout": {}}
    assert_finite_json(decode_payload(encode_payload(figure, 300)))  # float64 1e39 is finite


# --- the surface, the paths --------------------------------------------------------------------------


OVERFLOW = "exp(exp(exp(exp(x))))"


def test_the_surface_of_an_overflowing_formula_is_clipped_finite_and_says_so():
    surface = SURFACES[custom.formula_surface_key(OVERFLOW, (-3, 3), (-3, 3))]
    grid = surface_grid(surface)
    lo, hi = grid.z_range
    assert np.isfinite(lo) and np.isfinite(hi) and lo < hi <= Z_LIMIT and grid.clipped
    figure = trajectory.trajectory_figure(surface, grid, [], steps=10)
    assert_finite_json(figure)
    contour = next(t for t in figure["data"] if t["type"] == "contour")
    assert "clipped" in contour["colorbar"]["title"]["text"] and "clipped" in contour["hovertemplate"]
    # A surface that is not clipped says nothing of the kind.
    plain = surface_grid(SURFACES["bowl"])
    assert not plain.clipped and clip_note(plain) == ""


@pytest.mark.parametrize("height", [1e20, -3e35, 1e300])
def test_a_flat_surface_far_from_zero_gets_a_range_that_is_not_empty(height):
    lo, hi = z_range(np.full(50, height))
    assert np.isfinite(lo) and np.isfinite(hi) and lo < hi and max(abs(lo), abs(hi)) <= Z_LIMIT


def test_a_path_whose_loss_overflows_float32_is_drawn_finite_up_to_its_last_finite_point():
    surface = SURFACES[custom.formula_surface_key(OVERFLOW, (-3, 3), (-3, 3))]
    grid = surface_grid(surface)
    t = simulate(surface, "sgd", np.array([0.5, 0.0]), 20)
    assert t.loss[0] > F32_MAX  # finite in float64, beyond float32
    style = styles.run_styles(["sgd"], ["SGD"], ["sgd"])[0]
    traces, _ = trajectory.optimizer_traces(surface, grid, t, style, "both")
    assert_finite_json({"data": traces})


# --- the app ---------------------------------------------------------------------------------------


def test_the_formula_exp_exp_exp_exp_x_typed_shows_the_view(strict):
    at = clean(app({"surface": "custom"}))
    clean(type_formula(at, OVERFLOW))
    assert not at.error
    assert custom.is_formula(at.session_state["surface"]) and OVERFLOW in at.session_state["surface"]
    assert_page_finite(at)


def test_a_run_that_starts_where_f_overflows_says_so_in_words():
    from optviz.analysis.results import results_rows

    surface = SURFACES[custom.formula_surface_key(OVERFLOW, (-3, 3), (-3, 3))]
    t = Run("sgd").simulate(surface.key, (2.0, 0.0), 20, 0)
    row = results_rows(surface, [("SGD", t)])[0]
    assert "overflow" in row["final loss"] and "nan" not in row["final loss"] and "-1" not in row["final loss"]


# --- found by the fuzzer (tests/app/test_fuzz_finite.py) --------------------------------------------------


def test_newton_on_a_typed_formula_opens_the_view_with_its_exact_hessian():
    at = clean(app({"surface": "custom", "f": "x**2 + 3*y**2 + x*y", "opt": "newton"}))
    assert_page_finite(at)
    surface = SURFACES[at.session_state["surface"]]
    p = np.array([[0.3, -1.2], [2.0, 1.0]])
    np.testing.assert_allclose(surface.hessian(p), [[[2.0, 1.0], [1.0, 6.0]]] * 2)
    t = simulate(surface, "newton", np.array([1.0, 1.0]), 3)
    np.testing.assert_allclose(t.path[-1], [0.0, 0.0], atol=1e-12)  # a quadratic: one exact step


def test_a_hessian_where_the_formula_has_no_value_is_nan():
    surface = SURFACES[custom.formula_surface_key("log(x) + y**2", (-1, 3), (-2, 2))]
    h = surface.hessian(np.array([[-0.5, 0.0], [2.0, 1.0]]))
    assert np.isnan(h[0]).all() and np.allclose(h[1], [[-0.25, 0.0], [0.0, 2.0]])


def test_a_sensitivity_curve_of_values_far_from_zero_and_close_together_gets_ticks():
    from optviz.analysis.sensitivity import lr_sensitivity
    from optviz.plot.analysis_plots import sensitivity_figure

    surface = SURFACES[custom.formula_surface_key("((x / 1e9))**-3", (-3, 3), (-3, 3))]
    run = Run("adadelta", (("eps", 1e-8), ("lr", 1e-3), ("rho", 0.5)))
    sweep = lr_sensitivity(surface, run, surface.start, steps=30, points=6)
    assert_finite_json(sensitivity_figure([sweep], metric="gap"))


def test_a_1000_step_view_of_24_runs_with_extreme_settings_on_an_overflowing_formula(strict):
    keys = sorted(OPTIMIZERS)
    query = {"surface": "custom", "f": OVERFLOW, "steps": str(limits.APP_MAX_STEPS)}
    for i in range(limits.MAX_RUNS):
        spec = OPTIMIZERS[keys[i % len(keys)]]
        query[f"r{i}.opt"] = spec.key
        for h in spec.hparams:  # every hyperparameter at the top of its range, then at the bottom
            query[f"r{i}.{h.name}"] = repr(h.high if i < len(keys) else h.low)
    at = clean(app(query))
    shown = parse_query({k: at.query_params[k] for k in at.query_params})
    assert len(shown.runs) == limits.MAX_RUNS and shown.steps == limits.APP_MAX_STEPS
    assert_page_finite(at)


@pytest.mark.parametrize("text", ["2*sinh(x*236.5)", "-2*sinh(x*236.5) + y"])
def test_the_loss_chart_of_f_spanning_all_floats_is_finite(text):
    surface = SURFACES[custom.formula_surface_key(text, (-3, 3), (-3, 3))]
    scale = step_charts.symlog_scale(surface)
    assert math.isfinite(scale) and scale > 0
    t = simulate(surface, "sgd", np.asarray(surface.start), 20)
    style = styles.run_styles(["sgd"], ["SGD"], ["sgd"])[0]
    assert_finite_json(step_charts.loss_figure(surface, [(style, t)]))


def test_the_symlog_scale_ignores_where_f_has_no_value():
    # log(x) has no value for x <= 0: the scale is 1% of the range of the values it has.
    surface = SURFACES[custom.formula_surface_key("log(x) - y", (-1, 3), (-2, 2))]
    (x0, x1), (y0, y1) = surface.domain
    f = surface.f(np.stack(np.meshgrid(np.linspace(x0, x1, 101), np.linspace(y0, y1, 101)), axis=-1))
    span = np.nanmax(f) - np.nanmin(f)
    assert step_charts.symlog_scale(surface) == pytest.approx(step_charts.SYMLOG_FRACTION * span)


@pytest.mark.parametrize("text", ["2*sinh(x*236.5)", OVERFLOW])
def test_the_gif_of_f_spanning_all_floats_is_made(text):
    from optviz.plot.gif import animation_gif

    surface = SURFACES[custom.formula_surface_key(text, (-3, 3), (-3, 3))]
    t = simulate(surface, "sgd", np.asarray(surface.start), 10)
    assert animation_gif(surface, [("SGD", "#1f77b4", t)], max_frames=2, size=120)[:6] == b"GIF89a"


def test_the_gif_colours_a_pole_as_the_view_does_clipped_not_flat():
    from optviz.plot.gif import LEVELS, background

    surface = SURFACES[custom.formula_surface_key("1/(x**2 + y**2)", (-1, 1), (-1, 1))]
    colours = np.unique(np.asarray(background(surface, 140)).reshape(-1, 3), axis=0)
    assert len(colours) >= LEVELS // 2  # the pole would otherwise take the whole scale: one colour


def test_a_typed_array_never_carries_inf_whoever_encodes_it():
    spec = web.typed_array_spec(np.array([1.0, np.inf, -np.inf, np.nan] * 2))
    decoded = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=spec["dtype"])
    assert np.isnan(decoded[1:4]).all() and decoded[0] == 1.0


def test_the_loss_chart_of_a_formula_with_a_subnormal_constant_is_finite():
    # found by the fuzzer: 5e-324*x spans a few subnormal numbers, 1 % of which is 0
    surface = SURFACES[custom.formula_surface_key("(5e-324)*x", (-3, 3), (-3, 3))]
    assert step_charts.symlog_scale(surface) > 0
    t = simulate(surface, "adam", np.asarray(surface.start), 20)
    style = styles.run_styles(["adam"], ["Adam"], ["adam"])[0]
    assert_finite_json(step_charts.loss_figure(surface, [(style, t)]))
