r"""Goals and questions for a class: what a challenge asks of the runs, and what the runs answer.

A **goal** is a small frozen value that travels in a link (`goal=converge_r0_300`) and in a lesson;
`verdict(goal, surface, trajectories, names)` says whether the computed runs meet it, in one sentence
with its numbers ("Adam converged at step 312: 12 steps over the goal of 300"). Runs are named by
their index in the view (`r0`, `r1`, ... as in the link), the sentence uses their labels. The
vocabulary (`GOAL_KINDS`), each with its link form:

- `converge_r<i>_<N>` (`Converge`): run i converges (`optviz.core.engine.CONVERGENCE_RULE`) by step N;
  `converge_r<i>_<N>_global`: and at a global minimum of the surface (`Minimum.is_global`).
- `sooner_r<i>_r<j>` (`Sooner`): run i converges before run j (j never converging counts as later,
  as in a lesson's `sooner` claim; i never converging misses).
- `below_r<i>_<value>_<k>` (`Below`): run i's loss is below `value` at some step up to k.
- `stable` (`Stable`): no run of the view diverges or escapes (`OUTCOMES`), e.g. across a sweep of η.

A **question** (predict, then play) asks the class before the animation runs; its choices and its
right answer come from the view and the computed runs, never typed by hand (`QUESTION_KINDS`):

- `first`: which run converges first? (the runs' labels, and "none of them")
- `lowest`: which run ends with the lowest loss? (the runs' labels; a diverged run's loss does not count)
- `minimum_r<i>`: which minimum does run i end at? (the surface's minima, and "none: it does not arrive")
- `diverge`: does any run diverge or escape? (yes / no)

`parse_goal` and `parse_question` read the link form and raise `GoalError` (a ValueError with a
sentence for the page) on anything else; `format_goal` / `format_question` write it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from surfaces import Surface

from ..core.engine import CONVERGED, DIVERGED, ESCAPED, Trajectory
from ..core.limits import MAX_RUNS, MAX_STEPS
from ..core.runs import short_number

MAX_CODE_CHARS = 40  # a goal's or a question's link form


class GoalError(ValueError):
    """A goal or question that cannot be read, with a sentence saying why."""


# --- events shared with the lessons' claims ------------------------------------------------------


def event_step(t: Trajectory, event: str = CONVERGED) -> int:
    """The step at which a single-start run converged, escaped or diverged (`OUTCOMES`), -1 if it
    did not. A run frozen after an escape has `diverged_at` set but did not diverge."""
    step = int({CONVERGED: t.converged_at, ESCAPED: t.escaped_at, DIVERGED: t.diverged_at}[event])
    if event == DIVERGED and str(t.outcome) != DIVERGED:
        return -1
    return step


def blew_up(t: Trajectory) -> bool:
    """Whether the run diverged or escaped (its path is frozen: no point to speak of)."""
    return str(t.outcome) in (DIVERGED, ESCAPED)


# --- goals ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Converge:
    run: int = 0
    within: int = 100
    global_only: bool = False

    kind = "converge"

    def code(self) -> str:
        return f"converge_r{self.run}_{self.within}" + ("_global" if self.global_only else "")

    def words(self, names: Sequence[str]) -> str:
        where = "a global minimum" if self.global_only else "a minimum"
        return f"{_name(names, self.run)} converges at {where} by step {self.within}"


@dataclass(frozen=True)
class Sooner:
    run: int = 0
    than: int = 1

    kind = "sooner"

    def code(self) -> str:
        return f"sooner_r{self.run}_r{self.than}"

    def words(self, names: Sequence[str]) -> str:
        return f"{_name(names, self.run)} converges before {_name(names, self.than)}"


@dataclass(frozen=True)
class Below:
    run: int = 0
    value: float = 1e-3
    by: int = 100

    kind = "below"

    def code(self) -> str:
        return f"below_r{self.run}_{short_number(self.value, 6)}_{self.by}"

    def words(self, names: Sequence[str]) -> str:
        return f"{_name(names, self.run)}'s loss gets below {short_number(self.value, 6)} by step {self.by}"


@dataclass(frozen=True)
class Stable:
    kind = "stable"

    def code(self) -> str:
        return "stable"

    def words(self, names: Sequence[str]) -> str:
        return "no run diverges"


Goal = Converge | Sooner | Below | Stable
GOAL_KINDS = {"converge": Converge, "sooner": Sooner, "below": Below, "stable": Stable}


@dataclass(frozen=True)
class Verdict:
    """Whether the runs meet a goal, and one sentence with the numbers that say so."""

    met: bool
    text: str
    goal: str  # the goal in words


def _name(names: Sequence[str], i: int) -> str:
    return names[i] if 0 <= i < len(names) else f"run {i + 1}"


_RUN = re.compile(r"r(\d{1,2})")
_INT = re.compile(r"\d{1,6}")


def _run_index(token: str, what: str) -> int:
    m = _RUN.fullmatch(token)
    if m is None or int(m.group(1)) >= MAX_RUNS:
        raise GoalError(f"{what}: {token!r} is not a run (r0 .. r{MAX_RUNS - 1})")
    return int(m.group(1))


def _steps(token: str, what: str) -> int:
    if not _INT.fullmatch(token) or not 1 <= int(token) <= MAX_STEPS:
        raise GoalError(f"{what}: {token!r} is not a number of steps (1 .. {MAX_STEPS})")
    return int(token)


def _clean(text: str, what: str) -> list[str]:
    text = str(text).strip()
    if not text or len(text) > MAX_CODE_CHARS:
        raise GoalError(f"{what} must be 1 to {MAX_CODE_CHARS} characters")
    return text.split("_")


def parse_goal(text: str) -> Goal:
    """A goal from its link form (module docstring); GoalError saying what is wrong."""
    parts = _clean(text, "a goal")
    kind, args = parts[0], parts[1:]
    shape = {"converge": (2, 3), "sooner": (2, 2), "below": (3, 3), "stable": (0, 0)}
    if kind not in shape:
        raise GoalError(f"unknown goal {kind!r}; known: {', '.join(GOAL_KINDS)}")
    lo, hi = shape[kind]
    if not lo <= len(args) <= hi:
        raise GoalError(f"a {kind!r} goal reads like {GOAL_EXAMPLES[kind]}")
    if kind == "converge":
        if len(args) == 3 and args[2] != "global":
            raise GoalError(f"a converge goal ends with _global or nothing, not {args[2]!r}")
        return Converge(_run_index(args[0], "converge"), _steps(args[1], "converge"), len(args) == 3)
    if kind == "sooner":
        run, than = _run_index(args[0], "sooner"), _run_index(args[1], "sooner")
        if run == than:
            raise GoalError("a sooner goal compares two different runs")
        return Sooner(run, than)
    if kind == "below":
        try:
            value = float(args[1])
        except ValueError:
            raise GoalError(f"below: {args[1]!r} is not a number") from None
        if not math.isfinite(value):
            raise GoalError(f"below: {args[1]!r} is not a finite number")
        return Below(_run_index(args[0], "below"), value, _steps(args[2], "below"))
    return Stable()


GOAL_EXAMPLES = {"converge": "converge_r0_300 or converge_r0_300_global", "sooner": "sooner_r0_r1",
                 "below": "below_r0_0.01_150", "stable": "stable"}


def format_goal(goal: Goal) -> str:
    return goal.code()


def runs_needed(item) -> tuple[int, ...]:
    """The run indices a goal or question names."""
    return tuple(getattr(item, name) for name in ("run", "than") if hasattr(item, name))


def fits(item, n_runs: int) -> str | None:
    """None if the goal or question names only runs the view has, else a sentence why not."""
    missing = [i for i in runs_needed(item) if i >= n_runs]
    if missing:
        return f"it names run r{missing[0]}, but the view has {n_runs} run{'s' if n_runs != 1 else ''}"
    return None


def verdict(goal: Goal, surface: Surface, trajectories: Sequence[Trajectory], names: Sequence[str]) -> Verdict:
    """Whether the computed runs (single-start trajectories, in the view's order, named `names`)
    meet the goal, with a sentence of its numbers."""
    words = goal.words(names)
    problem = fits(goal, len(trajectories))
    if problem is not None:
        return Verdict(False, f"This goal cannot be checked: {problem}.", words)
    met, text = _VERDICTS[goal.kind](goal, surface, trajectories, names)
    return Verdict(met, text, words)


def _converge(g: Converge, surface: Surface, ts: Sequence[Trajectory], names) -> tuple[bool, str]:
    t, who = ts[g.run], _name(names, g.run)
    at = event_step(t, CONVERGED)
    if at < 0:
        return False, f"{who} did not converge in {t.steps} steps ({t.outcome}): the goal is step {g.within}."
    minimum = surface.minima[int(t.nearest_minimum)]
    if g.global_only and not minimum.is_global:
        return False, (f"{who} converged at step {at}, but at a local minimum ({short_number(minimum.x)}, "
                       f"{short_number(minimum.y)}), not a global one.")
    if at <= g.within:
        return True, f"{who} converged at step {at}: {g.within - at} steps inside the goal of {g.within}."
    return False, f"{who} converged at step {at}: {at - g.within} steps over the goal of {g.within}."


def _sooner(g: Sooner, surface: Surface, ts: Sequence[Trajectory], names) -> tuple[bool, str]:
    a, b = event_step(ts[g.run], CONVERGED), event_step(ts[g.than], CONVERGED)
    who, other = _name(names, g.run), _name(names, g.than)
    if a < 0:
        return False, f"{who} did not converge ({ts[g.run].outcome}); " + (
            f"{other} converged at step {b}." if b >= 0 else f"neither did {other}.")
    if b < 0:
        return True, f"{who} converged at step {a}; {other} did not converge ({ts[g.than].outcome})."
    if a < b:
        return True, f"{who} converged at step {a}, {b - a} steps before {other} (step {b})."
    return False, f"{who} converged at step {a}, {other} at step {b}: " + (
        "at the same step." if a == b else f"{a - b} steps later.")


def _below(g: Below, surface: Surface, ts: Sequence[Trajectory], names) -> tuple[bool, str]:
    t, who = ts[g.run], _name(names, g.run)
    end = min(g.by, t.steps)
    if blew_up(t):
        end = min(end, event_step(t, DIVERGED if str(t.outcome) == DIVERGED else ESCAPED) - 1)
    loss = np.asarray(t.loss, dtype=float)[: end + 1]
    goal = short_number(g.value, 6)
    if loss.size == 0:
        return False, f"{who} {t.outcome} at once: no loss to compare with {goal}."
    below = np.nonzero(loss < g.value)[0]
    if below.size:
        return True, f"{who}'s loss first went below {goal} at step {int(below[0])} (goal: by step {g.by})."
    best = int(np.argmin(loss))
    tail = f" (it {t.outcome} at step {event_step(t, str(t.outcome))})" if blew_up(t) else ""
    return False, (f"{who}'s lowest loss up to step {end} was {short_number(float(loss[best]), 4)} at step {best}, "
                   f"not below {goal}{tail}.")


def _stable(g: Stable, surface: Surface, ts: Sequence[Trajectory], names) -> tuple[bool, str]:
    bad = [i for i, t in enumerate(ts) if blew_up(t)]
    if not bad:
        return True, f"None of the {len(ts)} runs diverged."
    listed = ", ".join(f"{_name(names, i)} ({ts[i].outcome} at step {event_step(ts[i], str(ts[i].outcome))})"
                       for i in bad[:3])
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return False, f"{len(bad)} of {len(ts)} runs diverged or escaped: {listed}{more}."


_VERDICTS = {"converge": _converge, "sooner": _sooner, "below": _below, "stable": _stable}


# --- questions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """A question with choices whose right answer the computed runs give (`QUESTION_KINDS`)."""

    kind: str
    run: int = 0  # the run a "minimum" question is about

    def code(self) -> str:
        return f"minimum_r{self.run}" if self.kind == "minimum" else self.kind

    def text(self, names: Sequence[str]) -> str:
        return {
            "first": "Which run converges first?",
            "lowest": "Which run ends with the lowest loss?",
            "minimum": f"Which minimum does {_name(names, self.run)} end at?",
            "diverge": "Does any run diverge?",
        }[self.kind]

    def choices(self, surface: Surface, names: Sequence[str]) -> tuple[str, ...]:
        """The choices, from the view: its runs' labels, or the surface's minima."""
        if self.kind == "first":
            return (*names, "None of them")
        if self.kind == "lowest":
            return tuple(names)
        if self.kind == "minimum":
            return (*(_minimum_words(i, m) for i, m in enumerate(surface.minima)), "None: it does not arrive")
        return ("Yes", "No")

    def answer(self, surface: Surface, trajectories: Sequence[Trajectory]) -> tuple[int, ...]:
        """The indices of the right choices, from the computed runs (several on a tie)."""
        ts = trajectories
        if self.kind == "first":
            steps = [event_step(t, CONVERGED) for t in ts]
            done = [s for s in steps if s >= 0]
            return tuple(i for i, s in enumerate(steps) if s == min(done)) if done else (len(ts),)
        if self.kind == "lowest":
            losses = [math.inf if blew_up(t) else float(t.final_loss) for t in ts]
            best = min(losses)
            return tuple(i for i, v in enumerate(losses) if v == best)
        if self.kind == "minimum":
            t = ts[self.run]
            arrived = str(t.outcome) in (CONVERGED, "inside at the end") and int(t.nearest_minimum) >= 0
            return (int(t.nearest_minimum),) if arrived else (len(surface.minima),)
        return (0,) if any(blew_up(t) for t in ts) else (1,)

    def explain(self, surface: Surface, trajectories: Sequence[Trajectory], names: Sequence[str]) -> str:
        """What the runs did, in one sentence, for the reveal."""
        ts = trajectories
        if self.kind in ("first", "diverge"):
            return "; ".join(f"{_name(names, i)}: {t.outcome}" + (
                f" at step {event_step(t, str(t.outcome))}" if str(t.outcome) in (CONVERGED, DIVERGED, ESCAPED)
                else "") for i, t in enumerate(ts)) + "."
        if self.kind == "lowest":
            return "; ".join(f"{_name(names, i)}: " + (str(t.outcome) if blew_up(t) else
                                                         f"loss {short_number(float(t.final_loss), 4)}")
                             for i, t in enumerate(ts)) + " at the end."
        t = ts[self.run]
        return f"{_name(names, self.run)} ends {t.outcome}" + (
            f", nearest to {_minimum_words(int(t.nearest_minimum), surface.minima[int(t.nearest_minimum)])}."
            if int(t.nearest_minimum) >= 0 else ".")


def _minimum_words(i: int, m) -> str:
    kind = "global" if m.is_global else "local"
    return f"#{i + 1} at ({short_number(m.x)}, {short_number(m.y)}), {kind}"


QUESTION_KINDS = ("first", "lowest", "minimum", "diverge")


def parse_question(text: str) -> Question:
    """A question from its link form (module docstring); GoalError saying what is wrong."""
    parts = _clean(text, "a question")
    kind = parts[0]
    if kind not in QUESTION_KINDS:
        raise GoalError(f"unknown question {kind!r}; known: {', '.join(QUESTION_KINDS)}")
    if kind == "minimum":
        if len(parts) != 2:
            raise GoalError("a minimum question reads like minimum_r0")
        return Question("minimum", _run_index(parts[1], "minimum"))
    if len(parts) != 1:
        raise GoalError(f"a {kind!r} question takes nothing after its name")
    return Question(kind)


def format_question(question: Question) -> str:
    return question.code()


def question_fits(question: Question, surface: Surface, n_runs: int) -> str | None:
    """None if the question can be asked of this view, else why not."""
    problem = fits(question, n_runs)
    if problem is None and question.kind == "minimum" and not surface.minima:
        problem = f"{surface.title} lists no minimum"
    if problem is None and n_runs == 0:
        problem = "the view has no run"
    return problem


def from_fields(kind: str, data: Mapping, runs: Mapping[str, int], *, question: bool = False):
    """A goal or question from a lesson's table (`{kind = "converge", run = "adam", within = 300}`),
    runs named by the lesson's run names; GoalError saying what is wrong."""
    tokens = [kind]
    order = {"converge": ("run", "within"), "sooner": ("run", "than"), "below": ("run", "value", "by"),
             "stable": (), "minimum": ("run",), "first": (), "lowest": (), "diverge": ()}.get(kind)
    if order is None:
        known = QUESTION_KINDS if question else tuple(GOAL_KINDS)
        raise GoalError(f"unknown {'question' if question else 'goal'} {kind!r}; known: {', '.join(known)}")
    allowed = {"kind", *order, *(("global",) if kind == "converge" else ())}
    unknown = set(data) - allowed
    if unknown:
        raise GoalError(f"a {kind!r} takes {', '.join(sorted(allowed))}; unknown: {', '.join(sorted(unknown))}")
    for name in order:
        if name not in data:
            raise GoalError(f"a {kind!r} needs {name}")
        value = data[name]
        if name in ("run", "than"):
            if value not in runs:
                raise GoalError(f"{name} {value!r} is not one of the lesson's runs ({', '.join(runs)})")
            tokens.append(f"r{runs[value]}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise GoalError(f"{name} must be a number, got {value!r}")
        else:
            tokens.append(short_number(value, 6) if name == "value" else str(value))
    if data.get("global") is True:
        tokens.append("global")
    text = "_".join(tokens)
    return parse_question(text) if question else parse_goal(text)
