"""Analysis tools' speed, measured side by side in one run; prints times and ratios.

(a) Basin map: 100 × 100 starts at the default 200 steps (`basin_map`, one simulate() call)
    against one run of the same optimizer from one start, the time a view already spends.
    Aim: the map answers within about a second on this machine.
(b) Learning-rate sensitivity for five optimizers (each one sweep over its lr slider's 73
    positions, one simulate() call each) against one single run, and against the same 5 × 73
    runs made one by one. Aim: within a few single runs' time, and many times faster than the loop.

Each pair is timed alternately, several rounds, and the median of each side is compared, so a
busy machine slows both sides alike. Run: .venv/bin/python benchmarks/bench_analysis.py [--quick]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from optviz.analysis.basins import basin_map
from optviz.analysis.sensitivity import lr_grid, lr_sensitivity
from optviz.core.runs import Run

STEPS = 200  # simulate()'s default, and the default of most presets


def side_by_side(ours, theirs, rounds: int) -> tuple[float, float]:
    a, b = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        ours()
        a.append(time.perf_counter() - t)
        t = time.perf_counter()
        theirs()
        b.append(time.perf_counter() - t)
    return statistics.median(a), statistics.median(b)


def main(quick: bool = False) -> None:
    rounds = 3 if quick else 5
    print(f"median of {rounds} alternating rounds\n")

    print(f"(a) basin map, 100 x 100 starts x {STEPS} steps, against one run from one start")
    cases = [
        ("himmelblau", Run("momentum", {"lr": 0.01})),
        ("himmelblau", Run("adam", {"lr": 0.1})),
        ("beale", Run("sgd", {"lr": 0.03})),  # most starts diverge
        ("rosenbrock", Run("rmsprop", {"lr": 0.01}, noise=0.5)),  # per-start random streams
    ]
    for surface, run in cases:
        t_map, t_one = side_by_side(lambda s=surface, r=run: basin_map(s, r, 100, STEPS),
                                    lambda s=surface, r=run: r.simulate(s, steps=STEPS), rounds)
        print(f"    {surface:<10} {run.display_label:<22} map {t_map * 1e3:7.0f} ms   one run {t_one * 1e3:6.2f} ms"
              f"   map / run {t_map / t_one:6.0f}x   aim: map <= ~1000 ms")

    keys = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
    runs = [Run(k) for k in keys]
    points = sum(len(lr_grid(r)) for r in runs)
    print(f"\n(b) lr sensitivity on beale, {len(keys)} optimizers ({points} learning rates), {STEPS} steps")
    t_sweep, t_one = side_by_side(lambda: [lr_sensitivity("beale", r, steps=STEPS) for r in runs],
                                  lambda: runs[0].simulate("beale", steps=STEPS), rounds)
    print(f"    five sweeps {t_sweep * 1e3:7.1f} ms   one run {t_one * 1e3:6.2f} ms   "
          f"sweeps / run {t_sweep / t_one:5.1f}x")

    def loop():
        for r in runs:
            for lr in lr_grid(r):
                r.with_hparams(lr=float(lr)).simulate("beale", steps=STEPS)

    t_sweep, t_loop = side_by_side(lambda: [lr_sensitivity("beale", r, steps=STEPS) for r in runs], loop,
                                   max(2, rounds // 2))
    print(f"    five sweeps {t_sweep * 1e3:7.1f} ms   {points} separate runs {t_loop * 1e3:7.1f} ms   "
          f"speed-up {t_loop / t_sweep:5.1f}x")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
