r"""Runs: an optimizer with its own settings, the unit a view compares.

A `Run` is a small frozen, hashable value: the optimizer's registry key, its hyperparameters
(every one, defaults filled in, as a sorted tuple), its gradient source (the full batch or a batch
size on data surfaces, gradient noise σ on any surface), its schedules, an optional label and a
hidden flag. The same optimizer may appear in several runs. Start, steps and seed are the view's,
not the run's: `run.simulate(surface, start, steps, seed)` (or `simulate_run`) gives its
`Trajectory`, exactly what `simulate()` gives for the same arguments.

Random streams. A start's mini-batches and noise come from (seed, start) alone (see
`engine._start_generators`), never from the run or the other runs. So two runs with the same
batch size see the same batches, and two runs with noise the same standard-normal draws (scaled
by their σ), whatever their optimizer: a comparison isolates the setting that differs (GD vs
SGD vs mini-batch: only the batch size; Momentum with and without: only the optimizer).

Helpers: `sweep(run, name, values)` and `sweep_factors(run, name, (1/3, 1, 3))` make one run per
value; `simulate_sweep` runs such a sweep in one vectorized call (per-start hyperparameter arrays,
equal to the separate runs); `same_lr(runs, lr)` is "one learning rate for all"; `labels(runs)`
gives each run of a view a label that tells it apart from the others.

Names that teach (`rule_name`, `labels`). A run is named by its rule and its gradient source, not by
the registry's name alone. The plain gradient step (registry key "sgd") is:

- "GD" on the full batch of a data surface, and on a surface without data;
- "SGD" with one point per step (b=1), "Mini-batch SGD b=16" with b points;
- "Noisy GD σ=0.5" with gradient noise σ > 0 (a surface without data: a stand-in for the noise of
  sampling, not a sample; so not "SGD").

Any other optimizer keeps its short name and says its source after a comma: "Momentum, stochastic
b=1", "Momentum, mini-batch b=16", "Adam, noise σ=0.5"; "Momentum, full batch" only where the view's
runs differ in batch size. Then a label names every hyperparameter that tells the view's runs
apart, on every run that has it: η wherever the runs differ in η (whatever their optimizers: each
label then shows its η); another one where runs of one optimizer differ in it or a run moved it from
its default (two optimizers' own defaults, Adagrad's ε and Adam's, are not named). Numbers have 3
significant digits, more only where two of the view's values would otherwise read alike
("η=0.000333", never "η=0.0003333"). A label the person typed is kept as typed; "(2)", "(3)" mark
runs that are truly alike.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from surfaces import get_surface

from .engine import Trajectory, simulate
from .registry import OptimizerSpec, get_spec
from .schedules import Constant, Ramp, Schedule, schedule_from_dict

DEFAULT_FACTORS = (1.0 / 3.0, 1.0, 3.0)


def _pairs(value) -> tuple:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        return tuple(value.items())
    try:
        return tuple((k, v) for k, v in value)
    except (TypeError, ValueError):
        raise ValueError(f"expected a mapping or (name, value) pairs, got {value!r}") from None


@dataclass(frozen=True)
class Run:
    """One optimizer with its own settings. Construct with a mapping or pairs for `hparams` and
    `schedules`; they are stored as sorted tuples with every hyperparameter filled in, so two runs
    with the same settings are equal and hash alike (a cache key). Bad values raise ValueError."""

    optimizer: str
    hparams: tuple[tuple[str, float], ...] = ()
    batch_size: int | None = None  # None: the full batch; a size needs a data surface (simulate() refuses it elsewhere)
    noise: float = 0.0  # σ of the Gaussian noise added to each gradient component
    schedules: tuple[tuple[str, Schedule], ...] = ()
    label: str = ""  # "" means the automatic label
    hidden: bool = False

    def __post_init__(self):
        if not isinstance(self.optimizer, (str, OptimizerSpec)):
            raise ValueError(f"optimizer must be a registry key, got {self.optimizer!r}")
        spec = get_spec(self.optimizer)
        object.__setattr__(self, "optimizer", spec.key)

        given = dict(_pairs(self.hparams))
        unknown = set(given) - set(spec.defaults)
        if unknown:
            raise ValueError(f"{spec.key} takes {', '.join(spec.defaults)}; "
                             f"unknown hyperparameter(s): {', '.join(sorted(unknown))}")
        values = dict(spec.defaults)
        for name, value in given.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise ValueError(f"{name} must be a number, got {value!r}")
            values[name] = float(value)
        spec.factory(**values)  # the optimizer's own validation, naming a bad value
        object.__setattr__(self, "hparams", tuple(sorted(values.items())))

        if self.batch_size is not None:
            b = self.batch_size
            if isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b < 1:
                raise ValueError(f"batch_size must be an integer >= 1 or None (the full batch), got {b!r}")
            object.__setattr__(self, "batch_size", int(self.batch_size))
        try:
            noise = float(self.noise)
        except (TypeError, ValueError):
            raise ValueError(f"noise must be a number, got {self.noise!r}") from None
        if not (math.isfinite(noise) and noise >= 0.0):
            raise ValueError(f"noise must be a finite standard deviation >= 0, got {self.noise!r}")
        object.__setattr__(self, "noise", noise)

        schedules = dict(_pairs(self.schedules))
        for name, schedule in schedules.items():
            if name not in spec.defaults:
                raise ValueError(f"{spec.key} has no hyperparameter {name!r} to schedule; "
                                 f"it takes {', '.join(spec.defaults)}")
            if not isinstance(schedule, Schedule):
                raise ValueError(f"the schedule for {name} must be a Schedule, got {schedule!r}")
        # A constant schedule is no schedule: dropped, so that equal runs compare equal.
        kept = {k: s for k, s in schedules.items() if not isinstance(s, Constant)}
        object.__setattr__(self, "schedules", tuple(sorted(kept.items())))
        if not isinstance(self.label, str):
            raise ValueError(f"label must be text, got {self.label!r}")
        object.__setattr__(self, "label", self.label.strip())
        object.__setattr__(self, "hidden", bool(self.hidden))

    # --- reading ----------------------------------------------------------------------------

    @property
    def spec(self) -> OptimizerSpec:
        return get_spec(self.optimizer)

    @property
    def hparam_dict(self) -> dict[str, float]:
        return dict(self.hparams)

    @property
    def schedule_dict(self) -> dict[str, Schedule]:
        return dict(self.schedules)

    def hparam(self, name: str) -> float:
        return self.hparam_dict[name]

    @property
    def auto_label(self) -> str:
        """This run's name and what it moved from its defaults, as alone in a view: "Adam η=0.1",
        "SGD", "Mini-batch SGD b=16", "Momentum γ: 0.5→0.99", "Adam η=0.05 η ×0.5 every 30", "Noisy GD σ=0.5"."""
        return _label(self, _named_hparams([self]), {}, False)

    @property
    def display_label(self) -> str:
        return self.label or self.auto_label

    # --- changing (each returns a new Run) --------------------------------------------------------

    def with_hparams(self, **values: float) -> Run:
        return replace(self, hparams=(*self.hparams, *values.items()))

    def with_schedule(self, name: str, schedule: Schedule | None) -> Run:
        schedules = self.schedule_dict
        if schedule is None:
            schedules.pop(name, None)
        else:
            schedules[name] = schedule
        return replace(self, schedules=schedules)

    def replace(self, **changes) -> Run:
        return replace(self, **changes)

    # --- computing --------------------------------------------------------------------------

    def simulate(self, surface, start=None, steps: int = 200, seed: int = 0, *, tol: float | None = None,
                 record_state: bool = False) -> Trajectory:
        """This run's trajectory: `simulate()` with its optimizer, hyperparameters, gradient source and
        schedules. A batch size on a surface without data raises ValueError, as simulate() does."""
        return simulate(surface, self.optimizer, start, steps, seed=seed, noise=self.noise,
                        batch_size=self.batch_size, tol=tol, schedules=self.schedule_dict or None,
                        record_state=record_state, **self.hparam_dict)

    # --- links ------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """Plain data (JSON-ready); `Run.from_dict` reads it back to an equal Run."""
        return {
            "optimizer": self.optimizer,
            "hparams": dict(self.hparams),
            "batch_size": self.batch_size,
            "noise": self.noise,
            "schedules": {k: s.to_dict() for k, s in self.schedules},
            "label": self.label,
            "hidden": self.hidden,
        }

    @classmethod
    def from_dict(cls, data) -> Run:
        if not isinstance(data, Mapping) or "optimizer" not in data:
            raise ValueError(f"a run needs at least an optimizer, got {data!r}")
        unknown = set(data) - {"optimizer", "hparams", "batch_size", "noise", "schedules", "label", "hidden"}
        if unknown:
            raise ValueError(f"unknown run field(s): {', '.join(sorted(unknown))}")
        schedules = {k: schedule_from_dict(v) for k, v in dict(data.get("schedules") or {}).items()}
        return cls(data["optimizer"], data.get("hparams") or (), data.get("batch_size"), data.get("noise", 0.0),
                   schedules, data.get("label", ""), data.get("hidden", False))


def simulate_run(surface, run: Run, start=None, steps: int = 200, seed: int = 0, **kwargs) -> Trajectory:
    """`run.simulate(surface, start, steps, seed, ...)`."""
    return run.simulate(surface, start, steps, seed, **kwargs)


# --- sweeps ----------------------------------------------------------------------------------


def sweep(run: Run, name: str, values: Sequence[float]) -> tuple[Run, ...]:
    """One run per value of hyperparameter `name`, the rest of `run` kept (labels automatic)."""
    if name not in run.hparam_dict:
        raise ValueError(f"{run.optimizer} has no hyperparameter {name!r}; it takes {', '.join(run.spec.defaults)}")
    values = list(values)
    if not values:
        raise ValueError("a sweep needs at least one value")
    return tuple(replace(run, hparams=(*run.hparams, (name, v)), label="") for v in values)


def sweep_factors(run: Run, name: str = "lr", factors: Sequence[float] = DEFAULT_FACTORS) -> tuple[Run, ...]:
    """`sweep` over the run's value times each factor: ×⅓, ×1, ×3 by default. A value the
    optimizer refuses (momentum × 3 ≥ 1, say) raises ValueError naming it."""
    base = run.hparam(name) if name in run.hparam_dict else None
    if base is None:
        raise ValueError(f"{run.optimizer} has no hyperparameter {name!r}; it takes {', '.join(run.spec.defaults)}")
    return sweep(run, name, [base * float(f) for f in factors])


def simulate_sweep(surface, run: Run, name: str, values: Sequence[float], start=None, steps: int = 200,
                   seed: int = 0) -> Trajectory:
    """All the runs of `sweep(run, name, values)` from one start in one vectorized call: the
    Trajectory's start axis is the sweep's (path (T, k, 2)), each equal to its own run."""
    if start is None:
        start = get_surface(surface).start
    if np.shape(start) != (2,):
        raise ValueError(f"a sweep runs from one start (x, y), got shape {np.shape(start)}")
    runs = sweep(run, name, values)  # validates each value
    array = np.array([r.hparam(name) for r in runs])
    return simulate(surface, run.optimizer, start, steps, seed=seed, noise=run.noise, batch_size=run.batch_size,
                    schedules=run.schedule_dict or None, **{**run.hparam_dict, name: array})


def same_lr(runs: Iterable[Run], lr: float) -> tuple[Run, ...]:
    """"One learning rate for all": every run's η set to `lr` (schedules then act on it)."""
    return tuple(replace(r, hparams=(*r.hparams, ("lr", lr))) if "lr" in r.hparam_dict else r for r in runs)


# --- labels ----------------------------------------------------------------------------------


def short_name(spec: OptimizerSpec) -> str:
    """"Gradient descent (SGD)" -> "SGD", "Nesterov (NAG)" -> "NAG", "Adam" -> "Adam"."""
    short = getattr(spec, "short_name", None)
    if short:
        return short
    match = re.search(r"\(([^()]+)\)\s*$", spec.name)
    return match.group(1) if match else spec.name


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def symbol(latex: str, fallback: str) -> str:
    r"""A registry LaTeX symbol as text: \eta -> η, \beta_1 -> β₁; the name where it is not a Greek letter."""
    match = re.fullmatch(r"\\([A-Za-z]+)(?:_\{?(\d+)\}?)?", latex or "")
    if not match:
        return fallback
    letter, sub = match.groups()
    name = {"epsilon": "epsilon", "varepsilon": "epsilon", "lambda": "lamda"}.get(letter.lower(), letter.lower())
    try:
        char = unicodedata.lookup(f"GREEK {'CAPITAL' if letter[0].isupper() else 'SMALL'} LETTER {name.upper()}")
    except KeyError:
        return fallback
    return char + (sub.translate(_SUBSCRIPTS) if sub else "")


def short_number(value: float, digits: int = 3) -> str:
    """`value` to `digits` significant digits, as short as it reads: 0.000333, 0.1, 1000, 1e-5."""
    rounded = float(f"{float(value):.{digits}g}")
    text = f"{rounded:.15g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def _digits(values: Iterable[float]) -> int:
    """The fewest significant digits (3 at least) that keep these different values apart."""
    values = set(values)
    for digits in range(3, 16):
        if len({short_number(v, digits) for v in values}) == len(values):
            return digits
    return 17


def rule_name(run: Run, say_full_batch: bool = False) -> str:
    """The run's rule with its gradient source (module docstring): "GD", "SGD", "Mini-batch SGD
    b=16", "Noisy GD σ=0.5"; "Momentum", "Momentum, mini-batch b=16", "Adam, noise σ=0.5", and
    "Momentum, full batch" when `say_full_batch` (the view's runs differ in batch size)."""
    b, noise = run.batch_size, short_number(run.noise)
    if run.optimizer == "sgd":
        if b is not None:
            return "SGD" if b == 1 else f"Mini-batch SGD b={b}"
        return f"Noisy GD σ={noise}" if run.noise else "GD"
    name = short_name(run.spec)
    if b is not None:
        return f"{name}, {'stochastic' if b == 1 else 'mini-batch'} b={b}"
    if run.noise:
        return f"{name}, noise σ={noise}"
    return f"{name}, full batch" if say_full_batch else name


def _named_hparams(runs: Sequence[Run]) -> set[str]:
    """The hyperparameters a label names: η wherever the runs that have it differ in it; any other
    where runs of one optimizer differ in it (a value or a schedule) or a run moved it from its
    default or scheduled it. Two optimizers' own defaults (Adagrad's ε against Adam's) are not a
    difference the view makes."""
    named = set()
    for name in {h.name for r in runs for h in r.spec.hparams}:
        having = [r for r in runs if name in r.hparam_dict]
        groups: dict[str, list[Run]] = {}
        for r in having:
            groups.setdefault(r.optimizer, []).append(r)
        if ((name == "lr" and len({r.hparam(name) for r in having}) > 1)
                or any(len({r.hparam(name) for r in g}) > 1 or len({r.schedule_dict.get(name) for r in g}) > 1
                       for g in groups.values())
                or any(r.hparam(name) != r.spec.hparam(name).default or name in r.schedule_dict for r in having)):
            named.add(name)
    return named


def _label(run: Run, names: set[str], digits: Mapping[str, int], say_full_batch: bool) -> str:
    words = [rule_name(run, say_full_batch)]
    values, schedules = run.hparam_dict, run.schedule_dict
    for h in run.spec.hparams:
        if h.name not in names:
            continue
        sym, value, schedule = symbol(h.symbol, h.name), values[h.name], schedules.get(h.name)
        if isinstance(schedule, Ramp):
            words.append(schedule.describe(sym, value))  # "γ: 0.5→0.99" names the value itself
            continue
        if h.integer and (h.low, h.high) == (0, 1):  # a switch reads as words: "bias correction off"
            words.append(f"{h.name.replace('_', ' ')} {'on' if value else 'off'}")
            continue
        words.append(f"{sym}={short_number(value, digits.get(h.name, 3))}")
        if schedule is not None:
            words.append(schedule.describe(sym, value))
    return " ".join(words)


def labels(runs: Sequence[Run]) -> list[str]:
    """A label per run of a view (module docstring): its own label if the person typed one, else
    its rule and gradient source and every hyperparameter that tells the view's runs apart. So a
    sweep reads "Adam η=0.000333", "Adam η=0.001", "Adam η=0.003"; GD vs SGD vs mini-batch reads
    "GD", "SGD", "Mini-batch SGD b=16"; runs of several optimizers that differ in η each show their
    η; "(2)", "(3)" mark runs that are truly alike."""
    runs = list(runs)
    names = _named_hparams(runs)
    digits = {name: _digits(r.hparam(name) for r in runs if name in r.hparam_dict) for name in names}
    say_full_batch = len({r.batch_size for r in runs}) > 1
    out = [r.label or _label(r, names, digits, say_full_batch) for r in runs]
    seen: dict[str, int] = {}
    for i, text in enumerate(out):
        seen[text] = seen.get(text, 0) + 1
        if seen[text] > 1:
            out[i] = f"{text} ({seen[text]})"
    return out
