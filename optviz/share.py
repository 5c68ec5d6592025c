"""The whole view as URL query parameters, and back: validated, clamped, never trusted.

A link carries every value of the view (not just the ones that differ from the defaults), so
that it reproduces the same paths even if a later version changes a default. Parameters:

    surface=beale  opt=sgd,adam  adam.lr=0.01  adam.beta1=0.9 ...  x0=1  y0=1.5  steps=300
    seed=0  noise=0  batch=32 (data surfaces; absent = full batch)  view=both  contour=filled  speed=60
    cam=1.6,-1.6,0.9 (3-D camera eye, optional)

`parse_query` turns any mapping of strings into a valid `ViewState` plus a list of notices
saying what was unknown, malformed or out of range and what was used instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from surfaces import SURFACES, Surface

from . import limits
from .presets import PRESETS
from .registry import DEFAULT_SELECTION, OPTIMIZERS

VIEWS = ("both", "3d", "contour")
CONTOUR_STYLES = ("filled", "lines")
VIEW_LABELS = {"both": "3-D + contour", "3d": "3-D only", "contour": "Contour only"}
STEPS_RANGE = (limits.APP_MIN_STEPS, limits.APP_MAX_STEPS)
STEPS_STEP = 10
SEED_MAX = 2**31 - 1
NOISE_RANGE = (0.0, 10.0)
NOISE_STEP = 0.05
SPEED_RANGE = (10, 500)  # milliseconds per animation frame
DEFAULT_SPEED = 60
CAMERA_LIMIT = 10.0
DEFAULT_SURFACE = "beale"
MAX_PARAM_CHARS = limits.MAX_PARAM_CHARS


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
    notices: tuple[str, ...] = field(default=(), compare=False)


def batch_options(surface: Surface) -> tuple[int, ...]:
    """Batch sizes the app offers: 1 (SGD), powers of two, and the full batch."""
    n = surface.n_samples
    return (*sorted({2**k for k in range(0, 12) if 2**k < n}), n)


def default_state(surface_key: str = DEFAULT_SURFACE, optimizers: tuple[str, ...] = DEFAULT_SELECTION) -> ViewState:
    preset = PRESETS[surface_key]
    return ViewState(
        surface=surface_key,
        optimizers=tuple(optimizers),
        hparams={k: preset.hparams_for(k) for k in optimizers},
        start=tuple(float(v) for v in preset.start),
        steps=int(preset.steps),
        batch_size=None,
    )


def format_number(value: float) -> str:
    """Shortest text that reads back as exactly the same float."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def to_query(state: ViewState) -> dict[str, str]:
    q = {
        "surface": state.surface,
        "opt": ",".join(state.optimizers),
        "x0": format_number(state.start[0]),
        "y0": format_number(state.start[1]),
        "steps": str(state.steps),
        "seed": str(state.seed),
        "view": state.view,
        "contour": state.contour,
        "speed": str(state.speed),
    }
    if SURFACES[state.surface].has_data:
        if state.batch_size is not None:
            q["batch"] = str(state.batch_size)
    else:
        q["noise"] = format_number(state.noise)
    for key in state.optimizers:
        for name, value in state.hparams[key].items():
            q[f"{key}.{name}"] = format_number(value)
    if state.camera is not None:
        q["cam"] = ",".join(format_number(round(c, 4)) for c in state.camera)
    return q


class _Reader:
    """Reads one query mapping, collecting a notice for everything it had to replace."""

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
            self.notices.append(f"'{key}' was too long and was ignored")
            return None
        return value

    def number(self, key: str, default: float, low: float, high: float, *, integer: bool = False) -> float:
        text = self.text(key)
        if text is None:
            return default
        try:
            value = float(text)
        except ValueError:
            self.notices.append(f"'{key}={_short(text)}' is not a number: used {format_number(default)}")
            return default
        if not math.isfinite(value):
            self.notices.append(f"'{key}={_short(text)}' is not a finite number: used {format_number(default)}")
            return default
        if integer and not value.is_integer():
            value = float(round(value))
            self.notices.append(f"'{key}' must be a whole number: used {format_number(value)}")
        if not low <= value <= high:
            clamped = min(max(value, low), high)
            self.notices.append(
                f"'{key}={_short(text)}' is outside [{format_number(low)}, {format_number(high)}]: "
                f"used {format_number(clamped)}"
            )
            value = clamped
        return value

    def leftovers(self) -> None:
        for key in sorted(set(self.raw) - self.used):
            self.notices.append(f"ignored unknown parameter '{_short(key)}'")


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_query(query: Mapping[str, object]) -> ViewState:
    """A valid ViewState from any query mapping; `.notices` says what was replaced and why."""
    r = _Reader(query)

    surface_key = r.text("surface")
    if surface_key is None:
        surface_key = DEFAULT_SURFACE
    elif surface_key not in SURFACES:
        r.notices.append(f"unknown surface '{_short(surface_key)}': showing {DEFAULT_SURFACE}")
        surface_key = DEFAULT_SURFACE
    surface = SURFACES[surface_key]
    preset = PRESETS[surface_key]

    opt_text = r.text("opt")
    if opt_text is None:
        optimizers = DEFAULT_SELECTION
    else:
        wanted = [k.strip() for k in opt_text.split(",") if k.strip()]
        unknown = [k for k in wanted if k not in OPTIMIZERS]
        if unknown:
            r.notices.append(f"unknown optimizer(s) ignored: {', '.join(_short(k) for k in unknown)}")
        optimizers = tuple(dict.fromkeys(k for k in wanted if k in OPTIMIZERS))
        optimizers = limits.cap_runs(optimizers, r.notices)
        if not optimizers:
            r.notices.append("no known optimizer in the link: showing the default selection")
            optimizers = DEFAULT_SELECTION

    hparams: dict[str, dict[str, float]] = {}
    for key in optimizers:
        values = preset.hparams_for(key)
        for h in OPTIMIZERS[key].hparams:
            pname = f"{key}.{h.name}"
            value = r.number(pname, values[h.name], h.low, h.high)
            snapped = h.snap(value)
            if not math.isclose(snapped, value, rel_tol=1e-9, abs_tol=0.0) and pname in r.raw:
                r.notices.append(f"'{pname}' rounded to the slider's {format_number(snapped)}")
            values[h.name] = snapped
        hparams[key] = values
    # Hyperparameters of optimizers that are not selected mean nothing: not worth a notice.
    r.used.update(k for k in r.raw if k.split(".", 1)[0] in OPTIMIZERS and "." in k)

    (x_lo, x_hi), (y_lo, y_hi) = surface.domain
    start = (r.number("x0", preset.start[0], x_lo, x_hi), r.number("y0", preset.start[1], y_lo, y_hi))
    steps = int(r.number("steps", preset.steps, *STEPS_RANGE, integer=True))
    seed = int(r.number("seed", 0, 0, SEED_MAX, integer=True))

    noise, batch_size = 0.0, None
    if surface.has_data:
        r.used.add("noise")
        options = batch_options(surface)
        batch = int(r.number("batch", surface.n_samples, 1, surface.n_samples, integer=True))
        if batch not in options:
            nearest = min(options, key=lambda b: abs(b - batch))
            r.notices.append(f"'batch={batch}' is not offered: used {nearest}")
            batch = nearest
        batch_size = None if batch == surface.n_samples else batch
    else:
        r.used.add("batch")
        noise = r.number("noise", 0.0, *NOISE_RANGE)
        noise = round(round(noise / NOISE_STEP) * NOISE_STEP, 10)

    view = r.text("view") or "both"
    if view not in VIEWS:
        r.notices.append(f"unknown view '{_short(view)}': showing both")
        view = "both"
    contour = r.text("contour") or "filled"
    if contour not in CONTOUR_STYLES:
        r.notices.append(f"unknown contour style '{_short(contour)}': showing filled contours")
        contour = "filled"
    speed = int(r.number("speed", DEFAULT_SPEED, *SPEED_RANGE, integer=True))

    camera = None
    cam_text = r.text("cam")
    if cam_text:
        try:
            eye = tuple(float(v) for v in cam_text.split(","))
            if len(eye) != 3 or not all(math.isfinite(v) and abs(v) <= CAMERA_LIMIT for v in eye):
                raise ValueError
            if math.hypot(*eye) < 1e-3:
                raise ValueError
            camera = eye
        except ValueError:
            r.notices.append("the camera in the link is not three finite numbers: used the default view")

    r.leftovers()
    notices = limits.cap_notices(r.notices)
    return ViewState(
        surface=surface_key,
        optimizers=tuple(optimizers),
        hparams=hparams,
        start=start,
        steps=steps,
        seed=seed,
        noise=noise,
        batch_size=batch_size,
        view=view,
        contour=contour,
        speed=speed,
        camera=camera,
        notices=tuple(notices),
    )


def preset_view(surface_key: str, optimizers, *, view: str, contour: str, speed: int, seed: int = 0) -> ViewState:
    """The surface's preset for these optimizers (the default selection if none), keeping how
    the view is shown; the camera goes back to its default."""
    fresh = default_state(surface_key, tuple(optimizers) or DEFAULT_SELECTION)
    return replace(fresh, seed=seed, view=view, contour=contour, speed=speed)
