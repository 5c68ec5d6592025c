"""The whole view as URL query parameters, and back: validated, clamped, never trusted.

A link carries every value of the view (not just the ones that differ from the defaults), so
that it reproduces the same paths even if a later version changes a default. Parameters:

    surface=beale  opt=sgd,adam  adam.lr=0.01  adam.beta1=0.9 ...  x0=1  y0=1.5  steps=300
    seed=0  noise=0 (analytic surfaces)  batch=32 (data surfaces; absent = full batch)
    view=both  contour=filled  speed=60  cam=1.6,-1.6,0.9 (3-D camera eye, optional)

The parameters, their ranges and defaults are declared once, in `optviz/settings.py`.
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

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from surfaces import SURFACES, Surface

from . import settings
from .registry import DEFAULT_SELECTION, OPTIMIZERS
from .settings import CAMERA_LIMIT, DEFAULT_SURFACE, MAX_PARAM_CHARS, SEED_MAX, VIEW_LABELS, format_number

__all__ = [
    "CAMERA_LIMIT", "CONTOUR_STYLES", "DEFAULT_SPEED", "DEFAULT_SURFACE", "MAX_PARAM_CHARS", "NOISE_RANGE",
    "SEED_MAX", "SPEED_RANGE", "STEPS_RANGE", "VIEWS", "VIEW_LABELS", "ViewState", "batch_options",
    "default_state", "format_number", "parse_query", "preset_view", "to_query",
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
    surface: str
    optimizers: tuple[str, ...]
    hparams: Mapping[str, Mapping[str, float]]  # full values for every selected optimizer
    start: tuple[float, float]
    steps: int
    seed: int = 0
    noise: float = 0.0
    batch_size: int | None = None  # data surfaces: None is the full batch
    view: str = "both"
    contour: str = "filled"
    speed: int = DEFAULT_SPEED
    camera: tuple[float, float, float] | None = None
    present: int = 0  # optviz/ui_settings.py: presentation mode and the step inspector
    inspect_run: int = 0
    inspect_step: int = 0
    notices: tuple[str, ...] = field(default=(), compare=False)

    def values(self) -> dict[str, object]:
        """The flat mapping of setting key -> value that `optviz.settings` and the widgets use."""
        surface = SURFACES[self.surface]
        out: dict[str, object] = {"surface": self.surface, "optimizers": tuple(self.optimizers),
                                  "x0": self.start[0], "y0": self.start[1]}
        if surface.has_data:
            out["batch"] = self.batch_size or surface.n_samples
        for name in _SAME_NAMED:
            if settings.BY_KEY[name].applies(surface):
                out[name] = getattr(self, name)
        for key in self.optimizers:
            for name, value in self.hparams[key].items():
                out[settings.hparam_key(key, name)] = value
        return out

    @classmethod
    def from_values(cls, values: Mapping[str, object], notices=()) -> ViewState:
        surface = SURFACES[values["surface"]]
        optimizers = tuple(values["optimizers"])
        batch = int(values["batch"]) if surface.has_data else None
        # A setting with a field of its own name is copied with its declared type.
        ctx = settings.Context.of(surface.key)
        same_named = {name: _typed(settings.BY_KEY[name], values[name], ctx) for name in _SAME_NAMED
                      if settings.BY_KEY[name].applies(surface)}
        return cls(
            surface=surface.key,
            optimizers=optimizers,
            hparams={k: {h.name: float(values[settings.hparam_key(k, h.name)]) for h in OPTIMIZERS[k].hparams}
                     for k in optimizers},
            start=(float(values["x0"]), float(values["y0"])),
            batch_size=None if batch in (None, surface.n_samples) else batch,
            notices=tuple(notices),
            **same_named,
        )


# Settings stored in a ViewState field of the same name (the rest: surface, optimizers, start,
# batch_size and hparams, are mapped above).
_SAME_NAMED = tuple(f.name for f in fields(ViewState) if f.name in settings.BY_KEY and f.name not in
                    ("surface", "optimizers"))


def _typed(setting: settings.Setting, value, ctx: settings.Context):
    if value is None:
        return None
    if setting.kind == "number":
        return int(value) if setting.number(ctx).integer else float(value)
    if setting.kind == "point":
        return tuple(float(c) for c in value)
    return value


def batch_options(surface: Surface) -> tuple[int, ...]:
    """Batch sizes the app offers: 1 (SGD), powers of two, and the full batch."""
    return settings.BY_KEY["batch"].choices(settings.Context(surface, None))


def default_state(surface_key: str = DEFAULT_SURFACE, optimizers: tuple[str, ...] = DEFAULT_SELECTION) -> ViewState:
    """The surface's preset (its own start, 200 steps and the registry's defaults if it has none)."""
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
