"""Small SVG pictures: a schedule's values over the steps (sidebar), a run's line style (sidebar, results table).

Plain SVG text (no plotly, no extra JavaScript): a few hundred bytes each, so a sidebar with eight
runs and their schedules costs next to nothing to send. `st.image` shows the SVG text.
"""

from __future__ import annotations

import html

import numpy as np

WIDTH, HEIGHT, PAD = 240, 64, 4


def _number(value: float) -> str:
    return f"{value:.3g}"


def points(values, width: int = WIDTH, height: int = HEIGHT, pad: int = PAD) -> list[tuple[float, float]]:
    """The polyline's points: step t at x = pad + t / (n - 1) * (width - 2 pad), the value on a
    linear y axis from its minimum (bottom) to its maximum (top); a flat line sits in the middle."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    lo, hi = float(np.min(v)), float(np.max(v))
    xs = pad + np.arange(n) / max(n - 1, 1) * (width - 2 * pad)
    top, bottom = pad + 12, height - pad - 12  # room for the labels
    ys = np.full(n, (top + bottom) / 2) if hi == lo else bottom - (v - lo) / (hi - lo) * (bottom - top)
    return [(round(float(x), 2), round(float(y), 2)) for x, y in zip(xs, ys, strict=True)]


def schedule_svg(values, symbol: str, color: str = "#1f77b4") -> str:
    """A hyperparameter's value at steps 0 .. n - 1 as a small chart, with its first, smallest
    and largest value written on it."""
    v = np.asarray(values, dtype=float)
    line = " ".join(f"{x},{y}" for x, y in points(v))
    lo, hi = float(np.min(v)), float(np.max(v))
    text = html.escape(f"{symbol}: {_number(v[0])} → {_number(v[-1])}   (max {_number(hi)}, min {_number(lo)})")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">'
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="none" stroke="#9994" rx="3"/>'
        f'<polyline fill="none" stroke="{html.escape(color)}" stroke-width="2" points="{line}"/>'
        f'<text x="{PAD}" y="{PAD + 8}" font-size="10" font-family="sans-serif" fill="#888">{text}</text>'
        f'<text x="{PAD}" y="{HEIGHT - PAD}" font-size="10" font-family="sans-serif" fill="#888">step 0</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - PAD}" font-size="10" font-family="sans-serif" fill="#888" '
        f'text-anchor="end">step {len(v) - 1}</text></svg>'
    )


def _marker_svg(marker: str, cx: float, cy: float, r: float, fill: str, edge: str) -> str:
    """The plotly marker symbol `marker` (one of `styles.MARKERS`) as an SVG shape."""
    attrs = f'fill="{html.escape(fill)}" stroke="{html.escape(edge)}" stroke-width="1.2"'
    if marker == "circle":
        return f'<circle cx="{cx:g}" cy="{cy:g}" r="{r:g}" {attrs}/>'
    if marker == "square":
        return f'<rect x="{cx - r:g}" y="{cy - r:g}" width="{2 * r:g}" height="{2 * r:g}" {attrs}/>'
    corners = {
        "diamond": [(0, -1.3), (1.3, 0), (0, 1.3), (-1.3, 0)],
        "triangle-up": [(0, -1.2), (1.2, 0.9), (-1.2, 0.9)],
        "triangle-down": [(0, 1.2), (1.2, -0.9), (-1.2, -0.9)],
        "pentagon": [(np.sin(a) * 1.15, -np.cos(a) * 1.15) for a in np.linspace(0, 2 * np.pi, 6)[:-1]],
    }.get(marker, [(0, -1), (1, 0), (0, 1), (-1, 0)])
    points = " ".join(f"{cx + dx * r:.2f},{cy + dy * r:.2f}" for dx, dy in corners)
    return f'<polygon points="{points}" {attrs}/>'


SWATCH_LINE = 3.0  # px: the line's width in a swatch (its casing is 2.5 px wider)


def style_svg(color: str, dash: str, marker: str | None = None, casing: str | None = None,
              width: int = 64, height: int = 20) -> str:
    """A run's line as the legend and the charts draw it: its colour over its casing (if given), its
    dash pattern (plotly.js's lengths at this width, `styles.DASH_PATTERNS`) and its marker (if given)."""
    from .styles import DASH_PATTERNS

    pattern = ",".join(f"{n * max(SWATCH_LINE, 3.0):g}" for n in DASH_PATTERNS.get(dash, ()))
    dasharray = f' stroke-dasharray="{pattern}"' if pattern else ""
    y, end = height / 2, width - (16 if marker else 2)
    line = f'x1="2" y1="{y:g}" x2="{end:g}" y2="{y:g}"'
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">']
    if casing:
        parts.append(f'<line {line} stroke="{html.escape(casing)}" stroke-width="{SWATCH_LINE + 2.5:g}"{dasharray}/>')
    parts.append(f'<line {line} stroke="{html.escape(color)}" stroke-width="{SWATCH_LINE:g}"{dasharray}/>')
    if marker:
        parts.append(_marker_svg(marker, width - 8, y, min(5.0, height / 2 - 2), color, casing or "#ffffff"))
    parts.append("</svg>")
    return "".join(parts)


DATA_URL_PREFIX = "data:image/svg+xml;utf8,"


def data_url(svg: str) -> str:
    """An SVG as a data URL, as an image column of st.dataframe shows it."""
    from urllib.parse import quote

    return DATA_URL_PREFIX + quote(svg, safe=" =:/,.\"'-")


def svg_of_data_url(url: str) -> str:
    """The SVG text of a `data_url` (for tests and readers of the table)."""
    from urllib.parse import unquote

    if not url.startswith(DATA_URL_PREFIX):
        raise ValueError("not an SVG data URL")
    return unquote(url[len(DATA_URL_PREFIX):])
