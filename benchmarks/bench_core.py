"""Core speed, measured side by side in one run; prints the ratios.

(a) time per step, one start: simulate() against the per-step loop the reference visualisers
    write (benchmarks/reference.py). Aim: faster.
(b) start-steps per second, 10,000 starts in one simulate() call, against that same reference
    loop run start by start. Aim: at least 200 times more.
(c) a learning-rate sweep: 40 values of lr from one start in one simulate() call (per-start
    hyperparameter arrays) against 40 separate calls. Aim: at least 5 times faster. And a run
    with a learning-rate schedule against the same run at a constant lr (the engine rebuilds the
    update each step). Aim: under 2 times the constant run's time.
(d) where torch is installed: torch.optim doing the same work (autograd on the same surface),
    for one start and for 10,000 starts in one tensor. Aim: faster.

Each pair is timed alternately, several rounds, and the median of each side is compared, so a
busy machine slows both sides alike. Run: .venv/bin/python benchmarks/bench_core.py [--quick]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference

from optviz import simulate
from optviz.core.schedules import StepDecay

START = (1.0, 1.5)


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


def torch_runner(kind: str, starts: np.ndarray, steps: int, **kw):
    import torch

    def beale(p):
        x, y = p[..., 0], p[..., 1]
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2

    def run():
        p = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([p], **kw) if kind == "adam" else torch.optim.SGD([p], **kw)
        path = [p.detach().clone()]
        for _ in range(steps):
            opt.zero_grad()
            beale(p).sum().backward()
            opt.step()
            path.append(p.detach().clone())
        return torch.stack(path)

    return run


def main(quick: bool = False) -> None:
    rounds = 3 if quick else 7
    steps = 300 if quick else 1000
    print(f"numpy {np.__version__}; Beale, start {START}; median of {rounds} alternating rounds\n")

    print(f"(a) one start, {steps} steps: microseconds per step")
    cases = [
        ("adam", dict(lr=1e-3), reference.adam, dict(lr=1e-3)),
        ("momentum", dict(lr=1e-3, momentum=0.9), reference.momentum, dict(lr=1e-3, gamma=0.9)),
    ]
    for key, ours_kw, ref_fn, ref_kw in cases:
        mine = simulate("beale", key, START, steps, **ours_kw).path
        theirs = ref_fn(START, steps, **ref_kw)[0]
        assert np.allclose(mine, theirs, rtol=1e-9, atol=1e-12), "not the same work"  # rounding differs
        t_ours, t_ref = side_by_side(
            lambda key=key, kw=ours_kw: simulate("beale", key, START, steps, **kw),
            lambda fn=ref_fn, kw=ref_kw: fn(START, steps, **kw),
            rounds,
        )
        print(f"    {key:<9} optviz {t_ours / steps * 1e6:7.2f}   reference loop {t_ref / steps * 1e6:7.2f}"
              f"   ratio (reference / optviz) {t_ref / t_ours:5.2f}x   aim > 1")

    n, b_steps, sample = 10_000, 200, 50 if quick else 200
    starts = np.random.default_rng(0).uniform(-1.0, 1.0, (n, 2)) + START
    print(f"\n(b) {n} starts x {b_steps} steps in one call; reference loop start by start "
          f"(timed on {sample} starts)")
    t_ours, t_ref = side_by_side(
        lambda: simulate("beale", "adam", starts, b_steps, lr=1e-3),
        lambda: [reference.adam(s, b_steps, lr=1e-3) for s in starts[:sample]],
        max(2, rounds // 2),
    )
    ours_rate, ref_rate = n * b_steps / t_ours, sample * b_steps / t_ref
    print(f"    start-steps/s: optviz {ours_rate:,.0f}   reference {ref_rate:,.0f}   "
          f"ratio {ours_rate / ref_rate:,.0f}x   aim >= 200")

    sweeps(rounds, steps)
    try:
        import torch
    except ImportError:
        print("\n(d) torch not installed: skipped (pip install torch==2.13.0)")
        return
    torch.set_num_threads(1)
    print(f"\n(d) torch {torch.__version__} (1 thread), torch.optim.Adam with autograd, same work")
    one = np.array([START])
    t_ours, t_torch = side_by_side(
        lambda: simulate("beale", "adam", START, steps, lr=1e-3), torch_runner("adam", one, steps, lr=1e-3), rounds
    )
    print(f"    one start, {steps} steps: optviz {t_ours * 1e3:7.1f} ms   torch {t_torch * 1e3:7.1f} ms   "
          f"ratio {t_torch / t_ours:5.2f}x   aim > 1")
    t_ours, t_torch = side_by_side(
        lambda: simulate("beale", "adam", starts, b_steps, lr=1e-3),
        torch_runner("adam", starts, b_steps, lr=1e-3),
        max(2, rounds // 2),
    )
    print(f"    {n} starts, {b_steps} steps: optviz {t_ours * 1e3:7.1f} ms   torch {t_torch * 1e3:7.1f} ms   "
          f"ratio {t_torch / t_ours:5.2f}x   aim > 1")


def sweeps(rounds: int, steps: int) -> None:
    lrs = np.geomspace(1e-4, 1e-1, 40)
    print(f"\n(c) lr sweep, {len(lrs)} values x {steps} steps from one start; a StepDecay schedule")
    together = simulate("beale", "adam", START, steps, lr=lrs).path
    for i in (0, len(lrs) - 1):
        assert np.array_equal(together[:, i], simulate("beale", "adam", START, steps, lr=lrs[i]).path)
    t_ours, t_sep = side_by_side(
        lambda: simulate("beale", "adam", START, steps, lr=lrs),
        lambda: [simulate("beale", "adam", START, steps, lr=lr) for lr in lrs],
        max(2, rounds // 2),
    )
    print(f"    one call {t_ours * 1e3:7.1f} ms   {len(lrs)} calls {t_sep * 1e3:7.1f} ms   "
          f"ratio {t_sep / t_ours:5.1f}x   aim >= 5")
    schedule = {"lr": StepDecay(100, 0.5)}
    t_sched, t_const = side_by_side(
        lambda: simulate("beale", "adam", START, steps, lr=1e-3, schedules=schedule),
        lambda: simulate("beale", "adam", START, steps, lr=1e-3),
        rounds,
    )
    print(f"    scheduled {t_sched * 1e3:6.1f} ms   constant {t_const * 1e3:6.1f} ms   "
          f"ratio (scheduled / constant) {t_sched / t_const:4.2f}x   aim < 2")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
