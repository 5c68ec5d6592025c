/*
 * optviz figure helpers, shared by the live view (view.js) and the exported HTML page.
 *
 * A classic script (no module syntax) so the offline export can inline it next to plotly.js;
 * it defines globalThis.optvizFigure and touches nothing else. The frame expansion lives here
 * and only here: Python's optviz.plot.frames.expand_frames is checked against it by tests/app/test_component.py.
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
  // trace, its z raised by "dz" if given; both bounded by the path's last drawable step "end").
  // O(n) bytes are sent instead of O(n^2). `data` must already be decoded (decodeTrace).
  function expandFrames(fig) {
    const anim = fig.animation, data = fig.data || [];
    if (!anim || !Array.isArray(anim.steps) || !Array.isArray(anim.traces)) return fig.frames || [];
    return anim.steps.map((k) => frameAt(data, anim, k));
  }

  // The frame of any step k (0..animation.last), also one that is not among the Play frames:
  // the step slider draws exactly the step it is on. Python's frames.frame_at is its twin.
  function frameAt(data, anim, k) {
    return {
      name: String(k),
      traces: anim.traces.map((e) => e.index),
      data: anim.traces.map((e) => {
        const end = e.end === undefined || e.end === null ? Infinity : e.end;
        const last = Math.min(k, end - 1), out = { type: data[e.index].type };
        for (const d of e.dims) {
          if (e.kind === "path") {
            out[d] = head(data[e.index][d], last + 1);
          } else {  // a marker: its point, z raised by the entry's dz (trajectory.DEPTH_STEP)
            const v = data[e.source][d][Math.max(0, last)];
            out[d] = [d === "z" && e.dz && v !== null && v !== undefined ? v + e.dz : v];
          }
        }
        return out;
      }),
    };
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

  // --- the animation's controls: real HTML, so Tab, the keyboard and a tap reach them ---------
  //
  // plotly's own updatemenus and sliders are SVG that neither Tab nor a screen reader reaches,
  // and its slider only stops at Play frames (at most 150 of them). These controls are a
  // Play/Pause toggle button, step back/forward buttons, the step's label and an
  // <input type="range"> over every step 0..last (arrows: one step; Home/End: 0 and last;
  // PageUp/PageDown: a tenth, the browser's own keys), with tick labels at round steps
  // (animation.ticks, chosen by frames.step_ticks). Play plays the capped frame list; a step
  // that is not a frame is drawn by frameAt, from the same compact spec.

  const CSS = `
.optviz-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; padding: 4px 8px 2px 8px;
  font-family: Inter, "Segoe UI", Helvetica, Arial, sans-serif; font-size: var(--optviz-font, 13px);
  color: #31333f; box-sizing: border-box; width: 100%; }
.optviz-controls button { font: inherit; line-height: 1.2; min-height: 2.3em; min-width: 2.4em; padding: 0.3em 0.8em;
  border: 1px solid #b9bcc6; border-radius: 6px; background: #fff; color: inherit; cursor: pointer;
  touch-action: manipulation; }
.optviz-controls button:hover { border-color: #ff4b4b; }
.optviz-controls button:disabled { opacity: 0.45; cursor: default; }
.optviz-controls button:focus-visible, .optviz-controls input:focus-visible {
  outline: 3px solid #1c6fd1; outline-offset: 2px; }
.optviz-controls .optviz-play { min-width: 6.2em; font-weight: 600; }
.optviz-controls .optviz-step { white-space: nowrap; font-variant-numeric: tabular-nums; min-width: 7.5em; }
.optviz-controls .optviz-track { position: relative; flex: 1 1 220px; min-width: 160px; padding-bottom: 1.3em; }
.optviz-controls input[type=range] { display: block; width: 100%; margin: 0; height: 28px; background: transparent;
  cursor: pointer; touch-action: pan-y; accent-color: #ff4b4b; }
.optviz-controls .optviz-ticks { position: absolute; left: 0; right: 0; bottom: 0; height: 1.2em; pointer-events: none;
  font-size: 0.85em; color: #6b6f7b; }
.optviz-controls .optviz-ticks span { position: absolute; transform: translateX(-50%); white-space: nowrap; }
`;
  // The range input's thumb is THUMB px wide: its centre runs from THUMB/2 to width - THUMB/2,
  // and so do the tick labels. Set in the CSS above for Chromium and Firefox alike.
  const THUMB = 16;
  const THUMB_CSS = `
.optviz-controls input[type=range]::-webkit-slider-thumb { width: ${THUMB}px; height: ${THUMB}px; }
.optviz-controls input[type=range]::-moz-range-thumb { width: ${THUMB}px; height: ${THUMB}px; }
`;

  function ensureStyle(doc) {
    if (doc.getElementById("optviz-controls-style")) return;
    const style = doc.createElement("style");
    style.id = "optviz-controls-style";
    style.textContent = CSS + THUMB_CSS;
    doc.head.appendChild(style);
  }

  // {"$arr": id} -> the array `table[id]` (a typed-array spec), each decoded once and shared: the
  // exported page writes every array once, as the live payload does (html_export.standalone_html).
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

  const IMMEDIATE = { mode: "immediate", transition: { duration: 0 } };

  function element(doc, tag, attrs, text) {
    const el = doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // The controls of one plot div; placed right after it. Returns the controller (also kept as
  // gd._optvizControls, which the end-to-end tests read).
  function mountControls(Plotly, gd) {
    if (gd._optvizControls) return gd._optvizControls;
    const doc = gd.ownerDocument;
    ensureStyle(doc);
    const el = element(doc, "div", { class: "optviz-controls", role: "group", "aria-label": "Animation" });
    const play = element(doc, "button", { type: "button", class: "optviz-play", "aria-pressed": "false" }, "▶ Play");
    const back = element(doc, "button", { type: "button", class: "optviz-back", "aria-label": "Step back",
      title: "Step back (or ← on the slider)" }, "◀");
    const fwd = element(doc, "button", { type: "button", class: "optviz-fwd", "aria-label": "Step forward",
      title: "Step forward (or → on the slider)" }, "▶");
    const label = element(doc, "span", { class: "optviz-step" });
    const track = element(doc, "div", { class: "optviz-track" });
    const input = element(doc, "input", { type: "range", class: "optviz-slider", min: "0", max: "0", step: "1",
      value: "0", "aria-label": "Step" });
    const ticks = element(doc, "div", { class: "optviz-ticks", "aria-hidden": "true" });
    track.append(input, ticks);
    el.append(play, back, fwd, label, track);
    gd.insertAdjacentElement("afterend", el);

    const ctl = {
      el, play, back, fwd, label, input, ticks, data: [], anim: null, frameSteps: [], last: 0, step: 0,
      duration: 60, playing: false, token: 0, want: null, drawing: null, ticksKey: "",
    };
    gd._optvizControls = ctl;

    function update() {
      const k = ctl.step, n = ctl.last;
      input.max = String(n);
      input.value = String(k);
      input.setAttribute("aria-valuetext", `step ${k} of ${n}`);
      label.textContent = `step ${k} / ${n}`;
      play.textContent = ctl.playing ? "❚❚ Pause" : "▶ Play";
      play.setAttribute("aria-pressed", ctl.playing ? "true" : "false");
      const none = !ctl.anim || n === 0;
      play.disabled = none;
      input.disabled = none;
      back.disabled = none || k <= 0;
      fwd.disabled = none || k >= n;
    }
    ctl.update = update;

    // A step drawn by itself (slider, step buttons): the newest wanted step wins, one draw at a time.
    ctl.show = async function show(k) {
      if (!ctl.anim) return;
      if (ctl.playing) await ctl.pause();
      ctl.step = Math.max(0, Math.min(ctl.last, Math.round(Number(k)) || 0));
      update();
      ctl.want = ctl.step;
      if (ctl.drawing) return ctl.drawing;
      ctl.drawing = (async () => {
        while (ctl.want !== null) {
          const step = ctl.want;
          ctl.want = null;
          const frame = frameAt(ctl.data, ctl.anim, step);
          await Plotly.animate(gd, [frame], Object.assign({ frame: { duration: 0, redraw: true } }, IMMEDIATE))
            .catch(() => {});
        }
      })();
      try { await ctl.drawing; } finally { ctl.drawing = null; }
    };

    ctl.start = function start() {
      if (!ctl.anim || !ctl.frameSteps.length) return;
      let i = ctl.frameSteps.findIndex((s) => s > ctl.step);
      if (i < 0) i = 0;  // at the end: from the start again
      const token = ++ctl.token;
      ctl.playing = true;
      update();
      const names = ctl.frameSteps.slice(i).map(String);
      const done = () => { if (token === ctl.token) { ctl.playing = false; update(); } };
      Plotly.animate(gd, names, Object.assign({ frame: { duration: ctl.duration, redraw: true } }, IMMEDIATE))
        .then(done, done);
    };

    ctl.pause = async function pause() {
      ctl.token++;
      const was = ctl.playing || isAnimating(gd);
      ctl.playing = false;
      update();
      if (!was) return;
      const stop = Plotly.animate(gd, [null], { mode: "immediate", frame: { duration: 0, redraw: false },
        transition: { duration: 0 } }).catch(() => {});
      await Promise.race([stop, new Promise((r) => setTimeout(r, 500))]);
    };

    play.addEventListener("click", () => { if (ctl.playing) ctl.pause(); else ctl.start(); });
    back.addEventListener("click", () => ctl.show(ctl.step - 1));
    fwd.addEventListener("click", () => ctl.show(ctl.step + 1));
    input.addEventListener("input", () => ctl.show(Number(input.value)));
    update();
    return ctl;
  }

  // The step a figure opens at: its animation's "show" (the step the inspector looks at), else the last.
  function openingStep(anim, last) {
    const k = anim && Number(anim.show);
    return anim && anim.show !== undefined && anim.show !== null && Number.isFinite(k)
      ? Math.max(0, Math.min(last, Math.round(k))) : null;
  }

  // A new figure under the controls: it is drawn at its last step, so the controls go there (the
  // caller then draws the opening step, if the figure names one: ctl.show(openingStep(...))).
  function setControlsFigure(ctl, gd, data, anim) {
    ctl.data = data;
    ctl.anim = anim && Array.isArray(anim.steps) && Array.isArray(anim.traces) ? anim : null;
    ctl.frameSteps = ctl.anim ? anim.steps.map(Number) : [];
    const fallback = ctl.frameSteps.length ? ctl.frameSteps[ctl.frameSteps.length - 1] : 0;
    ctl.last = ctl.anim && Number.isFinite(anim.last) ? anim.last : fallback;
    ctl.duration = ctl.anim && Number.isFinite(anim.duration) ? anim.duration : 60;
    ctl.step = ctl.last;
    const ticks = ctl.anim && Array.isArray(anim.ticks) ? anim.ticks : [0, ctl.last];
    const key = ctl.last + ":" + ticks.join(",");
    if (key !== ctl.ticksKey) {
      ctl.ticksKey = key;
      ctl.ticks.textContent = "";
      for (const t of ticks) {
        const f = ctl.last > 0 ? t / ctl.last : 0;
        const span = gd.ownerDocument.createElement("span");
        span.style.left = `calc(${THUMB / 2}px + (100% - ${THUMB}px) * ${f})`;
        span.textContent = String(t);
        ctl.ticks.appendChild(span);
      }
    }
    if (!gd._optvizFrameListener) {
      gd._optvizFrameListener = true;
      gd.on("plotly_animatingframe", (ev) => {
        const k = Number(ev && ev.name);
        if (gd._optvizControls.playing && Number.isFinite(k)) { gd._optvizControls.step = k; gd._optvizControls.update(); }
      });
    }
    ctl.update();
  }

  // --- narrow screens: the 3-D and contour cells one above the other ---------------------------

  const NARROW = 800;  // px of the plot's width under which the cells stack (phones, tablets)

  // The layout (and the contour's colour bar) for a plot `width` px wide: as it is from
  // NARROW px on; narrower, each cell gets the whole width, the 3-D cell on top, the contour
  // under it as tall as its axes' ranges make it (true aspect, within 0.6..1.4) with its colour
  // bar lying under its x axis, and the toolbar upright in the right margin, where the legend
  // (which wraps within the plot's width) never reaches. Returns {layout, data, narrow, plotHeight}.
  function fitLayout(layout, data, width) {
    if (!(width > 0) || width >= NARROW) return { layout, data, narrow: false };
    const out = Object.assign({}, layout);
    const hasScene = !!layout.scene, hasXY = !!layout.xaxis;
    const margin = Object.assign({ l: 10, r: 10, t: 40, b: 10 }, layout.margin);
    const AXIS_BAND = 64, BAR_BAND = 72;  // px under the contour: its x axis, then its colour bar
    margin.r = Math.max(margin.r, 38);
    // The inspector's key (a legend of its own at the figure's foot) keeps a band under the colour bar.
    const KEY_BAND = layout.legend2 ? 140 : 0;
    margin.b = hasXY ? AXIS_BAND + BAR_BAND + KEY_BAND : margin.b;
    out.margin = margin;
    out.modebar = Object.assign({}, layout.modebar, { orientation: "v" });
    const inner = width - margin.l - margin.r;
    // A cell at most CELL px a side, so that a tablet shows most of a cell at once.
    const CELL = 520, side = Math.min(inner, CELL);
    const h3 = hasScene ? Math.round(side * 0.9) : 0;
    const yRoom = 44 / inner;  // the y axis's ticks and title
    const w2 = Math.min(1 - yRoom, side / inner);
    const xdom = [yRoom + (1 - yRoom - w2) / 2, 1 - (1 - yRoom - w2) / 2];
    let h2 = 0;
    if (hasXY) {
      const xr = layout.xaxis.range || [0, 1], yr = (layout.yaxis || {}).range || [0, 1];
      const ratio = Math.min(1.4, Math.max(0.6, Math.abs(yr[1] - yr[0]) / Math.abs(xr[1] - xr[0] || 1)));
      h2 = Math.round(inner * (xdom[1] - xdom[0]) * ratio);
    }
    const gap = hasScene && hasXY ? 56 : 0;  // the 3-D cell's lowest tick labels
    const plotH = h3 + gap + h2;
    out.height = plotH + margin.t + margin.b;
    if (hasScene) {
      // Beside (here: above) the contour the z axis has no title and no tick labels already
      // (optviz/plot/trajectory.py): the contour's colour bar gives the heights.
      out.scene = Object.assign({}, layout.scene, { domain: { x: [0, 1], y: [hasXY ? (h2 + gap) / plotH : 0, 1] } });
    }
    let outData = data;
    if (hasXY) {
      const top = h2 / plotH;
      out.xaxis = Object.assign({}, layout.xaxis, { domain: xdom });
      out.yaxis = Object.assign({}, layout.yaxis, { domain: [0, top] });
      outData = data.map((t) => {
        if (!t || t.type !== "contour" || !t.colorbar) return t;
        const title = Object.assign({}, t.colorbar.title, { side: "top" });
        const colorbar = Object.assign({}, t.colorbar, { orientation: "h", x: (xdom[0] + xdom[1]) / 2,
          xanchor: "center", len: xdom[1] - xdom[0], lenmode: "fraction", y: -AXIS_BAND / plotH,
          yanchor: "top", thickness: 10, title });
        return Object.assign({}, t, { colorbar });
      });
    }
    return { layout: out, data: outData, narrow: true, plotHeight: plotH };
  }

  // --- a chart's title and its toolbar ----------------------------------------------------------

  // plotly.js puts the toolbar in the chart's top right corner, on the title's row: on a chart
  // narrower than both (a phone; a tablet's two columns) it covered the title. There the title
  // gets a row of its own under the toolbar; the chart keeps its height (its Streamlit element
  // has a fixed one), the plot area gives up the few px.
  const TITLE_GAP = 4;  // px between the toolbar and the title

  // The px from the chart's top at which its title clears the toolbar, or 0 if they do not meet.
  function titleRow(gd) {
    const title = gd.querySelector(".gtitle"), bars = gd.querySelectorAll(".modebar");
    if (!title || !bars.length) return 0;
    const t = title.getBoundingClientRect(), top = gd.getBoundingClientRect().top;
    let below = 0;
    for (const bar of bars) {
      const b = bar.getBoundingClientRect();
      const meet = b.width > 0 && b.left < t.right && t.left < b.right && b.top < t.bottom && t.top < b.bottom;
      if (meet) below = Math.max(below, b.bottom - top);
    }
    return below > 0 ? Math.ceil(below) + TITLE_GAP : 0;
  }

  // The layout with its title `row` px from the top (under the toolbar), or as it is for row 0.
  function withTitleRow(layout, row) {
    if (!row || !layout.title) return layout;
    const title = Object.assign({}, typeof layout.title === "string" ? { text: layout.title } : layout.title);
    const size = (title.font && title.font.size) || ((layout.font && layout.font.size) || 13) + 2;
    const margin = Object.assign({ l: 80, r: 80, t: 100, b: 80 }, layout.margin);
    const t = Math.max(margin.t, row + Math.ceil(1.4 * size) + TITLE_GAP);
    Object.assign(title, { yref: "container", y: 1, yanchor: "top", pad: Object.assign({}, title.pad, { t: row }) });
    return Object.assign({}, layout, { title, margin: Object.assign({}, margin, { t }) });
  }

  // The exported HTML page: draw a compact figure once, with its frames and its controls.
  function show(Plotly, gd, fig) {
    const decoded = new Map();
    const raw = (fig.data || []).map((t) => decodeTrace(withArrays(t, fig.arrays, decoded)));
    const config = Object.assign({ responsive: true, displaylogo: false }, fig.config || {});
    const frames = expandFrames({ data: raw, animation: fig.animation, frames: fig.frames });
    const ctl = fig.animation ? mountControls(Plotly, gd) : null;
    const layout = Object.assign({}, fig.layout || {});
    if (ctl && layout.height) layout.height = Math.max(200, layout.height - (ctl.el.offsetHeight || 64));
    const fit = fitLayout(layout, raw, gd.clientWidth || (gd.ownerDocument.defaultView || {}).innerWidth);
    // Copies for plotly.js, which writes each frame into gd.data's objects: frameAt cuts from `raw`.
    const plotted = fit.data.map((t) => Object.assign({}, t));
    return draw(Plotly, gd, plotted, fit.layout, frames, config).then(() => {
      quietInterruptedAnimations(gd);
      keepStaticCartesianTraces(gd);
      if (ctl) {
        setControlsFigure(ctl, gd, raw, fig.animation);
        const opening = openingStep(ctl.anim, ctl.last);
        if (opening !== null) return ctl.show(opening);
      }
      return undefined;
    });
  }

  root.optvizFigure = {
    decodeArray, decodeTrace, withArrays, expandFrames, frameAt, keepStaticCartesianTraces, quietInterruptedAnimations,
    isAnimating, draw, mountControls, setControlsFigure, openingStep, fitLayout, NARROW, show, titleRow,
    withTitleRow,
  };
})(typeof globalThis !== "undefined" ? globalThis : window);
