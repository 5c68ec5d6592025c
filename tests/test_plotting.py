"""Figures: valid plotly, frames that carry only what moves, every step drawn, exports offline."""

import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz import OPTIMIZERS, plotting, simulate
from optviz.figure_component import encode_payload
from optviz.presets import PRESETS
from surfaces import SURFACES

KEYS = ["sgd", "momentum", "adam"]


def build(surface_key="beale", view="both", steps=None, keys=KEYS):
    s = SURFACES[surface_key]
    p = PRESETS[surface_key]
    steps = p.steps if steps is None else steps
    grid = plotting.surface_grid(s)
    runs = [(plotting.PathStyle(k, OPTIMIZERS[k].name, OPTIMIZERS[k].color),
             simulate(s, k, p.start, steps, **p.hparams_for(k))) for k in keys]
    per = [plotting.optimizer_traces(s, grid, t, style, view) for style, t in runs]
    fig = plotting.trajectory_figure(s, grid, per, steps=steps, view=view)
    return s, runs, fig


@pytest.mark.parametrize("view", ["both", "3d", "contour"])
@pytest.mark.parametrize("surface_key", ["beale", "saddle", "mse"])
def test_figures_are_valid_plotly(surface_key, view):
    s, runs, fig = build(surface_key, view, steps=60)
    go.Figure(plotting.expand_frames(fig))  # raises on any invalid property
    plotting.as_figure(plotting.loss_figure(s, runs), validate=True)
    distance = plotting.distance_figure(runs)
    assert (distance is None) == (surface_key == "saddle")
    if distance:
        plotting.as_figure(distance, validate=True)
    json.loads(encode_payload(fig, 600))  # no NaN, no numpy left: strict JSON


def test_frames_carry_only_what_moves_and_the_path_keeps_every_step():
    _s, runs, fig = build("beale", "both", steps=500)
    full = plotting.expand_frames(fig)
    frames = full["frames"]
    assert len(frames) <= plotting.MAX_FRAMES and frames[0]["name"] == "0" and frames[-1]["name"] == "500"
    static = {i for i, t in enumerate(full["data"]) if t["type"] in ("surface", "contour") or t.get("name") == "minima"}
    for frame in frames:
        assert not static & set(frame["traces"])  # never the surface again
        assert all(set(d) <= {"type", "x", "y", "z", "customdata"} for d in frame["data"])
        assert len(frame["data"]) == len(frame["traces"]) == 4 * len(KEYS)
    # The last frame draws every step of every path, however few frames there are.
    last = frames[-1]
    for idx, d in zip(last["traces"], last["data"], strict=True):
        if full["data"][idx]["mode"] == "lines":
            assert len(d["x"]) == 501
    middle = frames[len(frames) // 2]
    k = int(middle["name"])
    momentum_path = next(d for i, d in zip(middle["traces"], middle["data"], strict=True)
                         if full["data"][i]["legendgroup"] == "momentum" and full["data"][i]["mode"] == "lines")
    np.testing.assert_allclose(momentum_path["x"], runs[1][1].path[: k + 1, 0].astype(np.float32))


def test_paths_are_lifted_above_the_surface_and_cut_where_they_leave_the_plot():
    s, _runs, fig = build("saddle", "3d")
    path3d = [t for t in fig["data"] if t["type"] == "scatter3d" and t["mode"] == "lines"]
    z = path3d[0]["z"]
    start_surface = plotting.z_transform(s, s.f(np.array(PRESETS["saddle"].start)))
    assert z[0] > start_surface
    momentum = next(t for t in path3d if t["legendgroup"] == "momentum")
    assert np.isnan(momentum["x"]).any()  # it escaped: the drawn path stops at the edge
    visible = momentum["x"][~np.isnan(momentum["x"])]
    assert np.all(np.abs(visible) <= 2.0 * 1.05)


def test_log_surfaces_use_a_log_z_scale():
    s = SURFACES["rosenbrock"]
    grid = plotting.surface_grid(s)
    assert grid.z_range[1] - grid.z_range[0] < 10  # orders of magnitude, not thousands
    assert plotting.z_title(s).startswith("log")
    assert plotting.z_title(SURFACES["mse"]) == "f(x, y)"


def test_one_colour_per_optimizer_everywhere():
    s, runs, fig = build("himmelblau", "both", steps=50, keys=list(OPTIMIZERS))
    for t in fig["data"]:
        if t.get("legendgroup"):
            colour = (t.get("line") or t.get("marker"))["color"]
            assert colour == OPTIMIZERS[t["legendgroup"]].color
    for t in plotting.loss_figure(s, runs)["data"]:
        assert t["line"]["color"] == OPTIMIZERS[t["legendgroup"]].color


def test_frame_steps_are_capped_and_include_the_ends():
    assert plotting.frame_steps(10) == list(range(11))
    steps = plotting.frame_steps(1000)
    assert len(steps) == plotting.MAX_FRAMES and steps[0] == 0 and steps[-1] == 1000
    assert steps == sorted(set(steps))


def test_standalone_html_works_offline():
    _s, _, fig = build("bowl", "both", steps=40)
    html = plotting.standalone_html(fig, "Bowl")
    assert "<title>Bowl</title>" in html
    assert len(html) > 3_000_000  # plotly.js is embedded
    assert not re.search(r"<script[^>]*\bsrc=", html)  # nothing is fetched: no external script
    assert '"frames"' in html or "addFrames" in html


@pytest.mark.parametrize("surface_key", ["himmelblau", "beale", "rosenbrock", "ravine"])
def test_paths_are_never_buried_in_the_drawn_mesh(surface_key):
    s = SURFACES[surface_key]
    grid = plotting.surface_grid(s)
    _, _, fig = build(surface_key, "3d")
    lift = 0.02 * (grid.z_range[1] - grid.z_range[0])
    for t in fig["data"]:
        if t["type"] == "scatter3d" and t["mode"] == "lines":
            x, y, z = (np.asarray(t[k], dtype=float) for k in "xyz")
            ok = ~np.isnan(x)
            mesh = plotting._mesh_height(grid, x[ok], y[ok])
            assert np.all(z[ok] >= mesh + 0.99 * lift), t["legendgroup"]
            # ... and above the true surface too
            true = plotting.z_transform(s, s.f(np.column_stack([x[ok], y[ok]])))
            assert np.all(z[ok] >= true + 0.99 * lift)
