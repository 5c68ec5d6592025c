"""The run colours' base palette: data the registry gives each optimizer (`OptimizerSpec.color`).

It lives in the core so that the registry needs no figure code; `optviz/plot/styles.py` builds the
styles (shades, dashes, casings) on it and explains how the colours were chosen.
"""

# name -> '#rrggbb'; the source scheme in the comment.
PALETTE: dict[str, str] = {
    "black": "#000000",  # Okabe–Ito
    "orange": "#e69f00",  # Okabe–Ito
    "sky_blue": "#56b4e9",  # Okabe–Ito
    "green": "#117733",  # Tol muted
    "purple": "#aa3377",  # Tol bright
    "grey": "#bbbbbb",  # Tol bright
}
