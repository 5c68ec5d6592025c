"""What every AppTest module needs: the app run with a link's parameters, the exception check,
decoding plotly's typed arrays and the step charts drawn by optviz's chart component."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from optviz.figure_component import CHART_NAME, figure_from_element

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120


def app(query=None, timeout: float = TIMEOUT) -> AppTest:
    """A fresh session of the app opened with these link parameters."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def clean(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def decode(values) -> np.ndarray:
    """A plotly JSON array: a plain list (None for a gap), or a base64 typed array {"dtype", "bdata"}."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype(float)
    return np.array(values, dtype=float)


def step_charts(at: AppTest) -> dict[str, dict]:
    """The step charts (loss, distance, x(t), y(t)), by widget key."""
    return {e.proto.id.rsplit("-", 1)[-1]: figure_from_element(e)
            for e in at.get("bidi_component") if e.proto.component_name == CHART_NAME}
