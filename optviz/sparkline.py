"""Small SVG line charts for the sidebar: a schedule's values over the steps, a run's line style.

Plain SVG text (no plotly, no extra JavaScript): a few hundred bytes each, so a sidebar with eight
runs and their schedules costs next to nothing to send. `st.image` shows the SVG text.
"""

from __future__ import annotations

import html

import numpy as np

WIDTH, HEIGHT, PAD = 240, 64, 4
DASH_ARRAYS = {"solid": "", "dash": "9,5", "dot": "2,4", "dashdot": "9,4,2,4", "longdash": "16,5",
               "longdashdot": "16,4,2,4"}


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


def style_svg(color: str, dash: str, width: int = 48, height: int = 12) -> str:
    """A run's line as its legend shows it: colour and dash."""
    dasharray = DASH_ARRAYS.get(dash, "")
    attr = f' stroke-dasharray="{dasharray}"' if dasharray else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
            f'<line x1="2" y1="{height / 2}" x2="{width - 2}" y2="{height / 2}" stroke="{html.escape(color)}" '
            f'stroke-width="3"{attr}/></svg>')
