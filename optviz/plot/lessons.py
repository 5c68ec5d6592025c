r"""Lessons: prepared views for a class, as data (`optviz/plot/lessons.toml`), each with what it claims.

A lesson is a view (a surface, runs, a start, a number of steps, a seed, and optionally the view,
the contour style, the horizontal axis of the charts and the charts to put first), a title, two
or three sentences of what to look for, one question for the class, and claims: what the
computed runs must show for the text to be true. `load_lessons()` reads and validates the file;
`check(lesson)` computes the runs and returns the claims that do not hold (an empty list when
the lesson tells the truth). tests/plot/test_lessons.py checks every lesson of the file.

A lesson's runs carry no label: the legend, the table and the exports label them automatically
from their settings (`optviz.runs.labels`), as in any other view, so a label follows a change of η
and never shows a number the run does not have. A run has a `name`, the id its claims use (never
shown), and may add a `note`: words the lesson box shows after the run's automatic label ("the
whole data set"), which may not contain a digit, so that a note cannot freeze a setting either.
`run_notes(lesson, runs)` gives the notes for the runs a view shows (a note stays with its run while
the run keeps the lesson's optimizer and gradient source); `seed_words(lesson, seed)` says in one
sentence what the seed draws. `readme_list(lessons)` is the README's list of lessons
(scripts/readme_lessons.py writes it between `README_BEGIN` and `README_END`; a test checks it).

The file (TOML, read with the standard library's `tomllib`), one `[[lessons]]` table each:

    [[lessons]]
    key = "gd-sgd-minibatch"          # the lesson's name in a link: ?lesson=gd-sgd-minibatch
    title = "..."
    look = "..."                      # what to look for: 2-3 sentences, at most about 90 words
    question = "...?"                 # one question for the class
    surface = "mse"                   # a key of surfaces.SURFACES
    start = [-1.0, 1.2]               # optional: the surface's own start
    steps = 250
    seed = 0                          # optional, 0
    view = "contour"                  # optional: "both" | "3d" | "contour"
    contour = "lines"                 # optional: "filled" | "lines"
    axis = "epochs"                   # optional: "steps" | "samples" | "epochs" (data surfaces)
    charts = ["coordinates"]          # optional, charts to show first: "loss" | "distance" | "coordinates"
    picture = "gradient-spread"       # optional, drawn in the lesson box at the view's start (data surfaces):
                                      # single points' gradients against mini-batch means (optviz.gradient_spread)

    compares = [["gd", "sgd"]]       # optional: groups of runs the text compares (see "Fair" below)
    goal = { kind = "converge", run = "gd", within = 300 }   # optional: a challenge (optviz.analysis.goals);
                                      # also sooner (run, than), below (run, value, by), stable, and
                                      # global = true on converge; runs named by their names
    ask = { kind = "first" }          # optional: predict, then play: first | lowest | diverge | minimum (run);
                                      # the choices and the right answer come from the computed runs

    [[lessons.runs]]                  # a run as `Run.from_dict` reads it, without a label
    name = "gd"                       # required, unique in the lesson, lowercase words without digits: claims
                                      # name runs by it
    note = "all the points"           # optional words after the automatic label; no digits
    optimizer = "sgd"
    hparams = { lr = 0.1 }            # every hyperparameter not given takes the registry default
    batch_size = 1                    # optional; also noise, schedules = { lr = { key = "step", ... } }

    [[lessons.claims]]
    kind = "rises"
    run = "gd"
    series = "loss"
    max = 0

Fair comparisons. The runs a sentence compares are those of each `sooner` and `lower` claim and
each group in `compares`; `Lesson.comparisons()` lists them as pairs. tests/plot/test_lessons.py asks
of each pair that its runs share every setting they both have (η, γ, batch size, noise,
schedules), or that their automatic labels show each setting that differs.

Seeds. A lesson with a stochastic run (a batch size or gradient noise: `Lesson.stochastic`)
must keep each claim on at least 90 % of the seeds 0-19 (tests/plot/test_lessons.py runs them all)
and says "in most runs" where a claim does not hold on every one of them.

The vocabulary of claims (`CLAIM_KINDS`). `run` and `than` name runs by their `name`; a *series* is one of
"loss" (the full-batch loss), "distance" (to the nearest known minimum), "step" (the length of
the update from point t to point t + 1), "x" or "y" (the coordinates); a *point* on a series is
`at = a` (the first point whose `axis` value is >= a), `over = [a, b]` (the mean over the points
whose axis value lies in [a, b]) or, with neither, the last point; `axis` is "steps" (default),
"samples" or "epochs" (the last two on data surfaces only); bounds `min`/`max` are inclusive.

- `outcome`: the run's outcome (`optviz.engine.OUTCOMES`) is `outcome`; optional `between = [lo, hi]`
  bounds the step it converged, escaped or diverged at.
- `minimum`: the run ends nearest to `surface.minima[minimum]` (and did not diverge or escape).
- `sooner`: the run's `event` ("converged" by default, or "escaped", "diverged") happens at an
  earlier point on `axis` than that of run `than`; `than` never having it counts as later, the
  run never having it fails.
- `reversals`: the number of steps along `coordinate` ("x" or "y") that reverse the direction of
  the step before (steps shorter than the trajectory's tolerance do not count), optionally only
  those made `over = [a, b]`, is within `min`/`max`; with `consecutive = true`, the longest
  streak of such steps in a row instead (a zig-zag: 10 means ten reversals at ten steps in a row).
- `rises`: the number of times `series` goes up from one point to the next (by more than 1e-12
  of its size), optionally `over = [a, b]`, is within `min`/`max`.
- `value`: the `series` at a point is within `min`/`max`.
- `lower`: the run's `series` at a point is lower than that of run `than` at the same point.
- `reaches`: the run comes within the tolerance of a minimum at some point, by `within` on `axis`
  if given ("reaches the tolerance within 2 epochs").

A series read after a run diverged (its path is frozen there: not computed data) makes the claim
fail, as does a point the run does not reach (epoch 5 of a run that makes 2 epochs).

Links: `Lesson.view` is neutral (surface, runs, start, steps, seed, view, contour, axis, charts;
`view.to_dict()` is plain data with each run as `Run.to_dict()`); the app opens a lesson from the
link parameter `lesson=<key>` by loading that view.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from surfaces import SURFACES, Surface, get_surface

from ..analysis import goals
from ..analysis.goals import event_step as _event_step
from ..core.engine import CONVERGED, DIVERGED, ESCAPED, MAX_STEPS, OUTCOMES, Trajectory
from ..core.runs import Run
from ..core.runs import labels as run_labels

LESSONS_FILE = Path(__file__).with_name("lessons.toml")

VIEWS = ("both", "3d", "contour")
CONTOURS = ("filled", "lines")
AXES = ("steps", "samples", "epochs")
CHARTS = ("loss", "distance", "coordinates")
PICTURES = ("gradient-spread",)  # optional pictures in the lesson box (optviz.gradient_spread)
SERIES = ("loss", "distance", "step", "x", "y")
COORDINATES = ("x", "y")
EVENTS = (CONVERGED, ESCAPED, DIVERGED)
KEY_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
NAME_PATTERN = re.compile(r"[a-z]+(?:-[a-z]+)*")  # a run's name: words, no number to go stale
MAX_LESSON_STEPS = 5000
RISE_RTOL = 1e-12

_LESSON_FIELDS = {"key", "title", "look", "question", "surface", "start", "steps", "seed", "view", "contour",
                  "axis", "charts", "runs", "claims", "compares", "picture", "goal", "ask"}
_RUN_FIELDS = {"name", "note"}  # a lesson run's own fields; the rest is `Run.from_dict`'s


class LessonError(ValueError):
    """A lesson file or entry that cannot be used, with where and why."""


# --- claims ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """One claim of a lesson about its computed runs; which fields a kind takes: `CLAIM_KINDS`."""

    kind: str
    run: str
    than: str | None = None
    outcome: str | None = None
    between: tuple[float, float] | None = None
    minimum: int | None = None
    event: str = CONVERGED
    coordinate: str | None = None
    consecutive: bool = False
    series: str | None = None
    axis: str = "steps"
    at: float | None = None
    over: tuple[float, float] | None = None
    within: float | None = None
    min: float | None = None
    max: float | None = None

    def to_dict(self) -> dict:
        """The fields given (as in the file)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != f.default or f.name in ("kind", "run"):
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def describe(self) -> str:
        """The claim in words, e.g. "GD: loss rises at most 0 times"."""
        return _DESCRIBE[self.kind](self)


@dataclass(frozen=True)
class _Kind:
    required: frozenset
    optional: frozenset


_POINT = frozenset({"axis", "at", "over"})
CLAIM_KINDS: dict[str, _Kind] = {
    "outcome": _Kind(frozenset({"outcome"}), frozenset({"between"})),
    "minimum": _Kind(frozenset({"minimum"}), frozenset()),
    "sooner": _Kind(frozenset({"than"}), frozenset({"event", "axis"})),
    "reversals": _Kind(frozenset({"coordinate"}), frozenset({"consecutive", "axis", "over", "min", "max"})),
    "rises": _Kind(frozenset({"series"}), frozenset({"axis", "over", "min", "max"})),
    "value": _Kind(frozenset({"series"}), _POINT | {"min", "max"}),
    "lower": _Kind(frozenset({"series", "than"}), _POINT),
    "reaches": _Kind(frozenset(), frozenset({"within", "axis"})),
}
"""Each claim kind: the fields it requires and those it may take (besides `kind` and `run`)."""


def _point_words(c: Claim) -> str:
    unit = {"steps": "step", "samples": "samples", "epochs": "epoch"}[c.axis]
    if c.at is not None:
        return f"at {unit} {c.at:g}" if c.axis != "samples" else f"after {c.at:g} samples"
    if c.over is not None:
        return f"on average over {unit}s {c.over[0]:g}-{c.over[1]:g}"
    return "at the end"


def _bounds_words(c: Claim) -> str:
    if c.min is not None and c.max is not None:
        return f"between {c.min:g} and {c.max:g}"
    return f"at least {c.min:g}" if c.min is not None else f"at most {c.max:g}"


def _over_words(c: Claim) -> str:
    return "" if c.over is None else f" over {c.axis} {c.over[0]:g}-{c.over[1]:g}"


_DESCRIBE = {
    "outcome": lambda c: f"{c.run}: {c.outcome}" + (
        "" if c.between is None else f" at a step in [{c.between[0]:g}, {c.between[1]:g}]"),
    "minimum": lambda c: f"{c.run}: ends nearest to minimum #{c.minimum}",
    "sooner": lambda c: f"{c.run}: {c.event} sooner than {c.than} (in {c.axis})",
    "reversals": lambda c: f"{c.run}: its {c.coordinate}-steps reverse direction {_bounds_words(c)} times"
    + (" in a row" if c.consecutive else "") + _over_words(c),
    "rises": lambda c: f"{c.run}: its {c.series} rises {_bounds_words(c)} times" + _over_words(c),
    "value": lambda c: f"{c.run}: {c.series} {_point_words(c)} is {_bounds_words(c)}",
    "lower": lambda c: f"{c.run}: {c.series} {_point_words(c)} lower than {c.than}'s",
    "reaches": lambda c: f"{c.run}: comes within the tolerance of a minimum"
    + ("" if c.within is None else f" by {c.axis} {c.within:g}"),
}


# --- lessons ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonView:
    """What the app shows for a lesson, in neutral terms: the runs in order, start, steps, seed,
    and optional display choices (None: the app's own)."""

    surface: str
    runs: tuple[Run, ...]
    start: tuple[float, float]
    steps: int
    seed: int = 0
    view: str | None = None
    contour: str | None = None
    axis: str = "steps"
    charts: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "surface": self.surface,
            "runs": [r.to_dict() for r in self.runs],
            "start": list(self.start),
            "steps": self.steps,
            "seed": self.seed,
            "view": self.view,
            "contour": self.contour,
            "axis": self.axis,
            "charts": list(self.charts),
        }


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    look: str  # what to look for: two or three sentences
    question: str  # one question for the class
    view: LessonView
    claims: tuple[Claim, ...] = field(default=())
    names: tuple[str, ...] = ()  # each run's name (claims use it), in the order of view.runs
    notes: tuple[str, ...] = ()  # each run's words after its automatic label ("" for none)
    compares: tuple[tuple[str, ...], ...] = ()  # groups of runs (by name) the text compares
    picture: str | None = None  # one of PICTURES, drawn in the lesson box
    goal: goals.Goal | None = None  # a challenge: its verdict is shown after every change
    ask: goals.Question | None = None  # predict, then play: asked before the runs are shown

    def __post_init__(self):
        if not self.names:  # a lesson built in code: runs named r0, r1, ...
            object.__setattr__(self, "names", tuple(f"r{i}" for i in range(len(self.view.runs))))
        if not self.notes:
            object.__setattr__(self, "notes", ("",) * len(self.view.runs))

    @property
    def labels(self) -> tuple[str, ...]:
        """The runs' labels as every view shows them: automatic, from their settings."""
        return tuple(run_labels(self.view.runs))

    @property
    def stochastic(self) -> bool:
        """Whether a run draws mini-batches or gradient noise (so its path depends on the seed)."""
        return any(r.batch_size is not None or r.noise > 0 for r in self.view.runs)

    def run(self, name: str) -> Run:
        return self.view.runs[self.names.index(name)]

    def comparisons(self) -> list[tuple[str, str]]:
        """The pairs of runs (by name) that the text compares: each `sooner` and `lower` claim's,
        and every pair within a group of `compares`."""
        pairs = [(c.run, c.than) for c in self.claims if c.kind in ("sooner", "lower")]
        pairs += [(g[i], g[j]) for g in self.compares for i in range(len(g)) for j in range(i + 1, len(g))]
        return list(dict.fromkeys(pairs))

    def with_seed(self, seed: int) -> Lesson:
        return replace(self, view=replace(self.view, seed=int(seed)))

    def compute(self) -> dict[str, Trajectory]:
        """Each run's trajectory, by name."""
        v = self.view
        return {n: r.simulate(v.surface, v.start, v.steps, v.seed) for n, r in zip(self.names, v.runs, strict=True)}

    def figure(self, **options):
        """The lesson's view as a plotly Figure (`optviz.figure`; needs plotly): its runs, start,
        steps, seed, and its view and contour style unless `options` say otherwise."""
        from .notebook import figure

        v = self.view
        shown = {k: val for k, val in (("view", v.view), ("contour", v.contour)) if val is not None}
        return figure(v.surface, v.runs, v.start, v.steps, v.seed, **{**shown, **options})

    def step_chart(self, kind: str = "loss", **options):
        """One of the lesson's step charts (`optviz.step_chart`: "loss", "distance", "x" or "y")."""
        from .notebook import step_chart

        v = self.view
        return step_chart(v.surface, v.runs, kind, v.start, v.steps, v.seed, **{"axis": v.axis, **options})


def run_notes(lesson: Lesson, runs: Sequence[Run]) -> dict[int, str]:
    """The lesson's notes for the runs of a view, by index: a note stays with the run at its
    position while that run keeps the lesson's optimizer and gradient source (its η may change)."""
    out = {}
    for i, (note, ours) in enumerate(zip(lesson.notes, lesson.view.runs, strict=True)):
        if note and i < len(runs) and (runs[i].optimizer, runs[i].batch_size) == (ours.optimizer, ours.batch_size):
            out[i] = note
    return out


def seed_words(lesson: Lesson, seed: int) -> str:
    """One sentence on the seed the view shows: what it draws, or that nothing is drawn."""
    if lesson.stochastic:
        return (f"Seed {seed}: it draws the mini-batches and the noise (the same for every run); another seed "
                f"gives other draws, and the text says \"in most runs\" where not every seed agrees.")
    return f"Seed {seed}: no run here draws anything at random, so every seed gives the same paths."


README_BEGIN = "<!-- lessons: written by scripts/readme_lessons.py from optviz/plot/lessons.toml -->"
README_END = "<!-- end of lessons -->"


def readme_list(lessons: Sequence[Lesson]) -> str:
    """The README's list of lessons: key, title and question of each, in the file's order (every
    number a lesson quotes stays in the file, where its claims check it)."""
    return "".join(f"- `{x.key}`: **{x.title}**. {x.question}\n" for x in lessons)


# --- reading and validating ------------------------------------------------------------------


def _number(where: str, name: str, value, *, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LessonError(f"{where}: {name} must be a finite number, got {value!r}")
    if integer and value != int(value):
        raise LessonError(f"{where}: {name} must be a whole number, got {value!r}")
    return int(value) if integer else float(value)


def _pair(where: str, name: str, value) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise LessonError(f"{where}: {name} must be two numbers [a, b], got {value!r}")
    a, b = (_number(where, name, v) for v in value)
    if a > b:
        raise LessonError(f"{where}: {name} must be [low, high], got {value!r}")
    return a, b


def _point(where: str, value) -> tuple:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise LessonError(f"{where}: start must be two numbers [x, y], got {value!r}")
    return tuple(value)


def _choice(where: str, name: str, value, allowed) -> str:
    if value not in allowed:
        raise LessonError(f"{where}: unknown {name} {value!r}; known: {', '.join(map(str, allowed))}")
    return value


def _text(where: str, name: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LessonError(f"{where}: {name} must be non-empty text, got {value!r}")
    return " ".join(value.split())


def parse_claim(data, where: str, names: Sequence[str], surface: Surface) -> Claim:
    """A claim from its table; LessonError naming what is wrong (unknown kind, field, run, series ...)."""
    if not isinstance(data, Mapping):
        raise LessonError(f"{where}: a claim must be a table, got {data!r}")
    kind = data.get("kind")
    if kind not in CLAIM_KINDS:
        raise LessonError(f"{where}: unknown claim kind {kind!r}; known: {', '.join(CLAIM_KINDS)}")
    spec = CLAIM_KINDS[kind]
    given = set(data) - {"kind", "run"}
    missing = spec.required - given
    if missing or "run" not in data:
        raise LessonError(f"{where}: a {kind!r} claim needs {', '.join(sorted(missing | ({'run'} - set(data))))}")
    unknown = given - spec.required - spec.optional
    if unknown:
        allowed = ", ".join(sorted({"kind", "run"} | spec.required | spec.optional))
        raise LessonError(f"{where}: a {kind!r} claim takes {allowed}; unknown: {', '.join(sorted(unknown))}")
    where = f"{where} ({kind})"
    values: dict = {"kind": kind}
    for name in ("run", "than"):
        if name in data:
            values[name] = _choice(where, f"run name in {name}", data[name], names)
    if "outcome" in data:
        values["outcome"] = _choice(where, "outcome", data["outcome"], OUTCOMES)
    if "between" in data:
        values["between"] = _pair(where, "between", data["between"])
        if values["outcome"] not in EVENTS:
            raise LessonError(f"{where}: between bounds the step of {', '.join(EVENTS)}, not of {values['outcome']!r}")
    if "minimum" in data:
        index = _number(where, "minimum", data["minimum"], integer=True)
        if not 0 <= index < len(surface.minima):
            raise LessonError(f"{where}: {surface.key} has {len(surface.minima)} minima; no minimum #{index}")
        values["minimum"] = index
    if "event" in data:
        values["event"] = _choice(where, "event", data["event"], EVENTS)
    if "coordinate" in data:
        values["coordinate"] = _choice(where, "coordinate", data["coordinate"], COORDINATES)
    if "consecutive" in data:
        if not isinstance(data["consecutive"], bool):
            raise LessonError(f"{where}: consecutive must be true or false, got {data['consecutive']!r}")
        values["consecutive"] = data["consecutive"]
    if "series" in data:
        values["series"] = _choice(where, "series", data["series"], SERIES)
        if values["series"] == "distance" and not surface.minima:
            raise LessonError(f"{where}: {surface.key} has no known minimum, so no distance series")
    if kind in ("minimum", "reaches") and not surface.minima:
        raise LessonError(f"{where}: {surface.key} has no known minimum")
    if "axis" in data:
        values["axis"] = _choice(where, "axis", data["axis"], AXES)
        if values["axis"] != "steps" and not surface.has_data:
            raise LessonError(f"{where}: the {values['axis']} axis needs a data surface; {surface.key} has none")
    if "at" in data and "over" in data:
        raise LessonError(f"{where}: give at or over, not both")
    if "at" in data:
        values["at"] = _number(where, "at", data["at"])
    if "over" in data:
        values["over"] = _pair(where, "over", data["over"])
    if "within" in data:
        values["within"] = _number(where, "within", data["within"])
    for name in ("min", "max"):
        if name in data:
            values[name] = _number(where, name, data[name])
    if kind in ("reversals", "rises", "value") and "min" not in values and "max" not in values:
        raise LessonError(f"{where}: a {kind!r} claim needs min, max or both")
    if values.get("min") is not None and values.get("max") is not None and values["min"] > values["max"]:
        raise LessonError(f"{where}: min {values['min']:g} > max {values['max']:g}")
    if values.get("than") is not None and values["than"] == values["run"]:
        raise LessonError(f"{where}: a run compared with itself ({values['run']!r})")
    return Claim(**values)


def parse_lesson(data, where: str = "lesson") -> Lesson:
    """A lesson from its table (as `tomllib` reads it); LessonError saying what is wrong."""
    if not isinstance(data, Mapping):
        raise LessonError(f"{where}: a lesson must be a table, got {data!r}")
    key = data.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise LessonError(f"{where}: key must be lowercase words joined by '-', got {key!r}")
    where = f"lesson {key!r}"
    unknown = set(data) - _LESSON_FIELDS
    if unknown:
        raise LessonError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(sorted(_LESSON_FIELDS))}")
    missing = {"title", "look", "question", "surface", "steps", "runs"} - set(data)
    if missing:
        raise LessonError(f"{where}: missing {', '.join(sorted(missing))}")
    title, look, question = (_text(where, n, data[n]) for n in ("title", "look", "question"))
    if not question.endswith("?"):
        raise LessonError(f"{where}: the question must end with '?', got {question!r}")
    surface_key = data["surface"]
    if not isinstance(surface_key, str) or surface_key not in SURFACES:
        raise LessonError(f"{where}: unknown surface {surface_key!r}; known: {', '.join(SURFACES)}")
    surface = get_surface(surface_key)
    if "start" in data:
        start = tuple(_number(where, "start", v) for v in _point(where, data["start"]))
        if not surface.contains(start):
            raise LessonError(f"{where}: start {start} lies outside {surface_key}'s domain {surface.domain}")
    else:
        start = tuple(float(v) for v in surface.start)
    steps = _number(where, "steps", data["steps"], integer=True)
    if not 1 <= steps <= min(MAX_STEPS, MAX_LESSON_STEPS):
        raise LessonError(f"{where}: steps must be in [1, {MAX_LESSON_STEPS}], got {steps}")
    seed = _number(where, "seed", data.get("seed", 0), integer=True)
    if seed < 0:
        raise LessonError(f"{where}: seed must be >= 0, got {seed}")
    view = _choice(where, "view", data["view"], VIEWS) if "view" in data else None
    contour = _choice(where, "contour", data["contour"], CONTOURS) if "contour" in data else None
    axis = _choice(where, "axis", data.get("axis", "steps"), AXES)
    if axis != "steps" and not surface.has_data:
        raise LessonError(f"{where}: the {axis} axis needs a data surface; {surface_key} has none")
    charts = data.get("charts", [])
    if not isinstance(charts, list):
        raise LessonError(f"{where}: charts must be a list, got {charts!r}")
    charts = tuple(_choice(where, "chart", c, CHARTS) for c in charts)

    raw_runs = data["runs"]
    if not isinstance(raw_runs, list) or not raw_runs:
        raise LessonError(f"{where}: runs must be a non-empty list of tables")
    runs, names, notes = [], [], []
    for i, raw in enumerate(raw_runs, 1):
        here = f"{where}, run {i}"
        if not isinstance(raw, Mapping):
            raise LessonError(f"{here}: a run must be a table, got {raw!r}")
        if "label" in raw:
            raise LessonError(f"{here}: a lesson's run has no label: its label is automatic (from its settings, so "
                              f"it follows a change); name it for the claims with `name`, add words with `note`")
        name = raw.get("name")
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise LessonError(f"{here}: every run needs a name, lowercase words (no digits) joined by '-' (claims "
                              f"name runs by it), got {name!r}")
        note = raw.get("note", "")
        note = _text(here, "note", note) if note != "" else ""
        if any(ch.isdigit() for ch in note):
            raise LessonError(f"{here} ({name!r}): a note may not contain a digit (it would not follow a change "
                              f"of the run's settings; the automatic label shows them), got {note!r}")
        try:
            run = Run.from_dict({k: v for k, v in raw.items() if k not in _RUN_FIELDS})
        except ValueError as err:
            raise LessonError(f"{here} ({name!r}): {err}") from None
        if run.batch_size is not None and not surface.has_data:
            raise LessonError(f"{here} ({name!r}): a batch size needs a data surface; {surface_key} has none")
        runs.append(run)
        names.append(name)
        notes.append(note)
    if len(set(names)) != len(names):
        raise LessonError(f"{where}: run names must be distinct, got {names}")

    raw_claims = data.get("claims", [])
    if not isinstance(raw_claims, list) or not raw_claims:
        raise LessonError(f"{where}: a lesson needs at least one claim (what its text says, checked)")
    claims = tuple(parse_claim(c, f"{where}, claim {i}", names, surface) for i, c in enumerate(raw_claims, 1))
    raw_compares = data.get("compares", [])
    if not isinstance(raw_compares, list):
        raise LessonError(f"{where}: compares must be a list of lists of run names, got {raw_compares!r}")
    compares = []
    for group in raw_compares:
        if not isinstance(group, list) or len(group) < 2:
            raise LessonError(f"{where}: each group in compares names at least two runs, got {group!r}")
        compares.append(tuple(_choice(where, "run name in compares", n, names) for n in group))
    picture = _choice(where, "picture", data["picture"], PICTURES) if "picture" in data else None
    if picture == "gradient-spread" and not surface.has_data:
        raise LessonError(f"{where}: the gradient-spread picture needs a data surface; {surface_key} has none")
    view_ = LessonView(surface_key, tuple(runs), start, steps, seed, view, contour, axis, charts)
    goal, ask = (_goal_table(where, name, data.get(name), names, surface) for name in ("goal", "ask"))
    return Lesson(key, title, look, question, view_, claims, tuple(names), tuple(notes), tuple(compares), picture,
                  goal, ask)


def _goal_table(where: str, name: str, data, names: Sequence[str], surface: Surface):
    """A lesson's `goal` or `ask` table (`optviz.analysis.goals.from_fields`), runs named by their names."""
    if data is None:
        return None
    if not isinstance(data, Mapping) or not isinstance(data.get("kind"), str):
        raise LessonError(f"{where}: {name} must be a table with a kind, got {data!r}")
    try:
        item = goals.from_fields(data["kind"], data, {n: i for i, n in enumerate(names)}, question=name == "ask")
    except goals.GoalError as err:
        raise LessonError(f"{where}: {name}: {err}") from None
    problem = goals.question_fits(item, surface, len(names)) if name == "ask" else goals.fits(item, len(names))
    if problem is not None:
        raise LessonError(f"{where}: {name}: {problem}")
    return item


def parse_lessons(data) -> tuple[Lesson, ...]:
    """All lessons of a parsed file (`{"lessons": [...]}`), keys distinct."""
    if not isinstance(data, Mapping) or set(data) != {"lessons"} or not isinstance(data["lessons"], list):
        raise LessonError("a lessons file holds one array of tables, [[lessons]], and nothing else")
    lessons = tuple(parse_lesson(d, f"lesson #{i}") for i, d in enumerate(data["lessons"], 1))
    keys = [lesson.key for lesson in lessons]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise LessonError(f"lesson keys must be distinct; repeated: {', '.join(duplicates)}")
    return lessons


def read_lessons_file(path: str | Path = LESSONS_FILE) -> dict:
    """The file as tomllib reads it (for tests that change a lesson before parsing it)."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise LessonError(f"{path}: not valid TOML: {err}") from None


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[Lesson, ...]:
    return parse_lessons(read_lessons_file(path))


def load_lessons(path: str | Path = LESSONS_FILE) -> tuple[Lesson, ...]:
    """The lessons of the file, validated, in the file's order (cached: lessons are immutable)."""
    return _load(str(path))


def get_lesson(key: str, path: str | Path = LESSONS_FILE) -> Lesson:
    for lesson in load_lessons(path):
        if lesson.key == key:
            return lesson
    raise LessonError(f"unknown lesson {key!r}; known: {', '.join(x.key for x in load_lessons(path))}")


# --- checking --------------------------------------------------------------------------------


class _Unavailable(Exception):
    """A series value that was not computed (after a divergence) or a point the run does not reach."""


def _axis(t: Trajectory, axis: str) -> np.ndarray:
    if axis == "samples":
        return np.asarray(t.samples_seen, dtype=float)
    if axis == "epochs":
        return np.asarray(t.epochs, dtype=float)
    return np.arange(t.steps + 1, dtype=float)


def _series(t: Trajectory, name: str) -> np.ndarray:
    """(T,) values at the points 0 .. steps; "step" is the update from point t (NaN at the last point)."""
    if name == "loss":
        out = np.array(t.loss, dtype=float)
    elif name == "distance":
        out = np.array(t.distance, dtype=float)
    elif name in ("x", "y"):
        out = np.array(t.path[:, COORDINATES.index(name)], dtype=float)
    else:
        out = np.full(t.steps + 1, np.nan)
        out[:-1] = np.linalg.norm(np.diff(t.path, axis=0), axis=1)
    if bool(t.diverged):  # frozen from diverged_at: not computed data
        out[int(t.diverged_at):] = np.nan
        if name == "step":
            out[int(t.diverged_at) - 1:] = np.nan
    return out


def _index_at(t: Trajectory, axis: str, at: float) -> int:
    ax = _axis(t, axis)
    hits = np.nonzero(ax >= at - 1e-9 * max(1.0, abs(at)))[0]
    if hits.size == 0:
        raise _Unavailable(f"it makes only {ax[-1]:g} {axis}, never reaches {at:g}")
    return int(hits[0])


def _window(t: Trajectory, axis: str, over) -> np.ndarray:
    """Indices of the points whose axis value lies in `over` (all points if None)."""
    ax = _axis(t, axis)
    if over is None:
        return np.arange(ax.size)
    idx = np.nonzero((ax >= over[0] - 1e-9) & (ax <= over[1] + 1e-9))[0]
    if idx.size == 0:
        raise _Unavailable(f"it has no point with {axis} in [{over[0]:g}, {over[1]:g}]")
    return idx


def _value(t: Trajectory, c: Claim) -> float:
    s = _series(t, c.series)
    if c.over is not None:
        vals = s[_window(t, c.axis, c.over)]
    elif c.at is not None:
        vals = s[[_index_at(t, c.axis, c.at)]]
    else:
        vals = s[[-2 if c.series == "step" else -1]]
    if np.isnan(vals).any():
        if not bool(t.diverged):  # only "step" has no value at the last point: no update follows it
            raise _Unavailable("there is no step after its last point")
        raise _Unavailable(f"it diverged at step {int(t.diverged_at)}: no {c.series} there")
    return float(vals.mean())


def _within(c: Claim, value: float) -> bool:
    return (c.min is None or value >= c.min) and (c.max is None or value <= c.max)


def _reversal_steps(t: Trajectory, coordinate: str) -> np.ndarray:
    """Steps k >= 1 (the update from point k) whose move along `coordinate` reverses the one before."""
    end = int(t.diverged_at) if bool(t.diverged) else t.steps
    d = np.diff(t.path[: end + 1, COORDINATES.index(coordinate)])
    visible = np.abs(d) > t.tol
    reversed_ = (np.sign(d[1:]) != np.sign(d[:-1])) & visible[1:] & visible[:-1]
    return np.nonzero(reversed_)[0] + 1


def _longest_streak(steps: np.ndarray) -> int:
    """The longest run of consecutive integers in the sorted `steps`."""
    if steps.size == 0:
        return 0
    breaks = np.nonzero(np.diff(steps) != 1)[0]
    edges = np.concatenate([[-1], breaks, [steps.size - 1]])
    return int(np.diff(edges).max())


def _check_one(c: Claim, runs: Mapping[str, Trajectory]) -> str | None:
    """None if the claim holds, else what was found instead."""
    t = runs[c.run]
    if c.kind == "outcome":
        if str(t.outcome) != c.outcome:
            return f"its outcome is {t.outcome!r}"
        if c.between is not None:
            step = _event_step(t, c.outcome) if c.outcome in EVENTS else -1
            if not c.between[0] <= step <= c.between[1]:
                return f"it is {c.outcome} at step {step}"
        return None
    if c.kind == "minimum":
        if str(t.outcome) in (DIVERGED, ESCAPED) or int(t.nearest_minimum) != c.minimum:
            return f"it ends {t.outcome}, nearest to minimum #{int(t.nearest_minimum)}"
        return None
    if c.kind == "sooner":
        ours, theirs = _event_step(t, c.event), _event_step(runs[c.than], c.event)
        if ours < 0:
            return f"it never {c.event}"
        if theirs >= 0:
            a, b = _axis(t, c.axis)[ours], _axis(runs[c.than], c.axis)[theirs]
            if not a < b:
                return f"{c.event} at {c.axis} {a:g}, {c.than} at {b:g}"
        return None
    if c.kind == "reversals":
        steps = _reversal_steps(t, c.coordinate)
        if c.over is not None:
            steps = np.intersect1d(steps, _window(t, c.axis, c.over))
        count = _longest_streak(steps) if c.consecutive else steps.size
        return None if _within(c, count) else f"they reverse {count} times" + (" in a row" if c.consecutive else "")
    if c.kind == "rises":
        s = _series(t, c.series)
        idx = _window(t, c.axis, c.over)
        idx = idx[idx + 1 < s.size]
        a, b = s[idx], s[idx + 1]
        ok = ~(np.isnan(a) | np.isnan(b))
        rises = int(np.sum(b[ok] - a[ok] > RISE_RTOL * np.maximum(np.abs(a[ok]), np.abs(b[ok]))))
        return None if _within(c, rises) else f"it rises {rises} times"
    if c.kind == "value":
        value = _value(t, c)
        return None if _within(c, value) else f"it is {value:.6g}"
    if c.kind == "lower":
        ours, theirs = _value(t, c), _value(runs[c.than], c)
        return None if ours < theirs else f"{ours:.6g} against {theirs:.6g}"
    if c.kind == "reaches":
        inside = np.nonzero(_series(t, "distance") <= t.tol)[0]
        if inside.size == 0:
            return "it never comes within the tolerance"
        first = _axis(t, c.axis)[inside[0]]
        if c.within is not None and first > c.within:
            return f"it first comes within the tolerance at {c.axis} {first:g}"
        return None
    raise LessonError(f"unknown claim kind {c.kind!r}")  # parse_claim lets none through


def check(lesson: Lesson, runs: Mapping[str, Trajectory] | None = None) -> list[str]:
    """The lesson's claims that do not hold on its computed runs (or on `runs`, by name), each as
    "<lesson>: <claim in words>: but <what was found>"; [] when every claim holds."""
    runs = lesson.compute() if runs is None else runs
    failures = []
    for c in lesson.claims:
        try:
            found = _check_one(c, runs)
        except _Unavailable as err:
            found = str(err)
        if found is not None:
            failures.append(f"{lesson.key}: {c.describe()}: but {found}")
    return failures
