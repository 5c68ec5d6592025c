"""Per-surface presets: a start, a number of steps and the learning rates under which all optimizers,
run side by side, each show their character, and what each run must show (`EXPECT`).

Chosen by scanning the "nice" learning rates (1, 2, 3, 5 x 10^k) per surface and optimizer
(noise=0), then picking by judgement: on bowl and beale every optimizer converges by 80% of the
steps, and every one but plain GD on beale keeps converging at 0.8x and 1.25x its lr; momentum or
rho is overridden only where lr alone cannot do it (noted below).

Lessons: bowl, the baseline; beale, steep walls and a flat bent floor; saddle, who escapes and how
fast (plain GD crawls to the saddle point); ravine, GD zig-zags, momentum swings across in slow arcs
yet arrives in half the steps, adaptive methods rescale the axes; two_minima, momentum carries over
the flat ridge into the global minimum, the others settle in the near one; himmelblau, gradient
methods and sign-like adaptive methods end in different minima; mse, comparable speeds, so that
mini-batch noise shows; rosenbrock, the curved valley (within 500 steps only momentum reaches
(1, 1)).

Every claim here and in the surfaces' descriptions is a test (tests/core/test_presets.py): the outcomes
in `EXPECT` for each run, the rest (zig-zags, first steps, robustness) as named tests. Outcomes
follow `optviz.engine.CONVERGENCE_RULE`. A claim that no longer holds fails there: change the
preset or the words, never the test alone.
"""

from typing import NamedTuple

from .engine import CONVERGED, ESCAPED, NOT_YET
from .registry import Preset

PRESETS: dict[str, Preset] = {
    # Curvature 2 in both directions. Adadelta needs rho=0.99: with rho=0.9 it reaches the minimum, is
    # thrown out again (from step 171 on) and has not converged after 1000 steps.
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
    # Hessian at (3, 0.5): eigenvalues 49 and 0.3. Plain GD has no margin here: at lr=0.03 it diverges
    # from most of the domain (the walls are steep), from this start (below the valley) it converges
    # last of all, at step 375; at 1.25x (0.0375) it diverges and at 0.8x it is not converged within
    # 500 steps. RMSProp and Adadelta need rho=0.999: with rho=0.9 they settle into a cycle around the
    # minimum that is wider than the tolerance, with rho=0.99 they are thrown in and out of it; neither
    # has converged at step 500.
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
    # Adagrad, RMSProp and the Adam family rescale the tiny y-gradient and leave the plot along y within
    # 15-30 steps; Adadelta, whose steps grow only as its average of past steps fills, at about step 47;
    # momentum and Nesterov overshoot the saddle point (x changes sign) and leave at about step 55;
    # plain GD crawls to within 0.2 of the saddle point and only starts to turn away.
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
    # Curvatures 0.2 (x, along the ravine) and 4 (y, across it). GD's lr is capped by the stiff y axis
    # (it diverges above 0.5): at lr=0.4 (1 - 4 lr = -0.6) its y-step reverses at ten steps in a row,
    # a zig-zag across the ravine, and then it crawls along x (factor 1 - 0.2 lr = 0.92 a step),
    # converging at step 73. Momentum with lr=0.2 and momentum=0.7 swings across in slow arcs (its
    # y-step reverses at steps 3, 6, ..., 18, never two in a row; each arc 0.6 of the one before) while
    # its x-steps add up: it converges in half GD's steps (36). No heavy-ball setting converges before
    # step 60 from this start without crossing the floor at least three times. Nesterov with the same
    # settings brakes: one overshoot of 0.14, converged at step 26. x never runs back by more than 1 %
    # of the plot. (With the old lr=0.02 they were slower than GD.) The adaptive methods' first step
    # is diagonal: they rescale each axis.
    "ravine": Preset(
        start=(-5.0, -2.0),
        steps=250,
        hparams={
            "sgd": {"lr": 0.4},
            "momentum": {"lr": 0.2, "momentum": 0.7},
            "nesterov": {"lr": 0.2, "momentum": 0.7},
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
    # -3.28). The adaptive methods first step diagonally, as sign descent would, and reach (-2.81, 3.13).
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
    # The surface's own start. With the full batch every optimizer converges between steps 110 and 175;
    # with batch_size=1 they jitter around the optimum (none diverges, none converges, and over the last
    # 50 steps they stay on average within a third of the start's distance).
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
    # Hessian at (1, 1): eigenvalues 1002 and 0.4 (condition number 2500). Every optimizer reaches the
    # valley floor within 10 steps; within 500 steps only momentum then follows it to the minimum, with
    # momentum=0.95 (step 364). Nesterov uses the same settings so the two compare; it ends about 0.02
    # from (1, 1). GD diverges from lr=0.0022 on and at lr=0.001 crawls along the floor. The adaptive
    # methods end in the valley, 0.2 to 2 from the minimum.
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


class Expect(NamedTuple):
    """What one optimizer's run with a surface's preset must show (checked by tests/core/test_presets.py).

    `outcome` is one of `optviz.engine.OUTCOMES`; `minimum` the index into the surface's `minima`
    that the run ends nearest to; `at` bounds the step (inclusive) it converged at, or escaped at
    for "escaped"; `distance` bounds the final distance to the nearest minimum.
    """

    outcome: str
    minimum: int | None = None
    at: tuple[int, int] | None = None
    distance: tuple[float, float] | None = None


_GRADIENT = ("sgd", "momentum", "nesterov")
_ADAPTIVE = ("adagrad", "rmsprop", "adadelta", "adam", "amsgrad", "adamax", "nadam")
_ADAM_FAMILY = ("adam", "amsgrad", "adamax", "nadam")


def _each(keys, expect: Expect) -> dict[str, Expect]:
    return dict.fromkeys(keys, expect)


EXPECT: dict[str, dict[str, Expect]] = {
    # "the baseline every method should solve", each by 80 % of the steps.
    "bowl": _each(_GRADIENT + _ADAPTIVE, Expect(CONVERGED, minimum=0, at=(1, 160))),
    # Every one by 80 % of the steps; plain GD last, at step 375.
    "beale": {
        **_each(_GRADIENT[1:] + _ADAPTIVE, Expect(CONVERGED, minimum=0, at=(1, 400))),
        "sgd": Expect(CONVERGED, minimum=0, at=(365, 385)),
    },
    "saddle": {
        "sgd": Expect(NOT_YET),  # crawls to the saddle point
        **_each(("momentum", "nesterov"), Expect(ESCAPED, at=(50, 60))),
        **_each(("adagrad", "rmsprop", *_ADAM_FAMILY), Expect(ESCAPED, at=(15, 30))),
        "adadelta": Expect(ESCAPED, at=(42, 52)),
    },
    "ravine": {
        "sgd": Expect(CONVERGED, minimum=0, at=(70, 76)),
        "momentum": Expect(CONVERGED, minimum=0, at=(30, 40)),  # about half GD's steps
        "nesterov": Expect(CONVERGED, minimum=0, at=(20, 30)),
        **_each(_ADAPTIVE, Expect(CONVERGED, minimum=0)),
    },
    "two_minima": {
        **_each(("momentum", "nesterov"), Expect(CONVERGED, minimum=0)),  # over the ridge: global
        **_each(("sgd", *_ADAPTIVE), Expect(CONVERGED, minimum=1)),  # the near, local one
    },
    "himmelblau": {
        **_each(_GRADIENT, Expect(CONVERGED, minimum=2)),  # (-3.78, -3.28)
        **_each(_ADAPTIVE, Expect(CONVERGED, minimum=1)),  # (-2.81, 3.13)
    },
    # Comparable speeds with the full batch.
    "mse": _each(_GRADIENT + _ADAPTIVE, Expect(CONVERGED, minimum=0, at=(110, 175))),
    "rosenbrock": {
        "momentum": Expect(CONVERGED, minimum=0, at=(355, 370)),
        "nesterov": Expect(NOT_YET, distance=(0.01, 0.03)),  # about 0.02 from (1, 1)
        "sgd": Expect(NOT_YET, distance=(1.5, 2.5)),  # crawls along the floor
        **_each(_ADAPTIVE, Expect(NOT_YET, distance=(0.2, 2.0))),
    },
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
