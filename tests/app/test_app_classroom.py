"""A class in the loop, in the app (AppTest): a teacher makes an exercise with a question and a
board; students open its short link, see the question before the runs, answer; the teacher's board
counts them; locked controls are drawn disabled and kept; a goal's verdict follows every change."""

from __future__ import annotations

import pytest

from optviz.app.figure_component import VIEW_NAME
from optviz.classroom import SqliteStore
from tests.apptest_support import app, clean


@pytest.fixture(autouse=True)
def board_db(tmp_path, monkeypatch):
    path = tmp_path / "boards.sqlite3"
    monkeypatch.setenv("OPTVIZ_BOARD_DB", str(path))
    monkeypatch.delenv("OPTVIZ_BOARD_URL", raising=False)
    return path


def has_chart(at) -> bool:
    return any(e.proto.component_name == VIEW_NAME for e in at.get("bidi_component"))


def teacher_makes_exercise(free=("lr",), goal="stable", ask="first", board=True):
    at = clean(app({"surface": "bowl"}))
    assert not [w for w in at.multiselect if w.key == "class_free"]  # the closed panel makes no widget
    at.session_state["class_panel"] = True  # the teacher opens the panel
    at.run()
    at.multiselect(key="class_free").set_value(list(free))
    at.selectbox(key="class_goal_kind").set_value(goal)
    at.selectbox(key="class_ask").set_value(ask)
    at.run()
    at.toggle(key="class_board").set_value(board)
    at.button(key="class_make").click().run()
    return clean(at)


def counts_text(at) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def test_teacher_board_students_answer_teacher_sees_counts(board_db):
    teacher = teacher_makes_exercise()
    made = teacher.session_state["class_link"]
    (code,) = teacher.session_state["class_admin"]
    assert f"board={code}" in made["query"] and "ask=first" in made["query"] and "lock=" in made["query"]
    assert made["short"] and any(made["short"] in c.value for c in teacher.markdown)
    assert any("Answers so far" in m.value and "0 answered" in m.value for m in teacher.markdown)

    picks = [0, 4, 4]  # GD, Adam, Adam (the default view's runs on the bowl)
    for pick in picks:
        student = clean(app({"s": made["short"]}))
        assert student.session_state["board"] == code and student.session_state["ask"] == "first"
        assert not has_chart(student)  # predict first: no runs before the answer
        student.radio(key="class_pick").set_value(pick)
        student.button[[b.label for b in student.button].index("Answer, then see the runs")].click().run()
        clean(student)
        assert has_chart(student) and any("Your prediction" in m.value for m in student.markdown)
        # one answer per session: a second page of the same session changes nothing
        student.run()
        assert has_chart(student)

    teacher.run()
    clean(teacher)
    assert any("3 answered" in m.value for m in teacher.markdown)
    texts = counts_text(teacher)
    assert any(t.endswith(": 2") and "Adam" in t for t in texts) and any(t.endswith(": 1") for t in texts)
    secret = teacher.session_state["class_admin"][code]
    assert SqliteStore(board_db).counts(code, secret).per_choice[:5] == (1, 0, 0, 0, 2)
    assert not counts_text(student)  # not revealed: a student sees no counts
    teacher.button(key=f"class_reveal_{code}").click().run()
    student.button(key="class_look").click().run()
    assert any("3 answered" in m.value for m in clean(student).markdown)


def test_the_runs_answer_after_play_and_the_goal_verdict_shows(board_db):
    teacher = teacher_makes_exercise(board=False)
    student = clean(app({"s": teacher.session_state["class_link"]["short"]}))
    student.radio(key="class_pick").set_value(0)
    student.button[[b.label for b in student.button].index("Answer, then see the runs")].click().run()
    clean(student)
    reveal = [e for e in student.expander if "the runs' answer" in e.label]
    assert reveal and any("The runs say" in m.value for m in student.markdown)
    goal = [e.value for e in (*student.success, *student.error) if "Goal" in e.value]
    assert goal and "no run diverges" in goal[0]


def test_locked_controls_are_disabled_and_kept(board_db):
    at = clean(app({"surface": "bowl", "r0.opt": "sgd", "r0.lr": "0.1", "lock": "start,steps,runs",
                    "goal": "converge_r0_30"}))
    assert at.select_slider(key="steps").disabled and at.number_input(key="x0").disabled
    assert not at.select_slider(key="r0.lr").disabled
    assert any("Exercise" in i.value for i in at.info)
    verdict = [e.value for e in (*at.success, *at.error) if "Goal" in e.value]
    assert verdict and "converged at step" in verdict[0]
    # A locked value changed by other means (a click on the contour sets the start) is put back.
    at.session_state["x0"] = 1.0
    at.run()
    clean(at)
    assert at.session_state["x0"] == -2.5
    # The free control changes the verdict: GD at η 0.5 arrives in one step on the bowl.
    at.select_slider(key="r0.lr").set_value(0.5).run()
    verdict = [e.value for e in (*clean(at).success, *at.error) if "Goal" in e.value]
    assert verdict and "converged at step 1:" in verdict[0]


def test_unknown_short_link_and_hostile_fields_give_notices(board_db):
    at = clean(app({"s": "ZZZZZZZZ"}))
    assert any("short link 'ZZZZZZZZ' is unknown" in w.value for w in at.warning)
    at = clean(app({"surface": "bowl", "goal": "converge_r9_10", "ask": "minimum_r7", "board": "<b>x</b>"}))
    warnings = " ".join(w.value for w in at.warning)
    assert "goal cannot be checked" in " ".join(e.value for e in at.error) or "r9" in warnings
    assert "question cannot be asked" in warnings and "board" in warnings
    assert has_chart(at)  # a question that cannot be asked holds nothing back


def test_a_lessons_question_and_goal_are_the_panels_first_choice(board_db):
    at = clean(app({"lesson": "three-learning-rates"}))
    assert has_chart(at)  # the teacher presenting a lesson is not asked to predict
    at.session_state["class_panel"] = True
    at.run()
    assert at.selectbox(key="class_ask").value == "first" and at.selectbox(key="class_goal_kind").value == "lesson"
    at.button(key="class_make").click().run()
    query = clean(at).session_state["class_link"]["query"]
    assert "ask=first" in query and "goal=converge_r0_100" in query and "lock=" in query
    student = clean(app({"s": at.session_state["class_link"]["short"]}))
    assert not has_chart(student)
    student.radio(key="class_pick").set_value(1)  # GD η=0.01: the runs' answer
    student.button[[b.label for b in student.button].index("Answer, then see the runs")].click().run()
    assert any("as you predicted" in m.value for m in clean(student).markdown)
    verdict = [e.value for e in student.error if "Goal" in e.value]
    assert verdict and "steps over the goal of 100" in verdict[0]


def test_hidden_controls_are_left_out_by_their_widget_keys(board_db):
    at = clean(app({"surface": "bowl", "r0.opt": "sgd", "r0.lr": "0.1", "hide": "seed,runs", "lock": "steps"}))
    css = " ".join(m.value for m in at.markdown if m.value.startswith("<style>") and "st-key-" in m.value)
    hidden, greyed = css.split("display: none")[0].rsplit("}", 1)[-1], css.split("{pointer-events")[0]
    assert ".st-key-seed" in hidden and ".st-key-r0-opt" in hidden and ".st-key-add_run" in hidden
    assert ".st-key-steps" in greyed and ".st-key-r0-lr" not in css  # η stays free
    assert at.number_input(key="seed").disabled and at.select_slider(key="steps").disabled
    assert any("you can change" in i.value and "learning rate" in i.value for i in at.info)
