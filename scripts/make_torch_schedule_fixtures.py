"""Write tests/fixtures/torch_schedules.json: torch.optim paths under lr schedulers and momentum ramps.

Each case runs a torch.optim optimizer in float64 on one of our surfaces (its analytic gradient
handed to torch as `p.grad`, so torch does only the optimizer's arithmetic), with a
torch.optim.lr_scheduler (StepLR, ExponentialLR, CosineAnnealingLR, LinearLR) stepped after every
`optimizer.step()`, or with the momentum / β₁ of the param group set before each step (torch has
no scheduler for those). tests/core/test_torch_schedules.py compares `simulate(..., schedules=...)`
with these paths to 1e-9 without torch, and regenerates them live where torch is importable.

Regenerate (torch is not a dependency of the app; any CPU build of torch 2.x):
    python3 -m venv /tmp/torchenv --system-site-packages && /tmp/torchenv/bin/pip install torch==2.13.0
    /tmp/torchenv/bin/python scripts/make_torch_schedule_fixtures.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from optviz.core.schedules import Constant, Cosine, Exponential, Ramp, StepDecay, Warmup, schedule_from_dict  # noqa: E402
from surfaces import SURFACES  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "torch_schedules.json"
STEPS = 30

# Our optimizer key, our hyperparameters, the torch class and its keyword arguments.
OPTIMIZERS = [
    ("sgd", {"lr": 0.002}, "SGD", {"lr": 0.002}),
    ("momentum", {"lr": 0.002, "momentum": 0.9}, "SGD", {"lr": 0.002, "momentum": 0.9}),
    ("nesterov", {"lr": 0.002, "momentum": 0.9}, "SGD", {"lr": 0.002, "momentum": 0.9, "nesterov": True}),
    ("adagrad", {"lr": 0.2, "eps": 1e-10}, "Adagrad", {"lr": 0.2, "eps": 1e-10}),
    ("rmsprop", {"lr": 0.02, "rho": 0.9, "eps": 1e-8}, "RMSprop", {"lr": 0.02, "alpha": 0.9, "eps": 1e-8}),
    ("adadelta", {"lr": 2.0, "rho": 0.9, "eps": 1e-4}, "Adadelta", {"lr": 2.0, "rho": 0.9, "eps": 1e-4}),
    ("adam", {"lr": 0.05, "beta1": 0.8, "beta2": 0.99}, "Adam", {"lr": 0.05, "betas": (0.8, 0.99)}),
    ("amsgrad", {"lr": 0.05}, "Adam", {"lr": 0.05, "amsgrad": True}),
    ("adamax", {"lr": 0.05, "beta1": 0.85}, "Adamax", {"lr": 0.05, "betas": (0.85, 0.999)}),
    ("adamw", {"lr": 0.05, "weight_decay": 0.1}, "AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    ("radam", {"lr": 0.002, "beta2": 0.9}, "RAdam", {"lr": 0.002, "betas": (0.9, 0.9)}),
    # Rprop reads lr once, at its first step: a warm-up's first value sets its step sizes, the rest is ignored.
    ("rprop", {"lr": 0.05}, "Rprop", {"lr": 0.05}),
    ("lbfgs", {"lr": 0.5, "history_size": 5}, "LBFGS", {"lr": 0.5, "history_size": 5, "max_iter": 1}),
]

# Our learning-rate schedule and the torch scheduler it must equal.
LR_SCHEDULES = [
    (StepDecay(step_size=7, gamma=0.5), "StepLR", {"step_size": 7, "gamma": 0.5}),
    (Exponential(gamma=0.93), "ExponentialLR", {"gamma": 0.93}),
    (Cosine(duration=25, final=0.0), "CosineAnnealingLR", {"T_max": 25, "eta_min": 0.0}),  # reaches 0, rises again
    (Cosine(duration=30, final=1e-4), "CosineAnnealingLR", {"T_max": 30, "eta_min": 1e-4}),
    (Warmup(duration=10, start_factor=0.1), "LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 10}),
    (Warmup(duration=12, start_factor=1.0, end_factor=0.2), "LinearLR",
     {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 12}),
]

# Momentum / beta1 ramps, set in torch's param group before each step.
RAMPS = [
    ("momentum", {"lr": 0.002, "momentum": 0.99}, "SGD", {"lr": 0.002, "momentum": 0.99}, "momentum", Ramp(0.5, 25)),
    ("nesterov", {"lr": 0.002, "momentum": 0.99}, "SGD", {"lr": 0.002, "momentum": 0.99, "nesterov": True},
     "momentum", Ramp(0.5, 25)),
    ("adam", {"lr": 0.05, "beta1": 0.95}, "Adam", {"lr": 0.05, "betas": (0.95, 0.999)}, "beta1", Ramp(0.5, 20)),
]


def cases() -> list[dict]:
    """Every case as plain data (no torch needed): what both sides run."""
    out = []
    surfaces = ["beale", "rosenbrock", "himmelblau"]
    for i, (key, ours, cls, theirs) in enumerate(OPTIMIZERS):
        for j, (schedule, sched_cls, sched_kwargs) in enumerate(LR_SCHEDULES):
            surface = surfaces[(i + j) % len(surfaces)]
            out.append({
                "id": f"{key}-{sched_cls}-{j}-{surface}",
                "surface": surface,
                "start": [0.5, 0.5] if surface == "rosenbrock" else list(SURFACES[surface].start),
                "optimizer": key,
                "hparams": ours,
                "schedules": {"lr": schedule.to_dict()},
                "torch": {"class": cls, "kwargs": theirs, "scheduler": sched_cls, "scheduler_kwargs": sched_kwargs},
            })
    for key, ours, cls, theirs, name, ramp in RAMPS:
        out.append({
            "id": f"{key}-{name}-ramp",
            "surface": "beale",
            "start": list(SURFACES["beale"].start),
            "optimizer": key,
            "hparams": ours,
            "schedules": {name: ramp.to_dict(), "lr": Constant().to_dict()},
            "torch": {"class": cls, "kwargs": theirs, "ramp": name,
                      "ramp_values": ramp.values(STEPS, ours[name]).tolist()},
        })
    return out


def torch_run(case: dict, steps: int = STEPS) -> dict:
    """torch's iterates (steps + 1, 2) and the learning rate each step used."""
    import torch

    spec = case["torch"]
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in spec["kwargs"].items()}
    surface = SURFACES[case["surface"]]
    p = torch.tensor(case["start"], dtype=torch.float64, requires_grad=True)
    optim = getattr(torch.optim, spec["class"])([p], **kwargs)
    scheduler = None
    if "scheduler" in spec:
        scheduler = getattr(torch.optim.lr_scheduler, spec["scheduler"])(optim, **spec["scheduler_kwargs"])
    group = optim.param_groups[0]
    points, lrs = [p.detach().numpy().copy()], []
    for t in range(steps):
        if "ramp" in spec:
            value = spec["ramp_values"][t]
            if spec["ramp"] == "beta1":
                group["betas"] = (value, group["betas"][1])
            else:
                group[spec["ramp"]] = value
        lrs.append(float(group["lr"]))

        def closure():  # LBFGS asks for one; the others call it once, as a plain step would
            optim.zero_grad()
            p.grad = torch.from_numpy(surface.grad(p.detach().numpy().copy()))
            return torch.tensor(float(surface.f(p.detach().numpy())))

        optim.step(closure)
        if scheduler is not None:
            scheduler.step()
        points.append(p.detach().numpy().copy())
    return {"path": np.array(points).tolist(), "lrs": lrs}


def build() -> dict:
    import torch

    torch.set_default_dtype(torch.float64)
    all_cases = cases()
    for case in all_cases:
        schedule_from_dict(case["schedules"]["lr"])  # every case is something our side can read
        case.update(torch_run(case))
    return {
        "header": (
            "torch.optim paths (float64) under lr schedulers and momentum/beta1 ramps, for "
            "tests/core/test_torch_schedules.py. Generated by scripts/make_torch_schedule_fixtures.py with "
            f"torch {torch.__version__}; regenerate with `python scripts/make_torch_schedule_fixtures.py` "
            "in an environment that has torch. For Nesterov, `path` holds torch's iterates, which are "
            "the look-ahead points of our drawn path."
        ),
        "torch_version": torch.__version__,
        "steps": STEPS,
        "cases": all_cases,
    }


def main() -> None:
    data = build()
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    # One case a line: small, and a regenerated fixture diffs case by case.
    head = {k: v for k, v in data.items() if k != "cases"}
    lines = [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    body = ",\n".join(f"  {json.dumps(case)}" for case in data["cases"])
    FIXTURE.write_text("{\n" + "\n".join(lines) + '\n "cases": [\n' + body + "\n ]\n}\n")
    print(f"wrote {FIXTURE.relative_to(ROOT)}: {len(data['cases'])} cases, {FIXTURE.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
