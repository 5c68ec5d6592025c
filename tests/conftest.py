"""Shared fixtures: one headless Chromium and one `streamlit run app.py` for the browser tests
(session-scoped, started only when a test asks for them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.ws_client import streamlit_server

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
    """`streamlit run app.py` on a free loopback port, in whatever Python runs pytest; stopped at the end."""
    try:
        with streamlit_server(timeout=SERVER_START_TIMEOUT) as server:
            yield server.base
    except RuntimeError as error:  # the server did not start: its log says why
        pytest.fail(str(error), pytrace=False)
