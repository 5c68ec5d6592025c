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
        """The optimizer's short name and what differs from its defaults: "Adam η=0.1",
        "SGD b=1", "Momentum γ: 0.5→0.99", "Adam η=0.05 η ×0.5 every 30", "SGD σ=0.5"."""
        return " ".join([short_name(self.spec), *self._setting_words(changed_only=True)])

    @property
    def display_label(self) -> str:
        return self.label or self.auto_label

    def _setting_words(self, changed_only: bool, names: Iterable[str] | None = None) -> list[str]:
        spec, values, schedules = self.spec, self.hparam_dict, self.schedule_dict
        words = []
        for h in spec.hparams:
            if names is not None and h.name not in names:
                continue
            sym, value, schedule = symbol(h.symbol, h.name), values[h.name], schedules.get(h.name)
            if isinstance(schedule, Ramp):
                words.append(schedule.describe(sym, value))  # "γ: 0.5→0.99" names the value itself
                continue
            if not changed_only or value != h.default:
                words.append(f"{sym}={value:.4g}")
            if schedule is not None:
                words.append(schedule.describe(sym, value))
        if names is None:
            if self.batch_size is not None:
                words.append(f"b={self.batch_size}")
            if self.noise:
                words.append(f"σ={self.noise:g}")
        return words

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


def labels(runs: Sequence[Run]) -> list[str]:
    """A label per run of a view: its own label if set, else the automatic one, which also names
    whatever differs among the view's runs of the same optimizer (so a sweep reads "Adam η=0.001",
    "Adam η=0.003", ..., and GD vs SGD reads "SGD full batch", "SGD b=1"); "(2)", "(3)" mark
    runs that are truly alike."""
    by_optimizer: dict[str, list[int]] = {}
    for i, r in enumerate(runs):
        if not r.label:
            by_optimizer.setdefault(r.optimizer, []).append(i)
    out = [r.display_label for r in runs]
    for members in by_optimizer.values():
        group = [runs[i] for i in members]
        differing = {
            h.name for h in group[0].spec.hparams
            if len({r.hparam(h.name) for r in group}) > 1 or len({r.schedule_dict.get(h.name) for r in group}) > 1
        }
        mixed_batches = len({r.batch_size for r in group}) > 1
        for i, r in zip(members, group, strict=True):
            words = r._setting_words(changed_only=True)
            for w in r._setting_words(changed_only=False, names=differing):
                if w not in words:
                    words.append(w)
            if mixed_batches and r.batch_size is None:
                words.append("full batch")
            ordered = [w for w in r._setting_words(changed_only=False) if w in words]
            ordered += [w for w in words if w not in ordered]
            out[i] = " ".join([short_name(r.spec), *ordered])
    seen: dict[str, int] = {}
    for i, text in enumerate(out):
        seen[text] = seen.get(text, 0) + 1
        if seen[text] > 1:
            out[i] = f"{text} ({seen[text]})"
    return out
