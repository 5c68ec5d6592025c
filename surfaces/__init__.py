"""Loss surfaces over two parameters. This package never imports optviz.

Add a surface: write it as a `Surface` (see `base.py`) and list it in `SURFACES` below;
the app, the command line and the tests pick it up from here.
"""

from .analytic import BEALE, BOWL, HIMMELBLAU, RAVINE, ROSENBROCK, SADDLE, TWO_MINIMA
from .base import Minimum, Surface
from .regression import MSE, make_mse_surface

SURFACES: dict[str, Surface] = {
    s.key: s for s in (SADDLE, BEALE, MSE, ROSENBROCK, HIMMELBLAU, RAVINE, TWO_MINIMA, BOWL)
}


def get_surface(surface: str | Surface) -> Surface:
    if isinstance(surface, Surface):
        return surface
    try:
        return SURFACES[surface]
    except KeyError:
        raise ValueError(f"unknown surface {surface!r}; known: {', '.join(SURFACES)}") from None


__all__ = ["SURFACES", "Minimum", "Surface", "get_surface", "make_mse_surface"]
