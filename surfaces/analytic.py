"""The classic closed-form test surfaces, each with its analytic gradient."""

from __future__ import annotations

import numpy as np

from .base import Minimum, Surface, pack, pack_hessian


def _xy(p):
    if type(p) is not np.ndarray or p.dtype != np.float64:
        p = np.asarray(p, dtype=float)
    if p.ndim == 1:  # one point: numpy scalars, far cheaper than 0-d arrays in what follows
        return p[0], p[1]
    return p[..., 0], p[..., 1]


def _constant(x, value: float):
    """A constant Hessian entry, shaped like one coordinate of the points."""
    return np.full(np.shape(x), value)


# --- saddle: x^2 - y^2 ---------------------------------------------------------------------


def _saddle_f(p):
    x, y = _xy(p)
    return x * x - y * y


def _saddle_grad(p):
    x, y = _xy(p)
    return pack(2.0 * x, -2.0 * y)


def _saddle_hessian(p):
    x, _ = _xy(p)
    return pack_hessian(_constant(x, 2.0), _constant(x, 0.0), _constant(x, -2.0))


SADDLE = Surface(
    key="saddle",
    title="Saddle x² − y²",
    f=_saddle_f,
    grad=_saddle_grad,
    hessian=_saddle_hessian,
    domain=((-2.0, 2.0), (-2.0, 2.0)),
    minima=(),
    f_min=None,
    latex=r"f(x, y) = x^2 - y^2",
    start=(-1.8, 0.01),
    description="Unbounded below. The origin is a saddle point: a start near y = 0 crawls "
    "towards it, and the lesson is how fast each method escapes along y.",
)


# --- bowl: x^2 + y^2 -----------------------------------------------------------------------


def _bowl_f(p):
    x, y = _xy(p)
    return x * x + y * y


def _bowl_grad(p):
    x, y = _xy(p)
    return pack(2.0 * x, 2.0 * y)


def _bowl_hessian(p):
    x, _ = _xy(p)
    return pack_hessian(_constant(x, 2.0), _constant(x, 0.0), _constant(x, 2.0))


BOWL = Surface(
    key="bowl",
    title="Bowl x² + y²",
    f=_bowl_f,
    grad=_bowl_grad,
    hessian=_bowl_hessian,
    domain=((-3.0, 3.0), (-3.0, 3.0)),
    minima=(Minimum(0.0, 0.0, 0.0),),
    f_min=0.0,
    latex=r"f(x, y) = x^2 + y^2",
    start=(-2.5, 2.0),
    description="A perfectly conditioned quadratic: the baseline every method should solve.",
)


# --- ravine: an ill-conditioned quadratic --------------------------------------------------


def _ravine_f(p):
    x, y = _xy(p)
    return 0.1 * x * x + 2.0 * y * y


def _ravine_grad(p):
    x, y = _xy(p)
    return pack(0.2 * x, 4.0 * y)


def _ravine_hessian(p):
    x, _ = _xy(p)
    return pack_hessian(_constant(x, 0.2), _constant(x, 0.0), _constant(x, 4.0))


RAVINE = Surface(
    key="ravine",
    title="Ravine 0.1x² + 2y²",
    f=_ravine_f,
    grad=_ravine_grad,
    hessian=_ravine_hessian,
    domain=((-6.0, 6.0), (-3.0, 3.0)),
    minima=(Minimum(0.0, 0.0, 0.0),),
    f_min=0.0,
    latex=r"f(x, y) = 0.1\,x^2 + 2\,y^2",
    start=(-5.0, -2.0),
    description="Curvatures 0.2 and 4 (condition number 20): plain gradient descent zig-zags "
    "across the ravine, momentum swings across it in slow arcs yet arrives in half the steps, Nesterov "
    "brakes its swings, adaptive methods rescale each axis.",
)


# --- Rosenbrock (a=1, b=100) ---------------------------------------------------------------


def _rosenbrock_f(p):
    x, y = _xy(p)
    q, r = 1.0 - x, y - x * x
    return q * q + 100.0 * (r * r)


def _rosenbrock_grad(p):
    x, y = _xy(p)
    r = y - x * x
    return pack(-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r)


def _rosenbrock_value_and_grad(p):
    x, y = _xy(p)
    r = y - x * x
    q = 1.0 - x
    return q * q + 100.0 * (r * r), pack(-2.0 * q - 400.0 * x * r, 200.0 * r)


def _rosenbrock_hessian(p):
    x, y = _xy(p)
    return pack_hessian(2.0 - 400.0 * (y - x * x) + 800.0 * x * x, -400.0 * x, _constant(x, 200.0))


ROSENBROCK = Surface(
    key="rosenbrock",
    title="Rosenbrock (a=1, b=100)",
    f=_rosenbrock_f,
    grad=_rosenbrock_grad,
    hessian=_rosenbrock_hessian,
    value_and_grad=_rosenbrock_value_and_grad,
    domain=((-2.0, 2.0), (-1.0, 3.0)),
    minima=(Minimum(1.0, 1.0, 0.0),),
    f_min=0.0,
    latex=r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
    start=(-1.5, 2.0),
    log_z=True,
    description="A curved, flat-bottomed valley: finding it is easy, following it to (1, 1) is not.",
)


# --- Beale ---------------------------------------------------------------------------------


def _beale_terms(p):
    # a = 1.5 - x + xy written as x (y - 1) + 1.5, so that y - 1, y² - 1, y³ - 1 serve both the
    # terms and the gradient (fewer array operations when thousands of starts run at once).
    x, y = _xy(p)
    y2 = y * y
    u1, u2, u3 = y - 1.0, y2 - 1.0, y2 * y - 1.0
    return x, y, y2, u1, u2, u3, x * u1 + 1.5, x * u2 + 2.25, x * u3 + 2.625


def _beale_f(p):
    *_, a, b, c = _beale_terms(p)
    return a * a + b * b + c * c


def _beale_grad_from(x, y, y2, u1, u2, u3, a, b, c):
    gx = 2.0 * (a * u1 + b * u2 + c * u3)
    gy = (2.0 * x) * (a + (2.0 * y) * b + (3.0 * y2) * c)
    return pack(gx, gy)


def _beale_grad(p):
    return _beale_grad_from(*_beale_terms(p))


def _beale_value_and_grad(p):
    terms = _beale_terms(p)
    a, b, c = terms[-3:]
    return a * a + b * b + c * c, _beale_grad_from(*terms)


def _beale_hessian(p):
    # f = a² + b² + c² with a_x = y - 1, a_y = x, b_x = y² - 1, b_y = 2xy, c_x = y³ - 1, c_y = 3xy²;
    # second derivatives: a_xy = 1, b_xy = 2y, b_yy = 2x, c_xy = 3y², c_yy = 6xy, the rest 0.
    x, y, y2, u1, u2, u3, a, b, c = _beale_terms(p)
    hxx = 2.0 * (u1 * u1 + u2 * u2 + u3 * u3)
    hxy = 2.0 * (x * u1 + a + (2.0 * x * y) * u2 + (2.0 * y) * b + (3.0 * x * y2) * u3 + (3.0 * y2) * c)
    hyy = 2.0 * (x * x * (1.0 + 4.0 * y2 + 9.0 * y2 * y2) + (2.0 * x) * b + (6.0 * x * y) * c)
    return pack_hessian(hxx, hxy, hyy)


BEALE = Surface(
    key="beale",
    title="Beale",
    f=_beale_f,
    grad=_beale_grad,
    hessian=_beale_hessian,
    value_and_grad=_beale_value_and_grad,
    domain=((-4.5, 4.5), (-4.5, 4.5)),
    minima=(Minimum(3.0, 0.5, 0.0),),
    f_min=0.0,
    latex=r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
    start=(1.0, 1.5),
    log_z=True,
    description="Sharp walls and a flat, bent floor; values span many orders of magnitude.",
)


# --- Himmelblau ----------------------------------------------------------------------------


def _himmelblau_f(p):
    x, y = _xy(p)
    a, b = x * x + y - 11.0, x + y * y - 7.0
    return a * a + b * b


def _himmelblau_grad(p):
    x, y = _xy(p)
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return pack(4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b)


def _himmelblau_value_and_grad(p):
    x, y = _xy(p)
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return a * a + b * b, pack(4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b)


def _himmelblau_hessian(p):
    x, y = _xy(p)
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return pack_hessian(4.0 * a + 8.0 * x * x + 2.0, 4.0 * (x + y), 4.0 * b + 8.0 * y * y + 2.0)


HIMMELBLAU = Surface(
    key="himmelblau",
    title="Himmelblau (four minima)",
    f=_himmelblau_f,
    grad=_himmelblau_grad,
    hessian=_himmelblau_hessian,
    value_and_grad=_himmelblau_value_and_grad,
    domain=((-5.0, 5.0), (-5.0, 5.0)),
    minima=(
        Minimum(3.0, 2.0, 0.0),
        Minimum(-2.805118086952745, 3.131312518250573, 0.0),
        Minimum(-3.779310253377747, -3.283185991286170, 0.0),
        Minimum(3.584428340330492, -1.848126526964404, 0.0),
    ),
    f_min=0.0,
    latex=r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    start=(-0.5, -0.5),
    log_z=True,
    description="Four equal minima: which one a method reaches depends on its start and its dynamics.",
)


# --- two minima with a plateau between them ------------------------------------------------
# g'(x) = (x + 2)(x - 1/2)^3 (x - 5/2) / 10: minima at x = -2 (global) and x = 5/2 (local);
# the cubed factor makes the ridge at x = 1/2 flat, so slow methods stall on it.
# g is that derivative integrated from 0 (Horner form of its exact coefficients).
_G = (0.0, 1 / 16, -59 / 320, 7 / 30, -7 / 80, -1 / 25, 1 / 60)


def _two_minima_g(x):
    acc = _G[-1]
    for c in _G[-2::-1]:
        acc = acc * x + c
    return acc


def _two_minima_f(p):
    x, y = _xy(p)
    return _two_minima_g(x) + 0.5 * y * y


def _two_minima_grad(p):
    x, y = _xy(p)
    h = x - 0.5
    return pack(0.1 * (x + 2.0) * h * h * h * (x - 2.5), y)


def _two_minima_hessian(p):
    # g''(x): the product rule on (x + 2)(x - 1/2)^3 (x - 5/2) / 10.
    x, _ = _xy(p)
    h = x - 0.5
    gxx = 0.1 * (h * h * h * (x - 2.5) + 3.0 * (x + 2.0) * h * h * (x - 2.5) + (x + 2.0) * h * h * h)
    return pack_hessian(gxx, _constant(x, 0.0), _constant(x, 1.0))


TWO_MINIMA = Surface(
    key="two_minima",
    title="Two minima and a plateau",
    f=_two_minima_f,
    grad=_two_minima_grad,
    hessian=_two_minima_hessian,
    domain=((-3.5, 4.0), (-2.0, 2.0)),
    minima=(Minimum(-2.0, 0.0, -1.7825), Minimum(2.5, 0.0, -0.60546875, is_global=False)),
    f_min=-1.7825,
    latex=r"f(x, y) = g(x) + \tfrac12 y^2,\quad g'(x) = \tfrac{1}{10}(x + 2)\,(x - \tfrac12)^3\,(x - \tfrac52),"
    r"\quad g(0) = 0",
    start=(3.7, 1.5),
    description="A local minimum at (2.5, 0), the global one at (−2, 0), and a flat ridge at x = ½ "
    "between them: who gets over the plateau, and who settles for the nearer valley?",
)
