/*
 * What Streamlit sends with every optviz component element, on every rerun: kept to a few
 * hundred bytes (Python drops the comments and indentation before sending it). Once per page
 * it starts fetching the pre-gzipped plotly.js (boot.js unpacks it) and loads the view code
 * (boot.js, figure.js, view.js) over HTTP from the app's static files, both cached by the
 * browser; then it hands every render to globalThis.optvizView (view.js). Python replaces
 * __OPTVIZ_ASSETS__ with {"plotly": url, "view": url} relative to the app's root, or null when
 * the assets arrive through the websocket instead (static serving off).
 */
const ASSETS = __OPTVIZ_ASSETS__;

function load() {
  if (!ASSETS) {
    return new Promise((resolve) => {
      const t = setInterval(() => { if (globalThis.optvizView) { clearInterval(t); resolve(); } }, 25);
    });
  }
  // Streamlit's own bundle is at <root>/static/js/index.*.js, whatever the page's path.
  const own = document.querySelector('script[src*="/static/js/index"]');
  const root = own ? new URL("../../", own.src) : new URL("/", location.href);
  if (!globalThis.Plotly) globalThis.optvizPlotly = fetch(new URL(ASSETS.plotly, root).href);
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = new URL(ASSETS.view, root).href;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error("could not load " + s.src));
    document.head.appendChild(s);
  });
}

export default function (component) {
  const g = globalThis;
  if (g.optvizView) return g.optvizView(component);
  if (!g.optvizAssets) {
    g.optvizAssets = load();
    g.optvizAssets.catch((err) => console.error("optviz:", err));
  }
  let cleanup = null, unmounted = false;
  g.optvizAssets.then(() => { if (!unmounted) cleanup = g.optvizView(component); }, () => {});
  return () => {
    unmounted = true;
    if (cleanup) cleanup();
  };
}
