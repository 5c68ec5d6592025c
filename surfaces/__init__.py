"""Loss surfaces over two parameters. This package never imports optviz.

Add a surface: write it as a `Surface` (see `base.py`) and list it in `SURFACES` below;
the app, the command line and the tests pick it up from here.

Surfaces made at run time (a typed formula, data of one's own) are not listed: iterating over
`SURFACES` gives the bundled ones only. Their keys carry a prefix ("custom:", "mse:") and a
resolver registered for that prefix (`register_resolver`, by `optviz.analysis.custom`) builds or finds the
surface, so `SURFACES[key]` and `get_surface(key)` work for them too, everywhere a key is used
(caches, settings, the app).
"""

from collections.abc import Callable

from .analytic import BEALE, BOWL, HIMMELBLAU, RAVINE, ROSENBROCK, SADDLE, TWO_MINIMA
from .base import Minimum, Surface
from .regression import MSE, make_mse_surface

_RESOLVERS: dict[str, Callable[[str], Surface]] = {}


def register_resolver(prefix: str, resolve: Callable[[str], Surface]) -> None:
    """`resolve(key)` gives the surface of a key starting with `prefix` (KeyError if none)."""
    _RESOLVERS[prefix] = resolve


class _Surfaces(dict):
    """The bundled surfaces by key; a missing key is looked up by the resolver of its prefix."""

    def __missing__(self, key):
        if isinstance(key, str):
            for prefix, resolve in _RESOLVERS.items():
                if key.startswith(prefix):
                    return resolve(key)
        raise KeyError(key)


SURFACES: dict[str, Surface] = _Surfaces(
    (s.key, s) for s in (SADDLE, BEALE, MSE, ROSENBROCK, HIMMELBLAU, RAVINE, TWO_MINIMA, BOWL)
)


def get_surface(surface: str | Surface) -> Surface:
    if isinstance(surface, Surface):
        return surface
    try:
        return SURFACES[surface]
    except (KeyError, ValueError):
        raise ValueError(f"unknown surface {surface!r}; known: {', '.join(SURFACES)}") from None


__all__ = ["SURFACES", "Minimum", "Surface", "get_surface", "make_mse_surface", "register_resolver"]
