"""Two replicas behind nginx, started by the repo's own `scripts/serve.py` (what `make serve` runs): every
session's requests stay on one replica, none fails, both replicas get sessions, and the script stops
them all.

Stickiness is by a cookie nginx sets (a test client is always 127.0.0.1, so `ip_hash` would put every
session on one replica). A browser gets the cookie with the page and sends it with every later
request, its websocket's upgrade included; the sessions here do the same: the page (`GET /`), then the
websocket, a first run, a rerun after a learning-rate change, a plain rerun, HTTP requests in between
(host config, health), and a reconnect of the websocket, as a tab whose connection dropped. nginx's
access log names, for each request, the cookie and the replica that served it; that log is the truth
the test reads, and it asserts one replica per cookie.

It starts servers, so it is marked like tests/app/test_concurrency.py (run alone, under the shared lock).
"""

from __future__ import annotations

import asyncio
import base64
import re
import socket
import struct
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from benchmarks.load_test import VARIED_EDITOR, VARIED_LR, class_links, lr_options
from benchmarks.ws_client import Session, proxy_server
from scripts.serve import COOKIE, nginx_binary

ROOT = Path(__file__).resolve().parents[2]
SESSIONS_PER_REPLICA = 5
LOG_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \d+ got="(?P<got>[^"]*)" '
                      r'set="(?P<set>[^"]*)" upstream=(?P<upstream>\S+)')


def uid_of(cookie_value: str) -> str:
    """The client id nginx logs ($uid_got, $uid_set) for a cookie value it set: four 32-bit words in hex."""
    return f"{COOKIE}=" + "".join(f"{w:08X}" for w in struct.unpack("<4I", base64.b64decode(cookie_value)))


def access_log(run_dir: Path) -> list[dict]:
    lines = (run_dir / "access.log").read_text().splitlines()
    return [m.groupdict() for line in lines if (m := LOG_LINE.search(line))]


def set_by(run_dir: Path, uid: str, timeout: float = 5) -> str:
    """The replica that served the request on which nginx set this cookie (nginx logs a request just after
    answering it)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [e["upstream"] for e in access_log(run_dir) if e["set"] == uid]
        if found or time.monotonic() > deadline:
            assert len(found) == 1, (uid, found)
            return found[0]
        time.sleep(0.05)


def get(url: str, cookie: str | None = None) -> tuple[int, str | None]:
    """(status, the cookie nginx set, if it set one)."""
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as r:
        r.read()
        set_cookie = r.headers.get("Set-Cookie")
        return r.status, set_cookie.split(";")[0].split("=", 1)[1] if set_cookie else None


def upstream_ports(run_dir: Path) -> list[int]:
    return [int(p) for p in re.findall(r"server 127\.0\.0\.1:(\d+) ", (run_dir / "nginx.conf").read_text())]


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


async def _session(base: str, cookie: str, link: str) -> tuple[list, int]:
    """A tab: its websocket (with the cookie), a first run, a changed learning rate, a plain rerun, HTTP
    requests in between, then a reconnect and one more run. Returns the runs and the HTTP statuses' sum."""
    headers = {"Cookie": f"{COOKIE}={cookie}"}
    http_ok = 0
    session = await Session.open(base, link, headers=headers, open_timeout=60)
    try:
        runs = [await session.rerun(timeout=60)]
        http_ok += (await asyncio.to_thread(get, base + "/_stcore/host-config", cookie))[0] == 200
        current = float(parse_qs(link)[VARIED_LR][0])
        new_lr = lr_options(current, 1)[0]
        runs.append(await session.open_expander(VARIED_EDITOR, timeout=60))  # its slider is drawn once open
        runs.append(await session.rerun(widgets=[session.widget_value(VARIED_LR, f"{new_lr:g}")], timeout=60))
        http_ok += (await asyncio.to_thread(get, base + "/_stcore/health", cookie))[0] == 200
        runs.append(await session.rerun(timeout=60))
    finally:
        await session.close()
    again = await Session.open(base, link, headers=headers, open_timeout=60)
    try:
        runs.append(await again.rerun(timeout=60))
    finally:
        await again.close()
    return runs, http_ok


async def _class(base: str, cookies: list[str], link: str):
    return await asyncio.gather(*(_session(base, c, link) for c in cookies))


@pytest.mark.concurrency
@pytest.mark.timeout(180)
def test_sessions_through_the_proxy_stay_on_their_replica(tmp_path):
    nginx_binary()  # a missing nginx fails here with what to run (scripts/ensure-nginx.sh)
    with proxy_server(2, tmp_path / "run") as served:
        ports = upstream_ports(served.run_dir)
        assert len(ports) == 2
        # New browsers, each getting its cookie with the page: nginx spreads them over both replicas.
        by_replica: dict[str, list[str]] = defaultdict(list)
        for _ in range(200):
            status, cookie = get(served.base + "/")
            assert status == 200 and cookie, (status, cookie)
            upstream = set_by(served.run_dir, uid_of(cookie))
            by_replica[upstream].append(cookie)
            if len(by_replica) == 2 and all(len(c) >= SESSIONS_PER_REPLICA for c in by_replica.values()):
                break
        assert sorted(by_replica) == sorted(f"127.0.0.1:{p}" for p in ports), dict(by_replica)
        chosen = {c: r for r, cs in by_replica.items() for c in cs[:SESSIONS_PER_REPLICA]}
        assert len(chosen) == 2 * SESSIONS_PER_REPLICA, {r: len(c) for r, c in by_replica.items()}

        link = class_links(1)[0]
        results = asyncio.run(_class(served.base, list(chosen), link))
        time.sleep(0.5)  # nginx logs a websocket when it closes
        log = access_log(served.run_dir)
    code = served.proc.returncode

    failed = [(i, r.status, r.exceptions) for i, (runs, _) in enumerate(results) for r in runs if not r.ok]
    assert not failed, failed
    assert all(http == 2 for _, http in results), [http for _, http in results]
    for cookie, replica in chosen.items():
        mine = [e for e in log if uid_of(cookie) in (e["got"], e["set"])]
        streams = [e for e in mine if e["path"].endswith("/_stcore/stream")]
        assert [e["status"] for e in streams] == ["101", "101"], mine  # the first websocket and the reconnect
        assert {e["upstream"] for e in mine} == {replica}, mine
        assert len(mine) == 5, mine  # the page, two websockets, host config, health
    served_sessions = {e["upstream"] for e in log if e["path"].endswith("/_stcore/stream")}
    assert len(served_sessions) == 2, served_sessions

    # Stopped cleanly: the script exited 0 and nothing listens any more, neither nginx nor a replica.
    assert code == 0, (served.run_dir / 'serve.out').read_text()[-3000:]
    assert not [p for p in [int(served.base.rsplit(":", 1)[1]), *ports] if listening(p)]
    for replica_log in served.run_dir.glob("replica-*.log"):
        assert "Traceback" not in replica_log.read_text(), replica_log.read_text()[-3000:]
