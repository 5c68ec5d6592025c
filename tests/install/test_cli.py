"""python -m optviz: the comparison table and the CSV / JSON it writes."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from optviz.cli import main
from optviz.core.engine import CONVERGENCE_RULE


def test_prints_a_comparison_table(capsys):
    assert main(["--surface", "bowl", "--optimizers", "sgd,adam"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "Bowl" in lines[0] and "200 steps" in lines[0]
    assert lines[1].split()[:3] == ["optimizer", "final", "loss"] and "outcome" in lines[1]
    sgd = next(line for line in lines if line.startswith("sgd"))
    assert sgd.endswith("converged at step 29")  # with the bowl preset (lr 0.1)
    assert lines[-1] == CONVERGENCE_RULE  # the rule the outcomes follow, stated once


def test_the_table_says_escaped_diverged_and_inside_at_the_end(capsys):
    assert main(["--surface", "saddle", "--optimizers", "sgd,momentum,adam"]) == 0
    out = capsys.readouterr().out
    assert "distance" not in out  # the saddle has no minimum
    rows = {line.split()[0]: line for line in out.splitlines()[2:5]}
    assert rows["momentum"].endswith("escaped the plot at step 56") and "diverged" not in rows["momentum"]
    assert "(at step 107)" in rows["momentum"]  # frozen later at the engine's escape radius
    assert rows["adam"].endswith("escaped the plot at step 20")
    assert rows["sgd"].endswith("not yet: still inside the plot")
    assert main(["--surface", "bowl", "--optimizers", "momentum", "--steps", "60"]) == 0
    assert "inside the tolerance at the end" in capsys.readouterr().out
    assert main(["--surface", "rosenbrock", "--optimizers", "sgd", "--set", "sgd.lr=0.01"]) == 0
    row = capsys.readouterr().out.splitlines()[2]
    assert row.endswith("diverged at step 4") and "(at step 3)" in row


def test_writes_csv_and_json(tmp_path, capsys):
    csv_path, json_path = tmp_path / "t.csv", tmp_path / "t.json"
    args = ["--surface", "rosenbrock", "--optimizers", "momentum,sgd", "--steps", "50",
            "--set", "sgd.lr=0.01", "--csv", str(csv_path), "--json", str(json_path)]
    assert main(args) == 0
    rows = list(csv.DictReader(csv_path.open()))
    momentum = [r for r in rows if r["optimizer"] == "momentum"]
    assert len(momentum) == 51 and momentum[0]["step"] == "0"
    sgd = [r for r in rows if r["optimizer"] == "sgd"]
    assert len(sgd) < 51  # lr 0.01 diverges on Rosenbrock: its rows stop at the last finite point
    doc = json.loads(json_path.read_text())
    by_key = {t["optimizer"]: t for t in doc["trajectories"]}
    assert by_key["sgd"]["diverged_at"] == 4 and by_key["sgd"]["hparams"]["lr"] == 0.01
    assert by_key["sgd"]["outcome"] == "diverged" and by_key["sgd"]["nearest_minimum"] is None
    assert by_key["momentum"]["outcome"] == "not yet" and by_key["momentum"]["nearest_minimum"] == 0
    assert by_key["momentum"]["escaped_at"] is None and by_key["momentum"]["min_stay"] == 10
    assert len(by_key["momentum"]["path"]) == 51
    assert float(momentum[-1]["x"]) == by_key["momentum"]["path"][-1][0]


@pytest.mark.parametrize(
    "args",
    [["--optimizers", "adamz"], ["--set", "adam.lr=-1", "--optimizers", "adam"], ["--batch-size", "4"]],
)
def test_bad_input_is_a_message_not_a_traceback(args, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "optviz", "--surface", "mse", "--optimizers", "sgd",
                          "--batch-size", "8", "--steps", "20"], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2]).stdout
    assert "sgd" in out and "20 steps" in out


def test_json_of_an_escape(tmp_path):
    json_path = tmp_path / "s.json"
    assert main(["--surface", "saddle", "--optimizers", "momentum", "--json", str(json_path)]) == 0
    (t,) = json.loads(json_path.read_text())["trajectories"]
    assert t["outcome"] == "escaped" and t["escaped_at"] == 56 and t["diverged_at"] == 108
    assert len(t["path"]) == 108  # up to the last computed point: the frozen tail is not data
    assert t["distance_to_minimum"] is None and t["nearest_minimum"] is None
