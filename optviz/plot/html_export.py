"""The animation as one HTML file that works offline (plotly.js and optviz/web/figure.js embedded)."""

from __future__ import annotations

import html
from pathlib import Path

import plotly

from .. import web
from .frames import compact_figure

PLOTLY_JS_PATH = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"  # served, never a CDN


def export_figure_json(figure: dict) -> str:
    """The compact figure as the exported page embeds it: each array once, by content id, in
    "arrays" (as the live payload carries them; figure.js resolves them), safe inside <script>."""
    body, arrays = web.to_json_with_arrays(compact_figure(figure))
    text = '{"arrays":' + web.to_json(arrays) + ("," + body[1:] if body != "{}" else "}")
    return text.replace("</", "<\\/")  # "</" would end the <script> early; "<\/" is the same JSON string


def standalone_html(figure: dict, title: str) -> str:
    """The animation as one HTML file that works offline: plotly.js and optviz/web/figure.js are
    embedded, and the page builds the frames from the same compact figure as the live view, each
    array written once by content id as in the live payload (so the file weighs plotly.js plus
    about what the live view receives: benchmarks/bench_export.py)."""
    figure_json = export_figure_json(figure)
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title>"
        "<style>body{margin:0;font-family:Inter,Segoe UI,Helvetica,Arial,sans-serif}</style></head><body>\n"
        '<div id="optviz-figure" style="width:100%"></div>\n'
        f"<script>{PLOTLY_JS_PATH.read_text(encoding='utf-8')}</script>\n"
        f"<script>{web.script('figure.js')}</script>\n"
        f'<script type="application/json" id="optviz-data">{figure_json}</script>\n'
        "<script>optvizFigure.show(window.Plotly, document.getElementById('optviz-figure'),"
        " JSON.parse(document.getElementById('optviz-data').textContent));</script>\n"
        "</body></html>\n"
    )
