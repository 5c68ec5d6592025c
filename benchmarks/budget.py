"""The budget: figures the benchmarks measure, each a ratio to what it is compared with in the same run,
against the ceilings in benchmarks/budget.toml.

A benchmark calls `record(name, value)` where it computes a figure; when `make bench` (results.py) runs it,
OPTVIZ_BENCH_FIGURES names a file the figures are appended to (one JSON object a line), and results.py
judges them with `judge()` once every benchmark has run. Run on its own, a benchmark records nothing.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

BUDGET = Path(__file__).resolve().parent / "budget.toml"
FIGURES_ENV = "OPTVIZ_BENCH_FIGURES"


def record(name: str, value: float) -> None:
    path = os.environ.get(FIGURES_ENV)
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"name": name, "value": float(value)}) + "\n")


def read_figures(path: Path) -> dict[str, float]:
    """The last value recorded under each name."""
    if not path.exists():
        return {}
    return {d["name"]: d["value"] for d in map(json.loads, path.read_text().splitlines()) if d}


def load_budget(path: Path = BUDGET) -> dict[str, dict]:
    figures = tomllib.loads(path.read_text())["figures"]
    for name, entry in figures.items():
        if not (isinstance(entry.get("ceiling"), int | float) and entry["ceiling"] > 0):
            raise ValueError(f"budget.toml: {name} needs a positive ceiling, got {entry.get('ceiling')!r}")
        if not entry.get("compared_with"):
            raise ValueError(f"budget.toml: {name} needs compared_with (what the figure is a ratio to)")
    return figures


@dataclass
class Verdict:
    name: str
    value: float | None  # None: not measured in this run
    ceiling: float
    aim: float | None
    compared_with: str
    unit: str

    @property
    def over(self) -> bool:
        return self.value is not None and not (self.value <= self.ceiling)  # NaN counts as over

    @property
    def status(self) -> str:
        if self.value is None:
            return "not measured in this run"
        if self.over:
            return "**OVER BUDGET**"
        if self.aim is not None and self.value > self.aim:
            return "within budget, aim not met"
        return "within budget" + (", aim met" if self.aim is not None else "")


def judge(figures: dict[str, float], budget: dict[str, dict]) -> list[Verdict]:
    unknown = sorted(set(figures) - set(budget))
    if unknown:
        raise ValueError(f"figures without a ceiling in budget.toml: {unknown}")
    return [Verdict(name, figures.get(name), e["ceiling"], e.get("aim"), e["compared_with"], e.get("unit", "×"))
            for name, e in budget.items()]


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "–"
    if math.isnan(v):
        return "nan"
    if unit == "n":
        return f"{v:g}"
    return f"{v:.2f} s" if unit == "s" else f"{v:.2f}×"


def table(verdicts: list[Verdict]) -> str:
    lines = ["| figure | compared with (same run) | value | ceiling | aim | verdict |", "|---|---|---|---|---|---|"]
    for v in verdicts:
        lines.append(f"| `{v.name}` | {v.compared_with} | {_fmt(v.value, v.unit)} | {_fmt(v.ceiling, v.unit)} | "
                     f"{_fmt(v.aim, v.unit)} | {v.status} |")
    return "\n".join(lines)


def loud(verdicts: list[Verdict]) -> str:
    """What make bench prints last: one line per figure, OVER BUDGET lines first."""
    rows = sorted(verdicts, key=lambda v: (not v.over, v.value is None))
    out = []
    for v in rows:
        mark = "OVER BUDGET" if v.over else ("not measured" if v.value is None else "ok")
        out.append(f"{mark:>12}  {v.name:<48} {_fmt(v.value, v.unit):>8}  ceiling {_fmt(v.ceiling, v.unit):>8}"
                   + (f"  aim {_fmt(v.aim, v.unit)}" if v.aim is not None else ""))
    return "\n".join(out)
