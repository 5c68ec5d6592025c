"""A class's link fields, declared like every other setting (`optviz/app/settings.py` registers them):
an exercise's locked or hidden controls, a challenge's goal, a predict-then-play question and a class
board's code. Each is left out of a link that does not use it, so every older link opens unchanged.

    lock=surface,start,steps,runs,hparams     controls drawn disabled (the groups of `LOCK_GROUPS`)
    hide=surface,seed                         controls not drawn at all (same groups)
    goal=converge_r0_300                      a goal (optviz/analysis/goals.py), its verdict shown after every change
    ask=first                                 a question asked before the runs are shown (goals.QUESTION_KINDS)
    board=K7PX3M                              a class board's code (optviz/classroom): answers are counted there

A hand-edited value that does not read (an unknown group, a goal with a typo, a board code with
letters the codes never use) is dropped with a link notice, never a traceback.
"""

from __future__ import annotations

import re

from ..analysis import goals
from ..classroom.store import CODE_ALPHABET as BOARD_ALPHABET
from .setting import Setting

LOCK_GROUPS = {
    "surface": "the surface",
    "start": "the start",
    "steps": "the number of steps",
    "seed": "the seed",
    "runs": "which runs there are (add, remove, optimizer, gradient source, schedules)",
    "lr": "every run's learning rate",
    "hparams": "every run's other hyperparameters",
}
"""The groups of controls an exercise can lock or hide, in the order a link writes them."""

BOARD_CODE = re.compile(rf"[{BOARD_ALPHABET}]{{6,10}}")


class PartlyRead(ValueError):
    """A value of which a part reads: `value` is kept, the message says what was dropped."""

    def __init__(self, message: str, value: str):
        super().__init__(message)
        self.value = value


def read_groups(text: str) -> str:
    """A lock or hide list in its canonical order; an unknown group is dropped (PartlyRead keeps the
    others: a typo must not set the whole exercise free)."""
    wanted = [g.strip().lower() for g in text.split(",") if g.strip()]
    known = ",".join(g for g in LOCK_GROUPS if g in wanted)
    unknown = [g for g in wanted if g not in LOCK_GROUPS]
    if unknown:
        raise PartlyRead(f"unknown group {unknown[0][:24]!r} dropped (known: {', '.join(LOCK_GROUPS)})", known)
    return known


def read_goal(text: str) -> str:
    try:
        return goals.format_goal(goals.parse_goal(text))
    except goals.GoalError as err:
        raise ValueError(str(err)) from None


def read_question(text: str) -> str:
    try:
        return goals.format_question(goals.parse_question(text))
    except goals.GoalError as err:
        raise ValueError(str(err)) from None


def read_board(text: str) -> str:
    code = text.strip().upper()
    if not BOARD_CODE.fullmatch(code):
        raise ValueError("a board code is 6 to 10 letters and digits from the codes' alphabet")
    return code


def _empty(ctx) -> str:
    return ""


CLASS_SETTINGS: tuple[Setting, ...] = (
    Setting("lock", "lock", "code", "Locked controls", default=_empty, omit="", parse=read_groups),
    Setting("hide", "hide", "code", "Hidden controls", default=_empty, omit="", parse=read_groups),
    Setting("goal", "goal", "code", "Goal", default=_empty, omit="", parse=read_goal),
    Setting("ask", "ask", "code", "Question", default=_empty, omit="", parse=read_question),
    Setting("board", "board", "code", "Class board", default=_empty, omit="", parse=read_board),
)
