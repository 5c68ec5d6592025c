"""The standalone HTML export carries the live view's compact figure (issue 10: it weighed 16 MB for a
250-step ravine run against a few hundred KB sent live): every array once by content id, the
frames built in the page by the same figure.js. benchmarks/bench_export.py prints the sizes."""

import base64
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from optviz import web
from optviz.app.figure_component import encode_payload
from optviz.plot import html_export
from tests.plot.test_plotting_casing import figure_for

NODE = shutil.which("node")


def embedded(html: str) -> dict:
    text = re.search(r'<script type="application/json" id="optviz-data">(.*?)</script>', html, re.S).group(1)
    return json.loads(text.replace("<\\/", "</"))


def test_the_export_weighs_what_the_live_view_sends():
    _s, _runs, _styles, fig = figure_for("ravine", steps=250)
    html = html_export.standalone_html(fig, "Ravine")
    live = len(encode_payload(fig, 640))
    figure_part = len(html_export.export_figure_json(fig).encode())
    assert figure_part <= 1.05 * live, (figure_part, live)
    plotly_js = len(html_export.PLOTLY_JS_PATH.read_bytes())
    assert len(html.encode()) <= plotly_js + 1.05 * live + len(web.script("figure.js").encode()) + 2_000
    # each path's x is written once, although four traces (3-D, 2-D and their casings) draw it
    data = embedded(html)
    refs = [t["x"]["$arr"] for t in data["data"] if isinstance(t.get("x"), dict) and "$arr" in t["x"]]
    assert len(refs) > len(set(refs)) and set(refs) <= set(data["arrays"])
    for spec in data["arrays"].values():
        assert html.count(spec["bdata"]) == 1
    assert "frames" not in data and data["animation"]["traces"]  # frames are built in the page


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_figure_js_resolves_the_export_s_arrays_to_the_figure_s_values():
    _s, _runs, _styles, fig = figure_for("saddle", steps=60)  # gaps, escapes, short lists
    text = html_export.export_figure_json(fig)
    script = web.script("figure.js") + r"""
      globalThis.atob = (s) => Buffer.from(s, "base64").toString("latin1");
      const fig = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const decoded = new Map();
      const data = fig.data.map((t) => optvizFigure.decodeTrace(optvizFigure.withArrays(t, fig.arrays, decoded)));
      const plain = (v) => (ArrayBuffer.isView(v) ? Array.from(v, (x) => (Number.isFinite(x) ? x : null)) : v);
      process.stdout.write(JSON.stringify(data.map((t) => ({x: plain(t.x), y: plain(t.y), z: plain(t.z),
        shared: t.x !== undefined && data.some((u) => u !== t && u.x === t.x)}))));
    """
    out = subprocess.run([NODE, "-e", script], input=text, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    resolved = json.loads(out.stdout)
    assert len(resolved) == len(fig["data"])
    for got, trace in zip(resolved, fig["data"], strict=True):
        for dim in ("x", "y", "z"):
            want = trace.get(dim)
            if want is None or trace["type"] in ("surface", "contour"):
                continue
            want = np.asarray(want if not isinstance(want, list) else [np.nan if v is None else v for v in want],
                              dtype=float)
            np.testing.assert_array_equal(np.array([np.nan if v is None else v for v in got[dim]], dtype=float),
                                          want.astype(np.float32).astype(float) if want.dtype != object else want)
    assert any(r["shared"] for r in resolved)  # one decoded array shared by the traces that draw it


def test_to_json_with_arrays_round_trips():
    a = np.arange(10, dtype=np.float32)
    text, table = web.to_json_with_arrays({"p": a, "q": a, "short": np.arange(3), "n": np.int64(2)})
    obj = json.loads(text)
    assert obj["p"] == obj["q"] and list(table) == [obj["p"]["$arr"]]
    spec = table[obj["p"]["$arr"]]
    np.testing.assert_array_equal(np.frombuffer(base64.b64decode(spec["bdata"]), dtype=spec["dtype"]), a)
    assert obj["short"] == [0, 1, 2] and obj["n"] == 2
