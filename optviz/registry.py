r"""The optimizer registry: what the app, the command line and the tests read.

Add an optimizer: write its factory in `optimizers.py` (an (init, update) pair) and add one
`OptimizerSpec` to `OPTIMIZERS` below. Its sliders, its LaTeX card, its colour, its share-link
parameters and its tests all come from that entry. If the defaults do not show its character on
some surface, add a per-surface override in `optviz/presets.py` (optional: without one, the
registry defaults are used).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from . import optimizers as opt
from .scales import Number


@dataclass(frozen=True)
class HParam:
    """One hyperparameter: its default, the range a person may choose from, how to show it.

    `scale` says how its slider walks the range (see `optviz/scales.py`): "log" for learning
    rates and ε, "nines" for decay rates such as momentum, β₁, β₂ and ρ (1 − β on a log scale),
    "linear" with `step` otherwise. Any value in [low, high] is valid and kept exactly; the
    slider's positions are a convenience. The name is also the share link's key (`adam.<name>`)
    and the factory's keyword argument, so it must be an identifier.
    """

    name: str
    default: float
    low: float
    high: float
    scale: str = "linear"
    symbol: str = ""
    help: str = ""
    step: float = 0.001  # slider resolution of a linear hyperparameter

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"a hyperparameter's name must be an identifier, got {self.name!r}")
        if not self.number.contains(self.default):
            raise ValueError(f"{self.name}: default {self.default} outside [{self.low}, {self.high}]")

    @property
    def number(self) -> Number:
        return Number(self.low, self.high, self.scale, self.step if self.scale == "linear" else 0.0)

    @property
    def log(self) -> bool:
        return self.scale == "log"

    def clamp(self, value: float) -> float:
        return self.number.clamp(value)

    def contains(self, value: float) -> bool:
        return self.number.contains(value)

    def grid(self) -> tuple[float, ...]:
        """The values a slider offers. Every default and preset lies on it (tested)."""
        return self.number.grid()

    def snap(self, value: float) -> float:
        """The grid value nearest to `value` (along the scale)."""
        return self.number.nearest(value)


def lr(default: float, low: float = 1e-5, high: float = 10.0) -> HParam:
    """A learning rate. The range reaches far enough that too large a step shows: plain gradient
    descent and momentum diverge at the top on every preset surface; adaptive methods, whose
    steps are bounded by about lr, jump out of the plot there (tested in tests/test_optimizers.py)."""
    return HParam("lr", default, low, high, scale="log", symbol=r"\eta", help="learning rate: the step size")


def decay(name: str, default: float, symbol: str, help: str, low: float = 0.0, high: float = 0.9999) -> HParam:
    """A decay rate β in [0, 1), offered on the nines scale: 0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999, …"""
    return HParam(name, default, low, high, scale="nines", symbol=symbol, help=help)


MOMENTUM = decay("momentum", 0.9, r"\gamma", "momentum: the fraction of the last step kept")
BETA1 = decay("beta1", 0.9, r"\beta_1", "decay of the first-moment (mean) average")
BETA2 = decay("beta2", 0.999, r"\beta_2", "decay of the second-moment (squared) average", low=0.5)


def eps(default: float) -> HParam:
    return HParam("eps", default, 1e-12, 1.0, scale="log", symbol=r"\epsilon", help="added for numerical stability")


def rho(default: float) -> HParam:
    return decay("rho", default, r"\rho", "decay of the squared-gradient average")


@dataclass(frozen=True)
class OptimizerSpec:
    key: str
    name: str
    factory: Callable[..., opt.Optimizer]
    hparams: tuple[HParam, ...]
    rule: str  # LaTeX, one line per equation, joined with \\
    reference: str
    color: str

    @property
    def defaults(self) -> dict[str, float]:
        return {h.name: h.default for h in self.hparams}

    def hparam(self, name: str) -> HParam:
        for h in self.hparams:
            if h.name == name:
                return h
        raise KeyError(name)

    def build(self, **hparams: float) -> opt.Optimizer:
        """The optimizer with these hyperparameters (defaults for the rest)."""
        unknown = set(hparams) - set(self.defaults)
        if unknown:
            raise ValueError(
                f"{self.key} takes {', '.join(self.defaults)}; unknown hyperparameter(s): {', '.join(sorted(unknown))}"
            )
        return self.factory(**{**self.defaults, **{k: float(v) for k, v in hparams.items()}})


_ADAM_MOMENTS = r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t \\ v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\ "
_BIAS = r"\hat m_t = \frac{m_t}{1-\beta_1^t},\quad \hat v_t = \frac{v_t}{1-\beta_2^t} \\ "

OPTIMIZERS: dict[str, OptimizerSpec] = {
    s.key: s
    for s in (
        OptimizerSpec(
            "sgd",
            "Gradient descent (SGD)",
            opt.sgd,
            (lr(0.01),),
            r"\theta_t = \theta_{t-1} - \eta\, g_t",
            "Cauchy (1847); Robbins & Monro (1951), A Stochastic Approximation Method",
            "#1f77b4",
        ),
        OptimizerSpec(
            "momentum",
            "Momentum",
            opt.momentum,
            (lr(0.01), MOMENTUM),
            r"v_t = \gamma v_{t-1} + g_t \\ \theta_t = \theta_{t-1} - \eta\, v_t",
            "Polyak (1964), Some methods of speeding up the convergence of iteration methods",
            "#ff7f0e",
        ),
        OptimizerSpec(
            "nesterov",
            "Nesterov (NAG)",
            opt.nesterov,
            (lr(0.01), MOMENTUM),
            r"\tilde\theta_{t-1} = \theta_{t-1} - \eta\gamma\, v_{t-1} \\ "
            r"v_t = \gamma v_{t-1} + \nabla f(\tilde\theta_{t-1}) \\ "
            r"\theta_t = \tilde\theta_{t-1} - \eta\, \nabla f(\tilde\theta_{t-1})",
            "Nesterov (1983); Sutskever, Martens, Dahl & Hinton (2013), On the importance of "
            "initialization and momentum in deep learning",
            "#2ca02c",
        ),
        OptimizerSpec(
            "adagrad",
            "Adagrad",
            opt.adagrad,
            (lr(0.01), eps(1e-10)),
            r"G_t = G_{t-1} + g_t^2 \\ \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{G_t} + \epsilon}\, g_t",
            "Duchi, Hazan & Singer (2011), Adaptive Subgradient Methods for Online Learning and "
            "Stochastic Optimization, JMLR",
            "#d62728",
        ),
        OptimizerSpec(
            "rmsprop",
            "RMSProp",
            opt.rmsprop,
            (lr(0.01), rho(0.99), eps(1e-8)),
            r"E[g^2]_t = \rho\, E[g^2]_{t-1} + (1-\rho)\, g_t^2 \\ "
            r"\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{E[g^2]_t} + \epsilon}\, g_t",
            "Tieleman & Hinton (2012), Lecture 6e of Neural Networks for Machine Learning",
            "#9467bd",
        ),
        OptimizerSpec(
            "adadelta",
            "Adadelta",
            opt.adadelta,
            (lr(1.0, low=1e-4, high=1000.0), rho(0.9), eps(1e-6)),
            r"E[g^2]_t = \rho\, E[g^2]_{t-1} + (1-\rho)\, g_t^2 \\ "
            r"\Delta_t = \frac{\sqrt{E[\Delta^2]_{t-1} + \epsilon}}{\sqrt{E[g^2]_t + \epsilon}}\, g_t \\ "
            r"E[\Delta^2]_t = \rho\, E[\Delta^2]_{t-1} + (1-\rho)\, \Delta_t^2 \\ "
            r"\theta_t = \theta_{t-1} - \eta\, \Delta_t",
            "Zeiler (2012), ADADELTA: An Adaptive Learning Rate Method, arXiv:1212.5701",
            "#8c564b",
        ),
        OptimizerSpec(
            "adam",
            "Adam",
            opt.adam,
            (lr(0.001), BETA1, BETA2, eps(1e-8)),
            _ADAM_MOMENTS + _BIAS + r"\theta_t = \theta_{t-1} - \frac{\eta\, \hat m_t}{\sqrt{\hat v_t} + \epsilon}",
            "Kingma & Ba (2015), Adam: A Method for Stochastic Optimization, ICLR",
            "#e377c2",
        ),
        OptimizerSpec(
            "amsgrad",
            "AMSGrad",
            opt.amsgrad,
            (lr(0.001), BETA1, BETA2, eps(1e-8)),
            _ADAM_MOMENTS
            + r"v^{\max}_t = \max(v^{\max}_{t-1}, v_t) \\ "
            + r"\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t} "
            + r"\frac{m_t}{\sqrt{v^{\max}_t/(1-\beta_2^t)} + \epsilon}",
            "Reddi, Kale & Kumar (2018), On the Convergence of Adam and Beyond, ICLR",
            "#7f7f7f",
        ),
        OptimizerSpec(
            "adamax",
            "Adamax",
            opt.adamax,
            (lr(0.002), BETA1, BETA2, eps(1e-8)),
            r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t \\ u_t = \max(\beta_2 u_{t-1},\, |g_t| + \epsilon) \\ "
            r"\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t}",
            "Kingma & Ba (2015), Adam: A Method for Stochastic Optimization, ICLR, section 7.1",
            "#bcbd22",
        ),
        OptimizerSpec(
            "nadam",
            "Nadam",
            opt.nadam,
            (lr(0.002), BETA1, BETA2, eps(1e-8)),
            _ADAM_MOMENTS
            + _BIAS
            + r"\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t} + \epsilon}"
            + r"\left(\beta_1 \hat m_t + \frac{(1-\beta_1)\, g_t}{1-\beta_1^t}\right)",
            "Dozat (2016), Incorporating Nesterov Momentum into Adam, ICLR workshop; as written in "
            "Ruder (2016), An overview of gradient descent optimization algorithms",
            "#17becf",
        ),
    )
}

DEFAULT_SELECTION: tuple[str, ...] = ("sgd", "momentum", "nesterov", "rmsprop", "adam")


def get_spec(optimizer: str | OptimizerSpec) -> OptimizerSpec:
    if isinstance(optimizer, OptimizerSpec):
        return optimizer
    try:
        return OPTIMIZERS[optimizer]
    except KeyError:
        raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZERS)}") from None


@dataclass(frozen=True)
class Preset:
    """Per surface: a start, a number of steps and hyperparameters under which every optimizer
    shows its character. `hparams` holds overrides of the registry defaults."""

    start: tuple[float, float]
    steps: int
    hparams: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def hparams_for(self, key: str) -> dict[str, float]:
        return {**get_spec(key).defaults, **self.hparams.get(key, {})}
