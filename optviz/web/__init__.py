"""The browser side of optviz: JavaScript files and the JSON they read.

`figure.js` (typed arrays, frame expansion, the plotly.js #4596 fix, quiet animation
interruptions) is shared by the live view and the exported HTML; `view.js` is the live
component (trace cache, render queue, camera, clicks); `boot.js` unpacks the gzipped plotly.js;
`loader.js` is the few lines Streamlit sends with every component element (on every rerun,
so it is kept small), which load plotly.js and the three files above once per page.
The tests syntax-check every file here with `node --check`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

WEB_DIR = Path(__file__).resolve().parent
PAGE_SCRIPTS = ("boot.js", "figure.js", "view.js")  # what the live page runs, in load order


@functools.cache
def script(name: str) -> str:
    return (WEB_DIR / name).read_text(encoding="utf-8")


def page_script() -> str:
    """boot.js, figure.js and view.js as one classic script (what the live page loads once)."""
    return "\n".join(script(name) for name in PAGE_SCRIPTS)


def typed_array_spec(o: np.ndarray) -> dict | None:
    """plotly.js's typed-array spec {dtype, bdata[, shape]} for a numeric array of 8 or more
    values (the format plotly's to_dict() emits), else None: small arrays stay lists because
    e.g. axis "range" rejects typed arrays."""
    if o.size < 8 or o.dtype.kind not in "fiu":
        return None
    a = o
    if a.dtype.kind == "f" and not np.isfinite(a).all():  # see finite_for_json: ±inf is a gap (NaN)
        a = np.where(np.isinf(a), np.nan, a).astype(a.dtype, copy=False)
    if a.dtype.itemsize == 8 and a.dtype.kind in "iu":  # no int64 in plotly.js
        a = a.astype("i4") if np.abs(a).max() < 2**31 else a.astype("f8")
    a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
    spec = {"dtype": a.dtype.str[1:], "bdata": base64.b64encode(a.data).decode("ascii")}
    if a.ndim > 1:
        spec["shape"] = ", ".join(map(str, a.shape))
    return spec


def json_default(o: Any) -> Any:
    # Raw numpy in a hand-built dict (much faster than go.Frame objects).
    if isinstance(o, np.ndarray):
        spec = typed_array_spec(o)
        return o.tolist() if spec is None else spec
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"{type(o).__name__} is not JSON serializable")


# --- non-finite numbers: the one policy for everything that becomes JSON for the browser -------

STRICT_ENV = "OPTVIZ_STRICT_JSON"  # "1": a non-finite number where plotly cannot take one raises
# Keys whose list values are data arrays, where NaN is a gap (plotly reads null so); everywhere
# else (an axis range, a contour level, a colour bound, a position) a number must be finite.
DATA_KEYS = frozenset({"x", "y", "z", "customdata", "size", "color", "text", "hovertext", "values", "base"})


class NonFiniteError(ValueError):
    """A figure carries an infinite number, or a NaN outside a data array: a bug in its builder."""


def nonfinite_paths(obj: Any, path: str = "", limit: int = 20) -> list[str]:
    """Where `obj` holds a number plotly cannot take: ±inf anywhere (also in a numpy array or
    beyond float32 in a float32 array: it is inf there), and NaN outside a data array (in an
    array, or a list under a `DATA_KEYS` key, NaN is a gap). Empty when the figure is clean."""
    found: list[str] = []

    def visit(o: Any, where: str, in_data: bool) -> None:
        if len(found) >= limit:
            return
        if isinstance(o, dict):
            for k, v in o.items():
                visit(v, f"{where}.{k}", str(k) in DATA_KEYS)
        elif isinstance(o, (list, tuple)):
            for i, v in enumerate(o):
                visit(v, f"{where}[{i}]", in_data)
        elif isinstance(o, np.ndarray):
            if o.dtype.kind == "f" and o.size and np.isinf(o).any():
                found.append(f"{where}: {int(np.isinf(o).sum())} infinite of {o.size}")
            elif o.dtype == object:
                visit(list(o.ravel()), where, True)
        elif isinstance(o, (float, np.floating)) and not math.isfinite(o):
            if not (in_data and math.isnan(o)):
                found.append(f"{where}: {o}")

    visit(obj, path, False)
    return found


def finite_for_json(obj: Any, strict: bool | None = None) -> Any:
    """`obj` with every non-finite number handled on purpose, as the page must get it: ±inf in a
    numeric array becomes NaN (a gap in a line, a hole in a surface; plotly reads NaN in a typed
    array so), NaN in a plain list becomes None (JSON null, the same gap), and any other
    non-finite number None (plotly then uses that attribute's default, never a broken page).
    The figure builders never leave one where it would mean something (ranges, levels and colour
    bounds come from finite values only); `strict` (default: the OPTVIZ_STRICT_JSON environment
    variable, which the tests set) raises NonFiniteError naming where, instead of repairing it."""
    if strict is None:
        strict = os.environ.get(STRICT_ENV, "") not in ("", "0")
    if strict:
        bad = nonfinite_paths(obj)
        if bad:
            raise NonFiniteError("not finite where plotly needs a number: " + "; ".join(bad))
    return _repaired(obj)


def _repaired(o: Any) -> Any:
    """`o` itself when every number in it is finite (the usual case: nothing is copied), else a
    copy of the containers on the way to what was repaired."""
    if isinstance(o, dict):
        out = None
        for k, v in o.items():
            r = _repaired(v)
            if r is not v:
                out = dict(o) if out is None else out
                out[k] = r
        return o if out is None else out
    if isinstance(o, (list, tuple)):
        out = None
        for i, v in enumerate(o):
            r = _repaired(v)
            if r is not v:
                out = list(o) if out is None else out
                out[i] = r
        return o if out is None else out
    if isinstance(o, np.ndarray):
        if o.dtype.kind == "f" and o.size and not np.isfinite(o).all():
            if o.size < 8:  # travels as a list (typed_array_spec): NaN has no JSON, null is a gap
                return [v if math.isfinite(v) else None for v in o.tolist()]
            return np.where(np.isinf(o), np.nan, o).astype(o.dtype, copy=False)
        return o
    if isinstance(o, float) and not math.isfinite(o):  # np.float64 is a float too
        return None
    if isinstance(o, np.floating) and not np.isfinite(o):
        return None
    return o


def to_json(obj: Any, default=json_default, strict: bool | None = None) -> str:
    """Strict JSON for the browser: numpy arrays as plotly typed arrays, every non-finite number
    handled by `finite_for_json` (so JSON.parse in the page never meets NaN or Infinity). Costs
    nothing when all is finite: a typed array repairs itself (`typed_array_spec`), and a NaN in a
    list or a scalar makes json refuse the first attempt, after which the repaired copy is written."""
    if strict is None:
        strict = os.environ.get(STRICT_ENV, "") not in ("", "0")
    if strict:
        finite_for_json(obj, strict=True)
    try:
        return json.dumps(obj, separators=(",", ":"), allow_nan=False, default=default)
    except ValueError:
        return json.dumps(_repaired(obj), separators=(",", ":"), allow_nan=False, default=default)


def to_json_with_arrays(obj: Any) -> tuple[str, dict[str, dict]]:
    """Strict JSON like `to_json`, every numeric array of 8 or more values written once: in the
    text as {"$arr": id}, its typed-array spec in the returned table under that id (a hash of its
    content, so an array shared by traces, such as a path's x in the 3-D and the 2-D cell and in
    their casings, is stored once). The exported page resolves them with figure.js
    (`optvizFigure.withArrays`), as the live view does with the pieces it receives."""
    table: dict[str, dict] = {}

    def default(o: Any) -> Any:
        if isinstance(o, np.ndarray):
            spec = typed_array_spec(o)
            if spec is None:
                return o.tolist()
            aid = "a" + hashlib.blake2b(json.dumps(spec, separators=(",", ":")).encode("ascii"),
                                        digest_size=8).hexdigest()
            table[aid] = spec
            return {"$arr": aid}
        return json_default(o)

    return to_json(obj, default), table
