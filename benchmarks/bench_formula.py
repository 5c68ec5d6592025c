"""Typed formulas: how fast hostile text is refused, and what a typed surface costs, in one run.

(a) refusal time of each hostile formula (the security tests' list): aim below 100 ms each;
    the median of several rounds, the worst one printed.
(b) building a formula surface (parse, sympy gradient, lambdify), first time and cached.
(c) a typed Himmelblau against the hand-written one: simulate() with 10,000 starts, side by side.
(d) find_minima on the typed Himmelblau.

Run: .venv/bin/python benchmarks/bench_formula.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from optviz import simulate
from optviz.analysis.minima import find_minima
from surfaces import SURFACES
from surfaces.formula import FormulaError, compile_formula, formula_surface

HOSTILE = [
    "__import__('os')", "x.__class__", "(lambda: 1)()", "[x for x in (1, 2)]", "__builtins__", "'abc'",
    "9**9**9", "x**x**x**x", "x+" * 5000, "(" * 1000 + "x" + ")" * 1000, "-(" * 1000 + "x" + ")" * 1000,
    "-(" * 66 + "x" + ")" * 66, "-" * 199 + "x", "1" * 190 + "*x", "((1e9*1e9)**10)**2*x", "exp(1000)*x",
]
HIMMELBLAU_TEXT = "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"


def median_time(fn, rounds: int = 7) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def refuse(text: str) -> None:
    try:
        formula_surface(text)
    except FormulaError:
        return
    raise AssertionError(f"{text[:30]!r} was accepted")


def main() -> None:
    worst = max((median_time(lambda t=t: refuse(t)), t) for t in HOSTILE)
    print(f"(a) refusing {len(HOSTILE)} hostile formulas: worst median {worst[0] * 1e3:.3f} ms ({worst[1][:24]!r}); "
          f"aim < 100 ms")

    compile_formula.cache_clear()
    t = time.perf_counter()
    formula_surface("sin(x)*cos(y) + 0.1*x**2 + exp(-(x - 1)**2 - y**2)")
    first = time.perf_counter() - t
    cached = median_time(lambda: formula_surface("sin(x)*cos(y) + 0.1*x**2 + exp(-(x - 1)**2 - y**2)"))
    print(f"(b) building a formula surface: first {first * 1e3:.1f} ms, cached {cached * 1e3:.2f} ms")

    typed = formula_surface(HIMMELBLAU_TEXT, SURFACES["himmelblau"].domain)
    starts = np.random.default_rng(0).uniform(-5, 5, (10_000, 2))
    ours = median_time(lambda: simulate(typed, "adam", starts, 200, lr=0.05), rounds=3)
    theirs = median_time(lambda: simulate("himmelblau", "adam", starts, 200, lr=0.05), rounds=3)
    print(f"(c) 10,000 starts × 200 steps, Adam: typed {ours:.3f} s, hand-written {theirs:.3f} s, "
          f"ratio {ours / theirs:.2f}")

    t = time.perf_counter()
    found = find_minima(typed)
    print(f"(d) find_minima on the typed Himmelblau: {time.perf_counter() - t:.3f} s, {len(found)} minima")


if __name__ == "__main__":
    main()
