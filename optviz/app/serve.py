"""`optviz serve`: the Streamlit app, from a checkout or from an installed package.

In a checkout this is `make run` without make: `streamlit run app.py` with the checkout's
.streamlit/config.toml. An installed wheel has no checkout; setup.py ships app.py and the config
in optviz/_bundled/, and this runs those. The config's settings are passed as command-line flags,
since Streamlit reads config.toml from the working directory only; options given after
`optviz serve` come later and win. Streamlit serves static files (plotly.js, the view code) from a
static/ folder beside the script (optviz/app/figure_component.py): where the package's folder cannot
be written, the script runs from a copy in the user's cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # optviz/, where the wheel puts _bundled/
BUNDLED = PACKAGE / "_bundled"


def app_files() -> tuple[Path, Path]:
    """(app.py, config.toml): the checkout's when this package sits in one, else the bundled copies."""
    root = PACKAGE.parent
    checkout = (root / "app.py", root / ".streamlit" / "config.toml")
    if all(p.is_file() for p in checkout):
        return checkout
    bundled = (BUNDLED / "app.py", BUNDLED / "config.toml")
    if not all(p.is_file() for p in bundled):
        raise FileNotFoundError(f"no app.py beside {PACKAGE} nor in {BUNDLED}: reinstall optviz with its app extra")
    return bundled


def config_flags(config: Path) -> list[str]:
    """Each `[section] option = value` of a Streamlit config.toml as `--section.option value`."""
    flags = []
    for section, options in tomllib.loads(config.read_text(encoding="utf-8")).items():
        for name, value in options.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags += [f"--{section}.{name}", text]
    return flags


def _runnable(script: Path) -> Path:
    """The script itself if its folder takes the static/ files, else a copy in the user's cache."""
    if os.access(script.parent, os.W_OK):
        return script
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "optviz" / "app"
    cache.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(script, cache / script.name)
    return cache / script.name


def command(args: list[str]) -> list[str]:
    """The streamlit command line that `optviz serve ARGS` runs."""
    script, config = app_files()
    return [sys.executable, "-m", "streamlit", "run", str(_runnable(script)), *config_flags(config), *args]


def main(args: list[str]) -> int:
    if args[:1] in (["-h"], ["--help"]):
        print("usage: optviz serve [STREAMLIT OPTIONS]\n\nServe the optviz app with Streamlit (needs the app "
              "extra: pip install 'optviz[app]'). Options go to `streamlit run`, e.g. --server.port 8502.")
        return 0
    try:
        import streamlit  # noqa: F401
    except ImportError:
        print("error: the app needs Streamlit and plotly: pip install 'optviz[app]'", file=sys.stderr)
        return 2
    cmd = command(args)
    if os.name == "posix":  # streamlit takes this process's place: a signal to it reaches the server
        os.execv(cmd[0], cmd)
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
        return 0
