r"""Your own surface: a formula f(x, y) typed by a person, checked, differentiated, evaluated.

Safety. The text is never executed: no `eval`, `exec`, `compile`, `sympify` or `parse_expr` on
it. It is parsed by Python's `ast` (mode "eval", which only builds a tree) and the tree is checked
node by node against a whitelist:

- numbers (at most `MAX_CONSTANT` in size), the names `x`, `y`, `pi`, `e`;
- the operators `+ - * / **` and unary `-`/`+`; `^` is accepted as a power (`x^2` is `x**2`,
  replaced in the text before parsing, so it binds like `**`, not like Python's xor);
- calls of one argument to the functions in `FUNCTIONS` (`ln` is `log`; `arcsin` ... are
  `asin` ...);
- nothing else: no attributes, strings, lambdas, comprehensions, subscripts, comparisons,
  keyword arguments, other names.

A few typographic forms are read as what they mean: `−` (minus sign), `×` and `·`, `²` and `³`,
`π`. Any other non-ASCII character is refused.

The checked tree is converted to a sympy expression node by node (`_to_sympy`), so sympy only
ever sees expressions built here. Every constant sub-expression is also evaluated in floating
point first (math module, which raises on overflow and on log/sqrt of negative numbers), so
`9**9**9`, `exp(1000)` or `log(-1)` are refused before sympy could try to evaluate them exactly.
Bounds: `MAX_FORMULA_CHARS` characters, `MAX_NODES` tree nodes, `MAX_DEPTH` nesting, constant
exponents with `|p| <= MAX_EXPONENT`; an exponent that depends on x or y may not itself contain
such a power (`x**x` is allowed, `x**x**x` is not). Refusals take well under a millisecond.

The gradient is built symbolically (sympy.diff) and f and the gradient are turned into numpy
functions by `sympy.lambdify` on those generated expressions (the gradient's components share
common sub-expressions). The Hessian (for Newton's method) is built the same way, on its first use.
The LaTeX is written from the checked tree, as typed (`formula_latex`). What building a formula
costs is in docs/benchmarks.md.

Link parameters proposed for a share link: `surface=custom&f=<formula>&xr=x0,x1&yr=y0,y1`
(`parse_range` reads "x0,x1" back, with the same messages).

Where the formula is undefined or overflows (log(x) for x <= 0, 1/x at 0, exp(exp(x)) for
large x), `f` returns NaN, never ±inf, and `grad` returns NaN in both components wherever f or
either component is not finite. The engine treats a NaN as a divergence; a plot must mask NaN
(draw a gap) and compute its colour range with nanmin/nanmax.

Minima are found numerically by `optviz.analysis.minima` (surfaces never import optviz):
`formula_surface` returns `minima=()` and `f_min=None`.
"""

from __future__ import annotations

import ast
import math
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy

from .base import Surface, pack, pack_hessian
from .limits import (
    MAX_DOMAIN_ABS,
    MAX_FORMULA_CHARS,
    MAX_FORMULA_CONSTANT,
    MAX_FORMULA_DEPTH,
    MAX_FORMULA_EXPONENT,
    MAX_FORMULA_NODES,
)

# The bounds are in surfaces/limits.py (listed with every other limit in optviz.core.limits and the README).
MAX_NODES = MAX_FORMULA_NODES
MAX_DEPTH = MAX_FORMULA_DEPTH
MAX_EXPONENT = MAX_FORMULA_EXPONENT
MAX_CONSTANT = MAX_FORMULA_CONSTANT  # larger values come out of the formula's own arithmetic only
MAX_FOLDED = 1e300  # the largest magnitude a constant sub-expression may reach
MIN_DOMAIN_WIDTH = 1e-3
DEFAULT_DOMAIN = ((-3.0, 3.0), (-3.0, 3.0))
KEY_PREFIX = "custom:"

# The two coordinates are real symbols: d|x|/dx is then sign(x), not a complex expression.
X, Y = sympy.symbols("x y", real=True)
NAMES: dict[str, sympy.Expr] = {"x": X, "y": Y, "pi": sympy.pi, "e": sympy.E}
_CONSTANT_VALUES = {"pi": math.pi, "e": math.e}

# name -> (sympy function, float function for constant folding). The float function raises
# ValueError or OverflowError where the value is undefined or too large.
FUNCTIONS: dict[str, tuple] = {
    "sin": (sympy.sin, math.sin),
    "cos": (sympy.cos, math.cos),
    "tan": (sympy.tan, math.tan),
    "asin": (sympy.asin, math.asin),
    "acos": (sympy.acos, math.acos),
    "atan": (sympy.atan, math.atan),
    "sinh": (sympy.sinh, math.sinh),
    "cosh": (sympy.cosh, math.cosh),
    "tanh": (sympy.tanh, math.tanh),
    "exp": (sympy.exp, math.exp),
    "log": (sympy.log, math.log),
    "log10": (lambda a: sympy.log(a, 10), math.log10),
    "sqrt": (sympy.sqrt, math.sqrt),
    "abs": (sympy.Abs, abs),
}
ALIASES = {"ln": "log", "arcsin": "asin", "arccos": "acos", "arctan": "atan"}

# Typographic characters a student may paste, and what they mean.
_TYPOGRAPHY = {"−": "-", "–": "-", "×": "*", "·": "*", "²": "**2", "³": "**3", "π": "pi", "^": "**"}

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_ALLOWED_HELP = (
    "Only numbers, x, y, pi, e, + - * / ** (or ^), parentheses and the functions "
    + ", ".join(sorted(FUNCTIONS))
    + " are allowed"
)


class FormulaError(ValueError):
    """A formula or domain that cannot be used, with a message meant for the person who typed it.

    `position` is the 0-based character offset in the typed text where the problem is, when known.
    """

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return f"{self.message} (at character {self.position + 1})"


@dataclass(frozen=True, eq=False)
class Formula:
    """A checked formula: its canonical text, sympy expressions and numpy functions."""

    text: str  # the typed text, stripped
    expr: sympy.Expr
    gradient: tuple[sympy.Expr, sympy.Expr]
    latex: str
    f: object  # (..., 2) -> (...)
    grad: object  # (..., 2) -> (..., 2)
    value_and_grad: object  # (..., 2) -> ((...), (..., 2))
    hessian: object = None  # (..., 2) -> (..., 2, 2), built on its first call (Newton's method asks for it)


# --- text -> checked tree ------------------------------------------------------------------


def _normalize(text: str) -> tuple[str, list[int]]:
    """The text with typographic forms replaced, and for each of its characters the position of
    the typed character it came from."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        rep = _TYPOGRAPHY.get(ch, ch)
        out.append(rep)
        origin.extend([i] * len(rep))
    return "".join(out), origin


def _syntax_message(err: SyntaxError, source: str) -> str:
    msg = (err.msg or "").lower()
    if "never closed" in msg or ("unexpected eof" in msg) or ("was not closed" in msg):
        return "Missing closing parenthesis ')'"
    if "unmatched ')'" in msg:
        return "There is a ')' without a matching '('"
    if "does not match" in msg:
        return "The parentheses do not match"
    if "invalid decimal literal" in msg or "invalid imaginary literal" in msg:
        return "Write * between a number and a name: 2*x, not 2x"
    if "unterminated string" in msg or "string literal" in msg:
        return "Text in quotes is not allowed: " + _ALLOWED_HELP
    if "perhaps you forgot a comma" in msg:
        return "Two things stand side by side without an operator: write 2*x, x*y, sin(x)*cos(y)"
    return "This is not a formula I can read: check the operators and parentheses"


def _parse_tree(text: str) -> tuple[ast.expr, list[int]]:
    if not isinstance(text, str):
        raise FormulaError("The formula must be text")
    if len(text) > MAX_FORMULA_CHARS:
        raise FormulaError(
            f"The formula is too long (at most {MAX_FORMULA_CHARS} characters, this one has {len(text)})"
        )
    source, origin = _normalize(text)
    if not source.strip():
        raise FormulaError("Type a formula in x and y, for example sin(x)*cos(y) + 0.1*x**2")
    if "\n" in source or "\r" in source:
        raise FormulaError("Write the formula on one line")
    for i, ch in enumerate(source):
        if not (ch.isascii() and (ch.isprintable() or ch in " \t")):
            raise FormulaError(f"The character {ch!r} is not allowed: {_ALLOWED_HELP}", origin[i])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for odd literals: the tree is checked below
            tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as err:
        lead = len(source) - len(source.lstrip())
        offset = None if err.offset is None else min(max(err.offset - 1 + lead, 0), len(origin) - 1)
        raise FormulaError(_syntax_message(err, source), None if offset is None else origin[offset]) from None
    except (ValueError, RecursionError, MemoryError):  # null bytes, pathological input
        raise FormulaError("This is not a formula I can read") from None
    lead = len(source) - len(source.lstrip())
    return tree.body, [origin[min(i + lead, len(origin) - 1)] for i in range(len(source))]


def _position(node: ast.AST, origin: list[int]) -> int | None:
    col = getattr(node, "col_offset", None)  # a byte offset; the source is ASCII here
    if col is None or not origin:
        return None
    return origin[min(col, len(origin) - 1)]


def _check_tree(root: ast.expr, origin: list[int]) -> None:
    """Refuse any node outside the whitelist, too many nodes or too deep a nesting (iterative:
    no recursion on user input)."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        where = _position(node, origin)
        if count > MAX_NODES:
            raise FormulaError(f"The formula is too complicated (at most {MAX_NODES} parts)")
        if depth > MAX_DEPTH:
            raise FormulaError(f"The formula is nested too deeply (at most {MAX_DEPTH} levels)", where)
        children: list[ast.AST] = []
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                if isinstance(value, (str, bytes)):
                    raise FormulaError("Text in quotes is not allowed: " + _ALLOWED_HELP, where)
                if isinstance(value, complex):
                    raise FormulaError("Complex numbers (like 2j) are not allowed", where)
                raise FormulaError(f"{value!r} is not allowed: {_ALLOWED_HELP}", where)
            if not (isinstance(value, int) or math.isfinite(value)) or abs(value) > MAX_CONSTANT:
                raise FormulaError(f"The number is too large (at most {MAX_CONSTANT:g})", where)
        elif isinstance(node, ast.Name):
            if node.id in ALIASES or node.id in FUNCTIONS:
                raise FormulaError(f"{node.id} is a function: write it with its argument, like {node.id}(x)", where)
            if node.id not in NAMES:
                raise FormulaError(f"Unknown name {node.id!r}: use x and y (and pi, e)", where)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                raise FormulaError(_ALLOWED_HELP, _position(node.right, origin))
            children = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise FormulaError(_ALLOWED_HELP, where)
            children = [node.operand]
        elif isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name):
                raise FormulaError("Only the functions " + ", ".join(sorted(FUNCTIONS)) + " can be called", where)
            name = ALIASES.get(func.id, func.id)
            if name in NAMES:
                raise FormulaError(f"{func.id} is not a function: write {func.id}*(...) to multiply", where)
            if name not in FUNCTIONS:
                raise FormulaError(
                    f"Unknown function {func.id!r}: the functions are " + ", ".join(sorted(FUNCTIONS)), where
                )
            if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                raise FormulaError(f"{func.id} takes exactly one argument, like {func.id}(x)", where)
            children = [node.args[0]]
        elif isinstance(node, ast.Attribute):
            raise FormulaError("A '.' after a name is not allowed (no attributes): " + _ALLOWED_HELP, where)
        elif isinstance(node, ast.Compare):
            raise FormulaError("Comparisons (<, >, ==) are not allowed: " + _ALLOWED_HELP, where)
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
            raise FormulaError("Commas, lists and brackets are not allowed: write one formula", where)
        elif isinstance(node, ast.Subscript):
            raise FormulaError("Square brackets are not allowed: use parentheses ( )", where)
        elif isinstance(node, ast.Lambda):
            raise FormulaError("'lambda' is not allowed: write the formula itself, like x**2 + y**2", where)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            raise FormulaError("'for' is not allowed: write one formula in x and y", where)
        elif isinstance(node, (ast.IfExp, ast.BoolOp)):
            raise FormulaError("'if', 'and', 'or' are not allowed: " + _ALLOWED_HELP, where)
        else:
            raise FormulaError(_ALLOWED_HELP, where)
        stack.extend((child, depth + 1) for child in children)


# --- checked tree -> sympy -----------------------------------------------------------------


def _depends(expr: sympy.Expr) -> bool:
    return bool(expr.free_symbols)


def _has_variable_power(expr: sympy.Expr) -> bool:
    return any(_depends(p.exp) for p in expr.atoms(sympy.Pow)) or bool(
        expr.atoms(sympy.exp) and any(_depends(a.args[0]) for a in expr.atoms(sympy.exp))
    )


def _to_sympy(root: ast.expr, origin: list[int]) -> sympy.Expr:
    """Convert a checked tree bottom-up (iteratively). Each node yields (sympy expression, float
    value if the node is constant): constants are evaluated in floats first, so that an overflow
    or an undefined value is refused before sympy ever sees it."""
    results: dict[int, tuple[sympy.Expr, float | None]] = {}
    stack: list[tuple[ast.AST, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if not ready:
            stack.append((node, True))
            if isinstance(node, ast.BinOp):
                stack += [(node.right, False), (node.left, False)]
            elif isinstance(node, ast.UnaryOp):
                stack.append((node.operand, False))
            elif isinstance(node, ast.Call):
                stack.append((node.args[0], False))
            continue
        where = _position(node, origin)
        if isinstance(node, ast.Constant):
            value = node.value
            expr = sympy.Integer(value) if isinstance(value, int) else sympy.Float(repr(value))
            results[id(node)] = (expr, float(value))
        elif isinstance(node, ast.Name):
            results[id(node)] = (NAMES[node.id], _CONSTANT_VALUES.get(node.id))
        elif isinstance(node, ast.UnaryOp):
            expr, value = results.pop(id(node.operand))
            negate = isinstance(node.op, ast.USub)
            results[id(node)] = (-expr if negate else expr, None if value is None else (-value if negate else value))
        elif isinstance(node, ast.Call):
            name = ALIASES.get(node.func.id, node.func.id)
            to_sympy, to_float = FUNCTIONS[name]
            arg, value = results.pop(id(node.args[0]))
            if value is not None:
                value = _fold(lambda v=value, fn=to_float: fn(v), node.func.id + "(...)", where)
            results[id(node)] = (to_sympy(arg), value)
        else:  # BinOp, checked
            (a, va), (b, vb) = results.pop(id(node.left)), results.pop(id(node.right))
            op = type(node.op)
            if op is ast.Pow:
                if vb is not None and abs(vb) > MAX_EXPONENT:
                    raise FormulaError(f"The exponent is too large (at most {MAX_EXPONENT} in size)",
                                       _position(node.right, origin))
                if vb is None and _has_variable_power(b):
                    raise FormulaError("A power inside an exponent that depends on x or y is not allowed "
                                       "(like x**x**x): use parentheses, e.g. (x**x)**2", _position(node.right, origin))
            if op is ast.Div and vb == 0.0:
                raise FormulaError("Division by zero", _position(node.right, origin))
            if va is not None and vb is not None:
                value = _fold(lambda op=op, va=va, vb=vb: _FLOAT_OPS[op](va, vb), "this part", where)
            else:
                value = None
            results[id(node)] = (_SYMPY_OPS[op](a, b), value)
    return results[id(root)][0]


def _fold(compute, what: str, where: int | None) -> float:
    try:
        value = compute()
    except ZeroDivisionError:
        raise FormulaError("Division by zero", where) from None
    except OverflowError:
        raise FormulaError("A number in the formula becomes too large", where) from None
    except ValueError:
        raise FormulaError(f"{what} has no value (log or sqrt of a negative number, or a power of a negative "
                           "number that is not a whole number)", where) from None
    if isinstance(value, complex) or not math.isfinite(value) or abs(value) > MAX_FOLDED:
        raise FormulaError("A number in the formula becomes too large or has no real value", where)
    return float(value)


_FLOAT_OPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: math.pow,  # raises on overflow and on a negative base with a fractional power
}
_SYMPY_OPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


# --- checked tree -> LaTeX --------------------------------------------------------------------
# Written here from the tree rather than by sympy.latex: it shows the formula as typed (not
# reordered), and sympy's printer can spend seconds deciding signs of huge constants.

_LATEX_FUNCTIONS = {
    "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "asin": r"\arcsin", "acos": r"\arccos",
    "atan": r"\arctan", "sinh": r"\sinh", "cosh": r"\cosh", "tanh": r"\tanh", "exp": r"\exp",
    "log": r"\ln", "log10": r"\log_{10}",
}
_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.Pow: 4}
_ATOM = 5


def _latex_number(value: int | float) -> str:
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        head = "" if mantissa in ("1", "1.0") else mantissa.removesuffix(".0") + r" \times "
        return f"{head}10^{{{int(exponent)}}}"
    return text


def _to_latex(root: ast.expr) -> str:
    """LaTeX of a checked tree (iterative, like the other passes): each node gives (text, precedence)."""
    done: dict[int, tuple[str, int]] = {}
    stack: list[tuple[ast.AST, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if not ready:
            stack.append((node, True))
            stack += [(c, False) for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
            continue
        if isinstance(node, ast.Constant):
            done[id(node)] = (_latex_number(node.value), _ATOM)
        elif isinstance(node, ast.Name):
            done[id(node)] = (r"\pi" if node.id == "pi" else node.id, _ATOM)
        elif isinstance(node, ast.UnaryOp):
            text, prec = done.pop(id(node.operand))
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            done[id(node)] = (sign + (rf"\left({text}\right)" if prec <= 2 else text), 3)
        elif isinstance(node, ast.Call):
            name = ALIASES.get(node.func.id, node.func.id)
            text, _ = done.pop(id(node.args[0]))
            if name == "sqrt":
                done[id(node)] = (rf"\sqrt{{{text}}}", _ATOM)
            elif name == "abs":
                done[id(node)] = (rf"\left|{text}\right|", _ATOM)
            else:
                done[id(node)] = (rf"{_LATEX_FUNCTIONS[name]}\left({text}\right)", _ATOM)
        else:
            (a, pa), (b, pb) = done.pop(id(node.left)), done.pop(id(node.right))
            op = type(node.op)
            prec = _PRECEDENCE[op]
            if op is ast.Div:
                done[id(node)] = (rf"\frac{{{a}}}{{{b}}}", _ATOM)
                continue
            if op is ast.Pow:
                base = a if pa == _ATOM else rf"\left({a}\right)"
                done[id(node)] = (f"{base}^{{{b}}}", prec)
                continue
            left = a if pa >= prec else rf"\left({a}\right)"
            # the right operand of - needs parentheses at equal precedence: a - (b + c)
            right = b if pb > prec or (pb == prec and op in (ast.Add, ast.Mult)) else rf"\left({b}\right)"
            symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: r"\cdot"}[op]
            done[id(node)] = (f"{left} {symbol} {right}", prec)
    return done[id(root)][0]


def _checked(text: str) -> tuple[ast.expr, list[int], sympy.Expr]:
    root, origin = _parse_tree(text)
    _check_tree(root, origin)
    expr = _to_sympy(root, origin)
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise FormulaError("The formula divides by zero or has no value")
    if not expr.free_symbols:
        raise FormulaError("The formula does not depend on x or y: there is nothing to minimize")
    return root, origin, expr


def parse_formula(text: str) -> sympy.Expr:
    """The sympy expression of a typed formula in x and y, or FormulaError saying what is wrong."""
    return _checked(text)[2]


def formula_latex(text: str) -> str:
    """LaTeX of a typed formula as typed (checked first; FormulaError if refused)."""
    return _to_latex(_checked(text)[0])


# --- sympy -> numpy ------------------------------------------------------------------------


def _coords(p):
    p = np.asarray(p, dtype=float)
    return p[..., 0], p[..., 1]


def _finite_or_nan(v, shape):
    v = np.asarray(v)
    if np.iscomplexobj(v):
        # sympy may write a real formula with complex parts ((-2)**y, sqrt of a negative
        # expression): it has a real value only where the imaginary part vanishes.
        v = np.where(v.imag == 0, v.real, np.nan)
    v = v.astype(float, copy=False)
    if v.shape != shape:
        v = np.broadcast_to(v, shape)
    return np.where(np.isfinite(v), v, np.nan)


def _call(fn, x, y, parts: int = 0):
    """fn(x, y), or NaN where Python arithmetic on a constant in the generated code raises (sympy
    may combine parts into a constant such as pi**1e9, which overflows as a Python float)."""
    try:
        return fn(x, y)
    except (OverflowError, ZeroDivisionError, ValueError, TypeError):
        nan = np.full(np.shape(x), np.nan)
        return [nan] * parts if parts else nan


@lru_cache(maxsize=64)
def compile_formula(text: str) -> Formula:
    """Parse, check and differentiate a formula; cached by its text (one sympy pass per formula)."""
    text = text.strip() if isinstance(text, str) else text
    root, _, expr = _checked(text)
    gx, gy = sympy.diff(expr, X), sympy.diff(expr, Y)
    if any(g.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) for g in (gx, gy)):
        raise FormulaError("The gradient of this formula divides by zero")
    # lambdify writes numpy code from these expressions, which were built above from the checked
    # tree: no part of the typed text reaches it as code.
    f_num = sympy.lambdify((X, Y), expr, modules="numpy", docstring_limit=0)
    # f is evaluated by the same function everywhere, so value_and_grad's value is exactly f(p).
    grad_num = sympy.lambdify((X, Y), [gx, gy], modules="numpy", cse=True, docstring_limit=0)

    def value_and_grad(p):
        x, y = _coords(p)
        with np.errstate(all="ignore"):
            v = _call(f_num, x, y)
            a, b = _call(grad_num, x, y, parts=2)
            v, a, b = (_finite_or_nan(t, np.shape(x)) for t in (v, a, b))
            bad = np.isnan(v) | np.isnan(a) | np.isnan(b)
            if np.any(bad):
                a, b = np.where(bad, np.nan, a), np.where(bad, np.nan, b)
        return (v if v.ndim else v[()]), pack(a if a.ndim else a[()], b if b.ndim else b[()])

    def f(p):
        x, y = _coords(p)
        with np.errstate(all="ignore"):
            v = _finite_or_nan(_call(f_num, x, y), np.shape(x))
        return v if v.ndim else v[()]

    def grad(p):
        return value_and_grad(p)[1]

    second: list = []  # the lambdified second derivatives, made once, when a Hessian is first asked for

    def hessian(p):
        if not second:
            parts = [sympy.diff(gx, X), sympy.diff(gx, Y), sympy.diff(gy, Y)]
            second.append(sympy.lambdify((X, Y), parts, modules="numpy", cse=True, docstring_limit=0))
        x, y = _coords(p)
        with np.errstate(all="ignore"):
            h = [_finite_or_nan(t, np.shape(x)) for t in _call(second[0], x, y, parts=3)]
            # NaN in every entry where f or any entry has no value, as grad does.
            bad = np.isnan(f(p)) | np.isnan(h[0]) | np.isnan(h[1]) | np.isnan(h[2])
            return pack_hessian(*(np.where(bad, np.nan, t) for t in h))

    return Formula(text=text, expr=expr, gradient=(gx, gy), latex=_to_latex(root), f=f, grad=grad,
                   value_and_grad=value_and_grad, hessian=hessian)


# --- the domain and the surface ------------------------------------------------------------


def check_domain(domain) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x0, x1), (y0, y1)) as floats, or FormulaError saying what is wrong."""
    try:
        (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in domain)
    except (TypeError, ValueError):
        raise FormulaError("The domain must be two ranges of numbers: x from .. to .., y from .. to ..") from None
    for name, lo, hi in (("x", x0, x1), ("y", y0, y1)):
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise FormulaError(f"The {name} range must be finite numbers")
        if max(abs(lo), abs(hi)) > MAX_DOMAIN_ABS:
            raise FormulaError(f"The {name} range must lie within ±{MAX_DOMAIN_ABS:g}")
        if not hi - lo >= MIN_DOMAIN_WIDTH:
            raise FormulaError(f"The {name} range must go from a smaller to a larger number "
                               f"(at least {MIN_DOMAIN_WIDTH:g} apart), got {lo:g} to {hi:g}")
    return (x0, x1), (y0, y1)


def parse_range(text: str, name: str = "x") -> tuple[float, float]:
    """(lo, hi) from "lo,hi" as a link carries it (e.g. "-3,3"), or FormulaError."""
    if not isinstance(text, str) or len(text) > 60:
        raise FormulaError(f"The {name} range must be written as two numbers, like -3,3")
    parts = text.split(",")
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise FormulaError(f"The {name} range must be written as two numbers, like -3,3") from None
    domain = check_domain(((lo, hi), (0.0, 1.0)) if name == "x" else ((0.0, 1.0), (lo, hi)))
    return domain[0] if name == "x" else domain[1]


def formula_key(text: str, domain=DEFAULT_DOMAIN) -> str:
    """A surface key unique to the formula and its domain (caches keyed by `Surface.key` then
    never mix two custom surfaces): 'custom:<text>@x0,x1,y0,y1'."""
    (x0, x1), (y0, y1) = check_domain(domain)
    return f"{KEY_PREFIX}{text.strip()}@{x0:g},{x1:g},{y0:g},{y1:g}"


def _default_start(f, domain) -> tuple[float, float]:
    """Where a run starts unless told: towards the top-left corner, like the built-in surfaces,
    or else the first point of a coarse grid where f and its gradient are defined."""
    (x0, x1), (y0, y1) = domain
    candidates = [(x0 + 0.15 * (x1 - x0), y0 + 0.85 * (y1 - y0))]
    fx, fy = np.linspace(0.15, 0.85, 8), np.linspace(0.85, 0.15, 8)
    candidates += [(x0 + a * (x1 - x0), y0 + b * (y1 - y0)) for b in fy for a in fx]
    for point in candidates:
        value, g = f(np.array(point))
        if np.isfinite(value) and np.all(np.isfinite(g)):
            return float(point[0]), float(point[1])
    raise FormulaError("The formula has no value on most of this domain (log or sqrt of negative numbers, "
                       "division by zero): change the formula or the domain")


def formula_surface(
    text: str,
    domain=DEFAULT_DOMAIN,
    *,
    start: tuple[float, float] | None = None,
    log_z: bool = False,
    title: str | None = None,
) -> Surface:
    """A `Surface` for the typed formula `text` on `domain` ((x0, x1), (y0, y1)).

    Raises `FormulaError` (a ValueError) with a message for the student: the formula is refused
    (see the module docstring), the domain is not two increasing finite ranges within
    ±`MAX_DOMAIN_ABS`, the start lies outside it, or the formula has no value on the domain.
    The surface's `minima` are empty and `f_min` None: `optviz.analysis.minima.with_minima` fills them.
    Its key is `formula_key(text, domain)`.
    """
    if not isinstance(text, str):
        raise FormulaError("The formula must be text")
    formula = compile_formula(text.strip())
    domain = check_domain(domain)
    (x0, x1), (y0, y1) = domain
    xs, ys = np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41))
    if not np.any(np.isfinite(formula.f(np.stack([xs, ys], axis=-1)))):
        raise FormulaError("The formula has no value anywhere on this domain (log or sqrt of negative numbers, "
                           "division by zero, or too large): change the formula or the domain")
    if start is None:
        start = _default_start(formula.value_and_grad, domain)
    else:
        try:
            start = (float(start[0]), float(start[1]))
        except (TypeError, ValueError, IndexError):
            raise FormulaError("The start must be a point (x, y)") from None
        if not (x0 <= start[0] <= x1 and y0 <= start[1] <= y1):
            raise FormulaError(f"The start ({start[0]:g}, {start[1]:g}) lies outside the domain")
    return Surface(
        key=formula_key(formula.text, domain),
        title=title or f"f(x, y) = {formula.text}",
        f=formula.f,
        grad=formula.grad,
        value_and_grad=formula.value_and_grad,
        hessian=formula.hessian,
        domain=domain,
        minima=(),
        f_min=None,
        latex=f"f(x, y) = {formula.latex}",
        start=start,
        log_z=bool(log_z),
        description="Your own formula. Its gradient is computed symbolically; where the formula has no "
        "value (log or sqrt of a negative number, division by zero) the surface has a gap and a path "
        "that enters it stops as diverged.",
    )
