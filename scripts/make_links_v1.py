"""Write tests/fixtures/links_v1.json: links as the app wrote them before the settings rework.

Run once, on the commit before the rework (5304252), with `python scripts/make_links_v1.py`.
It must not be re-run on later code: the fixture is the record of what old links showed.
"""

import json
from pathlib import Path

import numpy as np

from optviz import simulate
from optviz.app.share import ViewState, default_state, parse_query, to_query

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "links_v1.json"


def view_of(state: ViewState) -> dict:
    return {
        "surface": state.surface,
        "optimizers": list(state.optimizers),
        "hparams": {k: dict(v) for k, v in state.hparams.items()},
        "start": list(state.start),
        "steps": state.steps,
        "seed": state.seed,
        "noise": state.noise,
        "batch_size": state.batch_size,
        "view": state.view,
        "contour": state.contour,
        "speed": state.speed,
        "camera": None if state.camera is None else list(state.camera),
    }


def ends_of(state: ViewState) -> dict:
    """Each optimizer's last point (exact floats as repr): the paths must stay identical."""
    out = {}
    for key in state.optimizers:
        t = simulate(state.surface, key, state.start, state.steps, seed=state.seed, noise=state.noise,
                     batch_size=state.batch_size, **state.hparams[key])
        out[key] = [repr(float(v)) for v in np.asarray(t.path)[-1]]
    return out


def made(surface, opts, hp=None, **changes) -> ViewState:
    base = default_state(surface, tuple(opts))
    hparams = {k: {**base.hparams[k], **(hp or {}).get(k, {})} for k in opts}
    from dataclasses import replace
    return replace(base, hparams=hparams, **changes)


APP_MADE = [
    ("default view (beale, default optimizers)", default_state()),
    ("saddle, momentum 0.999, clicked start, noise", made("saddle", ("sgd", "momentum", "adam"),
                                                          {"momentum": {"momentum": 0.999}}, start=(-1.7316, 0.0412),
                                                          noise=0.35, seed=3)),
    ("mse mini-batch 8, seed 42, adam beta2 0.9991", made("mse", ("sgd", "adam", "nadam"), {"adam": {"beta2": 0.9991}},
                                                         batch_size=8, seed=42, steps=120)),
    ("mse SGD batch 1, every other setting default", made("mse", ("sgd", "momentum"), batch_size=1, seed=1)),
    ("rosenbrock all optimizers, top camera, line contours",
     made("rosenbrock", ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "amsgrad", "adamax",
                         "nadam"), camera=(0.0, -0.001, 2.3), contour="lines")),
    ("himmelblau contour only, odd learning rates", made("himmelblau", ("sgd", "adagrad", "adadelta"),
                                                        {"sgd": {"lr": 0.0012}, "adagrad": {"lr": 2.5, "eps": 1.5e-9},
                                                         "adadelta": {"lr": 0.0004, "rho": 0.937}},
                                                        view="contour", speed=150)),
    ("ravine 3-D only, rotated camera, noise 3", made("ravine", ("sgd", "momentum", "nesterov"), noise=3.0,
                                                     view="3d", camera=(1.8123, -0.4, 0.75), steps=370, seed=9)),
    ("two minima, rmsprop rho 0.9 and adam betas", made("two_minima", ("rmsprop", "adam", "amsgrad"),
                                                       {"rmsprop": {"rho": 0.9, "eps": 1e-6},
                                                        "adam": {"beta1": 0.8, "beta2": 0.95}}, steps=1000)),
    ("bowl, extremes of every range", made("bowl", ("sgd", "adam", "adamax"),
                                          {"sgd": {"lr": 1.0}, "adam": {"lr": 1e-5, "beta1": 0.0, "beta2": 0.5,
                                                                        "eps": 1.0},
                                           "adamax": {"beta1": 0.999, "beta2": 0.9999, "eps": 1e-12}},
                                          steps=10, speed=10, seed=2**31 - 1)),
    ("beale, typed start with many decimals", made("beale", ("nadam", "adam"), start=(2.123456789, -0.987654321),
                                                  steps=250, speed=500)),
    ("saddle, adagrad at lr 10", made("saddle", ("adagrad",), {"adagrad": {"lr": 10.0}}, noise=10.0)),
]

HAND_EDITED = [
    # complete: every value is in the link, only the form was edited (order, spelling, junk)
    ("reordered, with tracking junk and numbers spelled differently", {
        "utm_source": "mail", "opt": "adam, sgd,adam", "surface": "beale", "adam.lr": "2e-1", "sgd.lr": "0.030",
        "adam.beta1": "0.9", "adam.beta2": "0.999", "adam.eps": "1e-08", "x0": "+3", "y0": "-0.75", "steps": "500",
        "seed": "0", "noise": "0", "view": "both", "contour": "filled", "speed": "60"}, True),
    ("hyperparameters of an optimizer that is not selected, a repeated key", {
        "surface": "ravine", "opt": "sgd", "sgd.lr": "0.4", "adam.lr": "0.5", "x0": "-5", "y0": "-2",
        "steps": ["100", "250"], "seed": "0", "noise": "0.5", "view": "both", "contour": "lines", "speed": "60",
        "cam": "1.35,-1.35,0.95"}, True),
    ("steps not on the slider's tens", {
        "surface": "bowl", "opt": "sgd", "sgd.lr": "0.5", "x0": "-2.5", "y0": "2", "steps": "255", "seed": "7",
        "noise": "0", "view": "both", "contour": "filled", "speed": "60"}, True),
    # partial: what the link leaves out comes from the surface's preset
    ("the issue's shortened link", {"surface": "beale", "opt": "sgd,adam", "adam.lr": "0.2", "x0": "3",
                                    "y0": "-0.75"}, False),
    ("only a surface and optimizers", {"surface": "himmelblau", "opt": "momentum,adam"}, False),
    ("mse with a batch and a seed only", {"surface": "mse", "opt": "sgd", "batch": "16", "seed": "5"}, False),
]


def main() -> None:
    links = []
    for title, state in APP_MADE:
        query = to_query(state)
        parsed = parse_query(query)
        assert parsed == state and not parsed.notices, (title, parsed.notices)
        links.append({"title": title, "made_by": "app", "complete": True, "query": query, "view": view_of(parsed),
                      "path_ends": ends_of(parsed)})
    for title, query, complete in HAND_EDITED:
        parsed = parse_query(query)
        assert not parsed.notices or title.startswith("reordered"), (title, parsed.notices)
        links.append({"title": title, "made_by": "hand", "complete": complete, "query": query,
                      "view": view_of(parsed), "path_ends": ends_of(parsed) if complete else None})
    OUT.write_text(json.dumps({
        "about": "Share links as optviz wrote them before the settings rework (commit 5304252, 2026-11-29), "
                 "and a few hand-edited ones, each with the view that commit's parse_query gave and the last "
                 "point of every optimizer's path. tests/app/test_share.py::test_old_links_open_the_same_view "
                 "asserts that every later parse_query gives the same view (for 'complete' links: every value; "
                 "for partial links: the values the link carries, the rest being the surface's current preset) "
                 "and the same paths. Written once by scripts/make_links_v1.py; never regenerate it.",
        "links": links,
    }, indent=1) + "\n")
    print(f"wrote {len(links)} links to {OUT}")


if __name__ == "__main__":
    main()
