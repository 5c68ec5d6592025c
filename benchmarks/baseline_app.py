"""The baseline for benchmarks/bench_browser.py: the same figures as optviz's default view, drawn the
way typical Streamlit apps draw them: st.plotly_chart with the whole figure, its animation frames
included, on every rerun (plus the loss and distance charts), results cached with st.cache_data.

Only what the benchmark touches is here: the default surface and optimizers, and one learning-rate
slider per optimizer with the same widget keys as app.py.
Run: streamlit run benchmarks/baseline_app.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from optviz import OPTIMIZERS, simulate
from optviz.core.presets import PRESETS
from optviz.core.registry import DEFAULT_SELECTION
from optviz.plot import step_charts, styles, trajectory
from optviz.plot.frames import expand_frames
from optviz.plot.grid import surface_grid
from surfaces import SURFACES

st.set_page_config(page_title="baseline", layout="wide")
SURFACE = "beale"
surface, preset = SURFACES[SURFACE], PRESETS[SURFACE]


@st.cache_data
def run(key: str, lr: float):
    return simulate(SURFACE, key, preset.start, preset.steps, **{**preset.hparams_for(key), "lr": lr})


@st.cache_data
def grid():
    return surface_grid(surface)


with st.sidebar:
    lrs = {}
    for key in DEFAULT_SELECTION:
        h = OPTIMIZERS[key].hparam("lr")
        with st.expander(OPTIMIZERS[key].name):
            lrs[key] = st.select_slider(f"{key} lr", options=h.grid(), value=preset.hparams_for(key)["lr"],
                                        key=f"hp.{key}.lr")

st.markdown(f"### {surface.title}")
runs = [(styles.PathStyle(OPTIMIZERS[k].color, key=k, name=OPTIMIZERS[k].name), run(k, lrs[k]))
        for k in DEFAULT_SELECTION]
per = [trajectory.optimizer_traces(surface, grid(), t, style, "both") for style, t in runs]
figure = expand_frames(trajectory.trajectory_figure(surface, grid(), per, steps=preset.steps, view="both"))


def with_plotly_controls(fig: dict) -> dict:
    """Play/Pause and a step slider as typical apps make them: plotly's own updatemenus and sliders
    (optviz draws HTML controls under the plot instead), the cells lifted to leave them room."""
    layout = fig["layout"]
    layout["scene"]["domain"]["y"] = [0.14, 1.0]
    layout["yaxis"]["domain"] = [0.2, 1.0]
    layout["margin"]["b"] = 10
    now = {"frame": {"duration": 0, "redraw": True}, "mode": "immediate", "transition": {"duration": 0}}
    layout["updatemenus"] = [{
        "type": "buttons", "direction": "left", "showactive": False, "x": 0.0, "y": 0.0, "xanchor": "left",
        "yanchor": "top", "pad": {"t": 0, "r": 10},
        "buttons": [
            {"label": "▶ Play", "method": "animate",
             "args": [None, {**now, "frame": {"duration": 60, "redraw": True}, "fromcurrent": True}]},
            {"label": "❚❚ Pause", "method": "animate", "args": [[None], now]},
        ],
    }]
    layout["sliders"] = [{
        "active": len(fig["frames"]) - 1, "x": 0.2, "len": 0.8, "y": 0.0, "yanchor": "top",
        "currentvalue": {"prefix": "step ", "visible": True, "xanchor": "left"}, "transition": {"duration": 0},
        "steps": [{"label": f["name"], "method": "animate", "args": [[f["name"]], now]} for f in fig["frames"]],
    }]
    return fig


figure = with_plotly_controls(figure)
st.plotly_chart(figure, key="trajectory")
c1, c2 = st.columns(2)
c1.plotly_chart(step_charts.loss_figure(surface, runs), key="loss")
distance = step_charts.distance_figure(runs)
if distance is not None:
    c2.plotly_chart(distance, key="distance")
