"""The browser tests' per-test page (the browser and the app server are tests/conftest.py's)."""

import pytest

from tests.browser.support import TIMEOUT_MS, VIEWPORT, App


@pytest.fixture
def app(browser, app_url):
    """A fresh context (a new Streamlit session) at a 1500x1000 window."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield App(context.new_page(), app_url)
    finally:
        context.close()
