/*
 * What Streamlit sends with every optviz component element (so it stays a few hundred bytes).
 * It loads, once per page, plotly.js and the view code over HTTP from the app's static files
 * (pre-gzipped plotly.js, unpacked with DecompressionStream; both cached by the browser), then
 * hands every render to globalThis.optvizView (view.js). Python replaces __OPTVIZ_ASSETS__ with
 * {"plotly": url, "view": url} relative to the app's root, or null when the assets arrive
 * through the websocket instead (static serving off).
 */
const ASSETS = __OPTVIZ_ASSETS__;

function appRoot() {
  // Streamlit's own bundle is at <root>/static/js/index.*.js, whatever the page's path.
  const own = document.querySelector('script[src*="/static/js/index"]');
  return own ? new URL("../../", own.src) : new URL("/", window.location.href);
}

function runScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error("optviz: could not load " + src));
    document.head.appendChild(s);
  });
}

async function runGzipScript(url) {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error("optviz: " + url + " answered " + response.status);
  const text = await new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).text();
  const blob = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
  try { await runScript(blob); } finally { URL.revokeObjectURL(blob); }
}

function waitFor(name) {
  return new Promise((resolve) => {
    const t = setInterval(() => { if (globalThis[name]) { clearInterval(t); resolve(); } }, 25);
  });
}

function loadAssets() {
  if (!globalThis.optvizAssets) {
    if (!ASSETS) {
      globalThis.optvizAssets = waitFor("optvizView");
    } else {
      const root = appRoot();
      // plotly.js and the view code load in parallel; the view waits for window.Plotly itself.
      const plotly = globalThis.Plotly ? Promise.resolve() : runGzipScript(new URL(ASSETS.plotly, root).href);
      const view = runScript(new URL(ASSETS.view, root).href);
      globalThis.optvizAssets = Promise.all([plotly, view]);
    }
    globalThis.optvizAssets.catch((err) => console.error("optviz:", err));
  }
  return globalThis.optvizAssets;
}

export default function (component) {
  if (globalThis.optvizView) return globalThis.optvizView(component);
  let cleanup = null, unmounted = false;
  loadAssets().then(() => {
    if (!unmounted) cleanup = globalThis.optvizView(component);
  }, () => {});
  return () => {
    unmounted = true;
    if (cleanup) cleanup();
  };
}
