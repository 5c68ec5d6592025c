"""Thirty sessions answer one board at the same instant against one SQLite file, from separate
processes (30 processes of one session each, and two replicas of 15 sessions each): every answer is
counted once, none is lost, and the board's counts equal the answers sent. Hostile sessions writing
at the same time (repeated answers, another board's code, huge payloads) change nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from optviz.classroom import ALREADY, COUNTED, Limits, SqliteStore, new_token

ROOT = Path(__file__).resolve().parents[2]


def _start(db, code, start_at, pairs):
    return subprocess.Popen([sys.executable, "-m", "tests.classroom.answer_worker", str(db), code, repr(start_at),
                             *(f"{t}:{c}" for t, c in pairs)], cwd=ROOT, stdout=subprocess.PIPE, text=True)


@pytest.mark.parametrize("replicas", [30, 2], ids=["30-processes", "2-replicas"])
def test_thirty_sessions_answer_at_once(tmp_path, replicas):
    db = tmp_path / "boards.sqlite3"
    store = SqliteStore(db, Limits(answers=400))
    code, secret = store.create_board("Which run arrives first?", ["GD", "Momentum", "Adam", "None"])
    other, other_secret = store.create_board("Another class's board?", ["yes", "no"])
    sessions = [(new_token(), i % 4) for i in range(30)]
    # A hostile session: the same token answering again and again, in every replica at once.
    pest = new_token()
    groups = [sessions[i::replicas] for i in range(replicas)]
    groups = [[*g, (pest, 0), (pest, 3)] for g in groups]
    start_at = time.time() + 1.5 + 0.1 * replicas  # after every process has started
    procs = [_start(db, code, start_at, g) for g in groups]
    results: dict[str, list[str]] = {}
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        for token, result in json.loads(out):
            results.setdefault(token, []).append(result)
    assert all(results[t] == [COUNTED] for t, _ in sessions)  # every session's answer counted, once
    pest_results = results.pop(pest)
    assert pest_results.count(COUNTED) == 1 and set(pest_results) == {COUNTED, ALREADY}
    pest_choice = store.answered(code, pest)
    sent = Counter(c for _, c in sessions) + Counter([pest_choice])
    counts = store.counts(code, secret)
    assert counts.per_choice == tuple(sent[i] for i in range(4)) and counts.total == 31
    assert store.counts(other, other_secret).total == 0


def test_hostile_requests_during_a_class(tmp_path):
    """Huge payloads, another board's code, a wrong secret: refused, and the class's counts stand."""
    db = tmp_path / "boards.sqlite3"
    store = SqliteStore(db)
    code, secret = store.create_board("Q?", ["a", "b"])
    other, _ = store.create_board("R?", ["a", "b"])
    sessions = [(new_token(), i % 2) for i in range(10)]
    for t, c in sessions:
        store.answer(code, t, c)
    replica = SqliteStore(db)  # another process's view of the same file
    assert replica.answer(other, sessions[0][0], 1) == COUNTED  # one answer on the other board, its own
    assert replica.answer(code, "A" * 1_000_000, 0) != COUNTED
    assert replica.counts(code, "x" * 1_000_000) is None and not replica.reveal(code, "")
    assert not replica.close(code, secret + "x")
    assert store.counts(code, secret).per_choice == (5, 5)
