"""The animation's frames: which steps Play shows, the frame of any step (`frame_at`, the twin of
optviz/web/figure.js frameAt), and the figure's forms (compact with its animation spec, expanded
with frames, a plotly Figure).
"""

from __future__ import annotations

import numpy as np

MAX_FRAMES = 150


def frame_steps(steps: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """Up to `max_frames` steps to show as frames, evenly spread, always 0 and the last."""
    if steps + 1 <= max_frames:
        return list(range(steps + 1))
    return sorted({round(float(v)) for v in np.linspace(0, steps, max_frames)})


def step_ticks(steps: int, max_ticks: int = 6) -> list[int]:
    """Round step numbers to label the step slider 0..steps with: the multiples of the smallest
    spacing of the form 1, 2 or 5 × 10^k that gives at most `max_ticks` intervals (0, 100, ...,
    500 for 500 steps; 0, 50, ..., 200 for 200; 0, 2, 4, 6 for 7). The slider itself reaches
    every step; the label beside it names the exact one."""
    steps = max(int(steps), 0)
    spacing = 1
    while steps / spacing > max_ticks:
        spacing = _next_nice(spacing)
    return list(range(0, steps + 1, spacing))


def _next_nice(spacing: int) -> int:
    """The nice spacing after `spacing`: 1 -> 2 -> 5 -> 10 -> 20 -> 50 -> 100 ..."""
    return spacing * 5 // 2 if str(spacing)[0] == "2" else spacing * 2


def frame_at(figure: dict, k: int) -> dict:
    """The frame of step k (any step 0..animation["last"], not only a Play frame): each animated
    path cut to its first k + 1 points (at most to its last drawable one), each moving marker on
    point k (its z raised by the entry's "dz", if any). The twin of figure.js frameAt, which the
    step slider draws (tests/app/test_component.py checks they agree)."""
    data = figure["data"]
    frame_data, indices = [], []
    for entry in figure["animation"]["traces"]:
        i = entry["index"]
        if entry["kind"] == "path":
            stop = min(k, entry["end"] - 1) + 1
            frame_data.append({"type": data[i]["type"], **{dim: data[i][dim][:stop] for dim in entry["dims"]}})
        else:
            src = data[entry["source"]]
            j = max(0, min(k, entry["end"] - 1))
            dz = entry.get("dz", 0.0)
            frame_data.append({"type": data[i]["type"], **{dim: [_raised(src[dim][j], dz if dim == "z" else 0.0)]
                                                           for dim in entry["dims"]}})
        indices.append(i)
    return {"name": str(k), "data": frame_data, "traces": indices}


def _raised(v, dz: float):
    """A marker's coordinate, raised by dz in float64 as figure.js does; a gap (None) stays one."""
    return v if not dz or v is None else float(v) + dz


def expand_frames(figure: dict) -> dict:
    """A self-contained plotly figure: the frames that the browser component would build."""
    frames = [frame_at(figure, k) for k in figure["animation"]["steps"]]
    out = {key: value for key, value in figure.items() if key != "animation"}
    out["frames"] = frames
    return out


def as_figure(spec: dict, validate: bool = False):
    """A plotly Figure from one of our dict specs for st.plotly_chart, which would validate a
    dict on every rerun. Our specs are validated once by the tests (validate=True)."""
    import plotly.graph_objects as go

    return go.Figure(spec) if validate else go.Figure(spec, _validate=False)


def compact_figure(figure: dict) -> dict:
    """The figure as the export embeds it: with its animation spec and without expanded frames."""
    return {k: v for k, v in figure.items() if not (k == "frames" and "animation" in figure)}
