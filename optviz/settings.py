"""The view's settings, each declared once: the link, the state and the widgets derive from it.

A `Setting` says everything about one setting of the view: its key (the session-state and widget
key, and its name in a flat mapping of values), its share-link parameter, what values it takes
(a `Number` range on a scale, or a list of choices), its default for a surface (often the
surface's preset), its widget, label and help, and whether it is remembered per surface. Nothing
else in the code lists the settings: `share.parse_query`/`share.to_query` read and write them,
`app.py` draws them and reads them back with the functions below.

Hyperparameters are settings generated from the registry (`hparam_setting`): one per optimizer
and `HParam`, keyed `hp.<optimizer>.<name>`, in the link as `<optimizer>.<name>`. Per-run settings
(several runs of one optimizer, schedules) are generated the same way from a run's index.

The one policy for values that come from a link (also in the README's "Sharing a view"):

- a value a person could have set in the UI, typed exact values included, is kept exactly:
  any number inside its range, on a slider position or not (`0.00123`, `noise=0.33`, `steps=255`);
- a number outside its range is clamped to the nearest end; a fraction where a whole number is
  needed (steps, seed, speed) is rounded;
- a malformed value (not a number, not finite, too long) is replaced by the default, which for
  start, steps and hyperparameters is the surface's preset;
- a value that only exists on a discrete list goes to the nearest allowed one where the list is
  ordered (batch size) and to the default otherwise (surface, view, contour style);
- unknown parameters are ignored.

Every replacement gives one notice, shown above the charts until the person changes something.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from surfaces import SURFACES, Surface

from . import limits
from .presets import preset_for
from .registry import DEFAULT_SELECTION, OPTIMIZERS, HParam, Preset
from .scales import Number

DEFAULT_SURFACE = "beale"
MAX_PARAM_CHARS = limits.MAX_PARAM_CHARS
CAMERA_LIMIT = 10.0
SEED_MAX = 2**31 - 1

VIEW_LABELS = {"both": "3-D + contour", "3d": "3-D only", "contour": "Contour only"}
CONTOUR_LABELS = {"filled": "Filled", "lines": "Lines"}


@dataclass(frozen=True)
class Context:
    """What a setting's range and default may depend on: the surface and its preset."""

    surface: Surface
    preset: Preset

    @classmethod
    def of(cls, surface_key: str) -> Context:
        return cls(SURFACES[surface_key], preset_for(surface_key))


def _always(_surface: Surface) -> bool:
    return True


@dataclass(frozen=True)
class Setting:
    """One setting of the view.

    kind: "number" (a float or int in `number(ctx)`), "choice" (one of `choices(ctx)`), "keys"
    (an ordered subset of `choices(ctx)`, comma-separated in the link) or "point" (the 3-D
    camera eye, three numbers).
    widget: "slider" (the range's positions on a select slider, or a number input when the
    person asks for exact values), "number" (always a number input), "select", "multiselect",
    "radio", "select_slider" (a discrete list), or "" (set by other means, e.g. the camera).
    remembered: kept per surface, so that coming back to a surface brings back what the person
    had there (start, steps, hyperparameters, noise, camera); the others belong to the whole view.
    from_preset: its default is the surface's preset (start, steps, hyperparameters): "Reset"
    puts these back, and only these.
    """

    key: str
    link: str | None
    kind: str
    label: str
    default: Callable[[Context], object]
    widget: str = ""
    help: str = ""
    number: Callable[[Context], Number] | None = None
    choices: Callable[[Context], tuple] | None = None
    labels: Callable[[Context], Mapping] | None = None  # how a choice reads in the widget
    applies: Callable[[Surface], bool] = _always
    remembered: bool = False
    from_preset: bool = False  # its default is the surface's preset, and Reset puts it back
    input_format: str = "%g"  # a number input's display (plain %g shows a typed value in full)


def _batch_options(surface: Surface) -> tuple[int, ...]:
    """Batch sizes offered: 1 (SGD), powers of two, and the full batch."""
    n = surface.n_samples
    return (*sorted({2**k for k in range(0, 12) if 2**k < n}), n)


def _batch_labels(ctx: Context) -> dict[int, str]:
    n = ctx.surface.n_samples
    return {b: {1: "1 (SGD)", n: f"{b} (full batch)"}.get(b, str(b)) for b in _batch_options(ctx.surface)}


def _start_number(axis: int) -> Callable[[Context], Number]:
    def number(ctx: Context) -> Number:
        lo, hi = ctx.surface.domain[axis]
        return Number(float(lo), float(hi), "linear", ctx.surface.extent / 100)

    return number


def _has_data(surface: Surface) -> bool:
    return surface.has_data


def _analytic(surface: Surface) -> bool:
    return not surface.has_data


# The view's settings, in the order they are read from a link (surface and optimizers first:
# the others' ranges and defaults depend on them).
VIEW_SETTINGS: tuple[Setting, ...] = (
    Setting("surface", "surface", "choice", "Surface", default=lambda ctx: DEFAULT_SURFACE, widget="select",
            choices=lambda ctx: tuple(SURFACES), labels=lambda ctx: {k: s.title for k, s in SURFACES.items()}),
    Setting("optimizers", "opt", "keys", "Optimizers", default=lambda ctx: DEFAULT_SELECTION, widget="multiselect",
            choices=lambda ctx: tuple(OPTIMIZERS), labels=lambda ctx: {k: s.name for k, s in OPTIMIZERS.items()},
            help="Each gets its own colour and its own sliders below."),
    Setting("x0", "x0", "number", "start x", default=lambda ctx: float(ctx.preset.start[0]), widget="number",
            number=_start_number(0), remembered=True, from_preset=True, input_format="%.4f"),
    Setting("y0", "y0", "number", "start y", default=lambda ctx: float(ctx.preset.start[1]), widget="number",
            number=_start_number(1), remembered=True, from_preset=True, input_format="%.4f"),
    Setting("steps", "steps", "number", "Steps", default=lambda ctx: int(ctx.preset.steps), widget="slider",
            number=lambda ctx: Number(limits.APP_MIN_STEPS, limits.APP_MAX_STEPS, "linear", 10, integer=True),
            remembered=True, from_preset=True,
            input_format="%d"),
    Setting("noise", "noise", "number", "Gradient noise σ", default=lambda ctx: 0.0, widget="slider",
            number=lambda ctx: Number(0.0, 10.0, "linear", 0.05), applies=_analytic, remembered=True,
            help="Standard deviation of Gaussian noise added to every gradient component."),
    Setting("batch", "batch", "choice", "Batch size", default=lambda ctx: ctx.surface.n_samples,
            widget="select_slider", choices=lambda ctx: _batch_options(ctx.surface), labels=_batch_labels,
            applies=_has_data, remembered=True,
            help="Rows per gradient: 1 is SGD, the full batch is plain gradient descent. Batches are drawn by "
            "reshuffling the data every epoch."),
    Setting("seed", "seed", "number", "Random seed", default=lambda ctx: 0, widget="number",
            number=lambda ctx: Number(0, SEED_MAX, "linear", 1, integer=True), input_format="%d",
            help="Drives the noise and the mini-batches: the same seed gives the same paths."),
    Setting("view", "view", "choice", "View", default=lambda ctx: "both", widget="radio",
            choices=lambda ctx: tuple(VIEW_LABELS), labels=lambda ctx: VIEW_LABELS),
    Setting("contour", "contour", "choice", "Contours", default=lambda ctx: "filled", widget="radio",
            choices=lambda ctx: tuple(CONTOUR_LABELS), labels=lambda ctx: CONTOUR_LABELS),
    Setting("speed", "speed", "number", "Animation: ms per frame", default=lambda ctx: 60, widget="slider",
            number=lambda ctx: Number(10, 500, "linear", 10, integer=True), input_format="%d"),
    Setting("camera", "cam", "point", "3-D camera", default=lambda ctx: None, remembered=True),
)
from .ui_settings import UI_SETTINGS  # noqa: E402  (needs Setting above: present, inspect_run, inspect_step)

VIEW_SETTINGS = (*VIEW_SETTINGS, *UI_SETTINGS)
BY_KEY: dict[str, Setting] = {s.key: s for s in VIEW_SETTINGS}
BY_LINK: dict[str, Setting] = {s.link: s for s in VIEW_SETTINGS if s.link}


def hparam_key(optimizer: str, name: str) -> str:
    return f"hp.{optimizer}.{name}"


def hparam_setting(optimizer: str, h: HParam) -> Setting:
    """A hyperparameter of one optimizer as a setting of the view (its default: the preset's)."""
    return Setting(
        hparam_key(optimizer, h.name), f"{optimizer}.{h.name}", "number", f"{h.name} (${h.symbol}$)",
        default=lambda ctx: float(ctx.preset.hparams_for(optimizer)[h.name]), widget="slider", help=h.help,
        number=lambda ctx: h.number, remembered=True, from_preset=True,
    )


def optimizer_settings(optimizer: str) -> list[Setting]:
    """The settings one optimizer brings to the view: its hyperparameters."""
    return [hparam_setting(optimizer, h) for h in OPTIMIZERS[optimizer].hparams]


def settings_for(surface: Surface, optimizers: Iterable[str]) -> list[Setting]:
    """Every setting of a view of this surface with these optimizers, in reading order."""
    out = [s for s in VIEW_SETTINGS if s.applies(surface)]
    for key in optimizers:
        out.extend(optimizer_settings(key))
    return out


def defaults(surface_key: str, optimizers: Iterable[str]) -> dict[str, object]:
    """The surface's preset for these optimizers, as a flat mapping of values."""
    ctx = Context.of(surface_key)
    values = {s.key: s.default(ctx) for s in settings_for(ctx.surface, optimizers)}
    values["surface"], values["optimizers"] = surface_key, tuple(optimizers)
    return values


# --- numbers as text ---------------------------------------------------------------------------


def format_number(value: float) -> str:
    """Shortest text that reads back as exactly the same float (also how a value is shown)."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write(setting: Setting, value) -> str | None:
    """The link's text for a value (None: the parameter is left out)."""
    if setting.kind == "number":
        return format_number(value)
    if setting.kind == "keys":
        return ",".join(value)
    if setting.kind == "point":
        return None if value is None else ",".join(format_number(round(c, 4)) for c in value)
    return str(value)


# --- reading a link -----------------------------------------------------------------------------


class Reader:
    """Reads one query mapping under the policy above, with a notice for everything replaced."""

    def __init__(self, query: Mapping[str, object]):
        self.raw: dict[str, str] = {}
        for key, value in query.items():
            if isinstance(value, (list, tuple)):
                value = value[-1] if value else ""
            self.raw[str(key)] = str(value)
        self.used: set[str] = set()
        self.notices: list[str] = []

    def text(self, key: str) -> str | None:
        if key not in self.raw:
            return None
        self.used.add(key)
        value = self.raw[key].strip()
        if len(value) > MAX_PARAM_CHARS:
            self.notices.append(f"'{_short(key)}' was too long and was ignored")
            return None
        return value

    def read(self, setting: Setting, ctx: Context):
        default = setting.default(ctx)
        text = self.text(setting.link) if setting.link else None
        if text is None:
            return default
        return getattr(self, f"_{setting.kind}")(setting, ctx, text, default)

    def _number(self, setting: Setting, ctx: Context, text: str, default):
        key, number = setting.link, setting.number(ctx)
        shown = format_number(default)
        try:
            value = float(text)
        except ValueError:
            self.notices.append(f"'{key}={_short(text)}' is not a number: used {shown}")
            return default
        if not math.isfinite(value):
            self.notices.append(f"'{key}={_short(text)}' is not a finite number: used {shown}")
            return default
        if number.integer and not value.is_integer():
            value = float(round(value))
            self.notices.append(f"'{key}' must be a whole number: used {format_number(value)}")
        if not number.low <= value <= number.high:
            clamped = number.clamp(value)
            self.notices.append(
                f"'{key}={_short(text)}' is outside [{format_number(number.low)}, {format_number(number.high)}]: "
                f"used {format_number(clamped)}"
            )
            value = clamped
        return int(value) if number.integer else value

    def _choice(self, setting: Setting, ctx: Context, text: str, default):
        choices = setting.choices(ctx)
        by_text = {str(c): c for c in choices}
        if text in by_text:
            return by_text[text]
        if all(isinstance(c, int) for c in choices):  # an ordered list: the nearest allowed value
            value = self._number(Setting(setting.key, setting.link, "number", setting.label, setting.default,
                                         number=lambda ctx: Number(min(choices), max(choices), "linear", 1,
                                                                   integer=True)), ctx, text, default)
            if value in choices:
                return value
            nearest = min(choices, key=lambda c: abs(c - value))
            self.notices.append(f"'{setting.link}={value}' is not offered: used {nearest}")
            return nearest
        labels = setting.labels(ctx) if setting.labels else {}
        self.notices.append(
            f"unknown {setting.label.lower()} '{_short(text)}': showing {labels.get(default, default)}"
        )
        return default

    def _keys(self, setting: Setting, ctx: Context, text: str, default):
        choices = setting.choices(ctx)
        wanted = [k.strip() for k in text.split(",") if k.strip()]
        unknown = [k for k in wanted if k not in choices]
        if unknown:
            self.notices.append(f"unknown {setting.label.lower()} ignored: {', '.join(_short(k) for k in unknown)}")
        keys = tuple(dict.fromkeys(k for k in wanted if k in choices))
        if not keys:
            self.notices.append(f"no known {setting.label.lower()[:-1]} in the link: showing the default selection")
            return tuple(default)
        return keys

    def _point(self, setting: Setting, ctx: Context, text: str, default):
        try:
            eye = tuple(float(v) for v in text.split(","))
            if len(eye) != 3 or not all(math.isfinite(v) and abs(v) <= CAMERA_LIMIT for v in eye):
                raise ValueError
            if math.hypot(*eye) < 1e-3:
                raise ValueError
            return eye
        except ValueError:
            self.notices.append("the camera in the link is not three finite numbers: used the default view")
            return default

    def leftovers(self) -> None:
        for key in sorted(set(self.raw) - self.used):
            self.notices.append(f"ignored unknown parameter '{_short(key)}'")


def read_query(query: Mapping[str, object]) -> tuple[dict[str, object], list[str]]:
    """A flat mapping of valid values from any query mapping, and the notices of what was replaced."""
    reader = Reader(query)
    surface_key = reader.read(BY_KEY["surface"], Context.of(DEFAULT_SURFACE))
    ctx = Context.of(surface_key)
    optimizers = limits.cap_runs(tuple(reader.read(BY_KEY["optimizers"], ctx)), reader.notices)
    values: dict[str, object] = {"surface": surface_key, "optimizers": tuple(optimizers)}
    for setting in settings_for(ctx.surface, optimizers):
        if setting.key not in values:
            values[setting.key] = reader.read(setting, ctx)
    # Parameters that mean nothing here are not worth a notice: another surface kind's noise or
    # batch, and the hyperparameters of optimizers that are not selected.
    reader.used.update(s.link for s in VIEW_SETTINGS if s.link and not s.applies(ctx.surface))
    reader.used.update(k for k in reader.raw if "." in k and k.split(".", 1)[0] in OPTIMIZERS)
    reader.leftovers()
    return values, limits.cap_notices(reader.notices)


def to_query(values: Mapping[str, object]) -> dict[str, str]:
    """The link's parameters for a flat mapping of values: every value, in a stable order."""
    surface = SURFACES[values["surface"]]
    query = {}
    for setting in settings_for(surface, values["optimizers"]):
        text = write(setting, values[setting.key]) if setting.link else None
        if text is not None:
            query[setting.link] = text
    return query
