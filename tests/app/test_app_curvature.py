"""The curvature tool in the app (issue 24), driven through AppTest: it renders on every surface, shows
the core's numbers (`optviz.analysis.curvature`), its buttons set the run's η and β and the link follows."""

import numpy as np
import pytest

from optviz.analysis import curvature as cv
from optviz.app.share import parse_query
from surfaces import SURFACES
from tests import apptest_support
from tests.apptest_support import choose_tool, clean, decode, query


def app(q):
    return apptest_support.app(q, timeout=180)


def opened(q: dict):
    at = clean(app({"tool": "curvature", **q}))
    assert at.session_state["tool"] == "curvature"
    return at


def table(at) -> list[dict]:
    frame = next(d for d in at.dataframe if d.proto.id.endswith("curvature_table") or "η" in d.value.columns)
    return frame.value.to_dict("records")


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def chart(at, key: str) -> dict:
    return apptest_support.component_figure(at, key)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_the_panel_renders_on_every_surface_with_the_cores_curvatures(surface):
    at = opened({"surface": surface, "opt": "sgd,momentum,adam", "steps": "60"})
    s = SURFACES[surface]
    start = (at.session_state["x0"], at.session_state["y0"])
    model = cv.local_model(s, start)
    text = markdown(at)
    assert f"λ₁ = `{model.lam_min:.4g}`, λ₂ = `{model.lam_max:.4g}`" in text
    if model.negative:
        assert any("escape" in w.value for w in at.warning)
    figure = chart(at, "curvature_view")
    names = [t.get("name", "") for t in figure["data"]]
    assert any(n.startswith("λ₁") for n in names) and any(n.startswith("λ₂") for n in names)
    words = " ".join(c.value for c in at.caption)
    assert ("exactly quadratic" in words) == cv.is_quadratic(s)
    if not cv.is_quadratic(s):
        assert "local quadratic model" in words


@pytest.mark.parametrize("surface", ["himmelblau", "rosenbrock", "saddle"])
def test_the_panel_at_the_inspected_step_models_that_point(surface):
    at = opened({"surface": surface, "opt": "sgd,momentum", "steps": "40", "curv.at": "step",
                 "inspect_run": "2", "inspect_step": "7"})
    traj = parse_query(query(at)).visible_runs[1][1].simulate(surface, (at.session_state["x0"],
                                                                         at.session_state["y0"]), 40, 0)
    model = cv.local_model(surface, traj.path[7])
    assert f"λ₁ = `{model.lam_min:.4g}`, λ₂ = `{model.lam_max:.4g}`" in markdown(at)
    assert "θ_7 of" in " ".join(c.value for c in at.caption)
    point = next(t for t in chart(at, "curvature_view")["data"] if t.get("name") == "point")
    np.testing.assert_allclose([decode(point["x"])[0], decode(point["y"])[0]], traj.path[7])


def test_the_numbers_shown_are_the_cores_for_a_momentum_run():
    at = opened({"surface": "ravine", "opt": "sgd,momentum", "curv.run": "2"})
    run = parse_query(query(at)).visible_runs[1][1]
    model = cv.local_model("ravine", (at.session_state["x0"], at.session_state["y0"]))
    rows = table(at)
    expected = cv.settings_for(model, cv.HEAVY_BALL, run.hparam("lr"), run.hparam("momentum"))
    assert [r["Setting"] for r in rows] == [e.name for e in expected]
    for row, e in zip(rows, expected, strict=True):
        assert row["η"] == f"{e.lr:.4g}" and row["Predicted rate ρ"].startswith(f"{e.rate:.4g}")
        assert row["β"] == ("—" if e.beta is None else f"{e.beta:.4g}")  # the GD line has no β
    assert "κ = λ₂/λ₁ = `20`" in markdown(at)


def test_use_the_optimal_eta_sets_the_gd_runs_slider_and_the_link():
    at = opened({"surface": "ravine", "opt": "sgd,momentum"})
    at.button(key="curvature_use_lr").click().run()
    clean(at)
    lr, _ = cv.optimal_gd(0.2, 4.0)
    assert at.session_state["r0.lr"] == pytest.approx(lr)
    assert float(query(at)["r0.lr"]) == pytest.approx(lr)
    assert parse_query(query(at)).visible_runs[0][1].hparam("lr") == pytest.approx(lr)
    assert any("Used the optimal η" in s.value for s in at.success)


def test_use_the_optimal_pair_sets_the_momentum_runs_eta_and_beta_and_the_link():
    at = opened({"surface": "ravine", "opt": "sgd,momentum"})
    assert at.button(key="curvature_use_pair").disabled  # plain GD has no β
    at.selectbox(key="curvature_run_pick").set_value(2).run()
    clean(at)
    assert query(at)["curv.run"] == "2"
    at.button(key="curvature_use_pair").click().run()
    clean(at)
    lr, beta, rate = cv.optimal_heavy_ball(0.2, 4.0)
    q = query(at)
    assert (float(q["r1.lr"]), float(q["r1.momentum"])) == pytest.approx((lr, beta))
    assert q["r0.lr"] == query(opened({"surface": "ravine", "opt": "sgd,momentum"}))["r0.lr"]  # the other run kept
    # the run now contracts at the optimal rate: the table's first line says so
    assert table(at)[0]["Predicted rate ρ"].startswith(f"{rate:.4g}")


def test_the_map_marks_every_momentum_family_run_and_says_it_is_local_off_the_quadratics():
    at = opened({"surface": "rosenbrock", "opt": "momentum,nesterov,adam,sgd", "curv.run": "1"})
    figure = chart(at, "curvature_map")
    marked = [t["name"] for t in figure["data"] if t.get("mode") == "markers+text"]
    runs = parse_query(query(at)).visible_runs
    family = [r for _, r in runs if r.optimizer in ("momentum", "nesterov")]
    assert len(marked) == len(family) == 2
    for trace, run in zip([t for t in figure["data"] if t.get("mode") == "markers+text"], family, strict=True):
        assert decode(trace["x"])[0] == pytest.approx(np.log10(run.hparam("lr")))
        assert decode(trace["y"])[0] == pytest.approx(run.hparam("momentum"))
    assert any("local model" in c.value for c in at.caption)


def test_the_prediction_chart_on_the_ravine_matches_the_cores_rate():
    at = opened({"surface": "ravine", "opt": "sgd", "steps": "200"})
    run = parse_query(query(at)).visible_runs[0][1]
    figure = chart(at, "curvature_prediction")
    rate = cv.linear_rate([0.2, 4.0], run.hparam("lr"))
    assert figure["data"][1]["name"] == f"predicted ρ = {rate:.4g} per step"
    traj = run.simulate("ravine", (at.session_state["x0"], at.session_state["y0"]), 200, 0)
    measured = cv.measured_rate(traj.path, (0.0, 0.0))
    assert measured == pytest.approx(rate, rel=1e-3)
    assert f"measured over the run's last steps: {measured:.4g}" in " ".join(c.value for c in at.caption)


def test_choosing_the_tool_puts_it_in_the_link_and_its_defaults_stay_out():
    at = clean(app({"surface": "bowl", "opt": "sgd"}))
    choose_tool(at, "curvature")
    q = query(at)
    assert q["tool"] == "curvature" and "curv.at" not in q and "curv.run" not in q
    at.radio(key="curvature_at").set_value("step").run()
    clean(at)
    assert query(at)["curv.at"] == "step"


def test_where_no_curvature_is_positive_there_is_no_map_and_the_words_say_escape():
    at = opened({"surface": "himmelblau", "opt": "momentum", "x0": "-0.27", "y0": "-0.92"})  # the central maximum
    assert any("No map here: no curvature is positive" in i.value for i in at.info)
    assert any("escape" in w.value for w in at.warning)


@pytest.mark.parametrize("surface", ["ravine", "mse", "saddle"])
def test_the_milestones_chart_on_a_quadratic_surface_is_the_cores_split(surface):
    at = opened({"surface": surface, "opt": "momentum", "steps": "50"})
    run = parse_query(query(at)).visible_runs[0][1]
    traj = run.simulate(surface, (at.session_state["x0"], at.session_state["y0"]), 50, 0)
    end = int(traj.diverged_at) if traj.diverged_at >= 0 else 51
    ms = cv.milestones(surface, traj.path[:end])
    figure = chart(at, "curvature_milestones")
    for i in range(2):
        np.testing.assert_allclose(decode(figure["data"][i]["y"]), ms.coords[:, i], rtol=1e-6, atol=1e-12)


def test_no_milestones_chart_off_the_quadratics():
    at = opened({"surface": "rosenbrock", "opt": "momentum", "steps": "50"})
    assert not [e for e in at.get("bidi_component") if (e.proto.id or "").endswith("-curvature_milestones")]


def test_the_panel_on_a_typed_formula_and_on_own_data():
    from surfaces import get_surface
    from tests.apptest_support import CSV, paste

    at = opened({"surface": "custom", "f": "x**2 + y**2 - x*y", "opt": "momentum"})
    surface = get_surface(at.session_state["surface"])
    model = cv.local_model(surface, (at.session_state["x0"], at.session_state["y0"]))
    assert f"λ₁ = `{model.lam_min:.4g}`, λ₂ = `{model.lam_max:.4g}`" in markdown(at)
    assert (model.lam_min, model.lam_max) == pytest.approx((1.0, 3.0))  # [[2, −1], [−1, 2]]
    # a typed formula's Hessian is symbolic where the formula module gives one, else from differences of the gradient
    assert model.exact_hessian == (surface.hessian is not None)
    assert any("central differences" in c.value for c in at.caption) == (not model.exact_hessian)
    at = paste(clean(app({"surface": "mse", "opt": "sgd"})), CSV)
    choose_tool(at, "curvature")
    surface = get_surface(at.session_state["surface"])
    assert surface.key != "mse" and cv.is_quadratic(surface)
    model = cv.local_model(surface, (at.session_state["x0"], at.session_state["y0"]))
    assert f"λ₁ = `{model.lam_min:.4g}`, λ₂ = `{model.lam_max:.4g}`" in markdown(at)
    assert chart(at, "curvature_milestones")["data"]


def test_a_link_to_a_point_models_that_point_and_clamps_one_outside_the_domain():
    at = opened({"surface": "rosenbrock", "opt": "sgd", "curv.at": "point", "curv.x": "1", "curv.y": "-0.5"})
    model = cv.local_model("rosenbrock", (1.0, -0.5))
    assert f"λ₁ = `{model.lam_min:.4g}`, λ₂ = `{model.lam_max:.4g}`" in markdown(at)
    q = query(at)
    assert (q["curv.at"], float(q["curv.x"]), float(q["curv.y"])) == ("point", 1.0, -0.5)
    at = opened({"surface": "rosenbrock", "opt": "sgd", "curv.at": "point", "curv.x": "50", "curv.y": "-0.5"})
    assert float(query(at)["curv.x"]) == SURFACES["rosenbrock"].domain[0][1]
    assert any("curv.x" in w.value for w in at.warning)


def test_no_prediction_chart_for_a_run_that_ends_far_from_a_minimum():
    at = opened({"surface": "rosenbrock", "opt": "sgd", "steps": "20"})  # 20 steps of GD: nowhere near (1, 1)
    run = parse_query(query(at)).visible_runs[0][1]
    traj = run.simulate("rosenbrock", (at.session_state["x0"], at.session_state["y0"]), 20, 0)
    assert traj.outcome not in ("converged", "inside at the end")
    assert not [e for e in at.get("bidi_component") if (e.proto.id or "").endswith("-curvature_prediction")]
    assert any("does not end near a minimum" in c.value for c in at.caption)
