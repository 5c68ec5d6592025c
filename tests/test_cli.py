"""python -m optviz: the comparison table and the CSV / JSON it writes."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from optviz.cli import main


def test_prints_a_comparison_table(capsys):
    assert main(["--surface", "bowl", "--optimizers", "sgd,adam"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "Bowl" in lines[0] and "200 steps" in lines[0]
    assert lines[1].split()[:3] == ["optimizer", "final", "loss"]
    sgd = next(line for line in lines if line.startswith("sgd"))
    assert sgd.split()[3] == "29"  # converged at step 29 with the bowl preset (lr 0.1)


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
    assert by_key["sgd"]["diverged_at"] is not None and by_key["sgd"]["hparams"]["lr"] == 0.01
    assert len(by_key["momentum"]["path"]) == 51
    assert float(momentum[-1]["x"]) == by_key["momentum"]["path"][-1][0]


@pytest.mark.parametrize(
    "args",
    [["--optimizers", "adamw"], ["--set", "adam.lr=-1", "--optimizers", "adam"], ["--batch-size", "4"]],
)
def test_bad_input_is_a_message_not_a_traceback(args, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_runs_as_a_module():
    out = subprocess.run([sys.executable, "-m", "optviz", "--surface", "mse", "--optimizers", "sgd",
                          "--batch-size", "8", "--steps", "20"], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout
    assert "sgd" in out and "20 steps" in out
