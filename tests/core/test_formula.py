"""Typed formulas: values and gradients against hand-written numpy, refusals (security), minima."""

import builtins
import re
import time

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz import simulate
from optviz.analysis.minima import find_minima, with_minima
from surfaces import SURFACES
from surfaces.formula import (
    DEFAULT_DOMAIN,
    MAX_FORMULA_CHARS,
    FormulaError,
    compile_formula,
    formula_key,
    formula_latex,
    formula_surface,
    parse_formula,
    parse_range,
)

# (typed text, the same function written by hand in numpy, a domain where it is defined)
FORMULAS = [
    ("3*x**2 - 2*x*y + y**3 - 1", lambda x, y: 3 * x**2 - 2 * x * y + y**3 - 1, DEFAULT_DOMAIN),
    ("sin(x)*cos(y) + 0.1*x**2", lambda x, y: np.sin(x) * np.cos(y) + 0.1 * x**2, DEFAULT_DOMAIN),
    ("exp(-x**2 - y**2) + log(1 + x**2 + y**2)", lambda x, y: np.exp(-x * x - y * y) + np.log(1 + x * x + y * y),
     DEFAULT_DOMAIN),
    ("x**2 - y**2", lambda x, y: x * x - y * y, ((-2, 2), (-2, 2))),
    ("(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
     lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
     ((-4.5, 4.5), (-4.5, 4.5))),
    ("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", lambda x, y: (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
     ((-5, 5), (-5, 5))),
    ("sqrt(x**2 + y**2 + 1) + tanh(x*y) - atan(x) + cosh(y/3) - sinh(x/4)",
     lambda x, y: np.sqrt(x * x + y * y + 1) + np.tanh(x * y) - np.arctan(x) + np.cosh(y / 3) - np.sinh(x / 4),
     DEFAULT_DOMAIN),
    ("e**(x/2)*pi - 2^y + tan(x/3)", lambda x, y: np.exp(x / 2) * np.pi - 2.0**y + np.tan(x / 3), DEFAULT_DOMAIN),
    ("log10(x**2 + 1) + ln(y**2 + 2) + arcsin(x/4) + arccos(y/4)",
     lambda x, y: np.log10(x * x + 1) + np.log(y * y + 2) + np.arcsin(x / 4) + np.arccos(y / 4), DEFAULT_DOMAIN),
    ("x² − 3·y + π", lambda x, y: x * x - 3 * y + np.pi, DEFAULT_DOMAIN),
    ("-x/(1 + y**2) + +y**-2", lambda x, y: -x / (1 + y * y) + y**-2.0, ((-2, 2), (0.5, 3))),
    ("x**x + y", lambda x, y: x**x + y, ((0.2, 3), (-1, 1))),
]
FORMULA_IDS = [text for text, _, _ in FORMULAS]


def points_in(domain, n=300, seed=1):
    (x0, x1), (y0, y1) = domain
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


def central_differences(f, p, h):
    out = np.empty_like(p)
    for axis in range(2):
        step = np.zeros(2)
        step[axis] = h
        out[:, axis] = (f(*(p + step).T) - f(*(p - step).T)) / (2 * h)
    return out


@pytest.mark.parametrize(("text", "by_hand", "domain"), FORMULAS, ids=FORMULA_IDS)
def test_value_and_gradient_equal_hand_written_numpy(text, by_hand, domain):
    surface = formula_surface(text, domain)
    p = points_in(domain)
    np.testing.assert_allclose(surface.f(p), by_hand(p[:, 0], p[:, 1]), rtol=1e-12, atol=1e-12)
    numeric = central_differences(by_hand, p, 1e-6)
    analytic = surface.grad(p)
    scale = np.maximum(1.0, np.abs(numeric))
    assert np.max(np.abs(analytic - numeric) / scale) < 1e-6
    value, grad = surface.value_and_grad(p)
    np.testing.assert_array_equal(value, surface.f(p))
    np.testing.assert_array_equal(grad, analytic)


@pytest.mark.parametrize(("text", "builtin"), [
    ("x**2 - y**2", "saddle"),
    ("(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2", "beale"),
    ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", "himmelblau"),
    ("(1 - x)**2 + 100*(y - x**2)**2", "rosenbrock"),
])
def test_typed_classics_equal_the_built_in_surfaces(text, builtin):
    reference = SURFACES[builtin]
    surface = formula_surface(text, reference.domain)
    p = points_in(reference.domain)
    np.testing.assert_allclose(surface.f(p), reference.f(p), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(surface.grad(p), reference.grad(p), rtol=1e-12, atol=1e-9)


def test_shapes_follow_the_last_axis():
    surface = formula_surface("x + 2*y")  # a constant gradient still has the shape of the input
    grid = np.zeros((4, 5, 2))
    assert surface.f(grid).shape == (4, 5)
    assert surface.grad(grid).shape == (4, 5, 2)
    np.testing.assert_array_equal(surface.grad(grid)[..., 1], 2.0)
    point = np.array([1.0, 2.0])
    assert np.ndim(surface.f(point)) == 0 and float(surface.f(point)) == 5.0
    np.testing.assert_array_equal(surface.grad(point), [1.0, 2.0])


def test_undefined_values_are_nan_never_inf_and_warn_nothing():
    # pytest turns RuntimeWarning into an error: log of a negative number must not warn either.
    surface = formula_surface("log(x) + 1/y", ((-2, 2), (-2, 2)))
    p = np.array([[-1.0, 1.0], [1.0, 0.0], [np.e, 1.0]])
    f, g = surface.f(p), surface.grad(p)
    assert np.isnan(f[0]) and np.isnan(f[1]) and f[2] == pytest.approx(2.0)
    assert np.all(np.isnan(g[:2])) and np.allclose(g[2], [1 / np.e, -1.0])
    assert not np.isinf(f).any() and not np.isinf(g).any()


def test_a_path_into_the_undefined_region_is_a_divergence_with_a_finite_path():
    surface = formula_surface("log(x) + y**2", ((-1, 3), (-2, 2)), start=(0.5, 1.0))
    run = simulate(surface, "sgd", steps=40, lr=0.5)  # d/dx log x = 1/x > 0 pushes x below 0
    assert bool(run.diverged)
    assert np.all(np.isfinite(run.path)) and np.all(np.isfinite(run.loss))


def test_surface_fields():
    surface = formula_surface("sin(x)*cos(y) + 0.1*x^2", ((-4, 4), (-3, 3)))
    assert surface.latex == r"f(x, y) = \sin\left(x\right) \cdot \cos\left(y\right) + 0.1 \cdot x^{2}"
    assert surface.domain == ((-4.0, 4.0), (-3.0, 3.0))
    assert surface.contains(surface.start) and np.isfinite(surface.f(np.array(surface.start)))
    assert surface.minima == () and surface.f_min is None
    assert surface.key == formula_key("sin(x)*cos(y) + 0.1*x^2", ((-4, 4), (-3, 3)))
    assert surface.key != formula_surface("sin(x)*cos(y) + 0.1*x^2").key  # the domain is part of it
    # The default start avoids where the formula is undefined.
    half = formula_surface("log(x) + y**2", ((-3, 3), (-3, 3)))
    assert half.start[0] > 0


@pytest.mark.parametrize(("domain", "words"), [
    (((3, -3), (-3, 3)), "smaller to a larger"),
    (((-3, 3), (1, 1)), "smaller to a larger"),
    (((-np.inf, 3), (-3, 3)), "finite"),
    (((-1e9, 3), (-3, 3)), "within"),
    (("a", (-3, 3)), "two ranges"),
    ((1, 2, 3), "two ranges"),
])
def test_bad_domains_are_refused(domain, words):
    with pytest.raises(FormulaError, match=words):
        formula_surface("x**2 + y**2", domain)


def test_ranges_from_a_link():
    assert parse_range("-3,3") == (-3.0, 3.0)
    assert parse_range(" -1.5 , 2e1", "y") == (-1.5, 20.0)
    for bad in ("3", "1,2,3", "a,b", "3,-3", "nan,1", "-1e9,0", None, "1," + "0" * 100):
        with pytest.raises(FormulaError, match="range"):
            parse_range(bad)


def test_non_text_formulas_are_refused():
    for bad in (None, 12, ["x"], b"x"):
        with pytest.raises(FormulaError, match="must be text"):
            formula_surface(bad)


def test_minima_where_the_formula_is_undefined_on_part_of_the_domain():
    # log x + 1/x has its minimum at x = 1 (value 1); the left half of the domain has no value.
    surface = with_minima(formula_surface("log(x) + 1/x + (y - 1)**2"))
    assert len(surface.minima) == 1
    m = surface.minima[0]
    assert (m.x, m.y, m.value) == pytest.approx((1.0, 1.0, 1.0), abs=1e-8)
    assert m.is_global and surface.f_min == m.value


def test_undefined_everywhere_and_start_outside_are_refused():
    with pytest.raises(FormulaError, match="no value anywhere"):
        formula_surface("log(x) + y", ((-3, -1), (-3, 3)))
    with pytest.raises(FormulaError, match="outside the domain"):
        formula_surface("x**2 + y**2", start=(5, 0))


# --- refusals --------------------------------------------------------------------------------

REFUSED = {
    "import": ("__import__('os')", "Unknown function '__import__'"),
    "import-system": ("__import__('os').system('echo pwned')", "can be called"),
    "attribute": ("x.__class__", "attributes"),
    "attribute-chain": ("().__class__.__bases__[0].__subclasses__()", "can be called"),
    "lambda": ("(lambda: 1)()", "can be called"),
    "lambda-bare": ("lambda x: x", "lambda"),
    "list-comprehension": ("[x for x in (1, 2)]", "'for'"),
    "generator": ("sum(x for x in (1, 2))", "Unknown function 'sum'"),
    "dunder-name": ("__builtins__", "Unknown name '__builtins__'"),
    "dunder-in-sum": ("x + __name__", "Unknown name '__name__'"),
    "string": ("'abc'", "quotes"),
    "string-concat": ("x + 'a'*9", "quotes"),
    "bytes": ("b'x'", "quotes"),
    "tower-of-constants": ("9**9**9", "exponent is too large"),
    "power-tower": ("x**x**x**x", "power inside an exponent"),
    "big-power": ("2**100", "exponent is too large"),
    "big-power-of-x": ("x**11 + y", "exponent is too large"),
    "overflow": ("exp(1000) * x", "too large"),
    "overflow-product": ("((1e9*1e9)**10)**2*x", "too large"),
    "ten-thousand-chars": ("x+" * 5000, "too long"),
    "deep-parentheses": ("(" * 1000 + "x" + ")" * 1000, "too long"),
    "deep-minus": ("-(" * 1000 + "x" + ")" * 1000, "too long"),
    "deep-minus-short": ("-(" * 66 + "x" + ")" * 66, "nested too deeply"),
    "many-minus": ("-" * 199 + "x", "nested too deeply"),
    "walrus": ("(z := 1)", "Only numbers"),
    "subscript": ("x[0]", "Square brackets"),
    "comparison": ("x < y", "Comparisons"),
    "conditional": ("x if y else 1", "'if'"),
    "boolean": ("x and y", "'if', 'and', 'or'"),
    "modulo": ("x % 2", "Only numbers"),
    "bitwise": ("x | y", "Only numbers"),
    "matmul": ("x @ y", "Only numbers"),
    "keyword": ("sin(x=1)", "exactly one argument"),
    "two-arguments": ("sin(x, y)", "exactly one argument"),
    "star": ("sin(*x)", "exactly one argument"),
    "unknown-name": ("z + 1", "Unknown name 'z': use x and y"),
    "unknown-function": ("foo(x)", "Unknown function 'foo'"),
    "open": ("open('/etc/passwd')", "Unknown function 'open'"),
    "call-a-variable": ("x(2)", "x is not a function"),
    "bare-function": ("sin + x", "sin is a function"),
    "complex": ("2j*x", "Complex"),
    "bool": ("True*x", "not allowed"),
    "none": ("None", "not allowed"),
    "ellipsis": ("...", "not allowed"),
    "f-string": ("f'{x}'", "Only numbers"),
    "set": ("{x}", "Commas"),
    "tuple": ("x, y", "Commas"),
    "statement": ("import os", "not a formula"),
    "assignment": ("x = 1", "not a formula"),
    "semicolon": ("x; y", "not a formula"),
    "newline": ("x\ny", "one line"),
    "missing-paren": ("sin(x", "Missing closing parenthesis"),
    "extra-paren": ("x)", "without a matching"),
    "implicit-product": ("2x", "Write \\* between a number and a name"),
    "empty": ("   ", "Type a formula"),
    "constant": ("3 + pi", "does not depend on x or y"),
    "division-by-zero": ("x/0", "Division by zero"),
    "division-by-zero-folded": ("x/(1 - 1)", "Division by zero"),
    "division-by-zero-symbolic": ("1/(x - x)", "divides by zero"),
    "log-of-negative": ("log(-1) + x", "has no value"),
    "fractional-power-of-negative": ("(-8)**(1/3) + x", "has no value"),
    "huge-literal": ("1" * 190 + "*x", "number is too large"),
    "inf-literal": ("1e999*x", "number is too large"),
    "non-ascii": ("x + ü", "character 'ü'"),
    "null-byte": ("x\x00", "not allowed"),
    "not-text": (12, "must be text"),
}


@pytest.mark.parametrize(("text", "words"), list(REFUSED.values()), ids=list(REFUSED))
def test_refused_with_a_message_quickly_and_without_executing_anything(text, words, monkeypatch, tmp_path):
    imports = []
    watching = False
    real_import, real_compile = builtins.__import__, builtins.compile

    def watched_import(name, globals=None, *args, **kwargs):
        if watching:
            imports.append(((globals or {}).get("__name__", "?"), name))
        return real_import(name, globals, *args, **kwargs)

    def ast_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        # ast.parse compiles to a tree only (PyCF_ONLY_AST); any other compile would make code.
        if not flags & 0x400:
            pytest.fail(f"compile() to code called on {source!r}")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def forbidden(*args, **kwargs):
        pytest.fail("eval/exec/open/parse_expr called while reading a formula")

    real_sympify = sympy.sympify

    def sympify_no_text(a, *args, **kwargs):  # sympy calls it on its own objects; text would be parsed
        if isinstance(a, str):
            pytest.fail(f"sympify called on text {a!r}")
        return real_sympify(a, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", watched_import)
    monkeypatch.setattr(builtins, "compile", ast_only_compile)
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "open", forbidden)
    monkeypatch.setattr(sympy, "sympify", sympify_no_text)
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", forbidden)
    monkeypatch.chdir(tmp_path)
    compile_formula.cache_clear()

    started = time.perf_counter()
    watching = True
    try:
        formula_surface(text)
    except FormulaError as err:
        error = err
    else:
        error = None
    watching = False
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0  # a hang check only; benchmarks/bench_formula.py measures the real time
    assert error is not None, f"{text!r} was accepted"
    assert re.search(words, str(error)) and error.message
    # Nothing named in the text is looked up: the only imports are sympy's own lazy ones.
    strangers = [(who, name) for who, name in imports if not who.startswith(("sympy", "mpmath"))]
    assert not strangers, f"modules looked up while refusing: {strangers}"
    assert list(tmp_path.iterdir()) == []


def test_positions_point_at_the_problem():
    def position(text):
        with pytest.raises(FormulaError) as caught:
            parse_formula(text)
        return caught.value.position

    assert position("x + z") == 4
    assert position("x + 2 * foo(y)") == 8
    assert position("sin(x) + x.real") == 9
    assert position("x² + z") == 5  # typed characters, not the text after '²' became '**2'
    assert str(FormulaError("Unknown name 'z': use x and y", 4)) == "Unknown name 'z': use x and y (at character 5)"


def test_length_cap_is_inclusive():
    text = "x" + "+x" * ((MAX_FORMULA_CHARS - 1) // 2)
    assert len(text) <= MAX_FORMULA_CHARS
    with pytest.raises(FormulaError, match=r"too complicated|nested too deeply"):
        parse_formula(text)  # allowed length, but 100 terms exceed the tree's bounds
    parse_formula("x" + " " * (MAX_FORMULA_CHARS - 1))
    with pytest.raises(FormulaError, match="too long"):
        parse_formula("x" + " " * MAX_FORMULA_CHARS)


def test_redundant_parentheses_are_harmless():
    assert parse_formula("(" * 90 + "x" + ")" * 90 + "+y") == parse_formula("x + y")


def test_caret_is_a_power_with_the_precedence_of_a_power():
    assert parse_formula("x^2 + 1") == parse_formula("x**2 + 1")
    assert parse_formula("2^x^2") == parse_formula("2**(x**2)")
    assert parse_formula("-x^2") == -parse_formula("x**2")


@pytest.mark.parametrize(("text", "latex"), [
    ("x - (y + 1)", r"x - \left(y + 1\right)"),
    ("x - y - 1", "x - y - 1"),
    ("(x + y)**2/3", r"\frac{\left(x + y\right)^{2}}{3}"),
    ("-x**2 + (-y)**2", r"-x^{2} + \left(-y\right)^{2}"),
    ("e**(-x^2 - y^2)", "e^{-x^{2} - y^{2}}"),
    ("sqrt(abs(x))*1e-9 + log10(x) + ln(y) + arctan(x)",
     r"\sqrt{\left|x\right|} \cdot 10^{-9} + \log_{10}\left(x\right) + \ln\left(y\right) + \arctan\left(x\right)"),
    ("x² − 3·y + π", r"x^{2} - 3 \cdot y + \pi"),
])
def test_latex_shows_the_formula_as_typed(text, latex):
    assert formula_latex(text) == latex


@pytest.mark.parametrize("text", [
    "(-pi)**y + x**2",  # sympy writes it with complex parts: real only at whole y
    "sqrt(-abs(x)) + y",  # sympy pulls out I
    "log10((pi**x)**(1e9/x)) + y",  # sympy folds a constant pi**1e9 that overflows as a Python float
])
def test_formulas_sympy_makes_complex_or_overflowing_are_refused_or_nan(text):
    try:
        surface = formula_surface(text)
    except FormulaError as err:
        assert "no value" in err.message
        return
    values = surface.f(points_in(surface.domain))
    assert not np.isinf(values).any()


def test_symbolic_gradient_is_exact():
    formula = compile_formula("x**3*y + sin(x*y)")
    x, y = sympy.symbols("x y", real=True)
    assert sympy.simplify(formula.gradient[0] - (3 * x**2 * y + y * sympy.cos(x * y))) == 0
    assert sympy.simplify(formula.gradient[1] - (x**3 + x * sympy.cos(x * y))) == 0


# --- minima ----------------------------------------------------------------------------------


def assert_are_minima(surface):
    """Every reported minimum: gradient ~0 (or a kink), lower than a ring around it, value stated,
    f_min the global value, nothing on the domain below it."""
    angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    ring = 1e-3 * surface.extent * np.column_stack([np.cos(angles), np.sin(angles)])
    for m in surface.minima:
        assert surface.contains((m.x, m.y))
        assert float(surface.f(np.array([m.x, m.y]))) == m.value
        assert np.all(surface.f(np.array([m.x, m.y]) + ring) > m.value)
    if surface.f_min is not None:
        assert surface.f_min == min(m.value for m in surface.minima if m.is_global)
        (x0, x1), (y0, y1) = surface.domain
        xs, ys = np.meshgrid(np.linspace(x0, x1, 401), np.linspace(y0, y1, 401))
        assert np.nanmin(surface.f(np.stack([xs, ys], axis=-1))) >= surface.f_min - 1e-9


def test_minimum_of_the_bowl_written_as_text():
    surface = with_minima(formula_surface("x**2 + y**2"))
    assert len(surface.minima) == 1
    (m,) = surface.minima
    assert m.is_global and abs(m.x) < 1e-8 and abs(m.y) < 1e-8 and abs(m.value) < 1e-15
    assert np.allclose(surface.grad(np.array([m.x, m.y])), 0.0, atol=1e-8)
    assert surface.f_min == m.value
    assert_are_minima(surface)


def test_himmelblau_four_minima():
    reference = SURFACES["himmelblau"]
    surface = with_minima(formula_surface("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", reference.domain))
    assert len(surface.minima) == 4 and all(m.is_global for m in surface.minima)
    found = sorted((round(m.x, 6), round(m.y, 6)) for m in surface.minima)
    known = sorted((round(m.x, 6), round(m.y, 6)) for m in reference.minima)
    assert found == known
    for m in surface.minima:
        assert np.allclose(surface.grad(np.array([m.x, m.y])), 0.0, atol=1e-8)
    assert abs(surface.f_min) < 1e-12
    assert_are_minima(surface)


def test_two_minima_surface_global_and_local():
    reference = SURFACES["two_minima"]
    found = find_minima(reference)
    assert len(found) == 2
    assert found[0].is_global and not found[1].is_global
    for got, known in zip(found, reference.minima, strict=True):
        assert (got.x, got.y) == pytest.approx((known.x, known.y), abs=1e-6)
        assert got.value == pytest.approx(known.value, abs=1e-10)


@pytest.mark.parametrize(("text", "domain"), [
    ("x**2 - y**2", ((-2, 2), (-2, 2))),  # a saddle: no minimum
    ("x + y", DEFAULT_DOMAIN),  # a slope: the lowest value is on the edge
    ("x**2", DEFAULT_DOMAIN),  # a valley floor of equal values: no isolated minimum
    ("(x - y)**2", DEFAULT_DOMAIN),  # the same, oblique
    ("x**2 + y**2", ((1, 3), (1, 3))),  # the bowl's minimum lies outside this domain
])
def test_no_minimum_where_there_is_none(text, domain):
    surface = with_minima(formula_surface(text, domain))
    assert surface.minima == () and surface.f_min is None


def test_local_minima_with_a_lower_edge_are_not_global():
    # f' = 1 + 2 cos 4x: local minima at x = -π/6 + kπ/2 (where sin 4x < 0), four of them in
    # (-3, 3); but f is lowest at the left edge, f(-3, 0) = -3 + sin(-12)/2 ≈ -2.73 < -2.53.
    surface = with_minima(formula_surface("x + 0.5*sin(4*x) + y**2", ((-3, 3), (-1, 1))))
    xs = sorted(m.x for m in surface.minima)
    assert xs == pytest.approx([-np.pi / 6 + k * np.pi / 2 for k in (-1, 0, 1, 2)], abs=1e-6)
    assert all(abs(m.y) < 1e-6 for m in surface.minima)
    assert not any(m.is_global for m in surface.minima) and surface.f_min is None
    assert_are_minima(surface)


def test_kink_minimum_and_degenerate_minimum():
    kink = with_minima(formula_surface("abs(x - 1) + abs(y + 0.5)"))
    assert len(kink.minima) == 1
    assert (kink.minima[0].x, kink.minima[0].y) == pytest.approx((1.0, -0.5), abs=1e-4)
    flat_bottom = with_minima(formula_surface("x**4 + y**4"))
    assert len(flat_bottom.minima) == 1
    assert (flat_bottom.minima[0].x, flat_bottom.minima[0].y) == pytest.approx((0.0, 0.0), abs=1e-3)


def test_minima_feed_the_engine():
    surface = with_minima(formula_surface("(x - 1)**2 + 2*(y + 0.5)**2"))
    run = simulate(surface, "adam", steps=2000, lr=0.05)
    assert bool(run.converged) and int(run.nearest_minimum) == 0


def test_accepted_formula_compiles_only_code_generated_from_the_checked_tree(monkeypatch):
    sources = []
    real_compile = builtins.compile

    def recording_compile(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & 0x400:  # not ast.PyCF_ONLY_AST: code is being made
            sources.append(source)
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", recording_compile)
    compile_formula.cache_clear()
    typed = "sin(x)  *cos( y )+0.1*x^2"
    formula_surface(typed)
    assert sources, "lambdify is expected to generate numpy code"
    for source in sources:
        assert source.startswith("def _lambdifygenerated(x, y):")
        assert typed not in source


ATOMS = ["x", "y", "e", "pi", "0", "1", "2", "0.5", "10", "1e9", "sin(", "log(", "exp(", "sqrt(", "abs(", "tan(",
         "acos(", "(", ")", "+", "-", "*", "/", "**", "^", " ", ",", ".", "'", "_", "[", "]", "__", "x.", "lambda"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=40))
def test_any_text_gives_a_surface_or_a_formula_error(parts):
    """Whatever is typed: a usable surface (finite or NaN values, never ±inf) or a FormulaError."""
    text = "".join(parts)
    try:
        surface = formula_surface(text)
    except FormulaError as err:
        assert err.message
        return
    p = points_in(surface.domain, n=50)
    values, grads = surface.f(p), surface.grad(p)
    assert values.shape == (50,) and grads.shape == (50, 2)
    assert not np.isinf(values).any() and not np.isinf(grads).any()
