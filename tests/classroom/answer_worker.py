"""One replica's sessions answering a board at once (tests/classroom/test_concurrency.py runs several).

    python -m tests.classroom.answer_worker <db file or postgresql:// URL> <code> <start_at> <token>:<choice> ...

Each pair is one session, answered from its own thread after `start_at` (a shared wall-clock
instant, so that every process and thread writes at the same time); prints the results as JSON."""

from __future__ import annotations

import json
import sys
import threading
import time

from optviz.classroom import open_store


def main(argv: list[str]) -> None:
    db, code, start_at, pairs = argv[0], argv[1], float(argv[2]), argv[3:]
    store = open_store({"OPTVIZ_BOARD_URL": db} if db.startswith("postgresql://") else {"OPTVIZ_BOARD_DB": db})
    results: list[tuple[str, str]] = []  # (token, result): a token may answer more than once

    def answer(token: str, choice: int) -> None:
        while time.time() < start_at:
            time.sleep(0.001)
        results.append((token, store.answer(code, token, choice)))

    threads = [threading.Thread(target=answer, args=(t, int(c))) for t, c in (p.split(":") for p in pairs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1:])
