r"""The optimizer registry: what the app, the command line and the tests read.

Add an optimizer: write its factory in `optimizers.py` (an (init, update) pair) and add one
`OptimizerSpec` to `OPTIMIZERS` below. Its sliders, its LaTeX card, its colour, its share-link
parameters and its tests all come from that entry. If the defaults do not show its character on
some surface, add a per-surface override in `optviz/core/presets.py` (optional: without one, the
registry defaults are used).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from . import explain as ex
from . import optimizers as opt
from .palette import PALETTE
from .scales import Number


@dataclass(frozen=True)
class HParam:
    """One hyperparameter: its default, the range a person may choose from, how to show it.

    `scale` says how its slider walks the range (see `optviz/core/scales.py`): "log" for learning
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
    integer: bool = False  # whole numbers only (a switch: 0 off, 1 on); a link's fraction is rounded

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"a hyperparameter's name must be an identifier, got {self.name!r}")
        if not self.number.contains(self.default):
            raise ValueError(f"{self.name}: default {self.default} outside [{self.low}, {self.high}]")

    @property
    def number(self) -> Number:
        return Number(self.low, self.high, self.scale, self.step if self.scale == "linear" else 0.0, self.integer)

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
    steps are bounded by about lr, jump out of the plot there (tested in tests/core/test_optimizers.py)."""
    return HParam("lr", default, low, high, scale="log", symbol=r"\eta", help="learning rate: the step size")


def decay(name: str, default: float, symbol: str, help: str, low: float = 0.0, high: float = 0.9999) -> HParam:
    """A decay rate β in [0, 1), offered on the nines scale: 0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999, …"""
    return HParam(name, default, low, high, scale="nines", symbol=symbol, help=help)


MOMENTUM = decay("momentum", 0.9, r"\gamma", "momentum: the fraction of the last step kept")
BETA1 = decay("beta1", 0.9, r"\beta_1", "decay of the first-moment (mean) average")
BETA2 = decay("beta2", 0.999, r"\beta_2", "decay of the second-moment (squared) average", low=0.5)


def switch(name: str, symbol: str, help: str) -> HParam:
    """An on/off option as a number, 1 (on, the default) or 0 (off): it keeps the sliders, the links,
    the sweeps and the per-start values that every hyperparameter has."""
    return HParam(name, 1, 0, 1, symbol=symbol, help=help, step=1, integer=True)


BIAS_CORRECTION = switch("bias_correction", r"b",
                         "bias correction, 1 on (Adam as published), 0 off: the averages m and v start at 0, "
                         "and without dividing by 1 − βᵗ the first steps are too short or too long")
L2 = HParam("weight_decay", 0.0, 0.0, 1.0, symbol=r"\lambda",
            help="L2 in the gradient (torch's Adam weight_decay): g + λθ enters m and v, so the adaptive step "
            "rescales the decay too (AdamW's decay is not)")


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
    # How one step's update splits into named parts, for the step inspector (`optviz.inspector`):
    # explain(StepData) -> Explanation, see `optviz/core/explain.py`. None: one part, "update".
    explain: Callable[[ex.StepData], ex.Explanation] | None = None
    # The second cue beside the colour (`optviz/plot/styles.py`): a plotly dash name. Entries that share
    # a dash have different colours (tested), so any two optimizers differ in one or the other.
    dash: str = "solid"

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
# The Adam family's switch b: 1 divides by 1 - β^t, 0 leaves the averages as they are.
_BIAS_SWITCH = r"\hat m_t = \frac{m_t}{1-b\,\beta_1^t},\quad \hat v_t = \frac{v_t}{1-b\,\beta_2^t} \\ "
_L2_GRADIENT = r"g_t = \nabla f(\theta_{t-1}) + \lambda\, \theta_{t-1} \\ "

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
            PALETTE["black"],
            explain=ex.sgd,
        ),
        OptimizerSpec(
            "momentum",
            "Momentum",
            opt.momentum,
            (lr(0.01), MOMENTUM),
            r"v_t = \gamma v_{t-1} + g_t \\ \theta_t = \theta_{t-1} - \eta\, v_t",
            "Polyak (1964), Some methods of speeding up the convergence of iteration methods",
            PALETTE["orange"],
            explain=ex.momentum,
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
            PALETTE["sky_blue"],
            explain=ex.nesterov,
        ),
        OptimizerSpec(
            "adagrad",
            "Adagrad",
            opt.adagrad,
            (lr(0.01), eps(1e-10)),
            r"G_t = G_{t-1} + g_t^2 \\ \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{G_t} + \epsilon}\, g_t",
            "Duchi, Hazan & Singer (2011), Adaptive Subgradient Methods for Online Learning and "
            "Stochastic Optimization, JMLR",
            PALETTE["grey"],
            explain=ex.adagrad,
        ),
        OptimizerSpec(
            "rmsprop",
            "RMSProp",
            opt.rmsprop,
            (lr(0.01), rho(0.99), eps(1e-8)),
            r"E[g^2]_t = \rho\, E[g^2]_{t-1} + (1-\rho)\, g_t^2 \\ "
            r"\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{E[g^2]_t} + \epsilon}\, g_t",
            "Tieleman & Hinton (2012), Lecture 6e of Neural Networks for Machine Learning",
            PALETTE["green"],
            explain=ex.rmsprop,
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
            PALETTE["purple"],
            explain=ex.adadelta,
            dash="dash",
        ),
        OptimizerSpec(
            "adam",
            "Adam",
            opt.adam,
            (lr(0.001), BETA1, BETA2, eps(1e-8), L2, BIAS_CORRECTION),
            _L2_GRADIENT + _ADAM_MOMENTS + _BIAS_SWITCH
            + r"\theta_t = \theta_{t-1} - \frac{\eta\, \hat m_t}{\sqrt{\hat v_t} + \epsilon}",
            "Kingma & Ba (2015), Adam: A Method for Stochastic Optimization, ICLR",
            PALETTE["purple"],
            explain=ex.adam,
        ),
        OptimizerSpec(
            "amsgrad",
            "AMSGrad",
            opt.amsgrad,
            (lr(0.001), BETA1, BETA2, eps(1e-8), L2, BIAS_CORRECTION),
            _L2_GRADIENT
            + _ADAM_MOMENTS
            + r"v^{\max}_t = \max(v^{\max}_{t-1}, v_t) \\ "
            + r"\theta_t = \theta_{t-1} - \frac{\eta}{1-b\,\beta_1^t} "
            + r"\frac{m_t}{\sqrt{v^{\max}_t/(1-b\,\beta_2^t)} + \epsilon}",
            "Reddi, Kale & Kumar (2018), On the Convergence of Adam and Beyond, ICLR",
            PALETTE["sky_blue"],
            explain=ex.amsgrad,
            dash="dash",
        ),
        OptimizerSpec(
            "adamax",
            "Adamax",
            opt.adamax,
            (lr(0.002), BETA1, BETA2, eps(1e-8), BIAS_CORRECTION),
            r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t \\ u_t = \max(\beta_2 u_{t-1},\, |g_t| + \epsilon) \\ "
            r"\theta_t = \theta_{t-1} - \frac{\eta}{1-b\,\beta_1^t}\, \frac{m_t}{u_t}",
            "Kingma & Ba (2015), Adam: A Method for Stochastic Optimization, ICLR, section 7.1",
            PALETTE["grey"],
            explain=ex.adamax,
            dash="dash",
        ),
        OptimizerSpec(
            "nadam",
            "Nadam",
            opt.nadam,
            (lr(0.002), BETA1, BETA2, eps(1e-8), BIAS_CORRECTION),
            _ADAM_MOMENTS
            + _BIAS_SWITCH
            + r"\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t} + \epsilon}"
            + r"\left(\beta_1 \hat m_t + \frac{(1-\beta_1)\, g_t}{1-b\,\beta_1^t}\right)",
            "Dozat (2016), Incorporating Nesterov Momentum into Adam, ICLR workshop; as written in "
            "Ruder (2016), An overview of gradient descent optimization algorithms",
            PALETTE["orange"],
            explain=ex.nadam,
            dash="dash",
        ),
        OptimizerSpec(
            "adamw",
            "AdamW",
            opt.adamw,
            (lr(0.001), BETA1, BETA2, eps(1e-8),
             HParam("weight_decay", 0.01, 0.0, 1.0, symbol=r"\lambda",
                    help="decoupled weight decay: each step shrinks the parameters by the fraction lr × λ"),
             BIAS_CORRECTION),
            _ADAM_MOMENTS + _BIAS_SWITCH
            + r"\theta_t = \theta_{t-1} - \eta\lambda\,\theta_{t-1} "
            + r"- \frac{\eta\, \hat m_t}{\sqrt{\hat v_t} + \epsilon}",
            "Loshchilov & Hutter (2019), Decoupled Weight Decay Regularization, ICLR",
            PALETTE["green"],
            explain=ex.adamw,
            dash="dash",
        ),
        OptimizerSpec(
            "radam",
            "RAdam",
            opt.radam,
            (lr(0.001), BETA1, BETA2, eps(1e-8)),
            _ADAM_MOMENTS
            + r"\rho_\infty = \tfrac{2}{1-\beta_2} - 1,\quad "
            + r"\rho_t = \rho_\infty - \tfrac{2t\beta_2^t}{1-\beta_2^t} \\ "
            + r"r_t = \sqrt{\tfrac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}} \\ "
            + r"\theta_t = \theta_{t-1} - \frac{\eta\, m_t}{1-\beta_1^t} \cdot "
            + r"\begin{cases} r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \epsilon} & \rho_t > 5 \\ 1 & \text{else}"
            + r"\end{cases}",
            "Liu, Jiang, He, Chen, Liu, Gao & Han (2020), On the Variance of the Adaptive Learning Rate and "
            "Beyond, ICLR",
            PALETTE["black"],
            explain=ex.radam,
            dash="dash",
        ),
        OptimizerSpec(
            "rprop",
            "Rprop",
            opt.rprop,
            (HParam("lr", 0.01, 1e-5, 10.0, scale="log", symbol=r"\Delta_0",
                    help="the first step size of every coordinate (torch's lr); later steps adapt it"),
             HParam("eta_minus", 0.5, 0.05, 0.95, symbol=r"\eta^-", step=0.01,
                    help="step-size factor after the gradient's sign flips (a minimum was jumped over)"),
             HParam("eta_plus", 1.2, 1.05, 3.0, symbol=r"\eta^+", step=0.01,
                    help="step-size factor while the gradient keeps its sign"),
             HParam("step_min", 1e-6, 1e-9, 1e-3, scale="log", symbol=r"\Delta_{\min}", help="smallest step size"),
             HParam("step_max", 50.0, 1e-2, 100.0, scale="log", symbol=r"\Delta_{\max}", help="largest step size")),
            r"\Delta_t = \mathrm{clip}_{[\Delta_{\min},\,\Delta_{\max}]}\!\begin{cases} \eta^+ \Delta_{t-1} & "
            r"g_t g_{t-1} > 0 \\ \eta^- \Delta_{t-1} & g_t g_{t-1} < 0 \\ \Delta_{t-1} & \text{else} \end{cases} \\ "
            r"g_t \leftarrow 0 \;\text{ where } g_t g_{t-1} < 0 \\ "
            r"\theta_t = \theta_{t-1} - \mathrm{sign}(g_t)\, \Delta_t",
            "Riedmiller & Braun (1993), A Direct Adaptive Method for Faster Backpropagation Learning: "
            "The RPROP Algorithm, IEEE ICNN",
            PALETTE["orange"],
            explain=ex.rprop,
            dash="dot",
        ),
        OptimizerSpec(
            "lion",
            "Lion",
            opt.lion,
            (lr(1e-4), BETA1,
             decay("beta2", 0.99, r"\beta_2", "decay of the momentum that is kept (the step uses β₁'s interpolation)",
                   low=0.5),
             HParam("weight_decay", 0.0, 0.0, 1.0, symbol=r"\lambda",
                    help="decoupled weight decay, times lr, as in AdamW")),
            r"c_t = \beta_1 m_{t-1} + (1-\beta_1) g_t \\ "
            r"\theta_t = \theta_{t-1} - \eta\, (\mathrm{sign}(c_t) + \lambda\, \theta_{t-1}) \\ "
            r"m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t",
            "Chen et al. (2023), Symbolic Discovery of Optimization Algorithms, NeurIPS",
            PALETTE["green"],
            explain=ex.lion,
            dash="dot",
        ),
        OptimizerSpec(
            "qhm",
            "QHM",
            opt.qhm,
            (lr(0.01),
             decay("momentum", 0.9, r"\beta", "decay of the momentum buffer, an average (not a sum) of the gradients"),
             HParam("nu", 0.7, 0.0, 1.0, symbol=r"\nu", step=0.01,
                    help="weight of the momentum buffer in the step: 0 is SGD, 1 is momentum")),
            r"b_t = \beta\, b_{t-1} + (1-\beta)\, g_t \\ "
            r"\theta_t = \theta_{t-1} - \eta\, [(1-\nu)\, g_t + \nu\, b_t]",
            "Ma & Yarats (2019), Quasi-hyperbolic momentum and Adam for deep learning, ICLR",
            PALETTE["sky_blue"],
            explain=ex.qhm,
            dash="dot",
        ),
        OptimizerSpec(
            "qhadam",
            "QHAdam",
            opt.qhadam,
            (lr(0.001), decay("beta1", 0.995, r"\beta_1", "decay of the first-moment (mean) average"),
             BETA2,
             HParam("nu1", 0.7, 0.0, 1.0, symbol=r"\nu_1", step=0.01,
                    help="weight of the mean average against the current gradient (1: Adam's numerator)"),
             HParam("nu2", 1.0, 0.0, 1.0, symbol=r"\nu_2", step=0.01,
                    help="weight of the squared average against the current squared gradient (1: Adam's)"),
             eps(1e-8)),
            _ADAM_MOMENTS + _BIAS
            + r"\theta_t = \theta_{t-1} - \eta\, \frac{(1-\nu_1)\, g_t + \nu_1 \hat m_t}"
            + r"{\sqrt{(1-\nu_2)\, g_t^2 + \nu_2 \hat v_t} + \epsilon}",
            "Ma & Yarats (2019), Quasi-hyperbolic momentum and Adam for deep learning, ICLR",
            PALETTE["black"],
            explain=ex.qhadam,
            dash="dot",
        ),
        OptimizerSpec(
            "signum",
            "Sign descent (signSGD/Signum)",
            opt.signum,
            (lr(0.01),
             decay("momentum", 0.0, r"\beta",
                   "decay of the gradient average whose sign is taken: 0 is signSGD, > 0 Signum")),
            r"m_t = \beta\, m_{t-1} + (1-\beta)\, g_t \\ \theta_t = \theta_{t-1} - \eta\, \mathrm{sign}(m_t)",
            "Bernstein, Wang, Azizzadenesheli & Anandkumar (2018), signSGD: Compressed Optimisation for "
            "Non-Convex Problems, ICML",
            PALETTE["purple"],
            explain=ex.signum,
            dash="dot",
        ),
        OptimizerSpec(
            "newton",
            "Newton's method",
            opt.newton,
            (lr(1.0, low=1e-3, high=10.0),
             HParam("damping", 0.0, 0.0, 10.0, symbol=r"\lambda", step=0.01,
                    help="added to the Hessian's diagonal: 0 is plain Newton (it goes to saddle points too), "
                    "large values make it gradient descent with step η/λ")),
            r"H_t = \nabla^2 f(\theta_{t-1}) \\ \theta_t = \theta_{t-1} - \eta\, (H_t + \lambda I)^{-1} g_t",
            "Newton (1669), Raphson (1690); damping: Levenberg (1944). Nocedal & Wright (2006), Numerical "
            "Optimization, ch. 3",
            PALETTE["grey"],
            explain=ex.newton,
            dash="dot",
        ),
        OptimizerSpec(
            "lbfgs",
            "L-BFGS",
            opt.lbfgs,
            (lr(1.0, low=1e-3, high=10.0),
             HParam("history_size", 10, 1, 100, symbol="m", step=1,
                    help="how many recent (step, gradient change) pairs approximate the inverse Hessian")),
            r"s_i = \theta_{i+1} - \theta_i,\quad y_i = g_{i+1} - g_i \quad (\text{the last } m) \\ "
            r"d_t = -H_t\, g_t \;\text{(two-loop recursion, } H^0_t = \tfrac{s^\top y}{y^\top y} I) \\ "
            r"\theta_t = \theta_{t-1} + \eta\, d_t \quad (\text{first step: } d = -g,\ "
            r"\eta \min(1, 1/\lVert g\rVert_1))",
            "Nocedal (1980), Updating Quasi-Newton Matrices with Limited Storage; Liu & Nocedal (1989), On the "
            "limited memory BFGS method for large scale optimization",
            PALETTE["black"],
            explain=ex.lbfgs,
            dash="dashdot",
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
