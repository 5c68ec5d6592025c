/*
 * optviz page boot: the first part of the view code. loader.js has started fetching plotly.js,
 * pre-gzipped, from the app's static files (globalThis.optvizPlotly, a fetch promise): unpack
 * it with DecompressionStream and run it, once per page. view.js waits for window.Plotly.
 * When plotly.js arrived another way (inline, through the websocket) there is nothing to do.
 */
(function (root) {
  "use strict";
  if (root.Plotly || !root.optvizPlotly || root.optvizPlotlyBoot) return;

  function runScript(src) {
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = () => resolve();
      s.onerror = () => reject(new Error("optviz: could not run plotly.js"));
      document.head.appendChild(s);
    });
  }

  root.optvizPlotlyBoot = root.optvizPlotly.then(async (response) => {
    if (!response.ok || !response.body) throw new Error("optviz: " + response.url + " answered " + response.status);
    // Bytes to a Blob, never through a JS string (4.8 MB decoded, then encoded again).
    const raw = await new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).blob();
    const blob = URL.createObjectURL(new Blob([raw], { type: "text/javascript" }));
    try { await runScript(blob); } finally { URL.revokeObjectURL(blob); }
  });
  root.optvizPlotlyBoot.catch((err) => console.error("optviz:", err));
})(typeof globalThis !== "undefined" ? globalThis : window);
