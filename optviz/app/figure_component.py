"""Persistent plotly views for Streamlit (st.components.v2), sending only what changed.

st.plotly_chart remounts its chart whenever the figure changes (streamlit #4653, #8882), so a
rotated 3-D camera snaps back on every rerun, and it ships the whole figure every time. These
components keep ONE div alive across reruns and feed each new figure to ``Plotly.react``.

What crosses the wire:
- plotly.js (from the plotly package, never a CDN) and the view code (optviz/web/*.js) are
  served over HTTP by Streamlit's static file serving (``server.enableStaticServing``), once
  per browser: plotly.js pre-gzipped (1.5 MB instead of 4.8 MB; the page unpacks it with
  DecompressionStream, Streamlit serves .gz files as they are). Each component element carries
  only optviz/web/loader.js, trimmed to 1.2 KB (it travels with every changed element).
  With static serving off, the same files travel once per session through the websocket in
  a data-less element (Streamlit's message cache then sends a hash reference on later reruns).
- Each trace has a content id (a hash of its JSON). The session remembers which ids it sent;
  a payload carries new traces in full and the others as {"$ref": id}. The page keeps decoded
  traces by id, so unchanged traces (surface, contour, other optimizers) are neither resent nor
  re-parsed, and Plotly.react gets the very same objects. An id the page no longer has is
  reported back ("missing") and sent again in full on the rerun that report causes.

The trajectory view and the step charts are two registered names with the same code, so an
AppTest can tell them apart.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from .. import web
from ..plot.html_export import PLOTLY_JS_PATH

VIEW_NAME = "optviz.plotly_view"  # the trajectory view (camera, clicks, animation)
CHART_NAME = "optviz.plotly_chart"  # loss and distance charts
_INLINE_ASSETS_NAME = "optviz.assets"
_PLOTLY_MIN_JS = PLOTLY_JS_PATH
SENT_LIMIT = 600  # piece ids remembered per session; the page keeps 800 (view.js CACHE_LIMIT)
_SENT_KEY = "_optviz_sent_traces"


def _digest(data: bytes, size: int = 8) -> str:
    return hashlib.blake2b(data, digest_size=size).hexdigest()


# --- static assets: plotly.js and the view code over HTTP ------------------------------------


@dataclass(frozen=True)
class StaticAssets:
    """File names (under the app's static/ folder) and their contents' source."""

    plotly: str
    view: str

    def urls(self) -> dict[str, str]:
        return {"plotly": f"app/static/{self.plotly}", "view": f"app/static/{self.view}"}


def _plotly_version() -> str:
    with open(_PLOTLY_MIN_JS, encoding="utf-8") as f:
        head = f.read(200)
    match = re.search(r"plotly\.js v(\d+\.\d+\.\d+)", head)
    return match.group(1) if match else "unknown"


def _static_assets() -> StaticAssets:
    # Names carry a content hash: a new plotly or a new view.js is a new URL, never a stale cache.
    plotly_hash = _digest(_PLOTLY_MIN_JS.read_bytes(), 4)
    view_hash = _digest(web.page_script().encode("utf-8"), 4)
    return StaticAssets(f"plotly-{_plotly_version()}-{plotly_hash}.min.js.gz", f"optviz-view-{view_hash}.js")


ASSETS = _static_assets()
_publish_lock = threading.Lock()
_published: set[Path] = set()


def _write_atomically(path: Path, data: bytes, mtime: float) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # Last-Modified = the source's time: with no Cache-Control from Streamlit, browsers keep
        # a file for a tenth of its age before asking again (the names change with the content).
        os.utime(tmp, (mtime, mtime))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def publish_static_assets(static_dir: Path) -> StaticAssets:
    """Write plotly.js (gzipped) and the view code into `static_dir` unless already there."""
    static_dir = Path(static_dir)
    with _publish_lock:
        if static_dir in _published:
            return ASSETS
        static_dir.mkdir(parents=True, exist_ok=True)
        plotly_path = static_dir / ASSETS.plotly
        if not plotly_path.is_file():
            source = _PLOTLY_MIN_JS.read_bytes()
            _write_atomically(plotly_path, gzip.compress(source, 9, mtime=0), _PLOTLY_MIN_JS.stat().st_mtime)
        view_path = static_dir / ASSETS.view
        if not view_path.is_file():
            newest = max((web.WEB_DIR / name).stat().st_mtime for name in web.PAGE_SCRIPTS)
            _write_atomically(view_path, web.page_script().encode("utf-8"), newest)
        _published.add(static_dir)
    return ASSETS


def _static_dir() -> Path | None:
    """The app's static/ folder when Streamlit serves it, else None."""
    if not st.get_option("server.enableStaticServing"):
        return None
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    main = getattr(ctx, "main_script_path", None) if ctx else None
    return Path(main).resolve().parent / "static" if main else None


def _loader_js(assets: StaticAssets | None) -> str:
    """loader.js as sent with every element, on every rerun: asset URLs filled in, its comments,
    indentation and blank lines left out (a third of the size; the file has no multi-line
    strings, so lines can be trimmed)."""
    code = web.script("loader.js")
    code = code[code.index("*/") + 2:] if code.startswith("/*") else code
    lines = (line.strip() for line in code.splitlines())
    code = "\n".join(line for line in lines if line and not line.startswith("//"))
    urls = json.dumps(assets.urls() if assets else None, separators=(",", ":"))
    return code.replace("const ASSETS = __OPTVIZ_ASSETS__;", f"const ASSETS = {urls};", 1)


_components: dict[tuple[str, bool], Callable[..., Any]] = {}


def _component(name: str, static: bool) -> Callable[..., Any]:
    # Registered lazily, per delivery mode: the loader's text names the asset URLs.
    key = (name, static)
    if key not in _components:
        _components[key] = st.components.v2.component(
            name, js=_loader_js(ASSETS if static else None), isolate_styles=False)
    return _components[key]


def _inline_assets() -> Callable[..., Any]:
    # No shadow root: plotly injects its CSS into document.head. Plotly's UMD wrapper sets
    # window.Plotly itself, also inside an ES module.
    key = (_INLINE_ASSETS_NAME, False)
    if key not in _components:
        js = _PLOTLY_MIN_JS.read_text(encoding="utf-8") + "\n" + web.page_script() + "\nexport default function () {}\n"
        _components[key] = st.components.v2.component(_INLINE_ASSETS_NAME, js=js, isolate_styles=False)
    return _components[key]


# --- payloads: arrays, traces and layout by content id ---------------------------------------


@dataclass(frozen=True)
class EncodedFigure:
    """A figure as JSON text, cut into pieces with content ids.

    `arrays`: (id, JSON typed-array spec) of every numeric array of 8 values or more, which the
    traces and parts name as {"$arr": id}, so an array shared by traces (the 3-D and the 2-D
    path) or unchanged between figures (the step numbers) travels once; `traces`: (id, JSON
    text of each trace); `parts`: (key, id, JSON text) of everything else (layout, animation,
    frames); `id` names the whole figure."""

    id: str
    arrays: tuple[tuple[str, str], ...]
    traces: tuple[tuple[str, str], ...]
    parts: tuple[tuple[str, str, str], ...]

    def ids(self) -> list[str]:
        return [i for i, _ in self.arrays] + [i for i, _ in self.traces] + [i for _, i, _ in self.parts]


# id -> JSON text of every piece encoded lately, so figure_from_element can resolve references.
_TEXTS: OrderedDict[str, str] = OrderedDict()
_TEXTS_LIMIT = 4096
_texts_lock = threading.Lock()


def _remember_texts(encoded: EncodedFigure) -> None:
    with _texts_lock:
        for tid, text in (*encoded.arrays, *encoded.traces, *((i, t) for _, i, t in encoded.parts)):
            _TEXTS[tid] = text
            _TEXTS.move_to_end(tid)
        while len(_TEXTS) > _TEXTS_LIMIT:
            _TEXTS.popitem(last=False)


def _text(tid: str) -> str:
    with _texts_lock:
        text = _TEXTS.get(tid)
    if text is None:
        raise KeyError(f"{tid} was never encoded in this process")
    return text


def encode_figure(figure: Any, base: tuple[dict, EncodedFigure] | None = None) -> EncodedFigure:
    """Encode a figure dict {"data", "layout", ...} (or a go.Figure) once; cache the result.
    `base`: a figure and its encoding that this figure extends (every trace of it kept): a trace or
    part that is the very same object as the base's is not encoded again."""
    if hasattr(figure, "to_dict"):
        figure = figure.to_dict()
    arrays: dict[str, str] = {}
    known_traces: dict[int, tuple[str, str]] = {}
    known_parts: dict[str, tuple[object, str, str]] = {}
    if base is not None:
        base_figure, base_encoded = base
        arrays.update(base_encoded.arrays)
        known_traces = {id(t): piece for t, piece in zip(base_figure.get("data") or [], base_encoded.traces,
                                                          strict=True)}
        known_parts = {key: (base_figure[key], pid, text) for key, pid, text in base_encoded.parts}

    def default(o: Any) -> Any:
        if isinstance(o, np.ndarray):
            spec = web.typed_array_spec(o)
            if spec is None:
                return o.tolist()
            text = json.dumps(spec, separators=(",", ":"))
            aid = "a" + _digest(text.encode("ascii"))
            arrays[aid] = text
            return {"$arr": aid}
        return web.json_default(o)

    traces = []
    for trace in figure.get("data") or []:
        if id(trace) in known_traces:
            traces.append(known_traces[id(trace)])
            continue
        text = web.to_json(trace, default)
        traces.append(("t" + _digest(text.encode("utf-8")), text))
    parts = []
    for key, value in figure.items():
        if key in known_parts and known_parts[key][0] is value:
            parts.append((key, *known_parts[key][1:]))
        elif key != "data":
            text = web.to_json(value, default)
            parts.append((key, "p" + _digest(text.encode("utf-8")), text))
    ids = ",".join([tid for tid, _ in traces] + [f"{k}={pid}" for k, pid, _ in parts])
    encoded = EncodedFigure(_digest(ids.encode()), tuple(arrays.items()), tuple(traces), tuple(parts))
    _remember_texts(encoded)
    return encoded


def payload_bytes(encoded: EncodedFigure, height: int, *, kind: str = "view", events: tuple[str, ...] = (),
                  sent: set | OrderedDict | None = None) -> bytes:
    """The bytes the page receives: pieces in `sent` as references, the others in full."""
    sent = sent if sent is not None else ()

    def piece(pid: str, text: str) -> str:
        return f'{{"$ref":"{pid}"}}' if pid in sent else f'{{"$id":"{pid}","$v":{text}}}'

    arrays = ",".join(f'"{aid}":{text}' for aid, text in encoded.arrays if aid not in sent)
    data = ",".join(piece(tid, text) for tid, text in encoded.traces)
    parts = "".join(f',"{key}":{piece(pid, text)}' for key, pid, text in encoded.parts)
    head = json.dumps({"v": 2, "id": f"{encoded.id}:{height}", "kind": kind, "height": height,
                       "events": list(events)}, separators=(",", ":"))
    return (head[:-1] + ',"arrays":{' + arrays + '},"figure":{"data":[' + data + "]" + parts + "}}").encode("utf-8")


def encode_payload(figure: Any, height: int) -> bytes:
    """The whole figure as the page would receive it on a first draw (every piece in full)."""
    return payload_bytes(encode_figure(figure), height)


def _resolve(value: Any, arrays: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$arr"}:
            aid = value["$arr"]
            return json.loads(arrays[aid]) if aid in arrays else json.loads(_text(aid))
        return {k: _resolve(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, arrays) for v in value]
    return value


def decode_payload(data: bytes) -> dict:
    """The whole figure dict a payload stands for, its references filled in from the pieces
    this process encoded (typed arrays stay plotly specs {dtype, bdata})."""
    msg = json.loads(data)
    arrays = {k: json.dumps(v) for k, v in msg.get("arrays", {}).items()}

    def piece(p: dict) -> Any:
        value = json.loads(_text(p["$ref"])) if "$ref" in p else p["$v"]
        return _resolve(value, arrays)

    figure = msg["figure"]
    out = {"data": [piece(t) for t in figure.get("data", [])]}
    out.update({k: piece(v) for k, v in figure.items() if k != "data"})
    return out


def figure_from_element(element: Any) -> dict:
    """The whole figure dict from an AppTest element (``at.get("bidi_component")``), with the
    pieces the session sent earlier (references) filled in."""
    return decode_payload(bytes(element.proto.bytes))


# --- the components --------------------------------------------------------------------------


def _noop() -> None:
    pass


def _sent_traces() -> OrderedDict:
    ss = st.session_state
    if _SENT_KEY not in ss:
        ss[_SENT_KEY] = OrderedDict()
    return ss[_SENT_KEY]


def _forget_missing(key: str) -> Callable[[], None]:
    def forget() -> None:
        state = st.session_state.get(key)
        missing = state.get("missing") if state is not None and hasattr(state, "get") else None
        ids = missing.get("ids") if isinstance(missing, dict) else None
        if isinstance(ids, list):
            sent = _sent_traces()
            for tid in ids:
                if isinstance(tid, str):
                    sent.pop(tid, None)
    return forget


def _render(name: str, figure: Any, *, key: str, height: int, kind: str, events: tuple[str, ...],
            encoded: EncodedFigure | None, callbacks: dict[str, Callable[[], None]], default: dict):
    if encoded is None:
        encoded = encode_figure(figure)
    else:
        _remember_texts(encoded)  # keeps figure_from_element able to resolve them
    static_dir = _static_dir()
    if static_dir is not None:
        publish_static_assets(static_dir)
    sent = _sent_traces()
    data = payload_bytes(encoded, height, kind=kind, events=events, sent=sent)
    for tid in encoded.ids():  # what the page will hold once this message arrives
        sent[tid] = True
        sent.move_to_end(tid)
    while len(sent) > SENT_LIMIT:
        sent.popitem(last=False)
    inline = static_dir is None
    with st.container(gap=None):
        result = _component(name, static_dir is not None)(
            # The trajectory view sizes itself: on a phone its cells stack and it grows taller
            # than `height` (view.js), which a fixed-height element would scroll.
            key=key, data=data, default={**default, "missing": None}, height="content" if kind == "view" else height,
            on_missing_change=_forget_missing(key), **callbacks)
        if inline:
            # Never changes, so after the first message Streamlit's message cache sends a hash
            # reference instead. Same container without gap: the empty element adds no space.
            _inline_assets()(key=f"{key}-assets")
    return result


def plotly_view(figure: Any = None, *, key: str, height: int = 620, on_camera=None, on_click=None,
                encoded: EncodedFigure | None = None):
    """Render the trajectory figure {"data", "layout", "frames", "animation"} in a persistent div.
    Returns the component result whose attributes include `camera` (the last 3-D camera the
    user set, dict or None), `click` (trigger: {"x": float, "y": float} when the user clicked
    a point in a 2-D "xy" cell, else None) and `touch` (True once the page found that its screen's
    pointer is a finger, `(pointer: coarse)`: phones and tablets; else None).

    The key must be stable across reruns and must not contain "__" (Streamlit's event
    delimiter). The live camera survives new figures as long as layout.uirevision stays the same
    (default "optviz"); change it to force the figure's camera. A camera in the figure's
    layout.scene is used on the first render (e.g. from a share link). Instead of "frames" the
    figure may carry optviz.plot.trajectory's compact "animation" spec; the page builds the frames
    (optviz/web/figure.js). `encoded` may carry encode_figure(figure), cached by the caller.
    """
    if figure is None and encoded is None:
        raise ValueError("plotly_view needs a figure or its encode_figure()")
    if hasattr(figure, "to_dict"):
        figure = figure.to_dict()
    first_camera = (((figure or {}).get("layout") or {}).get("scene") or {}).get("camera")
    if encoded is not None and figure is None:
        layout = next((json.loads(text) for k, _, text in encoded.parts if k == "layout"), {})
        first_camera = ((layout.get("scene") or {}).get("camera"))
    return _render(VIEW_NAME, figure, key=key, height=height, kind="view", events=("camera", "click", "touch"),
                   encoded=encoded, default={"camera": first_camera, "touch": None},
                   callbacks={"on_camera_change": on_camera or _noop, "on_click_change": on_click or _noop,
                              "on_touch_change": _noop})


def view_event(result: Any, name: str) -> Any:
    """One field ("camera", "click" or "touch") of a plotly_view result, read from session state: Streamlit
    hands it back as a mapping or as an object with attributes, depending on how it was stored."""
    if result is None:
        return None
    return result.get(name) if hasattr(result, "get") else getattr(result, name, None)


def clicked_point(result: Any) -> tuple[float, float] | None:
    """The finite (x, y) of the last click in a plotly_view result, or None for no click or a
    malformed one (the browser's message is not trusted)."""
    click = view_event(result, "click")
    if not isinstance(click, dict):
        return None
    try:
        x, y = float(click["x"]), float(click["y"])
    except (TypeError, ValueError, KeyError):
        return None
    return (x, y) if np.isfinite(x) and np.isfinite(y) else None


def plotly_chart(figure: Any = None, *, key: str, height: int = 300, encoded: EncodedFigure | None = None):
    """A static plotly figure (the loss and distance charts) drawn by the same plotly.js and the
    same code as the trajectory view, so the page loads plotly.js once."""
    if figure is None and encoded is None:
        raise ValueError("plotly_chart needs a figure or its encode_figure()")
    return _render(CHART_NAME, figure, key=key, height=height, kind="chart", events=(), encoded=encoded,
                   callbacks={}, default={})
