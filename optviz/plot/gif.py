"""The animation as an animated GIF for slides: the contour view, drawn with PIL.

The surface is rasterized one sample per pixel with the live contour view's z transform
(`grid.z_transform`), banded into `LEVELS` filled contour levels and coloured with plotly's
Viridis (`colors.VIRIDIS`, interpolated in sRGB as plotly does). Each run's path is drawn in its
colour over its casing (black, or white for dark colours: `styles.casing_for`, as in the live
view) with its current point as a dot, and a legend names the runs. Frames are spread evenly
over the steps (always the first and the last) and capped at `MAX_FRAMES`, the image at
`MAX_SIDE` pixels a side: a 500-step, five-run view weighs well under `MAX_BYTES`.

A point outside the plot is not drawn (the path breaks there, as in the live view); a diverged
path ends at its last finite point.

The legend's font is DejaVu Sans (Debian's fonts-dejavu-core: the Dockerfile and `make test` install
it through scripts/ensure-fonts.sh), or another font in `FONT_FILES` that draws Greek letters;
Pillow's own font has none and drew "η" and "γ" as empty boxes. Without any of them, a character
the font cannot draw is spelled out ("η" -> "eta", "β₁" -> "beta1"), never drawn as a box.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from surfaces import Surface

from ..core.engine import Trajectory
from . import colors, styles
from .grid import z_range, z_transform

MAX_FRAMES = 60
MAX_SIDE = 640
MAX_BYTES = 4_000_000
LEVELS = 18
LEGEND_ROW = 18
FONT_SIZE = 13
FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # Debian, Ubuntu: fonts-dejavu-core
    "/usr/share/fonts/TTF/DejaVuSans.ttf",  # Arch
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",  # Fedora
    "/Library/Fonts/Arial Unicode.ttf",  # macOS
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
"""Fonts tried in order for the legend: the first that opens and draws every letter of `GREEK_PROBE`."""
GREEK_PROBE = "ηγβ₁"
_NO_CHARACTER = "\u0378"  # unassigned: a font draws its missing-glyph box for it


@functools.cache
def _ink(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, char: str) -> bytes | None:
    """The pixels of `char` drawn alone in `font`; None where the font cannot even encode it."""
    image = Image.new("L", (4 * FONT_SIZE, 2 * FONT_SIZE), 0)
    try:
        ImageDraw.Draw(image).text((2, 2), char, fill=255, font=font)
    except (UnicodeEncodeError, ValueError):  # a bitmap font's encoding has no such character
        return None
    return image.tobytes()


def has_glyph(font, char: str) -> bool:
    """Whether `font` draws `char` as itself: not its missing-glyph box (the one it draws for an
    unassigned code point) and not nothing."""
    ink = _ink(font, char)
    return ink is not None and any(ink) and ink != _ink(font, _NO_CHARACTER)


@functools.cache
def legend_font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The first of `FONT_FILES` that draws Greek letters, else Pillow's own (see `drawable`)."""
    for path in FONT_FILES:
        try:
            font = ImageFont.truetype(path, FONT_SIZE)
        except OSError:
            continue
        if all(has_glyph(font, c) for c in GREEK_PROBE):
            return font
    return ImageFont.load_default(size=FONT_SIZE)


def _spelled(char: str) -> str:
    name = unicodedata.name(char, "")
    for prefix, case in (("GREEK SMALL LETTER ", str.lower), ("GREEK CAPITAL LETTER ", str.capitalize)):
        if name.startswith(prefix):
            return case(name.removeprefix(prefix).split()[0])
    plain = unicodedata.normalize("NFKD", char)  # "₁" -> "1"
    if plain != char:
        return plain
    return {"—": "-", "–": "-", "−": "-", "·": "*", "×": "x"}.get(char, "?")


def drawable(text: str, font) -> str:
    """`text` with each character `font` cannot draw spelled out in ones it can ("η" -> "eta")."""
    return "".join(c if c.isspace() or has_glyph(font, c) else _spelled(c) for c in text)


def _viridis(values: np.ndarray) -> np.ndarray:
    """values in [0, 1] -> uint8 RGB, plotly's Viridis interpolated in sRGB."""
    stops = np.array([colors.hex_to_rgb(c) for c in colors.VIRIDIS])
    pos = np.linspace(0, 1, len(stops))
    rgb = np.stack([np.interp(values, pos, stops[:, c]) for c in range(3)], axis=-1)
    return np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)


def background(surface: Surface, size: int) -> Image.Image:
    """The filled-contour raster of the surface over its plot domain, one sample per pixel, y up."""
    (x0, x1), (y0, y1) = surface.domain
    xs, ys = np.linspace(x0, x1, size), np.linspace(y1, y0, size)  # row 0 is the top: the largest y
    with np.errstate(all="ignore"):
        z = z_transform(surface, surface.f(np.stack(np.meshgrid(xs, ys), axis=-1)))
    lo, hi = z_range(z)  # the view's colour range: a pole or an overflow clipped, never the whole scale
    z = np.clip(np.where(np.isfinite(z), z, hi), lo, hi)
    t = (z - lo) / (hi - lo)
    banded = (np.floor(np.clip(t, 0, 1 - 1e-12) * LEVELS) + 0.5) / LEVELS
    return Image.fromarray(_viridis(banded), "RGB")


def frame_steps(steps: int, max_frames: int) -> list[int]:
    if steps + 1 <= max_frames:
        return list(range(steps + 1))
    return sorted({round(float(v)) for v in np.linspace(0, steps, max_frames)})


def _pixels(surface: Surface, path: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates of the path's points and which of them are inside the plot."""
    (x0, x1), (y0, y1) = surface.domain
    p = np.asarray(path, dtype=float)
    inside = np.all(np.isfinite(p), axis=1) & (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
    with np.errstate(all="ignore"):
        px = (p[:, 0] - x0) / (x1 - x0) * (size - 1)
        py = (1 - (p[:, 1] - y0) / (y1 - y0)) * (size - 1)
    return np.stack([np.nan_to_num(px), np.nan_to_num(py)], axis=1), inside


def _casing(color: str) -> str:
    try:
        return styles.casing_for(color)
    except ValueError:  # not '#rrggbb'
        return styles.CASING_DARK


def _last_index(t: Trajectory) -> int:
    return t.steps if not bool(t.diverged) else max(int(t.diverged_at) - 1, 0)


def animation_gif(surface: Surface, runs: Sequence[tuple[str, str, Trajectory]], *,
                  max_frames: int = MAX_FRAMES, size: int = 480, frame_ms: int = 80) -> bytes:
    """An animated GIF (looping) of the runs' paths on the contour view. `runs`: (label, '#rrggbb',
    single-start trajectory)."""
    if not runs:
        raise ValueError("no runs to draw")
    size = int(min(max(size, 120), MAX_SIDE))
    max_frames = int(min(max(max_frames, 2), MAX_FRAMES))
    base = background(surface, size)
    legend_h = LEGEND_ROW * len(runs) + 6
    font = legend_font()
    names = [drawable(label, font) for label, _, _ in runs]
    steps = max(t.steps for _, _, t in runs)
    pixels = [_pixels(surface, t.path, size) for _, _, t in runs]
    frames = []
    for k in frame_steps(steps, max_frames):
        image = Image.new("RGB", (size, size + legend_h), "white")
        image.paste(base, (0, legend_h))
        draw = ImageDraw.Draw(image)
        for i, ((_, color, t), (px, inside)) in enumerate(zip(runs, pixels, strict=True)):
            y = 3 + i * LEGEND_ROW
            casing = _casing(color)
            draw.line([(6, y + 8), (30, y + 8)], fill=casing, width=6)
            draw.line([(6, y + 8), (30, y + 8)], fill=color, width=4)
            draw.text((36, y + 1), names[i], fill="black", font=font)
            last = min(k, _last_index(t))
            segment = []
            for j in range(last + 1):
                if inside[j]:
                    segment.append((float(px[j, 0]), float(px[j, 1] + legend_h)))
                if (not inside[j] or j == last) and segment:
                    if len(segment) > 1:
                        draw.line(segment, fill=casing, width=5, joint="curve")
                        draw.line(segment, fill=color, width=3, joint="curve")
                    segment = []
            if inside[last]:
                cx, cy = float(px[last, 0]), float(px[last, 1] + legend_h)
                draw.ellipse([cx - 5, cy - 5, cx + 5, cy + 5], fill=color, outline="white", width=2)
        draw.text((size - 90, legend_h + 4), f"step {k}", fill="white", font=font, stroke_width=2,
                  stroke_fill="black")
        frames.append(image.convert("P", palette=Image.Palette.ADAPTIVE, colors=128))
    out = io.BytesIO()
    durations = [frame_ms] * (len(frames) - 1) + [1500]  # hold the last frame before looping
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   optimize=True, disposal=1)
    return out.getvalue()
