"""`pip install` of the package, outside the checkout, in fresh virtual environments (issue 20).

One wheel is built from a copy of the checkout's package files (`pip wheel --no-deps
--no-build-isolation`, with the setuptools of requirements-dev.txt), then installed:
- alone, with numpy and sympy from a local wheelhouse (`--no-index`; pip's cache fills it, so no
  download after the first run): the core imports and simulates, plotly and Streamlit are absent,
  and the CLI answers as `python -m optviz` and as the `optviz` console script;
- with `--no-deps` into a venv that sees this project's .venv (a .pth file), standing in for
  `pip install 'optviz[app]'` without a download: `optviz serve` serves the app and a session runs.
The venvs are made --without-pip and filled by this interpreter's pip (`pip --python`), and pip
does not byte-compile sympy: most of a venv's set-up time otherwise.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path

import pytest

from benchmarks.ws_client import free_port, open_and_run, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "requirements.txt", "app.py",
                 ".streamlit", "optviz", "surfaces")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the checkout must not leak into the venvs
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]


def _run(cmd, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=ENV, **kwargs)
    assert proc.returncode == 0, f"{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _venv(path: Path, wheelhouse: Path, *packages: str, no_deps: bool = False) -> Path:
    _run([sys.executable, "-m", "venv", "--without-pip", str(path)])
    python = path / "bin" / "python"
    _run([*PIP, "--python", str(python), "install", "--no-compile", "--no-index", "--find-links", str(wheelhouse),
          *(["--no-deps"] if no_deps else []), *packages])
    return python


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    """The optviz wheel, and the core's dependencies at the versions this .venv has."""
    source = tmp_path_factory.mktemp("source")
    for name in PACKAGE_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=shutil.ignore_patterns("__pycache__", "static"))
        else:
            shutil.copy2(src, source / name)
    house = tmp_path_factory.mktemp("wheels")
    _run([*PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", str(house), str(source)])
    _run([*PIP, "wheel", "--no-deps", "-w", str(house),
          *(f"{name}=={version(name)}" for name in ("numpy", "sympy", "mpmath"))])
    return house


@pytest.fixture(scope="module")
def core_venv(wheelhouse, tmp_path_factory) -> Path:
    return _venv(tmp_path_factory.mktemp("core") / "venv", wheelhouse, "optviz")


def _outside(python: Path, code: str) -> str:
    """Run `code` in that venv, from a folder outside the checkout (so the checkout is not on sys.path)."""
    return _run([str(python), "-c", code], cwd=python.parent.parent.parent).stdout


def test_core_install_imports_and_simulates_without_plotly_or_streamlit(core_venv):
    out = _outside(core_venv, (
        "import importlib.util, optviz\n"
        "t = optviz.simulate('beale', 'adam', steps=50)\n"
        "print(optviz.__file__)\n"
        "print(t.path.shape, t.steps)\n"
        "print([m for m in ('plotly', 'streamlit') if importlib.util.find_spec(m)])\n"
        "from optviz.plot.lessons import get_lesson\n"
        "print(len(get_lesson('ravine-zigzag').compute()))\n"
        "from surfaces import SURFACES\n"
        "print(optviz.simulate('mse', 'sgd', steps=5, batch_size=8).steps)\n"  # the bundled data set
    ))
    lines = out.splitlines()
    assert "site-packages" in lines[0] and not lines[0].startswith(str(ROOT)), lines[0]
    assert lines[1:] == ["(51, 2) 50", "[]", str(len(_ravine_runs())), "5"], out


def _ravine_runs():
    from optviz.plot.lessons import get_lesson

    return get_lesson("ravine-zigzag").view.runs


def test_core_install_says_what_the_figures_need(core_venv):
    """Without plotly, asking for a figure names the extra to install instead of a bare ImportError."""
    proc = subprocess.run([str(core_venv), "-c", "import optviz; optviz.figure('beale', ['adam'])"],
                          capture_output=True, text=True, cwd=core_venv.parent.parent.parent, timeout=120, env=ENV)
    assert proc.returncode != 0
    assert "pip install 'optviz[plot]'" in proc.stderr, proc.stderr


def test_cli_as_module_and_console_script(core_venv):
    bin_dir = core_venv.parent
    for cmd in ([str(core_venv), "-m", "optviz"], [str(bin_dir / "optviz")]):
        assert "--surface" in _run([*cmd, "--help"], cwd=bin_dir).stdout
        out = _run([*cmd, "--surface", "beale", "--optimizers", "adam,momentum", "--steps", "30"], cwd=bin_dir).stdout
        assert out.startswith("Beale: 30 steps from"), out
        assert [line.split()[0] for line in out.splitlines()[2:4]] == ["adam", "momentum"], out
    proc = subprocess.run([str(bin_dir / "optviz"), "serve"], capture_output=True, text=True, cwd=bin_dir, timeout=60,
                          env=ENV)
    assert proc.returncode == 2 and "pip install 'optviz[app]'" in proc.stderr, proc.stderr


def test_app_extra_serves_the_app(wheelhouse, tmp_path):
    """The wheel in a venv that finds the app's dependencies in this .venv (as the app extra would
    install them): `optviz serve` answers on /_stcore/health and a session runs the app with no exception."""
    python = _venv(tmp_path / "venv", wheelhouse, "optviz", no_deps=True)
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    (site / "project-venv.pth").write_text(sysconfig.get_path("purelib") + "\n")
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(python.parent / "optviz"), "serve", "--server.headless", "true",
                                 "--server.address", "127.0.0.1", "--server.port", str(port),
                                 "--server.fileWatcherType", "none"],
                                cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, env=ENV)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, proc, 90, log.read_text, what="optviz serve")

        async def first_page():
            session, result = await open_and_run(base, {"surface": "himmelblau"}, timeout=120)
            await session.close()
            return result

        result = asyncio.run(first_page())
        assert result.ok, (result.status, result.exceptions, log.read_text()[-3000:])
        served = [p for p in (site / "optviz" / "_bundled" / "static").glob("*") if p.suffix in (".gz", ".js")]
        assert len(served) == 2, served  # plotly.js and the view code, written beside the installed entry
    finally:
        stop(proc, timeout=20)
