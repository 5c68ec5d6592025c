"""Number ranges and the positions a slider offers on them.

Three scales, each the one people think in for its kind of number:

- `linear`: multiples of `step` from `low` (steps, noise σ, animation speed);
- `log`: 1-1.2-1.5-2-2.5-3-4-5-6-7-8-9 per decade (learning rates, ε), fine enough to bracket a
  stability edge such as the ravine's lr = 0.5;
- `nines`: decay rates β in [0, 1) placed by 1 − β on a log scale (1-1.5-2-3-5-7 per decade), so
  that 0.5, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999 are each a step or two apart ("number of nines")
  instead of 0.9 → 0.99 taking 90 presses of a 0.001 slider.

On a touch screen (`touch=True`) a slider's notches must be far enough apart for a finger: at
most TOUCH_POSITIONS of them, 1-2-5 per decade on the log and nines scales (one per decade where
that is still too many), and a linear step widened by 2, 5, 10, ... (issue 19: 73 learning rates
on a phone's 250-px slider were 3 px apart, and a tap jumped η from 0.4 to 0.9).

A slider's positions are only a convenience: any value inside the range is valid and is kept
exactly (a person can type it, a link can carry it). `positions(value)` adds the current value to
the grid so that a slider can show a typed value without moving it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LOG_MANTISSAS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)
NINES_MANTISSAS = (1, 1.5, 2, 3, 5, 7)  # of 1 - beta, per decade
SCALES = ("linear", "log", "nines")
MAX_POSITIONS = 10_000
TOUCH_POSITIONS = 25  # a touch slider's notches: over 11 px apart on a phone's 280-px slider
TOUCH_MANTISSAS = ((1, 2, 5), (1,))  # per decade, the first that fits within TOUCH_POSITIONS


def _clean(value: float) -> float:
    """Drop the float noise of a computed grid value (1 - 0.001 -> 0.999 exactly as typed)."""
    return float(f"{value:.12g}")


@dataclass(frozen=True)
class Number:
    """A range of numbers a person may choose from, and how a slider walks it."""

    low: float
    high: float
    scale: str = "linear"
    step: float = 0.0  # linear scale: distance between slider positions
    integer: bool = False

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {self.scale!r}")
        if not self.low < self.high:
            raise ValueError(f"empty range [{self.low}, {self.high}]")
        if self.scale == "log" and self.low <= 0:
            raise ValueError(f"a log scale needs a positive low end, got {self.low}")
        if self.scale == "nines" and not (0 <= self.low and self.high < 1):
            raise ValueError(f"a nines scale lies in [0, 1), got [{self.low}, {self.high}]")
        if self.scale == "linear" and self.step <= 0:
            raise ValueError("a linear scale needs a positive step")

    def contains(self, value: float) -> bool:
        return math.isfinite(value) and self.low <= value <= self.high and (not self.integer or value == int(value))

    def clamp(self, value: float) -> float:
        value = min(max(float(value), self.low), self.high)
        return round(value) if self.integer else value

    def grid(self, touch: bool = False) -> tuple[float, ...]:
        """The slider's positions, ascending; both ends of the range are always on it. `touch`:
        at most TOUCH_POSITIONS of them (see the module's docstring)."""
        if self.scale == "linear":
            count = math.floor((self.high - self.low) / self.step + 1e-9)
            if count > MAX_POSITIONS:
                raise ValueError(f"{count + 1} positions are too many for a slider; use a number input")
            fine = self._inside(_clean(self.low + i * self.step) for i in range(count + 1))
            grid, spacing = fine, 1
            while touch and len(grid) > TOUCH_POSITIONS:  # multiples of 2, 5, 10, 20, ... steps, and the ends
                spacing = spacing * 5 // 2 if str(spacing)[0] == "2" else spacing * 2
                step = self.step * spacing
                # Positions of the full grid only; where it is not anchored at a multiple of the step (a
                # range from a surface's domain), every spacing-th of its positions.
                picked = [v for v in fine if abs(v / step - round(v / step)) < 1e-6]
                grid = self._inside(picked if len(picked) >= 2 else fine[::spacing])
            return grid
        for mantissas in TOUCH_MANTISSAS if touch else (None,):
            grid = self._inside(self._decades(mantissas))
            if len(grid) <= TOUCH_POSITIONS:
                break
        return grid

    def _decades(self, mantissas: tuple[float, ...] | None) -> list[float]:
        """The log or nines scale's values, `mantissas` per decade (None: the scale's own)."""
        if self.scale == "log":
            return [
                _clean(m * 10.0**e)
                for e in range(math.floor(math.log10(self.low)) - 1, math.ceil(math.log10(self.high)) + 1)
                for m in mantissas or LOG_MANTISSAS
            ]
        gaps = [_clean(m * 10.0**e) for e in range(-8, 1) for m in mantissas or NINES_MANTISSAS]
        return [_clean(1.0 - g) for g in gaps]

    def _inside(self, values) -> tuple[float, ...]:
        inside = {v for v in values if self.low <= v <= self.high} | {float(self.low), float(self.high)}
        if self.integer:
            return tuple(sorted({round(v) for v in inside}))
        return tuple(sorted(float(v) for v in inside))

    def nearest(self, value: float) -> float:
        """The grid position nearest to `value`, measured along the scale."""
        target = self._coordinate(self.clamp(value))
        return min(self.grid(), key=lambda v: abs(self._coordinate(v) - target))

    def positions(self, value: float | None = None, touch: bool = False) -> tuple[float, ...]:
        """The grid (for a touch screen: `touch`), plus `value` when it is a valid value between
        grid positions."""
        grid = self.grid(touch)
        if value is None or value in grid or not self.contains(value):
            return grid
        return tuple(sorted((*grid, int(value) if self.integer else float(value))))

    def _coordinate(self, value: float) -> float:
        if self.scale == "log":
            return math.log10(value)
        if self.scale == "nines":
            return -math.log10(max(1.0 - value, 1e-12))
        return value
