"""optviz: gradient-descent optimizers on 2-D loss surfaces, in numpy."""

from .engine import StepRecord, Trajectory, simulate
from .optimizers import Optimizer
from .registry import DEFAULT_SELECTION, OPTIMIZERS, HParam, OptimizerSpec, get_spec
from .runs import Run, simulate_run

__all__ = [
    "DEFAULT_SELECTION",
    "OPTIMIZERS",
    "HParam",
    "Optimizer",
    "OptimizerSpec",
    "Run",
    "StepRecord",
    "Trajectory",
    "get_spec",
    "simulate",
    "simulate_run",
]
