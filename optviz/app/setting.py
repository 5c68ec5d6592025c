"""One setting of the view (`Setting`) and what its range and default depend on (`Context`).

Apart from the view's list (`settings.py`), so that the tools' and the presenter's settings
(`tool_settings.py`, `ui_settings.py`) can declare theirs without importing that list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from surfaces import SURFACES, Surface

from ..core.presets import preset_for
from ..core.registry import Preset
from ..core.scales import Number


@dataclass(frozen=True)
class Context:
    """What a setting's range and default may depend on: the surface and its preset."""

    surface: Surface
    preset: Preset

    @classmethod
    def of(cls, surface_key: str) -> Context:
        return cls(SURFACES[surface_key], preset_for(surface_key))


def _always(_surface: Surface) -> bool:
    return True


@dataclass(frozen=True)
class Setting:
    """One setting of the view.

    kind: "number" (a float or int in `number(ctx)`), "choice" (one of `choices(ctx)`), "keys"
    (an ordered subset of `choices(ctx)`, comma-separated in the link), "point" (the 3-D
    camera eye, three numbers), "text" (a run's label), "flag" (a run's hidden switch) or "code" (a short
    text that `parse` checks and writes in its canonical form, or rejects with a ValueError: a class's
    link fields, optviz/app/class_settings.py).
    widget: "slider" (the range's positions on a select slider, or a number input when the
    person asks for exact values), "number" (always a number input), "select", "multiselect",
    "radio", "segmented" (a row of buttons), "select_slider" (a discrete list), "text", "toggle", or
    "" (set by other means, e.g. the camera).
    active: given the flat values, whether the setting is in use (a schedule's parameters only
    for the schedule chosen): an inactive setting is neither drawn nor written to the link.
    remembered: kept per surface, so that coming back to a surface brings back what the person
    had there (start, steps, hyperparameters, noise, camera); the others belong to the whole view.
    from_preset: its default is the surface's preset (start, steps, hyperparameters): "Reset"
    puts these back, and only these.
    """

    key: str
    link: str | None
    kind: str
    label: str
    default: Callable[[Context], object]
    widget: str = ""
    help: str = ""
    number: Callable[[Context], Number] | None = None
    choices: Callable[[Context], tuple] | None = None
    labels: Callable[[Context], Mapping] | None = None  # how a choice reads in the widget
    applies: Callable[[Surface], bool] = _always
    remembered: bool = False
    from_preset: bool = False  # its default is the surface's preset, and Reset puts it back
    input_format: str = "%g"  # a number input's display (plain %g shows a typed value in full)
    active: Callable[[Mapping], bool] | None = None
    omit: object = "never omitted"  # a value the link leaves out (a run's automatic label, not hidden)
    parse: Callable[[str], str] | None = None  # a "code" setting's reader: canonical text, or ValueError

    def is_active(self, values: Mapping) -> bool:
        return self.active is None or self.active(values)
