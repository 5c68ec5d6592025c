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

Every optimizer here is diagonal: it treats each coordinate on its own and says so with
`elementwise=True` (an opt-in; the default False is right for any rule). Its init and update then
also work on one coordinate as a numpy scalar, which the engine uses for a single start: scalar
arithmetic is several times cheaper than arithmetic on length-2 arrays.
For that, the updates take roots and maxima through `_sqrt` and `_maximum` below.
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


def adam(
    lr: float = 0.001,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    *,
    amsgrad: bool = False,
    nesterov: bool = False,
) -> Optimizer:
    r"""Adam (Kingma & Ba 2015), as torch.optim.Adam (eps outside the root, after bias correction):

    $m \leftarrow \beta_1 m + (1-\beta_1) g$, $v \leftarrow \beta_2 v + (1-\beta_2) g^2$,
    $\theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\, m / (\sqrt{v/(1-\beta_2^t)} + \epsilon)$.

    `amsgrad=True` (Reddi et al. 2018, as torch): the running max of the raw $v$, then bias-corrected.
    `nesterov=True` is Nadam in Dozat's form as in Ruder's overview:
    $\theta \leftarrow \theta - \frac{\eta}{\sqrt{\hat v} + \epsilon}
    \,(\beta_1 \hat m + \frac{(1-\beta_1) g}{1-\beta_1^t})$.
    """
    _check_moments(lr, beta1, beta2, eps)
    beta1_pow, beta2_pow = _power(beta1), _power(beta2)

    def init(params):
        zeros = _zeros(params)
        return AdamState(0, zeros, zeros, zeros if amsgrad else None)

    def update(grads, state, params):
        count = state.count + 1
        mu = beta1 * state.mu + (1.0 - beta1) * grads
        nu = beta2 * state.nu + (1.0 - beta2) * grads * grads
        nu_max = _maximum(state.nu_max, nu) if amsgrad else None
        bias1 = 1.0 - (beta1**count if beta1_pow is None else beta1_pow(count))
        bias2 = 1.0 - (beta2**count if beta2_pow is None else beta2_pow(count))
        denom = _sqrt(nu_max if amsgrad else nu) / (math.sqrt(bias2) if beta2_pow is None else np.sqrt(bias2)) + eps
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


def adamax(lr: float = 0.002, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    r"""Adamax (Kingma & Ba 2015, §7.1), as torch.optim.Adamax:

    $m \leftarrow \beta_1 m + (1-\beta_1) g$, $u \leftarrow \max(\beta_2 u, |g| + \epsilon)$,
    $\theta \leftarrow \theta - \frac{\eta}{1-\beta_1^t}\, m / u$.
    """
    _check_moments(lr, beta1, beta2, eps)
    beta1_pow = _power(beta1)

    def init(params):
        zeros = _zeros(params)
        return AdamaxState(0, zeros, zeros)

    def update(grads, state, params):
        count = state.count + 1
        mu = beta1 * state.mu + (1.0 - beta1) * grads
        u = _maximum(beta2 * state.u, abs(grads) + eps)
        bias1 = 1.0 - (beta1**count if beta1_pow is None else beta1_pow(count))
        return (-lr / bias1) * mu / u, AdamaxState(count, mu, u)

    return Optimizer(init, update, elementwise=True)
