r"""How each optimizer's update splits into named parts, for the step inspector.

One function per update rule, `explain(step: StepData) -> Explanation`, referenced by the
optimizer's registry entry (`OptimizerSpec.explain`). It recomputes the step from what
`simulate(..., record_state=True)` recorded (the gradient used, the state before and after, the
hyperparameters that step used) and returns:

- `parts`: named vectors that add up to the update actually taken (tested to 1e-12 for every
  optimizer): the momentum term and the gradient step of Momentum, the move to the look-ahead
  point and the gradient step from there of Nesterov, the adapted momentum and gradient parts of
  the Adam family, the weight decay of AdamW and Lion, Newton's step, L-BFGS's step;
- `effective_step`: for the adaptive rules the per-coordinate step size that multiplies the
  (averaged) gradient, e.g. Adam's η/(√v̂+ε), with what it multiplies (`applies_to`);
- `state`: the state values (m, v, m̂, v̂, G, E[g²], ...) as rows of a small table;
- `lines`: the rule in LaTeX with this step's numbers substituted, every number written by
  `num` (4 significant digits).

Notation: step k of a run is the update from θ_k (path[k]) to θ_{k+1}; in the rule's notation it
is step t = k + 1 (g_t is taken at θ_{t-1}, Adam's bias correction uses t). Vectors are written
(x, y); products, quotients, roots and squares of vectors are per coordinate (⊙ marks the
product of two vectors). This module imports no other optviz module: the registry imports it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

SIGNIFICANT_DIGITS = 4


def num(x) -> str:
    r"""A number in LaTeX with `SIGNIFICANT_DIGITS` significant digits (Python's `{:.4g}`), the
    exponent as `\times 10^{e}`; -0 is 0; ±∞ as `\infty`; NaN as `\text{undefined}`."""
    x = float(x)
    if math.isnan(x):
        return r"\text{undefined}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    if x == 0.0:
        return "0"
    text = f"{x:.{SIGNIFICANT_DIGITS}g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    if mantissa in ("1", "-1"):
        return power if mantissa == "1" else "-" + power
    return rf"{mantissa} \times {power}"


def text(x) -> str:
    """A number as plain text with the same rule (for tables): 4 significant digits."""
    x = float(x)
    if math.isnan(x):
        return "undefined"
    if x == 0.0:
        return "0"
    return f"{x:.{SIGNIFICANT_DIGITS}g}"


def vec(v) -> str:
    """A 2-vector as (x,\\ y) in LaTeX."""
    a, b = np.asarray(v, dtype=float).reshape(2)
    return rf"({num(a)},\ {num(b)})"


def mat(m) -> str:
    m = np.asarray(m, dtype=float).reshape(2, 2)
    return rf"\begin{{pmatrix}} {num(m[0, 0])} & {num(m[0, 1])} \\ {num(m[1, 0])} & {num(m[1, 1])} \end{{pmatrix}}"


class StepData(NamedTuple):
    """What one step used and made, for one start (all vectors (2,))."""

    k: int  # the step: the update from path[k] to path[k + 1]
    theta: np.ndarray  # θ_k
    point: np.ndarray  # where the gradient was taken (Nesterov: the look-ahead point)
    grad: np.ndarray  # the gradient the update received (mini-batch and noise included)
    update: np.ndarray  # the update taken
    prev: Any  # the state before the step (the optimizer's init for k = 0)
    state: Any  # the state after the step
    hp: dict  # name -> the float value this step used
    hessian: np.ndarray | None = None  # (2, 2) the surface's Hessian at `point`, when it gives one

    @property
    def t(self) -> int:
        return self.k + 1

    @property
    def theta_next(self) -> np.ndarray:
        return self.theta + self.update


@dataclass(frozen=True)
class Part:
    """A named vector of the update. Drawn tip to tail in order, the parts go from θ_k to θ_{k+1}."""

    name: str  # a stable key: "gradient", "momentum", "look_ahead", "weight_decay", "newton", ...
    label: str  # plain text for a legend
    latex: str  # the part's symbolic formula
    vector: np.ndarray  # (2,)


@dataclass(frozen=True)
class StateRow:
    """A row of the state table: a symbol, what it is, its value ((2,) per coordinate, a float, or (2, 2))."""

    latex: str
    label: str
    value: Any

    @property
    def text(self) -> str:
        v = np.asarray(self.value, dtype=float)
        if v.ndim == 0:
            return text(v)
        return "(" + ", ".join(text(x) for x in v.ravel()) + ")" if v.ndim == 1 else \
            "[" + "; ".join(", ".join(text(x) for x in row) for row in v) + "]"


class Explanation(NamedTuple):
    parts: tuple[Part, ...]
    state: tuple[StateRow, ...]
    lines: tuple[str, ...]
    effective_step: np.ndarray | None = None  # per coordinate
    effective_step_latex: str = ""  # its formula, e.g. \frac{\eta}{\sqrt{\hat v_t}+\epsilon}
    applies_to: str = ""  # what it multiplies, e.g. \hat m_t
    points: Mapping[str, np.ndarray] = MappingProxyType({})  # named points, e.g. Nesterov's look-ahead
    notes: tuple[str, ...] = ()


def _v(x) -> np.ndarray:
    return np.asarray(x, dtype=float).reshape(2)


def _sub(symbol: str, index: int) -> str:
    return f"{symbol}_{{{index}}}"


def _at(latex: str, s: StepData) -> str:
    """A symbolic formula at this step: _{t-1} -> _{k}, _t -> _{k+1}."""
    return latex.replace("_{t-1}", f"_{{{s.k}}}").replace("_t", f"_{{{s.t}}}")


def _gradient_line(s: StepData) -> str:
    return rf"g_{{{s.t}}} = {vec(s.grad)}"


def _theta(s: StepData, rhs_symbolic: str, rhs_numbers: str) -> str:
    return (rf"\theta_{{{s.t}}} = \theta_{{{s.k}}} {rhs_symbolic} = {vec(s.theta)} {rhs_numbers} "
            rf"= {vec(s.theta_next)}")


# --- gradient descent and momentum ----------------------------------------------------------


def sgd(s: StepData) -> Explanation:
    lr = s.hp["lr"]
    return Explanation(
        parts=(Part("gradient", "gradient step", r"-\eta\, g_t", -lr * s.grad),),
        state=(),
        lines=(_gradient_line(s), _theta(s, rf"- \eta\, g_{{{s.t}}}", rf"- {num(lr)}\, {vec(s.grad)}")),
    )


def momentum(s: StepData) -> Explanation:
    lr, gamma = s.hp["lr"], s.hp["momentum"]
    v_prev, v = _v(s.prev.velocity), _v(s.state.velocity)
    t, k = s.t, s.k
    return Explanation(
        parts=(Part("momentum", "momentum (the velocity before the step)", r"-\eta\gamma\, v_{t-1}",
                    -(lr * gamma) * v_prev),
               Part("gradient", "gradient step", r"-\eta\, g_t", -lr * s.grad)),
        state=(StateRow(_sub("v", k), "velocity before the step", v_prev),
               StateRow(_sub("v", t), "velocity after the step", v)),
        lines=(_gradient_line(s),
               rf"v_{{{t}}} = \gamma\, v_{{{k}}} + g_{{{t}}} = {num(gamma)}\, {vec(v_prev)} + {vec(s.grad)} = {vec(v)}",
               _theta(s, rf"- \eta\, v_{{{t}}}", rf"- {num(lr)}\, {vec(v)}")),
    )


def nesterov(s: StepData) -> Explanation:
    lr, gamma = s.hp["lr"], s.hp["momentum"]
    to_look_ahead = -_v(s.prev.momentum_step)
    look_ahead = s.theta + to_look_ahead
    v_prev, v = _v(s.prev.velocity), _v(s.state.velocity)
    t, k = s.t, s.k
    return Explanation(
        parts=(Part("look_ahead", "momentum, to the look-ahead point", r"-\eta\gamma\, v_{t-1}",
                    to_look_ahead),
               Part("gradient", "gradient step from the look-ahead point",
                    r"-\eta\, \nabla f(\tilde\theta_{t-1})", -lr * s.grad)),
        state=(StateRow(_sub("v", k), "velocity before the step", v_prev),
               StateRow(_sub("v", t), "velocity after the step", v),
               StateRow(_sub(r"\tilde\theta", k), "look-ahead point (where the gradient is taken)", look_ahead)),
        lines=(rf"\tilde\theta_{{{k}}} = \theta_{{{k}}} - \eta\gamma\, v_{{{k}}} = {vec(s.theta)} - "
               rf"{vec(-to_look_ahead)} = {vec(look_ahead)}",
               rf"\nabla f(\tilde\theta_{{{k}}}) = {vec(s.grad)}",
               rf"v_{{{t}}} = \gamma\, v_{{{k}}} + \nabla f(\tilde\theta_{{{k}}}) = {num(gamma)}\, {vec(v_prev)} + "
               rf"{vec(s.grad)} = {vec(v)}",
               rf"\theta_{{{t}}} = \tilde\theta_{{{k}}} - \eta\, \nabla f(\tilde\theta_{{{k}}}) = {vec(look_ahead)} - "
               rf"{num(lr)}\, {vec(s.grad)} = {vec(s.theta_next)}"),
        points={"look_ahead": look_ahead},
        notes=("The momentum part is the velocity before the step times that step's η and γ.",)
        if k > 0 else (),
    )


def qhm(s: StepData) -> Explanation:
    lr, beta, nu = s.hp["lr"], s.hp["momentum"], s.hp["nu"]
    b_prev, b = _v(s.prev.velocity), _v(s.state.velocity)
    t, k = s.t, s.k
    return Explanation(
        parts=(Part("gradient", "gradient step, weighted by 1 − ν", r"-\eta(1-\nu)\, g_t", -lr * (1.0 - nu) * s.grad),
               Part("momentum", "momentum step, weighted by ν", r"-\eta\nu\, b_t", -lr * nu * b)),
        state=(StateRow(_sub("b", k), "momentum buffer before (an average of the gradients)", b_prev),
               StateRow(_sub("b", t), "momentum buffer after", b)),
        lines=(_gradient_line(s),
               rf"b_{{{t}}} = \beta\, b_{{{k}}} + (1-\beta)\, g_{{{t}}} = {num(beta)}\, {vec(b_prev)} + "
               rf"{num(1.0 - beta)}\, {vec(s.grad)} = {vec(b)}",
               _theta(s, rf"- \eta\,[(1-\nu)\, g_{{{t}}} + \nu\, b_{{{t}}}]",
                      rf"- {num(lr)}\,[{num(1.0 - nu)}\, {vec(s.grad)} + {num(nu)}\, {vec(b)}]")),
    )


# --- Adagrad, RMSProp, Adadelta ---------------------------------------------------------------


def _adapted(s: StepData, eff: np.ndarray, eff_latex: str, eff_numbers: str, rows, first_lines, applies=r"g_t"):
    t = s.t
    return Explanation(
        parts=(Part("adapted_gradient", "gradient step, scaled per axis", rf"-{eff_latex}\, g_t",
                    -eff * s.grad),),
        state=(*rows, StateRow(eff_latex, "per-axis step size", eff)),
        lines=(_gradient_line(s), *first_lines,
               rf"{_at(eff_latex, s)} = {eff_numbers} = {vec(eff)}",
               _theta(s, rf"- {_at(eff_latex, s)} \odot g_{{{t}}}",
                      rf"- {vec(eff)} \odot {vec(s.grad)}")),
        effective_step=eff, effective_step_latex=eff_latex, applies_to=applies,
    )


def adagrad(s: StepData) -> Explanation:
    lr, eps = s.hp["lr"], s.hp["eps"]
    g_prev, g_sum = _v(s.prev.sum_sq), _v(s.state.sum_sq)
    eff = lr / (np.sqrt(g_sum) + eps)
    t, k = s.t, s.k
    return _adapted(
        s, eff, r"\frac{\eta}{\sqrt{G_t} + \epsilon}", rf"\frac{{{num(lr)}}}{{\sqrt{{{vec(g_sum)}}} + {num(eps)}}}",
        (StateRow(_sub("G", k), "sum of squared gradients before", g_prev),
         StateRow(_sub("G", t), "sum of squared gradients after", g_sum)),
        (rf"G_{{{t}}} = G_{{{k}}} + g_{{{t}}}^2 = {vec(g_prev)} + {vec(s.grad)}^2 = {vec(g_sum)}",),
    )


def rmsprop(s: StepData) -> Explanation:
    lr, rho, eps = s.hp["lr"], s.hp["rho"], s.hp["eps"]
    sq_prev, sq = _v(s.prev.square_avg), _v(s.state.square_avg)
    eff = lr / (np.sqrt(sq) + eps)
    t, k = s.t, s.k
    return _adapted(
        s, eff, r"\frac{\eta}{\sqrt{E[g^2]_t} + \epsilon}", rf"\frac{{{num(lr)}}}{{\sqrt{{{vec(sq)}}} + {num(eps)}}}",
        (StateRow(f"E[g^2]_{{{k}}}", "average of squared gradients before", sq_prev),
         StateRow(f"E[g^2]_{{{t}}}", "average of squared gradients after", sq)),
        (rf"E[g^2]_{{{t}}} = \rho\, E[g^2]_{{{k}}} + (1-\rho)\, g_{{{t}}}^2 = {num(rho)}\, {vec(sq_prev)} + "
         rf"{num(1.0 - rho)}\, {vec(s.grad)}^2 = {vec(sq)}",),
    )


def adadelta(s: StepData) -> Explanation:
    lr, rho, eps = s.hp["lr"], s.hp["rho"], s.hp["eps"]
    sq_prev, sq = _v(s.prev.square_avg), _v(s.state.square_avg)
    acc_prev, acc = _v(s.prev.acc_delta), _v(s.state.acc_delta)
    eff = lr * np.sqrt(acc_prev + eps) / np.sqrt(sq + eps)
    t, k = s.t, s.k
    explanation = _adapted(
        s, eff, r"\eta\, \frac{\sqrt{E[\Delta^2]_{t-1} + \epsilon}}{\sqrt{E[g^2]_t + \epsilon}}",
        rf"{num(lr)}\, \frac{{\sqrt{{{vec(acc_prev)} + {num(eps)}}}}}{{\sqrt{{{vec(sq)} + {num(eps)}}}}}",
        (StateRow(f"E[g^2]_{{{t}}}", "average of squared gradients", sq),
         StateRow(rf"E[\Delta^2]_{{{k}}}", "average of squared steps before (used by this step)", acc_prev),
         StateRow(rf"E[\Delta^2]_{{{t}}}", "average of squared steps after", acc)),
        (rf"E[g^2]_{{{t}}} = \rho\, E[g^2]_{{{k}}} + (1-\rho)\, g_{{{t}}}^2 = {num(rho)}\, {vec(sq_prev)} + "
         rf"{num(1.0 - rho)}\, {vec(s.grad)}^2 = {vec(sq)}",),
    )
    delta = np.sqrt(acc_prev + eps) / np.sqrt(sq + eps) * s.grad
    return explanation._replace(lines=(
        *explanation.lines,
        rf"E[\Delta^2]_{{{t}}} = \rho\, E[\Delta^2]_{{{k}}} + (1-\rho)\, \Delta_{{{t}}}^2 = {num(rho)}\, "
        rf"{vec(acc_prev)} + {num(1.0 - rho)}\, {vec(delta)}^2 = {vec(acc)}"))


# --- the Adam family --------------------------------------------------------------------------


def _moment_lines(s: StepData, b1: float, b2: float, m_prev, m, v_prev, v, grad=None, l2: float = 0.0
                  ) -> tuple[str, ...]:
    """The gradient and the two averages. With L2 in the gradient (Adam's coupled weight decay) the
    averages take `grad` = ∇f + λθ, shown as its own line."""
    t, k = s.t, s.k
    if l2:
        first = (rf"g_{{{t}}} = \nabla f(\theta_{{{k}}}) + \lambda\, \theta_{{{k}}} = {vec(s.grad)} + {num(l2)}\, "
                 rf"{vec(s.theta)} = {vec(grad)}")
    else:
        first, grad = _gradient_line(s), s.grad
    return (
        first,
        rf"m_{{{t}}} = \beta_1 m_{{{k}}} + (1-\beta_1)\, g_{{{t}}} = {num(b1)}\, {vec(m_prev)} + "
        rf"{num(1.0 - b1)}\, {vec(grad)} = {vec(m)}",
        rf"v_{{{t}}} = \beta_2 v_{{{k}}} + (1-\beta_2)\, g_{{{t}}}^2 = {num(b2)}\, {vec(v_prev)} + "
        rf"{num(1.0 - b2)}\, {vec(grad)}^2 = {vec(v)}",
    )


def _over(latex: str, corrected: bool) -> str:
    r"""`latex` divided by 1 − β₁ᵗ where bias correction is on (as \frac), as it is where it is off."""
    return rf"\frac{{{latex}}}{{1-\beta_1^t}}" if corrected else latex


def _split_m_hat(s: StepData, eff, b1: float, bias1: float, m_prev, *, look_ahead_m=None, corrected=True,
                 l2: float = 0.0) -> tuple[Part, ...]:
    """The adapted step eff ⊙ m̂ split along m̂ = (β₁ m_{t-1} + (1-β₁) g) / (1-β₁^t): what the
    remembered average contributes and what this step's gradient does (Nadam: β₁ m̂_t and the
    gradient term, its look-ahead form). With L2 in the gradient, g = ∇f + λθ: its λθ share is a
    part of its own (the decay, rescaled by the adaptive step). `bias1` is 1 where the correction is off."""
    gradient = (1.0 - b1) / bias1
    l2_part = (Part("l2", "L2 decay (λ times θ, in the gradient), scaled per axis",
                    r"-\text{step} \odot " + _over(r"(1-\beta_1)\, \lambda\theta_{t-1}", corrected),
                    -eff * gradient * (l2 * s.theta)),) if l2 else ()
    if look_ahead_m is not None:
        step = r"-\frac{\eta}{\sqrt{\hat v_t}+\epsilon}\, "
        return (Part("momentum", "momentum part (look-ahead), scaled per axis", step + r"\beta_1 \hat m_t",
                     -eff * (b1 / bias1) * look_ahead_m),
                Part("gradient", "gradient part, scaled per axis",
                     step + _over(r"(1-\beta_1) g_t", corrected), -eff * gradient * s.grad), *l2_part)
    return (Part("momentum", "momentum part, scaled per axis",
                 r"-\text{step} \odot " + _over(r"\beta_1 m_{t-1}", corrected), -eff * (b1 / bias1) * m_prev),
            Part("gradient", "gradient part" + (" (without the L2 term)" if l2 else "") + ", scaled per axis",
                 r"-\text{step} \odot " + _over(r"(1-\beta_1) \nabla f(\theta_{t-1})" if l2 else r"(1-\beta_1) g_t",
                                                corrected), -eff * gradient * s.grad), *l2_part)


UNCORRECTED = ("Bias correction is off (b = 0): m and v are used as they are, not bias-corrected; in the first "
               "steps they are still near their start at 0.")


def _hat_label(moment: str, corrected: bool) -> str:
    return f"bias-corrected {moment} moment" if corrected else f"{moment} moment, not bias-corrected (b = 0)"


def _hat_line(s: StepData, name: str, raw: str, beta: float, value, corrected: bool, hat) -> str:
    t = s.t
    if not corrected:
        return rf"\hat {name}_{{{t}}} = {raw} = {vec(hat)}\ \ (b = 0)"
    return rf"\hat {name}_{{{t}}} = \frac{{{raw}}}{{1-\beta_{1 if name == 'm' else 2}^{{{t}}}}} = " \
           rf"\frac{{{vec(value)}}}{{1 - {num(beta)}^{{{t}}}}} = {vec(hat)}"


def _adam(s: StepData, *, amsgrad=False, nadam=False, decoupled=False) -> Explanation:
    lr, b1, b2, eps = s.hp["lr"], s.hp["beta1"], s.hp["beta2"], s.hp["eps"]
    corrected = s.hp.get("bias_correction", 1.0) != 0.0
    l2 = 0.0 if decoupled else s.hp.get("weight_decay", 0.0)  # Adam's and AMSGrad's L2 in the gradient
    t, k = int(s.state.count), s.k
    m_prev, m, v_prev, v = _v(s.prev.mu), _v(s.state.mu), _v(s.prev.nu), _v(s.state.nu)
    grad = s.grad + l2 * s.theta if l2 else s.grad
    bias1, bias2 = (1.0 - b1**t, 1.0 - b2**t) if corrected else (1.0, 1.0)
    second = _v(s.state.nu_max) if amsgrad else v
    m_hat, v_hat = m / bias1, second / bias2
    eff = lr / (np.sqrt(second) / math.sqrt(bias2) + eps)  # torch's order: sqrt(v) / sqrt(1 - β₂ᵗ) + ε
    parts = _split_m_hat(s, eff, b1, bias1, m_prev, look_ahead_m=m if nadam else None, corrected=corrected, l2=l2)
    lines = list(_moment_lines(s, b1, b2, m_prev, m, v_prev, v, grad, l2))
    rows = [StateRow(_sub("m", k), "first moment before", m_prev), StateRow(_sub("m", t), "first moment", m),
            StateRow(_sub("v", k), "second moment before", v_prev), StateRow(_sub("v", t), "second moment", v)]
    if l2:
        rows.insert(0, StateRow(_sub("g", t), "gradient with L2, ∇f + λθ (what m and v average)", grad))
    if amsgrad:
        vmax_prev = _v(s.prev.nu_max)
        lines.append(rf"v^{{\max}}_{{{t}}} = \max(v^{{\max}}_{{{k}}}, v_{{{t}}}) = \max({vec(vmax_prev)}, {vec(v)}) "
                     rf"= {vec(second)}")
        rows.append(StateRow(rf"v^{{\max}}_{{{t}}}", "running maximum of the second moment", second))
    v_name = rf"v^{{\max}}_{{{t}}}" if amsgrad else f"v_{{{t}}}"
    lines += [_hat_line(s, "m", f"m_{{{t}}}", b1, m, corrected, m_hat),
              _hat_line(s, "v", v_name, b2, second, corrected, v_hat),
              rf"\frac{{\eta}}{{\sqrt{{\hat v_{{{t}}}}} + \epsilon}} = \frac{{{num(lr)}}}{{\sqrt{{{vec(v_hat)}}} + "
              rf"{num(eps)}}} = {vec(eff)}"]
    rows += [StateRow(rf"\hat m_{{{t}}}", _hat_label("first", corrected), m_hat),
             StateRow(rf"\hat v_{{{t}}}", _hat_label("second", corrected), v_hat),
             StateRow(r"\frac{\eta}{\sqrt{\hat v_t}+\epsilon}", "per-axis step size", eff)]
    step = rf"\frac{{\eta}}{{\sqrt{{\hat v_{{{t}}}}} + \epsilon}}"
    applies = r"\hat m_t"
    if nadam:
        direction = (b1 / bias1) * m + ((1.0 - b1) / bias1) * grad
        gradient_term = _over(r"(1-\beta_1)\, g_t", corrected)
        applies = r"\beta_1 \hat m_t + " + gradient_term
        at_t = (rf"\frac{{(1-\beta_1)\, g_{{{t}}}}}{{1-\beta_1^{{{t}}}}}" if corrected
                else rf"(1-\beta_1)\, g_{{{t}}}")
        lines.append(_theta(s, rf"- {step} \odot \left(\beta_1 \hat m_{{{t}}} + {at_t}\right)",
                            rf"- {vec(eff)} \odot {vec(direction)}"))
    elif decoupled:
        wd = s.hp["weight_decay"]
        parts = (*parts, Part("weight_decay", "weight decay, toward the origin", r"-\eta\lambda\, \theta_{t-1}",
                              -(lr * wd) * s.theta))
        lines.append(_theta(s, rf"- \eta\lambda\, \theta_{{{k}}} - {step} \odot \hat m_{{{t}}}",
                            rf"- {num(lr * wd)}\, {vec(s.theta)} - {vec(eff)} \odot {vec(m_hat)}"))
    else:
        lines.append(_theta(s, rf"- {step} \odot \hat m_{{{t}}}", rf"- {vec(eff)} \odot {vec(m_hat)}"))
    notes = () if corrected else (UNCORRECTED,)
    if l2:
        notes += (f"L2 in the gradient (λ = {text(l2)}): λθ joins the gradient before m and v, so the adaptive "
                  "step rescales the decay too (AdamW's decay is not rescaled).",)
    return Explanation(parts, tuple(rows), tuple(lines), eff, r"\frac{\eta}{\sqrt{\hat v_t}+\epsilon}", applies,
                       {}, notes)


def adam(s: StepData) -> Explanation:
    return _adam(s)


def amsgrad(s: StepData) -> Explanation:
    return _adam(s, amsgrad=True)


def nadam(s: StepData) -> Explanation:
    return _adam(s, nadam=True)


def adamw(s: StepData) -> Explanation:
    return _adam(s, decoupled=True)


def adamax(s: StepData) -> Explanation:
    lr, b1, b2, eps = s.hp["lr"], s.hp["beta1"], s.hp["beta2"], s.hp["eps"]
    corrected = s.hp.get("bias_correction", 1.0) != 0.0
    t, k = int(s.state.count), s.k
    m_prev, m, u_prev, u = _v(s.prev.mu), _v(s.state.mu), _v(s.prev.u), _v(s.state.u)
    bias1 = 1.0 - b1**t if corrected else 1.0
    m_hat = m / bias1
    eff = lr / u
    return Explanation(
        parts=_split_m_hat(s, eff, b1, bias1, m_prev, corrected=corrected),
        state=(StateRow(_sub("m", t), "first moment", m), StateRow(_sub("u", k), "infinity norm before", u_prev),
               StateRow(_sub("u", t), "infinity norm (max of decayed |g|)", u),
               StateRow(rf"\hat m_{{{t}}}", _hat_label("first", corrected), m_hat),
               StateRow(r"\frac{\eta}{u_t}", "per-axis step size", eff)),
        lines=(_gradient_line(s),
               rf"m_{{{t}}} = \beta_1 m_{{{k}}} + (1-\beta_1)\, g_{{{t}}} = {num(b1)}\, {vec(m_prev)} + "
               rf"{num(1.0 - b1)}\, {vec(s.grad)} = {vec(m)}",
               rf"u_{{{t}}} = \max(\beta_2 u_{{{k}}},\, |g_{{{t}}}| + \epsilon) = \max({num(b2)}\, {vec(u_prev)},\, "
               rf"|{vec(s.grad)}| + {num(eps)}) = {vec(u)}",
               _hat_line(s, "m", f"m_{{{t}}}", b1, m, corrected, m_hat),
               rf"\frac{{\eta}}{{u_{{{t}}}}} = \frac{{{num(lr)}}}{{{vec(u)}}} = {vec(eff)}",
               _theta(s, rf"- \frac{{\eta}}{{u_{{{t}}}}} \odot \hat m_{{{t}}}", rf"- {vec(eff)} \odot {vec(m_hat)}")),
        effective_step=eff, effective_step_latex=r"\frac{\eta}{u_t}", applies_to=r"\hat m_t",
        notes=() if corrected else ("Bias correction is off (b = 0): m is used as it is, not bias-corrected; in "
                                    "the first steps it is still near its start at 0.",),
    )


def radam(s: StepData) -> Explanation:
    lr, b1, b2, eps = s.hp["lr"], s.hp["beta1"], s.hp["beta2"], s.hp["eps"]
    t = int(s.state.count)
    m_prev, m, v_prev, v = _v(s.prev.mu), _v(s.state.mu), _v(s.prev.nu), _v(s.state.nu)
    bias1, beta2_t = 1.0 - b1**t, b2**t
    bias2 = 1.0 - beta2_t
    rho_inf = 2.0 / (1.0 - b2) - 1.0
    rho_t = rho_inf - 2.0 * t * beta2_t / bias2
    m_hat = m / bias1
    lines = list(_moment_lines(s, b1, b2, m_prev, m, v_prev, v))
    lines += [rf"\hat m_{{{t}}} = \frac{{m_{{{t}}}}}{{1-\beta_1^{{{t}}}}} = \frac{{{vec(m)}}}{{1 - {num(b1)}^{{{t}}}}} "
              rf"= {vec(m_hat)}",
              rf"\rho_\infty = {num(rho_inf)},\quad \rho_{{{t}}} = \rho_\infty - \frac{{2 \cdot {t} \cdot "
              rf"{num(b2)}^{{{t}}}}}{{1 - {num(b2)}^{{{t}}}}} = {num(rho_t)}"]
    rows = [StateRow(_sub("m", t), "first moment", m), StateRow(_sub("v", t), "second moment", v),
            StateRow(rf"\hat m_{{{t}}}", "bias-corrected first moment", m_hat),
            StateRow(rf"\rho_{{{t}}}", "length of the approximated SMA", rho_t)]
    if rho_t > 5.0:
        rect = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
        eff = lr * rect * math.sqrt(bias2) / (np.sqrt(v) + eps)
        eff_latex = r"\eta\, r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \epsilon}"
        lines += [rf"r_{{{t}}} = {num(rect)}",
                  rf"\eta\, r_{{{t}}} \frac{{\sqrt{{1-\beta_2^{{{t}}}}}}}{{\sqrt{{v_{{{t}}}}} + \epsilon}} = "
                  rf"{num(lr)} \cdot {num(rect)} \cdot \frac{{\sqrt{{1 - {num(b2)}^{{{t}}}}}}}{{\sqrt{{{vec(v)}}} + "
                  rf"{num(eps)}}} = {vec(eff)}"]
        rows += [StateRow(rf"r_{{{t}}}", "rectification", rect)]
        notes = (f"Rectified: ρ_t = {text(rho_t)} > 5, the adaptive step is on.",)
    else:
        eff = np.full(2, lr)
        eff_latex = r"\eta"
        lines.append(rf"\rho_{{{t}}} \le 5:\ \text{{not rectified, the step is }} \eta\, \hat m_{{{t}}}")
        notes = (f"Not rectified: ρ_t = {text(rho_t)} ≤ 5, the step is momentum SGD on m̂.",)
    rows.append(StateRow(eff_latex, "per-axis step size", eff))
    lines.append(_theta(s, rf"- \text{{step}} \odot \hat m_{{{t}}}", rf"- {vec(eff)} \odot {vec(m_hat)}"))
    return Explanation(_split_m_hat(s, eff, b1, bias1, m_prev), tuple(rows), tuple(lines), eff, eff_latex,
                       r"\hat m_t", {}, notes)


def qhadam(s: StepData) -> Explanation:
    lr, b1, b2, eps, nu1, nu2 = (s.hp[n] for n in ("lr", "beta1", "beta2", "eps", "nu1", "nu2"))
    t = int(s.state.count)
    m_prev, m, v_prev, v = _v(s.prev.mu), _v(s.state.mu), _v(s.prev.nu), _v(s.state.nu)
    m_hat, v_hat = m / (1.0 - b1**t), v / (1.0 - b2**t)
    g = s.grad
    eff = lr / (np.sqrt((1.0 - nu2) * g * g + nu2 * v_hat) + eps)
    lines = list(_moment_lines(s, b1, b2, m_prev, m, v_prev, v))
    lines += [rf"\hat m_{{{t}}} = {vec(m_hat)},\quad \hat v_{{{t}}} = {vec(v_hat)}",
              rf"\frac{{\eta}}{{\sqrt{{(1-\nu_2)\, g_{{{t}}}^2 + \nu_2 \hat v_{{{t}}}}} + \epsilon}} = "
              rf"\frac{{{num(lr)}}}{{\sqrt{{{num(1.0 - nu2)}\, {vec(g)}^2 + {num(nu2)}\, {vec(v_hat)}}} + {num(eps)}}} "
              rf"= {vec(eff)}",
              _theta(s, rf"- \text{{step}} \odot [(1-\nu_1)\, g_{{{t}}} + \nu_1 \hat m_{{{t}}}]",
                     rf"- {vec(eff)} \odot [{num(1.0 - nu1)}\, {vec(g)} + {num(nu1)}\, {vec(m_hat)}]")]
    eff_latex = r"\frac{\eta}{\sqrt{(1-\nu_2) g_t^2 + \nu_2 \hat v_t} + \epsilon}"
    return Explanation(
        parts=(Part("gradient", "gradient part, scaled per axis", r"-\text{step} \odot (1-\nu_1)\, g_t",
                    -eff * (1.0 - nu1) * g),
               Part("momentum", "momentum part, scaled per axis", r"-\text{step} \odot \nu_1 \hat m_t",
                    -eff * nu1 * m_hat)),
        state=(StateRow(_sub("m", t), "first moment", m), StateRow(_sub("v", t), "second moment", v),
               StateRow(rf"\hat m_{{{t}}}", "bias-corrected first moment", m_hat),
               StateRow(rf"\hat v_{{{t}}}", "bias-corrected second moment", v_hat),
               StateRow(eff_latex, "per-axis step size", eff)),
        lines=tuple(lines), effective_step=eff, effective_step_latex=eff_latex,
        applies_to=r"(1-\nu_1)\, g_t + \nu_1 \hat m_t",
    )


# --- sign-based: Rprop, sign descent, Lion -----------------------------------------------------


def rprop(s: StepData) -> Explanation:
    eta_minus, eta_plus = s.hp["eta_minus"], s.hp["eta_plus"]
    t, k = s.t, s.k
    g_prev, size_prev = _v(s.prev.prev), _v(s.prev.step_size)
    g_used, size = _v(s.state.prev), _v(s.state.step_size)
    product = s.grad * g_prev
    factor = np.where(product > 0.0, eta_plus, np.where(product < 0.0, eta_minus, 1.0))
    flipped = [axis for axis, p in zip("xy", product, strict=True) if p < 0.0]
    notes = (f"The gradient's sign flipped along {' and '.join(flipped)}: that coordinate does not move this step.",) \
        if flipped else ()
    return Explanation(
        parts=(Part("sign", "step against the gradient's sign, its size per axis",
                    r"-\mathrm{sign}(g_t) \odot \Delta_t",
                    -np.sign(g_used) * size),),
        state=(StateRow(_sub(r"\Delta", k), "per-axis step size before", size_prev),
               StateRow(_sub(r"\Delta", t), "per-axis step size", size),
               StateRow(f"g_{{{k}}}", "stored gradient of the last step (0 where its sign had flipped)", g_prev)),
        lines=(_gradient_line(s),
               rf"g_{{{t}}} g_{{{k}}} = {vec(product)} \;\Rightarrow\; \text{{factors }} {vec(factor)}",
               rf"\Delta_{{{t}}} = \mathrm{{clip}}({vec(factor)} \odot {vec(size_prev)}) = {vec(size)}",
               _theta(s, rf"- \mathrm{{sign}}(g_{{{t}}}) \odot \Delta_{{{t}}}",
                      rf"- {vec(np.sign(g_used))} \odot {vec(size)}")),
        effective_step=size, effective_step_latex=r"\Delta_t", applies_to=r"\mathrm{sign}(g_t)", notes=notes,
    )


def signum(s: StepData) -> Explanation:
    lr, beta = s.hp["lr"], s.hp["momentum"]
    m_prev, m = _v(s.prev.mu), _v(s.state.mu)
    t, k = s.t, s.k
    return Explanation(
        parts=(Part("sign", "step of size η against the sign of the gradient average", r"-\eta\, \mathrm{sign}(m_t)",
                     -lr * np.sign(m)),),
        state=(StateRow(_sub("m", k), "gradient average before", m_prev),
               StateRow(_sub("m", t), "gradient average", m)),
        lines=(_gradient_line(s),
               rf"m_{{{t}}} = \beta\, m_{{{k}}} + (1-\beta)\, g_{{{t}}} = {num(beta)}\, {vec(m_prev)} + "
               rf"{num(1.0 - beta)}\, {vec(s.grad)} = {vec(m)}",
               _theta(s, rf"- \eta\, \mathrm{{sign}}(m_{{{t}}})", rf"- {num(lr)}\, {vec(np.sign(m))}")),
    )


def lion(s: StepData) -> Explanation:
    lr, b1, b2, wd = s.hp["lr"], s.hp["beta1"], s.hp["beta2"], s.hp["weight_decay"]
    m_prev, m = _v(s.prev.mu), _v(s.state.mu)
    c = b1 * m_prev + (1.0 - b1) * s.grad
    t, k = s.t, s.k
    return Explanation(
        parts=(Part("sign", "step of size η against the sign of the interpolation", r"-\eta\, \mathrm{sign}(c_t)",
                    -lr * np.sign(c)),
               Part("weight_decay", "weight decay, toward the origin", r"-\eta\lambda\, \theta_{t-1}",
                    -lr * (wd * s.theta))),
        state=(StateRow(_sub("c", t), "interpolation whose sign is stepped", c),
               StateRow(_sub("m", k), "momentum before", m_prev), StateRow(_sub("m", t), "momentum after", m)),
        lines=(_gradient_line(s),
               rf"c_{{{t}}} = \beta_1 m_{{{k}}} + (1-\beta_1)\, g_{{{t}}} = {num(b1)}\, {vec(m_prev)} + "
               rf"{num(1.0 - b1)}\, {vec(s.grad)} = {vec(c)}",
               _theta(s, rf"- \eta\,(\mathrm{{sign}}(c_{{{t}}}) + \lambda\, \theta_{{{k}}})",
                      rf"- {num(lr)}\,({vec(np.sign(c))} + {num(wd)}\, {vec(s.theta)})"),
               rf"m_{{{t}}} = \beta_2 m_{{{k}}} + (1-\beta_2)\, g_{{{t}}} = {num(b2)}\, {vec(m_prev)} + "
               rf"{num(1.0 - b2)}\, {vec(s.grad)} = {vec(m)}"),
    )


# --- curvature: Newton, L-BFGS --------------------------------------------------------------------


def newton(s: StepData) -> Explanation:
    lr, damping = s.hp["lr"], s.hp["damping"]
    h = np.asarray(s.hessian, dtype=float)
    a, b, c = h[0, 0] + damping, h[0, 1], h[1, 1] + damping
    det = a * c - b * b
    gx, gy = s.grad
    step = np.array([(c * gx - b * gy) / det, (a * gy - b * gx) / det])  # (H + λI)⁻¹ g by Cramer's rule
    eig = np.linalg.eigvalsh(h + damping * np.eye(2)) if np.all(np.isfinite(h)) else np.full(2, np.nan)
    t, k = s.t, s.k
    notes = ()
    if eig[0] < 0 < eig[1]:
        notes = ("H + λI is indefinite here: the step heads for a saddle point of the quadratic model.",)
    elif eig[1] < 0:
        notes = ("H + λI is negative definite here: the step heads for a maximum of the quadratic model.",)
    return Explanation(
        parts=(Part("newton", "Newton step (the gradient through the inverse curvature)",
                     r"-\eta\, (H_t + \lambda I)^{-1} g_t", -lr * step),),
        state=(StateRow(f"H_{{{t}}}", "Hessian at θ", h),
               StateRow(r"\mathrm{eig}(H_t + \lambda I)", "its eigenvalues (curvatures) with the damping", eig),
               StateRow(r"(H_t + \lambda I)^{-1} g_t", "Newton direction", step)),
        lines=(_gradient_line(s),
               rf"H_{{{t}}} = \nabla^2 f(\theta_{{{k}}}) = {mat(h)},\quad \lambda = {num(damping)}",
               rf"(H_{{{t}}} + \lambda I)^{{-1}} g_{{{t}}} = {vec(step)}",
               _theta(s, rf"- \eta\, (H_{{{t}}} + \lambda I)^{{-1}} g_{{{t}}}", rf"- {num(lr)}\, {vec(step)}")),
        notes=notes,
    )


LBFGS_TOLERANCE_GRAD = 1e-7  # as optimizers.LBFGS_TOLERANCE_GRAD / _CHANGE (torch's defaults)
LBFGS_TOLERANCE_CHANGE = 1e-9


def lbfgs(s: StepData) -> Explanation:
    direction = _v(s.state.direction)
    length = float(np.ravel(s.state.step_length)[0])
    count = int(np.ravel(s.state.count)[0])
    first = int(np.ravel(s.state.n_iter)[0]) == 1
    active = not (float(np.max(np.abs(s.grad))) <= LBFGS_TOLERANCE_GRAD)
    descent = float(s.grad @ direction) <= -LBFGS_TOLERANCE_CHANGE
    taken = active and descent
    t = s.t
    notes = []
    if not active:
        notes.append("The gradient is below torch's tolerance (1e-7): L-BFGS stops, no step.")
    elif not descent:
        notes.append("The direction is not a descent direction (g·d > −1e-9): no step, as in torch.")
    if first and active:
        notes.append("First step: d = −g, step length η·min(1, 1/‖g‖₁).")
    vector = length * direction if taken else np.zeros(2)
    return Explanation(
        parts=(Part("lbfgs", "quasi-Newton step (step length times direction)", r"t_t\, d_t", vector),),
        state=(StateRow(_sub("d", t), "search direction (from the stored pairs)", direction),
               StateRow(_sub("t", t), "step length", length),
               StateRow("m", "pairs of past steps and gradient changes kept", float(count))),
        lines=(_gradient_line(s),
               rf"d_{{{t}}} = -H_{{{t}}}\, g_{{{t}}} = {vec(direction)}\quad (\text{{{count} pairs}})",
               _theta(s, rf"+ t_{{{t}}}\, d_{{{t}}}", rf"+ {num(length if taken else 0.0)}\, {vec(direction)}")),
        notes=tuple(notes),
    )


# --- the fallback -----------------------------------------------------------------------------------


def fallback(s: StepData) -> Explanation:
    """An optimizer whose entry declares no decomposition: one part, the update; its state's
    fields that are one number or one per coordinate as rows."""
    rows = []
    fields = getattr(s.state, "_fields", ())
    for name, value in zip(fields, s.state if fields else (), strict=False):
        if value is None:
            continue
        arr = np.asarray(value, dtype=float)
        if arr.size in (1, 2):
            rows.append(StateRow(rf"\text{{{name.replace('_', ' ')}}}", name, arr.reshape(-1) if arr.size == 2
                                 else float(arr.ravel()[0])))
    return Explanation(
        parts=(Part("update", "update", r"\Delta\theta_t", _v(s.update)),),
        state=tuple(rows),
        lines=(_gradient_line(s), _theta(s, rf"+ \Delta\theta_{{{s.t}}}", f"+ {vec(s.update)}")),
    )


# --- the rule laid out for a narrow column --------------------------------------------------------

ROW_CHARS = 32  # a row's visible characters at most at full size (about 380 px of KaTeX display math)
LHS_CHARS = 8  # a left-hand side wider than this gets a row of its own
# A row that cannot break (a wide fraction, a max of two vectors) is set smaller, down to 70 %.
SHRINK = ((0.9, r"\small "), (0.8, r"\footnotesize "), (0.7, r"\scriptsize "))


def _top_level(latex: str, separators: tuple[str, ...], level: int = 0) -> list[int]:
    """Positions of `separators` at nesting `level` of braces, parentheses and brackets ({...},
    (...), [...], \\left( ... \\right)): 0 is outside all of them; at a deeper level only inside
    parentheses and brackets all the way (a cut inside braces would break a \\frac's groups)."""
    stack: list[str] = []
    found = []
    i = 0
    while i < len(latex):
        c = latex[i]
        if c == "\\":  # a command: skip its name (\\left( counts as its parenthesis below)
            j = i + 1
            while j < len(latex) and latex[j].isalpha():
                j += 1
            i = max(j, i + 2) if j == i + 1 else j
            continue
        if c in "{([":
            stack.append(c)
        elif c in "})]":
            if stack:
                stack.pop()
        elif (len(stack) == level and "{" not in stack
              and any(latex.startswith(sep, i) for sep in separators)):
            found.append(i)
        i += 1
    return found


def _split_at(latex: str, separators: tuple[str, ...], level: int = 0) -> list[str]:
    """`latex` cut before each separator at nesting `level`; a separator that starts with a comma
    (",\\, ", ",\\quad ") is cut after its comma, which stays at the end of its piece."""
    pieces, start = [], 0
    for cut in _top_level(latex, separators, level):
        if latex[cut] == ",":
            sep = next(sep for sep in separators if latex.startswith(sep, cut))
            pieces.append(latex[start:cut + 1].strip())
            start = cut + len(sep)
        else:
            pieces.append(latex[start:cut].strip())
            start = cut
    pieces.append(latex[start:].strip())
    return [p for p in pieces if p]


def visible_chars(latex: str) -> float:
    """About how many characters wide `latex` renders: commands count as one symbol (\\frac, \\left,
    \\right, spacing as nothing), sub- and superscripts as 0.7, a fraction as its wider half."""
    def width(text: str) -> float:
        total, i = 0.0, 0
        while i < len(text):
            c = text[i]
            if c == "\\":
                j = i + 1
                while j < len(text) and text[j].isalpha():
                    j += 1
                name = text[i + 1:j] if j > i + 1 else text[i + 1:i + 2]
                i = j if j > i + 1 else i + 2
                if name == "begin":  # a matrix: its widest row of cells, and its parentheses
                    env, i = _group(text, i)
                    stop = text.find(rf"\end{{{env}}}", i)
                    stop = len(text) if stop < 0 else stop
                    rows = [r.split("&") for r in text[i:stop].split(r"\\")]
                    total += max(sum(width(c) for c in r) + 1.0 * (len(r) - 1) for r in rows) + 2.0
                    i = stop + len(rf"\end{{{env}}}")
                elif name == "frac":
                    num_, i = _group(text, i)
                    den_, i = _group(text, i)
                    total += max(width(num_), width(den_))
                elif name in ("left", "right", "text", "mathrm", "hat", "max", "min", "sqrt", "odot"):
                    total += {"max": 3, "min": 3, "odot": 1.5}.get(name, 0.0)
                elif name in (",", " ", "quad", ";", "!"):
                    total += 0.3
                else:
                    total += 1.0
                continue
            if c in "^_":
                script, i = _group(text, i + 1)
                total += 0.7 * width(script)
                continue
            if c not in "{} ":
                total += 1.0
            elif c == " ":
                total += 0.0
            i += 1
        return total
    return width(latex)


def _group(text: str, i: int) -> tuple[str, int]:
    """The {group} (or single character) starting at text[i], and the index after it."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        return "", i
    if text[i] != "{":
        return text[i], i + 1
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1:j], j + 1
    return text[i + 1:], len(text)


def _rows_of(term: str, width: float) -> list[str]:
    """A right-hand side too wide for a row broken before its top-level + and − (and, for a term
    still too wide, before its ⊙, then after the commas between a function's arguments, then
    before a + or − inside its brackets) into rows of at most `width` characters where it can."""
    if visible_chars(term) <= width:
        return [term]
    pieces = []
    for piece in _split_at(term, (" + ", " - ")):  # then a product too wide at its ⊙
        pieces += _split_at(piece, (r" \odot ",)) if visible_chars(piece) > width else [piece]
    # then a function of several vectors (max, clip) between its arguments (not inside a vector "(a,\ b)")
    pieces = [p for piece in pieces for p in
              (_split_at(piece, (r",\, ", ", "), level=1) if visible_chars(piece) > width else [piece])]
    # and a bracketed sum ("⊙ [a + b]") before its + and −
    pieces = [p for piece in pieces for p in
              (_split_at(piece, (" + ", " - "), level=1) if visible_chars(piece) > width else [piece])]
    rows: list[str] = []
    for piece in pieces:
        if rows and visible_chars(rows[-1] + " " + piece) <= width:
            rows[-1] += " " + piece
        else:
            rows.append(piece)
    return rows


# Rows apart enough that a fraction's denominator clears the next row's numerator.
ROW_BREAK, EQUATION_BREAK = r" \\[4pt] ", r" \\[10pt] "
DISPLAY = r"\displaystyle "  # an array's cells are in text style: fractions would be script-sized


def _fit(row: str, width: float) -> str:
    """A row in display style, set smaller where it is wider than `width` characters (KaTeX's
    size commands)."""
    chars = visible_chars(row)
    if chars <= width:
        return DISPLAY + row
    for scale, command in SHRINK:
        if chars * scale <= width:
            return command + DISPLAY + row
    return SHRINK[-1][1] + DISPLAY + row


def layout(lines, width: float = ROW_CHARS) -> str:
    r"""The rule's lines (one equation each, `a = b = c`) laid out for a narrow column, as one
    left-aligned array: each side of an equation a row of its own, its = under the first one
    (a wide left-hand side gets a row of its own and the sides are indented under it), a side
    wider than `width` characters broken before a top-level + or − (then ⊙) onto further rows,
    a row that still does not fit set smaller, and a little space between equations. KaTeX does
    not wrap display math: laid out as one line each, the long substituted rules (Adam's v_t
    and θ_{t+1}, QHAdam's step size) ran past the inspector's column and were cut off. Each
    equation is laid out on its own, so a wide one does not push the others to the right."""
    equations = []
    # "H = ...,\quad λ = 0" is two statements: each laid out as an equation of its own
    statements = [(piece.removesuffix(",").strip(), piece.endswith(","))
                  for line in lines for piece in _split_at(line, (r",\quad ",))]
    for line, comma in statements:
        sides = [side.removeprefix("=").strip() for side in _split_at(line, ("=",))]
        lhs, rhs = (sides[0], sides[1:]) if len(sides) > 1 else ("", sides)
        rows = []
        if lhs and visible_chars(lhs) > LHS_CHARS:
            rows.append(_fit(lhs, width))
            first, equals, more = r"\quad = ", r"\quad = ", r"\quad \hphantom{=} \quad "
        elif lhs:
            first, equals = f"{lhs} = ", rf"\hphantom{{{lhs}}} = "
            more = rf"\hphantom{{{lhs} =}} \quad "
        else:
            first = equals = ""
            more = r"\quad "
        pieces = [(n, m, piece) for n, side in enumerate(rhs)
                  for m, piece in enumerate(_rows_of(side, width - visible_chars(equals)))]
        for count, (n, m, piece) in enumerate(pieces):
            lead = more if m else (first if n == 0 else equals)
            rows.append(_fit(lead + piece + ("," if comma and count == len(pieces) - 1 else ""), width))
        equations.append(ROW_BREAK.join(rows))
    return r"\begin{array}{l} " + EQUATION_BREAK.join(equations) + r" \end{array}"
