"""The class boards' store on PostgreSQL (OPTVIZ_BOARD_URL, `optviz[postgres]`): the same behaviour
as on SQLite, and thirty sessions from two replica processes counted once each. A throwaway server
is started from Debian's postgresql package (`apt-get install -y postgresql`: initdb and pg_ctl in
/usr/lib/postgresql/<version>/bin) on a free port; skipped when neither it nor psycopg is there."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")

from optviz.classroom import (  # noqa: E402  (after the skip: psycopg is an optional extra)
    ALREADY,
    COUNTED,
    FULL,
    INVALID,
    UNKNOWN,
    Limits,
    PostgresStore,
    new_token,
    open_store,
)

ROOT = Path(__file__).resolve().parents[2]


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("no PostgreSQL server binaries (apt-get install -y postgresql)")
    # Not under pytest's tmp_path: its parents are private to root, and the server runs as postgres.
    top = Path(tempfile.mkdtemp(prefix="optviz-pg-"))
    data = top / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: run it as the package's postgres user
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser")
        as_user = ["runuser", "-u", "postgres", "--"]
        top.chmod(0o777)
    port = _free_port()
    subprocess.run([*as_user, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True, timeout=120)
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-w", "-t", "60", "-l", str(data / "log"), "-o",
                    f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True, timeout=120)
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        yield url
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True,
                       timeout=60)
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def store(server):
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS answers, boards, links")
    return PostgresStore(server, Limits(boards=3, answers=5, links=3))


def test_open_store_picks_postgres_from_the_url(server):
    assert isinstance(open_store({"OPTVIZ_BOARD_URL": server, "OPTVIZ_BOARD_DB": "/nonexistent/x"}), PostgresStore)


def test_a_board_on_postgres(store):
    code, secret = store.create_board("Which run arrives first?", ["GD", "Adam"])
    a = new_token()
    assert store.answer(code, a, 1) == COUNTED and store.answer(code, a, 0) == ALREADY
    assert store.counts(code) is None and store.counts(code, "wrong") is None
    assert [store.answer(code, new_token(), 0) for _ in range(5)] == [COUNTED] * 4 + [FULL]
    assert store.answer(code, new_token(), 7) == INVALID and store.answer("ZZZZZZZ", new_token(), 0) == UNKNOWN
    assert store.counts(code, secret).per_choice == (4, 1)
    assert store.reveal(code, secret) and store.counts(code).total == 5
    short = store.shorten("surface=bowl&lock=surface")
    assert store.expand(short) == "surface=bowl&lock=surface" and store.shorten("surface=bowl&lock=surface") == short
    assert store.close(code, secret) and store.board(code) is None


def test_thirty_sessions_on_two_replicas(server, store):
    code, secret = store.create_board("Q?", ["a", "b", "c"])
    store.limits = Limits()  # the default caps for the class
    sessions = [(new_token(), i % 3) for i in range(30)]
    start_at = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, "-m", "tests.classroom.answer_worker", server, code, repr(start_at),
                               *(f"{t}:{c}" for t, c in sessions[i::2])], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True) for i in range(2)]
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        results += json.loads(out)
    assert sorted(r for _, r in results) == [COUNTED] * 30
    sent = Counter(c for _, c in sessions)
    assert store.counts(code, secret).per_choice == (sent[0], sent[1], sent[2])
