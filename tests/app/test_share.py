"""Share links: every value of the view survives the round trip; bad links are repaired with notices."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optviz import OPTIMIZERS, simulate
from optviz.app.settings import MAX_RUNS
from optviz.app.share import (
    DEFAULT_SURFACE,
    ViewState,
    batch_options,
    default_state,
    format_number,
    parse_query,
    to_query,
)
from optviz.core.presets import PRESETS, preset_for
from optviz.core.runs import Run
from surfaces import SURFACES


def test_empty_link_is_the_default_view():
    state = parse_query({})
    assert state == default_state(DEFAULT_SURFACE)
    assert state.notices == ()


# Every optimizer, in views of at most MAX_RUNS runs.
GROUPS = [tuple(OPTIMIZERS)[i:i + MAX_RUNS] for i in range(0, len(OPTIMIZERS), MAX_RUNS)]


@pytest.mark.parametrize("keys", GROUPS, ids=[g[0] for g in GROUPS])
@pytest.mark.parametrize("surface", list(SURFACES))
def test_round_trip_of_every_surface_with_every_optimizer(surface, keys):
    base = default_state(surface, keys)
    hparams = {k: {h.name: h.grid()[len(h.grid()) // 3] for h in OPTIMIZERS[k].hparams} for k in keys}
    batch = batch_options(SURFACES[surface])[1] if SURFACES[surface].has_data else None
    runs = tuple(Run(k, hparams[k], batch_size=batch, noise=0.0 if batch else 0.35) for k in keys)
    state = ViewState(
        surface=surface, runs=runs, start=(base.start[0] + 0.123456789, base.start[1]),
        steps=370, seed=123456, view="contour", contour="lines",
        speed=120,
        camera=(0.1, -2.25, 1.5),
    )
    back = parse_query(to_query(state))
    assert back.notices == ()
    assert back == state


def test_numbers_keep_their_precision():
    for v in (3e-4, 0.999, 0.9999, 1e-8, 0.1 + 0.2, -1.7825, 12.0):
        assert float(format_number(v)) == v
    assert format_number(3e-4) == "0.0003" and format_number(0.999) == "0.999"


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"surface": "everest"}, "unknown surface"),
        ({"opt": "sgd,turbo"}, "unknown optimizer"),
        ({"opt": "nope"}, "no known optimizer"),
        ({"steps": "NaN"}, "not a finite number"),
        ({"steps": "1e309"}, "not a finite number"),
        ({"steps": "99999999"}, "outside"),
        ({"steps": "12.5"}, "whole number"),
        ({"seed": "-4"}, "outside"),
        ({"x0": "abc"}, "not a number"),
        ({"y0": "-1e300"}, "outside"),
        ({"adam.lr": "inf"}, "not a finite number"),
        ({"adam.lr": "50"}, "outside"),
        ({"adam.lr": "0"}, "outside"),
        ({"adam.lr": "abc"}, "not a number"),
        ({"adam.beta2": "1.5"}, "outside"),
        ({"noise": "-3"}, "outside"),
        ({"view": "4d"}, "unknown view"),
        ({"contour": "dotted"}, "unknown contours"),
        ({"speed": "0"}, "outside"),
        ({"cam": "1,2"}, "camera"),
        ({"cam": "nan,1,1"}, "camera"),
        ({"cam": "1e9,1,1"}, "camera"),
        ({"utm_source": "x"}, "unknown parameter"),
        ({"x0": "9" * 500}, "too long"),
        ({"surface": "mse", "batch": "7"}, "not offered"),
        ({"surface": "mse", "batch": "0"}, "outside"),
        ({"surface": "mse", "batch": "2.5"}, "whole number"),
        ({"speed": "61.5"}, "whole number"),
    ],
)
def test_bad_values_are_replaced_with_a_notice(query, fragment):
    state = parse_query(query)
    assert any(fragment in n for n in state.notices), state.notices
    # Whatever came in, what goes out is a valid view: it round-trips without notices.
    again = parse_query(to_query(state))
    assert again.notices == () and again == state


def test_clamped_values_land_on_the_bounds():
    s = parse_query({"surface": "beale", "x0": "100", "y0": "-100", "steps": "5", "adam.lr": "50", "opt": "adam"})
    (_, x_hi), (y_lo, _) = SURFACES["beale"].domain
    assert s.start == (x_hi, y_lo) and s.steps == 10
    assert s.hparams["adam"]["lr"] == OPTIMIZERS["adam"].hparam("lr").high


def test_surface_preset_fills_what_the_link_leaves_out():
    s = parse_query({"surface": "ravine", "opt": "sgd"})
    assert s.start == PRESETS["ravine"].start and s.hparams["sgd"] == PRESETS["ravine"].hparams_for("sgd")


def test_repeated_keys_take_the_last_value():
    s = parse_query({"steps": ["100", "200"]})
    assert s.steps == 200


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["surface", "opt", "steps", "seed", "x0", "y0", "noise", "batch", "view", "speed", "cam",
                     "adam.lr", "sgd.lr", "adam.beta2", "momentum.momentum", "junk"]),
    st.text(max_size=30),
))
def test_any_link_gives_a_valid_view(query):
    state = parse_query(query)
    surface = SURFACES[state.surface]
    assert surface.contains(state.start)
    assert all(math.isfinite(v) for hp in state.hparams.values() for v in hp.values())
    for key, values in state.hparams.items():
        for h in OPTIMIZERS[key].hparams:
            assert h.low <= values[h.name] <= h.high
    assert parse_query(to_query(state)) == state


@pytest.mark.parametrize(
    ("query", "key", "expected"),
    [
        ({"adam.lr": "0.00123"}, ("hparams", "adam", "lr"), 0.00123),
        ({"momentum.momentum": "0.937"}, ("hparams", "momentum", "momentum"), 0.937),
        ({"adam.beta2": "0.99912345"}, ("hparams", "adam", "beta2"), 0.99912345),
        ({"noise": "0.33"}, ("noise",), 0.33),
        ({"steps": "255"}, ("steps",), 255),
        ({"speed": "73"}, ("speed",), 73),
        ({"x0": "2.123456789"}, ("start", 0), 2.123456789),
    ],
)
def test_a_value_a_person_could_type_is_kept_exactly(query, key, expected):
    """Between slider positions is not an error: the exact value is kept, without a notice."""
    state = parse_query(query)
    value = state
    for part in key:
        value = value[part] if isinstance(value, (dict, tuple)) else getattr(value, part)
    assert value == expected and state.notices == ()
    assert parse_query(to_query(state)) == state


def test_every_replaced_value_gives_its_own_notice():
    query = {"steps": "abc", "noise": "99", "seed": "1.5", "speed": "1e9", "view": "x", "adam.lr": "nan", "zz": "1"}
    state = parse_query(query)
    assert len(state.notices) == 7, state.notices
    assert state.steps == PRESETS[DEFAULT_SURFACE].steps  # malformed: the preset's
    assert state.noise == 10.0 and state.seed == 2 and state.speed == 500 and state.view == "both"
    assert state.hparams["adam"]["lr"] == PRESETS[DEFAULT_SURFACE].hparams_for("adam")["lr"]


def test_a_surface_without_a_preset_gets_a_default(monkeypatch):
    from surfaces import Minimum, Surface

    flat = Surface(key="flat_test", title="Flat", f=lambda p: (p**2).sum(-1), grad=lambda p: 2 * p,
                   domain=((-1.0, 1.0), (-1.0, 1.0)), minima=(Minimum(0.0, 0.0, 0.0),), f_min=0.0,
                   latex="x^2+y^2", start=(0.5, -0.5))
    monkeypatch.setitem(SURFACES, "flat_test", flat)
    state = parse_query({"surface": "flat_test", "opt": "adam"})
    assert state.notices == () and state.start == (0.5, -0.5) and state.steps == 200
    assert state.hparams["adam"] == OPTIMIZERS["adam"].defaults
    assert preset_for("flat_test").hparams_for("adam") == OPTIMIZERS["adam"].defaults


LINKS_V1 = json.loads((Path(__file__).parents[1] / "fixtures" / "links_v1.json").read_text())["links"]


def _view(state):
    return {
        "surface": state.surface, "optimizers": list(state.optimizers),
        "hparams": {k: dict(v) for k, v in state.hparams.items()}, "start": list(state.start), "steps": state.steps,
        "seed": state.seed, "noise": state.noise, "batch_size": state.batch_size, "view": state.view,
        "contour": state.contour, "speed": state.speed, "camera": None if state.camera is None else list(state.camera),
    }


@pytest.mark.parametrize("link", LINKS_V1, ids=[link["title"] for link in LINKS_V1])
def test_old_links_open_the_same_view(link):
    """Links written by the app before the settings rework (and hand-edited ones) keep their view."""
    state = parse_query(link["query"])
    view, recorded = _view(state), link["view"]
    if link["complete"]:
        # Hyperparameters added since (Adam's weight_decay and bias_correction) take their defaults,
        # which keep the rule the link was made with (the paths below, to the last bit, say so).
        for key, values in view["hparams"].items():
            added = {name: v for name, v in values.items() if name not in recorded["hparams"][key]}
            assert added == {name: OPTIMIZERS[key].defaults[name] for name in added}, key
            view["hparams"][key] = {name: v for name, v in values.items() if name not in added}
        assert view == recorded
        for key in state.optimizers:  # and the same paths
            t = simulate(state.surface, key, state.start, state.steps, seed=state.seed, noise=state.noise,
                         batch_size=state.batch_size, **state.hparams[key])
            recorded_end = [float(v) for v in link["path_ends"][key]]
            if key in ("momentum", "nesterov"):
                # Since the links were saved, Momentum and Nesterov keep torch's buffer (v <- gv + g,
                # step lr*v) instead of v <- gv + lr*g: the same path in exact arithmetic, rounded
                # differently in the last bits (docs/math.md), which 500 steps in Rosenbrock's
                # valley amplify to ~1e-9: far below what a drawing (float32) can show.
                np.testing.assert_allclose(t.path[-1], recorded_end, rtol=0,
                                           atol=1e-7 * SURFACES[state.surface].extent, err_msg=key)
            else:  # to the last bit
                assert [repr(float(v)) for v in t.path[-1]] == link["path_ends"][key], key
    else:
        # What the link carries is kept; what it leaves out is the surface's current preset.
        preset = preset_for(recorded["surface"])
        assert view["surface"] == recorded["surface"] and view["optimizers"] == recorded["optimizers"]
        query = link["query"]
        for key in state.optimizers:
            for name, value in state.hparams[key].items():
                carried = f"{key}.{name}" in query
                assert value == (recorded["hparams"][key][name] if carried else preset.hparams_for(key)[name])
        for i, axis in enumerate(("x0", "y0")):
            assert state.start[i] == (recorded["start"][i] if axis in query else preset.start[i])
        assert state.steps == (recorded["steps"] if "steps" in query else preset.steps)
        for name in ("seed", "noise", "batch_size", "view", "contour", "speed", "camera"):
            assert view[name] == recorded[name], name
    assert not [n for n in state.notices if "unknown parameter" not in n]


def test_the_old_links_cover_every_surface_and_optimizer():
    assert {link["view"]["surface"] for link in LINKS_V1} == set(SURFACES)
    # Every optimizer there was when they were written (those added since have no old links).
    old = {k for link in LINKS_V1 for k in link["view"]["optimizers"]}
    assert old == {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "amsgrad", "adamax",
                   "nadam"} and old <= set(OPTIMIZERS)


@st.composite
def typed_values(draw):
    key = draw(st.sampled_from(list(OPTIMIZERS)))
    h = draw(st.sampled_from(OPTIMIZERS[key].hparams))
    if h.integer:  # a switch: 0 or 1 (a fraction is rounded, with a notice)
        return key, h, draw(st.integers(int(h.low), int(h.high)))
    return key, h, draw(st.floats(h.low, h.high, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(typed_values(), st.floats(0.0, 10.0), st.integers(10, 1000))
def test_any_value_in_range_is_kept_exactly_without_a_notice(typed, noise, steps):
    key, h, value = typed
    query = {"surface": "ravine", "opt": key, f"{key}.{h.name}": format_number(value), "noise": repr(noise),
             "steps": str(steps)}
    state = parse_query(query)
    assert state.notices == ()
    assert state.hparams[key][h.name] == value and state.noise == noise and state.steps == steps
    assert parse_query(to_query(state)) == state


def test_the_adam_switch_and_l2_in_links():
    """Old links have neither: bias correction on, no L2 (the rule they were made with). A link with
    them keeps them; a fraction of a switch is rounded, with a notice."""
    old = parse_query({"surface": "ravine", "opt": "adam,amsgrad", "adam.lr": "0.1"})
    for run in old.runs:
        assert run.hparam("bias_correction") == 1 and run.hparam("weight_decay") == 0.0
    runs = (Run("adam", {"lr": 0.1, "bias_correction": 0, "weight_decay": 0.25}),
            Run("adamax", {"bias_correction": 0}), Run("adamw", {"weight_decay": 0.1, "bias_correction": 0}))
    state = ViewState(surface="ravine", runs=runs, start=(-4.0, 1.0), steps=100)
    query = to_query(state)
    assert query["r0.bias_correction"] == "0" and query["r0.weight_decay"] == "0.25"
    back = parse_query(query)
    assert back.notices == () and back.runs == state.runs
    half = parse_query({**query, "r0.bias_correction": "0.7"})
    assert half.runs[0].hparam("bias_correction") == 1
    assert any("r0.bias_correction" in n and "whole number" in n for n in half.notices)
    legacy = parse_query({"surface": "ravine", "opt": "nadam", "nadam.bias_correction": "0"})
    assert legacy.notices == () and legacy.runs[0].hparam("bias_correction") == 0


def test_presentation_is_a_display_field_like_the_camera():
    """Presentation mode says how the view is shown, not which paths it computes (issue 19)."""
    from dataclasses import replace

    from optviz.app.share import DISPLAY_FIELDS, display_values, same_paths

    state = default_state("ravine")
    assert "present" in DISPLAY_FIELDS
    assert same_paths(state, replace(state, present=1)) and same_paths(replace(state, present=2), state)
    assert not same_paths(state, replace(state, steps=state.steps + 1))
    assert display_values({"present": 1, "steps": 40}) == {"present": 1}
