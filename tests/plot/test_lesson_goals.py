"""A lesson's goal and its predict-then-play question (optviz/plot/lessons.toml, `goal` and `ask`):
read from the file, runs named by their names, the right answer computed from the runs."""

from __future__ import annotations

import copy

import pytest

from optviz.analysis import goals as G
from optviz.plot.lessons import LessonError, get_lesson, load_lessons, parse_lesson

VALID = {
    "key": "ok", "title": "T", "look": "One. Two.", "question": "Why?", "surface": "two_minima",
    "steps": 300, "runs": [{"name": "gd", "optimizer": "sgd", "hparams": {"lr": 0.1}},
                           {"name": "momentum", "optimizer": "momentum", "hparams": {"lr": 0.01}}],
    "claims": [{"kind": "minimum", "run": "gd", "minimum": 1}],
}


def test_the_file_has_lessons_with_a_goal_and_a_question():
    asking = [x for x in load_lessons() if x.ask is not None]
    assert any(x.goal is not None for x in load_lessons()) and asking


@pytest.mark.parametrize("lesson", [x for x in load_lessons() if x.ask or x.goal], ids=lambda x: x.key)
def test_a_lessons_question_and_goal_are_answered_by_its_runs(lesson):
    runs = lesson.compute()
    ts = [runs[n] for n in lesson.names]
    surface = __import__("surfaces").get_surface(lesson.view.surface)
    if lesson.ask is not None:
        choices = lesson.ask.choices(surface, lesson.labels)
        right = lesson.ask.answer(surface, ts)
        assert right and all(0 <= i < len(choices) for i in right)
        assert lesson.ask.explain(surface, ts, lesson.labels)
    if lesson.goal is not None:
        assert G.verdict(lesson.goal, surface, ts, lesson.labels).text


def test_three_learning_rates_asks_which_arrives_first():
    lesson = get_lesson("three-learning-rates")
    assert lesson.ask == G.Question("first") and lesson.goal == G.Converge(0, 100)
    runs = lesson.compute()
    ts = [runs[n] for n in lesson.names]
    from surfaces import get_surface

    surface = get_surface(lesson.view.surface)
    assert lesson.ask.answer(surface, ts) == (lesson.names.index("gd-medium"),)
    v = G.verdict(lesson.goal, surface, ts, lesson.labels)
    assert not v.met and "steps over the goal of 100" in v.text  # the challenge: the lesson's η is too small


def test_goal_and_ask_in_a_lesson_table():
    data = {**copy.deepcopy(VALID), "goal": {"kind": "converge", "run": "momentum", "within": 300, "global": True},
            "ask": {"kind": "minimum", "run": "gd"}}
    lesson = parse_lesson(data)
    assert lesson.goal == G.Converge(1, 300, True) and lesson.ask == G.Question("minimum", 0)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("goal", "converge_r0_10", r"goal must be a table with a kind"),
    ("goal", {"kind": "win"}, r"goal: unknown goal 'win'"),
    ("goal", {"kind": "converge", "run": "adam", "within": 3}, r"goal: run 'adam' is not one of the lesson's runs"),
    ("goal", {"kind": "converge", "run": "gd"}, r"goal: a 'converge' needs within"),
    ("ask", {"kind": "which"}, r"ask: unknown question 'which'"),
    ("ask", {"kind": "first", "run": "gd"}, r"ask: a 'first' takes kind; unknown: run"),
])
def test_a_broken_goal_or_question_gets_a_clear_error(field, value, message):
    with pytest.raises(LessonError, match=message):
        parse_lesson({**copy.deepcopy(VALID), field: value})


def test_a_question_about_minima_needs_a_surface_with_minima():
    data = {**copy.deepcopy(VALID), "surface": "saddle", "claims": [{"kind": "rises", "run": "gd", "series": "loss",
                                                                     "max": 1000}],
            "ask": {"kind": "minimum", "run": "gd"}}
    with pytest.raises(LessonError, match="lists no minimum"):
        parse_lesson(data)
