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


def to_json(obj: Any, default=json_default) -> str:
    """Strict JSON for the browser: numpy arrays as plotly typed arrays; a NaN outside an array
    fails here, loudly (JSON.parse would reject it in the page)."""
    return json.dumps(obj, separators=(",", ":"), allow_nan=False, default=default)


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
