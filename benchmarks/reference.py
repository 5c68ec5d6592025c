"""The per-step loop the way the reference visualisers write it: one point, a gradient function
that builds a fresh array each call, Python lists for the path and the loss."""

import numpy as np


def beale(p):
    x, y = p[0], p[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def beale_grad(p):
    x, y = p[0], p[1]
    dx = (
        2 * (1.5 - x + x * y) * (y - 1)
        + 2 * (2.25 - x + x * y**2) * (y**2 - 1)
        + 2 * (2.625 - x + x * y**3) * (y**3 - 1)
    )
    dy = 2 * (1.5 - x + x * y) * x + 2 * (2.25 - x + x * y**2) * (2 * x * y) + 2 * (2.625 - x + x * y**3) * (
        3 * x * y**2
    )
    return np.array([dx, dy])


def adam(start, steps, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, f=beale, grad=beale_grad):
    p = np.array(start, dtype=float)
    m = np.zeros(2)
    v = np.zeros(2)
    path, losses = [p.copy()], [f(p)]
    for t in range(1, steps + 1):
        g = grad(p)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(p.copy())
        losses.append(f(p))
    return np.array(path), np.array(losses)


def momentum(start, steps, lr=0.001, gamma=0.9, f=beale, grad=beale_grad):
    p = np.array(start, dtype=float)
    v = np.zeros(2)
    path, losses = [p.copy()], [f(p)]
    for _ in range(steps):
        v = gamma * v + lr * grad(p)
        p = p - v
        path.append(p.copy())
        losses.append(f(p))
    return np.array(path), np.array(losses)
