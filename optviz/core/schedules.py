r"""Schedules: a hyperparameter as a pure function of the step.

A schedule is a small frozen dataclass: a `key`, its parameters, `latex()` and
`values(steps, base)`, the value at steps 0, 1, ..., steps - 1 given the run's own value of the
hyperparameter (`base`: its slider, or an array of per-start values). `simulate(...,
schedules={"lr": StepDecay(30, 0.5)})` uses value t for the update that makes step t + 1, as a
torch loop does `optimizer.step(); scheduler.step()`.

Learning-rate schedules equal torch.optim.lr_scheduler's, step for step, with `base` the
optimizer's initial lr (tests/fixtures/torch_schedules.json):

    StepDecay(step_size, gamma)          StepLR(step_size, gamma)
    Exponential(gamma)                   ExponentialLR(gamma)
    Cosine(duration, final)              CosineAnnealingLR(T_max=duration, eta_min=final)
    Warmup(duration, start_factor, end)  LinearLR(start_factor, end_factor=end, total_iters=duration)

torch computes them by chaining factors from step to step; here each is its closed form (torch's
`_get_closed_form_lr`), equal up to rounding (about 1e-16 relative).

Momentum / β₁ schedules: `Constant()` and `Ramp(start, duration)`, a straight line from `start`
to the run's value over `duration` steps, then flat (e.g. momentum 0.5 → 0.99, the "momentum
annealing" of Sutskever et al. 2013). Any schedule applies to any hyperparameter of any
optimizer; the optimizer's own validation checks every value it produces.

Parameters are validated when a schedule is made (ValueError naming the value). `SCHEDULES`
maps each key to its class; `to_dict()` and `schedule_from_dict()` carry one through a link.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import ClassVar

import numpy as np


def _check_steps(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Invalid {name}: {value!r} (must be an integer >= 1)")
    return int(value)


def _check_float(name: str, value, low: float, high: float, *, low_open=False, high_open=False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid {name}: {value!r} (must be a number)") from None
    below = v <= low if low_open else v < low
    above = v >= high if high_open else v > high
    if not math.isfinite(v) or below or above:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"Invalid {name}: {value!r} (must be in {interval})")
    return v


def _num(v: float) -> str:
    return f"{v:g}"


@dataclass(frozen=True)
class Schedule:
    """Base class: subclasses define `key`, `name`, their parameters and `_curve(t, base)`."""

    key: ClassVar[str]
    name: ClassVar[str]

    def values(self, steps: int, base=1.0) -> np.ndarray:
        """The values at steps 0 .. steps - 1: shape (steps,) for a float `base`, (steps, n) for
        n per-start base values."""
        steps = int(steps)
        base = np.asarray(base, dtype=float)
        t = np.arange(steps, dtype=float).reshape((steps,) + (1,) * base.ndim)
        return np.broadcast_to(self._curve(t, base), (steps, *base.shape)).astype(float, copy=True)

    def value(self, step: int, base: float = 1.0) -> float:
        return float(self.values(step + 1, base)[step])

    def _curve(self, t: np.ndarray, base: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def latex(self, symbol: str = r"\eta") -> str:
        """The rule with this schedule's numbers, e.g. `\\eta_t = \\eta \\cdot 0.5^{\\lfloor t/30 \\rfloor}`."""
        raise NotImplementedError

    def describe(self, symbol: str = "η", base: float | None = None) -> str:
        """A few words for a label or a legend, e.g. "η ×0.5 every 30"."""
        raise NotImplementedError

    def params(self) -> dict:
        return asdict(self)

    def to_dict(self) -> dict:
        return {"key": self.key, **self.params()}


@dataclass(frozen=True)
class Constant(Schedule):
    """The run's own value at every step (no schedule)."""

    key: ClassVar[str] = "constant"
    name: ClassVar[str] = "constant"

    def _curve(self, t, base):
        return base + 0.0 * t

    def latex(self, symbol=r"\eta"):
        return rf"{symbol}_t = {symbol}"

    def describe(self, symbol="η", base=None):
        return ""


@dataclass(frozen=True)
class StepDecay(Schedule):
    """Multiply by `gamma` every `step_size` steps: torch's StepLR."""

    step_size: int = 30
    gamma: float = 0.1

    key: ClassVar[str] = "step"
    name: ClassVar[str] = "step decay"

    def __post_init__(self):
        object.__setattr__(self, "step_size", _check_steps("step_size", self.step_size))
        object.__setattr__(self, "gamma", _check_float("gamma", self.gamma, 0.0, 1.0, low_open=True))

    def _curve(self, t, base):
        return base * self.gamma ** np.floor(t / self.step_size)

    def latex(self, symbol=r"\eta"):
        return rf"{symbol}_t = {symbol} \cdot {_num(self.gamma)}^{{\lfloor t / {self.step_size} \rfloor}}"

    def describe(self, symbol="η", base=None):
        return f"{symbol} ×{_num(self.gamma)} every {self.step_size}"


@dataclass(frozen=True)
class Exponential(Schedule):
    """Multiply by `gamma` every step: torch's ExponentialLR."""

    gamma: float = 0.99

    key: ClassVar[str] = "exponential"
    name: ClassVar[str] = "exponential decay"

    def __post_init__(self):
        object.__setattr__(self, "gamma", _check_float("gamma", self.gamma, 0.0, 1.0, low_open=True))

    def _curve(self, t, base):
        return base * self.gamma**t

    def latex(self, symbol=r"\eta"):
        return rf"{symbol}_t = {symbol} \cdot {_num(self.gamma)}^{{t}}"

    def describe(self, symbol="η", base=None):
        return f"{symbol} ×{_num(self.gamma)}ᵗ"


@dataclass(frozen=True)
class Cosine(Schedule):
    """Cosine annealing from the run's value down to `final` over `duration` steps: torch's
    CosineAnnealingLR(T_max=duration, eta_min=final). Past `duration` it rises again, as torch's does
    (a period of 2 × duration). A `final` above the run's value anneals upwards, as in torch."""

    duration: int = 100
    final: float = 0.0

    key: ClassVar[str] = "cosine"
    name: ClassVar[str] = "cosine annealing"

    def __post_init__(self):
        object.__setattr__(self, "duration", _check_steps("duration", self.duration))
        object.__setattr__(self, "final", _check_float("final", self.final, 0.0, math.inf, high_open=True))

    def _curve(self, t, base):
        return self.final + (base - self.final) * (1.0 + np.cos(np.pi * t / self.duration)) / 2.0

    def latex(self, symbol=r"\eta"):
        lo = _num(self.final)
        return (rf"{symbol}_t = {lo} + \tfrac12 ({symbol} - {lo})"
                rf"\left(1 + \cos\frac{{\pi t}}{{{self.duration}}}\right)")

    def describe(self, symbol="η", base=None):
        return f"{symbol} cosine → {_num(self.final)} in {self.duration}"


@dataclass(frozen=True)
class Warmup(Schedule):
    """Linear warm-up: from `start_factor` × the run's value to `end_factor` × it over `duration`
    steps, then flat: torch's LinearLR(start_factor, end_factor, total_iters=duration)."""

    duration: int = 5
    start_factor: float = 1.0 / 3.0
    end_factor: float = 1.0

    key: ClassVar[str] = "warmup"
    name: ClassVar[str] = "linear warm-up"

    def __post_init__(self):
        object.__setattr__(self, "duration", _check_steps("duration", self.duration))
        # torch's own limits: start_factor in (0, 1], end_factor in [0, 1].
        object.__setattr__(self, "start_factor",
                           _check_float("start_factor", self.start_factor, 0.0, 1.0, low_open=True))
        object.__setattr__(self, "end_factor", _check_float("end_factor", self.end_factor, 0.0, 1.0))

    def _curve(self, t, base):
        frac = np.minimum(t, self.duration) / self.duration
        return base * (self.start_factor + (self.end_factor - self.start_factor) * frac)

    def latex(self, symbol=r"\eta"):
        a, b = _num(self.start_factor), _num(self.end_factor)
        return (rf"{symbol}_t = {symbol}\left({a} + ({b} - {a})\,"
                rf"\frac{{\min(t, {self.duration})}}{{{self.duration}}}\right)")

    def describe(self, symbol="η", base=None):
        tail = "" if self.end_factor == 1.0 else f" to ×{_num(self.end_factor)}"
        return f"{symbol} warm-up ×{_num(self.start_factor)}{tail} in {self.duration}"


@dataclass(frozen=True)
class Ramp(Schedule):
    """A straight line from `start` to the run's value over `duration` steps, then the run's
    value: momentum 0.5 → 0.99, say. `start` is a value of the hyperparameter itself."""

    start: float = 0.5
    duration: int = 100

    key: ClassVar[str] = "ramp"
    name: ClassVar[str] = "linear ramp"

    def __post_init__(self):
        object.__setattr__(self, "start", _check_float("start", self.start, -math.inf, math.inf,
                                                        low_open=True, high_open=True))
        object.__setattr__(self, "duration", _check_steps("duration", self.duration))

    def _curve(self, t, base):
        frac = np.minimum(t, self.duration) / self.duration
        # Exactly the run's value once the ramp is over (start + (base - start) may round).
        return np.where(t >= self.duration, base, self.start + (base - self.start) * frac)

    def latex(self, symbol=r"\gamma"):
        s = _num(self.start)
        return rf"{symbol}_t = {s} + ({symbol} - {s})\,\frac{{\min(t, {self.duration})}}{{{self.duration}}}"

    def describe(self, symbol="γ", base=None):
        end = symbol if base is None else _num(base)
        return f"{symbol}: {_num(self.start)}→{end}"


SCHEDULES: dict[str, type[Schedule]] = {c.key: c for c in (Constant, StepDecay, Exponential, Cosine, Warmup, Ramp)}
LR_SCHEDULES: tuple[str, ...] = ("constant", "step", "exponential", "cosine", "warmup")
"""The learning-rate schedules the UI offers (each equals a torch.optim.lr_scheduler)."""
MOMENTUM_SCHEDULES: tuple[str, ...] = ("constant", "ramp")
"""The schedules the UI offers for momentum, β₁ and the other decay rates."""


def schedule_from_dict(data) -> Schedule:
    """The schedule `to_dict()` gave (from a link, say); ValueError on anything else."""
    if not isinstance(data, dict) or data.get("key") not in SCHEDULES:
        raise ValueError(f"unknown schedule {data!r}; known: {', '.join(SCHEDULES)}")
    cls = SCHEDULES[data["key"]]
    names = {f.name for f in fields(cls)}
    params = {k: v for k, v in data.items() if k != "key"}
    unknown = set(params) - names
    if unknown:
        raise ValueError(f"schedule {cls.key} takes {', '.join(sorted(names)) or 'no parameters'}; "
                         f"unknown: {', '.join(sorted(unknown))}")
    return cls(**params)
