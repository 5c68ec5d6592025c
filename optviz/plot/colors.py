r"""Colour arithmetic for the palette and its tests: sRGB to CIELAB (D65), the CIEDE2000 colour
difference, and the simulation of colour-vision deficiencies. numpy only (no plotly).

- sRGB <-> linear: IEC 61966-2-1; linear sRGB -> XYZ -> CIELAB with the D65 white.
- ΔE: CIEDE2000 (Sharma, Wu & Dalal 2005, whose test data `tests/plot/test_styles.py` checks).
- Deficiencies: Machado, Oliveira & Fernandes (2009), "A Physiologically-based Model for
  Simulation of Color Vision Deficiency", severity 1.0 (dichromacy: protanopia, deuteranopia,
  tritanopia), applied to linear RGB and clipped to [0, 1].
- `VIRIDIS`: plotly's Viridis colour scale (the surfaces' scale), interpolated in sRGB between its
  stops as plotly does.
"""

from __future__ import annotations

import numpy as np

MACHADO_2009 = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
DEFICIENCIES = tuple(MACHADO_2009)

# plotly.colors.sequential.Viridis
VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b",
           "#fde725")

_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                         [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
_D65 = np.array([0.95047, 1.0, 1.08883])


def hex_to_rgb(color: str) -> np.ndarray:
    """'#rrggbb' -> sRGB in [0, 1], shape (3,)."""
    text = color.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"expected a colour as #rrggbb, got {color!r}")
    return np.array([int(text[i:i + 2], 16) for i in (0, 2, 4)]) / 255.0


def rgb_to_hex(rgb) -> str:
    r, g, b = (round(float(np.clip(c, 0, 1)) * 255) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def to_linear(rgb) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def from_linear(lin) -> np.ndarray:
    lin = np.clip(np.asarray(lin, dtype=float), 0.0, 1.0)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)


def lab(rgb) -> np.ndarray:
    """sRGB in [0, 1] (..., 3) -> CIELAB (..., 3), D65."""
    xyz = to_linear(rgb) @ _SRGB_TO_XYZ.T / _D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def simulate(rgb, deficiency: str) -> np.ndarray:
    """How a person with `deficiency` (one of DEFICIENCIES) sees sRGB colours (..., 3)."""
    matrix = MACHADO_2009[deficiency]
    return from_linear(to_linear(rgb) @ matrix.T)


def delta_e2000(lab1, lab2) -> np.ndarray:
    """CIEDE2000 between CIELAB colours (broadcasting over leading axes), kL = kC = kH = 1."""
    lab1, lab2 = np.asarray(lab1, dtype=float), np.asarray(lab2, dtype=float)
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c1, c2 = np.hypot(a1, b1), np.hypot(a2, b2)
    c_mean7 = ((c1 + c2) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(c_mean7 / (c_mean7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dlp, dcp = l2 - l1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dhp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lp_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    h_sum = h1p + h2p
    hp_mean = np.where(np.abs(h1p - h2p) > 180, np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2), h_sum / 2)
    hp_mean = np.where(c1p * c2p == 0, h_sum, hp_mean)
    t = (1 - 0.17 * np.cos(np.radians(hp_mean - 30)) + 0.24 * np.cos(np.radians(2 * hp_mean))
         + 0.32 * np.cos(np.radians(3 * hp_mean + 6)) - 0.20 * np.cos(np.radians(4 * hp_mean - 63)))
    d_theta = 30 * np.exp(-(((hp_mean - 275) / 25) ** 2))
    cp_mean7 = cp_mean**7
    r_c = 2 * np.sqrt(cp_mean7 / (cp_mean7 + 25.0**7))
    s_l = 1 + 0.015 * (lp_mean - 50) ** 2 / np.sqrt(20 + (lp_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    return np.sqrt((dlp / s_l) ** 2 + (dcp / s_c) ** 2 + (dhp / s_h) ** 2 + r_t * (dcp / s_c) * (dhp / s_h))


def difference(color1: str, color2: str, deficiency: str | None = None) -> float:
    """CIEDE2000 between two '#rrggbb' colours, as seen with `deficiency` (None: normal vision)."""
    a, b = hex_to_rgb(color1), hex_to_rgb(color2)
    if deficiency is not None:
        a, b = simulate(a, deficiency), simulate(b, deficiency)
    return float(delta_e2000(lab(a), lab(b)))


def viridis_samples(n: int = 101) -> np.ndarray:
    """n sRGB colours (n, 3) evenly along plotly's Viridis (interpolated in sRGB, as plotly does)."""
    stops = np.array([hex_to_rgb(c) for c in VIRIDIS])
    positions = np.linspace(0, 1, len(VIRIDIS))
    x = np.linspace(0, 1, n)
    return np.stack([np.interp(x, positions, stops[:, i]) for i in range(3)], axis=-1)


def distance_to_viridis(color: str, deficiency: str | None = None, n: int = 101) -> float:
    """The smallest CIEDE2000 between `color` and any of n samples of Viridis (both seen with `deficiency`)."""
    samples, rgb = viridis_samples(n), hex_to_rgb(color)
    if deficiency is not None:
        samples, rgb = simulate(samples, deficiency), simulate(rgb, deficiency)
    return float(np.min(delta_e2000(lab(rgb), lab(samples))))


def casing_standout(color: str, casing: str, deficiency: str | None = None, n: int = 101) -> float:
    """How well a path of `color` over a `casing` shows on Viridis: at each of n samples of the scale,
    the larger of the colour's and the casing's CIEDE2000 from it (where the line itself blends
    in, its casing must not), and the smallest of those over the scale (all seen with `deficiency`)."""
    samples, pair = viridis_samples(n), np.stack([hex_to_rgb(color), hex_to_rgb(casing)])
    if deficiency is not None:
        samples, pair = simulate(samples, deficiency), simulate(pair, deficiency)
    de = delta_e2000(lab(pair)[:, None, :], lab(samples)[None, :, :])  # (2, n)
    return float(np.min(np.max(de, axis=0)))


def drawn_pixels(shot, without, color: str, tolerance: float = 40, min_change: float = 25) -> np.ndarray:
    """Where a screenshot shows something of `color` that was put there: pixels within `tolerance`
    (per channel, 0..255) of the colour that differ by more than `min_change` from the same view
    without it (`without`). Images: (h, w, 3) sRGB 0..255. (h, w) bool."""
    shot, without = np.asarray(shot, dtype=float), np.asarray(without, dtype=float)
    near = np.abs(shot - hex_to_rgb(color) * 255).max(axis=-1) < tolerance
    return near & (np.abs(shot - without).max(axis=-1) > min_change)


def difference_from_surroundings(image, background, mask, color: str, deficiency: str | None = None,
                                 gap: int = 2, reach: int = 6) -> np.ndarray:
    """How a drawn line shows on what lies around it, pixel by pixel: for each pixel of `mask` (a
    line of `color` in a screenshot), the CIEDE2000 between `color` and the nearest pixel of
    `background` (the same view with the lines hidden) that lies `gap` to `reach` px from the line,
    all seen with `deficiency`. Images: (h, w, 3) sRGB 0..255; mask: (h, w) bool. A pixel with no
    such neighbour within `reach` gets NaN."""
    background = np.asarray(background, dtype=float) / 255
    mask = np.asarray(mask, dtype=bool)
    h, w = mask.shape
    near_line = dilate(mask, gap)
    found = np.full(mask.shape, False)
    surround = np.zeros(background.shape)
    # nearest first: every offset at distance r before any at r + 1, ties in a fixed order
    offsets = sorted(((dy, dx) for dy in range(-reach, reach + 1) for dx in range(-reach, reach + 1)
                      if 0 < dy * dy + dx * dx <= reach * reach), key=lambda o: (o[0] ** 2 + o[1] ** 2, o))
    ys, xs = np.nonzero(mask)
    for dy, dx in offsets:
        todo = ~found[ys, xs]
        if not todo.any():
            break
        y, x = ys[todo] + dy, xs[todo] + dx
        ok = (y >= 0) & (y < h) & (x >= 0) & (x < w)
        y, x = np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)
        ok &= ~near_line[y, x]
        idx = np.nonzero(todo)[0][ok]
        surround[ys[idx], xs[idx]] = background[y[ok], x[ok]]
        found[ys[idx], xs[idx]] = True
    line = np.broadcast_to(hex_to_rgb(color), (len(ys), 3))
    around = surround[ys, xs]
    if deficiency is not None:
        line, around = simulate(line, deficiency), simulate(around, deficiency)
    de = delta_e2000(lab(line), lab(np.clip(around, 0, 1)))
    return np.where(found[ys, xs], de, np.nan)


def blending_in(shot, without, color: str, outline=None, deficiency: str | None = None, below: float = 10.0,
                reach: int = 4, tolerance: float = 40) -> tuple[np.ndarray, np.ndarray]:
    """How a line of `color` in `shot` (its pixels as `drawn_pixels` finds them against `without`,
    the same view without the lines) shows on what lies beside it, seen with `deficiency`. Per
    judged pixel (those with surroundings to judge; 1-D bool arrays): whether its colour blends in
    (within `below`, CIEDE2000, of the surroundings), and whether a pixel of `outline` (a (h, w)
    bool mask: the line's casing; None: no outline) lies within `reach` px. A pixel blends in
    where the first holds and the second does not."""
    mask = drawn_pixels(shot, without, color, tolerance)
    de = difference_from_surroundings(shot, without, mask, color, deficiency)
    judged = np.isfinite(de)
    outlined = np.zeros(int(judged.sum()), dtype=bool) if outline is None else \
        dilate(np.asarray(outline, dtype=bool), reach)[mask][judged]
    return de[judged] < below, outlined


def dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """`mask` grown by `radius` px (a disc), edges not wrapped."""
    out = mask.copy()
    h, w = mask.shape
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dy * dy + dx * dx <= radius * radius and (dy or dx):
                shifted = np.zeros_like(mask)
                shifted[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
                    mask[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
                out |= shifted
    return out
