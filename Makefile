# `make run` starts the app, `make test` runs the whole suite; both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8501
# E2E=0 skips the browser tests (for machines where Chromium cannot be installed).
E2E ?= 1
# make serve: how many replicas behind nginx (default: one per core) and the address nginx listens on.
REPLICAS ?= $(shell nproc 2>/dev/null || echo 1)
# make test: how many processes run the tests that need no server or browser.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
ADDRESS ?= 0.0.0.0

.PHONY: run serve test lint bench e2e screenshot clean

# --no-compile: pip would byte-compile every module of every package (plotly's thousands of
# validators most of all), which takes longer than the install; Python compiles what it imports, once.
$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-compile --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	-bash scripts/ensure-fonts.sh
	$(BIN)/python -m streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

# REPLICAS Streamlit processes on loopback ports behind nginx on PORT, sticky by a cookie; Ctrl-C stops all.
serve: $(VENV)/.runtime
	bash scripts/ensure-nginx.sh
	$(BIN)/python scripts/serve.py --replicas $(REPLICAS) --port $(PORT) --address $(ADDRESS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .

# The suite in three passes: the tests that start neither a server nor a browser, on JOBS
# pytest-xdist workers (one per core); the concurrency tests one at a time (each opens many sessions
# on servers of its own); the browser tests on JOBS workers, each worker with its own app server and Chromium.
test: lint
	bash scripts/ensure-fonts.sh
	bash scripts/ensure-nginx.sh
	-bash scripts/ensure-postgres.sh
	$(BIN)/python -m pytest -n $(JOBS) -m "not e2e and not concurrency"
	$(BIN)/python -m pytest -m "concurrency and not e2e"
ifneq ($(E2E),0)
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -n $(JOBS) -m e2e
endif

e2e: $(VENV)/.dev
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -m e2e

# Re-takes the README's pictures (docs/*.png but basins and sensitivity) through the end-to-end
# setup; the screens at four sizes and the inspector's are re-taken by every e2e run.
screenshot: $(VENV)/.dev
	bash scripts/ensure-chromium.sh
	OPTVIZ_DOCS=1 OPTVIZ_SCREENSHOT=docs/screenshot.png $(BIN)/python -m pytest -m e2e \
		-k "test_screenshot or readme_pictures or eight_runs_built or ravine_lesson_opened"

# Runs every benchmark (core, app, browser, load test) and writes benchmarks/RESULTS.md; the ones
# that start a server or a browser take /tmp/optviz-browser.lock themselves (do not wrap make bench in flock).
bench: $(VENV)/.dev
	$(BIN)/python benchmarks/results.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
