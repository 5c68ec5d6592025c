"""A class's link fields (optviz/app/class_settings.py): lock, hide, goal, ask and board travel in the
view's link, read back in canonical form; hostile values give a notice, never a traceback; links
without them open as before and write none of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optviz.app.class_settings import BOARD_ALPHABET, LOCK_GROUPS
from optviz.app.share import default_state, parse_query, to_query

CLASS_KEYS = ("lock", "hide", "goal", "ask", "board")
LINKS_V1 = json.loads((Path(__file__).parents[1] / "fixtures" / "links_v1.json").read_text())["links"]


def test_an_exercise_link_round_trips():
    query = {**to_query(default_state("bowl")), "lock": "steps,surface,runs", "hide": "seed",
             "goal": "converge_r0_30_global", "ask": "minimum_r0", "board": "k7px3m"}
    state = parse_query(query)
    assert not state.notices
    assert (state.lock, state.hide, state.goal, state.ask, state.board) == (
        "surface,steps,runs", "seed", "converge_r0_30_global", "minimum_r0", "K7PX3M")
    again = to_query(state)
    assert {k: again[k] for k in CLASS_KEYS} == {"lock": "surface,steps,runs", "hide": "seed",
                                                  "goal": "converge_r0_30_global", "ask": "minimum_r0",
                                                  "board": "K7PX3M"}
    assert parse_query(again) == state


@pytest.mark.parametrize("link", LINKS_V1, ids=[link["title"] for link in LINKS_V1])
def test_old_links_write_no_class_field(link):
    state = parse_query(link["query"])
    assert (state.lock, state.hide, state.goal, state.ask, state.board) == ("",) * 5
    assert not set(CLASS_KEYS) & set(to_query(state))


@pytest.mark.parametrize(("key", "value", "kept", "notice"), [
    ("lock", "surface,bogus", "surface", "unknown group 'bogus' dropped"),
    ("lock", "everything", "", "unknown group 'everything'"),
    ("goal", "converge_r0_x", "", "'goal=converge_r0_x' was ignored: converge: 'x' is not a number of steps"),
    ("goal", "win", "", "unknown goal 'win'"),
    ("goal", "below_r0_nan_10", "", "not a finite number"),
    ("ask", "which_one", "", "unknown question 'which'"),
    ("board", "<script>alert(1)</script>", "", "a board code is"),
    ("board", "ABC", "", "a board code is"),
    ("board", "OOOOOO", "", "a board code is"),  # O is not in the codes' alphabet
    ("goal", "x" * 5000, "", "'goal' was too long and was ignored"),
])
def test_a_hand_edited_class_field_gives_a_notice(key, value, kept, notice):
    state = parse_query({**to_query(default_state("bowl")), key: value})
    assert getattr(state, key) == kept
    assert any(notice in n for n in state.notices), state.notices


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(CLASS_KEYS), st.text(max_size=80), max_size=5))
def test_any_class_field_reads_without_a_traceback(fields):
    state = parse_query({"surface": "bowl", **fields})
    for key in ("lock", "hide"):
        assert all(g in LOCK_GROUPS for g in getattr(state, key).split(",") if g)
    assert all(c in BOARD_ALPHABET for c in state.board)
    assert parse_query(to_query(state)) == state
