# optviz: one app server, as a non-root user, with a health check.
#   docker build -t optviz .
#   docker run --rm -p 8501:8501 optviz        (then http://localhost:8501)
# Run one container per CPU core behind a reverse proxy with sticky sessions; see README, "Deploying".
# BASE: any image with Python 3.11 where `python` and `pip` are on PATH and pip may install (the
# official image; or, where Docker Hub is out of reach, a local Debian base with a venv on PATH:
# see README, "Deploying").
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# DejaVu Sans: the GIF export's legend draws η, γ, β₁ with it (optviz/plot/gif.py; without it they are
# spelled out). The base images are Debian.
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    fonts-dejavu-core >/dev/null && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin optviz
WORKDIR /app

# Dependencies first, so a code change does not reinstall them. Where PyPI is out of reach, point pip
# at a mirror or a wheelhouse for the build only (--build-arg PIP_INDEX_URL=..., or PIP_NO_INDEX=1 with
# PIP_FIND_LINKS=http://...); unset, pip uses PyPI.
ARG PIP_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_NO_INDEX
COPY requirements.txt .
RUN pip install -r requirements.txt
# The class boards' PostgreSQL driver (pyproject's `postgres` extra), for replicas on several machines
# (OPTVIZ_BOARD_URL): docker build --build-arg POSTGRES=1 (docs/deploying.md, "Class boards").
ARG POSTGRES=0
RUN if [ "$POSTGRES" = 1 ]; then pip install 'psycopg[binary]>=3.2,<4'; fi

# Only what the app runs: no tests, benchmarks or docs in the image.
COPY app.py ./
COPY optviz/ optviz/
COPY surfaces/ surfaces/
COPY .streamlit/ .streamlit/
# plotly.js and the view code, which Streamlit serves from static/ (enableStaticServing), are written
# now, as root: the app runs as a user who cannot write to /app, and would otherwise fail on every page
# with "PermissionError: '/app/static'" (seen when this image was first run). At run time the app finds
# them there and writes nothing.
RUN python -c "from pathlib import Path; from optviz.app.figure_component import publish_static_assets; \
publish_static_assets(Path('static'))" && ls -l static/

# The class boards' SQLite file (OPTVIZ_BOARD_DB): a volume mounted here takes this directory's owner, so
# the app's user can write it (deploy/docker-compose.yml shares one between the replicas).
RUN install -d -o optviz -g optviz /var/lib/optviz
ENV OPTVIZ_BOARD_DB=/var/lib/optviz/boards.sqlite3

USER optviz
EXPOSE 8501

# Streamlit answers "ok" on /_stcore/health once it serves; the image has no curl, Python has urllib.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4); sys.exit(r.read().strip() != b'ok')"]

CMD ["python", "-m", "streamlit", "run", "app.py", \
     "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true", \
     "--server.fileWatcherType=none", "--browser.gatherUsageStats=false"]
