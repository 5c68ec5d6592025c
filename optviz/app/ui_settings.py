"""The settings of the inspector and the presentation mode, declared like every other setting
(`optviz/app/settings.py` registers them): in the link as `present=1`, `inspect_run=2`,
`inspect_step=17`, validated and clamped by the same reader.

- `present` (0 off, 1 for a 1280×720 screen, 2 for 1920×1080): presentation mode, see `optviz/app/present.py`.
- `inspect_run` (0 .. MAX_RUNS): the run whose step is inspected, counted from 1 in the order of the
  view's runs; 0 is the inspector off. A number larger than the view's runs turns it off.
- `inspect_step` (0 .. the steps slider's top): the step k inspected (the update from θ_k to
  θ_{k+1}); the panel keeps it inside the run's inspectable steps.
"""

from __future__ import annotations

from ..core import limits
from ..core.scales import Number
from .setting import Setting

UI_SETTINGS: tuple[Setting, ...] = (
    Setting("present", "present", "number", "Presentation mode", default=lambda ctx: 0,
            number=lambda ctx: Number(0, 2, "linear", 1, integer=True), input_format="%d",
            help="Sidebar folded, the trajectory view filling the screen, larger fonts, lines and markers."),
    Setting("inspect_run", "inspect_run", "number", "Inspect a step of", default=lambda ctx: 0,
            number=lambda ctx: Number(0, limits.MAX_RUNS, "linear", 1, integer=True), input_format="%d"),
    Setting("inspect_step", "inspect_step", "number", "Step k", default=lambda ctx: 0,
            number=lambda ctx: Number(0, limits.APP_MAX_STEPS, "linear", 1, integer=True), input_format="%d"),
)
