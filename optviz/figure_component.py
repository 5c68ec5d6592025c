"""Persistent plotly view for Streamlit (st.components.v2).

st.plotly_chart remounts its chart whenever the figure changes (streamlit
#4653, #8882), so a rotated 3-D camera snaps back on every rerun.  This
component keeps ONE div alive across reruns and feeds each new figure to
``Plotly.react``.

plotly.js comes from the plotly Python package (no CDN).  It is shipped by a
second, data-less component whose element never changes: Streamlit's
ForwardMsg cache then replaces it by a ~100-byte hash reference on every
rerun, so the 4.8 MB script crosses the websocket once per session.  Inlining
it into the view's ``js`` would resend it whenever the figure changes, because
js and data travel in the same element message.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

from .plotting import KEEP_STATIC_TRACES_JS, PLOTLY_JS_PATH

VIEW_NAME = "optviz.plotly_view"
_LOADER_NAME = "optviz.plotly_js"
_PLOTLY_MIN_JS = PLOTLY_JS_PATH

_VIEW_JS = KEEP_STATIC_TRACES_JS + r"""
// Module code runs once per session (Streamlit caches the blob URL by content).
function whenPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (window.Plotly) { clearInterval(t); resolve(window.Plotly); }
    }, 25);
  });
}

function sameBytes(a, b) {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const clone = (o) => (o == null ? o : JSON.parse(JSON.stringify(o)));

function liveCamera(gd, sceneId) {
  const s = gd._fullLayout && gd._fullLayout[sceneId];
  if (!s) return null;
  try { if (s._scene) return clone(s._scene.getCamera()); } catch (e) { /* not drawn yet */ }
  return clone(s.camera);
}

const TYPED = { f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array,
  i2: Int16Array, u2: Uint16Array, i1: Int8Array, u1: Uint8Array };
function asArray(v) {  // 1-D plotly typed-array spec -> typed array (needed for slicing)
  if (!v || Array.isArray(v) || !v.bdata || !TYPED[v.dtype]) return v;
  const b = Uint8Array.from(atob(v.bdata), (c) => c.charCodeAt(0));
  return new TYPED[v.dtype](b.buffer);
}

function expandFrames(fig) {
  // optviz.plotting sends {"animation": {steps, traces}} instead of frames: O(n) bytes
  // instead of O(n^2). Same result as plotting.expand_frames.
  const anim = fig.animation, data = fig.data || [];
  if (!anim || !Array.isArray(anim.steps) || !Array.isArray(anim.traces)) return fig.frames || [];
  const traces = anim.traces.map((e) => e.index), seen = new Map();
  const arr = (v) => (seen.has(v) ? seen.get(v) : seen.set(v, asArray(v)).get(v));
  return anim.steps.map((k) => ({
    name: String(k), traces,
    data: anim.traces.map((e) => {
      const last = Math.min(k, (e.end ?? Infinity) - 1), out = { type: data[e.index].type };
      for (const d of e.dims) {
        out[d] = e.kind === "path"
          ? Array.prototype.slice.call(arr(data[e.index][d]), 0, last + 1)
          : [arr(data[e.source][d])[Math.max(0, last)]];
      }
      return out;
    }),
  }));
}


// plotly's read-back of a camera moves its last digits (1.5499999999999996 -> ...98):
// compare rounded, or every new figure would report a "change" and rerun the app.
const camKey = (c) => JSON.stringify(c, (k, v) => (typeof v === "number" ? Math.round(v * 1e6) / 1e6 : v));

function reportCamera(gd) {
  const ov = gd._ov, cam = liveCamera(gd, "scene"), s = cam ? camKey(cam) : null;
  if (cam && s !== ov.sentCamera) { ov.sentCamera = s; ov.setState("camera", cam); }
}

function attachListeners(gd) {
  const ov = gd._ov;
  gd.on("plotly_relayout", (ev) => {
    if (!ev || !Object.keys(ev).some((k) => k.startsWith("scene.camera"))) return;
    // Debounced: scroll-zoom emits many relayouts and every setStateValue reruns the app.
    clearTimeout(ov.timer);
    ov.timer = setTimeout(() => reportCamera(gd), 300);
  });
  gd.on("plotly_click", (ev) => {
    const pt = ev && ev.points && ev.points[0];
    if (!pt || !pt.xaxis || !pt.yaxis) return;          // 3-D points carry no 2-D axes
    let x = pt.x, y = pt.y;
    const e = ev.event, xa = pt.xaxis, ya = pt.yaxis;
    if (e && typeof e.clientX === "number") {
      // Heatmap/contour points snap to grid nodes: report the cursor position instead.
      const r = gd.getBoundingClientRect();
      const cx = xa.p2d(e.clientX - r.left - xa._offset);
      const cy = ya.p2d(e.clientY - r.top - ya._offset);
      if (isFinite(cx) && isFinite(cy)) { x = cx; y = cy; }
    }
    ov.setTrigger("click", { x: Number(x), y: Number(y) });
  });
}

async function render(gd, bytes) {
  const Plotly = await whenPlotly();
  const ov = gd._ov;
  const msg = JSON.parse(new TextDecoder().decode(bytes));
  const fig = msg.figure || {};
  const layout = fig.layout || {};
  if (layout.height == null) layout.height = msg.height;
  // Constant uirevision keeps 2-D zoom too; changing it from Python resets the view.
  if (layout.uirevision == null) layout.uirevision = "optviz";
  const firstDraw = !gd._fullLayout;
  if (!firstDraw) {
    // Plotly.react keeps the old frame queue running otherwise.
    if (gd._transitionData && (gd._transitionData._animationRaf ||
        (gd._transitionData._frameQueue || []).length)) {
      await Plotly.animate(gd, [null], { mode: "immediate",
        frame: { duration: 0, redraw: false }, transition: { duration: 0 } });
    }
    if (String(layout.uirevision) === String(ov.uirevision)) {
      for (const id of (gd._fullLayout._subplots || {}).gl3d || []) {
        const cam = liveCamera(gd, id);
        if (cam && layout[id]) layout[id] = Object.assign({}, layout[id], { camera: cam });
      }
    }
  }
  ov.uirevision = layout.uirevision;
  const config = Object.assign({ responsive: true, displaylogo: false }, fig.config || {});
  // Passing frames inside the figure object makes react replace the old frame set.
  const frames = fig.frames && fig.frames.length ? fig.frames : expandFrames(fig);
  await Plotly.react(gd, { data: fig.data || [], layout, frames, config });
  keepStaticCartesianTraces(gd);
  if (firstDraw) {
    attachListeners(gd);
    const cam = liveCamera(gd, "scene");
    ov.sentCamera = cam ? camKey(cam) : null;  // Python already has it (default)
    // plotly.js is loaded: Python can stop sending the (cached, but still 4.8 MB) loader.
    ov.setState("plotly_ready", true);
  } else {
    reportCamera(gd);  // only differs after a uirevision reset
  }
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  let gd = parentElement.querySelector(":scope > div.optviz-plot");
  if (!gd) {
    gd = document.createElement("div");
    gd.className = "optviz-plot";
    gd.style.width = "100%";
    parentElement.appendChild(gd);
    gd._ov = { queue: Promise.resolve(), bytes: null, timer: null };
  }
  const ov = gd._ov;
  ov.setState = setStateValue;
  ov.setTrigger = setTriggerValue;
  // Reruns caused by other widgets (or by our own setStateValue) resend the same
  // bytes; skipping them keeps a running animation alive.
  if (data && !sameBytes(ov.bytes, data)) {
    ov.bytes = data;
    ov.queue = ov.queue.then(() => render(gd, data))
      .catch((err) => console.error("optviz plotly_view:", err));
  }
  // Called on unmount only; frees the WebGL context.
  return () => setTimeout(() => {
    if (!gd.isConnected && window.Plotly) window.Plotly.purge(gd);
  }, 0);
}
"""

_view = st.components.v2.component(VIEW_NAME, js=_VIEW_JS, isolate_styles=False)


@functools.cache
def _loader() -> Callable[..., Any]:
    # Plotly's UMD wrapper sets window.Plotly itself, also inside an ES module.
    # No shadow root: plotly injects its CSS into document.head.
    js = _PLOTLY_MIN_JS.read_text(encoding="utf-8") + "\nexport default function () {}\n"
    return st.components.v2.component(_LOADER_NAME, js=js, isolate_styles=False)


def _json_default(o: Any) -> Any:
    # Raw numpy in a hand-built dict (much faster than go.Frame objects). Large numeric
    # arrays become plotly.js typed arrays (base64, the format plotly's to_dict() emits);
    # small ones stay lists because e.g. axis "range" rejects typed arrays.
    if isinstance(o, np.ndarray):
        if o.size >= 8 and o.dtype.kind in "fiu":
            a = o
            if a.dtype.itemsize == 8 and a.dtype.kind in "iu":  # no int64 in plotly.js
                a = a.astype("i4") if np.abs(a).max() < 2**31 else a.astype("f8")
            a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
            spec = {"dtype": a.dtype.str[1:], "bdata": base64.b64encode(a.data).decode("ascii")}
            if a.ndim > 1:
                spec["shape"] = ", ".join(map(str, a.shape))
            return spec
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"{type(o).__name__} is not JSON serializable")


def encode_payload(figure: Any, height: int) -> bytes:
    """The bytes the browser receives: JSON {"figure": ..., "height": ...}."""
    if hasattr(figure, "to_dict"):  # accept a go.Figure too
        figure = figure.to_dict()
    payload = {"figure": figure, "height": height}
    # Our own JSON: Streamlit's dict path would silently send str(data) on a TypeError, and
    # allow_nan=False makes a NaN (which JSON.parse rejects) fail here, loudly, not in the page.
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False, default=_json_default)
    return text.encode("utf-8")


def figure_from_element(element: Any) -> dict:
    """Read the figure dict back from an AppTest element (``at.get("bidi_component")``)."""
    return json.loads(bytes(element.proto.bytes))["figure"]


def _noop() -> None:
    pass


def plotly_view(figure: dict, *, key: str, height: int = 620, on_camera=None, on_click=None,
                encoded: bytes | None = None):
    """Render a plotly figure dict {"data": [...], "layout": {...}, "frames": [...]} in a persistent div.
    Returns the component result whose attributes include `camera` (the last 3-D camera the user set, dict or None)
    and `click` (trigger: {"x": float, "y": float} when the user clicked a point in a 2-D "xy" cell, else None).

    The key must be stable across reruns and must not contain "__" (Streamlit's event
    delimiter). The live camera survives new figures as long as
    layout.uirevision stays the same (default "optviz"); change it to force the figure's camera.
    A camera in the figure's layout.scene is used on the first render (e.g. from a share link).
    Instead of "frames" the figure may carry optviz.plotting's compact "animation" spec; the
    browser then builds the frames (like plotting.expand_frames).
    `encoded` may carry encode_payload(figure, height), cached by the caller.
    """
    if hasattr(figure, "to_dict"):
        figure = figure.to_dict()
    data = encoded if encoded is not None else encode_payload(figure, height)
    first_camera = ((figure.get("layout") or {}).get("scene") or {}).get("camera")
    state = st.session_state.get(key)
    ready = bool(state and state.get("plotly_ready"))
    # Same container without gap: the zero-height loader element adds no space. It comes
    # after the view, so dropping it once plotly.js is loaded does not move the view.
    with st.container(gap=None):
        result = _view(
            key=key,
            data=data,
            default={"camera": first_camera, "plotly_ready": ready},
            height=height,
            on_camera_change=on_camera or _noop,
            on_click_change=on_click or _noop,
            on_plotly_ready_change=_noop,
        )
        if not ready:
            _loader()(key=f"{key}-plotlyjs")
    return result
