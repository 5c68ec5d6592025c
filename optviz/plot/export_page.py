"""The standalone HTML export made self-explanatory: a page that says what it shows.

`html_export.standalone_html` gives the animation (plotly.js embedded, works offline); this adds,
above it, the surface's title, its formula (as MathML, which browsers draw without a script: the
page loads nothing from the web, so no MathJax), its description, every run's settings (optimizer,
hyperparameters, noise, batch, schedules; the shared surface, start, steps and seed) from
`export.view_settings`, and a link back to the live view that reproduces it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from latex2mathml.converter import convert as latex_to_mathml

from surfaces import Surface

from ..analysis.export import format_number, view_settings
from ..core.engine import Trajectory

_CSS = """<style>
.optviz-head { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; max-width: 1100px; margin: 12px auto;
  padding: 0 16px; color: #222; }
.optviz-head h1 { font-size: 1.5rem; margin: 0.2rem 0; }
.optviz-head code.formula { display: block; background: #f4f4f4; padding: 6px 8px; margin: 6px 0;
  white-space: pre-wrap; }
.optviz-head math.formula { font-family: 'DejaVu Math TeX Gyre', 'STIX Two Math', 'Latin Modern Math', math;
  font-size: 1.25rem; margin: 8px 0; }
.optviz-head table { border-collapse: collapse; font-size: 0.9rem; margin: 8px 0; }
.optviz-head th, .optviz-head td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
.optviz-head .swatch { display: inline-block; width: 12px; height: 12px; border: 1px solid #000;
  margin-right: 6px; vertical-align: middle; }
</style>"""


def _value(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return format_number(v)
    return str(v)


def formula_html(latex: str) -> str:
    """The formula as MathML Core; the LaTeX source in a code block only where the converter cannot
    read it or leaves a command it does not know (shown as "\\name", which is no better than the source)."""
    try:
        math = latex_to_mathml(latex, display="block")
    except Exception:  # the converter's errors are not one class; any of them means "cannot read it"
        math = ""
    if not math or "\\" in re.sub(r"<[^>]+>", "", math):
        return f"<code class='formula'>{html.escape(latex)}</code>"
    return math.replace("<math ", "<math class='formula' ", 1)


def header_html(surface: Surface, trajectories: Sequence[Trajectory], labels: Sequence[str],
                colors: Sequence[str], link: str) -> str:
    """The page's heading block: title, formula, description, settings table, live link."""
    settings = view_settings(trajectories, labels)
    e = html.escape
    start = ", ".join(format_number(v) for v in settings["start"])
    rows = []
    for run, color in zip(settings["runs"], colors, strict=True):
        hparams = ", ".join(f"{e(k)} = {e(_value(v))}" for k, v in run["hparams"].items())
        rows.append(
            f"<tr><td><span class='swatch' style='background:{e(color)}'></span>{e(run['label'] or run['optimizer'])}"
            f"</td><td>{e(run['optimizer'])}</td><td>{hparams}</td><td>{e(_value(run['noise']))}</td>"
            f"<td>{e(_value(run['batch_size']) if run['batch_size'] else 'full')}</td>"
            f"<td>{e(run['schedules'] or '—')}</td></tr>")
    return (
        f"{_CSS}<div class='optviz-head'><h1>{e(surface.title)}</h1>"
        f"{formula_html(surface.latex)}<p>{e(surface.description)}</p>"
        f"<p>Surface <b>{e(surface.key)}</b>, start ({e(start)}), {settings['steps']} steps, seed {settings['seed']}."
        f"</p><table><thead><tr><th>run</th><th>optimizer</th><th>hyperparameters</th><th>noise σ</th>"
        f"<th>batch</th><th>schedules</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<p><a href=\"{e(link, quote=True)}\">Open this view live in optviz</a> (the link carries every setting)."
        f"</p></div>"
    )


def export_html(animation_html: str, surface: Surface, trajectories: Sequence[Trajectory], labels: Sequence[str],
                colors: Sequence[str], link: str) -> str:
    """`animation_html` (from `html_export.standalone_html`) with the heading block at the top of the body."""
    head = header_html(surface, trajectories, labels, colors, link)
    at = animation_html.find("<body>")
    if at < 0:
        return head + animation_html
    at += len("<body>")
    return animation_html[:at] + head + animation_html[at:]
