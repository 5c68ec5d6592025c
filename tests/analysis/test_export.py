"""Self-explanatory exports (optviz/analysis/export.py): the CSV carries every run's settings and outcome in
columns a spreadsheet, the csv module and numpy read alike; file names tell two exports apart."""

import csv
import io
import re

import numpy as np
import pytest

from optviz import simulate
from optviz.analysis.export import csv_columns, export_filename, settings_hash, to_csv, to_json
from optviz.app.share import default_state
from optviz.core.schedules import Ramp, StepDecay


def _runs():
    sgd = simulate("ravine", "sgd", (-4.0, 1.0), 40, seed=5, noise=0.3, lr=0.02)
    momentum = simulate("ravine", "momentum", (-4.0, 1.0), 40, seed=5, noise=0.3, lr=0.01, momentum=0.8,
                        schedules={"lr": StepDecay(10, 0.5), "momentum": Ramp(0.5, 20)})
    adam = simulate("ravine", "adam", (-4.0, 1.0), 40, seed=5, noise=0.3, lr=0.1)
    blown = simulate("ravine", "sgd", (-4.0, 1.0), 40, seed=5, noise=0.3, lr=10.0)
    return [sgd, momentum, adam, blown], ["SGD", "Momentum, annealed", "Adam η=0.1", "SGD η=10"]


def test_csv_names_every_setting_and_outcome_per_run():
    runs, labels = _runs()
    text = to_csv(runs, labels)
    rows = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)))
    assert header == csv_columns(runs)
    assert header[:7] == ["optimizer", "step", "x", "y", "loss", "grad_norm", "distance_to_minimum"]
    for name in ("lr", "momentum", "beta1", "beta2", "eps", "surface", "seed", "steps", "start_x", "start_y", "noise",
                 "batch_size", "schedules", "outcome", "converged_at", "diverged_at", "run", "label"):
        assert name in header, name
    by_run = {}
    for r in rows:
        by_run.setdefault(int(r["run"]), []).append(r)
    assert sorted(by_run) == [1, 2, 3, 4]
    for number, t in enumerate(runs, start=1):
        mine = by_run[number]
        first = mine[0]
        assert {r["optimizer"] for r in mine} == {t.optimizer}
        assert first["surface"] == "ravine" and first["seed"] == "5" and first["steps"] == "40"
        assert (float(first["start_x"]), float(first["start_y"])) == (-4.0, 1.0)
        assert float(first["noise"]) == 0.3 and first["batch_size"] == ""
        assert first["outcome"] == t.summary()["outcome"]
        for name, value in t.hparams.items():
            assert float(first[name]) == value  # exact: repr round-trips
        assert all(r[h] == "" for h in ("beta1", "beta2") for r in mine) or t.optimizer == "adam"
        np.testing.assert_array_equal([[float(r["x"]), float(r["y"])] for r in mine], t.path[: len(mine)])
    assert by_run[2][0]["schedules"] == "lr: step(step_size=10 gamma=0.5); momentum: ramp(start=0.5 duration=20)"
    assert by_run[2][0]["label"] == "Momentum; annealed"  # commas in labels become semicolons
    assert by_run[4][0]["outcome"] == "diverged" and int(by_run[4][0]["diverged_at"]) == int(runs[3].diverged_at)
    assert len(by_run[4]) == int(runs[3].diverged_at)  # stops at the last finite point
    assert by_run[1][0]["momentum"] == ""  # SGD has no momentum


def test_numpy_reads_the_csv():
    runs, labels = _runs()
    table = np.genfromtxt(io.StringIO(to_csv(runs, labels)), delimiter=",", names=True, dtype=None,
                          encoding="utf-8")
    assert len(table) == sum(int(t.diverged_at) if t.diverged else 41 for t in runs)
    momentum = table[table["run"] == 2]
    np.testing.assert_array_equal(momentum["x"], runs[1].path[:, 0])
    np.testing.assert_array_equal(momentum["lr"], np.full(41, 0.01))
    assert set(table["surface"]) == {"ravine"}


def test_batch_size_column_on_a_data_surface():
    full = simulate("mse", "sgd", None, 10, lr=0.01)
    mini = simulate("mse", "sgd", None, 10, lr=0.01, batch_size=8)
    rows = list(csv.DictReader(io.StringIO(to_csv([full, mini]))))
    assert {r["batch_size"] for r in rows if r["run"] == "1"} == {"full"}
    assert {r["batch_size"] for r in rows if r["run"] == "2"} == {"8"}
    assert rows[0]["label"] == "sgd"


def test_json_carries_schedules():
    runs, _ = _runs()
    assert '"step_size": 10' in to_json(runs[1:2])


def test_labels_must_match_the_runs():
    runs, labels = _runs()
    with pytest.raises(ValueError, match="3 labels for 4 runs"):
        to_csv(runs, labels[:3])


# --- file names ---------------------------------------------------------------------------------


def test_filenames_tell_two_exports_apart():
    runs, _ = _runs()
    name = export_filename(runs[:2], "csv")
    assert re.fullmatch(r"optviz-ravine-sgd-momentum-[0-9a-f]{6}\.csv", name), name
    assert export_filename(runs[:2], "csv") == name  # the same settings, the same name
    other_lr = simulate("ravine", "sgd", (-4.0, 1.0), 40, seed=5, noise=0.3, lr=0.021)
    assert export_filename([other_lr, runs[1]], "csv") != name
    other_seed = simulate("ravine", "sgd", (-4.0, 1.0), 40, seed=6, noise=0.3, lr=0.02)
    assert export_filename([other_seed, runs[1]], "csv") != name
    assert export_filename(runs[:2], "html").endswith(".html")
    assert export_filename(runs, "csv").startswith("optviz-ravine-sgd-momentum-adam-")  # each optimizer once


def test_filenames_from_a_view_state_or_a_mapping():
    state = default_state("ravine")
    name = export_filename(state, "csv")
    assert re.fullmatch(r"optviz-ravine-sgd-momentum-nesterov-rmsprop-and-1-more-[0-9a-f]{6}\.csv", name), name
    assert export_filename(default_state("beale"), "csv").startswith("optviz-beale-")
    view = {"surface": "bowl", "runs": [{"optimizer": "adam", "hparams": {"lr": 0.1}}]}
    changed = {"surface": "bowl", "runs": [{"optimizer": "adam", "hparams": {"lr": 0.2}}]}
    assert export_filename(view, "csv").startswith("optviz-bowl-adam-")
    assert settings_hash(view) != settings_hash(changed)
    assert settings_hash(view) == settings_hash({"runs": [{"hparams": {"lr": 0.1}, "optimizer": "adam"}],
                                                 "surface": "bowl"})  # key order does not matter
    with pytest.raises(ValueError, match="no surface"):
        export_filename({"runs": []}, "csv")
    with pytest.raises(ValueError, match="kind"):
        export_filename(view, "")


def _visible_text(page: str) -> str:
    """What a reader sees: the page without its styles, scripts, tags and MathML markup (math's
    text, the tokens, stays)."""
    import html

    page = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _formula_surfaces():
    from surfaces import SURFACES
    from surfaces.formula import formula_surface

    functions = ("sin(x)+cos(y)+tan(x/9)+asin(x/9)+acos(y/9)+atan(x)+sinh(x/9)+cosh(y/9)+tanh(x)",
                 "exp(-x^2)+log(x^2+1)+log10(y^2+1)+sqrt(x^2+1)+abs(y)+pi*x/3+1e-5*x*y-(x-y)/(x^2+2)")
    return [*SURFACES.values(), *(formula_surface(text) for text in functions)]


@pytest.mark.parametrize("surface", _formula_surfaces(), ids=lambda s: s.key[:20])
def test_the_html_export_renders_its_formula_as_math(surface):
    """The page showed the formula's LaTeX source ("0.1\\,x^2 + 2\\,y^2"); it must be math that the
    browser draws offline (MathML), with no LaTeX command left in the visible text."""
    from optviz.plot.export_page import header_html

    t = simulate(surface, "sgd", steps=5, lr=0.01)
    head = header_html(surface, [t], ["GD η=0.01"], ["#0072b2"], "http://localhost:8501/?x=1")
    math = re.search(r'<math [^>]*display="block".*?</math>', head, re.S)
    assert math and "<mi>x</mi>" in math.group(0)
    assert not re.search(r"[\\^_{}]", _visible_text(math.group(0))), math.group(0)  # no LaTeX left in it
    text = _visible_text(head)
    assert "\\" not in text, text  # (a custom surface's title is the text as typed: x^2 there is the user's)
    assert "GD η=0.01" in text
