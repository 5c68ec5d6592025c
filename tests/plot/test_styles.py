"""Colour-blind-safe styles (optviz/plot/styles.py, optviz/plot/colors.py): the colour arithmetic against
published reference data, then the palette's differences for normal vision and under simulated
protanopia, deuteranopia and tritanopia (Machado et al. 2009), by CIEDE2000."""

import ast
import itertools
from pathlib import Path

import numpy as np
import pytest

from optviz import OPTIMIZERS
from optviz.core.registry import DEFAULT_SELECTION
from optviz.plot import colors, styles

VISIONS = (None, *colors.DEFICIENCIES)  # None: normal vision


def _worst(a: str, b: str) -> float:
    return min(colors.difference(a, b, d) for d in VISIONS)


# --- the arithmetic -----------------------------------------------------------------------------


@pytest.mark.parametrize(("lab1", "lab2", "expected"), [
    # Sharma, Wu & Dalal (2005), The CIEDE2000 color-difference formula: test data, pairs 1, 7, 14, 17, 25, 34
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((22.7233, 20.0904, -46.694), (23.0331, 14.973, -42.5619), 2.0373),
])
def test_ciede2000_reference_data(lab1, lab2, expected):
    assert colors.delta_e2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert colors.delta_e2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)


def test_lab_of_known_colours():
    np.testing.assert_allclose(colors.lab(colors.hex_to_rgb("#ffffff")), [100, 0, 0], atol=1e-3)
    np.testing.assert_allclose(colors.lab(colors.hex_to_rgb("#ff0000")), [53.24, 80.09, 67.20], atol=0.02)


def test_deficiency_simulation():
    greys = np.linspace(0, 1, 7)[:, None] * np.ones(3)
    for d in colors.DEFICIENCIES:
        np.testing.assert_allclose(colors.simulate(greys, d), greys, atol=1e-5)  # neutral stays neutral
    # red and green collapse for protanopes and deuteranopes, not for tritanopes
    red, green = "#ff0000", "#00ff00"
    assert colors.difference(red, green) > 80
    assert colors.difference(red, green, "protanopia") < colors.difference(red, green) / 2
    assert colors.difference(red, green, "deuteranopia") < colors.difference(red, green) / 2
    assert colors.difference(red, green, "tritanopia") > 50


def test_reproduces_the_measurement_that_found_the_problem():
    """The issue measured Momentum vs Nesterov (#ff7f0e, #2ca02c, the old colours) at ΔE 4.6 under a
    red-green simulation: CIELAB ΔE76 after Machado's protanopia. Our simulation gives the same."""
    a, b = (colors.lab(colors.simulate(colors.hex_to_rgb(c), "protanopia")) for c in ("#ff7f0e", "#2ca02c"))
    assert np.linalg.norm(a - b) == pytest.approx(4.6, abs=0.05)
    assert colors.difference("#ff7f0e", "#2ca02c", "protanopia") < 2  # by CIEDE2000: 1.25


# --- the palette ----------------------------------------------------------------------------------


def test_default_runs_differ_for_every_vision():
    default = [OPTIMIZERS[k].color for k in DEFAULT_SELECTION]
    assert len(set(default)) == len(default)
    for a, b in itertools.combinations(default, 2):
        assert _worst(a, b) >= styles.MIN_DEFAULT_DIFFERENCE, (a, b)


def test_palette_colours_differ_for_every_vision():
    for a, b in itertools.combinations(styles.PALETTE.values(), 2):
        assert _worst(a, b) >= styles.MIN_DIFFERENCE, (a, b)


def test_every_two_optimizers_differ_in_colour_or_in_dash_and_marker():
    for (ka, a), (kb, b) in itertools.combinations(OPTIMIZERS.items(), 2):
        sa, sb = styles.style_for(ka), styles.style_for(kb)
        if sa.dash == sb.dash:
            assert _worst(a.color, b.color) >= styles.MIN_DIFFERENCE, (ka, kb)
        else:
            assert sa.symbol != sb.symbol, (ka, kb)


def test_registry_uses_the_palette_and_known_dashes():
    for key, spec in OPTIMIZERS.items():
        assert spec.color in styles.PALETTE.values(), key
        assert spec.dash in styles.DASHES, key
        style = styles.style_for(key)
        assert (style.color, style.dash) == (spec.color, spec.dash)


def test_paths_stand_out_from_viridis():
    """Normal vision: each optimizer's colour at least MIN_VIRIDIS_DIFFERENCE from every Viridis sample."""
    for key in OPTIMIZERS:
        assert colors.distance_to_viridis(styles.style_for(key).color) >= styles.MIN_VIRIDIS_DIFFERENCE, key


def test_casing_stands_out_from_viridis_for_every_vision():
    """Every style (every optimizer's first six runs, the default runs among them) has a casing; at
    each Viridis colour the path's colour or its casing differs from it by MIN_CASING_STANDOUT for
    normal vision and every simulated deficiency, and the colour differs from its casing by
    MIN_CASING_CONTRAST (the line shows inside its casing)."""
    checked = 0
    for key in OPTIMIZERS:
        for index in range(len(styles.DASHES)):
            style = styles.style_for(key, index)
            assert style.casing in (styles.CASING_DARK, styles.CASING_LIGHT), (key, index)
            for d in VISIONS:
                assert colors.casing_standout(style.color, style.casing, d) >= styles.MIN_CASING_STANDOUT, \
                    (key, index, d)
                assert colors.difference(style.color, style.casing, d) >= styles.MIN_CASING_CONTRAST, (key, index, d)
            checked += 1
    assert checked == 6 * len(OPTIMIZERS)


def test_default_runs_need_their_casing_and_have_it():
    """The measurement behind the casing: under a deficiency some default colours come within
    MIN_CASING_STANDOUT of Viridis (Adam's purple and Momentum's orange under protanopia, RMSProp's
    green under tritanopia), and their casing lifts every one of them above it."""
    blending = 0
    for key in DEFAULT_SELECTION:
        style = styles.style_for(key)
        for d in colors.DEFICIENCIES:
            if colors.distance_to_viridis(style.color, d) < styles.MIN_CASING_STANDOUT:
                blending += 1
                assert colors.casing_standout(style.color, style.casing, d) >= styles.MIN_CASING_STANDOUT, (key, d)
    assert blending >= 3
    assert styles.style_for("sgd").casing == styles.CASING_LIGHT  # black paths get a white casing
    assert styles.style_for("momentum").casing == styles.CASING_DARK


def test_casing_standout_is_the_pointwise_best_of_colour_and_casing():
    # a colour on the scale itself is 0 from it; a casing far from that part of the scale lifts it
    assert colors.casing_standout(colors.VIRIDIS[0], colors.VIRIDIS[0]) == pytest.approx(0.0, abs=1e-9)
    assert colors.casing_standout(colors.VIRIDIS[0], "#ffffff") > colors.distance_to_viridis(colors.VIRIDIS[0])
    assert colors.casing_standout("#000000", "#ffffff") >= max(colors.distance_to_viridis("#000000"),
                                                               colors.distance_to_viridis("#ffffff"))


def test_paths_show_on_the_white_step_charts():
    for colour in styles.PALETTE.values():
        assert min(colors.difference(colour, "#ffffff", d) for d in VISIONS) >= 10, colour


# --- runs of one optimizer ----------------------------------------------------------------------------


def test_runs_of_one_optimizer_get_different_dashes_and_shades():
    for key in OPTIMIZERS:
        runs = [styles.style_for(key, i) for i in range(len(styles.DASHES))]
        assert len({r.dash for r in runs}) == len(runs), key
        assert len({r.color for r in runs}) == len(runs), key
        for a, b in itertools.combinations(runs, 2):
            assert colors.difference(a.color, b.color) >= 5, (key, a, b)
        assert all(r.symbol == styles.MARKERS[r.dash] for r in runs)


def test_style_for_rejects_bad_input():
    for index in (-1, 1.5, True, "1"):
        with pytest.raises(ValueError, match="index"):
            styles.style_for("sgd", index)
    with pytest.raises(ValueError, match="unknown optimizer"):
        styles.style_for("nope")


def test_styles_import_no_plotly():
    for name in ("styles.py", "colors.py"):
        tree = ast.parse((Path(styles.__file__).parent / name).read_text())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any("plotly" in m for m in imported), name


def test_difference_from_surroundings_reads_the_colour_beside_the_line():
    """A 3-px line of one colour across an image whose left half is one colour and right half
    another: each line pixel is compared with the background beside it (not with the line, not
    with pixels within `gap` of it), the nearest side first; beyond `reach` there is nothing."""
    h, w = 20, 40
    background = np.zeros((h, w, 3))
    background[:, :20] = colors.hex_to_rgb("#440154") * 255  # Viridis' dark end
    background[:, 20:] = colors.hex_to_rgb("#fde725") * 255  # its light end
    mask = np.zeros((h, w), bool)
    mask[9:12, 2:38] = True  # horizontal: its surroundings are above and below, same half
    de = colors.difference_from_surroundings(background, background, mask, "#aa3377")
    left, right = mask.copy(), mask.copy()
    left[:, 20:], right[:, :20] = False, False
    expected_left = colors.difference("#aa3377", "#440154")
    expected_right = colors.difference("#aa3377", "#fde725")
    np.testing.assert_allclose(de[left[mask]], expected_left, rtol=1e-9)
    np.testing.assert_allclose(de[right[mask]], expected_right, rtol=1e-9)
    assert expected_left < 35 < expected_right
    # under a deficiency, both colours are simulated
    de_p = colors.difference_from_surroundings(background, background, mask, "#aa3377", "protanopia")
    np.testing.assert_allclose(de_p[left[mask]], colors.difference("#aa3377", "#440154", "protanopia"), rtol=1e-9)
    # a line filling the image has no surroundings: NaN, not a made-up number
    full = np.ones((h, w), bool)
    assert np.isnan(colors.difference_from_surroundings(background, background, full, "#aa3377")).all()
    # the gap is respected: with reach <= gap nothing qualifies
    assert np.isnan(colors.difference_from_surroundings(background, background, mask, "#aa3377",
                                                        gap=3, reach=3)).all()


def test_drawn_pixels_are_the_colour_where_something_was_put():
    without = np.full((4, 4, 3), 255.0)
    without[0] = colors.hex_to_rgb("#56b4e9") * 255  # a surface already that colour: not counted
    shot = without.copy()
    shot[2, 1:3] = colors.hex_to_rgb("#56b4e9") * 255 + 10  # drawn, within tolerance
    shot[3, 0] = colors.hex_to_rgb("#000000") * 255  # drawn, another colour
    mask = colors.drawn_pixels(shot, without, "#56b4e9")
    assert mask.sum() == 2 and mask[2, 1] and mask[2, 2]
    assert not colors.drawn_pixels(shot, without, "#56b4e9", tolerance=5).any()


def test_a_line_blends_in_where_its_colour_is_near_the_surface_and_no_outline_is_near():
    """A purple line across Viridis' blue (close to it under protanopia) and its light end: it
    blends in over the blue half only, and not where its outline is drawn within reach."""
    h, w = 20, 40
    without = np.zeros((h, w, 3))
    without[:, :20] = colors.hex_to_rgb("#3e4989") * 255
    without[:, 20:] = colors.hex_to_rgb("#fde725") * 255
    shot = without.copy()
    shot[9:12, 2:38] = colors.hex_to_rgb("#aa3377") * 255
    assert colors.difference("#aa3377", "#3e4989", "protanopia") < 10 < colors.difference("#aa3377", "#fde725",
                                                                                       "protanopia")
    blends, outlined = colors.blending_in(shot, without, "#aa3377", None, "protanopia")
    assert len(blends) == 3 * 36 and blends.sum() == 3 * 18  # the 18 columns over the blue half
    assert len(outlined) == len(blends) and not outlined.any()  # no outline given
    assert not colors.blending_in(shot, without, "#aa3377", None)[0].any()  # normal vision: apart
    outline = np.zeros((h, w), bool)
    outline[8, 2:10] = outline[12, 2:10] = True  # an outline along the first 8 blue columns
    blends, outlined = colors.blending_in(shot, without, "#aa3377", outline, "protanopia", reach=4)
    # within 4 px of the outline (rows 8 and 12, columns 2..9): columns 2..12 of each line row
    # (sqrt(4² - 1²) and sqrt(4² - 2²) both round down to 3); 13..19 still blend in
    assert outlined.sum() == 3 * 11
    assert (blends & ~outlined).sum() == 3 * 7


# --- runs of a view (issue 19: colours per run, not per optimizer) ------------------------------------


def _min_difference(colours, vision) -> float:
    return min(colors.difference(a, b, vision) for a, b in itertools.combinations(colours, 2))


@pytest.mark.parametrize(("n", "bound"), styles.RUN_DIFFERENCES)
def test_the_first_n_run_colours_differ_by_the_stated_minimum_for_every_vision(n, bound):
    first = [styles.run_style(i).color for i in range(n)]
    assert len(set(first)) == n
    for vision in VISIONS:
        assert _min_difference(first, vision) >= bound, (n, vision)


def test_the_stated_minima_cover_eight_runs_and_more():
    bounds = dict(styles.RUN_DIFFERENCES)
    assert bounds[8] >= 17.5 and bounds[10] >= 14 and max(bounds) == len(styles.RUN_COLORS) >= 13
    assert [b for _, b in styles.RUN_DIFFERENCES] == sorted((b for _, b in styles.RUN_DIFFERENCES), reverse=True)


def test_run_colours_keep_the_palettes_other_checks():
    for colour in styles.RUN_COLORS:
        assert colors.distance_to_viridis(colour) >= styles.MIN_VIRIDIS_DIFFERENCE, colour
        casing = styles.casing_for(colour)
        for d in VISIONS:
            assert colors.casing_standout(colour, casing, d) >= styles.MIN_CASING_STANDOUT, (colour, d)
            assert colors.difference(colour, casing, d) >= styles.MIN_CASING_CONTRAST, (colour, d)
            assert colors.difference(colour, "#ffffff", d) >= styles.MIN_WHITE_DIFFERENCE, (colour, d)


def test_any_two_of_a_full_views_runs_differ_in_colour_or_in_dash_and_marker():
    """24 runs: where the colours come closer than the 13-run minimum (a colour again), the dash
    and the marker differ."""
    runs = [styles.run_style(i) for i in range(24)]
    for a, b in itertools.combinations(runs, 2):
        if min(colors.difference(a.color, b.color, d) for d in VISIONS) < dict(styles.RUN_DIFFERENCES)[13]:
            assert a.dash != b.dash and a.symbol != b.symbol, (a, b)


def test_runs_are_coloured_by_their_place_not_their_optimizer():
    assert styles.styles_for_runs(["sgd", "sgd", "sgd"]) == [styles.run_style(i) for i in range(3)]
    assert styles.styles_for_runs(["adam", "sgd"])[0] == styles.styles_for_runs(["sgd"])[0]
    # the default view keeps the colours it had: the default runs are the palette's first five
    assert [s.color for s in styles.styles_for_runs(DEFAULT_SELECTION)] == [OPTIMIZERS[k].color
                                                                            for k in DEFAULT_SELECTION]
    with pytest.raises(ValueError, match="index"):
        styles.run_style(-1)


def _lesson(key):
    from optviz.plot.lessons import load_lessons

    return next(lesson for lesson in load_lessons() if lesson.key == key)


def test_the_ten_optimizer_lesson_gets_ten_distinct_colours():
    runs = _lesson("one-learning-rate").view.runs
    assert len({r.optimizer for r in runs}) == len(runs) == 10
    shown = [s.color for s in styles.styles_for_runs([r.optimizer for r in runs])]
    assert len(set(shown)) == 10
    for vision in VISIONS:
        assert _min_difference(shown, vision) >= dict(styles.RUN_DIFFERENCES)[10], vision


def test_gd_sgd_and_minibatch_get_three_distinct_colours_not_black_and_greys():
    runs = _lesson("gd-sgd-minibatch").view.runs
    assert {r.optimizer for r in runs} == {"sgd"} and len(runs) == 3
    shown = [s.color for s in styles.styles_for_runs([r.optimizer for r in runs])]
    for vision in VISIONS:
        assert _min_difference(shown, vision) >= styles.MIN_DIFFERENCE, vision
    chroma = [float(np.hypot(*colors.lab(colors.hex_to_rgb(c))[1:])) for c in shown]
    assert sum(c < 10 for c in chroma) <= 1  # at most one of black, white and the greys
