"""Schedules equal torch.optim.lr_scheduler step for step (fixture: no torch needed).

tests/fixtures/torch_schedules.json holds torch's paths under StepLR, ExponentialLR,
CosineAnnealingLR and LinearLR for every optimizer torch shares with us, and under momentum / β₁
ramps set in the param group; scripts/make_torch_schedule_fixtures.py wrote it. Where torch is
importable, the last test runs torch again and compares it with the fixture.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from optviz import simulate
from optviz.core.schedules import schedule_from_dict
from surfaces import SURFACES

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "torch_schedules.json").read_text())
CASES = FIXTURE["cases"]


def ours(case, steps=None):
    schedules = {name: schedule_from_dict(d) for name, d in case["schedules"].items()}
    return simulate(case["surface"], case["optimizer"], tuple(case["start"]), steps or FIXTURE["steps"],
                    schedules=schedules, record_state=True, **case["hparams"])


def compared_points(case, t):
    """Our points that torch's iterates must equal: the path, or for Nesterov the look-ahead points."""
    if case["optimizer"] != "nesterov":
        return t.path
    last = t.path[-1] - t.record.states.momentum_step[-1]
    return np.vstack([t.record.eval_points, last[None]])


def test_the_fixture_covers_every_scheduler_and_optimizer():
    schedulers = {c["torch"].get("scheduler") for c in CASES} - {None}
    assert schedulers == {"StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR"}
    assert {c["optimizer"] for c in CASES} >= {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta",
                                                "adam", "amsgrad", "adamax"}
    assert {c["torch"].get("ramp") for c in CASES} >= {"momentum", "beta1"}
    assert "regenerate" in FIXTURE["header"] and "make_torch_schedule_fixtures.py" in FIXTURE["header"]
    assert (ROOT / "tests" / "fixtures" / "torch_schedules.json").stat().st_size < 200_000  # kept small


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_same_path_as_torch_under_the_schedule(case):
    t = ours(case)
    assert not t.diverged
    np.testing.assert_allclose(compared_points(case, t), np.array(case["path"]), rtol=1e-9, atol=1e-12)
    # The learning rate each step used is torch's (a constant where only momentum is ramped).
    np.testing.assert_allclose(t.record.hparams["lr"], case["lrs"], rtol=1e-12, atol=1e-15)
    if "ramp" in case["torch"]:
        np.testing.assert_allclose(t.record.hparams[case["torch"]["ramp"]], case["torch"]["ramp_values"], rtol=1e-15)


def test_the_schedule_matters_and_the_old_momentum_form_would_not_match():
    """Guard against a fixture that cannot fail: without the schedule the path is another one, and
    the textbook form v <- gamma v + lr g, theta <- theta - v (ours before the schedules) parts
    from torch once lr changes."""
    case = next(c for c in CASES if c["optimizer"] == "momentum" and c["torch"].get("scheduler") == "StepLR")
    theirs = np.array(case["path"])
    plain = simulate(case["surface"], "momentum", tuple(case["start"]), FIXTURE["steps"], **case["hparams"])
    assert np.abs(plain.path - theirs).max() > 1e-6

    surface, gamma = SURFACES[case["surface"]], case["hparams"]["momentum"]
    p, v, old = np.array(case["start"]), np.zeros(2), [np.array(case["start"])]
    for lr in case["lrs"]:
        v = gamma * v + lr * surface.grad(p)
        p = p - v
        old.append(p)
    assert np.abs(np.array(old) - theirs).max() > 1e-6


def test_zero_learning_rate_from_cosine_annealing_does_not_move():
    case = next(c for c in CASES if c["torch"].get("scheduler_kwargs", {}).get("eta_min") == 0.0)
    t = ours(case)
    k = case["lrs"].index(0.0)  # torch's lr is exactly 0 at T_max
    assert t.record.hparams["lr"][k] == 0.0
    if case["optimizer"] != "nesterov":  # Nesterov's drawn point still takes the last look-ahead shift
        np.testing.assert_array_equal(t.path[k + 1], t.path[k])


HAS_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed (the fixture above checks without it)")
def test_regenerated_live_with_torch_equals_the_fixture_and_ours():
    spec = importlib.util.spec_from_file_location("make_fixtures", ROOT / "scripts" / "make_torch_schedule_fixtures.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    fresh = make.build()
    assert [c["id"] for c in fresh["cases"]] == [c["id"] for c in CASES]
    for new, saved in zip(fresh["cases"], CASES, strict=True):
        np.testing.assert_allclose(new["path"], saved["path"], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(compared_points(new, ours(new)), new["path"], rtol=1e-9, atol=1e-12)
