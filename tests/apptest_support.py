"""What every AppTest module needs: the app run with a link's parameters, the exception check,
decoding plotly's typed arrays and the step charts drawn by optviz's chart component."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from optviz.app.figure_component import CHART_NAME, VIEW_NAME, figure_from_element

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 120


def app(query=None, timeout: float = TIMEOUT) -> AppTest:
    """A fresh session of the app opened with these link parameters."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def open_run_editor(at: AppTest, *indices: int, rerun=None) -> AppTest:
    """Open these runs' editors in the sidebar (from three runs on they open closed, and a closed
    editor draws no widgets) as clicks on their titles do: each expander's state, by its key, then one
    rerun (`rerun()`, when given, runs it: a test's own way of running the page). Returns the app."""
    from optviz.app.runs_ui import editor_key

    for index in indices:
        at.session_state[editor_key(index)] = True
    (rerun or at.run)()
    return clean(at)


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


def view_element(at: AppTest):
    """The element of the app's one trajectory view (the 3-D + contour figure component)."""
    views = [e for e in at.get("bidi_component") if e.proto.component_name == VIEW_NAME]
    assert len(views) == 1
    return views[0]


def trajectory_figure(at: AppTest) -> dict:
    """The figure the trajectory view draws, as the page receives it."""
    return figure_from_element(view_element(at))


def component_figure(at: AppTest, key: str) -> dict:
    """The figure of the one chart component whose widget key is `key` (a tool's chart, a step chart)."""
    found = [e for e in at.get("bidi_component") if (e.proto.id or "").endswith("-" + key)]
    assert len(found) == 1, (key, [e.proto.id for e in at.get("bidi_component")])
    return figure_from_element(found[0])


def type_formula(at: AppTest, text: str, xr: str = "-3, 3", yr: str = "-3, 3") -> AppTest:
    """Type a formula and its ranges into the custom-surface box and draw it."""
    at.text_input(key="formula_text").set_value(text)
    at.text_input(key="formula_xr").set_value(xr)
    at.text_input(key="formula_yr").set_value(yr)
    return at.button[[b.label for b in at.button].index("Draw this surface")].click().run()


def _typed_arrays_decoded(obj):
    """A decoded payload with its typed arrays ({"dtype", "bdata"}) as numpy arrays again."""
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            return decode(obj)
        return {k: _typed_arrays_decoded(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_typed_arrays_decoded(v) for v in obj]
    return obj


def assert_finite_json(figure) -> None:
    """Fails on any number plotly cannot take: ±inf anywhere, NaN outside a data array (in an array
    NaN is a gap). Takes a figure as built (numpy arrays) or as decoded from a payload."""
    from optviz import web

    bad = web.nonfinite_paths(_typed_arrays_decoded(figure))
    assert not bad, bad


def assert_page_finite(at: AppTest) -> None:
    """Every plotly figure on the page (view, charts, analysis tools) passes assert_finite_json."""
    for element in at.get("bidi_component"):
        if element.proto.component_name in (CHART_NAME, VIEW_NAME):
            assert_finite_json(figure_from_element(element))


def query(at: AppTest) -> dict:
    """The page's link parameters, one value each."""
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def choose_tool(at: AppTest, tool: str) -> AppTest:
    """Open one of the analysis tools (basins, sensitivity, curvature...)."""
    at.button_group(key="tool").set_value(tool).run()
    return clean(at)


# Thirty points near a line: a small data set of one's own.
CSV = "x,y\n" + "\n".join(f"{i},{2.5 * i - 1 + (i % 3) * 0.2}" for i in range(1, 31))


def paste(at: AppTest, text: str) -> AppTest:
    """Paste x,y data into "your own data" and build its surface."""
    at.text_area(key="data_paste").set_value(text)
    at.button(key="data_paste_button").click().run()
    return clean(at)
