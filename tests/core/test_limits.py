"""Every resource limit: one source (optviz/core/limits.py, with surfaces/limits.py), the docs' Limits
table (docs/deploying.md, which the README links to) states exactly it, and each limit is enforced
in the core, where a hand-edited link, a notebook or an upload arrives without any widget in the
way: over the limit, a clear message, and the value is clamped or refused."""

import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from optviz.analysis import basins, sensitivity
from optviz.app.share import parse_query
from optviz.core import engine, limits
from optviz.core.runs import Run
from surfaces import formula, make_mse_surface, regression
from surfaces.formula import DEFAULT_DOMAIN, FormulaError, formula_surface, parse_formula
from surfaces.regression import DataError, parse_xy

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FORMULA_KEY = parse_query({"surface": "custom"}).surface


# --- one source, stated in the docs ------------------------------------------------------------------


def _section(text: str, heading: str) -> str:
    """From `heading` to the next heading of the same level, or the end of the text."""
    section = text[text.index(heading):]
    end = section.find("\n## ", 1)
    return section if end < 0 else section[:end]


def test_the_docs_state_the_enforced_limits():
    """The Limits table in docs/deploying.md is limits_table(), and the README's Limits section links to it."""
    doc = (ROOT / "docs" / "deploying.md").read_text()
    table = "\n".join(line for line in _section(doc, "\n## Limits\n").splitlines() if line.startswith("|"))
    assert table == limits.limits_table(), (
        "docs/deploying.md's Limits table differs from optviz.core.limits.limits_table(): paste its output there")
    readme = _section((ROOT / "README.md").read_text(), "\n## Limits\n")
    assert "(docs/deploying.md#limits)" in readme
    # The numbers the README's one sentence quotes are the enforced ones.
    words = " ".join(readme.split())
    assert f"at most {limits.MAX_RUNS} runs of {limits.APP_MIN_STEPS} to {limits.APP_MAX_STEPS:,} steps" in words
    assert f"{limits.MAX_UPLOAD_BYTES // 1_000_000} MB, {limits.MAX_UPLOAD_ROWS:,} rows" in words


def test_the_table_states_the_numbers_the_parsers_enforce():
    # limits_table() is written from optviz.core.limits; these are the names the parsers and tools read.
    table = limits.limits_table()
    for value in (formula.MAX_FORMULA_CHARS, formula.MAX_NODES, formula.MAX_DEPTH, formula.MAX_EXPONENT,
                  regression.MAX_LINK_ROWS, regression.MAX_LINK_CHARS, regression.MAX_UPLOAD_ROWS,
                  regression.MAX_UPLOAD_BYTES, basins.MAX_GRID, basins.MAX_WORK, basins.CALL_BUDGET,
                  sensitivity.MAX_POINTS, engine.MAX_STEPS, engine.MAX_STARTS):
        assert re.search(rf"(?<![\d,]){value:,}(?![\d,])", table) or re.search(rf"\b{value}\b", table), value
    assert (formula.MAX_NODES, formula.MAX_DEPTH, regression.MAX_LINK_ROWS) == (
        limits.MAX_FORMULA_NODES, limits.MAX_FORMULA_DEPTH, limits.MAX_LINK_ROWS)
    assert (basins.MAX_GRID, basins.MAX_WORK, basins.CALL_BUDGET, sensitivity.MAX_POINTS) == (
        limits.MAX_BASIN_GRID, limits.MAX_BASIN_WORK, limits.MAX_PATH_POINTS, limits.MAX_SENSITIVITY_POINTS)


def test_streamlit_refuses_uploads_above_the_same_cap():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 1_000_000 == limits.MAX_UPLOAD_BYTES


# --- the engine, for any caller -----------------------------------------------------------------------


def test_the_engine_refuses_too_many_steps_starts_or_per_start_values():
    with pytest.raises(ValueError, match=rf"steps must be an integer in \[0, {limits.MAX_STEPS}\]"):
        engine.simulate("bowl", "sgd", None, limits.MAX_STEPS + 1)
    with pytest.raises(ValueError, match=rf"at most {limits.MAX_STARTS} starts"):
        engine.simulate("bowl", "sgd", np.zeros((limits.MAX_STARTS + 1, 2)), 1)
    with pytest.raises(ValueError, match=rf"at most {limits.MAX_STARTS} per-start values of lr"):
        engine.simulate("bowl", "sgd", np.zeros((2, 2)), 1, lr=np.full(limits.MAX_STARTS + 1, 0.1))


# --- a link -----------------------------------------------------------------------------------------------


def test_a_link_asking_for_too_many_steps_is_clamped_with_a_notice():
    state = parse_query({"steps": str(100 * limits.APP_MAX_STEPS)})
    assert state.steps == limits.APP_MAX_STEPS
    assert any(f"used {limits.APP_MAX_STEPS}" in n for n in state.notices), state.notices
    assert parse_query({"steps": "1"}).steps == limits.APP_MIN_STEPS


def test_a_link_with_too_many_runs_keeps_the_first_ones_with_a_notice():
    state = parse_query({f"r{i}.opt": "adam" for i in range(limits.MAX_RUNS + 6)})
    assert len(state.runs) == limits.MAX_RUNS
    assert any(f"at most {limits.MAX_RUNS} runs" in n for n in state.notices), state.notices


def test_a_too_long_link_value_is_ignored_with_a_notice():
    state = parse_query({"steps": "1" * (limits.MAX_PARAM_CHARS + 1)})
    assert state.steps == parse_query({}).steps
    assert any("'steps' was too long" in n for n in state.notices), state.notices


def test_a_link_with_thousands_of_problems_gets_a_bounded_list_of_notices():
    state = parse_query({f"junk{i}": "1" for i in range(1000)})
    assert len(state.notices) == limits.MAX_NOTICES and "more problems" in state.notices[-1]


def test_a_hyperparameter_outside_its_range_is_clamped_with_a_notice():
    state = parse_query({"r0.opt": "adam", "r0.lr": "1e9"})
    high = state.runs[0].spec.hparam("lr").high
    assert state.runs[0].hparam("lr") == high
    assert any("r0.lr=1e9" in n and "outside" in n for n in state.notices), state.notices


# --- the tools ---------------------------------------------------------------------------------------------


def test_a_basin_map_beyond_its_grid_or_work_is_refused():
    with pytest.raises(ValueError, match=rf"2 to {limits.MAX_BASIN_GRID} cells a side"):
        basins.basin_map("beale", "adam", grid=limits.MAX_BASIN_GRID + 1, steps=10)
    steps = limits.MAX_BASIN_WORK // limits.MAX_BASIN_GRID**2 + 1
    with pytest.raises(ValueError, match=rf"the limit is {limits.MAX_BASIN_WORK:,}"):
        basins.basin_map("beale", "adam", grid=limits.MAX_BASIN_GRID, steps=steps)


def test_a_basin_map_holds_at_most_its_call_budget_per_simulate_call(monkeypatch):
    whole = basins.basin_map("himmelblau", "momentum", grid=12, steps=30)
    budget, calls, real = 1_000, [], Run.simulate

    def spy(self, surface, start, steps, *args, **kw):
        calls.append(len(start) * (steps + 1))
        return real(self, surface, start, steps, *args, **kw)

    monkeypatch.setattr(basins, "CALL_BUDGET", budget)
    monkeypatch.setattr(Run, "simulate", spy)
    blocked = basins.basin_map("himmelblau", "momentum", grid=12, steps=30)
    assert len(calls) > 1 and max(calls) <= budget
    np.testing.assert_array_equal(blocked.minimum, whole.minimum)
    np.testing.assert_array_equal(blocked.outcome, whole.outcome)
    with pytest.raises(ValueError, match=f"{limits.MAX_PATH_POINTS:,} points"):
        limits.check_path_points(limits.MAX_PATH_POINTS // 100 + 1, 99)


def test_a_sensitivity_curve_beyond_its_points_is_refused():
    run = Run("adam")
    with pytest.raises(ValueError, match=rf"2 to {limits.MAX_SENSITIVITY_POINTS} learning rates"):
        sensitivity.lr_sensitivity("beale", run, points=limits.MAX_SENSITIVITY_POINTS + 1)
    with pytest.raises(ValueError, match=rf"1 to {limits.MAX_SENSITIVITY_POINTS} learning rates"):
        sensitivity.lr_sensitivity("beale", run, lrs=np.geomspace(1e-4, 1, limits.MAX_SENSITIVITY_POINTS + 1))


# --- a typed formula, from the field (the parser) and from a link -------------------------------------------


def _wide_formula() -> str:
    """More than MAX_FORMULA_NODES nodes, yet short and shallow: two parenthesised sums of 40 x's."""
    group = "(" + "+".join(["x"] * 40) + ")"
    text = f"{group}*{group}"
    assert len(text) <= limits.MAX_FORMULA_CHARS
    return text


OVER_LIMIT_FORMULAS = {
    "characters": ("x+" * (limits.MAX_FORMULA_CHARS // 2) + "x", rf"at most {limits.MAX_FORMULA_CHARS} characters"),
    "nodes": (_wide_formula(), rf"at most {limits.MAX_FORMULA_NODES} parts"),
    "nesting": ("-" * (limits.MAX_FORMULA_DEPTH + 5) + "x", rf"at most {limits.MAX_FORMULA_DEPTH} levels"),
    "exponent": (f"x**{limits.MAX_FORMULA_EXPONENT + 1}", rf"at most {limits.MAX_FORMULA_EXPONENT} in size"),
    "number": (f"{limits.MAX_FORMULA_CONSTANT * 2:g}*x", "The number is too large"),
}


@pytest.mark.parametrize("name", OVER_LIMIT_FORMULAS)
def test_a_formula_over_a_limit_is_refused_with_a_message(name):
    text, message = OVER_LIMIT_FORMULAS[name]
    with pytest.raises(FormulaError, match=message):
        parse_formula(text)
    state = parse_query({"surface": "custom", "f": text})  # a hand-edited link: the default formula instead
    assert state.surface == DEFAULT_FORMULA_KEY
    assert any("formula in the link was refused" in n and re.search(message, n) for n in state.notices), state.notices


def test_the_formula_limits_admit_what_they_state():
    parse_formula("x" + " " * (limits.MAX_FORMULA_CHARS - 1))
    parse_formula("(" + "+".join(["x"] * 35) + ")*(" + "+".join(["y"] * 35) + ")")  # 141 nodes, nesting 36
    parse_formula("-" * (limits.MAX_FORMULA_DEPTH - 2) + "x")
    parse_formula(f"x**{limits.MAX_FORMULA_EXPONENT}")


def test_a_formula_domain_beyond_its_limit_is_refused():
    too_far = 2 * limits.MAX_DOMAIN_ABS
    with pytest.raises(FormulaError, match="must lie within"):
        formula_surface("x**2 + y**2", ((-too_far, too_far), DEFAULT_DOMAIN[1]))
    state = parse_query({"surface": "custom", "f": "x**2", "xr": f"{-too_far:g},{too_far:g}"})
    assert state.surface.startswith("custom:x**2@")
    assert any("x range must lie within" in n for n in state.notices), state.notices


# --- uploaded, pasted and linked data -------------------------------------------------------------------------


def test_uploads_over_the_size_row_or_value_caps_are_refused_with_a_message():
    with pytest.raises(DataError, match="too large"):
        parse_xy(b"1,2\n" * (limits.MAX_UPLOAD_BYTES // 4 + 1))
    with pytest.raises(DataError, match="too long"):
        parse_xy("1,2\n" * (limits.MAX_UPLOAD_BYTES // 4 + 1))
    with pytest.raises(DataError, match=f"at most {limits.MAX_UPLOAD_ROWS:,}"):
        parse_xy("\n".join(f"{i},{i}" for i in range(limits.MAX_UPLOAD_ROWS + 1)))
    with pytest.raises(DataError, match="too large"):
        parse_xy(f"1,2\n3,{2 * limits.MAX_DATA_ABS:g}\n")


def test_data_in_a_link_over_its_caps_gives_the_bundled_data_and_a_notice():
    rows = "d:" + ";".join(f"{i},{i}" for i in range(limits.MAX_LINK_ROWS + 1))
    state = parse_query({"surface": "mse", "data": rows})
    assert state.surface == "mse"
    assert any(f"at most {limits.MAX_LINK_ROWS}" in n for n in state.notices), state.notices
    state = parse_query({"surface": "mse", "data": "b:" + "A" * (limits.MAX_LINK_CHARS + 1)})
    assert state.surface == "mse"
    assert any(f"at most {limits.MAX_LINK_CHARS} characters" in n for n in state.notices), state.notices


def test_a_regression_surface_beyond_its_samples_is_refused():
    x = np.linspace(-1, 1, limits.MAX_SAMPLES + 1)
    with pytest.raises(ValueError, match=f"at most {limits.MAX_SAMPLES} samples"):
        make_mse_surface(x, 2 * x)
