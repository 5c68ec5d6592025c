"""`python -m optviz`: compare optimizers on a surface and print (or save) the numbers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from surfaces import SURFACES

from .analysis.export import to_csv, to_json
from .analysis.results import COLUMNS, RUN, results_rows
from .core.engine import CONVERGENCE_RULE, simulate
from .core.presets import preset_for
from .core.registry import OPTIMIZERS


def _point(text: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected X,Y, got {text!r}") from None
    return x, y


def _setting(text: str) -> tuple[str, str, float]:
    try:
        target, value = text.split("=")
        key, name = target.split(".")
        return key, name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected OPTIMIZER.NAME=VALUE, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m optviz",
        description="Run optimizers on a 2-D loss surface and compare where they end up. "
        "Hyperparameters default to the surface's preset.",
        epilog="`optviz serve [STREAMLIT OPTIONS]` starts the app instead (needs the app extra).",
    )
    p.add_argument("--surface", default="beale", choices=list(SURFACES))
    p.add_argument("--optimizers", default=",".join(OPTIMIZERS),
                   help=f"comma-separated keys (default: all): {', '.join(OPTIMIZERS)}")
    p.add_argument("--steps", type=int, help="default: the surface's preset")
    p.add_argument("--start", type=_point, help="X,Y (default: the surface's preset)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--noise", type=float, default=0.0, help="gradient noise standard deviation")
    p.add_argument("--batch-size", type=int, help="mini-batch size (data surfaces such as mse)")
    p.add_argument("--set", dest="settings", type=_setting, action="append", default=[],
                   metavar="OPT.NAME=VALUE", help="a hyperparameter, e.g. --set adam.lr=0.05 (repeatable)")
    p.add_argument("--csv", type=Path, help="write the trajectories as CSV to this file")
    p.add_argument("--json", type=Path, help="write the trajectories as JSON to this file")
    return p


def _table(rows: list[dict[str, str]]) -> str:
    """The results table (the same rows as the app's) in aligned columns; "-" for empty cells."""
    columns = [c for c in COLUMNS if c in rows[0]]
    cells = [["optimizer" if c == RUN else c for c in columns]]
    cells += [[row[c] or "-" for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
                     for line in cells)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:  # `optviz serve`: the app (optviz/app/serve.py), not a comparison
        from .app.serve import main as serve

        return serve(argv[1:])
    args = build_parser().parse_args(argv)
    preset = preset_for(args.surface)
    keys = [k.strip() for k in args.optimizers.split(",") if k.strip()]
    unknown = [k for k in keys if k not in OPTIMIZERS]
    if unknown or not keys:
        print(f"error: unknown optimizer(s) {unknown}; known: {', '.join(OPTIMIZERS)}", file=sys.stderr)
        return 2
    overrides: dict[str, dict[str, float]] = {}
    for key, name, value in args.settings:
        overrides.setdefault(key, {})[name] = value

    trajectories = []
    try:
        for key in keys:
            hparams = {**preset.hparams_for(key), **overrides.get(key, {})}
            trajectories.append(simulate(
                args.surface, key, args.start or preset.start, args.steps if args.steps is not None else preset.steps,
                seed=args.seed, noise=args.noise, batch_size=args.batch_size, **hparams,
            ))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    surface = SURFACES[args.surface]
    x0, y0 = trajectories[0].path[0]
    print(f"{surface.title}: {trajectories[0].steps} steps from ({x0:g}, {y0:g})")
    print(_table(results_rows(surface, [(t.optimizer, t) for t in trajectories])))
    print(CONVERGENCE_RULE)
    if args.csv:
        args.csv.write_text(to_csv(trajectories))
        print(f"wrote {args.csv}")
    if args.json:
        args.json.write_text(to_json(trajectories))
        print(f"wrote {args.json}")
    return 0
