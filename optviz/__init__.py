"""optviz: gradient-descent optimizers on 2-D loss surfaces, in numpy.

The figures (`figure`, `step_chart`, `basin_map`, `sensitivity_curve`: optviz/plot/notebook.py) need
plotly (`pip install 'optviz[plot]'`) and are imported on first use, as are the `lessons`, `curvature` and
`notebook` modules, so that `import optviz` and `simulate()` need numpy alone.
"""

import importlib

from .core.engine import StepRecord, Trajectory, simulate
from .core.optimizers import Optimizer
from .core.registry import DEFAULT_SELECTION, OPTIMIZERS, HParam, OptimizerSpec, get_spec
from .core.runs import Run, simulate_run

_NOTEBOOK = ("figure", "step_chart", "basin_map", "sensitivity_curve")
_LAZY_MODULES = {"lessons": ".plot.lessons", "notebook": ".plot.notebook", "curvature": ".analysis.curvature"}


def __getattr__(name: str):
    if name in _NOTEBOOK:
        return getattr(importlib.import_module(".plot.notebook", __name__), name)
    if name in _LAZY_MODULES:
        return importlib.import_module(_LAZY_MODULES[name], __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_NOTEBOOK, *_LAZY_MODULES])


__all__ = [
    "DEFAULT_SELECTION",
    "OPTIMIZERS",
    "HParam",
    "Optimizer",
    "OptimizerSpec",
    "Run",
    "StepRecord",
    "Trajectory",
    "basin_map",
    "figure",
    "get_spec",
    "sensitivity_curve",
    "simulate",
    "simulate_run",
    "step_chart",
]
