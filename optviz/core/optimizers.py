r"""Optimizers as pure (init, update) pairs over parameters shaped (n_starts, 2).

`update(grads, state, params) -> (delta, new_state)`: `delta` already carries the sign and the
learning rate, so the engine does `params + delta`. Nothing is mutated in place.

Conventions follow torch.optim wherever it implements the same algorithm (where eps sits, how
bias correction is applied, where the learning rate multiplies, so that a learning rate that
changes between steps, a schedule, acts as torch's schedulers make it act); Nesterov draws the
look-ahead form of Sutskever et al. (2013) and Nadam is Dozat's rule as written in Ruder's
overview (see each docstring).

Hyperparameters are floats, or arrays shaped (n_starts, 1) that broadcast against the
(n_starts, 2) parameters: one value per start, so a learning-rate sweep is one vectorized run.
The engine applies schedules the way optax's `inject_hyperparams` does: it builds the pure
(init, update) pair again for each step from that step's values, calls `init` once (with step
0's values) and carries the state over. So an update reads the current hyperparameters from its
closure, and what `init` puts in the state (say, Rprop's first step sizes from lr, as torch
does) stays as step 0 made it, as in torch when a scheduler changes the param group.

An optimizer may also give `eval_point(params, state)`: the point where the engine evaluates the
gradient (Nesterov's look-ahead). Without it the gradient is taken at `params`.

An optimizer that needs more than the gradient names it in `inputs`, and the engine passes each
as a keyword argument of `update`, evaluated at the same point as the gradient:
`inputs=("hessian",)` gives `update(grads, state, params, hessian=H)` with H the surface's
analytic Hessian, shaped (n, 2, 2); `"loss"` gives the loss there, shaped (n,). These are the
surface's exact (full-batch) values: mini-batches and gradient noise change the gradient only
(the curvature is the surface's, the one the contour map draws). The engine refuses a surface
that cannot give an input an optimizer names (see `optviz.engine.EXTRA_INPUTS`).

Most optimizers here are diagonal: they treat each coordinate on their own and say so with
`elementwise=True` (an opt-in; the default False is right for any rule). Their init and update
then also work on one coordinate as a numpy scalar, which the engine uses for a single start:
scalar arithmetic is several times cheaper than arithmetic on length-2 arrays. For that, the
updates take roots, maxima, signs and choices through `_sqrt`, `_maximum`, `_where` and `_clip`
below. Newton's method and L-BFGS couple the coordinates (a 2x2 solve, inner products): they keep
the default `elementwise=False` and work on (n, 2) arrays only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any, NamedTuple

import numpy as np

Array = np.ndarray


class Optimizer(NamedTuple):
    init: Callable[[Array], Any]
    update: Callable[[Array, Any, Array], tuple[Array, Any]]
    eval_point: Callable[[Array, Any], Array] | None = None
    # Opt-in: True promises that init, update and eval_point treat each coordinate on its own and
    # also work on one coordinate as a numpy scalar; the engine then runs a single start one
    # coordinate at a time (faster, same numbers). False (the default, safe for any rule, e.g.
    # one that couples coordinates through a norm) always runs on (n, 2) arrays.
    elementwise: bool = False
    # Names of what `update` takes besides the gradient, passed as keyword arguments evaluated at
    # the gradient's point: "hessian" ((n, 2, 2), the surface's analytic Hessian) or "loss" ((n,)).
    inputs: tuple[str, ...] = ()


def _sqrt(x):
    # math.sqrt and np.sqrt are both the correctly rounded IEEE root: identical results.
    return np.sqrt(x) if isinstance(x, np.ndarray) else math.sqrt(x)


def _maximum(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.maximum(a, b)
    return a if (a >= b or a != a) else b  # NaN propagates, as with np.maximum


def _power(base):
    """For per-start values, `count -> base ** count` by Python's pow on every value (None for a
    float: then `base ** count` is that already). numpy's pow differs from Python's in the last
    bit for about one value in twenty, and a value must give the same path alone as in a sweep;
    torch's bias correction uses Python's too."""
    if not isinstance(base, np.ndarray):
        return None
    values, index = np.unique(base, return_inverse=True)
    values, index = values.tolist(), index.reshape(base.shape)
    return lambda count: np.array([v**count for v in values])[index]


def _where(condition, a, b):
    """np.where for arrays; a Python choice for a scalar condition (the scalar fast path)."""
    if isinstance(condition, np.ndarray):
        return np.where(condition, a, b)
    return a if condition else b


def _clip(x, low, high):
    """min(max(x, low), high), as torch's clamp_; NaN propagates."""
    if isinstance(x, np.ndarray) or isinstance(low, np.ndarray) or isinstance(high, np.ndarray):
        return np.minimum(np.maximum(x, low), high)
    return min(_maximum(x, low), high) if x == x else x


def _full(params, value):
    """`value` (a float or (k, 1) per-start values) in the shape of `params`."""
    if isinstance(params, np.ndarray):
        return np.array(np.broadcast_to(value, params.shape), dtype=float)
    return np.float64(value)


def _zeros(params):
    return np.zeros_like(params, dtype=float) if isinstance(params, np.ndarray) else np.float64(0.0)


# --- validation --------------------------------------------------------------------------
# Each check takes a float or an array of per-start (or per-step) values and names the first
# value that fails, as torch.optim does: "Invalid learning rate lr: -0.1 (...)".

_MODE = ContextVar("optviz_validation", default="set")  # "set", "scheduled" or "checked"


@contextmanager
def scheduled_values() -> Iterator[None]:
    """Validate values that come from a schedule: there a learning rate of exactly 0 is allowed
    (torch's CosineAnnealingLR with eta_min=0 reaches it, a long decay underflows to it; the
    step then does not move), while a learning rate a person sets must be > 0."""
    token = _MODE.set("scheduled")
    try:
        yield
    finally:
        _MODE.reset(token)


@contextmanager
def already_checked() -> Iterator[None]:
    """Skip validation: for the engine's per-step rebuilds of an optimizer whose every value was
    validated before the loop (the checks would cost more than the step)."""
    token = _MODE.set("checked")
    try:
        yield
    finally:
        _MODE.reset(token)


def _first_bad(value, ok):
    if np.ndim(value) == 0:
        return value
    value, ok = np.broadcast_arrays(value, ok)
    return value[~ok].flat[0]


def _finite(value):
    return math.isfinite(value) if isinstance(value, float) else np.isfinite(value)


def _require(ok, name: str, value, rule: str) -> None:
    if not (ok if isinstance(ok, (bool, np.bool_)) else ok.all()):
        raise ValueError(f"Invalid {name}: {_first_bad(value, ok)} ({rule})")


def _check_lr(lr) -> None:
    mode = _MODE.get()
    if mode == "scheduled":
        _require(_finite(lr) & (lr >= 0.0), "learning rate lr", lr, "must be a finite number >= 0")
    elif mode == "set":
        _require(_finite(lr) & (lr > 0.0), "learning rate lr", lr, "must be a finite number > 0")


def _check_unit(name: str, value) -> None:
    if _MODE.get() != "checked":
        _require(_finite(value) & (value >= 0.0) & (value < 1.0), name, value, "must be in [0, 1)")


def _check_eps(eps) -> None:
    if _MODE.get() != "checked":
        _require(_finite(eps) & (eps > 0.0), "eps", eps, "must be a finite number > 0")


def _check_moments(lr, beta1, beta2, eps) -> None:
    _check_lr(lr)
    _check_unit("beta1", beta1)
    _check_unit("beta2", beta2)
    _check_eps(eps)


# --- plain gradient descent --------------------------------------------------------------


class EmptyState(NamedTuple):
    pass


def sgd(lr: float = 0.01) -> Optimizer:
    r"""Gradient descent, $\theta \leftarrow \theta - \eta\, g$.

    With full-batch gradients it is batch GD; with mini-batch or single-sample gradients (or
    gradient noise) it is mini-batch GD / SGD.
    """
    _check_lr(lr)

    def init(params):
        return EmptyState()

    def update(grads, state, params):
        return -lr * grads, state

    return Optimizer(init, update, elementwise=True)


# --- momentum and Nesterov ---------------------------------------------------------------


class VelocityState(NamedTuple):
    velocity: Array  # torch's momentum buffer: the decayed sum of the gradients, not yet times lr


def momentum(lr: float = 0.01, momentum: float = 0.9) -> Optimizer:
    r"""Heavy ball (Polyak 1964) in torch.optim.SGD's form (momentum=γ, dampening=0):

    $v \leftarrow \gamma v + g$, $\theta \leftarrow \theta - \eta v$.

    At a constant η this is the textbook $v \leftarrow \gamma v + \eta g$, $\theta \leftarrow
    \theta - v$ with $v$ scaled by η; they part when η changes between steps: here, as in torch,
    a new η scales the whole buffer (the past gradients too), so learning-rate schedules give
    torch's paths.
    """
    _check_lr(lr)
    _check_unit("momentum", momentum)

    def init(params):
        return VelocityState(_zeros(params))

    def update(grads, state, params):
        velocity = momentum * state.velocity + grads
        return -lr * velocity, VelocityState(velocity)

    return Optimizer(init, update, elementwise=True)


class NesterovState(NamedTuple):
    velocity: Array  # torch's momentum buffer b
    momentum_step: Array  # the momentum part of the next step, eta * gamma * b: theta minus the look-ahead point


def nesterov(lr: float = 0.01, momentum: float = 0.9) -> Optimizer:
    r"""Nesterov accelerated gradient: torch.optim.SGD(momentum=γ, nesterov=True), drawn in the
    look-ahead form of Sutskever et al. (2013). With torch's buffer $b$:

    $\tilde\theta = \theta - \eta\gamma b$ (the look-ahead point),
    $b \leftarrow \gamma b + \nabla f(\tilde\theta)$,
    $\theta \leftarrow \tilde\theta - \eta \nabla f(\tilde\theta)$.

    The look-ahead points are exactly torch's iterates; the path drawn is $\theta$. At constant
    η and γ this is Sutskever's $v \leftarrow \gamma v + \eta \nabla f(\theta - \gamma v)$,
    $\theta \leftarrow \theta - v$ with $v = \eta b$; when η or γ change between steps (a
    schedule) the look-ahead keeps the η and γ of the step that made it, as torch's iterate does.
    """
    _check_lr(lr)
    _check_unit("momentum", momentum)

    def init(params):
        zeros = _zeros(params)
        return NesterovState(zeros, zeros)

    def eval_point(params, state):
        return params - state.momentum_step

    def update(grads, state, params):
        # `grads` were taken at eval_point(params, state).
        velocity = momentum * state.velocity + grads
        return -(state.momentum_step + lr * grads), NesterovState(velocity, (lr * momentum) * velocity)

    return Optimizer(init, update, eval_point, elementwise=True)


# --- Adagrad, RMSProp, Adadelta ----------------------------------------------------------


class AccumulatorState(NamedTuple):
    sum_sq: Array


def adagrad(lr: float = 0.01, eps: float = 1e-10) -> Optimizer:
    r"""Adagrad (Duchi et al. 2011), as torch.optim.Adagrad (eps outside the root):

    $G \leftarrow G + g^2$, $\theta \leftarrow \theta - \eta\, g / (\sqrt{G} + \epsilon)$.
    """
    _check_lr(lr)
    _check_eps(eps)

    def init(params):
        return AccumulatorState(_zeros(params))

    def update(grads, state, params):
        sum_sq = state.sum_sq + grads * grads
        return -lr * grads / (_sqrt(sum_sq) + eps), AccumulatorState(sum_sq)

    return Optimizer(init, update, elementwise=True)


class SquareAvgState(NamedTuple):
    square_avg: Array


def rmsprop(lr: float = 0.01, rho: float = 0.99, eps: float = 1e-8) -> Optimizer:
    r"""RMSProp (Hinton, Lecture 6e), as torch.optim.RMSprop with alpha = ρ (eps outside the root):

    $E[g^2] \leftarrow \rho E[g^2] + (1-\rho) g^2$, $\theta \leftarrow \theta - \eta\, g / (\sqrt{E[g^2]} + \epsilon)$.
    """
    _check_lr(lr)
    _check_unit("rho", rho)
    _check_eps(eps)

    def init(params):
        return SquareAvgState(_zeros(params))

    def update(grads, state, params):
        square_avg = rho * state.square_avg + (1.0 - rho) * grads * grads
        return -lr * grads / (_sqrt(square_avg) + eps), SquareAvgState(square_avg)

    return Optimizer(init, update, elementwise=True)


class AdadeltaState(NamedTuple):
    square_avg: Array
    acc_delta: Array


def adadelta(lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6) -> Optimizer:
    r"""Adadelta (Zeiler 2012), as torch.optim.Adadelta (eps inside both roots, step scaled by lr):

    $E[g^2] \leftarrow \rho E[g^2] + (1-\rho) g^2$,
    $\Delta = \frac{\sqrt{E[\Delta^2] + \epsilon}}{\sqrt{E[g^2] + \epsilon}}\, g$,
    $E[\Delta^2] \leftarrow \rho E[\Delta^2] + (1-\rho)\Delta^2$, $\theta \leftarrow \theta - \eta \Delta$.

    The step uses the accumulated $E[\Delta^2]$ of the previous steps; the new $\Delta$ is
    accumulated after it is computed.
    """
    _check_lr(lr)
    _check_unit("rho", rho)
    _check_eps(eps)

    def init(params):
        zeros = _zeros(params)
        return AdadeltaState(zeros, zeros)

    def update(grads, state, params):
        square_avg = rho * state.square_avg + (1.0 - rho) * grads * grads
        delta = _sqrt(state.acc_delta + eps) / _sqrt(square_avg + eps) * grads
        acc_delta = rho * state.acc_delta + (1.0 - rho) * delta * delta
        return -lr * delta, AdadeltaState(square_avg, acc_delta)

    return Optimizer(init, update, elementwise=True)


# --- Adam and its variants ---------------------------------------------------------------


class AdamState(NamedTuple):
    count: int
    mu: Array
    nu: Array
    nu_max: Array | None


def _check_switch(name: str, value) -> None:
    if _MODE.get() != "checked":
        _require((value == 0.0) | (value == 1.0), name, value, "must be 0 (off) or 1 (on)")


def _bias(beta_pow, beta, count, bias_correction):
    """1 - β^t, or 1 where bias correction is off. `bias_correction` is 1 or 0 (or per-start
    values of them): times 1.0 the power is exact, so the default is the plain 1 - β^t."""
    power = beta**count if beta_pow is None else beta_pow(count)
    if isinstance(bias_correction, np.ndarray):
        return 1.0 - bias_correction * power
    return 1.0 - power if bias_correction else 1.0


def adam(
    lr: float = 0.001,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    bias_correction: float = 1.0,
    *,
    amsgrad: bool = False,
    nesterov: bool = False,
) -> Optimizer:
    r"""Adam (Kingma & Ba 2015), as torch.optim.Adam (eps outside the root, after bias correction):

    $m \leftarrow \beta_1 m + (1-\beta_1) g$, $v \leftarrow \beta_2 v + (1-\beta_2) g^2$,
    $\theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\, m / (\sqrt{v/(1-\beta_2^t)} + \epsilon)$.

    `weight_decay` λ is torch's Adam(weight_decay=λ): L2 regularisation coupled into the gradient,
    $g \leftarrow g + \lambda\theta$ before the moments, so the adaptive step rescales the decay too
    (AdamW below decouples it). `bias_correction` 1 (on, Adam as published) or 0 (off: $m$ and $v$
    are used as they are, the form before Kingma & Ba's correction; Hugging Face's AdamW has the same
    switch, `correct_bias`): from zero moments the first steps are then off by $(1-\beta_1)/\sqrt{1-\beta_2}$.

    `amsgrad=True` (Reddi et al. 2018, as torch): the running max of the raw $v$, then bias-corrected.
    `nesterov=True` is Nadam in Dozat's form as in Ruder's overview:
    $\theta \leftarrow \theta - \frac{\eta}{\sqrt{\hat v} + \epsilon}
    \,(\beta_1 \hat m + \frac{(1-\beta_1) g}{1-\beta_1^t})$.
    """
    _check_moments(lr, beta1, beta2, eps)
    _check_nonnegative("weight_decay", weight_decay)
    _check_switch("bias_correction", bias_correction)
    beta1_pow, beta2_pow = _power(beta1), _power(beta2)
    coupled = isinstance(weight_decay, np.ndarray) or weight_decay != 0.0  # 0: the gradient as it is, bit for bit

    def init(params):
        zeros = _zeros(params)
        return AdamState(0, zeros, zeros, zeros if amsgrad else None)

    def update(grads, state, params):
        if coupled:
            grads = grads + weight_decay * params
        count = state.count + 1
        mu = beta1 * state.mu + (1.0 - beta1) * grads
        nu = beta2 * state.nu + (1.0 - beta2) * grads * grads
        nu_max = _maximum(state.nu_max, nu) if amsgrad else None
        bias1 = _bias(beta1_pow, beta1, count, bias_correction)
        bias2 = _bias(beta2_pow, beta2, count, bias_correction)
        denom = _sqrt(nu_max if amsgrad else nu) / _sqrt(bias2) + eps
        if nesterov:
            direction = (beta1 / bias1) * mu + ((1.0 - beta1) / bias1) * grads
            delta = -lr * direction / denom
        else:
            delta = (-lr / bias1) * mu / denom
        return delta, AdamState(count, mu, nu, nu_max)

    return Optimizer(init, update, elementwise=True)


amsgrad = partial(adam, amsgrad=True)
nadam = partial(adam, nesterov=True)


class AdamaxState(NamedTuple):
    count: int
    mu: Array
    u: Array


def adamax(
    lr: float = 0.002, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, bias_correction: float = 1.0
) -> Optimizer:
    r"""Adamax (Kingma & Ba 2015, §7.1), as torch.optim.Adamax:

    $m \leftarrow \beta_1 m + (1-\beta_1) g$, $u \leftarrow \max(\beta_2 u, |g| + \epsilon)$,
    $\theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\, m / u$.

    `bias_correction` 0 drops the $1-\beta_1^t$ ($u$ has none: a maximum is not biased towards 0).
    """
    _check_moments(lr, beta1, beta2, eps)
    _check_switch("bias_correction", bias_correction)
    beta1_pow = _power(beta1)

    def init(params):
        zeros = _zeros(params)
        return AdamaxState(0, zeros, zeros)

    def update(grads, state, params):
        count = state.count + 1
        mu = beta1 * state.mu + (1.0 - beta1) * grads
        u = _maximum(beta2 * state.u, abs(grads) + eps)
        bias1 = _bias(beta1_pow, beta1, count, bias_correction)
        return (-lr / bias1) * mu / u, AdamaxState(count, mu, u)

    return Optimizer(init, update, elementwise=True)


# --- checks the newer optimizers add ------------------------------------------------------


def _check_nonnegative(name: str, value) -> None:
    if _MODE.get() != "checked":
        _require(_finite(value) & (value >= 0.0), name, value, "must be a finite number >= 0")


def _check_fraction(name: str, value) -> None:
    if _MODE.get() != "checked":
        _require(_finite(value) & (value >= 0.0) & (value <= 1.0), name, value, "must be in [0, 1]")


# --- AdamW and RAdam ----------------------------------------------------------------------


def adamw(
    lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.01,
    bias_correction: float = 1.0,
) -> Optimizer:
    r"""AdamW (Loshchilov & Hutter 2019), as torch.optim.AdamW: Adam's step on the gradient alone,
    and a decoupled weight decay that shrinks the parameters by $\eta\lambda$ each step:

    $\theta \leftarrow \theta(1 - \eta\lambda) - \frac{\eta}{1-\beta_1^t}\, m / (\sqrt{v/(1-\beta_2^t)} + \epsilon)$,

    with $m$, $v$ as in Adam (the decay never enters them). torch multiplies the parameters first
    and adds Adam's step to the product; the delta here is the same sum. The decay pulls every
    path towards the origin, not towards the loss's minimum: the end point is a compromise.
    `bias_correction` as in Adam.
    """
    _check_nonnegative("weight_decay", weight_decay)
    inner = adam(lr, beta1, beta2, eps, bias_correction=bias_correction)  # validates the rest

    def update(grads, state, params):
        delta, state = inner.update(grads, state, params)
        return delta - (lr * weight_decay) * params, state

    return Optimizer(inner.init, update, elementwise=True)


class RAdamState(NamedTuple):
    count: int
    mu: Array
    nu: Array


def radam(lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    r"""RAdam (Liu et al. 2020), as torch.optim.RAdam (no weight decay): Adam whose adaptive step is
    switched on, and scaled by the rectification $r_t$, only once the variance of the adaptive
    learning rate is tractable ($\rho_t > 5$); before that the step is momentum SGD on $\hat m$:

    $\rho_\infty = \frac{2}{1-\beta_2} - 1$, $\rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t}$,
    $r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}$,
    $\theta \leftarrow \theta - \eta\, \hat m\, r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v} + \epsilon}$ if $\rho_t > 5$,
    else $\theta \leftarrow \theta - \eta\, \hat m$.

    As in torch, eps is added to $\sqrt{v}$ before the bias correction $\sqrt{1-\beta_2^t}$ multiplies.
    With $\beta_2 = 0.999$ the first five steps are unrectified (a warm-up by rectification);
    with $\beta_2 \le 2/3$, $\rho_\infty \le 5$ and the step stays momentum SGD for ever.
    """
    _check_moments(lr, beta1, beta2, eps)
    beta1_pow, beta2_pow = _power(beta1), _power(beta2)
    rho_inf = 2.0 / (1.0 - beta2) - 1.0

    def init(params):
        zeros = _zeros(params)
        return RAdamState(0, zeros, zeros)

    def update(grads, state, params):
        count = state.count + 1
        mu = beta1 * state.mu + (1.0 - beta1) * grads
        nu = beta2 * state.nu + (1.0 - beta2) * grads * grads
        bias1 = 1.0 - (beta1**count if beta1_pow is None else beta1_pow(count))
        beta2_t = beta2**count if beta2_pow is None else beta2_pow(count)
        bias2 = 1.0 - beta2_t
        rho_t = rho_inf - 2.0 * count * beta2_t / bias2
        m_hat = mu / bias1
        if not isinstance(rho_t, np.ndarray):  # one beta2 for all starts: one branch
            if rho_t > 5.0:
                rect = _sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                return -(m_hat * lr * (_sqrt(bias2) / (_sqrt(nu) + eps)) * rect), RAdamState(count, mu, nu)
            return -(m_hat * lr), RAdamState(count, mu, nu)
        # Per-start beta2: each start takes its branch; a factor of exactly 1.0 leaves the other alone.
        on = rho_t > 5.0
        safe = np.where(on, rho_t, 6.0)  # keeps the unused branch's root real
        rect = np.where(on, np.sqrt((safe - 4.0) * (safe - 2.0) * rho_inf
                                    / ((np.where(on, rho_inf, 6.0) - 4.0) * (np.where(on, rho_inf, 6.0) - 2.0) * safe)),
                        1.0)
        adaptive = np.where(on, np.sqrt(bias2) / (np.sqrt(nu) + eps), 1.0)
        return -(m_hat * lr * adaptive * rect), RAdamState(count, mu, nu)

    return Optimizer(init, update, elementwise=True)


# --- sign-based steps: Rprop, sign descent (Signum), Lion ---------------------------------


class RpropState(NamedTuple):
    prev: Array  # the last gradient, set to 0 where its sign had flipped (torch's `prev`)
    step_size: Array  # each coordinate's own step size


def rprop(
    lr: float = 0.01, eta_minus: float = 0.5, eta_plus: float = 1.2, step_min: float = 1e-6, step_max: float = 50.0
) -> Optimizer:
    r"""Rprop (Riedmiller & Braun 1993), as torch.optim.Rprop(lr, etas=(η⁻, η⁺), step_sizes=(Δmin, Δmax)):
    each coordinate has its own step size $\Delta$, starting at lr; only the gradient's sign is used.

    With $p = g_t\, g_{t-1}$ (where $g_{t-1}$ is the stored gradient): $\Delta \leftarrow
    \mathrm{clip}(\eta^+ \Delta)$ if $p > 0$, $\mathrm{clip}(\eta^- \Delta)$ if $p < 0$, $\Delta$ if $p = 0$;
    where $p < 0$ (the sign flipped: a minimum was jumped over) the gradient is set to 0, so that
    coordinate does not move this step and the next step does not shrink again;
    $\theta \leftarrow \theta - \mathrm{sign}(g_t)\, \Delta$, and $g_t$ (with those zeros) is stored.

    torch's form (the iRprop⁻ variant: no step back). The step sizes are set from lr at init, so a
    learning-rate schedule does not change them, as in torch.
    """
    _check_lr(lr)
    if _MODE.get() != "checked":
        _require(_finite(eta_minus) & (eta_minus > 0.0) & (eta_minus < 1.0), "eta_minus", eta_minus,
                 "must be in (0, 1)")
        _require(_finite(eta_plus) & (eta_plus > 1.0), "eta_plus", eta_plus, "must be a finite number > 1")
        _require(_finite(step_min) & (step_min > 0.0), "step_min", step_min, "must be a finite number > 0")
        _require(_finite(step_max) & (step_max >= step_min), "step_max", step_max,
                 "must be a finite number >= step_min")

    def init(params):
        return RpropState(_zeros(params), _full(params, lr))

    def update(grads, state, params):
        product = grads * state.prev
        factor = _where(product > 0.0, eta_plus, _where(product < 0.0, eta_minus, 1.0))
        step_size = _clip(state.step_size * factor, step_min, step_max)
        grads = _where(product < 0.0, 0.0, grads)
        return -(np.sign(grads) * step_size), RpropState(grads, step_size)

    return Optimizer(init, update, elementwise=True)


class SignumState(NamedTuple):
    mu: Array


def signum(lr: float = 0.01, momentum: float = 0.0) -> Optimizer:
    r"""Sign descent: signSGD and Signum (Bernstein et al. 2018, Algorithm 1 and its Signum form):

    $m \leftarrow \beta m + (1-\beta) g$, $\theta \leftarrow \theta - \eta\, \mathrm{sign}(m)$.

    With β = 0 (the default), $m = g$: signSGD, every coordinate moves by exactly η (diagonal
    steps on a 2-D surface; 0 where the gradient is exactly 0). With β > 0 the sign of a running
    average is taken: Signum. The paper's pseudo-code, followed as written.
    """
    _check_lr(lr)
    _check_unit("momentum", momentum)

    def init(params):
        return SignumState(_zeros(params))

    def update(grads, state, params):
        mu = momentum * state.mu + (1.0 - momentum) * grads
        return -lr * np.sign(mu), SignumState(mu)

    return Optimizer(init, update, elementwise=True)


def lion(lr: float = 1e-4, beta1: float = 0.9, beta2: float = 0.99, weight_decay: float = 0.0) -> Optimizer:
    r"""Lion (Chen et al. 2023, Symbolic Discovery of Optimization Algorithms, Algorithm 2):

    $c = \beta_1 m + (1-\beta_1) g$, $\theta \leftarrow \theta - \eta\,(\mathrm{sign}(c) + \lambda\theta)$,
    $m \leftarrow \beta_2 m + (1-\beta_2) g$.

    The paper's pseudo-code as written: the sign of an interpolation with β₁ is stepped, the
    momentum kept with the larger β₂; weight decay decoupled, times η, as in AdamW. Defaults are
    the paper's (lr 1e-4, β = (0.9, 0.99), λ = 0).
    """
    _check_lr(lr)
    _check_unit("beta1", beta1)
    _check_unit("beta2", beta2)
    _check_nonnegative("weight_decay", weight_decay)

    def init(params):
        return SignumState(_zeros(params))

    def update(grads, state, params):
        direction = np.sign(beta1 * state.mu + (1.0 - beta1) * grads)
        mu = beta2 * state.mu + (1.0 - beta2) * grads
        return -lr * (direction + weight_decay * params), SignumState(mu)

    return Optimizer(init, update, elementwise=True)


# --- quasi-hyperbolic momentum: QHM and QHAdam --------------------------------------------


def qhm(lr: float = 0.01, momentum: float = 0.9, nu: float = 0.7) -> Optimizer:
    r"""QHM (Ma & Yarats 2019, Quasi-hyperbolic momentum and Adam for deep learning, Algorithm 1):

    $b \leftarrow \beta b + (1-\beta) g$, $\theta \leftarrow \theta - \eta\,[(1-\nu) g + \nu b]$.

    A ν-weighted average of a plain SGD step and a momentum step whose buffer is an average (not a
    sum) of the gradients. ν = 0 is SGD, ν = 1 is momentum with dampening β (torch's SGD with
    dampening=momentum); Nesterov is ν = β. The paper's pseudo-code as written (also the
    authors' qhoptim). Default ν = 0.7 as the paper recommends, but β = 0.9, not its 0.999: an
    average over ~1000 steps barely fills in the few hundred steps of a 2-D run (b_t is about
    (1 - β^t) times the mean gradient), so QHM would look like SGD at 0.3 lr.
    """
    _check_lr(lr)
    _check_unit("momentum", momentum)
    _check_fraction("nu", nu)

    def init(params):
        return VelocityState(_zeros(params))

    def update(grads, state, params):
        buffer = momentum * state.velocity + (1.0 - momentum) * grads
        return -lr * ((1.0 - nu) * grads + nu * buffer), VelocityState(buffer)

    return Optimizer(init, update, elementwise=True)


def qhadam(
    lr: float = 0.001,
    beta1: float = 0.995,
    beta2: float = 0.999,
    nu1: float = 0.7,
    nu2: float = 1.0,
    eps: float = 1e-8,
) -> Optimizer:
    r"""QHAdam (Ma & Yarats 2019, Algorithm 2): Adam's two moments, each mixed with the current
    gradient (or its square) by ν:

    $m \leftarrow \beta_1 m + (1-\beta_1) g$, $v \leftarrow \beta_2 v + (1-\beta_2) g^2$,
    $\hat m = m/(1-\beta_1^t)$, $\hat v = v/(1-\beta_2^t)$,
    $\theta \leftarrow \theta - \eta\,
    \frac{(1-\nu_1) g + \nu_1 \hat m}{\sqrt{(1-\nu_2) g^2 + \nu_2 \hat v} + \epsilon}$.

    The paper's pseudo-code as written (qhoptim computes the same bias-corrected averages in
    another order). ν₁ = ν₂ = 1 is Adam; defaults are the paper's recommendation β = (0.995,
    0.999), ν = (0.7, 1).
    """
    _check_moments(lr, beta1, beta2, eps)
    _check_fraction("nu1", nu1)
    _check_fraction("nu2", nu2)
    beta1_pow, beta2_pow = _power(beta1), _power(beta2)

    def init(params):
        zeros = _zeros(params)
        return RAdamState(0, zeros, zeros)

    def update(grads, state, params):
        count = state.count + 1
        mu = beta1 * state.mu + (1.0 - beta1) * grads
        nu = beta2 * state.nu + (1.0 - beta2) * grads * grads
        m_hat = mu / (1.0 - (beta1**count if beta1_pow is None else beta1_pow(count)))
        v_hat = nu / (1.0 - (beta2**count if beta2_pow is None else beta2_pow(count)))
        numerator = (1.0 - nu1) * grads + nu1 * m_hat
        denominator = _sqrt((1.0 - nu2) * grads * grads + nu2 * v_hat) + eps
        return -lr * numerator / denominator, RAdamState(count, mu, nu)

    return Optimizer(init, update, elementwise=True)


# --- curvature: Newton's method and L-BFGS ------------------------------------------------


def newton(lr: float = 1.0, damping: float = 0.0) -> Optimizer:
    r"""Newton's method with the surface's analytic Hessian, damped in Levenberg's way:

    $\theta \leftarrow \theta - \eta\, (H + \lambda I)^{-1} g$.

    No other safeguard, by decision: with λ = 0 and η = 1 this is plain Newton, which jumps to the
    stationary point of the local quadratic model whatever it is, a saddle point or a maximum
    included (the saddle lesson: on x² − y² it lands on the saddle point in one step, where
    gradient methods slide off). λ larger than minus the smallest eigenvalue of H makes the step a
    descent direction; a large λ turns it into gradient descent with step η/λ. Where H + λI is
    singular the step is undefined: it comes out infinite or NaN and the engine reports the run
    diverged at that step. The Hessian is the surface's exact (full-batch) one at the point where
    the gradient is taken; mini-batches and noise change the gradient only. The 2x2 system is
    solved in closed form (Cramer's rule), per start.
    """
    _check_lr(lr)
    _check_nonnegative("damping", damping)

    def init(params):
        return EmptyState()

    def update(grads, state, params, *, hessian):
        a = hessian[..., 0, :1] + damping  # (n, 1): per-start values broadcast as columns
        b = hessian[..., 0, 1:]
        c = hessian[..., 1, 1:] + damping
        gx, gy = grads[..., :1], grads[..., 1:]
        det = a * c - b * b
        step = np.concatenate([(c * gx - b * gy) / det, (a * gy - b * gx) / det], axis=-1)
        return -lr * step, state

    return Optimizer(init, update, inputs=("hessian",))


LBFGS_TOLERANCE_GRAD = 1e-7  # torch.optim.LBFGS's defaults: a start whose largest gradient
LBFGS_TOLERANCE_CHANGE = 1e-9  # component is <= 1e-7 stops; a step with g·d > -1e-9 is not taken
LBFGS_CURVATURE_MIN = 1e-10  # a pair (s, y) enters the history only if y·s > 1e-10 (torch)


class LBFGSState(NamedTuple):
    n_iter: Array  # (n, 1) int: steps taken so far (torch's state["n_iter"])
    direction: Array  # (n, 2): the last search direction d
    step_length: Array  # (n, 1): the last step length t (the step was t d)
    pairs: Array  # (n, M, 5): the kept pairs, oldest first, the newest at index M - 1: the step
    #   s = t d (columns 0-1), the gradient change y (2-3) and 1 / (y·s) (4)
    count: Array  # (n, 1) int: how many of the M slots hold pairs (the last `count`)
    h_diag: Array  # (n, 1): the initial inverse-Hessian scale y·s / y·y of the newest pair
    prev_grad: Array  # (n, 2): the gradient of the last step


def _dot(a, b):
    """Row-wise a·b of (..., 2) arrays, kept as (..., 1): a0 b0 + a1 b1, the same sum for any n."""
    return a[..., :1] * b[..., :1] + a[..., 1:2] * b[..., 1:2]


def lbfgs(lr: float = 1.0, history_size: float = 10) -> Optimizer:
    r"""L-BFGS (Nocedal 1980; Liu & Nocedal 1989) without a line search, as
    torch.optim.LBFGS(lr, history_size, max_iter=1, line_search_fn=None), one `step()` a step:

    keep the last m pairs $s_i = \theta_{i+1} - \theta_i$, $y_i = g_{i+1} - g_i$ (a pair enters
    only if $y^\top s > 10^{-10}$); the two-loop recursion gives $d = -H_k g$ with $H_0 =
    \frac{y^\top s}{y^\top y} I$ from the newest pair; $\theta \leftarrow \theta + t\, d$ with
    $t = \eta$, except the first step: $d = -g$, $t = \eta \min(1, 1/\lVert g \rVert_1)$.

    torch's stopping rules are kept, per start: a start whose largest gradient component is
    <= 1e-7 does nothing (its state is left alone); a direction with $g^\top d > -10^{-9}$ (not a
    descent direction) is not stepped along. The gradient differences are those of the gradients
    it is given: with mini-batches or noise, of different batches or draws, as with torch's
    closure. `history_size` m is a count: a value between whole numbers (from a link, a schedule)
    keeps ⌊m⌋ pairs; per-start values each keep their own history.
    """
    _check_lr(lr)
    if _MODE.get() != "checked":
        _require(_finite(history_size) & (history_size >= 1) & (history_size <= 1000), "history_size",
                 history_size, "must be a number in [1, 1000]")
    history = np.floor(history_size).astype(int)  # the pairs kept: float or (k, 1) per start
    slots = int(np.max(history))

    def init(params):
        lead = np.shape(params)[:-1]
        zeros, column = np.zeros(np.shape(params)), np.zeros((*lead, 1))
        return LBFGSState(np.zeros((*lead, 1), dtype=int), zeros, column, np.zeros((*lead, slots, 5)),
                          np.zeros((*lead, 1), dtype=int), np.ones((*lead, 1)), zeros)

    def update(grads, state, params):
        pairs = state.pairs
        if pairs.shape[-2] < slots:  # a schedule raised history_size: older, empty slots in front
            pairs = np.pad(pairs, [(0, 0)] * (pairs.ndim - 2) + [(slots - pairs.shape[-2], 0), (0, 0)])
        size = pairs.shape[-2]
        active = ~(np.maximum(np.abs(grads[..., :1]), np.abs(grads[..., 1:])) <= LBFGS_TOLERANCE_GRAD)
        n_iter = state.n_iter + active
        first = n_iter == 1

        # The newest pair (s, y) from the last step, where it is curved enough.
        y = grads - state.prev_grad
        s = state.direction * state.step_length
        ys = _dot(y, s)
        add = active & ~first & (ys > LBFGS_CURVATURE_MIN)
        if add.any():
            ys_kept = np.where(add, ys, 1.0)  # no division by a pair that is not kept
            newest = np.concatenate([s, y, 1.0 / ys_kept], axis=-1)[..., None, :]
            shifted = np.concatenate([pairs[..., 1:, :], newest], axis=-2)
            pairs = shifted if add.all() else np.where(add[..., None], shifted, pairs)
            count = np.minimum(np.where(add, state.count + 1, state.count), history)
            h_diag = np.where(add, ys_kept / np.where(add, _dot(y, y), 1.0), state.h_diag)
        else:
            count, h_diag = np.minimum(state.count, history), state.h_diag

        # Two-loop recursion over the last `count` pairs of each start, newest first. Slots every
        # start uses need no mask; where counts differ, a start skips the slots it does not hold.
        q = -grads
        alphas = {}
        fewest, most = int(count.min()), int(count.max())
        for j in range(size - 1, size - most - 1, -1):
            step, diff, rho = pairs[..., j, 0:2], pairs[..., j, 2:4], pairs[..., j, 4:5]
            alpha = _dot(step, q) * rho
            alphas[j] = alpha
            q = q - alpha * diff if j >= size - fewest else np.where(j >= size - count, q - alpha * diff, q)
        r = q * h_diag
        for j in range(size - most, size):
            step, diff, rho = pairs[..., j, 0:2], pairs[..., j, 2:4], pairs[..., j, 4:5]
            moved = r + (alphas[j] - _dot(diff, r) * rho) * step
            r = moved if j >= size - fewest else np.where(j >= size - count, moved, r)
        direction = np.where(first, -grads, r)

        l1 = np.where(active, np.abs(grads[..., :1]) + np.abs(grads[..., 1:]), 1.0)
        step_length = np.where(first, np.minimum(1.0, 1.0 / l1) * lr, np.zeros(active.shape) + lr)
        descent = _dot(grads, direction) <= -LBFGS_TOLERANCE_CHANGE
        delta = np.where(active & descent, step_length * direction, 0.0)

        def keep(new, old):  # a start that stopped leaves its state alone
            return np.where(active, new, old)

        return delta, LBFGSState(
            np.where(active, n_iter, state.n_iter),
            keep(direction, state.direction),
            keep(step_length, state.step_length),
            pairs,  # unchanged where not active: `add` is False there
            count,
            h_diag,
            keep(grads, state.prev_grad),
        )

    return Optimizer(init, update)
