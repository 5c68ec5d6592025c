"""Trajectories as CSV or JSON, for people who want the numbers."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

import numpy as np

from .engine import Trajectory

CSV_COLUMNS = ("optimizer", "step", "x", "y", "loss", "grad_norm", "distance_to_minimum")


def _steps_of(t: Trajectory) -> int:
    # The whole path is stored; the first frozen point of a diverged (or escaped and then frozen)
    # path is its last good one.
    return t.steps if not bool(t.diverged) else int(t.diverged_at) - 1


def to_csv(trajectories: Sequence[Trajectory], labels: Sequence[str] | None = None) -> str:
    """One row per (optimizer, step), single-start trajectories; a diverged path ends at its last
    finite point. With `labels` (one per trajectory: several runs may share an optimizer) a first
    column "run" tells the runs apart."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS if labels is None else ("run", *CSV_COLUMNS))
    for i, t in enumerate(trajectories):
        _require_single(t)
        last = _steps_of(t)
        for step in range(last + 1):
            dist = "" if t.distance is None else repr(float(t.distance[step]))
            x, y = t.path[step]
            run = () if labels is None else (labels[i],)
            writer.writerow(
                (*run, t.optimizer, step, repr(float(x)), repr(float(y)), repr(float(t.loss[step])),
                 repr(float(t.grad_norm[step])), dist)
            )
    return buf.getvalue()


def to_dict(t: Trajectory) -> dict:
    _require_single(t)
    last = _steps_of(t)
    summary = t.summary()
    return {
        "optimizer": t.optimizer,
        "hparams": t.hparams,
        "surface": t.surface,
        "seed": t.seed,
        "noise": t.noise,
        "batch_size": t.batch_size,
        "steps": t.steps,
        "path": t.path[: last + 1].tolist(),
        "loss": t.loss[: last + 1].tolist(),
        "grad_norm": t.grad_norm[: last + 1].tolist(),
        "distance_to_minimum": None if t.distance is None else t.distance[: last + 1].tolist(),
        # How it ended (Trajectory.summary()): outcome is one of engine.OUTCOMES; diverged_at is the
        # step the engine froze the path from (after an escape too); None means never.
        "outcome": summary["outcome"],
        "converged_at": summary["converged_at"],
        "diverged_at": summary["diverged_at"],
        "escaped_at": summary["escaped_at"],
        "nearest_minimum": summary["nearest_minimum"],
        "tol": t.tol,
        "min_stay": t.min_stay,
    }


def to_json(trajectories: Sequence[Trajectory]) -> str:
    return json.dumps({"trajectories": [to_dict(t) for t in trajectories]}, indent=1)


def _require_single(t: Trajectory) -> None:
    if np.ndim(t.diverged) != 0:
        raise ValueError("export takes single-start trajectories; index a batch first")
