"""Share links: every value of the view survives the round trip; bad links are repaired with notices."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optviz import OPTIMIZERS
from optviz.presets import PRESETS
from optviz.share import (
    DEFAULT_SURFACE,
    ViewState,
    batch_options,
    default_state,
    format_number,
    parse_query,
    to_query,
)
from surfaces import SURFACES


def test_empty_link_is_the_default_view():
    state = parse_query({})
    assert state == default_state(DEFAULT_SURFACE)
    assert state.notices == ()


@pytest.mark.parametrize("surface", list(SURFACES))
def test_round_trip_of_every_surface_with_every_optimizer(surface):
    keys = tuple(OPTIMIZERS)
    base = default_state(surface, keys)
    hparams = {k: {h.name: h.grid()[len(h.grid()) // 3] for h in OPTIMIZERS[k].hparams} for k in keys}
    batch = batch_options(SURFACES[surface])[1] if SURFACES[surface].has_data else None
    state = ViewState(
        surface=surface, optimizers=keys, hparams=hparams, start=(base.start[0] + 0.123456789, base.start[1]),
        steps=370, seed=123456, noise=0.0 if batch else 0.35, batch_size=batch, view="contour", contour="lines",
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
        ({"adam.lr": "5"}, "outside"),
        ({"adam.lr": "0.00123"}, "rounded"),
        ({"adam.beta2": "1.5"}, "outside"),
        ({"noise": "-3"}, "outside"),
        ({"view": "4d"}, "unknown view"),
        ({"contour": "dotted"}, "contour style"),
        ({"speed": "0"}, "outside"),
        ({"cam": "1,2"}, "camera"),
        ({"cam": "nan,1,1"}, "camera"),
        ({"cam": "1e9,1,1"}, "camera"),
        ({"utm_source": "x"}, "unknown parameter"),
        ({"x0": "9" * 500}, "too long"),
        ({"surface": "mse", "batch": "7"}, "not offered"),
        ({"surface": "mse", "batch": "0"}, "outside"),
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
