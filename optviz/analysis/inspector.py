r"""The step inspector's core: why a run moved the way it did at one step.

`inspect(trajectory, k)` takes a trajectory simulated with `record_state=True` and a step k (the
update from path[k] to path[k + 1], k in `inspectable_steps(trajectory)`), and returns a
`StepInspection`: the point θ_k, where the gradient was taken, the gradient used, the update,
its named parts (adding up to the update, from the registry entry's `explain`, see
`optviz/core/explain.py`), the plain gradient step −η g for comparison, the per-axis effective step
size of the adaptive rules, the optimizer's state as table rows, and the rule in LaTeX with this
step's numbers (4 significant digits).

The UI draws from it, it computes nothing: `arrows()` gives each part as an arrow (start, end),
drawn tip to tail from θ_k, so the last one ends at θ_{k+1}; `latex` goes to st.latex; `state`
rows to a table; `effective_step` to a box around θ_k whose half-sides are those step sizes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from surfaces import Surface, get_surface

from ..core import explain as ex
from ..core.engine import Trajectory
from ..core.optimizers import already_checked
from ..core.registry import OptimizerSpec, get_spec


@dataclass(frozen=True)
class Arrow:
    name: str
    label: str
    start: np.ndarray  # (2,)
    end: np.ndarray  # (2,)


@dataclass(frozen=True)
class StepInspection:
    optimizer: str
    k: int  # the update from path[k] to path[k + 1]; step t = k + 1 in the rule's notation
    theta: np.ndarray  # θ_k (2,)
    point: np.ndarray  # where the gradient was taken (Nesterov: the look-ahead point)
    grad: np.ndarray  # the gradient the update received
    update: np.ndarray  # the update taken
    parts: tuple[ex.Part, ...]  # add up to `update`
    gradient_step: np.ndarray | None  # −η g: plain gradient descent's step with this η and gradient
    effective_step: np.ndarray | None  # per-axis step size of an adaptive rule
    effective_step_latex: str
    applies_to: str  # LaTeX of what `effective_step` multiplies (ĝ, m̂, sign(g))
    points: Mapping[str, np.ndarray]  # named points, e.g. "look_ahead"
    state: tuple[ex.StateRow, ...]
    hparams: dict  # name -> the value this step used
    rule: str  # the registry's symbolic rule
    lines: tuple[str, ...]  # the rule with this step's numbers, one equation a line
    notes: tuple[str, ...]

    @property
    def t(self) -> int:
        return self.k + 1

    @property
    def theta_next(self) -> np.ndarray:
        return self.theta + self.update

    @property
    def latex(self) -> str:
        """The substituted rule, lines joined by \\\\ (as the registry's rules)."""
        return r" \\ ".join(self.lines)

    @property
    def parts_dict(self) -> dict[str, np.ndarray]:
        return {p.name: p.vector for p in self.parts}

    def arrows(self) -> list[Arrow]:
        """The parts tip to tail from θ_k (the last ends at θ_{k+1}), then the update itself;
        the plain gradient step −η g from the point where the gradient was taken, when there is one."""
        out, at = [], self.theta
        for p in self.parts:
            out.append(Arrow(p.name, p.label, at, at + p.vector))
            at = at + p.vector
        out.append(Arrow("update", "update taken", self.theta, self.theta_next))
        if self.gradient_step is not None:
            out.append(Arrow("gradient_step", "plain gradient step", self.point, self.point + self.gradient_step))
        return out


def inspectable_steps(trajectory: Trajectory) -> range:
    """The steps k that can be inspected: all of them, or up to the step that made the path
    diverge (its update is the one that blew up; after it the path is frozen)."""
    steps = trajectory.steps
    if np.ndim(trajectory.diverged_at) == 0 and bool(trajectory.diverged):
        return range(int(trajectory.diverged_at))
    return range(steps)


def _take(value, k: int, start: int | None):
    """Step k's value of a recorded array, for one start."""
    if value is None:
        return None
    v = np.asarray(value)[k]
    if start is not None and v.ndim >= 1:
        v = v[start]
    return v


def _squeeze_init(value):
    """A field of `init` on one (1, 2) start, without the start axis."""
    if value is None or np.ndim(value) == 0:
        return value
    v = np.asarray(value)
    return v[0] if v.shape[0] == 1 else v


def inspect(trajectory: Trajectory, k: int, spec: str | OptimizerSpec | None = None, *,
            start: int | None = None, surface: str | Surface | None = None) -> StepInspection:
    """Step k of `trajectory` (simulated with record_state=True). `spec` defaults to the
    trajectory's optimizer from the registry (pass it for an optimizer that is not registered);
    `start` picks one start of a batch; `surface` (default: the trajectory's, from the surface
    registry) gives the Hessian Newton's step used. Bad input raises ValueError with a message."""
    record = trajectory.record
    if record is None:
        raise ValueError("the step inspector needs the run's recorded state: simulate(..., record_state=True)")
    spec = get_spec(trajectory.optimizer if spec is None else spec)
    if spec.key != trajectory.optimizer:
        raise ValueError(f"the trajectory is a {trajectory.optimizer} run, not {spec.key}")
    batched = np.ndim(trajectory.diverged) != 0
    if batched:
        n = trajectory.path.shape[1]
        if start is None or isinstance(start, bool) or not isinstance(start, (int, np.integer)) or not 0 <= start < n:
            raise ValueError(f"this trajectory has {n} starts: pass start=0..{n - 1}")
        start = int(start)
        diverged_at = int(trajectory.diverged_at[start])
        valid = range(diverged_at) if diverged_at >= 0 else range(trajectory.steps)
    else:
        start = None
        valid = inspectable_steps(trajectory)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or int(k) not in valid:
        if not valid:
            raise ValueError("this run has no step to inspect")
        raise ValueError(f"step must be an integer in [0, {valid.stop - 1}], got {k!r}")
    k = int(k)

    hp = {name: float(_take(values, k, start)) for name, values in record.hparams.items()}
    path = trajectory.path if start is None else trajectory.path[:, start]
    theta = np.array(path[k], dtype=float)
    point = np.array(_take(record.eval_points, k, start), dtype=float)
    grad = np.array(_take(record.grads, k, start), dtype=float)
    update = np.array(_take(record.updates, k, start), dtype=float)
    states = record.states
    state = None if states is None else type(states)(*(_take(f, k, start) for f in states))
    if k > 0:
        prev = None if states is None else type(states)(*(_take(f, k - 1, start) for f in states))
    else:  # the state before the first step: the optimizer's init, with step 0's values
        hp0 = {name: float(_take(values, 0, start)) for name, values in record.hparams.items()}
        with already_checked():
            init = spec.factory(**hp0).init(theta[None, :])
        prev = type(init)(*(_squeeze_init(f) for f in init)) if hasattr(init, "_fields") else init

    hessian = None
    optim_inputs = ()
    with already_checked():
        optim_inputs = spec.factory(**hp).inputs
    if "hessian" in optim_inputs:
        surf = get_surface(trajectory.surface if surface is None else surface)
        if surf.hessian is not None:
            hessian = np.asarray(surf.hessian(point), dtype=float)

    step = ex.StepData(k, theta, point, grad, update, prev, state, hp, hessian)
    with np.errstate(all="ignore"):
        explanation = (spec.explain or ex.fallback)(step)
        gradient_step = -hp["lr"] * grad if "lr" in hp and spec.key != "rprop" else None
    notes = explanation.notes
    if not np.all(np.isfinite(update)):
        notes = (*notes, "This step overflowed: the run diverged here.")
    return StepInspection(
        optimizer=spec.key, k=k, theta=theta, point=point, grad=grad, update=update,
        parts=explanation.parts, gradient_step=gradient_step, effective_step=explanation.effective_step,
        effective_step_latex=explanation.effective_step_latex, applies_to=explanation.applies_to,
        points=dict(explanation.points), state=explanation.state, hparams=hp, rule=spec.rule,
        lines=explanation.lines, notes=notes,
    )
