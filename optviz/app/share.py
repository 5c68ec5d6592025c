"""The whole view as URL query parameters, and back: validated, clamped, never trusted.

A link carries every value of the view (not just the ones that differ from the defaults), so
that it reproduces the same paths even if a later version changes a default; the analysis tools'
settings (`optviz/app/tool_settings.py`: tool=basins basin.grid=100 basin.by=steps sens.show=steps
sens.tune=lowest_loss) are written only while their tool is open and differ from the default.
Parameters:

    surface=beale  x0=1  y0=1.5  steps=300  seed=0  view=both  contour=filled  speed=60
    cam=1.6,-1.6,0.9 (3-D camera eye, optional)  axis=epochs (data surfaces)
    r0.opt=adam  r0.lr=0.01  r0.beta1=0.9 ...  r0.noise=0 (analytic) | r0.batch=16 (data)
    r0.sched.lr=step  r0.sched.lr.step_size=30  r0.sched.lr.gamma=0.5   r0.label=...  r0.hidden=1
    r1.opt=...                                                       (one r<i>.* group per run)

Links from before runs (`opt=sgd,adam&adam.lr=0.2&noise=0.5`) are read as one run per optimizer
with the view-wide noise or batch size (`optviz/app/settings.py`, `LEGACY_SETTINGS`).

The parameters, their ranges and defaults are declared once, in `optviz/app/settings.py`.
`parse_query` turns any mapping of strings into a valid `ViewState` plus notices, under one
policy for every parameter:

- a value a person could have set in the UI, typed exact values included, is kept exactly (any
  number inside its range, on a slider position or not);
- a number outside its range is clamped; a fraction where a whole number is needed is rounded;
- a malformed value (not a number, not finite, too long) is replaced by the default, which for
  start, steps and hyperparameters is the surface's preset;
- a value that only exists on a discrete list goes to the nearest allowed one (batch size) or to
  the default (surface, view, contour style); unknown parameters are ignored;

and each replacement gives a notice. Links written before this policy (tests/fixtures/links_v1.json)
open the same view: every value the old app could write is still valid and kept.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from surfaces import SURFACES, Surface

from ..core.registry import DEFAULT_SELECTION, OPTIMIZERS
from ..core.runs import Run
from ..core.schedules import SCHEDULES
from . import settings, tool_settings
from .settings import CAMERA_LIMIT, DEFAULT_SURFACE, MAX_PARAM_CHARS, SEED_MAX, VIEW_LABELS, format_number

__all__ = [
    "CAMERA_LIMIT", "CONTOUR_STYLES", "DEFAULT_SPEED", "DEFAULT_SURFACE", "MAX_PARAM_CHARS", "NOISE_RANGE",
    "SEED_MAX", "SPEED_RANGE", "STEPS_RANGE", "VIEWS", "VIEW_LABELS", "ViewState", "batch_options",
    "default_state", "format_number", "parse_query", "preset_view", "run_from_values", "run_values", "to_query",
]

# Read from the declarations, for code that shows these settings by hand.
VIEWS = tuple(VIEW_LABELS)
CONTOUR_STYLES = tuple(settings.CONTOUR_LABELS)
_steps = settings.BY_KEY["steps"].number(None)
STEPS_RANGE, STEPS_STEP = (int(_steps.low), int(_steps.high)), int(_steps.step)
_noise = settings.BY_KEY["noise"].number(None)
NOISE_RANGE, NOISE_STEP = (_noise.low, _noise.high), _noise.step
_speed = settings.BY_KEY["speed"].number(None)
SPEED_RANGE = (int(_speed.low), int(_speed.high))
DEFAULT_SPEED = settings.BY_KEY["speed"].default(None)


@dataclass(frozen=True)
class ViewState:
    """The whole view: the surface, its runs (`optviz.runs.Run`, hidden ones included) and what
    they share (start, steps, seed), and how it is shown."""

    surface: str
    runs: tuple[Run, ...]
    start: tuple[float, float]
    steps: int
    seed: int = 0
    view: str = "both"
    contour: str = "filled"
    speed: int = DEFAULT_SPEED
    camera: tuple[float, float, float] | None = None
    axis: str = "steps"  # data surfaces: steps, samples or epochs on the charts' horizontal axis
    present: int = 0  # optviz/app/ui_settings.py: presentation mode and the step inspector
    inspect_run: int = 0
    inspect_step: int = 0
    # optviz/app/tool_settings.py: the analysis tool open under the charts and its settings
    tool: str = tool_settings.DEFAULTS["tool"]
    basin_grid: int = tool_settings.DEFAULTS["basin_grid"]
    basin_mode: str = tool_settings.DEFAULTS["basin_mode"]
    sensitivity_metric: str = tool_settings.DEFAULTS["sensitivity_metric"]
    tune_criterion: str = tool_settings.DEFAULTS["tune_criterion"]
    curvature_at: str = tool_settings.DEFAULTS["curvature_at"]
    curvature_run: int = tool_settings.DEFAULTS["curvature_run"]
    curvature_x: float = tool_settings.DEFAULTS["curvature_x"]
    curvature_y: float = tool_settings.DEFAULTS["curvature_y"]
    # optviz/app/class_settings.py: an exercise's locked and hidden controls, a goal, a question, a board
    lock: str = ""
    hide: str = ""
    goal: str = ""
    ask: str = ""
    board: str = ""
    notices: tuple[str, ...] = field(default=(), compare=False)

    # Read-only views of the runs, for views with one run per optimizer (old links).
    @property
    def optimizers(self) -> tuple[str, ...]:
        return tuple(r.optimizer for r in self.runs)

    @property
    def hparams(self) -> dict[str, dict[str, float]]:
        """Each optimizer's hyperparameters (of its first run)."""
        out: dict[str, dict[str, float]] = {}
        for r in self.runs:
            out.setdefault(r.optimizer, r.hparam_dict)
        return out

    @property
    def noise(self) -> float:
        return self.runs[0].noise if self.runs else 0.0

    @property
    def batch_size(self) -> int | None:
        return self.runs[0].batch_size if self.runs else None

    @property
    def visible_runs(self) -> tuple[tuple[int, Run], ...]:
        return tuple((i, r) for i, r in enumerate(self.runs) if not r.hidden)

    def values(self) -> dict[str, object]:
        """The flat mapping of setting key -> value that `optviz.settings` and the widgets use."""
        surface = SURFACES[self.surface]
        out: dict[str, object] = {"surface": self.surface, "x0": self.start[0], "y0": self.start[1],
                                  "runs": len(self.runs)}
        for name in _SAME_NAMED:  # a setting not in use (a closed tool's grid) is left out: session state keeps
            setting = settings.BY_KEY[name]  # what the person set there, for when that tool opens again
            if setting.applies(surface) and setting.is_active(out):
                out[name] = getattr(self, name)
        for i, r in enumerate(self.runs):
            out.update(run_values(i, r, surface))
        return out

    @classmethod
    def from_values(cls, values: Mapping[str, object], notices=()) -> ViewState:
        surface = SURFACES[values["surface"]]
        ctx = settings.Context.of(surface.key)
        # A setting with a field of its own name is copied with its declared type; one not in use (a
        # tool's setting while another tool is open) or missing has its default, so the view equals its link's.
        same_named = {}
        for name in _SAME_NAMED:
            setting = settings.BY_KEY[name]
            if setting.applies(surface):
                value = values.get(name) if setting.is_active(values) else None
                same_named[name] = setting.default(ctx) if value is None else _typed(setting, value, ctx)
        return cls(
            surface=surface.key,
            runs=tuple(run_from_values(values, i, surface) for i in range(int(values.get("runs", 0)))),
            start=(float(values["x0"]), float(values["y0"])),
            notices=tuple(notices),
            **same_named,
        )


# Settings stored in a ViewState field of the same name (the rest: surface, start and runs, are
# mapped above).
_SAME_NAMED = tuple(f.name for f in fields(ViewState) if f.name in settings.BY_KEY and f.name not in
                    ("surface", "runs"))


def run_values(index: int, run: Run, surface: Surface) -> dict[str, object]:
    """A run as the flat values of its settings (`r<index>.*`): the chosen schedules' parameters,
    not those of the schedules not chosen (fewer session-state keys: every Streamlit widget scans them)."""
    key = functools.partial(settings.run_key, index)
    out: dict[str, object] = {key("opt"): run.optimizer, key("label"): run.label, key("hidden"): run.hidden}
    out.update({key(name): value for name, value in run.hparams})
    if surface.has_data:
        out[key("batch")] = run.batch_size or surface.n_samples
    else:
        out[key("noise")] = run.noise
    chosen = run.schedule_dict
    for name in settings.schedulable(run.optimizer):
        schedule = chosen.get(name)
        out[key(f"sched.{name}")] = schedule.key if schedule is not None else "constant"
        if schedule is not None:  # the other schedules' parameters are not in use (they read as defaults)
            out.update({key(f"sched.{name}.{param}"): value for param, value in schedule.params().items()})
    return out


def run_from_values(values: Mapping[str, object], index: int, surface: Surface) -> Run:
    """The Run that the flat values of run `index` describe."""
    key = functools.partial(settings.run_key, index)
    optimizer = str(values[key("opt")])
    spec = OPTIMIZERS[optimizer]
    schedules = {}
    for name in settings.schedulable(optimizer):
        kind = values.get(key(f"sched.{name}"), "constant")
        cls = SCHEDULES[kind]
        defaults = cls().params()
        params = {f.name: values.get(key(f"sched.{name}.{f.name}"), defaults[f.name]) for f in fields(cls)}
        schedules[name] = cls(**{p: int(v) if f.type in ("int", int) else float(v)
                                 for (p, v), f in zip(params.items(), fields(cls), strict=True)})
    batch = int(values[key("batch")]) if surface.has_data else None
    return Run(
        optimizer,
        {h.name: float(values[key(h.name)]) for h in spec.hparams},
        batch_size=None if batch in (None, surface.n_samples) else batch,
        noise=0.0 if surface.has_data else float(values[key("noise")]),
        schedules=schedules,
        label=str(values.get(key("label")) or ""),
        hidden=bool(values.get(key("hidden"), False)),
    )


def _typed(setting: settings.Setting, value, ctx: settings.Context):
    if value is None:
        return None
    if setting.kind == "number":
        return int(value) if setting.number(ctx).integer else float(value)
    if setting.kind == "point":
        return tuple(float(c) for c in value)
    if setting.kind == "choice" and value not in setting.choices(ctx):
        # A choice the surface does not offer (fastest escape kept from the saddle, a cleared tool
        # button): the default, as the link reader would give.
        return setting.default(ctx)
    return value


def batch_options(surface: Surface) -> tuple[int, ...]:
    """Batch sizes the app offers: 1 (SGD), powers of two, and the full batch."""
    return settings.BY_KEY["batch"].choices(settings.Context(surface, None))


def default_state(surface_key: str = DEFAULT_SURFACE, optimizers: tuple[str, ...] = DEFAULT_SELECTION) -> ViewState:
    """The surface's preset with one run per optimizer (its own start, 200 steps and the
    registry's defaults if it has none)."""
    return ViewState.from_values(settings.defaults(surface_key, tuple(optimizers)))


def to_query(state: ViewState) -> dict[str, str]:
    return settings.to_query(state.values())


def parse_query(query: Mapping[str, object]) -> ViewState:
    """A valid ViewState from any query mapping; `.notices` says what was replaced and why."""
    values, notices = settings.read_query(query)
    return ViewState.from_values(values, notices)


def preset_view(surface_key: str, optimizers, *, view: str, contour: str, speed: int, seed: int = 0) -> ViewState:
    """The surface's preset for these optimizers (the default selection if none), keeping how
    the view is shown; the camera goes back to its default."""
    fresh = default_state(surface_key, tuple(optimizers) or DEFAULT_SELECTION)
    return replace(fresh, seed=seed, view=view, contour=contour, speed=speed)


# Fields that say how the view is looked at, not which paths it computes: the 3-D camera,
# presentation mode and the analysis tool open under the charts. A lesson keeps them (opening one
# does not turn the camera, leave presentation or close the tool; a link `lesson=<key>&present=1`
# opens the lesson in presentation mode, `lesson=<key>&tool=basins` with its basin map).
DISPLAY_FIELDS = ("camera", "present", *(s.key for s in tool_settings.TOOL_SETTINGS))


def display_values(values: Mapping[str, object]) -> dict[str, object]:
    """The display fields present in a flat mapping of values (session state, say)."""
    return {k: values[k] for k in DISPLAY_FIELDS if k in values}


def same_paths(a: ViewState, b: ViewState) -> bool:
    """Whether two views are the same apart from their display fields (DISPLAY_FIELDS)."""
    plain = {f.name: f.default for f in fields(ViewState) if f.name in DISPLAY_FIELDS}
    return replace(a, **plain) == replace(b, **plain)


def lesson_state(view) -> ViewState:
    """A lesson's view (`optviz.lessons.LessonView`) as a ViewState, read back through the link
    like any other (so a lesson value a link could not carry would show as a notice); the lesson's
    display choices where it makes them, the app's defaults otherwise."""
    surface = SURFACES[view.surface]
    state = ViewState(
        surface=view.surface, runs=tuple(view.runs), start=tuple(view.start), steps=view.steps, seed=view.seed,
        view=view.view or "both", contour=view.contour or "filled",
        axis=view.axis if surface.has_data else "steps",
    )
    return parse_query(to_query(state))

