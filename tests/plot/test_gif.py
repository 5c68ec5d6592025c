"""The GIF's legend (optviz/plot/gif.py): its font draws the Greek letters and subscripts the runs' labels
use (η, γ, β₁), not the empty .notdef box; without such a font the label is spelled out."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from optviz import simulate
from optviz.plot import gif
from surfaces import SURFACES

UNASSIGNED = "\u0378"  # no character: every font draws its .notdef box for it


def _bitmap(font, text: str) -> np.ndarray:
    image = Image.new("L", (120, 40), 0)
    ImageDraw.Draw(image).text((4, 4), text, fill=255, font=font)
    return np.asarray(image)


@pytest.mark.parametrize("char", ["η", "γ", "β", "₁", "ρ", "ε", "Δ", "σ", "—"])
def test_the_legend_font_draws_greek_letters_not_the_missing_glyph_box(char):
    font = gif.legend_font()
    assert gif.has_glyph(font, char)
    drawn, missing = _bitmap(font, char), _bitmap(font, UNASSIGNED)
    assert drawn.any() and not np.array_equal(drawn, missing)


def _legend_strip(label: str) -> np.ndarray:
    t = simulate("ravine", "sgd", steps=3, lr=0.4)
    frames = Image.open(io.BytesIO(gif.animation_gif(SURFACES["ravine"], [(label, "#0072b2", t)], size=240)))
    return np.asarray(frames.convert("RGB"))[: gif.LEGEND_ROW + 6]


def test_the_gifs_legend_tells_eta_from_a_missing_character():
    """Before, 'GD η=0.4' and 'GD <no character>=0.4' drew the same legend: two boxes alike."""
    assert not np.array_equal(_legend_strip("GD η=0.4 γ=0.7"), _legend_strip(f"GD {UNASSIGNED}=0.4 {UNASSIGNED}=0.7"))


def test_without_a_greek_font_the_label_is_spelled_out(monkeypatch):
    monkeypatch.setattr(gif, "FONT_FILES", ())
    gif.legend_font.cache_clear()
    try:
        font = gif.legend_font()
        text = gif.drawable("Adam η=0.1 β₁=0.9 γ=0.7 — Δ₀", font)
        assert all(gif.has_glyph(font, c) for c in text if not c.isspace())
        assert text.startswith("Adam eta=0.1 beta1=0.9 gamma=0.7") and text.endswith("Delta0")
    finally:
        gif.legend_font.cache_clear()
