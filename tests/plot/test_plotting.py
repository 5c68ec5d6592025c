"""Figures: valid plotly, frames that carry only what moves, every step drawn, exports offline."""

import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz import OPTIMIZERS, simulate
from optviz.app.figure_component import encode_payload
from optviz.core.presets import PRESETS
from optviz.core.registry import DEFAULT_SELECTION
from optviz.plot import html_export, step_charts, styles, trajectory
from optviz.plot.camera import CAMERA_PRESETS, camera_presets, default_camera, visible_fraction
from optviz.plot.frames import MAX_FRAMES, as_figure, expand_frames, frame_at, frame_steps, step_ticks
from optviz.plot.grid import inside_plot, mesh_height, surface_grid, z_title, z_transform
from surfaces import SURFACES

KEYS = ["sgd", "momentum", "adam"]


def build(surface_key="beale", view="both", steps=None, keys=KEYS):
    s = SURFACES[surface_key]
    p = PRESETS[surface_key]
    steps = p.steps if steps is None else steps
    grid = surface_grid(s)
    runs = [(styles.PathStyle(OPTIMIZERS[k].color, key=k, name=OPTIMIZERS[k].name),
             simulate(s, k, p.start, steps, **p.hparams_for(k))) for k in keys]
    per = [trajectory.optimizer_traces(s, grid, t, style, view) for style, t in runs]
    fig = trajectory.trajectory_figure(s, grid, per, steps=steps, view=view)
    return s, runs, fig


@pytest.mark.parametrize("view", ["both", "3d", "contour"])
@pytest.mark.parametrize("surface_key", ["beale", "saddle", "mse"])
def test_figures_are_valid_plotly(surface_key, view):
    s, runs, fig = build(surface_key, view, steps=60)
    go.Figure(expand_frames(fig))  # raises on any invalid property
    as_figure(step_charts.loss_figure(s, runs), validate=True)
    distance = step_charts.distance_figure(runs)
    assert (distance is None) == (surface_key == "saddle")
    if distance:
        as_figure(distance, validate=True)
    json.loads(encode_payload(fig, 600))  # no NaN, no numpy left: strict JSON


def test_frames_carry_only_what_moves_and_the_path_keeps_every_step():
    _s, runs, fig = build("beale", "both", steps=500)
    full = expand_frames(fig)
    frames = full["frames"]
    assert len(frames) <= MAX_FRAMES and frames[0]["name"] == "0" and frames[-1]["name"] == "500"
    static = {i for i, t in enumerate(full["data"]) if t["type"] in ("surface", "contour") or t.get("name") == "minima"}
    for frame in frames:
        assert not static & set(frame["traces"])  # never the surface again
        assert all(set(d) <= {"type", "x", "y", "z", "customdata"} for d in frame["data"])
        # per run and cell: the casing, the path and the moving marker; in 3-D also the marker's casing
        assert len(frame["data"]) == len(frame["traces"]) == 7 * len(KEYS)
        casings = [i for i in frame["traces"] if full["data"][i].get("meta") == trajectory.CASING]
        assert sorted(full["data"][i]["type"] for i in casings) == ["scatter"] * len(KEYS) + ["scatter3d"] * len(KEYS)
        marks = [i for i in frame["traces"] if full["data"][i].get("meta") == trajectory.MARKER_CASING]
        assert [full["data"][i]["type"] for i in marks] == ["scatter3d"] * len(KEYS)
    # The last frame draws every step of every path, however few frames there are.
    last = frames[-1]
    for idx, d in zip(last["traces"], last["data"], strict=True):
        if full["data"][idx]["mode"] == "lines":
            assert len(d["x"]) == 501
    middle = frames[len(frames) // 2]
    k = int(middle["name"])
    momentum_path = next(d for i, d in zip(middle["traces"], middle["data"], strict=True)
                         if full["data"][i]["legendgroup"] == "momentum" and full["data"][i]["mode"] == "lines"
                         and full["data"][i].get("meta") != trajectory.CASING)
    np.testing.assert_allclose(momentum_path["x"], runs[1][1].path[: k + 1, 0].astype(np.float32))


def test_paths_are_lifted_above_the_surface_and_gapped_where_they_leave_the_plot():
    # Was: "cut where they leave the plot". Issue 6: a path is drawn at every computed point
    # inside the plot, NaN (a gap) only where it is outside.
    s, runs, fig = build("saddle", "3d")
    path3d = [t for t in fig["data"] if t["type"] == "scatter3d" and t["mode"] == "lines"]
    z = path3d[0]["z"]
    start_surface = z_transform(s, s.f(np.array(PRESETS["saddle"].start)))
    assert z[0] > start_surface
    momentum = next(t for t in path3d if t["legendgroup"] == "momentum")
    t = dict((style.key, run) for style, run in runs)["momentum"]
    outside = ~inside_plot(s, t.path[: len(momentum["x"])])
    assert outside.any()  # it escaped
    assert np.array_equal(np.isnan(momentum["x"]), outside)
    visible = momentum["x"][~np.isnan(momentum["x"])]
    assert np.all(np.abs(visible) <= 2.0)


def test_log_surfaces_use_a_log_z_scale():
    s = SURFACES["rosenbrock"]
    grid = surface_grid(s)
    assert grid.z_range[1] - grid.z_range[0] < 10  # orders of magnitude, not thousands
    assert z_title(s).startswith("log")
    assert z_title(SURFACES["mse"]) == "f(x, y)"


def test_the_z_scale_is_named_once_per_view():
    """The 3-D-only view titles its z axis and labels its ticks; beside the contour the 3-D cell
    leaves both to the contour's colour bar (the title ran off the canvas there, and the unnamed z
    tick labels ran into the y axis's), which names the same scale."""
    for key in ("beale", "mse"):
        s = SURFACES[key]
        grid = surface_grid(s)
        only = trajectory.trajectory_figure(s, grid, [], steps=10, view="3d")
        assert only["layout"]["scene"]["zaxis"]["title"]["text"] == z_title(s)
        assert only["layout"]["scene"]["zaxis"].get("showticklabels", True)
        both = trajectory.trajectory_figure(s, grid, [], steps=10, view="both")
        assert both["layout"]["scene"]["zaxis"]["title"]["text"] == ""
        assert both["layout"]["scene"]["zaxis"]["showticklabels"] is False  # they ran into the y axis's
        bars = [t["colorbar"]["title"]["text"] for t in both["data"] if t.get("showscale")]
        assert bars == [z_title(s)]


def test_one_colour_per_optimizer_everywhere():
    s, runs, fig = build("himmelblau", "both", steps=50, keys=list(OPTIMIZERS))
    for t in fig["data"]:
        if t.get("legendgroup"):
            colour = (t.get("line") or t.get("marker"))["color"]
            expected = OPTIMIZERS[t["legendgroup"]].color
            if t.get("meta") in (trajectory.CASING, trajectory.MARKER_CASING):  # beneath a path or marker: its casing
                expected = styles.casing_for(expected)
            assert colour == expected
    for t in step_charts.loss_figure(s, runs)["data"]:
        assert (t.get("line") or t.get("marker"))["color"] == OPTIMIZERS[t["legendgroup"]].color


def test_frame_steps_are_capped_and_include_the_ends():
    assert frame_steps(10) == list(range(11))
    steps = frame_steps(1000)
    assert len(steps) == MAX_FRAMES and steps[0] == 0 and steps[-1] == 1000
    assert steps == sorted(set(steps))


@pytest.mark.parametrize(("steps", "ticks"), [
    (0, [0]), (1, [0, 1]), (7, [0, 2, 4, 6]), (40, [0, 10, 20, 30, 40]), (137, [0, 50, 100]),
    (200, [0, 50, 100, 150, 200]), (500, [0, 100, 200, 300, 400, 500]), (1000, [0, 200, 400, 600, 800, 1000]),
    (2000, [0, 500, 1000, 1500, 2000]),
])
def test_step_ticks_are_round_numbers(steps, ticks):
    assert step_ticks(steps) == ticks


@pytest.mark.parametrize("steps", [*range(0, 60), 99, 100, 101, 149, 150, 151, 250, 333, 999, 5000, 12345])
def test_step_ticks_follow_the_nice_number_rule(steps):
    """Multiples of the smallest spacing 1, 2 or 5 × 10^k that cuts 0..steps in at most 6 intervals."""
    ticks = step_ticks(steps)
    spacing = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    nice = [m * 10**e for e in range(6) for m in (1, 2, 5)]
    assert spacing in nice and ticks == list(range(0, steps + 1, spacing))
    assert steps / spacing <= 6
    smaller = [n for n in nice if n < spacing]
    assert not smaller or steps / max(smaller) > 6  # no smaller nice spacing would do
    assert ticks[0] == 0 and ticks[-1] <= steps and steps - ticks[-1] < spacing


def test_the_animation_spec_reaches_every_step_with_round_ticks():
    _s, _runs, fig = build("beale", "both", steps=500)
    anim = fig["animation"]
    assert anim["last"] == 500 and anim["ticks"] == [0, 100, 200, 300, 400, 500]
    assert len(anim["steps"]) <= MAX_FRAMES  # Play stays capped
    assert "updatemenus" not in fig["layout"] and "sliders" not in fig["layout"]  # HTML controls instead


def test_frame_at_a_step_that_is_no_frame_is_the_computed_path_up_to_it():
    """The step slider draws any step k with frame_at (figure.js frameAt): each path is the
    computed one, points 0..k, NaN outside the plot, and stops at a divergence with its ✕."""
    s, runs, _styled, fig = figure_for("rosenbrock", keys=["sgd", "adam"], hparams=ROSENBROCK_BLOWS_UP)
    noisy_s, noisy_runs, _styled, noisy_fig = figure_for("ravine", keys=["sgd"], noise=3.0, seed=0)
    for surface, trajectories, figure, key in ((s, runs, fig, "sgd"), (s, runs, fig, "adam"),
                                               (noisy_s, noisy_runs, noisy_fig, "sgd")):
        t = trajectories[key]
        end = int(t.diverged_at) if t.diverged else len(t.path)
        frames = set(figure["animation"]["steps"])
        last = figure["animation"]["last"]
        checked = [*[k for k in range(last + 1) if k not in frames][:5], 1, 2, 3, last]
        for k in checked:
            frame = frame_at(figure, k)
            assert frame["name"] == str(k)
            for idx, d in zip(frame["traces"], frame["data"], strict=True):
                trace = figure["data"][idx]
                if trace["legendgroup"] != key or trace["mode"] not in ("lines", "lines+markers"):
                    continue
                n = min(k + 1, end)
                want = t.path[:n].astype(np.float32)
                want[~inside_plot(surface, t.path[:n])] = np.nan
                for dim, col in (("x", 0), ("y", 1)):
                    got = np.asarray(d[dim], dtype=np.float32)
                    np.testing.assert_array_equal(got, want[:, col], err_msg=f"{key} step {k} {dim}")
            marks = [d for i, d in zip(frame["traces"], frame["data"], strict=True)
                     if figure["data"][i]["legendgroup"] == key and "text" in figure["data"][i]["mode"]]
            if t.diverged:
                assert marks and all(np.isfinite(np.asarray(m["x"], dtype=float)).any() == (k >= end - 1)
                                     for m in marks), k
        assert any(k not in frames for k in checked) or last + 1 <= MAX_FRAMES


def test_standalone_html_works_offline():
    _s, _, fig = build("bowl", "both", steps=40)
    html = html_export.standalone_html(fig, "Bowl")
    assert "<title>Bowl</title>" in html
    assert len(html) > 3_000_000  # plotly.js is embedded
    assert not re.search(r"<script[^>]*\bsrc=", html)  # nothing is fetched: no external script
    assert '"frames"' in html or "addFrames" in html


@pytest.mark.parametrize("surface_key", ["himmelblau", "beale", "rosenbrock", "ravine"])
def test_paths_are_never_buried_in_the_drawn_mesh(surface_key):
    s = SURFACES[surface_key]
    grid = surface_grid(s)
    _, _, fig = build(surface_key, "3d")
    lift = 0.02 * (grid.z_range[1] - grid.z_range[0])
    for t in fig["data"]:
        if t["type"] == "scatter3d" and t["mode"] == "lines":
            # the casing too, a DEPTH_STEP of the lift below its path
            above = 0.99 - (trajectory.DEPTH_STEP if t.get("meta") == trajectory.CASING else 0.0)
            x, y, z = (np.asarray(t[k], dtype=float) for k in "xyz")
            ok = ~np.isnan(x)
            mesh = mesh_height(grid, x[ok], y[ok])
            assert np.all(z[ok] >= mesh + above * lift), t["legendgroup"]
            # ... and above the true surface too
            true = z_transform(s, s.f(np.column_stack([x[ok], y[ok]])))
            assert np.all(z[ok] >= true + above * lift)


# --- issue 6: what is drawn is what was computed ----------------------------------------------

DEFAULT_KEYS = list(DEFAULT_SELECTION)


def figure_for(surface_key, keys=DEFAULT_KEYS, view="both", steps=None, hparams=None, validate=False, **sim):
    s = SURFACES[surface_key]
    p = PRESETS[surface_key]
    steps = p.steps if steps is None else steps
    grid = surface_grid(s)
    runs = {k: simulate(s, k, p.start, steps, **sim, **((hparams or {}).get(k) or p.hparams_for(k))) for k in keys}
    by_key = {k: styles.PathStyle(OPTIMIZERS[k].color, key=k, name=OPTIMIZERS[k].name) for k in keys}
    per = [trajectory.optimizer_traces(s, grid, runs[k], by_key[k], view) for k in keys]
    fig = trajectory.trajectory_figure(s, grid, per, steps=steps, view=view)
    json.loads(encode_payload(fig, 600))  # strict JSON: a gap never travels as NaN
    if validate:
        go.Figure(expand_frames(fig))  # valid plotly, frames included
    return s, runs, [(by_key[k], runs[k]) for k in keys], fig


def path_traces(fig, key):
    return [t for t in fig["data"] if t.get("legendgroup") == key and t.get("customdata") is not None
            and t["mode"].startswith("lines")]


def end_marks(fig, key):
    return [t for t in fig["data"] if t.get("legendgroup") == key and t["mode"] == "markers+text"]


def assert_drawn_as_computed(s, t, fig, key):
    """Every computed point up to the divergence step: at its coordinates inside the plot, NaN outside."""
    end = int(t.diverged_at) if t.diverged else t.steps + 1
    path = t.path[:end]
    outside = ~inside_plot(s, path)
    traces = path_traces(fig, key)
    assert {tr["type"] for tr in traces} == {"scatter", "scatter3d"}
    for tr in traces:
        x, y = np.asarray(tr["x"], dtype=float), np.asarray(tr["y"], dtype=float)
        assert len(x) == len(y) == end, (key, tr["type"])
        assert np.array_equal(np.isnan(x), outside) and np.array_equal(np.isnan(y), outside), (key, tr["type"])
        np.testing.assert_array_equal(x[~outside], path[~outside, 0].astype(np.float32))
        np.testing.assert_array_equal(y[~outside], path[~outside, 1].astype(np.float32))
        if tr["type"] == "scatter3d":
            assert np.array_equal(np.isnan(np.asarray(tr["z"], dtype=float)), outside)
        assert np.array_equal(tr["customdata"], np.arange(end))
        # A point with a gap on both sides is invisible as a line: it must carry a marker.
        inside = ~outside
        isolated = inside & ~np.r_[False, inside[:-1]] & ~np.r_[inside[1:], False]
        if isolated.any():
            assert tr["mode"] == "lines+markers", (key, tr["type"])
            assert np.array_equal(np.asarray(tr["marker"]["size"]) > 0, isolated), (key, tr["type"])
        else:
            assert tr["mode"] == "lines", (key, tr["type"])
    return outside


@pytest.mark.parametrize(("surface_key", "sim"), [
    *[("mse", {"batch_size": 1, "seed": seed}) for seed in (0, 1, 2, 7)],
    *[("mse", {"batch_size": 8, "seed": seed}) for seed in (0, 1, 3)],
    *[("ravine", {"noise": 3.0, "seed": seed}) for seed in (0, 1, 5)],
])
def test_noisy_paths_are_drawn_point_for_point(surface_key, sim):
    s, runs, _styled, fig = figure_for(surface_key, **sim)
    for key, t in runs.items():
        assert_drawn_as_computed(s, t, fig, key)


def test_a_path_that_leaves_the_plot_and_comes_back_is_drawn_again():
    """?surface=mse&batch=1&seed=1 drew SGD as 1 point of 251; the ravine at noise 3 lost most of it."""
    for surface_key, sim in (("mse", {"batch_size": 1, "seed": 1}), ("mse", {"batch_size": 1, "seed": 0}),
                             ("ravine", {"noise": 3.0, "seed": 0})):
        s, runs, _styled, fig = figure_for(surface_key, keys=["sgd"], **sim)
        outside = assert_drawn_as_computed(s, runs["sgd"], fig, "sgd")
        first_out = int(np.argmax(outside))
        assert outside.any() and not outside[first_out:].all(), (surface_key, sim)  # out ... and back in
        drawn = np.count_nonzero(~np.isnan(np.asarray(path_traces(fig, "sgd")[0]["x"], dtype=float)))
        assert drawn == np.count_nonzero(~outside) > 200


def test_animation_frames_hide_the_marker_where_the_point_is_outside():
    s, runs, _styled, fig = figure_for("ravine", keys=["sgd", "adam"], noise=3.0, seed=0)
    full = expand_frames(fig)
    sgd = runs["sgd"]
    outside = ~inside_plot(s, sgd.path)
    assert outside.any()
    entries = [e for e in fig["animation"]["traces"] if e["kind"] == "marker"
               and fig["data"][e["index"]]["legendgroup"] == "sgd"]
    assert len(entries) == 3  # one per cell, and the casing beneath the 3-D one
    for frame in full["frames"]:
        k = int(frame["name"])
        for e in entries:
            d = frame["data"][frame["traces"].index(e["index"])]
            if outside[k]:
                assert np.isnan(d["x"][0]) and np.isnan(d["y"][0]), k
            else:
                assert d["x"][0] == np.float32(sgd.path[k, 0]) and d["y"][0] == np.float32(sgd.path[k, 1]), k
    # Also the frames at the steps where SGD is outside exist, so the check above ran on hidden markers.
    assert any(outside[int(f["name"])] for f in full["frames"])


ROSENBROCK_BLOWS_UP = {"sgd": {"lr": 0.01}}  # diverges at step 4 (issue 6: drawn as a plateau at 9.5e4)


def test_a_diverged_path_ends_at_its_divergence_step_with_a_cross():
    s, runs, _styled, fig = figure_for("rosenbrock", keys=["sgd", "adam"], hparams=ROSENBROCK_BLOWS_UP, validate=True)
    t = runs["sgd"]
    assert t.diverged and int(t.diverged_at) == 4
    outside = assert_drawn_as_computed(s, t, fig, "sgd")
    last_inside = int(np.flatnonzero(~outside)[-1])
    marks = end_marks(fig, "sgd")
    assert {m["type"] for m in marks} == {"scatter", "scatter3d"}  # both cells
    for m in marks:
        assert m["text"] == "diverged at step 4" and m["marker"]["symbol"] == "x"
        x, y = np.asarray(m["x"], dtype=float), np.asarray(m["y"], dtype=float)
        assert (x[-1], y[-1]) == (np.float32(t.path[last_inside, 0]), np.float32(t.path[last_inside, 1]))
        assert np.isnan(x[:-1]).all()  # the animation shows it from the step it diverged on
    assert not end_marks(fig, "adam")  # a run that did not diverge has no end mark
    # In the animation the cross appears with the divergence, not before.
    full = expand_frames(fig)
    mark_idx = [i for i, tr in enumerate(fig["data"]) if tr in marks]
    for frame in full["frames"]:
        k = int(frame["name"])
        for i in mark_idx:
            x = np.asarray(frame["data"][frame["traces"].index(i)]["x"], dtype=float)
            assert np.isfinite(x).any() == (k >= int(t.diverged_at) - 1), k


def test_a_diverged_run_s_loss_and_distance_lines_stop_at_the_divergence_step():
    s, runs, styled, _fig = figure_for("rosenbrock", keys=["sgd", "adam"], hparams=ROSENBROCK_BLOWS_UP, validate=True)
    t = runs["sgd"]
    for chart, values in ((step_charts.loss_figure(s, styled), t.loss - s.f_min),
                          (step_charts.distance_figure(styled), t.distance)):
        sgd = [tr for tr in chart["data"] if tr["legendgroup"] == "sgd"]
        line = next(tr for tr in sgd if tr["mode"] == "lines")
        assert list(line["x"]) == [0, 1, 2, 3]  # no frozen plateau after step 3
        np.testing.assert_allclose(line["y"], values[:4], rtol=1e-7)  # float32 where it draws the same
        assert "diverged at step 4" in line["name"]  # in the legend
        cross = next(tr for tr in sgd if tr["mode"] == "markers")
        assert cross["marker"]["symbol"] == "x" and cross["x"] == [3] and cross["y"] == [values[3]]
        assert "diverged at step 4" in cross["hovertemplate"]
        adam = next(tr for tr in chart["data"] if tr["legendgroup"] == "adam")
        assert len(adam["x"]) == t.steps + 1 and adam["name"] == OPTIMIZERS["adam"].name


def test_the_saddle_s_escape_is_marked_alike_for_every_optimizer():
    s, runs, styled, fig = figure_for("saddle", keys=["sgd", "momentum", "nesterov", "rmsprop", "adam", "adadelta"],
                                        validate=True)
    for key, t in runs.items():
        outside = assert_drawn_as_computed(s, t, fig, key)
        marks = end_marks(fig, key)
        if not outside.any():
            assert not marks, key  # GD crawls and stays in the plot
            continue
        j = int(np.argmax(outside))
        assert {m["type"] for m in marks} == {"scatter", "scatter3d"}, key
        for m in marks:
            assert m["text"] == f"escaped (step {j})", key  # Adam too, although it never reaches the bound
            assert np.asarray(m["x"], dtype=float)[-1] == np.float32(t.path[j - 1, 0])
    assert not end_marks(fig, "sgd") and end_marks(fig, "adam") and not runs["adam"].diverged
    names = [tr["name"] for tr in step_charts.loss_figure(s, styled)["data"]]
    assert not any("diverged" in n for n in names)


def test_the_saddle_s_loss_axis_keeps_the_early_steps_readable():
    """A linear axis spans −1.4e5 … 3 and GD's crawl 3 → −0.3 was a flat line at 0."""
    s, runs, styled, _fig = figure_for("saddle")
    chart = step_charts.loss_figure(s, styled)
    lines = [tr for tr in chart["data"] if tr["mode"] == "lines"]
    ys = np.concatenate([np.asarray(tr["y"], dtype=float) for tr in lines])
    axis_span = np.nanmax(ys) - np.nanmin(ys)
    gd = next(tr for tr in lines if tr["legendgroup"] == "sgd")
    assert min(runs["momentum"].loss) < -1e5  # the escape is on the chart ...
    assert np.ptp(gd["y"]) > 0.2 * axis_span  # ... and GD's crawl fills a fifth of the axis or more
    # Hover and ticks give the real f.
    np.testing.assert_allclose(gd["customdata"], runs["sgd"].loss, rtol=1e-7)  # hover: 4 significant digits
    np.testing.assert_allclose(gd["y"], step_charts.symlog(runs["sgd"].loss, step_charts.symlog_scale(s)))
    axis = chart["layout"]["yaxis"]
    for value, label in zip(axis["tickvals"], axis["ticktext"], strict=True):
        real = float(label.replace("−", "-").replace("10⁵", "1e5").replace("10⁴", "1e4"))
        assert value == pytest.approx(float(step_charts.symlog(real, step_charts.symlog_scale(s))))
    assert "0" in axis["ticktext"] and any(t.startswith("−") for t in axis["ticktext"])
    # The symlog is monotonic: the order of losses is kept.
    assert np.all(np.diff(step_charts.symlog(np.linspace(-1e5, 1e5, 1001), 0.08)) > 0)


# --- issue 6: paths visible in 3-D (the browser test in test_e2e.py checks the pixels) ---------


@pytest.mark.parametrize("surface_key", sorted(SURFACES))
def test_every_preset_camera_sees_the_surface_s_valley(surface_key):
    s = SURFACES[surface_key]
    grid = surface_grid(s)
    presets = camera_presets(s)
    assert list(presets) == list(CAMERA_PRESETS)  # the names app.py offers
    for name, eye in presets.items():
        assert len(eye) == 3 and all(abs(v) <= 10 for v in eye), name  # a valid link value (share.CAMERA_LIMIT)
        assert visible_fraction(s, grid, eye) >= 0.9, name
    default, along_x, along_y = presets["Default"], presets["Along x"], presets["Along y"]
    assert abs(abs(default[0]) - abs(default[1])) < 1e-9  # a diagonal ...
    assert along_x[1] == 0 and along_y[0] == 0  # ... and the axis views keep their direction
    # The view opens at the surface's default camera, a link's camera still wins.
    _s, _runs, _styled, fig = figure_for(surface_key, keys=["sgd"], steps=20)
    assert tuple(fig["layout"]["scene"]["camera"]["eye"].values()) == default_camera(s)
    figure = trajectory.trajectory_figure(s, grid, [], steps=20, camera=(0.1, -2.0, 1.0))
    eye = figure["layout"]["scene"]["camera"]["eye"]
    assert (eye["x"], eye["y"], eye["z"]) == (0.1, -2.0, 1.0)


def test_the_line_of_sight_model_sees_what_the_browser_saw():
    """The generic cameras hid the paths on the ravine and on Beale (issue 6, seen in Chromium):
    the geometry that chooses the presets must call those views blocked, and the top view clear."""
    for key, name, bound in (("ravine", "Default", 0.5), ("ravine", "Along y", 0.5), ("beale", "Default", 0.7),
                             ("beale", "Along y", 0.5)):
        s = SURFACES[key]
        seen = visible_fraction(s, surface_grid(s), CAMERA_PRESETS[name])
        assert seen < bound, (key, name, seen)
    s = SURFACES["bowl"]
    grid = surface_grid(s)
    assert visible_fraction(s, grid, CAMERA_PRESETS["Top"]) == 1.0
    centre = np.array([[0.0, 0.0, grid.z_range[0] + grid.lift]])
    assert visible_fraction(s, grid, (1.3, -1.3, 1.5), centre) == 1.0  # over the rim into the bowl
    assert visible_fraction(s, grid, (2.0, -2.0, -0.2), centre) == 0.0  # from below the rim


def test_step_charts_travel_in_float32_only_where_that_draws_the_same_chart():
    """float32 halves the bytes of a changed run's step-chart lines; it is used only where the
    chart and its hover (4 significant digits) cannot tell it from float64."""
    smooth = np.linspace(3.0, 0.5, 200) ** 2
    assert step_charts.display_values(smooth, linear=True).dtype == np.float32
    np.testing.assert_allclose(step_charts.display_values(smooth, linear=True), smooth, rtol=1e-7)
    # A loss gap that falls below float32's normal range (GD on a quadratic) would turn 0 and
    # vanish from the log axis: float64, unchanged.
    tiny = 0.5 ** np.arange(0, 400, dtype=float)
    assert step_charts.display_values(tiny, linear=False).dtype == np.float64
    assert step_charts.display_values(np.array([1e39, 1.0]), linear=False).dtype == np.float64
    # A linear axis over a tiny span far from 0 (x(t) barely moving around 3): float32 would
    # round its steps away, so float64.
    still = 3.0 + 1e-9 * np.arange(50)
    np.testing.assert_array_equal(step_charts.display_values(still, linear=True), still)
    # Gaps (NaN) and a diverging tail stay where they were.
    gapped = np.array([1.0, np.nan, 2.0, np.inf, 3.0])
    out = step_charts.display_values(gapped, linear=True)
    assert out.dtype == np.float32 and np.isnan(out[1]) and np.isinf(out[3])
    # The charts use it: Beale's default runs travel in float32 and draw the computed values.
    s, runs, styled, _fig = figure_for("beale", keys=["sgd", "adam"])
    for chart in (step_charts.loss_figure(s, styled), step_charts.coordinate_figure(styled, 0)):
        for line in (tr for tr in chart["data"] if tr["mode"] == "lines"):
            assert line["y"].dtype == np.float32
    x_line = next(tr for tr in step_charts.coordinate_figure(styled, 0)["data"] if tr["legendgroup"] == "adam")
    np.testing.assert_allclose(x_line["y"], runs["adam"].path[:, 0], rtol=1e-7)


def _minibatch_lesson_charts(axis):
    from optviz.plot.lessons import get_lesson

    lesson = get_lesson("gd-sgd-minibatch")
    styled = [(styles.PathStyle(key=f"r{i}", name=label, color="#0072b2"), t)
              for i, (label, t) in enumerate(lesson.compute().items())]
    surface = SURFACES[lesson.view.surface]
    return styled, [step_charts.loss_figure(surface, styled, axis), step_charts.distance_figure(styled, axis),
                    step_charts.coordinate_figure(styled, 0, axis), step_charts.coordinate_figure(styled, 1, axis)]


@pytest.mark.parametrize("axis", ["epochs", "samples"])
def test_the_work_axis_shows_every_run_of_the_minibatch_lesson(axis):
    """SGD's 250 steps at b = 1 are about 1 epoch of 240 points, GD's 250 epochs: on a linear axis SGD's
    whole curve was squeezed into the first 0.4 % of the width. Each run's curve must span a readable
    share of the axis (a quarter), and the axis must say how it is scaled."""
    styled, charts = _minibatch_lesson_charts(axis)
    assert len(styled) == 3
    for chart in charts:
        lines = [d for d in chart["data"] if d["mode"] == "lines"]
        assert len(lines) == 3
        xaxis = chart["layout"]["xaxis"]
        log = xaxis.get("type") == "log"
        xs = [np.asarray(d["x"], dtype=float) for d in lines]
        if log:
            assert all((x > 0).all() for x in xs)  # a log axis cannot place step 0
            assert "log scale" in xaxis["title"]["text"]
            xs = [np.log10(x) for x in xs]
        lo, hi = min(x.min() for x in xs), max(x.max() for x in xs)
        for line, x in zip(lines, xs, strict=True):
            assert np.ptp(x) >= 0.25 * (hi - lo), (chart["layout"]["title"]["text"], line["name"])


def test_runs_with_one_batch_size_keep_a_linear_work_axis_from_step_0():
    ts = [simulate("mse", "sgd", steps=100, lr=lr, batch_size=16) for lr in (0.05, 0.1)]
    styled = [(styles.PathStyle(key=f"r{i}", name=f"{i}", color="#0072b2"), t) for i, t in enumerate(ts)]
    chart = step_charts.loss_figure(SURFACES["mse"], styled, "epochs")
    assert chart["layout"]["xaxis"].get("type", "linear") == "linear"
    assert chart["layout"]["xaxis"]["title"]["text"] == "epochs"
    assert all(float(d["x"][0]) == 0.0 for d in chart["data"] if d["mode"] == "lines")


# --- issue 19, item 10: the 3-D mesh follows the valley (no saw-teeth over the paths) -----------

MESH_TOLERANCE = 0.005  # of the z range: the drawn mesh lies at most this far above the true surface


def drawn_mesh_heights(grid, x, y) -> np.ndarray:
    """The highest the drawn mesh can be at (x, y): plotly.js cuts each cell into two triangles
    along one of its diagonals; both cuts, and the bilinear surface, are taken."""
    xs, ys, z = grid.x3, grid.y3, grid.z3
    fx = np.clip((x - xs[0]) / (xs[1] - xs[0]), 0, len(xs) - 1)
    fy = np.clip((y - ys[0]) / (ys[1] - ys[0]), 0, len(ys) - 1)
    i, j = np.minimum(fx.astype(int), len(xs) - 2), np.minimum(fy.astype(int), len(ys) - 2)
    u, v = fx - i, fy - j
    a, b, c, d = z[j, i], z[j, i + 1], z[j + 1, i], z[j + 1, i + 1]
    cut_bc = np.where(u + v <= 1, a + u * (b - a) + v * (c - a), d + (1 - u) * (c - d) + (1 - v) * (b - d))
    cut_ad = np.where(u >= v, a + u * (b - a) + v * (d - b), a + v * (c - a) + u * (d - c))
    return np.maximum.reduce([cut_bc, cut_ad, mesh_height(grid, x, y)])


@pytest.mark.parametrize("surface_key", sorted(SURFACES))
def test_the_3d_mesh_never_rises_above_the_true_surface_along_the_default_paths(surface_key):
    """Rosenbrock's valley is narrower than a cell of the 3-D mesh: a mesh through f at its nodes
    rose in saw-teeth up to a quarter of the z range over the valley floor and hid the end of
    Adam's path (issue 19). The mesh is the lower envelope of f (_lower_envelope)."""
    s = SURFACES[surface_key]
    grid = surface_grid(s)
    lo, hi = grid.z_range
    p = PRESETS[surface_key]
    for key in DEFAULT_KEYS:
        t = simulate(s, key, p.start, p.steps, **p.hparams_for(key))
        path = np.asarray(t.path)[inside_plot(s, t.path)]
        true = z_transform(s, s.f(path))
        above = (drawn_mesh_heights(grid, path[:, 0], path[:, 1]) - true) / (hi - lo)
        assert np.nanmax(above) <= MESH_TOLERANCE, (key, float(np.nanmax(above)), path[np.nanargmax(above)])
    # Each node lies in the plot's z range and at or below f there (at f's lowest within one cell).
    gx, gy = np.meshgrid(grid.x3, grid.y3)
    at_nodes = np.clip(z_transform(s, s.f(np.stack([gx, gy], axis=-1))), lo, hi)
    assert np.nanmin(grid.z3) >= lo and np.all(grid.z3[np.isfinite(at_nodes)] <= at_nodes[np.isfinite(at_nodes)])


def test_rosenbrock_s_valley_floor_is_drawn_without_saw_teeth():
    s = SURFACES["rosenbrock"]
    grid = surface_grid(s)
    x = np.linspace(-1.4, 1.4, 4001)
    floor = np.column_stack([x, x * x])  # y = x², where f = (1 - x)²
    mesh = drawn_mesh_heights(grid, floor[:, 0], floor[:, 1])
    gap = (mesh - z_transform(s, s.f(floor))) / (grid.z_range[1] - grid.z_range[0])
    assert gap.max() <= MESH_TOLERANCE, (gap.max(), floor[np.argmax(gap)])
