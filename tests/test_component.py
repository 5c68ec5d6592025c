"""The trajectory component's Python side, and its JavaScript parsed (where node is installed)."""

import json
import shutil
import subprocess

import numpy as np
import pytest

from optviz import figure_component


def test_javascript_parses():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the browser tests exercise the JavaScript")
    result = subprocess.run([node, "--input-type=module", "--check"], input=figure_component._VIEW_JS,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_payload_is_strict_json_with_typed_arrays():
    figure = {"data": [{"type": "scatter", "x": np.arange(10.0, dtype=np.float32), "y": [np.float64(1.5)]}],
              "layout": {}}
    payload = json.loads(figure_component.encode_payload(figure, 500))
    assert payload["height"] == 500
    x = payload["figure"]["data"][0]["x"]
    assert x["dtype"] == "f4" and "bdata" in x
    assert payload["figure"]["data"][0]["y"] == [1.5]


def test_nan_outside_arrays_is_refused_loudly():
    with pytest.raises(ValueError):
        figure_component.encode_payload({"data": [{"x": [float("nan")]}]}, 500)


def test_plotly_js_comes_from_the_plotly_package():
    path = figure_component._PLOTLY_MIN_JS
    assert path.is_file() and path.stat().st_size > 3_000_000
    assert "site-packages" in str(path) or "plotly" in str(path.parent.parent)
