"""The view's settings, each declared once: the link, the state and the widgets derive from it.

A `Setting` says everything about one setting of the view: its key (the session-state and widget
key, and its name in a flat mapping of values), its share-link parameter, what values it takes
(a `Number` range on a scale, or a list of choices), its default for a surface (often the
surface's preset), its widget, label and help, and whether it is remembered per surface. Nothing
else in the code lists the settings: `share.parse_query`/`share.to_query` read and write them,
`app.py` draws them and reads them back with the functions below.

Hyperparameters are settings generated from the registry (`hparam_setting`): one per optimizer
and `HParam`. The view holds a list of runs (`optviz.runs.Run`); each run's settings are generated
the same way from its index i (`run_settings`), with the same key in session state and in the link:

    r0.opt=adam  r0.lr=0.1  r0.beta1=0.9 ...         optimizer and every hyperparameter
    r0.batch=16 (data surfaces)  r0.noise=0.5 (analytic surfaces)   the run's gradient source
    r0.sched.lr=step  r0.sched.lr.step_size=30  r0.sched.lr.gamma=0.5
                                                     a schedule and its parameters (left out: constant)
    r0.sched.momentum=ramp  r0.sched.momentum.start=0.5  r0.sched.momentum.duration=100
    r0.label=Adam%20fast (left out: automatic)  r0.hidden=1 (left out: shown)

Runs are numbered from 0 in the order shown; a link's indices need not be consecutive (they are
renumbered in order) and at most `MAX_RUNS` are read. The learning rate takes the schedules of
`LR_SCHEDULES`; momentum / beta1 (the first of `MOMENTUM_NAMES` an optimizer has) those of
`MOMENTUM_SCHEDULES`.

Links from before runs (`opt=sgd,adam&adam.lr=0.2&noise=0.5`, tests/fixtures/links_v1.json) are
read as one run per optimizer, each with that optimizer's `<optimizer>.<name>` hyperparameters and
the view-wide noise or batch size (`LEGACY_SETTINGS`): they open the same view.

The one policy for values that come from a link (also in docs/app.md, "Sharing a view"):

- a value a person could have set in the UI, typed exact values included, is kept exactly:
  any number inside its range, on a slider position or not (`0.00123`, `noise=0.33`, `steps=255`);
- a number outside its range is clamped to the nearest end; a fraction where a whole number is
  needed (steps, seed, speed, a switch such as bias_correction) is rounded;
- a malformed value (not a number, not finite, too long) is replaced by the default, which for
  start, steps and hyperparameters is the surface's preset;
- a value that only exists on a discrete list goes to the nearest allowed one where the list is
  ordered (batch size) and to the default otherwise (surface, view, contour style);
- unknown parameters are ignored, and so, silently, are a view setting's that is not in use (the
  settings of an analysis tool that is not open, optviz/app/tool_settings.py).

Every replacement gives one notice, shown above the charts until the person changes something.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping

from surfaces import SURFACES, Surface

from ..analysis import custom
from ..analysis.export import format_number
from ..core import limits
from ..core.registry import DEFAULT_SELECTION, OPTIMIZERS, HParam
from ..core.scales import Number
from ..core.schedules import LR_SCHEDULES, MOMENTUM_SCHEDULES, SCHEDULES
from .class_settings import CLASS_SETTINGS
from .setting import Context, Setting
from .tool_settings import TOOL_SETTINGS
from .ui_settings import UI_SETTINGS

MAX_RUNS = limits.MAX_RUNS  # runs in one view
MAX_SWEEP_VALUES = limits.MAX_SWEEP_VALUES  # values a typed sweep may make

DEFAULT_SURFACE = "beale"
MAX_PARAM_CHARS = limits.MAX_PARAM_CHARS
CAMERA_LIMIT = 10.0
SEED_MAX = 2**31 - 1

VIEW_LABELS = {"both": "3-D + contour", "3d": "3-D only", "contour": "Contour only"}
CONTOUR_LABELS = {"filled": "Filled", "lines": "Lines"}
AXIS_LABELS = {"steps": "Steps", "samples": "Samples seen", "epochs": "Epochs"}
MAX_LABEL_CHARS = 40
MOMENTUM_NAMES = ("momentum", "beta1")  # the hyperparameter a momentum schedule acts on


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
            choices=lambda ctx: custom.surface_choices(ctx and ctx.surface),
            labels=lambda ctx: {k: custom.surface_label(k) for k in custom.surface_choices(ctx and ctx.surface)}),
    Setting("x0", "x0", "number", "start x", default=lambda ctx: float(ctx.preset.start[0]), widget="number",
            number=_start_number(0), remembered=True, from_preset=True, input_format="%.4f"),
    Setting("y0", "y0", "number", "start y", default=lambda ctx: float(ctx.preset.start[1]), widget="number",
            number=_start_number(1), remembered=True, from_preset=True, input_format="%.4f"),
    Setting("steps", "steps", "number", "Steps", default=lambda ctx: int(ctx.preset.steps), widget="slider",
            number=lambda ctx: Number(limits.APP_MIN_STEPS, limits.APP_MAX_STEPS, "linear", 10, integer=True),
            remembered=True, from_preset=True,
            input_format="%d"),
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
    Setting("axis", "axis", "choice", "Horizontal axis", default=lambda ctx: "steps", widget="radio",
            choices=lambda ctx: tuple(AXIS_LABELS), labels=lambda ctx: AXIS_LABELS, applies=_has_data,
            help="Compare runs at equal steps, or at equal work: samples whose gradients were taken, or passes "
            "through the data (GD makes one step per epoch, SGD n)."),
)

VIEW_SETTINGS = (*VIEW_SETTINGS, *UI_SETTINGS, *TOOL_SETTINGS, *CLASS_SETTINGS)

# Links from before runs: the selected optimizers and one gradient source for all of them.
LEGACY_SETTINGS: tuple[Setting, ...] = (
    Setting("optimizers", "opt", "keys", "Optimizers", default=lambda ctx: DEFAULT_SELECTION, widget="multiselect",
            choices=lambda ctx: tuple(OPTIMIZERS), labels=lambda ctx: {k: s.name for k, s in OPTIMIZERS.items()},
            help="Old links: one run each."),
    Setting("noise", "noise", "number", "Gradient noise σ", default=lambda ctx: 0.0, widget="slider",
            number=lambda ctx: Number(0.0, 10.0, "linear", 0.05), applies=_analytic, remembered=True,
            help="Standard deviation of Gaussian noise added to every gradient component."),
    Setting("batch", "batch", "choice", "Batch size", default=lambda ctx: ctx.surface.n_samples,
            widget="select_slider", choices=lambda ctx: _batch_options(ctx.surface), labels=_batch_labels,
            applies=_has_data, remembered=True,
            help="Rows per gradient: 1 is SGD, the full batch is plain gradient descent. Batches are drawn by "
            "reshuffling the data every epoch."),
)
BY_KEY: dict[str, Setting] = {s.key: s for s in (*VIEW_SETTINGS, *LEGACY_SETTINGS)}
BY_LINK: dict[str, Setting] = {s.link: s for s in VIEW_SETTINGS if s.link}


def hparam_key(optimizer: str, name: str) -> str:
    """Old links' key for a hyperparameter (`<optimizer>.<name>`, read by `LEGACY_SETTINGS` links)."""
    return f"hp.{optimizer}.{name}"


def hparam_setting(optimizer: str, h: HParam) -> Setting:
    """A hyperparameter of one optimizer as an old link carries it (`adam.lr=0.2`)."""
    return Setting(
        hparam_key(optimizer, h.name), f"{optimizer}.{h.name}", "number", f"{h.name} (${h.symbol}$)",
        default=lambda ctx: float(ctx.preset.hparams_for(optimizer)[h.name]), widget="slider", help=h.help,
        number=lambda ctx: h.number, remembered=True, from_preset=True,
    )


def optimizer_settings(optimizer: str) -> list[Setting]:
    """The hyperparameters of one optimizer as an old link carries them."""
    return [hparam_setting(optimizer, h) for h in OPTIMIZERS[optimizer].hparams]


# --- runs ---------------------------------------------------------------------------------------


def run_key(index: int, name: str) -> str:
    """A run's setting key, in session state and in the link: `r0.lr`, `r2.sched.lr.gamma`."""
    return f"r{index}.{name}"


def default_optimizer(index: int) -> str:
    """The optimizer a run gets when nothing says otherwise: the default selection in order."""
    return DEFAULT_SELECTION[index % len(DEFAULT_SELECTION)]


def schedulable(optimizer: str) -> dict[str, tuple[str, ...]]:
    """The hyperparameters of an optimizer the UI offers schedules for, and which schedules."""
    names = [h.name for h in OPTIMIZERS[optimizer].hparams]
    out = {"lr": LR_SCHEDULES} if "lr" in names else {}
    momentum = next((n for n in MOMENTUM_NAMES if n in names), None)
    if momentum:
        out[momentum] = MOMENTUM_SCHEDULES
    return out


STEPS_NUMBER = Number(1, 1000, "linear", 1, integer=True)


def schedule_parameter_numbers(kind: str, h: HParam) -> dict[str, Number]:
    """The range of each parameter of schedule `kind` acting on hyperparameter `h` (the class's
    own validation allows more; these are what the UI and a link offer)."""
    return {
        "step": {"step_size": STEPS_NUMBER, "gamma": Number(0.001, 1.0, "linear", 0.001)},
        "exponential": {"gamma": Number(0.5, 1.0, "linear", 0.001)},
        "cosine": {"duration": STEPS_NUMBER, "final": Number(0.0, h.high, "linear", 1e-5)},
        "warmup": {"duration": STEPS_NUMBER, "start_factor": Number(0.001, 1.0, "linear", 0.001),
                   "end_factor": Number(0.0, 1.0, "linear", 0.001)},
        "ramp": {"start": h.number, "duration": STEPS_NUMBER},
    }.get(kind, {})


SCHEDULE_PARAM_LABELS = {"step_size": "every (steps)", "gamma": "factor γ", "duration": "over (steps)",
                         "final": "down to", "start_factor": "from ×", "end_factor": "to ×", "start": "from"}


def _schedule_settings(index: int, optimizer: str) -> list[Setting]:
    out = []
    for name, kinds in schedulable(optimizer).items():
        h = OPTIMIZERS[optimizer].hparam(name)
        kind_key = run_key(index, f"sched.{name}")
        out.append(Setting(
            kind_key, kind_key, "choice", f"{name} schedule", default=lambda ctx: "constant", widget="select",
            choices=lambda ctx, kinds=kinds: kinds, labels=lambda ctx: {k: SCHEDULES[k].name for k in SCHEDULES},
            omit="constant", help="How the value changes over the steps (the run's value is where it starts, or "
            "where a ramp ends). Each learning-rate schedule equals torch.optim.lr_scheduler's.",
        ))
        numbers = {kind: schedule_parameter_numbers(kind, h) for kind in kinds}
        made = set()
        for kind in kinds:
            defaults = SCHEDULES[kind]().params()
            for param, number in numbers[kind].items():
                key = run_key(index, f"sched.{name}.{param}")
                if key in made:  # a parameter several kinds share (duration) has one setting,
                    continue  # active for each of them
                made.add(key)
                users = tuple(k for k in kinds if param in numbers[k])
                out.append(Setting(
                    key, key, "number", SCHEDULE_PARAM_LABELS.get(param, param),
                    default=lambda ctx, v=defaults[param]: v, widget="number", number=lambda ctx, n=number: n,
                    input_format="%d" if number.integer else "%g",
                    active=lambda values, k=kind_key, users=users: values.get(k) in users,
                ))
    return out


def run_settings(index: int, optimizer: str, surface: Surface) -> list[Setting]:
    """Every setting of run `index` with this optimizer on this surface, in reading order (the
    optimizer first: the others depend on it)."""
    spec = OPTIMIZERS[optimizer]
    out = [Setting(
        run_key(index, "opt"), run_key(index, "opt"), "choice", "Optimizer",
        default=lambda ctx: default_optimizer(index), widget="select", choices=lambda ctx: tuple(OPTIMIZERS),
        labels=lambda ctx: {k: s.name for k, s in OPTIMIZERS.items()},
    )]
    for h in spec.hparams:
        out.append(Setting(
            run_key(index, h.name), run_key(index, h.name), "number", f"{h.name} (${h.symbol}$)",
            default=lambda ctx, h=h: float(ctx.preset.hparams_for(optimizer)[h.name]), widget="slider",
            help=h.help, number=lambda ctx, h=h: h.number, remembered=True, from_preset=True,
        ))
    if surface.has_data:
        out.append(Setting(
            run_key(index, "batch"), run_key(index, "batch"), "choice", "Batch size",
            default=lambda ctx: ctx.surface.n_samples, widget="select_slider",
            choices=lambda ctx: _batch_options(ctx.surface), labels=_batch_labels, remembered=True,
            help="Rows per gradient: 1 is SGD, the full batch is plain gradient descent. Batches are drawn by "
            "reshuffling the data every epoch (the same batches for every run with this size and seed).",
        ))
    else:
        out.append(Setting(
            run_key(index, "noise"), run_key(index, "noise"), "number", "Gradient noise σ", default=lambda ctx: 0.0,
            widget="slider", number=lambda ctx: Number(0.0, 10.0, "linear", 0.05), remembered=True,
            help="Standard deviation of Gaussian noise added to every gradient component (the same draws for "
            "every run, scaled by its σ).",
        ))
    out.extend(_schedule_settings(index, optimizer))
    out.append(Setting(run_key(index, "label"), run_key(index, "label"), "text", "Label", default=lambda ctx: "",
                       widget="text", omit="", help="Leave empty for the automatic label."))
    out.append(Setting(run_key(index, "hidden"), run_key(index, "hidden"), "flag", "Hide",
                       default=lambda ctx: False, widget="toggle", omit=False,
                       help="Hidden everywhere (paths, charts, table) and in the link; its settings are kept."))
    return out


def run_layout(values: Mapping[str, object]) -> tuple[str, ...]:
    """The optimizer of each run in a flat mapping of values."""
    return tuple(str(values[run_key(i, "opt")]) for i in range(int(values.get("runs", 0))))


def settings_for(surface: Surface, optimizers: Iterable[str]) -> list[Setting]:
    """Every setting of a view of this surface whose runs have these optimizers, in reading order."""
    out = [s for s in VIEW_SETTINGS if s.applies(surface)]
    for i, key in enumerate(optimizers):
        out.extend(run_settings(i, key, surface))
    return out


def defaults(surface_key: str, optimizers: Iterable[str]) -> dict[str, object]:
    """The surface's preset for one run of each of these optimizers, as a flat mapping of values."""
    ctx = Context.of(surface_key)
    optimizers = tuple(optimizers)
    values = {s.key: s.default(ctx) for s in settings_for(ctx.surface, optimizers)}
    values["surface"], values["runs"] = surface_key, len(optimizers)
    for i, key in enumerate(optimizers):
        values[run_key(i, "opt")] = key
    return values


# --- numbers as text ---------------------------------------------------------------------------


def index_of(options, value) -> int:
    """A choice widget's default index: its value's position among the options (0 for anything
    else), so that the widget is drawn showing its session value without forcing it."""
    options = list(options)
    return options.index(value) if value in options else 0


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write(setting: Setting, value) -> str | None:
    """The link's text for a value (None: the parameter is left out)."""
    if value == setting.omit and type(value) is type(setting.omit):
        return None
    if setting.kind == "flag":
        return "1" if value else "0"
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

    def _text(self, setting: Setting, ctx: Context, text: str, default):
        clean = "".join(c for c in text if c.isprintable()).strip()
        if len(clean) > MAX_LABEL_CHARS:
            clean = clean[:MAX_LABEL_CHARS].rstrip()
            self.notices.append(f"'{setting.link}' was longer than {MAX_LABEL_CHARS} characters: shortened")
        return clean

    def _code(self, setting: Setting, ctx: Context, text: str, default):
        clean = "".join(c for c in text if c.isprintable())
        if not clean.strip():
            return default
        try:
            return setting.parse(clean)
        except ValueError as err:
            kept = getattr(err, "value", None)  # a list of which a part reads keeps that part
            self.notices.append(f"'{setting.link}={_short(clean)}' " + ("" if kept else "was ignored: ") + str(err))
            return default if kept is None else kept

    def _flag(self, setting: Setting, ctx: Context, text: str, default):
        value = {"1": True, "true": True, "0": False, "false": False, "": False}.get(text.lower())
        if value is None:
            self.notices.append(f"'{setting.link}={_short(text)}' is not 0 or 1: used {int(default)}")
            return default
        return value

    def leftovers(self) -> None:
        for key in sorted(set(self.raw) - self.used):
            self.notices.append(f"ignored unknown parameter '{_short(key)}'")


_RUN_OPT = re.compile(r"r(\d{1,6})\.opt")


def _renumber_runs(reader: Reader) -> int:
    """Renumber a link's runs 0, 1, ... in the order of their indices; at most MAX_RUNS. Returns
    how many runs the link has."""
    indices = sorted({int(m.group(1)) for k in reader.raw if (m := _RUN_OPT.fullmatch(k))})
    kept = {old: new for new, old in enumerate(limits.cap_runs(tuple(indices), reader.notices))}
    raw = {}
    for key, value in reader.raw.items():
        m = re.fullmatch(r"r(\d{1,6})\.(.+)", key)
        if m is None:
            raw[key] = value
        elif int(m.group(1)) in kept:
            raw[f"r{kept[int(m.group(1))]}.{m.group(2)}"] = value
        elif int(m.group(1)) in indices:
            reader.used.add(key)  # a run beyond the limit: told once above
        else:
            raw[key] = value  # a run's setting without its optimizer: an unknown parameter
    reader.raw = raw
    return len(kept)


def read_query(query: Mapping[str, object]) -> tuple[dict[str, object], list[str]]:
    """A flat mapping of valid values from any query mapping, and the notices of what was replaced.
    A link with runs (`r0.opt=...`) gives those runs; a link from before runs gives one run per
    optimizer of its `opt` list (LEGACY_SETTINGS)."""
    reader = Reader(query)
    # A formula or data of one's own (optviz.custom) has link parameters of its own.
    surface_key = custom.read_link(reader.raw, reader.notices) or reader.read(BY_KEY["surface"],
                                                                              Context.of(DEFAULT_SURFACE))
    reader.used.update(k for k in ("surface", *custom.LINK_KEYS) if k in reader.raw)
    ctx = Context.of(surface_key)
    values: dict[str, object] = {"surface": surface_key}
    n_runs = _renumber_runs(reader)
    legacy = n_runs == 0
    if legacy:
        optimizers = limits.cap_runs(tuple(reader.read(BY_KEY["optimizers"], ctx)), reader.notices)
        source = {s.key: reader.read(s, ctx) for s in LEGACY_SETTINGS[1:] if s.applies(ctx.surface)}
    else:
        optimizers = tuple(reader.read(Setting(run_key(i, "opt"), run_key(i, "opt"), "choice", "optimizer",
                                               default=lambda ctx, i=i: default_optimizer(i),
                                               choices=lambda ctx: tuple(OPTIMIZERS)), ctx)
                           for i in range(n_runs))
    values["runs"] = len(optimizers)
    for i, key in enumerate(optimizers):
        values[run_key(i, "opt")] = key
    for setting in settings_for(ctx.surface, optimizers):
        if setting.key in values:
            continue
        if setting in VIEW_SETTINGS and not setting.is_active(values):
            # Means nothing in this view (a closed tool's grid): its default, and no notice, whatever the
            # link says. (A run's setting not in use, another schedule's parameter, is read as before.)
            values[setting.key] = setting.default(ctx)
            reader.used.add(setting.link)
            continue
        if not legacy or setting in VIEW_SETTINGS:
            values[setting.key] = reader.read(setting, ctx)
            continue
        # An old link: the optimizer's `<optimizer>.<name>` and the view-wide gradient source.
        index, name = setting.key[1:].split(".", 1)
        key = optimizers[int(index)]
        if name in OPTIMIZERS[key].defaults:
            values[setting.key] = reader.read(hparam_setting(key, OPTIMIZERS[key].hparam(name)), ctx)
        elif name in source:
            values[setting.key] = source[name]
        else:
            values[setting.key] = setting.default(ctx)
    for i, key in enumerate(optimizers):  # a schedule's parameters the link leaves out: that schedule's defaults
        for name in schedulable(key):
            kind = values[run_key(i, f"sched.{name}")]
            for param, default in SCHEDULES[kind]().params().items():
                if run_key(i, f"sched.{name}.{param}") not in reader.raw:
                    values[run_key(i, f"sched.{name}.{param}")] = default
    # Parameters that mean nothing here are not worth a notice: another surface kind's noise or
    # batch, old links' hyperparameters of optimizers that are not selected, a run's settings that
    # its optimizer does not have (a link edited by hand keeps working).
    reader.used.update(s.link for s in (*VIEW_SETTINGS, *LEGACY_SETTINGS) if s.link and not s.applies(ctx.surface))
    reader.used.update(k for k in reader.raw if "." in k and k.split(".", 1)[0] in OPTIMIZERS)
    if not legacy:
        reader.used.update(s.link for s in LEGACY_SETTINGS)
    reader.leftovers()
    return values, limits.cap_notices(reader.notices)


def to_query(values: Mapping[str, object]) -> dict[str, str]:
    """The link's parameters for a flat mapping of values: every value in use, in a stable order."""
    surface = SURFACES[values["surface"]]
    query = {}
    for setting in settings_for(surface, run_layout(values)):
        if not setting.link or not setting.is_active(values):
            continue
        text = write(setting, values[setting.key])
        if text is not None:
            query[setting.link] = text
    query.update(custom.link_query(values["surface"]))  # a formula or data of one's own
    return query
