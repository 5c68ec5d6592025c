"""The budget make bench judges (benchmarks/budget.toml, benchmarks/budget.py): every figure it names is
recorded by a benchmark (or says what will), every recorded figure has a ceiling, and a figure over its
ceiling, or not a number, is reported as over. The benchmarks themselves are not run here."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from benchmarks import budget

BENCHMARKS = Path(budget.__file__).resolve().parent


def recorded_names() -> set[str]:
    """Every name a benchmark passes to record(), read from their sources."""
    names = set()
    for path in BENCHMARKS.glob("*.py"):
        names |= set(re.findall(r'record\(\s*"([^"]+)"', path.read_text()))
    return names


def test_every_figure_in_the_budget_is_recorded_by_a_benchmark_or_says_what_will():
    ceilings = budget.load_budget()
    silent = [name for name, entry in ceilings.items() if name not in recorded_names() and not entry.get("pending")]
    assert not silent, f"no benchmark records {silent}, and budget.toml does not say which will (pending)"
    pending_but_recorded = [n for n, e in ceilings.items() if e.get("pending") and n in recorded_names()]
    assert not pending_but_recorded, f"recorded now: drop their `pending` from budget.toml: {pending_but_recorded}"


def test_every_recorded_figure_has_a_ceiling():
    assert recorded_names() - set(budget.load_budget()) == set()


def test_the_budget_holds_the_issues_figures():
    names = set(budget.load_budget())
    for wanted in ("browser.change_settled_vs_baseline", "browser.change_settled_vs_trivial",
                   "load.new_session_vs_trivial", "load.at_once.p95.2_replicas_vs_trivial",
                   "load.at_once.p95.2_replicas_vs_1_replica", "load.arriving.p95.2_replicas",
                   "browser.frame_with_casing_vs_without"):
        assert wanted in names


def test_a_figure_over_its_ceiling_or_not_a_number_is_over_budget():
    ceilings = {"a": {"ceiling": 1.0, "compared_with": "x", "aim": 0.5},
                "b": {"ceiling": 2.0, "compared_with": "y"},
                "c": {"ceiling": 1.0, "compared_with": "z"},
                "d": {"ceiling": 3.0, "compared_with": "w", "aim": 1.0}}
    verdicts = {v.name: v for v in budget.judge({"a": 1.2, "b": math.nan, "d": 2.0}, ceilings)}
    assert verdicts["a"].over and verdicts["b"].over
    assert not verdicts["c"].over and verdicts["c"].status == "not measured in this run"
    assert not verdicts["d"].over and verdicts["d"].status == "within budget, aim not met"
    loud = budget.loud(list(verdicts.values())).splitlines()
    assert [line.split()[0] for line in loud[:2]] == ["OVER", "OVER"]  # the over-budget lines come first
    assert "**OVER BUDGET**" in budget.table(list(verdicts.values()))


def test_a_figure_without_a_ceiling_is_an_error():
    with pytest.raises(ValueError, match="without a ceiling"):
        budget.judge({"new.figure": 1.0}, {"a": {"ceiling": 1.0, "compared_with": "x"}})


def test_figures_are_recorded_only_when_make_bench_asks(tmp_path, monkeypatch):
    monkeypatch.delenv(budget.FIGURES_ENV, raising=False)
    budget.record("a", 1.0)  # on its own, a benchmark writes nothing
    path = tmp_path / "figures.jsonl"
    monkeypatch.setenv(budget.FIGURES_ENV, str(path))
    budget.record("a", 1.0)
    budget.record("a", 2.0)
    budget.record("b", 0.5)
    assert budget.read_figures(path) == {"a": 2.0, "b": 0.5}
