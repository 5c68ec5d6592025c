"""Trajectories as CSV or JSON, for people who want the numbers, and names for exported files.

The CSV explains itself: every row carries, besides its step's numbers, the run it belongs to (its
number in the view, label, optimizer), how that run ended (outcome, converged/diverged/escaped at)
and every setting that made it (surface, seed, steps, start, gradient noise or batch size, the
schedules, and each hyperparameter in a column of its own, empty where the run's optimizer has no
such hyperparameter). Settings as columns rather than a `# key: value` header block: a spreadsheet,
Python's `csv` module and `numpy.genfromtxt(names=True)` read it as it is, and a filter on one
column picks one run with all its settings.

`export_filename(view, kind)` names a file after the surface, the runs' optimizers and a short hash
of all the settings, so two different exports get two names: `optviz-ravine-sgd-momentum-3f9a2c.csv`.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
from collections.abc import Mapping, Sequence

import numpy as np

from surfaces import get_surface

from ..core.engine import Trajectory

STEP_COLUMNS = ("optimizer", "step", "x", "y", "loss", "grad_norm", "distance_to_minimum")
RUN_COLUMNS = ("run", "label", "outcome", "converged_at", "diverged_at", "escaped_at", "surface", "seed", "steps",
               "start_x", "start_y", "noise", "batch_size", "schedules")
CSV_COLUMNS = STEP_COLUMNS  # the first columns, as before; run and setting columns follow (see `csv_columns`)


def _steps_of(t: Trajectory) -> int:
    # The whole path is stored; the first frozen point of a diverged (or escaped and then frozen)
    # path is its last good one.
    return t.steps if not bool(t.diverged) else int(t.diverged_at) - 1


def _hparam_columns(trajectories: Sequence[Trajectory]) -> list[str]:
    names: list[str] = []
    for t in trajectories:
        names += [n for n in t.hparams if n not in names]
    return names


def csv_columns(trajectories: Sequence[Trajectory]) -> list[str]:
    """The CSV's header: the step columns, the run's columns, then one per hyperparameter any run has
    (a name that clashes with a fixed column is written `hparam_<name>`)."""
    fixed = [*STEP_COLUMNS, *RUN_COLUMNS]
    return fixed + [n if n not in fixed else f"hparam_{n}" for n in _hparam_columns(trajectories)]


def _number(value) -> str:
    return "" if value is None else repr(float(value))


def _schedules_text(t: Trajectory) -> str:
    """'lr: step(step_size=30 gamma=0.5); momentum: ramp(start=0.5 duration=100)': exact parameters, no commas."""
    parts = []
    for name, schedule in t.schedules:
        params = " ".join(f"{k}={v!r}" for k, v in schedule.params().items())
        parts.append(f"{name}: {schedule.key}({params})")
    return "; ".join(parts)


def _cell(text: str) -> str:
    """A text cell without commas, quotes or line breaks, so that a reader that splits at commas
    (numpy.genfromtxt, a shell's cut) sees the same columns as a CSV parser: ',' becomes ';'."""
    return re.sub(r"[\r\n]+", " ", str(text)).replace(",", ";").replace('"', "'")


def _batch_text(t: Trajectory) -> str:
    if t.batch_size is not None:
        return str(t.batch_size)
    return "full" if get_surface(t.surface).has_data else ""


def to_csv(trajectories: Sequence[Trajectory], labels: Sequence[str] | None = None) -> str:
    """One row per (run, step), single-start trajectories, in the given order (run 1, 2, ...); a
    diverged path ends at its last finite point. `labels` (one per run, default the optimizer key)
    name the runs as the view does (commas in a label are written as semicolons)."""
    trajectories = list(trajectories)
    if labels is not None and len(labels) != len(trajectories):
        raise ValueError(f"{len(labels)} labels for {len(trajectories)} runs")
    columns = csv_columns(trajectories)
    hparam_names = _hparam_columns(trajectories)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for number, t in enumerate(trajectories, start=1):
        _require_single(t)
        last = _steps_of(t)
        summary = t.summary()
        run = (
            number, _cell(t.optimizer if labels is None else labels[number - 1]), summary["outcome"],
            "" if summary["converged_at"] is None else summary["converged_at"],
            "" if summary["diverged_at"] is None else summary["diverged_at"],
            "" if summary["escaped_at"] is None else summary["escaped_at"],
            t.surface, t.seed, t.steps, repr(float(t.path[0][0])), repr(float(t.path[0][1])), repr(float(t.noise)),
            _batch_text(t), _schedules_text(t),
        )
        hparams = tuple(_number(t.hparams[n]) if n in t.hparams else "" for n in hparam_names)
        for step in range(last + 1):
            dist = "" if t.distance is None else repr(float(t.distance[step]))
            x, y = t.path[step]
            writer.writerow(
                (t.optimizer, step, repr(float(x)), repr(float(y)), repr(float(t.loss[step])),
                 repr(float(t.grad_norm[step])), dist, *run, *hparams)
            )
    return buf.getvalue()


def _plain(value):
    """Settings as JSON-ready plain data, for the hash."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__type__": type(value).__name__, **{f.name: _plain(getattr(value, f.name))
                                                    for f in dataclasses.fields(value)}}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, float)):
        return repr(float(value))  # exact: 0.1 and 0.10000000000000002 differ
    if isinstance(value, (np.integer, int, bool, str)) or value is None:
        return value if not isinstance(value, np.integer) else int(value)
    return repr(value)


def view_settings(trajectories: Sequence[Trajectory], labels: Sequence[str] | None = None) -> dict:
    """What made these runs, as plain data: surface, seed, steps, start, and per run its optimizer,
    label, hyperparameters, noise, batch size and schedules."""
    trajectories = list(trajectories)
    if not trajectories:
        raise ValueError("no runs to export")
    first = trajectories[0]
    return {
        "surface": first.surface,
        "seed": first.seed,
        "steps": first.steps,
        "start": [float(v) for v in np.asarray(first.path[0]).reshape(-1)[:2]],
        "runs": [{"optimizer": t.optimizer, "label": None if labels is None else labels[i],
                  "hparams": dict(t.hparams), "noise": t.noise, "batch_size": t.batch_size,
                  "schedules": _schedules_text(t)} for i, t in enumerate(trajectories)],
    }


def settings_hash(view) -> str:
    """Six hex digits of the SHA-256 of the settings (a mapping, a dataclass such as the app's
    view state, or a sequence of trajectories), written canonically: equal settings, equal hash."""
    if isinstance(view, Sequence) and view and all(isinstance(t, Trajectory) for t in view):
        view = view_settings(view)
    text = json.dumps(_plain(view), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:6]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def _field(view, name: str):
    if isinstance(view, Mapping):
        return view.get(name)
    return getattr(view, name, None)


def export_filename(view, kind: str, max_optimizers: int = 4) -> str:
    """`optviz-<surface>-<optimizers>-<hash>.<kind>`: the surface, the runs' optimizers (each once, in
    order; past `max_optimizers` "-and-N-more"), six hex digits of all the settings. `view` is a
    sequence of trajectories, or a mapping / object with `surface` and `runs` (each with an
    `optimizer`) or `optimizers` (keys)."""
    kind = _slug(kind)
    if not kind:
        raise ValueError("kind must name a file type, e.g. 'csv'")
    if isinstance(view, Sequence) and view and all(isinstance(t, Trajectory) for t in view):
        surface, keys = view[0].surface, [t.optimizer for t in view]
    else:
        surface = _field(view, "surface")
        runs = _field(view, "runs")
        if runs is not None:
            keys = [r["optimizer"] if isinstance(r, Mapping) else getattr(r, "optimizer", r) for r in runs]
        else:
            keys = list(_field(view, "optimizers") or ())
    if not surface:
        raise ValueError("the view names no surface")
    surface = getattr(surface, "key", surface)
    unique = list(dict.fromkeys(_slug(k) for k in keys))
    shown = unique[:max_optimizers]
    if len(unique) > max_optimizers:
        shown.append(f"and-{len(unique) - max_optimizers}-more")
    name = "-".join(["optviz", _slug(surface), *shown, settings_hash(view)])
    return f"{name}.{kind}"


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
        "schedules": {name: schedule.to_dict() for name, schedule in t.schedules},
    }


def to_json(trajectories: Sequence[Trajectory]) -> str:
    return json.dumps({"trajectories": [to_dict(t) for t in trajectories]}, indent=1)


def _require_single(t: Trajectory) -> None:
    if np.ndim(t.diverged) != 0:
        raise ValueError("export takes single-start trajectories; index a batch first")


def format_number(value: float) -> str:
    """Shortest text that reads back as exactly the same float (also how a value is shown)."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
