"""The import contract: optviz's layers import in one direction only.

surfaces ← optviz.core ← optviz.analysis ← optviz.plot ← optviz.app: a module imports from its own
layer or a lower one, never a higher one (a function-level import counts too: it climbs all the
same, only later). `optviz/__init__.py`, `optviz/__main__.py` and `optviz/cli.py` sit above the
layers and may import any of them. `optviz.web` holds the view's JavaScript and imports nothing, so
any layer may use it. No module imports itself back through others (no cycle), core and analysis
import neither plotly nor Streamlit, and `surfaces` does not import optviz.

The checker reads the source (ast), so it sees every import, even one in a branch that never runs;
`test_checker_*` plant violations in a small fake package to show it fails on each.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# rank of each top-level part; a module may import a part whose rank is at most its own
# optviz.classroom (the class boards' store) sits between analysis and app, beside plot, which it never imports
LAYERS = {"surfaces": 0, "optviz.web": 0, "optviz.core": 1, "optviz.analysis": 2, "optviz.classroom": 2.5,
          "optviz.plot": 3, "optviz.app": 4}
TOP = 5  # optviz, optviz.__main__, optviz.cli
NO_FIGURES = ("optviz.core", "optviz.analysis", "optviz.classroom", "surfaces")  # import neither of FIGURE_LIBRARIES
FIGURE_LIBRARIES = ("plotly", "streamlit")


def module_files(root: Path, packages=("optviz", "surfaces")) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under the given top-level packages."""
    out = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def imports_of(name: str, path: Path, modules) -> set[str]:
    """Every module `name` imports, anywhere in its file, as absolute dotted names. `from pkg import
    x` counts as an import of pkg.x when that is a module, else of pkg."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
    return found


def rank(module: str) -> int | None:
    """The layer of an optviz or surfaces module; None for anything else (numpy, the standard library)."""
    if module in ("optviz", "optviz.__main__", "optviz.cli"):
        return TOP
    for part, value in LAYERS.items():
        if module == part or module.startswith(part + "."):
            return value
    return TOP if module.startswith("optviz.") else None  # a module outside every layer: top only


def graph(root: Path) -> dict[str, set[str]]:
    """Module -> the optviz/surfaces modules it imports."""
    modules = module_files(root)
    return {name: {m for m in imports_of(name, path, modules) if rank(m) is not None}
            for name, path in modules.items()}


def violations(root: Path) -> list[str]:
    """Every breach of the contract in the checkout (or fake checkout) at `root`."""
    modules = module_files(root)
    out = []
    edges = {}
    for name, path in modules.items():
        imported = imports_of(name, path, modules)
        own = rank(name)
        edges[name] = {m for m in imported if rank(m) is not None}
        for m in sorted(edges[name]):
            if name.startswith("surfaces") and m.split(".")[0] == "optviz":
                out.append(f"surfaces imports optviz: {name} -> {m}")
            elif own != TOP and rank(m) > own:
                out.append(f"climbs a layer: {name} -> {m}")
        if name.startswith(NO_FIGURES):
            for m in sorted(imported):
                if m.split(".")[0] in FIGURE_LIBRARIES:
                    out.append(f"figure library below plot: {name} -> {m}")
    out += [f"import cycle: {' -> '.join(c)}" for c in cycles(edges)]
    return out


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules that import one another (Tarjan). A
    package importing its own submodules and back is not counted: `pkg/__init__` re-exports."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in edges:
                continue
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            real = [m for m in group if not any(o != m and o.startswith(m + ".") for o in group)]
            if len(real) > 1:
                found.append([*sorted(group), sorted(group)[0]])

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(edges):
        if v not in index:
            strong(v)
    return found


def test_optviz_keeps_its_import_contract():
    assert violations(ROOT) == []


def test_every_optviz_module_is_in_a_layer():
    outside = [m for m in module_files(ROOT, ("optviz",)) if rank(m) == TOP
               and m not in ("optviz", "optviz.__main__", "optviz.cli")]
    assert outside == [], "new modules go into optviz/core, analysis, plot or app"


def test_core_and_analysis_load_neither_plotly_nor_streamlit():
    """At import time, transitively: every core and analysis module, and `import optviz`."""
    names = [m for m in module_files(ROOT, ("optviz",)) if m.startswith(("optviz.core", "optviz.analysis"))]
    code = ("import sys, importlib\n"
            f"for name in {names!r}: importlib.import_module(name)\n"
            "import optviz\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'plotly', 'streamlit'}))\n"
            "print(sorted(m for m in sys.modules if m.startswith(('optviz.plot', 'optviz.app'))))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "[]"]
    assert len(names) >= 15


def _fake(tmp_path: Path, files: dict[str, str]) -> Path:
    """A fake checkout: a clean little optviz and surfaces, with `files` added or replaced."""
    base = {
        "surfaces/__init__.py": "import numpy\n",
        "optviz/__init__.py": "from .core.engine import simulate\n",
        "optviz/cli.py": "def main():\n    from .app import panel\n",
        "optviz/core/__init__.py": "",
        "optviz/core/engine.py": "import surfaces\nfrom . import registry\n",
        "optviz/core/registry.py": "",
        "optviz/analysis/__init__.py": "",
        "optviz/analysis/basins.py": "from ..core import engine\n",
        "optviz/plot/__init__.py": "",
        "optviz/plot/plotting.py": "import plotly\nfrom ..analysis.basins import x\n",
        "optviz/app/__init__.py": "",
        "optviz/app/panel.py": "import streamlit\nfrom optviz.plot import plotting\n",
        **files,
    }
    for rel, text in base.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(textwrap.dedent(text))
    return tmp_path


def test_checker_finds_the_classroom_importing_plot_or_streamlit(tmp_path):
    store = "import streamlit\nfrom ..plot import plotting\n"
    found = violations(_fake(tmp_path, {"optviz/classroom/__init__.py": "", "optviz/classroom/store.py": store}))
    assert any("optviz.classroom.store" in v and "optviz.plot.plotting" in v for v in found), found
    assert any("optviz.classroom.store" in v and "streamlit" in v for v in found), found


def test_checker_passes_a_clean_fake_package(tmp_path):
    assert violations(_fake(tmp_path, {})) == []


def test_checker_finds_an_import_that_climbs_a_layer_even_inside_a_function(tmp_path):
    root = _fake(tmp_path, {"optviz/core/registry.py": "def f():\n    from ..plot.sparkline import x\n",
                            "optviz/plot/sparkline.py": ""})
    assert violations(root) == ["climbs a layer: optviz.core.registry -> optviz.plot.sparkline"]


def test_checker_finds_plotly_or_streamlit_below_plot(tmp_path):
    root = _fake(tmp_path, {"optviz/analysis/basins.py": "from ..core import engine\nimport plotly.graph_objects\n"})
    assert violations(root) == ["figure library below plot: optviz.analysis.basins -> plotly.graph_objects"]
    root = _fake(tmp_path, {"optviz/analysis/basins.py": "from streamlit import cache_data\n"})
    assert violations(root) == ["figure library below plot: optviz.analysis.basins -> streamlit"]


def test_checker_finds_a_cycle_within_a_layer(tmp_path):
    root = _fake(tmp_path, {"optviz/core/registry.py": "def late():\n    from .engine import simulate\n"})
    assert violations(root) == ["import cycle: optviz.core.engine -> optviz.core.registry -> optviz.core.engine"]


def test_checker_finds_surfaces_importing_optviz(tmp_path):
    root = _fake(tmp_path, {"surfaces/__init__.py": "import optviz.core.registry\n"})
    found = violations(root)
    assert "surfaces imports optviz: surfaces -> optviz.core.registry" in found


def test_checker_finds_a_layer_importing_the_top_package(tmp_path):
    root = _fake(tmp_path, {"optviz/analysis/basins.py": "import optviz\n"})
    assert violations(root) == ["climbs a layer: optviz.analysis.basins -> optviz"]


def test_the_graph_has_no_import_of_the_old_flat_modules():
    """Every optviz import names a module that exists (a stale flat path would be a broken import)."""
    modules = module_files(ROOT)
    stale = sorted({(name, m) for name, targets in graph(ROOT).items() for m in targets
                    if m.startswith("optviz") and m not in modules})
    assert stale == []
