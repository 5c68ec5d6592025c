"""optviz: watch gradient-descent optimizers walk 2-D loss surfaces.

A thin Streamlit layer: widgets -> cached simulate() -> figures. The math lives in optviz/ and
surfaces/; the view's settings are declared once in optviz/app/settings.py, and the view lives in the
URL (optviz/app/share.py) so a link reproduces it. The page itself is optviz/app/page.py; Streamlit
runs this file on every rerun and imports the modules once.
"""

# First: imports and exercises what reruns reach lazily, once per process, while sessions that
# arrive meanwhile wait on the import lock (a half-imported pandas broke simultaneous sessions).
import optviz.app.warmup  # noqa: F401  (isort: keep above the other optviz imports)
from optviz.app.page import main

main()
