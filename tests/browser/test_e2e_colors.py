"""In the browser: every path visible in 3-D from every preset camera, for every colour vision.

The helpers are in tests/browser/support.py.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest

from tests.browser.support import (
    CASING_PROBE,
    JS_3D_CASING_COLOUR,
    JS_3D_CASING_COLOUR_KEPT,
    JS_3D_PATH_COLOURS,
    JS_SCENE_BOX,
    JS_SET_EYE,
    JS_SHOW_3D_PATHS,
    JS_SHOW_ONLY_3D_PATH,
    JS_SHOW_SURFACE,
    PATH_COLOUR_TOLERANCE,
    PATH_MAX_SHARE_BLENDING,
    PATH_MAX_SHARE_BLENDING_DEFICIENT,
    PATH_MIN_PIXELS,
    PATH_MIN_SHARE_OF_TOP,
    PATH_MIN_SHARE_UNHIDDEN,
    PATHS_MAX_SHARE_OF_SCENE,
    VISIONS,
    _close,
    _path_pixels,
    _share_blending_in,
)

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("surface_key", ["bowl", "beale", "saddle", "ravine", "two_minima", "himmelblau", "mse",
                                         "rosenbrock"])
def test_every_path_is_visible_in_3d_from_every_preset_camera(app, surface_key, tmp_path):
    """Issue 6: on Beale and the ravine the default camera hid the paths behind the surface's
    front wall. For every surface, with its default optimizers, each path's colour must show in
    the 3-D cell at the default camera (the one the page opens with) and at each preset, and
    (issue 10) stand out from the surface beside it, by its colour or its casing, for normal
    vision and the three simulated deficiencies."""
    from PIL import Image

    from optviz.plot import colors
    from optviz.plot.camera import camera_presets
    from surfaces import SURFACES

    presets = camera_presets(SURFACES[surface_key])
    app.open({"surface": surface_key})
    page = app.page
    opened = app.camera()
    assert _close(opened, dict(zip("xyz", presets["Default"], strict=True)), 1e-3), opened
    colours = page.evaluate(JS_3D_PATH_COLOURS)
    assert len(colours) >= 5, colours  # the surface's default optimizers
    # The pictures measured (casings in the probe colour), and with OPTVIZ_CAMERA_SHOTS the view as shown.
    shots_dir = Path(os.environ.get("OPTVIZ_CAMERA_SHOTS") or tmp_path)
    shots_dir.mkdir(parents=True, exist_ok=True)
    counts, shots, blending_in = {}, {}, []
    shots_wanted = bool(os.environ.get("OPTVIZ_CAMERA_SHOTS"))
    for name, eye in presets.items():
        if name != "Default":
            page.evaluate(JS_SET_EYE, dict(zip("xyz", eye, strict=True)))
            app.wait_idle()  # the camera goes back to the server (for the link): a rerun
        box = page.evaluate(JS_SCENE_BOX)
        clip = {"x": box["left"], "y": box["top"], "width": box["width"], "height": box["height"]}
        if shots_wanted:
            page.evaluate(JS_3D_CASING_COLOUR, None)
            page.screenshot(clip=clip, path=str(shots_dir / f"{surface_key}-{name.replace(' ', '_')}.png"))
        # The casings stay in the probe colour from one camera to the next (every recolouring is a
        # redraw of the scene in software WebGL); the "without" shot hides them with their paths.
        page.evaluate(JS_3D_CASING_COLOUR_KEPT, CASING_PROBE)
        probe = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
        page.evaluate(JS_SHOW_3D_PATHS, False)
        without = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
        page.evaluate(JS_SHOW_3D_PATHS, True)
        for suffix, image in (("probe", probe), ("without", without)):  # what was measured
            image.save(shots_dir / f"{surface_key}-{name.replace(' ', '_')}-{suffix}.png")
        # The view without the paths is the same view (the scene did not move or resize): what
        # differs is the paths' few pixels, the surface beside them unchanged.
        changed = float((np.abs(np.asarray(probe, float) - np.asarray(without, float)).max(axis=-1) > 25).mean())
        assert changed < PATHS_MAX_SHARE_OF_SCENE, (name, changed)
        counts[name] = {key: _path_pixels(probe, without, colour) for key, colour in colours.items()}
        shots[name] = (clip, without)
        casings = colors.drawn_pixels(probe, without, CASING_PROBE, PATH_COLOUR_TOLERANCE)
        for key, colour in colours.items():
            if counts[name][key] < PATH_MIN_PIXELS:
                continue  # too few to judge
            for vision in VISIONS:
                blended = _share_blending_in(probe, without, colour, casings, vision)
                bound = PATH_MAX_SHARE_BLENDING if vision is None else PATH_MAX_SHARE_BLENDING_DEFICIENT
                if blended is not None and blended > bound:
                    blending_in.append((name, key, vision or "normal", round(blended, 3)))
    page.evaluate(JS_3D_CASING_COLOUR, None)
    # Where paths run together (Rosenbrock's valley), a later path is drawn over an earlier one,
    # in the contour view as well; that is not the surface hiding it. A path short of pixels is
    # shot again alone at every camera, with the surface and without it: the surface must not
    # hide most of it.
    hidden = []
    for key, colour in colours.items():
        if all(counts[name][key] >= max(PATH_MIN_PIXELS, PATH_MIN_SHARE_OF_TOP * counts["Top"][key])
               for name in presets):
            continue
        page.evaluate(JS_SHOW_ONLY_3D_PATH, key)
        page.evaluate(JS_3D_CASING_COLOUR, CASING_PROBE)
        for name, eye in presets.items():
            page.evaluate(JS_SET_EYE, dict(zip("xyz", eye, strict=True)))
            app.wait_idle()
            clip, without = shots[name]
            alone = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
            page.evaluate(JS_SHOW_SURFACE, False)
            unhidden = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
            page.evaluate(JS_SHOW_3D_PATHS, False)
            blank = Image.open(io.BytesIO(page.screenshot(clip=clip))).convert("RGB")
            page.evaluate(JS_SHOW_ONLY_3D_PATH, key)
            page.evaluate(JS_SHOW_SURFACE, True)
            n, reference = _path_pixels(alone, without, colour), _path_pixels(unhidden, blank, colour)
            if n < PATH_MIN_SHARE_UNHIDDEN * reference or reference == 0:
                hidden.append((name, key, n, reference))
        page.evaluate(JS_3D_CASING_COLOUR, None)
        page.evaluate(JS_SHOW_ONLY_3D_PATH, None)
    assert not hidden, f"{surface_key}: paths hidden (camera, optimizer, pixels, pixels with no surface): {hidden}"
    assert not blending_in, (f"{surface_key}: paths blending into the surface, casing included (camera, optimizer,"
                             f" vision, share): {blending_in}")
    app.assert_clean()
