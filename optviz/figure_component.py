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

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly
import streamlit as st
from plotly.utils import PlotlyJSONEncoder

VIEW_NAME = "optviz.plotly_view"
_LOADER_NAME = "optviz.plotly_js"
_PLOTLY_MIN_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

_VIEW_JS = r"""
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

function attachListeners(gd, Plotly) {
  const ov = gd._ov;
  gd.on("plotly_relayout", (ev) => {
    if (!ev || !Object.keys(ev).some((k) => k.startsWith("scene.camera"))) return;
    // Debounced: a drag emits many relayouts and every setStateValue reruns the app.
    clearTimeout(ov.timer);
    ov.timer = setTimeout(() => {
      const cam = liveCamera(gd, "scene");
      const s = JSON.stringify(cam);
      if (cam && s !== ov.sentCamera) { ov.sentCamera = s; ov.setState("camera", cam); }
    }, 300);
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
  await Plotly.react(gd, { data: fig.data || [], layout, frames: fig.frames || [], config });
  if (firstDraw) {
    attachListeners(gd, Plotly);
    const cam = liveCamera(gd, "scene");
    ov.sentCamera = cam ? JSON.stringify(cam) : null;
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
    # numpy scalars / arrays that plotly's to_dict() left untouched.
    if hasattr(o, "tolist"):
        return o.tolist()
    raise TypeError(f"{type(o).__name__} is not JSON serializable")


def encode_payload(figure: Any, height: int) -> bytes:
    """The bytes the browser receives: JSON {"figure": ..., "height": ...}."""
    if hasattr(figure, "to_dict"):  # accept a go.Figure too
        figure = figure.to_dict()
    payload = {"figure": figure, "height": height}
    try:
        # Streamlit's own dict path would silently send str(data) on a TypeError.
        text = json.dumps(payload, separators=(",", ":"), allow_nan=False, default=_json_default)
    except ValueError:  # NaN/inf: JSON.parse rejects them; plotly's encoder maps them to null
        text = json.dumps(payload, cls=PlotlyJSONEncoder)
    return text.encode("utf-8")


def figure_from_element(element: Any) -> dict:
    """Read the figure dict back from an AppTest element (``at.get("bidi_component")``)."""
    return json.loads(bytes(element.proto.bytes))["figure"]


def _noop() -> None:
    pass


def plotly_view(figure: dict, *, key: str, height: int = 620, on_camera=None, on_click=None):
    """Render a plotly figure dict {"data": [...], "layout": {...}, "frames": [...]} in a persistent div.
    Returns the component result whose attributes include `camera` (the last 3-D camera the user set, dict or None)
    and `click` (trigger: {"x": float, "y": float} when the user clicked a point in a 2-D "xy" cell, else None).

    The key must be stable across reruns. The live camera survives new figures as long as
    layout.uirevision stays the same (default "optviz"); change it to force the figure's camera.
    A camera in the figure's layout.scene is used on the first render (e.g. from a share link).
    """
    if hasattr(figure, "to_dict"):
        figure = figure.to_dict()
    data = encode_payload(figure, height)
    first_camera = ((figure.get("layout") or {}).get("scene") or {}).get("camera")
    # Same container without gap: the zero-height loader element adds no space.
    with st.container(gap=None):
        _loader()(key=f"{key}-plotlyjs")
        return _view(
            key=key,
            data=data,
            default={"camera": first_camera},
            height=height,
            on_camera_change=on_camera or _noop,
            on_click_change=on_click or _noop,
        )
