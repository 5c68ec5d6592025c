/*
 * optviz figure helpers, shared by the live view (view.js) and the exported HTML page.
 *
 * A classic script (no module syntax) so the offline export can inline it next to plotly.js;
 * it defines globalThis.optvizFigure and touches nothing else. The frame expansion lives here
 * and only here: Python's plotting.expand_frames is checked against it by tests/test_component.py.
 */
(function (root) {
  "use strict";

  const TYPED = {
    f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array,
    i2: Int16Array, u2: Uint16Array, i1: Int8Array, u1: Uint8Array,
  };

  function isSpec(v) {
    return !!v && typeof v === "object" && !Array.isArray(v) && typeof v.bdata === "string" && !!TYPED[v.dtype];
  }

  function base64Bytes(text) {
    const raw = atob(text), out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  // plotly's typed-array spec {dtype, bdata, shape} -> a typed array, or rows of one for 2-D
  // (surface and contour z). Decoded once per trace: plotly.js would decode again on every
  // Plotly.react and then see "new" arrays, recomputing traces that did not change.
  function decodeArray(v) {
    if (!isSpec(v)) return v;
    const bytes = base64Bytes(v.bdata);
    const flat = new TYPED[v.dtype](bytes.buffer, 0, bytes.byteLength / TYPED[v.dtype].BYTES_PER_ELEMENT);
    if (!v.shape) return flat;
    const dims = String(v.shape).split(",").map((s) => parseInt(s, 10));
    if (dims.length !== 2) return v;  // leave anything else to plotly.js
    const [rows, cols] = dims, out = new Array(rows);
    for (let r = 0; r < rows; r++) out[r] = flat.subarray(r * cols, (r + 1) * cols);
    return out;
  }

  function decodeTrace(obj) {
    if (isSpec(obj)) return decodeArray(obj);
    if (!obj || typeof obj !== "object" || ArrayBuffer.isView(obj)) return obj;
    if (Array.isArray(obj)) return obj.map(decodeTrace);
    const out = {};
    for (const k of Object.keys(obj)) out[k] = decodeTrace(obj[k]);
    return out;
  }

  const head = (a, n) => (ArrayBuffer.isView(a) ? a.subarray(0, n) : Array.prototype.slice.call(a, 0, n));

  // The frames of a compact figure: {"animation": {steps, traces}} lists, per animated trace,
  // how to cut it per frame ("path": its first k+1 points; "marker": the point k of its source
  // trace, both bounded by the path's last drawable step "end"). O(n) bytes are sent instead of
  // O(n^2). `data` must already be decoded (decodeTrace).
  function expandFrames(fig) {
    const anim = fig.animation, data = fig.data || [];
    if (!anim || !Array.isArray(anim.steps) || !Array.isArray(anim.traces)) return fig.frames || [];
    const indices = anim.traces.map((e) => e.index);
    return anim.steps.map((k) => ({
      name: String(k),
      traces: indices,
      data: anim.traces.map((e) => {
        const end = e.end === undefined || e.end === null ? Infinity : e.end;
        const last = Math.min(k, end - 1), out = { type: data[e.index].type };
        for (const d of e.dims) {
          if (e.kind === "path") {
            out[d] = head(data[e.index][d], last + 1);
          } else {
            out[d] = [data[e.source][d][Math.max(0, last)]];
          }
        }
        return out;
      }),
    }));
  }

  // plotly.js #4596: during a frame transition cartesian.plot receives only the frame's
  // animatable (scatter) traces and removes every other layer of the subplot, so a contour
  // that the frames leave out vanishes while Play runs. Replotting all cartesian traces during
  // transitions keeps it. Patched once per plotly.js instance (it is ours alone).
  function keepStaticCartesianTraces(gd) {
    const mods = (gd._fullLayout && gd._fullLayout._basePlotModules) || [];
    const cart = mods.find((m) => m.name === "cartesian");
    if (!cart || cart._optvizPatched) return;
    const plot = cart.plot;
    cart.plot = function (g, traces, transitionOpts, cb) {
      return plot.call(this, g, transitionOpts ? null : traces, transitionOpts, cb);
    };
    cart._optvizPatched = true;
  }

  // plotly.js rejects the promise of an animation that a newer one interrupts (Pause, the
  // step slider, a new figure), and its own Play/Pause buttons and slider drop that promise:
  // every interruption surfaced as an unhandled rejection with no reason ("undefined"). An
  // interrupted animation is not an error. plotly emits plotly_animationinterrupted right after
  // rejecting, before the rejection is reported, so exactly those are marked handled.
  function quietInterruptedAnimations(gd) {
    if (gd._optvizQuiet) return;
    gd._optvizQuiet = true;
    gd.on("plotly_animationinterrupted", () => { root.optvizInterruptedAt = performance.now(); });
    if (root.optvizQuietInstalled) return;
    root.optvizQuietInstalled = true;
    root.addEventListener("unhandledrejection", (event) => {
      const at = root.optvizInterruptedAt;
      if (event.reason === undefined && at !== undefined && performance.now() - at < 2000) event.preventDefault();
    });
  }

  function isAnimating(gd) {
    const td = gd._transitionData;
    return !!td && (!!td._animationRaf || (td._frameQueue || []).length > 0);
  }

  // Draw a figure with its frames. The config goes to the first draw only: Plotly.react given
  // a config compares it with the div's context, which also holds what plotly measured
  // (_hasZeroWidth, _hasZeroHeight); when they differ it redraws with newPlot(data, layout,
  // config) and drops the frames. That was "Play does nothing after a change" (0 frames).
  async function draw(Plotly, gd, data, layout, frames, config) {
    if (!gd._fullLayout) await Plotly.newPlot(gd, { data, layout, frames, config });
    else await Plotly.react(gd, { data, layout, frames });
    const held = ((gd._transitionData || {})._frames || []).length;
    if (frames.length && held === 0) await Plotly.addFrames(gd, frames);
  }

  // The Play button's animation arguments, from the figure's own updatemenus.
  function playArgs(layout) {
    for (const menu of layout.updatemenus || []) {
      for (const b of menu.buttons || []) {
        if (b.method === "animate" && Array.isArray(b.args) && b.args[0] === null) return b.args[1] || {};
      }
    }
    return { frame: { duration: 60, redraw: true }, mode: "immediate", transition: { duration: 0 } };
  }

  // {"$arr": id} -> the array `table[id]` (a typed-array spec), each decoded once and shared: the
  // exported page writes every array once, as the live payload does (plotting.standalone_html).
  function withArrays(value, table, decoded) {
    decoded = decoded || new Map();
    if (!value || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
    if (Array.isArray(value)) return value.map((v) => withArrays(v, table, decoded));
    if (typeof value.$arr === "string" && table && table[value.$arr]) {
      if (!decoded.has(value.$arr)) decoded.set(value.$arr, decodeArray(table[value.$arr]));
      return decoded.get(value.$arr);
    }
    const out = {};
    for (const k of Object.keys(value)) out[k] = withArrays(value[k], table, decoded);
    return out;
  }

  // The exported HTML page: draw a compact figure once, with its frames.
  function show(Plotly, gd, fig) {
    const decoded = new Map();
    const data = (fig.data || []).map((t) => decodeTrace(withArrays(t, fig.arrays, decoded)));
    const config = Object.assign({ responsive: true, displaylogo: false }, fig.config || {});
    const frames = expandFrames({ data, animation: fig.animation, frames: fig.frames });
    return draw(Plotly, gd, data, fig.layout || {}, frames, config).then(() => {
      quietInterruptedAnimations(gd);
      keepStaticCartesianTraces(gd);
    });
  }

  root.optvizFigure = {
    decodeArray, decodeTrace, withArrays, expandFrames, keepStaticCartesianTraces, quietInterruptedAnimations,
    isAnimating, draw, playArgs, show,
  };
})(typeof globalThis !== "undefined" ? globalThis : window);
