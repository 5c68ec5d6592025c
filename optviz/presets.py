"""Per-surface presets: a start, a number of steps and the learning rates under which all optimizers,
run side by side, each show their character.

Chosen by scanning the "nice" learning rates (1, 2, 3, 5 x 10^k) per surface and optimizer
(noise=0), then picking by judgement: on bowl and beale every optimizer converges by about 80% of
the steps and keeps converging at 0.8x and 1.25x its lr; momentum or rho is overridden only where lr
alone cannot do it (noted below).

Lessons: bowl, the baseline; beale, steep walls and a flat bent floor; saddle, who escapes and how
fast (plain GD crawls to the saddle point); ravine, GD zig-zags, momentum rolls, adaptive methods
rescale the axes; two_minima, momentum carries over the flat ridge into the global minimum, the
others settle in the near one; himmelblau, gradient methods and sign-like adaptive methods end in
different minima; mse, comparable speeds, so that mini-batch noise shows; rosenbrock, the curved
valley (within 500 steps only momentum reaches (1, 1)).
"""

from .registry import Preset

PRESETS: dict[str, Preset] = {
    # Curvature 2 in both directions. Adadelta needs rho=0.99: with rho=0.9 it circles the minimum for
    # hundreds of steps.
    "bowl": Preset(
        start=(-2.5, 2.0),
        steps=200,
        hparams={
            "sgd": {"lr": 0.1},
            "momentum": {"lr": 0.01},
            "nesterov": {"lr": 0.01},
            "adagrad": {"lr": 0.5},
            "rmsprop": {"lr": 0.05},
            "adadelta": {"lr": 20.0, "rho": 0.99},
            "adam": {"lr": 0.1},
            "amsgrad": {"lr": 0.1},
            "adamax": {"lr": 0.1},
            "nadam": {"lr": 0.1},
        },
    ),
    # Hessian at (3, 0.5): eigenvalues 49 and 0.3. GD is stable only for lr < 0.04 and then needs about
    # 400 steps
    # along the floor from any start, so this preset takes 500 steps. The start sits below the valley,
    # where plain GD
    # converges earliest (step 375). RMSProp and Adadelta need rho=0.999: with a shorter memory they
    # settle into a
    # cycle around the minimum whose size grows with lr (about lr/2), which is wider than the tolerance.
    "beale": Preset(
        start=(3.0, -0.75),
        steps=500,
        hparams={
            "sgd": {"lr": 0.03},
            "momentum": {"lr": 0.01},
            "nesterov": {"lr": 0.01},
            "adagrad": {"lr": 1.0},
            "rmsprop": {"lr": 0.03, "rho": 0.999},
            "adadelta": {"lr": 30.0, "rho": 0.999},
            "adam": {"lr": 0.2},
            "amsgrad": {"lr": 0.2},
            "adamax": {"lr": 1.0},
            "nadam": {"lr": 0.2},
        },
    ),
    # The adaptive methods rescale the tiny y-gradient and leave the plot within about 15-30 steps;
    # momentum and Nesterov
    # overshoot the saddle point and leave at about step 55; plain GD crawls to the saddle point and
    # only starts to turn away.
    "saddle": Preset(
        start=(-1.8, 0.01),
        steps=200,
        hparams={
            "sgd": {"lr": 0.01},
            "momentum": {"lr": 0.01},
            "nesterov": {"lr": 0.01},
            "adagrad": {"lr": 0.2},
            "rmsprop": {"lr": 0.02},
            "adadelta": {"lr": 1.0},
            "adam": {"lr": 0.1},
            "amsgrad": {"lr": 0.1},
            "adamax": {"lr": 0.1},
            "nadam": {"lr": 0.1},
        },
    ),
    # Curvatures 0.2 and 4. GD at lr=0.4 (1 - 4*lr = -0.6) zig-zags across the ravine for about ten
    # steps: lr=0.3 would
    # bounce only twice and lr=0.5 would bounce forever. This is the only lr here that is not 1, 2, 3 or
    # 5 x 10^k.
    "ravine": Preset(
        start=(-5.0, -2.0),
        steps=250,
        hparams={
            "sgd": {"lr": 0.4},
            "momentum": {"lr": 0.02},
            "nesterov": {"lr": 0.02},
            "adagrad": {"lr": 1.0},
            "rmsprop": {"lr": 0.1},
            "adadelta": {"lr": 30.0, "rho": 0.99},
            "adam": {"lr": 0.1},
            "amsgrad": {"lr": 0.1},
            "adamax": {"lr": 0.2},
            "nadam": {"lr": 0.1},
        },
    ),
    # Momentum and Nesterov carry over the ridge at x = 1/2 into (-2, 0); all the others settle in (2.5, 0).
    "two_minima": Preset(
        start=(3.7, 1.5),
        steps=250,
        hparams={
            "sgd": {"lr": 0.1},
            "momentum": {"lr": 0.02},
            "nesterov": {"lr": 0.02},
            "adagrad": {"lr": 0.5},
            "rmsprop": {"lr": 0.05},
            "adadelta": {"lr": 5.0},
            "adam": {"lr": 0.1},
            "amsgrad": {"lr": 0.1},
            "adamax": {"lr": 0.1},
            "nadam": {"lr": 0.1},
        },
    ),
    # From a start near the central hill, GD, momentum and Nesterov follow the gradient to (-3.78,
    # -3.28). The adaptive
    # methods first step diagonally, as sign descent would, and reach (-2.81, 3.13).
    "himmelblau": Preset(
        start=(-0.5, -0.75),
        steps=200,
        hparams={
            "sgd": {"lr": 0.01},
            "momentum": {"lr": 0.002},
            "nesterov": {"lr": 0.002},
            "adagrad": {"lr": 0.5},
            "rmsprop": {"lr": 0.05},
            "adadelta": {"lr": 3.0},
            "adam": {"lr": 0.1},
            "amsgrad": {"lr": 0.1},
            "adamax": {"lr": 0.1},
            "nadam": {"lr": 0.1},
        },
    ),
    # The surface's own start. With the full batch every optimizer converges between steps 115 and 175; with
    # batch_size=1 they jitter around the optimum (none diverges).
    "mse": Preset(
        start=(-1.0952312471220618, 1.1952511287762175),
        steps=250,
        hparams={
            "sgd": {"lr": 0.1},
            "momentum": {"lr": 0.01},
            "nesterov": {"lr": 0.01},
            "adagrad": {"lr": 1.0},
            "rmsprop": {"lr": 0.05},
            "adadelta": {"lr": 50.0, "rho": 0.99},
            "adam": {"lr": 0.2},
            "amsgrad": {"lr": 0.2},
            "adamax": {"lr": 0.5},
            "nadam": {"lr": 0.2},
        },
    ),
    # Hessian at (1, 1): eigenvalues 1002 and 0.4 (condition number 2500). Within 500 steps only
    # momentum can reach the
    # minimum, with momentum=0.95 (step 364). Nesterov uses the same settings so the two compare; it
    # ends about 0.02
    # from (1, 1). GD is stable only for lr < 0.002 and then crawls along the floor. The adaptive
    # methods end in the
    # valley, 0.2 to 1.9 from the minimum.
    "rosenbrock": Preset(
        start=(-1.5, 2.0),
        steps=500,
        hparams={
            "sgd": {"lr": 0.001},
            "momentum": {"lr": 0.001, "momentum": 0.95},
            "nesterov": {"lr": 0.001, "momentum": 0.95},
            "adagrad": {"lr": 0.5},
            "rmsprop": {"lr": 0.02},
            "adadelta": {"lr": 5.0},
            "adam": {"lr": 0.1},
            "amsgrad": {"lr": 0.1},
            "adamax": {"lr": 0.2},
            "nadam": {"lr": 0.1},
        },
    ),
}


DEFAULT_STEPS = 200


def preset_for(surface_key: str) -> Preset:
    """The surface's preset; a surface without one gets its own start, 200 steps and the
    registry's defaults, so that adding a surface is one entry in `surfaces.SURFACES`."""
    from surfaces import SURFACES  # the surfaces package never imports optviz; this direction is fine

    preset = PRESETS.get(surface_key)
    if preset is not None:
        return preset
    return Preset(start=tuple(float(v) for v in SURFACES[surface_key].start), steps=DEFAULT_STEPS)
