"""Shared fixtures: one headless Chromium and one `streamlit run app.py` for the browser tests
(session-scoped, started only when a test asks for them)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("OPTVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_START_TIMEOUT = 60  # s


def pytest_collection_modifyitems(config, items):
    """Browser tests last, whatever their folder: Playwright's sync API keeps an event loop and
    greenlets in the process once the session's browser starts, and tests that then call
    asyncio.run (the proxy and install tests) or ast.parse deep in a stack (the import contract)
    would fail after it."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session. A missing browser is a failure, not a skip."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(
            f"The end-to-end tests need Chromium at {CHROMIUM}, which is missing. Install it "
            "(Debian/Ubuntu: sudo apt-get install chromium; or bash scripts/ensure-chromium.sh), point "
            "OPTVIZ_CHROMIUM at a Chromium binary, or run the suite without them: make test E2E=0 "
            '(pytest -m "not e2e").',
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("The end-to-end tests need the playwright package (pip install -r requirements-dev.txt), "
                    "or run the suite without them: make test E2E=0.", pytrace=False)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def app_url():
    """`streamlit run app.py` on a free port, in whatever Python runs pytest; stopped at the end."""
    port = _free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--server.port", str(port),
    ]
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def server_log() -> str:
        log.seek(0)
        return log.read().decode("utf-8", "replace")[-4000:]

    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while _health(f"{base}/_stcore/health") != "ok":
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with code {proc.returncode}:\n{server_log()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer 'ok' on {base}/_stcore/health within "
                            f"{SERVER_START_TIMEOUT} s:\n{server_log()}", pytrace=False)
            time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
