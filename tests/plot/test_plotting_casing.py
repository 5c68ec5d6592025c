"""Every path, in the contour cell and in the 3-D cell, is drawn over its casing (issue 10, "paths
that stand out from the surface's colour scale"), in every frame, with gaps where the path has gaps
and an end where it ends; never a legend entry of its own; for a few hundred bytes of payload in 2-D
and one float32 array in 3-D. In 3-D every trace is opaque (a trace short of opaque makes plotly.js
draw the surface twice in every animation frame) and the casing lies a DEPTH_STEP below its path
(plotting.py says why); tests/browser/test_e2e_colors.py counts them on the screen."""

import json

import numpy as np
import pytest

from optviz import OPTIMIZERS, simulate
from optviz.app import present
from optviz.app.figure_component import encode_figure, encode_payload
from optviz.core.presets import PRESETS
from optviz.core.registry import DEFAULT_SELECTION
from optviz.plot import frames, styles, trajectory
from optviz.plot.grid import inside_plot, surface_grid
from surfaces import SURFACES

DEFAULT_KEYS = list(DEFAULT_SELECTION)


def figure_for(surface_key, keys=DEFAULT_KEYS, view="both", steps=None, hparams=None, **sim):
    s = SURFACES[surface_key]
    p = PRESETS[surface_key]
    steps = p.steps if steps is None else steps
    grid = surface_grid(s)
    keys = list(keys)
    optimizers = [k.split(":")[0] for k in keys]
    run_styles = styles.run_styles(keys, [OPTIMIZERS[o].name for o in optimizers], optimizers)
    runs = {k: simulate(s, o, p.start, steps, **sim, **((hparams or {}).get(k) or p.hparams_for(o)))
            for k, o in zip(keys, optimizers, strict=True)}
    per = [trajectory.optimizer_traces(s, grid, runs[k], st, view) for k, st in zip(keys, run_styles, strict=True)]
    return s, runs, dict(zip(keys, run_styles, strict=True)), trajectory.trajectory_figure(s, grid, per, steps=steps,
                                                                                         view=view)


def is_path(t):
    return t.get("customdata") is not None and str(t.get("mode", "")).startswith("lines")


def arr(a):
    return np.asarray(a, dtype=float)


def assert_every_path_is_cased(fig, run_styles, surface):
    """Each path has its casing right before it (drawn beneath), built from the same points.
    Returns the indices of the paths."""
    data = fig["data"]
    paths = [i for i, t in enumerate(data) if is_path(t)]
    casings = [i for i, t in enumerate(data) if t.get("meta") == trajectory.CASING]
    assert [i - 1 for i in paths] == casings  # one casing per path, just beneath it
    for t in data:  # opaque: one short of it makes plotly.js draw the surface again in every frame
        assert t.get("opacity", 1) == 1, t.get("meta", t.get("name"))
    dz = trajectory.DEPTH_STEP * surface_grid(surface).lift
    assert dz > 0
    for i in paths:
        path, casing = data[i], data[i - 1]
        style = run_styles[path["legendgroup"]]
        assert casing["type"] == path["type"] and casing["legendgroup"] == path["legendgroup"]
        assert casing["showlegend"] is False and casing["hoverinfo"] == "skip"  # never a legend entry
        assert casing["line"]["color"] == style.casing != style.color
        assert casing["line"]["width"] > path["line"]["width"]
        # Explicit px in 2-D: dashes under dashes. 3-D paths are solid: no surface shows in a dash's gap.
        assert casing["line"]["dash"] == path["line"]["dash"]
        assert path["type"] == "scatter" or path["line"]["dash"] == "solid"
        for d in "xy":
            assert casing[d] is path[d], d  # the very same array: one copy in the payload
        if path["type"] == "scatter3d":  # a DEPTH_STEP below the path: never at its depth, never above it
            np.testing.assert_allclose(arr(casing["z"]), arr(path["z"]) - dz, rtol=1e-6, atol=1e-6 * dz)
            marks = [t for t in data if t["type"] == "scatter3d" and t.get("legendgroup") == path["legendgroup"]
                     and t.get("mode") == "markers"]
            assert [t.get("meta") for t in marks] == [trajectory.MARKER_CASING, None]
            z = arr(path["z"])
            last = z[~np.isnan(z)][-1] if len(z) and np.isfinite(z[-1]) else None
            if last is not None:  # the marker's casing and the marker above the path's end
                assert marks[0]["z"][0] == pytest.approx(last + dz) and marks[1]["z"][0] == pytest.approx(last + 2 * dz)
        else:
            assert casing["z"] is path["z"] if "z" in path else "z" not in casing
        assert casing["mode"] == path["mode"]
        if path["mode"] == "lines+markers":  # isolated points: a larger dot beneath the path's dot
            ps, cs = arr(path["marker"]["size"]), arr(casing["marker"]["size"])
            assert np.array_equal(ps > 0, cs > 0) and np.all(cs[ps > 0] > ps[ps > 0])
            assert casing["marker"]["color"] == style.casing
    return paths


def assert_frames_cased(fig, paths):
    """In every frame the casing shows exactly the path's points: its gaps, its end."""
    full = frames.expand_frames(fig)
    assert full["frames"]
    for frame in full["frames"]:
        at = {idx: d for idx, d in zip(frame["traces"], frame["data"], strict=True)}
        for i in paths:
            assert i in at and i - 1 in at, (frame["name"], i)
            for d in "xyz" if fig["data"][i]["type"] == "scatter3d" else "xy":
                assert len(at[i - 1][d]) == len(at[i][d]), (frame["name"], i, d)
                if d != "z":
                    np.testing.assert_array_equal(arr(at[i - 1][d]), arr(at[i][d]))
                else:
                    np.testing.assert_array_equal(np.isnan(arr(at[i - 1][d])), np.isnan(arr(at[i][d])))


@pytest.mark.parametrize("view", ["both", "3d", "contour"])
def test_every_path_has_a_casing_in_every_frame(view):
    s, _runs, run_styles, fig = figure_for("beale", view=view, steps=120)
    paths = assert_every_path_is_cased(fig, run_styles, s)
    cells = {t["type"] for t in fig["data"] if is_path(t)}
    assert cells == {"both": {"scatter", "scatter3d"}, "3d": {"scatter3d"}, "contour": {"scatter"}}[view]
    assert len(paths) == len(DEFAULT_KEYS) * len(cells)
    assert sum(t.get("meta") == trajectory.CASING for t in fig["data"]) == len(paths)
    assert_frames_cased(fig, paths)
    # one legend entry per run, none for a casing
    legend = [t for t in fig["data"] if t.get("showlegend")]
    assert sorted(t["legendgroup"] for t in legend) == sorted(DEFAULT_KEYS)


@pytest.mark.parametrize(("surface_key", "sim", "hparams"), [
    ("ravine", {"noise": 3.0, "seed": 0}, None),  # leaves the plot and comes back: gaps, isolated points
    ("mse", {"batch_size": 1, "seed": 1}, None),
    ("saddle", {}, None),  # escapes
    ("rosenbrock", {}, {"sgd": {"lr": 0.01}}),  # diverges at step 4
])
def test_the_casing_has_the_path_s_gaps_and_ends_where_it_ends(surface_key, sim, hparams):
    s, runs, run_styles, fig = figure_for(surface_key, hparams=hparams, **sim)
    paths = assert_every_path_is_cased(fig, run_styles, s)
    assert_frames_cased(fig, paths)
    for i in paths:
        path, casing = fig["data"][i], fig["data"][i - 1]
        t = runs[path["legendgroup"]]
        end = int(t.diverged_at) if t.diverged else t.steps + 1
        outside = ~inside_plot(s, t.path[:end])
        assert len(arr(casing["x"])) == end  # ends where the path ends (at the ✕ of a diverged run)
        assert np.array_equal(np.isnan(arr(casing["x"])), outside)  # gaps where the path is outside
    if surface_key == "rosenbrock":
        assert runs["sgd"].diverged and int(runs["sgd"].diverged_at) == 4
    if surface_key in ("ravine", "mse"):
        assert any(fig["data"][i]["mode"] == "lines+markers" for i in paths)  # isolated points were cased


def test_runs_of_one_optimizer_and_black_paths_get_a_casing_that_shows():
    s, _runs, run_styles, fig = figure_for("bowl", keys=["sgd", "sgd:1", "adam", "adam:1", "adam:2"], steps=40)
    assert_every_path_is_cased(fig, run_styles, s)
    assert run_styles["sgd"].casing == styles.CASING_LIGHT  # black path: white casing
    for style in run_styles.values():
        assert style.casing == styles.casing_for(style.color)


def test_dash_px_is_plotly_s_pattern_at_that_width():
    # plotly.js Drawing.dashStyle: lengths scale with max(width, 3)
    assert trajectory.dash_px("solid", 2.5) == "solid"
    assert trajectory.dash_px("dot", 2.5) == "3px,3px"
    assert trajectory.dash_px("dash", 2.5) == "9px,9px"
    assert trajectory.dash_px("dashdot", 4) == "12px,4px,4px,4px"
    assert trajectory.dash_px("longdashdot", 2.5) == "15px,6px,3px,6px"
    assert trajectory.dash_px("5px,2px", 2.5) == "5px,2px"


def test_presentation_mode_widens_path_and_casing_and_their_dashes_alike():
    # the view's second and third runs are dashed (a view's runs walk through the dashes)
    _s, _runs, _styles, fig = figure_for("beale", keys=["sgd", "adadelta", "nadam"], steps=60)
    shown = present.presentation_figure(fig, present.PRESENT_720)
    scale = present.LINE_SCALE[present.PRESENT_720]
    checked = 0
    for i, t in enumerate(shown["data"]):
        if is_path(t) and t["type"] == "scatter" and t["legendgroup"] in ("adadelta", "nadam"):
            checked += 1
            casing = shown["data"][i - 1]
            assert t["line"]["dash"] == casing["line"]["dash"] != "solid"
            before = [float(v.removesuffix("px")) for v in fig["data"][i]["line"]["dash"].split(",")]
            after = [float(v.removesuffix("px")) for v in t["line"]["dash"].split(",")]
            np.testing.assert_allclose(after, np.array(before) * scale)
            assert casing["line"]["width"] == pytest.approx(fig["data"][i - 1]["line"]["width"] * scale)
    assert checked == 2


def _without_casing(fig):
    """The same figure as it was before casings: their traces and animation entries left out."""
    keep = [i for i, t in enumerate(fig["data"]) if t.get("meta") != trajectory.CASING]
    new_index = {old: new for new, old in enumerate(keep)}
    anim = []
    for e in fig["animation"]["traces"]:
        if e["index"] in new_index:
            e = {**e, "index": new_index[e["index"]]}
            if "source" in e:
                e["source"] = new_index[e["source"]]
            anim.append(e)
    return {**fig, "data": [fig["data"][i] for i in keep], "animation": {**fig["animation"], "traces": anim}}


def test_the_casing_costs_a_few_hundred_bytes_per_path_and_its_3d_depth():
    """The view component sends an array once by its content id; the casing reuses the path's x
    and y, and in 2-D its every array. In 3-D its z is its own (a DEPTH_STEP below the path's): one
    float32 array per 3-D casing, nothing else."""
    _s, _runs, _styles, fig = figure_for("ravine", steps=250)
    plain = _without_casing(fig)
    with_casing, without = encode_figure(fig), encode_figure(plain)
    casings = [t for t in fig["data"] if t.get("meta") == trajectory.CASING]
    assert len(casings) == 2 * len(DEFAULT_KEYS)  # both cells' paths
    lowered = [t["z"] for t in casings if t["type"] == "scatter3d"]
    assert len(lowered) == len(DEFAULT_KEYS)
    new = dict(with_casing.arrays).keys() - dict(without.arrays).keys()
    assert len(with_casing.arrays) == len(without.arrays) + len(lowered) == len(without.arrays) + len(new)
    z_bytes = sum(len(spec) + len(key) + 6 for key, spec in with_casing.arrays if key in new)
    assert all(np.asarray(z).nbytes == 4 * 251 for z in lowered)  # float32, one value per step
    added = len(encode_payload(fig, 640)) - len(encode_payload(plain, 640))
    assert 0 < added - z_bytes <= 450 * len(casings), (added, z_bytes)
    json.loads(encode_payload(fig, 640))
