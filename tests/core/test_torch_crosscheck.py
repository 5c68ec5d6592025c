"""The same paths as torch.optim, step for step, from saved fixtures (no torch needed).

tests/fixtures/torch_paths.json holds torch's iterates for every case that
scripts/make_torch_fixtures.py defines (see its docstring to add a case or regenerate). The default
suite compares each with `simulate()`; where torch is importable, one more test reruns torch and
checks that the fixture is still what torch computes.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from optviz import OPTIMIZERS, simulate

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "torch_paths.json").read_text())
CASES = FIXTURE["cases"]

# Registry optimizers with no same-algorithm counterpart in torch.optim, and why.
NOT_IN_TORCH = {
    "nadam": "Dozat's Nadam as in Ruder's overview; torch's NAdam adds a momentum-decay schedule",
    "lion": "not in torch.optim; hand-worked steps from Chen et al.'s pseudo-code in test_optimizers.py",
    "qhm": "not in torch.optim; hand-worked steps from Ma & Yarats's pseudo-code in test_optimizers.py",
    "qhadam": "not in torch.optim; hand-worked steps from Ma & Yarats's pseudo-code in test_optimizers.py",
    "signum": "not in torch.optim; hand-worked steps from Bernstein et al.'s pseudo-code in test_optimizers.py",
    "newton": "not in torch.optim (it has no Hessian-based optimizer); hand-worked steps in test_optimizers.py",
}


def _script():
    spec = importlib.util.spec_from_file_location("make_torch_fixtures", ROOT / "scripts" / "make_torch_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ours(case: dict) -> np.ndarray:
    """What is compared with torch's iterates: our path, or Nesterov's look-ahead points."""
    run = case["simulate"]
    t = simulate(case["surface"], run["optimizer"], tuple(case["start"]), case["steps"],
                 **run["options"], **run["hparams"])
    assert not t.diverged
    if case["compare"] == "path":
        return t.path
    if case["compare"] == "nesterov_look_ahead":
        gamma = t.hparams["momentum"]
        velocity = np.vstack([np.zeros((1, 2)), t.path[:-1] - t.path[1:]])  # v_t = theta_{t-1} - theta_t
        return t.path - gamma * velocity
    raise ValueError(f"unknown comparison {case['compare']!r} in case {case['name']}")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_same_path_as_torch(case):
    expected = np.array(case["torch_path"])
    assert expected.shape == (case["steps"] + 1, 2)
    np.testing.assert_allclose(ours(case), expected, rtol=1e-9, atol=1e-12)


def test_the_fixture_holds_exactly_the_scripts_cases():
    """A case added to the script without regenerating the fixture fails here, torch or not."""
    saved = [{k: v for k, v in case.items() if k != "torch_path"} for case in CASES]
    assert saved == json.loads(json.dumps(_script().CASES))
    assert "make_torch_fixtures.py" in FIXTURE["header"] and FIXTURE["torch_version"].startswith("2.13.0")
    assert (ROOT / "tests" / "fixtures" / "torch_paths.json").stat().st_size < 300_000  # kept small


def test_every_registry_optimizer_is_checked_against_torch_or_says_why_not():
    checked = {case["simulate"]["optimizer"] for case in CASES}
    assert checked | set(NOT_IN_TORCH) == set(OPTIMIZERS), set(OPTIMIZERS) - checked - set(NOT_IN_TORCH)
    assert not checked & set(NOT_IN_TORCH)
    assert {c["surface"] for c in CASES} >= {"beale", "rosenbrock", "himmelblau", "two_minima"}


def test_the_fixture_is_what_torch_computes_today():
    pytest.importorskip("torch")
    script = _script()
    for case in CASES:
        np.testing.assert_allclose(script.torch_path(case), case["torch_path"], rtol=1e-12, atol=1e-15,
                                   err_msg=case["name"])
