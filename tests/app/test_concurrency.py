"""A class opening one link at once on a fresh server: no session may see an exception.

Each round starts a fresh `streamlit run app.py` (nothing imported, nothing cached), opens 8
websocket sessions, then sends their first script runs at the same instant through Streamlit's
own protocol (benchmarks/ws_client.py) and reads each until its script has finished. Without the
warm-up at the top of app.py (optviz/app/warmup.py) all five rounds failed on the 2-core machine, 1 to 4
sessions of 8 showing plotly's `is_homogeneous_array` meeting a half-imported pandas ("partially
initialized module 'pandas' has no attribute 'Series'").

The server tests start servers, so run them alone under the shared lock; `-m "not concurrency"`
skips them. The tests without a server check the same thing deterministically (after the warm-up,
a first run imports no library) and bound what one session keeps on the server (its session
state): figures and trajectories live in the shared caches (optviz/core/limits.py sizes them).
"""

from __future__ import annotations

import asyncio
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from benchmarks.ws_client import Session, streamlit_server
from optviz import OPTIMIZERS
from optviz.core import limits

APP = str(Path(__file__).resolve().parents[2] / "app.py")

SESSIONS = 8
# One link per round, on a fresh server each time: the class's shared link, and surfaces whose
# first run builds other grids and charts (a data surface with mini-batches, two minima).
ROUND_LINKS = [
    "surface=beale&opt=sgd,momentum,adam",
    "surface=mse&opt=sgd,adam&batch=8&seed=3",
    "surface=two_minima&opt=momentum,nesterov,adam",
    "surface=beale",
    "surface=himmelblau&opt=sgd,rmsprop,adam&noise=0.5",
]


async def _burst(base: str, link: str):
    sessions = [await Session.open(base, link) for _ in range(SESSIONS)]
    try:
        # All first runs asked for at once, as when a class clicks the link together.
        return await asyncio.gather(*(s.rerun(timeout=90) for s in sessions))
    finally:
        await asyncio.gather(*(s.close() for s in sessions))


@pytest.mark.concurrency
@pytest.mark.timeout(240)
@pytest.mark.parametrize("link", ROUND_LINKS)
def test_simultaneous_first_sessions_on_a_fresh_server_show_no_exception(link):
    with streamlit_server() as server:
        results = asyncio.run(_burst(server.base, link))
        log = server.log()
    problems = [f"session {i}: {r.status} {r.exceptions}" for i, r in enumerate(results) if not r.ok]
    assert not problems, "\n".join(problems)
    # Every session was really drawn: the script ran to its end and put the view in the URL.
    for r in results:
        assert r.query_string and "opt=" in r.query_string, r.query_string
        assert r.bytes > 10_000, r.bytes
    assert "Traceback" not in log, log


# In a fresh interpreter: load AppTest's own machinery, then the warm-up, then run the app once and
# list the modules that first run imported.
_FIRST_RUN_IMPORTS = """
import sys
from streamlit.testing.v1 import AppTest
AppTest.from_string("import streamlit as st\\nst.write(1)").run()
import optviz.app.warmup
before = set(sys.modules)
at = AppTest.from_file(sys.argv[1], default_timeout=120)
at.run()
assert not at.exception, at.exception
print(" ".join(sorted(set(sys.modules) - before)))
"""


def test_after_the_warm_up_a_first_run_imports_no_library():
    """The deterministic half of the race test: once optviz.app.warmup has run, the first session's script
    imports nothing from pandas, pyarrow, PIL, numpy, plotly or any other library (whose half-imported
    state another session's thread could meet); only the app's own modules and Streamlit's."""
    out = subprocess.run([sys.executable, "-c", _FIRST_RUN_IMPORTS, APP], capture_output=True, text=True,
                         cwd=Path(APP).parent, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    imported = out.stdout.split()
    libraries = [m for m in imported if m.split(".")[0] not in ("optviz", "surfaces", "streamlit")]
    assert not libraries, libraries


def _size(value) -> int:
    try:
        return len(pickle.dumps(value))
    except (pickle.PicklingError, TypeError, AttributeError):  # a component's result object: its data
        return len(json.dumps(dict(value), default=str))


# The biggest view a link may ask for: every optimizer, the longest runs, a link full of junk.
BIG_LINK = {"surface": "mse", "opt": ",".join(OPTIMIZERS), "steps": str(limits.APP_MAX_STEPS), "batch": "4",
            **{f"junk{i}": "x" * 150 for i in range(300)}}


@pytest.mark.parametrize("query", [{}, BIG_LINK], ids=["default view", "biggest link"])
def test_a_session_keeps_only_a_few_kilobytes(query):
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    sizes = {key: _size(at.session_state[key]) for key in at.session_state.keys()}
    assert sum(sizes.values()) < 16_000, sorted(sizes.items(), key=lambda kv: -kv[1])[:5]
