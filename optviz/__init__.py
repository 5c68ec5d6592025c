"""optviz: gradient-descent optimizers on 2-D loss surfaces, in numpy."""

from .engine import Trajectory, simulate
from .optimizers import Optimizer
from .registry import DEFAULT_SELECTION, OPTIMIZERS, HParam, OptimizerSpec, get_spec

__all__ = [
    "DEFAULT_SELECTION",
    "OPTIMIZERS",
    "HParam",
    "Optimizer",
    "OptimizerSpec",
    "Trajectory",
    "get_spec",
    "simulate",
]
