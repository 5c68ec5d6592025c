"""Optional: the same paths as torch.optim, step for step (skipped where torch is absent).

`pip install torch==2.13.0` installs a CPU build here; the default suite does not need it.
"""

import numpy as np
import pytest

from optviz import simulate
from surfaces import SURFACES

torch = pytest.importorskip("torch")

STEPS = 60

CASES = [
    # (our key, our hyperparameters, torch class, torch kwargs)
    ("sgd", {"lr": 1e-3}, "SGD", {"lr": 1e-3}),
    ("momentum", {"lr": 1e-3, "momentum": 0.9}, "SGD", {"lr": 1e-3, "momentum": 0.9}),
    ("adagrad", {"lr": 0.1, "eps": 1e-10}, "Adagrad", {"lr": 0.1, "eps": 1e-10}),
    ("rmsprop", {"lr": 0.01, "rho": 0.9, "eps": 1e-8}, "RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-8}),
    ("adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6}, "Adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-6}),
    ("adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-4}, "Adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-4}),
    ("adam", {"lr": 0.05, "beta1": 0.8, "beta2": 0.99}, "Adam", {"lr": 0.05, "betas": (0.8, 0.99)}),
    ("amsgrad", {"lr": 0.05}, "Adam", {"lr": 0.05, "amsgrad": True}),
    ("adamax", {"lr": 0.05, "beta1": 0.85}, "Adamax", {"lr": 0.05, "betas": (0.85, 0.999)}),
]


def torch_path(surface, cls, kwargs, start, steps):
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optim = getattr(torch.optim, cls)([p], **kwargs)
    points = [p.detach().numpy().copy()]
    for _ in range(steps):
        optim.zero_grad()
        p.grad = torch.from_numpy(surface.grad(p.detach().numpy().copy()))
        optim.step()
        points.append(p.detach().numpy().copy())
    return np.array(points)


@pytest.mark.parametrize("surface", ["beale", "rosenbrock", "himmelblau"])
@pytest.mark.parametrize(("key", "ours", "cls", "theirs"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_same_path_as_torch(surface, key, ours, cls, theirs):
    s = SURFACES[surface]
    start = (0.5, 0.5) if surface == "rosenbrock" else s.start
    mine = simulate(s, key, start, STEPS, **ours)
    assert not mine.diverged
    np.testing.assert_allclose(mine.path, torch_path(s, cls, theirs, start, STEPS), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("surface", ["beale", "rosenbrock", "two_minima"])
def test_nesterov_look_ahead_points_are_torch_iterates(surface):
    s = SURFACES[surface]
    lr, gamma = 1e-3, 0.9
    start = (0.5, 0.5) if surface == "rosenbrock" else s.start
    theta = simulate(s, "nesterov", start, STEPS, lr=lr, momentum=gamma).path
    velocity = np.vstack([np.zeros((1, 2)), theta[:-1] - theta[1:]])  # v_t = theta_{t-1} - theta_t
    look_ahead = theta - gamma * velocity
    theirs = torch_path(s, "SGD", {"lr": lr, "momentum": gamma, "nesterov": True}, start, STEPS)
    np.testing.assert_allclose(look_ahead, theirs, rtol=1e-9, atol=1e-12)
