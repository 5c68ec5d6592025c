"""The results table shows each run's line (issue 10, "colour swatches in the table"): its colour over
its casing, its dash and its marker, the same as the run's path in the trajectory view. Driven
through streamlit.testing.v1.AppTest: the swatches are compared with the figure the page received."""

import re

import pytest
from streamlit.testing.v1 import AppTest

from optviz.analysis.results import LINE, RUN
from optviz.plot import sparkline, styles
from optviz.plot.trajectory import CASING
from tests.apptest_support import app, clean, open_run_editor
from tests.apptest_support import trajectory_figure as figure

SHAPES = {"circle": "circle", "square": "rect"}  # the others are polygons


def swatch(url: str) -> dict:
    """What a swatch draws: the casing's and the line's stroke colour and dash, the marker's shape."""
    svg = sparkline.svg_of_data_url(url)
    lines = re.findall(r'<line [^>]*stroke="(#[0-9a-f]{6})" stroke-width="([\d.]+)"(?: stroke-dasharray="([\d,.]+)")?',
                       svg)
    assert len(lines) == 2, svg  # the casing, then the line over it
    (casing, casing_width, casing_dash), (color, width, dash) = lines
    assert float(casing_width) > float(width) and casing_dash == dash
    marker = re.search(r"<(circle|rect|polygon) [^>]*fill=\"(#[0-9a-f]{6})\"", svg)
    return {"casing": casing, "color": color, "dash": [float(v) for v in dash.split(",")] if dash else [],
            "shape": marker.group(1), "marker_color": marker.group(2)}


def contour_paths(fig: dict) -> dict[str, dict]:
    """By run name: the 2-D path trace, its casing and its moving marker."""
    data = fig["data"]
    out = {}
    for i, t in enumerate(data):
        if t["type"] == "scatter" and t.get("customdata") is not None and str(t.get("mode")).startswith("lines"):
            marker = data[i + 1]
            assert marker["mode"] == "markers" and marker["legendgroup"] == t["legendgroup"]
            out[t["name"]] = {"path": t, "casing": data[i - 1], "marker": marker}
    return out


def assert_rows_match_paths(at: AppTest) -> int:
    table = at.dataframe[0].value
    assert list(table.columns)[:2] == [LINE, RUN]
    paths = contour_paths(figure(at))
    assert len(paths) == len(table)  # one row per shown run, in the chart
    for _, row in table.iterrows():
        drawn, seen = paths[row[RUN]], swatch(row[LINE])
        assert seen["color"] == drawn["path"]["line"]["color"] == seen["marker_color"], row[RUN]
        assert drawn["casing"].get("meta") == CASING
        assert seen["casing"] == drawn["casing"]["line"]["color"], row[RUN]
        dash = drawn["path"]["line"]["dash"]  # explicit lengths in the contour cell ("solid" for none)
        assert seen["dash"] == ([] if dash == "solid" else [float(v.removesuffix("px")) for v in dash.split(",")])
        assert seen["shape"] == SHAPES.get(drawn["marker"]["marker"]["symbol"], "polygon"), row[RUN]
    return len(table)


def test_each_row_shows_its_run_s_line():
    at = clean(app())
    assert assert_rows_match_paths(at) == 5
    colours = [swatch(url)["color"] for url in at.dataframe[0].value[LINE]]
    assert len(set(colours)) == 5  # five runs, five colours


def test_swatches_follow_runs_of_one_optimizer_hidden_runs_and_a_surface_switch():
    at = clean(app({"surface": "mse", "r0.opt": "sgd", "r1.opt": "sgd", "r1.batch": "1", "r2.opt": "sgd",
                    "r2.batch": "16", "r3.opt": "adadelta"}))
    assert assert_rows_match_paths(at) == 4
    table = at.dataframe[0].value
    seen = [swatch(url) for url in table[LINE]]
    assert len({(s["color"], tuple(s["dash"])) for s in seen}) == 4  # three SGD runs told apart by shade and dash
    assert seen[0]["casing"] == styles.CASING_LIGHT and seen[1]["casing"] == styles.CASING_DARK  # black, grey
    open_run_editor(at, 1)
    at.toggle(key="r1.hidden").set_value(True).run()
    assert assert_rows_match_paths(clean(at)) == 3
    assert [swatch(url) for url in at.dataframe[0].value[LINE]] == [seen[0], seen[2], seen[3]]  # nobody restyled
    at.selectbox(key="surface").set_value("himmelblau").run()
    assert assert_rows_match_paths(clean(at)) == 3


@pytest.mark.parametrize("marker", [*styles.MARKERS.values(), "unknown"])
def test_a_swatch_is_an_svg_data_url_without_nan(marker):
    svg = sparkline.style_svg("#aa3377", "dashdot", marker, "#000000")
    url = sparkline.data_url(svg)
    assert url.startswith("data:image/svg+xml;utf8,") and "#" not in url and "<" not in url
    assert sparkline.svg_of_data_url(url) == svg
    assert "nan" not in url.lower()  # the app's tables are checked for "nan" on screen
    assert 'stroke-dasharray="9,3,3,3"' in svg  # plotly's dashdot at width 3
