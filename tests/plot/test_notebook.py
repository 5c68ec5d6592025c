"""The notebook API (optviz/plot/notebook.py) and the example notebook (examples/lesson.ipynb).

Each figure is compared with what `simulate()` computes for the same runs, and with plotly's own
validation; the example notebook runs end to end on a real kernel of this interpreter.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

import optviz
from optviz.analysis.basins import basin_map
from optviz.analysis.sensitivity import lr_sensitivity
from optviz.core.presets import preset_for
from optviz.core.runs import Run, labels
from optviz.plot import styles, trajectory
from optviz.plot.analysis_plots import GAP_FLOOR, basin_figure
from optviz.plot.frames import MAX_FRAMES, frame_steps
from optviz.plot.grid import inside_plot
from optviz.plot.lessons import get_lesson
from surfaces import SURFACES

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "lesson.ipynb"
PLOTLY_MIME = "application/vnd.plotly.v1+json"


def _paths_2d(fig: go.Figure, names) -> dict[str, go.Scatter]:
    """Each run's 2-D path trace (not its casing, moving marker or end mark), by name."""
    out = {}
    for trace in fig.data:
        if trace.type == "scattergl" and trace.name in names and trace.meta != trajectory.CASING and len(trace.x) > 1:
            out.setdefault(trace.name, trace)
    return out


def _valid(fig: go.Figure) -> dict:
    """The figure through plotly's validation and its JSON (what a notebook stores)."""
    data = json.loads(fig.to_json())
    go.Figure(data)  # raises on an invalid property, frames included
    return data


def test_figure_draws_the_simulated_paths_and_plays_them_frame_by_frame():
    steps = 60
    fig = optviz.figure("himmelblau", ["adam", "momentum"], steps=steps)
    preset = preset_for("himmelblau")
    runs = [Run(k, preset.hparams_for(k)) for k in ("adam", "momentum")]
    names = labels(runs)
    trajectories = {n: r.simulate("himmelblau", preset.start, steps) for n, r in zip(names, runs, strict=True)}
    paths = _paths_2d(fig, names)
    assert set(paths) == set(names)
    for name, t in trajectories.items():
        assert np.all(inside_plot(SURFACES["himmelblau"], t.path))  # so every point is drawn, no gap
        np.testing.assert_allclose(paths[name].x, t.path[:, 0], rtol=1e-6)
        np.testing.assert_allclose(paths[name].y, t.path[:, 1], rtol=1e-6)

    assert [f.name for f in fig.frames] == [str(k) for k in range(steps + 1)]  # one frame per step (≤ 150)
    index = {id(tr): i for i, tr in enumerate(fig.data)}
    for k in (0, 17, steps):
        frame = fig.frames[k]
        for name, t in trajectories.items():
            i = index[id(paths[name])]
            cut = frame.data[list(frame.traces).index(i)]
            np.testing.assert_allclose(cut.x, t.path[: k + 1, 0], rtol=1e-6)

    play, pause = fig.layout.updatemenus[0].buttons
    assert (play.method, play.args[0], tuple(pause.args[0])) == ("animate", None, (None,))
    slider = fig.layout.sliders[0]
    assert [tuple(s.args[0]) for s in slider.steps] == [(f.name,) for f in fig.frames]
    assert slider.active == len(fig.frames) - 1  # opens on the last step, as drawn
    _valid(fig)


def test_figure_frames_follow_the_apps_sampling_on_long_runs():
    fig = optviz.figure("beale", "adam", steps=500, view="3d")
    assert [f.name for f in fig.frames] == [str(k) for k in frame_steps(500)]
    assert len(fig.frames) == MAX_FRAMES


def test_figure_draws_the_contour_cells_paths_in_webgl_so_play_keeps_the_contour():
    """plotly.js #4596: a frame's transition tweens SVG scatter traces and drops the rest of their
    subplot (the contour) until a full redraw; scattergl traces are redrawn whole, contour and all."""
    fig = optviz.figure("beale", ["adam", "momentum"], steps=20, view="both")
    cell = [tr for tr in fig.data if tr.type not in ("surface", "scatter3d")]
    assert {tr.type for tr in cell} == {"contour", "scattergl"}
    for frame in fig.frames:
        assert all(d.type in ("scatter3d", "scattergl") for d in frame.data)
    dashes = {tr.legendgroup: tr.line.dash for tr in cell if tr.type == "scattergl" and tr.mode == "lines"}
    assert dashes == {"r0": "solid", "r1": styles.run_styles(["r0", "r1"], ["a", "b"], ["adam", "momentum"])[1].dash}


def test_step_charts_show_the_simulated_series():
    runs = [Run("sgd", {"lr": 0.01}), Run("sgd", {"lr": 0.001})]
    surface = SURFACES["himmelblau"]
    trajectories = [r.simulate(surface, (-0.5, -0.75), 100) for r in runs]
    for kind in optviz.plot.notebook.CHART_KINDS:
        fig = optviz.step_chart("himmelblau", runs, kind, start=(-0.5, -0.75), steps=100)
        lines = [tr for tr in fig.data if tr.name in labels(runs) and len(tr.x) > 2]
        assert len(lines) == 2, kind
        for line, t in zip(lines, trajectories, strict=True):
            expected = {"loss": np.asarray(t.loss) - surface.f_min, "distance": t.distance,
                        "x": t.path[:, 0], "y": t.path[:, 1]}[kind]
            np.testing.assert_allclose(line.x, np.arange(101))
            np.testing.assert_allclose(line.y, expected, rtol=1e-6, err_msg=kind)
        _valid(fig)


def test_distance_chart_on_a_surface_without_minima_says_so():
    with pytest.raises(ValueError, match="no known minimum"):
        optviz.step_chart("saddle", "sgd", "distance", steps=10)


def test_basin_map_is_the_apps_figure_of_the_computed_maps():
    fig = optviz.basin_map("himmelblau", ["sgd", "adam"], grid=20, steps=80)
    preset = preset_for("himmelblau")
    runs = [Run(k, preset.hparams_for(k)) for k in ("sgd", "adam")]
    maps = [(n, basin_map("himmelblau", r, 20, 80)) for n, r in zip(labels(runs), runs, strict=True)]
    assert fig.to_plotly_json()["data"] == go.Figure(basin_figure("himmelblau", maps)).to_plotly_json()["data"]
    _valid(fig)


def test_sensitivity_curve_plots_the_final_gap_of_each_learning_rate():
    lrs = [1e-4, 1e-3, 1e-2]
    fig = optviz.sensitivity_curve("himmelblau", ["sgd"], steps=100, lrs=lrs)
    s = lr_sensitivity("himmelblau", Run("sgd", preset_for("himmelblau").hparams_for("sgd")),
                       preset_for("himmelblau").start, 100, lrs=lrs)
    curve = next(tr for tr in fig.data if len(tr.x) == len(lrs))
    np.testing.assert_allclose(curve.x, lrs)
    np.testing.assert_allclose(curve.y, np.maximum(s.final_gap, GAP_FLOOR), rtol=1e-6)  # the log axis's floor
    _valid(fig)


def test_lesson_figure_is_the_lessons_view():
    lesson = get_lesson("three-learning-rates")
    fig = lesson.figure()
    v = lesson.view
    assert [f.name for f in fig.frames] == [str(k) for k in frame_steps(v.steps)]
    traj = lesson.compute()
    paths = _paths_2d(fig, lesson.labels)
    assert set(paths) == set(lesson.labels)
    for name, label in zip(lesson.names, lesson.labels, strict=True):
        x = np.asarray(paths[label].x, dtype=float)
        inside = inside_plot(SURFACES[v.surface], traj[name].path[: len(x)])
        np.testing.assert_allclose(x[inside], traj[name].path[: len(x)][inside, 0], rtol=1e-6)
    chart = lesson.step_chart("loss")
    lines = [tr for tr in chart.data if tr.mode == "lines"]
    f_min = SURFACES[v.surface].f_min
    for line, name, label in zip(lines, lesson.names, lesson.labels, strict=True):
        assert line.name.startswith(label)  # "GD η=0.1 — diverged at step 4"
        np.testing.assert_allclose(line.y, (np.asarray(traj[name].loss) - f_min)[: len(line.y)], rtol=1e-6)


def test_bad_arguments_read_as_sentences():
    with pytest.raises(ValueError, match="unknown surface"):
        optviz.figure("nowhere", "adam")
    with pytest.raises(ValueError, match="unknown optimizer"):
        optviz.figure("beale", "gd")
    with pytest.raises(ValueError, match="view must be"):
        optviz.figure("beale", "adam", view="top")
    with pytest.raises(ValueError, match="kind must be"):
        optviz.step_chart("beale", "adam", "speed")


def test_example_notebook_runs_on_a_kernel_and_shows_figures(tmp_path):
    """examples/lesson.ipynb, every cell, on an IPython kernel of this interpreter (a kernelspec
    written here, so no other Python's "python3" kernel can stand in for it)."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    kernels = tmp_path / "kernels"
    (kernels / "optviz-test").mkdir(parents=True)
    (kernels / "optviz-test" / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "optviz test", "language": "python", "env": {"PYTHONPATH": str(ROOT)},
    }))
    nb = nbformat.read(EXAMPLE, as_version=4)
    km = KernelManager(kernel_name="optviz-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    NotebookClient(nb, km=km, timeout=300, resources={"metadata": {"path": str(EXAMPLE.parent)}}).execute()

    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    figures = [c for c in code if any(PLOTLY_MIME in o.get("data", {}) for o in c.outputs)]
    expected = [c for c in code if "figure(" in c.source or "step_chart(" in c.source]
    assert expected and figures == expected
    played = [o["data"][PLOTLY_MIME] for c in figures for o in c.outputs if PLOTLY_MIME in o.get("data", {})]
    assert any(fig.get("frames") and fig["layout"].get("sliders") for fig in played)  # an animated one
