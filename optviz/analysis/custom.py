r"""Surfaces made at run time: a typed formula ("your own surface") and data of one's own.

Neither is in `surfaces.SURFACES`, yet the app, its caches and the settings look surfaces up by
key. So each gets a key unique to what defines it, and a resolver registered with
`surfaces.register_resolver` makes `SURFACES[key]` work for it in every module unchanged:

- a formula: `surfaces.formula.formula_key(text, domain)` = "custom:<text>@x0,x1,y0,y1". The key
  holds everything needed, so the resolver rebuilds the surface from the key alone
  (`with_minima(formula_surface(text, domain))`, numerical minima found and marked), cached per
  process (`FORMULA_CACHE` surfaces, least recently used first out; a rebuild costs what
  docs/benchmarks.md says).
  The domain is the one written in the key (6 significant digits), so the key, the link and the
  surface always agree.
- data: `surfaces.regression.data_key(x, y, standardize)` = "mse:<sha256 prefix>[:std]". The key
  does not hold the data, so `register_data` keeps the surface in a bounded per-process registry
  (`DATA_REGISTRY` surfaces); a session keeps its own data in its session state too and registers
  it again on every run (`ensure_data`), so an entry pushed out by other sessions comes back.
  The bundled data with "standardize x" on is such a surface too.

Links (`link_query` / `read_link`), read and written by `optviz.settings` through its surface hooks:

    surface=custom&f=sin(x)*cos(y)&xr=-3,3&yr=-3,3     a formula and its x and y ranges
    surface=mse&data=d:1,2;3,4.5;...&std=1              data of one's own (at most
                                                         `MAX_LINK_ROWS` rows travel in a link)

Data with more rows than a link carries are not in the link: it opens the bundled data, and the
app says so next to the data field (`data_link_note`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

import surfaces
from surfaces import SURFACES, Surface
from surfaces.regression import (
    MAX_LINK_CHARS,
    MAX_LINK_ROWS,
    DataError,
    data_key,
    decode_data,
    encode_data,
    load_bundled_data,
    make_mse_surface,
)

FORMULA_PREFIX = "custom:"
DATA_PREFIX = "mse:"
CUSTOM_CHOICE = "custom"  # the link's surface=custom
DATA_CHOICE = "mse"  # the bundled regression surface's key; its variants are "mse:..."
DEFAULT_FORMULA = "sin(x)*cos(y) + 0.1*x**2"
DEFAULT_RANGE = (-3.0, 3.0)
FORMULA_TITLE = "Your own formula f(x, y)"
FORMULA_CACHE = 32
DATA_REGISTRY = 64
LINK_KEYS = ("f", "xr", "yr", "data", "std")


def format_range(lo: float, hi: float) -> str:
    return f"{lo:g},{hi:g}"


# --- formula surfaces --------------------------------------------------------------------------


def split_formula_key(key: str) -> tuple[str, tuple[tuple[float, float], tuple[float, float]]]:
    """(text, domain) of a formula key (KeyError if it is not one)."""
    if not key.startswith(FORMULA_PREFIX) or "@" not in key:
        raise KeyError(key)
    text, _, bounds = key[len(FORMULA_PREFIX):].rpartition("@")
    try:
        x0, x1, y0, y1 = (float(v) for v in bounds.split(","))
    except ValueError:
        raise KeyError(key) from None
    return text, ((x0, x1), (y0, y1))


def formula_surface_key(text: str, xr: tuple[float, float] = DEFAULT_RANGE,
                        yr: tuple[float, float] = DEFAULT_RANGE) -> str:
    """The key of a typed formula on a domain; FormulaError (with a message for the student) if
    either is refused. Building the surface (its minima) happens on first look-up."""
    from surfaces.formula import compile_formula, formula_key

    text = text.strip() if isinstance(text, str) else text
    compile_formula(text)  # refuses a bad formula before anything else
    key = formula_key(text, (xr, yr))
    SURFACES[key]  # builds it now, so a formula with no value on the domain is refused here
    return key


@lru_cache(maxsize=FORMULA_CACHE)
def _formula(key: str) -> Surface:
    from surfaces.formula import FormulaError, formula_surface

    from .minima import with_minima

    text, domain = split_formula_key(key)
    try:
        # The title is shown as Markdown: the formula's * would turn into italics there, so the
        # formula itself is shown by its LaTeX.
        return with_minima(formula_surface(text, domain, title=FORMULA_TITLE))
    except FormulaError:
        raise
    except ValueError as exc:  # anything else is the formula's fault too, never a crash
        raise FormulaError(str(exc)) from None


def resolve_formula(key: str) -> Surface:
    return _formula(key)


def is_formula(key: str) -> bool:
    return isinstance(key, str) and key.startswith(FORMULA_PREFIX)


# --- data surfaces -----------------------------------------------------------------------------

_data: OrderedDict[str, Surface] = OrderedDict()
_lock = threading.Lock()


def register_data(x, y, standardize: bool = False) -> Surface:
    """The MSE surface of (x, y) (validated: ValueError/DataError on bad data), registered under
    its `data_key`. The bundled data without standardizing is the bundled "mse" surface itself."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    bx, by = _bundled()
    if not standardize and x.shape == bx.shape and np.array_equal(x, bx) and np.array_equal(y, by):
        return SURFACES[DATA_CHOICE]
    key = data_key(x, y, standardize)
    with _lock:
        surface = _data.get(key)
        if surface is not None:
            _data.move_to_end(key)
            return surface
    surface = make_mse_surface(x, y, standardize=standardize, key=key)
    with _lock:
        _data[key] = surface
        while len(_data) > DATA_REGISTRY:
            _data.popitem(last=False)
    return surface


def resolve_data(key: str) -> Surface:
    with _lock:
        surface = _data.get(key)
        if surface is not None:
            _data.move_to_end(key)
            return surface
    if key == data_key(*_bundled(), True):
        return register_data(*_bundled(), True)
    raise KeyError(key)


@lru_cache(maxsize=1)
def _bundled() -> tuple[np.ndarray, np.ndarray]:
    return load_bundled_data()


def is_data(key: str) -> bool:
    return isinstance(key, str) and (key == DATA_CHOICE or key.startswith(DATA_PREFIX))


def is_standardized(surface: Surface) -> bool:
    return surface.key.endswith(":std")


def raw_data(surface: Surface) -> tuple[np.ndarray, np.ndarray]:
    """The data as given (before standardizing): what a link or a download carries."""
    if not is_standardized(surface):
        return surface.data
    return _raw.get(surface.key, surface.data)


_raw: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def data_surface(x, y, standardize: bool) -> Surface:
    """`register_data`, remembering the raw data of a standardized surface (its link carries them)."""
    surface = register_data(x, y, standardize)
    if standardize:
        with _lock:
            _raw[surface.key] = (np.asarray(x, dtype=float), np.asarray(y, dtype=float))
            while len(_raw) > DATA_REGISTRY:
                _raw.pop(next(iter(_raw)))
    return surface


def is_bundled(x, y) -> bool:
    bx, by = _bundled()
    return np.shape(x) == bx.shape and np.array_equal(x, bx) and np.array_equal(y, by)


def data_link_note(rows: int) -> str:
    """What a share link carries of data with `rows` rows, in one sentence."""
    if rows <= MAX_LINK_ROWS:
        return (f"The share link carries these {rows} rows (up to {MAX_LINK_ROWS} travel in a link), so it opens "
                "the same data.")
    return (f"The share link does not carry these {rows:,} rows (at most {MAX_LINK_ROWS} travel in a link): "
            "whoever opens it sees the bundled data instead. Share the file along with the link.")


surfaces.register_resolver(FORMULA_PREFIX, resolve_formula)
surfaces.register_resolver(DATA_PREFIX, resolve_data)


# --- the surface choice and the link (used by optviz.settings) -----------------------------------


def surface_choices(current: Surface | None) -> tuple[str, ...]:
    """The surface choice's keys: the bundled surfaces, the regression as the variant now shown,
    and "your own formula" as the formula now shown (or the default formula)."""
    keys = [current.key if (current is not None and k == DATA_CHOICE and is_data(current.key)) else k
            for k in SURFACES]
    keys.append(current.key if current is not None and is_formula(current.key) else default_formula_key())
    return tuple(keys)


@lru_cache(maxsize=1)
def default_formula_key() -> str:
    from surfaces.formula import formula_key

    return formula_key(DEFAULT_FORMULA, (DEFAULT_RANGE, DEFAULT_RANGE))


def surface_label(key: str) -> str:
    return FORMULA_TITLE if is_formula(key) else SURFACES[key].title


def link_query(surface_key: str) -> dict[str, str]:
    """The link parameters of a surface made at run time (empty for a bundled one)."""
    if is_formula(surface_key):
        text, ((x0, x1), (y0, y1)) = split_formula_key(surface_key)
        return {"surface": CUSTOM_CHOICE, "f": text, "xr": format_range(x0, x1), "yr": format_range(y0, y1)}
    if is_data(surface_key) and surface_key != DATA_CHOICE:
        surface = SURFACES[surface_key]
        x, y = raw_data(surface)
        out = {"surface": DATA_CHOICE}
        if is_standardized(surface):
            out["std"] = "1"
        if not is_bundled(x, y) and len(x) <= MAX_LINK_ROWS:
            out["data"] = encode_data(x, y)
        return out
    return {}


def read_link(raw: dict[str, str], notices: list[str]) -> str | None:
    """The surface key a link's surface=custom (f, xr, yr) or surface=mse (data, std) asks for,
    None when the link names a bundled surface the usual way. A bad formula, range or data gives a
    notice and the default formula or the bundled data."""
    from surfaces.formula import FormulaError, parse_range

    choice = raw.get("surface", "").strip()
    if choice == CUSTOM_CHOICE:
        text = raw.get("f", "").strip() or DEFAULT_FORMULA
        ranges = []
        for name in ("x", "y"):
            value = raw.get(f"{name}r", "").strip()
            try:
                ranges.append(parse_range(value, name) if value else DEFAULT_RANGE)
            except FormulaError as exc:
                notices.append(f"{exc.message}: used {format_range(*DEFAULT_RANGE)}")
                ranges.append(DEFAULT_RANGE)
        try:
            return formula_surface_key(text, *ranges)
        except FormulaError as exc:
            notices.append(f"the formula in the link was refused ({exc}): showing {DEFAULT_FORMULA}")
            return default_formula_key()
    if choice == DATA_CHOICE and (raw.get("data") or raw.get("std")):
        standardize = raw.get("std", "").strip() == "1"
        x, y = _bundled()
        text = raw.get("data", "").strip()
        if text:
            try:
                if len(text) > MAX_LINK_CHARS:
                    raise DataError(f"The data in the link are too long (at most {MAX_LINK_CHARS} characters)")
                x, y = decode_data(text)
            except (DataError, ValueError) as exc:
                notices.append(f"{exc}: showing the bundled data")
        return data_surface(x, y, standardize).key
    return None
