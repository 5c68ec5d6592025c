/*
 * optviz live view: one persistent plotly div per Streamlit component instance.
 *
 * Classic script, loaded once per page after figure.js; defines globalThis.optvizView, which
 * loader.js calls on every render of the component. What it keeps across reruns:
 *   - the div (so a rotated 3-D camera stays: Plotly.react, never a remount);
 *   - a page-wide cache of pieces by content id: numeric arrays (decoded once), traces (whose
 *     decoded arrays are reused, so Plotly.react sees the same arrays) and the layout and
 *     animation spec. Python sends a piece in full once ({"$id": id, "$v": ...}, arrays in
 *     msg.arrays) and afterwards only {"$ref": id}; an id missing here (evicted, or in a
 *     message superseded before it arrived) is reported back ("missing") and Python resends it.
 */
(function (root) {
  "use strict";
  const F = root.optvizFigure;
  // Python remembers at most 600 sent ids per session (figure_component.SENT_LIMIT): the page
  // keeps more, so an id Python believes sent is normally still here.
  const CACHE_LIMIT = 800;
  const cache = root.optvizPieces || (root.optvizPieces = new Map());

  function remember(id, entry) {
    cache.delete(id);
    cache.set(id, entry);
    while (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value);
  }

  function recall(id) {
    const entry = cache.get(id);
    if (entry !== undefined) { cache.delete(id); cache.set(id, entry); }
    return entry;
  }

  // Replace {"$arr": id} by the cached typed array; collect ids not in the cache.
  function withArrays(value, missing) {
    if (!value || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
    if (Array.isArray(value)) return value.map((v) => withArrays(v, missing));
    if (typeof value.$arr === "string") {
      const entry = recall(value.$arr);
      if (entry === undefined) { missing.push(value.$arr); return null; }
      return entry.array;
    }
    const out = {};
    for (const k of Object.keys(value)) out[k] = withArrays(value[k], missing);
    return out;
  }

  function whenPlotly() {
    if (root.Plotly) return Promise.resolve(root.Plotly);
    return new Promise((resolve) => {
      const t = setInterval(() => {
        if (root.Plotly) { clearInterval(t); resolve(root.Plotly); }
      }, 25);
    });
  }

  function sameBytes(a, b) {
    if (a === b) return true;
    if (!a || !b || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  const clone = (o) => (o === undefined || o === null ? o : JSON.parse(JSON.stringify(o)));

  function liveCamera(gd, sceneId) {
    const s = gd._fullLayout && gd._fullLayout[sceneId];
    if (!s) return null;
    try { if (s._scene) return clone(s._scene.getCamera()); } catch (e) { /* not drawn yet */ }
    return clone(s.camera);
  }

  // plotly's read-back of a camera moves its last digits (1.5499999999999996 -> ...98):
  // compare rounded, or every new figure would report a "change" and rerun the app.
  const camKey = (c) => JSON.stringify(c, (k, v) => (typeof v === "number" ? Math.round(v * 1e6) / 1e6 : v));

  function reportCamera(gd) {
    const ov = gd._ov;
    if (!ov.events.camera) return;
    const cam = liveCamera(gd, "scene"), s = cam ? camKey(cam) : null;
    if (cam && s !== ov.sentCamera) { ov.sentCamera = s; ov.setState("camera", cam); }
  }

  // plotly keeps the camera its drag handler read at mouseup, but the live camera can go on
  // moving after it (software WebGL lags behind the mouse): that is the camera reported, and a
  // later redraw would put the scene back to plotly's older record. Make the record the live one.
  function syncCamera(gd) {
    const live = liveCamera(gd, "scene"), kept = gd._fullLayout && gd._fullLayout.scene;
    if (!live || !kept || !kept.camera) return;
    // A tolerance, not equality: the relayout below comes back here, and must end the loop.
    const apart = ["eye", "center", "up"].some((k) => ["x", "y", "z"].some(
      (a) => Math.abs(((live[k] || {})[a] || 0) - ((kept.camera[k] || {})[a] || 0)) > 1e-4));
    if (apart) {
      root.Plotly.relayout(gd, { "scene.camera": live }).catch(() => {});
    }
  }

  function attachListeners(gd) {
    const ov = gd._ov;
    gd.on("plotly_relayout", (ev) => {
      if (!ov.events.camera || !ev || !Object.keys(ev).some((k) => k.startsWith("scene.camera"))) return;
      // Debounced: scroll-zoom emits many relayouts and every setStateValue reruns the app.
      clearTimeout(ov.timer);
      ov.timer = setTimeout(() => { syncCamera(gd); reportCamera(gd); }, 300);
    });
    gd.on("plotly_click", (ev) => {
      const pt = ev && ev.points && ev.points[0];
      if (!ov.events.click || !pt || !pt.xaxis || !pt.yaxis) return;  // 3-D points carry no 2-D axes
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

  // Pieces enter the cache as soon as their message arrives, even if a newer message
  // supersedes it before it is drawn: later messages refer to them by id.
  function ingest(msg) {
    for (const [id, spec] of Object.entries(msg.arrays || {})) remember(id, { array: F.decodeArray(spec) });
    const keep = (p) => {
      if (p && typeof p.$ref === "string") return p.$ref;
      const id = p && typeof p.$id === "string" ? p.$id : "anon:" + Math.random();
      remember(id, { raw: p ? p.$v : p, resolved: undefined });
      return id;
    };
    const fig = msg.figure || {};
    msg.traceIds = (fig.data || []).map(keep);
    msg.partIds = {};
    for (const key of Object.keys(fig)) if (key !== "data") msg.partIds[key] = keep(fig[key]);
  }

  // A trace is resolved once and then shared (the same object for every figure holding it);
  // layout and animation are copied per figure, since plotly writes into its layout.
  function resolvePiece(id, missing, shared) {
    const entry = recall(id);
    if (entry === undefined) { missing.push(id); return undefined; }
    if (!shared) return withArrays(structuredClone(entry.raw), missing);
    if (entry.resolved === undefined) {
      const before = missing.length, value = withArrays(entry.raw, missing);
      if (missing.length === before) entry.resolved = value;
      return value;
    }
    return entry.resolved;
  }

  // The title under the toolbar where the two met (F.withTitleRow): drawn again once, then
  // remembered for this chart's later figures.
  async function clearTitle(gd, layout) {
    const row = F.titleRow(gd), ov = gd._ov;
    if (!row || (row <= (ov.titleRow || 0) && layout.title && layout.title.yref === "container")) return;
    ov.titleRow = Math.max(row, ov.titleRow || 0);
    const moved = F.withTitleRow(layout, ov.titleRow);
    await root.Plotly.relayout(gd, { title: moved.title, margin: moved.margin });
  }

  async function render(gd, msg) {
    const ov = gd._ov;
    if (msg !== ov.latest) return;  // a newer figure is queued: draw that one only
    const Plotly = await whenPlotly();
    const missing = [];
    const data = msg.traceIds.map((id) => resolvePiece(id, missing, true));
    const fig = {};
    for (const [key, id] of Object.entries(msg.partIds)) fig[key] = resolvePiece(id, missing, false);
    if (missing.length) {
      // Keep what is on screen; Python resends these in full on the rerun this causes.
      ov.wanted = null;
      ov.setState("missing", { ids: missing, seq: Date.now() + Math.random() });
      return;
    }
    const layout = Object.assign({}, fig.layout || {});
    if (layout.height === undefined || layout.height === null) layout.height = msg.height;
    // Constant uirevision keeps 2-D zoom too; changing it from Python resets the view.
    if (layout.uirevision === undefined || layout.uirevision === null) layout.uirevision = "optviz";
    const firstDraw = !gd._fullLayout;
    // The animation's controls (HTML, under the plot) take their height from the figure's.
    const ctl = fig.animation ? F.mountControls(Plotly, gd) : gd._optvizControls;
    if (ctl) {
      ctl.el.hidden = !fig.animation;
      ctl.el.style.setProperty("--optviz-font", `${(layout.font && layout.font.size) || 13}px`);
      if (fig.animation) layout.height = Math.max(200, layout.height - (ctl.el.offsetHeight || 64));
    }
    let resume = null;
    if (!firstDraw) {
      if (ctl && (ctl.playing || F.isAnimating(gd))) {
        if (ctl.playing) resume = ctl.step;  // the step on screen while playing
        await ctl.pause();
      }
      if (String(layout.uirevision) === String(ov.uirevision)) {
        for (const id of (gd._fullLayout._subplots || {}).gl3d || []) {
          const cam = liveCamera(gd, id);
          if (cam && layout[id]) layout[id] = Object.assign({}, layout[id], { camera: cam });
        }
      }
    }
    ov.uirevision = layout.uirevision;
    const frames = F.expandFrames({ data, animation: fig.animation, frames: fig.frames });
    // Phones and tablets: the cells stacked, at the width the plot has now (a resize across
    // F.NARROW draws the figure again: see mount).
    const width = gd.clientWidth || gd.parentElement.clientWidth;
    // A chart whose toolbar met its title keeps the title's own row on every later figure.
    const fit = fig.animation ? F.fitLayout(layout, data, width)
      : { layout: F.withTitleRow(layout, ov.titleRow), data, narrow: false };
    ov.fits = !!fig.animation;  // the step charts keep their layout at every width
    ov.narrow = fit.narrow;
    if (fit.narrow) fit.layout.height += ov.legendExtra || 0;
    gd.style.minHeight = `${fit.layout.height}px`;  // no jump while plotly.js loads or redraws
    // plotly.js writes each frame's arrays into the objects of gd.data: it gets shallow copies
    // (the same arrays, so Plotly.react still skips unchanged traces) and the cache keeps the
    // whole paths, which the frames and the step slider cut from. (A copy also keeps one
    // object twice in a figure from confusing plotly.)
    const plotted = fit.data.map((t) => Object.assign({}, t));
    // The figure's own config (optviz.app.present: the toolbar's buttons) over the component's defaults.
    await F.draw(Plotly, gd, plotted, fit.layout, frames, Object.assign({}, ov.config, fig.config || {}));
    const drawnH = fit.narrow && gd._fullLayout._size ? gd._fullLayout._size.h : fit.plotHeight;
    if (Math.abs(drawnH - fit.plotHeight) > 4) {
      // The legend (its rows depend on the runs' names) took more or less of the top margin
      // than last time: give the cells their height back, so the contour keeps its aspect.
      const extra = fit.plotHeight - drawnH;
      ov.legendExtra = (ov.legendExtra || 0) + extra;
      gd.style.minHeight = `${fit.layout.height + extra}px`;
      await Plotly.relayout(gd, { height: fit.layout.height + extra });
    }
    await clearTitle(gd, fit.layout);
    F.quietInterruptedAnimations(gd);
    F.keepStaticCartesianTraces(gd);
    ov.drawn = msg.id;
    if (ctl && fig.animation) {
      F.setControlsFigure(ctl, gd, data, fig.animation);
      const opening = F.openingStep(ctl.anim, ctl.last);
      if (resume !== null && msg === ov.latest) {
        // A change made while playing keeps playing, with the new paths, from the same step.
        ctl.step = Math.min(resume, ctl.last);
        ctl.start();
      } else if (opening !== null && msg === ov.latest) {
        await ctl.show(opening);  // the step the inspector looks at, not the last one
      }
    }
    if (firstDraw) {
      attachListeners(gd);
      const cam = liveCamera(gd, "scene");
      ov.sentCamera = cam ? camKey(cam) : null;  // Python already has it (the figure's)
      // A finger for a pointer (phones, tablets): the sliders offer fewer, wider-spaced notches
      // (optviz.core.scales, touch). Python cannot see the screen; this costs one rerun there only.
      const coarse = root.matchMedia && root.matchMedia("(pointer: coarse)").matches;
      if (ov.events.touch && coarse) ov.setState("touch", true);
    } else {
      reportCamera(gd);  // only differs after a uirevision reset
    }
  }

  root.optvizView = function mount(component) {
    const { data, parentElement, setStateValue, setTriggerValue } = component;
    let gd = parentElement.querySelector(":scope > div[data-optviz]");
    if (!gd) {
      gd = document.createElement("div");
      gd.setAttribute("data-optviz", "");
      gd.style.width = "100%";
      parentElement.appendChild(gd);
      gd._ov = {
        queue: Promise.resolve(), bytes: null, timer: null, latest: null, wanted: null, drawn: null,
        events: {}, config: { responsive: true, displaylogo: false },
      };
    }
    const ov = gd._ov;
    ov.setState = setStateValue;
    ov.setTrigger = setTriggerValue;
    // Reruns caused by other widgets (or by our own setStateValue) resend the same figure,
    // often as references only: skipping it keeps a running animation alive.
    if (data && !sameBytes(ov.bytes, data)) {
      ov.bytes = data;
      const msg = JSON.parse(new TextDecoder().decode(data));
      ingest(msg);
      // Add, never overwrite: plotly.js marks its div with "js-plotly-plot" and Plotly.react
      // starts over with newPlot (dropping listeners) on a div without it.
      gd.classList.add(msg.kind === "chart" ? "optviz-chart" : "optviz-plot");
      const events = msg.events || [];
      ov.events = { camera: events.includes("camera"), click: events.includes("click"), touch: events.includes("touch") };
      if (msg.id !== ov.wanted) {
        ov.wanted = msg.id;
        ov.latest = msg;
        ov.queue = ov.queue.then(() => render(gd, msg))
          .catch((err) => console.error("optviz plotly_view:", err));
      }
    }
    if (!ov.resizeWatch && typeof ResizeObserver !== "undefined") {
      // A plot that crosses F.NARROW (a phone turned, a window resized) is drawn again, stacked or not.
      ov.resizeWatch = new ResizeObserver(() => {
        const w = gd.clientWidth;
        if (!ov.fits && gd._fullLayout && w > 0) {  // a chart grown narrower: its title may meet the toolbar
          ov.queue = ov.queue.then(() => clearTitle(gd, gd.layout)).catch((err) => console.error("optviz chart:", err));
          return;
        }
        if (!ov.fits || !ov.latest || !gd._fullLayout || !(w > 0) || (w < F.NARROW) === !!ov.narrow) return;
        const msg = ov.latest;
        ov.queue = ov.queue.then(() => render(gd, msg)).catch((err) => console.error("optviz plotly_view:", err));
      });
      ov.resizeWatch.observe(gd);
    }
    // Called on unmount only; frees the WebGL context.
    return () => setTimeout(() => {
      if (!gd.isConnected && root.Plotly) root.Plotly.purge(gd);
    }, 0);
  };
})(typeof globalThis !== "undefined" ? globalThis : window);
